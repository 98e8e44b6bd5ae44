// TF1 reference variables: a VariableV2 op (the storage, read at run time from the Session), an
// `Assign` initializer and a `read` snapshot that stands for the variable wherever a Tensor does.

import { liftedGraph } from './control/func_graph.js';
import { type NameOpt, type TensorInput, toTensor } from './convert.js';
import type { DType, Shape } from './dtype.js';
import { formatShape, isFullyDefined } from './dtype.js';
import { ValueError } from './errors.js';
import { type Graph, getDefaultGraph, type Operation, type Tensor } from './graph.js';
import { GraphKeys } from './graph_keys.js';
import { group, identity, noOp } from './ops/core.js';
import {
  Assign,
  AssignAdd,
  AssignSub,
  IsVariableInitialized,
  ReportUninitializedVariables,
  VariableV2,
} from './ops/state.js';
import { named } from './options.js';

export interface VariableOptions {
  name?: string;
  dtype?: DType;
  trainable?: boolean;
  collections?: string[];
  /** Check that assigned values have the variable's shape (TF's `validate_shape`). */
  validateShape?: boolean;
}

export class Variable {
  /** @internal use `variable()` */
  constructor(
    readonly op: Operation,
    readonly initializer: Operation,
    readonly initialValue: Tensor,
    private readonly snapshot: Tensor,
    readonly trainable: boolean,
  ) {}

  /** The variable's tensor name, as in TF: 'w:0'. */
  get name(): string {
    return `${this.op.name}:0`;
  }
  get dtype(): DType {
    return this.snapshot.dtype;
  }
  get shape(): Shape {
    return this.snapshot.shape!;
  }
  get graph(): Graph {
    return this.op.graph;
  }
  /** The reference tensor (VariableV2's output): what gradients and update ops target. */
  ref(): Tensor {
    return this.op.outputs[0]!;
  }
  /** The `<name>/read` snapshot used wherever the variable stands for a Tensor. */
  value(): Tensor {
    return this.snapshot;
  }
  /**
   * The tensor a Variable stands for. Inside a controlDependencies block with deps, a fresh read
   * made there (so it gets the block's control inputs and sees an assign among them, as TF's
   * resource variables read at the point of use); elsewhere the cached `<name>/read` snapshot.
   */
  asTensor(): Tensor {
    const g = getDefaultGraph();
    return g === this.graph && g.hasControlDependencies ? this.read() : this.snapshot;
  }
  /** A fresh read of the variable (an Identity named 'read'). */
  read(opts: NameOpt = {}): Tensor {
    return identity(this.ref(), { name: named('read', opts) ?? 'read' });
  }
  /** @example const step = w.assign(add(w, 1)); */
  assign(v: TensorInput, opts: NameOpt = {}): Tensor {
    return Assign.apply(
      { ref: this.ref(), value: this.convert(v) },
      { validateShape: true },
      { name: named('assign', opts) ?? 'Assign' },
    );
  }
  assignAdd(v: TensorInput, opts: NameOpt = {}): Tensor {
    return AssignAdd.apply(
      { ref: this.ref(), value: this.convert(v) },
      {},
      { name: named('assignAdd', opts) ?? 'AssignAdd' },
    );
  }
  assignSub(v: TensorInput, opts: NameOpt = {}): Tensor {
    return AssignSub.apply(
      { ref: this.ref(), value: this.convert(v) },
      {},
      { name: named('assignSub', opts) ?? 'AssignSub' },
    );
  }
  // Plain values become constants in this variable's graph, like TF's assign.
  private convert(v: TensorInput): Tensor {
    return this.graph.asDefault(() => toTensor(v, this.dtype));
  }
  /** A bool scalar: has this variable been initialized in the running session? */
  isInitialized(opts: NameOpt = {}): Tensor {
    return IsVariableInitialized.apply(
      { ref: this.ref() },
      {},
      { name: named('isInitialized', opts) ?? 'IsVariableInitialized' },
    );
  }
  toString(): string {
    return `Variable '${this.name}' shape=${formatShape(this.shape)} dtype=${this.dtype}`;
  }
}

/**
 * A variable holding `initialValue` once its initializer runs. A function initial value is built
 * under `<name>/Initializer/`.
 * @example
 * const w = variable(randomNormal([784, 10], { stddev: 0.1 }), { name: 'w' });
 * sess.run(globalVariablesInitializer());
 */
export function variable(initialValue: TensorInput | (() => Tensor), opts: VariableOptions = {}): Variable {
  // TF's init_scope: a variable made while a control-flow body is traced lives outside it.
  const graph = liftedGraph(getDefaultGraph());
  if (graph !== getDefaultGraph()) return graph.asDefault(() => variable(initialValue, opts));
  const trainable = opts.trainable ?? true;
  // TF's init_scope: a variable's ops never inherit the control dependencies around them.
  const v = graph.controlDependencies(null, () =>
    graph.nameScope(
      named('variable', opts, {
        name: 'string',
        dtype: 'any',
        trainable: 'boolean',
        collections: 'any',
        validateShape: 'boolean',
      }) ?? 'Variable',
      (scope) => {
        const init =
          typeof initialValue === 'function'
            ? graph.nameScope('Initializer', () => toTensor(initialValue(), opts.dtype))
            : toTensor(initialValue, opts.dtype, 'initial_value');
        if (!isFullyDefined(init.shape)) {
          throw new ValueError(
            `variable '${scope.slice(0, -1)}': initial value must have a fully defined shape, got ${formatShape(init.shape)}`,
          );
        }
        const varOp = VariableV2.applyOp({}, { dtype: init.dtype, shape: init.shape }, { name: scope });
        const ref = varOp.outputs[0]!;
        return graph.colocateWith(varOp, () => {
          const initializer = Assign.applyOp(
            { ref, value: init },
            { validateShape: opts.validateShape ?? true },
            { name: 'Assign' },
          );
          return new Variable(varOp, initializer, init, identity(ref, { name: 'read' }), trainable);
        });
      },
    ),
  );
  const collections = [...(opts.collections ?? [GraphKeys.GLOBAL_VARIABLES])];
  if (trainable && !collections.includes(GraphKeys.TRAINABLE_VARIABLES))
    collections.push(GraphKeys.TRAINABLE_VARIABLES);
  graph.addToCollections(collections, v);
  return v;
}

export const globalVariables = (scope?: string): Variable[] =>
  getDefaultGraph().getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES, scope);
export const trainableVariables = (scope?: string): Variable[] =>
  getDefaultGraph().getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES, scope);
export const localVariables = (scope?: string): Variable[] =>
  getDefaultGraph().getCollection<Variable>(GraphKeys.LOCAL_VARIABLES, scope);
export const modelVariables = (scope?: string): Variable[] =>
  getDefaultGraph().getCollection<Variable>(GraphKeys.MODEL_VARIABLES, scope);

/** One op running the initializers of `vars` (a NoOp when empty), named 'init' by default. */
export function variablesInitializer(vars: readonly Variable[], opts: NameOpt = {}): Operation {
  const name = named('variablesInitializer', opts) ?? 'init';
  return vars.length ? group(...vars.map((v) => v.initializer), { name }) : noOp({ name });
}
export const globalVariablesInitializer = (): Operation => variablesInitializer(globalVariables());
export const localVariablesInitializer = (): Operation => variablesInitializer(localVariables());

/** A 1-D string tensor: names of the variables (default: all global and local) not yet initialized. */
export function reportUninitializedVariables(varList?: readonly Variable[], opts: NameOpt = {}): Tensor {
  const vars = varList ?? [...globalVariables(), ...localVariables()];
  return ReportUninitializedVariables.apply(
    { refs: vars.map((v) => v.ref()) },
    {},
    { name: named('reportUninitializedVariables', opts) ?? 'report_uninitialized_variables' },
  );
}
