/**
 * `env.secrets-manager` values: `secret-id[:json-key[:version-stage[:version-id]]]` (reference §1.4).
 * The secret id may be an ARN, which has colons of its own.
 */
import type { SecretReference } from '../core/buildspec.js';

export type SecretReferenceResult = { readonly ok: true; readonly value: SecretReference } | { readonly ok: false; readonly problem: string };

// arn:partition:secretsmanager:region:account:secret:name
const ARN_FIELDS = 7;

export function parseSecretReference(raw: string): SecretReferenceResult {
  const parts = raw.split(':');
  const idFields = raw.startsWith('arn:') ? ARN_FIELDS : 1;
  if (parts.length < idFields) {
    return { ok: false, problem: `\`${raw}\` looks like an ARN but is incomplete; a secret ARN reads arn:aws:secretsmanager:<region>:<account>:secret:<name>.` };
  }
  const secretId = parts.slice(0, idFields).join(':');
  const [jsonKey, versionStage, versionId, ...extra] = parts.slice(idFields);
  if (secretId === '' || secretId.endsWith(':')) {
    return { ok: false, problem: `\`${raw}\` has no secret id; write secret-id[:json-key[:version-stage[:version-id]]].` };
  }
  if (extra.length > 0) {
    return { ok: false, problem: `\`${raw}\` has too many \`:\` fields; write secret-id[:json-key[:version-stage[:version-id]]].` };
  }
  if (nonEmpty(versionStage) !== undefined && nonEmpty(versionId) !== undefined) {
    return { ok: false, problem: `\`${raw}\` sets both a version stage and a version id; keep one and leave the other empty (\`${secretId}:${jsonKey ?? ''}::${versionId ?? ''}\`).` };
  }
  return {
    ok: true,
    value: { secretId, jsonKey: nonEmpty(jsonKey), versionStage: nonEmpty(versionStage), versionId: nonEmpty(versionId), raw },
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}
