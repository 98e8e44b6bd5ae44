// Ports of TensorFlow's own gradients_test.py cases (GradientsTest, StopGradientTest,
// HessianVectorProductTest), same graphs and expected values.
import { AggregationMethod, gradients, registerGradient } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (graph: g.Graph) => T): T => {
  const graph = new g.Graph();
  return graph.asDefault(() => fn(graph));
};
const tensor = (x: unknown): g.Tensor => {
  if (!(x instanceof g.Tensor)) throw new Error(`expected a Tensor, got ${String(x)}`);
  return x;
};
const evalScalar = (graph: g.Graph, t: g.Tensor): number => {
  const sess = new g.Session(graph);
  try {
    return Number(sess.run(t).item());
  } finally {
    sess.close();
  }
};

describe('TF gradients_test.py ports', () => {
  it('testGradients: the weight gradient of matmul is a MatMul with transposeA', () =>
    inGraph(() => {
      const inp = g.constant(1, { shape: [32, 100], name: 'in' });
      const w = g.constant(1, { shape: [100, 10], name: 'w' });
      const b = g.constant(1, { shape: [10], name: 'b' });
      const xw = g.matMul(inp, w, { name: 'xw' });
      const h = g.biasAdd(xw, b, { name: 'h' });
      const wGrad = tensor(gradients(h, w)[0]);
      expect(wGrad.op.type).toBe('MatMul');
      const attrs = wGrad.op.attrs as { transposeA: boolean; transposeB: boolean };
      expect(attrs.transposeA).toBe(true);
      expect(attrs.transposeB).toBe(false);
    }));

  it('testUnusedOutput: an unused split output gets zeros, the gradient is still a MatMul', () =>
    inGraph((graph) => {
      const w = g.constant(1, { shape: [2, 2] });
      const x = g.constant(1, { shape: [2, 2] });
      const wx = g.matMul(w, x);
      const splitWx = g.split(wx, 2, 0);
      const c = g.reduceSum(splitWx[1]!);
      const gw = tensor(gradients(c, [w])[0]);
      expect(gw.op.type).toBe('MatMul');
      const sess = new g.Session(graph);
      expect(Array.from(sess.run(gw).data as Float32Array)).toEqual([0, 0, 2, 2]);
      sess.close();
    }));

  it('testColocateGradients: the gradient lands on the forward op device', () =>
    inGraph((graph) => {
      const w = g.constant(1, { shape: [1, 1] });
      const x = g.constant(1, { shape: [1, 2] });
      const wx = graph.device('/gpu:0', () => g.matMul(w, x));
      const gw = tensor(gradients(wx, [w], { colocateGradientsWithOps: true })[0]);
      expect(gw.op.device).toBe('/gpu:0');
    }));

  it('testColocateGradientsWithAggregation: the sum is colocated with its op', () =>
    inGraph((graph) => {
      const w = graph.device('/gpu:1', () => g.constant(1, { shape: [1, 1] }));
      const x = g.constant(1, { shape: [1, 2] });
      const y = g.constant(1, { shape: [1, 2] });
      const wx = g.matMul(w, x);
      const wy = g.matMul(w, y);
      const z = graph.device('/gpu:0', () => g.add(wx, wy));
      const gw1 = tensor(gradients(z, [w], { colocateGradientsWithOps: true })[0]);
      expect(gw1.op.device).toBe('/gpu:1');
      const gw2 = tensor(gradients(z, [w], { colocateGradientsWithOps: false })[0]);
      expect(gw2.op.device).toBe('');
    }));

  it('testBoundaryStop: x is not differentiated past', () =>
    inGraph(() => {
      const c = g.constant(1);
      const x = g.identity(c);
      const y = g.add(x, 1);
      const z = g.add(y, 1);
      expect(gradients(z, [x]).every((t) => t !== null)).toBe(true);
    }));

  it('testBoundaryContinue: x and its successor y are both differentiated', () =>
    inGraph((graph) => {
      const x = g.constant(1);
      const y = g.mul(x, 2);
      const z = g.mul(y, 3);
      const grads = gradients(z, [x, y]);
      expect(grads.every((t) => t !== null)).toBe(true);
      expect(evalScalar(graph, tensor(grads[0]))).toBe(6);
    }));

  for (const [label, method] of Object.entries({
    AccumulateN: AggregationMethod.EXPERIMENTAL_ACCUMULATE_N,
    AddN: AggregationMethod.ADD_N,
    Tree: AggregationMethod.EXPERIMENTAL_TREE,
  })) {
    it(`testAggregationMethod${label}: z = 10 y, y = 2 x`, () =>
      inGraph((graph) => {
        const x = g.constant(1);
        const y = g.mul(x, 2);
        let z = y;
        for (let i = 1; i < 10; i++) z = g.add(z, y);
        const grads = gradients(z, [x, y], { aggregationMethod: method });
        expect(evalScalar(graph, tensor(grads[0]))).toBe(20);
        expect(evalScalar(graph, tensor(grads[1]))).toBe(10);
      }));
  }

  it('testNoGradientForStringOutputs: a string output receives no gradient', () =>
    inGraph(() => {
      const TestOp = g.defineOp<'x'>({
        type: 'TestOpFloatAndString',
        inputs: ['x'],
        outputs: ({ x }) => [
          { dtype: 'float32', shape: x.shape },
          { dtype: 'string', shape: x.shape },
        ],
        kernel: () => {
          throw new g.UnimplementedError('never run');
        },
      });
      const seen: (g.Tensor | null)[][] = [];
      registerGradient('TestOpFloatAndString', (_op, floatGrad, stringGrad) => {
        seen.push([floatGrad ?? null, stringGrad ?? null]);
        return [floatGrad ?? null];
      });
      const c = g.constant(1);
      const op = TestOp.applyOp({ x: c }, {});
      const z = g.mul(op.outputs[0]!, 2);
      g.mul(z, 3);
      const grads = gradients(z, [c]);
      expect(grads[0]).toBeInstanceOf(g.Tensor);
      expect(seen).toHaveLength(1);
      expect(seen[0]![0]!.dtype).toBe('float32');
      expect(seen[0]![1]).toBeNull();
    }));

  it('StopGradientTest.testStopGradient: no gradient through stopGradient', () =>
    inGraph(() => {
      const inp = g.constant(1, { shape: [100, 32], name: 'in' });
      const out = g.stopGradient(inp);
      expect(gradients(out, inp)[0]).toBeNull();
    }));

  it('HessianVectorProductTest: Hv of xᵀAx is (A + Aᵀ)v', () =>
    inGraph((graph) => {
      const A = [
        [0.5, -1.2, 0.3, 2.0],
        [1.1, 0.4, -0.7, 0.2],
        [-0.3, 0.9, 1.5, -1.1],
        [0.8, -0.6, 0.1, 0.7],
      ];
      const vValue = [[0.3], [-1.0], [0.5], [2.0]];
      const xValue = [[1.0], [0.5], [-0.5], [0.25]];
      const mat = g.constant(A);
      const v = g.constant(vValue);
      const x = g.constant(xValue);
      const matX = g.matMul(mat, x, { name: 'Ax' });
      const xMatX = g.matMul(g.transpose(x), matX, { name: 'xAx' });
      // Hessian-vector product as TF builds it: grad of (grad · stop_gradient(v)).
      const grad = tensor(gradients(xMatX, [x])[0]);
      const hv = tensor(gradients(g.mul(grad, g.stopGradient(v)), [x])[0]);
      const expected = A.map((row, i) =>
        row.reduce((s, _, j) => s + (A[i]![j]! + A[j]![i]!) * vValue[j]![0]!, 0),
      );
      const sess = new g.Session(graph);
      const got = Array.from(sess.run(hv).data as Float32Array);
      sess.close();
      got.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
    }));
});
