/**
 * Hosted repositories end to end with the real git client and a real server, on SQLite and
 * PostgreSQL: clone, push, clone again; the push events of new branches, updates, tags and
 * deletes; the helpers the pipeline driver uses (resolveRef, commitInfo, archive).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import yauzl from 'yauzl';
import type { PushEvent } from '../../src/core/store.js';
import { startTestServer, testDatabases } from '../support/test-server.js';
import { authedUrl, commitFiles, gitOk, tempDir } from './git-client.js';

async function zipEntries(chunks: AsyncIterable<Uint8Array>): Promise<string[]> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const buffer = Buffer.concat(parts);
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

for (const [database, skip] of await testDatabases()) {
  test(`push, clone and push events through the real git client (${database})`, { skip }, async () => {
    const server = await startTestServer({ database });
    try {
      const { repositories } = server.services;
      const heard: PushEvent[] = [];
      server.services.context.events.subscribe('Pushed', ({ push }) => void heard.push(push));
      const created = await repositories.create({ repositoryName: 'web-app', repositoryDescription: 'the web app' });
      assert.equal(repositories.cloneUrl('web-app'), `${server.url}/git/web-app.git`);
      assert.equal(created.defaultBranch, undefined);

      const url = authedUrl(server.url, 'web-app', server.token);
      const work = await tempDir('work');
      await gitOk(work, ['clone', '--quiet', url, 'clone']);
      const clone = path.join(work, 'clone');
      await gitOk(clone, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
      const first = await commitFiles(clone, { 'README.md': '# web\n', 'src/app.js': 'console.log(1)\n', 'buildspec.yml': 'version: 0.2\n' }, 'first commit');
      await gitOk(clone, ['push', '--quiet', 'origin', 'main']);

      assert.equal(heard.length, 1, 'one event for the new branch, stored before git push returned');
      assert.deepEqual({ ...heard[0], sequence: 0, pushedAt: 0 }, {
        sequence: 0,
        repositoryName: 'web-app',
        ref: 'refs/heads/main',
        refType: 'branch',
        oldCommit: undefined,
        newCommit: first,
        changedPaths: ['README.md', 'buildspec.yml', 'src/app.js'],
        pushedAt: 0,
        pusher: heard[0]?.pusher,
      });
      assert.ok(heard[0]?.pusher, 'the pusher is the token name');
      assert.equal((await repositories.get('web-app')).defaultBranch, 'main', 'the first branch pushed is the default');

      const second = await commitFiles(clone, { 'src/app.js': 'console.log(2)\n', 'docs/guide.md': 'guide\n' }, 'second commit\n\nwith a body');
      await gitOk(clone, ['tag', '-a', 'v1.0', '-m', 'release 1.0']);
      await gitOk(clone, ['push', '--quiet', 'origin', 'main', 'v1.0']);
      await gitOk(clone, ['push', '--quiet', 'origin', `${first}:refs/heads/feature`]);
      await gitOk(clone, ['push', '--quiet', 'origin', '--delete', 'feature']);

      const summary = heard.map((e) => [e.ref, e.refType, e.oldCommit, e.newCommit, e.changedPaths.join(',')]);
      assert.deepEqual(summary, [
        ['refs/heads/main', 'branch', undefined, first, 'README.md,buildspec.yml,src/app.js'],
        ['refs/heads/main', 'branch', first, second, 'docs/guide.md,src/app.js'],
        ['refs/tags/v1.0', 'tag', undefined, second, 'README.md,buildspec.yml,docs/guide.md,src/app.js'],
        ['refs/heads/feature', 'branch', undefined, first, 'README.md,buildspec.yml,src/app.js'],
        ['refs/heads/feature', 'branch', first, undefined, ''],
      ]);
      const stored = await repositories.pushEventsAfter(0, 100, { repositoryName: 'web-app' });
      assert.deepEqual(stored, heard, 'the store holds the same events, in order');
      assert.deepEqual(await repositories.pushEventsAfter(stored[2]?.sequence ?? 0), stored.slice(3));

      const again = path.join(work, 'again');
      await gitOk(work, ['clone', '--quiet', url, 'again']);
      assert.equal(await gitOk(again, ['rev-parse', 'HEAD']), second);
      assert.equal(await gitOk(again, ['rev-parse', '--abbrev-ref', 'HEAD']), 'main');
      assert.equal(await readFile(path.join(again, 'src/app.js'), 'utf8'), 'console.log(2)\n');

      assert.equal(await repositories.resolveRef('web-app', 'main'), second);
      assert.equal(await repositories.resolveRef('web-app', 'refs/heads/main'), second);
      await assert.rejects(repositories.resolveRef('web-app', 'feature'), { code: 'REPO_BRANCH_NOT_FOUND' });
      assert.deepEqual(await repositories.listBranches('web-app'), ['main']);

      const info = await repositories.commitInfo('web-app', second);
      assert.equal(info.commitId, second);
      assert.equal(info.message, 'second commit\n\nwith a body\n');
      assert.deepEqual(info.parents, [first]);
      assert.equal(info.author.name, 'Ada Lovelace');
      assert.equal(info.author.email, 'ada@example.com');
      assert.ok(Math.abs(info.authorDate - Date.now()) < 120_000);
      assert.ok(Math.abs(info.committerDate - Date.now()) < 120_000);
      await assert.rejects(repositories.commitInfo('web-app', 'f'.repeat(40)), { code: 'REPO_COMMIT_NOT_FOUND' });
      await assert.rejects(repositories.commitInfo('web-app', '--output=/tmp/x'), { code: 'REPO_COMMIT_NOT_FOUND' });

      assert.deepEqual(await zipEntries(await repositories.archive('web-app', second)), ['README.md', 'buildspec.yml', 'docs/', 'docs/guide.md', 'src/', 'src/app.js']);
      assert.deepEqual(await zipEntries(await repositories.archive('web-app', first)), ['README.md', 'buildspec.yml', 'src/', 'src/app.js']);
      await assert.rejects(repositories.archive('web-app', 'main'), { code: 'REPO_COMMIT_NOT_FOUND' });
    } finally {
      await server.stop();
    }
  });

  test(`a restarted server keeps its repositories and push events (${database})`, { skip }, async () => {
    const server = await startTestServer({ database });
    let restarted: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      await server.services.repositories.create({ repositoryName: 'kept' });
      const work = await tempDir('kept');
      await gitOk(work, ['init', '--quiet', '--initial-branch=trunk', '.']);
      const commit = await commitFiles(work, { 'a.txt': 'a\n' }, 'a');
      await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'kept', server.token), 'trunk']);
      await server.stop();
      restarted = await startTestServer({ dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) });
      const events = await restarted.services.repositories.pushEventsAfter(0);
      assert.deepEqual(events.map((e) => [e.repositoryName, e.ref, e.newCommit]), [['kept', 'refs/heads/trunk', commit]]);
      assert.equal((await restarted.services.repositories.get('kept')).defaultBranch, 'trunk');
      assert.equal(await restarted.services.repositories.resolveRef('kept', 'trunk'), commit);
    } finally {
      await (restarted ?? server).stop().catch(() => undefined);
    }
  });
}
