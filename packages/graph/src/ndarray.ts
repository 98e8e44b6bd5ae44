// NDArray: the plain, owned value that crosses the API boundary (feeds, constants, fetch results).
import type { DType } from './dtype.js';
import { formatShape, INT32_MAX, INT32_MIN } from './dtype.js';
import { TypeError, ValueError } from './errors.js';

export type TypedArray = Float32Array | Int32Array | Uint8Array;
export type NestedArray = readonly (number | boolean | string | TypedArray | NestedArray)[];
export type TensorLike = number | boolean | string | TypedArray | NestedArray | NDArray;
export type NDArrayData = Float32Array | Int32Array | Uint8Array | string[];
type Nested = number | boolean | string | Nested[];

/** A dense n-dimensional value with plain data: `bool` is stored as a Uint8Array of 0/1. */
export class NDArray {
  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    readonly data: NDArrayData,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new ValueError(
        `NDArray: ${data.length} values do not fill shape ${formatShape(shape)} (${n} elements)`,
      );
    }
  }

  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }

  /** The single element of a size-1 array, as a JS number, boolean or string. */
  item(): number | boolean | string {
    if (this.data.length !== 1) {
      throw new ValueError(
        `item() needs an array of one element, this one has shape ${formatShape(this.shape)}`,
      );
    }
    return this.at(0);
  }

  /** Nested JS arrays (a scalar gives the bare value). */
  toArray(): Nested {
    const build = (dim: number, offset: number): Nested => {
      if (dim === this.shape.length) return this.at(offset);
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  private at(i: number): number | boolean | string {
    const v = this.data[i]!;
    return this.dtype === 'bool' ? v === 1 : v;
  }

  /** Converts any TensorLike, optionally to `dtype` (integers only into int32; no silent truncation). */
  static from(value: TensorLike, dtype?: DType): NDArray {
    if (value instanceof NDArray)
      return dtype === undefined || dtype === value.dtype ? value : value.cast(dtype);
    if (ArrayBuffer.isView(value))
      return fromFlat([...(value as TypedArray)], [value.length], dtype ?? typedDtype(value));
    if (!Array.isArray(value)) return fromFlat([value as number | boolean | string], [], dtype);
    const shape: number[] = [];
    const flat: (number | boolean | string)[] = [];
    collect(value as NestedArray, 0, shape, flat);
    const leaf = value.length ? firstLeaf(value as NestedArray) : undefined;
    const inferred = leaf === undefined ? undefined : ArrayBuffer.isView(leaf) ? typedDtype(leaf) : undefined;
    return fromFlat(flat, shape, dtype ?? inferred);
  }

  cast(dtype: DType): NDArray {
    return fromFlat(
      [...this.data].map((v) => (this.dtype === 'bool' ? v === 1 : v)),
      this.shape,
      dtype,
      true,
    );
  }
}

const describeValue = (v: unknown): string =>
  v === null || v === undefined
    ? String(v)
    : typeof v === 'object'
      ? `an object (${v.constructor?.name ?? 'no prototype'})`
      : `${typeof v} ${String(v)}`;

function typedDtype(a: TypedArray): DType {
  return a instanceof Int32Array ? 'int32' : a instanceof Uint8Array ? 'bool' : 'float32';
}

function firstLeaf(a: NestedArray): number | boolean | string | TypedArray | undefined {
  let x: NestedArray[number] | undefined = a[0];
  while (Array.isArray(x)) x = x[0];
  return x as number | boolean | string | TypedArray | undefined;
}

function collect(
  a: NestedArray | TypedArray,
  depth: number,
  shape: number[],
  flat: (number | boolean | string)[],
): void {
  if (shape.length === depth) shape.push(a.length);
  else if (shape[depth] !== a.length) {
    throw new ValueError(
      `Ragged nested array: expected ${shape[depth]} elements at depth ${depth}, got ${a.length}`,
    );
  }
  for (const x of Array.from(a as ArrayLike<NestedArray[number]>)) {
    if (Array.isArray(x) || ArrayBuffer.isView(x)) collect(x as NestedArray, depth + 1, shape, flat);
    else {
      if (shape.length !== depth + 1)
        throw new ValueError(`Ragged nested array: a scalar stands where a list was expected`);
      flat.push(x as number | boolean | string);
    }
  }
}

function fromFlat(
  flat: readonly (number | boolean | string)[],
  shape: number[],
  dtype?: DType,
  casting = false,
): NDArray {
  const kind = flat.length ? typeof flat[0] : 'number';
  if (kind !== 'number' && kind !== 'boolean' && kind !== 'string') {
    throw new TypeError(
      `Cannot convert ${describeValue(flat[0])} to a tensor value (expected numbers, booleans or strings)`,
    );
  }
  const d: DType = dtype ?? (kind === 'boolean' ? 'bool' : kind === 'string' ? 'string' : 'float32');
  for (const v of flat) {
    if (typeof v !== kind)
      throw new TypeError(`Mixed element types in a tensor value: ${kind} and ${typeof v}`);
  }
  if (d === 'string') {
    if (kind !== 'string' && flat.length)
      throw new TypeError(`Cannot convert ${kind} values to dtype string`);
    return new NDArray(d, shape, flat as string[]);
  }
  if (kind === 'string' && flat.length) throw new TypeError(`Cannot convert string values to dtype ${d}`);
  if (d === 'bool') {
    if (kind !== 'boolean' && !casting && flat.length)
      throw new TypeError(`Cannot convert ${kind} values to dtype bool`);
    return new NDArray(
      d,
      shape,
      Uint8Array.from(flat, (v) => (v ? 1 : 0)),
    );
  }
  if (d === 'int32') {
    const nonInt = flat.find((v) => typeof v === 'number' && !Number.isInteger(v));
    if (nonInt !== undefined && !casting) {
      throw new TypeError(`Cannot convert ${nonInt} to dtype int32 (value is not an integer)`);
    }
    // Int32Array.from would wrap 3e9 to -1294967296; TF refuses values outside int32.
    const out = flat.find((v) => typeof v === 'number' && !(v >= INT32_MIN && v <= INT32_MAX));
    if (out !== undefined) {
      throw new ValueError(`Value ${out} is out of range for dtype int32 [${INT32_MIN}, ${INT32_MAX}]`);
    }
    return new NDArray(
      d,
      shape,
      Int32Array.from(flat, (v) => Math.trunc(Number(v))),
    );
  }
  return new NDArray(d, shape, Float32Array.from(flat, Number));
}
