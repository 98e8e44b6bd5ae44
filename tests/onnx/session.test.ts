// Session guarantees on the 'onnxruntime' backend: atomic runs, errors naming the op and its
// creation site, feeds/fetches/Operation fetches, uninitialized variables, runAsync, metadata.
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from './harness.js';

beforeAll(ready);

const nums = (nd: g.NDArray) => Array.from(nd.data as ArrayLike<number>);

function counterGraph() {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    const v = g.variable(g.constant([1, 2, 3]), { name: 'v' });
    const idx = g.placeholder('int32', [1], { name: 'idx' });
    const axis = g.placeholder('int32', [], { name: 'axis' });
    const bump = v.assignAdd(g.constant([10, 10, 10]));
    // A gather with a fed axis runs on tfjs; ordered after the (ONNX) update, it fails on a bad index.
    const picked = g.controlDependencies([bump], () => g.gather(g.identity(v), idx, { axis }));
    const x = g.placeholder('float32', [3], { name: 'x' });
    const checked = g.controlDependencies([bump], () => g.checkNumerics(g.mul(x, 2), 'x is bad'));
    return { graph, v, idx, axis, bump, picked, x, checked, init: g.globalVariablesInitializer() };
  });
}

describe('Session on onnxruntime', () => {
  it('keeps variables between runs and fetches values, variables and Operations', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    expect(sess.run(m.init)).toBeNull();
    sess.run(m.bump);
    // v's read op precedes the update (creation order), as on tfjs.
    const [before, op] = sess.run([m.v, m.bump.op]);
    expect(nums(before)).toEqual([11, 12, 13]);
    expect(op).toBeNull();
    expect(nums(sess.run(m.v))).toEqual([21, 22, 23]);
    expect(
      sess
        .run(m.picked, [
          [m.idx, [2]],
          [m.axis, 0],
        ])
        .toArray(),
    ).toEqual([33]); // read inside the control block: a fresh read after the update (as on tfjs)
    sess.close();
  });

  it('a run failing in a tfjs op after an ONNX update restores every variable', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    sess.run(m.init);
    const err = (() => {
      try {
        sess.run(m.picked, [
          [m.idx, [7]],
          [m.axis, 0],
        ]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(g.InvalidArgumentError);
    expect((err as g.OpError).op?.type).toBe('GatherV2');
    expect(nums(sess.run(m.v))).toEqual([1, 2, 3]);
    sess.close();
  });

  it('a run failing inside an ONNX segment (CheckNumerics) restores every variable and names the op', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    sess.run(m.init);
    expect(() => sess.run(m.checked, [[m.x, [1, Number.NaN, 3]]])).toThrow(
      /x is bad : Tensor had NaN values/,
    );
    try {
      sess.run(m.checked, [[m.x, [1, Number.POSITIVE_INFINITY, 3]]]);
    } catch (e) {
      expect(e).toBeInstanceOf(g.InvalidArgumentError);
      expect((e as g.OpError).op?.type).toBe('CheckNumerics');
      expect((e as g.OpError).message).toMatch(/Tensor had Inf values[\s\S]*defined at .*session\.test\.ts/);
    }
    expect(nums(sess.run(m.v))).toEqual([1, 2, 3]);
    expect(nums(sess.run(m.checked, [[m.x, [1, 2, 3]]]))).toEqual([2, 4, 6]);
    expect(nums(sess.run(m.v))).toEqual([11, 12, 13]);
    sess.close();
  });

  it('an engine failure names the op whose node failed', () => {
    const graph = new g.Graph();
    const { a, b, y } = graph.asDefault(() => {
      const a = g.placeholder('float32', null, { name: 'a' });
      const b = g.placeholder('float32', null, { name: 'b' });
      return { a, b, y: g.add(a, b, { name: 'sum' }) };
    });
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    expect(() =>
      sess.run(y, [
        [a, [1, 2]],
        [b, [1, 2, 3]],
      ]),
    ).toThrow(g.InvalidArgumentError);
    try {
      sess.run(y, [
        [a, [1, 2]],
        [b, [1, 2, 3]],
      ]);
    } catch (e) {
      expect((e as g.OpError).op?.name).toBe('sum');
    }
    sess.close();
  });

  it('borrows fed arrays uncopied, yet keeps none and writes none (store, results, tfjs steps)', () => {
    const graph = new g.Graph();
    const m = graph.asDefault(() => {
      const w = g.variable([0, 0], { name: 'w' });
      const x = g.placeholder('float32', [2], { name: 'x' });
      // cumprod runs on tfjs (tfjs-cpu keeps the typed arrays it is given); add and assign in ONNX.
      return { w, x, prod: g.cumprod(x, 0), sum: g.add(x, 1), store: w.assign(x) };
    });
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    expect((sess as unknown as { executor: { borrowsFeeds?: boolean } }).executor.borrowsFeeds).toBe(true);
    sess.run(m.w.initializer);
    const fed = new g.NDArray('float32', [2], Float32Array.of(3, 4));
    const [prod, sum, stored, echoed] = sess.run([m.prod, m.sum, m.store, m.x], [[m.x, fed]]);
    expect(nums(fed)).toEqual([3, 4]);
    (fed.data as Float32Array).fill(99);
    expect([prod, sum, stored, echoed].map(nums)).toEqual([
      [3, 12],
      [4, 5],
      [3, 4],
      [3, 4],
    ]);
    expect(nums(sess.run(m.w))).toEqual([3, 4]);
    expect(nums(sess.run(m.prod, [[m.x, [2, 5]]]))).toEqual([2, 10]);
    sess.close();
  });

  it('reading an uninitialized variable is a FailedPreconditionError naming it', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    expect(() => sess.run(m.bump)).toThrow(g.FailedPreconditionError);
    expect(() => sess.run(m.v)).toThrow(/v/);
    sess.close();
  });

  it('a fed tensor that is also fetched returns the fed value; unfed placeholders are named', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    const doubled = m.graph.asDefault(() => g.mul(m.x, 2));
    expect(nums(sess.run(doubled, [[m.x, [1, 2, 3]]]))).toEqual([2, 4, 6]);
    expect(nums(sess.run(doubled, [[doubled, [5, 5, 5]]]))).toEqual([5, 5, 5]);
    expect(() => sess.run(doubled)).toThrow(/You must feed a value for placeholder tensor 'x'/);
    // One output of a multi-output op fed, the other computed: the fed value wins.
    const [a, b] = m.graph.asDefault(() => g.split(m.x, [1, 2], 0));
    const joined = m.graph.asDefault(() => g.concat([a!, b!], 0));
    expect(
      nums(
        sess.run(joined, [
          [m.x, [1, 2, 3]],
          [a!, [9]],
        ]),
      ),
    ).toEqual([9, 2, 3]);
    sess.close();
  });

  it('runAsync resolves to what run returns and rejects with what it throws, on every backend', async () => {
    for (const backend of ['cpu', 'onnxruntime'] as const) {
      const m = counterGraph();
      const sess = await g.Session.create(m.graph, { backend });
      await sess.runAsync(m.init);
      const got = await sess.runAsync({ v: m.v, n: [m.bump] });
      expect(nums(got.v)).toEqual([1, 2, 3]);
      expect(nums(got.n[0]!)).toEqual([11, 12, 13]);
      await expect(
        sess.runAsync(m.picked, [
          [m.idx, [9]],
          [m.axis, 0],
        ]),
      ).rejects.toThrow(g.InvalidArgumentError);
      sess.close();
      await expect(sess.runAsync(m.v)).rejects.toThrow(/closed Session/);
    }
  });

  it('a plan of NoOps only (an empty initializer, a group of groups) runs: no empty ONNX model', () => {
    const graph = new g.Graph();
    const { empty, nested } = graph.asDefault(() => ({
      empty: g.localVariablesInitializer(),
      nested: g.group(g.noOp(), g.group(g.noOp())),
    }));
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    const md = new g.RunMetadata();
    expect(sess.run([empty, nested], undefined, { runMetadata: md })).toEqual([null, null]);
    expect(md.stepStats.filter((s) => s.opType === 'OnnxSegment')).toEqual([]);
    sess.close();
  });

  it('a segment fed by a tfjs op whose output shape changes between runs under the same fed shapes', () => {
    const graph = new g.Graph();
    const { x, dims, y, noise } = graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 3], { name: 'x' });
      const dims = g.placeholder('int32', [2], { name: 'dims' });
      // Random ops run on tfjs: the segment after them sees their shape only at run time.
      const noise = g.randomUniform(dims, { seed: 3 });
      const size = g.reduceSum(g.cast(g.shape(noise), 'float32'));
      const y = g.add(g.reduceSum(g.mul(noise, 0)), g.mul(g.reduceSum(x, 1), size));
      return { x, dims, y, noise };
    });
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    const xs = new g.NDArray('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
    // Same fed shapes each run, so one compilation; the noise's shape changes on the 4th run.
    for (const [r, c] of [
      [2, 5],
      [2, 5],
      [2, 5],
      [3, 1],
      [2, 5],
    ] as const) {
      const [out, n] = sess.run(
        [y, noise],
        [
          [x, xs],
          [dims, [r, c]],
        ],
      );
      expect(n.shape).toEqual([r, c]);
      expect(nums(out)).toEqual([6 * (r + c), 15 * (r + c)]);
    }
    sess.close();
  });

  // The first batch sizes get models specialized to their shapes, later ones a generic model.
  it('one plan fed with many batch sizes', () => {
    const graph = new g.Graph();
    const { x, y } = graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 2], { name: 'x' });
      // Shape arithmetic inside the model, evaluated per run.
      const y = g.reduceSum(g.mul(x, g.cast(g.shape(x), 'float32')), 1);
      return { x, y };
    });
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    for (const n of [1, 2, 3, 4, 5, 6, 7, 2, 6, 1]) {
      const xs = new g.NDArray(
        'float32',
        [n, 2],
        Float32Array.from({ length: 2 * n }, (_, i) => i),
      );
      const want = Array.from({ length: n }, (_, r) => n * (2 * r) + 2 * (2 * r + 1));
      expect(nums(sess.run(y, [[x, xs]]))).toEqual(want);
    }
    sess.close();
  });

  it('a plan dropped after the graph changes is recompiled (and its models freed)', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    sess.run(m.init);
    const doubled = m.graph.asDefault(() => g.mul(m.x, 2));
    expect(nums(sess.run(doubled, [[m.x, [1, 2, 3]]]))).toEqual([2, 4, 6]);
    // A new control input on an existing op invalidates the cached plan: the update now runs too.
    doubled.op.addControlInputs([m.bump.op]);
    expect(nums(sess.run(doubled, [[m.x, [1, 2, 3]]]))).toEqual([2, 4, 6]);
    expect(nums(sess.run(m.v))).toEqual([11, 12, 13]);
    sess.close();
  });

  it('a gather index outside [0, n) fails the run as on tfjs (onnxruntime would wrap -1)', () => {
    const graph = new g.Graph();
    const { p, i, y } = graph.asDefault(() => {
      const p = g.placeholder('float32', [3, 2], { name: 'p' });
      const i = g.placeholder('int32', [null], { name: 'i' });
      return { p, i, y: g.gather(p, i, { name: 'rows' }) };
    });
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    const ps = new g.NDArray('float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
    expect(
      nums(
        sess.run(y, [
          [p, ps],
          [i, [2, 0]],
        ]),
      ),
    ).toEqual([5, 6, 1, 2]);
    expect(() =>
      sess.run(y, [
        [p, ps],
        [i, [0, -1]],
      ]),
    ).toThrow(/indices\[1\] = -1 is not in \[0, 3\)/);
    expect(() =>
      sess.run(y, [
        [p, ps],
        [i, [3]],
      ]),
    ).toThrow(g.InvalidArgumentError);
    expect(
      nums(
        sess.run(y, [
          [p, ps],
          [i, []],
        ]),
      ),
    ).toEqual([]);
    sess.close();
  });

  it('unsortedSegmentSum drops rows with a negative segment id, as TF', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() =>
      g.unsortedSegmentSum(
        g.constant([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        g.constant([1, -1, 1], { dtype: 'int32' }),
        2,
      ),
    );
    const md = new g.RunMetadata();
    const sess = new g.Session(graph, { backend: 'onnxruntime' });
    expect(nums(sess.run(y, undefined, { runMetadata: md }))).toEqual([0, 0, 6, 8]);
    expect(md.stepStats.map((s) => s.opType)).toEqual(['OnnxSegment']);
    sess.close();
  });

  it('leaks no tfjs tensor: fallback ops, failed runs and close', () => {
    const m = counterGraph();
    const before = tf.memory().numTensors;
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    sess.run(m.init);
    sess.run(m.picked, [
      [m.idx, [1]],
      [m.axis, 0],
    ]);
    expect(() =>
      sess.run(m.picked, [
        [m.idx, [5]],
        [m.axis, 0],
      ]),
    ).toThrow();
    sess.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('RunMetadata has one entry per ONNX segment and per tfjs op', () => {
    const m = counterGraph();
    const sess = new g.Session(m.graph, { backend: 'onnxruntime' });
    sess.run(m.init);
    const md = new g.RunMetadata();
    sess.run(
      m.picked,
      [
        [m.idx, [1]],
        [m.axis, 0],
      ],
      { runMetadata: md },
    );
    expect(md.stepStats.map((s) => s.opType)).toEqual(['OnnxSegment', 'GatherV2']);
    expect(md.stepStats[1]!.outputShapes).toEqual([[1]]);
    sess.close();
  });
});
