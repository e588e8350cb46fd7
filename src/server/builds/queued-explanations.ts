/**
 * "A build no agent can take stays QUEUED and says why" (issue 8): computed on read, so that no
 * sweep has to write a build an agent may be leasing at that moment. A QUEUED build whose job no
 * connected agent can run (kind, labels, fleet, target; core/job-routing.ts) gets a context on
 * its QUEUED phase, shown by BatchGetBuilds, the native API and `nagare build show`.
 */
import { canRun, whyWaiting } from '../../core/job-routing.js';
import type { StoredBuild } from '../../core/store.js';
import type { ServerContext } from '../server-context.js';

/** The context's status code; stable, as clients may look for it. */
export const NO_MATCHING_AGENT = 'NO_MATCHING_AGENT';

/**
 * An agent counts as connected when seen this recently: agents touch the server at every lease
 * call (a long poll of at most 60 s) and every heartbeat.
 */
export const CONNECTED_WITHIN_MS = 120_000;

/** The builds, with the QUEUED phase of each waiting one saying why when no connected agent can take it. */
export async function explainQueued(context: ServerContext, builds: readonly StoredBuild[]): Promise<StoredBuild[]> {
  const queued = builds.filter((build) => build.currentPhase === 'QUEUED');
  if (queued.length === 0) return [...builds];
  const agents = await context.store.agents.seenSince(context.clock() - CONNECTED_WITHIN_MS);
  const explained = new Map<string, StoredBuild>();
  // One query for the page's jobs, not one per queued build (bench/dashboard: 100 queued builds).
  const jobs = new Map((await context.store.jobs.getMany(queued.map((build) => build.id))).map((job) => [job.id, job]));
  for (const build of queued) {
    const job = jobs.get(build.id);
    if (!job || job.state !== 'QUEUED' || agents.some((agent) => canRun(agent, job))) continue;
    const data = build.record;
    const context_ = { statusCode: NO_MATCHING_AGENT, message: whyWaiting(job) };
    const phases = data.phases.map((phase) => (phase.phaseType === 'QUEUED' && phase.endTime === undefined ? { ...phase, contexts: [...phase.contexts.filter((c) => c.statusCode !== NO_MATCHING_AGENT), context_] } : phase));
    explained.set(build.id, { ...build, record: { ...data, phases } });
  }
  return builds.map((build) => explained.get(build.id) ?? build);
}
