// API contract audit, §4 of API.md: optimizers (exact constructor forms and defaults), the
// global step, createTrainOp and every option, the gradient helpers, summaries, FileWriter, Saver,
// latestCheckpoint, train() and the hooks — called exactly as API.md writes them. Expected values
// come from TF's update formulas written out in plain JS.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexedSlices } from '@graphmode/autodiff';
import {
  add,
  constant,
  div,
  Graph,
  GraphKeys,
  getDefaultGraph,
  globalVariablesInitializer,
  InvalidArgumentError,
  mul,
  type NDArray,
  Operation,
  placeholder,
  reduceSum,
  Session,
  square,
  Tensor,
  Variable,
  variable,
} from '@graphmode/graph';
import {
  AdagradOptimizer,
  AdamOptimizer,
  addGradientsSummaries,
  CheckpointSaverHook,
  clipGradientNorms,
  clipGradientNormsFn,
  createGlobalStep,
  createTrainOp,
  FileWriter,
  type GradAndVar,
  GradientDescentOptimizer,
  getGlobalStep,
  getOrCreateGlobalStep,
  LoggingTensorHook,
  latestCheckpoint,
  MomentumOptimizer,
  multiplyGradients,
  NanTensorHook,
  Optimizer,
  RMSPropOptimizer,
  Saver,
  type SessionRunHook,
  StepCounterHook,
  StopAtStepHook,
  SummarySaverHook,
  setLogger,
  summary,
  train,
  USE_GLOBAL_STEP,
} from '@graphmode/train';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'graphmode-contract-'));

function build<T>(fn: () => T): { g: Graph; sess: Session; out: T } {
  const g = new Graph();
  const out = g.asDefault(fn);
  return { g, sess: new Session(g), out };
}

const values = (a: NDArray): number[] => Array.from(a.data as Float32Array);
function closeList(actual: readonly number[], expected: readonly number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!))),
  );
}

// loss = sum(w * C): the gradient is C at every step, so TF's update formulas are easy to unroll.
const W0 = [1, -2, 0.5];
const C = [0.3, -0.7, 1.5];

/** Runs `steps` updates of `make()` on loss = sum(w * C) and returns w after each step. */
function trajectory(make: () => Optimizer, steps: number): number[][] {
  const { sess, out } = build(() => {
    const w = variable(W0, { name: 'w' });
    const step = make().minimize(reduceSum(mul(w, C)));
    return { w, step, init: globalVariablesInitializer() };
  });
  sess.run(out.init);
  const traj: number[][] = [];
  for (let i = 0; i < steps; i++) {
    sess.run(out.step);
    traj.push(values(sess.run(out.w)));
  }
  return traj;
}

/** TF's update rules, elementwise, unrolled in plain JS. */
function reference(
  update: (w: number, g: number, s: Record<string, number>, t: number) => number,
  init: Record<string, number>,
  steps: number,
): number[][] {
  const w = [...W0];
  const state = W0.map(() => ({ ...init }));
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < w.length; i++) w[i] = update(w[i]!, C[i]!, state[i]!, t);
    out.push([...w]);
  }
  return out;
}

describe('§4 optimizers: constructor forms, defaults and update formulas', () => {
  it('Optimizer has the static GATE_* constants', () => {
    expect(Optimizer.GATE_NONE).toBe(0);
    expect(Optimizer.GATE_OP).toBe(1);
    expect(Optimizer.GATE_GRAPH).toBe(2);
  });

  it('GradientDescentOptimizer(learningRate: number | Tensor)', () => {
    const want = reference((w, g) => w - 0.1 * g, {}, 3);
    trajectory(() => new GradientDescentOptimizer(0.1), 3).forEach((w, i) => closeList(w, want[i]!));
    trajectory(() => new GradientDescentOptimizer(constant(0.1)), 3).forEach((w, i) =>
      closeList(w, want[i]!),
    );
  });

  it('MomentumOptimizer(learningRate, momentum, { useNesterov })', () => {
    const plain = reference(
      (w, g, s) => {
        s.a = s.a! * 0.9 + g;
        return w - 0.1 * s.a;
      },
      { a: 0 },
      3,
    );
    trajectory(() => new MomentumOptimizer(0.1, 0.9), 3).forEach((w, i) => closeList(w, plain[i]!));
    const nesterov = reference(
      (w, g, s) => {
        s.a = s.a! * 0.9 + g;
        return w - 0.1 * (g + 0.9 * s.a);
      },
      { a: 0 },
      3,
    );
    trajectory(() => new MomentumOptimizer(0.1, 0.9, { useNesterov: true }), 3).forEach((w, i) =>
      closeList(w, nesterov[i]!),
    );
  });

  it('AdamOptimizer({ learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 })', () => {
    const adam = (lr: number, b1: number, b2: number, eps: number) =>
      reference(
        (w, g, s, t) => {
          const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
          s.m = b1 * s.m! + (1 - b1) * g;
          s.v = b2 * s.v! + (1 - b2) * g * g;
          return w - (lrT * s.m) / (Math.sqrt(s.v) + eps);
        },
        { m: 0, v: 0 },
        3,
      );
    const defaults = adam(0.001, 0.9, 0.999, 1e-8);
    trajectory(() => new AdamOptimizer(), 3).forEach((w, i) => closeList(w, defaults[i]!));
    trajectory(() => new AdamOptimizer({}), 3).forEach((w, i) => closeList(w, defaults[i]!));
    const custom = adam(0.1, 0.5, 0.9, 0.1);
    trajectory(
      () => new AdamOptimizer({ learningRate: 0.1, beta1: 0.5, beta2: 0.9, epsilon: 0.1 }),
      3,
    ).forEach((w, i) => closeList(w, custom[i]!));
  });

  it('AdagradOptimizer(learningRate, { initialAccumulatorValue = 0.1 })', () => {
    const adagrad = (init: number) =>
      reference(
        (w, g, s) => {
          s.a = s.a! + g * g;
          return w - (0.5 * g) / Math.sqrt(s.a);
        },
        { a: init },
        3,
      );
    const d = adagrad(0.1);
    trajectory(() => new AdagradOptimizer(0.5), 3).forEach((w, i) => closeList(w, d[i]!));
    const c = adagrad(2);
    trajectory(() => new AdagradOptimizer(0.5, { initialAccumulatorValue: 2 }), 3).forEach((w, i) =>
      closeList(w, c[i]!),
    );
  });

  it('RMSPropOptimizer(learningRate, { decay = 0.9, momentum = 0, epsilon = 1e-10, centered = false })', () => {
    const rms = (decay: number, momentum: number, eps: number, centered: boolean) =>
      reference(
        (w, g, s) => {
          s.ms = decay * s.ms! + (1 - decay) * g * g;
          s.mg = decay * s.mg! + (1 - decay) * g;
          const denom = centered ? s.ms - s.mg * s.mg + eps : s.ms + eps;
          s.mom = momentum * s.mom! + (0.01 * g) / Math.sqrt(denom);
          return w - s.mom;
        },
        { ms: 1, mg: 0, mom: 0 },
        3,
      );
    const d = rms(0.9, 0, 1e-10, false);
    trajectory(() => new RMSPropOptimizer(0.01), 3).forEach((w, i) => closeList(w, d[i]!));
    const c = rms(0.8, 0.5, 1e-3, true);
    trajectory(
      () => new RMSPropOptimizer(0.01, { decay: 0.8, momentum: 0.5, epsilon: 1e-3, centered: true }),
      3,
    ).forEach((w, i) => closeList(w, c[i]!));
  });

  it('computeGradients / applyGradients / minimize with every documented option', () => {
    const { g, sess, out } = build(() => {
      const w = variable([1, 2], { name: 'w' });
      const b = variable(3, { name: 'b' });
      const frozen = variable(5, { name: 'frozen', trainable: false });
      const loss = add(reduceSum(mul(w, w)), mul(b, frozen));
      const opt = new GradientDescentOptimizer(0.5);
      const gv = opt.computeGradients(loss, {
        varList: [b, w],
        gateGradients: Optimizer.GATE_GRAPH,
        aggregationMethod: 0,
        colocateGradientsWithOps: true,
        gradLoss: constant(2),
      });
      const dflt = opt.computeGradients(loss);
      const none = opt.computeGradients(loss, { gateGradients: Optimizer.GATE_NONE });
      const step = getOrCreateGlobalStep();
      const apply = opt.applyGradients(gv, { globalStep: step, name: 'my_apply' });
      const min = opt.minimize(loss, { varList: [w], gateGradients: Optimizer.GATE_OP, name: 'my_min' });
      return { w, b, gv, dflt, none, step, apply, min, init: globalVariablesInitializer() };
    });
    expectTypeOf(out.gv).toEqualTypeOf<GradAndVar[]>();
    expectTypeOf<GradAndVar>().toEqualTypeOf<[Tensor | IndexedSlices | null, Variable]>();
    expect(out.gv.map(([, v]) => v)).toEqual([out.b, out.w]);
    expect(out.dflt.map(([, v]) => v)).toEqual([out.w, out.b]);
    expect(out.none).toHaveLength(2);
    expect(out.apply).toBeInstanceOf(Operation);
    expect(out.apply.name).toBe('my_apply');
    expect(out.min).toBeInstanceOf(Operation);
    expect(out.min.name).toBe('my_min');
    expect(g.getOperations()).toContain(out.min);
    sess.run(out.init);
    const [gb, gw] = sess.run(out.gv.map(([grad]) => grad as Tensor));
    expect(gb!.item()).toBe(10); // gradLoss 2 × frozen 5
    expect(gw!.toArray()).toEqual([4, 8]);
    sess.run(out.apply);
    expect(sess.run(out.w).toArray()).toEqual([-1, -2]);
    expect(sess.run(out.b).item()).toBe(-2);
    expect(sess.run(out.step).item()).toBe(1);
    sess.run(out.min);
    expect(sess.run(out.w).toArray()).toEqual([0, 0]);
    expect(sess.run(out.step).item()).toBe(1);
  });

  it('getSlot(v, name) and getSlotNames()', () => {
    const { out } = build(() => {
      const w = variable([1, 2], { name: 'w' });
      const loss = reduceSum(square(w));
      const m = new MomentumOptimizer(0.1, 0.9);
      const a = new AdamOptimizer();
      const ag = new AdagradOptimizer(0.1);
      const r = new RMSPropOptimizer(0.1, { centered: true });
      const gd = new GradientDescentOptimizer(0.1);
      for (const o of [m, a, ag, r, gd]) o.minimize(loss);
      return { w, m, a, ag, r, gd };
    });
    const { w, m, a, ag, r, gd } = out;
    expect(m.getSlotNames()).toEqual(['momentum']);
    expect(a.getSlotNames()).toEqual(['m', 'v']);
    expect(ag.getSlotNames()).toEqual(['accumulator']);
    expect(r.getSlotNames()).toEqual(['mg', 'momentum', 'rms']);
    expect(gd.getSlotNames()).toEqual([]);
    const slot = m.getSlot(w, 'momentum');
    expect(slot).toBeInstanceOf(Variable);
    expect(slot!.shape).toEqual([2]);
    expect(slot!.op.name).toBe('w/Momentum');
    expect(a.getSlot(w, 'm')!.op.name).toBe('w/Adam');
    expect(a.getSlot(w, 'v')!.op.name).toBe('w/Adam_1');
    expect(m.getSlot(w, 'nope')).toBeNull();
  });
});

describe('§4 the global step', () => {
  it("is an int32 scalar 'global_step', non-trainable, in GLOBAL_VARIABLES and GLOBAL_STEP", () => {
    const g = new Graph();
    expect(getGlobalStep(g)).toBeNull();
    const step = createGlobalStep(g);
    expect(step).toBeInstanceOf(Variable);
    expect(step.op.name).toBe('global_step');
    expect(step.name).toBe('global_step:0');
    expect(step.dtype).toBe('int32');
    expect(step.shape).toEqual([]);
    expect(step.trainable).toBe(false);
    expect(g.getCollection(GraphKeys.GLOBAL_VARIABLES)).toContain(step);
    expect(g.getCollection(GraphKeys.GLOBAL_STEP)).toEqual([step]);
    expect(g.getCollection(GraphKeys.TRAINABLE_VARIABLES)).not.toContain(step);
    expect(getGlobalStep(g)).toBe(step);
    expect(getOrCreateGlobalStep(g)).toBe(step);
    expect(() => createGlobalStep(g)).toThrow();
    const sess = new Session(g);
    sess.run(step.initializer);
    expect(sess.run(step).item()).toBe(0);
  });

  it('defaults to the default graph', () => {
    const g = new Graph();
    g.asDefault(() => {
      expect(getGlobalStep()).toBeNull();
      const s = getOrCreateGlobalStep();
      expect(s.graph).toBe(g);
      expect(getGlobalStep()).toBe(s);
      expect(getOrCreateGlobalStep()).toBe(s);
      expect(() => createGlobalStep()).toThrow();
    });
    expect(getGlobalStep(getDefaultGraph()) === getGlobalStep(g)).toBe(false);
  });
});

describe('§4 createTrainOp', () => {
  afterEach(() => {
    setLogger(null);
    vi.restoreAllMocks();
  });

  function model() {
    const w = variable([1, 2], { name: 'w' });
    const x = placeholder('float32', [2], { name: 'x' });
    const loss = reduceSum(mul(square(w), x));
    return { w, x, loss };
  }

  it('defaults: global step created and incremented, returns the loss, in TRAIN_OP', () => {
    expect(typeof USE_GLOBAL_STEP).toBe('symbol');
    const { g, sess, out } = build(() => {
      const m = model();
      const trainOp = createTrainOp(m.loss, new GradientDescentOptimizer(0.1));
      return { ...m, trainOp, init: globalVariablesInitializer() };
    });
    expect(out.trainOp).toBeInstanceOf(Tensor);
    // TF: applyGradients adds its op to TRAIN_OP too; createTrainOp adds the returned tensor
    expect(g.getCollection(GraphKeys.TRAIN_OP)).toContain(out.trainOp);
    const step = getGlobalStep(g)!;
    expect(step).not.toBeNull();
    sess.run(out.init);
    const loss = sess.run(out.trainOp, [[out.x, [1, 1]]]);
    expect(loss.item()).toBeCloseTo(5, 5); // the loss before the update
    expect(sess.run(step).item()).toBe(1);
    closeList(values(sess.run(out.w)), [1 - 0.1 * 2, 2 - 0.1 * 4]);
  });

  it('globalStep: USE_GLOBAL_STEP, an explicit Variable, or null', () => {
    const { g, sess, out } = build(() => {
      const m = model();
      const mine = variable(10, { name: 'my_step', dtype: 'int32', trainable: false });
      const a = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), { globalStep: USE_GLOBAL_STEP });
      const b = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), { globalStep: mine });
      const c = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), { globalStep: null });
      return { ...m, mine, a, b, c, init: globalVariablesInitializer() };
    });
    const step = getGlobalStep(g)!;
    sess.run(out.init);
    const feed: [Tensor, number[]][] = [[out.x, [1, 1]]];
    sess.run(out.a, feed);
    sess.run(out.b, feed);
    sess.run(out.c, feed);
    expect(sess.run(step).item()).toBe(1);
    expect(sess.run(out.mine).item()).toBe(11);
  });

  it('globalStep null creates no global step', () => {
    const { g } = build(() =>
      createTrainOp(model().loss, new GradientDescentOptimizer(0.1), { globalStep: null }),
    );
    expect(getGlobalStep(g)).toBeNull();
  });

  it('updateOps (default GraphKeys.UPDATE_OPS) run first; a partial list warns through console.warn', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { g, sess, out } = build(() => {
      const m = model();
      const counter = variable(0, { name: 'counter', trainable: false });
      const other = variable(0, { name: 'other', trainable: false });
      const inc = counter.assignAdd(1);
      const incOther = other.assignAdd(1);
      getDefaultGraph().addToCollection(GraphKeys.UPDATE_OPS, inc);
      getDefaultGraph().addToCollection(GraphKeys.UPDATE_OPS, incOther);
      const dflt = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), { globalStep: null });
      expect(warn).not.toHaveBeenCalled();
      const partial = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), {
        globalStep: null,
        updateOps: [inc.op],
      });
      const noneOps = createTrainOp(m.loss, new GradientDescentOptimizer(0.1), {
        globalStep: null,
        updateOps: null,
      });
      return { ...m, counter, other, dflt, partial, noneOps, init: globalVariablesInitializer() };
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain(
      'update_ops in create_train_op does not contain all the update_ops in GraphKeys.UPDATE_OPS',
    );
    expect(g).toBeInstanceOf(Graph);
    sess.run(out.init);
    const feed: [Tensor, number[]][] = [[out.x, [1, 1]]];
    sess.run(out.dflt, feed);
    expect([sess.run(out.counter).item(), sess.run(out.other).item()]).toEqual([1, 1]);
    sess.run(out.partial, feed);
    expect([sess.run(out.counter).item(), sess.run(out.other).item()]).toEqual([2, 1]);
    sess.run(out.noneOps, feed);
    expect([sess.run(out.counter).item(), sess.run(out.other).item()]).toEqual([3, 2]);
  });

  it('a user logger replaces console.warn', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const seen: string[] = [];
    setLogger({ warn: (m) => seen.push(m), info: () => {} });
    build(() => {
      const m = model();
      const v = variable(0, { trainable: false });
      getDefaultGraph().addToCollection(GraphKeys.UPDATE_OPS, v.assignAdd(1));
      createTrainOp(m.loss, new GradientDescentOptimizer(0.1), { updateOps: [] });
    });
    expect(warn).not.toHaveBeenCalled();
    expect(seen.some((m) => m.includes('does not contain all the update_ops'))).toBe(true);
  });

  it('variablesToTrain, transformGradsFn, summarizeGradients and the gradient options', () => {
    const { g, sess, out } = build(() => {
      const w = variable([1, 2], { name: 'w' });
      const b = variable(1, { name: 'b' });
      const loss = add(reduceSum(square(w)), square(b));
      const onlyB = createTrainOp(loss, new GradientDescentOptimizer(0.1), {
        globalStep: null,
        variablesToTrain: [b],
        gateGradients: Optimizer.GATE_NONE,
        aggregationMethod: 1,
        colocateGradientsWithOps: true,
      });
      const scaled = createTrainOp(loss, new GradientDescentOptimizer(0.1), {
        globalStep: null,
        variablesToTrain: [w],
        transformGradsFn: (gv) =>
          gv.map(([grad, v]): GradAndVar => [grad === null ? null : mul(grad as Tensor, 0), v]),
        summarizeGradients: true,
      });
      return { w, b, onlyB, scaled, init: globalVariablesInitializer() };
    });
    expect(g.getCollection(GraphKeys.SUMMARIES).length).toBeGreaterThanOrEqual(2);
    sess.run(out.init);
    sess.run(out.onlyB);
    expect(sess.run(out.w).toArray()).toEqual([1, 2]);
    closeList([sess.run(out.b).item() as number], [0.8]);
    sess.run(out.scaled);
    expect(sess.run(out.w).toArray()).toEqual([1, 2]);
  });

  it('checkNumerics (default true): a NaN loss fails with "LossTensor is inf or nan" and changes nothing', () => {
    const { g, sess, out } = build(() => {
      const w = variable([1, 2], { name: 'w' });
      const x = placeholder('float32', [], { name: 'x' });
      const loss = reduceSum(mul(w, div(x, x)));
      const checked = createTrainOp(loss, new GradientDescentOptimizer(0.1));
      const unchecked = createTrainOp(loss, new GradientDescentOptimizer(0.1), { checkNumerics: false });
      return { w, x, checked, unchecked, init: globalVariablesInitializer() };
    });
    const step = getGlobalStep(g)!;
    sess.run(out.init);
    expect(() => sess.run(out.checked, [[out.x, 0]])).toThrow(InvalidArgumentError);
    expect(() => sess.run(out.checked, [[out.x, 0]])).toThrow(/LossTensor is inf or nan/);
    expect(sess.run(out.w).toArray()).toEqual([1, 2]);
    expect(sess.run(step).item()).toBe(0);
    const v = sess.run(out.unchecked, [[out.x, 0]]);
    expect(Number.isNaN(v.item())).toBe(true);
    expect(sess.run(step).item()).toBe(1);
  });
});

describe('§4 gradient helpers', () => {
  function setup() {
    return build(() => {
      const w = variable([3, 4], { name: 'w' });
      const b = variable([1], { name: 'b' });
      const n = variable([1], { name: 'n' });
      const gv: GradAndVar[] = [
        [constant([3, 4]), w],
        [constant([0.5]), b],
        [null, n],
      ];
      return { w, b, n, gv };
    });
  }

  it('clipGradientNorms(gradsAndVars, maxNorm) and clipGradientNormsFn(maxNorm)', () => {
    const { g, sess, out } = setup();
    const clipped = g.asDefault(() => clipGradientNorms(out.gv, 1));
    const viaFn = g.asDefault(() => clipGradientNormsFn(1)(out.gv));
    for (const gv of [clipped, viaFn]) {
      expect(gv.map(([, v]) => v)).toEqual([out.w, out.b, out.n]);
      expect(gv[2]![0]).toBeNull();
      closeList(values(sess.run(gv[0]![0] as Tensor)), [0.6, 0.8]);
      closeList(values(sess.run(gv[1]![0] as Tensor)), [0.5]);
    }
  });

  it('multiplyGradients(gradsAndVars, Map keyed by Variable or name)', () => {
    const { g, sess, out } = setup();
    const byVar = g.asDefault(() =>
      multiplyGradients(out.gv, new Map<Variable | string, number | Tensor>([[out.w, 2]])),
    );
    closeList(values(sess.run(byVar[0]![0] as Tensor)), [6, 8]);
    closeList(values(sess.run(byVar[1]![0] as Tensor)), [0.5]);
    const byName = g.asDefault(() =>
      multiplyGradients(out.gv, new Map<Variable | string, number | Tensor>([['b', constant(4)]])),
    );
    closeList(values(sess.run(byName[1]![0] as Tensor)), [2]);
    closeList(values(sess.run(byName[0]![0] as Tensor)), [3, 4]);
    const byTensorName = g.asDefault(() =>
      multiplyGradients(out.gv, new Map<Variable | string, number | Tensor>([[out.w.name, 0.5]])),
    );
    closeList(values(sess.run(byTensorName[0]![0] as Tensor)), [1.5, 2]);
  });

  it('addGradientsSummaries(gradsAndVars) returns Operations (skipping null gradients)', () => {
    const { g, out } = setup();
    const ops = g.asDefault(() => addGradientsSummaries(out.gv));
    expectTypeOf(ops).toEqualTypeOf<Operation[]>();
    expect(ops.length).toBe(4);
    for (const op of ops) expect(op).toBeInstanceOf(Operation);
  });
});

/** masked CRC32C as TFRecord uses it, written out independently of the package. */
function maskedCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  crc = (crc ^ 0xffffffff) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

function readRecords(path: string): Uint8Array[] {
  const buf = new Uint8Array(readFileSync(path));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = Number(view.getBigUint64(off, true));
    expect(view.getUint32(off + 8, true)).toBe(maskedCrc32c(buf.subarray(off, off + 8)));
    const data = buf.subarray(off + 12, off + 12 + len);
    expect(view.getUint32(off + 12 + len, true)).toBe(maskedCrc32c(data));
    out.push(data);
    off += 16 + len;
  }
  return out;
}

describe('§4 summaries, FileWriter, Saver, latestCheckpoint', () => {
  it('summary.scalar / histogram / mergeAll', () => {
    const { g, sess, out } = build(() => {
      expect(summary.mergeAll()).toBeNull();
      const s = summary.scalar('loss', constant(1.5));
      const h = summary.histogram('weights', constant([1, 2, 3]));
      return { s, h, merged: summary.mergeAll() };
    });
    expect(out.s).toBeInstanceOf(Tensor);
    expect(out.h).toBeInstanceOf(Tensor);
    expect(out.merged).toBeInstanceOf(Tensor);
    expect(g.getCollection(GraphKeys.SUMMARIES)).toEqual([out.s, out.h]);
    expect(sess.run(out.merged!).dtype).toBe('string');
  });

  it('FileWriter(logdir, graph?) writes TFRecord-framed events with masked CRC32C', async () => {
    const dir = tmp();
    const { g, sess, out } = build(() => summary.scalar('my_loss', constant(2.5)));
    const writer = new FileWriter(dir, g);
    writer.addSummary(sess.run(out), 7);
    await writer.flush();
    await writer.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    const records = readRecords(join(dir, files[0]!));
    expect(records.length).toBe(3); // file version, graph, summary
    expect(Buffer.from(records[0]!).toString('latin1')).toContain('brain.Event:2');
    expect(Buffer.from(records[2]!).toString('latin1')).toContain('my_loss');
  });

  it('Saver({ varList, maxToKeep = 5 }).save(sess, prefix, { globalStep }) / restore; latestCheckpoint(dir)', async () => {
    const dir = tmp();
    expect(latestCheckpoint(dir)).toBeNull();
    const { sess, out } = build(() => {
      const w = variable([1, 2], { name: 'w' });
      const other = variable(5, { name: 'other' });
      return {
        w,
        other,
        saver: new Saver(),
        only: new Saver({ varList: [w], maxToKeep: 2 }),
        init: globalVariablesInitializer(),
      };
    });
    sess.run(out.init);
    const path = await out.saver.save(sess, join(dir, 'model.ckpt'), { globalStep: 3 });
    expect(path).toBe(join(dir, 'model.ckpt-3'));
    expect(latestCheckpoint(dir)).toBe(path);
    sess.run([out.w.assign([9, 9]), out.other.assign(0)]);
    await out.saver.restore(sess, path);
    expect(sess.run(out.w).toArray()).toEqual([1, 2]);
    expect(sess.run(out.other).item()).toBe(5);
    for (let s = 10; s < 17; s++) await out.saver.save(sess, join(dir, 'model.ckpt'), { globalStep: s });
    const kept = readdirSync(dir).filter((f) => f.endsWith('.index'));
    expect(kept.sort()).toEqual([12, 13, 14, 15, 16].map((s) => `model.ckpt-${s}.index`));
    const dir2 = tmp();
    const p2 = await out.only.save(sess, join(dir2, 'only'));
    expect(p2).toBe(join(dir2, 'only'));
    sess.run(out.other.assign(1));
    await out.only.restore(sess, p2);
    expect(sess.run(out.other).item()).toBe(1);
  });
});

describe('§4 train() and hooks', () => {
  function trainGraph() {
    const g = new Graph();
    const out = g.asDefault(() => {
      const w = variable([1, 2], { name: 'w' });
      const loss = reduceSum(square(w));
      const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.1));
      return { w, loss, trainOp, step: getGlobalStep()! };
    });
    return { g, ...out };
  }

  it('returns the last loss; saves and restores from logdir', async () => {
    const dir = tmp();
    const a = trainGraph();
    const p = train(a.trainOp, dir, {
      hooks: [new StopAtStepHook({ numSteps: 3 })],
      saveSummariesSteps: null,
    });
    expect(p).toBeInstanceOf(Promise);
    const loss = await p;
    // w shrinks by 0.8 per step: the third step's pre-update loss is 5 * 0.64²
    expect(loss).toBeCloseTo(5 * 0.64 ** 2, 4);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'model.ckpt-3'));
    const b = trainGraph();
    const loss2 = await train(b.trainOp, dir, {
      hooks: [new StopAtStepHook({ lastStep: 5 })],
      saveSummariesSteps: null,
    });
    expect(loss2).toBeCloseTo(5 * 0.64 ** 4, 4);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'model.ckpt-5'));
  });

  it('logdir null; scaffold { initOp, initFn }; a SessionRunHook object with every method', async () => {
    const t = trainGraph();
    const calls: string[] = [];
    let fetched: unknown = null;
    const hook: SessionRunHook = {
      begin: () => void calls.push('begin'),
      afterCreateSession: (sess) => {
        calls.push('afterCreateSession');
        expect(sess).toBeInstanceOf(Session);
      },
      beforeRun: () => {
        calls.push('beforeRun');
      },
      afterRun: (_ctx, values) => {
        calls.push('afterRun');
        fetched = values.results;
      },
      end: () => void calls.push('end'),
    };
    const init = t.g.asDefault(() => globalVariablesInitializer());
    // Built up front: as in TF, the graph is finalized by the time initFn runs.
    const setW = t.g.asDefault(() => t.w.assign([2, 0]));
    const loss = await train(t.trainOp, null, {
      hooks: [new StopAtStepHook({ numSteps: 2 }), hook],
      chiefOnlyHooks: [],
      saveCheckpointSecs: null,
      saveSummariesSteps: null,
      scaffold: {
        initOp: init,
        initFn: (sess) => {
          calls.push('initFn');
          sess.run(setW);
        },
      },
    });
    expect(loss).toBeCloseTo(4 * 0.64, 4);
    expect(calls).toEqual([
      'begin',
      'initFn',
      'afterCreateSession',
      'beforeRun',
      'afterRun',
      'beforeRun',
      'afterRun',
      'end',
    ]);
    expect(fetched).toBeNull();
  });

  it('NanTensorHook(lossTensor, { failOnNanLoss = true })', async () => {
    const make = () => {
      const g = new Graph();
      return g.asDefault(() => {
        const w = variable([1, 2], { name: 'w' });
        const loss = mul(reduceSum(w), constant(Number.NaN));
        const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.1), { checkNumerics: false });
        return { loss, trainOp };
      });
    };
    const quiet = { warn: () => {}, info: () => {} };
    setLogger(quiet);
    try {
      const a = make();
      await expect(
        train(a.trainOp, null, {
          hooks: [new NanTensorHook(a.loss), new StopAtStepHook({ numSteps: 5 })],
          saveCheckpointSecs: null,
          saveSummariesSteps: null,
        }),
      ).rejects.toThrow(/NaN/i);
      const b = make();
      const loss = await train(b.trainOp, null, {
        hooks: [new NanTensorHook(b.loss, { failOnNanLoss: false }), new StopAtStepHook({ numSteps: 5 })],
        saveCheckpointSecs: null,
        saveSummariesSteps: null,
      });
      expect(Number.isNaN(loss)).toBe(true);
    } finally {
      setLogger(null);
    }
  });

  it('CheckpointSaverHook(dir, { saveSteps }), SummarySaverHook, LoggingTensorHook, StepCounterHook', async () => {
    const dir = tmp();
    const sumDir = tmp();
    const t = trainGraph();
    const s = t.g.asDefault(() => summary.scalar('loss', t.loss));
    const logged: string[] = [];
    setLogger({ warn: () => {}, info: (m) => logged.push(m) });
    try {
      await train(t.trainOp, null, {
        hooks: [
          new StopAtStepHook({ numSteps: 4 }),
          new CheckpointSaverHook(dir, { saveSteps: 2 }),
          new SummarySaverHook({ saveSteps: 1, outputDir: sumDir, summaryOp: s }),
          new LoggingTensorHook({ loss: t.loss }, { everyNIter: 1 }),
          new StepCounterHook({ everyNSteps: 1, outputDir: sumDir }),
        ],
        saveCheckpointSecs: null,
        saveSummariesSteps: null,
      });
    } finally {
      setLogger(null);
    }
    expect(latestCheckpoint(dir)).toBe(join(dir, 'model.ckpt-4'));
    expect(logged.some((m) => m.includes('loss'))).toBe(true);
    const events = readdirSync(sumDir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(events.length).toBeGreaterThanOrEqual(1);
    const all = events.flatMap((f) =>
      readRecords(join(sumDir, f)).map((r) => Buffer.from(r).toString('latin1')),
    );
    expect(all.some((r) => r.includes('loss'))).toBe(true);
  });
});
