import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OnFailure } from '../../src/core/buildspec.js';
import {
  applyPhaseEvent,
  buildPhaseSucceeded,
  PHASE_TYPES,
  startBuild,
  type BuildPhaseEvent,
  type BuildPhaseState,
  type PhaseOutcome,
  type PhaseType,
} from '../../src/core/build-phases.js';

type Script = Partial<Record<PhaseType, readonly (PhaseOutcome | 'TIMED_OUT' | 'STOPPED')[]>>;

/** Drives the machine; each phase takes its outcomes from `script` in turn (SUCCEEDED when none left). */
function drive(script: Script, onFailure: BuildPhaseState['onFailure'] = {}, failureText = 'Error while executing command: false. Reason: exit status 1') {
  let { state, effects } = startBuild(0, onFailure);
  const ran: string[] = [];
  const used = new Map<PhaseType, number>();
  let clock = 0;
  for (let guard = 0; guard < 100; guard += 1) {
    const effect = effects[0];
    if (effect?.type === 'COMPLETE' || state.currentPhase === 'COMPLETED') break;
    // No effect: the current phase goes on (an interruption during FINALIZING).
    const phase = effect?.phase ?? state.currentPhase;
    const n = used.get(phase) ?? 0;
    used.set(phase, n + 1);
    const outcome = script[phase]?.[n] ?? 'SUCCEEDED';
    if (effect) ran.push(effect.type === 'RETRY_PHASE' ? `${phase}(retry)` : phase);
    clock += 1;
    const event: BuildPhaseEvent =
      outcome === 'TIMED_OUT' || outcome === 'STOPPED'
        ? { type: 'INTERRUPTED', at: clock, reason: outcome }
        : { type: 'PHASE_ENDED', at: clock, outcome, failureText, ...(outcome === 'FAILED' ? { contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: failureText }] } : {}) };
    ({ state, effects } = applyPhaseEvent(state, event));
  }
  const statuses = Object.fromEntries(state.phases.map((p) => [p.phaseType, p.phaseStatus]));
  return { state, ran, statuses };
}

const ALL_AFTER_PROVISIONING = ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'];

test('a successful build goes through every phase from SUBMITTED to COMPLETED in order', () => {
  const { state, ran } = drive({});
  assert.deepEqual(ran, ALL_AFTER_PROVISIONING);
  assert.deepEqual(state.phases.map((p) => p.phaseType), [...PHASE_TYPES]);
  assert.equal(state.buildStatus, 'SUCCEEDED');
  assert.equal(state.currentPhase, 'COMPLETED');
  assert.equal(state.phases.at(-1)?.phaseStatus, undefined, 'COMPLETED carries no status, as in the AWS API');
});

test('post_build runs after a failed build phase with CODEBUILD_BUILD_SUCCEEDING=0', () => {
  const first = startBuild(0, {});
  let state = first.state;
  for (const phase of ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD']) {
    assert.equal(state.currentPhase, phase);
    state = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 1, outcome: 'SUCCEEDED' }).state;
  }
  assert.equal(state.succeeding, true);
  const t = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 2, outcome: 'FAILED' });
  assert.deepEqual(t.effects, [{ type: 'RUN_PHASE', phase: 'POST_BUILD' }]);
  assert.equal(t.state.succeeding, false);
});

test('a failed build phase still reaches UPLOAD_ARTIFACTS and the build ends FAILED', () => {
  const { ran, state } = drive({ BUILD: ['FAILED'] });
  assert.deepEqual(ran, ALL_AFTER_PROVISIONING);
  assert.equal(state.buildStatus, 'FAILED');
});

test('a failed install phase skips to FINALIZING', () => {
  const { ran, statuses, state } = drive({ INSTALL: ['FAILED'] });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'FINALIZING']);
  assert.equal(statuses.INSTALL, 'FAILED');
  assert.equal(state.buildStatus, 'FAILED');
});

test('a failed pre_build phase skips build, post_build and upload', () => {
  const { ran } = drive({ PRE_BUILD: ['FAILED'] });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'FINALIZING']);
});

test('a failed post_build phase still attempts UPLOAD_ARTIFACTS', () => {
  const { ran, statuses, state } = drive({ POST_BUILD: ['FAILED'] });
  assert.deepEqual(ran, ALL_AFTER_PROVISIONING);
  assert.equal(statuses.UPLOAD_ARTIFACTS, 'SUCCEEDED');
  assert.equal(state.buildStatus, 'FAILED');
});

test('a failed DOWNLOAD_SOURCE runs no buildspec phase', () => {
  const { ran } = drive({ DOWNLOAD_SOURCE: ['FAILED'] });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'FINALIZING']);
});

test('a failed PROVISIONING runs no buildspec phase', () => {
  const { ran } = drive({ PROVISIONING: ['FAILED'] });
  assert.deepEqual(ran, ['PROVISIONING', 'FINALIZING']);
});

test('a failed UPLOAD_ARTIFACTS fails the build and goes to FINALIZING', () => {
  const { ran, state } = drive({ UPLOAD_ARTIFACTS: ['FAILED'] });
  assert.deepEqual(ran, ALL_AFTER_PROVISIONING);
  assert.equal(state.buildStatus, 'FAILED');
});

test('a failed FINALIZING fails the build', () => {
  const { state } = drive({ FINALIZING: ['FAILED'] });
  assert.equal(state.buildStatus, 'FAILED');
  assert.equal(state.currentPhase, 'COMPLETED');
});

test('on-failure ABORT on build stops before post_build', () => {
  const { ran } = drive({ BUILD: ['FAILED'] }, { build: { kind: 'ABORT' } });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'FINALIZING']);
});

test('on-failure ABORT on post_build skips UPLOAD_ARTIFACTS', () => {
  const { ran } = drive({ POST_BUILD: ['FAILED'] }, { post_build: { kind: 'ABORT' } });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'FINALIZING']);
});

for (const phase of ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'] as const) {
  const name = phase.toLowerCase() as 'install' | 'pre_build' | 'build' | 'post_build';
  test(`on-failure CONTINUE on ${name} runs the next phase and the build still ends FAILED`, () => {
    const { ran, state, statuses } = drive({ [phase]: ['FAILED'] }, { [name]: { kind: 'CONTINUE' } });
    assert.deepEqual(ran, ALL_AFTER_PROVISIONING);
    assert.equal(statuses[phase], 'FAILED');
    assert.equal(state.buildStatus, 'FAILED');
    assert.equal(state.succeeding, false);
  });
}

test('CODEBUILD_BUILD_SUCCEEDING stays 0 after a CONTINUE even when later phases succeed', () => {
  const first = startBuild(0, { install: { kind: 'CONTINUE' } });
  let state = applyPhaseEvent(first.state, { type: 'PHASE_ENDED', at: 1, outcome: 'SUCCEEDED' }).state;
  state = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 1, outcome: 'SUCCEEDED' }).state;
  state = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 1, outcome: 'FAILED' }).state;
  state = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 1, outcome: 'SUCCEEDED' }).state;
  assert.equal(state.currentPhase, 'BUILD');
  assert.equal(state.succeeding, false);
});

const retry = (count: number, pattern = '.*'): OnFailure => ({ kind: 'RETRY', count, pattern });

test('on-failure RETRY re-runs the failed phase and the build succeeds when a retry does', () => {
  const { ran, statuses, state } = drive({ BUILD: ['FAILED', 'FAILED', 'SUCCEEDED'] }, { build: retry(3) });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'BUILD(retry)', 'BUILD(retry)', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING']);
  assert.equal(statuses.BUILD, 'SUCCEEDED');
  assert.equal(state.buildStatus, 'SUCCEEDED');
  assert.equal(state.phases.find((p) => p.phaseType === 'BUILD')?.contexts.length, 2, 'each failed attempt leaves its context');
});

test('on-failure RETRY gives up after count retries and then follows the default transitions', () => {
  const { ran, state } = drive({ BUILD: ['FAILED', 'FAILED', 'FAILED', 'FAILED', 'FAILED'] }, { build: retry(3) });
  assert.equal(ran.filter((r) => r.startsWith('BUILD')).length, 4, 'one run and three retries');
  assert.ok(ran.includes('POST_BUILD'));
  assert.equal(state.buildStatus, 'FAILED');
});

test('on-failure RETRY-0 never retries', () => {
  const { ran } = drive({ PRE_BUILD: ['FAILED'] }, { pre_build: retry(0) });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'FINALIZING']);
});

test('on-failure RETRY-<regex> retries only when the failure text matches', () => {
  const matching = drive({ BUILD: ['FAILED', 'SUCCEEDED'] }, { build: retry(3, 'exit status 1') });
  assert.equal(matching.state.buildStatus, 'SUCCEEDED');
  const other = drive({ BUILD: ['FAILED', 'SUCCEEDED'] }, { build: retry(3, 'exit status 7') });
  assert.equal(other.state.buildStatus, 'FAILED');
  assert.equal(other.ran.filter((r) => r.startsWith('BUILD')).length, 1);
});

test('the RETRY regex is matched case-sensitively', () => {
  const { state } = drive({ BUILD: ['FAILED', 'SUCCEEDED'] }, { build: retry(3, 'ERROR WHILE') });
  assert.equal(state.buildStatus, 'FAILED');
});

test('the RETRY regex is matched against the command output too', () => {
  const { state } = drive({ BUILD: ['FAILED', 'SUCCEEDED'] }, { build: retry(2, 'connection reset') }, 'Error while executing command: npm ci. Reason: exit status 1\nnpm ERR! connection reset by peer');
  assert.equal(state.buildStatus, 'SUCCEEDED');
});

test('a timeout during build marks the phase and the build TIMED_OUT and skips to FINALIZING', () => {
  const { ran, statuses, state } = drive({ BUILD: ['TIMED_OUT'] });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'FINALIZING']);
  assert.equal(statuses.BUILD, 'TIMED_OUT');
  assert.equal(statuses.FINALIZING, 'SUCCEEDED');
  assert.equal(state.buildStatus, 'TIMED_OUT');
});

test('StopBuild during install marks the phase and the build STOPPED', () => {
  const { ran, statuses, state } = drive({ INSTALL: ['STOPPED'] });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'FINALIZING']);
  assert.equal(statuses.INSTALL, 'STOPPED');
  assert.equal(state.buildStatus, 'STOPPED');
});

test('a stop during UPLOAD_ARTIFACTS ends the build STOPPED', () => {
  const { statuses, state } = drive({ UPLOAD_ARTIFACTS: ['STOPPED'] });
  assert.equal(statuses.UPLOAD_ARTIFACTS, 'STOPPED');
  assert.equal(state.buildStatus, 'STOPPED');
});

test('an interruption during FINALIZING lets it finish and the build takes the interruption status', () => {
  const { state, statuses } = drive({ FINALIZING: ['TIMED_OUT', 'SUCCEEDED'] });
  assert.equal(statuses.FINALIZING, 'SUCCEEDED');
  assert.equal(state.buildStatus, 'TIMED_OUT');
});

test('a timeout is not retried by on-failure RETRY', () => {
  const { ran, state } = drive({ BUILD: ['TIMED_OUT'] }, { build: retry(3) });
  assert.equal(ran.filter((r) => r.startsWith('BUILD')).length, 1);
  assert.equal(state.buildStatus, 'TIMED_OUT');
});

test('a timeout is not continued past by on-failure CONTINUE', () => {
  const { ran } = drive({ PRE_BUILD: ['TIMED_OUT'] }, { pre_build: { kind: 'CONTINUE' } });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'FINALIZING']);
});

test('a FAULT in a buildspec phase skips to FINALIZING and the build ends FAULT', () => {
  const { ran, state } = drive({ BUILD: ['FAULT'] }, { build: { kind: 'CONTINUE' } });
  assert.deepEqual(ran, ['PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'FINALIZING']);
  assert.equal(state.buildStatus, 'FAULT');
});

test('TIMED_OUT wins over an earlier failed phase', () => {
  const { state } = drive({ BUILD: ['FAILED'], POST_BUILD: ['TIMED_OUT'] });
  assert.equal(state.buildStatus, 'TIMED_OUT');
});

test('the cache is saved only when BUILD succeeded', () => {
  assert.equal(buildPhaseSucceeded(drive({}).state), true);
  assert.equal(buildPhaseSucceeded(drive({ BUILD: ['FAILED'] }).state), false);
  assert.equal(buildPhaseSucceeded(drive({ PRE_BUILD: ['FAILED'] }).state), false);
  assert.equal(buildPhaseSucceeded(drive({ POST_BUILD: ['FAILED'] }).state), true);
});

test('events after COMPLETED change nothing', () => {
  const { state } = drive({});
  const again = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: 99, outcome: 'FAILED' });
  assert.equal(again.state, state);
  assert.deepEqual(again.effects, []);
});

test('every phase record gets start and end times, with end after start', () => {
  const { state } = drive({ BUILD: ['FAILED'] });
  for (const p of state.phases.filter((x) => x.phaseType !== 'COMPLETED')) {
    assert.ok(p.endTime !== undefined && p.endTime >= p.startTime, `${p.phaseType} has times`);
  }
});

/** Exhaustive: every combination of outcomes for the four buildspec phases under every on-failure. */
test('exhaustively, the build ends FAILED exactly when some phase failed and SUCCEEDED otherwise', () => {
  const outcomes = ['SUCCEEDED', 'FAILED'] as const;
  const rules: (OnFailure | undefined)[] = [undefined, { kind: 'ABORT' }, { kind: 'CONTINUE' }, retry(1)];
  const phases = ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'] as const;
  let cases = 0;
  for (let mask = 0; mask < 16; mask += 1) {
    for (const rule of rules) {
      const script: Script = {};
      phases.forEach((p, i) => { script[p] = [outcomes[(mask >> i) & 1] ?? 'SUCCEEDED', 'FAILED']; });
      const onFailure = rule ? { install: rule, pre_build: rule, build: rule, post_build: rule } : {};
      const { state } = drive(script, onFailure);
      const anyFailed = state.phases.some((p) => p.phaseStatus === 'FAILED');
      assert.equal(state.buildStatus, anyFailed ? 'FAILED' : 'SUCCEEDED');
      assert.equal(state.currentPhase, 'COMPLETED');
      assert.equal(state.phases.at(-2)?.phaseType, 'FINALIZING', 'FINALIZING always runs');
      cases += 1;
    }
  }
  assert.equal(cases, 64);
});
