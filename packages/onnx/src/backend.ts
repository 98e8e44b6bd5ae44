// Registers the 'onnxruntime' Session backend. Ops without a lowering run on tfjs-wasm when it
// is initialised (Session.create initialises it), else on tfjs-cpu.
import { registerSessionBackend } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { OnnxExecutor } from './executor.js';
import type { EngineOptions } from './ort.js';

/** Engine options of sessions created from now on. */
export const engineOptions: EngineOptions = {};

registerSessionBackend('onnxruntime', {
  async init() {
    if (tfc.engine().registry.wasm !== undefined) return;
    const previous = tfc.getBackend();
    await tfc.setBackend('wasm');
    if (previous && previous !== 'wasm') await tfc.setBackend(previous);
  },
  create(graph) {
    return new OnnxExecutor(graph, tfc.engine().registry.wasm !== undefined ? 'wasm' : 'cpu', {
      ...engineOptions,
    });
  },
});
