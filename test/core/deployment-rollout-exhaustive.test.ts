import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minimumHealthyCount, healthConstraintsValid } from '../../src/core/deployment-rollout.js';
import { ALL_AT_ONCE, drive, fail, fleetPercent, HALF_AT_A_TIME, hostCount, instances, ONE_AT_A_TIME } from './deployment-rollout-fixtures.js';

const PACES = { ONE_AT_A_TIME, HALF_AT_A_TIME, ALL_AT_ONCE, hostCount2: hostCount(2), fleetPercent40: fleetPercent(40) };

test('exhaustively (1–6 instances, every pace, every set of failing instances), the rules of §2.9 hold', () => {
  let cases = 0;
  for (const [paceName, pace] of Object.entries(PACES)) {
    for (let n = 1; n <= 6; n += 1) {
      const names = instances(n).map((i) => i.instanceName);
      for (let mask = 0; mask < 1 << n; mask += 1) {
        const failing = names.filter((_, k) => (mask >> k) & 1);
        const run = drive({ pace }, instances(n), fail(...failing));
        const label = `${paceName} n=${n} failing=${failing.join(',')}`;
        cases += 1;
        const m = minimumHealthyCount(pace, n);
        const statuses = run.rollout.instances.map((i) => i.status);
        const succeeded = statuses.filter((s) => s === 'Succeeded').length;
        assert.ok(statuses.every((s) => s === 'Succeeded' || s === 'Failed' || s === 'Skipped'), `${label}: every instance ends`);
        if (!healthConstraintsValid(pace, n)) {
          assert.equal(run.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS_INVALID', label);
          assert.equal(run.started.length, 0, label);
          continue;
        }
        // Never more running than the room above the minimum (at least one).
        assert.ok(run.maxConcurrent <= Math.max(n - m, 1), `${label}: concurrency ${run.maxConcurrent}`);
        if (paceName === 'ONE_AT_A_TIME') assert.equal(run.maxConcurrent, 1, label);
        // Success means enough instances succeeded, and at least one.
        if (run.rollout.status === 'Succeeded') assert.ok(succeeded >= Math.max(m, 1), `${label}: ${succeeded} succeeded`);
        else {
          assert.equal(run.rollout.status, 'Failed', label);
          assert.equal(run.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS', label);
        }
        if (failing.length === 0) assert.equal(run.rollout.status, 'Succeeded', label);
        // A failed instance that was never started is impossible; skipped instances were never started.
        for (const i of run.rollout.instances) if (i.status === 'Skipped') assert.ok(!run.started.includes(i.instanceName), label);
        // OneAtATime: succeeds exactly when no instance but possibly the last (of several) failed.
        if (paceName === 'ONE_AT_A_TIME') {
          const onlyLast = failing.length === 0 || (n > 1 && failing.length === 1 && failing[0] === names[n - 1]);
          assert.equal(run.rollout.status === 'Succeeded', onlyLast, label);
        }
        // AllAtOnce: succeeds exactly when some instance succeeded.
        if (paceName === 'ALL_AT_ONCE') assert.equal(run.rollout.status === 'Succeeded', failing.length < n, label);
      }
    }
  }
  assert.ok(cases > 600);
});
