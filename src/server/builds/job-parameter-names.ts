/**
 * Finding 5 of issue 7 ("secrets by name"): which parameters and secrets one leased build may read.
 *
 * The server knows the project's typed variables (PARAMETER_STORE, SECRETS_MANAGER, with StartBuild's
 * overrides, as stored with the job) and an inline buildspec (project, override or pipeline action),
 * which it parses itself. A buildspec read from the source is seen only by the agent; for those
 * builds the agent declares the buildspec's names once, on its first parameters call of the lease,
 * and the server keeps that set with the build. Every later call is held to it.
 */
import type { BuildJob } from '../../core/build-job.js';
import { parseBuildspec } from '../../spec/buildspec.js';
import { parseSecretReference } from '../../spec/secret-reference.js';

export interface ParameterNames {
  readonly parameters: readonly string[];
  readonly secrets: readonly string[];
}

export interface ServerKnownNames {
  readonly names: ParameterNames;
  /** True when the buildspec lives in the source, so only the agent can name its references. */
  readonly buildspecInSource: boolean;
}

export function serverKnownNames(job: BuildJob): ServerKnownNames {
  const parameters = new Set<string>();
  const secrets = new Set<string>();
  for (const variable of job.environmentVariables) {
    if (variable.type === 'PARAMETER_STORE') parameters.add(variable.value);
    if (variable.type === 'SECRETS_MANAGER') {
      const reference = parseSecretReference(variable.value);
      if (reference.ok) secrets.add(reference.value.secretId);
    }
  }
  // The image's registry credential: the agent reads it to pull, never the build.
  if (job.registryCredential !== undefined) secrets.add(job.registryCredential);
  const inline = job.buildspec !== undefined && isInlineBuildspec(job.buildspec);
  if (inline) {
    try {
      const spec = parseBuildspec(job.buildspec ?? '', 'buildspec');
      for (const name of Object.values(spec.env.parameterStore)) parameters.add(name);
      for (const reference of Object.values(spec.env.secretsManager)) secrets.add(reference.secretId);
    } catch {
      // An invalid inline buildspec fails the build on the agent; it may read only the project's names.
    }
  }
  return { names: { parameters: [...parameters], secrets: [...secrets] }, buildspecInSource: !inline };
}

/** The same test as the agent's (src/agent/job-buildspec.ts): YAML text rather than a path. */
export function isInlineBuildspec(value: string): boolean {
  return value.includes('\n') || /^\s*version\s*:/.test(value);
}

/** Names in `requested` that `allowed` lacks, as `parameter NAME` / `secret NAME`. */
export function namesOutside(requested: ParameterNames, allowed: ParameterNames): string[] {
  const parameters = new Set(allowed.parameters);
  const secrets = new Set(allowed.secrets);
  return [
    ...requested.parameters.filter((n) => !parameters.has(n)).map((n) => `parameter ${n}`),
    ...requested.secrets.filter((n) => !secrets.has(n)).map((n) => `secret ${n}`),
  ];
}

export function unionOf(a: ParameterNames, b: ParameterNames): ParameterNames {
  return { parameters: [...new Set([...a.parameters, ...b.parameters])], secrets: [...new Set([...a.secrets, ...b.secrets])] };
}
