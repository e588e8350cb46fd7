/**
 * The build job as it travels in a lease answer: the zod form of core's BuildJob, so that the agent
 * checks what it is handed instead of casting it. `satisfies` below keeps the two in step.
 */
import { z } from 'zod';
import type { BuildJob } from '../core/build-job.js';

const artifacts = z.object({
  type: z.enum(['NO_ARTIFACTS', 'S3', 'CODEPIPELINE']),
  artifactIdentifier: z.string().optional(),
  name: z.string().optional(),
  location: z.string().optional(),
  path: z.string().optional(),
  namespaceType: z.enum(['NONE', 'BUILD_ID']).optional(),
  packaging: z.enum(['NONE', 'ZIP']).optional(),
  overrideArtifactName: z.boolean().optional(),
});

export const buildJobSchema = z.object({
  buildId: z.string().min(1),
  buildNumber: z.number().int(),
  projectName: z.string().min(1),
  initiator: z.string(),
  startTime: z.number(),
  region: z.string(),
  accountId: z.string(),
  source: z.object({
    type: z.enum(['NO_SOURCE', 'GIT', 'CODECOMMIT', 'CODEPIPELINE']),
    location: z.string().optional(),
    sourceVersion: z.string().optional(),
    gitCloneDepth: z.number().int().optional(),
  }).transform((source) => ({ type: source.type, location: source.location, sourceVersion: source.sourceVersion, gitCloneDepth: source.gitCloneDepth })),
  buildspec: z.string().optional(),
  image: z.string().min(1),
  privilegedMode: z.boolean().optional(),
  registryCredential: z.string().optional(),
  environmentVariables: z.array(z.object({ name: z.string(), value: z.string(), type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']) })),
  artifacts,
  secondaryArtifacts: z.array(artifacts),
  cacheEnabled: z.boolean(),
  timeoutInMinutes: z.number(),
  inputArtifacts: z.array(z.object({ name: z.string(), blobKey: z.string() })).optional(),
  primarySource: z.string().optional(),
  fleetArn: z.string().optional(),
  queuedTimeoutInMinutes: z.number().int().optional(),
  pipelineAction: z.object({ pipelineName: z.string(), executionId: z.string(), stageName: z.string(), actionName: z.string(), attempt: z.number().int() }).optional(),
  traceParent: z.string().regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/).optional(),
  parentSpanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  batch: z.object({ identifier: z.string(), batchArn: z.string() }).optional(),
  // JSON drops undefined values; BuildJob names `buildspec` even when it has none.
}).transform((job) => ({ ...job, buildspec: job.buildspec }));

/** What the schema parses is a BuildJob: this fails to compile when core's type gains a field the wire lacks. */
export function asBuildJob(parsed: z.infer<typeof buildJobSchema>): BuildJob {
  return parsed;
}
