/**
 * The agent protocol's bodies (`/agent/v1`, served by src/api/agent-routes.ts, called by
 * src/client/agent-client.ts): one zod schema per body, with the inferred types that routes,
 * services and the client share. The lease answer is a union by job `kind`; a new kind of work
 * (deployment lifecycle jobs) is a new member here and a new handler in the agent, not a new queue.
 */
import { z } from 'zod';
import { PHASE_TYPES, type PhaseRecord } from '../core/build-phases.js';
import { JOB_KINDS, LABEL_PATTERN, normaliseLabels } from '../core/job-routing.js';
import type { BuildJob } from '../core/build-job.js';
import { asBuildJob, buildJobSchema } from './build-job.js';
import { deployJobPayload, type DeployJobPayload } from './deploy-job.js';

/** What a sender may pass: the schema's input, with every array and object read-only (as the core types are). */
export type Sendable<T> = T extends (infer U)[] ? readonly Sendable<U>[] : T extends object ? { readonly [K in keyof T]: Sendable<T[K]> } : T;

export const statusSchema = z.enum(['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'IN_PROGRESS', 'STOPPED']);

const phaseSchema = z.object({
  phaseType: z.enum(PHASE_TYPES),
  phaseStatus: statusSchema.optional(),
  startTime: z.number(),
  endTime: z.number().optional(),
  contexts: z.array(z.object({ statusCode: z.string(), message: z.string() })).default([]),
});
export const phasesSchema = z.array(phaseSchema).max(200).transform((phases) =>
  phases.map((p): PhaseRecord => ({ phaseType: p.phaseType, phaseStatus: p.phaseStatus, startTime: p.startTime, endTime: p.endTime, contexts: p.contexts })));

const label = z.string().regex(LABEL_PATTERN, 'a label is 1 to 63 lower-case letters, digits, ".", "_" and "-", starting with a letter or digit');

/** POST /agent/v1/register */
export const registerBody = z.object({
  name: z.string().min(1).max(200),
  tags: z.record(z.string(), z.string()).default({}),
  /** The fleet to join (`--fleet`); it must exist. */
  fleet: z.string().min(1).max(128).optional(),
  labels: z.array(label).max(50).default([]).transform(normaliseLabels),
  /** The kinds of job this agent runs; older agents send none and run builds. */
  kinds: z.array(z.enum(JOB_KINDS)).min(1).default(['build']),
  /** `--instance-name`: this agent serves that on-premises instance (registered if new) and its deploy jobs. */
  instanceName: z.string().regex(/^[A-Za-z0-9._+=,@-]{1,100}$/, 'an instance name is 1 to 100 letters, digits and . _ + = , @ -').optional(),
  /** `--tags K=V,…`: the instance's tags (at most 10). */
  instanceTags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(10).default([]),
  /** `--image-map` rules as written (`PATTERN=IMAGE`), for `nagare agent list`; the agent applies them itself. */
  imageMap: z.array(z.string().min(3).max(512)).max(50).default([]),
});
export type RegisterBody = Sendable<z.input<typeof registerBody>>;
export type Registration = z.output<typeof registerBody>;

/**
 * The protocol's version, which the server states in the register answer (absent: 1).
 * 2: the lease renews itself as a first heartbeat would and answers `stopRequested`, so an agent
 * sends no heartbeat right after a lease; `complete` may carry the log's last chunk (`log`). An
 * agent uses them only with a server that says 2 or more; a server still takes every 1 call.
 */
export const AGENT_PROTOCOL_VERSION = 2;
export const registerAnswer = z.object({ agentId: z.string(), sessionToken: z.string(), protocolVersion: z.number().int().min(1).default(1) });

/** POST /agent/v1/jobs/lease */
export const leaseBody = z.object({ waitSeconds: z.number().min(0).max(60).default(20) });

/** One leased job; `id` names it in every later call (`/agent/v1/jobs/:id/…`). */
export const leasedJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('build'), id: z.string().min(1), build: buildJobSchema.transform(asBuildJob) }),
  z.object({ kind: z.literal('deploy'), id: z.string().min(1), deploy: deployJobPayload }),
]);
export type LeasedJob = { readonly kind: 'build'; readonly id: string; readonly build: BuildJob } | { readonly kind: 'deploy'; readonly id: string; readonly deploy: DeployJobPayload };
/** `stopRequested` (version 2) is the answer of the heartbeat the lease stands for. */
export const leaseAnswer = z.object({ job: leasedJob, stopRequested: z.boolean().optional() });

/** POST /agent/v1/jobs/:id/heartbeat */
export const heartbeatBody = z.object({ phases: phasesSchema.optional(), currentPhase: z.enum(PHASE_TYPES).optional(), started: z.boolean().optional() });
export type HeartbeatBody = Sendable<z.input<typeof heartbeatBody>>;
export type Heartbeat = z.output<typeof heartbeatBody>;
export const heartbeatAnswer = z.object({ stopRequested: z.boolean() });

/** PUT /agent/v1/jobs/:id/log/:sequence */
export const logAnswer = z.object({ outcome: z.enum(['appended', 'duplicate']) });

/** POST /agent/v1/jobs/:id/parameters */
export const parametersBody = z.object({ parameters: z.array(z.string()).max(500).default([]), secrets: z.array(z.string()).max(500).default([]) });
export type ParametersBody = z.output<typeof parametersBody>;
export const parametersAnswer = z.object({ values: z.record(z.string(), z.string()) });

/** PUT /agent/v1/jobs/:id/artifacts/:name */
export const storedArtifactAnswer = z.object({ artifactIdentifier: z.string().optional(), blobKey: z.string(), sha256sum: z.string(), bytes: z.number(), name: z.string() })
  .transform((a) => ({ ...a, artifactIdentifier: a.artifactIdentifier }));

/** The largest last log chunk `complete` carries; a longer tail goes by `PUT …/log/:sequence` first. */
export const COMPLETE_LOG_MAX_BYTES = 64 * 1024;

/** POST /agent/v1/jobs/:id/complete */
export const completeBody = z.object({
  /** Version 2: the log's last chunk, stored as `PUT …/log/:sequence` would before the result. */
  log: z.object({ sequence: z.number().int().min(0), base64: z.string().max(Math.ceil(COMPLETE_LOG_MAX_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64') }).optional(),
  buildStatus: statusSchema,
  phases: phasesSchema,
  exportedEnvironmentVariables: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  reports: z.array(z.record(z.string(), z.unknown())).default([]),
  resolvedSourceVersion: z.string().optional(),
});
/** Reports go as the runner made them (objects); the server checks each is one. */
export type CompletionBody = Sendable<Omit<z.input<typeof completeBody>, 'reports'>> & { readonly reports: readonly object[] };
export type Completion = z.output<typeof completeBody>;
export const completeAnswer = z.object({ buildStatus: statusSchema });
