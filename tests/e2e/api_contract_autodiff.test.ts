// API contract audit, §3 of API.md: `gradients` and every option, the rule registry,
// IndexedSlices and AggregationMethod, called exactly as API.md writes them. Reference values are
// closed-form derivatives or TF 1.15's own gradients_test cases.
import {
  AggregationMethod,
  type GradientRule,
  gradients,
  IndexedSlices,
  LookupError,
  notDifferentiable,
  registerGradient,
} from '@graphmode/autodiff';
import {
  add,
  constant,
  defineOp,
  device,
  exp,
  Graph,
  gather,
  globalVariablesInitializer,
  identity,
  matMul,
  mul,
  placeholder,
  reduceSum,
  Session,
  square,
  sub,
  Tensor,
  tanh,
  type Variable,
  variable,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';

function build<T>(fn: () => T): { g: Graph; sess: Session; out: T } {
  const g = new Graph();
  const out = g.asDefault(fn);
  return { g, sess: new Session(g), out };
}

/** A dense gradient (fails the test on null or IndexedSlices). */
function dense(g: Tensor | IndexedSlices | null | undefined): Tensor {
  expect(g).toBeInstanceOf(Tensor);
  return g as Tensor;
}

function close(actual: unknown, expected: unknown, tol = 1e-5): void {
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    expect(a.length).toBe(expected.length);
    expected.forEach((e, i) => close(a[i], e, tol));
  } else expect(Math.abs((actual as number) - (expected as number))).toBeLessThanOrEqual(tol);
}

describe('§3 gradients(ys, xs, opts)', () => {
  it('has the documented signature and return type', () => {
    expectTypeOf<Tensor>().toMatchTypeOf<Parameters<typeof gradients>[0]>();
    expectTypeOf<Tensor[]>().toMatchTypeOf<Parameters<typeof gradients>[0]>();
    expectTypeOf<Variable[]>().toMatchTypeOf<Parameters<typeof gradients>[1]>();
    expectTypeOf(gradients).returns.toEqualTypeOf<(Tensor | IndexedSlices | null)[]>();
    const { sess, out } = build(() => {
      const x = constant([1, 2, 3]);
      const w = variable([2, 3, 4], { name: 'w' });
      const y = reduceSum(mul(mul(x, x), w));
      const single = gradients(y, x);
      const list = gradients([y], [x, w]);
      return { single, list, init: globalVariablesInitializer() };
    });
    expect(out.single).toHaveLength(1);
    sess.run(out.init);
    close(sess.run(dense(out.single[0])).toArray(), [4, 12, 24]);
    close(sess.run(dense(out.list[0])).toArray(), [4, 12, 24]);
    close(sess.run(dense(out.list[1])).toArray(), [1, 4, 9]);
  });

  it('sums over several ys; gradient ops are ordinary ops under the `name` scope (default "gradients")', () => {
    const { g, sess, out } = build(() => {
      const x = constant(3);
      const [d1] = gradients([square(x), mul(x, 2)], x);
      const [d2] = gradients(exp(x), x, { name: 'my_grads' });
      return { d1: dense(d1), d2: dense(d2) };
    });
    close(sess.run(out.d1).item(), 8);
    close(sess.run(out.d2).item(), Math.exp(3), 1e-3);
    const names = g.getOperations().map((o) => o.name);
    expect(names.some((n) => n.startsWith('gradients/'))).toBe(true);
    expect(names.some((n) => n.startsWith('my_grads/'))).toBe(true);
    expect(out.d2.op.name.startsWith('my_grads/')).toBe(true);
  });

  it('gradYs: Tensors, TensorLikes or null per y', () => {
    const { sess, out } = build(() => {
      const x = constant([1, 2]);
      const y1 = mul(x, 3);
      const y2 = square(x);
      const [a] = gradients(y1, x, { gradYs: [constant([1, 10])] });
      const [b] = gradients([y1, y2], x, { gradYs: [[2, 2], null] });
      return { a: dense(a), b: dense(b) };
    });
    close(sess.run(out.a).toArray(), [3, 30]);
    close(sess.run(out.b).toArray(), [6 + 2, 6 + 4]);
  });

  it('gradients of gradients work', () => {
    const { sess, out } = build(() => {
      const x = constant([0.5, -1]);
      const y = tanh(mul(x, x));
      const [dx] = gradients(y, x);
      const [d2x] = gradients(dense(dx), x);
      return { d2x: dense(d2x) };
    });
    // d²/dx² tanh(x²) = 2 sech²(x²) - 8 x² sech²(x²) tanh(x²)
    const f2 = (x: number) => {
      const t = Math.tanh(x * x);
      const s = 1 - t * t;
      return 2 * s - 8 * x * x * s * t;
    };
    close(sess.run(out.d2x).toArray(), [f2(0.5), f2(-1)], 1e-4);
  });

  it('unconnectedGradients: null by default, zeros with "zero"', () => {
    const { sess, out } = build(() => {
      const x = constant([1, 2]);
      const z = placeholder('float32', [3]);
      const y = square(x);
      const none = gradients(y, [x, z]);
      const explicitNone = gradients(y, z, { unconnectedGradients: 'none' });
      const zero = gradients(y, [z], { unconnectedGradients: 'zero' });
      return { none, explicitNone, zero };
    });
    expect(out.none[1]).toBeNull();
    expect(out.explicitNone[0]).toBeNull();
    const zero = dense(out.zero[0]);
    expect(zero.shape).toEqual([3]);
    expect(sess.run(zero, [[zero.graph.getTensorByName('Placeholder:0'), [5, 6, 7]]]).toArray()).toEqual([
      0, 0, 0,
    ]);
  });

  it('stopGradients (TF gradients_test: a=0, b=2a, d(a+b)/d[a,b] = [3,1], with stop_gradients=[a,b] = [1,1])', () => {
    const { sess, out } = build(() => {
      const a = constant(0);
      const b = mul(a, 2);
      const free = gradients(add(a, b), [a, b]);
      const stopped = gradients(add(a, b), [a, b], { stopGradients: [a, b] });
      return { free: free.map(dense), stopped: stopped.map(dense) };
    });
    expect(sess.run(out.free).map((x) => x.item())).toEqual([3, 1]);
    expect(sess.run(out.stopped).map((x) => x.item())).toEqual([1, 1]);
  });

  it('gateGradients gates each op’s input gradients with tuple', () => {
    const { g, sess, out } = build(() => {
      const a = constant([[1, 2]]);
      const b = constant([[3], [4]]);
      const y = matMul(a, b);
      const gated = gradients(y, [a, b], { gateGradients: true, name: 'gated' });
      const plain = gradients(y, [a, b], { gateGradients: false, name: 'plain' });
      return { gated: gated.map(dense), plain: plain.map(dense) };
    });
    const names = g.getOperations().map((o) => o.name);
    expect(names.some((n) => n.startsWith('gated/') && n.includes('tuple'))).toBe(true);
    expect(names.some((n) => n.startsWith('plain/') && n.includes('tuple'))).toBe(false);
    const [ga, gb] = sess.run(out.gated);
    expect(ga!.toArray()).toEqual([[3, 4]]);
    expect(gb!.toArray()).toEqual([[1], [2]]);
    expect(sess.run(out.plain).map((x) => x.toArray())).toEqual([[[3, 4]], [[1], [2]]]);
  });

  it('colocateGradientsWithOps puts each gradient op with its forward op', () => {
    const { g } = build(() => {
      const x = constant([1, 2]);
      const y = device('/device:CPU:7', () => exp(x, { name: 'fwd' }));
      const [colo] = gradients(y, x, { colocateGradientsWithOps: true, name: 'colo' });
      const [free] = gradients(y, x, { name: 'free' });
      return { colo: dense(colo), free: dense(free) };
    });
    const colo = g.getOperations().filter((o) => o.name.startsWith('colo/fwd_grad/'));
    const free = g.getOperations().filter((o) => o.name.startsWith('free/fwd_grad/'));
    expect(colo.length).toBeGreaterThan(0);
    for (const op of colo) expect(op.device).toBe('/device:CPU:7');
    for (const op of free) expect(op.device).toBe('');
  });

  it('the three aggregation methods give the same sums', () => {
    expect(AggregationMethod).toEqual({
      ADD_N: 0,
      DEFAULT: 0,
      EXPERIMENTAL_TREE: 1,
      EXPERIMENTAL_ACCUMULATE_N: 2,
    });
    const { g, sess, out } = build(() => {
      const x = constant([1, 2]);
      // x feeds four consumers, so four contributions meet at x
      const y = add(add(mul(x, 1), mul(x, 2)), add(mul(x, 3), mul(x, 4)));
      const methods = [
        AggregationMethod.ADD_N,
        AggregationMethod.DEFAULT,
        AggregationMethod.EXPERIMENTAL_TREE,
        AggregationMethod.EXPERIMENTAL_ACCUMULATE_N,
      ];
      return methods.map((m, i) => dense(gradients(y, x, { aggregationMethod: m, name: `agg${i}` })[0]));
    });
    for (const r of sess.run(out)) expect(r.toArray()).toEqual([10, 10]);
    // ADD_N: one AddN of all four; EXPERIMENTAL_TREE: pairwise AddNs under '<op>_gradient_sum'
    const addNs = (scope: string) =>
      g.getOperations().filter((o) => o.name.startsWith(scope) && o.type === 'AddN');
    expect(addNs('agg0/').map((o) => o.inputs.length)).toEqual([4]);
    const tree = addNs('agg2/');
    expect(tree.length).toBe(3);
    for (const op of tree) {
      expect(op.inputs).toHaveLength(2);
      expect(op.name).toContain('_gradient_sum/');
    }
    expect(() =>
      g.asDefault(() => gradients(square(constant(1)), constant(1), { aggregationMethod: 7 })),
    ).toThrow();
  });

  it('Gather produces IndexedSlices { values, indices, denseShape }', () => {
    const { sess, out } = build(() => {
      const params = variable(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { name: 'params' },
      );
      const y = reduceSum(
        mul(
          gather(params, [2, 0, 2]),
          constant([
            [1, 1],
            [2, 2],
            [3, 3],
          ]),
        ),
      );
      const [g] = gradients(y, params);
      return { g, init: globalVariablesInitializer() };
    });
    expect(out.g).toBeInstanceOf(IndexedSlices);
    const s = out.g as IndexedSlices;
    expect(s.values).toBeInstanceOf(Tensor);
    expect(s.indices).toBeInstanceOf(Tensor);
    expect(s.indices.dtype).toBe('int32');
    expect(s.denseShape).toBeInstanceOf(Tensor);
    sess.run(out.init);
    const [values, indices, denseShape] = sess.run([s.values, s.indices, s.denseShape!]);
    expect(indices.toArray()).toEqual([2, 0, 2]);
    expect(values.toArray()).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(denseShape.toArray()).toEqual([3, 2]);
  });
});

describe('§3 the rule registry', () => {
  const Cube = defineOp<'x'>({
    type: 'ContractAuditCube',
    inputs: ['x'],
    shape: ({ x }) => x.shape,
    dtype: ({ x }) => x.dtype,
    kernel: ({ x }) => tf.tidy(() => tf.mul(x, tf.mul(x, x))),
  });
  const cube = (x: Tensor): Tensor => Cube.apply({ x }, {}, { name: 'cube' });

  it('an op on the path with no rule throws a LookupError naming the op type and the op', () => {
    build(() => {
      const x = constant([1, 2]);
      const y = cube(x);
      let err: unknown;
      try {
        gradients(y, x);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(LookupError);
      expect((err as Error).message).toContain('ContractAuditCube');
      expect((err as Error).message).toContain("'cube'");
    });
  });

  it('registerGradient(opType, rule) installs a rule; notDifferentiable(opType) makes it contribute nothing', () => {
    const rule: GradientRule = (op, dy) => [mul(dy!, mul(3, square(op.inputs[0]!)))];
    registerGradient('ContractAuditCube', rule);
    const { sess, out } = build(() => {
      const x = constant([1, 2]);
      const y = cube(x);
      const [dx] = gradients(y, x);
      const [d2x] = gradients(dense(dx), x);
      return { y, dx: dense(dx), d2x: dense(d2x) };
    });
    expect(sess.run(out.y).toArray()).toEqual([1, 8]);
    close(sess.run(out.dx).toArray(), [3, 12]);
    close(sess.run(out.d2x).toArray(), [6, 12]);

    notDifferentiable('ContractAuditCube');
    const after = build(() => {
      const x = constant([1, 2]);
      const y = add(cube(x), identity(x));
      return dense(gradients(y, x)[0]);
    });
    // only the identity path contributes
    expect(after.sess.run(after.out).toArray()).toEqual([1, 1]);
    const unconnected = build(() => {
      const x = constant([1, 2]);
      return gradients(cube(x), x)[0];
    });
    expect(unconnected.out).toBeNull();
  });

  it('gradient of a difference through a Variable (xs may be Variables)', () => {
    const { sess, out } = build(() => {
      const v = variable([1, 2], { name: 'v' });
      const [dv] = gradients(reduceSum(square(sub(v, 3))), v);
      return { dv: dense(dv), init: globalVariablesInitializer() };
    });
    sess.run(out.init);
    expect(sess.run(out.dv).toArray()).toEqual([-4, -2]);
  });
});
