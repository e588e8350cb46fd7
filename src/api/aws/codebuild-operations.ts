/**
 * The CodeBuild operations nagare serves (`X-Amz-Target: CodeBuild_20161006.<Operation>`): each
 * parses its input with the schemas of codebuild-input.ts, calls a service, and answers in the
 * shapes of codebuild-shapes.ts. Errors are NagareErrors (or ZodErrors); aws-routes.ts turns them
 * into AWS error responses.
 */
import type { ZodType } from 'zod';
import { NagareError } from '../../core/errors.js';
import type { BuildProject } from '../../core/project.js';
import type { Fleet, StoredBuild, StoredBuildBatch } from '../../core/store.js';
import type { Services } from '../../server/services.js';
import {
  batchGetFleetsInput,
  batchGetProjectsInput,
  createFleetInput,
  deleteFleetInput,
  listFleetsInput,
  updateFleetInput,
  buildIdInput,
  buildIdsInput,
  createProjectInput,
  deleteProjectInput,
  listBuildsForProjectInput,
  listBuildsInput,
  listProjectsInput,
  startBuildInput,
  startBuildBatchInput,
  listBuildBatchesInput,
  listBuildBatchesForProjectInput,
  buildBatchIdsInput,
  retryBuildBatchInput,
  UNSUPPORTED_START_BUILD_KEYS,
  UNSUPPORTED_START_BUILD_BATCH_KEYS,
  updateProjectInput,
} from './codebuild-input.js';
import type { TraceContext } from '../../server/events/trace.js';
import { buildBatchShape, buildShape, fleetShape, projectShape } from './codebuild-shapes.js';

/** Who is calling, as SigV4 established it. */
export interface AwsCaller {
  readonly accessKeyId: string;
  /** The user name builds record as their `initiator`. */
  readonly userName: string;
  /** The request's W3C `traceparent`, honoured by StartBuild and StartPipelineExecution (absent or invalid: none). */
  readonly traceParent?: TraceContext | undefined;
}

export type AwsOperation = (services: Services, input: unknown, caller: AwsCaller) => Promise<Record<string, unknown>>;

/** Page size of the list operations; AWS returns at most 100 names or ids per page. */
const PAGE_SIZE = 100;

function parse<T>(schema: ZodType<T>, input: unknown): T {
  return schema.parse(input);
}

/** `arn:aws:codebuild:<region>:<account>:project/<name>` → `<name>`; a plain name stays. */
function projectNameOf(nameOrArn: string): string {
  const match = /^arn:[^:]+:codebuild:[^:]*:[^:]*:project\/(.+)$/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

async function buildsShapes(services: Services, builds: readonly StoredBuild[]): Promise<Record<string, unknown>[]> {
  const names = [...new Set(builds.map((b) => b.projectName))];
  const { projects } = names.length > 0 ? await services.projects.batchGet(names) : { projects: [] as BuildProject[] };
  const byName = new Map(projects.map((p) => [p.name, p]));
  const { publicUrl, region, accountId } = services.context.settings;
  return builds.map((build) => buildShape(build, { publicUrl, region, accountId, project: byName.get(build.projectName) }));
}

async function batchShapes(services: Services, ids: readonly string[]): Promise<{ batches: Record<string, unknown>[]; notFound: string[] }> {
  const { batches, builds, notFound } = await services.buildBatches.batchGet(ids);
  return { batches: batches.map((batch) => buildBatchShape(batch, builds, services.context.settings)), notFound };
}

async function oneBatch(services: Services, batch: StoredBuildBatch): Promise<Record<string, unknown>> {
  const { batches } = await batchShapes(services, [batch.id]);
  return { buildBatch: batches[0] };
}

async function oneBuild(services: Services, build: StoredBuild): Promise<Record<string, unknown>> {
  const [shape] = await buildsShapes(services, [build]);
  return { build: shape };
}

/**
 * ListProjects sorted by time: the store lists by name only, so the names are read whole and sorted
 * here, and the token is an offset. Fine for the hundreds of projects a team has.
 */
async function listProjectsByTime(services: Services, sortBy: 'CREATED_TIME' | 'LAST_MODIFIED_TIME', descending: boolean, nextToken: string | undefined) {
  const offset = nextToken === undefined ? 0 : Number(/^offset-(\d+)$/.exec(nextToken)?.[1] ?? NaN);
  if (!Number.isSafeInteger(offset)) throw new NagareError('API_INVALID_INPUT', 'nextToken is not a token returned by ListProjects with this sortBy');
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await services.projects.list({ limit: 1000, nextToken: token });
    names.push(...page.items);
    token = page.nextToken;
  } while (token !== undefined);
  const projects: BuildProject[] = [];
  for (let i = 0; i < names.length; i += 100) projects.push(...(await services.projects.batchGet(names.slice(i, i + 100))).projects);
  const key = (p: BuildProject) => (sortBy === 'CREATED_TIME' ? p.created : p.lastModified);
  projects.sort((a, b) => (descending ? key(b) - key(a) : key(a) - key(b)) || a.name.localeCompare(b.name));
  const page = projects.slice(offset, offset + PAGE_SIZE).map((p) => p.name);
  const more = offset + PAGE_SIZE < projects.length;
  return { projects: page, nextToken: more ? `offset-${offset + PAGE_SIZE}` : undefined };
}

export const CODEBUILD_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async CreateProject(services, input) {
    const project = await services.projects.create(parse(createProjectInput, input));
    return { project: projectShape(project) };
  },

  async UpdateProject(services, input) {
    const { name, ...changes } = parse(updateProjectInput, input);
    const project = await services.projects.update(name, changes);
    return { project: projectShape(project) };
  },

  async DeleteProject(services, input) {
    await services.projects.delete(parse(deleteProjectInput, input).name);
    return {};
  },

  async BatchGetProjects(services, input) {
    const asked = parse(batchGetProjectsInput, input).names;
    const { projects } = await services.projects.batchGet([...new Set(asked.map(projectNameOf))]);
    const byName = new Map(projects.map((p) => [p.name, p]));
    const found = asked.flatMap((n) => byName.get(projectNameOf(n)) ?? []);
    return {
      projects: [...new Set(found)].map(projectShape),
      projectsNotFound: asked.filter((n) => !byName.has(projectNameOf(n))),
    };
  },

  async ListProjects(services, input) {
    const { sortBy, sortOrder, nextToken } = parse(listProjectsInput, input);
    if (sortBy === 'CREATED_TIME' || sortBy === 'LAST_MODIFIED_TIME') {
      return listProjectsByTime(services, sortBy, sortOrder === 'DESCENDING', nextToken);
    }
    const page = await services.projects.list({ limit: PAGE_SIZE, nextToken, sortOrder: sortOrder ?? 'ASCENDING' });
    return { projects: [...page.items], nextToken: page.nextToken };
  },

  async StartBuild(services, input, caller) {
    const unsupported = UNSUPPORTED_START_BUILD_KEYS.find((key) => typeof input === 'object' && input !== null && key in input);
    if (unsupported) throw new NagareError('UNSUPPORTED_FEATURE', `StartBuild ${unsupported} is not supported by nagare yet`, { details: { feature: unsupported } });
    const build = await services.builds.startBuild({ ...parse(startBuildInput, input), initiator: caller.userName, traceParent: caller.traceParent });
    return oneBuild(services, build);
  },

  async StopBuild(services, input) {
    return oneBuild(services, await services.builds.stopBuild(parse(buildIdInput, input).id));
  },

  async RetryBuild(services, input, caller) {
    return oneBuild(services, await services.builds.retryBuild(parse(buildIdInput, input).id, caller.userName));
  },

  async BatchGetBuilds(services, input) {
    const { ids } = parse(buildIdsInput, input);
    const { builds, notFound } = await services.builds.batchGet([...new Set(ids)]);
    return { builds: await buildsShapes(services, builds), buildsNotFound: notFound };
  },

  async ListBuilds(services, input) {
    const { sortOrder, nextToken } = parse(listBuildsInput, input);
    const page = await services.builds.list({ limit: PAGE_SIZE, nextToken, sortOrder: sortOrder ?? 'DESCENDING' });
    return { ids: [...page.items], nextToken: page.nextToken };
  },

  async ListBuildsForProject(services, input) {
    const { projectName, sortOrder, nextToken } = parse(listBuildsForProjectInput, input);
    const page = await services.builds.listForProject(projectName, { limit: PAGE_SIZE, nextToken, sortOrder: sortOrder ?? 'DESCENDING' });
    return { ids: [...page.items], nextToken: page.nextToken };
  },

  async BatchDeleteBuilds(services, input) {
    const { deleted, notDeleted } = await services.builds.batchDelete([...new Set(parse(buildIdsInput, input).ids)]);
    return { buildsDeleted: deleted, buildsNotDeleted: notDeleted.map((n) => ({ id: n.id, statusCode: n.statusCode })) };
  },

  async StartBuildBatch(services, input, caller) {
    const unsupported = UNSUPPORTED_START_BUILD_BATCH_KEYS.find((key) => typeof input === 'object' && input !== null && key in input);
    if (unsupported) throw new NagareError('UNSUPPORTED_FEATURE', `StartBuildBatch ${unsupported} is not supported by nagare yet`, { details: { feature: unsupported } });
    return oneBatch(services, await services.buildBatches.start({ ...parse(startBuildBatchInput, input), initiator: caller.userName }));
  },

  async BatchGetBuildBatches(services, input) {
    const { batches, notFound } = await batchShapes(services, [...new Set(parse(buildBatchIdsInput, input).ids)]);
    return { buildBatches: batches, buildBatchesNotFound: notFound };
  },

  async ListBuildBatches(services, input) {
    const { filter, maxResults, sortOrder, nextToken } = parse(listBuildBatchesInput, input);
    const page = await services.buildBatches.list({ limit: maxResults ?? PAGE_SIZE, nextToken, sortOrder: sortOrder ?? 'DESCENDING' }, { status: filter?.status });
    return { ids: [...page.items], nextToken: page.nextToken };
  },

  async ListBuildBatchesForProject(services, input) {
    const { projectName, filter, maxResults, sortOrder, nextToken } = parse(listBuildBatchesForProjectInput, input);
    const page = await services.buildBatches.listForProject(projectName, { limit: maxResults ?? PAGE_SIZE, nextToken, sortOrder: sortOrder ?? 'DESCENDING' }, filter?.status);
    return { ids: [...page.items], nextToken: page.nextToken };
  },

  async StopBuildBatch(services, input) {
    return oneBatch(services, await services.buildBatches.stop(parse(buildIdInput, input).id));
  },

  async RetryBuildBatch(services, input) {
    const { id, retryType } = parse(retryBuildBatchInput, input);
    return oneBatch(services, await services.buildBatches.retry(id, retryType ?? 'RETRY_ALL_BUILDS'));
  },

  async DeleteBuildBatch(services, input) {
    return services.buildBatches.delete(parse(buildIdInput, input).id);
  },

  async CreateFleet(services, input) {
    return { fleet: fleetShape(await services.fleets.create(parse(createFleetInput, input))) };
  },

  async UpdateFleet(services, input) {
    const { arn, ...changes } = parse(updateFleetInput, input);
    return { fleet: fleetShape(await services.fleets.update(arn, changes)) };
  },

  async BatchGetFleets(services, input) {
    const { fleets, notFound } = await services.fleets.batchGet([...new Set(parse(batchGetFleetsInput, input).names)]);
    return { fleets: fleets.map(fleetShape), fleetsNotFound: notFound };
  },

  /** ARNs, as the AWS API answers (its FleetArns shape); a team has a handful of fleets, so sorted here and paged by offset. */
  async ListFleets(services, input) {
    const { sortBy, sortOrder, nextToken, maxResults } = parse(listFleetsInput, input);
    const offset = nextToken === undefined ? 0 : Number(/^offset-(\d+)$/.exec(nextToken)?.[1] ?? NaN);
    if (!Number.isSafeInteger(offset)) throw new NagareError('API_INVALID_INPUT', 'nextToken is not a token returned by ListFleets');
    const key = (f: Fleet): number | string => (sortBy === 'CREATED_TIME' ? f.created : sortBy === 'LAST_MODIFIED_TIME' ? f.lastModified : f.name);
    const sorted = [...(await services.fleets.list())].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.name.localeCompare(b.name)));
    if (sortOrder === 'DESCENDING') sorted.reverse();
    const size = maxResults ?? PAGE_SIZE;
    const more = offset + size < sorted.length;
    return { fleets: sorted.slice(offset, offset + size).map((f) => f.arn), nextToken: more ? `offset-${offset + size}` : undefined };
  },

  async DeleteFleet(services, input) {
    await services.fleets.delete(parse(deleteFleetInput, input).arn);
    return {};
  },
};
