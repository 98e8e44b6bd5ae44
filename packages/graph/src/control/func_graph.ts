// A function graph (TF's FuncGraph): the body of a cond branch or a loop, traced into its own
// Graph when the control-flow op is built. Outer tensors used inside become explicit inputs
// (captures: a placeholder here, an input of the If/While op outside), so every run plan stays a
// pure, cached plan. Variables are the exception: a body reads and assigns the session's variable
// itself (the VariableV2 tensor is used across the graph boundary, as a resource handle in TF).
import type { DType, Shape } from '../dtype.js';
import { ValueError } from '../errors.js';
import {
  asOperation,
  type CreateOpOptions,
  Graph,
  getDefaultGraph,
  type Operation,
  type OpLike,
  Tensor,
} from '../graph.js';
import type { OpDef } from '../op_def.js';
import { Placeholder } from '../ops/core.js';
import { VariableV2 } from '../ops/state.js';
import { makePlan, type Plan } from '../session/plan.js';

export class FuncGraph extends Graph {
  /** Placeholders standing for the function's arguments, explicit ones first, then captures. */
  readonly inputs: Tensor[] = [];
  /** Outer tensor → its placeholder here. */
  readonly captures = new Map<Tensor, Tensor>();
  /** Outer ops used as control dependencies inside: the control-flow op waits for them instead. */
  readonly controlCaptures = new Set<Operation>();
  outputs: Tensor[] = [];
  /** Values a gradient needs saved on every call (stateful ops' outputs), returned after the outputs. */
  readonly saved: Tensor[] = [];
  private cachedPlan: Plan | null = null;

  constructor(
    readonly name: string,
    readonly outer: Graph,
  ) {
    super();
    this.seed = outer.seed;
  }

  override capturesFrom(g: Graph): boolean {
    return g === this.outer || this.outer.capturesFrom(g);
  }

  /** Adds an explicit argument. */
  addInput(dtype: DType, shape: Shape | null, name = 'arg'): Tensor {
    const t = this.createOp(Placeholder, [], { dtype, shape }, { name });
    this.inputs.push(t.outputs[0]!);
    return t.outputs[0]!;
  }

  /** The tensor standing for `t` here: `t` itself, or a placeholder fed with it (captured once). */
  capture(t: Tensor): Tensor {
    if (t.graph === this || t.op.def === VariableV2) return t;
    if (!this.capturesFrom(t.graph)) {
      throw new ValueError(
        `Tensor '${t.name}' is from a graph that the function '${this.name}' cannot capture from`,
      );
    }
    // A tensor from further out is first captured by the enclosing function (TF's nested captures).
    const outerT = this.outer instanceof FuncGraph ? this.outer.capture(t) : t;
    let inner = this.captures.get(outerT);
    if (inner === undefined) {
      // Outside any control-dependency block: a placeholder is fed, never run.
      inner = this.nameScope(null, () =>
        super.controlDependencies(null, () => this.addInput(t.dtype, t.shape, 'capture')),
      );
      this.captures.set(outerT, inner);
    }
    return inner;
  }

  /** The outer tensors captured, in input order (what the control-flow op passes in). */
  capturedOuter(): Tensor[] {
    return [...this.captures.keys()];
  }

  override createOp<A extends object>(
    def: OpDef<A>,
    inputs: readonly Tensor[],
    attrs: A,
    options: CreateOpOptions = {},
  ): Operation<A> {
    const mapped = inputs.map((t) => (t instanceof Tensor && t.graph !== this ? this.capture(t) : t));
    return super.createOp(def, mapped, attrs, options);
  }

  override controlDependencies<T>(deps: readonly OpLike[] | null, fn: () => T): T {
    if (deps === null) return super.controlDependencies(null, fn);
    const local: Operation[] = [];
    for (const d of deps) {
      const op = asOperation(d);
      if (op.graph === this) local.push(op);
      else this.captureControl(op);
    }
    return super.controlDependencies(local, fn);
  }

  private captureControl(op: Operation): void {
    if (this.outer instanceof FuncGraph && op.graph !== this.outer) this.outer.captureControl(op);
    else this.controlCaptures.add(op);
  }

  /** @internal Ops of enclosing graphs are legal here only as variables or control captures. */
  override checkSameGraph(op: Operation, what: string): void {
    if (op.graph !== this && !this.capturesFrom(op.graph)) super.checkSameGraph(op, what);
  }

  /** The cached run plan: the outputs, and every stateful op (they run whenever the body runs). */
  plan(): Plan {
    const p = this.cachedPlan;
    if (p && p.graphVersion === this.version) return p;
    const stateful = this.getOperations().filter((op) => op.def.stateful && op.def !== VariableV2);
    const fetches = [...this.outputs, ...this.saved];
    return (this.cachedPlan = makePlan(fetches, stateful, new Set(this.inputs), this.version));
  }
}

const fnUids = new WeakMap<Graph, number>();
/**
 * TF's util.unique_fn_name: `<scope><name>_<uid>` with '/' made '_' (`while_body_3`,
 * `rnn_while_cond_5`, `cond_true_7`), the name while_v2/cond_v2 give a body's function. The uid
 * counts per outermost graph (TF's is process-wide) so a graph exports the same bytes whatever
 * else the process built.
 */
export function uniqueFnName(scope: string, name: string): string {
  const outer = liftedGraph(getDefaultGraph());
  const uid = (fnUids.get(outer) ?? 0) + 1;
  fnUids.set(outer, uid);
  return `${scope}${name}_${uid}`.replaceAll('/', '_');
}

/** The graph variables go to (TF's init_scope): the outermost graph around any function graphs. */
export const liftedGraph = (g: Graph): Graph => (g instanceof FuncGraph ? liftedGraph(g.outer) : g);

/** The innermost function being traced, or null at the top level. */
export function currentFuncGraph(): FuncGraph | null {
  const g = getDefaultGraph();
  return g instanceof FuncGraph ? g : null;
}

/**
 * Traces `fn` into a new function graph with one argument per `(dtype, shape)`. With `nameScope`
 * (cond and whileLoop pass the If/While op's scope), ops built by `fn` are named under it —
 * `while/Add`, `rnn/while/basic_lstm_cell/MatMul`, `cond/Mul`, the names TF 1.15 gives a loop's
 * or branch's ops; without, names start at the function's root.
 */
export function traceFunc<R>(
  name: string,
  outer: Graph,
  args: readonly { dtype: DType; shape: Shape | null }[],
  fn: (fg: FuncGraph, args: Tensor[]) => R,
  opts: { nameScope?: string } = {},
): { fg: FuncGraph; result: R } {
  const fg = new FuncGraph(name, outer);
  const scope = opts.nameScope ?? '';
  const result = fg.asDefault(() => {
    const ins = args.map((a) => fg.addInput(a.dtype, a.shape));
    return fg.nameScope(scope ? `${scope.replace(/\/$/, '')}/` : null, () => fn(fg, ins));
  });
  return { fg, result };
}
