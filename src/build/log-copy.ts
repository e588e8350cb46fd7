/**
 * The local build's log kept in a file beside its build number (CODEBUILD_BUILD_URL points at it).
 * Written synchronously as it comes, as the terminal is (cli/blocking-write.ts): a build printing
 * faster than the disk takes it then waits in its pipe, instead of its output piling up in
 * nagare's memory behind an unbounded write queue. A file that cannot be written is said once in
 * the log, and the build goes on without the copy.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { LogSink } from '../executors/command-log.js';

export interface LogCopy {
  write(data: string | Buffer): void;
  close(): void;
}

export function openLogCopy(file: string, log: LogSink): LogCopy {
  let fd: number | undefined;
  const fail = (error: unknown): void => {
    log.write(`[nagare] The log is not kept in ${file}: ${(error as Error).message}\n`);
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  try {
    fd = openSync(file, 'w');
  } catch (error) {
    fail(error);
  }
  return {
    write(data) {
      if (fd === undefined) return;
      try {
        let buffer = typeof data === 'string' ? Buffer.from(data) : data;
        while (buffer.length > 0) buffer = buffer.subarray(writeSync(fd, buffer));
      } catch (error) {
        fail(error);
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
