/** The server side of a build's life (core/build-life.ts): one test per rule of its header. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBuildLife, submittedBuild, type BuildLife, type BuildLifeEvent, type BuildLifePatch } from '../../src/core/build-life.js';
import type { PhaseRecord } from '../../src/core/build-phases.js';
import { sampleBuildJob } from '../store/fixtures.js';

const T = 1_000;
const job = sampleBuildJob('demo:1');

function after(build: BuildLife, ...events: BuildLifeEvent[]): BuildLife {
  return events.reduce<BuildLife>((state, event) => apply(state, applyBuildLife(state, event)), build);
}

function apply(build: BuildLife, patch: BuildLifePatch): BuildLife {
  return { buildStatus: patch.buildStatus ?? build.buildStatus, currentPhase: patch.currentPhase ?? build.currentPhase, endTime: patch.endTime ?? build.endTime, record: patch.record };
}

const running = (phaseType: PhaseRecord['phaseType'], at: number): PhaseRecord => ({ phaseType, phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] });
const done = (phaseType: PhaseRecord['phaseType'], at: number): PhaseRecord => ({ phaseType, phaseStatus: 'SUCCEEDED', startTime: at, endTime: at, contexts: [] });
const types = (build: BuildLife) => build.record.phases.map((p) => `${p.phaseType}:${p.phaseStatus ?? '-'}`);

test('a new build is IN_PROGRESS in QUEUED with SUBMITTED already SUCCEEDED', () => {
  const build = submittedBuild(job, T);
  assert.equal(build.buildStatus, 'IN_PROGRESS');
  assert.equal(build.currentPhase, 'QUEUED');
  assert.deepEqual(types(build), ['SUBMITTED:SUCCEEDED', 'QUEUED:-']);
  assert.equal(build.record.job, job);
});

test('a lease ends QUEUED SUCCEEDED, names the agent and puts the build in PROVISIONING', () => {
  const build = after(submittedBuild(job, T), { type: 'LEASED', agentId: 'a1', at: T + 5 });
  assert.equal(build.currentPhase, 'PROVISIONING');
  assert.equal(build.record.agentId, 'a1');
  assert.deepEqual(build.record.phases[1], { phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED', startTime: T, endTime: T + 5, contexts: [] });
});

test("an agent's report replaces every phase from PROVISIONING on and keeps the server's own", () => {
  const leased = after(submittedBuild(job, T), { type: 'LEASED', agentId: 'a1', at: T + 5 });
  const first = after(leased, { type: 'PHASES_REPORTED', currentPhase: 'INSTALL', phases: [done('SUBMITTED', 0), done('PROVISIONING', T + 6), running('INSTALL', T + 7)] });
  const second = after(first, { type: 'PHASES_REPORTED', currentPhase: 'BUILD', phases: [done('PROVISIONING', T + 6), done('INSTALL', T + 7), running('BUILD', T + 8)] });
  assert.deepEqual(types(first), ['SUBMITTED:SUCCEEDED', 'QUEUED:SUCCEEDED', 'PROVISIONING:SUCCEEDED', 'INSTALL:-']);
  assert.deepEqual(types(second), ['SUBMITTED:SUCCEEDED', 'QUEUED:SUCCEEDED', 'PROVISIONING:SUCCEEDED', 'INSTALL:SUCCEEDED', 'BUILD:-']);
  assert.equal(second.currentPhase, 'BUILD');
});

test('a last heartbeat saying COMPLETED does not complete the build: only the result does', () => {
  const leased = after(submittedBuild(job, T), { type: 'LEASED', agentId: 'a1', at: T + 5 }, { type: 'PHASES_REPORTED', currentPhase: 'FINALIZING', phases: [running('FINALIZING', T + 9)] });
  const beat = after(leased, { type: 'PHASES_REPORTED', currentPhase: 'COMPLETED', phases: [done('FINALIZING', T + 9), running('COMPLETED', T + 10)] });
  assert.equal(beat.currentPhase, 'FINALIZING');
  assert.equal(beat.buildStatus, 'IN_PROGRESS');
  assert.ok(!beat.record.phases.some((p) => p.phaseType === 'COMPLETED'));
});

test("the agent's result completes the build with its status, end time, phases, variables and source version", () => {
  const leased = after(submittedBuild(job, T), { type: 'LEASED', agentId: 'a1', at: T + 5 });
  const result = { buildStatus: 'FAILED' as const, phases: [done('PROVISIONING', T + 6), { ...done('BUILD', T + 7), phaseStatus: 'FAILED' as const }, running('COMPLETED', T + 8)], exportedEnvironmentVariables: [{ name: 'V', value: '1' }], reports: [{ name: 'unit' }], resolvedSourceVersion: 'abc123' };
  const build = after(leased, { type: 'AGENT_COMPLETED', result, at: T + 8 });
  assert.equal(build.buildStatus, 'FAILED');
  assert.equal(build.currentPhase, 'COMPLETED');
  assert.equal(build.endTime, T + 8);
  assert.deepEqual(types(build), ['SUBMITTED:SUCCEEDED', 'QUEUED:SUCCEEDED', 'PROVISIONING:SUCCEEDED', 'BUILD:FAILED', 'COMPLETED:-']);
  assert.deepEqual(build.record.exportedEnvironmentVariables, [{ name: 'V', value: '1' }]);
  assert.equal(build.record.resolvedSourceVersion, 'abc123');
});

test('an artifact without an identifier is the primary one; a secondary one replaces the one with its identifier', () => {
  const artifact = (name: string, artifactIdentifier: string | undefined) => ({ name, artifactIdentifier, blobKey: `k/${name}`, sha256sum: 'x', bytes: 1 });
  const build = after(
    submittedBuild(job, T),
    { type: 'ARTIFACT_STORED', artifact: artifact('main.zip', undefined) },
    { type: 'ARTIFACT_STORED', artifact: artifact('one.zip', 'extra') },
    { type: 'ARTIFACT_STORED', artifact: artifact('two.zip', 'extra') },
  );
  assert.equal(build.record.artifacts?.name, 'main.zip');
  assert.deepEqual(build.record.secondaryArtifacts.map((a) => a.name), ['two.zip']);
});

test('the parameter names an agent declares are kept with the agent that declared them', () => {
  const declaration = { agentId: 'a1', parameters: ['/p'], secrets: ['s'] };
  assert.deepEqual(after(submittedBuild(job, T), { type: 'PARAMETER_NAMES_DECLARED', declaration }).record.declaredParameterNames, declaration);
});

test('a build the server ends while queued: QUEUED takes the status and the reason, then COMPLETED', () => {
  const context = { statusCode: 'BUILD_TIMED_OUT', message: 'waited too long' };
  const build = after(submittedBuild(job, T), { type: 'ENDED_BY_SERVER', status: 'TIMED_OUT', context, at: T + 60 });
  assert.equal(build.buildStatus, 'TIMED_OUT');
  assert.equal(build.endTime, T + 60);
  assert.deepEqual(types(build), ['SUBMITTED:SUCCEEDED', 'QUEUED:TIMED_OUT', 'COMPLETED:-']);
  assert.deepEqual(build.record.phases[1]?.contexts, [context]);
});

test('a leased build whose agent reported no phase yet: its current phase carries the reason', () => {
  const context = { statusCode: 'AGENT_LOST', message: 'lease expired' };
  const build = after(submittedBuild(job, T), { type: 'LEASED', agentId: 'a1', at: T + 5 }, { type: 'ENDED_BY_SERVER', status: 'FAULT', context, at: T + 90 });
  assert.deepEqual(types(build), ['SUBMITTED:SUCCEEDED', 'QUEUED:SUCCEEDED', 'PROVISIONING:FAULT', 'COMPLETED:-']);
  assert.deepEqual(build.record.phases[2]?.contexts, [context]);
});

test('a running build the server ends: the phase in progress takes the status with its context added', () => {
  const context = { statusCode: 'AGENT_LOST', message: 'lease expired' };
  const build = after(
    submittedBuild(job, T),
    { type: 'LEASED', agentId: 'a1', at: T + 5 },
    { type: 'PHASES_REPORTED', currentPhase: 'BUILD', phases: [done('PROVISIONING', T + 6), running('BUILD', T + 7)] },
    { type: 'ENDED_BY_SERVER', status: 'FAULT', context, at: T + 90 },
  );
  assert.equal(build.buildStatus, 'FAULT');
  assert.deepEqual(types(build), ['SUBMITTED:SUCCEEDED', 'QUEUED:SUCCEEDED', 'PROVISIONING:SUCCEEDED', 'BUILD:FAULT', 'COMPLETED:-']);
  assert.deepEqual(build.record.phases[3]?.contexts, [context]);
});

test('every event type is handled (exhaustive)', () => {
  const handled: Record<BuildLifeEvent['type'], true> = { LEASED: true, PHASES_REPORTED: true, ARTIFACT_STORED: true, PARAMETER_NAMES_DECLARED: true, AGENT_COMPLETED: true, ENDED_BY_SERVER: true };
  assert.equal(Object.keys(handled).length, 6);
});
