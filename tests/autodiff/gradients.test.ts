// Semantics of the gradients() driver, one test per rule of TF's gradients_util.
import {
  AggregationMethod,
  gradients,
  IndexedSlices,
  LookupError,
  registerGradient,
} from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const run = (graph: g.Graph, fetch: g.Tensor, feeds?: g.FeedDict): number[] => {
  const sess = new g.Session(graph);
  try {
    return Array.from(sess.run(fetch, feeds).data as Float32Array);
  } finally {
    sess.close();
  }
};
const dense = (x: g.Tensor | IndexedSlices | null): g.Tensor => {
  if (!(x instanceof g.Tensor)) throw new Error(`expected a dense gradient, got ${x}`);
  return x;
};
const inGraph = <T>(fn: (graph: g.Graph) => T): T => {
  const graph = new g.Graph();
  return graph.asDefault(() => fn(graph));
};

describe('gradients(): values and structure', () => {
  it('differentiates a polynomial: d(x² + 3x)/dx = 2x + 3', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2, 3], { name: 'x' });
      const y = g.add(g.mul(x, x), g.mul(3, x));
      const [dx] = gradients(y, x);
      expect(run(graph, dense(dx!))).toEqual([5, 7, 9]);
    }));

  it('sums over ys', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      const [dx] = gradients([g.mul(x, 2), g.mul(x, x)], [x]);
      expect(run(graph, dense(dx!))).toEqual([4, 6]);
    }));

  it('emits ops under a uniquified gradients scope, one <op>_grad scope per forward op', () =>
    inGraph((graph) => {
      const x = g.constant(2, { name: 'x' });
      const y = g.mul(x, x, { name: 'square_me' });
      gradients(y, x);
      gradients(y, x);
      const names = graph.getOperations().map((op) => op.name);
      expect(names.some((n) => n.startsWith('gradients/square_me_grad/'))).toBe(true);
      expect(names.some((n) => n.startsWith('gradients_1/square_me_grad/'))).toBe(true);
      expect(gradients(y, x, { name: 'my_grads' })[0]!.name).toMatch(/^my_grads\//);
    }));

  it("gives every gradient op the creation site of the user's gradients() call", () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      const y = g.mul(g.sigmoid(x), x);
      const before = graph.numOps;
      const line = Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[1]!)![1]) + 1;
      gradients(y, x);
      const sites = new Set(
        graph
          .getOperations()
          .slice(before)
          .map((op) => op.creationSite),
      );
      expect([...sites]).toHaveLength(1);
      expect([...sites][0]).toMatch(new RegExp(`gradients\\.test\\.ts:${line}:`));
    }));

  it('takes gradients of gradients: d²(x³)/dx² = 6x', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      const y = g.mul(g.mul(x, x), x);
      const [dx] = gradients(y, x);
      const [ddx] = gradients(dense(dx!), x);
      expect(run(graph, dense(ddx!))).toEqual([6, 12]);
    }));

  it('differentiates with respect to a Variable through its read snapshot', () =>
    inGraph((graph) => {
      const w = g.variable([1, -2], { name: 'w' });
      const [dw] = gradients(g.reduceSum(g.mul(w, w)), w);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(Array.from(sess.run(dense(dw!)).data as Float32Array)).toEqual([2, -4]);
      sess.close();
    }));

  it('builds the default seed from the dynamic shape of y (unknown dims work)', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [null, 2], { name: 'x' });
      const [dx] = gradients(g.mul(x, 3), x);
      expect(
        run(graph, dense(dx!), {
          'x:0': [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
        }),
      ).toEqual([3, 3, 3, 3, 3, 3]);
    }));
});

describe('gradients(): gradYs', () => {
  it('uses the given seeds, tensors or plain values', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      const [dx] = gradients(g.mul(x, x), x, { gradYs: [[10, 100]] });
      expect(run(graph, dense(dx!))).toEqual([20, 400]);
      const [dx2] = gradients(g.mul(x, x), x, { gradYs: [g.constant([1, 0])] });
      expect(run(graph, dense(dx2!))).toEqual([2, 0]);
    }));

  it('validates count, dtype and shape', () =>
    inGraph(() => {
      const x = g.constant([1, 2], { name: 'x' });
      const y = g.mul(x, x);
      expect(() => gradients(y, x, { gradYs: [null, null] })).toThrow(/Passed 2 grad_ys for 1 ys/);
      expect(() => gradients(y, x, { gradYs: [g.constant([1, 2], { dtype: 'int32' })] })).toThrow(
        g.TypeError,
      );
      expect(() => gradients(y, x, { gradYs: [g.constant([1, 2, 3])] })).toThrow(/incompatible/);
    }));
});

describe('gradients(): what gets no gradient', () => {
  it('returns null for unconnected xs, or zeros with unconnectedGradients: zero', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      const z = g.constant([5, 6, 7], { name: 'z' });
      const y = g.mul(x, 2);
      expect(gradients(y, [x, z])[1]).toBeNull();
      const [, dz] = gradients(y, [x, z], { unconnectedGradients: 'zero' });
      expect(run(graph, dense(dz!))).toEqual([0, 0, 0]);
    }));

  it('treats integer tensors as constants', () =>
    inGraph(() => {
      const i = g.constant([1, 2], { dtype: 'int32', name: 'i' });
      const y = g.mul(g.cast(i, 'float32'), 2);
      expect(gradients(y, i)).toEqual([null]);
      expect(gradients(g.mul(i, i), i)).toEqual([null]);
    }));

  it('stops at stopGradients while those tensors get their own gradient (TF doc example)', () =>
    inGraph((graph) => {
      const a = g.constant(0, { name: 'a' });
      const b = g.mul(2, a, { name: 'b' });
      const total = gradients(g.add(a, b), [a, b]);
      expect(total.map((t) => run(graph, dense(t))[0])).toEqual([3, 1]);
      const partial = gradients(g.add(a, b), [a, b], { stopGradients: [a, b] });
      expect(partial.map((t) => run(graph, dense(t))[0])).toEqual([1, 1]);
    }));

  it('does not differentiate through stopGradient', () =>
    inGraph((graph) => {
      const x = g.constant(3, { name: 'x' });
      const y = g.add(g.mul(g.stopGradient(x), x), x);
      expect(run(graph, dense(gradients(y, x)[0]!))).toEqual([4]);
    }));
});

describe('gradients(): errors', () => {
  it('names an op without a rule', () =>
    inGraph(() => {
      const Mystery = g.defineOp<'x'>({
        type: 'MysteryForGradTest',
        inputs: ['x'],
        shape: ({ x }) => x.shape,
        dtype: ({ x }) => x.dtype,
        kernel: ({ x }) => x,
      });
      const x = g.constant(1, { name: 'x' });
      const y = Mystery.apply({ x }, {}, { name: 'mystery' });
      expect(() => gradients(y, x)).toThrow(LookupError);
      expect(() => gradients(y, x)).toThrow(
        "No gradient defined for operation 'mystery' (op type: MysteryForGradTest)",
      );
    }));

  it('rejects a rule returning the wrong number of gradients or a misshapen one', () =>
    inGraph(() => {
      const Two = g.defineOp<'x'>({
        type: 'BadArityForGradTest',
        inputs: ['x'],
        shape: ({ x }) => x.shape,
        dtype: ({ x }) => x.dtype,
        kernel: ({ x }) => x,
      });
      registerGradient('BadArityForGradTest', (_op, dy) => [dy, dy]);
      const x = g.constant([1, 2], { name: 'x' });
      expect(() => gradients(Two.apply({ x }, {}), x)).toThrow(
        /Num gradients 2 generated for op .* do not match num inputs 1/,
      );
      registerGradient('BadArityForGradTest', () => [g.constant([1, 2, 3])]);
      expect(() => gradients(Two.apply({ x }, {}), x)).toThrow(
        /Incompatible shapes between op input and calculated input gradient/,
      );
    }));

  it('rejects an unknown unconnectedGradients value', () =>
    inGraph(() => {
      const x = g.constant(1);
      // @ts-expect-error: an invalid value, as a JS caller could pass
      expect(() => gradients(g.mul(x, x), x, { unconnectedGradients: 'zeros' })).toThrow(
        "Unknown value for unconnected_gradients: 'zeros'",
      );
    }));

  it('rejects an unknown aggregation method', () =>
    inGraph(() => {
      const x = g.constant(1);
      expect(() => gradients(g.mul(x, x), x, { aggregationMethod: 7 })).toThrow(
        'Invalid aggregation_method specified 7.',
      );
    }));
});

describe('gradients(): gating, aggregation, colocation', () => {
  const fanOut = (shape: g.Shape | null = [2]) => {
    const x = g.placeholder('float32', shape, { name: 'x' });
    const y = g.addN([g.mul(x, 1), g.mul(x, 2), g.mul(x, 3)]);
    return { x, y };
  };
  const feeds = { 'x:0': [1, 2] };

  it('gates multi-input gradients through tuple (NoOp gate + Identity with a control input)', () =>
    inGraph((graph) => {
      const a = g.constant([1, 2], { name: 'a' });
      const b = g.constant([3, 4], { name: 'b' });
      const [da, db] = gradients(g.mul(a, b, { name: 'prod' }), [a, b], { gateGradients: true });
      const gateOp = graph.getOperationByName('gradients/prod_grad/tuple/group_deps');
      expect(gateOp.type).toBe('NoOp');
      for (const d of [da, db]) {
        const t = dense(d!);
        expect(t.op.type).toBe('Identity');
        expect(t.op.controlInputs).toContain(gateOp);
      }
      expect(run(graph, dense(da!))).toEqual([3, 4]);
    }));

  it('gates only gradients that lead to an x, so an unneeded input gradient is never forced', () =>
    inGraph((graph) => {
      const images = g.placeholder('float32', [2, 3], { name: 'images' });
      const w = g.variable(g.ones([3, 4]), { name: 'w' });
      const y = g.matMul(images, w, { name: 'layer' });
      const [dw] = gradients(g.reduceSum(y), w, { gateGradients: true });
      const gradOps = graph.getOperations().filter((op) => op.name.startsWith('gradients/layer_grad/'));
      // No tuple: only one of MatMul's two input gradients is wanted.
      expect(gradOps.some((op) => op.type === 'NoOp')).toBe(false);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const meta = new g.RunMetadata();
      sess.run(
        dense(dw!),
        {
          'images:0': [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
        { runMetadata: meta },
      );
      expect(
        meta.stepStats.filter((s) => s.opType === 'MatMul' || s.opType === 'BatchMatMulV2'),
      ).toHaveLength(1);
      sess.close();
    }));

  it('ADD_N: one AddN per output with several contributions', () =>
    inGraph((graph) => {
      const { x, y } = fanOut();
      const [dx] = gradients(y, x, { aggregationMethod: AggregationMethod.ADD_N });
      expect(dense(dx!).op.type).toBe('AddN');
      expect(dense(dx!).op.inputs).toHaveLength(3);
      expect(run(graph, dense(dx!), feeds)).toEqual([6, 6]);
    }));

  it('EXPERIMENTAL_TREE: a left fold of two-input AddNs under <op>_gradient_sum', () =>
    inGraph((graph) => {
      const { x, y } = fanOut();
      const [dx] = gradients(y, x, { aggregationMethod: AggregationMethod.EXPERIMENTAL_TREE });
      const sums = graph.getOperations().filter((op) => op.name.startsWith('gradients/x_gradient_sum/'));
      expect(sums.map((op) => [op.type, op.inputs.length])).toEqual([
        ['AddN', 2],
        ['AddN', 2],
      ]);
      expect(run(graph, dense(dx!), feeds)).toEqual([6, 6]);
    }));

  it('EXPERIMENTAL_ACCUMULATE_N: AccumulateNV2 for > 2 contributions of known shape, else the tree', () => {
    inGraph((graph) => {
      const { x, y } = fanOut();
      const [dx] = gradients(y, x, { aggregationMethod: AggregationMethod.EXPERIMENTAL_ACCUMULATE_N });
      expect(dense(dx!).op.type).toBe('AccumulateNV2');
      expect(run(graph, dense(dx!), feeds)).toEqual([6, 6]);
    });
    inGraph((graph) => {
      const { x, y } = fanOut([null]);
      const [dx] = gradients(y, x, { aggregationMethod: AggregationMethod.EXPERIMENTAL_ACCUMULATE_N });
      expect(graph.getOperations().some((op) => op.type === 'AccumulateNV2')).toBe(false);
      expect(dense(dx!).op.name).toMatch(/^gradients\/x_gradient_sum\//);
      expect(run(graph, dense(dx!), feeds)).toEqual([6, 6]);
    });
  });

  it('colocates gradient ops with their forward ops on request', () =>
    inGraph((graph) => {
      const x = g.constant([1, 2], { name: 'x' });
      g.device('/cpu:0', () => g.mul(x, x, { name: 'sq' }));
      const y = graph.getTensorByName('sq:0');
      gradients(y, x, { colocateGradientsWithOps: true });
      const gradOps = graph.getOperations().filter((op) => op.name.startsWith('gradients/sq_grad/'));
      expect(gradOps.length).toBeGreaterThan(0);
      for (const op of gradOps) {
        expect(op.colocationGroups).toContain('loc:@sq');
        expect(op.device).toBe('/cpu:0');
      }
    }));
});

describe('gradients(): IndexedSlices', () => {
  it('gather yields IndexedSlices; contributions concatenate; a dense consumer densifies', () =>
    inGraph((graph) => {
      const params = g.constant(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { name: 'params' },
      );
      const y1 = g.gather(params, g.constant([0, 2], { dtype: 'int32' }));
      const y2 = g.gather(params, g.constant([2], { dtype: 'int32' }));
      const [sparse] = gradients([y1, y2], params);
      expect(sparse).toBeInstanceOf(IndexedSlices);
      const s = sparse as IndexedSlices;
      const sess = new g.Session(graph);
      expect(Array.from(sess.run(s.indices).data as Int32Array)).toEqual([0, 2, 2]);
      sess.close();
      // A dense contribution forces a dense sum.
      const [mixed] = gradients([y1, g.mul(params, 2)], params);
      expect(run(graph, dense(mixed!))).toEqual([3, 3, 2, 2, 3, 3]);
      // An op whose rule needs a dense dy gets the IndexedSlices densified.
      const scaled = g.mul(params, 3);
      const [through] = gradients(g.gather(scaled, g.constant([1, 1], { dtype: 'int32' })), params);
      expect(run(graph, dense(through!))).toEqual([0, 0, 6, 6, 0, 0]);
    }));
});
