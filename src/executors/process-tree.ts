/**
 * Finds and kills every process of a host shell session by walking /proc: the processes whose
 * session id is the shell's pid (the shell is started with setsid, so background jobs, `nohup`
 * and orphans keep that session even after the shell is gone), plus any descendant of those that
 * started a session of its own. Zombies are skipped: they are already dead.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcessEntry {
  readonly pid: number;
  readonly parent: number;
  readonly session: number;
}

function readProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp session …; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    entries.push({ pid: Number(name), parent: Number(fields[1]), session: Number(fields[3]) });
  }
  return entries;
}

/** Live processes of the session led by `sessionId`, and their descendants. */
export function sessionProcesses(sessionId: number): number[] {
  const all = readProcesses();
  const found = new Set(all.filter((p) => p.session === sessionId || p.pid === sessionId).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.parent)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  found.delete(process.pid);
  return [...found];
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone, which is what we want
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to every process of the session, SIGKILL after `graceMs` to what is left (including
 * processes started during the grace period). Resolves when none is left, or after about 5 s of
 * SIGKILL rounds if the kernel is slow to reap (processes in uninterruptible sleep).
 */
export async function killSession(sessionId: number, graceMs: number): Promise<void> {
  const found = sessionProcesses(sessionId);
  // Nothing left (a shell that exited with nothing in the background): one scan of /proc is enough.
  if (found.length === 0) return;
  signalAll(found, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  // Most processes are gone within a few milliseconds of SIGTERM: look again soon, then back off.
  for (let wait = 2; Date.now() < deadline; wait = Math.min(wait * 2, 50)) {
    if (sessionProcesses(sessionId).length === 0) return;
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
  }
  for (let round = 0; round < 100; round += 1) {
    const left = sessionProcesses(sessionId);
    if (left.length === 0) return;
    signalAll(left, 'SIGKILL');
    await sleep(50);
  }
}

/** Whether a process with this pid exists (one of another user's counts: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
