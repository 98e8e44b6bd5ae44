// Port of TF 1.15's moving_averages_test.py (ExponentialMovingAverageTest): shadow names and
// initial values, the decay with and without numUpdates, zero debiasing of tensors, average names
// and variablesToRestore.
import {
  add,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  Session,
  type Tensor,
  trainableVariables,
  type Variable,
  variable,
} from '@graphmode/graph';
import { ExponentialMovingAverage } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { emaVariables } from './ema_variables.js';

function checkDecay(makeEma: () => ExponentialMovingAverage, dk: number, zeroDebias: boolean) {
  const g = new Graph();
  const scale = (steps: number) => (zeroDebias ? 1 - dk ** steps : 1);
  const t = g.asDefault(() => {
    const var0 = variable([10, 10], { name: 'v0' });
    const var1 = variable([30, 30], { name: 'v1' });
    const tensor2 = add(var0, var1, { name: 'add' }); // TF's `var0 + var1`
    const ema = makeEma();
    const update = ema.apply([var0, var1, tensor2]);
    const avgs = [ema.average(var0)!, ema.average(var1)!, ema.average(tensor2)!];
    expect(g.getCollection<Variable>(GraphKeys.MOVING_AVERAGE_VARIABLES)).toEqual([var0, var1]);
    for (const a of avgs) expect(trainableVariables()).not.toContain(a);
    expect(avgs.map((a) => a.name)).toEqual([
      'v0/ExponentialMovingAverage:0',
      'v1/ExponentialMovingAverage:0',
      'add/ExponentialMovingAverage:0',
    ]);
    expect(update.name).toBe('ExponentialMovingAverage');
    return { update, avgs, init: globalVariablesInitializer() };
  });
  const sess = new Session(g);
  sess.run(t.init);
  const read = () => t.avgs.map((a) => Array.from(sess.run(a).data as Float32Array));
  expect(read()).toEqual([
    [10, 10],
    [30, 30],
    [0, 0],
  ]);
  sess.run(t.update);
  const close = (got: number[], want: number) => got.forEach((v) => expect(v).toBeCloseTo(want, 4));
  let [a0, a1, a2] = read();
  close(a0!, 10 * dk + 10 * (1 - dk));
  close(a1!, 30 * dk + 30 * (1 - dk));
  close(a2!, (0 * dk + 40 * (1 - dk)) / scale(1));
  sess.run(t.update);
  [a0, a1, a2] = read();
  close(a0!, (10 * dk + 10 * (1 - dk)) * dk + 10 * (1 - dk));
  close(a1!, (30 * dk + 30 * (1 - dk)) * dk + 30 * (1 - dk));
  close(a2!, ((0 * dk + 40 * (1 - dk)) * dk + 40 * (1 - dk)) / scale(2));
}

describe('ExponentialMovingAverage', () => {
  it('testEMAWithoutNumUpdates', () => checkDecay(() => new ExponentialMovingAverage(0.25), 0.25, false));
  it('testEMAWithoutNumUpdatesDebiased', () =>
    checkDecay(() => new ExponentialMovingAverage(0.25, { zeroDebias: true }), 0.25, true));
  it('testEMAWithNumUpdates: decay = min(0.25, (1 + 1) / (10 + 1))', () =>
    checkDecay(() => new ExponentialMovingAverage(0.25, { numUpdates: 1 }), 2 / 11, false));
  it('testEMAWithNumUpdatesDebiased', () =>
    checkDecay(() => new ExponentialMovingAverage(0.25, { numUpdates: 1, zeroDebias: true }), 2 / 11, true));

  it.each([false, true])('average names and variablesToRestore (zeroDebias %s)', (zeroDebias) => {
    const g = new Graph();
    g.asDefault(() => {
      const { v0, v1, v2, tensor2 } = emaVariables();
      const ema = new ExponentialMovingAverage(0.25, { name: 'foo', zeroDebias });
      expect([ema.averageName(v0), ema.averageName(v1), ema.averageName(tensor2)]).toEqual([
        'v0/foo',
        'v1/foo',
        'add/foo',
      ]);
      ema.apply([v0, v1, tensor2]);
      const restore = ema.variablesToRestore();
      const expected = ['v0/foo', 'v1/foo', 'add/foo', v2.op.name];
      if (zeroDebias) expected.push('add/foo/biased', 'add/foo/local_step');
      expect(Object.keys(restore).sort()).toEqual(expected.sort());
      expect(restore['v0/foo']).toBe(v0);
      expect(restore.v2).toBe(v2);
      expect(ema.average(v0)!.op.name).toBe(ema.averageName(v0));
      expect(ema.average(tensor2 as Tensor)!.op.name).toBe('add/foo');
    });
  });

  it('a second EMA on the same variable gets a unique shadow name; ints are rejected', () => {
    const g = new Graph();
    g.asDefault(() => {
      const v = variable([1, 2], { name: 'w' });
      new ExponentialMovingAverage(0.9).apply([v]);
      const ema2 = new ExponentialMovingAverage(0.9);
      ema2.apply([v]);
      expect(ema2.average(v)!.op.name).toBe('w/ExponentialMovingAverage_1');
      expect(() =>
        new ExponentialMovingAverage(0.9).apply([variable(1, { name: 'i', dtype: 'int32' })]),
      ).toThrow('The variables must be half, float, or double: i:0');
    });
  });
});
