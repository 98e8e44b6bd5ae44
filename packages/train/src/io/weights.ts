// tfjs-core's weights format (what `tf.io.encodeWeights` writes and `tf.io.decodeWeights` reads),
// from and to NDArrays without making tfjs tensors: so saving or loading a graph model neither
// needs nor initialises tfjs's global backend. Each weight's values back to back, little-endian:
// float32 and int32 as 4 bytes, bool as 1 byte, a string as its uint32 byte length then its UTF-8
// bytes. Reading also takes the converter's quantized weights (uint8 / uint16 affine with `min`
// and `scale`, float16), dequantized to float32 as tfjs does.
import { DataLossError, NDArray, type NDArrayData, UnimplementedError } from '@graphmode/graph';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The weights' bytes and manifest entries, in order. */
export function encodeWeights(weights: readonly [string, NDArray][]): {
  data: Uint8Array;
  specs: WeightSpec[];
} {
  const parts: Uint8Array[] = [];
  const specs = weights.map(([name, v]) => {
    parts.push(weightBytes(v));
    return { name, shape: [...v.shape], dtype: v.dtype };
  });
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) data.set(p, (at += p.length) - p.length);
  return { data, specs };
}

function weightBytes(v: NDArray): Uint8Array {
  if (v.dtype === 'string') {
    const strings = (v.data as string[]).map((s) => utf8.encode(s));
    const out = new Uint8Array(strings.reduce((n, s) => n + 4 + s.length, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const s of strings) {
      view.setUint32(at, s.length, true);
      out.set(s, at + 4);
      at += 4 + s.length;
    }
    return out;
  }
  if (v.dtype === 'bool') return Uint8Array.from(v.data as Uint8Array);
  const data = v.data as Float32Array | Int32Array;
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  const put = v.dtype === 'float32' ? view.setFloat32.bind(view) : view.setInt32.bind(view);
  for (let i = 0; i < data.length; i++) put(i * 4, data[i]!, true);
  return out;
}

/** The weights in `data` (the shards joined), by name; short data is a DataLossError. */
export function decodeWeights(data: Uint8Array, specs: readonly WeightSpec[]): Map<string, NDArray> {
  const out = new Map<string, NDArray>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const need = (n: number) => {
      if (at + n > data.length)
        throw new DataLossError(`loadGraphModel: weight '${spec.name}' runs past the end of the shards`);
    };
    let values: NDArrayData;
    if (spec.dtype === 'string') {
      const strings: string[] = [];
      for (let i = 0; i < size; i++) {
        need(4);
        const n = view.getUint32(at, true);
        need(4 + n);
        strings.push(fromUtf8.decode(data.subarray(at + 4, at + 4 + n)));
        at += 4 + n;
      }
      values = strings;
    } else {
      const q = spec.quantization;
      const width = q ? (q.dtype === 'uint8' ? 1 : 2) : spec.dtype === 'bool' ? 1 : 4;
      need(size * width);
      values = q ? dequantize(view, at, size, spec) : plain(view, at, size, spec);
      at += size * width;
    }
    out.set(spec.name, new NDArray(spec.dtype as NDArray['dtype'], spec.shape, values));
  }
  return out;
}

function plain(view: DataView, at: number, size: number, spec: WeightSpec): NDArrayData {
  if (spec.dtype === 'bool') return Uint8Array.from({ length: size }, (_, i) => view.getUint8(at + i));
  if (spec.dtype === 'float32')
    return Float32Array.from({ length: size }, (_, i) => view.getFloat32(at + 4 * i, true));
  if (spec.dtype === 'int32')
    return Int32Array.from({ length: size }, (_, i) => view.getInt32(at + 4 * i, true));
  throw new UnimplementedError(`loadGraphModel: weight '${spec.name}' has dtype ${spec.dtype}`);
}

function dequantize(view: DataView, at: number, size: number, spec: WeightSpec): NDArrayData {
  const q = spec.quantization!;
  const read =
    q.dtype === 'uint8'
      ? (i: number) => view.getUint8(at + i)
      : q.dtype === 'uint16'
        ? (i: number) => view.getUint16(at + 2 * i, true)
        : q.dtype === 'float16'
          ? (i: number) => half(view.getUint16(at + 2 * i, true))
          : null;
  if (read === null)
    throw new UnimplementedError(`loadGraphModel: weight '${spec.name}' is quantized as ${q.dtype}`);
  const affine = q.dtype !== 'float16';
  const values = Array.from({ length: size }, (_, i) => (affine ? read(i) * q.scale! + q.min! : read(i)));
  return spec.dtype === 'int32' ? Int32Array.from(values, Math.round) : Float32Array.from(values);
}

/** An IEEE half-precision value. */
function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
