// nn.dynamicRnn and the rnnCell classes: TF's variable names and shapes, values against an eager
// tfjs unrolled reference, sequence lengths, time-major inputs, errors.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';
import { expectClose, randomArray, toTf } from '../../helpers.js';
import { gruStep, lstmStep, rnnStep, unroll, type Weights } from './rnn_reference.js';

const { nn } = g;
const shapes = (graph: g.Graph) =>
  Object.fromEntries(graph.getCollection<g.Variable>('variables').map((v) => [v.op.name, v.shape]));

describe('rnnCell variables', () => {
  it('use TF 1.15’s names and shapes', () => {
    const cases: [() => g.nn.RNNCell, Record<string, readonly number[]>][] = [
      [
        () => new nn.rnnCell.BasicLSTMCell(5),
        { 'rnn/basic_lstm_cell/kernel': [8, 20], 'rnn/basic_lstm_cell/bias': [20] },
      ],
      [() => new nn.rnnCell.LSTMCell(5), { 'rnn/lstm_cell/kernel': [8, 20], 'rnn/lstm_cell/bias': [20] }],
      [
        () => new nn.rnnCell.LSTMCell(5, { numProj: 2 }),
        {
          'rnn/lstm_cell/kernel': [5, 20],
          'rnn/lstm_cell/bias': [20],
          'rnn/lstm_cell/projection/kernel': [5, 2],
        },
      ],
      [
        () => new nn.rnnCell.BasicRNNCell(5),
        { 'rnn/basic_rnn_cell/kernel': [8, 5], 'rnn/basic_rnn_cell/bias': [5] },
      ],
      [
        () => new nn.rnnCell.GRUCell(5),
        {
          'rnn/gru_cell/gates/kernel': [8, 10],
          'rnn/gru_cell/gates/bias': [10],
          'rnn/gru_cell/candidate/kernel': [8, 5],
          'rnn/gru_cell/candidate/bias': [5],
        },
      ],
    ];
    for (const [make, want] of cases) {
      inGraph((graph) => {
        nn.dynamicRnn(make(), g.placeholder('float32', [2, 4, 3]), { dtype: 'float32' });
        expect(shapes(graph)).toEqual(want);
      });
    }
  });

  it('initial biases: LSTM zeros, GRU gates ones', () =>
    inGraph((graph) => {
      nn.dynamicRnn(new nn.rnnCell.GRUCell(2), g.placeholder('float32', [1, 1, 1]), { dtype: 'float32' });
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const get = (n: string) => Array.from(sess.run(graph.getTensorByName(`${n}:0`)).data as Float32Array);
      expect(get('rnn/gru_cell/gates/bias')).toEqual([1, 1, 1, 1]);
      expect(get('rnn/gru_cell/candidate/bias')).toEqual([0, 0]);
      sess.close();
    }));

  it('a second cell under the same scope is refused as getVariable refuses it', () =>
    inGraph(() => {
      const x = g.placeholder('float32', [2, 4, 3]);
      nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(5), x, { dtype: 'float32' });
      expect(() => nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(5), x, { dtype: 'float32' })).toThrow(
        /Variable rnn\/basic_lstm_cell\/kernel already exists, disallowed/,
      );
    }));
});

function check(
  make: () => g.nn.RNNCell,
  step: typeof lstmStep,
  names: string[],
  stateOf: (s: g.nn.CellState) => g.Tensor[],
  opts: { seqLen?: number[]; timeMajor?: boolean } = {},
) {
  inGraph((graph) => {
    const [B, T, D] = [3, 5, 4];
    const xv = randomArray([B, T, D], 'unit', 11);
    const x = g.placeholder('float32', opts.timeMajor ? [T, B, D] : [B, T, D]);
    const [out, state] = nn.dynamicRnn(make(), x, {
      dtype: 'float32',
      timeMajor: opts.timeMajor,
      ...(opts.seqLen ? { sequenceLength: opts.seqLen } : {}),
    });
    const sess = new g.Session(graph);
    sess.run(g.globalVariablesInitializer());
    const w: Weights = Object.fromEntries(
      names.map((n, i) => [n, toTf(sess.run(graph.getCollection<g.Variable>('variables')[i]!))]),
    );
    const xTf = toTf(xv);
    const feed = opts.timeMajor
      ? new g.NDArray('float32', [T, B, D], tf.transpose(xTf, [1, 0, 2]).dataSync() as Float32Array)
      : xv;
    const got = sess.run([out, ...stateOf(state)], [[x, feed]]);
    const units = got[0]!.shape[2]!;
    const zero = tf.zeros([B, units]);
    const ref = unroll(
      step,
      xTf,
      stateOf(state).map(() => zero),
      w,
      opts.seqLen,
    );
    expectClose(got[0]!, opts.timeMajor ? tf.transpose(ref.outputs, [1, 0, 2]) : ref.outputs, 1e-5);
    ref.state.forEach((s, k) => expectClose(got[1 + k]!, s, 1e-5));
    sess.close();
  });
}
const lstmState = (s: g.nn.CellState) => {
  const { c, h } = s as { c: g.Tensor; h: g.Tensor };
  return [c, h];
};

describe('dynamicRnn values vs an eager unrolled reference', () => {
  it('BasicLSTMCell (gates i, j, f, o; forget bias 1)', () =>
    check(() => new nn.rnnCell.BasicLSTMCell(6), lstmStep, ['kernel', 'bias'], lstmState));
  it('LSTMCell without projection equals the basic cell', () =>
    check(() => new nn.rnnCell.LSTMCell(6), lstmStep, ['kernel', 'bias'], lstmState));
  it('GRUCell', () =>
    check(
      () => new nn.rnnCell.GRUCell(6),
      gruStep,
      ['gatesKernel', 'gatesBias', 'candidateKernel', 'candidateBias'],
      (s) => [s as g.Tensor],
    ));
  it('BasicRNNCell, time-major', () =>
    check(
      () => new nn.rnnCell.BasicRNNCell(6),
      rnnStep,
      ['kernel', 'bias'],
      (s) => [s as g.Tensor],
      { timeMajor: true },
    ));
  it('sequenceLength: zero outputs and a carried state past each length', () =>
    check(() => new nn.rnnCell.BasicLSTMCell(6), lstmStep, ['kernel', 'bias'], lstmState, {
      seqLen: [5, 2, 0],
    }));
});

describe('TF 1.15 rnn_cell_test cases (cells called directly, kernels initialized to 0.5)', () => {
  const half = (shape: number[]) => g.fill(shape, 0.5);
  const step = (cell: g.nn.RNNCell, xv: number[][], mv: number[][]) =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [1, xv[0]!.length]);
      const m = g.placeholder('float32', [1, mv[0]!.length]);
      const out = g.variableScope('root', () => cell.call(x, m)[0]);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const names = graph.getCollection<g.Variable>('variables').map((v) => v.name);
      const r = Array.from(
        sess.run(out, [
          [x, xv],
          [m, mv],
        ]).data as Float32Array,
      );
      sess.close();
      return { names, r };
    });

  it('testGRUCell: [[0.175991, 0.175991]], and [[0.156736, 0.156736]] for 3 input features', () => {
    const a = step(new nn.rnnCell.GRUCell(2, { kernelInitializer: half }), [[1, 1]], [[0.1, 0.1]]);
    a.r.forEach((v) => expect(v).toBeCloseTo(0.175991, 5));
    const b = step(new nn.rnnCell.GRUCell(2, { kernelInitializer: half }), [[1, 1, 1]], [[0.1, 0.1]]);
    b.r.forEach((v) => expect(v).toBeCloseTo(0.156736, 5));
  });

  it('testBasicRNNCell: variables root/basic_rnn_cell/kernel:0 and bias:0', () => {
    const { names, r } = step(
      new nn.rnnCell.BasicRNNCell(2, { kernelInitializer: half }),
      [[1, 1]],
      [[0.1, 0.1]],
    );
    expect(names).toEqual(['root/basic_rnn_cell/kernel:0', 'root/basic_rnn_cell/bias:0']);
    // tanh(0.5·(1 + 1 + 0.1 + 0.1)) for both units.
    r.forEach((v) => expect(v).toBeCloseTo(Math.tanh(1.1), 5));
  });
});

describe('LSTM state', () => {
  it('is TF’s LSTMStateTuple: [c, h] that also reads as .c and .h; initial states take either form', () =>
    inGraph(() => {
      const x = g.placeholder('float32', [2, 3, 4]);
      const cell = new nn.rnnCell.BasicLSTMCell(5);
      const [, state] = nn.dynamicRnn(cell, x, { dtype: 'float32' });
      const tuple = state as g.nn.LSTMStateTuple;
      expect(tuple).toHaveLength(2);
      expect([tuple[0], tuple[1]]).toEqual([tuple.c, tuple.h]);
      expect(tuple.c.shape).toEqual([2, 5]);
      const z = g.zeros([2, 5]);
      const [, s2] = nn.dynamicRnn(cell, x, {
        initialState: [z, z] as unknown as g.nn.CellState,
        scope: 'rnn',
      });
      expect((s2 as g.nn.LSTMStateTuple).h.shape).toEqual([2, 5]);
    }));
});

describe('dynamicRnn errors', () => {
  it('needs a dtype or an initial state, and a static depth', () =>
    inGraph(() => {
      const cell = new nn.rnnCell.BasicRNNCell(2);
      expect(() => nn.dynamicRnn(cell, g.placeholder('float32', [1, 2, 3]))).toThrow(/must give a dtype/);
      expect(() => nn.dynamicRnn(cell, g.placeholder('float32', [1, 2, null]), { dtype: 'float32' })).toThrow(
        /depth of inputs/,
      );
    }));
  it('TF testInvalidSequenceLengthShape; a static length mismatch; a non-cell', () =>
    inGraph(() => {
      const cell = new nn.rnnCell.BasicRNNCell(2);
      const x = g.placeholder('float32', [3, 4, 2]);
      expect(() => nn.dynamicRnn(cell, x, { dtype: 'float32', sequenceLength: [[4, 4, 4]] })).toThrow(
        'sequence_length must be a vector of length batch_size, but saw shape: (1, 3)',
      );
      expect(() => nn.dynamicRnn(cell, x, { dtype: 'float32', sequenceLength: [4, 4] })).toThrow(
        /sequence_length is \[3\] \(the batch size\) but saw shape: \[2\]/,
      );
      expect(() => nn.dynamicRnn({} as never, x, { dtype: 'float32' })).toThrow(
        /argument 'cell'.*not an RNNCell/,
      );
    }));

  it('float sequence lengths are cast to int32, as TF; the lengths are found as rnn/sequence_length', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 3, 1]);
      const [out] = nn.dynamicRnn(new nn.rnnCell.BasicRNNCell(1), x, {
        dtype: 'float32',
        sequenceLength: g.constant([1, 3]),
      });
      expect(graph.getOperationByName('rnn/sequence_length').type).toBe('Identity');
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const o = Array.from(sess.run(out, [[x, randomArray([2, 3, 1], 'positive', 2)]]).data as Float32Array);
      expect(o.slice(1, 3)).toEqual([0, 0]); // past length 1
      expect(o.slice(3).every((v) => v !== 0)).toBe(true);
      sess.close();
    }));

  it('accepts an unknown batch and time (fed at run time)', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [null, null, 3]);
      const [out] = nn.dynamicRnn(new nn.rnnCell.BasicRNNCell(2), x, { dtype: 'float32' });
      expect(out.shape).toEqual([null, null, 2]);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      expect(sess.run(out, [[x, randomArray([4, 7, 3])]]).shape).toEqual([4, 7, 2]);
      sess.close();
    }));
});
