// Lint: typescript-eslint with type information, and the import rules of DESIGN.md per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders each part may not import from, after DESIGN.md's layout. */
const forbidden = {
  core: ['spec', 'config', 'store', 'blobs', 'executors', 'build', 'deploy', 'agent', 'server', 'api', 'client', 'cli'],
  spec: ['config', 'store', 'blobs', 'executors', 'build', 'deploy', 'agent', 'server', 'api', 'client', 'cli'],
  protocol: ['spec', 'config', 'store', 'blobs', 'executors', 'build', 'deploy', 'agent', 'server', 'api', 'client', 'cli'],
  executors: ['spec', 'config', 'store', 'blobs', 'build', 'deploy', 'agent', 'server', 'api', 'client', 'cli'],
  build: ['config', 'store', 'server', 'api', 'agent', 'client', 'cli'],
  config: ['cli'],
};

const ioModules = ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'node:http', 'fs', 'child_process'];
const pureParts = new Set(['core', 'spec', 'protocol']);

const importRules = Object.entries(forbidden).map(([part, banned]) => ({
  files: [`src/${part}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: pureParts.has(part) ? ioModules.map((name) => ({ name, message: 'core and spec are pure: no I/O (STYLE.md habit 1)' })) : [],
      patterns: banned.map((b) => ({ group: [`../${b}/*`, `../../${b}/*`], message: `src/${part} must not import src/${b} (DESIGN.md import rules)` })),
    }],
  },
}));

const pureRules = {
  files: ['src/core/**/*.ts', 'src/spec/**/*.ts'],
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
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'examples/*/*.js', 'examples/*/*/*.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'], package: 'node:test' }] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  ...importRules,
  pureRules,
);
