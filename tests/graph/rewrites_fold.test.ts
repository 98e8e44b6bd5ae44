// The constant-folding pass on its own: what it folds (pure ops over constants whose folding rule
// knows the whole value) and what it must leave alone (placeholders, variables, fed tensors,
// fetched nodes, values above Grappler's 10 MiB limit); and folded plans computing the same values.
import * as g from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fold, MAX_FOLDED_BYTES } from '../../packages/graph/src/session/rewrites/fold.js';
import { rewrite } from '../../packages/graph/src/session/rewrites/index.js';
import { deadCode, type Program } from '../../packages/graph/src/session/rewrites/program.js';
import { program } from './rewrite_program.js';

/** Node name → type after the pass, for the named ops. */
const typesOf = (p: Program, names: string[]) =>
  Object.fromEntries(p.nodes.filter((n) => names.includes(n.name)).map((n) => [n.name, n.type]));

describe('fold', () => {
  it('turns shape arithmetic over constants into Consts and computes the same values', () => {
    const graph = new g.Graph();
    const y = graph.asDefault(() => {
      const c = g.constant(new Float32Array(24), { shape: [2, 3, 4] });
      const s = g.shape(c, { name: 's', optimize: false }); // [2, 3, 4]
      const n = g.sub(s, 1, { name: 'n' }); // [1, 2, 3]
      const f = g.cast(
        g.fill(g.stack([g.size(c, { name: 'sz', optimize: false }), 2], { name: 'p' }), 1.5),
        'int32',
        {
          name: 'cast',
        },
      );
      return g.add(g.reduceSum(f), g.reduceSum(n), { name: 'y' });
    });
    const folded = fold(program(graph, [y]));
    expect(typesOf(folded, ['s', 'n', 'sz', 'p', 'cast', 'y'])).toEqual({
      s: 'Const',
      n: 'Const',
      sz: 'Const',
      p: 'Const',
      cast: 'Const',
      y: 'AddV2', // fetched: kept, as Grappler keeps its nodes_to_preserve
    });
    const value = folded.nodes.find((n) => n.name === 'n')!.attrs as { value: g.NDArray };
    expect(Array.from(value.value.data as Int32Array)).toEqual([1, 2, 3]);
    // The constants that only fed folded nodes are then dead.
    expect(deadCode(folded).nodes.length).toBeLessThan(folded.nodes.length);
    const run = (rewrites: boolean) => new g.Session(graph, { rewrites }).run(y).item();
    expect(run(true)).toBe(run(false));
    expect(run(true)).toBe(24 * 2 + 6);
  });

  it('leaves placeholders, variables, fed tensors and stateful ops alone', () => {
    const graph = new g.Graph();
    const { fetches, fed } = graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3]);
      const v = g.variable(new g.NDArray('float32', [2], new Float32Array(2)));
      const c = g.constant([1, 2, 3], { name: 'c' });
      const r = g.randomUniform([2, 2], { name: 'r' });
      return {
        fetches: [
          g.neg(g.shape(x, { name: 'sx', optimize: false })),
          g.neg(g.shape(v.value(), { name: 'sv', optimize: false })),
          g.neg(g.shape(c, { name: 'sc', optimize: false })),
          g.neg(g.shape(r, { name: 'sr', optimize: false })),
        ],
        fed: [c],
      };
    });
    const folded = fold(program(graph, fetches, fed));
    // x's and v's shapes are fully static, but they read a placeholder / a variable.
    expect(typesOf(folded, ['sx', 'sv', 'sc', 'sr'])).toEqual({
      sx: 'Shape',
      sv: 'Shape',
      sc: 'Shape',
      sr: 'Shape',
    });
  });

  it('stops at Grappler’s 10 MiB limit on a folded value', () => {
    // An op whose folding rule knows a huge value: folded only below the limit.
    const Big = g.defineOp<'x', { n: number }>({
      type: 'BigFoldTestOp',
      inputs: ['x'],
      attrs: { n: g.attrOf('int', 'n') },
      fold: (_, { n }) => Array<number>(n).fill(1),
      shape: (_, { n }) => [n],
      dtype: () => 'float32',
      kernel: (_, { n }) => tfc.ones([n]),
    });
    const graph = new g.Graph();
    const limit = MAX_FOLDED_BYTES / 4;
    const [small, big] = graph.asDefault(() =>
      [limit, limit + 1].map((n, i) => Big.apply({ x: g.constant(1) }, { n }, { name: `big${i}` })),
    );
    expect([small!.shape, big!.shape]).toEqual([[limit], [limit + 1]]);
    const folded = fold(program(graph, []));
    expect(typesOf(folded, ['big0', 'big1'])).toEqual({ big0: 'Const', big1: 'BigFoldTestOp' });
  });

  it('runs first in the rewrite pipeline, whose result still equals the unrewritten run', () => {
    const graph = new g.Graph();
    const [x, y] = graph.asDefault(() => {
      const x = g.placeholder('float32', [null, 3]);
      const c = g.constant([[1, 2, 3]]);
      return [x, g.reshape(g.mul(x, g.identity(c)), g.concat([[-1], g.shape(c, { optimize: false })], 0))];
    });
    const p = rewrite(program(graph, [y], [x]));
    expect(p.nodes.map((n) => n.type)).not.toContain('ConcatV2');
    const feeds = new Map([[x, new g.NDArray('float32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))]]);
    const [on, off] = [true, false].map((rewrites) => new g.Session(graph, { rewrites }).run(y, feeds));
    expect(on!.shape).toEqual([2, 1, 3]);
    expect(Array.from(on!.data as Float32Array)).toEqual(Array.from(off!.data as Float32Array));
  });
});
