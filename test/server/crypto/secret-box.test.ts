import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isNagareError } from '../../../src/core/errors.js';
import { SECRET_KEY_FILE, SecretBox } from '../../../src/server/auth/crypto/secret-box.js';

const directories: string[] = [];
after(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

async function dataDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'nagare-secret-box-'));
  directories.push(directory);
  return directory;
}

const cannotOpen = (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && /cannot be opened/.test(error.message);

test('a sealed secret opens to the same text, and sealing twice gives different ciphertexts', async () => {
  const box = await SecretBox.load(await dataDir());
  const plaintext = 'db password: ünïcode ✓ and colons : : ';
  const first = box.seal(plaintext);
  assert.match(first, /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
  assert.notEqual(box.seal(plaintext), first);
  assert.equal(box.open(first), plaintext);
  assert.equal(box.open(box.seal('')), '');
  assert.ok(!first.includes(Buffer.from(plaintext).toString('base64')));
});

test('an altered sealed secret is rejected', async () => {
  const box = await SecretBox.load(await dataDir());
  const [version, iv, tag, ciphertext] = box.seal('the secret').split(':') as [string, string, string, string];
  const flip = (base64: string) => {
    const bytes = Buffer.from(base64, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    return bytes.toString('base64');
  };
  for (const altered of [
    [version, iv, tag, flip(ciphertext)],
    [version, iv, flip(tag), ciphertext],
    [version, flip(iv), tag, ciphertext],
    ['v2', iv, tag, ciphertext],
    [version, iv, tag],
  ]) {
    assert.throws(() => box.open(altered.join(':')), cannotOpen);
  }
  assert.throws(() => box.open('plain text'), cannotOpen);
});

test('a secret sealed under another key is rejected', async () => {
  const sealed = (await SecretBox.load(await dataDir())).seal('the secret');
  const other = await SecretBox.load(await dataDir());
  assert.throws(() => other.open(sealed), cannotOpen);
});

test('a secret sealed for one context does not open in another', async () => {
  const box = await SecretBox.load(await dataDir());
  const sealed = box.seal('the secret', 'parameter:/prod/db');
  assert.equal(box.open(sealed, 'parameter:/prod/db'), 'the secret');
  assert.throws(() => box.open(sealed, 'parameter:/staging/db'), cannotOpen);
  assert.throws(() => box.open(sealed), cannotOpen);
});

test('the key file is created with mode 0600 and reused by later loads', async () => {
  const directory = join(await dataDir(), 'nested', 'data');
  const sealed = (await SecretBox.load(directory)).seal('kept across restarts');
  const path = join(directory, SECRET_KEY_FILE);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').length, 32);
  assert.equal((await SecretBox.load(directory)).open(sealed), 'kept across restarts');
});

test('concurrent first loads agree on one key', async () => {
  const directory = await dataDir();
  const boxes = await Promise.all(Array.from({ length: 8 }, () => SecretBox.load(directory)));
  const sealed = boxes[0]?.seal('one key') ?? '';
  for (const box of boxes) assert.equal(box.open(sealed), 'one key');
});

test('a key given by the configuration is used instead of the key file', async () => {
  const directory = await dataDir();
  const key = SecretBox.generateKey();
  const sealed = (await SecretBox.load(directory, key)).seal('configured');
  assert.equal((await SecretBox.load(await dataDir(), key)).open(sealed), 'configured');
  await assert.rejects(stat(join(directory, SECRET_KEY_FILE)), { code: 'ENOENT' });
});

test('a key that is not 32 bytes of base64 is rejected with CONFIG_INVALID', async () => {
  const invalidKey = (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && /32 bytes/.test(error.message);
  await assert.rejects(SecretBox.load(await dataDir(), 'c2hvcnQ='), invalidKey);
  const directory = await dataDir();
  await writeFile(join(directory, SECRET_KEY_FILE), 'truncated\n', { mode: 0o600 });
  await assert.rejects(SecretBox.load(directory), invalidKey);
});
