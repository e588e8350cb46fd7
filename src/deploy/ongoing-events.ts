/**
 * The marker of a lifecycle event in progress, as the CodeDeploy agent's tracking file: written
 * before an event starts, removed when its result is known. A marker found when the agent starts
 * means the agent (or its host) died during that event; the agent reports it failed (the agent's
 * code 7, "failed after restart") instead of running it again.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkPlainName, writeFileAtomically } from './deployment-root.js';

/** An event that was running when the agent stopped. */
export interface InterruptedEvent {
  readonly deploymentId: string;
  readonly deploymentGroupId: string;
  readonly event: string;
  readonly startTime: number;
}

/**
 * A marker read back from its file, checked by hand: four fields do not need zod, which `nagare
 * deploy local` would otherwise load at start for this alone (start-up time, docs/benchmarks.md).
 */
function asMarker(value: unknown): InterruptedEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { deploymentId, deploymentGroupId, event, startTime } = value as Record<string, unknown>;
  if (typeof deploymentId !== 'string' || typeof deploymentGroupId !== 'string' || typeof event !== 'string' || typeof startTime !== 'number') return undefined;
  return { deploymentId, deploymentGroupId, event, startTime };
}

function markersDir(deploymentRoot: string): string {
  return path.join(deploymentRoot, 'ongoing-events');
}

function markerFile(deploymentRoot: string, deploymentId: string): string {
  return path.join(markersDir(deploymentRoot), `${checkPlainName(deploymentId, 'The deployment id')}.json`);
}

export async function markEventStarted(deploymentRoot: string, marker: InterruptedEvent): Promise<void> {
  await writeFileAtomically(markerFile(deploymentRoot, marker.deploymentId), JSON.stringify(marker));
}

export async function markEventEnded(deploymentRoot: string, deploymentId: string): Promise<void> {
  await rm(markerFile(deploymentRoot, deploymentId), { force: true });
}

/**
 * The events that were in progress under `deploymentRoot` when the process running them stopped.
 * Call it at start, before running anything; report each as failed, then `forgetInterruptedEvent`.
 * Unreadable markers (a torn write cannot happen, but a hand-edited file can) are skipped.
 */
export async function interruptedEvents(deploymentRoot: string): Promise<InterruptedEvent[]> {
  const names = await readdir(markersDir(deploymentRoot)).catch(() => [] as string[]);
  const events: InterruptedEvent[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    const text = await readFile(path.join(markersDir(deploymentRoot), name), 'utf8').catch(() => '');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    const marker = asMarker(value);
    if (marker) events.push(marker);
  }
  return events;
}

export async function forgetInterruptedEvent(deploymentRoot: string, deploymentId: string): Promise<void> {
  await markEventEnded(deploymentRoot, deploymentId);
}
