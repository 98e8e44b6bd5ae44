// Gradients through cond and whileLoop (and mapFn/scan/foldl built on it): closed forms, TF 1.15's
// control_flow_ops_py_test cases, and central finite differences.
import { AggregationMethod, gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  arr,
  dense,
  expectAllClose,
  fedPowerLoop,
  finiteDiff,
  grad,
  inGraph,
  int,
} from '../control_helpers.js';
import { randomArray } from '../helpers.js';

describe('cond gradients', () => {
  it('flow through the taken branch only; second order too', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const y = g.cond(
        g.less(x, 0),
        () => g.mul(x, x),
        () => g.mul(x, 3),
      );
      const dy = grad(y, x);
      const d2y = grad(dy, x);
      const sess = new g.Session(graph);
      const at = (v: number) => sess.run([dy, d2y], [[x, v]]).map((r) => r.item());
      expect(at(-2)).toEqual([-4, 2]);
      expect(at(2)).toEqual([3, 0]);
      sess.close();
    }));

  it('inputs only the untaken branch reads get zeros (not null)', () =>
    inGraph((graph) => {
      const p = g.placeholder('bool', []);
      const x = g.placeholder('float32', []);
      const a = g.constant(5);
      const b = g.constant(7);
      const y = g.cond(
        p,
        () => g.mul(x, a),
        () => g.mul(x, b),
      );
      const [da, db, dx] = gradients(y, [a, b, x]).map(dense);
      const sess = new g.Session(graph);
      const at = (pv: boolean) =>
        sess
          .run(
            [da!, db!, dx!],
            [
              [p, pv],
              [x, 2],
            ],
          )
          .map((r) => r.item());
      expect(at(true)).toEqual([2, 0, 5]);
      expect(at(false)).toEqual([0, 2, 7]);
      sess.close();
    }));

  it('TF testCondGrad_1 and testCondGrad_2: 1; 42 or 3 by a fed predicate', () =>
    inGraph((graph) => {
      const x = g.constant(10, { name: 'x' });
      const r1 = g.cond(
        g.less(1, 10),
        () => g.identity(x),
        () => g.identity(x),
      );
      const c = g.placeholder('int32', []);
      const r2 = g.cond(
        g.less(c, 2),
        () => g.mul(x, 42),
        () => g.mul(x, 3),
      );
      const sess = new g.Session(graph);
      expect(sess.run(grad(r1, x)).item()).toBe(1);
      const d2 = grad(r2, x);
      expect(sess.run(d2, [[c, 1]]).item()).toBe(42);
      expect(sess.run(d2, [[c, 3]]).item()).toBe(3);
      sess.close();
    }));

  it('match central finite differences for vector branches', () =>
    inGraph((graph) => {
      const p = g.placeholder('bool', []);
      const x = g.placeholder('float32', [4]);
      const w = g.constant([0.5, -1, 2, 0.3]);
      const y = g.reduceSum(
        g.cond(
          p,
          () => g.mul(g.sin(x), w),
          () => g.exp(g.mul(x, w)),
        ),
      );
      const dx = grad(y, x);
      const sess = new g.Session(graph);
      const xv = randomArray([4], 'unit', 3);
      for (const pv of [true, false]) {
        const got = arr(
          sess.run(dx, [
            [p, pv],
            [x, xv],
          ]),
        );
        expectAllClose(got, finiteDiff(sess, y, x, xv, [[p, pv]]));
      }
      sess.close();
    }));
});

describe('whileLoop gradients', () => {
  it('xⁿ by repeated multiplication has gradient n·xⁿ⁻¹ (data-dependent trip count)', () =>
    inGraph((graph) => {
      const { x, p, feeds } = fedPowerLoop();
      const dp = grad(p, x);
      const sess = new g.Session(graph);
      for (const [xv, nv] of [
        [1.5, 5],
        [-0.7, 3],
        [2, 1],
        [3, 0],
      ] as const) {
        const got = sess.run(dp, feeds(xv, nv)).item() as number;
        expect(got).toBeCloseTo(nv * xv ** Math.max(nv - 1, 0) * (nv === 0 ? 0 : 1), 3);
      }
      sess.close();
    }));

  it('TF testWhileGrad_Square and the same with a cond in the body: 1024', () =>
    inGraph((graph) => {
      const v = g.placeholder('float32', []);
      const [r1] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 100),
        (x: g.Tensor) => [g.square(x)],
        [v],
      );
      const [r2] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 100),
        (x: g.Tensor) => [
          g.cond(
            g.constant(true),
            () => g.square(x),
            () => g.sub(x, 1),
          ),
        ],
        [v],
      );
      const sess = new g.Session(graph);
      expect(sess.run(r1!, [[v, 2]]).item()).toBe(256);
      expect(sess.run(grad(r1!, v), [[v, 2]]).item()).toBe(1024);
      expect(sess.run(grad(r2!, v), [[v, 2]]).item()).toBe(1024);
      sess.close();
    }));

  it('TF testNestedWhileCondWhileGrad: a loop inside a cond inside a loop: 512', () =>
    inGraph((graph) => {
      const v = g.constant(1);
      const inner = (s: g.Tensor) =>
        g.whileLoop(
          (i: g.Tensor) => g.less(i, 4),
          (i: g.Tensor, x: g.Tensor) => [g.add(i, 1), g.mul(x, 2)],
          [int(0), s],
        )[1]!;
      const [r] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 128),
        (x: g.Tensor) => [
          g.cond(
            g.constant(true),
            () => g.square(inner(x)),
            () => g.mul(x, 2),
          ),
        ],
        [v],
      );
      const sess = new g.Session(graph);
      expect(sess.run(grad(r!, v)).item()).toBe(512);
      sess.close();
    }));

  it('TF testWhileGrad_MultipleUses-style two loop variables: 136, 32, 168, stop gradients', () =>
    inGraph((graph) => {
      const x = g.constant(3, { name: 'x' });
      const y = g.constant(2, { name: 'y' });
      const [rx, ry] = g.whileLoop(
        (a: g.Tensor) => g.less(a, 100),
        (a: g.Tensor, b: g.Tensor) => {
          const b1 = g.square(b);
          return [g.add(g.square(a), b1), b1];
        },
        [x, y],
      );
      const sess = new g.Session(graph);
      const val = (t: g.Tensor) => sess.run(t).item();
      expect(val(grad(rx!, y))).toBe(136);
      expect(val(grad(ry!, y))).toBe(32);
      expect(val(grad(g.add(rx!, ry!), y))).toBe(168);
      expect(val(grad(g.add(rx!, g.stopGradient(ry!)), y))).toBe(136);
      expect(val(grad(g.add(g.stopGradient(rx!), ry!), y))).toBe(32);
      expect(gradients(g.stopGradient(rx!), y)[0]).toBeNull();
      sess.close();
    }));

  it('sums the gradients of a loop-invariant outer tensor over iterations', () =>
    inGraph((graph) => {
      const w = g.placeholder('float32', []);
      const n = g.placeholder('int32', []);
      // acc += w * i for i < n: d acc / dw = n(n-1)/2
      const [, acc] = g.whileLoop(
        (i: g.Tensor) => g.less(i, n),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.add(a, g.mul(w, g.cast(i, 'float32')))],
        [int(0), g.constant(0)],
      );
      const dw = grad(acc!, w);
      const sess = new g.Session(graph);
      for (const nv of [0, 1, 5, 10])
        expect(
          sess
            .run(dw, [
              [w, 0.3],
              [n, nv],
            ])
            .item(),
        ).toBe((nv * (nv - 1)) / 2 + 0);
      sess.close();
    }));

  it('maximumIterations: the gradient covers the iterations that ran', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        () => g.constant(true),
        (a: g.Tensor) => [g.mul(a, x)],
        [g.constant(1)],
        {
          maximumIterations: 4,
        },
      );
      const sess = new g.Session(graph);
      expect(sess.run(grad(r!, x), [[x, 2]]).item()).toBe(4 * 8);
      sess.close();
    }));

  it('an RNN-like loop (h ← tanh(W h + x)) matches finite differences for W, x and h₀', () =>
    inGraph((graph) => {
      const W = g.placeholder('float32', [3, 3]);
      const x = g.placeholder('float32', [1, 3]);
      const h0 = g.placeholder('float32', [1, 3]);
      const [, h] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 5),
        (i: g.Tensor, hh: g.Tensor) => [g.add(i, 1), g.tanh(g.add(g.matMul(hh, W), x))],
        [int(0), h0],
      );
      const loss = g.reduceSum(g.mul(h!, g.constant([[1, -2, 0.5]])));
      const grads = gradients(loss, [W, x, h0]).map(dense);
      const sess = new g.Session(graph);
      const vals = {
        W: randomArray([3, 3], 'unit', 1),
        x: randomArray([1, 3], 'unit', 2),
        h0: randomArray([1, 3], 'unit', 4),
      };
      const feeds: [g.Tensor, g.NDArray][] = [
        [W, vals.W],
        [x, vals.x],
        [h0, vals.h0],
      ];
      const got = sess.run(grads, feeds).map(arr);
      const others = (t: g.Tensor) => feeds.filter(([k]) => k !== t);
      expectAllClose(got[0]!, finiteDiff(sess, loss, W, vals.W, others(W)));
      expectAllClose(got[1]!, finiteDiff(sess, loss, x, vals.x, others(x)));
      expectAllClose(got[2]!, finiteDiff(sess, loss, h0, vals.h0, others(h0)));
      sess.close();
    }));

  it('honours gateGradients, colocation and every aggregation method', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        (a: g.Tensor) => g.less(a, 50),
        (a: g.Tensor) => [g.add(g.mul(a, x), g.mul(a, a))],
        [g.constant(1.5)],
      );
      const sess = new g.Session(graph);
      const base = sess.run(grad(r!, x), [[x, 1.1]]).item() as number;
      for (const aggregationMethod of Object.values(AggregationMethod)) {
        const d = grad(r!, x, { gateGradients: true, aggregationMethod, colocateGradientsWithOps: true });
        expect(sess.run(d, [[x, 1.1]]).item()).toBeCloseTo(base, 4);
      }
      sess.close();
    }));

  it('backProp: false stops gradients at the loop', () =>
    inGraph(() => {
      const x = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        (a: g.Tensor) => g.less(a, 10),
        (a: g.Tensor) => [g.mul(a, x)],
        [g.constant(1)],
        {
          backProp: false,
        },
      );
      expect(gradients(g.mul(r!, x), x)[0]).not.toBeNull();
      expect(gradients(r!, x)[0]).toBeNull();
    }));

  it('random draws in the body are saved by the forward loop, not redrawn (dropout-like masks)', () =>
    inGraph((graph) => {
      const h0 = g.placeholder('float32', [64]);
      const [, h] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor, a: g.Tensor) => {
          const keep = g.cast(g.less(g.randomUniform([64], { seed: 5 }), 0.5), 'float32');
          return [g.add(i, 1), g.mul(a, g.mul(keep, 2))];
        },
        [int(0), h0],
      );
      const dh0 = grad(g.reduceSum(h!), h0);
      const sess = new g.Session(graph);
      const hv = randomArray([64], 'positive', 3);
      const [y, d] = sess.run([h!, dh0], [[h0, hv]]).map(arr);
      // h = h0 · Π masks, so dh/dh0 = Π masks = h / h0 for the masks drawn in this very run.
      const ratio = y!.map((v, k) => v / (hv.data as Float32Array)[k]!);
      expectAllClose(d!, ratio, 1e-5);
      expect(new Set(d!.map((v) => Math.round(v))).size).toBeGreaterThan(1);
      sess.close();
    }));

  it('assignments in the body run once per iteration; their values are saved for the gradient', () =>
    inGraph((graph) => {
      const v = g.variable(1, { name: 'v' });
      const x = g.placeholder('float32', []);
      const [, y] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.mul(g.mul(a, x), v.assignAdd(1))],
        [int(0), g.constant(1)],
      );
      const dx = grad(y!, x);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      // v goes 2, 3, 4: y = x³ · 24, dy/dx = 3x² · 24; the gradient's recompute does not assign again.
      const [yv, dv] = sess.run([y!, dx], [[x, 2]]).map((r) => r.item());
      expect([yv, dv]).toEqual([8 * 24, 12 * 24]);
      expect(sess.run(v).item()).toBe(4);
      sess.close();
    }));

  it('random draws and assignments in a cond branch are saved for its gradient (dropout under a training flag)', () =>
    inGraph((graph) => {
      const training = g.placeholder('bool', []);
      const x = g.placeholder('float32', [64]);
      const v = g.variable(1, { name: 'v' });
      const y = g.cond(
        training,
        () =>
          g.mul(g.mul(x, g.cast(g.less(g.randomUniform([64], { seed: 3 }), 0.5), 'float32')), v.assignAdd(1)),
        () => g.identity(x),
      );
      const dx = grad(g.reduceSum(y), x);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const xv = randomArray([64], 'positive', 4);
      const [yv, dv] = sess
        .run(
          [y, dx],
          [
            [training, true],
            [x, xv],
          ],
        )
        .map(arr);
      // y = x · mask · v, so dy/dx = y / x with this run's mask and v (2): the gradient did not redraw or re-assign.
      expectAllClose(
        dv!,
        yv!.map((u, k) => u / (xv.data as Float32Array)[k]!),
        1e-5,
      );
      expect(new Set(dv!).size).toBe(2);
      expect(sess.run(v).item()).toBe(2);
      expect(
        arr(
          sess.run(dx, [
            [training, false],
            [x, xv],
          ]),
        ),
      ).toEqual(Array(64).fill(1));
      expect(sess.run(v).item()).toBe(2);
      sess.close();
    }));

  it('a gradient run leaks no tensor', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [3]);
      const [, y] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.mul(a, x)],
        [int(0), g.ones([3])],
      );
      const dx = grad(g.reduceSum(y!), x);
      const sess = new g.Session(graph);
      sess.run(dx, [[x, [1, 2, 3]]]);
      const before = tf.memory().numTensors;
      expect(arr(sess.run(dx, [[x, [1, 2, 3]]]))).toEqual([4, 32, 108]);
      expect(tf.memory().numTensors).toBe(before);
      sess.close();
    }));
});

describe('mapFn / scan / foldl gradients', () => {
  it('mapFn: d Σ f(e)·x / dx and / de', () =>
    inGraph((graph) => {
      const e = g.placeholder('float32', [4]);
      const x = g.placeholder('float32', []);
      const y = g.reduceSum(g.mapFn((v: g.Tensor) => g.mul(g.square(v), x), e) as g.Tensor);
      const [de, dx] = gradients(y, [e, x]).map(dense);
      const sess = new g.Session(graph);
      const [gde, gdx] = sess.run(
        [de!, dx!],
        [
          [e, [1, 2, 3, 4]],
          [x, 0.5],
        ],
      );
      expect(arr(gde!)).toEqual([1, 2, 3, 4]);
      expect(gdx!.item()).toBe(30);
      sess.close();
    }));

  it('scan cumulative sums: d Σ cumsum(e) / dᵢ = n - i (reversed: i + 1)', () =>
    inGraph((graph) => {
      const e = g.placeholder('float32', [5]);
      const fwd = g.reduceSum(g.scan((a: g.Tensor, v: g.Tensor) => g.add(a, v), e) as g.Tensor);
      const rev = g.reduceSum(
        g.scan((a: g.Tensor, v: g.Tensor) => g.add(a, v), e, { reverse: true }) as g.Tensor,
      );
      const init = g.reduceSum(
        g.scan((a: g.Tensor, v: g.Tensor) => g.add(a, v), e, { initializer: g.constant(0) }) as g.Tensor,
      );
      const sess = new g.Session(graph);
      const run = (t: g.Tensor) => arr(sess.run(grad(t, e), [[e, [1, 2, 3, 4, 5]]]));
      expect(run(fwd)).toEqual([5, 4, 3, 2, 1]);
      expect(run(rev)).toEqual([1, 2, 3, 4, 5]);
      expect(run(init)).toEqual([5, 4, 3, 2, 1]);
      sess.close();
    }));

  it('foldl product: d Π e / dᵢ = Π e / eᵢ, and finite differences for a weighted fold', () =>
    inGraph((graph) => {
      const e = g.placeholder('float32', [4]);
      const prod = g.foldl((a: g.Tensor, v: g.Tensor) => g.mul(a, v), e) as g.Tensor;
      const sess = new g.Session(graph);
      expect(arr(sess.run(grad(prod, e), [[e, [1, 2, 3, 4]]]))).toEqual([24, 12, 8, 6]);
      const w = g.placeholder('float32', []);
      const fold = g.foldl((a: g.Tensor, v: g.Tensor) => g.sin(g.add(g.mul(a, w), v)), e, {
        initializer: g.constant(0.2),
      }) as g.Tensor;
      const ev = randomArray([4], 'unit', 9);
      const got = arr(
        sess.run(grad(fold, e), [
          [e, ev],
          [w, 0.7],
        ]),
      );
      expectAllClose(got, finiteDiff(sess, fold, e, ev, [[w, 0.7]]));
      sess.close();
    }));
});
