// TF's tf.nn.dynamic_rnn: the cell unrolled by one While loop over time (its inputs a sliced
// input, its outputs accumulated), so the graph does not grow with the sequence length. Past an
// example's sequence length its outputs are zero and its state is copied through (TF's _rnn_step).

import { type TensorInput, toTensor } from '../../convert.js';
import type { DType } from '../../dtype.js';
import { TypeError, ValueError } from '../../errors.js';
import { Tensor } from '../../graph.js';
import { type VariableScope, variableScope } from '../../model/variable_scope.js';
import { shape, transpose } from '../../ops/array.js';
import { identity } from '../../ops/core.js';
import { add, cast, less } from '../../ops/math.js';
import { where as select } from '../../ops/select.js';
import { gather } from '../../ops/slicing.js';
import { zerosLike } from '../../ops/sources.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import { flatten } from '../nest.js';
import { buildWhile } from '../while.js';
import { type CellState, RNNCell } from './cells.js';

export interface DynamicRnnOptions {
  /** int32 [batch]: steps of each example; later outputs are zeros and the state is carried. */
  sequenceLength?: TensorInput;
  initialState?: CellState;
  /** The state's dtype when no initialState is given (TF requires one of the two). */
  dtype?: DType;
  /** Inputs (and outputs) are [time, batch, depth] instead of [batch, time, depth]. */
  timeMajor?: boolean;
  parallelIterations?: number;
  /** TF's swap_memory: accepted; tensors already live in host memory on our backends. */
  swapMemory?: boolean;
  /** The variable scope it opens (default 'rnn'), in which the cell captures its own. */
  scope?: string | VariableScope;
}

const DYNAMIC_RNN_SPEC: OptionSpec<DynamicRnnOptions> = {
  sequenceLength: 'any',
  initialState: 'any',
  dtype: 'string',
  timeMajor: 'boolean',
  parallelIterations: 'number',
  swapMemory: 'boolean',
  scope: 'any',
};

const dim = (x: Tensor, i: number): Tensor | number => {
  const d = x.shape?.[i];
  return typeof d === 'number' ? d : gather(shape(x), i);
};

/**
 * Runs `cell` over the time steps of `inputs`; returns `[outputs, finalState]` (TF's
 * `tf.nn.dynamic_rnn`).
 * @example const [out, state] = nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(64), x, { dtype: 'float32' });
 */
export function dynamicRnn(
  cell: RNNCell,
  inputs: TensorInput,
  opts: DynamicRnnOptions = {},
): [Tensor, CellState] {
  checkOptions('dynamicRnn', opts, DYNAMIC_RNN_SPEC);
  if (!(cell instanceof RNNCell)) {
    throw new TypeError(`The argument 'cell' (${String(cell)}) is not an RNNCell.`);
  }
  // TF: `with vs.variable_scope(scope or "rnn")`; the cell is built in it before the loop.
  return variableScope(opts.scope ?? 'rnn', () => {
    const raw = toTensor(inputs);
    if (raw.shape !== null && raw.shape.length !== 3) {
      throw new ValueError(
        `dynamicRnn: inputs must be rank 3 ([batch, time, depth]), got shape [${raw.shape.join(', ')}]`,
      );
    }
    const x = opts.timeMajor ? raw : transpose(raw, [1, 0, 2]);
    const depth = x.shape?.[2];
    if (typeof depth !== 'number') {
      throw new ValueError(
        'Input size (depth of inputs) must be accessible via shape inference, but saw value None.',
      );
    }
    if (opts.initialState === undefined && opts.dtype === undefined) {
      throw new ValueError('If there is no initialState, you must give a dtype.');
    }
    cell.build(depth);
    const state0 = opts.initialState ?? cell.zeroState(dim(x, 1));
    const flat0 = flatten<Tensor>(state0).map((t) => toTensor(t));
    const seq = opts.sequenceLength === undefined ? null : sequenceLengths(opts.sequenceLength, x);
    const steps = dim(x, 0);
    const { finals, stacked } = buildWhile({
      name: 'while',
      loopVars: [toTensor(0, 'int32'), ...flat0],
      invariants: [[], ...flat0.map((t) => t.shape)],
      sliced: [{ tensor: x, reverse: false }],
      parallelIterations: opts.parallelIterations ?? 32,
      cond: ([t]) => less(t!, steps),
      body: ([t, ...state], [xt]) => {
        const [out, next] = cell.call(xt!, cell.stateFromFlat(state));
        const nextFlat = flatten<Tensor>(next);
        // TF's _time_step returns `time + 1`: an op named 'add'.
        const t1 = add(t!, 1, { name: 'add' });
        if (seq === null) return { next: [t1, ...nextFlat], acc: [out] };
        const alive = less(t!, seq);
        return {
          next: [t1, ...nextFlat.map((n, k) => select(alive, n, state[k]!))],
          acc: [select(alive, out, zerosLike(out))],
        };
      },
    });
    const outs = stacked[0]!;
    outs.setShape([x.shape?.[0] ?? null, x.shape?.[1] ?? null, cell.outputSize]);
    const outputs = opts.timeMajor ? outs : transpose(outs, [1, 0, 2]);
    return [outputs, cell.stateFromFlat(finals.slice(1))];
  });
}

// TF: cast to int32, a vector (else ValueError), an Identity named `sequence_length`; TF asserts its
// length equals the batch at run time, we check it at build time when both are static.
function sequenceLengths(value: TensorInput, x: Tensor): Tensor {
  const raw = value instanceof Tensor ? value : toTensor(value, 'int32');
  const t = raw.dtype === 'int32' ? raw : cast(raw, 'int32');
  if (t.shape !== null && t.shape.length !== 1) {
    throw new ValueError(
      `sequence_length must be a vector of length batch_size, but saw shape: (${t.shape.join(', ')})`,
    );
  }
  const [n, batch] = [t.shape?.[0], x.shape?.[1]];
  if (typeof n === 'number' && typeof batch === 'number' && n !== batch) {
    throw new ValueError(
      `Expected shape for Tensor sequence_length is [${batch}] (the batch size) but saw shape: [${n}]`,
    );
  }
  return identity(t, { name: 'sequence_length' });
}
