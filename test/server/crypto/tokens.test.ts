import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { hashToken, newAccessKeyPair, newToken } from '../../../src/server/auth/crypto/tokens.js';

test('a token is its prefix and 32 random bytes in base64url', () => {
  const token = newToken('ngr');
  assert.match(token, /^ngr_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(token.slice(4), 'base64url').length, 32);
  assert.match(newToken('nga'), /^nga_/);
  assert.notEqual(newToken('ngr'), token);
});

test('a token is stored as the SHA-256 hex of its text', () => {
  const token = newToken('nga');
  assert.equal(hashToken(token), createHash('sha256').update(token).digest('hex'));
  assert.match(hashToken(token), /^[0-9a-f]{64}$/);
  assert.notEqual(hashToken(token), hashToken(newToken('nga')));
});

test('access key pairs look like AWS access keys and do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i += 1) {
    const { accessKeyId, secretAccessKey } = newAccessKeyPair();
    assert.match(accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.match(secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.ok(!seen.has(accessKeyId));
    seen.add(accessKeyId);
  }
});
