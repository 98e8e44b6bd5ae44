// Optimizer update formulas against TF's own optimizer tests (training/*_test.py): the same
// variables and hand-built gradients, and as reference the tests' NumPy update functions
// (re-stated here in float64) or their hard-coded values.
import { IndexedSlices } from '@graphmode/autodiff';
import {
  constant,
  Graph,
  GraphKeys,
  gather,
  globalVariablesInitializer,
  matMul,
  type NDArray,
  oneHot,
  reduceSum,
  Session,
  square,
  sub,
  type Tensor,
  type Variable,
  variable,
} from '@graphmode/graph';
import {
  AdagradOptimizer,
  AdamOptimizer,
  AdamWOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  type Optimizer,
  RMSPropOptimizer,
} from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';

type Vec = number[];
const vals = (a: NDArray): Vec => Array.from(a.data as Float32Array);
function expectAllClose(actual: Vec, expected: Vec, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((x, i) => {
    if (Math.abs(x - expected[i]!) > tol * (1 + Math.abs(expected[i]!)))
      throw new Error(
        `element ${i}: got ${x}, expected ${expected[i]} (got ${actual}, expected ${expected})`,
      );
  });
}

/** TF's usual fixture: var0 = [1, 2], var1 = [3, 4] with constant gradients. */
function twoVars(g0: Vec, g1: Vec, opt: Optimizer, sparse = false) {
  const graph = new Graph();
  return graph.asDefault(() => {
    const var0 = variable([1.0, 2.0], { name: 'var0' });
    const var1 = variable([3.0, 4.0], { name: 'var1' });
    const grad = (g: Vec): Tensor | IndexedSlices =>
      sparse
        ? new IndexedSlices(
            constant(g),
            constant([0, 1], { dtype: 'int32' }),
            constant([2], { dtype: 'int32' }),
          )
        : constant(g);
    const update = opt.applyGradients([
      [grad(g0), var0],
      [grad(g1), var1],
    ]);
    const sess = new Session(graph);
    sess.run(globalVariablesInitializer());
    return { graph, var0, var1, update, sess };
  });
}

describe('GradientDescentOptimizer', () => {
  it('basic: var -= lr * grad (TF gradient_descent_test.testBasic)', () => {
    const { var0, var1, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], new GradientDescentOptimizer(3.0));
    expect(update.type).toBe('NoOp');
    sess.run(update);
    expectAllClose(vals(sess.run(var0)), [1.0 - 3.0 * 0.1, 2.0 - 3.0 * 0.1]);
    expectAllClose(vals(sess.run(var1)), [3.0 - 3.0 * 0.01, 4.0 - 3.0 * 0.01]);
    sess.close();
  });

  it('uses ApplyGradientDescent under GradientDescent/update_<var>/ and a tensor learning rate', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const v = variable([1.0, 2.0], { name: 'w' });
      const lr = constant(3.0);
      const op = new GradientDescentOptimizer(lr).applyGradients([[constant([0.1, 0.1]), v]]);
      expect(op.name).toBe('GradientDescent');
      const apply = graph.getOperationByName('GradientDescent/update_w/ApplyGradientDescent');
      expect(apply.type).toBe('ApplyGradientDescent');
      expect(apply.inputs[1]).toBe(lr);
      expect(graph.getCollection(GraphKeys.TRAIN_OP)).toContain(op);
    });
  });

  it('sparse: IndexedSlices update only their rows, duplicates summed (testSparseBasic)', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const var0 = variable([[1.0], [2.0]], { name: 'var0' });
      const var1 = variable([[3.0], [4.0]], { name: 'var1' });
      const g0 = new IndexedSlices(
        constant([[0.1]]),
        constant([0], { dtype: 'int32' }),
        constant([2, 1], { dtype: 'int32' }),
      );
      const g1 = new IndexedSlices(constant([[0.01], [0.02]]), constant([1, 1], { dtype: 'int32' }), null);
      const op = new GradientDescentOptimizer(3.0).applyGradients([
        [g0, var0],
        [g1, var1],
      ]);
      expect(graph.getOperationByName('GradientDescent/update_var0/ScatterSub').type).toBe('ScatterSub');
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      sess.run(op);
      expectAllClose(vals(sess.run(var0)), [1.0 - 3.0 * 0.1, 2.0]);
      expectAllClose(vals(sess.run(var1)), [3.0, 4.0 - 3.0 * 0.03]);
      sess.close();
    });
  });
});

function momentumNumpy(v: Vec, accum: Vec, g: Vec, lr: number, m: number, nesterov: boolean): [Vec, Vec] {
  const acc = accum.map((a, i) => a * m + g[i]!);
  const out = v.map((x, i) => (nesterov ? x - g[i]! * lr - acc[i]! * m * lr : x - lr * acc[i]!));
  return [out, acc];
}

describe('MomentumOptimizer', () => {
  for (const [nesterov, sparse] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matches TF's reference (nesterov=${nesterov}, sparse=${sparse})`, () => {
      const opt = new MomentumOptimizer(2.0, 0.9, { useNesterov: nesterov });
      const { var0, var1, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], opt, sparse);
      expect(opt.getSlotNames()).toEqual(['momentum']);
      const slot0 = opt.getSlot(var0, 'momentum')!;
      expect(slot0.name).toBe('var0/Momentum:0');
      expect(slot0.trainable).toBe(false);
      expect(var0.graph.getCollection(GraphKeys.TRAINABLE_VARIABLES)).not.toContain(slot0);
      let [r0, a0, r1, a1]: Vec[] = [
        [1, 2],
        [0, 0],
        [3, 4],
        [0, 0],
      ];
      for (let t = 0; t < 3; t++) {
        sess.run(update);
        [r0, a0] = momentumNumpy(r0!, a0!, [0.1, 0.1], 2.0, 0.9, nesterov);
        [r1, a1] = momentumNumpy(r1!, a1!, [0.01, 0.01], 2.0, 0.9, nesterov);
        expectAllClose(vals(sess.run(var0)), r0!);
        expectAllClose(vals(sess.run(var1)), r1!);
        expectAllClose(vals(sess.run(slot0)), a0!);
      }
      sess.close();
    });
  }

  it('TF testBasic hard-coded values after two steps', () => {
    const { var0, var1, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], new MomentumOptimizer(2.0, 0.9));
    sess.run(update);
    expectAllClose(vals(sess.run(var0)), [1.0 - 0.1 * 2.0, 2.0 - 0.1 * 2.0]);
    sess.run(update);
    expectAllClose(vals(sess.run(var0)), [
      1.0 - 0.1 * 2.0 - (0.9 * 0.1 + 0.1) * 2.0,
      2.0 - 0.1 * 2.0 - (0.9 * 0.1 + 0.1) * 2.0,
    ]);
    expectAllClose(vals(sess.run(var1)), [
      2.98 - (0.9 * 0.01 + 0.01) * 2.0,
      3.98 - (0.9 * 0.01 + 0.01) * 2.0,
    ]);
    sess.close();
  });
});

function adamNumpy(p: Vec, g: Vec, t: number, m: Vec, v: Vec, lr = 0.001, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  const mt = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
  const vt = v.map((x, i) => b2 * x + (1 - b2) * g[i]! * g[i]!);
  const pt = p.map((x, i) => x - (alpha * mt[i]!) / (Math.sqrt(vt[i]!) + eps));
  return [pt, mt, vt] as const;
}

describe('AdamOptimizer', () => {
  for (const sparse of [false, true]) {
    it(`matches adam_update_numpy for 3 steps (sparse=${sparse})`, () => {
      const opt = new AdamOptimizer();
      const { graph, var0, var1, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], opt, sparse);
      expect(opt.getSlot(var0, 'm')!.name).toBe('var0/Adam:0');
      expect(opt.getSlot(var0, 'v')!.name).toBe('var0/Adam_1:0');
      expect(opt.getSlotNames()).toEqual(['m', 'v']);
      const b1p = graph
        .getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES)
        .find((v) => v.name === 'beta1_power:0')!;
      expect(b1p.trainable).toBe(false);
      let s0 = [
        [1, 2],
        [0, 0],
        [0, 0],
      ] as readonly Vec[];
      let s1 = [
        [3, 4],
        [0, 0],
        [0, 0],
      ] as readonly Vec[];
      for (let t = 1; t <= 3; t++) {
        expectAllClose(vals(sess.run(b1p)), [0.9 ** t]);
        sess.run(update);
        s0 = adamNumpy(s0[0]!, [0.1, 0.1], t, s0[1]!, s0[2]!);
        s1 = adamNumpy(s1[0]!, [0.01, 0.01], t, s1[1]!, s1[2]!);
        expectAllClose(vals(sess.run(var0)), s0[0]!, 1e-6);
        expectAllClose(vals(sess.run(var1)), s1[0]!, 1e-6);
        expectAllClose(vals(sess.run(opt.getSlot(var0, 'm')!)), s0[1]!, 1e-6);
        expectAllClose(vals(sess.run(opt.getSlot(var0, 'v')!)), s0[2]!, 1e-6);
      }
      expectAllClose(vals(sess.run(b1p)), [0.9 ** 4]);
      sess.close();
    });
  }

  it('sparse Adam decays the rows a gradient does not touch, as TF does', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const v = variable([1.0, 2.0, 3.0], { name: 'w' });
      const opt = new AdamOptimizer({ learningRate: 0.1 });
      const sl = (ix: number[], g: Vec) =>
        new IndexedSlices(constant(g), constant(ix, { dtype: 'int32' }), null);
      const first = opt.applyGradients([[sl([0, 1, 2], [0.5, 0.5, 0.5]), v]]);
      const second = opt.applyGradients([[sl([0, 0], [0.25, 0.25]), v]]);
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      sess.run(first);
      let s = adamNumpy([1, 2, 3], [0.5, 0.5, 0.5], 1, [0, 0, 0], [0, 0, 0], 0.1);
      expectAllClose(vals(sess.run(v)), s[0]);
      sess.run(second);
      s = adamNumpy(s[0], [0.5, 0, 0], 2, s[1], s[2], 0.1);
      expectAllClose(vals(sess.run(v)), s[0], 1e-5);
      sess.close();
    });
  });
});

describe('AdamWOptimizer', () => {
  it('decays weights by weightDecay * var before the Adam step', () => {
    const opt = new AdamWOptimizer({ weightDecay: 0.01, learningRate: 0.001 });
    const { var0, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], opt);
    expect(opt.getSlot(var0, 'm')!.name).toBe('var0/AdamW:0');
    let s = [
      [1, 2],
      [0, 0],
      [0, 0],
    ] as readonly Vec[];
    for (let t = 1; t <= 3; t++) {
      sess.run(update);
      s = adamNumpy(
        s[0]!.map((x) => x - 0.01 * x),
        [0.1, 0.1],
        t,
        s[1]!,
        s[2]!,
      );
      expectAllClose(vals(sess.run(var0)), s[0]!, 1e-6);
    }
    sess.close();
  });
});

describe('AdagradOptimizer', () => {
  it("TF testBasic's hard-coded values after 3 steps (lr 3, accumulator 0.1)", () => {
    const opt = new AdagradOptimizer(3.0, { initialAccumulatorValue: 0.1 });
    const { var0, var1, update, sess } = twoVars([0.1, 0.1], [0.01, 0.01], opt);
    expect(opt.getSlot(var0, 'accumulator')!.name).toBe('var0/Adagrad:0');
    expectAllClose(vals(sess.run(opt.getSlot(var0, 'accumulator')!)), [0.1, 0.1]);
    for (let t = 0; t < 3; t++) sess.run(update);
    expectAllClose(vals(sess.run(var0)), [-1.6026098728179932, -0.6026098728179932], 1e-6);
    expectAllClose(vals(sess.run(var1)), [2.715679168701172, 3.715679168701172], 1e-6);
    sess.close();
  });

  it('repeated indices act like their sum (testSparseRepeatedIndices)', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const a = variable([[1.0], [2.0]], { name: 'a' });
      const b = variable([[1.0], [2.0]], { name: 'b' });
      const opt = new AdagradOptimizer(1.0);
      const repeated = new IndexedSlices(
        constant([[0.1], [0.1]]),
        constant([1, 1], { dtype: 'int32' }),
        null,
      );
      const summed = new IndexedSlices(constant([[0.2]]), constant([1], { dtype: 'int32' }), null);
      const ua = opt.applyGradients([[repeated, a]]);
      const ub = opt.applyGradients([[summed, b]]);
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      for (let t = 0; t < 3; t++) {
        sess.run([ua, ub]);
        expectAllClose(vals(sess.run(a)), vals(sess.run(b)));
      }
      expect(vals(sess.run(a))[0]).toBe(1.0);
      sess.close();
    });
  });

  it('rejects a non-positive initial accumulator', () => {
    expect(() => new AdagradOptimizer(1, { initialAccumulatorValue: 0 })).toThrow(
      'initial_accumulator_value must be positive: 0',
    );
  });
});

function rmspropNumpy(
  v: Vec,
  g: Vec,
  mg: Vec,
  rms: Vec,
  mom: Vec,
  lr: number,
  decay: number,
  momentum: number,
  eps: number,
  centered: boolean,
) {
  const rmsT = rms.map((r, i) => r * decay + (1 - decay) * g[i]! * g[i]!);
  const mgT = centered ? mg.map((m, i) => m * decay + (1 - decay) * g[i]!) : mg;
  const denom = rmsT.map((r, i) => r + eps - (centered ? mgT[i]! * mgT[i]! : 0));
  const momT = mom.map((m, i) => momentum * m + (lr * g[i]!) / Math.sqrt(denom[i]!));
  return [v.map((x, i) => x - momT[i]!), mgT, rmsT, momT] as const;
}

describe('RMSPropOptimizer', () => {
  // TF rmsprop_test's _TEST_PARAM_VALUES: learning rate, decay, momentum, epsilon, centered.
  const params = [
    [0.5, 0.9, 0.0, 1e-3, true],
    [0.5, 0.9, 0.0, 1e-3, false],
    [0.5, 0.9, 0.1, 1e-3, true],
    [0.5, 0.9, 0.1, 1e-3, false],
    [0.1, 0.9, 0.0, 1e-3, true],
    [0.1, 0.9, 0.0, 1e-3, false],
    [0.1, 0.9, 0.1, 1e-5, true],
    [0.1, 0.9, 0.1, 1e-5, false],
  ] as const;
  for (const [lr, decay, momentum, epsilon, centered] of params) {
    for (const sparse of [false, true]) {
      it(`lr=${lr} decay=${decay} momentum=${momentum} eps=${epsilon} centered=${centered} sparse=${sparse}`, () => {
        const opt = new RMSPropOptimizer(lr, { decay, momentum, epsilon, centered });
        const g0 = [0.1, 0.2];
        const g1 = [0.01, 0.2];
        const { var0, var1, update, sess } = twoVars(g0, g1, opt, sparse);
        expect(opt.getSlot(var0, 'rms')!.name).toBe('var0/RMSProp:0');
        expect(opt.getSlot(var0, 'momentum')!.name).toBe(centered ? 'var0/RMSProp_2:0' : 'var0/RMSProp_1:0');
        let s0 = [
          [1, 2],
          [0, 0],
          [1, 1],
          [0, 0],
        ] as readonly Vec[];
        let s1 = [
          [3, 4],
          [0, 0],
          [1, 1],
          [0, 0],
        ] as readonly Vec[];
        for (let t = 0; t < 4; t++) {
          sess.run(update);
          s0 = rmspropNumpy(s0[0]!, g0, s0[1]!, s0[2]!, s0[3]!, lr, decay, momentum, epsilon, centered);
          s1 = rmspropNumpy(s1[0]!, g1, s1[1]!, s1[2]!, s1[3]!, lr, decay, momentum, epsilon, centered);
          expectAllClose(vals(sess.run(var0)), s0[0]!, 2e-6);
          expectAllClose(vals(sess.run(var1)), s1[0]!, 2e-6);
          expectAllClose(vals(sess.run(opt.getSlot(var0, 'rms')!)), s0[2]!, 2e-6);
        }
        sess.close();
      });
    }
  }
});

describe('apply ops', () => {
  it('have no tensor leaks and reject mismatched shapes at build time', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const v = variable([1.0, 2.0], { name: 'w' });
      expect(() => new GradientDescentOptimizer(1).applyGradients([[constant([1, 2, 3]), v]])).toThrow(
        /ApplyGradientDescent op .*var and grad do not have the same shape: \[2\] vs \[3\]/,
      );
      const op = new MomentumOptimizer(0.1, 0.9).applyGradients([[constant([1, 2]), v]]);
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      sess.run(op);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) sess.run(op);
      expect(tf.memory().numTensors).toBe(before);
      sess.close();
    });
  });

  it('sparse apply ops reject out-of-range indices at run time and leave state untouched', () => {
    const graph = new Graph();
    graph.asDefault(() => {
      const v = variable([1.0, 2.0], { name: 'w' });
      const bad = new IndexedSlices(constant([1.0]), constant([5], { dtype: 'int32' }), null);
      const opt = new MomentumOptimizer(0.1, 0.9);
      const op = opt.applyGradients([[bad, v]]);
      const sess = new Session(graph);
      sess.run(globalVariablesInitializer());
      expect(() => sess.run(op)).toThrow('indices[0] = 5 is not in [0, 2)');
      expectAllClose(vals(sess.run(v)), [1, 2]);
      sess.close();
    });
  });
});

describe('sparse (Gather) and dense gradients train an embedding identically', () => {
  // Every row is looked up each step (with duplicates), so the sparse updates touch every row and
  // must match the dense ones: this checks the IndexedSlices path end to end, duplicates summed.
  const ids = [0, 2, 1, 2, 0, 3];
  const makers: [string, () => Optimizer][] = [
    ['GradientDescent', () => new GradientDescentOptimizer(0.5)],
    ['Momentum', () => new MomentumOptimizer(0.1, 0.9)],
    ['Nesterov', () => new MomentumOptimizer(0.1, 0.9, { useNesterov: true })],
    ['Adam', () => new AdamOptimizer({ learningRate: 0.1 })],
    ['AdamW', () => new AdamWOptimizer({ weightDecay: 0.01, learningRate: 0.1 })],
    ['Adagrad', () => new AdagradOptimizer(0.5)],
    ['RMSProp', () => new RMSPropOptimizer(0.05, { momentum: 0.5 })],
    ['RMSProp centered', () => new RMSPropOptimizer(0.05, { momentum: 0.5, centered: true })],
  ];
  for (const [label, make] of makers) {
    it(label, () => {
      const train = (sparse: boolean): Vec => {
        const graph = new Graph();
        return graph.asDefault(() => {
          const table = variable(
            [
              [1.0, -1.0],
              [0.5, 2.0],
              [-0.5, 0.25],
              [1.5, 1.0],
            ],
            { name: 'embedding' },
          );
          const idx = constant(ids, { dtype: 'int32' });
          const rows = sparse ? gather(table, idx) : matMul(oneHot(idx, 4), table);
          const target = constant([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { shape: [6, 2] });
          const loss = reduceSum(square(sub(rows, target)));
          const opt = make();
          const gv = opt.computeGradients(loss);
          expect(gv[0]![0] instanceof IndexedSlices).toBe(sparse);
          const op = opt.applyGradients(gv);
          const sess = new Session(graph);
          sess.run(globalVariablesInitializer());
          for (let i = 0; i < 4; i++) sess.run(op);
          return vals(sess.run(table));
        });
      };
      expectAllClose(train(true), train(false), 1e-5);
    });
  }
});

describe('wasm backend', () => {
  const makers: (() => Optimizer)[] = [
    () => new GradientDescentOptimizer(0.1),
    () => new MomentumOptimizer(0.1, 0.9, { useNesterov: true }),
    () => new AdamOptimizer(),
    () => new AdamWOptimizer({ weightDecay: 0.1 }),
    () => new AdagradOptimizer(0.1),
    () => new RMSPropOptimizer(0.1, { momentum: 0.5, centered: true }),
  ];
  for (const sparse of [false, true]) {
    it(`every optimizer's ${sparse ? 'sparse' : 'dense'} update matches the cpu backend`, async () => {
      for (const make of makers) {
        const graph = new Graph();
        const [w, op, init] = graph.asDefault(() => {
          const w = variable(
            [
              [1.0, 2.0],
              [3, 4],
              [5, 6],
            ],
            { name: 'w' },
          );
          const g = sparse
            ? new IndexedSlices(
                constant([
                  [1.0, 1.0],
                  [2, -2],
                ]),
                constant([2, 2], { dtype: 'int32' }),
                null,
              )
            : constant([
                [1.0, 1.0],
                [2, -2],
                [0.5, 0],
              ]);
          return [w, make().applyGradients([[g, w]]), globalVariablesInitializer()] as const;
        });
        const results = [];
        for (const sess of [await Session.create(graph, { backend: 'wasm' }), new Session(graph)]) {
          sess.run(init);
          sess.run([op]);
          sess.run([op]);
          results.push(vals(sess.run(w)));
          sess.close();
        }
        expectAllClose(results[0]!, results[1]!, 1e-6);
      }
    });
  }
});
