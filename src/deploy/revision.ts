/**
 * Reading an extracted revision: its appspec (confined to the revision, never through a link out)
 * and the end of a deployment's scripts.log for failure diagnostics.
 */
import { open } from 'node:fs/promises';
import type { AppSpec } from '../core/appspec.js';
import { readConfinedFile } from '../executors/confine.js';
import { parseAppSpec } from '../spec/appspec.js';
import { findAppSpec } from './bundle.js';
import { InstallError } from './install.js';

/** The largest appspec read; a larger one is refused rather than parsed. */
const MAX_APPSPEC_BYTES = 1024 * 1024;
/** How much of scripts.log a failed event carries, as the agent's ~2 KB. */
const LOG_TAIL_BYTES = 2048;

/** The revision's appspec, parsed. @throws InstallError when there is none, SpecErrors when it is invalid. */
export async function loadAppSpec(revisionDir: string): Promise<AppSpec> {
  const name = await findAppSpec(revisionDir);
  if (name === undefined) throw new InstallError('The revision has no appspec.yml (nor appspec.yaml) at its root; every CodeDeploy revision needs one');
  const content = await readConfinedFile(revisionDir, name);
  if (content.length > MAX_APPSPEC_BYTES) throw new InstallError(`The revision's ${name} is ${content.length} bytes, more than the ${MAX_APPSPEC_BYTES} nagare reads`);
  return parseAppSpec(content.toString('utf8'), name);
}

/** The last ~2 KB of a scripts.log ('' when there is none). */
export async function readLogTail(file: string): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
