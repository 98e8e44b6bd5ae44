// onnxruntime-node, used synchronously. Its public InferenceSession is async only because it
// defers to setImmediate: under that wrapper the native binding loads and runs models
// synchronously (dist/backend.js in onnxruntime-node 1.30.0). Session.run is synchronous, so
// this module calls the binding directly; the version is pinned in package.json and checked
// here, and tests/onnx/ort_binding.test.ts compares it against the public async API.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);
export const ort = require('onnxruntime-node') as typeof Ort;
export type OrtTensor = Ort.Tensor;

/** The version whose binding layout this module was written against. */
export const PINNED_ORT_VERSION = '1.30.0';

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}
interface Binding {
  InferenceSession: new () => NativeSession;
}

let binding: Binding | null = null;
function loadBinding(): Binding {
  if (binding) return binding;
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  const mod = require('onnxruntime-node/dist/binding.js') as { binding?: Binding; initOrt?: () => void };
  if (
    version !== PINNED_ORT_VERSION ||
    typeof mod.initOrt !== 'function' ||
    typeof mod.binding?.InferenceSession !== 'function'
  )
    throw new Error(
      `@graphmode/onnx needs onnxruntime-node ${PINNED_ORT_VERSION} (its synchronous binding); found ${version}`,
    );
  mod.initOrt();
  binding = mod.binding;
  return binding;
}

export interface EngineOptions {
  /**
   * Threads for one operator (onnxruntime's intra-op pool); default one per core, as onnxruntime
   * itself does. Its idle threads do not spin (see allowSpinning): at load 7-14 on 2 cores, two
   * threads measured 4-9% slower than one (bench/onnx.ts); an idle machine lends both cores.
   */
  intraOpNumThreads?: number;
  /**
   * Whether idle intra-op threads spin-wait for work (onnxruntime's default). Off by default: on a
   * shared machine the spinning threads take the cores the main thread needs — measured here
   * (bench/onnx.ts, 2 cores at load 7), a spinning 2-thread model slowed every model in the
   * process about fivefold, its 1-thread neighbours included.
   */
  allowSpinning?: boolean;
  /** The tfjs backend of ops without a lowering; default 'wasm' once initialised, else 'cpu'. */
  tfjsBackend?: 'cpu' | 'wasm';
}

/** A loaded model whose `run` is synchronous. */
export class SyncModel {
  private readonly native: NativeSession;
  private readonly fetches: Record<string, null>;
  constructor(bytes: Uint8Array, outputs: readonly string[], opts: EngineOptions = {}) {
    this.native = new (loadBinding().InferenceSession)();
    this.native.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.intraOpNumThreads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Failures surface as exceptions naming the node; onnxruntime's own log would repeat them.
      logSeverityLevel: 4,
      // Session config entries (onnxruntime_session_options_config_keys.h), flattened by the binding.
      extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
    });
    this.fetches = Object.fromEntries(outputs.map((n) => [n, null]));
  }
  run(feeds: Record<string, OrtTensor>): Record<string, OrtTensor> {
    return this.native.run(feeds, this.fetches, {});
  }
  dispose(): void {
    this.native.dispose();
  }
}
