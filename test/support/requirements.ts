/**
 * Tests that need something the machine may lack (a Docker engine, an image, PostgreSQL) skip with
 * a message saying what is missing — except in CI, which provides everything: there a missing
 * requirement is a failing test, so that nothing is silently skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/** The `skip` option for a test needing `what`: false when available, the reason otherwise. */
export function requirement(what: string, missing: string | undefined): string | false {
  if (missing === undefined) return false;
  if (process.env.CI === 'true') {
    test(`CI provides ${what}`, () => assert.fail(`${what} is missing in CI: ${missing}`));
    return false;
  }
  return missing;
}

/** Why a Docker test cannot run here: no engine at the socket, or `image` not built; undefined when it can. */
export async function dockerImageMissing(image: string, socketPath = '/var/run/docker.sock'): Promise<string | undefined> {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker({ socketPath });
  if (!(await docker.ping().then(() => true, () => false))) return `no Docker engine at ${socketPath} (start dockerd)`;
  if (!(await docker.getImage(image).inspect().then(() => true, () => false))) return `image ${image} is missing (run scripts/build-base-image.sh)`;
  return undefined;
}

/**
 * Why a shell build cannot run as the unprivileged `user` here (not root); the user is created
 * when missing. Another test file may create it at the same moment: what counts is that it exists.
 */
export function buildUserMissing(user: string): string | undefined {
  if (process.getuid?.() !== 0) return `needs root to run a shell build as the user ${user}`;
  const exists = (): boolean => spawnSync('id', [user], { stdio: 'ignore' }).status === 0;
  if (!exists()) spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', user], { stdio: 'ignore' });
  return exists() ? undefined : `cannot create the user ${user} (useradd)`;
}
