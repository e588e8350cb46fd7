/**
 * Which agent may run which job (issue 8, "Fleets and labels"). A job carries its kind, the labels
 * it needs, the fleet it must run in and optionally one target agent; an agent serves some kinds,
 * advertises labels and belongs to at most one fleet. The claim queries (src/store/claim-job-*.ts)
 * apply the same rule in SQL; this pure form explains a waiting job to people.
 */

/** Kinds of work the queue carries. `deploy`: one deployment's lifecycle on one instance (src/protocol/deploy-job.ts). */
export const JOB_KINDS = ['build', 'deploy'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The label a job needs when its image runs in Docker, and that agents whose engine answers advertise. */
export const DOCKER_LABEL = 'docker';

/** What a job asks of the agent that runs it. */
export interface JobRouting {
  readonly kind: JobKind;
  /** Every one must be among the agent's labels. */
  readonly labels: readonly string[];
  /** The fleet's name; undefined: only agents outside any fleet. */
  readonly fleet: string | undefined;
  /** One agent id that alone may take it; undefined: any agent that matches. */
  readonly target: string | undefined;
}

/** What an agent offers when it leases. */
export interface AgentCapabilities {
  readonly id: string;
  readonly kinds: readonly JobKind[];
  readonly labels: readonly string[];
  readonly fleet: string | undefined;
}

/** The default of agents that registered before fleets and labels: builds, no labels, no fleet. */
export function plainAgent(id: string): AgentCapabilities {
  return { id, kinds: ['build'], labels: [], fleet: undefined };
}

/** `shell` and `nagare/shell` run on the agent's host; every other image needs a Docker engine. */
export function imageRunsInDocker(image: string): boolean {
  return image !== 'shell' && image !== 'nagare/shell';
}

/** The labels a build needs for its image. */
export function buildLabels(image: string): string[] {
  return imageRunsInDocker(image) ? [DOCKER_LABEL] : [];
}

/** The same rule as the claim queries: kind served, labels ⊆ agent's, same fleet (or none), target unset or this agent. */
export function canRun(agent: AgentCapabilities, job: JobRouting): boolean {
  return agent.kinds.includes(job.kind)
    && job.labels.every((label) => agent.labels.includes(label))
    && agent.fleet === job.fleet
    && (job.target === undefined || job.target === agent.id);
}

/** Why no connected agent can take the job, in words for the QUEUED phase context. */
export function whyWaiting(job: JobRouting): string {
  const labels = job.labels.length > 0 ? ` with labels ${job.labels.join(',')}` : '';
  const where = job.fleet === undefined ? ' outside any fleet' : ` in fleet ${job.fleet}`;
  const target = job.target === undefined ? '' : ` (the job is for agent ${job.target} only)`;
  return `No agent${labels}${where} that runs ${job.kind} jobs is connected${target}; the build waits in the queue until one is, or until its queued timeout`;
}

/** Labels as given on a command line or in an API body: trimmed, lower-case, no duplicates, sorted. */
export function normaliseLabels(labels: readonly string[]): string[] {
  return [...new Set(labels.map((label) => label.trim().toLowerCase()).filter((label) => label !== ''))].sort();
}

export const LABEL_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** `arn:aws:codebuild:<region>:<account>:fleet/<name>:<id>` (or a plain name) → `<name>`. */
export function fleetNameOf(nameOrArn: string): string {
  const match = /^arn:[^:]+:codebuild:[^:]*:[^:]*:fleet\/([^:]+)(?::.*)?$/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}
