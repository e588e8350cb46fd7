/**
 * `GET /api/v1/build-batches/:id` (native API): a build batch as the dashboard shows it, its build
 * groups with their status and builds. No overrides (an environment variable override may be
 * plain text a user meant to keep to the builds).
 */
import { z } from 'zod';

export const buildBatchGroupView = z.object({
  identifier: z.string(),
  dependsOn: z.array(z.string()),
  ignoreFailure: z.boolean(),
  status: z.string(),
  /** Its builds, oldest attempt first, with their own status. */
  builds: z.array(z.object({ id: z.string(), buildStatus: z.string(), buildNumber: z.number().optional() })),
});
export type BuildBatchGroupView = z.output<typeof buildBatchGroupView>;

export const buildBatchView = z.object({
  id: z.string(),
  projectName: z.string(),
  batchNumber: z.number(),
  status: z.string(),
  /** build-list, build-matrix or build-graph. */
  kind: z.string(),
  initiator: z.string(),
  sourceVersion: z.string().optional(),
  startTime: z.string(),
  endTime: z.string().optional(),
  phases: z.array(z.object({ phaseType: z.string(), phaseStatus: z.string().optional(), startTime: z.string(), endTime: z.string().optional() })),
  groups: z.array(buildBatchGroupView),
});
export type BuildBatchView = z.output<typeof buildBatchView>;

export const getBuildBatchAnswer = z.object({ batch: buildBatchView });
export type GetBuildBatchAnswer = z.output<typeof getBuildBatchAnswer>;

/** The batch id in a batch ARN (`…:build-batch/<project>:<uuid>`). */
export function batchIdOfArn(arn: string): string {
  return arn.slice(arn.indexOf('build-batch/') + 'build-batch/'.length);
}
