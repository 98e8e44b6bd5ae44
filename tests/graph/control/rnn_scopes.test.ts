// RNN cells make their variables with getVariable under variable scopes, as TF 1.15's
// rnn_cell_impl does (a cell is a tf.layers Layer): dynamicRnn opens variableScope(scope ||
// 'rnn'), the cell captures `<its name>` made unique there, reuse and scope defaults apply.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';

const { nn } = g;
const names = (graph: g.Graph) => graph.getCollection<g.Variable>('variables').map((v) => v.op.name);
const lstm = (n = 3, opts: { name?: string } = {}) => new nn.rnnCell.BasicLSTMCell(n, opts);

describe('RNN cells on getVariable', () => {
  it('a cell run twice keeps its variables; the second run builds ops under rnn_1', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 4, 3]);
      const cell = lstm();
      const [a] = nn.dynamicRnn(cell, x, { dtype: 'float32' });
      const [b] = nn.dynamicRnn(cell, x, { dtype: 'float32' });
      expect(names(graph)).toEqual(['rnn/basic_lstm_cell/kernel', 'rnn/basic_lstm_cell/bias']);
      expect(a.op.name.startsWith('rnn/')).toBe(true);
      expect(b.op.name.startsWith('rnn_1/')).toBe(true);
    }));

  it('a new cell in a reusing scope finds the first model’s variables', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 4, 3]);
      g.variableScope('model', () => nn.dynamicRnn(lstm(), x, { dtype: 'float32' }));
      g.variableScope('model', () => nn.dynamicRnn(lstm(), x, { dtype: 'float32' }), { reuse: true });
      expect(names(graph)).toEqual(['model/rnn/basic_lstm_cell/kernel', 'model/rnn/basic_lstm_cell/bias']);
    }));

  it('AUTO_REUSE shares; reuse of a missing variable fails with TF’s text', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 4, 3]);
      for (let i = 0; i < 2; i++)
        g.variableScope('shared', () => nn.dynamicRnn(lstm(), x, { dtype: 'float32' }), {
          reuse: g.AUTO_REUSE,
        });
      expect(names(graph)).toEqual(['shared/rnn/basic_lstm_cell/kernel', 'shared/rnn/basic_lstm_cell/bias']);
      expect(() =>
        g.variableScope('other', () => nn.dynamicRnn(lstm(), x, { dtype: 'float32' }), { reuse: true }),
      ).toThrow(
        'Variable other/rnn/basic_lstm_cell/kernel does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
      );
    }));

  it('the scope option, a cell name, and unique default names for two cells in one scope', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [2, 4, 3]);
      nn.dynamicRnn(lstm(2, { name: 'enc' }), x, { dtype: 'float32', scope: 'encoder' });
      const m = g.placeholder('float32', [1, 2]);
      const x2 = g.placeholder('float32', [1, 3]);
      g.variableScope('root', () => {
        new nn.rnnCell.BasicRNNCell(2).call(x2, m);
        new nn.rnnCell.BasicRNNCell(2).call(x2, m);
      });
      expect(names(graph)).toEqual([
        'encoder/enc/kernel',
        'encoder/enc/bias',
        'root/basic_rnn_cell/kernel',
        'root/basic_rnn_cell/bias',
        'root/basic_rnn_cell_1/kernel',
        'root/basic_rnn_cell_1/bias',
      ]);
    }));

  it('a scope initializer reaches the kernels; the biases keep their own', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [1, 2, 2]);
      g.variableScope('init', () => nn.dynamicRnn(new nn.rnnCell.GRUCell(2), x, { dtype: 'float32' }), {
        initializer: g.initializers.constant(0.5),
      });
      const sess = new g.Session(graph);
      sess.run(g.globalVariablesInitializer());
      const get = (n: string) => Array.from(sess.run(graph.getTensorByName(`${n}:0`)).data as Float32Array);
      expect(get('init/rnn/gru_cell/gates/kernel')).toEqual(new Array(16).fill(0.5));
      expect(get('init/rnn/gru_cell/candidate/kernel')).toEqual(new Array(8).fill(0.5));
      expect(get('init/rnn/gru_cell/gates/bias')).toEqual([1, 1, 1, 1]);
      expect(get('init/rnn/gru_cell/candidate/bias')).toEqual([0, 0]);
      // The variables are in getVariable's store.
      expect([...g.getVariableStore().keys()]).toContain('init/rnn/gru_cell/gates/kernel');
      sess.close();
    }));
});
