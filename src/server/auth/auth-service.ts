/**
 * Who may call the server. The first start creates an admin API token and an access key pair,
 * shown once and written to `<data-dir>/initial-credentials.json` (mode 0600). API tokens and
 * agent tokens are stored hashed; access key secrets are sealed (SigV4 needs them back).
 *
 * Errors: AUTH_MISSING, AUTH_INVALID_TOKEN.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../../core/errors.js';
import type { Agent, Credential, CredentialKind } from '../../core/store.js';

export type AgentRouting = Pick<Agent, 'fleet' | 'labels' | 'kinds' | 'imageMap'>;
import { hashToken, newAccessKeyPair, newToken } from './crypto/tokens.js';
import type { ServerContext } from '../server-context.js';

export interface InitialCredentials {
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface Caller {
  readonly kind: CredentialKind | 'ACCESS_KEY';
  readonly name: string;
  readonly agentId: string | undefined;
}

export class AuthService {
  constructor(private readonly context: ServerContext) {}

  /** Creates the admin credentials when the store has none; returns them only then. */
  async bootstrap(dataDir: string): Promise<InitialCredentials | undefined> {
    if ((await this.context.store.credentials.count('API_TOKEN')) > 0) return undefined;
    const token = await this.issue('API_TOKEN', 'admin', undefined);
    const { accessKeyId, secretAccessKey } = await this.createAccessKey();
    const credentials: InitialCredentials = { token, accessKeyId, secretAccessKey };
    await writeFile(path.join(dataDir, 'initial-credentials.json'), JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
    return credentials;
  }

  async createAccessKey(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const pair = newAccessKeyPair();
    await this.context.store.credentials.insertAccessKey({ accessKeyId: pair.accessKeyId, encryptedSecret: this.context.secrets.seal(pair.secretAccessKey), createdAt: this.context.clock() });
    return pair;
  }

  /** A token agents register with (`nagare agent-token create`). */
  createAgentToken(name: string): Promise<string> {
    return this.issue('AGENT_TOKEN', name, undefined);
  }

  /** A token that reads /metrics only (`nagare metrics-token create`). */
  createMetricsToken(name: string): Promise<string> {
    return this.issue('METRICS_TOKEN', name, undefined);
  }

  createApiToken(name: string): Promise<string> {
    return this.issue('API_TOKEN', name, undefined);
  }

  /** Exchanges an agent registration token for the agent's own session token. */
  /** `routing` defaults to an agent that runs builds, with no labels, outside any fleet; API_NOT_FOUND for an unknown fleet. */
  async registerAgent(registrationToken: string | undefined, name: string, tags: Readonly<Record<string, string>>, routing: Partial<AgentRouting> = {}): Promise<{ agentId: string; sessionToken: string }> {
    const registration: AgentRouting = { fleet: routing.fleet, labels: routing.labels ?? [], kinds: routing.kinds ?? ['build'], imageMap: routing.imageMap ?? [] };
    await this.authenticate(registrationToken, ['AGENT_TOKEN', 'API_TOKEN']);
    const agentId = `agent-${this.context.newId()}`;
    const now = this.context.clock();
    if (registration.fleet !== undefined && !(await this.context.store.fleets.get(registration.fleet))) {
      throw new NagareError('API_NOT_FOUND', `Fleet ${registration.fleet} does not exist: create it first (aws codebuild create-fleet --name ${registration.fleet} …)`);
    }
    await this.context.store.agents.upsert({ id: agentId, name, tags, registeredAt: now, lastSeenAt: now, fleet: registration.fleet, labels: registration.labels, kinds: registration.kinds, imageMap: registration.imageMap });
    const sessionToken = await this.issue('AGENT_SESSION', name, agentId);
    return { agentId, sessionToken };
  }

  /** The caller behind a bearer token of one of `kinds`; AUTH_INVALID_TOKEN otherwise. */
  async authenticate(token: string | undefined, kinds: readonly CredentialKind[]): Promise<Caller> {
    if (!token) throw new NagareError('AUTH_MISSING', 'This call needs credentials: pass an API token (--token or NAGARE_TOKEN)');
    const credential = await this.context.store.credentials.findByHash(hashToken(token));
    if (!credential || !kinds.includes(credential.kind)) throw new NagareError('AUTH_INVALID_TOKEN', 'The token is not valid for this call');
    return { kind: credential.kind, name: credential.name, agentId: credential.agentId };
  }

  /** The secret of an access key, for SigV4 verification. */
  async accessKeySecret(accessKeyId: string): Promise<string | undefined> {
    const key = await this.context.store.credentials.getAccessKey(accessKeyId);
    return key ? this.context.secrets.open(key.encryptedSecret) : undefined;
  }

  private async issue(kind: CredentialKind, name: string, agentId: string | undefined): Promise<string> {
    const token = newToken(kind === 'API_TOKEN' ? 'ngu' : kind === 'AGENT_TOKEN' ? 'ngr' : kind === 'METRICS_TOKEN' ? 'ngm' : 'nga');
    const credential: Credential = { id: this.context.newId(), kind, hash: hashToken(token), name, agentId, createdAt: this.context.clock() };
    await this.context.store.credentials.insert(credential);
    return token;
  }
}
