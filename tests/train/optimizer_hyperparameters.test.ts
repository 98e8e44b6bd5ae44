// Each applyGradients call builds its own hyperparameter tensors and hands them to the updates it
// emits: several optimizers share a graph, and one optimizer applied twice (a learning rate given
// as a function) keeps each train op on the tensors of its own call. References are the update
// formulas of TF's optimizer tests, re-stated in float64. Also the shared apply-op machinery's
// checks: build-time shape errors and failed sparse runs that change and leak nothing.
import { IndexedSlices } from '@graphmode/autodiff';
import {
  constant,
  Graph,
  globalVariablesInitializer,
  NDArray,
  placeholder,
  Session,
  type Tensor,
  variable,
} from '@graphmode/graph';
import {
  AdamOptimizer,
  AdamWOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
} from '@graphmode/train';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers.js';

type Vec = number[];
/** A float64 reference as the float32 NDArray expectClose compares with (shape [] for a scalar). */
const ref = (xs: Vec, shape = [xs.length]): NDArray => new NDArray('float32', shape, Float32Array.from(xs));

/** TF adam_test's adam_update_numpy, one step t (1-based) with learning rate lr. */
function adamStep(w: Vec, g: Vec, m: Vec, v: Vec, t: number, lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  const m1 = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
  const v1 = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
  return { w: w.map((wi, i) => wi - (lrT * m1[i]!) / (Math.sqrt(v1[i]!) + eps)), m: m1, v: v1 };
}

describe('optimizer hyperparameters are per applyGradients call', () => {
  it('four optimizers with different hyperparameters share one graph and one step', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const g = [0.1, 0.2];
      const w = [0, 1, 2, 3].map((i) => variable([1.0 + i, 2.0 + i], { name: `w${i}` }));
      const sgd = new GradientDescentOptimizer(0.1);
      const mom = new MomentumOptimizer(0.2, 0.9);
      const adamA = new AdamOptimizer({ learningRate: 0.1 });
      const adamB = new AdamOptimizer({ learningRate: 0.01, beta1: 0.5, beta2: 0.9, name: 'AdamB' });
      const ops = [sgd, mom, adamA, adamB].map((opt, i) => opt.applyGradients([[constant(g), w[i]!]]));
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      for (let step = 0; step < 2; step++) sess.run(ops);

      expectClose(sess.run(w[0]!), ref([1 - 2 * 0.1 * 0.1, 2 - 2 * 0.1 * 0.2]));
      // accum: g, then 0.9 g + g; var -= 0.2 * accum each step.
      expectClose(sess.run(w[1]!), ref([2 - 0.2 * 2.9 * 0.1, 3 - 0.2 * 2.9 * 0.2]));
      let a = { w: [3, 4], m: [0, 0], v: [0, 0] };
      let b = { w: [4, 5], m: [0, 0], v: [0, 0] };
      for (const t of [1, 2]) {
        a = adamStep(a.w, g, a.m, a.v, t, 0.1);
        b = adamStep(b.w, g, b.m, b.v, t, 0.01, 0.5, 0.9);
      }
      expectClose(sess.run(w[2]!), ref(a.w));
      expectClose(sess.run(w[3]!), ref(b.w));
      // Each optimizer advanced its own beta powers (beta^3 after two steps) with its own betas.
      const power = (opt: AdamOptimizer, name: string) =>
        sess.run(opt.variables(graph).find((x) => x.op.name.startsWith(name))!);
      expectClose(power(adamA, 'beta1_power'), ref([0.729], []));
      expectClose(power(adamB, 'beta1_power'), ref([0.125], []));
      expectClose(power(adamB, 'beta2_power'), ref([0.729], []));
      sess.close();
    });
  });

  it('GradientDescent applied twice with different learning-rate tensors', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const lrA = placeholder('float32', [], { name: 'lrA' });
      const lrB = placeholder('float32', [], { name: 'lrB' });
      let lr: Tensor = lrA;
      const opt = new GradientDescentOptimizer(() => lr);
      const opA = opt.applyGradients([[constant([1.0, 1.0]), w]]);
      lr = lrB;
      const opB = opt.applyGradients([[constant([1.0, 1.0]), w]]);
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      // opA needs only lrA: it never read the tensor of the later call.
      sess.run(opA, [[lrA, 0.5]]);
      expectClose(sess.run(w), ref([0.5, 1.5]));
      sess.run(opB, [[lrB, 0.25]]);
      expectClose(sess.run(w), ref([0.25, 1.25]));
      expect(() => sess.run(opB, [[lrA, 0.5]])).toThrow(/lrB/);
      sess.close();
    });
  });

  for (const sparse of [false, true]) {
    it(`Adam applied twice with different learning rates continues one m, v and beta powers (sparse=${sparse})`, () => {
      const graph = new Graph();
      graph.asDefault(() => {
        const w = variable([1.0, 2.0], { name: 'w' });
        const g = [0.1, -0.3];
        const grad = () =>
          sparse ? new IndexedSlices(constant(g), constant([0, 1], { dtype: 'int32' })) : constant(g);
        let lr = constant(0.1, { name: 'lrA' });
        const opt = new AdamOptimizer({ learningRate: () => lr });
        const opA = opt.applyGradients([[grad(), w]]);
        lr = constant(0.02, { name: 'lrB' });
        const opB = opt.applyGradients([[grad(), w]]);
        expect(opt.variables(graph)).toHaveLength(4); // m, v and the two beta powers, made once
        const sess = new Session(graph);
        sess.run(globalVariablesInitializer());
        let want = { w: [1, 2], m: [0, 0], v: [0, 0] };
        for (const [t, op, rate] of [
          [1, opA, 0.1],
          [2, opB, 0.02],
          [3, opA, 0.1],
        ] as const) {
          sess.run(op);
          want = adamStep(want.w, g, want.m, want.v, t, rate);
          expectClose(sess.run(w), ref(want.w), 2e-6);
        }
        sess.close();
      });
    });
  }

  it('RMSProp and AdamW hyperparameter constants are built in each call’s own name scope', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const rms = new RMSPropOptimizer(0.01, { momentum: 0.5 });
      rms.applyGradients([[constant([1.0, 1.0]), w]]);
      rms.applyGradients([[constant([1.0, 1.0]), w]]);
      new AdamWOptimizer({ weightDecay: 0.1 }).applyGradients([[constant([1.0, 1.0]), w]]);
      const names = graph.getOperations().map((op) => op.name);
      for (const scope of ['RMSProp', 'RMSProp_1'])
        for (const h of ['learning_rate', 'decay', 'momentum', 'epsilon'])
          expect(names).toContain(`${scope}/${h}`);
      expect(names).toContain('AdamW/weight_decay');
    });
  });
});

describe('shared apply-op machinery', () => {
  it('SparseApplyAdam rejects gradient rows that do not match var at build time', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const w = variable(
        [
          [1.0, 2.0],
          [3.0, 4.0],
        ],
        { name: 'w' },
      );
      const rows = new IndexedSlices(constant([[1.0, 2.0, 3.0]]), constant([0], { dtype: 'int32' }));
      expect(() => new AdamOptimizer().applyGradients([[rows, w]])).toThrow(
        /SparseApplyAdam op .*grad must be indices-length rows of var: var \[2,2\], grad \[1,3\]/,
      );
    });
  });

  const sparseMakers: [string, () => GradientDescentOptimizer | AdamOptimizer][] = [
    ['GradientDescent (ScatterSub)', () => new GradientDescentOptimizer(0.1)],
    ['Adam (SparseApplyAdam)', () => new AdamOptimizer()],
    ['AdamW (ScatterDecay)', () => new AdamWOptimizer({ weightDecay: 0.1 })],
  ];
  for (const [label, make] of sparseMakers) {
    it(`${label}: an out-of-range index fails the run, changes nothing and leaks no tensor`, () => {
      const graph = new Graph();
      graph.asDefault(() => {
        const w = variable([1.0, 2.0], { name: 'w' });
        const bad = new IndexedSlices(constant([1.0, 1.0]), constant([1, 7], { dtype: 'int32' }));
        const op = make().applyGradients([[bad, w]]);
        const sess = new Session(graph);
        sess.run(globalVariablesInitializer());
        sess.run(w);
        const before = tf.memory().numTensors;
        expect(() => sess.run(op)).toThrow('indices[1] = 7 is not in [0, 2)');
        expect(tf.memory().numTensors).toBe(before);
        expectClose(sess.run(w), ref([1, 2]));
        sess.close();
      });
    });
  }
});
