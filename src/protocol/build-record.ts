/**
 * The zod form of core's BuildRecord (core/build-life.ts): what the store keeps of a build beyond
 * its columns. The store parses every row with it, so a record is typed persistence, never cast.
 */
import { z } from 'zod';
import type { BuildRecord } from '../core/build-life.js';
import { phasesSchema } from './agent-protocol.js';
import { asBuildJob, buildJobSchema } from './build-job.js';

const storedArtifact = z
  .object({ artifactIdentifier: z.string().optional(), blobKey: z.string(), sha256sum: z.string(), bytes: z.number(), name: z.string() })
  .transform((a) => ({ ...a, artifactIdentifier: a.artifactIdentifier }));

const variables = z.array(z.object({ name: z.string(), value: z.string() }));

export const buildRecordSchema = z
  .object({
    job: buildJobSchema,
    phases: phasesSchema,
    artifacts: storedArtifact.optional(),
    secondaryArtifacts: z.array(storedArtifact).default([]),
    exportedEnvironmentVariables: variables.default([]),
    reports: z.array(z.record(z.string(), z.unknown())).default([]),
    resolvedSourceVersion: z.string().optional(),
    agentId: z.string().optional(),
    declaredParameterNames: z.object({ agentId: z.string(), parameters: z.array(z.string()), secrets: z.array(z.string()) }).optional(),
  })
  .transform((r): BuildRecord => ({ ...r, job: asBuildJob(r.job), artifacts: r.artifacts, resolvedSourceVersion: r.resolvedSourceVersion, agentId: r.agentId }));
