/**
 * Live updates: one EventSource on /api/v1/live for the whole page. A page says which changes
 * concern it and is refreshed (fetched again, at most every 300 ms) when one comes, so what it
 * shows is always what the API says, never a patched copy.
 */
import { useEffect, useRef } from 'preact/hooks';

export type Change = Readonly<Record<string, string | undefined>> & { readonly type: string };
type Listener = (change: Change) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;

export function startLive(): void {
  if (source) return;
  source = new EventSource('/api/v1/live');
  source.addEventListener('change', (event) => {
    const change = JSON.parse((event as MessageEvent<string>).data) as Change;
    for (const listener of listeners) listener(change);
  });
  // Reconnecting (the browser does) may have missed changes: every page fetches again.
  source.addEventListener('ready', () => {
    for (const listener of listeners) listener({ type: 'Resync' });
  });
}

export function stopLive(): void {
  source?.close();
  source = undefined;
}

/** Calls `refresh` (debounced) when a change `concerns` the page; a Resync concerns every page. */
export function useLive(concerns: (change: Change) => boolean, refresh: () => void): void {
  const latest = useRef({ concerns, refresh });
  latest.current = { concerns, refresh };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (change) => {
      if (change.type !== 'Resync' && !latest.current.concerns(change)) return;
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        latest.current.refresh();
      }, 300);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
}
