/**
 * The buildspec `cache` block for a build: keys and paths are evaluated with shell syntax in the
 * build's environment (`npm-$(codebuild-hash-files package-lock.json)`), then restored during
 * DOWNLOAD_SOURCE and saved after POST_BUILD when BUILD succeeded (decision 5). A cache problem is
 * a warning in the log, never a failed build.
 *
 * The build packs and unpacks its cache paths itself (finding 2 of issue 7, see cache.ts): the
 * scripts run in its own shell session as its run-as user, in a subshell so that its working
 * directory and variables are unchanged, with their output kept out of the log.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { CacheSpec } from '../core/buildspec.js';
import { DEFAULT_CACHE_LIMIT_BYTES, restoreCache, saveCache, type CacheContext, type ScriptOutcome } from './cache.js';
import { CacheStaging } from './cache-staging.js';
import type { BuildRequest } from './build-request.js';
import type { BuildShells } from '../executors/shells.js';

/** Creates the build's staging directory (before the executor starts: Docker mounts it). */
export async function prepareCacheStaging(request: BuildRequest): Promise<CacheStaging> {
  return CacheStaging.create(request.cacheStagingDir ?? path.join(os.tmpdir(), `nagare-cache-${randomBytes(8).toString('hex')}`));
}

/** The staging directory for artifact and report paths outside the source, beside the cache's. */
export async function prepareOutputStaging(request: BuildRequest): Promise<CacheStaging> {
  const dir = request.cacheStagingDir === undefined ? path.join(os.tmpdir(), `nagare-outputs-${randomBytes(8).toString('hex')}`) : `${request.cacheStagingDir}-outputs`;
  return CacheStaging.create(dir);
}

export async function restoreBuildCache(spec: CacheSpec, request: BuildRequest, shells: BuildShells, staging: CacheStaging): Promise<readonly string[]> {
  if (!spec.restore) return ['Cache action is save: not restoring'];
  const evaluated = await evaluateCacheSpec(spec, request, shells);
  const result = await restoreCache(evaluated, cacheContext(request, shells, staging));
  return result.log;
}

export async function saveBuildCache(spec: CacheSpec, request: BuildRequest, shells: BuildShells, staging: CacheStaging): Promise<readonly string[]> {
  if (!spec.save) return ['Cache action is restore: not saving'];
  const evaluated = await evaluateCacheSpec(spec, request, shells);
  const result = await saveCache(evaluated, cacheContext(request, shells, staging));
  return result.log;
}

const MARKER = 'nagare-cache-status=';
const OUTPUT_TAIL_BYTES = 16 * 1024;

/**
 * Runs a POSIX sh script as the build (its shell session, its run-as user), in a subshell so
 * that its working directory and variables are unchanged, with its output kept out of the log.
 * Shared by the cache and by outputs collected from outside the source (outside-paths.ts).
 */
export function buildScriptRunner(shells: BuildShells, user: string | undefined): (script: string) => Promise<ScriptOutcome> {
  return async (script) => {
    // The `if` keeps a `set -e` of the build's session from ending its shell on a failed script.
    const command = `if ( ${script} ) </dev/null 2>&1; then printf '\\n${MARKER}0\\n'; else printf '\\n${MARKER}%s\\n' "$?"; fi`;
    // Only the tail is kept: a warning shows one line, and tar may complain about every file.
    let tail = Buffer.alloc(0);
    const outcome = await shells.run(command, user, (chunk) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > OUTPUT_TAIL_BYTES) tail = tail.subarray(tail.length - OUTPUT_TAIL_BYTES);
    });
    const output = tail.toString('utf8');
    const at = output.lastIndexOf(`\n${MARKER}`);
    if (at < 0) return { status: outcome.exitCode === 0 ? 1 : outcome.exitCode, output };
    return { status: Number.parseInt(output.slice(at + 1 + MARKER.length), 10), output: output.slice(0, at) };
  };
}

function cacheContext(request: BuildRequest, shells: BuildShells, staging: CacheStaging): CacheContext {
  const runInBuild = buildScriptRunner(shells, request.buildspec.runAs);
  return {
    cacheRoot: request.cacheRoot ?? '',
    projectName: request.identity.projectName,
    sourceDir: request.identity.sourceDir,
    staging,
    limitBytes: request.cacheLimitBytes ?? DEFAULT_CACHE_LIMIT_BYTES,
    runInBuild,
  };
}

async function evaluateCacheSpec(spec: CacheSpec, request: BuildRequest, shells: BuildShells): Promise<CacheSpec> {
  const user = request.buildspec.runAs;
  const evaluate = async (text: string): Promise<string> => (await shells.evaluate(text, user)) ?? text;
  return {
    ...spec,
    key: spec.key === undefined ? undefined : await evaluate(spec.key),
    fallbackKeys: await Promise.all(spec.fallbackKeys.map(evaluate)),
    paths: await Promise.all(spec.paths.map(evaluate)),
  };
}
