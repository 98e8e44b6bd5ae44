// cond / whileLoop on the 'onnxruntime' backend: the If and While ops run on the tfjs fallback,
// whose kernel context runs their bodies (variables in the onnxruntime session's store, so
// assignments inside bodies are journaled with the rest of the run), between ONNX segments.
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import '@graphmode/onnx';
import { GradientDescentOptimizer } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { countingLoop, failingCond, inGraph, int, num, powerLoop } from '../control_helpers.js';
import { fallbackOps, ready } from './harness.js';

beforeAll(ready);

const onnx = (graph: g.Graph) => new g.Session(graph, { backend: 'onnxruntime' });

describe('control flow on onnxruntime', () => {
  it('cond runs only the taken branch, its assignments included; the ops around it run in ONNX', () =>
    inGraph((graph) => {
      const v = g.variable(0, { name: 'v' });
      const p = g.placeholder('bool', []);
      const x = g.placeholder('float32', [2]);
      const y = g.cond(
        p,
        () => g.add(v.assign(1), g.reduceSum(x)),
        () => g.mul(v.assign(2), g.reduceMax(x)),
      );
      const out = g.mul(g.exp(y), 2);
      const sess = onnx(graph);
      sess.run(g.globalVariablesInitializer());
      const md = new g.RunMetadata();
      expect(
        num(
          sess.run(
            out,
            [
              [p, true],
              [x, [1, 2]],
            ],
            { runMetadata: md },
          ),
        ),
      ).toBeCloseTo(2 * Math.exp(4), 3);
      expect(num(sess.run(v))).toBe(1);
      expect(fallbackOps(graph, md).map((op) => op.type)).toEqual(['If']);
      expect(md.stepStats.some((s) => s.opType === 'OnnxSegment')).toBe(true);
      expect(
        num(
          sess.run(out, [
            [p, false],
            [x, [1, 2]],
          ]),
        ),
      ).toBeCloseTo(2 * Math.exp(4), 3);
      expect(num(sess.run(v))).toBe(2);
      sess.close();
    }));

  it('whileLoop computes xⁿ reading the outer x; gradients through it are n·xⁿ⁻¹', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const n = g.placeholder('int32', []);
      const p = powerLoop(x, n);
      const [dx] = gradients(p, x);
      const sess = onnx(graph);
      const [value, grad] = sess.run(
        [p, dx as g.Tensor],
        [
          [x, 1.5],
          [n, 5],
        ],
      );
      expect(num(value)).toBeCloseTo(1.5 ** 5, 4);
      expect(num(grad)).toBeCloseTo(5 * 1.5 ** 4, 4);
      sess.close();
    }));

  it('gradients through cond: the taken branch’s derivative, zeros for the other', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [3]);
      const p = g.placeholder('bool', []);
      const y = g.cond(
        p,
        () => g.reduceSum(g.square(x)),
        () => g.reduceSum(g.mul(x, 3)),
      );
      const [dx] = gradients(y, x);
      const sess = onnx(graph);
      const xs = [1, -2, 0.5];
      const at = (pred: boolean) =>
        Array.from(
          sess.run(dx as g.Tensor, [
            [x, xs],
            [p, pred],
          ]).data as Float32Array,
        );
      expect(at(true)).toEqual(xs.map((v) => 2 * v));
      expect(at(false)).toEqual([3, 3, 3]);
      sess.close();
    }));

  it('assignments in a loop body run once per iteration; a failure in iteration k rolls every one back', () =>
    inGraph((graph) => {
      const v = g.variable(0, { name: 'counter' });
      const w = g.variable(10, { name: 'w' });
      const stop = g.placeholder('int32', []);
      // An ONNX-lowered update before the loop: also rolled back when the loop fails.
      const before = w.assignAdd(1);
      const i = g.controlDependencies([before], () => countingLoop(v, stop));
      const sess = onnx(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(i, [[stop, 100]]))).toBe(5);
      expect([num(sess.run(v)), num(sess.run(w))]).toEqual([5, 11]);
      const tensors = tf.memory().numTensors;
      expect(() => sess.run(i, [[stop, 3]])).toThrow(/iteration failed/);
      expect(tf.memory().numTensors).toBe(tensors);
      expect([num(sess.run(v)), num(sess.run(w))]).toEqual([5, 11]);
      sess.close();
    }));

  it('a failing cond branch rolls back its assignment and leaks no tensor', () =>
    inGraph((graph) => {
      const v = g.variable(1, { name: 'v' });
      const p = g.placeholder('bool', []);
      const y = failingCond(v, p);
      const sess = onnx(graph);
      sess.run(g.globalVariablesInitializer());
      expect(num(sess.run(y, [[p, false]]))).toBe(1);
      const tensors = tf.memory().numTensors;
      expect(() => sess.run(y, [[p, true]])).toThrow(/boom/);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(num(sess.run(v))).toBe(1);
      sess.close();
    }));

  it('training through cond and whileLoop takes the same steps as on tfjs', () =>
    inGraph((graph) => {
      g.setRandomSeed(3);
      const x = g.placeholder('float32', [4, 3]);
      const p = g.placeholder('bool', []);
      const w = g.variable(g.randomNormal([3, 2]), { name: 'w' });
      const h = g.matMul(x, w);
      const act = g.cond(
        p,
        () => g.tanh(h),
        () => g.relu(h),
      );
      // Three damped rounds: a loop whose body reads the outer w.
      const [, z] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 3),
        (i: g.Tensor, a: g.Tensor) => [g.add(i, 1), g.mul(g.add(a, g.reduceMean(w)), 0.5)],
        [int(0), act],
      );
      const loss = g.reduceMean(g.square(z!));
      const train = new GradientDescentOptimizer(0.2).minimize(loss);
      const init = g.globalVariablesInitializer();
      const xs = Float32Array.from({ length: 12 }, (_, k) => Math.sin(k + 1));
      const trace = (sess: g.Session) => {
        sess.run(init);
        const losses: number[] = [];
        for (let s = 0; s < 6; s++) {
          const [l] = sess.run(
            [loss, train],
            [
              [x, new g.NDArray('float32', [4, 3], xs)],
              [p, s % 2 === 0],
            ],
          );
          losses.push(num(l!));
        }
        return [...losses, ...(sess.run(w).data as Float32Array)];
      };
      const cpu = new g.Session(graph, { backend: 'cpu' });
      const want = trace(cpu);
      const sess = onnx(graph);
      const got = trace(sess);
      got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 5));
      cpu.close();
      sess.close();
    }));
});
