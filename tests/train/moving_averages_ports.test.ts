// More ports of TF 1.15's moving_averages_test.py (ExponentialMovingAverageTest): vectors,
// control dependencies around apply, applying twice, names inside scopes, subsets of
// variablesToRestore, device and colocation of the shadows, a decay fed at run time.
import {
  add,
  controlDependencies,
  device,
  Graph,
  globalVariablesInitializer,
  placeholder,
  Session,
  type Tensor,
  type Variable,
  variable,
  variableScope,
} from '@graphmode/graph';
import { ExponentialMovingAverage } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { emaVariables } from './ema_variables.js';

const values = (sess: Session, v: Variable | Tensor) => Array.from(sess.run(v).data as Float32Array);

describe('ExponentialMovingAverage (moving_averages_test.py)', () => {
  it.each([
    ['testAverageVariablesNoNumUpdates_Vector', {}, 0.25, false],
    ['testAverageVariablesNoNumUpdates_Vector_Debias', { zeroDebias: true }, 0.25, true],
    ['testAverageVariablesNumUpdates_Vector', { numUpdates: 1 }, 2 / 11, false],
    ['testAverageVariablesNumUpdates_Vector_Debias', { numUpdates: 1, zeroDebias: true }, 2 / 11, true],
  ] as const)('%s (dim 5)', (_, opts, dk, debias) => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const var0 = variable(new Array(5).fill(10), { name: 'v0' });
      const var1 = variable(new Array(5).fill(30), { name: 'v1' });
      const tensor2 = add(var0, var1, { name: 'add' });
      const ema = new ExponentialMovingAverage(0.25, { ...opts });
      const update = ema.apply([var0, var1, tensor2]);
      return {
        update,
        avgs: [ema.average(var0)!, ema.average(var1)!, ema.average(tensor2)!],
        init: globalVariablesInitializer(),
      };
    });
    const sess = new Session(g);
    sess.run(t.init);
    const scale = (steps: number) => (debias ? 1 - dk ** steps : 1);
    sess.run(t.update);
    sess.run(t.update);
    const expected = [
      (10 * dk + 10 * (1 - dk)) * dk + 10 * (1 - dk),
      (30 * dk + 30 * (1 - dk)) * dk + 30 * (1 - dk),
      ((0 * dk + 40 * (1 - dk)) * dk + 40 * (1 - dk)) / scale(2),
    ];
    t.avgs.forEach((a, i) => {
      const got = values(sess, a);
      expect(got).toHaveLength(5);
      for (const x of got) expect(x).toBeCloseTo(expected[i]!, 4);
    });
  });

  it('testAverageVariablesWithControlDeps: the shadow has no control inputs and initializes alone', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const v0 = variable(0, { name: 'v0', dtype: 'int32' });
      const addToV0 = v0.assignAdd(1);
      const v1 = variable([10], { name: 'v1' });
      const assignToV1 = v1.assign([20]);
      const ema = new ExponentialMovingAverage(0.25);
      const emaOp = controlDependencies([addToV0], () => ema.apply([v1]));
      return { v0, v1Avg: ema.average(v1)!, assignToV1, emaOp };
    });
    expect(t.v1Avg.initializer.controlInputs).toEqual([]);
    expect(t.v1Avg.value().op.controlInputs).toEqual([]);
    const sess = new Session(g);
    sess.run(t.v1Avg.initializer);
    sess.run(t.v0.initializer);
    expect(values(sess, t.v1Avg)).toEqual([10]);
    sess.run(t.assignToV1);
    sess.run(t.emaOp);
    expect(sess.run(t.v0).item()).toBe(1);
    expect(values(sess, t.v1Avg)).toEqual([17.5]);
  });

  it('testBasicEager: apply twice on the same variables reuses their shadows', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const v0 = variable(1, { name: 'v0' });
      const v1 = variable(2, { name: 'v1' });
      const ema = new ExponentialMovingAverage(0.25);
      return { v0, v1, ema, op: ema.apply([v0, v1]), init: globalVariablesInitializer() };
    });
    const sess = new Session(g);
    sess.run(t.init);
    sess.run(t.op);
    sess.run(g.asDefault(() => [t.v0.assign(2), t.v1.assign(4)]));
    const op2 = g.asDefault(() => t.ema.apply([t.v0, t.v1]));
    sess.run(op2);
    expect(sess.run(t.ema.average(t.v0)!).item()).toBe(1.75);
    expect(sess.run(t.ema.average(t.v1)!).item()).toBe(3.5);
  });

  it.each([true, false])('testAverageVariablesNamesRespectScope (zeroDebias %s)', (zeroDebias) => {
    const g = new Graph();
    g.asDefault(() => {
      const { v0, v1, v2, tensor2 } = variableScope('scope1', emaVariables);
      variableScope('scope2', () => {
        const ema = new ExponentialMovingAverage(0.25, { zeroDebias, name: 'foo' });
        expect(ema.averageName(v0)).toBe('scope2/scope1/v0/foo');
        expect(ema.averageName(v1)).toBe('scope2/scope1/v1/foo');
        expect(ema.averageName(tensor2)).toBe('scope2/scope1/add/foo');
        ema.apply([v0, v1, tensor2]);
        const expected = [ema.averageName(v0), ema.averageName(v1), ema.averageName(tensor2), v2.op.name];
        if (zeroDebias) {
          expected.push(
            `scope2/${ema.averageName(tensor2)}/biased`,
            `scope2/${ema.averageName(tensor2)}/local_step`,
          );
        }
        expect(Object.keys(ema.variablesToRestore()).sort()).toEqual(expected.sort());
        expect(ema.average(v0)!.op.name).toBe(ema.averageName(v0));
        expect(ema.average(tensor2)!.op.name).toBe(ema.averageName(tensor2));
      });
    });
  });

  it('testSubsetAverageVariablesNames', () => {
    const g = new Graph();
    g.asDefault(() => {
      const { v0, v1, v2, tensor2 } = emaVariables();
      const ema = new ExponentialMovingAverage(0.25, { name: 'foo_avg' });
      expect([ema.averageName(v0), ema.averageName(v1), ema.averageName(tensor2)]).toEqual([
        'v0/foo_avg',
        'v1/foo_avg',
        'add/foo_avg',
      ]);
      const restore = ema.variablesToRestore([v0, tensor2 as unknown as Variable]);
      expect(Object.keys(restore).sort()).toEqual(['add/foo_avg', 'v0/foo_avg', 'v1', 'v2']);
      expect(restore.v1).toBe(v1);
      expect(restore.v2).toBe(v2);
      ema.apply([v0, v1, tensor2]);
      expect(ema.average(v1)!.op.name).toBe(ema.averageName(v1));
    });
  });

  it('testAverageVariablesDeviceAssignment: shadows of variables live (and colocate) with them', () => {
    const g = new Graph();
    g.asDefault(() => {
      const v0 = device('/job:dev_v0', () => variable(10, { name: 'v0' }));
      const v1 = device('/job:dev_v1', () => variable([1], { name: 'v1' }));
      const tensor2 = add(v0, v1, { name: 'add' });
      const ema = new ExponentialMovingAverage(0.25, { name: 'foo_avg' });
      device('/job:default', () => ema.apply([v0, v1, tensor2]));
      expect(ema.average(v0)!.op.device).toBe('/job:dev_v0');
      expect(ema.average(v1)!.op.device).toBe('/job:dev_v1');
      expect(ema.average(v1)!.op.colocationGroups).toEqual(['loc:@v1']);
      expect(ema.average(tensor2)!.op.device).toBe('/job:default');
    });
  });

  it('a decay fed at run time (a float32 scalar tensor)', () => {
    const g = new Graph();
    const t = g.asDefault(() => {
      const v = variable([10], { name: 'v' });
      const decay = placeholder('float32', [], { name: 'decay' });
      const ema = new ExponentialMovingAverage(decay);
      const op = ema.apply([v]);
      return { v, decay, op, avg: ema.average(v)!, init: globalVariablesInitializer() };
    });
    const sess = new Session(g);
    sess.run(t.init);
    sess.run(g.asDefault(() => t.v.assign([20])));
    sess.run(t.op, [[t.decay, 0.5]]);
    expect(values(sess, t.avg)).toEqual([15]);
    sess.run(t.op, [[t.decay, 0]]);
    expect(values(sess, t.avg)).toEqual([20]);
  });
});

describe('ExponentialMovingAverage arguments from plain JS', () => {
  it('names the class, the argument and what it takes', () =>
    new Graph().asDefault(() => {
      expect(() => new ExponentialMovingAverage('0.9' as never)).toThrow(
        'ExponentialMovingAverage: decay must be a number or a float32 scalar Tensor',
      );
      expect(() => new ExponentialMovingAverage(0.9, { numUpdates: '1' as never })).toThrow(
        "ExponentialMovingAverage: option 'numUpdates' must be a number, Tensor or Variable",
      );
      expect(() => new ExponentialMovingAverage(0.9, { zero_debias: true } as never)).toThrow(
        /ExponentialMovingAverage: unknown option 'zero_debias'/,
      );
      const ema = new ExponentialMovingAverage(0.9);
      expect(() => ema.apply(variable(1) as never)).toThrow(
        'ExponentialMovingAverage.apply: varList must be an array of Variables or Tensors',
      );
      expect(() => ema.apply(['w' as never])).toThrow(
        /ExponentialMovingAverage\.apply: varList holds string w/,
      );
    }));
});
