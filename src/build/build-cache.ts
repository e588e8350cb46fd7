/**
 * The buildspec `cache` block for a build: keys and paths are evaluated with shell syntax in the
 * build's environment (`npm-$(codebuild-hash-files package-lock.json)`), then restored during
 * DOWNLOAD_SOURCE and saved after POST_BUILD when BUILD succeeded (decision 5). A cache problem is
 * a warning in the log, never a failed build.
 */
import type { CacheSpec } from '../core/buildspec.js';
import { restoreCache, saveCache } from './cache.js';
import type { BuildRequest } from './runner.js';
import type { BuildShells } from './shells.js';

export async function restoreBuildCache(spec: CacheSpec, request: BuildRequest, shells: BuildShells): Promise<readonly string[]> {
  if (!spec.restore) return ['Cache action is save: not restoring'];
  const evaluated = await evaluateCacheSpec(spec, request, shells);
  const result = await restoreCache(evaluated, cacheContext(request));
  return result.log;
}

export async function saveBuildCache(spec: CacheSpec, request: BuildRequest, shells: BuildShells): Promise<readonly string[]> {
  if (!spec.save) return ['Cache action is restore: not saving'];
  const evaluated = await evaluateCacheSpec(spec, request, shells);
  const result = await saveCache(evaluated, cacheContext(request));
  return result.log;
}

function cacheContext(request: BuildRequest): { cacheRoot: string; projectName: string; sourceDir: string } {
  return { cacheRoot: request.cacheRoot ?? '', projectName: request.identity.projectName, sourceDir: request.identity.sourceDir };
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
