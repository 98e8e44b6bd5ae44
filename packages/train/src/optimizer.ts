// The optimizer base class (TF's training/optimizer.py): computeGradients (autodiff) plus
// applyGradients, which creates slots, then emits one update op per variable (dense or sparse)
// under '<Name>/update_<var>/', groups them and increments the global step after all of them.
import { type Gradient, gateGradients, gradients, IndexedSlices } from '@graphmode/autodiff';
import {
  AssignAdd,
  asOperation,
  cast,
  checkOptions,
  constant,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  group,
  type Operation,
  type OptionSpec,
  Tensor,
  TypeError,
  toTensor,
  UnimplementedError,
  ValueError,
  Variable,
  VariableV2,
} from '@graphmode/graph';
import { createNonSlot, createSlot } from './slots.js';

export type GradAndVar = [Gradient | null, Variable];
/** What applyGradients accepts: as in TF, a Variable standing for a gradient is read as a tensor. */
export type GradAndVarInput = readonly [Gradient | Variable | null, Variable | Tensor];
/**
 * A gradient paired with a plain Tensor of `varList` (TF's _TensorProcessor): computeGradients
 * differentiates with respect to it, but applyGradients cannot update it.
 */
export type GradAndTensor = [Gradient | null, Variable | Tensor];
/** A hyperparameter: a number, a scalar tensor (e.g. a learning-rate schedule) or a function making one. */
export type Hyperparameter = number | Tensor | Variable | (() => number | Tensor);

/** The options every optimizer takes. */
export interface OptimizerOptions {
  useLocking?: boolean;
  name?: string;
}

/** The options every optimizer's constructor takes, for its own spec to extend. */
export const OPTIMIZER_SPEC: OptionSpec<OptimizerOptions> = { useLocking: 'boolean', name: 'string' };
export interface ComputeGradientsOptions {
  varList?: readonly Variable[] | null;
  gateGradients?: number;
  aggregationMethod?: number;
  colocateGradientsWithOps?: boolean;
  gradLoss?: Tensor | null;
}
/** computeGradients options whose varList also holds plain Tensors. */
export interface ComputeTensorGradientsOptions extends Omit<ComputeGradientsOptions, 'varList'> {
  varList: readonly (Variable | Tensor)[];
}
export interface ApplyGradientsOptions {
  globalStep?: Variable | Tensor | null;
  name?: string;
}
export interface MinimizeOptions extends ComputeGradientsOptions, ApplyGradientsOptions {}
const COMPUTE_SPEC: OptionSpec<ComputeGradientsOptions> = {
  varList: 'any',
  gateGradients: 'number',
  aggregationMethod: 'number',
  colocateGradientsWithOps: 'boolean',
  gradLoss: 'any',
};
const APPLY_SPEC: OptionSpec<ApplyGradientsOptions> = { globalStep: 'any', name: 'string' };

const VALID_DTYPES = ['float32'];
function assertValidDtypes(ts: readonly (Tensor | Variable)[]): void {
  for (const t of ts) {
    if (!VALID_DTYPES.includes(t.dtype))
      throw new ValueError(`Invalid type ${t.dtype} for ${t.name}, expected: [${VALID_DTYPES.join(', ')}].`);
  }
}

/** TF formats these messages as a Python list of str(v): repr quotes a string holding ' with ". */
const pyList = (xs: readonly (Variable | Tensor)[]): string =>
  `[${xs
    .map((x) => {
      const s = x.toString();
      return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replaceAll("'", "\\'")}'`;
    })
    .join(', ')}]`;

/**
 * The base of every optimizer. `H` is the record of hyperparameter tensors an optimizer's
 * `prepare()` builds once per applyGradients call and hands to each update it emits.
 */
export abstract class Optimizer<H extends object = object> {
  static readonly GATE_NONE = 0;
  static readonly GATE_OP = 1;
  static readonly GATE_GRAPH = 2;

  private readonly slots = new Map<string, Map<Variable, Variable>>();
  private readonly nonSlots = new Map<Graph, Map<string, Variable>>();

  protected constructor(
    readonly useLocking: boolean,
    readonly name: string,
  ) {
    if (!name) throw new ValueError('Must specify the optimizer name');
  }

  /**
   * Gradients of `loss` for each variable of `varList` (default: the trainable variables).
   * @example const gv = opt.computeGradients(loss); const step = opt.applyGradients(gv);
   */
  computeGradients(loss: Tensor, opts?: ComputeGradientsOptions): GradAndVar[];
  computeGradients(loss: Tensor, opts: ComputeTensorGradientsOptions): GradAndTensor[];
  computeGradients(
    loss: Tensor,
    opts: ComputeGradientsOptions | ComputeTensorGradientsOptions = {},
  ): GradAndTensor[] {
    checkOptions('computeGradients', opts, COMPUTE_SPEC);
    const gate = opts.gateGradients ?? Optimizer.GATE_OP;
    if (gate !== Optimizer.GATE_NONE && gate !== Optimizer.GATE_OP && gate !== Optimizer.GATE_GRAPH) {
      throw new ValueError(
        `gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not ${gate}`,
      );
    }
    assertValidDtypes([loss]);
    if (opts.gradLoss) assertValidDtypes([opts.gradLoss]);
    const varList: (Variable | Tensor)[] = opts.varList
      ? [...opts.varList]
      : loss.graph.getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES);
    if (varList.length === 0) throw new ValueError('No variables to optimize.');
    for (const v of varList) {
      if (!(v instanceof Variable) && !(v instanceof Tensor))
        throw new UnimplementedError(`Trying to optimize unsupported type ${String(v)}`);
    }
    let grads = loss.graph.asDefault(() =>
      gradients(loss, varList, {
        ...(opts.gradLoss ? { gradYs: [opts.gradLoss] } : {}),
        gateGradients: gate === Optimizer.GATE_OP,
        ...(opts.aggregationMethod !== undefined ? { aggregationMethod: opts.aggregationMethod } : {}),
        colocateGradientsWithOps: opts.colocateGradientsWithOps ?? false,
      }),
    );
    // GATE_GRAPH: every gradient waits for all of them (one tuple over the whole list).
    if (gate === Optimizer.GATE_GRAPH) grads = loss.graph.asDefault(() => gateGradients(grads));
    const pairs = grads.map((g, i): GradAndTensor => [g, varList[i]!]);
    assertValidDtypes(pairs.filter(([g]) => g !== null).map(([, v]) => v));
    return pairs;
  }

  /**
   * One op applying every non-null gradient, then (when given) incrementing `globalStep`.
   * It is added to GraphKeys.TRAIN_OP.
   */
  applyGradients(gradsAndVars: readonly GradAndVarInput[], opts: ApplyGradientsOptions = {}): Operation {
    checkOptions('applyGradients', opts, APPLY_SPEC);
    if (gradsAndVars.length === 0) throw new ValueError('No variables provided.');
    const converted = gradsAndVars.map(([g, v]): GradAndTensor => {
      if (g !== null && !(g instanceof Tensor) && !(g instanceof IndexedSlices) && !(g instanceof Variable))
        throw new TypeError(`Gradient must be a Tensor, IndexedSlices, or None: ${String(g)}`);
      if (!(v instanceof Variable)) {
        if (!(v instanceof Tensor))
          throw new UnimplementedError(`Trying to optimize unsupported type ${String(v)}`);
        // TF skips null gradients before asking a Tensor's processor to update it.
        if (g !== null) throw new UnimplementedError(`Trying to update a Tensor ${v.toString()}`);
        return [null, v];
      }
      return [g instanceof Variable ? toTensor(g) : g, v];
    });
    const withGrad = converted.filter(
      (p): p is [Gradient, Variable] => p[0] !== null && p[1] instanceof Variable,
    );
    if (withGrad.length === 0) {
      throw new ValueError(`No gradients provided for any variable: ${pyList(converted.map(([, v]) => v))}.`);
    }
    const graph = withGrad[0]![1].graph;
    return graph.asDefault(() => {
      graph.controlDependencies(null, () => this.createSlots(withGrad.map(([, v]) => v)));
      return graph.nameScope(opts.name ?? this.name, (scope) => {
        const hyper = this.prepare();
        const updates = withGrad.map(([g, v]) =>
          graph.nameScope(`update_${v.op.name}`, () =>
            graph.colocateWith(v.op, () =>
              asOperation(
                g instanceof IndexedSlices ? this.applySparse(g, v, hyper) : this.applyDense(g, v, hyper),
              ),
            ),
          ),
        );
        const step = opts.globalStep ?? null;
        let applied: Operation;
        if (step === null) applied = this.finish(updates, scope, hyper);
        else {
          const done = this.finish(updates, 'update', hyper);
          const ref = globalStepRef(step);
          applied = graph.controlDependencies([done], () =>
            graph.colocateWith(ref.op, () =>
              AssignAdd.applyOp(
                { ref, value: constant(1, { dtype: ref.dtype, name: 'value' }) },
                {},
                { name: scope },
              ),
            ),
          );
        }
        const trainOps = graph.getCollectionRef<Operation>(GraphKeys.TRAIN_OP);
        if (!trainOps.includes(applied)) trainOps.push(applied);
        return applied;
      });
    });
  }

  /** computeGradients then applyGradients. @example const step = opt.minimize(loss, { globalStep }); */
  minimize(loss: Tensor, opts: MinimizeOptions = {}): Operation {
    checkOptions('minimize', opts, { ...COMPUTE_SPEC, ...APPLY_SPEC });
    const { globalStep: _, name: __, ...compute } = opts;
    const gv = this.computeGradients(loss, compute);
    if (gv.every(([g]) => g === null)) {
      throw new ValueError(
        'No gradients provided for any variable, check your graph for ops that do not support gradients, ' +
          `between variables ${pyList(gv.map(([, v]) => v))} and loss ${loss.toString()}.`,
      );
    }
    const apply: ApplyGradientsOptions = {};
    if (opts.globalStep !== undefined) apply.globalStep = opts.globalStep;
    if (opts.name !== undefined) apply.name = opts.name;
    return this.applyGradients(gv, apply);
  }

  /** The slot `name` of `v` (e.g. Momentum's 'momentum', Adam's 'm' and 'v'), or null. */
  getSlot(v: Variable, name: string): Variable | null {
    return this.slots.get(name)?.get(v) ?? null;
  }
  /** The slot names this optimizer has created, sorted. */
  getSlotNames(): string[] {
    return [...this.slots.keys()].sort();
  }
  /** Every slot and non-slot variable this optimizer created in `graph` (default: the default graph), sorted by name. */
  variables(graph: Graph = getDefaultGraph()): Variable[] {
    const all = [...(this.nonSlots.get(graph)?.values() ?? [])];
    for (const m of this.slots.values()) all.push(...[...m.values()].filter((v) => v.graph === graph));
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- what subclasses implement --------------------------------------------------------------
  /** Creates the slots (and non-slot variables) the update ops need. */
  protected createSlots(_vars: readonly Variable[]): void {}
  /** The hyperparameters as tensors, built inside the apply name scope once per applyGradients. */
  protected abstract prepare(): H;
  protected abstract applyDense(grad: Tensor, v: Variable, hyper: H): Operation | Tensor;
  /** `grad` may hold duplicate indices: the sparse kernels sum them before updating. */
  protected abstract applySparse(grad: IndexedSlices, v: Variable, hyper: H): Operation | Tensor;
  /** Groups the update ops under `name` (Adam also advances its beta powers here). */
  protected finish(updates: readonly Operation[], name: string, _hyper: H): Operation {
    return updates[0]!.graph.asDefault(() => group(...updates, { name }));
  }

  // ---- helpers for subclasses -----------------------------------------------------------------
  protected slot(v: Variable, name: string): Variable {
    const s = this.getSlot(v, name);
    if (!s) throw new ValueError(`${this.name}: no slot '${name}' for ${v.toString()}`);
    return s;
  }
  /** A slot filled with `fill` (0 = TF's zeros slot), created once per variable. */
  protected makeSlot(v: Variable, name: string, fill: number, opName = this.name): Variable {
    let named = this.slots.get(name);
    if (!named) this.slots.set(name, (named = new Map()));
    let s = named.get(v);
    if (!s) named.set(v, (s = createSlot(v, fill, opName)));
    return s;
  }
  /** A per-graph optimizer variable such as Adam's beta1_power, created once. */
  protected makeNonSlot(initial: number | Tensor, name: string, colocate: Variable): Variable {
    let m = this.nonSlots.get(colocate.graph);
    if (!m) this.nonSlots.set(colocate.graph, (m = new Map()));
    let v = m.get(name);
    if (!v) m.set(name, (v = createNonSlot(initial, name, colocate)));
    return v;
  }
  protected getNonSlot(name: string, graph: Graph): Variable {
    const v = this.nonSlots.get(graph)?.get(name);
    if (!v) throw new ValueError(`${this.name}: non-slot variable '${name}' was not created`);
    return v;
  }
  /** A hyperparameter as a float32 tensor named `name` (functions are called now). */
  protected hyper(value: Hyperparameter, name: string): Tensor {
    const v = typeof value === 'function' ? value() : value;
    return typeof v === 'number' ? constant(v, { dtype: 'float32', name }) : cast(v, 'float32');
  }
}

function globalStepRef(step: Variable | Tensor): Tensor {
  const ref = step instanceof Variable ? step.ref() : step;
  if (ref.op.def !== VariableV2)
    throw new TypeError(`globalStep must be a Variable (or its reference), got ${ref.toString()}`);
  return ref;
}
