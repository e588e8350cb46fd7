/**
 * A leased build that nagare itself could not run on this host (its work directory cannot be
 * created, the source cannot be fetched or unpacked …) is reported at once as FAULT with the
 * reason, rather than left for its lease to run out: a lost lease puts the build back in the
 * queue, and a fault that comes back on every lease would be handed from agent to agent.
 */
import type { BuildJob } from '../core/build-job.js';
import type { PhaseRecord } from '../core/build-phases.js';
import { isLeaseExpired, type AgentClient } from '../client/agent-client.js';
import type { AgentLogger } from './agent-logger.js';

/** True when the server took the report; false when it could not be sent (the lease then runs out). */
export async function reportJobFault(client: AgentClient, job: BuildJob, agentName: string, error: unknown, logger: AgentLogger, signal: AbortSignal): Promise<boolean> {
  const reason = error instanceof Error ? error.message : String(error);
  const now = Date.now();
  const phases: PhaseRecord[] = [
    { phaseType: 'PROVISIONING', phaseStatus: 'FAULT', startTime: now, endTime: now, contexts: [{ statusCode: 'AGENT_ERROR', message: `Agent ${agentName} could not run the build: ${reason}` }] },
    { phaseType: 'COMPLETED', phaseStatus: undefined, startTime: now, endTime: undefined, contexts: [] },
  ];
  try {
    await client.complete(job.buildId, { buildStatus: 'FAULT', phases, exportedEnvironmentVariables: [], reports: [], resolvedSourceVersion: undefined }, { signal });
    return true;
  } catch (reportError) {
    if (!isLeaseExpired(reportError)) logger.warn(`could not report the fault of ${job.buildId} (${reportError instanceof Error ? reportError.message : String(reportError)}); its lease will run out`);
    return false;
  }
}
