// Constants: the Const op and the `constant` builder. Its own module because argument conversion
// (convert.ts, which every builder uses) makes constants from plain values.

import * as tfc from '@tensorflow/tfjs-core';
import { attrOf, outputType } from '../attr_schema.js';
import { MAX_FOLD } from '../constant_value.js';
import type { DType } from '../dtype.js';
import { checkDType, checkShape, formatShape } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../graph.js';
import { NDArray, type TensorLike } from '../ndarray.js';
import { defineOp } from '../op_def.js';
import { named } from '../options.js';

export const Const = defineOp<never, { value: NDArray }>({
  type: 'Const',
  outputArgs: ['output'],
  inputs: [],
  attrs: { dtype: outputType(), value: attrOf('tensor', 'value') },
  fold: (_, { value }) =>
    value.dtype === 'string' || value.size > MAX_FOLD ? null : Array.from(value.data as ArrayLike<number>),
  shape: (_, { value }) => value.shape,
  dtype: (_, { value }) => value.dtype,
  kernel: (_, { value }, ctx) => ctx.cached(() => tfc.tensor(value.data, value.shape, value.dtype)),
});

/**
 * A constant tensor. With a `shape`, a shorter `value` is padded with its last element (TF1), so
 * a scalar fills the shape.
 * @example constant([[1, 2], [3, 4]]); constant(0, { shape: [3], dtype: 'int32' })
 */
export function constant(
  value: TensorLike,
  opts: { dtype?: DType; shape?: readonly number[]; name?: string } = {},
): Tensor {
  if (opts.dtype !== undefined) checkDType('constant', opts.dtype);
  if (opts.shape) checkShape('constant', opts.shape, false);
  let nd = NDArray.from(value, opts.dtype);
  // The graph owns its constants: a caller's NDArray may be mutated later.
  if (nd === value) nd = new NDArray(nd.dtype, [...nd.shape], nd.data.slice());
  if (opts.shape) {
    const n = opts.shape.reduce((a, b) => a * b, 1);
    if (nd.size === n) nd = new NDArray(nd.dtype, [...opts.shape], nd.data);
    else if (nd.size > 0 && nd.size < n) nd = new NDArray(nd.dtype, [...opts.shape], fillData(nd, n));
    // TF's make_tensor_proto: any value fills a shape with no elements (zeros([0]), zerosLike).
    else if (n === 0) nd = new NDArray(nd.dtype, [...opts.shape], nd.data.slice(0, 0));
    else {
      throw new ValueError(
        `constant: Too many elements provided. Needed at most ${n}, but received ${nd.size} (shape ${formatShape(opts.shape)}; TF's make_tensor_proto text)`,
      );
    }
  }
  return Const.apply(
    {},
    { value: nd },
    { name: named('constant', opts, { dtype: 'any', shape: 'any', name: 'string' }) ?? 'Const' },
  );
}

// TF1's constant: a value shorter than the shape is padded with its last element.
function fillData(nd: NDArray, n: number): NDArray['data'] {
  const last = nd.data[nd.size - 1]!;
  if (Array.isArray(nd.data)) return [...nd.data, ...Array<string>(n - nd.size).fill(last as string)];
  const out = new (nd.data.constructor as Float32ArrayConstructor)(n);
  out.set(nd.data as Float32Array);
  out.fill(last as number, nd.size);
  return out;
}
