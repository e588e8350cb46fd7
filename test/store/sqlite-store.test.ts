/** The store contract on SQLite files, and what is particular to SQLite: the URL forms, WAL, errors. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { defaultDatabaseUrl } from '../../src/store/database-url.js';
import { openStore } from '../../src/store/open-store.js';
import { rejectsWith, sampleJob, sampleProject, T0 } from './fixtures.js';
import { runStoreContract } from './store-contract.js';

const directory = await mkdtemp(join(tmpdir(), 'nagare-store-'));
after(() => rm(directory, { recursive: true, force: true }));

runStoreContract('sqlite', (database) => openStore({ url: `sqlite://${join(directory, `${database}.db`)}` }));

void describe('sqlite store', () => {
  it('opens by sqlite:// URL, by plain path, and in the data directory by default', async () => {
    const path = join(directory, 'forms', 'nested', 'nagare.db');
    const first = await openStore({ url: `sqlite://${path}` });
    assert.equal(first.dialect, 'sqlite');
    await first.projects.create(sampleProject('alpha'));
    await first.close();
    const second = await openStore({ url: path });
    assert.equal((await second.projects.get('alpha'))?.name, 'alpha');
    await second.close();
    assert.equal(defaultDatabaseUrl('/var/lib/nagare/'), 'sqlite:///var/lib/nagare/nagare.db');
  });

  it('runs in WAL mode', async () => {
    const path = join(directory, 'wal.db');
    const store = await openStore({ url: path });
    const probe = new BetterSqlite3(path, { readonly: true });
    assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
    probe.close();
    await store.close();
  });

  it('a file that cannot be opened is STORE_UNAVAILABLE naming it', async () => {
    const blocker = join(directory, 'a-file');
    await writeFile(blocker, 'not a directory');
    await rejectsWith(openStore({ url: join(blocker, 'nagare.db') }), 'STORE_UNAVAILABLE');
    const notADatabase = join(directory, 'garbage.db');
    await writeFile(notADatabase, 'this is not a SQLite database, just some text long enough '.repeat(20));
    await assert.rejects(openStore({ url: notADatabase }), (error: Error & { code?: string }) => error.code === 'STORE_UNAVAILABLE' && error.message.includes(notADatabase));
  });

  it('an unsupported URL scheme is STORE_UNAVAILABLE saying which forms work', async () => {
    await assert.rejects(openStore({ url: 'mysql://root@localhost/nagare' }), (error: Error) => /mysql:/.test(error.message) && /sqlite:\/\/\/.*postgres:\/\//.test(error.message));
  });

  it('a migration that cannot run is STORE_MIGRATION_FAILED naming it, and leaves nothing behind', async () => {
    const path = join(directory, 'clash.db');
    const raw = new BetterSqlite3(path);
    raw.exec('CREATE TABLE jobs (x integer)');
    await assert.rejects(openStore({ url: path }), (error: Error & { code?: string }) => error.code === 'STORE_MIGRATION_FAILED' && error.message.includes('0001-create-tables'));
    // The migration is all or nothing: the tables it made before failing are gone again.
    const tables = raw.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('projects', 'builds')`).all();
    raw.close();
    assert.deepEqual(tables, []);
  });

  it('a database migrated by a newer nagare is STORE_MIGRATION_FAILED', async () => {
    const path = join(directory, 'newer.db');
    await (await openStore({ url: path })).close();
    const raw = new BetterSqlite3(path);
    raw.prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)').run('9999-from-the-future', new Date().toISOString());
    raw.close();
    await rejectsWith(openStore({ url: path }), 'STORE_MIGRATION_FAILED');
  });

  it('processes claiming from one file at once never get the same job', async () => {
    const path = join(directory, 'shared-queue.db');
    const store = await openStore({ url: path });
    for (let i = 0; i < 300; i++) await store.jobs.enqueue(sampleJob(`job-${i}`, 'alpha', T0 + i));
    await store.close();
    const claimers = ['p1', 'p2', 'p3'].map((agent) => startClaimer(path, agent));
    await Promise.all(claimers.map((claimer) => claimer.ready));
    for (const claimer of claimers) claimer.go();
    const leased = await Promise.all(claimers.map((claimer) => claimer.leased));
    const ids = leased.flat();
    assert.equal(ids.length, 300);
    assert.equal(new Set(ids).size, 300);
  });
});

/** A claimer process (sqlite-claimer.ts): resolves `ready` once it has opened the store. */
function startClaimer(path: string, agent: string): { ready: Promise<void>; go: () => void; leased: Promise<string[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sqlite-claimer.ts'), path, agent], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (output.startsWith('ready\n')) markReady();
  });
  const leased = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output.split('\n').slice(1).filter(Boolean)) : reject(new Error(`claimer ${agent} exited with ${code}`))));
  });
  return { ready, go: () => child.stdin.end('go\n'), leased };
}
