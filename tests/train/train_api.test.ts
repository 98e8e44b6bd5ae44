// The optimizer API's validation (TF optimizer.py's errors), the global step (training_util),
// learning-rate schedules and summary ops.
import { gradients } from '@graphmode/autodiff';
import {
  argMax,
  cast,
  constant,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  mul,
  placeholder,
  reduceSum,
  Session,
  square,
  type Tensor,
  UnimplementedError,
  ValueError,
  type Variable,
  variable,
} from '@graphmode/graph';
import {
  AdamOptimizer,
  cosineDecay,
  createGlobalStep,
  exponentialDecay,
  GradientDescentOptimizer,
  getGlobalStep,
  getOrCreateGlobalStep,
  MomentumOptimizer,
  Optimizer,
  piecewiseConstant,
  summary,
} from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { decodeSummary, latin1ToBytes } from '../../packages/train/src/io/event_proto.js';

function inGraph<T>(fn: (graph: Graph) => T): T {
  const graph = new Graph();
  return graph.asDefault(() => fn(graph));
}
const session = (graph: Graph) => {
  const sess = new Session(graph);
  sess.run(graph.asDefault(() => globalVariablesInitializer()));
  return sess;
};

describe('Optimizer validation', () => {
  it('computeGradients rejects a bad gate, a non-float loss and no variables', () =>
    inGraph(() => {
      const opt = new GradientDescentOptimizer(0.1);
      const w = variable([1.0, 2.0], { name: 'w' });
      const loss = reduceSum(square(w));
      expect(() => opt.computeGradients(loss, { gateGradients: 7 })).toThrow(
        'gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not 7',
      );
      expect(() => opt.computeGradients(argMax(w, 0))).toThrow(
        /Invalid type int32 for .*, expected: \[float32\]\./,
      );
      expect(() => opt.computeGradients(loss, { varList: [] })).toThrow('No variables to optimize.');
      expect(() => new Graph().asDefault(() => opt.computeGradients(constant(1.0)))).toThrow(
        'No variables to optimize.',
      );
    }));

  it('applyGradients rejects empty input and all-null gradients; minimize explains', () =>
    inGraph(() => {
      const opt = new GradientDescentOptimizer(0.1);
      const w = variable([1.0, 2.0], { name: 'w' });
      const unrelated = variable(3.0, { name: 'u' });
      expect(() => opt.applyGradients([])).toThrow('No variables provided.');
      expect(() => opt.applyGradients([[null, w]])).toThrow(
        `No gradients provided for any variable: ["${w.toString()}"].`,
      );
      expect(() => opt.minimize(reduceSum(square(w)), { varList: [unrelated] })).toThrow(
        'No gradients provided for any variable, check your graph for ops that do not support gradients, ' +
          `between variables ["${unrelated.toString()}"] and loss `,
      );
    }));

  it('applyGradients reads Variables given as gradients (testGradientsAsVariables)', () =>
    inGraph((graph) => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const g = variable([0.5, -1.0], { name: 'g', trainable: false });
      const op = new GradientDescentOptimizer(3.0).applyGradients([[g, w]]);
      const sess = session(graph);
      sess.run(op);
      expect(Array.from(sess.run(w).data as Float32Array)).toEqual([1.0 - 1.5, 2.0 + 3.0]);
      sess.close();
    }));

  it('computeGradients differentiates with respect to plain Tensors; applyGradients cannot update them (testComputeGradientsWithTensors)', () =>
    inGraph((graph) => {
      const x = constant(1.0);
      const opt = new GradientDescentOptimizer(3.0);
      const gv = opt.computeGradients(mul(x, x), { varList: [x] });
      expect(gv).toHaveLength(1);
      const [grad, xAsVar] = gv[0]!;
      expect(xAsVar).toBe(x);
      expect(new Session(graph).run(grad as Tensor).item()).toBe(2);
      expect(() => opt.applyGradients(gv)).toThrow(UnimplementedError);
      expect(() => opt.applyGradients(gv)).toThrow(/Trying to update a Tensor/);
      // A null gradient is skipped before the Tensor would need updating.
      expect(() => opt.applyGradients([[null, x]])).toThrow('No gradients provided for any variable');
    }));

  it("names ops as TF does: '<Name>/update_<var>/', the '<Name>/update' group, '<Name>' assign_add of '<Name>/value'", () =>
    inGraph((graph) => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const step = getOrCreateGlobalStep();
      expect(graph.getOperationByName('global_step/Initializer/zeros').type).toBe('Const');
      const op = new GradientDescentOptimizer(0.1).minimize(reduceSum(square(w)), { globalStep: step });
      expect(op.name).toBe('GradientDescent');
      expect(op.type).toBe('AssignAdd');
      expect(op.colocationGroups).toEqual(['loc:@global_step']);
      expect(op.controlInputs.map((c) => c.name)).toEqual([]);
      const one = graph.getOperationByName('GradientDescent/value');
      expect(one.controlInputs.map((c) => c.name)).toEqual(['GradientDescent/update']);
      expect(graph.getOperationByName('GradientDescent/update').controlInputs.map((c) => c.name)).toEqual([
        'GradientDescent/update_w/ApplyGradientDescent',
      ]);
      expect(graph.getCollection(GraphKeys.TRAIN_OP)).toEqual([op]);
    }));

  it('variables(): this graph (default: the default graph) only, sorted by name', () =>
    inGraph((graph) => {
      const opt = new AdamOptimizer();
      const b = variable([1.0], { name: 'b' });
      const a = variable([1.0], { name: 'a' });
      opt.applyGradients([
        [constant([1]), b],
        [constant([1]), a],
      ]);
      const other = new Graph();
      other.asDefault(() => opt.applyGradients([[constant([1]), variable([1.0], { name: 'c' })]]));
      const expected = ['a/Adam:0', 'a/Adam_1:0', 'b/Adam:0', 'b/Adam_1:0', 'beta1_power:0', 'beta2_power:0'];
      expect(opt.variables().map((v) => v.name)).toEqual(expected);
      expect(opt.variables(graph).map((v) => v.name)).toEqual(expected);
      expect(opt.variables(other).map((v) => v.name)).toEqual([
        'beta1_power:0',
        'beta2_power:0',
        'c/Adam:0',
        'c/Adam_1:0',
      ]);
    }));

  it('computeGradients pairs gradients with variables; GATE_GRAPH gates them with one tuple', () =>
    inGraph((graph) => {
      const opt = new GradientDescentOptimizer(0.1);
      const w = variable([1.0, 2.0], { name: 'w' });
      const b = variable(0.5, { name: 'b' });
      const loss = reduceSum(square(mul(w, b)));
      const gv = opt.computeGradients(loss, { gateGradients: Optimizer.GATE_GRAPH });
      expect(gv.map(([, v]) => v)).toEqual([w, b]);
      const [gw, gb] = gv.map(([g]) => g as Tensor);
      expect(gw!.op.type).toBe('Identity');
      expect(gw!.op.controlInputs[0]).toBe(gb!.op.controlInputs[0]);
      const sess = session(graph);
      // d/dw sum((w b)^2) = 2 w b^2; d/db = 2 b sum(w^2)
      expect(Array.from(sess.run(gw!).data as Float32Array)).toEqual([0.5, 1.0]);
      expect(sess.run(gb!).item()).toBeCloseTo(5.0, 6);
      sess.close();
    }));

  it('gradLoss scales the gradients (grad_ys)', () =>
    inGraph((graph) => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const gv = new GradientDescentOptimizer(0.1).computeGradients(reduceSum(square(w)), {
        gradLoss: constant(3.0),
      });
      expect(Array.from(session(graph).run(gv[0]![0] as Tensor).data as Float32Array)).toEqual([6, 12]);
    }));

  it('minimize with a global step updates and counts', () =>
    inGraph((graph) => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const step = getOrCreateGlobalStep();
      const op = new GradientDescentOptimizer(0.25).minimize(reduceSum(square(w)), { globalStep: step });
      expect(op.type).toBe('AssignAdd');
      expect(op.name).toBe('GradientDescent');
      expect(graph.getOperationByName('GradientDescent/update').type).toBe('NoOp');
      const sess = session(graph);
      sess.run(op);
      expect(Array.from(sess.run(w).data as Float32Array)).toEqual([0.5, 1.0]);
      expect(sess.run(step).item()).toBe(1);
      sess.close();
    }));

  it('slots are reused across applyGradients calls; Adam shares its beta powers per graph', () =>
    inGraph((graph) => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const opt = new AdamOptimizer();
      opt.applyGradients([[constant([1, 1]), w]]);
      opt.applyGradients([[constant([1, 1]), w]]);
      const names = graph.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES).map((v) => v.op.name);
      expect(names).toEqual(['w', 'beta1_power', 'beta2_power', 'w/Adam', 'w/Adam_1']);
      expect(graph.getOperationByName('Adam_1/update_w/ApplyAdam').type).toBe('ApplyAdam');
      expect(opt.variables(graph)).toHaveLength(4);
    }));

  it('gradients of the apply ops are not defined (they are notDifferentiable)', () =>
    inGraph(() => {
      const w = variable([1.0, 2.0], { name: 'w' });
      const op = new MomentumOptimizer(0.1, 0.9).applyGradients([[constant([1, 1]), w]]);
      const apply = op.controlInputs[0]!;
      expect(apply.type).toBe('ApplyMomentum');
      expect(gradients(reduceSum(apply.outputs[0]!), [w])).toEqual([null]);
    }));
});

describe('global step', () => {
  it('is an int32 scalar, non-trainable, in GLOBAL_VARIABLES and GLOBAL_STEP', () =>
    inGraph((graph) => {
      expect(getGlobalStep()).toBeNull();
      const step = createGlobalStep();
      expect(step.name).toBe('global_step:0');
      expect(step.dtype).toBe('int32');
      expect(step.shape).toEqual([]);
      expect(step.trainable).toBe(false);
      expect(graph.getCollection(GraphKeys.GLOBAL_STEP)).toEqual([step]);
      expect(graph.getCollection(GraphKeys.GLOBAL_VARIABLES)).toContain(step);
      expect(graph.getCollection(GraphKeys.TRAINABLE_VARIABLES)).not.toContain(step);
      expect(getGlobalStep()).toBe(step);
      expect(getOrCreateGlobalStep()).toBe(step);
      expect(() => createGlobalStep()).toThrow('"global_step" already exists.');
      expect(() => createGlobalStep(graph)).toThrow(ValueError);
      expect(session(graph).run(step).item()).toBe(0);
    }));

  it('a local variable named global_step is found too (TF looks up the tensor global_step:0)', () =>
    inGraph(() => {
      const local = variable(0, {
        name: 'global_step',
        dtype: 'int32',
        collections: [GraphKeys.LOCAL_VARIABLES],
      });
      expect(getGlobalStep()).toBe(local);
      expect(getOrCreateGlobalStep()).toBe(local);
    }));

  it('is found by name when not in the collection, and its type is checked', () => {
    inGraph((graph) => {
      const v = variable(0, { name: 'global_step', dtype: 'int32', trainable: false });
      expect(getGlobalStep(graph)).toBe(v);
    });
    inGraph((graph) => {
      variable(0.0, { name: 'global_step', trainable: false, collections: [GraphKeys.GLOBAL_STEP] });
      expect(() => getGlobalStep(graph)).toThrow(
        'Existing "global_step" does not have integer type: float32',
      );
    });
  });
});

describe('learning-rate schedules', () => {
  const evalAt = (build: (step: Tensor) => Tensor, steps: number[]) =>
    inGraph((graph) => {
      const step = placeholder('int32', [], { name: 'step' });
      const lr = build(step);
      const sess = new Session(graph);
      return steps.map((s) => sess.run(lr, new Map([[step, s]])).item() as number);
    });

  it('exponentialDecay, smooth and staircase', () => {
    const smooth = evalAt((s) => exponentialDecay(0.1, s, 10, 0.5), [0, 5, 10, 25]);
    smooth.forEach((v, i) => expect(v).toBeCloseTo(0.1 * 0.5 ** ([0, 5, 10, 25][i]! / 10), 6));
    const stairs = evalAt((s) => exponentialDecay(0.1, s, 10, 0.5, { staircase: true }), [0, 9, 10, 25]);
    expect(stairs.map((v) => Math.fround(v))).toEqual([0.1, 0.1, 0.05, 0.025].map(Math.fround));
  });

  it('piecewiseConstant: values[i] on (b[i-1], b[i]]', () => {
    const out = evalAt(
      (s) => piecewiseConstant(s, [100, 200], [1.0, 0.5, 0.1]),
      [0, 100, 101, 200, 201, 10_000],
    );
    expect(out).toEqual([1.0, 1.0, 0.5, 0.5, 0.1, 0.1].map(Math.fround));
    expect(() => piecewiseConstant(0, [1], [1])).toThrow(/must be one more/);
  });

  it('cosineDecay with alpha, clamped after decaySteps', () => {
    const out = evalAt((s) => cosineDecay(0.1, s, 100, { alpha: 0.1 }), [0, 50, 100, 150]);
    const ref = (t: number) => 0.1 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 100)) / 100)) + 0.1);
    out.forEach((v, i) => expect(v).toBeCloseTo(ref([0, 50, 100, 150][i]!), 6));
  });

  it('drives an optimizer from the global step', () =>
    inGraph((graph) => {
      const w = variable(1.0, { name: 'w' });
      const step = getOrCreateGlobalStep();
      const lr = piecewiseConstant(step, [0], [1.0, 0.5]);
      const op = new GradientDescentOptimizer(lr).applyGradients([[constant(1.0), w]], { globalStep: step });
      const sess = session(graph);
      sess.run(op);
      sess.run(op);
      expect(sess.run(w).item()).toBeCloseTo(1.0 - 1.0 - 0.5, 6);
      sess.close();
    }));
});

describe('summary ops', () => {
  it('scalar and histogram encode Summary protos; mergeAll concatenates them', () =>
    inGraph((graph) => {
      const x = constant([1.0, 2.0, 2.0, -3.0]);
      const s1 = graph.nameScope('scope', () => summary.scalar('loss', reduceSum(x)));
      const s2 = summary.histogram('values', x);
      expect(s1.op.type).toBe('ScalarSummary');
      expect(s1.op.name).toBe('scope/loss');
      expect(graph.getCollection(GraphKeys.SUMMARIES)).toEqual([s1, s2]);
      const merged = summary.mergeAll()!;
      expect(merged.op.name).toBe('Merge/MergeSummary');
      const sess = new Session(graph);
      const bytes = (t: Tensor) => latin1ToBytes((sess.run(t).data as string[])[0]!);
      expect(decodeSummary(bytes(s1)).value).toEqual([{ tag: 'scope/loss', simpleValue: 2 }]);
      const h = decodeSummary(bytes(s2)).value[0]!;
      expect(h.tag).toBe('values');
      expect(h.histo).toMatchObject({ min: -3, max: 2, num: 4, sum: 2, sumSquares: 18 });
      expect(h.histo!.bucket.reduce((a, b) => a + b, 0)).toBe(4);
      expect(decodeSummary(bytes(merged)).value.map((v) => v.tag)).toEqual(['scope/loss', 'values']);
      sess.close();
    }));

  it('mergeAll is null without summaries; histogram of NaN fails the run', () =>
    inGraph((graph) => {
      expect(summary.mergeAll()).toBeNull();
      const p = placeholder('float32', [2], { name: 'p' });
      const h = summary.histogram('h', p);
      const sess = new Session(graph);
      expect(() => sess.run(h, new Map([[p, [1, Number.NaN]]]))).toThrow('Nan in summary histogram for: h');
      expect(() => summary.scalar('bad', cast(constant([1, 2]), 'float32'))).toThrow(
        /tags and values not the same shape/,
      );
      sess.close();
    }));
});
