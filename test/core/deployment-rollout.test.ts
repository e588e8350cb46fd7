import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyRolloutEvent,
  BUILT_IN_DEPLOYMENT_CONFIGS,
  deploymentOrder,
  minimumHealthyCount,
  nextRolloutDeadline,
  paceOf,
  type DeploymentRollout,
  type RolloutEvent,
} from '../../src/core/deployment-rollout.js';
import { ALL_AT_ONCE, drive, fail, fleetPercent, HALF_AT_A_TIME, hostCount, instances, newRollout, ONE_AT_A_TIME, results, statusOf } from './deployment-rollout-fixtures.js';

function must(rollout: DeploymentRollout, event: RolloutEvent) {
  const t = applyRolloutEvent(rollout, event);
  assert.equal(t.error, undefined, t.error?.message);
  return t;
}

test('instances are deployed in the order Unhealthy, Unknown revision, Old, Current', () => {
  const order = deploymentOrder([
    { instanceName: 'current', health: 'Healthy', revisionHealth: 'Current' },
    { instanceName: 'old', health: 'Healthy', revisionHealth: 'Old' },
    { instanceName: 'unknown', health: 'Healthy', revisionHealth: 'Unknown' },
    { instanceName: 'unhealthy', health: 'Unhealthy', revisionHealth: 'Current' },
  ]).map((i) => i.instanceName);
  assert.deepEqual(order, ['unhealthy', 'unknown', 'old', 'current']);
  const run = drive({ pace: ONE_AT_A_TIME }, [
    { instanceName: 'a-current', health: 'Healthy', revisionHealth: 'Current' },
    { instanceName: 'b-unhealthy', health: 'Unhealthy', revisionHealth: 'Old' },
  ]);
  assert.deepEqual(run.started, ['b-unhealthy', 'a-current']);
});

test('the built-in configurations: OneAtATime MOST_CONCURRENCY 1, HalfAtATime 50 %, AllAtOnce 0 %', () => {
  const byName = Object.fromEntries(BUILT_IN_DEPLOYMENT_CONFIGS.map((c) => [c.deploymentConfigName, c.minimumHealthyHosts]));
  assert.deepEqual(byName, {
    'CodeDeployDefault.OneAtATime': { type: 'MOST_CONCURRENCY', value: 1 },
    'CodeDeployDefault.HalfAtATime': { type: 'FLEET_PERCENT', value: 50 },
    'CodeDeployDefault.AllAtOnce': { type: 'FLEET_PERCENT', value: 0 },
  });
  assert.deepEqual(paceOf(BUILT_IN_DEPLOYMENT_CONFIGS[0]!), ONE_AT_A_TIME);
});

test('FLEET_PERCENT is converted to an instance count rounded up', () => {
  assert.equal(minimumHealthyCount(HALF_AT_A_TIME, 9), 5);
  assert.equal(minimumHealthyCount(fleetPercent(40), 9), 4);
  assert.equal(minimumHealthyCount(fleetPercent(95), 10), 10);
  assert.equal(minimumHealthyCount(hostCount(6), 9), 6);
});

test('OneAtATime deploys to one instance at a time and succeeds when all do', () => {
  const run = drive({ pace: ONE_AT_A_TIME }, instances(4));
  assert.equal(run.maxConcurrent, 1);
  assert.equal(run.rollout.status, 'Succeeded');
  assert.deepEqual(run.started, ['i01', 'i02', 'i03', 'i04']);
});

test('OneAtATime fails as soon as an instance other than the last fails, and skips the rest', () => {
  const run = drive({ pace: ONE_AT_A_TIME }, instances(4), fail('i02'));
  assert.equal(run.rollout.status, 'Failed');
  assert.equal(run.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
  assert.deepEqual(statusOf(run), { i01: 'Succeeded', i02: 'Failed', i03: 'Skipped', i04: 'Skipped' });
});

test('OneAtATime succeeds when only the last instance fails (the last-instance exception)', () => {
  const run = drive({ pace: ONE_AT_A_TIME }, instances(4), fail('i04'));
  assert.equal(run.rollout.status, 'Succeeded');
  assert.equal(statusOf(run).i04, 'Failed');
});

test('OneAtATime with a single instance succeeds only if that instance succeeds', () => {
  assert.equal(drive({ pace: ONE_AT_A_TIME }, instances(1)).rollout.status, 'Succeeded');
  const failed = drive({ pace: ONE_AT_A_TIME }, instances(1), fail('i01'));
  assert.equal(failed.rollout.status, 'Failed');
  assert.equal(failed.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
});

test('OneAtATime with exactly two instances fails if the first fails and succeeds if only the last fails (decision 14)', () => {
  assert.equal(drive({ pace: ONE_AT_A_TIME }, instances(2), fail('i01')).rollout.status, 'Failed');
  assert.equal(drive({ pace: ONE_AT_A_TIME }, instances(2), fail('i02')).rollout.status, 'Succeeded');
});

test('HalfAtATime on 9 instances runs at most 4 at once and needs 5 to succeed', () => {
  const ok = drive({ pace: HALF_AT_A_TIME }, instances(9));
  assert.equal(ok.maxConcurrent, 4);
  assert.equal(ok.rollout.minimumHealthy, 5);
  assert.equal(ok.rollout.status, 'Succeeded');
  // Four failures in the last batch leave five healthy: the deployment succeeds.
  assert.equal(drive({ pace: HALF_AT_A_TIME }, instances(9), fail('i06', 'i07', 'i08', 'i09')).rollout.status, 'Succeeded');
});

test('HalfAtATime fails once the failures reach the room left above the minimum while instances still wait', () => {
  const run = drive({ pace: HALF_AT_A_TIME }, instances(9), fail('i01', 'i02', 'i03', 'i04'));
  assert.equal(run.rollout.status, 'Failed');
  assert.equal(run.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
  assert.equal(statusOf(run).i09, 'Skipped');
});

test('a failure shrinks how many instances may run at once so the healthy count never drops below the minimum', () => {
  // 9 instances, HOST_COUNT 6: room for 3; one failure leaves room for 2 running.
  const run = drive({ pace: hostCount(6) }, instances(9), fail('i01'));
  assert.equal(run.rollout.status, 'Succeeded');
  assert.equal(run.maxConcurrent, 3);
  const counts = run.rollout.instances.filter((i) => i.status === 'Succeeded').length;
  assert.equal(counts, 8);
});

test('AllAtOnce deploys to every instance at once and succeeds if at least one succeeds', () => {
  const run = drive({ pace: ALL_AT_ONCE }, instances(5), fail('i01', 'i02', 'i03', 'i04'));
  assert.equal(run.maxConcurrent, 5);
  assert.equal(run.rollout.status, 'Succeeded');
});

test('AllAtOnce fails when every instance fails (a deployment needs at least one success)', () => {
  const run = drive({ pace: ALL_AT_ONCE }, instances(3), fail('i01', 'i02', 'i03'));
  assert.equal(run.rollout.status, 'Failed');
  assert.equal(run.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
});

test('custom HOST_COUNT 6 of 9 runs 3 at a time and needs 6 successes', () => {
  const ok = drive({ pace: hostCount(6) }, instances(9), fail('i07', 'i08', 'i09'));
  assert.equal(ok.maxConcurrent, 3);
  assert.equal(ok.rollout.status, 'Succeeded');
  const bad = drive({ pace: hostCount(6) }, instances(9), fail('i01', 'i02', 'i03'));
  assert.equal(bad.rollout.status, 'Failed');
});

test('custom FLEET_PERCENT 40 of 9 runs 5 at a time and needs 4 successes', () => {
  const run = drive({ pace: fleetPercent(40) }, instances(9), fail('i05', 'i06', 'i07', 'i08', 'i09'));
  assert.equal(run.maxConcurrent, 5);
  assert.equal(run.rollout.minimumHealthy, 4);
  assert.equal(run.rollout.status, 'Succeeded');
});

test('a minimum at or above the number of instances fails at once with HEALTH_CONSTRAINTS_INVALID, touching nothing', () => {
  for (const [pace, n] of [[fleetPercent(95), 10], [hostCount(3), 3], [HALF_AT_A_TIME, 1]] as const) {
    const t = must(newRollout({ pace }), { type: 'START', at: 1, instances: instances(n) });
    assert.equal(t.rollout.status, 'Failed');
    assert.equal(t.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS_INVALID');
    assert.equal(t.effects.filter((e) => e.type === 'RUN_INSTANCE').length, 0);
    assert.ok(t.rollout.instances.every((i) => i.status === 'Skipped'));
  }
});

test('a deployment group matching no instance fails with NO_INSTANCES', () => {
  const t = must(newRollout(), { type: 'START', at: 1, instances: [] });
  assert.equal(t.rollout.status, 'Failed');
  assert.equal(t.rollout.errorInformation?.code, 'NO_INSTANCES');
  assert.deepEqual(t.effects, [{ type: 'DEPLOYMENT_ENDED', status: 'Failed' }]);
});

test('deployment status goes Created → Queued → InProgress → Succeeded (decision 15)', () => {
  let r = newRollout();
  assert.equal(r.status, 'Created');
  r = must(r, { type: 'QUEUE', at: 1 }).rollout;
  assert.equal(r.status, 'Queued');
  r = must(r, { type: 'START', at: 2, instances: instances(1) }).rollout;
  assert.equal(r.status, 'InProgress');
  const t = must(r, { type: 'INSTANCE_ENDED', at: 3, instanceName: 'i01', events: results() });
  assert.equal(t.rollout.status, 'Succeeded');
  assert.equal(t.rollout.completeTime, 3);
  assert.deepEqual(t.effects, [{ type: 'DEPLOYMENT_ENDED', status: 'Succeeded' }, { type: 'RECORD_INSTANCE_HEALTH', instances: [{ instanceName: 'i01', succeeded: true }] }]);
});

test('an ApplicationStop failure fails the instance unless ignoreApplicationStopFailures is set', () => {
  const failing = { i01: 'ApplicationStop' };
  assert.equal(drive({ pace: ONE_AT_A_TIME }, instances(1), failing).rollout.status, 'Failed');
  const ignored = drive({ pace: ONE_AT_A_TIME, ignoreApplicationStopFailures: true }, instances(1), failing);
  assert.equal(ignored.rollout.status, 'Succeeded');
  assert.equal(ignored.rollout.instances[0]!.lifecycleEvents[0]!.status, 'Failed');
  // Only ApplicationStop is forgiven.
  assert.equal(drive({ pace: ONE_AT_A_TIME, ignoreApplicationStopFailures: true }, instances(1), { i01: 'BeforeInstall' }).rollout.status, 'Failed');
});

test('lifecycle events after a failed one are Skipped', () => {
  const run = drive({ pace: ONE_AT_A_TIME }, instances(1), { i01: 'BeforeInstall' });
  const events = Object.fromEntries(run.rollout.instances[0]!.lifecycleEvents.map((e) => [e.lifecycleEventName, e.status]));
  assert.deepEqual(events, { ApplicationStop: 'Succeeded', DownloadBundle: 'Succeeded', BeforeInstall: 'Failed', Install: 'Skipped', AfterInstall: 'Skipped', ApplicationStart: 'Skipped', ValidateService: 'Skipped' });
});

test('live lifecycle events are recorded on the running instance', () => {
  let r = must(newRollout(), { type: 'START', at: 1, instances: instances(2) }).rollout;
  r = must(r, { type: 'LIFECYCLE_EVENT', at: 2, instanceName: 'i01', event: { lifecycleEventName: 'DownloadBundle', status: 'InProgress', startTime: 2 } }).rollout;
  assert.equal(r.instances[0]!.lifecycleEvents[1]!.status, 'InProgress');
  const refused = applyRolloutEvent(r, { type: 'LIFECYCLE_EVENT', at: 2, instanceName: 'i02', event: { lifecycleEventName: 'Install', status: 'InProgress' } });
  assert.equal(refused.error?.code, 'INSTANCE_NOT_IN_DEPLOYMENT');
  assert.equal(refused.rollout, r);
});

test('an agent lost mid-deployment fails its instance with AGENT_ISSUE and the rollout goes on by its rules', () => {
  let r = must(newRollout({ pace: ONE_AT_A_TIME }), { type: 'START', at: 1, instances: instances(3) }).rollout;
  r = must(r, { type: 'LIFECYCLE_EVENT', at: 2, instanceName: 'i01', event: { lifecycleEventName: 'Install', status: 'InProgress', startTime: 2 } }).rollout;
  const t = must(r, { type: 'AGENT_LOST', at: 3, instanceName: 'i01', message: 'agent a1 stopped heartbeating' });
  assert.equal(t.rollout.instances[0]!.status, 'Failed');
  assert.equal(t.rollout.instances[0]!.failure?.code, 'AGENT_ISSUE');
  assert.equal(t.rollout.instances[0]!.lifecycleEvents[3]!.status, 'Failed');
  assert.equal(t.rollout.status, 'Failed');
});

test('an instance that outlives the instance timeout fails with TIMEOUT and is cancelled', () => {
  let r = must(newRollout({ pace: ALL_AT_ONCE }), { type: 'START', at: 0, instances: instances(2) }).rollout;
  r = must(r, { type: 'INSTANCE_ENDED', at: 5, instanceName: 'i02', events: results() }).rollout;
  assert.equal(nextRolloutDeadline(r), 60 * 60_000);
  assert.deepEqual(must(r, { type: 'TIMER', at: 60 * 60_000 - 1 }).effects, []);
  const t = must(r, { type: 'TIMER', at: 60 * 60_000 });
  assert.equal(t.rollout.instances.find((i) => i.instanceName === 'i01')!.failure?.code, 'TIMEOUT');
  assert.ok(t.effects.some((e) => e.type === 'CANCEL_INSTANCE' && e.instanceName === 'i01'));
  assert.equal(t.rollout.status, 'Succeeded');
});

test('StopDeployment stops the deployment: waiting instances Skipped, running ones cancelled, answer Pending', () => {
  const r = must(newRollout({ pace: ONE_AT_A_TIME }), { type: 'START', at: 1, instances: instances(3) }).rollout;
  const t = must(r, { type: 'STOP', at: 2 });
  assert.equal(t.rollout.status, 'Stopped');
  assert.equal(t.rollout.errorInformation?.code, 'MANUAL_STOP');
  assert.equal(t.stopStatus, 'Pending');
  assert.deepEqual(t.rollout.instances.map((i) => i.status), ['Failed', 'Skipped', 'Skipped']);
  assert.ok(t.effects.some((e) => e.type === 'CANCEL_INSTANCE'));
  assert.ok(!t.effects.some((e) => e.type === 'ROLLBACK'));
});

test('StopDeployment of a deployment with nothing running answers Succeeded', () => {
  const t = must(newRollout(), { type: 'STOP', at: 2 });
  assert.equal(t.stopStatus, 'Succeeded');
  assert.equal(t.rollout.status, 'Stopped');
});

test('a completed deployment refuses every further event and stays unchanged', () => {
  const done = drive({}, instances(1)).rollout;
  for (const event of [{ type: 'STOP', at: 9 }, { type: 'START', at: 9, instances: [] }, { type: 'TIMER', at: 9 }] as const) {
    const t = applyRolloutEvent(done, event);
    assert.equal(t.error?.code, 'DEPLOYMENT_ALREADY_COMPLETED');
    assert.equal(t.rollout, done);
  }
  const started = must(newRollout(), { type: 'START', at: 1, instances: instances(1) }).rollout;
  assert.equal(applyRolloutEvent(started, { type: 'START', at: 2, instances: instances(1) }).error?.code, 'DEPLOYMENT_ALREADY_STARTED');
});

test('automatic rollback on DEPLOYMENT_FAILURE is asked for when configured', () => {
  const run = drive({ autoRollback: ['DEPLOYMENT_FAILURE'] }, instances(1), fail('i01'));
  assert.ok(run.effects.some((e) => e.type === 'ROLLBACK' && e.reason === 'DEPLOYMENT_FAILURE'));
  assert.ok(!drive({}, instances(1), fail('i01')).effects.some((e) => e.type === 'ROLLBACK'));
  assert.ok(!drive({ autoRollback: ['DEPLOYMENT_STOP_ON_REQUEST'] }, instances(1), fail('i01')).effects.some((e) => e.type === 'ROLLBACK'));
});

test('a rollback deployment that fails does not ask for another rollback', () => {
  const run = drive({ autoRollback: ['DEPLOYMENT_FAILURE'], isRollback: true }, instances(1), fail('i01'));
  assert.equal(run.rollout.status, 'Failed');
  assert.ok(!run.effects.some((e) => e.type === 'ROLLBACK'));
});

test('no rollback when no instance was attempted (NO_INSTANCES, HEALTH_CONSTRAINTS_INVALID)', () => {
  const t = must(newRollout({ autoRollback: ['DEPLOYMENT_FAILURE'] }), { type: 'START', at: 1, instances: [] });
  assert.ok(!t.effects.some((e) => e.type === 'ROLLBACK'));
});

test('automatic rollback on DEPLOYMENT_STOP_ON_REQUEST, or when StopDeployment says autoRollbackEnabled', () => {
  const started = (events: ('DEPLOYMENT_STOP_ON_REQUEST' | 'DEPLOYMENT_FAILURE')[]) => must(newRollout({ autoRollback: events }), { type: 'START', at: 1, instances: instances(2) }).rollout;
  assert.ok(must(started(['DEPLOYMENT_STOP_ON_REQUEST']), { type: 'STOP', at: 2 }).effects.some((e) => e.type === 'ROLLBACK' && e.reason === 'DEPLOYMENT_STOP_ON_REQUEST'));
  assert.ok(!must(started(['DEPLOYMENT_FAILURE']), { type: 'STOP', at: 2 }).effects.some((e) => e.type === 'ROLLBACK'));
  assert.ok(must(started(['DEPLOYMENT_FAILURE']), { type: 'STOP', at: 2, autoRollbackEnabled: true }).effects.some((e) => e.type === 'ROLLBACK'));
  assert.ok(!must(started(['DEPLOYMENT_STOP_ON_REQUEST']), { type: 'STOP', at: 2, autoRollbackEnabled: false }).effects.some((e) => e.type === 'ROLLBACK'));
});

test('after the deployment, attempted instances get their health by outcome; skipped ones keep theirs', () => {
  const run = drive({ pace: ONE_AT_A_TIME }, instances(3), fail('i02'));
  const health = run.effects.find((e) => e.type === 'RECORD_INSTANCE_HEALTH');
  assert.deepEqual(health, { type: 'RECORD_INSTANCE_HEALTH', instances: [{ instanceName: 'i01', succeeded: true }, { instanceName: 'i02', succeeded: false }] });
});

test('a missing revision aborts the deployment with its code', () => {
  const t = must(newRollout(), { type: 'ABORT', at: 1, code: 'REVISION_MISSING', message: 'no such revision' });
  assert.equal(t.rollout.status, 'Failed');
  assert.deepEqual(t.rollout.errorInformation, { code: 'REVISION_MISSING', message: 'no such revision' });
});
