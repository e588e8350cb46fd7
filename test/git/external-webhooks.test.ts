/**
 * Push webhooks for external repositories on a real server: GitHub-, Gitea- and GitLab-signed
 * deliveries fetch the mirror and record push events; unsigned, forged, wrongly keyed, tampered
 * deliveries, unknown repositories and repositories without a secret change nothing (the upstream's
 * new commit is not fetched); other events are acknowledged and ignored.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream, type Upstream } from './external-upstream.js';

const SECRET = 'it is a secret to everybody';
let server: TestServer;
let upstream: Upstream;
before(async () => {
  server = await startTestServer({ allowLocalMirrors: true });
  upstream = await createUpstream();
  await server.services.externalRepositories.create({ repositoryName: 'hooked', mirrorOf: upstream.fileUrl, pollSeconds: 0, webhookSecret: SECRET });
  await server.services.externalRepositories.create({ repositoryName: 'unhooked', mirrorOf: upstream.bare, pollSeconds: 0 });
  await server.services.repositories.create({ repositoryName: 'hosted' });
});
after(async () => {
  await server.stop();
});

const hmac = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');
const payload = JSON.stringify({ ref: 'refs/heads/main', after: 'f'.repeat(40), commits: [{ id: 'f'.repeat(40), modified: ['lies.txt'] }] });

async function deliver(headers: Record<string, string>, repository = 'hooked', body = payload): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/webhooks/repositories/${repository}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

let deliveries = 0;
/** GitHub's headers, with a new delivery id each time unless one is given (a replay). */
const github = (signature: string, event = 'push', deliveryId = `delivery-${++deliveries}`): Record<string, string> => ({
  'x-github-event': event,
  'x-github-delivery': deliveryId,
  'x-hub-signature-256': signature,
});

async function eventsAfter(sequence: number): Promise<string[]> {
  await server.services.externalRepositories.idle();
  return (await server.services.repositories.pushEventsAfter(sequence, 100)).map((e) => `${e.repositoryName} ${e.ref} ${e.newCommit ?? '-'} ${e.pusher}`);
}

async function lastSequence(): Promise<number> {
  return (await server.services.repositories.pushEventsAfter(0, 10_000)).at(-1)?.sequence ?? 0;
}

test('deliveries that are unsigned, forged, keyed wrongly, tampered with or for the wrong repository change nothing', async () => {
  const mirrored = await server.services.repositories.resolveRef('hooked', 'main');
  const ahead = await upstream.commit({ 'new.txt': 'not fetched\n' }, 'upstream moves on');
  const start = await lastSequence();
  const refusals: [string, Record<string, string>, string, string | undefined, number, string][] = [
    ['no headers at all', {}, 'hooked', undefined, 401, 'AUTH_MISSING'],
    ['an event without a signature', { 'x-github-event': 'push' }, 'hooked', undefined, 401, 'AUTH_MISSING'],
    ['an API token instead of a signature', { 'x-github-event': 'push', authorization: `Bearer ${server.token}` }, 'hooked', undefined, 401, 'AUTH_MISSING'],
    ['a forged GitHub signature', github(`sha256=${'0'.repeat(64)}`), 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a GitHub signature made with another secret', github(`sha256=${hmac('another secret', payload)}`), 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a GitHub signature of another body', github(`sha256=${hmac(SECRET, payload)}`), 'hooked', `${payload} `, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a signature that is not hex', github(`sha256=${'zz'.repeat(32)}`), 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a truncated signature', github(`sha256=${hmac(SECRET, payload).slice(0, 40)}`), 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['only the SHA-1 header', { 'x-github-event': 'push', 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(payload).digest('hex')}` }, 'hooked', undefined, 401, 'AUTH_MISSING'],
    ['a wrong Gitea signature', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('nope', payload) }, 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['Gitea headers signed with GitHub\'s only', { 'x-gitea-event': 'push', ...github(`sha256=${hmac(SECRET, payload)}`) }, 'hooked', undefined, 401, 'AUTH_MISSING'],
    ['a wrong GitLab token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': `${SECRET}!` }, 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a GitLab token that is a prefix', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET.slice(0, 5) }, 'hooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a repository without a webhook secret', github(`sha256=${hmac(SECRET, payload)}`), 'unhooked', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['a hosted repository', github(`sha256=${hmac(SECRET, payload)}`), 'hosted', undefined, 401, 'AUTH_INVALID_SIGNATURE'],
    ['an unknown repository', github(`sha256=${hmac(SECRET, payload)}`), 'nowhere', undefined, 404, 'REPO_NOT_FOUND'],
  ];
  for (const [what, headers, repository, body, status, code] of refusals) {
    const answer = await deliver(headers, repository, body);
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal((answer.json.error as { code: string }).code, code, what);
  }
  assert.deepEqual(await eventsAfter(start), [], 'no event recorded');
  assert.equal(await server.services.repositories.resolveRef('hooked', 'main'), mirrored, 'the upstream change was not fetched');
  assert.notEqual(mirrored, ahead);
  assert.ok(!server.logs().includes(SECRET), 'the secret is never logged');
});

test('a signed GitHub push fetches the mirror (the payload is not trusted); ping is acknowledged and ignored', async () => {
  const ahead = await upstream.commit({ 'github.txt': '1\n' }, 'for github');
  const start = await lastSequence();
  const ping = await deliver(github(`sha256=${hmac(SECRET, payload)}`, 'ping'));
  assert.equal(ping.status, 202);
  assert.equal(ping.json.accepted, false);
  assert.match(String(ping.json.ignored), /ping/);
  assert.deepEqual(await eventsAfter(start), [], 'a ping fetches nothing');

  const pushed = await deliver(github(`sha256=${hmac(SECRET, payload)}`));
  assert.equal(pushed.status, 202, JSON.stringify(pushed.json));
  assert.deepEqual(pushed.json, { repository: 'hooked', accepted: true, provider: 'github', event: 'push' });
  assert.deepEqual(await eventsAfter(start), [`hooked refs/heads/main ${ahead} webhook:github`], 'the fetched commit, not the payload\'s');
});

test('a signed Gitea push and a GitLab push with the right token fetch the mirror', async () => {
  const forGitea = await upstream.commit({ 'gitea.txt': '1\n' }, 'for gitea');
  let start = await lastSequence();
  // Gitea sends GitHub's headers too; its own are the ones checked.
  const gitea = await deliver({ 'x-gitea-event': 'push', 'x-gitea-signature': hmac(SECRET, payload), 'x-github-event': 'push' });
  assert.equal(gitea.status, 202, JSON.stringify(gitea.json));
  assert.equal(gitea.json.provider, 'gitea');
  assert.deepEqual(await eventsAfter(start), [`hooked refs/heads/main ${forGitea} webhook:gitea`]);

  const forGitlab = await upstream.commit({ 'gitlab.txt': '1\n' }, 'for gitlab');
  await upstream.git(['tag', 'v2']);
  await upstream.git(['push', '--quiet', 'origin', 'v2']);
  start = await lastSequence();
  const gitlab = await deliver({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET });
  assert.equal(gitlab.status, 202, JSON.stringify(gitlab.json));
  assert.deepEqual(await eventsAfter(start), [`hooked refs/heads/main ${forGitlab} webhook:gitlab`, `hooked refs/tags/v2 ${forGitlab} webhook:gitlab`]);

  const mergeRequest = await deliver({ 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': SECRET });
  assert.equal(mergeRequest.status, 202);
  assert.equal(mergeRequest.json.accepted, false);

  // Deliveries that arrive together share fetches: every change is recorded once.
  const burst = await upstream.commit({ 'burst.txt': '1\n' }, 'burst');
  start = await lastSequence();
  const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(github(`sha256=${hmac(SECRET, payload)}`))));
  assert.ok(answers.every((a) => a.status === 202));
  assert.deepEqual(await eventsAfter(start), [`hooked refs/heads/main ${burst} webhook:github`]);
});

test('the webhook URL is part of the repository view when a secret is set', async () => {
  const response = await fetch(`${server.url}/api/v1/repositories/hooked`, { headers: { authorization: `Bearer ${server.token}` } });
  const { repository } = (await response.json()) as { repository: Record<string, unknown> };
  assert.equal(repository.webhookUrl, `${server.url}/webhooks/repositories/hooked`);
  assert.equal(repository.mirrorOf, upstream.fileUrl);
  assert.ok(!JSON.stringify(repository).includes(SECRET));
});

test('finding 12: the same signed delivery sent twice fetches once; the replay answers duplicate delivery', async () => {
  const first = await upstream.commit({ 'replay.txt': '1\n' }, 'before the replay');
  let start = await lastSequence();
  const headers = github(`sha256=${hmac(SECRET, payload)}`, 'push', '72d3162e-cc78-11e3-81ab-4c9367dc0958');
  const original = await deliver(headers);
  assert.equal(original.status, 202, JSON.stringify(original.json));
  assert.equal(original.json.accepted, true);
  assert.deepEqual(await eventsAfter(start), [`hooked refs/heads/main ${first} webhook:github`]);

  const second = await upstream.commit({ 'replay.txt': '2\n' }, 'the replay must not fetch this');
  start = await lastSequence();
  const replayed = await deliver(headers);
  assert.equal(replayed.status, 202, JSON.stringify(replayed.json));
  assert.equal(replayed.json.accepted, false);
  assert.equal(replayed.json.duplicate, true);
  assert.match(String(replayed.json.ignored), /duplicate delivery/);
  assert.deepEqual(await eventsAfter(start), [], 'the replay fetched nothing');
  assert.notEqual(await server.services.repositories.resolveRef('hooked', 'main'), second);

  // The same id from Gitea and GitLab senders is recognised too.
  const replays: Record<string, string>[] = [
    { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(SECRET, payload), 'x-gitea-delivery': 'gitea-1' },
    { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': 'gitlab-1' },
  ];
  for (const replay of replays) {
    assert.equal((await deliver(replay)).json.accepted, true);
    assert.equal((await deliver(replay)).json.duplicate, true);
  }
  await server.services.externalRepositories.idle();
});

test('finding 12: a replayed delivery is still recognised after the server restarts', async () => {
  const restartable = await startTestServer({ allowLocalMirrors: true });
  const dataDir = restartable.dataDir;
  await restartable.services.externalRepositories.create({ repositoryName: 'kept', mirrorOf: upstream.fileUrl, pollSeconds: 0, webhookSecret: SECRET });
  const headers = github(`sha256=${hmac(SECRET, payload)}`, 'push', 'before-restart');
  const url = (s: TestServer): string => `${s.url}/webhooks/repositories/kept`;
  const send = async (s: TestServer): Promise<Record<string, unknown>> =>
    (await (await fetch(url(s), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload })).json()) as Record<string, unknown>;
  assert.equal((await send(restartable)).accepted, true);
  await restartable.services.externalRepositories.idle();
  await restartable.stop();
  const restarted = await startTestServer({ dataDir, allowLocalMirrors: true });
  try {
    const replayed = await send(restarted);
    assert.equal(replayed.duplicate, true, JSON.stringify(replayed));
  } finally {
    await restarted.stop();
  }
});
