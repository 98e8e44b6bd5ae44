// TF 1.15's RNN cells (rnn_cell_impl.py): variable names, shapes, gate order and initial biases
// are TF's, so checkpoints line up. A cell is a tf.layers Layer: on first use it captures a
// variable scope named after it, made unique in the caller's scope (dynamicRnn's 'rnn' gives
// 'rnn/basic_lstm_cell'), makes its variables there with getVariable — so scope initializers,
// `reuse` and AUTO_REUSE apply — and keeps them for later calls.

import { ValueError } from '../../errors.js';
import { type Graph, getDefaultGraph, type Tensor } from '../../graph.js';
import { constant as constantInit, type Initializer, zeros as zerosInit } from '../../model/initializers.js';
import { getVariable, type VariableScope, variableScope } from '../../model/variable_scope.js';
import { constant } from '../../ops/const.js';
import { concat, split, stack } from '../../ops/joins.js';
import { matMul } from '../../ops/linalg.js';
import { add, mul, sigmoid, sub, tanh } from '../../ops/math.js';
import { biasAdd, elu, relu, relu6, selu, softplus, softsign } from '../../ops/nn.js';
import { fill } from '../../ops/sources.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import type { Variable } from '../../variable.js';

/** TF's LSTMStateTuple: `[c, h]` that also reads as `.c` and `.h`. */
export type LSTMStateTuple = readonly [Tensor, Tensor] & { readonly c: Tensor; readonly h: Tensor };
export const lstmStateTuple = (c: Tensor, h: Tensor): LSTMStateTuple =>
  Object.assign([c, h] as const, { c, h }) as LSTMStateTuple;
/** A cell's state: one tensor, or an LSTM's (c, h) as a state tuple or a `{ c, h }` record. */
export type CellState = Tensor | LSTMStateTuple | { readonly c: Tensor; readonly h: Tensor };
/** An LSTM state's (c, h), from a tuple, `[c, h]` or `{ c, h }`. */
export const lstmParts = (s: CellState): [Tensor, Tensor] =>
  Array.isArray(s) ? [s[0], s[1]] : [(s as { c: Tensor }).c, (s as { h: Tensor }).h];
export type Activation = (x: Tensor) => Tensor;

// The names TF's activations.get resolves (keras.activations), for the ops we have.
const ACTIVATIONS = { tanh, sigmoid, relu, relu6, elu, selu, softplus, softsign, linear: (x: Tensor) => x };
export type ActivationName = keyof typeof ACTIVATIONS;
function activationOf(cell: string, a: Activation | ActivationName | undefined): Activation {
  if (a === undefined) return tanh;
  if (typeof a === 'function') return a;
  if (typeof a === 'string' && Object.hasOwn(ACTIVATIONS, a)) return ACTIVATIONS[a];
  throw new ValueError(
    `${cell}: Unknown activation function: ${String(a)} (a function, or one of ${Object.keys(ACTIVATIONS).join(', ')})`,
  );
}

export interface CellOptions {
  /** The inner activation (default tanh), or a Keras activation name as TF accepts ('relu', …). */
  activation?: Activation | ActivationName;
  /** Variable scope name of the cell (TF's default: the class's snake_case name). */
  name?: string;
  /** Kernels' initializer (default: the variable scope's, else getVariable's glorotUniform). */
  kernelInitializer?: Initializer;
}

export const CELL_SPEC: OptionSpec<CellOptions> = {
  activation: 'any',
  name: 'string',
  kernelInitializer: 'function',
};
/** A weight of the cell's scope: getVariable with `initializer` when one is given. */
export const weight = (name: string, shape: number[], initializer: Initializer | undefined): Variable =>
  getVariable(name, { shape, ...(initializer ? { initializer } : {}) });

export abstract class RNNCell {
  readonly name: string;
  protected readonly activation: Activation;
  protected readonly kernelInitializer: Initializer | undefined;
  private built: Record<string, Variable> | null = null;
  private scope: VariableScope | null = null;
  /** Per graph, the name scope the cell's first call there opened. */
  private readonly nameScopes = new WeakMap<Graph, string>();
  constructor(
    readonly numUnits: number,
    defaultName: string,
    opts: CellOptions,
  ) {
    if (!Number.isInteger(numUnits) || numUnits <= 0)
      throw new ValueError(`${defaultName}: numUnits must be a positive integer, got ${numUnits}`);
    this.name = opts.name ?? defaultName;
    this.activation = activationOf(defaultName, opts.activation);
    this.kernelInitializer = opts.kernelInitializer;
  }
  abstract get stateSize(): number | { c: number; h: number };
  get outputSize(): number {
    return this.numUnits;
  }
  /** Zeros of the state's structure for `batchSize` rows (a number or an int32 scalar). */
  zeroState(batchSize: number | Tensor): CellState {
    const zeros = (n: number) =>
      fill(
        typeof batchSize === 'number' ? [batchSize, n] : stack([batchSize, constant(n, { dtype: 'int32' })]),
        0,
        { name: 'zeros' },
      );
    const s = this.stateSize;
    // TF: `with name_scope(type(self).__name__ + "ZeroState")`, array_ops.zeros per state part.
    return getDefaultGraph().nameScope(`${this.constructor.name}ZeroState`, () =>
      typeof s === 'number' ? zeros(s) : lstmStateTuple(zeros(s.c), zeros(s.h)),
    );
  }
  /**
   * Makes (once) the cell's variables for inputs of `inputDepth` features, in the variable scope
   * the cell captures on first use (TF's Layer._set_scope: `name` made unique in the current scope).
   */
  build(inputDepth: number): Record<string, Variable> {
    this.scope ??= variableScope(null, (s) => s, { defaultName: this.name });
    this.built ??= variableScope(this.scope, () => this.makeVariables(inputDepth), {
      auxiliaryNameScope: false,
    });
    return this.built;
  }
  /** The variables, built on first use (TF builds a cell on its first call). */
  protected variables(inputs: Tensor): Record<string, Variable> {
    if (this.built) return this.built;
    const depth = inputs.shape?.[1];
    if (typeof depth !== 'number') {
      throw new ValueError(`${this.name}: the inputs' depth must be known to build the cell, got ${inputs}`);
    }
    return this.build(depth);
  }
  /** Makes the variables with getVariable; runs inside the cell's variable scope. */
  protected abstract makeVariables(inputDepth: number): Record<string, Variable>;
  /**
   * One step: `[output, newState]`. Its ops are named in the cell's name scope (TF's Layer
   * call: `rnn/while/basic_lstm_cell/MatMul` in dynamicRnn's loop), opened on the first call in
   * a graph and re-entered by later calls there, as TF re-enters a layer's original name scope.
   */
  call(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const graph = getDefaultGraph();
    const known = this.nameScopes.get(graph);
    return graph.nameScope(known ?? this.name, (scope) => {
      this.nameScopes.set(graph, scope);
      return this.step(inputs, state);
    });
  }
  /** The step's ops, built in the cell's name scope. */
  protected abstract step(inputs: Tensor, state: CellState): [Tensor, CellState];
  /** The state from its flat tensors (as `flatten` orders them). */
  stateFromFlat(flat: readonly Tensor[]): CellState {
    return typeof this.stateSize === 'number' ? flat[0]! : lstmStateTuple(flat[0]!, flat[1]!);
  }
}

export const linear = (xs: Tensor[], kernel: Variable, bias: Variable): Tensor =>
  biasAdd(matMul(concat(xs, 1), kernel), bias);

/** TF's BasicRNNCell: h' = act(W·[x, h] + b). */
export class BasicRNNCell extends RNNCell {
  constructor(numUnits: number, opts: CellOptions = {}) {
    checkOptions('BasicRNNCell', opts, CELL_SPEC);
    super(numUnits, 'basic_rnn_cell', opts);
  }
  get stateSize(): number {
    return this.numUnits;
  }
  protected makeVariables(depth: number) {
    return {
      kernel: weight('kernel', [depth + this.numUnits, this.numUnits], this.kernelInitializer),
      bias: weight('bias', [this.numUnits], zerosInit()),
    };
  }
  protected step(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const { kernel, bias } = this.variables(inputs);
    const h = this.activation(linear([inputs, state as Tensor], kernel!, bias!));
    return [h, h];
  }
}

const MUL = { name: 'mul' };

export interface GRUCellOptions extends CellOptions {
  /** Both biases' initializer (TF's bias_initializer; default: gates 1.0, candidate 0). */
  biasInitializer?: Initializer;
}
const GRU_SPEC: OptionSpec<GRUCellOptions> = { ...CELL_SPEC, biasInitializer: 'function' };

/** TF's GRUCell: gates (r, u) with bias 1, candidate with bias 0; h' = u·h + (1 - u)·c. */
export class GRUCell extends RNNCell {
  private readonly biasInitializer: Initializer | undefined;
  constructor(numUnits: number, opts: GRUCellOptions = {}) {
    checkOptions('GRUCell', opts, GRU_SPEC);
    super(numUnits, 'gru_cell', opts);
    this.biasInitializer = opts.biasInitializer;
  }
  get stateSize(): number {
    return this.numUnits;
  }
  protected makeVariables(depth: number) {
    const n = this.numUnits;
    const [gatesKernel, gatesBias] = variableScope('gates', () => [
      weight('kernel', [depth + n, 2 * n], this.kernelInitializer),
      weight('bias', [2 * n], this.biasInitializer ?? constantInit(1)),
    ]);
    const [candidateKernel, candidateBias] = variableScope('candidate', () => [
      weight('kernel', [depth + n, n], this.kernelInitializer),
      weight('bias', [n], this.biasInitializer ?? zerosInit()),
    ]);
    return { gatesKernel, gatesBias, candidateKernel, candidateBias };
  }
  protected step(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const v = this.variables(inputs);
    const h = state as Tensor;
    const [r, u] = split(sigmoid(linear([inputs, h], v.gatesKernel!, v.gatesBias!)), 2, 1) as [
      Tensor,
      Tensor,
    ];
    // TF writes `r * state`, `u * state + (1 - u) * c`: Python operators, so lowercase op names.
    const c = this.activation(linear([inputs, mul(r, h, MUL)], v.candidateKernel!, v.candidateBias!));
    const newH = add(mul(u, h, MUL), mul(sub(1, u, { name: 'sub' }), c, MUL), { name: 'add' });
    return [newH, newH];
  }
}
