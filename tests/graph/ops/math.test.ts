import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { forwardCases, named } from '../../op_table.js';
import { mathOps } from '../../tables/math.js';
import { checkForward } from './harness.js';

describe('math ops: forward vs eager tfjs', () => {
  it.each(named(forwardCases(mathOps)))('%s', (_, c) => checkForward(c));
});

describe('math ops: build-time errors', () => {
  it('rejects non-broadcastable shapes, naming op, shapes and the rule', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2, 3], { name: 'a' });
      const b = g.placeholder('float32', [4], { name: 'b' });
      expect(() => g.add(a, b)).toThrow(g.ValueError);
      expect(() => g.add(a, b)).toThrow(
        /AddV2 op 'Add(_\d+)?'.*Dimensions must be equal, but are 3 and 4.*a:0: float32\[2,3\], b:0: float32\[4\]/,
      );
    });
  });
  it('rejects mixed dtypes with the package TypeError', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const a = g.placeholder('float32', [2], { name: 'a' });
      const b = g.placeholder('int32', [2], { name: 'b' });
      expect(() => g.mul(a, b)).toThrow(g.TypeError);
      expect(() => g.log(b)).toThrow(/Log op 'Log': x 'b:0' has dtype int32, expected one of float32/);
    });
  });
  it('names ops as TF 1.15 does', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2]);
      const i = g.placeholder('int32', [2]);
      const names = [
        g.add(x, x),
        g.sub(x, x),
        g.mul(x, x),
        g.div(x, x),
        g.div(i, i),
        g.realDiv(x, x),
        g.floorDiv(x, x),
        g.mod(x, x),
        g.pow(x, x),
        g.maximum(x, x),
        g.squaredDifference(x, x),
        g.neg(x),
        g.cast(x, 'int32'),
        g.equal(x, x),
        g.cumsum(x),
      ].map((t) => `${t.op.type}:${t.op.name}`);
      expect(names).toEqual([
        'AddV2:Add',
        'Sub:Sub',
        'Mul:Mul',
        'RealDiv:div',
        'FloorDiv:div_1',
        'RealDiv:truediv',
        'FloorDiv:floordiv',
        'FloorMod:FloorMod',
        'Pow:Pow',
        'Maximum:Maximum',
        'SquaredDifference:SquaredDifference',
        'Neg:Neg',
        'Cast:Cast',
        'Equal:Equal',
        'Cumsum:Cumsum',
      ]);
    });
  });
  it('checks dtypes of logic ops, realDiv, casts and scans', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [2], { name: 'x' });
      const i = g.placeholder('int32', [2], { name: 'i' });
      const s = g.placeholder('string', [2], { name: 's' });
      expect(() => g.logicalAnd(x, x)).toThrow(
        /LogicalAnd op .*x 'x:0' has dtype float32, expected one of bool/,
      );
      expect(() => g.realDiv(i, i)).toThrow(g.TypeError);
      expect(() => g.cast(s, 'float32')).toThrow(/Cast op .*has dtype string/);
      expect(() => g.isNan(i)).toThrow(g.TypeError);
      expect(() => g.less(s, s)).toThrow(g.TypeError);
      expect(() => g.cumsum(x, 1)).toThrow(
        /Cumsum op 'Cumsum(_\d+)?': axis 1 is out of range for a tensor of rank 1/,
      );
      expect(() => g.addN([x, g.placeholder('float32', [3])])).toThrow(/AddN op .*same shape/);
      expect(() => g.addN([x, i])).toThrow(g.TypeError);
    });
  });
  it('gives plain JS operands the other operand dtype', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const i = g.placeholder('int32', [2]);
      expect(g.add(i, 1).dtype).toBe('int32');
      expect(g.mul(2, i).dtype).toBe('int32');
      expect(() => g.add(i, 1.5)).toThrow(g.TypeError);
    });
  });
});

describe('divNoNan', () => {
  // TF's DivNoNan: 0 wherever y is 0, whatever x is (NaN and inf included); x / y elsewhere.
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`is 0 where y is 0 and x / y in float32 elsewhere, on ${backend}`, async () => {
      const graph = new g.Graph();
      const x = [1, Number.NaN, Number.POSITIVE_INFINITY, -3, 7, 0.1];
      const y = [0, 0, 0, 2, -0, 3];
      const { z, zs, sz } = graph.asDefault(() => ({
        z: g.divNoNan(g.constant(x), g.constant(y)),
        zs: g.divNoNan(g.constant(x), g.constant(3)), // a scalar divisor
        sz: g.divNoNan(g.constant(1), g.constant(y)), // a scalar dividend
      }));
      const sess = await g.Session.create(graph, { backend, rewrites: false });
      const [a, b, c] = sess.run([z, zs, sz]).map((t) => Array.from(t.data as Float32Array));
      expect(a).toEqual([0, 0, 0, -1.5, 0, Math.fround(Math.fround(0.1) / 3)]);
      expect(b).toEqual(x.map((v) => Math.fround(Math.fround(v) / 3)));
      expect(c).toEqual(y.map((v) => (v === 0 ? 0 : Math.fround(1 / v))));
      sess.close();
    });
  }
});
