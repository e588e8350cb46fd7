/**
 * The agent protocol over HTTP (`/agent/v1`). Agents dial out to the server, so every call is
 * agent → server. Bodies are validated here with zod; the services trust their input.
 *
 *   POST /agent/v1/register                      registration token → { agentId, sessionToken }
 *   POST /agent/v1/lease                         { waitSeconds } → 200 { job } | 204
 *   POST /agent/v1/builds/:id/heartbeat          { phases?, currentPhase?, started? } → { stopRequested }
 *   PUT  /agent/v1/builds/:id/log/:sequence      raw bytes → { outcome } (409 AGENT_LOG_GAP with details.expected)
 *   POST /agent/v1/builds/:id/parameters         { parameters: [], secrets: [] } → { values }
 *   GET  /agent/v1/builds/:id/inputs/:name       a pipeline input artifact (zip)
 *   PUT  /agent/v1/builds/:id/artifacts/:name    zip bytes (?identifier=) → stored artifact
 *   POST /agent/v1/builds/:id/complete           { buildStatus, phases, … } → { buildStatus }
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import { PHASE_TYPES, type PhaseRecord } from '../core/build-phases.js';
import type { Services } from '../server/services.js';
import { bearerToken, cappedBody, readBody, readJson, refuseDeclaredLength, type BodyLimit } from './request.js';
import { streamOf } from './streams.js';

const statusSchema = z.enum(['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'IN_PROGRESS', 'STOPPED']);
const phaseSchema = z.object({
  phaseType: z.enum(PHASE_TYPES),
  phaseStatus: statusSchema.optional(),
  startTime: z.number(),
  endTime: z.number().optional(),
  contexts: z.array(z.object({ statusCode: z.string(), message: z.string() })).default([]),
});
const phasesSchema = z.array(phaseSchema).max(200).transform((phases) =>
  phases.map((p): PhaseRecord => ({ phaseType: p.phaseType, phaseStatus: p.phaseStatus, startTime: p.startTime, endTime: p.endTime, contexts: p.contexts })));

const registerSchema = z.object({ name: z.string().min(1).max(200), tags: z.record(z.string(), z.string()).default({}) });
const leaseSchema = z.object({ waitSeconds: z.number().min(0).max(60).default(20) });
const heartbeatSchema = z.object({ phases: phasesSchema.optional(), currentPhase: z.enum(PHASE_TYPES).optional(), started: z.boolean().optional() });
const parametersSchema = z.object({ parameters: z.array(z.string()).max(500).default([]), secrets: z.array(z.string()).max(500).default([]) });
const completeSchema = z.object({
  buildStatus: statusSchema,
  phases: phasesSchema,
  exportedEnvironmentVariables: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  reports: z.array(z.record(z.string(), z.unknown())).default([]),
  resolvedSourceVersion: z.string().optional(),
});

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
    const body = registerSchema.parse(await readJson(c, REGISTER_LIMIT));
    const { agentId, sessionToken } = await auth.registerAgent(bearerToken(c), body.name, body.tags);
    context.logger.info({ agentId, name: body.name }, 'agent registered');
    return c.json({ agentId, sessionToken });
  });

  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === REGISTER_PATH) return next();
    const caller = await auth.authenticate(bearerToken(c), ['AGENT_SESSION']);
    if (!caller.agentId) throw new NagareError('AUTH_INVALID_TOKEN', 'Not an agent session token');
    c.set('agentId', caller.agentId);
    return next();
  });

  app.post('/lease', async (c) => {
    const { waitSeconds } = leaseSchema.parse(await readJson(c, jsonLimit));
    const job = await agents.lease(c.get('agentId'), waitSeconds * 1000, c.req.raw.signal);
    return job ? c.json({ job }) : c.body(null, 204);
  });

  app.post('/builds/:id/heartbeat', async (c) => {
    const beat = heartbeatSchema.parse(await readJson(c, jsonLimit));
    return c.json(await agents.heartbeat(c.get('agentId'), c.req.param('id'), beat));
  });

  app.put('/builds/:id/log/:sequence', async (c) => {
    const sequence = Number(c.req.param('sequence'));
    if (!Number.isInteger(sequence) || sequence < 0) throw new NagareError('API_INVALID_INPUT', 'The log sequence must be a whole number from 0');
    const chunk = await readBody(c, { maxBytes: context.settings.maxLogChunkBytes, what: 'A log chunk' });
    return c.json({ outcome: await agents.appendLog(c.get('agentId'), c.req.param('id'), sequence, chunk) });
  });

  app.post('/builds/:id/parameters', async (c) => {
    const names = parametersSchema.parse(await readJson(c, jsonLimit));
    return c.json({ values: await agents.parameters(c.get('agentId'), c.req.param('id'), names) });
  });

  app.get('/builds/:id/inputs/:name', async (c) => {
    const body = await agents.inputArtifact(c.get('agentId'), c.req.param('id'), c.req.param('name'));
    return new Response(streamOf(body), { headers: { 'content-type': 'application/zip' } });
  });

  app.put('/builds/:id/artifacts/:name', async (c) => {
    if (!c.req.raw.body) throw new NagareError('API_INVALID_INPUT', 'An artifact upload needs a body');
    const limit: BodyLimit = { maxBytes: context.settings.maxArtifactBytes, what: 'An artifact' };
    refuseDeclaredLength(c, limit);
    const identifier = c.req.query('identifier');
    // Streamed to the blob store, whose temporary file is removed when the cap is passed.
    const stored = await agents.uploadArtifact(c.get('agentId'), c.req.param('id'), c.req.param('name'), identifier, cappedBody(c.req.raw.body, limit));
    return c.json(stored);
  });

  app.post('/builds/:id/complete', async (c) => {
    const result = completeSchema.parse(await readJson(c, jsonLimit));
    const build = await agents.complete(c.get('agentId'), c.req.param('id'), { ...result, resolvedSourceVersion: result.resolvedSourceVersion });
    return c.json({ buildStatus: build.buildStatus });
  });

  return app;
}
