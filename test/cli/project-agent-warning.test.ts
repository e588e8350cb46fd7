import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noAgentWarning } from '../../src/cli/commands/projects.js';
import type { AgentView } from '../../src/protocol/native-agents.js';

const agent = (labels: string[], extra: Partial<AgentView> = {}): AgentView => ({
  id: 'a', name: 'a', labels, kinds: ['build'], tags: {}, imageMap: [], registeredAt: '', lastSeenAt: '', health: 'CONNECTED', currentJobs: [], ...extra,
});

test('project create warns when no connected agent can run the project image, saying what it needs', () => {
  assert.match(noAgentWarning({ environment: { image: 'aws/codebuild/standard:7.0' } }, [agent([])]) ?? '', /no connected agent can run image aws\/codebuild\/standard:7.0: it needs an agent with the label docker/);
  assert.match(noAgentWarning({ environment: { image: 'node:20' } }, [agent(['docker'], { health: 'LOST' })]) ?? '', /no connected agent/);
  assert.match(noAgentWarning({ environment: { image: 'node:20', fleet: { fleetArn: 'arn:aws:codebuild:us-east-1:000000000000:fleet/big:1' } } }, [agent(['docker'])]) ?? '', /fleet big/);
  assert.match(noAgentWarning({ environment: { image: 'shell', privilegedMode: true } }, [agent([])]) ?? '', /label docker/);
});

test('project create says nothing when a connected agent can run the image', () => {
  assert.equal(noAgentWarning({ environment: { image: 'node:20' } }, [agent(['docker'])]), undefined);
  assert.equal(noAgentWarning({ environment: { image: 'shell' } }, [agent([])]), undefined);
});
