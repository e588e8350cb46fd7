/** The fleet: every agent with its health, last heartbeat, tags and the jobs it runs now. */
import { useEffect } from 'preact/hooks';
import { client } from '../api.js';
import { useLive } from '../live.js';
import { Empty, ErrorNote, Loading, Status, Time, useData } from '../ui.js';

export function FleetPage(): preact.JSX.Element {
  const { data, error, reload } = useData(() => client.listAgents(), []);
  useLive((change) => change.type === 'BuildStateChanged', reload);
  // Health changes with time (an agent not seen for two minutes is LOST), not with an event.
  useEffect(() => {
    const timer = setInterval(reload, 15_000);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <>
      <h1>Fleet</h1>
      <p class="muted">Hosts running <code>nagare agent</code>. Deployments will show here by application and group once they exist.</p>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? <Loading /> : data.agents.length === 0 ? (
        <Empty title="No agents yet">
          <p>Start one on a host: <code>nagare agent-token create</code>, then <code>nagare agent --server {window.location.origin} --token TOKEN</code>.</p>
        </Empty>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th scope="col">Agent</th><th scope="col">Health</th><th scope="col">Last heartbeat</th><th scope="col">Fleet / labels</th><th scope="col">Tags</th><th scope="col">Current job</th></tr></thead>
            <tbody>
              {data.agents.map((agent) => (
                <tr key={agent.id}>
                  <td>{agent.name} <span class="muted small">{agent.id}</span></td>
                  <td><Status status={agent.health} /></td>
                  <td><Time iso={agent.lastSeenAt} /></td>
                  <td>{agent.fleet ?? '—'}{agent.labels.length > 0 ? ` · ${agent.labels.join(', ')}` : ''}</td>
                  <td>{Object.entries(agent.tags).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</td>
                  <td>{agent.currentJobs.length === 0 ? <span class="muted">idle</span> : agent.currentJobs.map((job) => <a key={job} href={`/builds/${encodeURIComponent(job)}`}>{job.slice(-8)} </a>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
