/**
 * The action provider registry: each action type the spec accepts has its provider, found by
 * category, owner and provider together, as CodePipeline's action type ids are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionCategory } from '../../../src/core/pipeline.js';
import { defaultProviders } from '../../../src/server/pipelines/providers/registry.js';

test('CodeCommit, CodeBuild (Build and Test), Commands, Manual and CodeDeploy are found by category, owner and provider', () => {
  const registry = defaultProviders();
  const found = (category: ActionCategory, provider: string): string | undefined => registry.get({ category, owner: 'AWS', provider })?.provider;
  assert.deepEqual(
    [found('Source', 'CodeCommit'), found('Build', 'CodeBuild'), found('Test', 'CodeBuild'), found('Compute', 'Commands'), found('Approval', 'Manual'), found('Deploy', 'CodeDeploy')],
    ['CodeCommit', 'CodeBuild', 'CodeBuild', 'Commands', 'Manual', 'CodeDeploy'],
  );
});

test('a provider under another category or owner, or one nagare does not run, is not found', () => {
  const registry = defaultProviders();
  assert.equal(registry.get({ category: 'Deploy', owner: 'AWS', provider: 'CodeBuild' }), undefined);
  assert.equal(registry.get({ category: 'Build', owner: 'ThirdParty', provider: 'CodeBuild' }), undefined);
  assert.equal(registry.get({ category: 'Deploy', owner: 'AWS', provider: 'ElasticBeanstalk' }), undefined);
});

test('the driver subscribes to the events that carry build and batch results, once', () => {
  assert.deepEqual(defaultProviders().resultEvents(), ['BuildStateChanged', 'BuildBatchStateChanged']);
});
