/** The dashboard's small design system: status badges, times, empty states, loading of data. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { isSignedOut } from './api.js';
import { navigate } from './router.js';

/** Status colours match the CLI's: green succeeded, yellow running or waiting, red failed. */
export function statusTone(status: string | undefined): 'ok' | 'running' | 'failed' | 'idle' {
  switch (status) {
    case 'SUCCEEDED': case 'Succeeded': case 'Approved': case 'CONNECTED':
      return 'ok';
    case 'IN_PROGRESS': case 'InProgress': case 'QUEUED': case 'Queued': case 'Created': case 'Stopping': case 'Superseded':
      return 'running';
    case 'FAILED': case 'Failed': case 'FAULT': case 'TIMED_OUT': case 'STOPPED': case 'Stopped': case 'Abandoned': case 'Rejected': case 'LOST': case 'Cancelled':
      return 'failed';
    default:
      return 'idle';
  }
}

export function Status({ status }: { status: string | undefined }): preact.JSX.Element {
  return <span class={`status status-${statusTone(status)}`}>{status ?? 'Not run'}</span>;
}

export function Time({ iso }: { iso: string | number | undefined }): preact.JSX.Element {
  if (iso === undefined) return <span class="muted">—</span>;
  const date = new Date(iso);
  return <time dateTime={date.toISOString()} title={date.toISOString()}>{date.toLocaleString()}</time>;
}

export function duration(start: string | number | undefined, end: string | number | undefined): string {
  if (start === undefined) return '—';
  const ms = (end === undefined ? Date.now() : new Date(end).getTime()) - new Date(start).getTime();
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What to do next when there is nothing to show. */
export function Empty({ title, children }: { title: string; children: ComponentChildren }): preact.JSX.Element {
  return (
    <section class="empty">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: unknown }): preact.JSX.Element {
  const { code, message } = error as { code?: string; message?: string };
  return <p class="error" role="alert">{code ? `${code}: ` : ''}{message ?? String(error)}</p>;
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly reload: () => void;
}

/** Loads `load()` now and on `reload`; a lost session goes to sign-in. */
export function useData<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown }>({ data: undefined, error: undefined });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: undefined }),
      (error: unknown) => {
        if (!current) return;
        if (isSignedOut(error)) navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, true);
        else setState((previous) => ({ data: previous.data, error }));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { data: state.data, error: state.error, reload };
}

/** Calls `reload` every `ms` (what changes with time or has no event on the live feed); 0 stops. */
export function usePeriodicRefresh(reload: () => void, ms: number): void {
  useEffect(() => {
    if (ms <= 0) return undefined;
    const timer = setInterval(reload, ms);
    return () => clearInterval(timer);
  }, [reload, ms]);
}

export function Loading(): preact.JSX.Element {
  return <p class="muted" aria-live="polite">Loading…</p>;
}

/** Runs a change (approve, stop…) and reports its error beside the button. */
export function useAction(after: () => void): { run: (work: () => Promise<unknown>) => void; busy: boolean; error: unknown } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = (work: () => Promise<unknown>): void => {
    setBusy(true);
    setError(undefined);
    work().then(
      () => { setBusy(false); after(); },
      (failure: unknown) => { setBusy(false); setError(failure); },
    );
  };
  return { run, busy, error };
}
