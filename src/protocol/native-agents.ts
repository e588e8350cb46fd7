/**
 * `GET /api/v1/agents` (native API): the agents a server knows, with their fleet, labels, health and
 * current jobs; `nagare agent list` and the dashboard read it through the native client.
 */
import { z } from 'zod';
import { JOB_KINDS } from '../core/job-routing.js';

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  fleet: z.string().optional(),
  labels: z.array(z.string()),
  kinds: z.array(z.enum(JOB_KINDS)),
  tags: z.record(z.string(), z.string()),
  /** Its `--image-map` rules (`PATTERN=IMAGE`), first match wins; absent from older servers. */
  imageMap: z.array(z.string()).default([]),
  /** ISO times. */
  registeredAt: z.string(),
  lastSeenAt: z.string(),
  /** CONNECTED when seen within the last two minutes (it polls or heartbeats more often), else LOST. */
  health: z.enum(['CONNECTED', 'LOST']),
  /** Ids of the jobs it holds now (a build's job id is the build id). */
  currentJobs: z.array(z.string()),
});
export type AgentView = z.output<typeof agentView>;

export const listAgentsAnswer = z.object({ agents: z.array(agentView) });
export type ListAgentsAnswer = z.output<typeof listAgentsAnswer>;
