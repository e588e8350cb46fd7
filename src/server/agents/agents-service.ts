/**
 * The server side of the agent protocol: agents lease jobs they can run (long poll; kind, labels,
 * fleet and target decide, see core/job-routing.ts), renew the lease with
 * heartbeats that carry live phases and return whether a stop was requested, stream logs in
 * ordered idempotent chunks, upload artifacts and report the result.
 *
 * Every call after `register` names a build the agent holds; a call about a build whose lease the
 * agent lost gets AGENT_LEASE_EXPIRED and changes nothing.
 */
import type { StoredArtifact } from '../../core/build-job.js';
import { NagareError } from '../../core/errors.js';
import { plainAgent, type AgentCapabilities } from '../../core/job-routing.js';
import type { Completion, Heartbeat, LeasedJob } from '../../protocol/agent-protocol.js';
import type { AgentView } from '../../protocol/native-agents.js';
import { SERVER_LOG_SLACK_BYTES } from '../../core/log-limits.js';
import type { Job, StoredBuild } from '../../core/store.js';
import type { DeployJobPayload } from '../../protocol/deploy-job.js';
import { applyBuildLife } from '../../core/build-life.js';
import { artifactBlobKey, logBlobKey } from '../builds/build-records.js';
import { namesOutside, serverKnownNames, unionOf, type ParameterNames } from '../builds/job-parameter-names.js';
import { CONNECTED_WITHIN_MS } from '../builds/queued-explanations.js';
import type { ServerContext } from '../server-context.js';
import { buildEvents } from '../events/aws-events.js';
import { traceIdOf } from '../events/trace.js';

export type { Completion, Heartbeat } from '../../protocol/agent-protocol.js';

/** What leasing needs of the deployments (server/deployments/deployment-effects.ts). */
export interface DeployJobSource {
  /** The payload of a leased deploy job, or undefined when its deployment no longer wants it. */
  leased(job: Job): Promise<DeployJobPayload | undefined>;
}

export interface Lease {
  readonly job: LeasedJob;
  readonly stopRequested: boolean;
}

export class AgentsService {
  constructor(
    private readonly context: ServerContext,
    private readonly deployJobs?: DeployJobSource,
  ) {}

  /**
   * Waits up to `waitMs` for a job this agent can run; undefined when none came. The claim sets the
   * lease's expiry as a heartbeat would, and `stopRequested` is what that heartbeat would answer
   * (protocol version 2: the agent sends no heartbeat right after leasing).
   */
  async lease(agentId: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    const { store, clock, settings, notifier } = this.context;
    const deadline = clock() + waitMs;
    await store.agents.touch(agentId, clock());
    const agent = await store.agents.get(agentId);
    const capabilities: AgentCapabilities = agent ? { id: agentId, kinds: agent.kinds, labels: agent.labels, fleet: agent.fleet } : plainAgent(agentId);
    for (;;) {
      const job = await store.jobs.claim(agentId, clock(), settings.leaseMs, await this.projectsAtLimit(), capabilities);
      if (job?.kind === 'deploy') {
        const deploy = await this.deployJobs?.leased(job);
        if (!deploy) {
          await store.jobs.cancel(job.id);
          continue;
        }
        this.context.logger.info({ jobId: job.id, agentId, traceId: traceIdOf(deploy.traceParent) }, 'deploy job leased');
        return { job: { kind: 'deploy', id: job.id, deploy }, stopRequested: false };
      }
      if (job) {
        const build = await store.builds.get(job.id);
        // A job whose build is gone or already ended (stopped or deleted while it had no job) is dropped.
        if (!build || build.currentPhase === 'COMPLETED') {
          await store.jobs.cancel(job.id);
          continue;
        }
        const now = clock();
        await store.builds.update(build.id, applyBuildLife(build, { type: 'LEASED', agentId, at: now }), (before, after) => buildEvents(this.context, before, after));
        this.context.events.publish({ type: 'BuildPhaseChanged', buildId: build.id, previousPhase: build.currentPhase, currentPhase: 'PROVISIONING' });
        this.context.metrics.queueDuration.observe((now - build.startTime) / 1000);
        this.context.logger.info({ buildId: build.id, agentId, traceId: traceIdOf(build.record.job.traceParent) }, 'build leased');
        return { job: { kind: 'build', id: job.id, build: build.record.job }, stopRequested: build.stopRequested };
      }
      const left = deadline - clock();
      if (left <= 0 || signal?.aborted) return undefined;
      // Woken by a local StartBuild; the poll covers builds started on another server.
      await notifier.wait('jobs', Math.min(left, 1000), signal);
    }
  }

  /** Every registered agent, by name, with its health and the jobs it holds now. */
  async list(): Promise<AgentView[]> {
    const { store, clock } = this.context;
    const now = clock();
    const leased = await store.jobs.leased();
    return (await store.agents.list()).map((agent) => ({
      id: agent.id,
      name: agent.name,
      ...(agent.fleet === undefined ? {} : { fleet: agent.fleet }),
      labels: [...agent.labels],
      kinds: [...agent.kinds],
      imageMap: [...agent.imageMap],
      tags: { ...agent.tags },
      registeredAt: new Date(agent.registeredAt).toISOString(),
      lastSeenAt: new Date(agent.lastSeenAt).toISOString(),
      health: now - agent.lastSeenAt <= CONNECTED_WITHIN_MS ? 'CONNECTED' : 'LOST',
      currentJobs: leased.filter((job) => job.leaseOwner === agent.id).map((job) => job.id),
    }));
  }

  async heartbeat(agentId: string, buildId: string, beat: Heartbeat): Promise<{ stopRequested: boolean }> {
    const { store, clock, settings } = this.context;
    if (!(await store.jobs.renew(buildId, agentId, clock(), settings.leaseMs))) throw leaseLost(buildId);
    await store.agents.touch(agentId, clock());
    if (beat.started) await store.jobs.markStarted(buildId, agentId);
    const build = await this.requireBuild(buildId);
    if (beat.phases) {
      const patch = applyBuildLife(build, { type: 'PHASES_REPORTED', currentPhase: beat.currentPhase, phases: beat.phases });
      await store.builds.update(buildId, patch, (before, after) => buildEvents(this.context, before, after));
      const currentPhase = patch.currentPhase ?? build.currentPhase;
      if (currentPhase !== build.currentPhase) this.context.events.publish({ type: 'BuildPhaseChanged', buildId, previousPhase: build.currentPhase, currentPhase });
    }
    return { stopRequested: build.stopRequested };
  }

  /** Stores log chunk `sequence`; a repeated chunk is accepted and ignored, a gap is refused. */
  async appendLog(agentId: string, buildId: string, sequence: number, chunk: Uint8Array): Promise<'appended' | 'duplicate'> {
    const { store, blobs, settings } = this.context;
    if (chunk.byteLength > settings.maxLogChunkBytes) {
      throw new NagareError('API_PAYLOAD_TOO_LARGE', `A log chunk may be at most ${settings.maxLogChunkBytes} bytes; this one is ${chunk.byteLength}`);
    }
    await this.requireHolder(agentId, buildId);
    const build = await this.requireBuild(buildId);
    if (sequence < build.logNextSequence) return 'duplicate';
    // The agent stops at the limit itself; the slack covers its closing lines, not a second log.
    const allowed = settings.maxLogBytes + SERVER_LOG_SLACK_BYTES;
    if (build.logBytes + chunk.byteLength > allowed) {
      throw new NagareError('AGENT_LOG_LIMIT', `The log of ${buildId} may hold at most ${allowed} bytes; it holds ${build.logBytes} and this chunk has ${chunk.byteLength}`);
    }
    if (sequence > build.logNextSequence) {
      throw new NagareError('AGENT_LOG_GAP', `Log chunk ${sequence} arrived before chunk ${build.logNextSequence}; resend from ${build.logNextSequence}`, { details: { expected: build.logNextSequence } });
    }
    // The chunk is durable before it is counted, so a crash in between only causes a resend.
    await blobs.put(logBlobKey(buildId, sequence), chunk);
    const outcome = await store.builds.recordLogChunk(buildId, sequence, chunk.byteLength);
    if (outcome === 'gap') throw new NagareError('AGENT_LOG_GAP', `Log chunk ${sequence} is out of order`);
    if (outcome === 'appended') {
      this.context.metrics.logBytes.inc(chunk.byteLength);
      this.context.notifier.notify(`log:${buildId}`);
    }
    return outcome;
  }

  async uploadArtifact(agentId: string, buildId: string, name: string, identifier: string | undefined, body: AsyncIterable<Uint8Array> | Uint8Array): Promise<StoredArtifact> {
    await this.requireHolder(agentId, buildId);
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw new NagareError('API_INVALID_INPUT', `Artifact name '${name}' may use letters, digits, '.', '_' and '-' only`);
    const key = artifactBlobKey(buildId, name);
    const written = await this.context.blobs.put(key, body, { maxBytes: this.context.settings.maxArtifactBytes });
    const artifact: StoredArtifact = { artifactIdentifier: identifier, blobKey: key, sha256sum: written.sha256, bytes: written.bytes, name };
    const build = await this.requireBuild(buildId);
    await this.context.store.builds.update(buildId, applyBuildLife(build, { type: 'ARTIFACT_STORED', artifact }));
    return artifact;
  }

  /** A pipeline input artifact of a build this agent holds. */
  async inputArtifact(agentId: string, buildId: string, name: string): Promise<AsyncIterable<Uint8Array>> {
    await this.requireHolder(agentId, buildId);
    const input = (await this.requireBuild(buildId)).record.job.inputArtifacts?.find((a) => a.name === name);
    if (!input) throw new NagareError('API_NOT_FOUND', `Build ${buildId} has no input artifact ${name}`);
    return this.context.blobs.read(input.blobKey);
  }

  /**
   * Values of the parameters and secrets the build's buildspec and project refer to, and no others
   * (finding 5 of issue 7): a name outside the set is refused with AGENT_PARAMETER_NOT_REFERENCED and
   * nothing is returned. For a buildspec from the source, the agent's first call declares its names.
   */
  async parameters(agentId: string, buildId: string, names: ParameterNames): Promise<Record<string, string>> {
    await this.requireHolder(agentId, buildId);
    const build = await this.requireBuild(buildId);
    const data = build.record;
    const known = serverKnownNames(data.job);
    let allowed = known.names;
    if (known.buildspecInSource) {
      const declared = data.declaredParameterNames?.agentId === agentId ? data.declaredParameterNames : undefined;
      if (declared) allowed = unionOf(allowed, declared);
      else {
        const declaration = { agentId, parameters: [...new Set(names.parameters)], secrets: [...new Set(names.secrets)] };
        await this.context.store.builds.update(buildId, applyBuildLife(build, { type: 'PARAMETER_NAMES_DECLARED', declaration }));
        allowed = unionOf(allowed, declaration);
      }
    }
    const outside = namesOutside(names, allowed);
    if (outside.length > 0) {
      this.context.logger.warn({ buildId, agentId, refused: outside, traceId: traceIdOf(build.record.job.traceParent) }, 'parameters refused: not referenced by the build');
      throw new NagareError('AGENT_PARAMETER_NOT_REFERENCED', `Build ${buildId} does not reference ${outside.join(', ')}: an agent may read only the parameters and secrets of the build it holds`);
    }
    const values: Record<string, string> = {};
    for (const [namespace, list] of [['parameter', names.parameters], ['secret', names.secrets]] as const) {
      for (const name of list) {
        const stored = await this.context.store.parameters.get(namespace, name);
        if (!stored) continue;
        values[name] = namespace === 'secret' || stored.type === 'SecureString' ? this.context.secrets.open(stored.value) : stored.value;
      }
    }
    return values;
  }

  async complete(agentId: string, buildId: string, result: Completion): Promise<StoredBuild> {
    const { store, clock } = this.context;
    let build = await this.requireBuild(buildId);
    // A retried `complete` whose first answer was lost (or whose server died after storing it): the
    // same agent already finished it.
    if (build.currentPhase === 'COMPLETED' && build.record.agentId === agentId && build.buildStatus === result.buildStatus) return build;
    if (result.log) {
      // The log's last chunk, sent with the result (protocol version 2): stored as its own call would.
      await this.appendLog(agentId, buildId, result.log.sequence, Buffer.from(result.log.base64, 'base64'));
      build = await this.requireBuild(buildId);
    }
    const now = clock();
    // The job is closed and the result stored in one transaction: a server killed between the two
    // left a closed job whose build stayed PROVISIONING for ever (the agent's retry was refused).
    const updated = await store.builds.endWithJob(buildId, { state: 'LEASED', leaseOwner: agentId }, (current) => applyBuildLife(current, { type: 'AGENT_COMPLETED', result, at: now }), (before, after) => buildEvents(this.context, before, after));
    if (!updated) throw leaseLost(buildId);
    this.context.metrics.buildsFinished.inc({ status: result.buildStatus });
    this.context.metrics.buildDuration.observe((now - build.startTime) / 1000);
    this.context.notifier.notify(`build:${buildId}`);
    this.context.logger.info({ buildId, agentId, status: result.buildStatus, traceId: traceIdOf(build.record.job.traceParent) }, 'build completed');
    this.context.events.publish({ type: 'BuildPhaseChanged', buildId, previousPhase: build.currentPhase, currentPhase: 'COMPLETED' });
    this.context.events.publish({ type: 'BuildStateChanged', build: updated });
    return updated;
  }

  private async projectsAtLimit(): Promise<string[]> {
    const leased = await this.context.store.jobs.leasedPerProject();
    const names = Object.keys(leased);
    if (names.length === 0) return [];
    const projects = await this.context.store.projects.getMany(names);
    return projects.filter((p) => p.concurrentBuildLimit !== undefined && (leased[p.name] ?? 0) >= p.concurrentBuildLimit).map((p) => p.name);
  }

  /**
   * The job queue is the judge of who holds a build: the record's agentId stays behind when a lease
   * expires and the job is queued again. A call from the holder renews its lease (it is alive);
   * any other caller changes nothing.
   */
  private async requireHolder(agentId: string, buildId: string): Promise<void> {
    const { store, clock, settings } = this.context;
    const build = await this.requireBuild(buildId);
    if (build.record.agentId !== agentId || build.currentPhase === 'COMPLETED') throw leaseLost(buildId);
    if (!(await store.jobs.renew(buildId, agentId, clock(), settings.leaseMs))) throw leaseLost(buildId);
  }

  private async requireBuild(buildId: string): Promise<StoredBuild> {
    const build = await this.context.store.builds.get(buildId);
    if (!build) throw new NagareError('API_NOT_FOUND', `Build cannot be found: ${buildId}`);
    return build;
  }
}

function leaseLost(buildId: string): NagareError {
  return new NagareError('AGENT_LEASE_EXPIRED', `This agent no longer holds build ${buildId}: its lease expired or the build ended`);
}

