/**
 * Which git repository a pipeline source action reads. CodeCommit actions name a hosted repository
 * (`RepositoryName`); GitHub (`ThirdParty`/`GitHub` v1: `Owner` + `Repo` + `Branch`) and
 * `CodeStarSourceConnection` (`FullRepositoryId` + `BranchName`) actions name a repository on
 * another host, which nagare serves from a mirror (`nagare repo create NAME --mirror URL`): the
 * mirror whose URL ends in that `owner/repo`, or the one the action names in `RepositoryName`
 * (nagare's addition, for when the URL says nothing or two mirrors say the same).
 */
import type { ActionDeclaration } from './pipeline.js';

export type SourceArtifactFormat = 'CODE_ZIP' | 'CODEBUILD_CLONE_REF';

export interface GitSource {
  /** The hosted repository named in the configuration, when one is. */
  readonly repositoryName: string | undefined;
  /** `owner/repo` of a GitHub or connection source. */
  readonly fullRepositoryId: string | undefined;
  readonly branch: string;
  readonly format: SourceArtifactFormat;
}

/** The providers read from a mirrored repository. */
export const MIRRORED_SOURCE_PROVIDERS: readonly string[] = ['GitHub', 'CodeStarSourceConnection'];

/** The git source of a source action; undefined for any other action. */
export function gitSourceOf(action: Pick<ActionDeclaration, 'actionTypeId' | 'configuration'>): GitSource | undefined {
  const { provider, category } = action.actionTypeId;
  const config = action.configuration;
  if (category !== 'Source') return undefined;
  const format: SourceArtifactFormat = config.OutputArtifactFormat === 'CODEBUILD_CLONE_REF' ? 'CODEBUILD_CLONE_REF' : 'CODE_ZIP';
  switch (provider) {
    case 'CodeCommit':
      return { repositoryName: config.RepositoryName, fullRepositoryId: undefined, branch: config.BranchName ?? '', format };
    case 'GitHub':
      return { repositoryName: config.RepositoryName, fullRepositoryId: `${config.Owner ?? ''}/${config.Repo ?? ''}`, branch: config.Branch ?? '', format };
    case 'CodeStarSourceConnection':
      return { repositoryName: config.RepositoryName, fullRepositoryId: config.FullRepositoryId, branch: config.BranchName ?? '', format };
    default:
      return undefined;
  }
}

/**
 * Whether a mirror's URL names `owner/repo`: its path ends in those two segments, `.git` or not,
 * letters in any case (GitHub's names are case-insensitive). Works for https, ssh
 * (`git@host:owner/repo.git`) and local paths alike.
 */
export function mirrorUrlNames(url: string, fullRepositoryId: string): boolean {
  const wanted = fullRepositoryId.toLowerCase().replace(/\.git$/, '').split('/').filter(Boolean);
  if (wanted.length < 2) return false;
  const withoutQuery = url.replace(/[?#].*$/, '');
  const pathPart = /^[a-z][a-z0-9+.-]*:\/\//i.test(withoutQuery) ? withoutQuery.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') : withoutQuery.replace(/^[^/:]+@[^:]+:/, '');
  const segments = pathPart.toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean);
  return wanted.every((segment, index) => segments[segments.length - wanted.length + index] === segment);
}

export interface KnownRepository {
  readonly name: string;
  readonly mirrorUrl: string | undefined;
}

export type RepositoryResolution = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly message: string };

/** The hosted repository a source reads, among `repositories`; a failure says how to make one. */
export function resolveSourceRepository(source: GitSource, repositories: readonly KnownRepository[]): RepositoryResolution {
  if (source.repositoryName !== undefined) return { ok: true, name: source.repositoryName };
  const id = source.fullRepositoryId ?? '';
  const matches = repositories.filter((repository) => repository.mirrorUrl !== undefined && mirrorUrlNames(repository.mirrorUrl, id));
  const [only, second] = matches;
  if (only && !second) return { ok: true, name: only.name };
  if (!only) {
    return { ok: false, message: `No mirrored repository serves ${id}: create one with \`nagare repo create NAME --mirror https://github.com/${id}.git\` (its URL must end in ${id}), or name it in the action's configuration as RepositoryName` };
  }
  return { ok: false, message: `Mirrors ${matches.map((repository) => repository.name).join(', ')} all serve ${id}; name the one to use in the action's configuration as RepositoryName` };
}

/** Whether a push to `repository` is a push to the source's repository. */
export function sourceReadsRepository(source: GitSource, repository: KnownRepository): boolean {
  if (source.repositoryName !== undefined) return source.repositoryName === repository.name;
  return source.fullRepositoryId !== undefined && repository.mirrorUrl !== undefined && mirrorUrlNames(repository.mirrorUrl, source.fullRepositoryId);
}
