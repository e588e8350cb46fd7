/** A build that ends before its buildspec runs gets the phase machine's phases, not hand-made ones. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endedBeforeRun } from '../../src/build/ended-before-run.js';

const shape = (phases: readonly { phaseType: string; phaseStatus?: string | undefined }[]): string[] => phases.map((p) => `${p.phaseType}:${p.phaseStatus ?? ''}`);

test('a source that cannot be had fails DOWNLOAD_SOURCE with the reason, then FINALIZING runs and the build is FAILED', () => {
  const context = { statusCode: 'CLIENT_ERROR', message: 'repository not found' };
  const ended = endedBeforeRun(100, 200, 'FAILED', context);
  assert.equal(ended.buildStatus, 'FAILED');
  assert.deepEqual(shape(ended.phases).slice(2), ['PROVISIONING:SUCCEEDED', 'DOWNLOAD_SOURCE:FAILED', 'FINALIZING:SUCCEEDED', 'COMPLETED:']);
  assert.deepEqual(ended.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE')?.contexts, [context]);
  assert.equal(ended.phases.find((p) => p.phaseType === 'PROVISIONING')?.startTime, 100);
});

test("nagare's own failure to fetch the source is FAULT", () => {
  assert.equal(endedBeforeRun(100, 200, 'FAULT', { statusCode: 'CLIENT_ERROR', message: 'terminated' }).buildStatus, 'FAULT');
});

test('a stop before the buildspec ran is STOPPED in DOWNLOAD_SOURCE with BUILD_STOPPED', () => {
  const ended = endedBeforeRun(100, 200, 'STOPPED', { statusCode: 'BUILD_STOPPED', message: 'Build was stopped' });
  assert.equal(ended.buildStatus, 'STOPPED');
  const download = ended.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE');
  assert.equal(download?.phaseStatus, 'STOPPED');
  assert.equal(ended.phases.at(-1)?.phaseType, 'COMPLETED');
});
