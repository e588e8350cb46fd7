/**
 * Parameter-store and secrets-manager values of one build, fetched from the server in one call:
 * those the buildspec's `env` names and those of the project's typed environment variables
 * (`PARAMETER_STORE`, `SECRETS_MANAGER`). The buildspec's are resolved by the runner through a
 * `ParameterSource`; the project's become overrides here, and their values are secrets to mask.
 */
import type { BuildSpec, EnvSpec, SecretReference } from '../core/buildspec.js';
import type { BuildJob } from '../core/build-job.js';
import { resolveParameters, StaticParameterSource } from '../build/parameters.js';
import { parseSecretReference } from '../spec/secret-reference.js';
import type { AgentClient } from '../client/agent-client.js';

export type JobVariables =
  | {
      readonly ok: true;
      /** PLAINTEXT and resolved typed project variables: the runner's overrides. */
      readonly overrides: Readonly<Record<string, string>>;
      /** Values of the typed project variables, masked in the log. */
      readonly secretValues: readonly string[];
      /** For the buildspec's own `parameter-store` and `secrets-manager` entries. */
      readonly source: StaticParameterSource;
    }
  | { readonly ok: false; readonly message: string };

export async function fetchJobVariables(client: AgentClient, job: BuildJob, buildspec: BuildSpec): Promise<JobVariables> {
  const projectParameters: Record<string, string> = {};
  const projectSecrets: Record<string, SecretReference> = {};
  const plain: Record<string, string> = {};
  for (const variable of job.environmentVariables) {
    if (variable.type === 'PLAINTEXT') plain[variable.name] = variable.value;
    else if (variable.type === 'PARAMETER_STORE') projectParameters[variable.name] = variable.value;
    else {
      const reference = parseSecretReference(variable.value);
      if (!reference.ok) return { ok: false, message: `Environment variable ${variable.name}: ${reference.problem}` };
      projectSecrets[variable.name] = reference.value;
    }
  }
  const parameters = unique([...Object.values(buildspec.env.parameterStore), ...Object.values(projectParameters)]);
  const secrets = unique([...Object.values(buildspec.env.secretsManager), ...Object.values(projectSecrets)].map((r) => r.secretId));
  // Always called, even with no names: the first call of a lease declares the buildspec's names to
  // the server (finding 5 of issue 7), so a build cannot be the first to declare what it likes.
  const values = await client.parameters(job.buildId, { parameters, secrets });
  const source = new StaticParameterSource(values);

  const projectEnv: EnvSpec = { ...buildspec.env, variables: {}, parameterStore: projectParameters, secretsManager: projectSecrets };
  const resolved = resolveParameters(projectEnv, source);
  if (!resolved.ok) return { ok: false, message: `${resolved.message} named by the project's environment variables` };
  return { ok: true, overrides: { ...plain, ...resolved.variables }, secretValues: resolved.secrets, source };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
