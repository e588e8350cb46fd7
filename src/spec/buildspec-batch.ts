/**
 * The buildspec's `batch` section (reference §1.5): `build-list`, `build-graph` (`depend-on`) or
 * `build-matrix` (`static` + `dynamic`), with `fast-fail` and `combine-artifacts`. Graph
 * references are checked here (unknown names, cycles) so that a batch that cannot run is refused
 * before any build starts. `debug-session` is accepted and ignored with a warning (nagare has no
 * Session Manager); `build-fanout` is refused with UNSUPPORTED_FEATURE.
 */
import type { BatchEnvSpec, BatchKind, BatchSpec, BatchTaskSpec, BuildMatrixSpec, SpecWarning } from '../core/build-batch.js';
import { batchSize, DOWNLOAD_SOURCE_GROUP, EMPTY_BATCH_ENV } from '../core/build-batch.js';
import { checkName, readVariables } from './buildspec-env.js';
import type { Field, SpecReader } from './yaml-reader.js';
import { isSeq } from 'yaml';

const BATCH_KEYS = ['fast-fail', 'combine-artifacts', 'build-list', 'build-graph', 'build-matrix', 'build-fanout'] as const;
const TASK_KEYS = ['identifier', 'buildspec', 'debug-session', 'depend-on', 'env', 'ignore-failure'] as const;
const ENV_KEYS = ['compute-type', 'image', 'privileged-mode', 'type', 'variables', 'fleet'] as const;
const STATIC_KEYS = ['ignore-failure', 'env'] as const;
const DYNAMIC_KEYS = ['buildspec', 'env'] as const;
const DYNAMIC_ENV_KEYS = ['compute-type', 'image', 'variables'] as const;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
/** CodeBuild's own default for `restrictions.maximumBuildsAllowed`; a larger batch is refused. */
export const MAX_BATCH_BUILDS = 100;

/** Reads `batch:`; undefined when it is empty or broken (the problems are in the reader). */
export function readBatch(reader: SpecReader, batch: Field): BatchSpec | undefined {
  const warnings: SpecWarning[] = [];
  let fastFail = false;
  let combineArtifacts = false;
  const kinds: { kind: BatchKind; field: Field }[] = [];
  for (const field of reader.fields(batch.value, batch.path, '`batch`', batch.keyNode) ?? []) {
    switch (field.key) {
      case 'fast-fail': fastFail = reader.boolean(field, '`batch.fast-fail`') ?? false; break;
      case 'combine-artifacts': combineArtifacts = reader.boolean(field, '`batch.combine-artifacts`') ?? false; break;
      case 'build-list':
      case 'build-graph':
      case 'build-matrix':
        kinds.push({ kind: field.key, field });
        break;
      case 'build-fanout':
        reader.report('UNSUPPORTED_FEATURE', '`batch.build-fanout` (test sharding with codebuild-tests-run) is not supported by nagare yet; use `build-list` with one entry per shard instead.', field.keyNode, field.path, { feature: 'batch.build-fanout' });
        return undefined;
      default: reader.unknownKey(field, BATCH_KEYS, '`batch`');
    }
  }
  const [chosen, extra] = kinds;
  if (chosen === undefined) {
    reader.report('SPEC_MISSING_KEY', '`batch` needs one of `build-list`, `build-graph` or `build-matrix` saying which builds to run.', batch.keyNode, batch.path, { key: 'build-list' });
    return undefined;
  }
  if (extra !== undefined) {
    reader.report('SPEC_INVALID_VALUE', `\`batch\` has both \`${chosen.kind}\` and \`${extra.kind}\`; a batch is exactly one of build-list, build-graph or build-matrix.`, extra.field.keyNode, extra.field.path);
    return undefined;
  }
  const tasks = chosen.kind === 'build-matrix' ? [] : readTasks(reader, chosen.field, chosen.kind, warnings);
  const matrix = chosen.kind === 'build-matrix' ? readMatrix(reader, chosen.field) : undefined;
  const spec: BatchSpec = { kind: chosen.kind, fastFail, combineArtifacts, tasks, matrix, warnings };
  const size = batchSize(spec);
  if (size > MAX_BATCH_BUILDS) {
    reader.report('SPEC_INVALID_VALUE', `\`batch.${chosen.kind}\` makes ${size} builds; a batch may have at most ${MAX_BATCH_BUILDS} (CodeBuild's maximumBuildsAllowed).`, chosen.field.keyNode, chosen.field.path);
  }
  return spec;
}

function readTasks(reader: SpecReader, field: Field, kind: BatchKind, warnings: SpecWarning[]): BatchTaskSpec[] {
  const list = field.value;
  if (list === undefined || !isSeq(list) || list.items.length === 0) {
    reader.report('SPEC_INVALID_TYPE', `\`batch.${kind}\` must be a non-empty list of builds, each with an \`identifier\`.`, field.valueNode, field.path);
    return [];
  }
  const tasks: BatchTaskSpec[] = [];
  const positions = new Map<string, { node: unknown; path: string }>();
  const dependencies: { task: string; id: string; node: unknown; path: string }[] = [];
  list.items.forEach((item, index) => {
    const path = `${field.path}[${index}]`;
    const fields = reader.fields(item, path, `Each entry of \`batch.${kind}\``, item) ?? [];
    let identifier: string | undefined;
    let buildspec: string | undefined;
    let env = EMPTY_BATCH_ENV;
    let ignoreFailure = false;
    const dependOn: string[] = [];
    for (const entry of fields) {
      switch (entry.key) {
        case 'identifier': {
          identifier = reader.text(entry, '`identifier`');
          if (identifier === undefined) break;
          if (!IDENTIFIER.test(identifier) || identifier === DOWNLOAD_SOURCE_GROUP) {
            reader.report('SPEC_INVALID_VALUE', `\`${identifier}\` is not a batch build identifier; use letters, digits and _, starting with a letter (and not ${DOWNLOAD_SOURCE_GROUP}).`, entry.valueNode, entry.path);
          } else if (positions.has(identifier)) {
            reader.report('SPEC_INVALID_VALUE', `The identifier \`${identifier}\` is used by two builds of \`batch.${kind}\`; each build needs its own.`, entry.valueNode, entry.path);
          } else {
            positions.set(identifier, { node: entry.valueNode, path: entry.path });
          }
          break;
        }
        case 'buildspec': buildspec = reader.text(entry, '`buildspec`'); break;
        case 'env': env = readEnvOverride(reader, entry); break;
        case 'ignore-failure': ignoreFailure = reader.boolean(entry, '`ignore-failure`') ?? false; break;
        case 'debug-session':
          if (reader.boolean(entry, '`debug-session`') === true) {
            warnings.push({ message: `\`${entry.path}\` is ignored: nagare has no debug sessions (Session Manager); the build runs without one.`, position: reader.positionOf(entry.keyNode, entry.path) });
          }
          break;
        case 'depend-on':
          if (kind !== 'build-graph') {
            reader.report('SPEC_UNKNOWN_KEY', `\`depend-on\` belongs to \`build-graph\` entries; in \`batch.${kind}\` every build runs at once. Use \`build-graph\` to order builds.`, entry.keyNode, entry.path, { key: 'depend-on' });
            break;
          }
          for (const item of reader.textItems(entry, '`depend-on`', { scalarAllowed: true }) ?? []) {
            dependOn.push(item.text);
            dependencies.push({ task: identifier ?? '', id: item.text, node: item.node, path: item.path });
          }
          break;
        default: reader.unknownKey(entry, TASK_KEYS, `an entry of \`batch.${kind}\``);
      }
    }
    if (identifier === undefined) {
      if (!fields.some((entry) => entry.key === 'identifier')) {
        reader.report('SPEC_MISSING_KEY', `Each entry of \`batch.${kind}\` needs an \`identifier\` naming its build.`, item, path, { key: 'identifier' });
      }
      return;
    }
    tasks.push({ identifier, buildspec, env, ignoreFailure, dependOn });
  });
  for (const dependency of dependencies) {
    if (!positions.has(dependency.id)) {
      reader.report('SPEC_INVALID_VALUE', `\`depend-on\` names \`${dependency.id}\`, which is no build of \`batch.build-graph\`.`, dependency.node, dependency.path);
    } else if (dependency.id === dependency.task) {
      reader.report('SPEC_INVALID_VALUE', `The build \`${dependency.task}\` depends on itself; remove it from its own \`depend-on\`.`, dependency.node, dependency.path);
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) {
    const at = positions.get(cycle[0] ?? '');
    reader.report('SPEC_INVALID_VALUE', `\`batch.build-graph\` has a cycle (${cycle.join(' → ')}); no build in it could ever start.`, at?.node ?? field.keyNode, at?.path ?? field.path);
  }
  return tasks;
}

/** A cycle of depend-on longer than one build, as the list of identifiers around it. */
function findCycle(tasks: readonly BatchTaskSpec[]): string[] | undefined {
  const byId = new Map(tasks.map((task) => [task.identifier, task]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of byId.get(id)?.dependOn ?? []) {
      if (next === id || !byId.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task.identifier);
    if (cycle) return cycle;
  }
  return undefined;
}

function readEnvOverride(reader: SpecReader, env: Field): BatchEnvSpec {
  let result: BatchEnvSpec = EMPTY_BATCH_ENV;
  for (const field of reader.fields(env.value, env.path, '`env`', env.keyNode) ?? []) {
    switch (field.key) {
      case 'compute-type': result = { ...result, computeType: reader.text(field, '`compute-type`') }; break;
      case 'image': result = { ...result, image: reader.text(field, '`image`') }; break;
      case 'type': result = { ...result, type: readType(reader, field) }; break;
      case 'fleet':
        // A project's fleet routes its builds (CreateProject's environment.fleet); an entry's own is not wired yet.
        reader.report('UNSUPPORTED_FEATURE', '`fleet` on a batch build is not supported by nagare yet; give the project the fleet (environment.fleet) instead.', field.keyNode, field.path, { feature: 'batch env.fleet' });
        break;
      case 'privileged-mode': result = { ...result, privilegedMode: reader.boolean(field, '`privileged-mode`') }; break;
      case 'variables': result = { ...result, variables: readVariables(reader, field, `\`${field.path}\``, (value) => value) }; break;
      default: reader.unknownKey(field, ENV_KEYS, `\`${env.path}\``);
    }
  }
  return result;
}

/** nagare runs Linux containers only, as CreateProject's environment type says. */
function readType(reader: SpecReader, field: Field): string | undefined {
  const type = reader.text(field, '`type`');
  if (type !== undefined && type !== 'LINUX_CONTAINER') {
    reader.report('UNSUPPORTED_FEATURE', `\`type: ${type}\` is not supported by nagare; its builds run in Linux containers (LINUX_CONTAINER) only.`, field.valueNode, field.path, { feature: 'batch env.type' });
    return undefined;
  }
  return type;
}

function readMatrix(reader: SpecReader, matrix: Field): BuildMatrixSpec {
  const result: { -readonly [K in keyof BuildMatrixSpec]: BuildMatrixSpec[K] } = {
    static: { ignoreFailure: false, env: EMPTY_BATCH_ENV },
    dynamic: { buildspec: [], image: [], computeType: [], variables: {} },
  };
  for (const field of reader.fields(matrix.value, matrix.path, '`batch.build-matrix`', matrix.keyNode) ?? []) {
    if (field.key === 'static') {
      let ignoreFailure = false;
      let env = EMPTY_BATCH_ENV;
      for (const entry of reader.fields(field.value, field.path, '`static`', field.keyNode) ?? []) {
        if (entry.key === 'ignore-failure') ignoreFailure = reader.boolean(entry, '`ignore-failure`') ?? false;
        else if (entry.key === 'env') env = readEnvOverride(reader, entry);
        else reader.unknownKey(entry, STATIC_KEYS, '`batch.build-matrix.static`');
      }
      result.static = { ignoreFailure, env };
    } else if (field.key === 'dynamic') {
      result.dynamic = readDynamic(reader, field);
    } else {
      reader.unknownKey(field, ['static', 'dynamic'], '`batch.build-matrix`');
    }
  }
  return result;
}

function readDynamic(reader: SpecReader, dynamic: Field): BuildMatrixSpec['dynamic'] {
  const list = (field: Field): string[] => reader.textList(field, `\`${field.path}\``, { scalarAllowed: true }) ?? [];
  let buildspec: string[] = [];
  let image: string[] = [];
  let computeType: string[] = [];
  const variables: Record<string, string[]> = {};
  for (const field of reader.fields(dynamic.value, dynamic.path, '`dynamic`', dynamic.keyNode) ?? []) {
    if (field.key === 'buildspec') {
      buildspec = list(field);
    } else if (field.key === 'env') {
      for (const entry of reader.fields(field.value, field.path, '`dynamic.env`', field.keyNode) ?? []) {
        if (entry.key === 'image') image = list(entry);
        else if (entry.key === 'compute-type') computeType = list(entry);
        else if (entry.key === 'variables') {
          for (const variable of reader.fields(entry.value, entry.path, '`dynamic.env.variables`', entry.keyNode) ?? []) {
            if (checkName(reader, variable, '`dynamic.env.variables`')) variables[variable.key] = list(variable);
          }
        } else reader.unknownKey(entry, DYNAMIC_ENV_KEYS, '`batch.build-matrix.dynamic.env`');
      }
    } else {
      reader.unknownKey(field, DYNAMIC_KEYS, '`batch.build-matrix.dynamic`');
    }
  }
  return { buildspec, image, computeType, variables };
}
