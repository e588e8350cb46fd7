/**
 * Artifact and report paths outside the source directory (`base-directory: /tmp/testArtifacts`,
 * `files: /tmp/build.json`), collected as CodeBuild collects them, but read with the build's own
 * rights, never the agent's (DESIGN.md, "Builds are untrusted code"): the build itself copies
 * what it names with `tar`, through its own shell (in the container for Docker builds, as its
 * run-as user for shell builds), into a folder of a staging directory it can write. The usual
 * selection then runs over that folder with the one confine rule, so a link the build planted
 * there leads nowhere. A build can thus collect only what it could read itself.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ScriptOutcome } from './cache.js';
import { shellQuote } from '../executors/shells.js';
import { selectFiles, type FileSelection, type FileSelectionSpec, type SelectedFile, type SelectionNoun } from './file-selection.js';
import { isInside } from './source-tree.js';

/** How to copy, as the build, into the staging directory (absent: outside paths are refused). */
export interface OutsideCollector {
  /** Created by the runner with mode 1777, at the same path for the build (Docker mounts it). */
  readonly stagingDir: string;
  /** Runs a POSIX sh script as the build, its output kept out of the log. */
  readonly run: (script: string) => Promise<ScriptOutcome>;
}

let folders = 0;

/** `selectFiles`, with paths outside the source copied in by the build first. */
export async function selectWithOutside(spec: FileSelectionSpec, sourceDir: string, noun: SelectionNoun, outside: OutsideCollector | undefined): Promise<FileSelection> {
  if (outside === undefined) return selectFiles(spec, sourceDir, noun);
  const roots = [path.resolve(sourceDir), await realpath(sourceDir).catch(() => path.resolve(sourceDir))];
  const isOutside = (written: string): boolean => path.isAbsolute(written) && !roots.some((root) => isInside(root, path.resolve(written)));
  if (spec.baseDirectory !== undefined && isOutside(spec.baseDirectory)) {
    const staged = await stage(outside, `cd ${globWord(spec.baseDirectory)} && tar cf - .`);
    if (staged.status !== 0) return { ok: false, context: { statusCode: 'CLIENT_ERROR', message: `no matching base directory path found for ${spec.baseDirectory}` }, log: [`Skipping invalid file path ${spec.baseDirectory}`] };
    return selectFiles({ ...spec, baseDirectory: undefined, files: spec.files.map((file) => (path.isAbsolute(file) ? relativeOrSelf(spec.baseDirectory ?? '/', file) : file)) }, staged.folder, noun);
  }
  const far = spec.files.filter(isOutside);
  if (far.length === 0) return selectFiles(spec, sourceDir, noun);
  // The build archives what it names from `/`, so entries keep their path less the leading slash.
  const staged = await stage(outside, `cd / && tar cf - ${far.map((file) => globWord(file.replace(/^\/+/, ''))).join(' ')} 2>/dev/null`);
  const near = spec.files.filter((file) => !isOutside(file));
  const parts = [
    ...(near.length > 0 ? [await selectFiles({ ...spec, files: near }, sourceDir, noun)] : []),
    ...[await selectFiles({ ...spec, baseDirectory: undefined, files: far.map((file) => file.replace(/^\/+/, '')) }, staged.folder, noun)],
  ];
  return merge(parts, noun);
}

/**
 * Runs `archive` (a script writing a tar to its standard output) as the build, unpacked into a new
 * staging folder. A non-zero status means some or all of what it names could not be read.
 */
async function stage(outside: OutsideCollector, archive: string): Promise<{ folder: string; status: number }> {
  folders += 1;
  const folder = path.join(outside.stagingDir, `outside-${folders}`);
  const outcome = await outside.run(`mkdir ${shellQuote(folder)} && { ${archive}; } | (cd ${shellQuote(folder)} && tar xf -)`);
  return { folder, status: outcome.status };
}

/** Parts selected from several roots as one selection: it fails only when every part found nothing, or one part failed otherwise. */
function merge(parts: readonly FileSelection[], noun: SelectionNoun): FileSelection {
  const log = parts.flatMap((part) => part.log);
  const entries: SelectedFile[] = [];
  const noMatch = `no matching ${noun} paths found`;
  for (const part of parts) {
    if (part.ok) entries.push(...part.entries);
    else if (part.context.message !== noMatch) return { ...part, log };
  }
  if (entries.length === 0) return { ok: false, context: { statusCode: 'CLIENT_ERROR', message: noMatch }, log };
  return { ok: true, entries, log };
}

function relativeOrSelf(base: string, file: string): string {
  const relative = path.relative(base, file);
  return relative.startsWith('..') ? file : relative;
}

/** A path for sh: glob characters stay live (the build expands them), everything else quoted. */
function globWord(text: string): string {
  return text.split(/([*?[\]])/).map((part) => (part === '' ? '' : /^[*?[\]]$/.test(part) ? part : shellQuote(part))).join('') || "''";
}
