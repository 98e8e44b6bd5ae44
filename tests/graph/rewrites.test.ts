// Each rewrite pass on its own, over the nodes of small graphs: what it removes, merges or fuses,
// and what it must leave alone (fetched or fed tensors, stateful ops, variable reads).
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { cse } from '../../packages/graph/src/session/rewrites/cse.js';
import { fuse } from '../../packages/graph/src/session/rewrites/fuse.js';
import { deadCode, type Program } from '../../packages/graph/src/session/rewrites/program.js';
import { simplify } from '../../packages/graph/src/session/rewrites/simplify.js';
import { foldTransposes } from '../../packages/graph/src/session/rewrites/transposes.js';
import { expectClose, randomArray } from '../helpers.js';
import { program } from './rewrite_program.js';

const types = (p: Program) => p.nodes.map((n) => n.type);
const x23 = () => g.placeholder('float32', [2, 3], { name: 'x' });

describe('simplify', () => {
  it('drops identities, x*1, x+0, x-0, double negation and inverse transposes', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => {
      const x = x23();
      const a = g.sub(g.add(g.mul(g.identity(x), 1), 0), 0);
      const b = g.transpose(g.transpose(g.neg(g.neg(a)), [1, 0]), [1, 0]);
      return g.exp(g.stopGradient(b));
    });
    const p = deadCode(simplify(program(graph, [y])));
    expect(types(p)).toEqual(['Placeholder', 'Exp']);
    expect(p.nodes[1]!.inputs[0]!.name).toBe('x:0');
  });

  it('keeps a broadcasting x*1, a non-inverse transpose pair and a fetched identity', () => {
    const graph = new g.Graph();
    const [y, z, fetched] = graph.asDefault(() => {
      const x = g.placeholder('float32', [3]);
      const t = g.placeholder('float32', [2, 3, 4]);
      return [g.mul(x, g.ones([2, 3])), g.transpose(g.transpose(t, [0, 2, 1]), [1, 0, 2]), g.identity(x)];
    });
    const p = simplify(program(graph, [y!, z!, fetched!]));
    expect(types(p).filter((t) => ['Mul', 'Transpose', 'Identity'].includes(t))).toEqual([
      'Mul',
      'Transpose',
      'Transpose',
      'Identity',
    ]);
  });

  it('keeps an identity of a variable (its value depends on when it is read)', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => g.exp(g.identity(g.variable([1, 2]).ref())));
    expect(types(simplify(program(graph, [y])))).toContain('Identity');
  });
});

describe('cse', () => {
  it('merges equal pure nodes, chains included, and reads the first', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => {
      const x = x23();
      const w = g.constant(randomArray([3, 4], 'normal', 1));
      return g.add(g.exp(g.matMul(x, w)), g.exp(g.matMul(x, w)));
    });
    const p = deadCode(cse(program(graph, [y])));
    expect(types(p).filter((t) => t === 'MatMul' || t === 'Exp')).toEqual(['MatMul', 'Exp']);
    const add = p.nodes.at(-1)!;
    expect(add.inputs[0]).toBe(add.inputs[1]);
  });

  it('leaves random ops, variable reads, different attrs and fetched duplicates alone', () => {
    const graph = new g.Graph();
    const fetches = graph.asDefault(() => {
      const v = g.variable(randomArray([3, 3], 'normal', 2));
      const x = g.placeholder('float32', [3, 3]);
      return [
        g.randomUniform([2]),
        g.randomUniform([2]),
        g.matMul(v, x),
        g.matMul(v, x),
        g.matMul(x, x, { transposeA: true }),
        g.matMul(x, x),
        g.exp(x),
        g.exp(x),
      ];
    });
    const p = cse(program(graph, fetches));
    expect(types(p).filter((t) => ['RandomUniform', 'MatMul', 'Exp'].includes(t))).toHaveLength(8);
  });
});

describe('fuse', () => {
  const dense = (act: (h: g.Tensor) => g.Tensor) => {
    const graph = new g.Graph();
    const parts = graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const w = g.constant(randomArray([3, 4], 'normal', 1));
      const b = g.constant(randomArray([4], 'normal', 2));
      const mm = g.matMul(x, w, { name: 'dense/MatMul' });
      const pre = g.biasAdd(mm, b, { name: 'dense/BiasAdd' });
      return { x, mm, pre, y: act(pre) };
    });
    return { graph, ...parts };
  };

  it('fuses MatMul+BiasAdd+activation into one node named after the chain', () => {
    const { graph, y } = dense((h) => g.relu(h, { name: 'dense/Relu' }));
    const p = fuse(program(graph, [y]));
    const fused = p.nodes.find((n) => n.type === '_FusedMatMul')!;
    expect(fused.name).toBe('dense/MatMul+BiasAdd+Relu');
    expect(fused.attrs).toMatchObject({ activation: 'relu' });
    expect(fused.outputs).toEqual([y]);
    expect(types(p)).not.toContain('BiasAdd');
  });

  it('stops the chain at a fetched intermediate and keeps LeakyRelu alpha', () => {
    const a = dense((h) => g.leakyRelu(h, { alpha: 0.3 }));
    const fa = fuse(program(a.graph, [a.y])).nodes.find((n) => n.type === '_FusedMatMul')!;
    expect(fa.attrs).toMatchObject({ activation: 'leakyrelu', alpha: 0.3 });
    const b = dense(g.relu);
    const pb = fuse(program(b.graph, [b.y, b.pre]));
    expect(types(pb)).toContain('Relu');
    expect(pb.nodes.find((n) => n.type === '_FusedMatMul')!.name).toBe('dense/MatMul+BiasAdd');
    const c = dense(g.relu);
    expect(types(fuse(program(c.graph, [c.y], [c.mm])))).not.toContain('_FusedMatMul');
  });

  it('fuses Conv2D+BiasAdd+activation; not NCHW', () => {
    const graph = new g.Graph();
    const [nhwc, nchw] = graph.asDefault(() => {
      const f = g.constant(randomArray([3, 3, 2, 4], 'normal', 3));
      const b = g.constant(randomArray([4], 'normal', 4));
      const x = g.placeholder('float32', [1, 5, 5, 2]);
      const xc = g.placeholder('float32', [1, 2, 5, 5]);
      return [
        g.relu6(g.biasAdd(g.conv2d(x, f, { padding: 'SAME' }), b)),
        g.relu(g.biasAdd(g.conv2d(xc, f, { dataFormat: 'NCHW' }), b, { dataFormat: 'NCHW' })),
      ];
    });
    const p = fuse(program(graph, [nhwc!, nchw!]));
    expect(p.nodes.filter((n) => n.type === '_FusedConv2D').map((n) => n.attrs)).toMatchObject([
      { activation: 'relu6' },
    ]);
    expect(types(p)).toContain('Conv2D');
  });
});

describe('foldTransposes', () => {
  it('turns a 2-D transpose read by a MatMul into its flag on cpu only', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() =>
      g.matMul(g.transpose(x23()), g.transpose(g.placeholder('float32', [4, 2]))),
    );
    const cpu = foldTransposes(program(graph, [y]));
    expect(types(cpu)).not.toContain('Transpose');
    expect(cpu.nodes.find((n) => n.type === 'MatMul')!.attrs).toEqual({ transposeA: true, transposeB: true });
    const wasm = foldTransposes({ ...program(graph, [y]), backend: 'wasm' });
    expect(types(wasm).filter((t) => t === 'Transpose')).toHaveLength(2);
  });
});

describe('Session rewrites option', () => {
  it('RunMetadata names fused nodes; rewrites: false runs the graph as built, with equal results', () => {
    const graph = new g.Graph();
    const { x, y } = graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const w = g.constant(randomArray([3, 4], 'normal', 1));
      const b = g.constant(randomArray([4], 'normal', 2));
      const h = g.biasAdd(g.matMul(x, w, { name: 'dense/MatMul' }), b, { name: 'dense/BiasAdd' });
      return { x, y: g.relu(h, { name: 'dense/Relu' }) };
    });
    const feed = new Map([[x, randomArray([2, 3], 'normal', 9)]]);
    const names = (rewrites: boolean) => {
      const sess = new g.Session(graph, { rewrites });
      const meta = new g.RunMetadata();
      const value = sess.run(y, feed, { runMetadata: meta });
      sess.close();
      return { value, names: meta.stepStats.map((s) => s.nodeName) };
    };
    const [on, off] = [names(true), names(false)];
    expect(on.names).toContain('dense/MatMul+BiasAdd+Relu');
    expect(off.names).toEqual(expect.arrayContaining(['dense/MatMul', 'dense/BiasAdd', 'dense/Relu']));
    expectClose(on.value, off.value, 1e-6);
  });
});

describe('control inputs', () => {
  it('an op named as a control input is neither simplified nor dropped as dead', () => {
    const graph = new g.Graph();
    const { y, check } = graph.asDefault(() => {
      const x = x23();
      const check = g.identity(g.exp(x), { name: 'check' });
      const y = graph.controlDependencies([check.op], () => g.neg(x));
      return { y, check };
    });
    const p = program(graph, [y]);
    const withControl = { ...p, fetchedOps: new Set([check.op]) };
    expect(types(deadCode(simplify(withControl)))).toEqual(['Placeholder', 'Exp', 'Identity', 'Neg']);
    expect(types(deadCode(simplify(p)))).toEqual(['Placeholder', 'Neg']);
  });
});

describe('Session with rewrites', () => {
  it('still runs a pure op that is only a control input (its error surfaces)', () => {
    const graph = new g.Graph();
    const { x, y } = graph.asDefault(() => {
      const x = g.placeholder('float32', [null]);
      const bad = g.reshape(x, [5]);
      return { x, y: graph.controlDependencies([bad.op], () => g.neg(x)) };
    });
    const sess = new g.Session(graph);
    expect(() => sess.run(y, new Map([[x, randomArray([6], 'normal', 1)]]))).toThrow(g.InvalidArgumentError);
    sess.close();
  });
});
