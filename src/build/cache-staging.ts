/**
 * The staging directory through which cache archives pass between a build and the cache store
 * (finding 2 of issue 7). The build writes and reads archives there with its own rights; the
 * agent only ever opens a name directly inside it, through a descriptor of the directory it
 * created (`/proc/self/fd/<n>/<name>`, Linux's openat), with O_NOFOLLOW: a link the build planted,
 * at the name or in place of the directory itself, is refused, never followed.
 */
import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export class StagingProblem extends Error {}

const PROC_FD = '/proc/self/fd';

export class CacheStaging {
  private constructor(
    readonly dir: string,
    private readonly identity: Pick<Stats, 'dev' | 'ino'>,
  ) {}

  /**
   * Creates `dir` (which must not exist) with mode 1777, so that whatever user the build runs
   * as can create archives there, and nobody but their owner can remove or replace them.
   */
  static async create(dir: string): Promise<CacheStaging> {
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o1777);
    const info = await lstat(dir);
    return new CacheStaging(dir, { dev: info.dev, ino: info.ino });
  }

  /** Opens an archive the build wrote: a regular file with one link (a hard link to a host file is refused). */
  async openArchive(name: string): Promise<FileHandle> {
    const handle = await this.openInside(name, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new StagingProblem(`${name} in the staging directory is not a regular file`);
      if (info.nlink !== 1) throw new StagingProblem(`${name} in the staging directory has other links`);
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Creates a new archive for the build to read (mode 0644); fails if the name exists in any form. */
  async createArchive(name: string): Promise<FileHandle> {
    return this.openInside(name, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  }

  /** Removes the named archives (through the directory checked, like every other access); the directory stays until `dispose`. */
  async clear(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.inside(async (base) => {
      for (const name of names) await rm(path.join(base, checkedName(name)), { force: true });
    }).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  archivePath(name: string): string {
    return path.join(this.dir, name);
  }

  private async openInside(name: string, flags: number, mode?: number): Promise<FileHandle> {
    return this.inside((base) => open(path.join(base, checkedName(name)), flags, mode));
  }

  /** Runs `use` with a base path that leads to this very directory, or fails if it was replaced. */
  private async inside<T>(use: (base: string) => Promise<T>): Promise<T> {
    const directory = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((error: unknown) => {
      throw new StagingProblem(`the staging directory was replaced (${describe(error)})`);
    });
    try {
      const info = await directory.stat();
      if (info.dev !== this.identity.dev || info.ino !== this.identity.ino) throw new StagingProblem('the staging directory was replaced');
      // Through the descriptor, a name is looked up in the very directory checked above.
      const viaDescriptor = (await lstat(PROC_FD).catch(() => undefined)) ? path.join(PROC_FD, String(directory.fd)) : this.dir;
      return await use(viaDescriptor);
    } finally {
      await directory.close();
    }
  }
}

function checkedName(name: string): string {
  if (name.includes('/') || name === '.' || name === '..' || name === '') throw new StagingProblem(`bad staging name ${name}`);
  return name;
}

/** An error's message for a cache warning line. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
