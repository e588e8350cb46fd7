/**
 * Bearer tokens and access keys that nagare issues. Tokens are shown once and stored only as their
 * SHA-256 hash; access key secrets are needed to verify SigV4 and so are stored sealed (SecretBox).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * What a token is for, readable in logs and secret scanners: `ngr` agent registration, `nga` agent
 * session, `ngu` user API token, `ngw` webhook secret, `ngm` metrics-only token. Add new prefixes here.
 */
export type TokenPrefix = 'ngr' | 'nga' | 'ngu' | 'ngw' | 'ngm';

const TOKEN_BYTES = 32;

/** `<prefix>_` followed by 32 random bytes in base64url (43 characters). */
export function newToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

/** The SHA-256 hex digest under which a token is stored and looked up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface AccessKeyPair {
  /** `AKIA` and 16 upper-case letters or digits, 20 characters, as AWS access key ids look. */
  readonly accessKeyId: string;
  /** 40 characters of the base64 alphabet, as AWS secret access keys look. */
  readonly secretAccessKey: string;
}

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A new access key pair for SigV4; the id is random, so it reveals nothing about its owner. */
export function newAccessKeyPair(): AccessKeyPair {
  let suffix = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < 16; i += 1) suffix += KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)];
  return { accessKeyId: `AKIA${suffix}`, secretAccessKey: randomBytes(30).toString('base64') };
}
