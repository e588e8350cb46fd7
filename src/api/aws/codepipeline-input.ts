/**
 * The inputs of the CodePipeline operations, parsed once with zod at the edge. Field names and
 * limits as the CodePipeline API reference gives them; unknown fields are ignored as AWS does.
 */
import { z } from 'zod';

const name = z.string().min(1).max(100);
const executionId = z.string().min(1).max(200);
const page = { maxResults: z.number().int().min(1).max(1000).optional(), nextToken: z.string().max(2048).optional() };

export const pipelineInput = z.object({ pipeline: z.record(z.string(), z.unknown()), tags: z.array(z.unknown()).optional() });
export const getPipelineInput = z.object({ name, version: z.number().int().min(1).optional() });
export const nameInput = z.object({ name });
export const listPipelinesInput = z.object(page);

export const startExecutionInput = z.object({
  name,
  variables: z.array(z.object({ name: z.string().min(1).max(128), value: z.string().max(1000) })).max(50).optional(),
  clientRequestToken: z.string().min(1).max(128).optional(),
  sourceRevisions: z
    .array(z.object({ actionName: z.string().min(1), revisionType: z.enum(['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY']), revisionValue: z.string().min(1).max(1500) }))
    .max(50)
    .optional(),
});

export const stopExecutionInput = z.object({ pipelineName: name, pipelineExecutionId: executionId, abandon: z.boolean().optional(), reason: z.string().max(200).optional() });
export const executionInput = z.object({ pipelineName: name, pipelineExecutionId: executionId });
export const pipelineStateInput = z.object({ name });
export const listExecutionsInput = z.object({ pipelineName: name, filter: z.unknown().optional(), ...page });
export const listActionExecutionsInput = z.object({
  pipelineName: name,
  filter: z.object({ pipelineExecutionId: executionId.optional(), latestInPipelineExecution: z.unknown().optional() }).optional(),
  ...page,
});

export const approvalInput = z.object({
  pipelineName: name,
  stageName: name,
  actionName: name,
  result: z.object({ summary: z.string().max(512), status: z.enum(['Approved', 'Rejected']) }),
  token: z.string().min(1),
});

export const retryInput = z.object({ pipelineName: name, stageName: name, pipelineExecutionId: executionId, retryMode: z.enum(['FAILED_ACTIONS', 'ALL_ACTIONS']) });

export const transitionInput = z.object({ pipelineName: name, stageName: name, transitionType: z.enum(['Inbound', 'Outbound']) });
export const disableTransitionInput = transitionInput.extend({ reason: z.string().min(1).max(300) });
