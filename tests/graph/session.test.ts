// Session.run as API.md §2 specifies it: fetch structures, feeds, pruning, plans, ownership,
// atomic runs, errors, run metadata and backends.
import {
  add,
  checkNumerics,
  constant,
  controlDependencies,
  defineOp,
  FailedPreconditionError,
  Graph,
  globalVariablesInitializer,
  group,
  InvalidArgumentError,
  identity,
  mul,
  NDArray,
  noOp,
  OpError,
  type Operation,
  placeholder,
  RunMetadata,
  Session,
  type Tensor,
  TypeError,
  UnimplementedError,
  ValueError,
  type Variable,
  variable,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';

function build<T>(fn: () => T): { g: Graph; sess: Session } & T {
  const g = new Graph();
  const parts = g.asDefault(fn);
  return { g, sess: new Session(g), ...parts };
}

describe('fetches', () => {
  it('mirrors nested fetch structures; Operations give null; names resolve', () => {
    const { sess, x, y, init, w } = build(() => {
      const x = constant([1, 2], { name: 'x' });
      const y = mul(x, 3, { name: 'y' });
      const w = variable(10, { name: 'w' });
      return { x, y, w, init: globalVariablesInitializer() };
    });
    expect(sess.run(init)).toBeNull();
    const r = sess.run({ a: [x, { b: y, op: init }], w, byName: 'y:0', opByName: 'init' });
    expect(r.a[0].toArray()).toEqual([1, 2]);
    expect(r.a[1].b.toArray()).toEqual([3, 6]);
    expect(r.a[1].op).toBeNull();
    expect(r.w.item()).toBe(10);
    expect(r.byName?.toArray()).toEqual([3, 6]);
    expect(r.opByName).toBeNull();
    expect(sess.run([])).toEqual([]);
  });

  it('FetchResult<F> is typed statically from the fetch structure', () => {
    const { sess, x, op, w } = build(() => ({
      x: constant(1, { name: 'x' }),
      op: noOp(),
      w: variable(1),
    }));
    sess.run(w.initializer);
    expectTypeOf(sess.run(x)).toEqualTypeOf<NDArray>();
    expectTypeOf(sess.run(w)).toEqualTypeOf<NDArray>();
    expectTypeOf(sess.run(op)).toEqualTypeOf<null>();
    expectTypeOf(sess.run('x:0')).toEqualTypeOf<NDArray | null>();
    expectTypeOf(sess.run([x, op])).toEqualTypeOf<[NDArray, null]>();
    expectTypeOf(sess.run({ loss: x, step: op, more: [w] })).toEqualTypeOf<{
      loss: NDArray;
      step: null;
      more: [NDArray];
    }>();
    const list: Tensor[] = [x, x];
    expectTypeOf(sess.run(list)).toEqualTypeOf<NDArray[]>();
    expectTypeOf<Parameters<typeof sess.run>[0]>().toExtend<
      Tensor | Variable | Operation | string | object
    >();
  });

  it('rejects fetches from another graph and bad fetch types', () => {
    const other = new Graph().asDefault(() => constant(1));
    const { sess } = build(() => ({}));
    expect(() => sess.run(other)).toThrow(/not an element of this graph/);
    expect(() => sess.run(42 as unknown as Tensor)).toThrow(TypeError);
    expect(() => sess.run('nope:0')).toThrow(/does not exist/);
  });
});

describe('feeds', () => {
  const setup = () =>
    build(() => {
      const x = placeholder('float32', [null, 2], { name: 'x' });
      return { x, y: mul(x, 2, { name: 'y' }) };
    });

  it('accepts a Map, an array of pairs and a Record by tensor name', () => {
    const { sess, x, y } = setup();
    const value = [[1, 2]];
    expect(sess.run(y, new Map([[x, value]])).toArray()).toEqual([[2, 4]]);
    expect(sess.run(y, [[x, value]]).toArray()).toEqual([[2, 4]]);
    expect(sess.run(y, [['x:0', value]]).toArray()).toEqual([[2, 4]]);
    expect(sess.run(y, { 'x:0': value }).toArray()).toEqual([[2, 4]]);
    expect(sess.run(y, { x: new NDArray('float32', [1, 2], Float32Array.of(1, 2)) }).toArray()).toEqual([
      [2, 4],
    ]);
  });

  it('checks fed values against the static shape and dtype', () => {
    const { sess, x, y } = setup();
    expect(() => sess.run(y, [[x, [1, 2, 3]]])).toThrow(
      new ValueError("Cannot feed value of shape [3] for Tensor 'x:0', which has shape [?,2]"),
    );
    expect(() => sess.run(y, [[x, [['a', 'b']]]])).toThrow(TypeError);
    const ints = new NDArray('int32', [1, 2], Int32Array.of(1, 2));
    expect(sess.run(y, [[x, ints]]).toArray()).toEqual([[2, 4]]); // lossless widening
    const bools = build(() => ({ b: placeholder('bool', [2]) }));
    const floats = new NDArray('float32', [2], Float32Array.of(1, 0));
    expect(() => bools.sess.run(bools.b, [[bools.b, floats]])).toThrow(/dtype float32.*dtype bool/);
    expect(() => sess.run(y, [['nope:0', 1]])).toThrow(/does not exist/);
  });

  it('any tensor is feedable and feeding it short-circuits its producers', () => {
    const { sess, bad, z, p } = build(() => {
      const p = placeholder('float32', [], { name: 'p' });
      const bad = checkNumerics(add(p, constant(Number.NaN)), 'would fail');
      return { p, bad, z: add(bad, 1) };
    });
    expect(() => sess.run(z, [[p, 1]])).toThrow(/would fail/);
    // Neither the unfed placeholder nor the failing check runs once `bad` is fed.
    expect(sess.run(z, [[bad, 4]]).item()).toBe(5);
  });

  it('a fed tensor that is also fetched returns the fed value', () => {
    const { sess, x, y } = setup();
    expect(sess.run(y, [[y, [[7, 8]]]]).toArray()).toEqual([[7, 8]]);
    const [xv, yv] = sess.run(
      [x, y],
      [
        [x, [[1, 1]]],
        [y, [[7, 8]]],
      ],
    );
    expect([xv.toArray(), yv.toArray()]).toEqual([[[1, 1]], [[7, 8]]]);
  });
});

describe('execution', () => {
  it('runs each op at most once; a tensor fetched twice is computed once', () => {
    const { sess, inc, twice, init } = build(() => {
      const w = variable(0, { name: 'w' });
      const inc = w.assignAdd(1);
      return { inc, twice: add(inc, inc), init: globalVariablesInitializer() };
    });
    sess.run(init);
    const meta = new RunMetadata();
    const [a, b, c] = sess.run([inc, twice, inc], undefined, { runMetadata: meta });
    expect([a.item(), b.item(), c.item()]).toEqual([1, 2, 1]);
    expect(meta.stepStats.filter((s) => s.opType === 'AssignAdd')).toHaveLength(1);
    expect(a).not.toBe(c);
  });

  it('prunes to what the fetches need, through data and control edges', () => {
    const { sess, w, gate, unrelated } = build(() => {
      const w = variable(0, { name: 'w' });
      const step = w.assignAdd(5);
      const p = placeholder('float32', [], { name: 'unfed' });
      return { w, gate: group(step), unrelated: add(p, 1), init: globalVariablesInitializer() };
    });
    sess.run(w.initializer);
    expect(sess.run(gate)).toBeNull();
    expect(sess.run(w).item()).toBe(5);
    expect(() => sess.run(unrelated)).toThrow(InvalidArgumentError);
  });

  it('reads a variable when its consumer runs, so control dependencies order reads after writes', () => {
    const { sess, w, after, before } = build(() => {
      const w = variable(1, { name: 'w' });
      const update = w.assign(7);
      const after = controlDependencies([update], () => w.read());
      const before = add(w, 0);
      return { w, after, before };
    });
    sess.run(w.initializer);
    expect(sess.run(after).item()).toBe(7);
    sess.run(w.initializer);
    expect(sess.run(before).item()).toBe(1);
  });

  it('results are owned NDArrays: mutating them or the feeds never reaches the session', () => {
    const { sess, w, x, store } = build(() => {
      const w = variable([0, 0], { name: 'w' });
      const x = placeholder('float32', [2], { name: 'x' });
      return { w, x, store: w.assign(x) };
    });
    sess.run(w.initializer);
    const fed = new NDArray('float32', [2], Float32Array.of(3, 4));
    const out = sess.run(store, [[x, fed]]);
    expect(out).toBeInstanceOf(NDArray);
    expect(out.data).toBeInstanceOf(Float32Array);
    (fed.data as Float32Array)[0] = 99;
    (out.data as Float32Array)[1] = 99;
    const again = sess.run(w);
    expect(again.toArray()).toEqual([3, 4]);
    (again.data as Float32Array)[0] = -1;
    expect(sess.run(w).toArray()).toEqual([3, 4]);
  });

  it('frees each intermediate after its last reader and leaks nothing', () => {
    let peak = 0;
    const Probe = defineOp<'x'>({
      type: 'TestMemoryProbe',
      inputs: ['x'],
      shape: ({ x }) => x.shape,
      dtype: ({ x }) => x.dtype,
      kernel: ({ x }) => ((peak = tf.memory().numTensors), tf.clone(x)),
    });
    const { sess, y } = build(() => {
      let t: Tensor = constant([1, 2, 3]);
      for (let i = 0; i < 100; i++) t = identity(t);
      return { y: Probe.apply({ x: t }, {}) };
    });
    const before = tf.memory().numTensors;
    sess.run(y);
    const first = tf.memory().numTensors;
    expect(first - before).toBe(1); // the cached constant, kept for later runs
    expect(peak - first).toBeLessThanOrEqual(3);
    sess.run(y);
    expect(tf.memory().numTensors).toBe(first);
    sess.close();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('plan cache', () => {
  it('caches one plan per signature, survives graph growth, and is invalidated by mutation', () => {
    const { g, sess, w, y, x, bump } = build(() => {
      const w = variable(0, { name: 'w' });
      const bump = w.assignAdd(10);
      const x = placeholder('float32', [], { name: 'x' });
      return { w, x, bump, y: identity(add(x, 1), { name: 'y' }) };
    });
    sess.run(w.initializer);
    expect(sess.run(y, [[x, 1]]).item()).toBe(2);
    const size = sess.planCacheSize;
    expect(sess.run(y, { 'x:0': 5 }).item()).toBe(6);
    expect(sess.planCacheSize).toBe(size);
    expect(sess.run([y, y], [[x, 1]]).map((r) => r.item())).toEqual([2, 2]);
    expect(sess.planCacheSize).toBe(size);
    g.asDefault(() => add(y, 1)); // the graph grows: cached plans stay valid
    expect(sess.run(y, [[x, 1]]).item()).toBe(2);
    expect(sess.planCacheSize).toBe(size);
    expect(sess.run(w).item()).toBe(0);
    // Making the existing op wait for a new one must re-plan, or `bump` would not run.
    y.op.addControlInputs([bump.op]);
    expect(sess.run(y, [[x, 1]]).item()).toBe(2);
    expect(sess.run(w).item()).toBe(10);
  });
});

describe('atomic runs', () => {
  it('a failing run restores every variable and leaks no tensor', () => {
    const { sess, a, b, fail, init } = build(() => {
      const a = variable(1, { name: 'a' });
      const b = variable([1, 2], { name: 'b' });
      const updates = [a.assign(10), b.assignAdd([5, 5])];
      const fail = controlDependencies(updates, () => checkNumerics(constant(Number.NaN), 'boom'));
      return { a, b, fail, init: globalVariablesInitializer() };
    });
    sess.run(init);
    const before = tf.memory().numTensors;
    expect(() => sess.run(fail)).toThrow(InvalidArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    expect(sess.run([a, b]).map((v) => v.toArray())).toEqual([1, [1, 2]]);
  });

  it('a failing first run also drops the variables it initialized', () => {
    const { sess, a, fail } = build(() => {
      const a = variable(3, { name: 'a' });
      const fail = controlDependencies([a.initializer], () => checkNumerics(constant(Number.NaN), 'boom'));
      return { a, fail };
    });
    const before = tf.memory().numTensors;
    expect(() => sess.run(fail)).toThrow(/boom/);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sess.run(a)).toThrow(FailedPreconditionError);
  });

  it('close() frees everything and later runs throw', () => {
    const before = tf.memory().numTensors;
    const { sess, w, y } = build(() => {
      const w = variable([1, 2, 3], { name: 'w' });
      return { w, y: add(w, constant(1)) };
    });
    sess.run(w.initializer);
    sess.run(y);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    sess.close();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sess.run(y)).toThrow(/closed Session/);
  });
});

describe('errors', () => {
  it('a kernel failure names the op, its type, run-time input shapes and its creation site', () => {
    const { sess, a, b, sum } = build(() => {
      const a = placeholder('float32', [null], { name: 'a' });
      const b = placeholder('float32', [null], { name: 'b' });
      return { a, b, sum: add(a, b, { name: 'sum' }) };
    });
    let err: unknown;
    try {
      sess.run(sum, [
        [a, [1, 2, 3]],
        [b, [1, 2, 3, 4]],
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const e = err as InvalidArgumentError;
    expect(e).toBeInstanceOf(OpError);
    expect(e.op).toBe(sum.op);
    expect(e.message).toMatch(/op 'sum' of type AddV2, input shapes: float32\[3\], float32\[4\]/);
    expect(e.creationSite).toMatch(/session\.test\.ts:\d+:\d+/);
    expect(e.message).toContain(e.creationSite!);
  });

  it('an unfed placeholder is an InvalidArgumentError in TF’s words', () => {
    const { sess, y, s } = build(() => {
      const x = placeholder('float32', [null, 784], { name: 'x' });
      const s = placeholder('int32', [], { name: 's' });
      return { y: mul(x, 2), s };
    });
    expect(() => sess.run(y)).toThrow(InvalidArgumentError);
    expect(() => sess.run(y)).toThrow(
      "You must feed a value for placeholder tensor 'x' with dtype float32 and shape [?,784]",
    );
    expect(() => sess.run(s)).toThrow(/placeholder tensor 's' with dtype int32\n/);
  });

  it('reading an uninitialized variable is a FailedPreconditionError naming it', () => {
    const { sess, y } = build(() => {
      const w = variable(1, { name: 'w' });
      return { y: add(w, 1) };
    });
    expect(() => sess.run(y)).toThrow(FailedPreconditionError);
    expect(() => sess.run(y)).toThrow('Attempting to use uninitialized value w');
  });
});

describe('RunMetadata', () => {
  it('records per-op step stats and exports a Chrome trace', () => {
    const { sess, y } = build(() => {
      const x = constant([[1, 2, 3]], { name: 'x' });
      return { y: mul(x, constant(2), { name: 'y' }) };
    });
    const meta = new RunMetadata();
    sess.run(y, undefined, { runMetadata: meta });
    expect(meta.stepStats.map((s) => s.nodeName)).toEqual(['x', 'Const', 'y']);
    const last = meta.stepStats[2]!;
    expect(last).toMatchObject({ nodeName: 'y', opType: 'Mul', outputShapes: [[1, 3]], outputBytes: 12 });
    expect(last.startMicros).toBeGreaterThanOrEqual(meta.stepStats[1]!.startMicros);
    expect(last.durationMicros).toBeGreaterThanOrEqual(0);
    const trace = JSON.parse(meta.toChromeTrace()) as { traceEvents: Record<string, unknown>[] };
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(complete.map((e) => e.name)).toEqual(['x', 'Const', 'y']);
    for (const e of complete) {
      expect(typeof e.ts).toBe('number');
      expect(typeof e.dur).toBe('number');
      expect(e.pid).toBe(1);
    }
  });
});

describe('backends', () => {
  it('runs on wasm through Session.create, alternating with a cpu session', async () => {
    const { g, y, w } = build(() => {
      const w = variable([1, 2, 3], { name: 'w' });
      return { w, y: mul(add(w, 1), 2, { name: 'y' }) };
    });
    const wasm = await Session.create(g, { backend: 'wasm' });
    const cpu = new Session(g);
    const backendBefore = tf.getBackend();
    for (const s of [wasm, cpu, wasm, cpu]) {
      s.run(w.initializer);
      expect(s.run(y).toArray()).toEqual([4, 6, 8]);
      expect(tf.getBackend()).toBe(backendBefore);
    }
    wasm.run(w.assign([0, 0, 0]));
    expect(wasm.run(y).toArray()).toEqual([2, 2, 2]);
    expect(cpu.run(y).toArray()).toEqual([4, 6, 8]);
    wasm.close();
    cpu.close();
  });

  it('names the op when the wasm backend has no kernel for it', async () => {
    const SegmentSum = defineOp<'x' | 'ids'>({
      type: 'TestUnsortedSegmentSum',
      inputs: ['x', 'ids'],
      shape: () => [2],
      dtype: ({ x }) => x.dtype,
      kernel: ({ x, ids }) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 2),
    });
    const { g, s } = build(() => ({
      s: SegmentSum.apply(
        { x: constant([1, 2, 3]), ids: constant([0, 1, 0], { dtype: 'int32' }) },
        {},
        { name: 'seg' },
      ),
    }));
    expect(new Session(g).run(s).toArray()).toEqual([4, 2]);
    const wasm = await Session.create(g, { backend: 'wasm' });
    expect(() => wasm.run(s)).toThrow(UnimplementedError);
    expect(() => wasm.run(s)).toThrow(
      /'wasm' backend has no kernel for op 'seg' \(type TestUnsortedSegmentSum\)/,
    );
  });
});
