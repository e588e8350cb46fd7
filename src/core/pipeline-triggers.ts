/**
 * Which pushes start a pipeline (reference §3.9, decision 18). A source action with a V2 trigger
 * starts on pushes its filters accept; one without starts on any push to its BranchName.
 * Globs: `*` within one path segment, `**` across segments, `?` one character, no braces;
 * case-sensitive; excludes win over includes. Filters of a trigger are OR-ed, the parts of one
 * filter AND-ed.
 */
import type { ActionDeclaration, GitPushFilter, GlobFilter, PipelineDefinition } from './pipeline.js';
import type { PushEvent as StorePushEvent } from './store.js';

/** The parts of a recorded push (store PushEvent) a trigger looks at, with `ref` as a short name (`main`, `v1`). */
export type PushEvent = Pick<StorePushEvent, 'repositoryName' | 'ref' | 'refType' | 'oldCommit' | 'newCommit' | 'changedPaths'>;

/** The CodeCommit source actions a push starts the pipeline for (empty when it does not). */
export function sourceActionsTriggeredBy(definition: PipelineDefinition, push: PushEvent): ActionDeclaration[] {
  if (push.newCommit === undefined) return []; // a deleted branch or tag starts nothing
  const sources = (definition.stages[0]?.actions ?? []).filter((a) => a.actionTypeId.provider === 'CodeCommit' && a.configuration.RepositoryName === push.repositoryName);
  return sources.filter((action) => {
    const trigger = definition.triggers.find((t) => t.sourceActionName === action.name);
    if (!trigger) return push.refType === 'branch' && push.ref === action.configuration.BranchName;
    return trigger.push.some((filter) => filterAccepts(filter, push));
  });
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
