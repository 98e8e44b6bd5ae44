// TF 1.15's RNN cells (rnn_cell_impl.py): variable names, shapes, gate order and initial biases
// are TF's, so checkpoints line up. A cell is a tf.layers Layer: on first use it captures a
// variable scope named after it, made unique in the caller's scope (dynamicRnn's 'rnn' gives
// 'rnn/basic_lstm_cell'), makes its variables there with getVariable — so scope initializers,
// `reuse` and AUTO_REUSE apply — and keeps them for later calls.

import { clipByValue } from '../../clip.js';
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../graph.js';
import { constant as constantInit, type Initializer, zeros as zerosInit } from '../../model/initializers.js';
import { getVariable, type VariableScope, variableScope } from '../../model/variable_scope.js';
import { constant } from '../../ops/const.js';
import { concat, split, stack } from '../../ops/joins.js';
import { matMul } from '../../ops/linalg.js';
import { add, mul, sigmoid, sub, tanh } from '../../ops/math.js';
import { biasAdd } from '../../ops/nn.js';
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
const lstmParts = (s: CellState): [Tensor, Tensor] =>
  Array.isArray(s) ? [s[0], s[1]] : [(s as { c: Tensor }).c, (s as { h: Tensor }).h];
export type Activation = (x: Tensor) => Tensor;

export interface CellOptions {
  activation?: Activation;
  /** Variable scope name of the cell (TF's default: the class's snake_case name). */
  name?: string;
  /** Kernels' initializer (default: the variable scope's, else getVariable's glorotUniform). */
  kernelInitializer?: Initializer;
}

const CELL_SPEC: OptionSpec<CellOptions> = {
  activation: 'function',
  name: 'string',
  kernelInitializer: 'function',
};
/** A weight of the cell's scope: getVariable with `initializer` when one is given. */
const weight = (name: string, shape: number[], initializer: Initializer | undefined): Variable =>
  getVariable(name, { shape, ...(initializer ? { initializer } : {}) });

export abstract class RNNCell {
  readonly name: string;
  protected readonly activation: Activation;
  protected readonly kernelInitializer: Initializer | undefined;
  private built: Record<string, Variable> | null = null;
  private scope: VariableScope | null = null;
  constructor(
    readonly numUnits: number,
    defaultName: string,
    opts: CellOptions,
  ) {
    if (!Number.isInteger(numUnits) || numUnits <= 0)
      throw new ValueError(`${defaultName}: numUnits must be a positive integer, got ${numUnits}`);
    this.name = opts.name ?? defaultName;
    this.activation = opts.activation ?? tanh;
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
      );
    const s = this.stateSize;
    return typeof s === 'number' ? zeros(s) : lstmStateTuple(zeros(s.c), zeros(s.h));
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
  /** One step: `[output, newState]`. */
  abstract call(inputs: Tensor, state: CellState): [Tensor, CellState];
  /** The state from its flat tensors (as `flatten` orders them). */
  stateFromFlat(flat: readonly Tensor[]): CellState {
    return typeof this.stateSize === 'number' ? flat[0]! : lstmStateTuple(flat[0]!, flat[1]!);
  }
}

const linear = (xs: Tensor[], kernel: Variable, bias: Variable): Tensor =>
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
  call(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const { kernel, bias } = this.variables(inputs);
    const h = this.activation(linear([inputs, state as Tensor], kernel!, bias!));
    return [h, h];
  }
}

export interface LSTMOptions extends CellOptions {
  /** Added to the forget gate's pre-activation (TF default 1.0). */
  forgetBias?: number;
}

/** The LSTM step of TF's BasicLSTMCell/LSTMCell, gates i, j, f, o in the kernel's columns. */
function lstmStep(
  gates: Tensor,
  c: Tensor,
  forgetBias: number,
  act: Activation,
  clip?: number,
): { c: Tensor; m: Tensor } {
  const [i, j, f, o] = split(gates, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const summed = add(mul(c, sigmoid(add(f, forgetBias))), mul(sigmoid(i), act(j)));
  const newC = clip === undefined ? summed : clipByValue(summed, -clip, clip);
  return { c: newC, m: mul(act(newC), sigmoid(o)) };
}

/** TF's BasicLSTMCell (state_is_tuple): kernel [depth + units, 4·units], bias zeros, forget bias 1. */
const LSTM_SPEC: OptionSpec<LSTMOptions> = { ...CELL_SPEC, forgetBias: 'number' };

export class BasicLSTMCell extends RNNCell {
  protected readonly forgetBias: number;
  constructor(numUnits: number, opts: LSTMOptions = {}, defaultName = 'basic_lstm_cell') {
    // LSTMCell checks its wider options itself, then passes them on.
    if (defaultName === 'basic_lstm_cell') checkOptions('BasicLSTMCell', opts, LSTM_SPEC);
    super(numUnits, defaultName, opts);
    this.forgetBias = opts.forgetBias ?? 1.0;
  }
  get stateSize(): { c: number; h: number } {
    return { c: this.numUnits, h: this.outputSize };
  }
  protected makeVariables(depth: number) {
    return {
      kernel: weight('kernel', [depth + this.outputSize, 4 * this.numUnits], this.kernelInitializer),
      bias: weight('bias', [4 * this.numUnits], zerosInit()),
    };
  }
  call(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const { kernel, bias } = this.variables(inputs);
    const [c, h] = lstmParts(state);
    const next = lstmStep(linear([inputs, h], kernel!, bias!), c, this.forgetBias, this.activation);
    return [next.m, lstmStateTuple(next.c, next.m)];
  }
}

export interface LSTMCellOptions extends LSTMOptions {
  /** Clips the cell state to [-cellClip, cellClip]. */
  cellClip?: number;
  /** Projects the output to this many units (`projection/kernel`). */
  numProj?: number;
}

/** TF's LSTMCell (no peepholes): BasicLSTMCell plus optional cell clipping and output projection. */
const LSTM_CELL_SPEC: OptionSpec<LSTMCellOptions> = { ...LSTM_SPEC, cellClip: 'number', numProj: 'number' };

export class LSTMCell extends BasicLSTMCell {
  private readonly cellClip: number | undefined;
  private readonly numProj: number | undefined;
  constructor(numUnits: number, opts: LSTMCellOptions = {}) {
    checkOptions('LSTMCell', opts, LSTM_CELL_SPEC);
    super(numUnits, opts, 'lstm_cell');
    this.cellClip = opts.cellClip;
    this.numProj = opts.numProj;
  }
  override get outputSize(): number {
    return this.numProj ?? this.numUnits;
  }
  protected override makeVariables(depth: number) {
    const vars = super.makeVariables(depth);
    const numProj = this.numProj;
    if (numProj === undefined) return vars;
    const proj = variableScope('projection', () =>
      weight('kernel', [this.numUnits, numProj], this.kernelInitializer),
    );
    return { ...vars, projection: proj };
  }
  override call(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const { kernel, bias, projection } = this.variables(inputs);
    const { c, h } = state as { c: Tensor; h: Tensor };
    const next = lstmStep(
      linear([inputs, h], kernel!, bias!),
      c,
      this.forgetBias,
      this.activation,
      this.cellClip,
    );
    const out = projection ? matMul(next.m, projection) : next.m;
    return [out, { c: next.c, h: out }];
  }
}

/** TF's GRUCell: gates (r, u) with bias 1, candidate with bias 0; h' = u·h + (1 - u)·c. */
export class GRUCell extends RNNCell {
  constructor(numUnits: number, opts: CellOptions = {}) {
    checkOptions('GRUCell', opts, CELL_SPEC);
    super(numUnits, 'gru_cell', opts);
  }
  get stateSize(): number {
    return this.numUnits;
  }
  protected makeVariables(depth: number) {
    const n = this.numUnits;
    const [gatesKernel, gatesBias] = variableScope('gates', () => [
      weight('kernel', [depth + n, 2 * n], this.kernelInitializer),
      weight('bias', [2 * n], constantInit(1)),
    ]);
    const [candidateKernel, candidateBias] = variableScope('candidate', () => [
      weight('kernel', [depth + n, n], this.kernelInitializer),
      weight('bias', [n], zerosInit()),
    ]);
    return { gatesKernel, gatesBias, candidateKernel, candidateBias };
  }
  call(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const v = this.variables(inputs);
    const h = state as Tensor;
    const [r, u] = split(sigmoid(linear([inputs, h], v.gatesKernel!, v.gatesBias!)), 2, 1) as [
      Tensor,
      Tensor,
    ];
    const c = this.activation(linear([inputs, mul(r, h)], v.candidateKernel!, v.candidateBias!));
    const newH = add(mul(u, h), mul(sub(1, u), c));
    return [newH, newH];
  }
}
