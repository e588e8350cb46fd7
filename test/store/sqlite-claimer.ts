/**
 * A separate process claiming from a SQLite file until the queue is empty, for the test that two
 * processes never lease the same job. Usage: sqlite-claimer.ts <database file> <agent id>
 * Prints `ready` once the store is open, starts claiming when a line arrives on stdin (so that all
 * claimers start together), then prints the leased job ids, one per line.
 */
import { once } from 'node:events';
import { openStore } from '../../src/store/open-store.js';

const [path, agentId] = process.argv.slice(2);
if (path === undefined || agentId === undefined) throw new Error('usage: sqlite-claimer.ts <database file> <agent id>');
const store = await openStore({ url: path });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
const leased: string[] = [];
for (;;) {
  const job = await store.jobs.claim(agentId, Date.now(), 60_000, []);
  if (job !== undefined) leased.push(job.id);
  else if ((await store.jobs.depth()) === 0) break;
}
await store.close();
process.stdout.write(leased.map((id) => `${id}\n`).join(''));
