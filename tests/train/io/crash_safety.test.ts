// Saves are crash-safe: a child process SIGKILLed at each step of a save (GRAPHMODE_CKPT_FAULT
// hook) leaves a restorable checkpoint whose values match its step; concurrent saves in one
// process are serialized; failed saves remove their temporary files.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Graph, globalVariablesInitializer, Session, variable } from '@graphmode/graph';
import {
  getCheckpointState,
  latestCheckpoint,
  loadVariable,
  Saver,
  StopAtStepHook,
  setLogger,
  train,
} from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { expectedLoss, halvingModel } from '../loop/fixture.js';

const run = promisify(execFile);
const CHILD = new URL('./save_child.ts', import.meta.url).pathname;
const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-crash-'));

/** Runs one save in a child; resolves to whether it was killed. */
async function childSave(dir: string, step: string, value: number, fault?: string): Promise<boolean> {
  const env = { ...process.env, GRAPHMODE_CKPT_FAULT: fault ?? '' };
  try {
    await run(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, dir, step, String(value)], {
      env,
    });
    return false;
  } catch (e) {
    if ((e as { signal?: string }).signal === 'SIGKILL') return true;
    throw e;
  }
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
    }),
  );
}

const valueOf = async (prefix: string) => {
  const w = await loadVariable(prefix, 'w');
  const data = w.data as Float32Array;
  expect(data.every((x) => x === data[0])).toBe(true); // never a mix of two saves
  return data[0]!;
};

const STEPS = [
  'data:write',
  'data:fsync',
  'index:write',
  'index:fsync',
  'data:rename',
  'index:rename',
  'bundle:dirsync',
  'state:write',
  'state:fsync',
  'state:rename',
  'state:dirsync',
  'delete-old',
];

/** The child's save, in this process (the same model, Saver options and file names). */
async function saveHere(dir: string, step: number | undefined, value: number): Promise<void> {
  const { g, sess } = model(value);
  const saver = g.asDefault(() => new Saver({ maxToKeep: 1 }));
  saver.recoverLastCheckpoints(getCheckpointState(dir)?.allModelCheckpointPaths ?? []);
  await saver.save(sess, join(dir, 'model.ckpt'), step === undefined ? {} : { globalStep: step });
  sess.close();
}

describe('a save killed at any step', () => {
  it('leaves latestCheckpoint() restorable, with the values of its own step', async () => {
    const base = await tmp();
    await pool(STEPS, 3, async (fault) => {
      const dir = join(base, fault.replace(':', '_'));
      await mkdir(dir);
      await saveHere(dir, 1, 1);
      expect(await childSave(dir, '2', 2, fault)).toBe(true);
      const latest = latestCheckpoint(dir);
      expect(latest, fault).not.toBeNull();
      const step = Number(latest!.split('-').pop());
      expect(await valueOf(latest!), fault).toBe(step);
      if (step === 1) expect(await valueOf(join(dir, 'model.ckpt-1'))).toBe(1);
      // The next save works and leaves no temporary files behind.
      await saveHere(dir, 3, 3);
      expect(await valueOf(latestCheckpoint(dir)!)).toBe(3);
      expect((await readdir(dir)).filter((f) => f.includes('tempstate'))).toEqual([]);
    });
  }, 300_000);

  it('re-saving one prefix: the checkpoint reads as the old or the new save, never damaged', async () => {
    const base = await tmp();
    await pool(['data:write', 'data:rename', 'index:rename', 'bundle:dirsync'], 3, async (fault) => {
      const dir = join(base, fault.replace(':', '_'));
      await mkdir(dir);
      await saveHere(dir, undefined, 1);
      expect(await childSave(dir, '-', 2, fault)).toBe(true);
      const v = await valueOf(join(dir, 'model.ckpt'));
      // Killed between the data and the index rename, the new index is rolled forward.
      expect(v, fault).toBe(fault === 'data:write' || fault === 'data:rename' ? 1 : 2);
    });
  }, 300_000);
});

function model(value = 0) {
  const g = new Graph();
  const w = g.asDefault(() => variable(new Float32Array(4096).fill(value), { name: 'w' }));
  const assign = (x: number) => g.asDefault(() => w.assign(new Float32Array(4096).fill(x)));
  const sess = new Session(g);
  sess.run(g.asDefault(() => globalVariablesInitializer()));
  return { g, w, sess, assign };
}

describe('saves in one process', () => {
  it('concurrent saves to one prefix are serialized; the state file names the last, complete', async () => {
    const dir = await tmp();
    const { g, sess, assign } = model();
    const a = g.asDefault(() => new Saver({ maxToKeep: 3 }));
    const b = g.asDefault(() => new Saver({ maxToKeep: 3 }));
    const saves: Promise<string>[] = [];
    for (let step = 1; step <= 8; step++) {
      sess.run(assign(step));
      saves.push(a.save(sess, join(dir, 'same.ckpt'))); // the same path over and over
      saves.push((step % 2 ? a : b).save(sess, join(dir, 'model.ckpt'), { globalStep: step }));
    }
    const paths = await Promise.all(saves);
    expect(paths.filter((p) => p.includes('model.ckpt'))).toEqual(
      Array.from({ length: 8 }, (_, i) => join(dir, `model.ckpt-${i + 1}`)),
    );
    expect(latestCheckpoint(dir)).toBe(join(dir, 'model.ckpt-8'));
    expect(await valueOf(join(dir, 'model.ckpt-8'))).toBe(8);
    expect(await valueOf(join(dir, 'same.ckpt'))).toBe(8);
    expect(getCheckpointState(dir)!.allModelCheckpointPaths.every((p) => p.startsWith(dir))).toBe(true);
    expect((await readdir(dir)).filter((f) => f.includes('tempstate'))).toEqual([]);
    sess.close();
  });

  it('a failed save removes its temporary files and leaves the previous checkpoint', async () => {
    const dir = await tmp();
    const { g, sess } = model(5);
    const saver = g.asDefault(() => new Saver());
    await saver.save(sess, join(dir, 'model.ckpt'), { globalStep: 1 });
    await mkdir(join(dir, 'model.ckpt-2.data-00000-of-00001')); // the data rename will fail
    await expect(saver.save(sess, join(dir, 'model.ckpt'), { globalStep: 2 })).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.includes('tempstate'))).toEqual([]);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'model.ckpt-1'));
    expect(await valueOf(join(dir, 'model.ckpt-1'))).toBe(5);
    sess.close();
  });
});

describe('the checkpoint state file', () => {
  it('a corrupt or escaping state file is a warning and no checkpoint (TF starts fresh)', async () => {
    const dir = await tmp();
    const warnings: string[] = [];
    setLogger({ warn: (m) => warnings.push(m), info: () => {} });
    try {
      await writeFile(join(dir, 'checkpoint'), 'model_checkpoint_path: "model.ckpt-1\n{{garbage');
      expect(getCheckpointState(dir)).toBeNull();
      expect(latestCheckpoint(dir)).toBeNull();
      expect(warnings.join('\n')).toMatch(/Checkpoint ignored/);
      for (const p of ['../elsewhere/model.ckpt', '/etc/model.ckpt']) {
        await writeFile(join(dir, 'checkpoint'), `model_checkpoint_path: "${p}"\n`);
        warnings.length = 0;
        expect(getCheckpointState(dir)).toBeNull();
        expect(warnings.join('\n')).toMatch(/leads out of/);
      }
      await writeFile(join(dir, 'checkpoint'), `model_checkpoint_path: "${join(dir, 'model.ckpt-3')}"\n`);
      expect(getCheckpointState(dir)!.modelCheckpointPath).toBe(join(dir, 'model.ckpt-3')); // TF's absolute paths
      expect(await readFile(join(dir, 'checkpoint'), 'utf8')).toContain('model.ckpt-3');
    } finally {
      setLogger(null);
    }
  });

  it('train() on a directory with a corrupt state file warns and starts fresh', async () => {
    const logdir = await tmp();
    await writeFile(join(logdir, 'checkpoint'), '\u0000\u0001 not a checkpoint state');
    const warnings: string[] = [];
    setLogger({ warn: (m) => warnings.push(m), info: () => {} });
    try {
      const m = halvingModel(10);
      expect(await train(m.trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 2 })] })).toBe(
        expectedLoss(10, 2),
      );
    } finally {
      setLogger(null);
    }
    expect(warnings.join('\n')).toMatch(/checkpoint: Checkpoint ignored/);
    expect(latestCheckpoint(logdir)).toBe(join(logdir, 'model.ckpt-2'));
  });
});
