// Second-order gradients through whileLoop (the backward loop differentiated again): closed
// forms and central finite differences of the first-order gradient.
import { AggregationMethod, gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs-core';
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

describe('second-order gradients through whileLoop', () => {
  it('xⁿ by repeated multiplication: d²/dx² = n(n−1)xⁿ⁻² for a fed trip count', () =>
    inGraph((graph) => {
      const { x, p, feeds } = fedPowerLoop();
      const d1 = grad(p, x);
      const d2 = grad(d1, x);
      const sess = new g.Session(graph);
      for (const [xv, nv] of [
        [1.5, 5],
        [-0.7, 3],
        [2, 2],
        [2, 1],
        [3, 0],
      ] as const) {
        const [v1, v2] = sess.run([d1, d2], feeds(xv, nv)).map((r) => r.item() as number);
        expect(v1).toBeCloseTo(nv === 0 ? 0 : nv * xv ** (nv - 1), 3);
        expect(v2).toBeCloseTo(nv < 2 ? 0 : nv * (nv - 1) * xv ** (nv - 2), 3);
      }
      sess.close();
    }));

  it('TF testWhileGrad_Square twice: x ↦ x⁸ by squaring while below 100 (trip count from the data)', () =>
    inGraph((graph) => {
      const v = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        (x: g.Tensor) => g.less(x, 100),
        (x: g.Tensor) => [g.square(x)],
        [v],
      );
      const d1 = grad(r!, v);
      const d2 = grad(d1, v);
      const d3 = grad(d2, v);
      const sess = new g.Session(graph);
      // 2 → 4 → 16 → 256: r = v⁸ near v = 2; 9 → 81 → 6561: r = v⁴ near v = 9.
      const at = (x: number) => sess.run([r!, d1, d2, d3], [[v, x]]).map((t) => t.item() as number);
      expect(at(2)).toEqual([256, 8 * 2 ** 7, 56 * 2 ** 6, 336 * 2 ** 5]);
      expect(at(9)).toEqual([6561, 4 * 9 ** 3, 12 * 81, 24 * 9]);
      sess.close();
    }));

  it('a loop-invariant captured input and the loop variable: every mixed second derivative', () =>
    inGraph((graph) => {
      const w = g.placeholder('float32', []);
      const a0 = g.placeholder('float32', []);
      // a ← a·w + w², three times: a₃ = a₀w³ + w⁴ + w³ + w² (Horner).
      const [, a] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor, acc: g.Tensor) => [g.add(i, 1), g.add(g.mul(acc, w), g.mul(w, w))],
        [int(0), a0],
      );
      const [dw, da] = gradients(a!, [w, a0]).map(dense);
      const [dww, dwa] = gradients(dw!, [w, a0]).map(dense);
      const [daw, daa] = gradients(da!, [w, a0]);
      const sess = new g.Session(graph);
      const [W, A] = [0.7, -1.3];
      const got = sess
        .run(
          [dw!, da!, dww!, dwa!, dense(daw)],
          [
            [w, W],
            [a0, A],
          ],
        )
        .map((t) => t.item() as number);
      const want = [
        3 * A * W ** 2 + 4 * W ** 3 + 3 * W ** 2 + 2 * W,
        W ** 3,
        6 * A * W + 12 * W ** 2 + 6 * W + 2,
        3 * W ** 2,
        3 * W ** 2,
      ];
      got.forEach((x, k) => expect(x).toBeCloseTo(want[k]!, 4));
      // d(da)/da₀ = 0: unconnected (null), or zeros.
      if (daa !== null) {
        const feeds: [g.Tensor, number][] = [
          [w, W],
          [a0, A],
        ];
        expect(sess.run(dense(daa), feeds).item()).toBe(0);
      }
      sess.close();
    }));

  it('an RNN-like loop: the Hessian-vector product of W matches finite differences of the gradient', () =>
    inGraph((graph) => {
      const W = g.placeholder('float32', [3, 3]);
      const h0 = g.placeholder('float32', [2, 3]);
      const [, h] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, hh: g.Tensor) => [g.add(i, 1), g.tanh(g.add(g.matMul(hh, W), 0.1))],
        [int(0), h0],
      );
      const loss = g.reduceSum(g.mul(h!, g.constant([[1, -2, 0.5]])));
      const v = g.constant(randomArray([3, 3], 'unit', 9));
      const [dW, dh0] = gradients(loss, [W, h0]).map(dense);
      const gv = g.reduceSum(g.mul(dW!, v)); // ⟨∇_W loss, v⟩
      const gh = g.reduceSum(g.square(dh0!)); // a gradient penalty on h₀
      const [hvW, hvH] = gradients(gv, [W, h0]).map(dense);
      const [phW, phH] = gradients(gh, [W, h0]).map(dense);
      const sess = new g.Session(graph);
      const vals = { W: randomArray([3, 3], 'unit', 1), h0: randomArray([2, 3], 'unit', 4) };
      const feeds: [g.Tensor, g.NDArray][] = [
        [W, vals.W],
        [h0, vals.h0],
      ];
      const others = (t: g.Tensor) => feeds.filter(([k]) => k !== t);
      const got = sess.run([hvW!, hvH!, phW!, phH!], feeds).map(arr);
      expectAllClose(got[0]!, finiteDiff(sess, gv, W, vals.W, others(W)));
      expectAllClose(got[1]!, finiteDiff(sess, gv, h0, vals.h0, others(h0)));
      expectAllClose(got[2]!, finiteDiff(sess, gh, W, vals.W, others(W)));
      expectAllClose(got[3]!, finiteDiff(sess, gh, h0, vals.h0, others(h0)));
      sess.close();
    }));

  it('a cond nested in the loop body: second derivatives on both branches', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      // a ← a < 1 ? a·x² : sin(a)·x, four times from a = x.
      const [, a] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, acc: g.Tensor) => [
          g.add(i, 1),
          g.cond(
            g.less(acc, 1),
            () => g.mul(acc, g.square(x)),
            () => g.mul(g.sin(acc), x),
          ),
        ],
        [int(0), x],
      );
      const d1 = grad(a!, x);
      const d2 = grad(d1, x);
      const sess = new g.Session(graph);
      for (const xv of [0.6, 0.95, 1.4]) {
        const xa = new g.NDArray('float32', [], new Float32Array([xv]));
        expectAllClose(
          [sess.run(d2, [[x, xa]]).item() as number],
          finiteDiff(sess, d1, x, xa, [], 1e-3),
          2e-2,
        );
      }
      sess.close();
    }));

  it('scan, reversed scan and foldl (sliced inputs, accumulated outputs): second order matches finite differences', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [5]);
      const c = g.placeholder('float32', []);
      const s = g.scan((acc: g.Tensor, e: g.Tensor) => g.add(g.mul(acc, e), g.mul(c, g.sin(e))), x, {
        initializer: g.constant(0.5),
      }) as g.Tensor;
      const f = g.foldl((acc: g.Tensor, e: g.Tensor) => g.add(acc, g.mul(g.square(e), c)), x) as g.Tensor;
      // Reversed, without an initializer: rows read from the end, the last row the first acc.
      const rs = g.scan((acc: g.Tensor, e: g.Tensor) => g.mul(g.tanh(acc), g.add(e, c)), x, {
        reverse: true,
      }) as g.Tensor;
      const w = g.constant([0.3, -1, 0.7, 2, -0.4]);
      const loss = g.add(g.add(g.reduceSum(g.square(s)), f), g.reduceSum(g.mul(g.square(rs), w)));
      const [dx, dc] = gradients(loss, [x, c]).map(dense);
      const pen = g.add(g.reduceSum(g.square(dx!)), g.mul(dc!, dc!));
      const [px, pc] = gradients(pen, [x, c]).map(dense);
      const sess = new g.Session(graph);
      const vals = {
        x: randomArray([5], 'unit', 7),
        c: new g.NDArray('float32', [], new Float32Array([0.8])),
      };
      const feeds: [g.Tensor, g.NDArray][] = [
        [x, vals.x],
        [c, vals.c],
      ];
      const others = (t: g.Tensor) => feeds.filter(([k]) => k !== t);
      const [gx, gc] = sess.run([px!, pc!], feeds).map(arr);
      expectAllClose(gx!, finiteDiff(sess, pen, x, vals.x, others(x), 1e-3));
      expectAllClose(gc!, finiteDiff(sess, pen, c, vals.c, others(c), 1e-3));
      sess.close();
    }));
});

describe('TF while_v2_test / control_flow_ops_py_test second-order cases', () => {
  it('testDoubleDerivative and testTripleDerivative: 32, 48; 32, 48, 48', () =>
    inGraph((graph) => {
      const x = g.constant(2);
      const [r2] = g.whileLoop(
        (v: g.Tensor) => g.less(v, 8),
        (v: g.Tensor) => [g.pow(v, 2)],
        [x],
      );
      const [r4] = g.whileLoop(
        (v: g.Tensor) => g.less(v, 8),
        (v: g.Tensor) => [g.pow(v, 4)],
        [x],
      );
      const d = grad(r2!, x);
      const dd = grad(d, x);
      const e = grad(r4!, x);
      const ee = grad(e, x);
      const eee = grad(ee, x);
      const sess = new g.Session(graph);
      expect(sess.run([d, dd, e, ee, eee]).map((t) => t.item())).toEqual([32, 48, 32, 48, 48]);
      sess.close();
    }));

  it('testWhileGradGrad: scan of prev + x·θ, dθ = 7 and d²θ = 0 (v2 allows it)', () =>
    inGraph((graph) => {
      const theta = g.variable(1, { name: 'theta' });
      const result = g.scan(
        (prev: g.Tensor, x: g.Tensor) => g.add(prev, g.mul(x, theta.value())),
        g.constant([1, 2, 3]),
      ) as g.Tensor;
      const [dTheta] = gradients(result, theta);
      const [dd] = gradients(dense(dTheta), theta);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(sess.run(dense(dTheta)).item()).toBe(7);
      if (dd !== null) expect(sess.run(dense(dd)).item()).toBe(0);
      sess.close();
    }));

  it('nested loops: a⋅x⁶ by an inner loop of three multiplies run twice; d² = 30a⋅x⁴', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const a0 = g.placeholder('float32', []);
      const inner = (s: g.Tensor) =>
        g.whileLoop(
          (i: g.Tensor) => g.less(i, 3),
          (i: g.Tensor, v: g.Tensor) => [g.add(i, 1), g.mul(v, x)],
          [int(0), s],
        )[1]!;
      const [, r] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 2),
        (i: g.Tensor, v: g.Tensor) => [g.add(i, 1), inner(v)],
        [int(0), a0],
      );
      const d1 = grad(r!, x);
      const d2 = grad(d1, x);
      const [d2a] = gradients(d1, a0).map(dense);
      const sess = new g.Session(graph);
      const [X, A] = [1.3, -0.8];
      const feeds: [g.Tensor, number][] = [
        [x, X],
        [a0, A],
      ];
      const got = sess.run([d1, d2, d2a!], feeds).map((t) => t.item() as number);
      expect(got[0]).toBeCloseTo(6 * A * X ** 5, 3);
      expect(got[1]).toBeCloseTo(30 * A * X ** 4, 3);
      expect(got[2]).toBeCloseTo(6 * X ** 5, 3);
      sess.close();
    }));

  it('second-order runs free every per-iteration tensor', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [3]);
      const [, y] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 4),
        (i: g.Tensor, v: g.Tensor) => [g.add(i, 1), g.sin(g.mul(v, x))],
        [int(0), x],
      );
      const d1 = grad(g.reduceSum(y!), x);
      const d2 = grad(g.reduceSum(g.square(d1)), x);
      const sess = new g.Session(graph);
      const feed: [g.Tensor, number[]][] = [[x, [0.3, -0.5, 0.9]]];
      sess.run(d2, feed);
      const before = tf.memory().numTensors;
      for (let k = 0; k < 3; k++) sess.run(d2, feed);
      expect(tf.memory().numTensors).toBe(before);
      sess.close();
    }));
});

describe('second order through the loops other builders make', () => {
  it('maximumIterations: d²/dx² of x⁴ capped at 4 iterations of an endless loop is 48 at 2', () =>
    inGraph((graph) => {
      const p = g.placeholder('float32', []);
      const [r] = g.whileLoop(
        () => g.constant(true),
        (a: g.Tensor) => [g.mul(a, p)],
        [g.constant(1)],
        { maximumIterations: 4 },
      );
      const d1 = grad(r!, p);
      const sess = new g.Session(graph);
      expect(sess.run([d1, grad(d1, p)], [[p, 2]]).map((t) => t.item())).toEqual([32, 48]);
      sess.close();
    }));

  it('dynamicRnn (GRUCell, sequence lengths) and mapFn: a gradient penalty matches finite differences', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 3, 2]);
      const [out] = g.nn.dynamicRnn(new g.nn.rnnCell.GRUCell(3), x, {
        dtype: 'float32',
        sequenceLength: [3, 1],
      });
      const m = g.mapFn((e: g.Tensor) => g.reduceSum(g.sin(g.mul(e, e))), x) as g.Tensor;
      const loss = g.add(g.reduceSum(g.square(out)), g.reduceSum(m));
      const penalty = g.reduceSum(g.square(grad(loss, x)));
      const dp = grad(penalty, x);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const xv = randomArray([2, 3, 2], 'unit', 12);
      const got = arr(sess.run(dp, [[x, xv]]));
      const fd = finiteDiff(sess, penalty, x, xv, [], 1e-2);
      expectAllClose(got, fd, 3e-2);
      // Not trivially zero (the finite differences agree with a real second derivative).
      expect(got.some((v) => v !== 0)).toBe(true);
      sess.close();
    }));
});

describe('gradients() options through second-order loop gradients', () => {
  it('gateGradients, colocation and every aggregation method give the same second derivative', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      // a ← a·x + a² (x used twice per step: the aggregation method sums two contributions)
      const [r] = g.whileLoop(
        (a: g.Tensor) => g.less(a, 50),
        (a: g.Tensor) => [g.add(g.mul(a, x), g.mul(a, a))],
        [g.constant(1.5)],
      );
      const sess = new g.Session(graph);
      const d1 = grad(r!, x);
      const base = sess.run(grad(d1, x), [[x, 1.1]]).item() as number;
      const xv = new g.NDArray('float32', [], new Float32Array([1.1]));
      expectAllClose([base], finiteDiff(sess, d1, x, xv, [], 1e-3));
      for (const aggregationMethod of Object.values(AggregationMethod)) {
        const opts = { gateGradients: true, aggregationMethod, colocateGradientsWithOps: true };
        const d1 = dense(gradients(r!, x, opts)[0]);
        const d2 = dense(gradients(d1, x, opts)[0]);
        expect(sess.run(d2, [[x, 1.1]]).item()).toBeCloseTo(base, 3);
      }
      sess.close();
    }));
});
