import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FailedPreconditionError,
  Graph,
  globalVariablesInitializer,
  InvalidArgumentError,
  NotFoundError,
  Session,
  ValueError,
  type Variable,
  variable,
} from '@graphmode/graph';
import { getCheckpointState, latestCheckpoint, Saver } from '@graphmode/train';
import { describe, expect, it } from 'vitest';

const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-ckpt-'));

function model() {
  const g = new Graph();
  const vars = g.asDefault(() => ({
    w: variable(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { name: 'w' },
    ),
    n: variable(Int32Array.of(-7, 8), { name: 'scope/n' }),
    flag: variable([true, false], { name: 'flag' }),
    label: variable(['héllo', ''], { name: 'label' }),
  }));
  return { g, ...vars };
}

const values = (sess: Session, vars: Variable[]) => sess.run(vars).map((a) => a.toArray());

describe('Saver', () => {
  it('restores every dtype, also into a fresh session that never ran the initializer', async () => {
    const dir = await tmp();
    const { g, w, n, flag, label } = model();
    const all = [w, n, flag, label];
    const saver = g.asDefault(() => new Saver());
    const init = g.asDefault(() => globalVariablesInitializer());
    const [setW, setN, setFlag, setLabel] = g.asDefault(() => [
      w.assign([
        [0, 0, 0],
        [0, 0, -1.5],
      ]),
      n.assign(Int32Array.of(1, 1)),
      flag.assign([false, true]),
      label.assign(['x', 'y']),
    ]);
    const sess = new Session(g);
    sess.run(init);
    const saved = values(sess, all);
    const path = await saver.save(sess, join(dir, 'model.ckpt'));
    expect(path).toBe(join(dir, 'model.ckpt'));
    sess.run([setW!, setN!, setFlag!, setLabel!]);
    expect(values(sess, all)).not.toEqual(saved);
    const opsBefore = g.numOps;
    await saver.restore(sess, path);
    expect(values(sess, all)).toEqual(saved);
    expect(g.numOps).toBe(opsBefore); // save/restore ops were built once, in the constructor

    const fresh = new Session(g);
    expect(() => fresh.run(w)).toThrow(FailedPreconditionError);
    await saver.restore(fresh, path);
    expect(values(fresh, all)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [-7, 8],
      [true, false],
      ['héllo', ''],
    ]);
    sess.close();
    fresh.close();
  });

  it('appends the global step, records the checkpoint state file and keeps maxToKeep checkpoints', async () => {
    const dir = await tmp();
    const { g, w, n, flag, label } = model();
    const saver = g.asDefault(() => new Saver({ varList: [w, n, flag, label], maxToKeep: 2 }));
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    expect(latestCheckpoint(dir)).toBeNull();
    const prefix = join(dir, 'model.ckpt');
    const paths: string[] = [];
    for (const step of [10, 20, 30, 40]) paths.push(await saver.save(sess, prefix, { globalStep: step }));
    expect(paths).toEqual([10, 20, 30, 40].map((s) => `${prefix}-${s}`));
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'checkpoint',
      'model.ckpt-30.data-00000-of-00001',
      'model.ckpt-30.index',
      'model.ckpt-30.meta',
      'model.ckpt-40.data-00000-of-00001',
      'model.ckpt-40.index',
      'model.ckpt-40.meta',
    ]);
    const text = await readFile(join(dir, 'checkpoint'), 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual([
      'model_checkpoint_path: "model.ckpt-40"',
      'all_model_checkpoint_paths: "model.ckpt-30"',
      'all_model_checkpoint_paths: "model.ckpt-40"',
    ]);
    expect(latestCheckpoint(dir)).toBe(`${prefix}-40`);
    expect(getCheckpointState(dir)?.allModelCheckpointPaths).toEqual([`${prefix}-30`, `${prefix}-40`]);
    expect(saver.lastCheckpoints).toEqual([`${prefix}-30`, `${prefix}-40`]);

    // A global step given as a variable is read from the session.
    const step = g.asDefault(() => variable(55, { name: 'step', dtype: 'int32' }));
    sess.run(step.initializer);
    expect(await saver.save(sess, prefix, { globalStep: step })).toBe(`${prefix}-55`);

    // The state file names a checkpoint whose files are gone: no latest checkpoint.
    await rm(`${prefix}-55.index`);
    expect(latestCheckpoint(dir)).toBeNull();
    sess.close();
  });

  it('keeps everything with maxToKeep 0', async () => {
    const dir = await tmp();
    const { g, w } = model();
    const saver = g.asDefault(() => new Saver({ varList: [w], maxToKeep: 0 }));
    const sess = new Session(g);
    sess.run(w.initializer);
    for (const s of [1, 2, 3, 4, 5, 6]) await saver.save(sess, join(dir, 'm'), { globalStep: s });
    expect((await readdir(dir)).filter((f) => f.endsWith('.index'))).toHaveLength(6);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'm-6'));
    sess.close();
  });

  it('names a variable the checkpoint lacks (NotFoundError) and a shape or dtype mismatch (InvalidArgumentError)', async () => {
    const dir = await tmp();
    const { g, w } = model();
    const sess = new Session(g);
    sess.run(w.initializer);
    const path = await g.asDefault(() => new Saver({ varList: [w] })).save(sess, join(dir, 'only_w'));

    const g2 = new Graph();
    const [w2, extra, wrongShape, wrongType] = g2.asDefault(() => [
      variable(
        [
          [0, 0, 0],
          [0, 0, 0],
        ],
        { name: 'w' },
      ),
      variable(1, { name: 'extra' }),
      variable([1, 2, 3], { name: 'w' }),
      variable(Int32Array.of(1, 2, 3, 4, 5, 6), { name: 'w' }),
    ]);
    const sess2 = new Session(g2);
    const missing = g2.asDefault(() => new Saver({ varList: [w2!, extra!] }));
    await expect(missing.restore(sess2, path)).rejects.toThrow(NotFoundError);
    await expect(missing.restore(sess2, path)).rejects.toThrow(/Key extra not found in checkpoint/);
    // Nothing was assigned: restores are all-or-nothing.
    expect(() => sess2.run(w2!)).toThrow(FailedPreconditionError);

    const shape = g2.asDefault(() => new Saver({ varList: { w: wrongShape! } }));
    await expect(shape.restore(sess2, path)).rejects.toThrow(InvalidArgumentError);
    await expect(shape.restore(sess2, path)).rejects.toThrow(/lhs shape= \[3\] rhs shape= \[2,3\]/);
    const dtype = g2.asDefault(() => new Saver({ varList: { w: wrongType! } }));
    await expect(dtype.restore(sess2, path)).rejects.toThrow(
      /expected dtype int32 does not equal original dtype float32/,
    );

    await expect(missing.restore(sess2, join(dir, 'nope'))).rejects.toThrow(ValueError);
    await expect(missing.save(sess2, join(dir, 'no/such/dir/x'))).rejects.toThrow(/Parent directory/);
    sess.close();
    sess2.close();
  });

  it('rejects an empty or duplicated variable list at construction', () => {
    const g = new Graph();
    g.asDefault(() => {
      expect(() => new Saver()).toThrow('No variables to save');
      const a = variable(1, { name: 'a' });
      expect(() => new Saver({ varList: { x: a, y: a } })).not.toThrow();
      const b = variable(1, { name: 'b' });
      expect(() => new Saver({ varList: [a, b, a] })).toThrow(/two variables have the same name: a/);
    });
  });
});
