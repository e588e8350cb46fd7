// One test per pipeline definition rule of reference §3.1–3.9 and decisions 16–20, named after the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { SpecErrors, type NagareError } from '../../src/core/errors.js';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import { parsePipeline } from '../../src/spec/pipeline.js';

type Json = Record<string, unknown>;

const type = (category: string, provider: string, owner = 'AWS'): Json => ({ category, owner, provider, version: '1' });
const source = (name = 'Source', output = 'Src'): Json => ({
  name, actionTypeId: type('Source', 'CodeCommit'), configuration: { RepositoryName: 'repo', BranchName: 'main' }, outputArtifacts: [{ name: output }],
});
const build = (name = 'Build', extra: Json = {}): Json => ({
  name, actionTypeId: type('Build', 'CodeBuild'), configuration: { ProjectName: 'p' }, inputArtifacts: [{ name: 'Src' }], ...extra,
});
const approval = (extra: Json = {}): Json => ({ name: 'Approve', actionTypeId: type('Approval', 'Manual'), ...extra });
const commands = (extra: Json = {}): Json => ({ name: 'Run', actionTypeId: type('Compute', 'Commands'), commands: ['make'], inputArtifacts: [{ name: 'Src' }], ...extra });
const stage = (name: string, ...actions: Json[]): Json => ({ name, actions });

/** A valid two-stage pipeline (Source → Build) with `extra` merged into the pipeline object. */
function pipeline(extra: Json = {}): Json {
  return { name: 'demo', stages: [stage('Source', source()), stage('Build', build())], ...extra };
}

function parse(definition: Json): PipelineDefinition {
  return parsePipeline(JSON.stringify({ pipeline: definition }, null, 2), 'pipeline.json');
}

function errorsOf(definition: Json | string): readonly NagareError[] {
  try {
    parsePipeline(typeof definition === 'string' ? definition : JSON.stringify({ pipeline: definition }, null, 2), 'pipeline.json');
  } catch (error) {
    assert.ok(error instanceof SpecErrors, `expected SpecErrors, got ${String(error)}`);
    return error.errors;
  }
  return assert.fail('the definition was accepted');
}

/** `CODE path` of each error. */
function problems(definition: Json | string): string[] {
  return errorsOf(definition).map((error) => `${error.code} ${error.position?.path ?? ''}`);
}

const twoStages = (...actions: Json[]): Json => pipeline({ stages: [stage('Source', source()), stage('Build', ...actions)] });

void test('get-pipeline output, create-pipeline input and the bare pipeline object compile to the same definition', () => {
  const bare = parsePipeline(JSON.stringify(pipeline()), 'p.json');
  assert.deepEqual(parse(pipeline()), bare);
  assert.deepEqual(parsePipeline(JSON.stringify({ pipeline: pipeline(), metadata: { pipelineArn: 'arn' } }), 'p.json'), bare);
  assert.deepEqual(parsePipeline(JSON.stringify({ pipeline: pipeline(), tags: [{ key: 'a', value: 'b' }] }), 'p.json'), bare);
});

void test('the same structure in YAML compiles to the same definition as JSON', () => {
  assert.deepEqual(parsePipeline(stringify({ pipeline: pipeline() }), 'p.yml'), parse(pipeline()));
});

void test('version and metadata of the input are ignored; the compiled version is 1', () => {
  assert.equal(parse(pipeline({ version: 7 })).version, 1);
});

void test('defaults: pipelineType V1, executionMode SUPERSEDED, runOrder 1, no artifacts, approval timeout 7 days', () => {
  const definition = parse(pipeline({ stages: [stage('Source', source()), stage('Build', build()), stage('Approve', approval())] }));
  assert.equal(definition.pipelineType, 'V1');
  assert.equal(definition.executionMode, 'SUPERSEDED');
  assert.equal(definition.stages[1]?.actions[0]?.runOrder, 1);
  assert.deepEqual(definition.stages[1]?.actions[0]?.outputArtifacts, []);
  assert.equal(definition.stages[2]?.actions[0]?.timeoutInMinutes, 10080);
  assert.equal(definition.stages[1]?.actions[0]?.timeoutInMinutes, undefined);
});

void test('pipeline, stage and action names are at most 100 of [A-Za-z0-9.@-_]', () => {
  assert.equal(parse(pipeline({ name: 'a.b@c-d_e' })).name, 'a.b@c-d_e');
  assert.deepEqual(problems(pipeline({ name: 'x'.repeat(101) })), ['SPEC_INVALID_VALUE name']);
  assert.deepEqual(problems(pipeline({ name: 'my pipeline' })), ['SPEC_INVALID_VALUE name']);
  assert.deepEqual(problems(twoStages(build('Build/1'))), ['SPEC_INVALID_VALUE stages[1].actions[0].name']);
});

void test('a pipeline needs at least two stages', () => {
  assert.deepEqual(problems(pipeline({ stages: [stage('Source', source())] })), ['SPEC_INVALID_PIPELINE stages']);
});

void test('the first stage holds only source actions', () => {
  const definition = pipeline({ stages: [stage('Source', source(), build('Early', { runOrder: 2 })), stage('Build', build())] });
  assert.deepEqual(problems(definition), ['SPEC_INVALID_PIPELINE stages[0].actions[1].actionTypeId.category']);
});

void test('only the first stage holds source actions', () => {
  assert.deepEqual(problems(twoStages(build(), source('Late', 'Late'))), ['SPEC_INVALID_PIPELINE stages[1].actions[1].actionTypeId.category']);
});

void test('a pipeline needs at least one non-source action', () => {
  const definition = pipeline({ stages: [stage('Source', source()), stage('More', source('Other', 'Other'))] });
  assert.ok(problems(definition).includes('SPEC_INVALID_PIPELINE stages'));
});

void test('stage names are unique', () => {
  const definition = pipeline({ stages: [stage('Source', source()), stage('Build', build()), stage('Build', build('Again'))] });
  assert.deepEqual(problems(definition), ['SPEC_INVALID_PIPELINE stages[2].name']);
});

void test('action names are unique within a stage, not across stages', () => {
  assert.deepEqual(problems(twoStages(build(), build())), ['SPEC_INVALID_PIPELINE stages[1].actions[1].name']);
  assert.doesNotThrow(() => parse(pipeline({ stages: [stage('Source', source()), stage('Build', build()), stage('Test', build())] })));
});

void test('missing input artifact: every input is the output of an earlier stage or of a lower runOrder in the same stage', () => {
  const [error] = errorsOf(twoStages(build('Build', { inputArtifacts: [{ name: 'Nope' }] })));
  assert.equal(error?.code, 'SPEC_INVALID_PIPELINE');
  assert.equal(error?.position?.path, 'stages[1].actions[0].inputArtifacts[0].name');
  assert.match(error?.message ?? '', /Missing input artifact.*`Build` of stage `Build`.*`Nope`/);
  const chained = twoStages(build('Compile', { outputArtifacts: [{ name: 'Built' }] }), build('Package', { runOrder: 2, inputArtifacts: [{ name: 'Built' }] }));
  assert.doesNotThrow(() => parse(chained));
});

void test('actions of the same runOrder run in parallel and cannot consume each other', () => {
  const parallel = twoStages(build('Compile', { outputArtifacts: [{ name: 'Built' }] }), build('Package', { inputArtifacts: [{ name: 'Built' }] }));
  assert.deepEqual(problems(parallel), ['SPEC_INVALID_PIPELINE stages[1].actions[1].inputArtifacts[0].name']);
  const runOrders = parse(twoStages(build('A'), build('B'), build('C', { runOrder: 5 }))).stages[1]?.actions.map((action) => action.runOrder);
  assert.deepEqual(runOrders, [1, 1, 5]);
});

void test('output artifact names are unique in the whole pipeline', () => {
  const definition = twoStages(build('A', { outputArtifacts: [{ name: 'Src' }] }));
  assert.deepEqual(problems(definition), ['SPEC_INVALID_PIPELINE stages[1].actions[0].outputArtifacts[0].name']);
});

void test('namespaces are unique and differ from artifact names; codepipeline and variables are reserved', () => {
  assert.deepEqual(problems(twoStages(build('A', { namespace: 'Vars' }), build('B', { namespace: 'Vars' }))), ['SPEC_INVALID_PIPELINE stages[1].actions[1].namespace']);
  assert.deepEqual(problems(twoStages(build('A', { namespace: 'Src' }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].namespace']);
  assert.deepEqual(problems(twoStages(build('A', { namespace: 'codepipeline' }))), ['SPEC_INVALID_VALUE stages[1].actions[0].namespace']);
});

void test('runOrder is a whole number from 1 to 999, written as a number', () => {
  for (const runOrder of [0, -1, 1.5, 1000]) assert.deepEqual(problems(twoStages(build('A', { runOrder }))), ['SPEC_INVALID_VALUE stages[1].actions[0].runOrder'], String(runOrder));
  assert.deepEqual(problems(twoStages(build('A', { runOrder: '1' }))), ['SPEC_INVALID_TYPE stages[1].actions[0].runOrder']);
});

void test('configuration values are strings of at most 1000 characters; unquoted numbers and booleans stay as written', () => {
  assert.deepEqual(problems(twoStages(build('A', { configuration: { ProjectName: 'p'.repeat(1001) } }))), ['SPEC_INVALID_VALUE stages[1].actions[0].configuration.ProjectName']);
  assert.deepEqual(problems(twoStages(build('A', { configuration: { ProjectName: ['p'] } }))), ['SPEC_INVALID_TYPE stages[1].actions[0].configuration.ProjectName']);
  const yaml = 'name: y\nstages:\n- name: S\n  actions:\n  - name: S\n    actionTypeId: {category: Source, owner: AWS, provider: CodeCommit, version: 1}\n'
    + '    configuration: {RepositoryName: 007, BranchName: 1.10, PollForSourceChanges: false}\n    outputArtifacts: [{name: Src}]\n'
    + '- name: B\n  actions:\n  - {name: B, actionTypeId: {category: Build, owner: AWS, provider: CodeBuild, version: 1}, configuration: {ProjectName: p}, inputArtifacts: [{name: Src}]}\n';
  assert.deepEqual(parsePipeline(yaml, 'p.yml').stages[0]?.actions[0]?.configuration, { RepositoryName: '007', BranchName: '1.10', PollForSourceChanges: 'false' });
});

void test('owners are AWS, ThirdParty or Custom', () => {
  assert.deepEqual(problems(twoStages(build('A', { actionTypeId: type('Build', 'CodeBuild', 'Amazon') }))), ['SPEC_INVALID_VALUE stages[1].actions[0].actionTypeId.owner']);
});

void test('categories are Source, Build, Test, Deploy, Approval, Invoke or Compute', () => {
  const [error] = errorsOf(twoStages(build('A', { actionTypeId: type('Built', 'CodeBuild') })));
  assert.equal(error?.code, 'SPEC_INVALID_VALUE');
  assert.match(error?.message ?? '', /Did you mean `Build`\?/);
});

void test('executionMode QUEUED and PARALLEL need a V2 pipeline; SUPERSEDED works on both', () => {
  for (const mode of ['QUEUED', 'PARALLEL']) {
    assert.deepEqual(problems(pipeline({ executionMode: mode })), ['SPEC_INVALID_PIPELINE executionMode']);
    assert.equal(parse(pipeline({ executionMode: mode, pipelineType: 'V2' })).executionMode, mode);
  }
  assert.equal(parse(pipeline({ executionMode: 'SUPERSEDED' })).executionMode, 'SUPERSEDED');
});

void test('variables and triggers need a V2 pipeline', () => {
  assert.deepEqual(problems(pipeline({ variables: [{ name: 'env' }] })), ['SPEC_INVALID_PIPELINE variables']);
  const triggers = [{ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Source', push: [{ branches: { includes: ['main'] } }] } }];
  assert.deepEqual(problems(pipeline({ triggers })), ['SPEC_INVALID_PIPELINE triggers']);
});

void test('variable names are at most 128 of [A-Za-z0-9@-_], unique, with defaultValue at most 1000 characters', () => {
  const v2 = (variables: Json[]): Json => pipeline({ pipelineType: 'V2', variables });
  assert.deepEqual(parse(v2([{ name: 'a@b-c_D', defaultValue: 'x' }])).variables, [{ name: 'a@b-c_D', defaultValue: 'x', description: undefined }]);
  assert.deepEqual(problems(v2([{ name: 'x'.repeat(129) }])), ['SPEC_INVALID_VALUE variables[0].name']);
  assert.deepEqual(problems(v2([{ name: 'a.b' }])), ['SPEC_INVALID_VALUE variables[0].name']);
  assert.deepEqual(problems(v2([{ name: 'a', defaultValue: 'x'.repeat(1001) }])), ['SPEC_INVALID_VALUE variables[0].defaultValue']);
  assert.deepEqual(problems(v2([{ name: 'a' }, { name: 'a' }])), ['SPEC_INVALID_PIPELINE variables[1].name']);
});

const trigger = (sourceActionName: string, push: Json[]): Json => ({ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName, push } });
const withTriggers = (...triggers: Json[]): Json => pipeline({ pipelineType: 'V2', triggers });

void test('one trigger per source action, and sourceActionName names a source action', () => {
  const main = [{ branches: { includes: ['main'] } }];
  assert.equal(parse(withTriggers(trigger('Source', main))).triggers[0]?.sourceActionName, 'Source');
  assert.deepEqual(problems(withTriggers(trigger('Source', main), trigger('Source', main))), ['SPEC_INVALID_PIPELINE triggers[1].gitConfiguration.sourceActionName']);
  assert.deepEqual(problems(withTriggers(trigger('Build', main))), ['SPEC_INVALID_PIPELINE triggers[0].gitConfiguration.sourceActionName']);
});

void test('a trigger has 1 to 3 push filters', () => {
  const filter = { branches: { includes: ['main'] } };
  assert.deepEqual(problems(withTriggers(trigger('Source', []))), ['SPEC_INVALID_VALUE triggers[0].gitConfiguration.push']);
  assert.deepEqual(problems(withTriggers(trigger('Source', [filter, filter, filter, filter]))), ['SPEC_INVALID_VALUE triggers[0].gitConfiguration.push']);
});

void test('a push filter with both tags and branches is invalid (decision 18)', () => {
  const filter = { branches: { includes: ['main'] }, tags: { includes: ['v*'] } };
  assert.deepEqual(problems(withTriggers(trigger('Source', [filter]))), ['SPEC_INVALID_VALUE triggers[0].gitConfiguration.push[0].tags']);
});

void test('filePaths only with branches', () => {
  const ok = { branches: { includes: ['main'] }, filePaths: { excludes: ['docs/**'] } };
  assert.deepEqual(parse(withTriggers(trigger('Source', [ok]))).triggers[0]?.push[0]?.filePaths, { includes: [], excludes: ['docs/**'] });
  assert.deepEqual(problems(withTriggers(trigger('Source', [{ tags: { includes: ['v*'] }, filePaths: { includes: ['a'] } }]))), ['SPEC_INVALID_VALUE triggers[0].gitConfiguration.push[0].filePaths']);
});

void test('at most 8 patterns in each includes or excludes list', () => {
  const nine = { branches: { includes: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] } };
  assert.deepEqual(problems(withTriggers(trigger('Source', [nine]))), ['SPEC_INVALID_VALUE triggers[0].gitConfiguration.push[0].branches.includes']);
});

void test('pull request triggers are UNSUPPORTED_FEATURE', () => {
  const definition = withTriggers({ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Source', pullRequest: [{ events: ['OPEN'] }] } });
  assert.deepEqual(problems(definition), ['UNSUPPORTED_FEATURE triggers[0].gitConfiguration.pullRequest']);
});

void test('CodeCommit: no input, one output, RepositoryName and BranchName required', () => {
  assert.deepEqual(problems(pipeline({ stages: [stage('Source', { ...source(), configuration: { RepositoryName: 'r' } }), stage('Build', build())] })), ['SPEC_MISSING_KEY stages[0].actions[0].configuration']);
  assert.deepEqual(problems(pipeline({ stages: [stage('Source', { ...source(), outputArtifacts: [] }), stage('Build', build('Build', { inputArtifacts: [] }))] }))[0], 'SPEC_INVALID_PIPELINE stages[0].actions[0].outputArtifacts');
});

void test('CodeBuild: 1 to 5 inputs, 0 to 5 outputs, ProjectName required', () => {
  assert.deepEqual(problems(twoStages(build('A', { inputArtifacts: [] }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].inputArtifacts']);
  const six = Array.from({ length: 6 }, (_, index) => ({ name: `O${index}` }));
  assert.deepEqual(problems(twoStages(build('A', { outputArtifacts: six }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].outputArtifacts']);
  assert.deepEqual(problems(twoStages(build('A', { configuration: {} }))), ['SPEC_MISSING_KEY stages[1].actions[0].configuration']);
});

void test('CodeBuild: PrimarySource is required with more than one input and names one of them', () => {
  const sources = [stage('Source', source(), source('Other', 'Other'))];
  const inputs = [{ name: 'Src' }, { name: 'Other' }];
  assert.deepEqual(problems(pipeline({ stages: [...sources, stage('Build', build('B', { inputArtifacts: inputs }))] })), ['SPEC_MISSING_KEY stages[1].actions[0].configuration']);
  const wrong = build('B', { inputArtifacts: inputs, configuration: { ProjectName: 'p', PrimarySource: 'Nope' } });
  assert.deepEqual(problems(pipeline({ stages: [...sources, stage('Build', wrong)] })), ['SPEC_INVALID_VALUE stages[1].actions[0].configuration.PrimarySource']);
});

void test('CodeBuild: EnvironmentVariables is a JSON array of {name, value, type} with type PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER', () => {
  const withVariables = (value: string): Json => twoStages(build('A', { configuration: { ProjectName: 'p', EnvironmentVariables: value } }));
  assert.doesNotThrow(() => parse(withVariables('[{"name":"A","value":"1"},{"name":"B","value":"/p","type":"PARAMETER_STORE"},{"name":"C","value":"s:k","type":"SECRETS_MANAGER"}]')));
  for (const bad of ['A=1', '{"name":"A","value":"1"}', '[{"name":"A"}]', '[{"name":"A","value":"1","type":"SECRET"}]', '[{"value":"1"}]', '[1]']) {
    assert.deepEqual(problems(withVariables(bad)), ['SPEC_INVALID_VALUE stages[1].actions[0].configuration.EnvironmentVariables'], bad);
  }
});

void test('Manual approval: no artifacts, timeoutInMinutes from 5 to 86400', () => {
  const approvals = (action: Json): Json => pipeline({ stages: [stage('Source', source()), stage('Build', build()), stage('Approve', action)] });
  assert.equal(parse(approvals(approval({ timeoutInMinutes: 5 }))).stages[2]?.actions[0]?.timeoutInMinutes, 5);
  for (const timeoutInMinutes of [4, 86401]) assert.deepEqual(problems(approvals(approval({ timeoutInMinutes }))), ['SPEC_INVALID_VALUE stages[2].actions[0].timeoutInMinutes']);
  assert.deepEqual(problems(approvals(approval({ inputArtifacts: [{ name: 'Src' }] }))), ['SPEC_INVALID_PIPELINE stages[2].actions[0].inputArtifacts']);
});

void test('timeoutInMinutes on any action but a manual approval is an error', () => {
  assert.deepEqual(problems(twoStages(build('A', { timeoutInMinutes: 60 }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].timeoutInMinutes']);
});

void test('Commands: a V2 action with 1 to 50 commands and at least one input', () => {
  const v2 = (action: Json): Json => ({ ...twoStages(action), pipelineType: 'V2' });
  assert.deepEqual(parse(v2(commands({ commands: ['npm ci', 'npm test'] }))).stages[1]?.actions[0]?.commands, ['npm ci', 'npm test']);
  assert.deepEqual(problems(v2(commands({ commands: undefined }))), ['SPEC_MISSING_KEY stages[1].actions[0]']);
  assert.deepEqual(problems(v2(commands({ commands: [] }))), ['SPEC_INVALID_VALUE stages[1].actions[0].commands']);
  assert.deepEqual(problems(v2(commands({ commands: Array.from({ length: 51 }, () => 'true') }))), ['SPEC_INVALID_VALUE stages[1].actions[0].commands']);
  assert.deepEqual(problems(v2(commands({ inputArtifacts: [] }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].inputArtifacts']);
  assert.deepEqual(problems(twoStages(commands())), ['SPEC_INVALID_PIPELINE stages[1].actions[0].actionTypeId.provider']);
  assert.deepEqual(problems(twoStages(build('A', { commands: ['make'] }))), ['SPEC_INVALID_PIPELINE stages[1].actions[0].commands']);
});

void test('a CodeDeploy action needs ApplicationName and DeploymentGroupName and exactly one input artifact', () => {
  const deploy = (extra: Record<string, unknown> = {}) => ({ name: 'DeployBeta', actionTypeId: type('Deploy', 'CodeDeploy'), configuration: { ApplicationName: 'a', DeploymentGroupName: 'g' }, inputArtifacts: [{ name: 'Src' }], ...extra });
  assert.equal(parsePipeline(JSON.stringify({ pipeline: twoStages(build(), deploy()) }), 'pipeline.json').stages[1]?.actions[1]?.actionTypeId.provider, 'CodeDeploy');
  assert.deepEqual(errorsOf(twoStages(build(), deploy({ configuration: { ApplicationName: 'a' } }))).map((e) => e.code), ['SPEC_MISSING_KEY']);
  assert.deepEqual(errorsOf(twoStages(build(), deploy({ inputArtifacts: [] }))).map((e) => e.code), ['SPEC_INVALID_PIPELINE']);
  assert.deepEqual(errorsOf(twoStages(build(), deploy({ configuration: { ApplicationName: 'a', DeploymentGroupName: 'g', Bogus: 'x' } }))).map((e) => e.code), ['SPEC_UNKNOWN_KEY']);
});

void test('any other provider is UNSUPPORTED_FEATURE naming the provider and the action', () => {
  for (const [category, provider, owner] of [['Source', 'S3', 'AWS'], ['Source', 'ECR', 'AWS'], ['Invoke', 'Lambda', 'AWS'], ['Build', 'Jenkins', 'Custom'], ['Source', 'GitHub', 'AWS']] as const) {
    const action = { name: 'Other', actionTypeId: type(category, provider, owner), outputArtifacts: [{ name: 'Out' }] };
    const errors = errorsOf(category === 'Source' ? pipeline({ stages: [stage('Source', source(), action), stage('Build', build())] }) : twoStages(build(), action));
    assert.deepEqual(errors.map((error) => error.code), ['UNSUPPORTED_FEATURE'], provider);
    assert.match(errors[0]?.message ?? '', new RegExp(`\`Other\`.*\`${provider}\``));
  }
});

void test('an unsupported provider\'s refusal names the nagare substitute where there is one', () => {
  const substitutes = [['Source', 'S3', 'AWS', /nagare repo create NAME.*CodeCommit source action/], ['Invoke', 'Lambda', 'AWS', /Commands action/], ['Build', 'Jenkins', 'Custom', /nagare build project.*CodeBuild action/], ['Source', 'Bitbucket', 'ThirdParty', /--mirror URL.*CodeStarSourceConnection/]] as const;
  for (const [category, provider, owner, substitute] of substitutes) {
    const action = { name: 'Other', actionTypeId: type(category, provider, owner), outputArtifacts: [{ name: 'Out' }] };
    const errors = errorsOf(category === 'Source' ? pipeline({ stages: [stage('Source', source(), action), stage('Build', build())] }) : twoStages(build(), action));
    assert.match(errors[0]?.message ?? '', substitute, provider);
  }
});

void test('GitHub v1 and CodeStarSourceConnection source actions are accepted, read from a mirrored repository', () => {
  const github = { name: 'GitHub', actionTypeId: type('Source', 'GitHub', 'ThirdParty'), configuration: { Owner: 'octo', Repo: 'app', Branch: 'main', OAuthToken: '****' }, outputArtifacts: [{ name: 'Gh' }] };
  const connection = { name: 'Conn', actionTypeId: type('Source', 'CodeStarSourceConnection', 'AWS'), configuration: { ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abc', FullRepositoryId: 'octo/lib', BranchName: 'main', OutputArtifactFormat: 'CODEBUILD_CLONE_REF' }, outputArtifacts: [{ name: 'Lib' }] };
  const definition = parsePipeline(JSON.stringify(pipeline({ stages: [stage('Source', github, connection), stage('Build', { ...build(), inputArtifacts: [{ name: 'Gh' }, { name: 'Lib' }], configuration: { ProjectName: 'p', PrimarySource: 'Gh' } })] })), 'pipeline.json');
  assert.deepEqual(definition.stages[0]?.actions.map((action) => action.actionTypeId.provider), ['GitHub', 'CodeStarSourceConnection']);
});

void test('a CodeStarSourceConnection FullRepositoryId must be owner/repository, and GitHub needs Owner, Repo and Branch', () => {
  const connection = { name: 'Conn', actionTypeId: type('Source', 'CodeStarSourceConnection', 'AWS'), configuration: { ConnectionArn: 'arn:x', FullRepositoryId: 'just-a-name', BranchName: 'main' }, outputArtifacts: [{ name: 'Src' }] };
  assert.deepEqual(errorsOf(pipeline({ stages: [stage('Source', connection), stage('Build', build())] })).map((error) => error.code), ['SPEC_INVALID_VALUE']);
  const github = { name: 'GitHub', actionTypeId: type('Source', 'GitHub', 'ThirdParty'), configuration: { Owner: 'octo', Repo: 'app' }, outputArtifacts: [{ name: 'Src' }] };
  const [missing] = errorsOf(pipeline({ stages: [stage('Source', github), stage('Build', build())] }));
  assert.equal(missing?.code, 'SPEC_MISSING_KEY');
  assert.equal(missing?.details['key'], 'Branch');
});

void test('stage conditions onFailure, onSuccess and beforeEntry are UNSUPPORTED_FEATURE (decision 16)', () => {
  for (const key of ['onFailure', 'onSuccess', 'beforeEntry']) {
    const definition = pipeline({ pipelineType: 'V2', stages: [stage('Source', source()), { ...stage('Build', build()), [key]: { result: 'FAIL' } }] });
    assert.deepEqual(problems(definition), [`UNSUPPORTED_FEATURE stages[1].${key}`]);
  }
});

void test('unknown keys are SPEC_UNKNOWN_KEY with a did-you-mean', () => {
  const [error] = errorsOf(twoStages({ ...build(), runorder: 2 }));
  assert.equal(error?.code, 'SPEC_UNKNOWN_KEY');
  assert.match(error?.message ?? '', /Did you mean `runOrder`\?/);
  assert.deepEqual(problems(pipeline({ executionmode: 'QUEUED' })), ['SPEC_UNKNOWN_KEY executionmode']);
});

void test('the other documented keys are accepted: roleArn, artifactStore or artifactStores, blockers, action region and roleArn', () => {
  const definition = parse(pipeline({
    roleArn: 'arn:role', artifactStore: { type: 'S3', location: 'bucket', encryptionKey: { id: 'k', type: 'KMS' } },
    stages: [{ ...stage('Source', source()), blockers: [] }, stage('Build', build('Build', { region: 'eu-west-1', roleArn: 'arn:action' }))],
  }));
  assert.deepEqual(definition.artifactStore, { type: 'S3', location: 'bucket' });
  assert.equal(definition.stages[1]?.actions[0]?.region, 'eu-west-1');
  assert.doesNotThrow(() => parse(pipeline({ artifactStores: { 'us-east-1': { type: 'S3', location: 'b' } } })));
  assert.deepEqual(problems(pipeline({ artifactStore: { type: 'S3', location: 'b' }, artifactStores: {} })), ['SPEC_INVALID_PIPELINE artifactStores']);
});

void test('every problem is reported at once, in source order, with file, line and column', () => {
  const errors = errorsOf({ name: 'bad name', executionMode: 'QUEUED', stages: [stage('Source', source()), stage('Build', build('B', { runOrder: 0 }))] });
  assert.deepEqual(errors.map((error) => error.code), ['SPEC_INVALID_VALUE', 'SPEC_INVALID_PIPELINE', 'SPEC_INVALID_VALUE']);
  const lines = errors.map((error) => error.position?.line ?? 0);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
  assert.ok(errors.every((error) => error.position?.file === 'pipeline.json' && error.position.column >= 1));
});

void test('JSON syntax errors carry line and column', () => {
  assert.deepEqual(errorsOf('{\n  "pipeline": {\n    "name": "x"\n    "stages": []\n  }\n}\n').map((error) => [error.code, error.position?.line]), [['SPEC_YAML_SYNTAX', 4]]);
});

void test('a CloudFormation-shaped pipeline is refused in one message saying what it is and how to bring it in', () => {
  const template = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Deploy:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      RoleArn: !GetAtt Role.Arn\n      Stages: []\n';
  const errors = errorsOf(template);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, 'UNSUPPORTED_FEATURE');
  assert.equal(errors[0]?.details['feature'], 'CloudFormation');
  assert.match(errors[0]?.message ?? '', /CloudFormation template with the AWS::CodePipeline::Pipeline resource `Deploy`/);
  assert.match(errors[0]?.message ?? '', /aws codepipeline get-pipeline --name NAME > pipeline\.json.*nagare pipeline apply -f pipeline\.json/);
});
