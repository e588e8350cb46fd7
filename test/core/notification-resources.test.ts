/** Which events a notification rule's resource concerns: its ARN exactly, or every ARN a trailing `*` prefixes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AwsEvent } from '../../src/core/aws-event.js';
import { concernsResource } from '../../src/core/notification-event-types.js';

const event = (source: string, resources: string[], detail: Record<string, unknown> = {}): AwsEvent => ({ version: '0', id: 'x', 'detail-type': 'any', source, account: '000000000000', time: '2026-12-01T00:00:00Z', region: 'us-east-1', resources, detail });

test('a resource ARN concerns the events that name it', () => {
  const pipeline = 'arn:aws:codepipeline:us-east-1:000000000000:release';
  assert.equal(concernsResource(event('aws.codepipeline', [pipeline]), pipeline), true);
  assert.equal(concernsResource(event('aws.codepipeline', [`${pipeline}-2`]), pipeline), false);
});

test('a resource ARN ending in * concerns every resource it prefixes (the approval webhook\'s "every pipeline")', () => {
  const every = 'arn:aws:codepipeline:us-east-1:000000000000:*';
  assert.equal(concernsResource(event('aws.codepipeline', ['arn:aws:codepipeline:us-east-1:000000000000:release']), every), true);
  assert.equal(concernsResource(event('aws.codepipeline', ['arn:aws:codepipeline:eu-west-1:000000000000:release']), every), false, 'another region');
  assert.equal(concernsResource(event('aws.codecommit', ['arn:aws:codecommit:us-east-1:000000000000:repo']), every), false, 'another service');
});

test('a build project ARN concerns that project\'s builds, and project/<prefix>* every project it prefixes', () => {
  const build = event('aws.codebuild', ['arn:aws:codebuild:us-east-1:000000000000:build/api-unit:1'], { 'project-name': 'api-unit' });
  assert.equal(concernsResource(build, 'arn:aws:codebuild:us-east-1:000000000000:project/api-unit'), true);
  assert.equal(concernsResource(build, 'arn:aws:codebuild:us-east-1:000000000000:project/api'), false);
  assert.equal(concernsResource(build, 'arn:aws:codebuild:us-east-1:000000000000:project/api-*'), true);
  assert.equal(concernsResource(build, 'arn:aws:codebuild:us-east-1:000000000000:project/web-*'), false);
});
