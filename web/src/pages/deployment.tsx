/**
 * One deployment: its revision, group and configuration, the rollback links (the deployment that
 * rolled it back, the one it rolls back), and each instance with its lifecycle events (status,
 * duration, and on a failure the script, its message and the end of scripts.log); Stop deployment.
 * Refreshed every 3 s while it runs (deployments publish nothing on the live feed), every 15 s after.
 */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { ErrorNote, Loading, Status, Time, duration, useAction, useData, usePeriodicRefresh } from '../ui.js';
import type { DeploymentInstanceView } from '../../../src/protocol/native-deployments.js';
import { deploymentHref } from './deployments.js';

const ENDED = new Set(['Succeeded', 'Failed', 'Stopped']);

function Instance({ instance }: { instance: DeploymentInstanceView }): preact.JSX.Element {
  const failed = instance.lifecycleEvents.filter((e) => e.diagnostics !== undefined && e.status === 'Failed');
  return (
    <section class="card" aria-label={`Instance ${instance.instanceName}`}>
      <h3>{instance.instanceName} <Status status={instance.status} /> <span class="muted small">{instance.startTime ? duration(instance.startTime, instance.endTime) : ''}</span></h3>
      {instance.failure && <p class="error-text">{instance.failure.code}: {instance.failure.message}</p>}
      {instance.lifecycleEvents.length === 0 ? <p class="muted">No lifecycle event has run yet.</p> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={`Lifecycle events of ${instance.instanceName}`}>
          <table>
            <thead><tr><th scope="col">Lifecycle event</th><th scope="col">Status</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {instance.lifecycleEvents.map((event) => (
                <tr key={event.lifecycleEventName}>
                  <td><code>{event.lifecycleEventName}</code></td>
                  <td><Status status={event.status} /></td>
                  <td>{event.startTime === undefined || event.status === 'Skipped' ? '—' : duration(event.startTime, event.endTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {failed.map((event) => (
        <div key={event.lifecycleEventName} class="diagnostics">
          <p><strong>{event.lifecycleEventName} failed</strong>: {event.diagnostics?.errorCode}{event.diagnostics?.scriptName ? <> in <code>{event.diagnostics.scriptName}</code></> : null}</p>
          <p>{event.diagnostics?.message}</p>
          {event.diagnostics?.logTail ? (
            <>
              <p class="muted small">End of scripts.log</p>
              <pre class="log" tabIndex={0} aria-label={`End of scripts.log of ${instance.instanceName}`}>{event.diagnostics.logTail}</pre>
            </>
          ) : null}
        </div>
      ))}
    </section>
  );
}

export function DeploymentPage({ id }: { id: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => (await client.getDeployment(id)).deployment, [id]);
  useLive((change) => change.type === 'DeploymentChanged' && change.deploymentId === id, reload);
  usePeriodicRefresh(reload, data === undefined || !ENDED.has(data.status) ? 3_000 : 15_000);
  const stop = useAction(reload);
  if (data === undefined) return <>{error !== undefined ? <ErrorNote error={error} /> : <Loading />}</>;
  const d = data;
  const pipeline = d.requestedBy?.startsWith('codepipeline/') ? d.requestedBy.slice('codepipeline/'.length) : undefined;
  const groupHref = `/deployments?application=${encodeURIComponent(d.applicationName)}&group=${encodeURIComponent(d.deploymentGroupName)}`;
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/deployments">Deployments</a> / <a href={`/deployments?application=${encodeURIComponent(d.applicationName)}`}>{d.applicationName}</a> / <a href={groupHref}>{d.deploymentGroupName}</a> / <code>{d.deploymentId}</code></nav>
      <h1>Deployment <code>{d.deploymentId}</code> <Status status={d.status} /></h1>
      <p class="muted">
        Created <Time iso={d.createTime} /> by {d.creator === 'codeDeployRollback' ? 'automatic rollback' : pipeline !== undefined ? <>pipeline <a href={`/pipelines/${encodeURIComponent(pipeline)}`}>{pipeline}</a></> : d.creator}
        {' · '}{duration(d.startTime ?? d.createTime, ENDED.has(d.status) ? d.completeTime ?? d.createTime : undefined)}
        {d.description ? <> · {d.description}</> : null}
      </p>
      {!ENDED.has(d.status) && (
        <div class="actions">
          <button type="button" class="danger" disabled={stop.busy} onClick={() => stop.run(() => client.codeDeploy('StopDeployment', { deploymentId: d.deploymentId }))}>Stop deployment</button>
          {stop.error !== undefined && <ErrorNote error={stop.error} />}
        </div>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      {d.errorInformation && <p class="error" role="status">{d.errorInformation.code}: {d.errorInformation.message}</p>}
      {d.rollbackInfo && (
        <section class="card rollback" aria-label="Rollback">
          <h2>Rollback</h2>
          {d.rollbackInfo.rollbackDeploymentId !== undefined && <p>Rolled back by <a href={deploymentHref(d.rollbackInfo.rollbackDeploymentId)}><code>{d.rollbackInfo.rollbackDeploymentId}</code></a></p>}
          {d.rollbackInfo.rollbackTriggeringDeploymentId !== undefined && <p>Rolls back <a href={deploymentHref(d.rollbackInfo.rollbackTriggeringDeploymentId)}><code>{d.rollbackInfo.rollbackTriggeringDeploymentId}</code></a></p>}
          {d.rollbackInfo.rollbackMessage !== undefined && <p class="muted">{d.rollbackInfo.rollbackMessage}</p>}
        </section>
      )}
      <dl class="details">
        <dt>Revision</dt><dd><code>{d.revision.label}</code>{d.revision.s3Location?.eTag ? <span class="muted small"> eTag {d.revision.s3Location.eTag}</span> : null}</dd>
        <dt>Deployment group</dt><dd><a href={groupHref}>{d.applicationName} / {d.deploymentGroupName}</a> (<a href="/fleet">its instances</a>)</dd>
        <dt>Configuration</dt><dd>{d.deploymentConfigName}</dd>
        <dt>Automatic rollback</dt><dd>{d.autoRollbackConfiguration.enabled ? d.autoRollbackConfiguration.events.join(', ') : 'off'}</dd>
        <dt>Instances</dt><dd>{d.overview.Succeeded} succeeded, {d.overview.Failed} failed, {d.overview.InProgress} in progress, {d.overview.Pending} pending, {d.overview.Skipped} skipped</dd>
      </dl>
      <h2>Instances</h2>
      {d.instances.length === 0 ? <p class="muted">No instance {d.status === 'Created' || d.status === 'Queued' ? 'chosen yet' : 'matched the group’s tags'}. Start <code>nagare agent --instance-name NAME --tags …</code> on a host with the group’s tags.</p> : d.instances.map((instance) => <Instance key={instance.instanceName} instance={instance} />)}
    </>
  );
}
