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
import type { RegistryAuth } from '../executors/index.js';

export type JobVariables =
  | {
      readonly ok: true;
      /** PLAINTEXT and resolved typed project variables: the runner's overrides. */
      readonly overrides: Readonly<Record<string, string>>;
      /** Values of the typed project variables, masked in the log. */
      readonly secretValues: readonly string[];
      /** For the buildspec's own `parameter-store` and `secrets-manager` entries. */
      readonly source: StaticParameterSource;
      /** The project's registryCredential, for the pull; never given to the build. */
      readonly registryAuth: RegistryAuth | undefined;
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
  const secrets = unique([...Object.values(buildspec.env.secretsManager), ...Object.values(projectSecrets)].map((r) => r.secretId).concat(job.registryCredential ?? []));
  // Always called, even with no names: the first call of a lease declares the buildspec's names to
  // the server (finding 5 of issue 7), so a build cannot be the first to declare what it likes.
  const values = await client.parameters(job.buildId, { parameters, secrets });
  // The registry credential is the agent's, for the pull: the build reads it only when the
  // project's own variables name it too, never because a buildspec (pushed code) asks.
  const forBuild: Record<string, string> = { ...values };
  const projectNamed = Object.values(projectSecrets).some((reference) => reference.secretId === job.registryCredential);
  if (job.registryCredential !== undefined && !projectNamed) delete forBuild[job.registryCredential];
  const source = new StaticParameterSource(forBuild);

  const projectEnv: EnvSpec = { ...buildspec.env, variables: {}, parameterStore: projectParameters, secretsManager: projectSecrets };
  const resolved = resolveParameters(projectEnv, source);
  if (!resolved.ok) return { ok: false, message: `${resolved.message} named by the project's environment variables` };
  const registry = job.registryCredential === undefined ? { ok: true as const, auth: undefined } : registryAuthFrom(job.registryCredential, new StaticParameterSource(values));
  if (!registry.ok) return registry;
  const secretValues = registry.auth ? [...resolved.secrets, registry.auth.password] : resolved.secrets;
  return { ok: true, overrides: { ...plain, ...resolved.variables }, secretValues, source, registryAuth: registry.auth };
}

/** The registry credential secret: JSON `{"username","password"}`, as CodeBuild's registryCredential holds. */
function registryAuthFrom(secretId: string, source: StaticParameterSource): { ok: true; auth: RegistryAuth } | { ok: false; message: string } {
  const refused = `The project's registryCredential ${secretId} must be a secret holding JSON {"username": …, "password": …}`;
  const value = source.getSecret(secretId);
  if (value === undefined) return { ok: false, message: `${refused}; it was not found` };
  try {
    const parsed = JSON.parse(value) as { username?: unknown; password?: unknown };
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') return { ok: true, auth: { username: parsed.username, password: parsed.password } };
  } catch {
    // Not JSON: said below, without the value.
  }
  return { ok: false, message: refused };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
