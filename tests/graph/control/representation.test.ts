// The functional representation the GraphDef encoder reads (TF's If/While attrs with function
// graphs), graph snapshots, and running control flow on the wasm backend.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';

describe('If / While representation', () => {
  it('If keeps TF attrs: branches as function graphs taking the full input list', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2], { name: 'x' });
      const k = g.placeholder('int32', [], { name: 'k' });
      const y = g.cond(
        g.greater(k, 0),
        () => g.mul(x, 2),
        () => g.cast(k, 'float32'),
        { name: 'branch' },
      );
      const op = y.op;
      expect(op.name).toBe('branch');
      expect(op.inputs.map((t) => t.name)).toEqual(['Greater:0', 'x:0', 'k:0']);
      const a = op.attrs as g.IfAttrs;
      expect([a.Tcond, a.Tin, a.Tout, a.output_shapes]).toEqual([
        'bool',
        ['float32', 'int32'],
        ['float32'],
        [null],
      ]);
      for (const fg of [a.then_branch, a.else_branch]) {
        expect(fg).toBeInstanceOf(g.FuncGraph);
        expect(fg.inputs.map((t) => [t.op.type, t.dtype])).toEqual([
          ['Placeholder', 'float32'],
          ['Placeholder', 'int32'],
        ]);
        expect(fg.outputs).toHaveLength(1);
      }
      // Graph snapshots list the op with its attrs; the bodies' ops are not in the outer graph.
      const node = graph.asGraphDef().node.find((n) => n.name === 'branch')!;
      expect(node.op).toBe('StatelessIf');
      expect(node.input).toEqual(['Greater', 'x', 'k']);
      expect(graph.getOperations().some((o) => o.type === 'Mul')).toBe(false);
    }));

  it('While keeps T, output_shapes, parallel_iterations, cond and body', () =>
    inGraph(() => {
      const w = g.placeholder('float32', [], { name: 'w' });
      const [, r] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor, v: g.Tensor) => [g.add(i, 1), g.mul(v, w)],
        [g.constant(0, { dtype: 'int32' }), g.constant(1)],
        { parallelIterations: 4, name: 'loop' },
      );
      const op = r!.op;
      expect([op.type, op.name]).toEqual(['StatelessWhile', 'loop']);
      const a = op.attrs as g.WhileAttrs;
      expect(a.T).toEqual(['int32', 'float32', 'float32']);
      expect(a.output_shapes).toEqual([[], []]);
      expect(a.parallel_iterations).toBe(4);
      expect(a.cond.outputs[0]!.dtype).toBe('bool');
      expect(a.body.inputs).toHaveLength(3);
      expect(a.body.outputs).toHaveLength(2);
    }));
});

describe('control flow on wasm', () => {
  it('cond, whileLoop and scan give the cpu results', async () => {
    const graph = new g.Graph();
    const { x, outs } = graph.asDefault(() => {
      const x = g.placeholder('float32', [3]);
      const c = g.cond(
        g.greater(g.reduceSum(x), 0),
        () => g.exp(x),
        () => g.neg(x),
      );
      const [, p] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.mul(a, x)],
        [g.constant(0, { dtype: 'int32' }), g.ones([3])],
      );
      const s = g.scan((a: g.Tensor, v: g.Tensor) => g.add(a, v), x) as g.Tensor;
      return { x, outs: [c, p!, s] };
    });
    const feed: [g.Tensor, number[]][] = [[x, [0.5, -1, 2]]];
    const cpu = new g.Session(graph).run(outs, feed);
    const wasm = (await g.Session.create(graph, { backend: 'wasm' })).run(outs, feed);
    cpu.forEach((r, i) => {
      const w = Array.from(wasm[i]!.data as Float32Array);
      Array.from(r.data as Float32Array).forEach((v, k) => expect(w[k]).toBeCloseTo(v, 4));
    });
  });
});
