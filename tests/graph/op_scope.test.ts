// Builders follow TF 1.15's `_apply_op_helper` / `name_scope(name, default_name, values)`: they
// build in the graph of their symbolic inputs (not the default graph), and the constants made
// from plain JS arguments are named inside the op's own scope ('Reshape/shape').
import * as g from '@graphmode/graph';
import { summary } from '@graphmode/train';
import { describe, expect, it } from 'vitest';

type Inputs = { x: g.Tensor; m: g.Tensor; v: g.Variable; i: g.Tensor };
type Build = (t: Inputs) => unknown;

// Each row uses plain JS arguments next to tensors from a non-default graph.
const cases: [string, Build][] = [
  ['reduceSum', ({ x }) => g.reduceSum(x, 0)],
  ['reduceMean keepDims', ({ m }) => g.reduceMean(m, [1], { keepDims: true })],
  ['reduceLogSumExp', ({ m }) => g.reduceLogSumExp(m, 1)],
  ['argMax', ({ m }) => g.argMax(m, 1)],
  ['cumsum', ({ x }) => g.cumsum(x, 0)],
  ['gather', ({ x }) => g.gather(x, [0])],
  ['concat', ({ x }) => g.concat([x, x], 0)],
  ['concat with a plain value', ({ x }) => g.concat([x, [5, 6]], 0)],
  ['stack', ({ x }) => g.stack([x, [1, 2]])],
  ['split', ({ m }) => g.split(m, [1, 2], 1)],
  ['reshape', ({ x }) => g.reshape(x, [2, 1])],
  ['transpose', ({ m }) => g.transpose(m, [1, 0])],
  ['expandDims', ({ x }) => g.expandDims(x, 0)],
  ['tile', ({ x }) => g.tile(x, [2])],
  ['pad', ({ x }) => g.pad(x, [[1, 1]], { constantValues: 3 })],
  ['slice', ({ m }) => g.slice(m, [0, 1], [1, 2])],
  ['stridedSlice', ({ m }) => g.stridedSlice(m, [0, 0], [1, 2])],
  ['oneHot', ({ i }) => g.oneHot(i, 3)],
  ['where', ({ x }) => g.where(g.greater(x, 0), x, [0, 0])],
  ['broadcastTo', ({ x }) => g.broadcastTo(x, [3, 2])],
  ['fill-like zerosLike', ({ x }) => g.zerosLike(x)],
  ['range from a tensor', ({ i }) => g.range(0, g.size(i))],
  ['matMul', ({ m }) => g.matMul([[1]], m)],
  ['biasAdd', ({ m }) => g.biasAdd(m, [1, 2, 3])],
  ['cast', ({ x }) => g.cast(x, 'int32')],
  ['addN', ({ x }) => g.addN([x, [1, 1]])],
  ['clipByValue', ({ x }) => g.clipByValue(x, 0, 1)],
  ['clipByNorm', ({ x }) => g.clipByNorm(x, 1)],
  ['globalNorm', ({ x, v }) => g.globalNorm([x, v])],
  ['moments', ({ x }) => g.moments(x, [0])],
  ['batchNormalization', ({ x }) => g.batchNormalization(x, 0, 1, 0, 1, 1e-3)],
  ['l2Normalize', ({ x }) => g.l2Normalize(x)],
  [
    'sigmoidCrossEntropyWithLogits',
    ({ x }) => g.sigmoidCrossEntropyWithLogits({ labels: [0, 1], logits: x }),
  ],
  [
    'softmaxCrossEntropyWithLogits',
    ({ m }) => g.softmaxCrossEntropyWithLogits({ labels: [[0, 1, 0]], logits: m }),
  ],
  ['dropout', ({ x }) => g.dropout(x, { rate: 0.5 })],
  ['randomUniform with a tensor shape', ({ i }) => g.randomUniform(g.shape(i))],
  ['losses.meanSquaredError', ({ x }) => g.losses.meanSquaredError(x, x)],
  ['losses.softmaxCrossEntropy', ({ m }) => g.losses.softmaxCrossEntropy([[0, 1, 0]], m)],
  ['variable operand', ({ v }) => g.mul(v, 2)],
  ['summary.scalar', ({ x }) => summary.scalar('s', g.reduceSum(x))],
  ['summary.histogram', ({ x }) => summary.histogram('h', x)],
];

function inputsIn(graph: g.Graph): Inputs {
  return graph.asDefault(() => ({
    x: g.placeholder('float32', [2], { name: 'x' }),
    m: g.placeholder('float32', [1, 3], { name: 'm' }),
    v: g.variable([1, 2], { name: 'v' }),
    i: g.placeholder('int32', [2], { name: 'i' }),
  }));
}

describe('builders build in the graph of their inputs', () => {
  it.each(cases)('%s, called outside asDefault', (_, build) => {
    g.resetDefaultGraph();
    const graph = new g.Graph();
    const inputs = inputsIn(graph);
    const before = graph.numOps;
    const out = build(inputs);
    const outs = (Array.isArray(out) ? out : [out]).flat() as (g.Tensor | null)[];
    for (const t of outs) if (t !== null) expect(t.graph).toBe(graph);
    expect(graph.numOps).toBeGreaterThan(before);
    expect(g.getDefaultGraph().numOps).toBe(0);
    expect(g.getDefaultGraph()).not.toBe(graph);
  });
});

describe('constants are named inside the op scope (TF 1.15 names)', () => {
  const names = (graph: g.Graph) => graph.getOperations().map((op) => op.name);

  it('reshape: Reshape/shape, then Reshape_1/shape', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [6], { name: 'x' });
      expect(g.reshape(x, [2, 3]).op.name).toBe('Reshape');
      expect(g.reshape(x, [3, 2]).op.name).toBe('Reshape_1');
      expect(g.reshape(x, [6], { name: 'r' }).op.name).toBe('r');
      expect(g.reshape(x, [6], { name: 'r' }).op.name).toBe('r_1');
    });
    expect(names(graph)).toEqual([
      'x',
      'Reshape/shape',
      'Reshape',
      'Reshape_1/shape',
      'Reshape_1',
      'r/shape',
      'r',
      'r_1/shape',
      'r_1',
    ]);
  });

  it('reduceSum: Sum/reduction_indices; all axes take a Const at the caller level', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 2], { name: 'x' });
      g.reduceSum(x, 0);
      g.nameScope('outer', () => g.reduceSum(x));
    });
    expect(names(graph)).toEqual(['x', 'Sum/reduction_indices', 'Sum', 'outer/Const', 'outer/Sum']);
    expect(graph.getOperationByName('Sum').inputs[1]!.op.name).toBe('Sum/reduction_indices');
  });

  it('transpose: transpose/perm, with or without an explicit perm', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      g.transpose(x, [1, 0]);
      g.transpose(x);
    });
    expect(names(graph)).toEqual(['x', 'transpose/perm', 'transpose', 'transpose_1/perm', 'transpose_1']);
  });

  it('binary ops: Add/y, MatMul/b; a user name after an op keeps no suffix', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 2], { name: 'x' });
      g.add(x, 1);
      g.matMul(x, [[1], [2]]);
      g.reshape(x, [4]);
      expect(g.shape(x, { name: 'shape', optimize: false }).op.name).toBe('shape');
    });
    expect(names(graph)).toEqual([
      'x',
      'Add/y',
      'Add',
      'MatMul/b',
      'MatMul',
      'Reshape/shape',
      'Reshape',
      'shape',
    ]);
  });

  it('gather, concat, expandDims name their converted arguments after the op inputs', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2], { name: 'x' });
      g.gather(x, [0]);
      g.concat([x, x], 0);
      g.expandDims(x, 1);
    });
    expect(names(graph)).toEqual([
      'x',
      'GatherV2/indices',
      'GatherV2/axis',
      'GatherV2',
      'concat/axis',
      'concat',
      'ExpandDims/dim',
      'ExpandDims',
    ]);
  });

  it('values stay as before: the scoped constants feed the same computation', () => {
    const graph = new g.Graph();
    const [y, s] = graph.asDefault(() => {
      const x = g.constant([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      return [g.transpose(g.reshape(x, [3, 2])), g.reduceSum(x, 1, { keepDims: true })];
    });
    const sess = new g.Session(graph);
    try {
      const [yv, sv] = sess.run([y!, s!]);
      expect(Array.from(yv.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
      expect(yv.shape).toEqual([2, 3]);
      expect(Array.from(sv.data as Float32Array)).toEqual([6, 15]);
    } finally {
      sess.close();
    }
  });
});

describe('the options object may stand in for an omitted optional positional argument', () => {
  it('reduceSum(x, {keepDims}), transpose(x, {name}), range(n, {dtype}), argMax(x, {name})', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3], { name: 'x' });
      const s = g.reduceSum(x, { keepDims: true, name: 'total' });
      expect(s.shape).toEqual([1, 1]);
      expect(s.op.name).toBe('total');
      expect(g.reduceMean(x, { keepDims: false }).shape).toEqual([]);
      expect(g.reduceLogSumExp(x, { keepDims: true }).shape).toEqual([1, 1]);
      const t = g.transpose(x, { name: 't' });
      expect([t.op.name, t.shape]).toEqual(['t', [3, 2]]);
      const r = g.range(4, { dtype: 'float32', name: 'r' });
      expect([r.op.name, r.dtype, r.shape]).toEqual(['r', 'float32', [4]]);
      const r2 = g.range(1, 7, { name: 'r2' });
      expect([r2.op.name, r2.shape]).toEqual(['r2', [6]]);
      expect(g.argMax(x, { name: 'am' }).op.name).toBe('am');
      expect(g.argMax(x, { name: 'am2' }).shape).toEqual([3]);
      expect(g.cumsum(x, { exclusive: true, name: 'cs' }).op.attrs).toMatchObject({ exclusive: true });
      const parts = g.split(x, [1, 1], { name: 'sp' });
      expect([parts[0]!.op.name, parts.map((p) => p.shape)]).toEqual([
        'sp',
        [
          [1, 3],
          [1, 3],
        ],
      ]);
      const ss = g.stridedSlice(x, [0, 1], [2, 3], { name: 'ss', beginMask: 1 });
      expect([ss.op.name, ss.shape]).toEqual(['ss', [2, 2]]);
    });
  });
});
