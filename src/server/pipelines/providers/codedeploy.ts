/**
 * CodeDeploy deploy actions (reference §3.2, §4): a deployment of the action's input artifact to
 * `ApplicationName`/`DeploymentGroupName`. The deployment id is derived from the action attempt,
 * so it is created once whoever runs the attempt; the result is read when the driver's
 * reconciliation asks again (the deployment's end is stored, not announced). Abandoning it stops it.
 */
import { createHash } from 'node:crypto';
import type { PipelineActionRef } from '../../../core/build-job.js';
import type { Deployment } from '../../../core/deployment.js';
import { NagareError } from '../../../core/errors.js';
import { PIPELINE_ARTIFACT_BUCKET } from '../../deployments/revisions-service.js';
import { pipelineActionTrace } from '../../events/trace.js';
import type { Services } from '../../services.js';
import type { ActionProvider, ActionResult } from './action-provider.js';

/** `d-` and nine characters fixed by the attempt. */
export function actionDeploymentId(ref: PipelineActionRef): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const digest = createHash('sha256').update(JSON.stringify(['codedeploy', ref.pipelineName, ref.executionId, ref.stageName, ref.actionName, ref.attempt])).digest();
  return `d-${[...digest.subarray(0, 9)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

async function existing(services: Services, deploymentId: string): Promise<Deployment | undefined> {
  return (await services.context.store.deployments.get(deploymentId))?.deployment;
}

function resultOf(services: Services, deployment: Deployment): ActionResult | undefined {
  if (!services.deployments.isComplete(deployment)) return undefined;
  const { status, errorInformation } = deployment.rollout;
  if (status === 'Succeeded') return { ok: true, outputArtifacts: {}, outputVariables: {}, summary: `Deployment ${deployment.deploymentId} succeeded`, externalExecutionId: deployment.deploymentId };
  return { ok: false, message: `Deployment ${deployment.deploymentId} ended ${status}${errorInformation ? `: ${errorInformation.code} ${errorInformation.message}` : ''}`, externalExecutionId: deployment.deploymentId };
}

export const codeDeployProvider: ActionProvider = {
  provider: 'CodeDeploy',
  actionTypes: [{ category: 'Deploy', owner: 'AWS' }],
  resultEvents: [],
  async run(services, { pipelineName, ref, effect }) {
    const deploymentId = actionDeploymentId(ref);
    const found = await existing(services, deploymentId);
    if (found) return resultOf(services, found);
    const input = Object.values(effect.inputArtifacts)[0];
    if (input === undefined) return { ok: false, message: 'The CodeDeploy action has no input artifact to deploy' };
    try {
      const created = await services.deployments.create({
        deploymentId,
        applicationName: effect.configuration.ApplicationName ?? '',
        deploymentGroupName: effect.configuration.DeploymentGroupName ?? '',
        revision: { revisionType: 'S3', s3Location: { bucket: PIPELINE_ARTIFACT_BUCKET, key: input, bundleType: 'zip' } },
        description: `Pipeline ${pipelineName}, execution ${ref.executionId}, action ${ref.actionName}`,
        requestedBy: `codepipeline/${pipelineName}`,
        parentTrace: await pipelineActionTrace(services.context.store, ref),
      });
      return resultOf(services, created);
    } catch (error) {
      // Another server created it between the look and the create: its result comes later.
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') return undefined;
      return { ok: false, message: error instanceof Error ? error.message : String(error), externalExecutionId: deploymentId };
    }
  },
  resultFrom() {
    return undefined;
  },
  async abandon(services, { ref }) {
    const found = await existing(services, actionDeploymentId(ref));
    if (found && !services.deployments.isComplete(found)) await services.deployments.stop(found.deploymentId);
  },
};
