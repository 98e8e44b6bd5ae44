// Crash-safe file writes: write aside under a unique name, fsync, rename into place, fsync the
// directory, so a reader sees either the old file or the whole new one, even after a kill or
// power loss. Saves to one directory run one at a time (a promise queue per directory).
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** A fresh temporary name beside `path` (TF's `<file>.tempstate<random>`): unique per write. */
export const tempName = (path: string): string => `${path}.tempstate${randomBytes(8).toString('hex')}`;

export const isTempName = (name: string): boolean => /\.tempstate[0-9a-f]+$/.test(name);

/**
 * Test seam for the fault-injection tests: when GRAPHMODE_CKPT_FAULT names this step, the process
 * kills itself here (SIGKILL: no cleanup runs, as in a crash).
 */
export function faultPoint(step: string): void {
  if (process.env.GRAPHMODE_CKPT_FAULT === step) process.kill(process.pid, 'SIGKILL');
}

/** Creates `path` (which must not exist) holding `chunks`, flushed to disk before it resolves. */
export async function writeSynced(path: string, chunks: readonly Uint8Array[], step: string): Promise<void> {
  faultPoint(`${step}:write`);
  const fh = await open(path, 'wx');
  try {
    await fh.writev(chunks as Uint8Array[]);
    faultPoint(`${step}:fsync`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function renameSynced(from: string, to: string, step: string): Promise<void> {
  faultPoint(`${step}:rename`);
  await rename(from, to);
}

/** Makes renames in `dir` durable (a no-op where directories cannot be opened, e.g. Windows). */
export async function syncDir(dir: string, step: string): Promise<void> {
  faultPoint(`${step}:dirsync`);
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'EPERM')
      throw e;
  } finally {
    await fh?.close();
  }
}

/** Writes `path` atomically: aside, fsynced, renamed over the old file; temp removed on failure. */
export async function replaceFile(path: string, chunks: readonly Uint8Array[], step: string): Promise<void> {
  const tmp = tempName(path);
  try {
    await writeSynced(tmp, chunks, step);
    await renameSynced(tmp, path, step);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path), step);
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every task queued earlier for the same directory has settled. */
export function serializeInDir<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(dir);
  const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}
