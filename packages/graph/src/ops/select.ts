// Elementwise choice by index or condition: OneHot and Select (TF 1.15's tf.where with x, y).

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, typeOf } from '../attr_schema.js';
import { constantValue } from '../constant_value.js';
import {
  intTensor,
  type NameOpt,
  opScope,
  readInts,
  type TensorInput,
  toTensor,
  toTensorPair,
} from '../convert.js';
import type { DType } from '../dtype.js';
import { formatShape, mergeShapes, normalizeAxis, shapesCompatible } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { defineOp, INT, requireDtype, sameDtype } from '../op_def.js';
import { checkOptions, NAME_SPEC } from '../options.js';

// ---- one-hot, select ----------------------------------------------------------------------------

export const OneHot = defineOp<'indices' | 'depth' | 'onValue' | 'offValue', { axis: number }>({
  type: 'OneHot',
  outputArgs: ['output'],
  inputs: ['indices', 'depth', 'onValue', 'offValue'],
  attrs: { axis: attrOf('int', 'axis', -1), T: typeOf('onValue'), TI: typeOf('indices', 'int64') },
  shape: ({ indices, depth }, { axis }) => {
    requireDtype(indices, INT, 'indices');
    requireDtype(depth, INT, 'depth');
    const s = indices.shape;
    if (s === null) return null;
    const at = axis === -1 ? s.length : normalizeAxis(axis, s.length + 1);
    const d = constantValue(depth)?.[0] ?? null;
    if (d !== null && d < 0) throw new ValueError(`depth must be non-negative, got ${d}`);
    return [...s.slice(0, at), d, ...s.slice(at)];
  },
  dtype: ({ onValue, offValue }) => sameDtype(onValue, offValue),
  // Selecting between the on/off scalars keeps any dtype exact (wasm's OneHot writes float32
  // outputs as int bit patterns).
  kernel: ({ indices, depth, onValue, offValue }, { axis }) =>
    tfc.tidy(() => {
      // A comparison rather than tfc.oneHot, which rejects depth < 2 (a rank-1 concat's gradient).
      const hot = tfc.equal(tfc.expandDims(indices, -1), tfc.range(0, readInts(depth)[0]!, 1, 'int32'));
      const y = tfc.where(hot, onValue, offValue);
      if (axis === -1 || axis === indices.rank) return y;
      const perm = [...Array(indices.rank).keys()];
      perm.splice(axis, 0, indices.rank);
      return tfc.transpose(y, perm);
    }),
});
/**
 * One-hot encoding of `indices` along a new `axis` (default last); out-of-range ids give all-off rows.
 * @example oneHot(labels, 10) // float32 [batch, 10]
 */
export function oneHot(
  indices: TensorInput,
  depth: number | Tensor,
  opts: NameOpt & { onValue?: TensorInput; offValue?: TensorInput; axis?: number; dtype?: DType } = {},
): Tensor {
  const given = [opts.onValue, opts.offValue].find((v) => v instanceof Object && !Array.isArray(v));
  const dtype = opts.dtype ?? (given ? toTensor(given).dtype : 'float32');
  checkOptions('oneHot', opts, {
    name: 'string',
    onValue: 'any',
    offValue: 'any',
    axis: 'number',
    dtype: 'any',
  });
  return opScope(opts.name, 'one_hot', [indices, depth, opts.onValue, opts.offValue], (name) =>
    OneHot.apply(
      {
        indices: intTensor(indices, 'indices'),
        depth: intTensor(depth, 'depth'),
        onValue: toTensor(opts.onValue ?? 1, dtype, 'on_value'),
        offValue: toTensor(opts.offValue ?? 0, dtype, 'off_value'),
      },
      { axis: opts.axis ?? -1 },
      { name },
    ),
  );
}

export const Select = defineOp<'condition' | 't' | 'e'>({
  type: 'Select',
  outputArgs: ['output'],
  inputs: ['condition', 't', 'e'],
  attrs: { T: typeOf('t') },
  shape: ({ condition, t, e }) => {
    requireDtype(condition, ['bool'], 'condition');
    if (!shapesCompatible(t.shape, e.shape))
      throw new ValueError(
        `t and e must have the same shape, got ${formatShape(t.shape)} and ${formatShape(e.shape)}`,
      );
    const s = mergeShapes(t.shape, e.shape);
    const c = condition.shape;
    if (c === null || s === null || c.length === 0) return s;
    // A vector condition picks whole rows (first dimension) of t or e.
    const want = c.length === 1 && s.length > 1 ? s.slice(0, 1) : s;
    if (!shapesCompatible(c, want))
      throw new ValueError(
        `condition must be a scalar, a vector matching the first dimension of t, or have t's shape; got ${formatShape(c)} for t of shape ${formatShape(s)}`,
      );
    return mergeShapes(s, c.length === s.length ? c : [c[0]!, ...s.slice(1)]);
  },
  dtype: ({ t, e }) => sameDtype(t, e),
  kernel: ({ condition, t, e }) =>
    tfc.tidy(() => {
      const rows = condition.rank === 1 && t.rank > 1;
      const c = rows
        ? tfc.reshape(condition, [condition.size, ...Array<number>(t.rank - 1).fill(1)])
        : condition;
      return tfc.where(c, t, e);
    }),
});
/**
 * Elements of `x` where `condition` is true, else of `y` (TF1's Select: same shapes, a scalar, or
 * a vector condition choosing rows). @example where(greater(x, 0), x, zerosLike(x))
 */
export function where(condition: TensorInput, x: TensorInput, y: TensorInput, opts: NameOpt = {}): Tensor {
  checkOptions('where', opts, NAME_SPEC);
  return opScope(opts.name, 'Select', [condition, x, y], (name) => {
    const [t, e] = toTensorPair(x, y, ['t', 'e']);
    return Select.apply({ condition: toTensor(condition, 'bool', 'condition'), t, e }, {}, { name });
  });
}
