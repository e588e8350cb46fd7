/**
 * The store port: one repository per aggregate, implemented once over Kysely for SQLite and
 * PostgreSQL (src/store) and checked by one contract suite (test/store/store-contract.ts).
 *
 * Contract for every method: it resolves when the change is durable; it rejects with a
 * NagareError `STORE_CONFLICT` when a unique name is taken, `STORE_NOT_FOUND` only where stated,
 * and `STORE_UNAVAILABLE` when the database cannot be reached. Times are epoch milliseconds.
 */
import type { BuildBatchState, BuildBatchStatus } from './build-batch.js';
import type { BuildRecord } from './build-life.js';
import type { StoredEvent, TracedEvent } from './aws-event.js';
import type { PhaseType, StatusType } from './build-phases.js';
import type { EventRule } from './event-rule.js';
import type { DeliveryState, NotificationDelivery, NotificationRule } from './notification-rule.js';
import type { PipelineDefinition } from './pipeline.js';
import type { ExecutionState, PipelineRuntime } from './pipeline-execution-types.js';
import type { BuildProject } from './project.js';
import type { DeploymentStore } from './deployment-store.js';
import type { AgentCapabilities, JobKind, JobRouting } from './job-routing.js';

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back to get the next page. Undefined on the last page. */
  readonly nextToken: string | undefined;
}

export interface PageRequest {
  readonly limit: number;
  readonly nextToken?: string | undefined;
  readonly sortOrder?: 'ASCENDING' | 'DESCENDING';
}

export interface ProjectsRepo {
  create(project: BuildProject): Promise<void>;
  /** Replaces the stored project of the same name; STORE_NOT_FOUND when there is none. */
  update(project: BuildProject): Promise<void>;
  /** True when a project was deleted. */
  delete(name: string): Promise<boolean>;
  get(name: string): Promise<BuildProject | undefined>;
  getMany(names: readonly string[]): Promise<BuildProject[]>;
  /** Sorted by name. */
  list(page: PageRequest): Promise<Page<string>>;
  /** The next build number of the project, atomically (1, 2, 3 … never reused). */
  nextBuildNumber(name: string): Promise<number>;
}

/** A build as the server keeps it. `record` holds the AWS `Build` fields not needed for queries. */
export interface StoredBuild {
  readonly id: string;
  readonly projectName: string;
  readonly buildNumber: number;
  readonly buildStatus: StatusType;
  readonly currentPhase: PhaseType;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly stopRequested: boolean;
  /** Bytes of log stored and the next expected log chunk sequence number. */
  readonly logBytes: number;
  readonly logNextSequence: number;
  /** The rest of the build: its job, phases, artifacts, exported variables, reports (build-life.ts). */
  readonly record: BuildRecord;
}

export interface BuildFilter {
  readonly projectName?: string | undefined;
  readonly buildStatus?: StatusType | undefined;
  readonly initiator?: string | undefined;
}

export type BuildPatch = Partial<Omit<StoredBuild, 'id' | 'projectName' | 'buildNumber' | 'startTime'>>;

export interface BuildsRepo {
  insert(build: StoredBuild): Promise<void>;
  /**
   * Inserts a queued build and its job in one transaction: both are stored or neither is (a crash
   * in between must not leave a build that nothing will run). STORE_CONFLICT when either id is taken.
   */
  insertQueued(build: StoredBuild, job: NewJob, events?: readonly TracedEvent[]): Promise<void>;
  /** Builds still QUEUED that have no job row (left by a crash before this was one transaction), oldest first. */
  queuedWithoutJob(limit: number): Promise<StoredBuild[]>;
  get(id: string): Promise<StoredBuild | undefined>;
  getMany(ids: readonly string[]): Promise<StoredBuild[]>;
  /**
   * Applies the patch; returns the build after it, or undefined when there is no such build.
   * `events` (given the build before and after) are appended to the event log in the same
   * transaction, so a change and the events it causes are stored together or not at all.
   */
  update(id: string, patch: BuildPatch, events?: (before: StoredBuild, after: StoredBuild) => readonly TracedEvent[]): Promise<StoredBuild | undefined>;
  /**
   * Ends a build: closes its job (state DONE) and applies the patch with its events in one
   * transaction, so a process killed in between can never leave a closed job whose build runs for
   * ever. The job is closed only while it is as `job` says; the patch is made from the build as
   * locked in the transaction. When the job is not so, the build has ended already (COMPLETED) or
   * there is no such build, nothing changes: undefined.
   */
  endWithJob(id: string, job: JobToClose, patch: (before: StoredBuild) => BuildPatch, events: (before: StoredBuild, after: StoredBuild) => readonly TracedEvent[]): Promise<StoredBuild | undefined>;
  /**
   * Appends a log chunk's bookkeeping only if `sequence` is the next expected one: returns
   * 'appended', 'duplicate' (already had it) or 'gap' (a chunk is missing before it).
   */
  recordLogChunk(id: string, sequence: number, bytes: number): Promise<'appended' | 'duplicate' | 'gap'>;
  /**
   * Build ids, newest first unless sortOrder says ASCENDING, of the builds matching every filter
   * given (the initiator exactly). Each filter alone pages through an index.
   */
  listIds(filter: BuildFilter, page: PageRequest): Promise<Page<string>>;
  delete(ids: readonly string[]): Promise<string[]>;
  /** Completed builds that ended before `endedBefore`, oldest first, at most `limit` (retention). */
  endedBefore(endedBefore: number, limit: number): Promise<StoredBuild[]>;
  countByStatus(): Promise<Record<string, number>>;
}

export type { JobKind } from './job-routing.js';

/** The state a build's job must be in for `endWithJob` to close it. */
export interface JobToClose {
  readonly state: 'QUEUED' | 'LEASED';
  /** A LEASED job held by this agent only. */
  readonly leaseOwner?: string | undefined;
  /** A LEASED job whose lease ended before this time only (a lease renewed meanwhile is kept). */
  readonly leaseEndedBefore?: number | undefined;
}

export interface Job extends JobRouting {
  readonly id: string;
  readonly projectName: string;
  readonly state: 'QUEUED' | 'LEASED' | 'DONE';
  readonly queuedAt: number;
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly attempts: number;
  /** Whether the agent has reported that a command ran (a lost job that ran is not re-queued). */
  readonly started: boolean;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** What enqueueing a job needs; the queue sets its state, lease and attempts. */
export interface NewJob {
  readonly id: string;
  readonly kind: JobKind;
  /** Labels the agent must have (`docker` for a Docker image); none when absent. */
  readonly labels?: readonly string[] | undefined;
  /** Only agents of this fleet may take it; when absent, only agents outside any fleet. */
  readonly fleet?: string | undefined;
  /** Only this agent may take it. */
  readonly target?: string | undefined;
  readonly projectName: string;
  readonly queuedAt: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface JobQueue {
  enqueue(job: NewJob): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** The jobs of these ids that exist, in no order: one query for a page of builds. */
  getMany(jobIds: readonly string[]): Promise<Job[]>;
  /**
   * Leases the oldest QUEUED job the agent can run (job-routing.ts `canRun`: kind, labels, fleet,
   * target) to `agentId` until `now + leaseMs`, skipping jobs of projects in `excludeProjects` (at
   * their concurrent build limit). `capabilities` defaults to `plainAgent(agentId)`. Safe under
   * concurrent callers on both databases: a job is leased to one agent only.
   */
  claim(agentId: string, now: number, leaseMs: number, excludeProjects: readonly string[], capabilities?: AgentCapabilities): Promise<Job | undefined>;
  /** Extends the lease; false when the job is no longer leased to this agent. */
  renew(jobId: string, agentId: string, now: number, leaseMs: number): Promise<boolean>;
  markStarted(jobId: string, agentId: string): Promise<boolean>;
  /** Ends the job; false when it is not leased to this agent (a late report from a lost agent). */
  complete(jobId: string, agentId: string): Promise<boolean>;
  /** Ends a job whatever its state (StopBuild of a queued build, queued timeout). */
  cancel(jobId: string): Promise<boolean>;
  /** Leased jobs whose lease ended before `now`. */
  expired(now: number): Promise<Job[]>;
  /**
   * Moves every lease that ends before `until` to `until` (a restarted server's grace period:
   * agents could not heartbeat while it was down). Returns how many leases were extended.
   */
  extendLeases(until: number): Promise<number>;
  /**
   * Puts a never-started job whose lease ended before `now` back in the queue (a lease renewed
   * since the caller found it expired is kept).
   */
  requeue(jobId: string, now: number): Promise<boolean>;
  /** QUEUED jobs queued before `before` (for the queued timeout). */
  queuedBefore(before: number): Promise<Job[]>;
  /** Every LEASED job, oldest lease first (agent listings). */
  leased(): Promise<Job[]>;
  /** Number of LEASED jobs per project. */
  leasedPerProject(): Promise<Record<string, number>>;
  depth(): Promise<number>;
}

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The fleet it joined (`--fleet`); it then runs only that fleet's jobs. */
  readonly fleet: string | undefined;
  /** Advertised labels, normalised (job-routing.ts). */
  readonly labels: readonly string[];
  readonly kinds: readonly JobKind[];
  /** Its image map as `PATTERN=IMAGE` rules, in order (`--image-map`); shown, not used by the server. */
  readonly imageMap: readonly string[];
  readonly registeredAt: number;
  readonly lastSeenAt: number;
}

export interface AgentsRepo {
  upsert(agent: Agent): Promise<void>;
  get(id: string): Promise<Agent | undefined>;
  touch(id: string, at: number): Promise<void>;
  list(): Promise<Agent[]>;
  /** Agents seen at or after `since`. */
  seenSince(since: number): Promise<Agent[]>;
}

/** A CodeBuild compute fleet: a named group of agents that runs the builds of the projects pointing at it. */
export interface Fleet {
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly baseCapacity: number;
  readonly environmentType: string;
  readonly computeType: string;
  readonly overflowBehavior: 'QUEUE' | 'ON_DEMAND' | undefined;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  readonly created: number;
  readonly lastModified: number;
}

export interface FleetsRepo {
  /** STORE_CONFLICT when the name is taken. */
  create(fleet: Fleet): Promise<void>;
  /** Replaces the stored fleet of the same name; STORE_NOT_FOUND when there is none. */
  update(fleet: Fleet): Promise<void>;
  get(name: string): Promise<Fleet | undefined>;
  /** Sorted by name. */
  list(): Promise<Fleet[]>;
  /** True when a fleet was deleted. */
  delete(name: string): Promise<boolean>;
}

/** METRICS_TOKEN reads /metrics and nothing else (a Prometheus scraper's token). */
export type CredentialKind = 'API_TOKEN' | 'AGENT_TOKEN' | 'AGENT_SESSION' | 'METRICS_TOKEN';

export interface Credential {
  readonly id: string;
  readonly kind: CredentialKind;
  /** SHA-256 of the secret token, hex; the token itself is never stored. */
  readonly hash: string;
  readonly name: string;
  /** For AGENT_SESSION: the agent it belongs to. */
  readonly agentId: string | undefined;
  readonly createdAt: number;
}

export interface AccessKey {
  readonly accessKeyId: string;
  /** The secret access key encrypted with the server key (SigV4 needs it back). */
  readonly encryptedSecret: string;
  readonly createdAt: number;
}

export interface CredentialsRepo {
  insert(credential: Credential): Promise<void>;
  findByHash(hash: string): Promise<Credential | undefined>;
  insertAccessKey(key: AccessKey): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKey | undefined>;
  count(kind: CredentialKind): Promise<number>;
}

export type ParameterType = 'String' | 'SecureString';

export interface StoredParameter {
  readonly name: string;
  readonly type: ParameterType;
  /** Plain for String; encrypted (by the server's key) for SecureString and secrets. */
  readonly value: string;
  readonly version: number;
  readonly lastModified: number;
}

/** Parameters (Parameter Store) and secrets (Secrets Manager) share one shape, in two namespaces. */
export interface ParametersRepo {
  /** Creates or, with `overwrite`, replaces; STORE_CONFLICT when it exists and overwrite is false. Returns the version. */
  put(namespace: 'parameter' | 'secret', parameter: Omit<StoredParameter, 'version'>, overwrite: boolean): Promise<number>;
  get(namespace: 'parameter' | 'secret', name: string): Promise<StoredParameter | undefined>;
  list(namespace: 'parameter' | 'secret'): Promise<Omit<StoredParameter, 'value'>[]>;
  delete(namespace: 'parameter' | 'secret', name: string): Promise<boolean>;
}

/** A hosted git repository (CodeCommit repository); the git data lives under the data directory. */
export interface StoredRepository {
  readonly name: string;
  /** CodeCommit's `repositoryId`: a UUID, fixed at creation. */
  readonly id: string;
  readonly description: string | undefined;
  /** The first branch pushed, until changed; undefined while the repository is empty. */
  readonly defaultBranch: string | undefined;
  readonly created: number;
  readonly lastModified: number;
  /** Set for an external repository: a read-only mirror of a git URL. */
  readonly mirror?: RepositoryMirror | undefined;
}

/** What an external repository mirrors; its ref changes are recorded as push events. */
export interface RepositoryMirror {
  /** The git URL fetched (https, ssh, git, file or a path). */
  readonly url: string;
  /** Seconds between polls; 0: never polled (webhooks only). */
  readonly pollSeconds: number;
  /** The push webhooks' secret, sealed by the server's key; undefined: webhooks are refused. */
  readonly webhookSecret: string | undefined;
}

/** One ref a push changed. `oldCommit` is undefined for a new ref, `newCommit` for a deleted one. */
export interface PushEvent {
  /** Increases with each event recorded (a cursor for catching up after a restart). */
  readonly sequence: number;
  readonly repositoryName: string;
  /** The full ref name: `refs/heads/main`, `refs/tags/v1`. */
  readonly ref: string;
  readonly refType: 'branch' | 'tag';
  readonly oldCommit: string | undefined;
  readonly newCommit: string | undefined;
  /** Paths that differ between old and new; every file of a new ref; none for a deleted one. */
  readonly changedPaths: readonly string[];
  readonly pushedAt: number;
  /** The name of the API token that pushed. */
  readonly pusher: string;
}

export interface RepositoriesRepo {
  create(repository: StoredRepository): Promise<void>;
  get(name: string): Promise<StoredRepository | undefined>;
  /** Sorted by name. */
  list(page: PageRequest): Promise<Page<StoredRepository>>;
  /** True when a repository was deleted; its push events are deleted with it. */
  delete(name: string): Promise<boolean>;
  /** Sets the default branch and lastModified; STORE_NOT_FOUND when there is no such repository. */
  setDefaultBranch(name: string, branch: string, at: number): Promise<void>;
  /** The external repositories (those with a mirror), sorted by name. */
  listMirrors(): Promise<StoredRepository[]>;
  /** Records the events of one push, in order, and returns them with their sequence numbers. */
  recordPush(events: readonly Omit<PushEvent, 'sequence'>[], awsEvents?: (recorded: readonly PushEvent[]) => readonly TracedEvent[]): Promise<PushEvent[]>;
  /** Events with a sequence above `afterSequence`, oldest first, at most `limit`. */
  pushEventsAfter(afterSequence: number, limit: number, filter?: { readonly repositoryName?: string | undefined }): Promise<PushEvent[]>;
}

export interface StoredPipeline {
  readonly definition: PipelineDefinition;
  /** The execution runtime of core/pipeline-execution.ts: in-flight executions and what the machine needs (core/pipeline-execution-history.ts). */
  readonly runtime: PipelineRuntime;
  /** Bumped by every save; saves name the revision they read (optimistic concurrency). */
  readonly revision: number;
  readonly created: number;
  readonly updated: number;
}

/** What a save moves between the runtime and the history table, in the same transaction. */
export interface PipelineHistoryChange {
  /** Executions that ended: written to the history table (replacing a row with the same id). */
  readonly ended: readonly ExecutionState[];
  /** Ended executions that are active again (a retry): removed from the history table. */
  readonly reopened: readonly string[];
}

/** An ended execution removed by retention, for its artifacts to be deleted. */
export interface PrunedExecution {
  readonly pipelineName: string;
  readonly execution: ExecutionState;
}

export interface PipelinesRepo {
  /** STORE_CONFLICT when the name is taken. */
  create(definition: PipelineDefinition, runtime: PipelineRuntime, at: number): Promise<void>;
  get(name: string): Promise<StoredPipeline | undefined>;
  /** Every pipeline, sorted by name (the driver matches pushes against all of them). */
  list(): Promise<StoredPipeline[]>;
  /** One page, by name (keyset: a page never repeats or skips a pipeline created meanwhile). */
  listPage(page: PageRequest): Promise<Page<StoredPipeline>>;
  /** Deletes the pipeline and its ended executions. */
  delete(name: string): Promise<boolean>;
  /**
   * Writes the runtime (and a new definition) if the row is still at `expectedRevision`, and the
   * history change with it in one transaction; false (and nothing written) otherwise.
   */
  save(name: string, change: { readonly definition?: PipelineDefinition; readonly runtime: PipelineRuntime; readonly history?: PipelineHistoryChange }, expectedRevision: number, at: number, events?: readonly TracedEvent[]): Promise<boolean>;
  /** An ended execution from the history table. */
  getEndedExecution(pipelineName: string, executionId: string): Promise<ExecutionState | undefined>;
  /** Ended executions newest first (by start sequence), only those started before `beforeSeq` when given. */
  listEndedExecutions(pipelineName: string, page: { readonly limit: number; readonly beforeSeq?: number | undefined }): Promise<ExecutionState[]>;
  /** An ended execution that ran on `version` of the pipeline, if one is kept. */
  endedExecutionOnVersion(pipelineName: string, version: number): Promise<ExecutionState | undefined>;
  /** Deletes up to `limit` executions that ended before `endedBefore`, oldest first, and returns them. */
  pruneEndedExecutions(endedBefore: number, limit: number): Promise<PrunedExecution[]>;
}

/** Named positions of background readers in append-only tables (the pipeline driver's push events). */
export interface CursorsRepo {
  get(name: string): Promise<number | undefined>;
  /** Sets the cursor to `value` unless it is already further. */
  advance(name: string, value: number): Promise<void>;
}

/** Webhook delivery ids seen per repository, so that a replayed delivery does nothing. */
export interface WebhookDeliveriesRepo {
  /**
   * Records `deliveryId` for the repository unless it is already recorded; true when it was new.
   * Entries received before `forgetBefore` are forgotten first (the replay window).
   */
  recordFirst(repositoryName: string, deliveryId: string, receivedAt: number, forgetBefore: number): Promise<boolean>;
}

/**
 * The event log: every change of state as an AWS event, in one order. Events are appended by the
 * writes that cause them (BuildsRepo.update, PipelinesRepo.save, RepositoriesRepo.recordPush …) in
 * their transaction; on PostgreSQL appends are serialised so that sequences commit in order and a
 * reader that saw sequence N never later finds a smaller one.
 */
export interface EventsRepo {
  /** Appends events that no other stored change carries (a test event, a rule's own events). */
  append(events: readonly TracedEvent[]): Promise<StoredEvent[]>;
  /** Events with a sequence above `afterSequence`, oldest first, at most `limit`, of the given detail-types when given. */
  after(afterSequence: number, limit: number, filter?: { readonly detailTypes?: readonly string[] | undefined; readonly traceId?: string | undefined }): Promise<StoredEvent[]>;
  /** The highest sequence stored; 0 when there is none. */
  lastSequence(): Promise<number>;
}

/** A delivery that is due, with the event it carries. */
export interface DueDelivery {
  readonly delivery: NotificationDelivery;
  readonly event: StoredEvent;
  /** The event's envelope as stored: the exact JSON a Webhook target receives (signed as it is, not serialised again). */
  readonly envelopeJson: string;
}

/** What one attempt at a delivery came to. */
export interface DeliveryAttempt {
  readonly id: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | undefined;
  readonly at: number;
}

/** Notification rules and their outbox of deliveries. */
export interface NotificationRulesRepo {
  /** STORE_CONFLICT when the name is taken. */
  create(rule: NotificationRule): Promise<void>;
  get(arn: string): Promise<NotificationRule | undefined>;
  /** Sorted by name. */
  list(): Promise<NotificationRule[]>;
  /** Replaces the stored rule of the same ARN; false when there is none; STORE_CONFLICT when the new name is taken. */
  update(rule: NotificationRule): Promise<boolean>;
  /** Deletes the rule and its deliveries. */
  delete(arn: string): Promise<boolean>;
  /**
   * Stores the deliveries (one already stored for the same rule, target and event is kept as it is)
   * and advances the cursor `cursorName` to `upTo`, in one transaction: an event is either
   * matched and owed, or still ahead of the cursor.
   */
  enqueue(deliveries: readonly NotificationDelivery[], cursorName: string, upTo: number): Promise<void>;
  /**
   * The head of each (rule, target) queue, the oldest PENDING delivery, when it is due by `now`,
   * followed by up to `perQueue - 1` more PENDING deliveries of the same queue, in sequence order
   * (at most `limit` in all). A later delivery of a queue waits for the one before it (ordered per
   * rule and target): the caller sends a queue's deliveries one after another and stops at the
   * first that fails.
   */
  due(now: number, limit: number, perQueue?: number): Promise<DueDelivery[]>;
  /** Records the outcomes of attempts, all in one transaction. */
  recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void>;
  /** A rule's deliveries in one state, newest first. */
  deliveries(ruleArn: string, state: DeliveryState, limit: number): Promise<NotificationDelivery[]>;
  /** How many deliveries of the rule are in each state. */
  countByState(ruleArn: string): Promise<Record<DeliveryState, number>>;
}

/** EventBridge-style rules, one row each (targets inside). */
export interface EventRulesRepo {
  /** Creates or replaces the rule of that name. */
  put(rule: EventRule): Promise<void>;
  get(name: string): Promise<EventRule | undefined>;
  /** Sorted by name. */
  list(): Promise<EventRule[]>;
  delete(name: string): Promise<boolean>;
}

/** A periodic piece of server work (the interval runner's components) as operators see it. */
export interface ComponentRecord {
  readonly name: string;
  /** When a run last began, and on which server; undefined before the first run. */
  readonly lastRanAt: number | undefined;
  readonly lastRanBy: string | undefined;
  /** A paused component is skipped by every server until resumed. */
  readonly paused: boolean;
}

/**
 * Periodic components and the lock that lets one server at a time run each. The lock is
 * PostgreSQL's session advisory lock (held on one connection for the run, released by the
 * database if the server dies) or, on SQLite, a lock in this process (one process per file).
 */
export interface ComponentsRepo {
  /**
   * Runs `work` holding the lock named `name` if nobody on this database holds it; resolves
   * `{ ran: false }` at once, without running, when it is held. Errors of `work` are rethrown
   * after the lock is released.
   */
  runExclusive<T>(name: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }>;
  /** Sorted by name; only components that ran or were paused at least once. */
  list(): Promise<ComponentRecord[]>;
  get(name: string): Promise<ComponentRecord | undefined>;
  recordRun(name: string, at: number, by: string): Promise<void>;
  setPaused(name: string, paused: boolean): Promise<void>;
}

/** A build batch as the server keeps it (StartBuildBatch). */
export interface StoredBuildBatch {
  /** `<project>:<uuid>`. */
  readonly id: string;
  readonly projectName: string;
  readonly batchNumber: number;
  readonly status: BuildBatchStatus;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly revision: number;
  readonly state: BuildBatchState;
}

export interface BuildBatchesRepo {
  /** STORE_CONFLICT when the id is taken. */
  insert(batch: Omit<StoredBuildBatch, 'revision'>): Promise<void>;
  get(id: string): Promise<StoredBuildBatch | undefined>;
  getMany(ids: readonly string[]): Promise<StoredBuildBatch[]>;
  /** Saves `batch` if its revision is still `batch.revision`; the saved batch, or undefined when another update came first. */
  update(batch: StoredBuildBatch): Promise<StoredBuildBatch | undefined>;
  /** Batch ids, newest first unless sortOrder says ASCENDING. */
  listIds(filter: { readonly projectName?: string | undefined; readonly status?: string | undefined }, page: PageRequest): Promise<Page<string>>;
  /** Ids of batches still IN_PROGRESS, oldest first (reconciliation). */
  inProgress(limit: number): Promise<string[]>;
  delete(id: string): Promise<boolean>;
  /** The project's next batch number, atomically (1, 2, 3 … never reused). STORE_NOT_FOUND without the project. */
  nextBatchNumber(projectName: string): Promise<number>;
}

/** The CodeDeploy repositories (deployment-store.ts) are part of the store. */
export interface Store extends DeploymentStore {
  readonly buildBatches: BuildBatchesRepo;
  readonly dialect: 'sqlite' | 'postgres';
  readonly components: ComponentsRepo;
  readonly projects: ProjectsRepo;
  readonly builds: BuildsRepo;
  readonly jobs: JobQueue;
  readonly agents: AgentsRepo;
  readonly fleets: FleetsRepo;
  readonly credentials: CredentialsRepo;
  readonly parameters: ParametersRepo;
  readonly repositories: RepositoriesRepo;
  readonly pipelines: PipelinesRepo;
  readonly cursors: CursorsRepo;
  readonly webhookDeliveries: WebhookDeliveriesRepo;
  readonly events: EventsRepo;
  readonly notificationRules: NotificationRulesRepo;
  readonly eventRules: EventRulesRepo;
  close(): Promise<void>;
}
