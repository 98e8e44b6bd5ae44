// The 'onnxruntime' executor: each plan is compiled once into units (ONNX segments and tfjs
// steps); a run feeds each segment from the environment and the variable store, runs it
// synchronously and binds its outputs. Runs are atomic: a failure restores every variable.
import {
  ConstantCache,
  type Graph,
  InvalidArgumentError,
  type Leaf,
  type NDArray,
  OpError,
  Operation,
  OpKernelContext,
  type Plan,
  type RunMetadata,
  type SessionExecutor,
  type Step,
  type Tensor,
  uninitializedError,
  VALUE,
  VARIABLE,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type Compiled, compilePlan, type Segment } from './compile.js';
import { ndArrayFromOrt, ortFromNDArray, ortFromTfc, tfcFromOrt } from './convert.js';
import type { EngineOptions, OrtTensor } from './ort.js';
import { graphShape, type ShapeOf } from './segment.js';
import { HostVariables } from './state.js';

type Env = Map<Tensor, OrtTensor>;

export class OnnxExecutor implements SessionExecutor {
  // Per plan, one compilation per signature of fed shapes (onnxruntime then knows every shape and
  // folds the gradients' shape arithmetic); past MAX_SPECIALIZED signatures, one generic model.
  private readonly compiled = new Map<Plan, Map<string, Compiled>>();
  readonly store = new HostVariables();
  private readonly ctx: FallbackContext;
  // Fed arrays are only read during the run: onnxruntime reads inputs in place, a tfjs step's
  // input tensors are disposed when the step ends, and whatever outlives the run is a copy
  // (fetched results, ortFromTfc, onnxruntime's outputs). So the Session does not copy them (the
  // MLP step's 200 KB batch: ~20-40 µs and the GC pressure of one more buffer per run).
  readonly borrowsFeeds = true;

  constructor(
    readonly graph: Graph,
    readonly tfjsBackend: 'cpu' | 'wasm',
    private readonly options: EngineOptions,
  ) {
    this.ctx = new FallbackContext(tfjsBackend, this.store);
  }

  execute(
    plan: Plan,
    leaves: readonly Leaf[],
    feeds: ReadonlyMap<Tensor, NDArray>,
    md: RunMetadata | undefined,
  ) {
    const compiled = this.compile(plan, leaves, feeds);
    const env: Env = new Map();
    for (const [t, nd] of feeds) env.set(t, ortFromNDArray(nd));
    const start = performance.now();
    try {
      const { units, free } = compiled;
      for (let i = 0; i < units.length; i++) {
        const unit = units[i]!;
        if ('segment' in unit) runSegment(unit.segment, env, this.store, md, start);
        else this.runStep(unit.step, env, md, start);
        for (const t of free[i]!) env.delete(t);
      }
      const results = leaves.map((x) => (x instanceof Operation ? null : this.result(x, env)));
      this.store.commit();
      this.ctx.commit();
      return results;
    } catch (e) {
      this.store.rollback();
      this.ctx.rollback();
      throw e;
    }
  }

  close(): void {
    for (const byShape of this.compiled.values()) for (const c of byShape.values()) dispose(c);
    this.compiled.clear();
    this.store.clear();
    this.ctx.dispose();
  }

  private compile(plan: Plan, leaves: readonly Leaf[], feeds: ReadonlyMap<Tensor, NDArray>): Compiled {
    let byShape = this.compiled.get(plan);
    if (byShape === undefined) {
      // The Session replaces a plan once the graph's ops change; the old one never runs again.
      for (const [old, cs] of this.compiled)
        if (old.graphVersion !== this.graph.version) {
          for (const oc of cs.values()) dispose(oc);
          this.compiled.delete(old);
        }
      this.compiled.set(plan, (byShape = new Map()));
    }
    let key = shapeKey(feeds);
    let c = byShape.get(key);
    if (c === undefined) {
      const specialize = byShape.size < MAX_SPECIALIZED;
      if (!specialize) c = byShape.get((key = GENERIC));
      if (c === undefined) {
        // The generic model passes graphShape itself: compilePlan retries a refused load with it.
        const shapeOf: ShapeOf = specialize ? (t) => feeds.get(t)?.shape ?? t.shape : graphShape;
        c = compilePlan(plan, leaves, this.options, shapeOf);
        byShape.set(key, c);
      }
    }
    return c;
  }

  private result(t: Tensor, env: Env): NDArray {
    const v = env.get(t) ?? (t.op.type === 'VariableV2' ? this.store.get(t.op) : undefined);
    if (v === undefined) {
      if (t.op.type === 'VariableV2') throw uninitializedError(t.op);
      throw new Error(`internal: no value for fetched tensor '${t.name}'`);
    }
    return ndArrayFromOrt(v);
  }

  /** One op on tfjs: inputs cross as typed arrays, outputs come back the same way. */
  private runStep(step: Step, env: Env, md: RunMetadata | undefined, start: number): void {
    const op = step.op;
    const ins: (tfc.Tensor | undefined)[] = [];
    try {
      for (let k = 0; k < step.kinds.length; k++) ins.push(this.stepInput(step, k, env));
      const t0 = performance.now();
      this.ctx.enter(op);
      const out = step.def.invoke(ins, step.attrs, this.ctx);
      md?.record(op, out, t0 - start, performance.now() - t0);
      const outs = out === undefined ? [] : Array.isArray(out) ? out : [out as tfc.Tensor];
      outs.forEach((o, j) => {
        if (o === undefined) return;
        try {
          if (j < op.outputs.length && step.outputs[j]! >= 0)
            env.set(op.outputs[j]!, checked(op, j, ortFromTfc(o)));
        } finally {
          if (!ins.includes(o)) o.dispose();
        }
      });
    } catch (e) {
      throw blame(e, op);
    } finally {
      for (const t of ins) t?.dispose();
      this.ctx.flush();
    }
  }

  private stepInput(step: Step, k: number, env: Env): tfc.Tensor | undefined {
    const t = step.op.inputs[k]!;
    if (step.kinds[k] === VALUE) return tfcFromOrt(env.get(t)!);
    if (step.kinds[k] !== VARIABLE) return undefined;
    const v = this.store.get(t.op);
    if (v === undefined) throw uninitializedError(t.op);
    return tfcFromOrt(v);
  }
}

const MAX_SPECIALIZED = 4;
const GENERIC = '*';

/** The fed shapes the graph leaves open, in a canonical order. */
function shapeKey(feeds: ReadonlyMap<Tensor, NDArray>): string {
  const parts: string[] = [];
  for (const [t, nd] of feeds)
    if (t.shape === null || t.shape.includes(null)) parts.push(`${t.name}:${nd.shape.join('x')}`);
  return parts.sort().join(';');
}

function dispose(c: Compiled): void {
  for (const u of c.units) if ('segment' in u) u.segment.model.dispose();
}

function runSegment(
  seg: Segment,
  env: Env,
  store: HostVariables,
  md: RunMetadata | undefined,
  start: number,
) {
  const feeds: Record<string, OrtTensor> = {};
  for (const { name, source } of seg.inputs) {
    if ('tensor' in source) feeds[name] = env.get(source.tensor)!;
    else {
      const v = store.get(source.variable);
      if (v === undefined) throw uninitializedError(source.variable);
      feeds[name] = v;
    }
  }
  const t0 = performance.now();
  let out: Record<string, OrtTensor>;
  try {
    out = seg.model.run(feeds);
  } catch (e) {
    throw blame(e, seg.ownerOf(e) ?? seg.steps[0]!.op);
  }
  for (const c of seg.checks) {
    const message = c.verdict(c.flags.map((f) => Number(out[f]!.data[0])));
    if (message !== null) throw new InvalidArgumentError(message, c.op);
  }
  for (const { name, source } of seg.outputs) {
    if ('tensor' in source)
      env.set(source.tensor, checked(source.tensor.op, source.tensor.valueIndex, out[name]!));
    else store.write(source.variable, out[name]!);
  }
  md?.stepStats.push({
    nodeName: seg.label,
    opType: 'OnnxSegment',
    startMicros: Math.round((t0 - start) * 1000),
    durationMicros: Math.round((performance.now() - t0) * 1000),
    outputShapes: seg.outputs.map((o) => out[o.name]!.dims.slice()),
    outputBytes: seg.outputs.reduce((n, o) => n + bytes(out[o.name]!), 0),
  });
}

const bytes = (t: OrtTensor): number =>
  Array.isArray(t.data)
    ? t.data.reduce((n: number, s: string) => n + Buffer.byteLength(s), 0)
    : (t.data as Uint8Array).byteLength;

/** The value, after checking it against the op's static output shape (as the tfjs loop does). */
function checked(op: Operation, j: number, v: OrtTensor): OrtTensor {
  const expected = op.outputs[j]!.shape;
  if (
    expected !== null &&
    (expected.length !== v.dims.length || expected.some((d, i) => d !== null && d !== v.dims[i]))
  ) {
    throw new InvalidArgumentError(
      `${op.type} produced output ${j} of shape [${v.dims.join(',')}], incompatible with its static shape [${expected.map((d) => d ?? '?').join(',')}]`,
      op,
    );
  }
  return v;
}

/** Kernel and engine failures become OpErrors naming the op (and its creation site). */
function blame(e: unknown, op: Operation): unknown {
  if (e instanceof OpError || !(e instanceof Error)) return e;
  return new InvalidArgumentError(`${e.message} (op '${op.name}' of type ${op.type})`, op, { cause: e });
}

/** The kernel context of tfjs fallback ops: variables live in the host store. */
class FallbackContext extends OpKernelContext {
  // Constants made by a failed run are freed (it leaks no tensor).
  private readonly constants = new ConstantCache();
  private readonly written: tfc.Tensor[] = [];
  constructor(
    backend: string,
    private readonly store: HostVariables,
  ) {
    super(backend);
  }
  cached(make: () => tfc.Tensor): tfc.Tensor {
    return tfc.clone(this.constants.get(this.op, make));
  }
  commit(): void {
    this.constants.commit();
  }
  rollback(): void {
    this.constants.rollback();
  }
  readVariable(variableOp: Operation): tfc.Tensor | undefined {
    const v = this.store.get(variableOp);
    return v && tfcFromOrt(v);
  }
  writeVariable(variableOp: Operation, value: tfc.Tensor): void {
    this.store.write(variableOp, ortFromTfc(value));
    // Kernels may still read `value` (writeRef returns a clone of it): freed after the step.
    this.written.push(value);
  }
  /** Frees what this step's kernel handed to the store. */
  flush(): void {
    for (const t of this.written) t.dispose();
    this.written.length = 0;
  }
  dispose(): void {
    this.constants.dispose();
  }
}
