/**
 * UPLOAD_ARTIFACTS for a local build: the primary and secondary artifacts as zip files in the
 * artifacts directory. Names and base directories are evaluated with shell syntax first, as
 * CodeBuild does (`name: build-$CODEBUILD_BUILD_NUMBER`).
 *
 * Files: the primary artifact is `<dir>/<name or "artifacts">.zip`, a secondary one
 * `<dir>/<name or identifier>.zip`; a `/` in a name makes folders.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactSpec, ArtifactsSpec } from '../core/buildspec.js';
import { isNagareError } from '../core/errors.js';
import type { PhaseContext } from '../core/build-phases.js';
import { resolveArtifactFiles, writeArtifactZip } from './artifacts.js';
import type { BuildLog } from '../executors/command-log.js';
import type { BuildRequest, UploadedArtifact } from './build-request.js';
import type { OutsideCollector } from './outside-paths.js';

export type { UploadedArtifact } from './build-request.js';
import type { BuildShells } from '../executors/shells.js';

export type UploadResult =
  | { readonly ok: true; readonly primary: UploadedArtifact | undefined; readonly secondary: UploadedArtifact[] }
  | { readonly ok: false; readonly context: PhaseContext };

export async function uploadArtifacts(artifacts: ArtifactsSpec, request: BuildRequest, shells: BuildShells | undefined, log: BuildLog, outside?: OutsideCollector): Promise<UploadResult> {
  if (!artifacts.primary) {
    // CodeBuild insists on primary `files` even when only secondary artifacts are wanted (issue #128).
    return { ok: false, context: { statusCode: 'CLIENT_ERROR', message: 'no definition for primary artifacts in buildspec' } };
  }
  const primary = await uploadOne(artifacts.primary, undefined, request, shells, log, outside);
  if (!primary.ok) return primary;
  const secondary: UploadedArtifact[] = [];
  for (const [identifier, spec] of Object.entries(artifacts.secondary)) {
    const one = await uploadOne(spec, identifier, request, shells, log, outside);
    if (!one.ok) return one;
    secondary.push(one.artifact);
  }
  return { ok: true, primary: primary.artifact, secondary };
}

type OneResult = { readonly ok: true; readonly artifact: UploadedArtifact } | { readonly ok: false; readonly context: PhaseContext };

async function uploadOne(spec: ArtifactSpec, identifier: string | undefined, request: BuildRequest, shells: BuildShells | undefined, log: BuildLog, outside: OutsideCollector | undefined): Promise<OneResult> {
  const user = request.buildspec.runAs;
  const evaluate = async (text: string): Promise<string> => (shells ? ((await shells.evaluate(text, user)) ?? text) : text);
  const baseDirectory = spec.baseDirectory === undefined ? undefined : await evaluate(spec.baseDirectory);
  // `files: [$TARBALL]`, `$CODEBUILD_SRC_DIR/out/*`: every path is expanded like the name is (issue 9).
  const [filePaths, excludePaths] = [await evaluateEach(spec.files, evaluate), await evaluateEach(spec.excludePaths, evaluate)];
  const files = await resolveArtifactFiles({ ...spec, baseDirectory, files: filePaths, excludePaths }, request.identity.sourceDir, outside);
  for (const line of files.log) log.system(line);
  if (!files.ok) return { ok: false, context: { statusCode: files.context.statusCode, message: files.context.message } };

  // The name is evaluated by the build's shell and travels to the server: masked like the log.
  const name = log.mask(spec.name === undefined ? identifier ?? 'artifacts' : await evaluate(spec.name));
  const zipFile = path.resolve(request.artifactsDir, `${safeRelative(name)}.zip`);
  await mkdir(path.dirname(zipFile), { recursive: true });
  const written = await writeArtifactZip(files.entries, zipFile).catch((error: unknown) => {
    // A selected file swapped for a link (or a FIFO) before it was read is the build's doing.
    if (isNagareError(error) && error.code === 'BUILD_PATH_ESCAPES') return { ok: false as const, context: { statusCode: 'CLIENT_ERROR', message: error.message } };
    throw error;
  });
  if ('ok' in written) return written;
  log.system(`${identifier ? `Secondary artifact ${identifier}` : 'Artifact'} written to ${zipFile} (${files.entries.length} files, ${written.bytes} bytes)`);
  return { ok: true, artifact: { artifactIdentifier: identifier, location: zipFile, sha256sum: written.sha256, bytes: written.bytes, files: files.entries.length } };
}

/** Each path evaluated in turn, with the value the build's shell has at the end of the last phase that ran. */
export async function evaluateEach(paths: readonly string[], evaluate: (text: string) => Promise<string>): Promise<string[]> {
  const evaluated: string[] = [];
  for (const text of paths) evaluated.push(await evaluate(text));
  return evaluated;
}

/** A name may make folders but never leave the artifacts directory. */
function safeRelative(name: string): string {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.' && part !== '..');
  return parts.length > 0 ? parts.join('/') : 'artifacts';
}
