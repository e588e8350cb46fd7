/**
 * At least once, across a crash: the server is killed with SIGKILL while a notification POST is
 * under way, then started again on the same data. The notification is delivered after the restart,
 * with the same delivery id (the idempotency key) as the attempt that was cut off.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { initialCredentials, startCliServer, stopCliServer } from '../support/cli-server.js';
import { freePort } from '../support/processes.js';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a server killed with SIGKILL mid-delivery delivers the notification after its restart, with the same delivery id', async () => {
  const attempts: { deliveryId: string; answered: boolean }[] = [];
  let hang = true;
  const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      attempts.push({ deliveryId: String(req.headers['x-nagare-delivery']), answered: !hang });
      if (!hang) res.end('ok'); // while hanging: no answer, the POST is under way when the server dies
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-notify-kill-'));
  const args = ['--port', String(await freePort()), '--log-level', 'warn'];
  let server = await startCliServer('server', dataDir, args);
  try {
    const { token } = initialCredentials(dataDir);
    let client = new NagareClient({ server: server.url, token });
    await client.createProject({ name: 'kill-notified', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    await client.createNotificationRule({ Name: 'survives', EventTypeIds: ['codebuild-project-build-state-stopped'], Resource: 'arn:aws:codebuild:us-east-1:000000000000:project/kill-notified', DetailType: 'FULL', Targets: [{ TargetType: 'Webhook', TargetAddress: receiverUrl, Secret: 'a-secret-of-sixteen-plus' }] });
    const id = String((await client.startBuild('kill-notified')).build.id);
    await client.stopBuild(id);
    const first = await until('the first POST to arrive', () => attempts[0]);
    await stopCliServer(server, 'SIGKILL');
    hang = false;
    server = await startCliServer('server', dataDir, args);
    client = new NagareClient({ server: server.url, token });
    const delivered = await until('a delivery after the restart', () => attempts.find((a) => a.answered));
    assert.equal(delivered.deliveryId, first.deliveryId, 'the same delivery id: a receiver can drop the copy');
    const shown = await until('the delivery to be recorded', async () => {
      const rule = await client.describeNotificationRule('survives');
      return (rule.deliveries as { DELIVERED: number }).DELIVERED === 1 ? rule : undefined;
    });
    assert.deepEqual(shown.deliveries, { PENDING: 0, DELIVERED: 1, DEAD: 0 });
    assert.ok(attempts.every((a) => a.deliveryId === first.deliveryId), 'every try carried the one delivery id');
  } finally {
    await stopCliServer(server);
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  }
});
