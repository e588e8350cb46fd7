/**
 * Resolving buildspec `parameter-store` and `secrets-manager` entries. Where the values come from is
 * a port: a parameters file for `nagare build`, the server's encrypted store later. Every resolved
 * value is a secret for masking purposes.
 */
import type { EnvSpec, SecretReference } from '../core/buildspec.js';

/** A source of parameter and secret values. Both return undefined for an unknown name. */
export interface ParameterSource {
  getParameter(name: string): string | undefined;
  /** The secret's whole value (a string, often JSON). */
  getSecret(secretId: string, versionStage: string | undefined, versionId: string | undefined): string | undefined;
}

export type ResolvedParameters =
  | { readonly ok: true; readonly variables: Readonly<Record<string, string>>; readonly secrets: readonly string[] }
  | { readonly ok: false; readonly message: string };

export function resolveParameters(env: EnvSpec, source: ParameterSource): ResolvedParameters {
  const variables: Record<string, string> = {};
  const missing: string[] = [];
  for (const [variable, name] of Object.entries(env.parameterStore)) {
    const value = source.getParameter(name);
    if (value === undefined) missing.push(`parameter '${name}' (for ${variable})`);
    else variables[variable] = value;
  }
  for (const [variable, reference] of Object.entries(env.secretsManager)) {
    const value = secretValue(reference, source);
    if (typeof value === 'string') variables[variable] = value;
    else missing.push(`${value.problem} (for ${variable})`);
  }
  if (missing.length > 0) {
    return { ok: false, message: `Could not resolve ${missing.join(', ')}` };
  }
  return { ok: true, variables, secrets: Object.values(variables) };
}

function secretValue(reference: SecretReference, source: ParameterSource): string | { problem: string } {
  const whole = source.getSecret(reference.secretId, reference.versionStage, reference.versionId);
  if (whole === undefined) return { problem: `secret '${reference.secretId}'` };
  if (reference.jsonKey === undefined) return whole;
  let parsed: unknown;
  try {
    parsed = JSON.parse(whole);
  } catch {
    return { problem: `secret '${reference.secretId}' is not JSON, so key '${reference.jsonKey}' cannot be read` };
  }
  const value = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[reference.jsonKey] : undefined;
  if (value === undefined) return { problem: `key '${reference.jsonKey}' of secret '${reference.secretId}'` };
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A parameters file for `nagare build --parameters FILE`: a map of name → value. Names are
 * parameter names and secret ids alike; a secret's value may be a string or an object (its JSON
 * keys are then readable with `secret-id:json-key`).
 */
export class StaticParameterSource implements ParameterSource {
  constructor(private readonly values: Readonly<Record<string, unknown>>) {}

  getParameter(name: string): string | undefined {
    return this.stringValue(name);
  }

  getSecret(secretId: string): string | undefined {
    return this.stringValue(secretId);
  }

  private stringValue(name: string): string | undefined {
    if (!Object.hasOwn(this.values, name)) return undefined;
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
}
