// Table-driven forward checks: each row builds an op from placeholders and names its eager
// tfjs oracle. The harness checks (a) values against the oracle, (b) static shape and dtype
// against the kernel's actual output, (c) that nothing leaks, (d) that every op's attrs survive
// a trip through its TF attr schema (what GraphDef export and import do).

import {
  attrsFromTf,
  type DType,
  decodeGraphDef,
  encodeGraphDef,
  formatShape,
  Graph,
  importGraphDef,
  NDArray,
  placeholder,
  Session,
  type Tensor,
  tfAttrValues,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { type Domain, expectClose, randomArray, toTf } from '../../helpers.js';

export interface InputSpec {
  shape: readonly number[];
  domain?: Domain;
  dtype?: DType;
  /** Give the placeholder this static shape instead (null dims / null = unknown rank). */
  staticShape?: readonly (number | null)[] | null;
}

export interface ForwardCase {
  name: string;
  inputs: readonly InputSpec[];
  build: (...xs: Tensor[]) => Tensor;
  eager: (...xs: tf.Tensor[]) => tf.Tensor;
  tol?: number;
  /** Expected static shape when it differs from the actual one (unknown dims). */
  staticShape?: readonly (number | null)[] | null;
}

export function checkForward(c: ForwardCase, seed = 7): void {
  const values = c.inputs.map((s, i) => randomArray(s.shape, s.domain ?? 'normal', seed + i, s.dtype));
  const graph = new Graph();
  const out = graph.asDefault(() => {
    const phs = c.inputs.map((s, i) =>
      placeholder(values[i]!.dtype, s.staticShape === undefined ? s.shape : s.staticShape, {
        name: `in${i}`,
      }),
    );
    return { phs, y: c.build(...phs) };
  });
  for (const op of graph.getOperations()) {
    const tfAttrs = Object.fromEntries(tfAttrValues(op).map(([name, { value }]) => [name, value]));
    expect(
      attrsFromTf(op.type, op.def.attrs!, tfAttrs),
      `${c.name}: ${op.type} attrs via TF's schema`,
    ).toEqual({
      ...op.attrs,
    });
  }
  const before = tf.memory().numTensors;
  const sess = new Session(graph);
  const feeds = new Map<Tensor, NDArray>(out.phs.map((p, i) => [p, values[i]!]));
  const got = sess.run(out.y, feeds);
  sess.close();
  expect(tf.memory().numTensors, `${c.name}: tensors leaked`).toBe(before);

  const expected = tf.tidy(() => c.eager(...values.map(toTf)));
  expectClose(got, expected, c.tol ?? 1e-5);
  expected.dispose();

  checkImportRoundTrip(c.name, graph, out.y, feeds, got);

  expect(out.y.dtype, `${c.name}: static dtype`).toBe(got.dtype);
  const staticShape = c.staticShape === undefined ? got.shape : c.staticShape;
  expect(formatShape(out.y.shape), `${c.name}: static shape`).toBe(formatShape(staticShape));
}

// A graph exported (encodeGraphDef), decoded and imported into a new graph gives the same values
// (stateful ops such as unseeded random ones are left out: their values differ by design).
function checkImportRoundTrip(
  name: string,
  graph: Graph,
  y: Tensor,
  feeds: Map<Tensor, NDArray>,
  want: NDArray,
): void {
  if (graph.getOperations().some((op) => op.def.stateful)) return;
  const copy = new Graph();
  copy.asDefault(() => importGraphDef(decodeGraphDef(encodeGraphDef(graph)), { name: '' }));
  const sess = new Session(copy);
  const got = sess.run(
    y.name,
    [...feeds].map(([t, v]) => [t.name, v] as [string, NDArray]),
  );
  sess.close();
  expect(got, `${name}: exported, decoded and imported`).toEqual(want);
}

export { NDArray };
