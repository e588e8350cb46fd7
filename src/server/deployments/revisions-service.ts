/**
 * Application revisions. An S3-type revision names an object in the server's revision store (the
 * blob store under `revisions/<bucket>/<key>`, where `nagare deploy push` uploads); a GitHub-type
 * revision names a hosted repository and a commit, zipped when a deployment needs it.
 */
import { revisionKey, type RegisteredRevision, type RevisionLocation } from '../../core/deployment.js';
import type { Page, PageRequest } from '../../core/store.js';
import type { RepositoriesService } from '../repositories/repositories-service.js';
import type { ServerContext } from '../server-context.js';
import { deployError, invalid } from './deploy-errors.js';

/** Largest revision bundle accepted by push (the revision store's own bound). */
export const MAX_REVISION_BYTES = 512 * 1024 * 1024;
const BLOB_SEGMENT = /^[A-Za-z0-9._:=@+-]+$/;

/**
 * The bucket that names pipeline artifacts (a CodeDeploy action deploys its input artifact): its
 * keys are the artifacts' blob keys, and only those (`artifact-store/…`, `artifacts/…`).
 */
export const PIPELINE_ARTIFACT_BUCKET = 'nagare-pipeline-artifacts';

/** The blob key of an S3 location in the revision store; the key must be plain path segments. */
export function revisionBlobKey(bucket: string, key: string): string {
  const segments = [bucket, ...key.split('/')];
  if (segments.some((s) => !BLOB_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw invalid('InvalidRevisionException', `The S3 location ${bucket}/${key} is not one nagare's revision store can hold: bucket and key segments use letters, digits and . _ : = @ + - only`);
  }
  if (bucket === PIPELINE_ARTIFACT_BUCKET) {
    if (!/^(artifact-store|artifacts)\//.test(key)) throw invalid('InvalidRevisionException', `${PIPELINE_ARTIFACT_BUCKET} holds pipeline artifacts only (keys artifact-store/… and artifacts/…), not ${key}`);
    return key;
  }
  return ['revisions', ...segments].join('/');
}

export class RevisionsService {
  constructor(
    private readonly context: ServerContext,
    private readonly repositories: RepositoriesService,
  ) {}

  async register(applicationName: string, revision: RevisionLocation, description?: string): Promise<void> {
    this.check(revision);
    await this.context.store.deployRevisions.register({ applicationName, revision, description, registerTime: this.context.clock(), deploymentGroups: [] });
  }

  async get(applicationName: string, revision: RevisionLocation): Promise<RegisteredRevision> {
    const found = await this.context.store.deployRevisions.get(applicationName, revision);
    if (!found) throw deployError('API_NOT_FOUND', 'RevisionDoesNotExistException', `The revision ${revisionKey(revision)} is not registered with application ${applicationName}`);
    return found;
  }

  list(applicationName: string, page: PageRequest): Promise<Page<RegisteredRevision>> {
    return this.context.store.deployRevisions.list(applicationName, page);
  }

  /** Stores a bundle in the revision store and returns its S3 location (what `aws deploy push` prints). */
  async push(bucket: string, key: string, bundleType: 'zip' | 'tar' | 'tgz', body: AsyncIterable<Uint8Array> | Uint8Array): Promise<RevisionLocation> {
    const blobKey = revisionBlobKey(bucket, key);
    const put = await this.context.blobs.put(blobKey, body, { maxBytes: MAX_REVISION_BYTES });
    return { revisionType: 'S3', s3Location: { bucket, key, bundleType, eTag: put.sha256.slice(0, 32) } };
  }

  /** Where the bundle a deployment installs is: an existing blob (S3) or one made now from the commit (GitHub). */
  async bundleFor(deploymentId: string, revision: RevisionLocation): Promise<{ readonly blobKey: string; readonly bundleType: 'zip' | 'tar' | 'tgz' } | { readonly missing: string }> {
    if (revision.revisionType === 'S3') {
      const blobKey = revisionBlobKey(revision.s3Location.bucket, revision.s3Location.key);
      const size = await this.context.blobs.size(blobKey);
      if (size === undefined) return { missing: `The revision s3://${revision.s3Location.bucket}/${revision.s3Location.key} is not in the revision store` };
      return { blobKey, bundleType: revision.s3Location.bundleType };
    }
    const repository = revision.gitHubLocation.repository.split('/').at(-1) ?? '';
    const blobKey = `deployments/${deploymentId}/bundle.zip`;
    try {
      await this.context.blobs.put(blobKey, await this.repositories.archive(repository, revision.gitHubLocation.commitId));
    } catch (error) {
      return { missing: `The commit ${revision.gitHubLocation.commitId} of repository ${repository} cannot be read: ${error instanceof Error ? error.message : String(error)}` };
    }
    return { blobKey, bundleType: 'zip' };
  }

  private check(revision: RevisionLocation): void {
    if (revision.revisionType === 'S3') revisionBlobKey(revision.s3Location.bucket, revision.s3Location.key);
    else if (!/^[0-9a-f]{7,40}$/.test(revision.gitHubLocation.commitId)) throw invalid('InvalidCommitIdException', `commitId ${revision.gitHubLocation.commitId} is not a commit id`);
  }
}
