/**
 * What a batch costs with `nagare build`: a 6-build matrix of trivial builds (`echo`) run by the
 * compiled CLI with --parallel 1, 2 and 6, beside one trivial build, each the whole process as a
 * user waits for it. Prints median and spread; never fails on a timing.
 *
 *   npm run build && node --import tsx bench/batch-build.ts [--runs 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 5) || 5;
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const source = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-batch-'));
const state = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-batch-state-'));
await mkdir(path.join(source, 'ci'));
const child = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "$N"\n';
await writeFile(path.join(source, 'ci/a.yml'), child);
await writeFile(path.join(source, 'ci/b.yml'), child);
await writeFile(path.join(source, 'buildspec.yml'), 'version: 0.2\nbatch:\n  build-matrix:\n    dynamic:\n      buildspec: [ci/a.yml, ci/b.yml]\n      env:\n        variables:\n          N: [1, 2, 3]\n');

function time(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`nagare ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const variants: [string, string[]][] = [
  ['one trivial build', ['build', '-s', source, '-b', 'ci/a.yml', '--state-dir', state]],
  ['matrix of 6, --parallel 1', ['build', '-s', source, '--state-dir', state, '--parallel', '1']],
  ['matrix of 6, --parallel 2', ['build', '-s', source, '--state-dir', state, '--parallel', '2']],
  ['matrix of 6, --parallel 6', ['build', '-s', source, '--state-dir', state, '--parallel', '6']],
];
const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < runs; round += 1) {
  for (const [name, args] of variants) samples.get(name)?.push(time(args));
}
console.log(`nagare build of batches, ${runs} rounds, ${os.availableParallelism()} CPUs, node ${process.version}`);
for (const [name, values] of samples) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(`${name.padEnd(28)} median ${median.toFixed(0).padStart(5)} ms   min ${(sorted[0] ?? 0).toFixed(0).padStart(5)} ms   max ${(sorted.at(-1) ?? 0).toFixed(0).padStart(5)} ms`);
}
