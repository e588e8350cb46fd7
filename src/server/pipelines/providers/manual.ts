/**
 * Manual approvals: the machine itself waits for PutApprovalResult or the timeout, so there is no
 * work to start or stop; a waiting approval is logged and published once per token
 * (ApprovalNeeded) for the dashboard's live feed. Reconciliation re-derives REQUEST_APPROVAL on
 * every pass: this process remembers the tokens it told (a restarted server tells them once more).
 * Announcing it to people is the notification rules' work: the stored `CodePipeline Action
 * Execution State Change` (STARTED, category Approval) is `codepipeline-pipeline-manual-approval-needed`.
 */
import { pipelineActionTrace } from '../../events/trace.js';
import type { ActionProvider } from './action-provider.js';

export function manualApprovalProvider(): ActionProvider {
  const announced = new Set<string>();
  return {
    provider: 'Manual',
    actionTypes: [{ category: 'Approval', owner: 'AWS' }],
    resultEvents: [],
    resultFrom: () => undefined,
    abandon: () => Promise.resolve(),
    run: (_services, { effect }) => Promise.resolve({ ok: false, message: `Manual approval ${effect.action} waits for PutApprovalResult; it is not run` }),
    requestApproval(services, pipelineName, approval) {
      if (announced.has(approval.token)) return;
      announced.add(approval.token);
      void pipelineActionTrace(services.context.store, { pipelineName, executionId: approval.executionId, stageName: approval.stage, actionName: approval.action, attempt: approval.attempt }).then((trace) => {
        services.context.logger.info({ pipeline: pipelineName, executionId: approval.executionId, stage: approval.stage, action: approval.action, expires: new Date(approval.expiresAt).toISOString(), traceId: trace.traceId }, 'manual approval waiting');
      }, (error: unknown) => services.context.logger.warn({ err: error, pipeline: pipelineName }, 'could not read the trace of a waiting approval'));
      services.context.events.publish({ type: 'ApprovalNeeded', pipelineName, approval });
    },
  };
}
