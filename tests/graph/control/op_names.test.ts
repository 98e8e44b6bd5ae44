// Op names inside loop and branch bodies follow TF 1.15: a body's ops are named under the
// While/If op's name scope (`while/Add`, `cond/Mul`, `rnn/while/...`), and an RNN cell's step
// runs in the cell's name scope (`rnn/while/basic_lstm_cell/MatMul`, `rnn/while/gru_cell/mul`).
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { inGraph } from '../../control_helpers.js';

const { nn } = g;
const isWhile = (op: g.Operation) => op.type === 'While' || op.type === 'StatelessWhile';
const isIf = (op: g.Operation) => op.type === 'If' || op.type === 'StatelessIf';
const attrs = (op: g.Operation) => op.attrs as unknown as g.WhileAttrs & g.IfAttrs;
/** Names of the ops in the body of the (only) While op of `graph`. */
function bodyNames(graph: g.Graph): string[] {
  const loops = graph.getOperations().filter(isWhile);
  expect(loops).toHaveLength(1);
  return attrs(loops[0]!)
    .body.getOperations()
    .map((op) => op.name);
}
const cond0 = (a: g.Tensor) => g.less(a, 10);
const rnnBody = (cell: g.nn.RNNCell) =>
  inGraph((graph) => {
    nn.dynamicRnn(cell, g.placeholder('float32', [2, 4, 3]), { dtype: 'float32' });
    expect(graph.getOperations().filter(isWhile)[0]!.name).toBe('rnn/while');
    return bodyNames(graph);
  });

describe('op names in dynamicRnn bodies (TF 1.15: the cell under rnn/while/)', () => {
  it('BasicLSTMCell', () => {
    const names = rnnBody(new nn.rnnCell.BasicLSTMCell(3));
    const cell = [
      'concat',
      'MatMul',
      'BiasAdd',
      'split',
      'Add',
      'Sigmoid',
      'Mul',
      'Sigmoid_1',
      'Tanh',
      'Mul_1',
      'Add_1',
      'Tanh_1',
      'Sigmoid_2',
      'Mul_2',
    ].map((n) => `rnn/while/basic_lstm_cell/${n}`);
    expect(names.filter((n) => cell.includes(n))).toEqual(cell);
    expect(names).toContain('rnn/while/add');
  });

  it('zero states under <Cell>ZeroState, as TF’s RNNCell.zero_state', () =>
    inGraph((graph) => {
      nn.dynamicRnn(new nn.rnnCell.BasicLSTMCell(3), g.placeholder('float32', [2, 4, 3]), {
        dtype: 'float32',
      });
      const outer = graph.getOperations().map((op) => op.name);
      expect(outer).toContain('rnn/BasicLSTMCellZeroState/zeros');
      expect(outer).toContain('rnn/BasicLSTMCellZeroState/zeros_1');
    }));

  it('LSTMCell with peepholes, clipping and a projection (Python operators: lowercase names)', () => {
    const names = rnnBody(new nn.rnnCell.LSTMCell(3, { usePeepholes: true, cellClip: 1, numProj: 2 }));
    for (const n of [
      'MatMul',
      'BiasAdd',
      'split',
      'add',
      'mul',
      'add_1',
      'Sigmoid',
      'mul_1',
      'mul_2',
      'add_2',
    ]) {
      expect(names).toContain(`rnn/while/lstm_cell/${n}`);
    }
    expect(names.some((n) => n.startsWith('rnn/while/lstm_cell/clip_by_value'))).toBe(true);
    expect(names).toContain('rnn/while/lstm_cell/MatMul_1'); // the projection
  });

  it('GRUCell: gates then candidate, r·h, u·h + (1 − u)·c', () => {
    const names = rnnBody(new nn.rnnCell.GRUCell(3));
    const cell = [
      'MatMul',
      'BiasAdd',
      'Sigmoid',
      'split',
      'mul',
      'MatMul_1',
      'BiasAdd_1',
      'Tanh',
      'mul_1',
      'sub',
      'mul_2',
      'add',
    ].map((n) => `rnn/while/gru_cell/${n}`);
    expect(names.filter((n) => cell.includes(n))).toEqual(cell);
  });

  it('BasicRNNCell, and a named scope', () => {
    const names = inGraph((graph) => {
      const x = g.placeholder('float32', [2, 4, 3]);
      nn.dynamicRnn(new nn.rnnCell.BasicRNNCell(3), x, { dtype: 'float32', scope: 'encoder' });
      return bodyNames(graph);
    });
    for (const n of ['MatMul', 'BiasAdd', 'Tanh'])
      expect(names).toContain(`encoder/while/basic_rnn_cell/${n}`);
  });

  it('a cell called directly twice re-enters its first name scope', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [1, 2]);
      const m = g.placeholder('float32', [1, 2]);
      const cell = new nn.rnnCell.BasicRNNCell(2);
      g.variableScope('root', () => {
        cell.call(x, m);
        cell.call(x, m);
      });
      const names = graph.getOperations().map((op) => op.name);
      expect(names).toContain('root/basic_rnn_cell/MatMul');
      expect(names).toContain('root/basic_rnn_cell/MatMul_1');
      expect(names.some((n) => n.startsWith('root/basic_rnn_cell_1/'))).toBe(false);
    }));
});

describe('op names in whileLoop and cond bodies', () => {
  it('whileLoop: the While op takes the loop’s scope name; its body and cond ops are under it', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      g.whileLoop(
        (a: g.Tensor) => g.less(a, 10),
        (a: g.Tensor) => [g.mul(a, x)],
        [x],
      );
      g.whileLoop(
        (a: g.Tensor) => g.less(a, 10),
        (a: g.Tensor) => [g.mul(a, x)],
        [x],
        { name: 'loop' },
      );
      const loops = graph.getOperations().filter(isWhile);
      expect(loops.map((op) => op.name)).toEqual(['while', 'loop']);
      const body = (k: number) =>
        attrs(loops[k]!)
          .body.getOperations()
          .map((op) => op.name);
      const cond = (k: number) =>
        attrs(loops[k]!)
          .cond.getOperations()
          .map((op) => op.name);
      expect(body(0)).toContain('while/Mul');
      expect(cond(0)).toContain('while/Less');
      expect(body(1)).toContain('loop/Mul');
    }));

  it('cond: the If op is `cond`; branch ops are under cond/; a cond inside a loop is while/cond', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      const y = g.cond(
        g.less(x, 0),
        () => g.mul(x, 2),
        () => g.sin(x),
      );
      expect(y.op.name).toBe('cond');
      expect(
        attrs(y.op)
          .then_branch.getOperations()
          .map((op) => op.name),
      ).toContain('cond/Mul');
      expect(
        attrs(y.op)
          .else_branch.getOperations()
          .map((op) => op.name),
      ).toContain('cond/Sin');
      g.whileLoop(
        (a: g.Tensor) => g.less(a, 10),
        (a: g.Tensor) => [
          g.cond(
            g.less(a, 1),
            () => g.add(a, 2),
            () => g.mul(a, 2),
          ),
        ],
        [x],
      );
      const loop = graph.getOperations().filter(isWhile)[0]!;
      const inner = attrs(loop).body.getOperations().find(isIf)!;
      expect(inner.name).toBe('while/cond');
      expect(
        attrs(inner)
          .then_branch.getOperations()
          .map((op) => op.name),
      ).toContain('while/cond/Add');
    }));

  it('function names are TF’s unique_fn_name: while_cond_N, while_body_N, rnn_while_body_N, cond_true_N', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', []);
      g.whileLoop(cond0, (a: g.Tensor) => [g.mul(a, x)], [x]);
      const y = g.cond(
        g.less(x, 0),
        () => g.mul(x, 2),
        () => g.sin(x),
      );
      nn.dynamicRnn(new nn.rnnCell.BasicRNNCell(2), g.placeholder('float32', [1, 2, 1]), {
        dtype: 'float32',
      });
      const [w, r] = graph.getOperations().filter(isWhile);
      expect(attrs(w!).cond.name).toMatch(/^while_cond_\d+$/);
      expect(attrs(w!).body.name).toMatch(/^while_body_\d+$/);
      expect(attrs(r!).body.name).toMatch(/^rnn_while_body_\d+$/);
      expect(attrs(y.op).then_branch.name).toMatch(/^cond_true_\d+$/);
      expect(attrs(y.op).else_branch.name).toMatch(/^cond_false_\d+$/);
      expect(attrs(w!).body.name).not.toBe(attrs(r!).body.name);
    }));

  it('mapFn, scan, foldl: the loop is <fn>/while, its body ops under it', () =>
    inGraph((graph) => {
      const x = g.placeholder('float32', [4]);
      g.mapFn((e: g.Tensor) => g.mul(e, 2), x);
      g.scan((a: g.Tensor, e: g.Tensor) => g.add(a, e), x);
      g.foldl((a: g.Tensor, e: g.Tensor) => g.add(a, e), x);
      const loops = graph.getOperations().filter(isWhile);
      expect(loops.map((op) => op.name)).toEqual(['map/while', 'scan/while', 'foldl/while']);
      expect(
        attrs(loops[0]!)
          .body.getOperations()
          .map((op) => op.name),
      ).toContain('map/while/Mul');
    }));
});
