// Every registered op declares TF's attr schema, and it matches TF 1.15's registry (the fixture);
// the schema is read forwards (tfAttrValues) and backwards (attrsFromTf) as GraphDef I/O does.
import '@graphmode/train';
import * as g from '@graphmode/graph';
import {
  AccumulateNV2,
  AddN,
  attrsFromTf,
  Cast,
  ConcatV2,
  Conv2D,
  constant,
  Graph,
  getOpDef,
  MatMul,
  placeholder,
  registeredOps,
  tfAttrValues,
  UnimplementedError,
  ValueError,
} from '@graphmode/graph';
import * as t from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { TF115_OP_ATTRS } from '../fixtures/tf115_op_attrs.js';

// Ops graphmode defines that TF 1.15 does not have (their schemas follow TF's sibling ops).
const GRAPHMODE_ONLY = new Set(['ReportUninitializedVariables', 'SparseApplyAdam', 'ScatterDecay']);

const attrsOf = (op: g.Operation) => Object.fromEntries(tfAttrValues(op).map(([n, a]) => [n, a.value]));
const inGraph = <T>(fn: () => T): T => new Graph().asDefault(fn);

describe('TF attr schemas', () => {
  it('every registered op type declares a schema', () => {
    const missing = [...registeredOps()].filter(([, def]) => def.attrs === null).map(([t]) => t);
    expect(missing).toEqual([]);
  });

  it("every TF op type's schema has exactly TF 1.15's attr names, types and defaults", () => {
    const ours: Record<string, Record<string, unknown[]>> = {};
    for (const [type, def] of registeredOps()) {
      if (GRAPHMODE_ONLY.has(type)) continue;
      ours[type] = Object.fromEntries(
        Object.entries(def.attrs!).map(([name, s]) => [
          name,
          'default' in s ? [s.type, s.default] : [s.type],
        ]),
      );
    }
    const tf = Object.fromEntries(Object.keys(ours).map((t) => [t, TF115_OP_ATTRS[t]]));
    expect(ours).toEqual(tf);
  });

  it('the graphmode-only op types are not TF ops', () => {
    for (const t of GRAPHMODE_ONLY) {
      expect(getOpDef(t), t).toBeDefined();
      expect(TF115_OP_ATTRS[t], t).toBeUndefined();
    }
  });

  it('reads type attrs from input and output dtypes, N from the list, and 0/false values', () =>
    inGraph(() => {
      const a = placeholder('float32', [2, 3]);
      const m = MatMul.applyOp(
        { a, b: placeholder('float32', [3, 4]) },
        { transposeA: false, transposeB: false },
      );
      expect(tfAttrValues(m)).toEqual([
        ['T', { type: 'type', value: 'float32' }],
        ['transpose_a', { type: 'bool', value: false }],
        ['transpose_b', { type: 'bool', value: false }],
      ]);
      const c = Cast.applyOp({ x: a }, { dtype: 'int32' });
      expect(attrsOf(c)).toEqual({ DstT: 'int32', SrcT: 'float32', Truncate: false });
      const k = ConcatV2.applyOp({ values: [a, a, a, constant(1, { dtype: 'int32' })] }, {});
      expect(attrsOf(k)).toEqual({ N: 3, T: 'float32', Tidx: 'int32' });
      expect(attrsOf(AddN.applyOp({ inputs: [a, a] }, {}))).toEqual({ N: 2, T: 'float32' });
      expect(attrsOf(AccumulateNV2.applyOp({ inputs: [a, a] }, {})).shape).toEqual([2, 3]);
      const x = placeholder('float32', [1, 5, 5, 2]);
      const conv = g.conv2d(x, placeholder('float32', [3, 3, 2, 4]), { strides: 2, padding: 'SAME' });
      expect(attrsOf(conv.op)).toEqual({
        T: 'float32',
        data_format: 'NHWC',
        dilations: [1, 1, 1, 1],
        explicit_paddings: [],
        padding: 'SAME',
        strides: [1, 2, 2, 1],
        use_cudnn_on_gpu: true,
      });
      expect(conv.op.def).toBe(Conv2D);
      const w = g.variable([1, 2], { name: 'w' });
      expect(attrsOf(w.op)).toEqual({ container: '', dtype: 'float32', shape: [2], shared_name: '' });
      const phUnknown = placeholder('int32');
      expect(attrsOf(phUnknown.op)).toEqual({ dtype: 'int32', shape: null });
      const am = g.argMax(a, 1);
      expect(attrsOf(am.op)).toEqual({ T: 'float32', Tidx: 'int32', output_type: 'int32' });
    }));

  it('maps TF attrs back to ours: defaults fill missing ones, unsupported options are errors', () => {
    const mm = MatMul.attrs!;
    expect(attrsFromTf('MatMul', mm, { T: 'float32', transpose_a: true })).toEqual({
      transposeA: true,
      transposeB: false,
    });
    const conv = Conv2D.attrs!;
    const ok = { T: 'float32', strides: [1, 1, 1, 1], padding: 'VALID' };
    expect(attrsFromTf('Conv2D', conv, ok)).toEqual({
      strides: [1, 1, 1, 1],
      padding: 'VALID',
      dataFormat: 'NHWC',
      dilations: [1, 1, 1, 1],
    });
    expect(() => attrsFromTf('Conv2D', conv, { ...ok, use_cudnn_on_gpu: false })).toThrow(UnimplementedError);
    expect(() => attrsFromTf('Conv2D', conv, { ...ok, explicit_paddings: [0, 0, 1, 1, 1, 1, 0, 0] })).toThrow(
      /Conv2D: attr explicit_paddings=\[0,0,1,1,1,1,0,0\] is not supported/,
    );
    expect(() => attrsFromTf('Conv2D', conv, { T: 'float32', padding: 'SAME' })).toThrow(ValueError);
    expect(() => attrsFromTf('Conv2D', conv, { T: 'float32', padding: 'SAME' })).toThrow(
      /missing required attr 'strides'/,
    );
  });

  it("every op the optimizers and summaries build keeps its attrs through TF's schema", () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const optimizers = [
        new t.GradientDescentOptimizer(0.1),
        new t.MomentumOptimizer(0.1, 0.9, { useNesterov: true }),
        new t.AdagradOptimizer(0.1),
        new t.AdamOptimizer(),
        new t.AdamWOptimizer({ weightDecay: 0.01 }),
        new t.RMSPropOptimizer(0.1),
        new t.RMSPropOptimizer(0.1, { centered: true, momentum: 0.5 }),
      ];
      optimizers.forEach((opt, i) => {
        const dense = g.variable(
          [
            [1, 2],
            [3, 4],
          ],
          { name: `dense${i}` },
        );
        const table = g.variable(
          [
            [1, 2],
            [3, 4],
          ],
          { name: `table${i}` },
        );
        const loss = g.add(g.reduceSum(g.square(dense)), g.reduceSum(g.gather(table, [0, 0])));
        opt.minimize(loss);
      });
      const s = t.summary.scalar('loss', g.constant(1));
      t.summary.merge([s, t.summary.histogram('h', g.constant([1, 2]))]);
    });
    const types = new Set<string>();
    for (const op of graph.getOperations()) {
      types.add(op.type);
      const tfAttrs = Object.fromEntries(tfAttrValues(op).map(([n, a]) => [n, a.value]));
      expect(attrsFromTf(op.type, op.def.attrs!, tfAttrs), `${op.name} (${op.type})`).toEqual({
        ...op.attrs,
      });
    }
    for (const type of [
      'ApplyMomentum',
      'SparseApplyAdagrad',
      'ApplyAdam',
      'SparseApplyAdam',
      'ScatterDecay',
    ]) {
      expect(types, type).toContain(type);
    }
    for (const type of ['SparseApplyCenteredRMSProp', 'ScatterSub', 'MergeSummary', 'HistogramSummary']) {
      expect(types, type).toContain(type);
    }
  });

  it('a schema reading an input the op does not have is rejected when the op is defined', () => {
    const spec = {
      inputs: ['x'] as const,
      shape: ({ x }: { x: g.Tensor }) => x.shape,
      dtype: ({ x }: { x: g.Tensor }) => x.dtype,
      kernel: ({ x }: { x: unknown }) => x as never,
    };
    const bad = { T: g.typeOf('y') } as unknown as g.AttrSchema<'x', never>;
    expect(() => g.defineOp<'x'>({ ...spec, type: 'SchemaTestBadInput', attrs: bad })).toThrow(
      /Op type 'SchemaTestBadInput': attr 'T' reads 'y', which is not such an input/,
    );
    const badN = { N: g.lengthOf('x') } as g.AttrSchema<'x', never>;
    expect(() => g.defineOp<'x'>({ ...spec, type: 'SchemaTestBadList', attrs: badN })).toThrow(
      /attr 'N' reads 'x'/,
    );
    expect(getOpDef('SchemaTestBadInput')).toBeUndefined();
  });

  it('an op defined without a schema cannot be serialized, with a clear error', () =>
    inGraph(() => {
      const Bare = g.defineOp<'x'>({
        type: 'SchemaTestBare',
        inputs: ['x'],
        shape: ({ x }) => x.shape,
        dtype: ({ x }) => x.dtype,
        kernel: ({ x }) => x,
      });
      expect(Bare.attrs).toBeNull();
      const op = Bare.applyOp({ x: constant(1) }, {});
      expect(() => tfAttrValues(op)).toThrow(/SchemaTestBare declares no TF attr schema/);
    }));
});
