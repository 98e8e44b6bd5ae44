// NDArray <-> TensorProto (tensorflow/core/framework/tensor.proto) as TF's `make_tensor_proto`
// writes it: float32 and int32 values as little-endian `tensor_content` bytes, bool values in
// `bool_val`, strings in `string_val`. Reading accepts every form TF writes, including the
// `*_val` splat (fewer values than elements: the last one repeats) and int64 / double tensors
// (narrowed to int32 / float32 as tfjs does; an int64 outside int32's range is an error).
import type { TfDType } from '../attr_schema.js';
import type { DType } from '../dtype.js';
import { UnimplementedError, ValueError } from '../errors.js';
import { NDArray, type NDArrayData } from '../ndarray.js';
import { DATA_TYPE_OF, DataType, type TensorMsg, type TensorShapeMsg } from '../proto/messages.js';

const TF_DATA_TYPE: Readonly<Record<TfDType, number>> = {
  ...DATA_TYPE_OF,
  int64: DataType.DT_INT64,
  variant: DataType.DT_VARIANT,
};
const DTYPE_OF_ENUM = new Map<number, TfDType>(
  Object.entries(TF_DATA_TYPE).map(([d, n]) => [n, d as TfDType]),
);

/** TF's DataType enum value of a dtype. */
export const dataTypeOf = (d: TfDType): number => TF_DATA_TYPE[d];

/** The dtype of a DataType enum value (DT_DOUBLE reads as float32); `what` names it in errors. */
export function dtypeOfEnum(n: number, what: string): TfDType {
  const d = n === DataType.DT_DOUBLE ? 'float32' : DTYPE_OF_ENUM.get(n);
  if (d === undefined)
    throw new UnimplementedError(`${what}: TF DataType ${n} is not supported by graphmode`);
  return d;
}

export function shapeMsg(shape: readonly (number | null)[] | null): TensorShapeMsg {
  if (shape === null) return { unknownRank: true };
  return { dim: shape.map((d) => ({ size: d ?? -1 })) };
}

export function shapeFromMsg(m: TensorShapeMsg | undefined): (number | null)[] | null {
  if (m?.unknownRank) return null;
  return (m?.dim ?? []).map((d) => (d.size === undefined ? 0 : d.size < 0 ? null : d.size));
}

export function tensorMsg(t: NDArray): TensorMsg {
  const head = { dtype: TF_DATA_TYPE[t.dtype], tensorShape: shapeMsg(t.shape) };
  if (t.dtype === 'string') return { ...head, stringVal: (t.data as string[]).map((s) => utf8.encode(s)) };
  if (t.dtype === 'bool') return { ...head, boolVal: Array.from(t.data as Uint8Array, (b) => b !== 0) };
  const data = t.data as Float32Array | Int32Array;
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  const put = t.dtype === 'float32' ? view.setFloat32.bind(view) : view.setInt32.bind(view);
  for (let i = 0; i < data.length; i++) put(i * 4, data[i]!, true);
  return { ...head, tensorContent: bytes };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The NDArray a TensorProto holds; `what` (node and attr) names it in errors. */
export function tensorFromMsg(m: TensorMsg, what: string): NDArray {
  const tfType = dtypeOfEnum(m.dtype ?? 0, what);
  if (tfType === 'variant') throw new UnimplementedError(`${what}: variant tensors cannot be constants here`);
  const dtype: DType = tfType === 'int64' ? 'int32' : tfType;
  const shape = shapeFromMsg(m.tensorShape);
  if (shape === null || shape.some((d) => d === null))
    throw new ValueError(`${what}: tensor shape must be fully defined`);
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  const content = m.tensorContent;
  if (content && content.length > 0)
    return new NDArray(dtype, dims, fromContent(m.dtype!, content, size, what));
  const vals = valuesOf(m, tfType);
  return new NDArray(dtype, dims, splat(dtype, vals, size, what));
}

function fromContent(enumType: number, bytes: Uint8Array, size: number, what: string): NDArrayData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width =
    enumType === DataType.DT_DOUBLE || enumType === DataType.DT_INT64
      ? 8
      : enumType === DataType.DT_BOOL
        ? 1
        : 4;
  if (bytes.length !== size * width)
    throw new ValueError(`${what}: tensor_content holds ${bytes.length} bytes, expected ${size * width}`);
  if (enumType === DataType.DT_BOOL) return Uint8Array.from(bytes, (b) => (b ? 1 : 0));
  if (enumType === DataType.DT_FLOAT)
    return Float32Array.from({ length: size }, (_, i) => view.getFloat32(i * 4, true));
  if (enumType === DataType.DT_DOUBLE)
    return Float32Array.from({ length: size }, (_, i) => view.getFloat64(i * 8, true));
  if (enumType === DataType.DT_INT32)
    return Int32Array.from({ length: size }, (_, i) => view.getInt32(i * 4, true));
  if (enumType === DataType.DT_INT64)
    return narrowInt64(
      Array.from({ length: size }, (_, i) => view.getBigInt64(i * 8, true)),
      what,
    );
  throw new UnimplementedError(`${what}: tensor_content of TF DataType ${enumType} is not supported`);
}

function narrowInt64(xs: readonly (bigint | number)[], what: string): Int32Array {
  const out = new Int32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = Number(xs[i]!);
    if (v > 2147483647 || v < -2147483648)
      throw new UnimplementedError(`${what}: int64 value ${xs[i]} does not fit int32`);
    out[i] = v;
  }
  return out;
}

function valuesOf(m: TensorMsg, d: TfDType): ArrayLike<number | boolean | string> {
  if (d === 'string') return (m.stringVal ?? []).map((b) => fromUtf8.decode(b));
  if (d === 'bool') return m.boolVal ?? [];
  if (d === 'int64') return m.int64Val ?? [];
  if (d === 'int32') return m.intVal ?? [];
  return m.floatVal && m.floatVal.length > 0 ? m.floatVal : (m.doubleVal ?? []);
}

// TF fills a tensor from fewer values by repeating the last one (no values: zeros).
function splat(
  dtype: DType,
  vals: ArrayLike<number | boolean | string>,
  size: number,
  what: string,
): NDArrayData {
  if (vals.length > size) throw new ValueError(`${what}: ${vals.length} values for ${size} elements`);
  const at = (i: number) => (vals.length === 0 ? undefined : vals[Math.min(i, vals.length - 1)]);
  if (dtype === 'string') return Array.from({ length: size }, (_, i) => (at(i) as string | undefined) ?? '');
  if (dtype === 'bool') return Uint8Array.from({ length: size }, (_, i) => (at(i) ? 1 : 0));
  const nums = Array.from({ length: size }, (_, i) => Number(at(i) ?? 0));
  return dtype === 'float32' ? Float32Array.from(nums) : narrowInt64(nums, what);
}
