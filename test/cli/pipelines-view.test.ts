/**
 * Issue 13, cosmetics of `nagare pipeline status`: the last stage is drawn with `└─` (no lone `└─`
 * line after it), and an action's detail names the build id once even when it is both the
 * summary and the external execution id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawPipelineState } from '../../src/cli/commands/pipelines-view.js';
import { style } from '../../src/cli/output.js';

const BUILD_ID = 'app-build:6f1c2a1e-2a8b-4d7e-9a55-0c2f3e4d5a6b';

const state = {
  pipelineName: 'app',
  pipelineVersion: 1,
  latestExecution: { pipelineExecutionId: 'e1', status: 'InProgress' },
  stageStates: [
    { stageName: 'Source', latestExecution: { pipelineExecutionId: 'e1', status: 'Succeeded' }, actionStates: [{ actionName: 'Source', latestExecution: { status: 'Succeeded', summary: 'first' } }] },
    { stageName: 'Build', latestExecution: { pipelineExecutionId: 'e1', status: 'InProgress' }, actionStates: [{ actionName: 'Build', latestExecution: { status: 'InProgress', summary: BUILD_ID, externalExecutionId: BUILD_ID } }] },
    { stageName: 'Deploy', actionStates: [{ actionName: 'Deploy' }] },
  ],
};

test('pipeline status draws the last stage with └─ and no lone └─ line', () => {
  const lines = drawPipelineState(state, style(false)).trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.slice(0, 2)), ['Pi', '┌─', '│ ', '├─', '│ ', '└─', '  ']);
  assert.ok(!lines.includes('└─'));
});

test('an action\'s detail names the build id once', () => {
  const text = drawPipelineState(state, style(false));
  assert.equal(text.split(BUILD_ID).length - 1, 1, text);
});
