import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImageMapping, resolveImage } from '../../src/core/image-map.js';

const DEFAULT = 'nagare/base:latest';

test('the image map is applied first, first matching pattern wins, * matching any run of characters', () => {
  const map = [parseImageMapping('aws/codebuild/amazonlinux*=al2:local'), parseImageMapping('aws/codebuild/*=nagare/base:latest')].flatMap((m) => (m ? [m] : []));
  assert.deepEqual(resolveImage('aws/codebuild/amazonlinux2-x86_64-standard:5.0', map, DEFAULT).image, 'al2:local');
  const standard = resolveImage('aws/codebuild/standard:7.0', map, DEFAULT);
  assert.equal(standard.image, 'nagare/base:latest');
  assert.match(standard.reason ?? '', /mapped to nagare\/base:latest by the image map \(aws\/codebuild\/\*\)/);
});

test('AWS curated images map to the agent default image with a reason for the log, when no map entry names them', () => {
  for (const name of ['aws/codebuild/standard:7.0', 'public.ecr.aws/codebuild/amazonlinux2-x86_64-standard:5.0']) {
    const resolved = resolveImage(name, [], 'my/default:1');
    assert.equal(resolved.image, 'my/default:1');
    assert.match(resolved.reason ?? '', /curated image.*using my\/default:1/);
  }
});

test('any other image is used as written, with no reason', () => {
  assert.deepEqual(resolveImage('127.0.0.1:5000/team/app:1', [], DEFAULT), { image: '127.0.0.1:5000/team/app:1', reason: undefined });
  assert.deepEqual(resolveImage('node:20', [], DEFAULT), { image: 'node:20', reason: undefined });
});

test('an image mapping is PATTERN=IMAGE; anything else is refused', () => {
  assert.deepEqual(parseImageMapping('aws/codebuild/*=nagare/base:latest'), { pattern: 'aws/codebuild/*', image: 'nagare/base:latest' });
  for (const bad of ['aws/codebuild/*', '=image', 'pattern=', 'a b=c']) assert.equal(parseImageMapping(bad), undefined, bad);
});
