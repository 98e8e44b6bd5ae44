// TF 1.15's LSTMCell options: peepholes (w_f_diag, w_i_diag, w_o_diag), cellClip, numProj
// (projection/kernel), projClip, forgetBias, stateIsTuple, activation, initializer. Values
// against an eager tfjs step written out from rnn_cell_impl's formulas, unrolled over time.
import * as g from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';
import { expectClose, randomArray, toTf } from '../../helpers.js';
import { lstmCellStep, type RefOptions, randomizeWeights, unroll } from './rnn_reference.js';

const { nn } = g;

function compare(opts: g.nn.LSTMCellOptions, ref: RefOptions, stateIsTuple = true): g.NDArray[] {
  return inGraph((graph) => {
    const [B, T, D, N] = [3, 5, 4, 6];
    const P = opts.numProj ?? N;
    const x = g.placeholder('float32', [B, T, D]);
    const cell = new nn.rnnCell.LSTMCell(N, { ...opts, stateIsTuple });
    const [out, state] = nn.dynamicRnn(cell, x, { dtype: 'float32' });
    const flat = stateIsTuple ? [...(state as g.nn.LSTMStateTuple)] : [state as g.Tensor];
    const sess = new g.Session(graph);
    sess.run(g.globalVariablesInitializer());
    const w = randomizeWeights(sess, graph);
    const xv = randomArray([B, T, D], [-2, 2], 11);
    const got = sess.run([out, ...flat], [[x, xv]]);
    const r = unroll(lstmCellStep(ref), toTf(xv), [tf.zeros([B, N]), tf.zeros([B, P])], w);
    expect(got[0]!.shape).toEqual([B, T, P]);
    expectClose(got[0]!, r.outputs, 2e-5);
    if (stateIsTuple) r.state.forEach((s, k) => expectClose(got[1 + k]!, s, 2e-5));
    else expectClose(got[1]!, tf.concat(r.state, 1), 2e-5);
    sess.close();
    return got;
  });
}

describe('LSTMCell options vs an eager reference', () => {
  it('peepholes', () => compare({ usePeepholes: true }, { peepholes: true }));
  it('cellClip clips the cell state (some values sit at the bound)', () => {
    const [, c] = compare({ cellClip: 0.3 }, { cellClip: 0.3 });
    const abs = Array.from(c!.data as Float32Array, Math.abs);
    expect(Math.max(...abs)).toBeCloseTo(0.3, 6);
  });
  it('numProj with projClip, peepholes and cellClip together; forgetBias 0.25; relu activation', () =>
    compare(
      { usePeepholes: true, cellClip: 0.5, numProj: 3, projClip: 0.1, forgetBias: 0.25, activation: g.relu },
      { peepholes: true, cellClip: 0.5, projClip: 0.1, forgetBias: 0.25, act: tf.relu },
    ));
  it("activation by Keras name, as TF's activations.get ('relu'); unknown names refused", () => {
    compare({ activation: 'relu', usePeepholes: true }, { peepholes: true, act: tf.relu });
    expect(() => new nn.rnnCell.LSTMCell(2, { activation: 'swishy' as never })).toThrow(
      /Unknown activation function: swishy/,
    );
  });
  it('stateIsTuple false: one [c, h] state, the same values', () => {
    compare({ numProj: 2, usePeepholes: true }, { peepholes: true }, false);
    compare({}, {}, false);
  });
  it('BasicLSTMCell with stateIsTuple false splits the state in halves', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 3, 4]);
      const [out, state] = nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(5, { stateIsTuple: false }), x, {
        dtype: 'float32',
      });
      expect((state as g.Tensor).shape).toEqual([2, 10]);
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const w = randomizeWeights(sess, graph);
      const xv = randomArray([2, 3, 4], 'unit', 3);
      const [o, s] = sess.run([out, state as g.Tensor], [[x, xv]]);
      const r = unroll(lstmCellStep({}), toTf(xv), [tf.zeros([2, 5]), tf.zeros([2, 5])], w);
      expectClose(o!, r.outputs, 2e-5);
      expectClose(s!, tf.concat(r.state, 1), 2e-5);
      sess.close();
    }));
});

describe('LSTMCell variables', () => {
  it('TF’s names, shapes and creation order: kernel, bias, w_f_diag, w_i_diag, w_o_diag, projection/kernel', () =>
    inGraph((graph) => {
      const cell = new nn.rnnCell.LSTMCell(6, { usePeepholes: true, numProj: 3 });
      nn.dynamicRnn(cell, g.placeholder('float32', [2, 4, 5]), { dtype: 'float32' });
      const vars = graph.getCollection<g.Variable>('variables').map((v) => [v.op.name, v.shape]);
      expect(vars).toEqual([
        ['rnn/lstm_cell/kernel', [8, 24]],
        ['rnn/lstm_cell/bias', [24]],
        ['rnn/lstm_cell/w_f_diag', [6]],
        ['rnn/lstm_cell/w_i_diag', [6]],
        ['rnn/lstm_cell/w_o_diag', [6]],
        ['rnn/lstm_cell/projection/kernel', [6, 3]],
      ]);
      expect(cell.stateSize).toEqual({ c: 6, h: 3 });
      expect(cell.outputSize).toBe(3);
    }));

  it('initializer reaches the kernel, the diagonals and the projection; the bias stays zero', () =>
    inGraph((graph) => {
      const cell = new nn.rnnCell.LSTMCell(2, {
        usePeepholes: true,
        numProj: 1,
        initializer: g.initializers.constant(0.5),
      });
      nn.dynamicRnn(cell, g.placeholder('float32', [1, 1, 1]), { dtype: 'float32' });
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const get = (n: string) =>
        Array.from(sess.run(graph.getTensorByName(`rnn/lstm_cell/${n}:0`)).data as Float32Array);
      expect(get('kernel')).toEqual(new Array(16).fill(0.5));
      expect(get('w_o_diag')).toEqual([0.5, 0.5]);
      expect(get('projection/kernel')).toEqual([0.5, 0.5]);
      expect(get('bias')).toEqual(new Array(8).fill(0));
      sess.close();
    }));

  it('TF testLSTMCell (num_units 8, num_proj 6, state_is_tuple false, 0.5 init): shapes, rows differ', () =>
    inGraph((graph) => {
      const [B, N, P] = [3, 8, 6];
      const x = g.placeholder('float32', [B, 2]);
      const m = g.placeholder('float32', [B, N + P]);
      const [out, state] = g.variableScope(
        'root',
        () => new nn.rnnCell.LSTMCell(N, { numProj: P, forgetBias: 1, stateIsTuple: false }).call(x, m),
        { initializer: g.initializers.constant(0.5) },
      );
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const [o, s] = sess.run(
        [out, state as g.Tensor],
        [
          [
            x,
            [
              [1, 1],
              [2, 2],
              [3, 3],
            ],
          ],
          [m, new g.NDArray('float32', [B, N + P], new Float32Array(B * (N + P)).fill(0.1))],
        ],
      );
      expect(o!.shape).toEqual([B, P]);
      expect(s!.shape).toEqual([B, N + P]);
      const row = (a: g.NDArray, r: number) =>
        Array.from(a.data as Float32Array).slice(r * a.shape[1]!, (r + 1) * a.shape[1]!);
      for (let r = 1; r < B; r++) {
        for (const a of [o!, s!]) expect(row(a, r)).not.toEqual(row(a, 0));
      }
      sess.close();
    }));

  it('bad options: numProj, shards, snake_case keys', () => {
    expect(() => new nn.rnnCell.LSTMCell(4, { numProj: 0 })).toThrow(
      /numProj must be a positive integer, got 0/,
    );
    expect(() => new nn.rnnCell.LSTMCell(4, { numUnitShards: 2 })).toThrow(g.UnimplementedError);
    expect(() => new nn.rnnCell.LSTMCell(4, { use_peepholes: true } as never)).toThrow(
      /LSTMCell.*use_peepholes/,
    );
  });
});

describe('TF 1.15 rnn_cell_test LSTM cases', () => {
  it('testBasicLSTMCell: two stacked cells, state_is_tuple false, 0.5 init: 0.240 and the memory', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [1, 2]);
      const m = g.placeholder('float32', [1, 8]);
      // MultiRNNCell([BasicLSTMCell(2, state_is_tuple=False)] * 2): cell_i reads m's i-th 4 columns.
      const [out, mem] = g.variableScope(
        'root',
        () => {
          const cell = (i: number) =>
            new nn.rnnCell.BasicLSTMCell(2, { stateIsTuple: false, name: `cell_${i}` });
          const [h0, s0] = cell(0).call(x, g.slice(m, [0, 0], [-1, 4]));
          const [h1, s1] = cell(1).call(h0, g.slice(m, [0, 4], [-1, 4]));
          return [h1, g.concat([s0 as g.Tensor, s1 as g.Tensor], 1)];
        },
        { initializer: g.initializers.constant(0.5) },
      );
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const [o, s] = sess.run(
        [out, mem],
        [
          [x, [[1, 1]]],
          [m, [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]],
        ],
      );
      const want = [0.689, 0.689, 0.448, 0.448, 0.398, 0.398, 0.24, 0.24];
      Array.from(o!.data as Float32Array).forEach((v) => expect(Math.abs(v - 0.24)).toBeLessThan(1e-2));
      Array.from(s!.data as Float32Array).forEach((v, i) =>
        expect(Math.abs(v - want[i]!)).toBeLessThan(1e-2),
      );
      expect(graph.getCollection<g.Variable>('variables').map((v) => v.name)).toEqual([
        'root/cell_0/kernel:0',
        'root/cell_0/bias:0',
        'root/cell_1/kernel:0',
        'root/cell_1/bias:0',
      ]);
      sess.close();
    }));

  it('testLSTMCellVariables: root/lstm_cell/kernel, bias, projection/kernel', () =>
    inGraph((graph) => {
      const x = g.zeros([3, 2]);
      const m = g.zeros([3, 14]);
      g.variableScope(
        'root',
        () => new nn.rnnCell.LSTMCell(8, { numProj: 6, stateIsTuple: false }).call(x, m),
        {
          initializer: g.initializers.constant(0.5),
        },
      );
      expect(graph.getCollection<g.Variable>('variables').map((v) => v.op.name)).toEqual([
        'root/lstm_cell/kernel',
        'root/lstm_cell/bias',
        'root/lstm_cell/projection/kernel',
      ]);
    }));

  it('testBasicLSTMCellStateSizeError: a concatenated state of 3·units is a ValueError', () =>
    inGraph(() => {
      const x = g.zeros([3, 4]);
      const m = g.zeros([3, 6]);
      expect(() =>
        g.variableScope('root', () => new nn.rnnCell.BasicLSTMCell(2, { stateIsTuple: false }).call(x, m)),
      ).toThrow(g.ValueError);
    }));
});
