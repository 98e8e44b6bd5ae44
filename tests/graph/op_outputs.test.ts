// Every registered op declares TF 1.15's output args (the names FunctionDef bodies use to name a
// node's tensors, `node:arg:index`), matching the registry facts in the fixture.
import '@graphmode/train';
import { Graph, placeholder, registeredOps, Split, Unpack } from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { TF115_OP_OUTPUTS } from '../fixtures/tf115_op_outputs.js';

describe('TF output args', () => {
  it("every registered op type declares exactly TF 1.15's output args", () => {
    const ours = Object.fromEntries([...registeredOps()].map(([t, def]) => [t, def.outputArgs]));
    const tf = Object.fromEntries(Object.keys(ours).map((t) => [t, TF115_OP_OUTPUTS[t]]));
    expect(ours).toEqual(tf);
  });

  it('a list arg takes every output of a multi-output op', () =>
    new Graph().asDefault(() => {
      const x = placeholder('float32', [3, 2]);
      const u = Unpack.applyOp({ value: x }, { num: 3, axis: 0 });
      expect(u.outputs).toHaveLength(3);
      expect(Unpack.outputArgs).toEqual([{ list: 'output' }]);
      expect(Split.outputArgs).toEqual([{ list: 'output' }]);
    }));
});
