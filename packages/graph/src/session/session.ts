// The Session: variables live here; `run` looks up (or makes) the plan for its signature, then
// binds feeds, calls kernels and frees each value after its last reader. Runs are atomic.
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { formatShape, shapesCompatible } from '../dtype.js';
import { InvalidArgumentError, OpError, TypeError, ValueError } from '../errors.js';
import { type Graph, getDefaultGraph, Operation, Tensor } from '../graph.js';
import { NDArray, type TensorLike } from '../ndarray.js';
import type { KernelContext } from '../op_def.js';
import { uninitializedError } from '../ops/core.js';
import { Variable } from '../variable.js';
import { makePlan, type Plan } from './plan.js';
import type { RunMetadata } from './run_metadata.js';

export type Fetch = Tensor | Variable | Operation | string;
export type Fetches = Fetch | readonly Fetches[] | { readonly [k: string]: Fetches };
/** Mirrors the fetch structure: Tensor/Variable → NDArray, Operation → null. */
export type FetchResult<F> = F extends Operation
  ? null
  : F extends Tensor | Variable
    ? NDArray
    : F extends string
      ? NDArray | null
      : F extends readonly unknown[]
        ? { -readonly [K in keyof F]: FetchResult<F[K]> }
        : F extends object
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : never;
export type FeedValue = TensorLike;
export type FeedDict =
  | ReadonlyMap<Tensor | string, FeedValue>
  | ReadonlyArray<readonly [Tensor | string, FeedValue]>
  | Readonly<Record<string, FeedValue>>;
export interface RunOptions {
  runMetadata?: RunMetadata;
}
export type BackendName = 'cpu' | 'wasm';
export interface SessionOptions {
  backend?: BackendName;
}

// tfjs would otherwise pick its highest-priority backend (wasm), which needs an async init.
if (tfc.findBackend('cpu') === null || tfc.getBackend() !== 'cpu') void tfc.setBackend('cpu');

/** Variable values of one session, with a journal so a failed run can restore them. */
class VariableStore {
  private readonly values = new Map<Operation, tfc.Tensor>();
  private readonly journal = new Map<Operation, tfc.Tensor | undefined>();
  read(op: Operation): tfc.Tensor | undefined {
    const v = this.values.get(op);
    return v && tfc.clone(v);
  }
  write(op: Operation, value: tfc.Tensor): void {
    const old = this.values.get(op);
    if (!this.journal.has(op)) this.journal.set(op, old);
    else old?.dispose(); // written twice in one run: the middle value is nobody's
    this.values.set(op, value);
  }
  commit(): void {
    for (const old of this.journal.values()) old?.dispose();
    this.journal.clear();
  }
  rollback(): void {
    for (const [op, old] of this.journal) {
      this.values.get(op)?.dispose();
      if (old === undefined) this.values.delete(op);
      else this.values.set(op, old);
    }
    this.journal.clear();
  }
  dispose(): void {
    for (const v of this.values.values()) v.dispose();
    this.values.clear();
  }
}

export class Session {
  readonly graph: Graph;
  readonly backend: BackendName;
  private readonly store = new VariableStore();
  private readonly constants = new Map<Operation, tfc.Tensor>();
  private readonly executions = new Map<Operation, number>();
  private readonly plans = new Map<string, Plan>();
  private readonly ctx: SessionContext;
  private closed = false;

  /** Synchronous: works for 'cpu', or for 'wasm' once initialised (see `Session.create`). */
  constructor(graph: Graph = getDefaultGraph(), options: SessionOptions = {}) {
    this.graph = graph;
    this.backend = options.backend ?? 'cpu';
    if (this.backend !== 'cpu' && tfc.findBackend(this.backend) === null) {
      throw new ValueError(
        `Backend '${this.backend}' is not initialised yet; use await Session.create(graph, { backend })`,
      );
    }
    const self = this;
    this.ctx = {
      op: undefined as unknown as Operation,
      get backend() {
        return self.backend;
      },
      cached(make) {
        let t = self.constants.get(this.op);
        if (!t) self.constants.set(this.op, (t = make()));
        return tfc.clone(t);
      },
      readVariable: (op) => this.store.read(op),
      writeVariable: (op, value) => this.store.write(op, value),
      executionCount() {
        const n = self.executions.get(this.op) ?? 0;
        self.executions.set(this.op, n + 1);
        return n;
      },
    };
  }

  /** Initialises the backend (wasm loads its module) and returns a session on it. */
  static async create(graph: Graph = getDefaultGraph(), options: SessionOptions = {}): Promise<Session> {
    const backend = options.backend ?? 'cpu';
    const previous = tfc.getBackend();
    if (!(await tfc.setBackend(backend))) throw new ValueError(`Backend '${backend}' failed to initialise`);
    if (previous && previous !== backend) await tfc.setBackend(previous);
    return new Session(graph, options);
  }

  /**
   * Runs what `fetches` need and returns their values in the same structure.
   * @example const [lossValue] = sess.run([loss, trainOp], { 'x:0': batch });
   */
  run<F extends Fetches>(fetches: F, feedDict?: FeedDict, options: RunOptions = {}): FetchResult<F> {
    if (this.closed) throw new OpError('Attempted to use a closed Session.');
    if (tfc.getBackend() !== this.backend) void tfc.setBackend(this.backend);
    const leaves: (Tensor | Operation)[] = [];
    const rebuild = this.flattenFetches(fetches, leaves);
    const feeds = this.normalizeFeeds(feedDict);
    const plan = this.planFor(leaves, feeds);
    const values = this.execute(plan, leaves, feeds, options.runMetadata);
    let i = 0;
    return rebuild(() => values[i++]!) as FetchResult<F>;
  }

  /** Frees every tensor the session holds; later runs throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.dispose();
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
    this.plans.clear();
  }

  private planFor(leaves: readonly (Tensor | Operation)[], feeds: ReadonlyMap<Tensor, NDArray>): Plan {
    const names = (xs: Iterable<Tensor | Operation>) =>
      [...new Set([...xs].map((x) => x.name))].sort().join(',');
    const key = `${names(feeds.keys())}--${names(leaves)}`;
    const cached = this.plans.get(key);
    // Ops are append-only, so a plan stays valid as the graph grows; only mutations of existing
    // ops (added control inputs) bump the version and invalidate it.
    if (cached && cached.graphVersion === this.graph.version) return cached;
    const plan = makePlan(
      leaves.filter((x): x is Tensor => x instanceof Tensor),
      leaves.filter((x): x is Operation => x instanceof Operation),
      new Set(feeds.keys()),
    );
    this.plans.set(key, plan);
    return plan;
  }

  private execute(
    plan: Plan,
    leaves: readonly (Tensor | Operation)[],
    feeds: ReadonlyMap<Tensor, NDArray>,
    metadata: RunMetadata | undefined,
  ): (NDArray | null)[] {
    const values: (tfc.Tensor | undefined)[] = new Array(plan.numSlots);
    const start = performance.now();
    let current: Operation | null = null;
    try {
      for (const [t, nd] of feeds) values[plan.slotOf.get(t)!] = tfc.tensor(nd.data, nd.shape, nd.dtype);
      for (const step of plan.steps) {
        const op = (current = step.op);
        const ins = step.inputs.map((s, k) => {
          const v = values[s];
          if (v === undefined && !op.def.isRefInput(k)) throw uninitializedError(op.inputs[k]!.op);
          return v;
        });
        const t0 = metadata ? performance.now() : 0;
        this.ctx.op = op;
        const outs = op.def.run(ins, op.attrs, this.ctx);
        for (let j = 0; j < step.outputs.length; j++)
          this.bindOutput(op, j, outs[j], ins, step.outputs[j]!, values);
        if (metadata) record(metadata, op, outs, t0 - start, performance.now() - t0);
        for (const s of step.free) {
          values[s]?.dispose();
          values[s] = undefined;
        }
      }
      current = null;
      const results = leaves.map((x) => {
        if (x instanceof Operation) return null;
        const v = values[plan.slotOf.get(x)!];
        if (v === undefined) throw uninitializedError(x.op);
        return toNDArray(v);
      });
      this.store.commit();
      return results;
    } catch (e) {
      this.store.rollback();
      throw asOpError(e, current);
    } finally {
      for (const v of values) v?.dispose();
    }
  }

  private bindOutput(
    op: Operation,
    j: number,
    out: tfc.Tensor | undefined,
    ins: readonly (tfc.Tensor | undefined)[],
    slot: number,
    values: (tfc.Tensor | undefined)[],
  ): void {
    if (slot < 0) {
      out?.dispose();
      return;
    }
    if (out !== undefined) {
      const expected = op.outputs[j]!.shape;
      if (!shapesCompatible(expected, out.shape)) {
        out.dispose();
        throw new InvalidArgumentError(
          `${op.type} produced output ${j} of shape ${formatShape(out.shape)}, incompatible with its static shape ${formatShape(expected)}`,
          op,
        );
      }
      // Each slot owns its tensor; a kernel that hands back an input object gets a fresh handle.
      if (ins.includes(out)) out = tfc.clone(out);
    }
    values[slot] = out;
  }

  private flattenFetches(
    f: Fetches,
    leaves: (Tensor | Operation)[],
  ): (next: () => NDArray | null) => unknown {
    if (f instanceof Tensor || f instanceof Operation) {
      leaves.push(f);
      return (next) => next();
    }
    if (f instanceof Variable) return this.flattenFetches(f.value(), leaves);
    if (typeof f === 'string') return this.flattenFetches(this.graph.getByName(f), leaves);
    if (Array.isArray(f)) {
      const parts = f.map((x: Fetches) => this.flattenFetches(x, leaves));
      return (next) => parts.map((p) => p(next));
    }
    if (typeof f === 'object' && f !== null) {
      const entries = Object.entries(f as Record<string, Fetches>).map(
        ([k, v]) => [k, this.flattenFetches(v, leaves)] as const,
      );
      return (next) => Object.fromEntries(entries.map(([k, p]) => [k, p(next)]));
    }
    throw new TypeError(
      `Fetch argument ${String(f)} has invalid type ${typeof f}: must be a Tensor, Variable, Operation or name`,
    );
  }

  private normalizeFeeds(feedDict: FeedDict | undefined): Map<Tensor, NDArray> {
    const out = new Map<Tensor, NDArray>();
    if (!feedDict) return out;
    const pairs: Iterable<readonly [Tensor | string, FeedValue]> =
      feedDict instanceof Map || Array.isArray(feedDict)
        ? (feedDict as Iterable<readonly [Tensor | string, FeedValue]>)
        : Object.entries(feedDict as Record<string, FeedValue>);
    for (const [key, value] of pairs) {
      const t = typeof key === 'string' ? this.feedTensorByName(key) : key;
      if (!(t instanceof Tensor))
        throw new TypeError(`Feed key ${String(key)} is not a Tensor or a tensor name`);
      if (t.graph !== this.graph)
        throw new ValueError(`Cannot feed Tensor '${t.name}': it is not an element of this graph.`);
      let nd: NDArray;
      try {
        nd = NDArray.from(value, t.dtype);
      } catch (e) {
        throw new TypeError(
          `Cannot feed value for Tensor '${t.name}' of dtype ${t.dtype}: ${(e as Error).message}`,
        );
      }
      if (!shapesCompatible(t.shape, nd.shape)) {
        throw new ValueError(
          `Cannot feed value of shape ${formatShape(nd.shape)} for Tensor '${t.name}', which has shape ${formatShape(t.shape)}`,
        );
      }
      out.set(t, nd);
    }
    return out;
  }

  private feedTensorByName(name: string): Tensor {
    return this.graph.getTensorByName(/:\d+$/.test(name) ? name : `${name}:0`);
  }
}

interface SessionContext extends KernelContext {
  op: Operation;
}

function toNDArray(t: tfc.Tensor): NDArray {
  const data = t.dataSync() as Float32Array | Int32Array | Uint8Array | string[];
  return new NDArray(t.dtype as NDArray['dtype'], t.shape.slice(), data.slice());
}

function record(
  metadata: RunMetadata,
  op: Operation,
  outs: readonly (tfc.Tensor | undefined)[],
  start: number,
  dur: number,
): void {
  const real = outs.filter((o): o is tfc.Tensor => o !== undefined);
  metadata.stepStats.push({
    nodeName: op.name,
    opType: op.type,
    startMicros: Math.round(start * 1000),
    durationMicros: Math.round(dur * 1000),
    outputShapes: real.map((o) => o.shape.slice()),
    outputBytes: real.reduce((n, o) => n + o.size * (o.dtype === 'bool' ? 1 : 4), 0),
  });
}

/** Errors from kernels become OpErrors naming the op, its type, input shapes and creation site. */
function asOpError(e: unknown, op: Operation | null): unknown {
  if (e instanceof OpError || !(e instanceof Error) || op === null) return e;
  const shapes = op.inputs.map((t) => formatShape(t.shape)).join(', ');
  return new InvalidArgumentError(
    `${e.message} (op '${op.name}' of type ${op.type}, input shapes: ${shapes})`,
    op,
    { cause: e },
  );
}
