/** The table of migration 0007 (ended pipeline executions), kept beside the code that writes it. */
import type { ExecutionState } from '../core/pipeline-execution-types.js';
import { PIPELINE_JSON_SCHEMA_VERSION, storedJson } from './pipeline-json.js';

export interface PipelineExecutionsTable {
  pipeline_name: string;
  execution_id: string;
  status: string;
  trigger_type: string;
  pipeline_version: number;
  /** The runtime's sequence number at START: orders a pipeline's executions newest first. */
  start_seq: number;
  start_time: number;
  /** The execution's last update: when it ended. Retention prunes by it. */
  end_time: number;
  schema_version: number;
  execution: string;
}

export type PipelineExecutionsTables = { pipeline_executions: PipelineExecutionsTable };

export function executionRow(pipelineName: string, exec: ExecutionState): PipelineExecutionsTable {
  return {
    pipeline_name: pipelineName,
    execution_id: exec.pipelineExecutionId,
    status: exec.status,
    trigger_type: exec.trigger.type,
    pipeline_version: exec.definition.version,
    start_seq: exec.startSeq,
    start_time: exec.startTime,
    end_time: exec.lastUpdateTime,
    schema_version: PIPELINE_JSON_SCHEMA_VERSION,
    execution: storedJson(exec),
  };
}
