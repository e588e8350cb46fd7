/**
 * CodeDeploy deployments emit `CodeDeploy Deployment State-change Notification` and `CodeDeploy
 * Instance State-change Notification` (reference §1.5) in EventBridge's envelope, stored with the
 * change, once per change; notification rules match them by the CodeDeploy event type ids; the bus
 * announces each change as `DeploymentChanged`.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { StoredEvent } from '../../../src/core/aws-event.js';
import { NOTIFICATION_EVENT_TYPES, concernsResource, notificationEventType } from '../../../src/core/notification-event-types.js';
import { startTestServer, testDatabases, type TestServer } from '../../support/test-server.js';
import { playAgents, pushRevision, registerHost, setUpGroup } from '../deployments/deployment-fixture.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function server(database: 'sqlite' | 'postgres'): Promise<TestServer> {
  const started = await startTestServer({ database, schedulerIntervalMs: 60_000 });
  servers.push(started);
  return started;
}

async function codeDeployEvents(s: TestServer, deploymentId: string): Promise<StoredEvent[]> {
  const events = await s.services.context.store.events.after(0, 1000);
  return events.filter((e) => e.event.source === 'aws.codedeploy' && e.event.detail.deploymentId === deploymentId);
}

const line = (e: StoredEvent): string => `${e.event['detail-type'].replace('CodeDeploy ', '').replace(' State-change Notification', '')} ${typeof e.event.detail.instanceId === 'string' ? e.event.detail.instanceId : '-'} ${String(e.event.detail.state)}`;

for (const [database, skip] of await testDatabases()) {
  void describe(`CodeDeploy events on ${database}`, { skip }, () => {
    test('a successful deployment emits START, each instance START and SUCCESS, then SUCCESS, each once, with the documented detail fields', async () => {
      const s = await server(database);
      const changes: string[] = [];
      s.services.context.events.subscribe('DeploymentChanged', ({ deployment, previousStatus }) => void changes.push(`${previousStatus}->${deployment.rollout.status}`));
      const agents = [await registerHost(s, 'web-1', { env: 'prod' }), await registerHost(s, 'web-2', { env: 'prod' })];
      await setUpGroup(s, 'shop');
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      await playAgents(s, d.deploymentId, agents);
      const events = await codeDeployEvents(s, d.deploymentId);
      assert.deepEqual(events.map(line), [
        'Deployment - START',
        'Instance web-1 START',
        'Instance web-1 SUCCESS',
        'Instance web-2 START',
        'Instance web-2 SUCCESS',
        'Deployment - SUCCESS',
      ]);
      const group = await s.services.deployments.applications.group('shop', 'prod');
      const appArn = 'arn:aws:codedeploy:us-east-1:000000000000:application:shop';
      const groupArn = 'arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:shop/prod';
      const [start, instanceStart] = events;
      assert.ok(start && instanceStart);
      assert.deepEqual({ ...start.event, id: '', time: '' }, {
        version: '0', id: '', 'detail-type': 'CodeDeploy Deployment State-change Notification', source: 'aws.codedeploy', account: '000000000000', time: '', region: 'us-east-1',
        resources: [appArn, groupArn],
        detail: { deploymentId: d.deploymentId, instanceGroupId: group.deploymentGroupId, deploymentGroup: 'prod', application: 'shop', region: 'us-east-1', state: 'START' },
      });
      assert.match(start.event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(instanceStart.event.resources, ['arn:aws:codedeploy:us-east-1:000000000000:instance/web-1', groupArn, appArn]);
      assert.deepEqual(instanceStart.event.detail, { deploymentId: d.deploymentId, instanceGroupId: group.deploymentGroupId, deploymentGroup: 'prod', application: 'shop', region: 'us-east-1', instanceId: 'web-1', state: 'START' });
      assert.equal(new Set(events.map((e) => e.event.id)).size, events.length, 'a fresh id per event');
      assert.deepEqual(changes.filter((c) => !c.startsWith('InProgress->InProgress')), ['Created->InProgress', 'InProgress->Succeeded']);
    });

    test('a failed deployment emits the instance FAILURE and the deployment FAILURE once; a stopped one emits STOP', async () => {
      const s = await server(database);
      const agents = [await registerHost(s, 'web-1', { env: 'prod' })];
      await setUpGroup(s, 'shop');
      const failed = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      await playAgents(s, failed.deploymentId, agents, { 'web-1': 'ValidateService' });
      assert.deepEqual((await codeDeployEvents(s, failed.deploymentId)).map(line), ['Deployment - START', 'Instance web-1 START', 'Instance web-1 FAILURE', 'Deployment - FAILURE']);
      const stopped = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v2.zip') });
      await s.services.deployments.stop(stopped.deploymentId);
      // A stop repeated on the ended deployment is refused and tells nothing new.
      await assert.rejects(s.services.deployments.stop(stopped.deploymentId));
      assert.deepEqual((await codeDeployEvents(s, stopped.deploymentId)).map(line), ['Deployment - START', 'Instance web-1 START', 'Instance web-1 FAILURE', 'Deployment - STOP']);
    });

    test('a deployment started under a trace (a pipeline action) carries it: its events, its deploy job payload and its log lines; its rollback continues it', async () => {
      const s = await server(database);
      const [agent] = [await registerHost(s, 'web-1', { env: 'prod' })];
      assert.ok(agent);
      await setUpGroup(s, 'shop');
      const parentTrace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip'), parentTrace });
      assert.equal(d.traceParent?.split('-')[1], parentTrace.traceId);
      assert.equal(d.parentSpanId, parentTrace.spanId);
      const job = (await s.services.agents.lease(agent, 0))?.job;
      assert.ok(job?.kind === 'deploy');
      assert.equal(job.deploy.traceParent, d.traceParent, 'the agent gets the trace with the job');
      const events = await codeDeployEvents(s, d.deploymentId);
      assert.ok(events.length > 0 && events.every((e) => e.traceId === parentTrace.traceId));
      assert.match(s.logs(), new RegExp(`"traceId":"${parentTrace.traceId}"[^\\n]*"deployment created"`));
      const plain = await s.services.deployments.get((await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v2.zip') })).deploymentId);
      assert.notEqual(plain.traceParent?.split('-')[1], parentTrace.traceId, 'a deployment of its own has a trace of its own');
    });
  });
}

test('ListEventTypes has the CodeDeploy deployment event types, and each matches its state of the application\'s deployments', () => {
  const ids = NOTIFICATION_EVENT_TYPES.filter((t) => t.serviceName === 'CodeDeploy').map((t) => [t.eventTypeId, t.eventTypeName, t.resourceType]);
  assert.deepEqual(ids, [
    ['codedeploy-application-deployment-failed', 'Deployment: Failed', 'Application'],
    ['codedeploy-application-deployment-succeeded', 'Deployment: Succeeded', 'Application'],
    ['codedeploy-application-deployment-started', 'Deployment: Started', 'Application'],
  ]);
  const event = (detailType: string, state: string) => ({ version: '0' as const, id: 'x', 'detail-type': detailType, source: 'aws.codedeploy', account: '000000000000', time: '', region: 'us-east-1', resources: ['arn:aws:codedeploy:us-east-1:000000000000:application:shop'], detail: { state } });
  const deployment = 'CodeDeploy Deployment State-change Notification';
  assert.equal(notificationEventType('codedeploy-application-deployment-succeeded')?.matches(event(deployment, 'SUCCESS')), true);
  assert.equal(notificationEventType('codedeploy-application-deployment-failed')?.matches(event(deployment, 'FAILURE')), true);
  assert.equal(notificationEventType('codedeploy-application-deployment-started')?.matches(event(deployment, 'START')), true);
  assert.equal(notificationEventType('codedeploy-application-deployment-succeeded')?.matches(event(deployment, 'FAILURE')), false);
  assert.equal(notificationEventType('codedeploy-application-deployment-started')?.matches(event('CodeDeploy Instance State-change Notification', 'START')), false, 'instance events are not deployment events');
  assert.equal(concernsResource(event(deployment, 'SUCCESS'), 'arn:aws:codedeploy:us-east-1:000000000000:application:shop'), true);
  assert.equal(concernsResource(event(deployment, 'SUCCESS'), 'arn:aws:codedeploy:us-east-1:000000000000:application:other'), false);
});
