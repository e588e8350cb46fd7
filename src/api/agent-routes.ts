/**
 * The agent protocol over HTTP (`/agent/v1`). Agents dial out to the server, so every call is
 * agent → server. Bodies are validated here with the schemas of src/protocol/agent-protocol.ts;
 * the services trust their input. Every call after `lease` names a job the agent holds.
 *
 *   POST /agent/v1/register                    registration token, { name, tags, fleet?, labels, kinds } → { agentId, sessionToken, protocolVersion }
 *   POST /agent/v1/jobs/lease                  { waitSeconds } → 200 { job: { kind, id, … }, stopRequested } | 204
 *   POST /agent/v1/jobs/:id/heartbeat          { phases?, currentPhase?, started? } → { stopRequested }
 *   PUT  /agent/v1/jobs/:id/log/:sequence      raw bytes → { outcome } (409 AGENT_LOG_GAP with details.expected)
 *   POST /agent/v1/jobs/:id/parameters         { parameters: [], secrets: [] } → { values }
 *   GET  /agent/v1/jobs/:id/inputs/:name       a pipeline input artifact (zip)
 *   PUT  /agent/v1/jobs/:id/artifacts/:name    zip bytes (?identifier=) → stored artifact
 *   POST /agent/v1/jobs/:id/complete           { buildStatus, phases, …, log?: { sequence, base64 } } → { buildStatus }
 *   GET  /agent/v1/deploy-jobs/:id/bundle      the revision bundle of a held deploy job
 *   POST /agent/v1/deploy-jobs/:id/heartbeat   {} → { stopRequested }
 *   POST /agent/v1/deploy-jobs/:id/events      { event } → { stopRequested }
 *   POST /agent/v1/deploy-jobs/:id/complete    { events } → { stopRequested }
 *   POST /agent/v1/deploy-jobs/:id/interrupted { event } → { stopRequested } (an agent restarted on the job's instance)
 */
import { Hono } from 'hono';
import { NagareError } from '../core/errors.js';
import { AGENT_PROTOCOL_VERSION, completeBody, heartbeatBody, leaseBody, parametersBody, registerBody } from '../protocol/agent-protocol.js';
import { deployCompleteBody, deployEventBody, deployInterruptedBody } from '../protocol/deploy-job.js';
import type { Services } from '../server/services.js';
import { bearerToken, cappedBody, readBody, readJson, refuseDeclaredLength, type BodyLimit } from './request.js';
import { streamOf } from './streams.js';

type Env = { Variables: { agentId: string } };

/** A registration names an agent and its tags: anything larger is not a registration. */
const REGISTER_LIMIT: BodyLimit = { maxBytes: 64 * 1024, what: 'An agent registration' };
/** The one route open without a session token, matched exactly (a suffix match let `…/artifacts/register` in). */
const REGISTER_PATH = '/agent/v1/register';

export function agentRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const { agents, auth, context } = services;
  const jsonLimit: BodyLimit = { maxBytes: context.settings.bodyLimits.jsonBytes, what: 'An agent protocol JSON body' };

  app.post('/register', async (c) => {
    // The registration token is checked before the body is read; the body is tiny and capped.
    await auth.authenticate(bearerToken(c), ['AGENT_TOKEN', 'API_TOKEN']);
    const body = registerBody.parse(await readJson(c, REGISTER_LIMIT));
    const { agentId, sessionToken } = await auth.registerAgent(bearerToken(c), body.name, body.tags, body);
    if (body.instanceName !== undefined) await services.deployments.instances.registerAgentInstance(body.instanceName, body.instanceTags, agentId);
    context.logger.info({ agentId, name: body.name, fleet: body.fleet, labels: body.labels, instanceName: body.instanceName }, 'agent registered');
    return c.json({ agentId, sessionToken, protocolVersion: AGENT_PROTOCOL_VERSION });
  });

  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === REGISTER_PATH) return next();
    const caller = await auth.authenticate(bearerToken(c), ['AGENT_SESSION']);
    if (!caller.agentId) throw new NagareError('AUTH_INVALID_TOKEN', 'Not an agent session token');
    c.set('agentId', caller.agentId);
    return next();
  });

  app.post('/jobs/lease', async (c) => {
    const { waitSeconds } = leaseBody.parse(await readJson(c, jsonLimit));
    const lease = await agents.lease(c.get('agentId'), waitSeconds * 1000, c.req.raw.signal);
    return lease ? c.json(lease) : c.body(null, 204);
  });

  app.post('/jobs/:id/heartbeat', async (c) => {
    const beat = heartbeatBody.parse(await readJson(c, jsonLimit));
    return c.json(await agents.heartbeat(c.get('agentId'), c.req.param('id'), beat));
  });

  app.put('/jobs/:id/log/:sequence', async (c) => {
    const sequence = Number(c.req.param('sequence'));
    if (!Number.isInteger(sequence) || sequence < 0) throw new NagareError('API_INVALID_INPUT', 'The log sequence must be a whole number from 0');
    const chunk = await readBody(c, { maxBytes: context.settings.maxLogChunkBytes, what: 'A log chunk' });
    return c.json({ outcome: await agents.appendLog(c.get('agentId'), c.req.param('id'), sequence, chunk) });
  });

  app.post('/jobs/:id/parameters', async (c) => {
    const names = parametersBody.parse(await readJson(c, jsonLimit));
    return c.json({ values: await agents.parameters(c.get('agentId'), c.req.param('id'), names) });
  });

  app.get('/jobs/:id/inputs/:name', async (c) => {
    const body = await agents.inputArtifact(c.get('agentId'), c.req.param('id'), c.req.param('name'));
    return new Response(streamOf(body), { headers: { 'content-type': 'application/zip' } });
  });

  app.put('/jobs/:id/artifacts/:name', async (c) => {
    if (!c.req.raw.body) throw new NagareError('API_INVALID_INPUT', 'An artifact upload needs a body');
    const limit: BodyLimit = { maxBytes: context.settings.maxArtifactBytes, what: 'An artifact' };
    refuseDeclaredLength(c, limit);
    const identifier = c.req.query('identifier');
    // Streamed to the blob store, whose temporary file is removed when the cap is passed.
    const stored = await agents.uploadArtifact(c.get('agentId'), c.req.param('id'), c.req.param('name'), identifier, cappedBody(c.req.raw.body, limit));
    return c.json(stored);
  });

  app.post('/jobs/:id/complete', async (c) => {
    const result = completeBody.parse(await readJson(c, jsonLimit));
    const build = await agents.complete(c.get('agentId'), c.req.param('id'), { ...result, resolvedSourceVersion: result.resolvedSourceVersion });
    return c.json({ buildStatus: build.buildStatus });
  });

  const deployJobs = services.deployments.effects;
  app.get('/deploy-jobs/:id/bundle', async (c) => {
    const bundle = await deployJobs.bundleOf(c.get('agentId'), c.req.param('id'));
    return new Response(streamOf(await context.blobs.read(bundle.blobKey)), { headers: { 'content-type': 'application/octet-stream', 'x-nagare-bundle-type': bundle.bundleType } });
  });

  app.post('/deploy-jobs/:id/heartbeat', async (c) => c.json(await deployJobs.heartbeat(c.get('agentId'), c.req.param('id'))));

  app.post('/deploy-jobs/:id/events', async (c) => {
    const { event } = deployEventBody.parse(await readJson(c, jsonLimit));
    return c.json(await deployJobs.eventReported(c.get('agentId'), c.req.param('id'), event));
  });

  app.post('/deploy-jobs/:id/complete', async (c) => {
    const { events } = deployCompleteBody.parse(await readJson(c, jsonLimit));
    return c.json(await deployJobs.completed(c.get('agentId'), c.req.param('id'), events));
  });

  app.post('/deploy-jobs/:id/interrupted', async (c) => {
    const { event } = deployInterruptedBody.parse(await readJson(c, jsonLimit));
    return c.json(await deployJobs.interrupted(c.get('agentId'), c.req.param('id'), event));
  });

  return app;
}
