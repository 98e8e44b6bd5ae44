// The WebAssembly SIMD loops of kernels.wat, instantiated over tfjs-wasm's own memory so they
// read and write tensors where they live. Callers hand in Float32Array views of that memory
// (float32Kernel's); a view's byteOffset is the pointer the loops take.
import { SIMD_MODULE } from './binary.js';

/** A WebAssembly.Memory (the project's typings have no DOM lib, hence these few declarations). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  adam(...args: number[]): void;
  gradientDescent(...args: number[]): void;
  maxPoolGrad(...args: number[]): void;
  filterGradImage(...args: number[]): void;
  gemm(...args: number[]): void;
}

/** A float32 matrix in the wasm heap: element [i, j] at `data[i·rowStride + j·colStride]`. */
export interface StridedMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
}

/** Adam's per-element constants (see kernels.wat). */
export interface AdamScalars {
  s1: number;
  s2: number;
  p: number;
  q: number;
  alpha: number;
  eps: number;
}

/** NHWC pooling geometry: window, strides, pooled size and padding before the first cell. */
export interface PoolGeometry {
  dims: readonly [number, number, number, number];
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  padTop: number;
  padLeft: number;
}

/** Convolution windows: taps kh×kw dilated by d, strides s, oh×ow windows per image. */
export interface WindowGeometry {
  kh: number;
  kw: number;
  dh: number;
  dw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
}

export interface SimdKernels {
  /** Adam over the first 4⌊n/4⌋ elements (the caller does the rest); returns that count. */
  adam(
    x: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    out: Float32Array[],
    k: AdamScalars,
  ): number;
  /** x1 = x - d·alpha over the first 4⌊n/4⌋ elements (the caller does the rest); returns that count. */
  gradientDescent(x: Float32Array, d: Float32Array, x1: Float32Array, alpha: number): number;
  /** MaxPoolGrad into a zeroed `out`; false (nothing done) unless the channels come in fours. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, out: Float32Array, geo: PoolGeometry): boolean;
  /**
   * Adds one image's filter gradient (one input channel, co % 8 = 0 output channels) from its
   * padded copy `xp` (rows of `wp`) and its `dy` to `acc` [rows, co] (see kernels.wat).
   */
  filterGradImage(
    xp: Float32Array,
    wp: number,
    dy: Float32Array,
    acc: Float32Array,
    rows: number,
    co: number,
    g: WindowGeometry,
  ): void;
  /**
   * c = a·b (+ bias, relu): `a` any strides, `b` row-major [k, n], `c` row-major [m, n] and
   * fully written; m, n, k > 0; `scratch` holds GEMM_SCRATCH floats (see kernels.wat).
   */
  gemm(
    a: StridedMatrix,
    b: Float32Array,
    c: Float32Array,
    n: number,
    bias: Float32Array | null,
    relu: boolean,
    scratch: Float32Array,
  ): void;
}

/**
 * Floats of scratch the gemm needs: 8 columns of B × its chunks of 256 products, then a 4 × 8
 * tile of C and 8 of bias for the last n mod 8 columns.
 */
export const GEMM_SCRATCH = 256 * 8 + 4 * 8 + 8;

let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, SimdKernels>();

/** The kernels over `memory`, or null where this WebAssembly engine has no SIMD. */
export function simdKernels(memory: WasmMemory): SimdKernels | null {
  const known = instances.get(memory);
  if (known) return known;
  if (compiled === undefined) {
    const bytes = Uint8Array.from(atob(SIMD_MODULE), (ch) => ch.charCodeAt(0));
    compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  if (compiled === null) return null;
  const wasm = new wasmApi.Instance(compiled, { env: { memory } }).exports as unknown as Exports;
  const kernels: SimdKernels = {
    adam(x, m, v, g, [x1, m1, v1], k) {
      const n = x.length & ~3;
      const at = (a: Float32Array) => a.byteOffset;
      wasm.adam(
        at(x),
        at(m),
        at(v),
        at(g),
        at(x1!),
        at(m1!),
        at(v1!),
        n * 4,
        k.s1,
        k.s2,
        k.p,
        k.q,
        k.alpha,
        k.eps,
      );
      return n;
    },
    gradientDescent(x, d, x1, alpha) {
      const n = x.length & ~3;
      wasm.gradientDescent(x.byteOffset, d.byteOffset, x1.byteOffset, n * 4, alpha);
      return n;
    },
    maxPoolGrad(x, dy, out, geo) {
      const [b, h, w, c] = geo.dims;
      if (c % 4 !== 0 || dy.length === 0) return false;
      const { kh, kw, sh, sw, oh, ow, padTop, padLeft } = geo;
      wasm.maxPoolGrad(
        x.byteOffset,
        dy.byteOffset,
        out.byteOffset,
        b,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        oh,
        ow,
        padTop,
        padLeft,
      );
      return true;
    },
    filterGradImage(xp, wp, dy, acc, rows, co, g) {
      const at = (a: Float32Array) => a.byteOffset;
      const { kh, kw, dh, dw, sh, sw, oh, ow } = g;
      wasm.filterGradImage(at(xp), at(dy), at(acc), rows, kh * kw, kw, dh, dw, sh, sw, oh, ow, wp, co);
    },
    gemm(a, b, c, n, bias, relu, scratch) {
      const flags = (bias ? 1 : 0) | (relu ? 2 : 0);
      const { data, rows, cols, rowStride, colStride } = a;
      wasm.gemm(
        data.byteOffset,
        4 * rowStride,
        4 * colStride,
        b.byteOffset,
        4 * n,
        c.byteOffset,
        4 * n,
        bias?.byteOffset ?? 0,
        rows,
        n,
        cols,
        flags,
        scratch.byteOffset,
      );
    },
  };
  instances.set(memory, kernels);
  return kernels;
}
