/**
 * Bare mirrors of external git URLs: the remote `origin` of a hosted bare repository fetches the
 * upstream's branches and tags onto the same names (`+refs/heads/*:refs/heads/*`, tags alike),
 * and `git fetch --prune` makes the mirror's refs the upstream's. Only network transports are
 * allowed (GIT_ALLOW_PROTOCOL, which also binds redirects and submodules), never `ext::` or `fd::`;
 * `file://`, plain paths and hosts on this machine only when the operator allows local mirrors
 * (issue 7: a mirror is fetched with the server's rights). A fetch that hangs is ended.
 */
import { spawn } from 'node:child_process';
import { NagareError } from '../core/errors.js';
import { git, gitEnvironment, gitFailed } from './git-command.js';
import { localHostProblem, mirrorHost } from './mirror-host.js';

/** The transports a mirror may use; a plain path is git's `file` transport, allowed with local mirrors only. */
const NETWORK_PROTOCOLS = 'https:http:ssh:git';
const ALLOWED_PROTOCOLS = `${NETWORK_PROTOCOLS}:file`;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** scp-like `user@host:path` (no `::`, which is git's remote-helper syntax). */
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^:]/;

/** Why `url` cannot be mirrored, or undefined when it can. */
export function mirrorUrlProblem(url: string): string | undefined {
  if (url.trim() !== url || url === '' || url.length > 2048) return 'must be a git URL of at most 2048 characters, without surrounding spaces';
  if ([...url].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'must not contain control characters';
  if (url.startsWith('-')) return 'must not start with -';
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) return ALLOWED_PROTOCOLS.split(':').includes(scheme) ? undefined : `uses ${scheme}://; allowed are https, http, ssh, git and file`;
  if (url.includes('::')) return 'must not name a remote helper (::)';
  if (url.startsWith('/') || SCP_LIKE.test(url)) return undefined;
  return 'must be https://, http://, ssh://, git://, file://, user@host:path or an absolute path';
}

/** The URL with any password replaced by `***`, for views and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

/** Points `origin` of the bare repository at `url`, fetching branches and tags onto the same names. */
export async function configureMirror(gitDir: string, url: string): Promise<void> {
  await git(gitDir, ['config', 'remote.origin.url', url]);
  await git(gitDir, ['config', '--replace-all', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*']);
  await git(gitDir, ['config', '--add', 'remote.origin.fetch', '+refs/tags/*:refs/tags/*']);
  // Tags come through the refspec above only, pruned like branches.
  await git(gitDir, ['config', 'remote.origin.tagOpt', '--no-tags']);
}

/** How git may reach an upstream: whether the operator allows local mirrors (`--allow-local-mirrors`). */
export interface MirrorAccess {
  readonly allowLocal: boolean;
}

/**
 * REPO_MIRROR_URL_REFUSED unless `url` may be mirrored under `access`: `file://` URLs, plain paths
 * and hosts on this machine (loopback, unspecified, link-local, by name or by what the name
 * resolves to) need local mirrors allowed. Checked at creation and again before every fetch, since
 * what a name resolves to can change.
 */
export async function checkMirrorReachable(url: string, access: MirrorAccess): Promise<void> {
  if (access.allowLocal) return;
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  const host = mirrorHost(url);
  const problem = scheme === 'file' || url.startsWith('/') ? 'is on this machine\'s file system' : host === undefined ? 'names no host' : await localHostProblem(host);
  if (problem === undefined) return;
  throw new NagareError(
    'REPO_MIRROR_URL_REFUSED',
    `The mirror URL ${JSON.stringify(redactUrl(url).slice(0, 200))} ${problem}; mirrors of local paths and of this machine's addresses are refused unless the server runs with --allow-local-mirrors (NAGARE_ALLOW_LOCAL_MIRRORS=1)`,
    { details: { field: 'mirrorOf' } },
  );
}

/** `git fetch --prune origin`: the mirror's branches and tags become the upstream's. */
export async function fetchMirror(gitDir: string, timeoutMs: number, access: MirrorAccess): Promise<void> {
  await gitWithTimeout(gitDir, ['fetch', '--quiet', '--prune', '--no-write-fetch-head', 'origin'], timeoutMs, access);
}

/** The upstream's default branch (its HEAD), when it says; `main` for `refs/heads/main`. */
export async function upstreamDefaultBranch(gitDir: string, timeoutMs: number, access: MirrorAccess): Promise<string | undefined> {
  const out = await gitWithTimeout(gitDir, ['ls-remote', '--symref', 'origin', 'HEAD'], timeoutMs, access).catch(() => '');
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  return match?.[1];
}

/**
 * Runs git with the allowed transports only, killed after `timeoutMs`; REPO_GIT_FAILED on failure.
 * Without local mirrors, HTTP redirects are not followed: a public URL answering with a redirect to
 * 127.0.0.1 would otherwise reach this machine after the host check.
 */
function gitWithTimeout(cwd: string, args: readonly string[], timeoutMs: number, access: MirrorAccess): Promise<string> {
  const protocols = access.allowLocal ? ALLOWED_PROTOCOLS : NETWORK_PROTOCOLS;
  const redirects = access.allowLocal ? [] : ['-c', 'http.followRedirects=false'];
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...redirects, ...args], { cwd, env: gitEnvironment({ GIT_ALLOW_PROTOCOL: protocols, GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < 1024 * 1024) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(gitFailed(args, error.message, error));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(gitFailed(args, `no answer within ${Math.round(timeoutMs / 1000)} s`));
      else if (code !== 0) reject(gitFailed(args, redactMessage(stderr.trim() || `exit status ${code ?? -1}`)));
      else resolve(stdout);
    });
  });
}

/** git's message without a password it may quote from the URL. */
function redactMessage(message: string): string {
  return message.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/g, '$1:***@');
}

/** REPO_INVALID_NAME's sibling for URLs: API_INVALID_INPUT with the reason. */
export function checkMirrorUrl(url: string): string {
  const problem = mirrorUrlProblem(url);
  if (problem !== undefined) throw new NagareError('API_INVALID_INPUT', `The mirror URL ${JSON.stringify(redactUrl(url).slice(0, 200))} ${problem}`, { details: { field: 'mirrorOf' } });
  return url;
}
