/**
 * The `env` block (reference §1.4) and version 0.1's `environment_variables: { plaintext: … }`.
 */
import type { EnvSpec, SecretReference } from '../core/buildspec.js';
import { didYouMean } from './did-you-mean.js';
import { parseSecretReference } from './secret-reference.js';
import type { Field, SpecReader } from './yaml-reader.js';

export const ENV_KEYS = ['shell', 'variables', 'parameter-store', 'secrets-manager', 'exported-variables', 'git-credential-helper'] as const;
const LEGACY_ENV_KEYS = ['plaintext'] as const;

const LINUX_SHELLS = ['bash', '/bin/bash', 'sh', '/bin/sh'];
const WINDOWS_SHELLS = ['powershell.exe', 'cmd.exe'];
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const DEFAULT_ENV: EnvSpec = {
  shell: 'sh',
  variables: {},
  parameterStore: {},
  secretsManager: {},
  exportedVariables: [],
  gitCredentialHelper: false,
};

/** Reads `env`; `legacy` is 0.1's `environment_variables` field when present. */
export function readEnv(reader: SpecReader, env: Field | undefined, legacy: Field | undefined): EnvSpec {
  const result = { ...DEFAULT_ENV };
  const legacyVariables = legacy ? readLegacy(reader, legacy) : undefined;
  let variablesField: Field | undefined;
  for (const field of env ? reader.fields(env.value, env.path, '`env`', env.keyNode) ?? [] : []) {
    switch (field.key) {
      case 'shell':
        result.shell = readShell(reader, field) ?? result.shell;
        break;
      case 'variables':
        variablesField = field;
        result.variables = readVariables(reader, field, '`env.variables`', (value) => value);
        break;
      case 'parameter-store':
        result.parameterStore = readVariables(reader, field, '`env.parameter-store`', (value, at) => nonEmpty(reader, value, at, 'the name of a Parameter Store parameter, e.g. /my-app/token'));
        break;
      case 'secrets-manager':
        result.secretsManager = readVariables(reader, field, '`env.secrets-manager`', (value, at) => secret(reader, value, at));
        break;
      case 'exported-variables':
        result.exportedVariables = readExported(reader, field);
        break;
      case 'git-credential-helper':
        result.gitCredentialHelper = reader.boolean(field, '`env.git-credential-helper`') ?? false;
        break;
      default:
        // `env.compute-type`, `env.image` … of batch entries and other tools' keys: CodeBuild
        // runs such a buildspec, so nagare warns and goes on.
        reader.unknownKeyWarning(field, ENV_KEYS, '`env`');
    }
  }
  if (legacyVariables && legacy) {
    if (variablesField) {
      reader.report('SPEC_INVALID_VALUE', 'Both `env.variables` and `environment_variables` are set; keep one (0.2 uses `env: variables:`).', legacy.keyNode, legacy.path);
    }
    result.variables = { ...legacyVariables, ...result.variables };
  }
  return result;
}

function readLegacy(reader: SpecReader, legacy: Field): Record<string, string> {
  let variables: Record<string, string> = {};
  for (const field of reader.fields(legacy.value, legacy.path, '`environment_variables`', legacy.keyNode) ?? []) {
    if (field.key === 'plaintext') variables = readVariables(reader, field, '`environment_variables.plaintext`', (value) => value);
    else reader.unknownKey(field, LEGACY_ENV_KEYS, '`environment_variables`');
  }
  return variables;
}

function readShell(reader: SpecReader, field: Field): string | undefined {
  const shell = reader.text(field, '`env.shell`');
  if (shell === undefined) return undefined;
  if (LINUX_SHELLS.includes(shell)) return shell;
  if (WINDOWS_SHELLS.includes(shell.toLowerCase())) {
    reader.report('UNSUPPORTED_FEATURE', `\`env.shell: ${shell}\` is a Windows shell; nagare runs Linux builds only. Use bash or /bin/sh.`, field.valueNode, field.path, { feature: 'env.shell' });
    return undefined;
  }
  reader.report('SPEC_INVALID_VALUE', `\`env.shell\` must be bash or /bin/sh (as on CodeBuild's Linux images), not \`${shell}\`.${didYouMean(shell, LINUX_SHELLS)}`, field.valueNode, field.path);
  return undefined;
}

/** A map of variable name → value, with names checked and each value turned by `convert`. */
export function readVariables<T>(
  reader: SpecReader,
  field: Field,
  what: string,
  convert: (value: string, at: Field) => T | undefined,
): Record<string, T> {
  const result: Record<string, T> = {};
  for (const variable of reader.fields(field.value, field.path, what, field.keyNode) ?? []) {
    if (!checkName(reader, variable, what)) continue;
    const text = variable.value === undefined ? '' : reader.text(variable, `The value of \`${variable.path}\``);
    if (text === undefined) continue;
    const value = convert(text, variable);
    if (value !== undefined) result[variable.key] = value;
  }
  return result;
}

export function checkName(reader: SpecReader, variable: Field, what: string): boolean {
  if (!SHELL_NAME.test(variable.key)) {
    reader.report('SPEC_INVALID_VALUE', `\`${variable.key}\` in ${what} is not a valid variable name; use letters, digits and _, not starting with a digit.`, variable.keyNode, variable.path);
    return false;
  }
  if (variable.key.startsWith('CODEBUILD_')) {
    reader.report('SPEC_RESERVED_VARIABLE', `\`${variable.key}\`: names starting with CODEBUILD_ are reserved for CodeBuild's own variables; choose another name.`, variable.keyNode, variable.path);
    return false;
  }
  return true;
}

function nonEmpty(reader: SpecReader, value: string, at: Field, what: string): string | undefined {
  if (value !== '') return value;
  reader.report('SPEC_INVALID_VALUE', `\`${at.path}\` needs ${what}.`, at.valueNode, at.path);
  return undefined;
}

function secret(reader: SpecReader, value: string, at: Field): SecretReference | undefined {
  const parsed = parseSecretReference(value);
  if (parsed.ok) return parsed.value;
  reader.report('SPEC_INVALID_VALUE', parsed.problem, at.valueNode, at.path);
  return undefined;
}

function readExported(reader: SpecReader, field: Field): string[] {
  const valid: string[] = [];
  for (const { text: name, node, path } of reader.textItems(field, '`env.exported-variables`', { scalarAllowed: false }) ?? []) {
    if (!SHELL_NAME.test(name)) {
      reader.report('SPEC_INVALID_VALUE', `\`${name}\` in \`env.exported-variables\` is not a valid variable name; use letters, digits and _.`, node, path);
    } else if (name.startsWith('AWS_')) {
      reader.report('SPEC_INVALID_VALUE', `\`${name}\` cannot be exported: CodeBuild does not export names starting with AWS_; copy it into another variable and export that.`, node, path);
    } else {
      valid.push(name);
    }
  }
  return valid;
}
