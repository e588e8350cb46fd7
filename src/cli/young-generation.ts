/**
 * The launcher (scripts/build.mjs) keeps V8's young generation at its first size: a short command
 * such as `nagare build` allocates mostly buffers that die young (its build's output, in 64 KiB
 * chunks), and semi-spaces grown to 16 MB held tens of MB of them (peak RSS 106-125 MB for 100 MB
 * of output, 84-89 MB kept small, no slower: docs/benchmarks.md). A long-running process serving
 * requests (the server, the agent) lets it grow again, V8's default, so that objects living across
 * a request are not promoted early.
 */
import { setFlagsFromString } from 'node:v8';

export function growYoungGenerationAgain(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
}
