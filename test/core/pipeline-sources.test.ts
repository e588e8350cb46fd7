// Which mirror a GitHub or connection source action reads (core/pipeline-sources.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrorUrlNames, resolveSourceRepository, type GitSource } from '../../src/core/pipeline-sources.js';

const source = (fullRepositoryId: string, repositoryName?: string): GitSource => ({ repositoryName, fullRepositoryId, branch: 'main', format: 'CODE_ZIP' });

void test('a mirror URL names owner/repo when its path ends in them, .git or not, in any case, over https, ssh or a path', () => {
  for (const url of ['https://github.com/Octo/App.git', 'https://github.com/octo/app', 'https://user:tok@github.com/octo/app.git/', 'git@github.com:octo/app.git', 'ssh://git@gitlab.example.com/group/octo/app.git', '/srv/mirrors/octo/app.git', 'file:///srv/octo/app']) {
    assert.ok(mirrorUrlNames(url, 'octo/app'), url);
  }
  for (const url of ['https://github.com/octo/app-two.git', 'https://github.com/other/app.git', 'https://github.com/app.git', 'git@github.com:octo.git']) {
    assert.ok(!mirrorUrlNames(url, 'octo/app'), url);
  }
  assert.ok(mirrorUrlNames('https://gitlab.com/group/sub/app.git', 'group/sub/app'), 'GitLab subgroups');
});

void test('a source resolves to the one mirror naming it; none or two is a failure saying what to do', () => {
  const repositories = [{ name: 'app', mirrorUrl: 'https://github.com/octo/app.git' }, { name: 'hosted', mirrorUrl: undefined }, { name: 'app-fork', mirrorUrl: 'https://github.com/fork/app.git' }];
  assert.deepEqual(resolveSourceRepository(source('octo/app'), repositories), { ok: true, name: 'app' });
  const none = resolveSourceRepository(source('octo/missing'), repositories);
  assert.ok(!none.ok && /nagare repo create NAME --mirror https:\/\/github.com\/octo\/missing.git/.test(none.message));
  const two = resolveSourceRepository(source('octo/app'), [...repositories, { name: 'app-again', mirrorUrl: 'git@github.com:octo/app.git' }]);
  assert.ok(!two.ok && /app, app-again.*RepositoryName/.test(two.message));
  assert.deepEqual(resolveSourceRepository(source('octo/app', 'app-again'), repositories), { ok: true, name: 'app-again' }, 'RepositoryName in the configuration wins');
});
