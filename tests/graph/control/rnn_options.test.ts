// RNN cells and dynamicRnn check their options objects at run time like every other builder:
// a TF1 snake_case key or a positional argument is our TypeError naming the builder and the key.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const { BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell } = g.nn.rnnCell;

describe('RNN option checks', () => {
  it.each([
    ['BasicRNNCell', () => new BasicRNNCell(4, { reuse: true } as never), 'reuse'],
    ['BasicLSTMCell', () => new BasicLSTMCell(4, { forget_bias: 1 } as never), 'forget_bias'],
    ['LSTMCell', () => new LSTMCell(4, { num_proj: 2 } as never), 'num_proj'],
    ['GRUCell', () => new GRUCell(4, { forgetBias: 1 } as never), 'forgetBias'],
  ])('%s rejects an unknown key', (builder, make, key) => {
    expect(make).toThrow(g.TypeError);
    expect(make).toThrow(new RegExp(`${builder}.*${key}`));
  });

  it('GRUCell biasInitializer (TF bias_initializer) sets both biases', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      g.nn.dynamicRnn(
        new GRUCell(2, { biasInitializer: g.initializers.constant(-0.5) }),
        g.placeholder('float32', [1, 1, 1]),
        {
          dtype: 'float32',
        },
      );
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const get = (n: string) =>
        Array.from(sess.run(graph.getTensorByName(`rnn/gru_cell/${n}/bias:0`)).data as Float32Array);
      expect(get('gates')).toEqual([-0.5, -0.5, -0.5, -0.5]);
      expect(get('candidate')).toEqual([-0.5, -0.5]);
      sess.close();
    });
  });

  it('LSTMCell accepts its own and BasicLSTMCell options', () => {
    expect(() => new LSTMCell(4, { forgetBias: 0.5, cellClip: 3, numProj: 2, name: 'c' })).not.toThrow();
  });

  it('dynamicRnn rejects a snake_case key and a positional dtype', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3, 4]);
      const cell = new BasicRNNCell(5);
      expect(() => g.nn.dynamicRnn(cell, x, { time_major: true } as never)).toThrow(/dynamicRnn.*time_major/);
      expect(() => g.nn.dynamicRnn(cell, x, 'float32' as never)).toThrow(g.TypeError);
    });
  });
});
