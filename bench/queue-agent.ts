/**
 * An agent for bench/queue when the compiled CLI has no `nagare agent` command:
 *   node --import tsx bench/queue-agent.ts SERVER_URL TOKEN NAME WORK_DIR
 * Runs until SIGTERM, which stops it gracefully.
 */
import { startAgent } from '../src/agent/agent.js';

const [serverUrl, token, name, workDir] = process.argv.slice(2);
if (!serverUrl || !token || !name || !workDir) throw new Error('usage: queue-agent.ts SERVER_URL TOKEN NAME WORK_DIR');
const agent = await startAgent({
  serverUrl,
  token,
  name,
  tags: { bench: 'queue' },
  workDir,
  executorKind: 'shell',
  hostEnvironment: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
});
process.once('SIGTERM', () => void agent.stop());
await agent.done;
