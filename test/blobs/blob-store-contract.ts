/**
 * The behaviour every BlobStore backend must have (STYLE.md habit 7). A backend's test file calls
 * `runBlobStoreContract('filesystem', make)`; `make` returns a fresh, empty store per test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { isNagareError } from '../../src/core/errors.js';

export interface BlobStoreFixture {
  readonly store: BlobStore;
  readonly cleanup: () => Promise<void>;
}

const bytes = (text: string) => new TextEncoder().encode(text);

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function hasCode(code: ErrorCode) {
  return (error: unknown) => isNagareError(error) && error.code === code;
}

async function* chunked(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes(part);
  }
}

export const INVALID_KEYS = ['', '/abs', 'a//b', 'a/', '../x', 'a/../../x', './a', 'a/./b', 'a\\b', 'a b', 'ä', 'a?b', 'a%2F..', 'a#b', 'x'.repeat(1025)];

export function runBlobStoreContract(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    async function withStore(body: (store: BlobStore) => Promise<void>): Promise<void> {
      const { store, cleanup } = await make();
      try {
        await body(store);
      } finally {
        await cleanup();
      }
    }

    test('a put blob reads back whole, with its size and SHA-256', () => withStore(async (store) => {
      const result = await store.put('builds/b-1/artifacts/out.zip', chunked('hello ', 'blob ', 'world'));
      assert.deepEqual(result, { bytes: 16, sha256: createHash('sha256').update('hello blob world').digest('hex') });
      assert.equal(await readAll(await store.read('builds/b-1/artifacts/out.zip')), 'hello blob world');
      assert.equal(await store.size('builds/b-1/artifacts/out.zip'), 16);
      assert.deepEqual(await store.put('empty', new Uint8Array()), { bytes: 0, sha256: createHash('sha256').digest('hex') });
      assert.equal(await readAll(await store.read('empty')), '');
    }));

    test('a put replaces the previous blob under the key', () => withStore(async (store) => {
      await store.put('k', bytes('a much longer first version'));
      await store.put('k', bytes('second'));
      assert.equal(await readAll(await store.read('k')), 'second');
      assert.equal(await store.size('k'), 6);
    }));

    test('every allowed key character works', () => withStore(async (store) => {
      const key = 'A-Z/a.z_0:9=@+-/...';
      await store.put(key, bytes('ok'));
      assert.equal(await readAll(await store.read(key)), 'ok');
    }));

    test('an absent blob: read rejects with BLOB_NOT_FOUND, size is undefined, delete is a no-op', () => withStore(async (store) => {
      await assert.rejects(store.read('nothing/here'), hasCode('BLOB_NOT_FOUND'));
      assert.equal(await store.size('nothing/here'), undefined);
      await store.delete('nothing/here');
      await store.put('folder/blob', bytes('x'));
      await assert.rejects(store.read('folder'), hasCode('BLOB_NOT_FOUND'));
      assert.equal(await store.size('folder'), undefined);
    }));

    test('a deleted blob is gone', () => withStore(async (store) => {
      await store.put('gone', bytes('x'));
      await store.delete('gone');
      assert.equal(await store.size('gone'), undefined);
      await assert.rejects(store.read('gone'), hasCode('BLOB_NOT_FOUND'));
    }));

    test('a read from an offset, for a length, returns just that range', () => withStore(async (store) => {
      await store.put('r', bytes('0123456789'));
      assert.equal(await readAll(await store.read('r', { offset: 3 })), '3456789');
      assert.equal(await readAll(await store.read('r', { offset: 3, length: 4 })), '3456');
      assert.equal(await readAll(await store.read('r', { offset: 8, length: 100 })), '89');
      assert.equal(await readAll(await store.read('r', { offset: 10 })), '');
      assert.equal(await readAll(await store.read('r', { offset: 50 })), '');
      assert.equal(await readAll(await store.read('r', { length: 0 })), '');
      await assert.rejects(store.read('r', { offset: -1 }), hasCode('API_INVALID_INPUT'));
    }));

    test('appends create the blob, grow it, and return the new size; reads from an offset see the tail', () => withStore(async (store) => {
      assert.equal(await store.append('builds/b-1/log', bytes('line 1\n')), 7);
      assert.equal(await store.append('builds/b-1/log', bytes('line 2\n')), 14);
      assert.equal(await store.append('builds/b-1/log', new Uint8Array()), 14);
      assert.equal(await readAll(await store.read('builds/b-1/log')), 'line 1\nline 2\n');
      assert.equal(await readAll(await store.read('builds/b-1/log', { offset: 7 })), 'line 2\n');
      assert.equal(await store.size('builds/b-1/log'), 14);
    }));

    test('concurrent appends to different keys each keep their own order', () => withStore(async (store) => {
      const keys = Array.from({ length: 8 }, (_, i) => `logs/build-${i}`);
      await Promise.all(keys.map(async (key) => {
        for (let line = 0; line < 20; line += 1) await store.append(key, bytes(`${key} ${line}\n`));
      }));
      for (const key of keys) {
        const expected = Array.from({ length: 20 }, (_, line) => `${key} ${line}\n`).join('');
        assert.equal(await readAll(await store.read(key)), expected);
      }
    }));

    test('a put past maxBytes rejects with BLOB_TOO_LARGE and keeps nothing', () => withStore(async (store) => {
      await assert.rejects(store.put('big', chunked('12345', '67890', 'x'), { maxBytes: 10 }), hasCode('BLOB_TOO_LARGE'));
      assert.equal(await store.size('big'), undefined);
      await store.put('kept', bytes('old'));
      await assert.rejects(store.put('kept', bytes('far too long'), { maxBytes: 5 }), hasCode('BLOB_TOO_LARGE'));
      assert.equal(await readAll(await store.read('kept')), 'old');
      assert.deepEqual(await store.put('exact', bytes('12345'), { maxBytes: 5 }), { bytes: 5, sha256: createHash('sha256').update('12345').digest('hex') });
    }));

    test('a put whose body fails keeps nothing', () => withStore(async (store) => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes('partial');
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('upload interrupted');
      }
      await assert.rejects(store.put('broken', failing()), /upload interrupted/);
      assert.equal(await store.size('broken'), undefined);
    }));

    test('readers never see a partial blob while a put is under way', () => withStore(async (store) => {
      const before = 'old '.repeat(1000);
      const after = 'new '.repeat(1000);
      await store.put('swap', bytes(before));
      const seen = new Set<string>();
      let done = false;
      const put = store.put('swap', chunked(...Array.from({ length: 40 }, () => 'new '.repeat(25)))).finally(() => { done = true; });
      while (!done) seen.add(await readAll(await store.read('swap')));
      await put;
      seen.add(await readAll(await store.read('swap')));
      assert.deepEqual([...seen].filter((content) => content !== before && content !== after), []);
      assert.ok(seen.has(after));
    }));

    test('invalid keys are rejected with API_INVALID_INPUT by every operation', () => withStore(async (store) => {
      for (const key of INVALID_KEYS) {
        const rejected = hasCode('API_INVALID_INPUT');
        await assert.rejects(store.put(key, bytes('x')), rejected, `put ${key}`);
        await assert.rejects(store.append(key, bytes('x')), rejected, `append ${key}`);
        await assert.rejects(store.read(key), rejected, `read ${key}`);
        await assert.rejects(store.size(key), rejected, `size ${key}`);
        await assert.rejects(store.delete(key), rejected, `delete ${key}`);
      }
    }));
  });
}
