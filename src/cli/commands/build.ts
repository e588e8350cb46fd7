/**
 * `nagare build`: runs a directory's buildspec as CodeBuild would, with no server. Flags follow
 * AWS's local build script (`codebuild_build.sh`) where they fit.
 */
import type { Command } from 'commander';
import { prepareBatch, runLocalBatch } from '../../build/local-batch.js';
import { buildspecWarnings, loadBuildspec, runLocalBuild, type LocalBuildOptions } from '../../build/local-build.js';
import type { BuildRecord } from '../../build/result.js';
import { compileBuildConfig, type BuildConfig, type BuildFlags } from '../../config/build-config.js';
import { resolveImage } from '../../core/image-map.js';
import { containerLine, type LogSink } from '../../executors/command-log.js';
import { createExecutor, DEFAULT_IMAGE, staticDockerClient } from '../../executors/index.js';
import { blockingWrite } from '../blocking-write.js';
import { colorLogLines, formatBatchSummary, formatBuildSummary, style, type Style } from '../output.js';
import type { CommandOutcome } from '../outcome.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerBuildCommand(program: Command, done: (outcome: CommandOutcome) => void): Command {
  return program
    .command('build')
    .description('Run the buildspec of a directory as AWS CodeBuild would, without a server (or: build start|list|show|stop|logs on a server)')
    .option('-s, --source <dir>', 'source directory; the build runs in a fresh copy of it, .git included', '.')
    .option('--in-place', 'build in the source directory itself, not in a copy (its changes stay)')
    .option('-b, --buildspec <path-or-yaml>', 'buildspec file (relative to the current or source directory) or inline YAML; default <source>/buildspec.yml')
    .option('-a, --artifacts <dir>', 'directory the artifact zip files are written to (default <state-dir>/artifacts/<project>)')
    .option('-r, --reports <dir>', 'directory the raw report files are copied to')
    .option('-e, --env-file <file>', 'NAME=VALUE lines that override the buildspec variables')
    .option('--env-var <NAME=VALUE>', 'a variable overriding the buildspec (repeatable)', collect)
    .option('--parameters <file>', 'JSON or YAML map of parameter-store names and secrets-manager ids to values')
    .option('--executor <kind>', 'where commands run: shell (host processes) or docker')
    .option('--image <image>', 'Docker image to run the build in (implies --executor docker); pulled when missing; AWS curated images run in nagare/base:latest')
    .option('--privileged-mode', "give the Docker build this machine's Docker engine (docker build/push), as CodeBuild's privilegedMode")
    .option('--project-name <name>', 'project name for CODEBUILD_BUILD_ID and the build number (default: the source directory name)')
    .option('--timeout <minutes>', 'build timeout in minutes (default 60)')
    .option('--max-log-mib <MiB>', 'log kept per build; later output is dropped with a marker line (default 256)')
    .option('--state-dir <dir>', 'where build numbers and the cache live (default $NAGARE_STATE_DIR or ~/.local/state/nagare)')
    .option('--cache-dir <dir>', 'local cache directory (default <state-dir>/cache)')
    .option('--cache-limit <size>', 'largest cache save, e.g. 500M or 5G; a larger one is skipped with a warning (default 5G)')
    .option('--parallel <n>', 'batch buildspecs: the most builds of the batch running at once (default: the number of CPUs)')
    .option('--validate', 'only check the buildspec and exit')
    .option('--json', 'print the build record as JSON on stdout; the log goes to stderr')
    .addHelpText('after', `
Exit status: 0 SUCCEEDED, 1 FAILED, 2 invalid buildspec or flags, 3 FAULT, 4 TIMED_OUT, 130 STOPPED.

Examples:
  nagare build -s examples/hello-node -a out/
  nagare build --validate -b ci/buildspec.yml
  nagare build --image nagare/base:latest --json > build.json
  nagare build -s . --parallel 2      # a buildspec with a batch section runs each of its builds

A buildspec with a \`batch\` section (build-list, build-graph, build-matrix) runs one build per entry,
in graph order, and prints one table; see docs/batch-builds.md.`)
    .action(async (flags: BuildFlags) => {
      done(await buildCommand(flags));
    });
}

async function buildCommand(flags: BuildFlags): Promise<CommandOutcome> {
  const config = await compileBuildConfig(flags);
  const loaded = await loadBuildspec(config.sourceDir, config.buildspec);
  if (loaded.spec.batch) {
    const entries = await prepareBatch(config.sourceDir, loaded);
    if (config.validateOnly) {
      for (const warning of loaded.spec.batch.warnings) process.stderr.write(`${warning.position.file}:${warning.position.line}:${warning.position.column}: warning: ${warning.message}\n`);
      if (!config.json) process.stderr.write(`Batch of ${entries.length} builds: ${entries.map((entry) => entry.entry.identifier).join(', ')}\n`);
    }
  }
  if (config.validateOnly) return { kind: 'validated', file: loaded.location, json: config.json, warnings: buildspecWarnings(loaded.spec) };

  const s = style(config.color && !config.json);
  const out = config.json ? process.stderr : process.stdout;
  const fd = config.json ? 2 : 1;
  const write = (text: string): void => blockingWrite(fd, config.color && !config.json ? colorLogLines(text, s) : text);
  const say = (line: string): void => write(containerLine(Date.now(), line) + '\n');
  // An AWS curated image (aws/codebuild/standard:7.0) exists only in AWS: the default image stands in.
  const image = config.image === undefined ? undefined : resolveImage(config.image, [], DEFAULT_IMAGE);
  if (image?.reason) say(image.reason);
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    if (loaded.spec.batch) {
      const batch = await runLocalBatch({ ...localOptions(config, controller.signal, fd, s), parallel: config.parallel, executorFor: (image) => createExecutor({ kind: config.executor, image: image ?? config.image, hostEnvironment: config.hostEnvironment }) }, loaded);
      const text = formatBatchSummary(batch, s);
      return { kind: 'output', json: config.json, value: batch, text: config.json ? text : '\n' + text, buildStatus: batch.buildBatchStatus };
    }
    const record: BuildRecord = await runLocalBuild({
      ...localOptions(config, controller.signal, fd, s),
      executor: createExecutor({
        kind: config.executor,
        image: image?.image,
        hostEnvironment: config.hostEnvironment,
        pull: { onProgress: say },
        ...(config.privilegedMode ? { privileged: { dockerClient: await staticDockerClient(config.hostEnvironment.PATH) } } : {}),
      }),
    }, loaded);
    if (!config.json) out.write('\n' + formatBuildSummary(record, s));
    return { kind: 'build', record, json: config.json };
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** The log on the terminal; without colour, command output goes through as the bytes it came as. */
function logSink(fd: number, colors: Style | undefined): LogSink {
  if (colors) return { write: (text) => blockingWrite(fd, colorLogLines(text, colors)) };
  return { write: (text) => blockingWrite(fd, text), writeBytes: (bytes) => blockingWrite(fd, bytes) };
}

function localOptions(config: BuildConfig, signal: AbortSignal, fd: number, s: Style): Omit<LocalBuildOptions, 'executor'> {
  return {
    sourceDir: config.sourceDir,
    inPlace: config.inPlace,
    buildspec: config.buildspec,
    projectName: config.projectName,
    artifactsDir: config.artifactsDir,
    reportsDir: config.reportsDir,
    cacheDir: config.cacheDir,
    cacheLimitBytes: config.cacheLimitBytes,
    stateDir: config.stateDir,
    overrides: config.overrides,
    parameters: config.parameters,
    timeoutInMinutes: config.timeoutInMinutes,
    logLimitBytes: config.logLimitBytes,
    region: config.region,
    initiator: config.initiator,
    image: config.image ?? 'nagare/shell',
    log: logSink(fd, config.color && !config.json ? s : undefined),
    signal,
  };
}
