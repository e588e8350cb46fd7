/**
 * `nagare up` (a server with an embedded agent, SQLite in one data directory: what `npm start`
 * runs) and `nagare server` (the server alone, for agents on other machines).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { compileServerConfig, type ServerConfig, type ServerFlags } from '../../config/server-config.js';
import { isNagareError } from '../../core/errors.js';
import type { FleetsService } from '../../server/agents/fleets-service.js';
import type { Logger } from '../../server/logger.js';
import type { AgentLogger } from '../../agent/agent-logger.js';
import { DEFAULT_PROFILE, readUserConfig, saveProfile, userConfigFile } from '../../config/user-config.js';
import type { CommandOutcome } from '../outcome.js';
import { growYoungGenerationAgain } from '../young-generation.js';

function serverOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'where the database, logs, artifacts and keys live (default $NAGARE_DATA_DIR or ~/.local/share/nagare)')
    .option('--port <port>', 'port to listen on (default $NAGARE_PORT or 8780)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL instead of the embedded SQLite file ($NAGARE_DATABASE_URL)')
    .option('--secret-key <base64>', 'key for secrets at rest (default: <data-dir>/secret.key, created on first start)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug (default $NAGARE_LOG_LEVEL or info)')
    .option('--log-format <format>', 'pretty (readable lines; the default on a terminal) or json (the default otherwise; $NAGARE_LOG_FORMAT)')
    .option('--approval-webhook-url <url>', 'announce waiting manual approvals here: the notification rule approval-webhook ($NAGARE_APPROVAL_WEBHOOK_URL)')
    .option('--approval-webhook-secret <secret>', 'sign approval announcements: X-Nagare-Signature(-256) = HMAC-SHA256 of the body ($NAGARE_APPROVAL_WEBHOOK_SECRET)')
    .option('--otlp-endpoint <url>', 'export spans of pushes, pipeline executions, actions, builds and deployments to this OpenTelemetry collector over OTLP/HTTP JSON (POST <url>/v1/traces; $NAGARE_OTLP_ENDPOINT); off by default')
    .option('--max-log-mib <MiB>', 'log kept per build; agents should use the same (default 256; $NAGARE_MAX_LOG_MIB)')
    .option('--retain-builds-days <days>', 'delete completed builds, with their logs, artifacts and reports, this many days after they end (default: keep; $NAGARE_RETAIN_BUILDS_DAYS)')
    .option('--retain-executions-days <days>', 'delete ended pipeline executions and their artifacts this many days after they end (default: keep; $NAGARE_RETAIN_EXECUTIONS_DAYS)')
    .option('--metrics-public', 'serve /metrics without a token, for a Prometheus on a trusted network ($NAGARE_METRICS_PUBLIC=1); off by default')
    .option('--allow-local-mirrors', 'let repositories mirror file://, local paths and hosts on this machine; off by default, since mirrors are fetched with the server\'s rights ($NAGARE_ALLOW_LOCAL_MIRRORS=1)');
}

/** The embedded agent's options (`nagare up` only). */
function embeddedAgentOptions(command: Command): Command {
  return command
    .option('--work-dir <dir>', 'where the embedded agent runs builds, outside the data directory (default /var/lib/nagare/work/<data-dir>-<hash> as root, ~/.cache/nagare/work/… otherwise)')
    .option('--build-user <user>', 'as root, run shell builds as this unprivileged user, created if missing (default nagare-build)')
    .option('--allow-run-as <users>', 'users a buildspec run-as may name, separated by commas (default none)')
    .option('--allow-root-builds', 'let a buildspec say run-as: root (builds can then read the data directory)')
    .option('--fleet <name>', 'the embedded agent joins this fleet (created when missing) and runs only its builds ($NAGARE_AGENT_FLEET)')
    .option('--labels <a,b>', 'labels the embedded agent advertises besides docker ($NAGARE_AGENT_LABELS)')
    .option('--image-map <pattern=image>', "run projects whose image matches PATTERN (* is a wildcard) in IMAGE instead, e.g. 'aws/codebuild/*=nagare/base:latest' (repeatable; $NAGARE_IMAGE_MAP)", (value: string, previous: string[] = []) => [...previous, value])
    .option('--instance-name <name>', 'the embedded agent also serves CodeDeploy deployments to this host as this on-premises instance')
    .option('--tags <k=v,...>', 'with --instance-name: the instance\'s tags, e.g. env=dev (at most 10)')
    .option('--deployment-root <dir>', 'with --instance-name: revisions, install records and scripts.log (default /opt/nagare/deployment-root as root, else <state-dir>/deployment-root)');
}

export function registerServerCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  embeddedAgentOptions(serverOptions(program.command('up')))
    .description('Start a server with an embedded agent (SQLite in the data directory)')
    .action(async (flags: ServerFlags) => done(await run(compileServerConfig(flags), true)));

  serverOptions(program.command('server'))
    .description('Start a server only; agents join with `nagare agent --server URL --token T`')
    .action(async (flags: ServerFlags) => done(await run(compileServerConfig(flags), false)));
}

async function run(config: ServerConfig, embeddedAgent: boolean): Promise<CommandOutcome> {
  growYoungGenerationAgain();
  // Loaded here, not at the top: `nagare build` should not pay for the server's modules at start.
  const [{ startServer }, { startAgent }] = await Promise.all([import('../../main/server.js'), import('../../agent/agent.js')]);
  const server = await startServer({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    host: config.host,
    port: config.port,
    secretKey: config.secretKey,
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    logColor: config.logColor,
    approvalWebhookUrl: config.approvalWebhookUrl,
    approvalWebhookSecret: config.approvalWebhookSecret,
    otlp: config.otlpEndpoint === undefined ? undefined : { endpoint: config.otlpEndpoint },
    maxLogBytes: config.maxLogBytes,
    allowLocalMirrors: config.allowLocalMirrors,
    metricsPublic: config.metricsPublic,
    maxArtifactBytes: config.maxArtifactBytes,
    retainBuildsDays: config.retainBuildsDays,
    retainExecutionsDays: config.retainExecutionsDays,
    bodyLimits: config.bodyLimits,
  });
  const credentials = server.initialCredentials;
  if (credentials) {
    process.stderr.write(
      `\nFirst start: admin credentials (shown once; also in ${path.join(config.dataDir, 'initial-credentials.json')}):\n` +
        `  NAGARE_TOKEN=${credentials.token}\n  AWS_ACCESS_KEY_ID=${credentials.accessKeyId}\n  AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}\n\n`,
    );
  }
  if (embeddedAgent && config.agentFleet !== undefined) await ensureFleet(server.services.fleets, config.agentFleet);
  if (credentials) signInLocalAdmin(config, server.url, credentials.token);
  const agent = embeddedAgent
    ? await startAgent({
        serverUrl: server.url,
        token: await server.services.auth.createAgentToken('embedded'),
        name: 'embedded',
        tags: { embedded: 'true' },
        fleet: config.agentFleet,
        labels: config.agentLabels,
        workDir: config.agentWorkDir,
        hostEnvironment: config.hostEnvironment,
        logLimitBytes: config.maxLogBytes,
        ...config.buildIsolation,
        imageMap: config.imageMap,
        instance: config.agentInstance,
        logger: embeddedAgentLogger(server.logger.child({ agent: 'embedded' })),
      })
    : undefined;
  if (agent) process.stderr.write(`Builds: ${agent.buildsRunAs}; work directory ${config.agentWorkDir}\n`);
  if (agent && config.agentInstance) process.stderr.write(`Deployments: this host is instance ${config.agentInstance.instanceName}; deployment root ${config.agentInstance.deploymentRoot}\n`);
  process.stderr.write(`nagare ${embeddedAgent ? 'up' : 'server'} at ${server.url} (data in ${config.dataDir}); Ctrl-C stops it\n`);
  process.stderr.write(`Dashboard: ${server.url}/ (sign in with an API token)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`${signal}: stopping…${embeddedAgent ? ' (the embedded agent stops its build first)' : ''}; again to quit at once\n`);
  const quit = (): never => process.exit(130);
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  // The agent first (its build ends STOPPED and is reported while the server still answers), then the server.
  await agent?.stop();
  await server.stop();
  process.stderr.write('stopped\n');
  return { kind: 'stopped' };
}

/**
 * The embedded agent's lines go to the server's log as records of their own, their fields
 * (`buildId`, `traceId` …) beside the server's, so that one search by trace id finds both.
 */
function embeddedAgentLogger(logger: Logger): AgentLogger {
  return {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
    child: (fields) => embeddedAgentLogger(logger.child(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)))),
  };
}

/** `nagare up --fleet NAME`: the fleet exists afterwards (a new one is a small Linux fleet, as CreateFleet's defaults). */
async function ensureFleet(fleets: FleetsService, name: string): Promise<void> {
  try {
    await fleets.get(name);
  } catch (error) {
    if (!isNagareError(error) || error.code !== 'API_NOT_FOUND') throw error;
    await fleets.create({ name, baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' });
  }
}

/**
 * The first start signs the local admin in (profile `default`), so a new terminal needs no flag.
 * Not when the default profile names another server (it is the user's choice) or the port was picked at random
 * (`--port 0`: that address means nothing after this run).
 */
function signInLocalAdmin(config: ServerConfig, url: string, token: string): void {
  if (config.port === 0) return;
  const file = userConfigFile();
  try {
    const saved = readUserConfig(file).profiles[DEFAULT_PROFILE];
    if (saved !== undefined && saved.server !== url) {
      process.stderr.write(`Profile '${DEFAULT_PROFILE}' in ${file} names another server; \`nagare login --server ${url} --profile local\` signs in here\n`);
      return;
    }
    saveProfile(file, DEFAULT_PROFILE, { server: url, token });
    process.stderr.write(`Signed in as admin at ${url} (profile '${DEFAULT_PROFILE}' in ${file}); nagare commands need no token now\n`);
  } catch (error) {
    process.stderr.write(`Could not save the sign-in to ${file} (${error instanceof Error ? error.message : String(error)}); use --token or \`nagare login\`\n`);
  }
}
