/**
 * The buildspec of a job: inline YAML (through `loadBuildspec`, as `nagare build` reads it), or a
 * path inside the source (`buildspec.yml` by default). A path is resolved in the source only (never
 * in the agent's current directory) and may not leave it; spec errors name the file as the
 * project gave it, with line and column. It is read only where its real path stays in the source
 * (finding 3 of issue 7): a link to a file inside is followed, a link out is BUILD_PATH_ESCAPES.
 */
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import { loadBuildspec, readSourceBuildspec, type LoadedBuildspec } from '../build/local-build.js';
import { parseBuildspec } from '../spec/buildspec.js';

export async function loadJobBuildspec(sourceDir: string, buildspec: string | undefined): Promise<LoadedBuildspec> {
  if (buildspec !== undefined && isInline(buildspec)) return loadBuildspec(sourceDir, buildspec);
  const name = buildspec ?? 'buildspec.yml';
  const file = path.resolve(sourceDir, name);
  const relative = path.relative(sourceDir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new NagareError('BUILD_BUILDSPEC_NOT_FOUND', `The buildspec path ${name} leaves the source directory`);
  }
  // The source is the pushed code: a buildspec.yml linking to a host file must not be read.
  const text = await readSourceBuildspec(sourceDir, relative);
  if (text === undefined) throw new NagareError('BUILD_BUILDSPEC_NOT_FOUND', `No buildspec ${relative} in the source`);
  return { spec: parseBuildspec(text, relative), location: file };
}

function isInline(value: string): boolean {
  return value.includes('\n') || /^\s*version\s*:/.test(value);
}
