/**
 * The Engine API client's own rules (the calls themselves run against a real engine in the
 * executor contract suite and the pull tests): which names are image references, and how a pull
 * names its image and tag.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImageReference, pullQuery } from '../../src/executors/docker-engine.js';

void test('image references: a name, a registry with a port, a tag and a digest are accepted as Docker accepts them', () => {
  for (const image of ['busybox', 'nagare/base:latest', 'aws/codebuild/standard:7.0', '127.0.0.1:5000/team/app:v1', 'localhost:5000/app',
    'public.ecr.aws/codebuild/amazonlinux2-x86_64-standard:5.0', `ubuntu@sha256:${'a'.repeat(64)}`, 'my_org/app-name.v2:1.0-rc_1']) {
    assert.equal(isImageReference(image), true, image);
  }
});

void test('image references: upper case paths, path traversal, query and fragment characters, spaces and empty names are refused', () => {
  for (const image of ['Nagare/Base', '../x', 'x/../y', 'x?y', 'x#y', 'x y', '', 'x:', 'x:-tag', `x:${'t'.repeat(129)}`, 'x@sha256:short', `${'a/'.repeat(300)}a`]) {
    assert.equal(isImageReference(image), false, image);
  }
});

void test('a pull names the tag after the last colon that follows the last slash, latest when none, and keeps a digest in the name', () => {
  assert.deepEqual(pullQuery('busybox'), { fromImage: 'busybox', tag: 'latest' });
  assert.deepEqual(pullQuery('nagare/base:test'), { fromImage: 'nagare/base', tag: 'test' });
  assert.deepEqual(pullQuery('127.0.0.1:5000/team/app'), { fromImage: '127.0.0.1:5000/team/app', tag: 'latest' });
  assert.deepEqual(pullQuery('127.0.0.1:5000/team/app:v1'), { fromImage: '127.0.0.1:5000/team/app', tag: 'v1' });
  const digest = `ubuntu@sha256:${'a'.repeat(64)}`;
  assert.deepEqual(pullQuery(digest), { fromImage: digest });
});
