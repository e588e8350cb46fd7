import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilesystemBlobStore } from '../../src/blobs/filesystem-blob-store.js';
import { hasCode, INVALID_KEYS, runBlobStoreContract } from './blob-store-contract.js';

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nagare-blobs-'));
}

runBlobStoreContract('filesystem', async () => {
  const root = await temporaryDirectory();
  return { store: new FilesystemBlobStore(join(root, 'blobs')), cleanup: () => rm(root, { recursive: true, force: true }) };
});

async function listTree(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(directory.length + 1)).sort();
}

test('path-traversing keys touch nothing inside or outside the root', async () => {
  const outer = await temporaryDirectory();
  try {
    const store = new FilesystemBlobStore(join(outer, 'inner', 'blobs'));
    await mkdir(join(outer, 'inner', 'blobs'), { recursive: true });
    for (const key of [...INVALID_KEYS, '../escape', '../../escape', '/tmp/escape', 'inner/../../escape']) {
      await assert.rejects(store.put(key, new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
      await assert.rejects(store.append(key, new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
    }
    assert.deepEqual(await listTree(outer), []);
  } finally {
    await rm(outer, { recursive: true, force: true });
  }
});

test('failed and too-large puts leave no temporary files behind', async () => {
  const root = await temporaryDirectory();
  try {
    const store = new FilesystemBlobStore(root);
    await store.put('a/kept', new Uint8Array([1, 2, 3]));
    await assert.rejects(store.put('a/big', new Uint8Array(100), { maxBytes: 10 }), hasCode('BLOB_TOO_LARGE'));
    assert.deepEqual(await listTree(root), ['a/kept']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a key that names both a blob and a folder is rejected with API_INVALID_INPUT', async () => {
  const root = await temporaryDirectory();
  try {
    const store = new FilesystemBlobStore(root);
    await store.put('a/b', new Uint8Array([1]));
    await assert.rejects(store.put('a/b/c', new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
    await assert.rejects(store.append('a/b/c', new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
    await assert.rejects(store.put('a', new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
    await assert.rejects(store.append('a', new Uint8Array([1])), hasCode('API_INVALID_INPUT'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

const MEBIBYTE = 1024 * 1024;

/** 50 MiB in fresh 256 KiB chunks, tracking the highest RSS seen while it is consumed. */
async function* fiftyMebibytes(peak: { rss: number }): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 200; i += 1) {
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    // Let the event loop run between chunks, as a socket would.
    await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.alloc(256 * 1024, i % 251);
  }
}

test('50 MiB streams in and out without being held in memory', async () => {
  const root = await temporaryDirectory();
  try {
    const store = new FilesystemBlobStore(root);
    const expected = createHash('sha256');
    for await (const chunk of fiftyMebibytes({ rss: 0 })) expected.update(chunk);
    const baseline = process.memoryUsage.rss();
    const peak = { rss: baseline };

    const written = await store.put('big/artifact.bin', fiftyMebibytes(peak));
    assert.deepEqual(written, { bytes: 50 * MEBIBYTE, sha256: expected.digest('hex') });

    const readBack = createHash('sha256');
    let total = 0;
    for await (const chunk of await store.read('big/artifact.bin')) {
      readBack.update(chunk);
      total += chunk.byteLength;
      peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    }
    assert.equal(total, 50 * MEBIBYTE);
    assert.equal(readBack.digest('hex'), written.sha256);
    const growth = (peak.rss - baseline) / MEBIBYTE;
    assert.ok(growth < 25, `RSS grew by ${growth.toFixed(1)} MiB while streaming 50 MiB`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
