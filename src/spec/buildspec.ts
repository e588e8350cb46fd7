/**
 * Parses and validates a CodeBuild `buildspec.yml` into the compiled BuildSpec of core/buildspec.ts,
 * defaults applied. Every problem found is reported at once, each with file, line, column and key path.
 */
import { isMap } from 'yaml';
import type { BuildSpec, BuildspecVersion, ReportGroupSpec } from '../core/buildspec.js';
import { NagareError, SpecErrors } from '../core/errors.js';
import { DEFAULT_ENV, readEnv } from './buildspec-env.js';
import { readBatch } from './buildspec-batch.js';
import { readArtifacts, readCache, readReports } from './buildspec-outputs.js';
import { readPhases, readRunAs } from './buildspec-phases.js';
import { describe, inSourceOrder, readSpecDocument, type Field, type SpecReader } from './yaml-reader.js';

export const TOP_LEVEL_KEYS = ['version', 'run-as', 'env', 'proxy', 'batch', 'phases', 'reports', 'artifacts', 'cache'] as const;
const PROXY_KEYS = ['upload-artifacts', 'logs'] as const;
const LEGACY_ENV_KEY = 'environment_variables';

/**
 * Parses `text` (the content of `file`, used in messages) into a BuildSpec.
 * @throws SpecErrors listing every problem found, the first one as the headline.
 */
export function parseBuildspec(text: string, file: string): BuildSpec {
  const { reader, root, contents } = readSpecDocument(text, file, 'buildspec');
  if (root === undefined) {
    throw new SpecErrors([new NagareError('SPEC_EMPTY', `${file} is empty; a buildspec needs at least \`version: 0.2\` and \`phases:\`.`, {
      position: { file, line: 1, column: 1, path: '' },
    })]);
  }
  if (!isMap(root)) {
    reader.report('SPEC_NOT_A_MAP', `A buildspec must be a map of keys (version, phases, …) at the top level, not ${describe(root)}.`, contents, '');
    throw new SpecErrors(reader.errors);
  }
  const spec = readTopLevel(reader, root, file);
  if (reader.errors.length > 0) throw new SpecErrors(inSourceOrder(reader.errors));
  return spec;
}

function readTopLevel(reader: SpecReader, root: unknown, file: string): BuildSpec {
  const fields = reader.fields(root, '', 'A buildspec') ?? [];
  const byKey = new Map(fields.map((field) => [field.key, field]));
  const version = readVersion(reader, byKey.get('version'), root);
  let runAs: string | undefined;
  let proxy = { uploadArtifacts: false, logs: false };
  let phases: BuildSpec['phases'] = {};
  let reports: Record<string, ReportGroupSpec> = {};
  let artifacts: BuildSpec['artifacts'];
  let cache: BuildSpec['cache'];
  let batch: BuildSpec['batch'];
  for (const field of fields) {
    switch (field.key) {
      case 'version':
      case 'env':
        break;
      case LEGACY_ENV_KEY:
        if (version === '0.2') {
          reader.report('SPEC_UNKNOWN_KEY', '`environment_variables` is the version 0.1 name; in version 0.2 write `env:` with `variables:` under it.', field.keyNode, field.path, { key: field.key });
        }
        break;
      case 'run-as': runAs = readRunAs(reader, field); break;
      case 'proxy': proxy = readProxy(reader, field); break;
      case 'batch': batch = readBatch(reader, field); break;
      case 'phases': phases = readPhases(reader, field); break;
      case 'reports': reports = readReports(reader, field); break;
      case 'artifacts': artifacts = readArtifacts(reader, field); break;
      case 'cache': cache = readCache(reader, field); break;
      // CodeBuild ignores keys it does not know here (`eb_codebuild_settings` in AWS's own
      // Elastic Beanstalk sample): a warning with the did-you-mean hint, not a refusal.
      default: reader.unknownKeyWarning(field, TOP_LEVEL_KEYS, 'the buildspec');
    }
  }
  // No `phases` (or `phases:` with nothing under it) is valid: such a buildspec only sets up
  // the environment and uploads its artifacts, as CodeBuild allows.
  const legacy = version === '0.2' ? undefined : byKey.get(LEGACY_ENV_KEY);
  const envField = byKey.get('env');
  const env = envField || legacy ? readEnv(reader, envField, legacy) : DEFAULT_ENV;
  return { version: version ?? '0.2', runAs, env, proxy, phases, reports, artifacts, cache, batch, file, warnings: inSourceOrder(reader.warnings) };
}

const VERSIONS: Readonly<Record<string, BuildspecVersion>> = { '0.1': '0.1', '0.2': '0.2' };

function readVersion(reader: SpecReader, field: Field | undefined, root: unknown): BuildspecVersion | undefined {
  if (!field) {
    reader.report('SPEC_MISSING_KEY', 'The buildspec has no `version`; add `version: 0.2` as its first line.', root, '', { key: 'version' });
    return undefined;
  }
  const text = reader.text(field, '`version`');
  if (field.value === undefined) {
    reader.report('SPEC_INVALID_VERSION', '`version` is empty; write `version: 0.2`.', field.valueNode, field.path);
    return undefined;
  }
  if (text === undefined) return undefined;
  // Unquoted, `0.20` and `0.2` are the same number, as CodeBuild's YAML reader sees them.
  const numeric = /^[0-9]*\.?[0-9]+$/.test(text) ? String(Number(text)) : text;
  const version = VERSIONS[text] ?? VERSIONS[numeric];
  if (version === undefined) {
    reader.report('SPEC_INVALID_VERSION', `\`version: ${text}\` is not a buildspec version; use 0.2 (or 0.1 for old buildspecs).`, field.valueNode, field.path, { version: text });
  }
  return version;
}

function readProxy(reader: SpecReader, proxy: Field): BuildSpec['proxy'] {
  const result = { uploadArtifacts: false, logs: false };
  for (const field of reader.fields(proxy.value, proxy.path, '`proxy`', proxy.keyNode) ?? []) {
    if (field.key === 'upload-artifacts') result.uploadArtifacts = reader.boolean(field, '`proxy.upload-artifacts`') ?? false;
    else if (field.key === 'logs') result.logs = reader.boolean(field, '`proxy.logs`') ?? false;
    else reader.unknownKey(field, PROXY_KEYS, '`proxy`');
  }
  return result;
}
