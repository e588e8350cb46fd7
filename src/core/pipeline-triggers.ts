/**
 * Which pushes start a pipeline (reference §3.9, decision 18). A source action with a V2 trigger
 * starts on pushes its filters accept; one without starts on any push to its BranchName.
 * Globs: `*` within one path segment, `**` across segments, `?` one character, no braces;
 * case-sensitive; excludes win over includes. Filters of a trigger are OR-ed, the parts of one
 * filter AND-ed.
 */
import type { ActionDeclaration, GitPushFilter, GlobFilter, PipelineDefinition } from './pipeline.js';
import { gitSourceOf, sourceReadsRepository } from './pipeline-sources.js';
import type { PushEvent as StorePushEvent } from './store.js';

/** The parts of a recorded push (store PushEvent) a trigger looks at, with `ref` as a short name (`main`, `v1`). */
export type PushEvent = Pick<StorePushEvent, 'repositoryName' | 'ref' | 'refType' | 'oldCommit' | 'newCommit' | 'changedPaths'>;

/**
 * The source actions a push starts the pipeline for (empty when it does not): CodeCommit actions
 * naming the pushed repository, and GitHub or connection actions whose mirror it is
 * (`mirrorUrl`: the pushed repository's upstream, when it is a mirror).
 */
export function sourceActionsTriggeredBy(definition: PipelineDefinition, push: PushEvent, mirrorUrl?: string): ActionDeclaration[] {
  if (push.newCommit === undefined) return []; // a deleted branch or tag starts nothing
  const pushed = { name: push.repositoryName, mirrorUrl };
  const sources = (definition.stages[0]?.actions ?? []).flatMap((action) => {
    const source = gitSourceOf(action);
    return source && sourceReadsRepository(source, pushed) ? [{ action, source }] : [];
  });
  return sources.filter(({ action, source }) => {
    const trigger = definition.triggers.find((t) => t.sourceActionName === action.name);
    if (!trigger) return push.refType === 'branch' && push.ref === source.branch;
    return trigger.push.some((filter) => filterAccepts(filter, push));
  }).map(({ action }) => action);
}

export function filterAccepts(filter: GitPushFilter, push: PushEvent): boolean {
  if (filter.tags) return push.refType === 'tag' && globFilterAccepts(filter.tags, push.ref);
  if (filter.branches) {
    if (push.refType !== 'branch' || !globFilterAccepts(filter.branches, push.ref)) return false;
    const paths = filter.filePaths;
    return !paths || push.changedPaths.some((p) => globFilterAccepts(paths, p));
  }
  return false;
}

export function globFilterAccepts(filter: GlobFilter, value: string): boolean {
  if (filter.excludes.some((pattern) => globMatches(pattern, value))) return false;
  return filter.includes.length === 0 || filter.includes.some((pattern) => globMatches(pattern, value));
}

export function globMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (char === '*' && pattern.charAt(i + 1) === '*') {
      // `**/` also matches no directory at all, so `**/README.md` matches `README.md`.
      const slash = pattern.charAt(i + 2) === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
