/**
 * The pipeline JSON the store keeps (definitions, runtimes, ended executions), parsed on read into
 * the core types instead of cast. Every value is written in an envelope `{ schemaVersion, value }`;
 * rows written before the envelope existed (version 0: the bare value) are read as version 1, whose
 * shape is the same. A row from a newer nagare, or one whose shape does not parse, is refused with
 * a STORE_ code rather than handed to the machine half-understood.
 */
import { z } from 'zod';
import { parseStoredJson, storedJsonOf } from './stored-json.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { ExecutionState, PipelineRuntime } from '../core/pipeline-execution-types.js';

export const PIPELINE_JSON_SCHEMA_VERSION = 1;

const text = z.string();
const texts = z.array(text);
const record = z.record(z.string(), z.string());
const glob = z.object({ includes: texts, excludes: texts });

const actionTypeId = z.object({ category: z.enum(['Source', 'Build', 'Test', 'Deploy', 'Approval', 'Invoke', 'Compute']), owner: z.enum(['AWS', 'ThirdParty', 'Custom']), provider: text, version: text });

const action = z
  .object({
    name: text,
    actionTypeId,
    runOrder: z.number(),
    configuration: record,
    commands: texts,
    inputArtifacts: texts,
    outputArtifacts: texts,
    namespace: text.optional(),
    region: text.optional(),
    roleArn: text.optional(),
    timeoutInMinutes: z.number().optional(),
  })
  .transform((a) => ({ ...a, namespace: a.namespace, region: a.region, roleArn: a.roleArn, timeoutInMinutes: a.timeoutInMinutes }));

const definition = z
  .object({
    name: text,
    pipelineType: z.enum(['V1', 'V2']),
    executionMode: z.enum(['SUPERSEDED', 'QUEUED', 'PARALLEL']),
    roleArn: text.optional(),
    artifactStore: z.object({ type: text, location: text }).optional(),
    variables: z.array(z.object({ name: text, defaultValue: text.optional(), description: text.optional() }).transform((v) => ({ ...v, defaultValue: v.defaultValue, description: v.description }))),
    triggers: z.array(
      z.object({
        providerType: text,
        sourceActionName: text,
        push: z.array(z.object({ branches: glob.optional(), tags: glob.optional(), filePaths: glob.optional() }).transform((p) => ({ branches: p.branches, tags: p.tags, filePaths: p.filePaths }))),
      }),
    ),
    stages: z.array(z.object({ name: text, actions: z.array(action) })),
    version: z.number(),
  })
  .transform((d): PipelineDefinition => ({ ...d, roleArn: d.roleArn, artifactStore: d.artifactStore }));

const revision = z.object({ revisionId: text, revisionSummary: text.optional(), revisionUrl: text.optional(), created: z.number().optional() });

const actionRun = z.object({
  stage: text,
  action: text,
  attempt: z.number(),
  stageRun: z.number(),
  runOrder: z.number(),
  status: z.enum(['InProgress', 'Abandoned', 'Succeeded', 'Failed']),
  startTime: z.number(),
  lastUpdateTime: z.number(),
  resolvedConfiguration: record,
  resolvedCommands: texts,
  inputArtifacts: record,
  outputArtifacts: record,
  outputVariables: record,
  token: text.optional(),
  expiresAt: z.number().optional(),
  summary: text.optional(),
  updatedBy: text.optional(),
  externalExecutionId: text.optional(),
  externalExecutionUrl: text.optional(),
  revision: revision.optional(),
  errorDetails: z.object({ code: text, message: text }).optional(),
});

const execution = z.object({
  pipelineExecutionId: text,
  definition,
  executionMode: z.enum(['SUPERSEDED', 'QUEUED', 'PARALLEL']),
  status: z.enum(['InProgress', 'Stopping', 'Stopped', 'Succeeded', 'Superseded', 'Failed', 'Cancelled']),
  statusSummary: text.optional(),
  trigger: z.object({ type: z.enum(['Manual', 'CodeCommit', 'Webhook', 'Poll', 'Retry', 'EventRule']), detail: text.optional() }),
  traceParent: text.optional(),
  variables: record,
  sourceRevisions: z.record(z.string(), z.object({ revisionType: z.enum(['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY']), revisionValue: text })),
  startTime: z.number(),
  lastUpdateTime: z.number(),
  startSeq: z.number(),
  stageIndex: z.number(),
  waiting: z.boolean(),
  arrivedSeq: z.number(),
  stages: z.record(
    z.string(),
    z.object({ status: z.enum(['InProgress', 'Stopping', 'Stopped', 'Succeeded', 'Failed', 'Cancelled']), run: z.number(), enteredSeq: z.number(), enteredAt: z.number(), lastUpdateTime: z.number() }),
  ),
  actions: z.array(actionRun),
  artifacts: record,
  namespaces: z.record(z.string(), record),
  stopTrigger: z.object({ reason: text }).optional(),
});

const runtime = z.object({
  definition,
  executions: z.array(execution),
  transitions: z.record(z.string(), z.object({ enabled: z.boolean(), disabledReason: text.optional(), lastChangedAt: z.number().optional(), lastChangedBy: text.optional() })),
  sequence: z.number(),
  /** ABANDON_ACTION effects owed until their provider has stopped the work (see pipelines-service). */
  abandoning: z
    .array(z.object({ executionId: text, stage: text, action: text, attempt: z.number(), actionTypeId: actionTypeId.optional(), configuration: record.optional() }))
    .optional(),
});

/** The JSON text to store for a pipeline value: its envelope at the current schema version. */
export const storedJson = (value: unknown): string => storedJsonOf(value, PIPELINE_JSON_SCHEMA_VERSION);
const parseStored = <T>(schema: z.ZodType<T>, json: string, what: string): T => parseStoredJson(schema, json, what, PIPELINE_JSON_SCHEMA_VERSION);

export const parseStoredDefinition = (json: string, name: string): PipelineDefinition => parseStored(definition, json, `definition of pipeline ${name}`);
export const parseStoredRuntime = (json: string, name: string): PipelineRuntime => parseStored(runtime, json, `runtime of pipeline ${name}`);
export const parseStoredExecution = (json: string, name: string, id: string): ExecutionState => parseStored(execution, json, `execution ${id} of pipeline ${name}`);
