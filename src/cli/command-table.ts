/**
 * Which module registers which top-level command. `nagare build` loads only the build command's
 * modules (and what they import), not every command's: start-up is what a trivial build waits on
 * (issue 14). `--help`, `help` and a word naming no command load them all, so help, commander's
 * suggestions and the did-you-mean hints see every command. test/cli/command-table.test.ts checks
 * that the names here are exactly what each module registers.
 */
import type { Command } from 'commander';
import type { CommandOutcome } from './outcome.js';

export type Done = (outcome: CommandOutcome) => void;
export type Register = (program: Command, done: Done) => void;

export interface CommandModule {
  /** The top-level commands it registers. */
  readonly names: readonly string[];
  readonly load: () => Promise<Register>;
}

/** In the order `nagare --help` lists them. */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['up', 'server'], load: async () => (await import('./commands/server.js')).registerServerCommands },
  { names: ['project'], load: async () => (await import('./commands/projects.js')).registerProjectCommands },
  {
    names: ['build'],
    load: async () => {
      const [local, remote] = await Promise.all([import('./commands/build.js'), import('./commands/remote-builds.js')]);
      // `nagare build` runs a local build; its subcommands (list, show, logs, …) talk to a server.
      return (program, done) => remote.registerRemoteBuildCommands(local.registerBuildCommand(program, done).enablePositionalOptions(), done);
    },
  },
  { names: ['parameter', 'secret', 'metrics-token', 'agent-token'], load: async () => (await import('./commands/parameters.js')).registerParameterCommands },
  { names: ['repo'], load: async () => (await import('./commands/repos.js')).registerRepositoryCommands },
  { names: ['pipeline', 'approve', 'reject'], load: async () => (await import('./commands/pipelines.js')).registerPipelineCommands },
  { names: ['agent'], load: async () => (await import('./commands/agent.js')).registerAgentCommand },
  {
    names: ['app', 'deployment-group', 'deploy', 'instance'],
    load: async () => {
      const [remote, local] = await Promise.all([import('./commands/deployments.js'), import('./commands/deploy-local.js')]);
      // Both add subcommands to `deploy`: the server's deployments and `deploy local`.
      return (program, done) => {
        remote.registerDeploymentCommands(program, done);
        local.registerDeployLocalCommand(program, done);
      };
    },
  },
  { names: ['events', 'trace', 'notification-rule'], load: async () => (await import('./commands/events.js')).registerEventCommands },
  { names: ['rule'], load: async () => (await import('./commands/rules.js')).registerRuleCommands },
  { names: ['login', 'logout', 'whoami', 'aws-env'], load: async () => (await import('./commands/session.js')).registerSessionCommands },
];

/** The modules a command line needs: none for the version, the one registering its first word, or all of them. */
export function modulesFor(argv: readonly string[]): readonly CommandModule[] {
  const first = argv[0];
  if (first === '--version' || first === '-V') return [];
  const named = first === undefined ? undefined : COMMAND_MODULES.find((module) => module.names.includes(first));
  return named ? [named] : COMMAND_MODULES;
}

/** Registers the commands a command line needs on `program`, in the table's order. */
export async function registerCommands(program: Command, argv: readonly string[], done: Done): Promise<void> {
  const registers = await Promise.all(modulesFor(argv).map((module) => module.load()));
  for (const register of registers) register(program, done);
}
