// TF 1.15's LSTM cells (rnn_cell_impl.py). BasicLSTMCell: one kernel [depth + units, 4·units]
// with gates i, j, f, o, a zero bias and forget_bias added to f. LSTMCell adds peephole
// (diagonal) connections `w_f_diag`, `w_i_diag`, `w_o_diag`, cell clipping, an output projection
// `projection/kernel` with its own clipping, and one `initializer` for every weight matrix.
// Either can keep its state as an LSTMStateTuple or, stateIsTuple false, one [c, h] tensor.

import { clipByValue } from '../../clip.js';
import { UnimplementedError, ValueError } from '../../errors.js';
import type { Tensor } from '../../graph.js';
import { type Initializer, zeros as zerosInit } from '../../model/initializers.js';
import { concat, split } from '../../ops/joins.js';
import { matMul } from '../../ops/linalg.js';
import { add, mul, sigmoid } from '../../ops/math.js';
import { slice } from '../../ops/slicing.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import type { Variable } from '../../variable.js';
import {
  CELL_SPEC,
  type CellOptions,
  type CellState,
  linear,
  lstmParts,
  lstmStateTuple,
  RNNCell,
  weight,
} from './cells.js';

export interface LSTMOptions extends CellOptions {
  /** Added to the forget gate's pre-activation (TF default 1.0). */
  forgetBias?: number;
  /** false: the state is one tensor, c and h concatenated along the columns (TF's default: true). */
  stateIsTuple?: boolean;
}

const LSTM_SPEC: OptionSpec<LSTMOptions> = { ...CELL_SPEC, forgetBias: 'number', stateIsTuple: 'boolean' };

abstract class LSTMBase extends RNNCell {
  protected readonly forgetBias: number;
  protected readonly stateIsTuple: boolean;
  constructor(numUnits: number, defaultName: string, opts: LSTMOptions) {
    super(numUnits, defaultName, opts);
    this.forgetBias = opts.forgetBias ?? 1.0;
    this.stateIsTuple = opts.stateIsTuple ?? true;
  }
  get stateSize(): number | { c: number; h: number } {
    const s = { c: this.numUnits, h: this.outputSize };
    return this.stateIsTuple ? s : s.c + s.h;
  }
  override stateFromFlat(flat: readonly Tensor[]): CellState {
    return this.stateIsTuple ? lstmStateTuple(flat[0]!, flat[1]!) : flat[0]!;
  }
  /** (c, h) of a state: the tuple's parts, or the concatenated state's column blocks. */
  protected parts(state: CellState): [Tensor, Tensor] {
    if (this.stateIsTuple) return lstmParts(state);
    const s = state as Tensor;
    return [slice(s, [0, 0], [-1, this.numUnits]), slice(s, [0, this.numUnits], [-1, this.outputSize])];
  }
  protected newState(c: Tensor, h: Tensor): CellState {
    return this.stateIsTuple ? lstmStateTuple(c, h) : concat([c, h], 1);
  }
}

/** TF's BasicLSTMCell: c' = c·σ(f + forgetBias) + σ(i)·act(j), h' = act(c')·σ(o). */
export class BasicLSTMCell extends LSTMBase {
  constructor(numUnits: number, opts: LSTMOptions = {}) {
    checkOptions('BasicLSTMCell', opts, LSTM_SPEC);
    super(numUnits, 'basic_lstm_cell', opts);
  }
  protected makeVariables(depth: number): Record<string, Variable> {
    return {
      kernel: weight('kernel', [depth + this.numUnits, 4 * this.numUnits], this.kernelInitializer),
      bias: weight('bias', [4 * this.numUnits], zerosInit()),
    };
  }
  protected step(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const { kernel, bias } = this.variables(inputs);
    // TF splits a concatenated state in halves; the tuple is unpacked.
    const [c, h] = this.stateIsTuple ? lstmParts(state) : (split(state as Tensor, 2, 1) as [Tensor, Tensor]);
    const [i, j, f, o] = split(linear([inputs, h], kernel!, bias!), 4, 1) as Tensor[];
    const act = this.activation;
    const newC = add(mul(c, sigmoid(add(f!, this.forgetBias))), mul(sigmoid(i!), act(j!)));
    const newH = mul(act(newC), sigmoid(o!));
    return [newH, this.newState(newC, newH)];
  }
}

export interface LSTMCellOptions extends LSTMOptions {
  /** Peephole connections from c into the gates (`w_f_diag`, `w_i_diag`, `w_o_diag`). */
  usePeepholes?: boolean;
  /** Clips the cell state to [-cellClip, cellClip] before the output activation. */
  cellClip?: number;
  /** Initializer of the kernel, the peephole weights and the projection (TF's `initializer`). */
  initializer?: Initializer;
  /** Projects the output to this many units (`projection/kernel`); h has numProj columns. */
  numProj?: number;
  /** With numProj: clips the projected output to [-projClip, projClip]. */
  projClip?: number;
  /** TF's deprecated kernel sharding (a fixed-size partitioner): partitioned variables are unsupported. */
  numUnitShards?: number;
  numProjShards?: number;
}

const LSTM_CELL_SPEC: OptionSpec<LSTMCellOptions> = {
  ...LSTM_SPEC,
  usePeepholes: 'boolean',
  cellClip: 'number',
  initializer: 'function',
  numProj: 'number',
  projClip: 'number',
  numUnitShards: 'number',
  numProjShards: 'number',
};

// Python operators in TF's LSTMCell.call (`+`, `*`) give lowercase op names.
const ADD = { name: 'add' };
const MUL = { name: 'mul' };

/** TF's LSTMCell: BasicLSTMCell's step with peepholes, cell clipping and an output projection. */
export class LSTMCell extends LSTMBase {
  private readonly usePeepholes: boolean;
  private readonly cellClip: number | undefined;
  private readonly numProj: number | undefined;
  private readonly projClip: number | undefined;
  private readonly initializer: Initializer | undefined;
  constructor(numUnits: number, opts: LSTMCellOptions = {}) {
    checkOptions('LSTMCell', opts, LSTM_CELL_SPEC);
    super(numUnits, 'lstm_cell', opts);
    for (const k of ['numUnitShards', 'numProjShards'] as const) {
      if (opts[k] !== undefined) {
        throw new UnimplementedError(
          `LSTMCell: ${k} shards the weights with a fixed-size partitioner (partitioned variables), which is not supported; leave it unset`,
        );
      }
    }
    const np = opts.numProj;
    if (np !== undefined && !(Number.isInteger(np) && np > 0)) {
      throw new ValueError(`LSTMCell: numProj must be a positive integer, got ${np}`);
    }
    this.usePeepholes = opts.usePeepholes ?? false;
    this.cellClip = opts.cellClip;
    this.numProj = np;
    this.projClip = opts.projClip;
    this.initializer = opts.initializer ?? opts.kernelInitializer;
  }
  override get outputSize(): number {
    return this.numProj ?? this.numUnits;
  }
  // TF's build: kernel, bias, the three diagonals, then projection/kernel.
  protected makeVariables(depth: number): Record<string, Variable> {
    const n = this.numUnits;
    const init = this.initializer;
    const vars: Record<string, Variable> = {
      kernel: weight('kernel', [depth + this.outputSize, 4 * n], init),
      bias: weight('bias', [4 * n], zerosInit()),
    };
    if (this.usePeepholes) {
      for (const d of ['w_f_diag', 'w_i_diag', 'w_o_diag']) vars[d] = weight(d, [n], init);
    }
    if (this.numProj !== undefined) vars.projection = weight('projection/kernel', [n, this.numProj], init);
    return vars;
  }
  protected step(inputs: Tensor, state: CellState): [Tensor, CellState] {
    const v = this.variables(inputs);
    const [cPrev, mPrev] = this.parts(state);
    const [i, j, f, o] = split(linear([inputs, mPrev], v.kernel!, v.bias!), 4, 1) as Tensor[];
    const act = this.activation;
    const fb = this.forgetBias;
    // c = σ(f + fb [+ w_f·c₋]) · c₋ + σ(i [+ w_i·c₋]) · act(j)
    const peep = (g: Tensor, d: string) => (this.usePeepholes ? add(g, mul(v[d]!, cPrev, MUL), ADD) : g);
    const fGate = sigmoid(this.usePeepholes ? peep(add(f!, fb, ADD), 'w_f_diag') : add(f!, fb, ADD));
    let c = add(mul(fGate, cPrev, MUL), mul(sigmoid(peep(i!, 'w_i_diag')), act(j!), MUL), ADD);
    if (this.cellClip !== undefined) c = clipByValue(c, -this.cellClip, this.cellClip);
    const oGate = this.usePeepholes ? add(o!, mul(v.w_o_diag!, c, MUL), ADD) : o!;
    let m = mul(sigmoid(oGate), act(c), MUL);
    if (v.projection) {
      m = matMul(m, v.projection);
      if (this.projClip !== undefined) m = clipByValue(m, -this.projClip, this.projClip);
    }
    return [m, this.newState(c, m)];
  }
}
