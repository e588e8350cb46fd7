// Lint: typescript-eslint with type information, and the import rules of DESIGN.md per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src/ may import of nagare's, after DESIGN.md's import rules; every other
 * folder is forbidden. `web/` (the dashboard, outside src/) is to import only client and protocol.
 */
const FOLDERS = ['core', 'spec', 'protocol', 'config', 'store', 'blobs', 'executors', 'git', 'build', 'deploy', 'agent', 'server', 'api', 'client', 'main', 'cli'];
const allowed = {
  core: [],
  spec: ['core'],
  protocol: ['core'],
  config: ['core'],
  // protocol: the stored build record is parsed with the schema its job travels the wire with.
  store: ['core', 'protocol'],
  blobs: ['core'],
  executors: ['core'],
  git: ['core'],
  build: ['core', 'spec', 'executors'],
  deploy: ['core', 'spec', 'executors'],
  agent: ['core', 'spec', 'protocol', 'executors', 'build', 'deploy', 'client'],
  // Ports only: the blob store's interface, not its backends; the store's ports are in core.
  server: ['core', 'spec', 'protocol', 'git', 'blobs/blob-store.js'],
  api: ['core', 'spec', 'protocol', 'server'],
  client: ['core', 'protocol'],
  main: FOLDERS.filter((f) => f !== 'main' && f !== 'cli'),
  cli: FOLDERS.filter((f) => f !== 'cli'),
};

const ioModules = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'node:http', 'fs', 'child_process'];
const pureParts = new Set(['core', 'spec', 'protocol']);

/** The patterns that forbid `part` its banned folders, for a file `depth` folders below src/. */
function bannedPatterns(part, depth) {
  const up = '../'.repeat(depth);
  const allow = allowed[part].map((a) => a.split('/')[0]);
  const patterns = FOLDERS.filter((f) => f !== part && !allow.includes(f)).map((b) => ({ group: [`${up}${b}/*`], message: `src/${part} must not import src/${b} (DESIGN.md import rules)` }));
  // A folder allowed only in part (`blobs/blob-store.js`): its other files are banned.
  for (const only of allowed[part].filter((a) => a.includes('/'))) {
    const folder = only.split('/')[0];
    patterns.push({ group: [`${up}${folder}/*`, `!${up}${only}`], message: `src/${part} may import only ${only} of src/${folder}: the port, not an adapter (DESIGN.md import rules)` });
  }
  return patterns;
}

const importRules = Object.keys(allowed).flatMap((part) => [1, 2, 3, 4].map((depth) => ({
  files: [`src/${part}/${'*/'.repeat(depth - 1)}*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: pureParts.has(part) ? ioModules.map((name) => ({ name, message: 'core, spec and protocol are pure: no I/O (STYLE.md habit 1)' })) : [],
      patterns: bannedPatterns(part, depth),
    }],
  },
})));

/** web/ (the dashboard, outside src/) imports only client and protocol of nagare's (DESIGN.md import rules). */
const webAllowed = ['client', 'protocol'];
const webRules = [1, 2].map((depth) => ({
  files: [`web/src/${'*/'.repeat(depth - 1)}*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: FOLDERS.filter((f) => !webAllowed.includes(f)).map((b) => ({ group: [`${'../'.repeat(depth + 1)}src/${b}/*`], message: `web/ must not import src/${b}: the dashboard reads the native API through src/client (DESIGN.md import rules)` })),
    }],
  },
}));

const pureRules = {
  files: ['src/core/**/*.ts', 'src/spec/**/*.ts', 'src/protocol/**/*.ts'],
  rules: {
    'no-restricted-properties': ['error',
      { object: 'Date', property: 'now', message: 'pass a clock in (STYLE.md habit 1)' },
      { object: 'Math', property: 'random', message: 'pass an id generator in (STYLE.md habit 1)' },
      { object: 'process', property: 'env', message: 'only src/config reads the environment' }],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'examples/**/node_modules/**', '.nagare/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'web/*.mjs', 'examples/*/*.js', 'examples/*/*/*.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'], package: 'node:test' }] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  // The dashboard runs in the browser.
  { files: ['web/src/**/*.{ts,tsx}'], languageOptions: { globals: { window: 'readonly', document: 'readonly' } } },
  ...importRules,
  ...webRules,
  pureRules,
);
