/**
 * Validation of blob keys, shared by every backend so that a key valid for one is valid for all,
 * and none can name anything outside the store (see BlobStore).
 */
import { NagareError } from '../core/errors.js';

const SEGMENT = /^[A-Za-z0-9._:=@+-]+$/;
/** S3's limit on object key length, so that keys stay portable between backends. */
export const MAX_BLOB_KEY_LENGTH = 1024;

/** The segments of a valid key; throws API_INVALID_INPUT for any other key. */
export function blobKeySegments(key: string): string[] {
  const segments = key.split('/');
  const bad = key.length === 0 || key.length > MAX_BLOB_KEY_LENGTH || segments.some((s) => s === '.' || s === '..' || !SEGMENT.test(s));
  if (bad) {
    throw new NagareError(
      'API_INVALID_INPUT',
      `Invalid blob key ${JSON.stringify(key.slice(0, 200))}: use /-separated names of A-Z a-z 0-9 . _ : = @ + - (no empty, . or .. segments, at most ${MAX_BLOB_KEY_LENGTH} characters).`,
      { details: { key: key.slice(0, 200) } },
    );
  }
  return segments;
}
