/**
 * The `phases` block (reference §1.6): install, pre_build, build, post_build and their keys.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import { BUILDSPEC_PHASES, type BuildspecPhaseName, type OnFailure, type PhaseSpec } from '../core/buildspec.js';
import { didYouMean } from './did-you-mean.js';
import { parseOnFailure } from './on-failure.js';
import { describe, type Field, type SpecReader } from './yaml-reader.js';

export const PHASE_KEYS = ['run-as', 'on-failure', 'runtime-versions', 'commands', 'finally'] as const;

export function readPhases(reader: SpecReader, phases: Field): Partial<Record<BuildspecPhaseName, PhaseSpec>> {
  const result: Partial<Record<BuildspecPhaseName, PhaseSpec>> = {};
  for (const field of reader.fields(phases.value, phases.path, '`phases`', phases.keyNode) ?? []) {
    const name = BUILDSPEC_PHASES.find((phase) => phase === field.key);
    if (name === undefined) {
      reader.report(
        'SPEC_INVALID_PHASE',
        `\`${field.key}\` is not a buildspec phase.${didYouMean(field.key, BUILDSPEC_PHASES)} The phases are ${BUILDSPEC_PHASES.join(', ')}, in that order.`,
        field.keyNode, field.path, { phase: field.key },
      );
      continue;
    }
    result[name] = readPhase(reader, name, field);
  }
  return result;
}

function readPhase(reader: SpecReader, name: BuildspecPhaseName, phase: Field): PhaseSpec {
  let runAs: string | undefined;
  let onFailure: OnFailure | undefined;
  let runtimeVersions: Record<string, string> = {};
  let commands: string[] | undefined;
  let hasCommands = false;
  let finallyCommands: string[] = [];
  for (const field of reader.fields(phase.value, phase.path, `The \`${name}\` phase`, phase.keyNode) ?? []) {
    switch (field.key) {
      case 'run-as':
        runAs = readRunAs(reader, field);
        break;
      case 'on-failure':
        onFailure = readOnFailure(reader, field);
        break;
      case 'runtime-versions':
        if (name === 'install') runtimeVersions = readRuntimeVersions(reader, field);
        else reader.report('SPEC_UNKNOWN_KEY', `\`runtime-versions\` is allowed only in the install phase, not in ${name}; move it to \`phases.install\`.`, field.keyNode, field.path, { key: field.key });
        break;
      case 'commands':
        hasCommands = true;
        commands = readCommands(reader, field);
        break;
      case 'finally':
        finallyCommands = readCommands(reader, field) ?? [];
        break;
      default:
        reader.unknownKey(field, name === 'install' ? PHASE_KEYS : PHASE_KEYS.filter((key) => key !== 'runtime-versions'), `the \`${name}\` phase`);
    }
  }
  if (!hasCommands && name !== 'install') {
    reader.report('SPEC_MISSING_KEY', `The \`${name}\` phase has no \`commands\`; add a \`commands:\` list or remove the phase.`, phase.keyNode, phase.path, { key: 'commands' });
  }
  return {
    runAs,
    onFailure,
    runtimeVersions,
    commands: commands ?? [],
    finally: finallyCommands,
    position: reader.positionOf(phase.keyNode, phase.path),
  };
}

/** Shared with the top-level `run-as`. */
export function readRunAs(reader: SpecReader, field: Field): string | undefined {
  const user = reader.text(field, '`run-as`');
  if (field.value === undefined || user === '') {
    reader.report('SPEC_INVALID_VALUE', '`run-as` needs a Linux user name; remove the key to run as root.', field.valueNode, field.path);
    return undefined;
  }
  return user;
}

function readOnFailure(reader: SpecReader, field: Field): OnFailure | undefined {
  if (field.value === undefined) {
    reader.report('SPEC_INVALID_ON_FAILURE', '`on-failure` is empty; use ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex>, or remove it.', field.valueNode, field.path);
    return undefined;
  }
  const text = reader.text(field, '`on-failure`');
  if (text === undefined) return undefined;
  const parsed = parseOnFailure(text);
  if (parsed.ok) return parsed.value;
  reader.report('SPEC_INVALID_ON_FAILURE', parsed.problem, field.valueNode, field.path, { value: text });
  return undefined;
}

function readRuntimeVersions(reader: SpecReader, field: Field): Record<string, string> {
  const versions: Record<string, string> = {};
  const runtimes = reader.fields(field.value, field.path, '`runtime-versions`', field.keyNode);
  if (runtimes === undefined) return versions;
  if (runtimes.length === 0) {
    reader.report('SPEC_INVALID_VALUE', '`runtime-versions` needs at least one runtime, e.g. `nodejs: 18`; or remove the key.', field.valueNode, field.path);
  }
  for (const runtime of runtimes) {
    if (runtime.value === undefined) {
      reader.report('SPEC_INVALID_VALUE', `The runtime \`${runtime.key}\` has no version; write e.g. \`${runtime.key}: latest\`.`, runtime.keyNode, runtime.path);
      continue;
    }
    const version = reader.text(runtime, `The version of ${runtime.key}`);
    if (version !== undefined) versions[runtime.key] = version;
  }
  return versions;
}

/**
 * A list of commands; numbers and booleans stay as written, and `- echo a: b` gets a quoting hint.
 * As CodeBuild reads them, `commands:` with no value is no commands and `commands: make all`
 * (one string) is one command.
 */
function readCommands(reader: SpecReader, field: Field): string[] | undefined {
  const list = field.value;
  if (list === undefined) {
    // An alias to nothing is already reported where it is written.
    return isAlias(field.valueNode) ? undefined : [];
  }
  if (isScalar(list)) return [String(list.value)];
  if (!isSeq(list)) {
    reader.report('SPEC_INVALID_TYPE', `\`${field.key}\` must be a list of commands, not ${describe(list)}.`, field.valueNode, field.path);
    return undefined;
  }
  const commands: string[] = [];
  list.items.forEach((itemNode, index) => {
    const item = reader.resolve(itemNode);
    const path = `${field.path}[${index}]`;
    if (item === undefined) {
      reader.report('SPEC_INVALID_VALUE', 'This command is empty; remove the `-` line or write a command.', itemNode ?? list, path);
    } else if (isScalar(item)) {
      commands.push(String(item.value));
    } else if (isMap(item)) {
      const written = reader.sourceOf(itemNode);
      reader.report('SPEC_INVALID_TYPE', `YAML reads this command as a map because it contains \`: \`; quote the whole command: - ${quote(written)}`, itemNode, path);
    } else {
      reader.report('SPEC_INVALID_TYPE', `A command must be text, not ${describe(item)}; write one command per \`- \` line.`, itemNode, path);
    }
  });
  return commands;
}

function quote(command: string): string {
  const oneLine = command.replace(/\s*\n\s*/g, ' ');
  return oneLine.includes('"') ? `'${oneLine.replace(/'/g, "''")}'` : `"${oneLine.replace(/\\/g, '\\\\')}"`;
}
