/**
 * One build: phases and durations, the log live over SSE with ANSI colours, follow-tail and search,
 * artifacts to download, test reports (totals, failing cases), exported variables; stop and retry.
 */
import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { client, localPath } from '../api.js';
import { ansiSegments } from '../ansi.js';
import { useLive } from '../live.js';
import { navigate } from '../router.js';
import { batchHref } from './build-batch.js';
import type { BuildSummary } from './builds.js';
import { ErrorNote, Loading, Status, Time, duration, useAction, useData } from '../ui.js';

interface Phase { readonly phaseType: string; readonly phaseStatus?: string; readonly startTime: string; readonly endTime?: string; readonly durationInSeconds?: number }
interface TestCase { readonly name: string; readonly prefix?: string; readonly status: string; readonly message?: string }
interface Report { readonly name: string; readonly type: string; readonly status?: string; readonly summary?: { total: number; statusCounts: Record<string, number> }; readonly testCases?: readonly TestCase[] }
interface Build extends BuildSummary {
  readonly phases: readonly Phase[];
  readonly artifacts?: { location: string; sha256sum?: string };
  readonly secondaryArtifacts: readonly { artifactIdentifier?: string; location: string }[];
  readonly exportedEnvironmentVariables: readonly { name: string; value: string }[];
  readonly reports: readonly Report[];
  readonly buildComplete: boolean;
}

function LiveLog({ id }: { id: string }): preact.JSX.Element {
  const [text, setText] = useState('');
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [ended, setEnded] = useState<string | undefined>(undefined);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    const source = new EventSource(`/api/v1/builds/${encodeURIComponent(id)}/logs?follow=1`);
    source.addEventListener('log', (event) => setText((previous) => previous + (event as MessageEvent<string>).data));
    source.addEventListener('end', (event) => {
      setEnded((JSON.parse((event as MessageEvent<string>).data) as { buildStatus: string }).buildStatus);
      source.close();
    });
    // The browser would reconnect and send the whole log again: stop instead.
    source.addEventListener('error', () => source.close());
    return () => source.close();
  }, [id]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [text, follow]);
  const lines = useMemo(() => {
    const all = text.split('\n');
    return search === '' ? all : all.filter((line) => line.toLowerCase().includes(search.toLowerCase()));
  }, [text, search]);
  return (
    <section aria-label="Build log">
      <div class="log-tools">
        <h2>Log</h2>
        <label><input type="checkbox" checked={follow} onChange={(e) => setFollow((e.currentTarget).checked)} /> Follow</label>
        <label>Search <input type="search" value={search} onInput={(e) => setSearch((e.currentTarget).value)} /></label>
        <a href={`/api/v1/builds/${encodeURIComponent(id)}/logs`} download={`${id}.log`}>Raw log</a>
        <span class="muted small" aria-live="polite">{ended !== undefined ? `ended: ${ended}` : 'live'}</span>
      </div>
      <pre class="log" ref={box} tabIndex={0} aria-label="Log text" data-testid="log">
        {lines.map((line, index) => (
          <div key={index}>{ansiSegments(line).map((segment, part) => (segment.classes === '' ? segment.text : <span key={part} class={segment.classes}>{segment.text}</span>))}</div>
        ))}
      </pre>
    </section>
  );
}

export function BuildPage({ id }: { id: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => (await client.getBuild(id)).build as unknown as Build, [id]);
  useLive((change) => change.buildId === id, reload);
  const change = useAction(reload);
  if (data === undefined) return <>{error !== undefined ? <ErrorNote error={error} /> : <Loading />}</>;
  const build = data;
  const artifacts = [...(build.artifacts ? [{ label: 'Primary artifact', location: build.artifacts.location }] : []), ...build.secondaryArtifacts.map((a) => ({ label: a.artifactIdentifier ?? 'Secondary artifact', location: a.location }))];
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/builds">Builds</a> / <a href={`/builds?project=${encodeURIComponent(build.projectName)}`}>{build.projectName}</a> / #{build.buildNumber ?? ''}</nav>
      <h1>{build.projectName} #{build.buildNumber ?? ''} <Status status={build.buildStatus} /></h1>
      <p class="muted">Started <Time iso={build.startTime} /> by {build.initiator ?? 'unknown'} · {duration(build.startTime, build.endTime)}{build.resolvedSourceVersion ? <> · commit <code>{build.resolvedSourceVersion.slice(0, 12)}</code></> : null}{build.batch ? <> · <code>{build.batch.identifier}</code> of <a href={batchHref(build.batch.id)}>its build batch</a></> : null}</p>
      <div class="actions">
        {!build.buildComplete && <button type="button" class="danger" disabled={change.busy} onClick={() => change.run(() => client.stopBuild(id))}>Stop build</button>}
        {build.buildComplete && <button type="button" disabled={change.busy} onClick={() => change.run(async () => navigate(`/builds/${encodeURIComponent(String((await client.startBuild(build.projectName)).build.id))}`))}>Start a new build</button>}
        {change.error !== undefined && <ErrorNote error={change.error} />}
      </div>
      <div class="build-grid">
        <section aria-label="Phases">
          <h2>Phases</h2>
          <ol class="phases">
            {build.phases.map((phase) => (
              // COMPLETED marks the end: it has no status or duration of its own.
              phase.phaseType === 'COMPLETED'
                ? <li key={phase.phaseType}><span>{phase.phaseType}</span></li>
                : <li key={phase.phaseType}><span>{phase.phaseType}</span> <Status status={phase.phaseStatus ?? (phase.endTime ? undefined : 'IN_PROGRESS')} /> <span class="muted">{phase.durationInSeconds !== undefined ? `${phase.durationInSeconds} s` : duration(phase.startTime, undefined)}</span></li>
            ))}
          </ol>
        </section>
        <section aria-label="Outputs">
          <h2>Artifacts</h2>
          {artifacts.length === 0 ? <p class="muted">This build uploaded no artifacts.</p> : (
            <ul class="plain">{artifacts.map((a) => <li key={a.location}><a href={localPath(a.location)} download>{a.label} (zip)</a></li>)}</ul>
          )}
          <h2>Exported variables</h2>
          {build.exportedEnvironmentVariables.length === 0 ? <p class="muted">None.</p> : (
            <dl class="variables">{build.exportedEnvironmentVariables.map((v) => <Fragment key={v.name}><dt>{v.name}</dt><dd>{v.value}</dd></Fragment>)}</dl>
          )}
        </section>
      </div>
      {build.reports.length > 0 && (
        <section aria-label="Reports">
          <h2>Reports</h2>
          {build.reports.map((report) => {
            const failing = (report.testCases ?? []).filter((t) => t.status === 'FAILED' || t.status === 'ERROR');
            return (
              <article key={report.name} class="report">
                <h3>{report.name} <Status status={report.status} /></h3>
                {report.summary && <p>{report.summary.total} tests: {Object.entries(report.summary.statusCounts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ')}</p>}
                {failing.length > 0 && <ul class="failing">{failing.map((t, i) => <li key={i}><strong>{t.prefix ? `${t.prefix} ` : ''}{t.name}</strong>{t.message ? <pre>{t.message}</pre> : null}</li>)}</ul>}
              </article>
            );
          })}
        </section>
      )}
      <LiveLog id={id} />
    </>
  );
}
