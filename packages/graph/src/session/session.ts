// The Session: variables live here; `run` looks up (or makes) the plan for its signature, then
// binds feeds, calls kernels and frees each value after its last reader. Runs are atomic: a
// failure restores every variable and frees every tensor the run made.
import * as tfc from '@tensorflow/tfjs-core';
import { formatShape } from '../dtype.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  OpError,
  UnimplementedError,
  ValueError,
} from '../errors.js';
import { type Graph, getDefaultGraph, Operation, Tensor } from '../graph.js';
import { NDArray } from '../ndarray.js';
import { uninitializedError } from '../ops/core.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { backendPlugin, type SessionExecutor } from './backends.js';
import { bindResult, disposeVariableReads } from './bind.js';
import {
  type FeedDict,
  type Fetches,
  type FetchResult,
  flattenFetches,
  type Leaf,
  normalizeFeeds,
} from './fetch_feed.js';
import {
  deadlineExceeded,
  defaultMemoryLimit,
  LruCache,
  PLAN_CACHE_SIZE,
  planKey,
  resourceExhausted,
} from './guards.js';
import { makePlan, type Plan, readsVariable, type Step, VARIABLE } from './plan.js';
import type { RunMetadata } from './run_metadata.js';
import { ConstantCache, SessionKernelContext, VariableStore } from './state.js';
import { initBackend, readyBackend, runOn } from './tfjs_engine.js';

export type { FeedDict, FeedValue, Fetch, Fetches, FetchResult } from './fetch_feed.js';
export interface RunOptions {
  runMetadata?: RunMetadata;
  /** TF's `timeout_in_ms`: a run past it stops between kernels with DeadlineExceededError (rolled back). */
  timeoutInMs?: number;
}
/** 'onnxruntime' needs the @graphmode/onnx package imported (see session/backends.ts). */
export type BackendName = 'cpu' | 'wasm' | 'onnxruntime';
export interface SessionOptions {
  backend?: BackendName;
  /** Graph rewrites on each run plan (API.md §8); default true. */
  rewrites?: boolean;
  /** A kernel whose static output exceeds this many bytes fails with ResourceExhaustedError before allocating (default: os.totalmem()). */
  memoryLimitBytes?: number;
}
const SESSION_SPEC: OptionSpec<SessionOptions> = {
  backend: 'string',
  rewrites: 'boolean',
  memoryLimitBytes: 'number',
};
const RUN_SPEC: OptionSpec<RunOptions> = { runMetadata: 'any', timeoutInMs: 'number' };

/**
 * Runs a graph (TF's `tf.Session`): holds the variables' values and runs what fetches need.
 * @example const sess = new Session(graph); const [loss] = sess.run([lossTensor], { 'x:0': batch });
 */
export class Session {
  readonly graph: Graph;
  readonly backend: BackendName;
  private readonly rewrites: boolean;
  private readonly store = new VariableStore();
  private readonly constants = new ConstantCache();
  private readonly plans = new LruCache<string, Plan>(PLAN_CACHE_SIZE);
  private readonly ctx: SessionKernelContext;
  private readonly executor: SessionExecutor | null = null;
  private readonly memoryLimit: number;
  private closed = false;
  private running = false;

  /** Synchronous: works for 'cpu', or for 'wasm' once initialised (see `Session.create`). */
  constructor(graph: Graph = getDefaultGraph(), options: SessionOptions = {}) {
    checkOptions('Session', options, SESSION_SPEC);
    this.graph = graph;
    this.backend = options.backend ?? 'cpu';
    this.memoryLimit = options.memoryLimitBytes ?? defaultMemoryLimit();
    const plugin = backendPlugin(this.backend);
    // A plug-in engine (onnxruntime) optimizes the plan itself and lowers TF's ops, not our fused
    // tfjs kernels, so it is handed the plan as the graph has it.
    this.rewrites = plugin === null && (options.rewrites ?? true);
    if (plugin) this.executor = plugin.create(graph);
    else if (readyBackend(this.backend) === undefined) {
      throw new ValueError(
        `Backend '${this.backend}' is not initialised yet; use await Session.create(graph, { backend })`,
      );
    }
    this.ctx = new SessionKernelContext(this.backend, this.store, this.constants);
  }

  /** Initialises the backend (default wasm: loads its package and module) and returns a session on it. */
  static async create(graph: Graph = getDefaultGraph(), options: SessionOptions = {}): Promise<Session> {
    const backend = options.backend ?? 'wasm';
    const plugin = backendPlugin(backend);
    // A plug-in's fallback ops run on tfjs-wasm: initialise it first (no global backend change).
    if (plugin) await initBackend('wasm').then(() => plugin.init?.());
    else if (!(await initBackend(backend))) throw new ValueError(`Backend '${backend}' failed to initialise`);
    return new Session(graph, { ...options, backend });
  }

  /** Number of cached execution plans (one per fetches/feeds signature). */
  get planCacheSize(): number {
    return this.plans.size;
  }

  /**
   * Runs what `fetches` need and returns their values in the same structure.
   * @example const [lossValue] = sess.run([loss, trainOp], { 'x:0': batch });
   */
  run<const F extends Fetches>(fetches: F, feedDict?: FeedDict, options: RunOptions = {}): FetchResult<F> {
    if (this.closed) throw new OpError('Attempted to use a closed Session.');
    checkOptions('Session.run', options, RUN_SPEC);
    // A hook or kernel calling run on this session mid-run would clobber the outer run's rollback.
    if (this.running) {
      throw new FailedPreconditionError(
        'Session.run called while this session is already running (re-entrant run); run it after the outer run returns',
      );
    }
    const leaves: Leaf[] = [];
    const rebuild = flattenFetches(this.graph, fetches, leaves);
    const feeds = normalizeFeeds(this.graph, feedDict, this.executor?.borrowsFeeds === true);
    const plan = this.planFor(leaves, feeds);
    const tfjsName = this.executor?.tfjsBackend ?? this.backend;
    const backend = readyBackend(tfjsName)!; // re-read: tfjs may have replaced the instance
    this.running = true;
    let values: (NDArray | null)[];
    try {
      values = runOn(tfjsName, backend, () =>
        this.executor
          ? this.executor.execute(plan, leaves, feeds, options.runMetadata)
          : this.execute(plan, leaves, feeds, options),
      );
    } finally {
      this.running = false;
    }
    let i = 0;
    return rebuild(() => values[i++]!) as FetchResult<F>;
  }

  /** `run`, as a promise: resolves to what `run` returns (rejects with what it throws). */
  runAsync<const F extends Fetches>(
    fetches: F,
    feedDict?: FeedDict,
    options: RunOptions = {},
  ): Promise<FetchResult<F>> {
    // A throw inside the executor callback rejects the promise.
    return new Promise((resolve) => resolve(this.run<F>(fetches, feedDict, options) as never));
  }

  /** Frees every tensor the session holds; later runs throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.executor?.close();
    this.store.dispose();
    this.constants.dispose();
    this.plans.clear();
  }

  private planFor(leaves: readonly Leaf[], feeds: ReadonlyMap<Tensor, NDArray>): Plan {
    const key = planKey(feeds.keys(), leaves);
    const cached = this.plans.get(key);
    // Ops are append-only, so a plan stays valid as the graph grows; only mutations of existing
    // ops (added control inputs) bump the version and invalidate it.
    if (cached && cached.graphVersion === this.graph.version) return cached;
    const plan = makePlan(
      leaves.filter((x): x is Tensor => x instanceof Tensor),
      leaves.filter((x): x is Operation => x instanceof Operation),
      new Set(feeds.keys()),
      this.graph.version,
      { rewrites: this.rewrites, backend: this.backend },
    );
    this.plans.set(key, plan);
    return plan;
  }

  private execute(
    plan: Plan,
    leaves: readonly Leaf[],
    feeds: ReadonlyMap<Tensor, NDArray>,
    { runMetadata: metadata, timeoutInMs }: RunOptions,
  ): (NDArray | null)[] {
    const deadline = timeoutInMs === undefined ? Infinity : performance.now() + timeoutInMs;
    const values: (tfc.Tensor | undefined)[] = new Array(plan.numSlots);
    const steps = plan.steps;
    const ctx = this.ctx;
    const start = metadata ? performance.now() : 0;
    let step: Step | null = null;
    let ins: readonly (tfc.Tensor | undefined)[] = NO_INPUTS;
    try {
      for (const [t, nd] of feeds) values[plan.slotOf.get(t)!] = tfc.tensor(nd.data, nd.shape, nd.dtype);
      for (let i = 0; i < steps.length; i++) {
        step = steps[i]!;
        ins = NO_INPUTS; // so a failing gather is not blamed on the previous step's inputs
        if (step.bytes > this.memoryLimit) throw resourceExhausted(step.op, step.bytes, this.memoryLimit);
        if (deadline !== Infinity && performance.now() > deadline)
          throw deadlineExceeded(step.op, timeoutInMs!);
        ins = this.gather(step, values);
        const t0 = metadata ? performance.now() : 0;
        ctx.enter(step.op);
        const out = step.def.invoke(ins, step.attrs, ctx);
        if (metadata) metadata.record(step.op, out, t0 - start, performance.now() - t0, step);
        bindResult(step, out, ins, values);
        if (step.readsVariables) disposeVariableReads(step, ins);
        const free = step.free;
        for (let j = 0; j < free.length; j++) {
          values[free[j]!]!.dispose();
          values[free[j]!] = undefined;
        }
      }
      step = null;
      const results = leaves.map((x) => (x instanceof Operation ? null : this.result(x, plan, values)));
      this.store.commit();
      this.constants.commit();
      return results;
    } catch (e) {
      if (step?.readsVariables) disposeVariableReads(step, ins);
      this.store.rollback();
      this.constants.rollback();
      throw asOpError(e, step?.op ?? null, ins, this.backend);
    } finally {
      for (const v of values) v?.dispose();
    }
  }

  private gather(step: Step, values: readonly (tfc.Tensor | undefined)[]): (tfc.Tensor | undefined)[] {
    const slots = step.inputs;
    const ins: (tfc.Tensor | undefined)[] = new Array(slots.length);
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      if (s >= 0) ins[k] = values[s];
      else if (step.kinds[k] === VARIABLE) {
        const variableOp = step.sources[k]!.op;
        const v = this.store.read(variableOp);
        if (v === undefined) {
          disposeVariableReads(step, ins);
          throw uninitializedError(variableOp);
        }
        ins[k] = v;
      }
    }
    return ins;
  }

  private result(t: Tensor, plan: Plan, values: readonly (tfc.Tensor | undefined)[]): NDArray {
    if (plan.slotOf.has(t)) return toNDArray(values[plan.slotOf.get(t)!]!);
    if (!readsVariable(t, new Set())) throw new Error(`internal: no value for fetched tensor '${t.name}'`);
    const v = this.store.read(t.op);
    if (v === undefined) throw uninitializedError(t.op);
    try {
      return toNDArray(v);
    } finally {
      v.dispose();
    }
  }
}

const NO_INPUTS: readonly (tfc.Tensor | undefined)[] = [];

function toNDArray(t: tfc.Tensor): NDArray {
  const data = t.dataSync() as Float32Array | Int32Array | Uint8Array | string[];
  // dataSync may hand out the backend's own buffer: the caller gets a copy.
  return new NDArray(t.dtype as NDArray['dtype'], t.shape.slice(), data.slice());
}

/** Errors from kernels become OpErrors naming the op, its type, actual input shapes and creation site. */
function asOpError(
  e: unknown,
  op: Operation | null,
  ins: readonly (tfc.Tensor | undefined)[],
  backend: string,
): unknown {
  if (e instanceof OpError || !(e instanceof Error) || op === null) return e;
  const shapes = op.inputs.map((t, k) => `${t.dtype}${formatShape(ins[k]?.shape ?? t.shape)}`).join(', ');
  if (/not registered for backend|not yet implemented/i.test(e.message)) {
    return new UnimplementedError(
      `The '${backend}' backend has no kernel for op '${op.name}' (type ${op.type}): ${e.message}`,
      op,
      { cause: e },
    );
  }
  return new InvalidArgumentError(
    `${e.message} (op '${op.name}' of type ${op.type}, input shapes: ${shapes})`,
    op,
    { cause: e },
  );
}
