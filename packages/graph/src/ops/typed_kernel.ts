// Kernels written as one JS loop over float32 arrays (pool gradients, fused optimizer updates).
// tfjs-wasm keeps each tensor's data in its WebAssembly memory; reading it with dataSync copies
// it out (~3.5 ms of the convnet's two MaxPoolGrads), and handing a result back copies it in. On
// wasm the loop therefore reads the inputs through Float32Array views of the heap and writes
// straight into freshly allocated output tensors' heap memory. Elsewhere (cpu) dataSync returns
// the backend's own array and a new tensor adopts the array it is given: no copies either.
import * as tfc from '@tensorflow/tfjs-core';
import { type SimdKernels, simdKernels, type WasmMemory } from './simd/index.js';

/** The parts of tfjs-wasm's BackendWasm this module uses (public members of its class). */
interface WasmBackend {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: WasmMemory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tfc.TensorInfo;
  incRef(dataId: object): void;
}

const asWasm = (backend: tfc.KernelBackend): WasmBackend | null =>
  'makeOutput' in backend && 'dataIdMap' in backend && 'wasm' in backend && 'incRef' in backend
    ? (backend as unknown as WasmBackend)
    : null;

/** A view of a wasm tensor's float32 data, or null when the tensor does not live on this heap. */
function heapView(b: WasmBackend, t: tfc.Tensor): Float32Array | null {
  const offset = b.dataIdMap.get(t.dataId)?.memoryOffset;
  if (t.dtype !== 'float32' || offset == null) return null;
  return new Float32Array(b.wasm.HEAPU8.buffer, offset, t.size);
}

/** The wasm backend when every input lives on its heap (where float32Kernel reads them in place). */
function heapOf(inputs: readonly tfc.Tensor[]): WasmBackend | null {
  const wasm = asWasm(tfc.backend());
  return wasm !== null && inputs.every((t) => heapView(wasm, t) !== null) ? wasm : null;
}

const simdOf = (wasm: WasmBackend): SimdKernels | null => {
  const memory = wasm.wasm.asm?.memory;
  return memory ? simdKernels(memory) : null;
};

/** Whether float32Kernel hands `fill` the wasm SIMD kernels for these inputs. */
export function onSimdHeap(inputs: readonly tfc.Tensor[]): boolean {
  const wasm = heapOf(inputs);
  return wasm !== null && simdOf(wasm) !== null;
}

/**
 * What `fill` receives: the inputs' values (read only), the outputs to write, and on wasm the
 * SIMD loops that work on those very arrays (null elsewhere, or without WebAssembly SIMD).
 */
export type Float32Fill = (
  inputs: readonly Float32Array[],
  outputs: Float32Array[],
  simd: SimdKernels | null,
) => void;

/**
 * New float32 tensors of `shapes`, computed by `fill` from the float32 `inputs`' values. `fill`
 * must write every output element (on wasm an output starts with whatever its memory held) and
 * must not touch the inputs' arrays, nor create tensors (a heap growth would detach the views).
 */
export function float32Kernel(
  inputs: readonly tfc.Tensor[],
  shapes: readonly number[][],
  fill: Float32Fill,
): tfc.Tensor[] {
  const wasm = heapOf(inputs);
  if (wasm !== null) {
    // Allocate first: malloc may grow the heap, and views must be taken after the last growth.
    const outs = shapes.map((s) => tfc.engine().makeTensorFromTensorInfo(wasm.makeOutput(s, 'float32')));
    try {
      fill(
        inputs.map((t) => heapView(wasm, t)!),
        outs.map((t) => heapView(wasm, t)!),
        simdOf(wasm),
      );
    } catch (e) {
      for (const t of outs) t.dispose();
      throw e;
    }
    return outs;
  }
  const outs = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
  fill(
    inputs.map((t) => t.dataSync() as Float32Array),
    outs,
    null,
  );
  return outs.map((o, i) => tfc.tensor(o, shapes[i], 'float32'));
}

/**
 * `tfc.clone(t)` without the copy on wasm: tfjs-wasm's Identity kernel copies the whole buffer
 * (cpu's shares it), and the session hands out a new handle at every variable read, constant and
 * Identity — for an MLP's Adam step, copies of every variable and slot. Sharing is safe because
 * no kernel writes a tensor's data in place; the backend's reference count frees it once.
 */
export function shareTensor<T extends tfc.Tensor>(t: T): T {
  const wasm = asWasm(tfc.backend());
  if (wasm === null || wasm.dataIdMap.get(t.dataId) === undefined) return tfc.clone(t);
  wasm.incRef(t.dataId);
  return tfc.engine().makeTensorFromDataId(t.dataId, t.shape, t.dtype, tfc.backend()) as T;
}
