// One test per buildspec rule of reference §1.3–1.11 and decisions.md, named after the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BuildSpec, PhaseSpec } from '../../src/core/buildspec.js';
import { SpecErrors, type NagareError } from '../../src/core/errors.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';

const BUILD = 'phases:\n  build:\n    commands:\n      - make\n';

function parse(yaml: string, version = '0.2'): BuildSpec {
  return parseBuildspec(`version: ${version}\n${yaml}`, 'buildspec.yml');
}

/** The errors of a buildspec that must be rejected. */
function errorsOf(text: string): readonly NagareError[] {
  try {
    parseBuildspec(text, 'buildspec.yml');
  } catch (error) {
    assert.ok(error instanceof SpecErrors, `expected SpecErrors, got ${String(error)}`);
    return error.errors;
  }
  return assert.fail('the buildspec was accepted');
}

function codesOf(text: string): string[] {
  return errorsOf(text).map((error) => `${error.code} ${error.position?.line}:${error.position?.column}`);
}

function buildPhase(spec: BuildSpec): PhaseSpec {
  return spec.phases.build ?? assert.fail('no build phase');
}

function onFailure(value: string): unknown {
  return buildPhase(parse(`phases:\n  build:\n    on-failure: "${value}"\n    commands: [make]\n`)).onFailure;
}

void test('versions 0.1 and 0.2 are accepted as numbers or strings', () => {
  for (const [written, version] of [['0.1', '0.1'], ['0.2', '0.2'], ['"0.1"', '0.1'], ["'0.2'", '0.2'], ['0.20', '0.2']]) {
    assert.equal(parse(BUILD, written).version, version, written);
  }
});

void test('any other version is SPEC_INVALID_VERSION at the value', () => {
  for (const version of ['0.3', '1', '"1.0"', 'latest', '2']) {
    assert.deepEqual(codesOf(`version: ${version}\n${BUILD}`), ['SPEC_INVALID_VERSION 1:10'], version);
  }
});

void test('a YAML syntax error is SPEC_YAML_SYNTAX with its line and column', () => {
  assert.deepEqual(codesOf('version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b: c\n'), ['SPEC_YAML_SYNTAX 5:17']);
});

void test('a value starting with a backtick must be quoted, as YAML reserves the character', () => {
  const [error] = errorsOf(`version: 0.2\nphases:\n  build:\n    commands:\n      - \`date\`\n`);
  assert.deepEqual([error?.code, error?.position?.line, error?.position?.column], ['SPEC_YAML_SYNTAX', 5, 9]);
  assert.match(error?.message ?? '', /quotes/);
});

void test('an empty document is SPEC_EMPTY', () => {
  for (const text of ['', '\n\n', '# only a comment\n', '---\n', '~\n']) assert.deepEqual(codesOf(text), ['SPEC_EMPTY 1:1'], JSON.stringify(text));
});

void test('a top level that is not a map is SPEC_NOT_A_MAP', () => {
  assert.deepEqual(codesOf('- version: 0.2\n'), ['SPEC_NOT_A_MAP 1:1']);
});

void test('duplicate keys are SPEC_DUPLICATE_KEY at the second key', () => {
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}env:\n  variables:\n    A: x\n    A: y\n`), ['SPEC_DUPLICATE_KEY 9:5']);
});

void test('every problem is reported, in source order, not just the first', () => {
  const codes = codesOf('version: 0.3\nphases:\n  Build:\n    commands: [x]\n  build:\n    on-failure: STOP\nbatch: {}\ncache: {}\n');
  assert.deepEqual(codes, ['SPEC_INVALID_VERSION 1:10', 'SPEC_INVALID_PHASE 3:3', 'SPEC_MISSING_KEY 5:3', 'SPEC_INVALID_ON_FAILURE 6:17', 'SPEC_MISSING_KEY 7:1', 'SPEC_MISSING_KEY 8:1']);
});

void test('every error carries the file, line, column and key path', () => {
  const [error] = errorsOf(`version: 0.2\n${BUILD}artifacts:\n  files: [a]\n  discard-paths: maybe\n`);
  assert.deepEqual(error?.position, { file: 'buildspec.yml', line: 8, column: 18, path: 'artifacts.discard-paths' });
  assert.match(error?.describe() ?? '', /^buildspec\.yml:8:18: SPEC_INVALID_VALUE .*maybe.* \(at artifacts\.discard-paths\)$/);
});

void test('booleans accept yes/no, true/false and on/off in any case', () => {
  for (const [written, value] of [['yes', true], ['YES', true], ['True', true], ['on', true], ['no', false], ['FALSE', false], ['Off', false], ['"yes"', true]] as const) {
    assert.equal(parse(`${BUILD}proxy:\n  logs: ${written}\n`).proxy.logs, value, written);
  }
});

void test('a word that is not a boolean is rejected where a boolean is expected', () => {
  for (const word of ['y', '1', 'enabled', 'maybe']) {
    assert.deepEqual(codesOf(`version: 0.2\n${BUILD}proxy:\n  logs: ${word}\n`), ['SPEC_INVALID_VALUE 7:9'], word);
  }
});

void test('variable values are literal', () => {
  const { variables } = parse(`env:\n  variables:\n    P: "$PATH:/x"\n    C: $(date)\n    B: "\`id\`"\n    Q: '\\n'\n${BUILD}`).env;
  assert.deepEqual(variables, { P: '$PATH:/x', C: '$(date)', B: '`id`', Q: '\\n' });
});

void test('unquoted numbers and booleans in variables keep their source text', () => {
  const { variables } = parse(`env:\n  variables:\n    PORT: 8080\n    RATIO: 0.50\n    FLAG: yes\n    NO: off\n    HEX: 0x1F\n    EMPTY:\n${BUILD}`).env;
  assert.deepEqual(variables, { PORT: '8080', RATIO: '0.50', FLAG: 'yes', NO: 'off', HEX: '0x1F', EMPTY: '' });
});

void test('CODEBUILD_ names are reserved', () => {
  for (const block of ['variables', 'parameter-store', 'secrets-manager']) {
    assert.deepEqual(codesOf(`version: 0.2\nenv:\n  ${block}:\n    CODEBUILD_SRC_DIR: x\n${BUILD}`), ['SPEC_RESERVED_VARIABLE 4:5'], block);
  }
});

void test('variable names must be valid shell names', () => {
  for (const name of ['MY-VAR', '1ST', 'A.B', '"A B"']) {
    assert.deepEqual(codesOf(`version: 0.2\nenv:\n  variables:\n    ${name}: x\n${BUILD}`), ['SPEC_INVALID_VALUE 4:5'], name);
  }
});

void test('exported-variables may not start with AWS_', () => {
  assert.deepEqual(codesOf(`version: 0.2\nenv:\n  exported-variables: [VERSION, AWS_REGION]\n${BUILD}`), ['SPEC_INVALID_VALUE 3:33']);
  assert.deepEqual(parse(`env:\n  exported-variables: [VERSION, CODEBUILD_BUILD_NUMBER]\n${BUILD}`).env.exportedVariables, ['VERSION', 'CODEBUILD_BUILD_NUMBER']);
});

void test('version 0.1 environment_variables.plaintext is read as env.variables', () => {
  assert.deepEqual(parse(`environment_variables:\n  plaintext:\n    A: 1\n${BUILD}`, '0.1').env.variables, { A: '1' });
});

void test('environment_variables is an unknown key in version 0.2', () => {
  assert.deepEqual(codesOf(`version: 0.2\nenvironment_variables:\n  plaintext:\n    A: 1\n${BUILD}`), ['SPEC_UNKNOWN_KEY 2:1']);
});

void test('env is accepted in version 0.1', () => {
  assert.deepEqual(parse(`env:\n  variables:\n    A: x\n${BUILD}`, '0.1').env.variables, { A: 'x' });
});

void test('env.shell defaults to sh and accepts bash and /bin/sh', () => {
  assert.equal(parse(BUILD).env.shell, 'sh');
  assert.equal(parse(`env:\n  shell: bash\n${BUILD}`).env.shell, 'bash');
  assert.equal(parse(`env:\n  shell: /bin/sh\n${BUILD}`).env.shell, '/bin/sh');
});

void test('Windows shells are UNSUPPORTED_FEATURE', () => {
  const [error] = errorsOf(`version: 0.2\nenv:\n  shell: cmd.exe\n${BUILD}`);
  assert.equal(error?.code, 'UNSUPPORTED_FEATURE');
  assert.equal(error?.details['feature'], 'env.shell');
});

void test('secrets-manager references split into secret-id, json-key, version-stage and version-id', () => {
  const { secretsManager } = parse(`env:\n  secrets-manager:\n    A: id\n    B: id:key\n    C: id:key:AWSPREVIOUS\n    D: id:key::v1\n    E: id::AWSCURRENT\n${BUILD}`).env;
  const fields = (name: string): unknown[] => {
    const reference = secretsManager[name];
    return [reference?.secretId, reference?.jsonKey, reference?.versionStage, reference?.versionId];
  };
  assert.deepEqual(fields('A'), ['id', undefined, undefined, undefined]);
  assert.deepEqual(fields('B'), ['id', 'key', undefined, undefined]);
  assert.deepEqual(fields('C'), ['id', 'key', 'AWSPREVIOUS', undefined]);
  assert.deepEqual(fields('D'), ['id', 'key', undefined, 'v1']);
  assert.deepEqual(fields('E'), ['id', undefined, 'AWSCURRENT', undefined]);
  assert.equal(secretsManager['D']?.raw, 'id:key::v1');
});

void test('a secret reference may not set both version stage and version id', () => {
  assert.deepEqual(codesOf(`version: 0.2\nenv:\n  secrets-manager:\n    A: id:key:AWSCURRENT:v1\n${BUILD}`), ['SPEC_INVALID_VALUE 4:8']);
});

void test('a secret ARN keeps its colons in the secret id', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC';
  const reference = parse(`env:\n  secrets-manager:\n    A: ${arn}:password\n${BUILD}`).env.secretsManager['A'];
  assert.equal(reference?.secretId, arn);
  assert.equal(reference?.jsonKey, 'password');
});

void test('only install, pre_build, build and post_build are phases', () => {
  const spec = parse('phases:\n  install: {commands: [a]}\n  pre_build: {commands: [b]}\n  build: {commands: [c]}\n  post_build: {commands: [d]}\n');
  assert.deepEqual(Object.keys(spec.phases), ['install', 'pre_build', 'build', 'post_build']);
  for (const name of ['deploy', 'Build', 'pre-build', 'test']) {
    assert.deepEqual(codesOf(`version: 0.2\nphases:\n  ${name}:\n    commands: [x]\n`), ['SPEC_INVALID_PHASE 3:3'], name);
  }
});

void test('commands are required in every phase except install', () => {
  assert.deepEqual(parse('phases:\n  install:\n    runtime-versions: {nodejs: 18}\n').phases.install?.commands, []);
  for (const name of ['pre_build', 'build', 'post_build']) {
    assert.deepEqual(codesOf(`version: 0.2\nphases:\n  ${name}:\n    finally: [x]\n`), ['SPEC_MISSING_KEY 3:3'], name);
  }
});

void test('runtime-versions is accepted in install with at least one runtime, versions as written', () => {
  const install = parse('phases:\n  install:\n    runtime-versions:\n      python: 3.10\n      nodejs: 18\n      java: corretto17\n').phases.install;
  assert.deepEqual(install?.runtimeVersions, { python: '3.10', nodejs: '18', java: 'corretto17' });
  assert.deepEqual(codesOf('version: 0.2\nphases:\n  install:\n    runtime-versions: {}\n'), ['SPEC_INVALID_VALUE 4:23']);
});

void test('runtime-versions outside install is rejected', () => {
  assert.deepEqual(codesOf('version: 0.2\nphases:\n  build:\n    runtime-versions: {nodejs: 18}\n    commands: [x]\n'), ['SPEC_UNKNOWN_KEY 4:5']);
});

void test('on-failure keywords are case-insensitive', () => {
  assert.deepEqual(onFailure('abort'), { kind: 'ABORT' });
  assert.deepEqual(onFailure('Continue'), { kind: 'CONTINUE' });
  assert.deepEqual(onFailure('retry-2'), { kind: 'RETRY', count: 2, pattern: '.*' });
  assert.deepEqual(onFailure('Retry-2'), { kind: 'RETRY', count: 2, pattern: '.*' });
});

void test('on-failure RETRY defaults to 3 more attempts matching .*', () => {
  assert.deepEqual(onFailure('RETRY'), { kind: 'RETRY', count: 3, pattern: '.*' });
});

void test('on-failure RETRY-<count> takes a count from 0 to 100', () => {
  assert.deepEqual(onFailure('RETRY-0'), { kind: 'RETRY', count: 0, pattern: '.*' });
  assert.deepEqual(onFailure('RETRY-100'), { kind: 'RETRY', count: 100, pattern: '.*' });
  assert.deepEqual(codesOf('version: 0.2\nphases:\n  build:\n    on-failure: RETRY-101\n    commands: [x]\n'), ['SPEC_INVALID_ON_FAILURE 4:17']);
});

void test('on-failure RETRY-<regex> keeps the default count and the regex as written', () => {
  assert.deepEqual(onFailure('RETRY-Timed Out'), { kind: 'RETRY', count: 3, pattern: 'Timed Out' });
  assert.deepEqual(onFailure('RETRY-x-5'), { kind: 'RETRY', count: 3, pattern: 'x-5' });
});

void test('on-failure RETRY-<count>-<regex> splits at the first all-digit field', () => {
  assert.deepEqual(onFailure('Retry-8-invalid+'), { kind: 'RETRY', count: 8, pattern: 'invalid+' });
  assert.deepEqual(onFailure('RETRY-2-exit status [0-9]+-x'), { kind: 'RETRY', count: 2, pattern: 'exit status [0-9]+-x' });
  assert.deepEqual(onFailure('RETRY-12-34'), { kind: 'RETRY', count: 12, pattern: '34' });
});

void test('on-failure regex must compile', () => {
  for (const value of ['RETRY-(', 'RETRY-2-[a', 'RETRY-*', 'RETRY-3-']) {
    assert.deepEqual(codesOf(`version: 0.2\nphases:\n  build:\n    on-failure: "${value}"\n    commands: [x]\n`), ['SPEC_INVALID_ON_FAILURE 4:17'], value);
  }
});

void test('commands written unquoted as numbers or booleans keep their source text', () => {
  assert.deepEqual(buildPhase(parse('phases:\n  build:\n    commands: [42, yes, 3.10, ~x, "true"]\n')).commands, ['42', 'yes', '3.10', '~x', 'true']);
});

void test('a command written as a YAML map is SPEC_INVALID_TYPE with a hint to quote it', () => {
  const [error] = errorsOf('version: 0.2\nphases:\n  build:\n    commands:\n      - echo Build: done\n');
  assert.equal(error?.code, 'SPEC_INVALID_TYPE');
  assert.deepEqual([error?.position?.line, error?.position?.column, error?.position?.path], [5, 9, 'phases.build.commands[0]']);
  assert.match(error?.message ?? '', /quote the whole command: - "echo Build: done"/);
});

void test('a block scalar command is one command', () => {
  assert.deepEqual(buildPhase(parse('phases:\n  build:\n    commands:\n      - |\n        a\n        b\n')).commands, ['a\nb\n']);
});

void test('finally commands are read like commands', () => {
  assert.deepEqual(buildPhase(parse('phases:\n  build:\n    commands: [a]\n    finally: [b, 1]\n')).finally, ['b', '1']);
});

void test('artifacts files and exclude-paths accept a string or a list', () => {
  const one = parse(`${BUILD}artifacts:\n  files: out/**/*\n  exclude-paths: '**/.*'\n`).artifacts?.primary;
  assert.deepEqual([one?.files, one?.excludePaths], [['out/**/*'], ['**/.*']]);
  const many = parse(`${BUILD}artifacts:\n  files: [a, b]\n  exclude-paths: [c, d]\n`).artifacts?.primary;
  assert.deepEqual([many?.files, many?.excludePaths], [['a', 'b'], ['c', 'd']]);
});

void test('artifacts.type is accepted in 0.1 and, deprecated, in 0.2', () => {
  for (const version of ['0.1', '0.2']) assert.deepEqual(parse(`${BUILD}artifacts:\n  type: zip\n  files: [a]\n`, version).artifacts?.primary?.files, ['a']);
});

void test('artifacts with only secondary artifacts have no primary artifact', () => {
  const artifacts = parse(`${BUILD}artifacts:\n  secondary-artifacts:\n    web: {files: [dist]}\n`).artifacts;
  assert.equal(artifacts?.primary, undefined);
  assert.deepEqual(artifacts?.secondary['web']?.files, ['dist']);
});

void test('artifacts defaults: discard-paths no, enable-symlinks no, no exclusions', () => {
  assert.deepEqual(parse(`${BUILD}artifacts:\n  files: [a]\n`).artifacts?.primary, {
    files: ['a'], name: undefined, discardPaths: false, baseDirectory: undefined, excludePaths: [], enableSymlinks: false, s3Prefix: undefined,
  });
});

void test('secondary artifacts require files', () => {
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}artifacts:\n  files: [a]\n  secondary-artifacts:\n    web:\n      name: w\n`), ['SPEC_MISSING_KEY 9:5']);
});

void test('report file-format is case-insensitive and defaults to JUNITXML', () => {
  const { reports } = parse(`${BUILD}reports:\n  a: {files: x}\n  b: {files: [y], file-format: cobertura xml}\n`.replace('cobertura xml', 'CoberturaXml'));
  assert.deepEqual([reports['a']?.fileFormat, reports['b']?.fileFormat], ['JUNITXML', 'COBERTURAXML']);
});

void test('report groups require files', () => {
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}reports:\n  junit:\n    file-format: JUNITXML\n`), ['SPEC_MISSING_KEY 7:3']);
});

void test('at most 5 report groups', () => {
  const groups = (count: number): string => Array.from({ length: count }, (_, index) => `  g${index}: {files: x}\n`).join('');
  assert.equal(Object.keys(parse(`${BUILD}reports:\n${groups(5)}`).reports).length, 5);
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}reports:\n${groups(6)}`), ['SPEC_INVALID_VALUE 12:3']);
});

void test('cache action restore or save, both when absent', () => {
  const actions = (action: string): unknown => {
    const cache = parse(`${BUILD}cache:\n${action}  paths: [a]\n`).cache;
    return [cache?.restore, cache?.save];
  };
  assert.deepEqual(actions(''), [true, true]);
  assert.deepEqual(actions('  action: restore\n'), [true, false]);
  assert.deepEqual(actions('  action: save\n'), [false, true]);
});

void test('cache key keeps $(codebuild-hash-files …) for the build to expand', () => {
  assert.equal(parse(`${BUILD}cache:\n  key: npm-$(codebuild-hash-files package-lock.json)\n  paths: [a]\n`).cache?.key, 'npm-$(codebuild-hash-files package-lock.json)');
});

void test('cache fallback-keys are at most 5', () => {
  assert.equal(parse(`${BUILD}cache:\n  key: k\n  fallback-keys: [a, b, c, d, e]\n  paths: [p]\n`).cache?.fallbackKeys.length, 5);
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}cache:\n  key: k\n  fallback-keys: [a, b, c, d, e, f]\n  paths: [p]\n`), ['SPEC_INVALID_VALUE 8:34']);
});

void test('cache paths are required', () => {
  assert.deepEqual(codesOf(`version: 0.2\n${BUILD}cache:\n  key: k\n`), ['SPEC_MISSING_KEY 6:1']);
});

void test('unknown keys inside a block CodeBuild checks are SPEC_UNKNOWN_KEY errors, with a did-you-mean when close', () => {
  const [swapped] = errorsOf('version: 0.2\nphases:\n  biuld:\n    commands: [x]\n');
  assert.match(swapped?.message ?? '', /Did you mean `build`\?/);
  const typo = errorsOf(`version: 0.2\n${BUILD}artifacts:\n  file: [a]\n`).find((error) => error.code === 'SPEC_UNKNOWN_KEY');
  assert.equal(typo?.code, 'SPEC_UNKNOWN_KEY');
  assert.equal(typo?.details['key'], 'file');
  assert.match(typo?.message ?? '', /Did you mean `files`\?/);
});

void test('unknown keys at the top level and under env are warnings with a did-you-mean, and the buildspec is valid', () => {
  const spec = parse(`artefacts:\n  files: [a]\neb_codebuild_settings:\n  CodeBuildServiceRole: role\nenv:\n  compute-type: BUILD_GENERAL1_SMALL\n${BUILD}`);
  assert.deepEqual(spec.warnings.map((w) => [w.code, w.position.path, w.position.line]), [
    ['SPEC_UNKNOWN_KEY', 'artefacts', 2],
    ['SPEC_UNKNOWN_KEY', 'eb_codebuild_settings', 4],
    ['SPEC_UNKNOWN_KEY', 'env.compute-type', 7],
  ]);
  assert.match(spec.warnings[0]?.message ?? '', /Did you mean `artifacts`\?/);
  assert.doesNotMatch(spec.warnings[1]?.message ?? '', /Did you mean/);
  assert.equal(spec.artifacts, undefined);
});

void test('a buildspec with no phases is valid and keeps its artifacts', () => {
  const spec = parse('env:\n  variables:\n    A: b\nartifacts:\n  files: [out/**/*]\n');
  assert.deepEqual(spec.phases, {});
  assert.deepEqual(spec.artifacts?.primary?.files, ['out/**/*']);
  assert.deepEqual(spec.warnings, []);
});

void test('commands with no value are an empty list and commands written as one string are one command', () => {
  const spec = parse('phases:\n  install:\n    commands:\n  build:\n    commands: make all\n    finally: make clean\n');
  assert.deepEqual(spec.phases.install?.commands, []);
  assert.deepEqual(spec.phases.build?.commands, ['make all']);
  assert.deepEqual(spec.phases.build?.finally, ['make clean']);
});

void test('anchors, aliases and merge keys are resolved', () => {
  const spec = parse('phases:\n  pre_build: &base\n    on-failure: CONTINUE\n    commands: &cmds [a]\n  build:\n    <<: *base\n    commands: [b]\n  post_build:\n    commands: *cmds\n');
  assert.deepEqual(spec.phases.build?.onFailure, { kind: 'CONTINUE' });
  assert.deepEqual(spec.phases.build?.commands, ['b']);
  assert.deepEqual(spec.phases.post_build?.commands, ['a']);
});

void test('custom YAML tags such as !Ref are rejected', () => {
  assert.deepEqual(codesOf(`version: 0.2\nenv:\n  variables:\n    A: !Sub x\n${BUILD}`), ['SPEC_YAML_SYNTAX 4:8']);
});

void test('run-as applies to the build and may be set per phase', () => {
  const spec = parse('run-as: builder\nphases:\n  build:\n    run-as: root\n    commands: [x]\n');
  assert.deepEqual([spec.runAs, spec.phases.build?.runAs], ['builder', 'root']);
});

void test('a minimal buildspec gets every default', () => {
  const spec = parse(BUILD);
  assert.deepEqual(spec.env, { shell: 'sh', variables: {}, parameterStore: {}, secretsManager: {}, exportedVariables: [], gitCredentialHelper: false });
  assert.deepEqual(spec.proxy, { uploadArtifacts: false, logs: false });
  assert.deepEqual([spec.runAs, spec.artifacts, spec.cache, spec.reports, spec.file], [undefined, undefined, undefined, {}, 'buildspec.yml']);
  const build = buildPhase(spec);
  assert.deepEqual([build.runAs, build.onFailure, build.runtimeVersions, build.finally], [undefined, undefined, {}, []]);
  assert.deepEqual(build.position, { file: 'buildspec.yml', line: 3, column: 3, path: 'phases.build' });
});

test('a list item indented one space short says "indentation" once, not quotes or brackets', () => {
  const text = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo a\n     - echo b\n';
  const thrown = (() => {
    try {
      parseBuildspec(text, 'buildspec.yml');
    } catch (error) {
      return error;
    }
    return assert.fail('accepted');
  })();
  assert.ok(thrown instanceof SpecErrors);
  assert.equal(thrown.errors.length, 1);
  assert.match(thrown.errors[0]?.message ?? '', /indented by 5 spaces.*indentation/);
  assert.doesNotMatch(thrown.errors[0]?.message ?? '', /quote|bracket/);
});
