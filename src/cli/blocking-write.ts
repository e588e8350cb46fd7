/**
 * Writes the build log to stdout or stderr synchronously. A build can print faster than a pipe's
 * reader takes it; blocking here stops nagare from reading the build's output until the pipe
 * drains, so the output waits in the kernel's pipes instead of piling up in nagare's memory.
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function blockingWrite(fd: number, text: string | Buffer): void {
  let buffer = typeof text === 'string' ? Buffer.from(text) : text;
  while (buffer.length > 0) {
    try {
      const written = writeSync(fd, buffer);
      buffer = buffer.subarray(written);
    } catch (error) {
      // A non-blocking pipe that is full: wait a moment and try again.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 0.2);
    }
  }
}
