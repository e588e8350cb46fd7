// Builds the `nagare` CLI: one ESM bundle with lazily loaded chunks (startup time matters for
// `nagare build`, see docs/benchmarks.md), plus the helper scripts builds put on their PATH, and the
// dashboard (web/, Vite) into dist/web, which the server serves.
import { build } from 'esbuild';
import { build as buildDashboard } from 'vite';
import { chmodSync, cpSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { nagare: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addons and their loaders stay in node_modules.
  external: ['better-sqlite3', 'pg-native'],
  // CommonJS dependencies bundled into ESM still call require().
  banner: { js: "import { createRequire as __nagareRequire } from 'node:module'; const require = __nagareRequire(import.meta.url);" },
  logLevel: 'warning',
});
cpSync('src/build/helpers', 'dist/cli/helpers', { recursive: true });
// The command itself is a small file that turns on Node's compile cache (Node 22+; Node 20 has none)
// before the bundle loads, so V8 reuses the bundle's compiled code from the previous run, and keeps
// the young generation at its first size (src/cli/young-generation.ts says why; server and agent
// let it grow again).
writeFileSync('dist/cli/main.js', `#!/usr/bin/env node
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';
module.enableCompileCache?.();
setFlagsFromString('--semi-space-growth-factor=1');
await import('./nagare.js');
`);
chmodSync('dist/cli/main.js', 0o755);
await buildDashboard({ configFile: 'web/vite.config.mjs' });
