/**
 * The content store for build logs, artifacts and caches. One interface, one file per backend
 * (`FilesystemBlobStore`, later S3), all run through `runBlobStoreContract`.
 *
 * Keys are `/`-separated relative paths whose segments use only `A-Z a-z 0-9 . _ : = @ + -`, are
 * not empty and are not `.` or `..` (e.g. `builds/b-1/logs/000001`). Any other key is rejected with
 * API_INVALID_INPUT before any I/O, so that no key can reach outside the store.
 */
export interface BlobStore {
  /**
   * Writes a whole blob from a stream, replacing any blob under `key`, atomically: readers see the
   * old blob or the new one, never a partial one. Resolves once the blob is durable, with its size
   * and SHA-256 (hex). Rejects with BLOB_TOO_LARGE as soon as more than `maxBytes` arrive, and
   * then keeps nothing (an existing blob under `key` is left as it was). An error thrown by `body`
   * rejects the same way.
   */
  put(key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options?: PutOptions): Promise<PutResult>;

  /**
   * Appends `chunk` to the blob under `key` (created when absent) and resolves with the new size
   * once the bytes are durable (fsync). Appends to one key must not run concurrently: the caller
   * orders them (log chunks carry sequence numbers); appends to different keys may.
   */
  append(key: string, chunk: Uint8Array): Promise<number>;

  /**
   * Streams the blob from `offset` (default 0) for at most `length` bytes (default: to the end).
   * Rejects with BLOB_NOT_FOUND when there is no blob under `key`. An offset at or past the end
   * yields nothing. The stream does not hold the whole blob in memory.
   */
  read(key: string, options?: ReadOptions): Promise<AsyncIterable<Uint8Array>>;

  /** The blob's size in bytes, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;

  /** Removes the blob; removing an absent blob is not an error. */
  delete(key: string): Promise<void>;
}

export interface PutOptions {
  /** The largest blob accepted, in bytes; unlimited when absent. */
  readonly maxBytes?: number;
}

export interface PutResult {
  readonly bytes: number;
  /** SHA-256 of the content, lower-case hex. */
  readonly sha256: string;
}

export interface ReadOptions {
  readonly offset?: number;
  readonly length?: number;
}
