/**
 * The `deploy` job (issue 10): the lifecycle of one deployment on one instance, leased by the agent
 * serving that instance (the job's target). The agent downloads the bundle
 * (`GET /agent/v1/deploy-jobs/:id/bundle`), runs the events with the host side
 * (`src/deploy/instance-deployment.ts`), reports each event as it ends
 * (`POST …/:id/events`) and the whole result (`POST …/:id/complete`).
 */
import { z } from 'zod';

export const deployJobPayload = z.object({
  deploymentId: z.string().min(1),
  applicationName: z.string().min(1),
  deploymentGroupName: z.string().min(1),
  deploymentGroupId: z.string().min(1),
  instanceName: z.string().min(1),
  creator: z.string().min(1),
  bundleType: z.enum(['zip', 'tar', 'tgz']),
  fileExistsBehavior: z.enum(['DISALLOW', 'OVERWRITE', 'RETAIN']),
  ignoreApplicationStopFailures: z.boolean(),
  /** Lifecycle events to run, in order. */
  events: z.array(z.string().min(1)).min(1).max(20),
});
export type DeployJobPayload = z.output<typeof deployJobPayload>;

/** One lifecycle event's result as the host side gives it (src/deploy LifecycleEventResult). */
export const lifecycleEventResult = z.object({
  name: z.string().min(1).max(64),
  status: z.enum(['InProgress', 'Succeeded', 'Failed', 'Skipped']),
  startTime: z.number(),
  endTime: z.number().optional(),
  diagnostics: z
    .object({ errorCode: z.string().max(64), scriptName: z.string().max(1024), message: z.string().max(4096), logTail: z.string().max(8192) })
    .optional(),
});
export type LifecycleEventResult = z.output<typeof lifecycleEventResult>;

/** POST /agent/v1/deploy-jobs/:id/events */
export const deployEventBody = z.object({ event: lifecycleEventResult });
/** POST /agent/v1/deploy-jobs/:id/complete */
export const deployCompleteBody = z.object({ events: z.array(lifecycleEventResult).max(20) });
/**
 * POST /agent/v1/deploy-jobs/:id/interrupted — an agent restarted on the instance reports the
 * event that was running when its predecessor stopped (the CodeDeploy agent's code 7). Accepted
 * from the agent serving the job's instance now, though the lease belongs to the one that died.
 */
export const deployInterruptedBody = z.object({ event: lifecycleEventResult });
/** All answer whether the server wants the instance's deployment stopped. */
export const deployReportAnswer = z.object({ stopRequested: z.boolean() });

/**
 * The job of one instance in one deployment: derived from both, so that a repeated effect never
 * runs an instance twice, and so that an agent restarted on the instance can name the job its
 * predecessor held.
 */
export const deployJobId = (deploymentId: string, instanceName: string): string => `${deploymentId}.${instanceName}`;
