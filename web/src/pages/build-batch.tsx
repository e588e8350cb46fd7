/**
 * One build batch: its build groups (identifier, what each depends on, status) with their builds,
 * linked; refreshed from the live feed when the batch or one of its project's builds changes.
 */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { ErrorNote, Loading, Status, Time, duration, useData } from '../ui.js';

export const batchHref = (id: string): string => `/builds/batches/${encodeURIComponent(id)}`;

export function BuildBatchPage({ id }: { id: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => (await client.getBuildBatch(id)).batch, [id]);
  useLive((change) => change.batchId === id || (data !== undefined && change.type === 'BuildStateChanged' && change.projectName === data.projectName), reload);
  if (data === undefined) return <>{error !== undefined ? <ErrorNote error={error} /> : <Loading />}</>;
  const batch = data;
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/builds">Builds</a> / <a href={`/builds?project=${encodeURIComponent(batch.projectName)}`}>{batch.projectName}</a> / batch #{batch.batchNumber}</nav>
      <h1>{batch.projectName} batch #{batch.batchNumber} <Status status={batch.status} /></h1>
      <p class="muted">{batch.kind} · started <Time iso={batch.startTime} /> by {batch.initiator} · {duration(batch.startTime, batch.endTime)}{batch.sourceVersion ? <> · source <code>{batch.sourceVersion.slice(0, 12)}</code></> : null}</p>
      {error !== undefined && <ErrorNote error={error} />}
      <h2>Build groups</h2>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Build groups">
        <table>
          <thead><tr><th scope="col">Identifier</th><th scope="col">Status</th><th scope="col">Depends on</th><th scope="col">Builds</th></tr></thead>
          <tbody>
            {batch.groups.map((group) => (
              <tr key={group.identifier}>
                <th scope="row"><code>{group.identifier}</code>{group.ignoreFailure ? <span class="muted small"> (failure ignored)</span> : null}</th>
                <td><Status status={group.status} /></td>
                <td>{group.dependsOn.length === 0 ? '—' : group.dependsOn.join(', ')}</td>
                <td>{group.builds.length === 0 ? <span class="muted">not started</span> : group.builds.map((build, index) => (
                  <span key={build.id}>{index > 0 ? ' · ' : ''}<a href={`/builds/${encodeURIComponent(build.id)}`}>#{build.buildNumber ?? build.id.slice(-8)}</a> <Status status={build.buildStatus} /></span>
                ))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Phases</h2>
      <ol class="phases">
        {batch.phases.map((phase) => <li key={phase.phaseType}><span>{phase.phaseType}</span> {phase.phaseStatus ? <Status status={phase.phaseStatus} /> : null} <span class="muted">{phase.endTime ? duration(phase.startTime, phase.endTime) : ''}</span></li>)}
      </ol>
    </>
  );
}
