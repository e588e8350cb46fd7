import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionDeclaration, PipelineDefinition, PipelineTrigger } from '../../src/core/pipeline.js';
import { filterAccepts, globMatches, sourceActionsTriggeredBy, type PushEvent } from '../../src/core/pipeline-triggers.js';

const source = (name: string, repo: string, branch: string): ActionDeclaration => ({
  name, actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, runOrder: 1,
  configuration: { RepositoryName: repo, BranchName: branch }, commands: [], inputArtifacts: [], outputArtifacts: [`${name}Out`],
  namespace: undefined, region: undefined, roleArn: undefined, timeoutInMinutes: undefined,
});
const pipeline = (triggers: PipelineTrigger[] = []): PipelineDefinition => ({
  name: 'p', pipelineType: 'V2', executionMode: 'SUPERSEDED', roleArn: undefined, artifactStore: undefined, variables: [], triggers, version: 1,
  stages: [{ name: 'Source', actions: [source('App', 'app', 'main')] }, { name: 'Build', actions: [] }],
});
const push = (ref: string, changedPaths: string[] = ['src/a.ts'], refType: 'branch' | 'tag' = 'branch'): PushEvent => ({ repositoryName: 'app', ref, refType, oldCommit: 'a', newCommit: 'b', changedPaths });

test('without a trigger a push to the source action\'s BranchName starts the pipeline, other branches do not', () => {
  assert.equal(sourceActionsTriggeredBy(pipeline(), push('main')).length, 1);
  assert.equal(sourceActionsTriggeredBy(pipeline(), push('feature/x')).length, 0);
  assert.equal(sourceActionsTriggeredBy(pipeline(), { ...push('main'), repositoryName: 'other' }).length, 0);
});

test('a deleted branch starts nothing', () => {
  assert.equal(sourceActionsTriggeredBy(pipeline(), { ...push('main'), newCommit: undefined }).length, 0);
});

test('* matches within one path segment and ** across segments', () => {
  assert.ok(globMatches('feature/*', 'feature/login'));
  assert.ok(!globMatches('feature/*', 'feature/login/v2'));
  assert.ok(globMatches('feature/**', 'feature/login/v2'));
  assert.ok(globMatches('**/README.md', 'README.md'));
  assert.ok(globMatches('**/README.md', 'docs/a/README.md'));
});

test('? matches exactly one character and braces are literal', () => {
  assert.ok(globMatches('release-v?', 'release-v1'));
  assert.ok(!globMatches('release-v?', 'release-v10'));
  assert.ok(!globMatches('{a,b}', 'a'));
  assert.ok(globMatches('{a,b}', '{a,b}'));
});

test('trigger globs are case-sensitive', () => {
  assert.ok(!globMatches('Main', 'main'));
});

test('excludes win over includes', () => {
  const filter = { branches: { includes: ['**'], excludes: ['main'] }, tags: undefined, filePaths: undefined };
  assert.ok(filterAccepts(filter, push('feature/x')));
  assert.ok(!filterAccepts(filter, push('main')));
});

test('a branches filter with filePaths needs a changed path that matches', () => {
  const filter = { branches: { includes: ['main'], excludes: [] }, tags: undefined, filePaths: { includes: ['projectA/**'], excludes: ['**/README.md'] } };
  assert.ok(filterAccepts(filter, push('main', ['projectA/src/x.ts'])));
  assert.ok(!filterAccepts(filter, push('main', ['projectB/src/x.ts'])));
  assert.ok(!filterAccepts(filter, push('main', ['projectA/README.md'])));
});

test('a tags filter accepts tag pushes only', () => {
  const filter = { tags: { includes: ['release-v*'], excludes: [] }, branches: undefined, filePaths: undefined };
  assert.ok(filterAccepts(filter, push('release-v1.2', [], 'tag')));
  assert.ok(!filterAccepts(filter, push('release-v1.2', [], 'branch')));
});

test('filters of one trigger are OR-ed, and a trigger replaces the default branch detection', () => {
  const trigger: PipelineTrigger = { providerType: 'CodeCommit', sourceActionName: 'App', push: [
    { branches: { includes: ['dev'], excludes: [] }, tags: undefined, filePaths: undefined },
    { tags: { includes: ['v*'], excludes: [] }, branches: undefined, filePaths: undefined },
  ] };
  assert.equal(sourceActionsTriggeredBy(pipeline([trigger]), push('dev')).length, 1);
  assert.equal(sourceActionsTriggeredBy(pipeline([trigger]), push('v1', [], 'tag')).length, 1);
  assert.equal(sourceActionsTriggeredBy(pipeline([trigger]), push('main')).length, 0, 'the configured BranchName no longer triggers');
});
