// The gradients() driver, with TF's gradients_util semantics: find the ops between xs and ys,
// seed the ys, walk back in dependency order calling each op's rule once all its output
// gradients are in, and sum what meets. Every gradient is an ordinary graph op.
import {
  checkOptions,
  colocateWith,
  constant,
  FuncGraph,
  fill,
  formatShape,
  type Graph,
  identity,
  LookupError,
  type Operation,
  type OptionSpec,
  shape,
  shapesCompatible,
  Tensor,
  type TensorLike,
  TypeError,
  tuple,
  ValueError,
  Variable,
  withSharedCreationSite,
  zerosLike,
} from '@graphmode/graph';
import { aggregate, checkAggregationMethod, densify, reduceToShapeOf } from './aggregate.js';
import { type Gradient, IndexedSlices } from './indexed_slices.js';
import { isBackpropagatable, pendingCounts, stopOps } from './pending.js';
import { lookupGradient, type RegisteredRule } from './registry.js';

export { AggregationMethod } from './aggregate.js';

export interface GradientsOptions {
  /** Incoming gradient per y (default: ones of y's dynamic shape). */
  gradYs?: readonly (Tensor | TensorLike | null)[];
  name?: string;
  /** Gate each op's input gradients with `tuple`, so none is used before all exist. */
  gateGradients?: boolean;
  aggregationMethod?: number;
  colocateGradientsWithOps?: boolean;
  stopGradients?: readonly Tensor[];
  unconnectedGradients?: 'none' | 'zero';
}

// The options of the gradients() calls being built, innermost last.
const active: GradientsOptions[] = [];

/**
 * d(ys)/d(xs) for rules that differentiate a function body (a cond branch, a loop step) with
 * gradients of their own: dense, zeros where unconnected, and with the gating, aggregation and
 * colocation of the enclosing `gradients()` call.
 */
export function nestedGradients(
  ys: readonly Tensor[],
  xs: readonly Tensor[],
  gradYs: readonly Tensor[],
): Tensor[] {
  if (xs.length === 0) return [];
  if (ys.length === 0) return xs.map((x) => zerosLike(x));
  const { gateGradients, aggregationMethod, colocateGradientsWithOps } = active[active.length - 1] ?? {};
  const opts = { gateGradients, aggregationMethod, colocateGradientsWithOps };
  return gradients(ys, xs, { ...opts, gradYs, unconnectedGradients: 'zero' }).map((g) => densify(g!));
}

const GRADIENTS_SPEC: OptionSpec<GradientsOptions> = {
  gradYs: 'any',
  name: 'string',
  gateGradients: 'boolean',
  aggregationMethod: 'number',
  colocateGradientsWithOps: 'boolean',
  stopGradients: 'any',
  unconnectedGradients: 'string',
};

// A number or a name among ys/xs is a TypeError here, not a crash deep in the driver.
function requireTensors(what: string, v: unknown): void {
  const list: readonly unknown[] = Array.isArray(v) ? v : [v];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor) && !(t instanceof Variable)) {
      const got =
        t === null ? 'null' : typeof t === 'object' ? t.constructor.name : `${typeof t} ${String(t)}`;
      throw new TypeError(`gradients: ${what}[${i}] must be a Tensor or Variable, got ${got}`);
    }
  });
}

/**
 * Symbolic partial derivatives of sum(ys) with respect to each x, as graph ops.
 * @example const [dw, db] = gradients(loss, [w, b]);
 */
export function gradients(
  ys: Tensor | Variable | readonly (Tensor | Variable)[],
  xs: Tensor | Variable | readonly (Tensor | Variable)[],
  opts: GradientsOptions = {},
): (Gradient | null)[] {
  checkOptions('gradients', opts, GRADIENTS_SPEC);
  requireTensors('ys', ys);
  requireTensors('xs', xs);
  const yList = (Array.isArray(ys) ? ys : [ys]).map((y: Tensor | Variable) =>
    y instanceof Variable ? y.value() : y,
  );
  const xList = (Array.isArray(xs) ? xs : [xs]).map((x: Tensor | Variable) =>
    x instanceof Variable ? x.ref() : x,
  );
  const method = checkAggregationMethod(opts.aggregationMethod);
  if (opts.unconnectedGradients !== undefined && !['none', 'zero'].includes(opts.unconnectedGradients)) {
    throw new ValueError(`Unknown value for unconnected_gradients: '${opts.unconnectedGradients}'`);
  }
  if (opts.gradYs && opts.gradYs.length !== yList.length) {
    throw new ValueError(`Passed ${opts.gradYs.length} grad_ys for ${yList.length} ys`);
  }
  if (yList.length === 0) return xList.map(() => null);
  const graph = yList[0]!.graph;
  const xsHere = xList.map((x) => capturedIn(graph, x));
  active.push(opts);
  try {
    return withSharedCreationSite(gradients, () =>
      graph.nameScope(opts.name ?? 'gradients', () => new Backprop(graph, yList, xsHere, method, opts).run()),
    );
  } finally {
    active.pop();
  }
}

/**
 * Inside a function body (a cond branch, a loop body), an outer tensor `x` reaches the body's ops
 * through the placeholder that captured it: differentiate with respect to that (TF's
 * _MaybeCaptured). A tensor the body never captured stays as is (unconnected).
 */
function capturedIn(graph: Graph, x: Tensor): Tensor {
  const chain: FuncGraph[] = [];
  for (let g = graph; g instanceof FuncGraph && g !== x.graph; g = g.outer) chain.push(g);
  let t = x;
  for (const fg of chain.reverse()) {
    const inner = fg.captures.get(t);
    if (inner === undefined) return x;
    t = inner;
  }
  return t;
}

class Backprop {
  /** Contributions per op output, filled as consumers' rules run. */
  private readonly grads = new Map<Operation, Gradient[][]>();

  constructor(
    private readonly graph: Graph,
    private readonly ys: readonly Tensor[],
    private readonly xs: readonly Tensor[],
    private readonly method: number,
    private readonly opts: GradientsOptions,
  ) {}

  run(): (Gradient | null)[] {
    const yOps = this.ys.map((y) => y.op);
    const xOps = this.xs.map((x) => x.op);
    const { between, pending, reachableYs } = pendingCounts(yOps, xOps);
    const stops = stopOps(
      xOps,
      (this.opts.stopGradients ?? []).map((t) => t.op),
      pending,
    );
    this.ys.forEach((y, i) => this.addGrad(y, this.gradY(y, i)));

    const queue = [...new Set(yOps)].filter((op) => reachableYs.has(op) && (pending.get(op) ?? 0) === 0);
    for (let head = 0; head < queue.length; head++) {
      const op = queue[head]!;
      const inGrads = this.colocated(op, () => this.backpropOp(op, stops.has(op), between));
      op.inputs.forEach((t, i) => {
        if (!between.has(t.op)) return;
        const g = inGrads[i];
        if (g) this.addGrad(t, this.checked(op, i, g));
        const left = pending.get(t.op)! - 1;
        pending.set(t.op, left);
        if (left === 0) queue.push(t.op);
      });
    }
    return this.xs.map((x) => {
      const g = aggregate(this.graph, x.op, this.grads.get(x.op)?.[x.valueIndex] ?? [], this.method);
      return g === null && this.opts.unconnectedGradients === 'zero' ? zerosLike(x) : g;
    });
  }

  private colocated<T>(op: Operation, fn: () => T): T {
    return this.opts.colocateGradientsWithOps ? colocateWith(op, fn) : fn();
  }

  /** Aggregates the op's output gradients, then applies its rule (unless it is a stop op). */
  private backpropOp(
    op: Operation,
    isStop: boolean,
    between: ReadonlySet<Operation>,
  ): readonly (Gradient | null)[] {
    const outGrads = op.outputs.map((_, i) => {
      const g = aggregate(this.graph, op, this.grads.get(op)?.[i] ?? [], this.method);
      this.setAggregated(op, i, g);
      return g;
    });
    const none = op.inputs.map(() => null);
    if (isStop || outGrads.every((g) => g === null)) return none;
    const entry = lookupGradient(op.def);
    if (!entry) throw new LookupError(`No gradient defined for operation '${op.name}' (op type: ${op.type})`);
    if (!entry.rule) return none;
    const dys = outGrads.map((g, i) => {
      if (g === null) return isBackpropagatable(op.outputs[i]!) ? zerosLike(op.outputs[i]!) : null;
      return entry.sparseInput ? g : densify(g);
    });
    return this.graph.nameScope(`${op.name}_grad`, () => this.applyRule(op, entry, dys, between));
  }

  private applyRule(
    op: Operation,
    entry: RegisteredRule,
    dys: (Gradient | null)[],
    between: ReadonlySet<Operation>,
  ): (Gradient | null)[] {
    let inGrads = [...entry.rule!(op, ...(dys as (Tensor | null)[]))];
    if (inGrads.length !== op.inputs.length) {
      throw new ValueError(
        `Num gradients ${inGrads.length} generated for op ${op.name} do not match num inputs ${op.inputs.length}`,
      );
    }
    if (entry.broadcasts) {
      inGrads = inGrads.map((g, i) => (g instanceof Tensor ? reduceToShapeOf(g, op.inputs[i]!) : g));
    }
    // Integer and bool inputs are constants to the differentiator. An input that leads to no x
    // needs no gradient: dropping it before gating keeps the gate from forcing its computation
    // (e.g. the input images' gradient of a first layer's MatMul).
    inGrads = inGrads.map((g, i) =>
      isBackpropagatable(op.inputs[i]!) && between.has(op.inputs[i]!.op) ? g : null,
    );
    if (this.opts.gateGradients && inGrads.filter((g) => g !== null).length > 1)
      inGrads = gateGradients(inGrads);
    return inGrads;
  }

  /** TF's check that a gradient fits its input's static shape (then refines the gradient's). */
  private checked(op: Operation, i: number, g: Gradient): Gradient {
    if (!(g instanceof Tensor)) return g;
    const x = op.inputs[i]!;
    if (!shapesCompatible(g.shape, x.shape)) {
      throw new ValueError(
        `Incompatible shapes between op input and calculated input gradient. Forward operation: ${op.name}. ` +
          `Input index: ${i}. Original input shape: ${formatShape(x.shape)}. Calculated input gradient shape: ${formatShape(g.shape)}`,
      );
    }
    if (g.dtype !== x.dtype) {
      throw new TypeError(`Gradient for input ${i} of ${op.name} has dtype ${g.dtype}, expected ${x.dtype}`);
    }
    g.setShape(x.shape);
    return g;
  }

  private addGrad(t: Tensor, g: Gradient): void {
    let perOutput = this.grads.get(t.op);
    if (!perOutput) this.grads.set(t.op, (perOutput = t.op.outputs.map(() => [])));
    perOutput[t.valueIndex]!.push(g);
  }

  private setAggregated(op: Operation, i: number, g: Gradient | null): void {
    const perOutput = this.grads.get(op);
    if (perOutput) perOutput[i] = g === null ? [] : [g];
  }

  /** The seed for y: the user's gradY (checked) or ones of y's dynamic shape. */
  private gradY(y: Tensor, i: number): Tensor {
    const given = this.opts.gradYs?.[i] ?? null;
    if (given === null) return fill(shape(y), constant(1, { dtype: y.dtype, name: `grad_ys_${i}` }));
    const g = given instanceof Tensor ? given : constant(given, { dtype: y.dtype });
    if (g.dtype !== y.dtype) {
      throw new TypeError(
        `Gradient type ${g.dtype} generated for tensor ${y.name} with type ${y.dtype} must be ${y.dtype}`,
      );
    }
    if (!shapesCompatible(g.shape, y.shape)) {
      throw new ValueError(
        `grad_ys[${i}] has shape ${formatShape(g.shape)}, incompatible with ${y.name}'s shape ${formatShape(y.shape)}`,
      );
    }
    return identity(g, { name: `grad_ys_${i}` });
  }
}

/**
 * TF's gate_gradients: every gradient of the list waits for all of them (control_flow_ops.tuple;
 * IndexedSlices gate their values). The driver gates each op's input gradients (GATE_OP);
 * optimizers gate a whole gradient list (GATE_GRAPH).
 */
export function gateGradients(grads: readonly (Gradient | null)[]): (Gradient | null)[] {
  const flat = grads.map((g) => (g instanceof IndexedSlices ? g.values : g));
  const gated = tuple(flat);
  return grads.map((g, i) =>
    g instanceof IndexedSlices ? new IndexedSlices(gated[i]!, g.indices, g.denseShape) : gated[i]!,
  );
}
