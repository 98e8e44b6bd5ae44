// ApplyAdam's one-pass cpu kernel against the op-by-op kernel wasm runs (TF's training_ops.cc
// formula), with and without Nesterov, over a few steps from random slots.
import * as g from '@graphmode/graph';
import { ApplyAdam } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray } from '../helpers.js';

async function threeSteps(backend: 'cpu' | 'wasm', useNesterov: boolean): Promise<g.NDArray[]> {
  const graph = new g.Graph();
  const { update, vars } = graph.asDefault(() => {
    const vars = ['var', 'm', 'v'].map((name, i) =>
      g.variable(randomArray([3, 5], i === 2 ? 'positive' : 'normal', 11 + i), { name }),
    );
    const grad = g.constant(randomArray([3, 5], 'normal', 17));
    const update = ApplyAdam.applyOp(
      {
        var: vars[0]!.ref(),
        m: vars[1]!.ref(),
        v: vars[2]!.ref(),
        beta1Power: g.constant(0.9 ** 3),
        beta2Power: g.constant(0.999 ** 3),
        lr: g.constant(0.01),
        beta1: g.constant(0.9),
        beta2: g.constant(0.999),
        epsilon: g.constant(1e-7),
        grad,
      },
      { useLocking: false, useNesterov },
    );
    return { update, vars };
  });
  const sess = await g.Session.create(graph, { backend });
  sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
  for (let i = 0; i < 3; i++) sess.run(update);
  const out = sess.run(vars.map((v) => v.value()));
  sess.close();
  return out;
}

describe('ApplyAdam cpu kernel', () => {
  for (const nesterov of [false, true]) {
    it(`equals the op-by-op update (useNesterov=${nesterov})`, async () => {
      const [cpu, wasm] = [await threeSteps('cpu', nesterov), await threeSteps('wasm', nesterov)];
      cpu.forEach((c, i) => expectClose(c, wasm[i]!, 1e-6));
      // The update moved the variable.
      expect(
        Math.abs(
          (cpu[0]!.data as Float32Array)[0]! - (randomArray([3, 5], 'normal', 11).data as Float32Array)[0]!,
        ),
      ).toBeGreaterThan(1e-4);
    });
  }
});
