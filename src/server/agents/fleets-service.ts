/**
 * CodeBuild compute fleets: named groups of agents (`nagare agent --fleet NAME`). A project whose
 * `environment.fleet.fleetArn` names a fleet runs its builds only on that fleet's agents, and
 * those agents run only their fleet's builds. nagare provisions no machines: a fleet is ACTIVE as
 * soon as it is created, and its capacity is the agents that join it.
 */
import { NagareError } from '../../core/errors.js';
import { fleetNameOf } from '../../core/job-routing.js';
import type { Fleet } from '../../core/store.js';
import type { ServerContext } from '../server-context.js';

export const FLEET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{1,127}$/;

export interface FleetInput {
  readonly name: string;
  readonly baseCapacity: number;
  readonly environmentType: string;
  readonly computeType: string;
  readonly overflowBehavior?: 'QUEUE' | 'ON_DEMAND' | undefined;
  readonly tags?: readonly { readonly key: string; readonly value: string }[] | undefined;
}

export type FleetChanges = Partial<Omit<FleetInput, 'name'>>;

export { fleetNameOf } from '../../core/job-routing.js';

export class FleetsService {
  constructor(private readonly context: ServerContext) {}

  async create(input: FleetInput): Promise<Fleet> {
    const { region, accountId } = this.context.settings;
    if (!FLEET_NAME_PATTERN.test(input.name)) throw new NagareError('API_INVALID_INPUT', `Fleet name '${input.name}' must be 2 to 128 letters, digits, - and _, starting with a letter or digit`);
    const id = this.context.newId();
    const now = this.context.clock();
    const fleet: Fleet = {
      name: input.name,
      id,
      arn: `arn:aws:codebuild:${region}:${accountId}:fleet/${input.name}:${id}`,
      baseCapacity: input.baseCapacity,
      environmentType: input.environmentType,
      computeType: input.computeType,
      overflowBehavior: input.overflowBehavior,
      tags: input.tags ?? [],
      created: now,
      lastModified: now,
    };
    await this.context.store.fleets.create(fleet).catch((error: unknown) => {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `Fleet already exists: ${input.name}`);
      throw error;
    });
    return fleet;
  }

  async update(nameOrArn: string, changes: FleetChanges): Promise<Fleet> {
    const existing = await this.get(nameOrArn);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const fleet: Fleet = { ...existing, ...defined, lastModified: this.context.clock() };
    await this.context.store.fleets.update(fleet);
    return fleet;
  }

  /** API_NOT_FOUND for an unknown fleet. */
  async get(nameOrArn: string): Promise<Fleet> {
    const fleet = await this.context.store.fleets.get(fleetNameOf(nameOrArn));
    if (!fleet || (nameOrArn.startsWith('arn:') && fleet.arn !== nameOrArn)) throw notFound(nameOrArn);
    return fleet;
  }

  async batchGet(namesOrArns: readonly string[]): Promise<{ fleets: Fleet[]; notFound: string[] }> {
    const fleets: Fleet[] = [];
    const notFound: string[] = [];
    for (const asked of namesOrArns) {
      const fleet = await this.get(asked).catch((error: unknown) => {
        if (error instanceof NagareError && error.code === 'API_NOT_FOUND') return undefined;
        throw error;
      });
      if (fleet) fleets.push(fleet);
      else notFound.push(asked);
    }
    return { fleets, notFound };
  }

  list(): Promise<Fleet[]> {
    return this.context.store.fleets.list();
  }

  /** Builds already queued for it keep waiting (and say why) until their queued timeout. */
  async delete(nameOrArn: string): Promise<void> {
    const fleet = await this.get(nameOrArn);
    await this.context.store.fleets.delete(fleet.name);
  }
}

function notFound(nameOrArn: string): NagareError {
  return new NagareError('API_NOT_FOUND', `Fleet cannot be found: ${nameOrArn}`);
}
