/**
 * The confine rule over generated trees: real files, directories and symlinks (relative and
 * absolute, inside and outside, chains, loops, dangling) and generated names (`..`, absolute,
 * links mid-path). The expectation is computed from the generator's own model of the tree, not
 * from the file system, and every name the kernel can resolve is also checked against realpath(3).
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { NagareError } from '../../src/core/errors.js';
import { confine, readConfinedFile } from '../../src/executors/confine.js';
import { index, pick, prng, SEED, type Random } from '../spec/fuzz-support.js';

const made: string[] = [];
after(async () => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

async function sandbox(): Promise<{ base: string; root: string; outside: string }> {
  const base = await realpath(await mkdtemp(path.join(tmpdir(), 'nagare-confine-')));
  made.push(base);
  await mkdir(path.join(base, 'r'));
  await mkdir(path.join(base, 'o'));
  await writeFile(path.join(base, 'o', 'secret'), 'outside secret');
  return { base, root: path.join(base, 'r'), outside: path.join(base, 'o') };
}

type Node = { kind: 'file' } | { kind: 'dir' } | { kind: 'link'; target: string };
/** The model: paths relative to the sandbox's base (`r/a/b`), as the generator made them. */
type Model = Map<string, Node>;

const NAMES = ['a', 'b', 'c', 'd'];
const ABSENT = '/nonexistent-nagare-confine';

function linkTarget(random: Random, base: string): string {
  const names = Array.from({ length: index(random, 3) }, () => pick(random, [...NAMES, '.', 'secret']));
  switch (index(random, 4)) {
    case 0: return [...Array.from({ length: index(random, 5) }, () => '..'), ...names].join('/') || '.';
    case 1: return [base, pick(random, ['r', 'o']), ...names].join('/');
    case 2: return [ABSENT, ...names].join('/');
    default: return names.join('/') || '.';
  }
}

async function generateTree(random: Random, base: string): Promise<Model> {
  const model: Model = new Map([['r', { kind: 'dir' }], ['o', { kind: 'dir' }], ['o/secret', { kind: 'file' }]]);
  for (let step = 0, count = 4 + index(random, 10); step < count; step += 1) {
    const dirs = [...model].filter(([, node]) => node.kind === 'dir').map(([rel]) => rel);
    const parent = random() < 0.85 ? pick(random, dirs.filter((d) => d.startsWith('r'))) : pick(random, dirs);
    const rel = `${parent}/${pick(random, NAMES)}`;
    if (model.has(rel)) continue;
    const abs = path.join(base, rel);
    const roll = random();
    if (roll < 0.3) {
      await writeFile(abs, rel);
      model.set(rel, { kind: 'file' });
    } else if (roll < 0.55) {
      await mkdir(abs);
      model.set(rel, { kind: 'dir' });
    } else {
      const target = linkTarget(random, base);
      await symlink(target, abs);
      model.set(rel, { kind: 'link', target });
    }
  }
  return model;
}

/** A name a build might give: relative or absolute, with `..`, `.`, links and missing names. */
function generateName(random: Random, base: string): string {
  const parts = Array.from({ length: 1 + index(random, 4) }, () => pick(random, [...NAMES, ...NAMES, '..', '.', 'new', 'secret']));
  const roll = random();
  if (roll < 0.1) return [base, 'r', ...parts].join('/');
  if (roll < 0.15) return [base, 'o', ...parts].join('/');
  if (roll < 0.18) return ['/etc', ...parts].join('/');
  return parts.join('/');
}

const BEYOND = Symbol('beyond the sandbox');
type Where = string[] | typeof BEYOND;

/**
 * Where a name lands according to the model, resolving one component at a time as the kernel
 * does; a missing name is appended (and popped by `..`); above the sandbox nothing comes back in.
 */
function expected(model: Model, base: string, name: string): Where | 'loop' {
  let links = 0;
  const step = (start: Where, text: string): Where | 'loop' => {
    let at: Where = start;
    let missing = 0;
    for (const part of text.split('/')) {
      if (part === '' || part === '.') continue;
      if (at === BEYOND) continue;
      if (part === '..') {
        if (at.length === 0) at = BEYOND;
        else {
          at = at.slice(0, -1);
          missing = Math.max(0, missing - 1);
        }
        continue;
      }
      const next: string[] = [...at, part];
      const node = missing > 0 ? undefined : model.get(next.join('/'));
      if (node?.kind !== 'link') {
        missing = node === undefined ? missing + 1 : 0;
        at = next;
        continue;
      }
      if ((links += 1) > 40) return 'loop';
      const target = node.target;
      let from: Where = at;
      let rest = target;
      if (target.startsWith(`${base}/`)) {
        from = [];
        rest = target.slice(base.length + 1);
      } else if (path.isAbsolute(target)) {
        from = BEYOND;
        rest = '';
      }
      const landed = step(from, rest);
      if (landed === 'loop') return landed;
      at = landed;
      missing = landed === BEYOND || model.has(landed.join('/')) ? 0 : 1;
    }
    return at;
  };
  if (name.startsWith(`${base}/`)) return step([], name.slice(base.length + 1));
  if (path.isAbsolute(name)) return BEYOND;
  return step(['r'], name);
}

test('confine accepts exactly the names whose real path stays inside the root, over generated trees', async () => {
  const random = prng(SEED);
  let accepted = 0;
  let refused = 0;
  for (let tree = 0; tree < 120; tree += 1) {
    const { base, root } = await sandbox();
    const model = await generateTree(random, base);
    for (let round = 0; round < 30; round += 1) {
      const name = generateName(random, base);
      const where = expected(model, base, name);
      const inside = Array.isArray(where) && where[0] === 'r';
      const describe = `tree ${tree}, name ${name}, model ${JSON.stringify([...model])}`;
      const result = await confine(root, name).then((value) => value, (error: unknown) => error);
      if (!inside) {
        assert.ok(result instanceof NagareError && result.code === 'BUILD_PATH_ESCAPES', `expected a refusal: ${describe}; got ${String(result)}`);
        assert.ok(result.message.includes(name), describe);
        refused += 1;
        continue;
      }
      assert.equal(typeof result, 'string', `expected acceptance: ${describe}; got ${String(result)}`);
      assert.equal(result, path.join(base, ...where), describe);
      const kernel = (() => {
        try {
          return realpathSync.native(path.isAbsolute(name) ? name : `${root}/${name}`);
        } catch {
          return undefined;
        }
      })();
      if (kernel !== undefined) assert.equal(result, kernel, `realpath(3) disagrees: ${describe}`);
      accepted += 1;
    }
  }
  // The generator must exercise both sides, or the property says little.
  assert.ok(accepted > 500 && refused > 500, `accepted ${accepted}, refused ${refused}`);
});

test('confine refuses a link in the middle of a path that points out, and names the path', async () => {
  const { root, outside } = await sandbox();
  await symlink(outside, path.join(root, 'a'));
  await assert.rejects(confine(root, 'a/secret'), (error: NagareError) => error.code === 'BUILD_PATH_ESCAPES' && error.message.includes('a/secret'));
  await assert.rejects(readConfinedFile(root, 'a/secret'), { code: 'BUILD_PATH_ESCAPES' });
});

test('confine refuses a dangling link whose target is outside: creating through it would land there', async () => {
  const { root, outside } = await sandbox();
  await symlink(path.join(outside, 'not-yet'), path.join(root, 'later'));
  await assert.rejects(confine(root, 'later'), { code: 'BUILD_PATH_ESCAPES' });
});

test('confine refuses a link loop instead of spinning', async () => {
  const { root } = await sandbox();
  await symlink('b', path.join(root, 'a'));
  await symlink('a', path.join(root, 'b'));
  await assert.rejects(confine(root, 'a/x'), (error: NagareError) => error.code === 'BUILD_PATH_ESCAPES' && /symbolic links/.test(error.message));
});

test('readConfinedFile follows a link that stays inside and refuses what is not a regular file', async () => {
  const { root } = await sandbox();
  await mkdir(path.join(root, 'dir'));
  await writeFile(path.join(root, 'dir', 'real.yml'), 'inside');
  await symlink('dir/real.yml', path.join(root, 'alias.yml'));
  assert.equal((await readConfinedFile(root, 'alias.yml')).toString(), 'inside');
  await assert.rejects(readConfinedFile(root, 'dir'), { code: 'BUILD_PATH_ESCAPES' });
  await assert.rejects(readConfinedFile(root, 'missing.yml'), { code: 'ENOENT' });
});
