// Property tests (fast-check, seeded; FC_RUNS=1000 for a longer hunt): random elementwise,
// broadcast and reduction graphs equal eager tfjs; random gradients equal central finite
// differences; random bad shapes and dtypes raise our ValueError/TypeError at build time and a
// graph that builds runs, never a raw kernel error.
import { gradients } from '@graphmode/autodiff';
import * as G from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RUNS = Number(process.env.FC_RUNS ?? 100);
const PARAMS = { seed: 20261202, numRuns: RUNS };

type Expr =
  | { kind: 'input'; i: 0 | 1 }
  | { kind: 'unary'; op: Unary; x: Expr }
  | { kind: 'binary'; op: Binary; x: Expr; y: Expr }
  | { kind: 'reduce'; op: Reduce; x: Expr; keepDims: boolean };
type Unary = 'neg' | 'abs' | 'square' | 'tanh' | 'sigmoid' | 'sin';
type Binary = 'add' | 'sub' | 'mul' | 'maximum' | 'minimum';
type Reduce = 'reduceSum' | 'reduceMean' | 'reduceMax';

const SMOOTH_UNARY: Unary[] = ['neg', 'square', 'tanh', 'sigmoid', 'sin'];
const SMOOTH_BINARY: Binary[] = ['add', 'sub', 'mul'];

function exprArb(unary: Unary[], binary: Binary[], reduce: boolean): fc.Arbitrary<Expr> {
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('input' as const), i: fc.constantFrom(0 as const, 1 as const) }),
      fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...unary), x: tie('expr') }),
      fc.record({
        kind: fc.constant('binary' as const),
        op: fc.constantFrom(...binary),
        x: tie('expr'),
        y: tie('expr'),
      }),
      ...(reduce
        ? [
            fc.record({
              kind: fc.constant('reduce' as const),
              op: fc.constantFrom<Reduce>('reduceSum', 'reduceMean', 'reduceMax'),
              x: tie('expr'),
              keepDims: fc.constant(true),
            }),
          ]
        : []),
    ),
  }));
  return expr;
}

// Two broadcast-compatible shapes: b drops leading dims of a and sets some of its dims to 1.
const shapesArb = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 })
  .chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.integer({ min: 0, max: a.length }),
      fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }),
    ),
  )
  .map(([a, drop, ones]) => [a, a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))] as const);

const valuesFor = (shape: readonly number[], seed: number): Float32Array => {
  const n = shape.reduce((p, q) => p * q, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 1.5);
};

/** Interprets `e` with graph builders (sym) or eager tfjs (eager); reductions keep dims over axis 0. */
function graphOf(e: Expr, xs: readonly G.Tensor[]): G.Tensor {
  switch (e.kind) {
    case 'input':
      return xs[e.i]!;
    case 'unary':
      return G[e.op](graphOf(e.x, xs));
    case 'binary':
      return G[e.op](graphOf(e.x, xs), graphOf(e.y, xs));
    case 'reduce': {
      const x = graphOf(e.x, xs);
      return x.rank === 0 ? x : G[e.op](x, 0, { keepDims: e.keepDims });
    }
  }
}
const EAGER_UNARY: Record<Unary, (x: tf.Tensor) => tf.Tensor> = {
  neg: tf.neg,
  abs: tf.abs,
  square: tf.square,
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  sin: tf.sin,
};
const EAGER_BINARY: Record<Binary, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  maximum: tf.maximum,
  minimum: tf.minimum,
};
const EAGER_REDUCE: Record<Reduce, (x: tf.Tensor, axis: number, keep: boolean) => tf.Tensor> = {
  reduceSum: tf.sum,
  reduceMean: tf.mean,
  reduceMax: tf.max,
};
function eagerOf(e: Expr, xs: readonly tf.Tensor[]): tf.Tensor {
  switch (e.kind) {
    case 'input':
      return xs[e.i]!;
    case 'unary':
      return EAGER_UNARY[e.op](eagerOf(e.x, xs));
    case 'binary':
      return EAGER_BINARY[e.op](eagerOf(e.x, xs), eagerOf(e.y, xs));
    case 'reduce': {
      const x = eagerOf(e.x, xs);
      return x.rank === 0 ? x : EAGER_REDUCE[e.op](x, 0, e.keepDims);
    }
  }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > tol * (1 + Math.abs(b[i]!))) return false;
  return true;
}

describe('random graphs', () => {
  it('elementwise, broadcast and reduction graphs equal eager tfjs', () => {
    fc.assert(
      fc.property(
        exprArb(
          ['neg', 'abs', 'square', 'tanh', 'sigmoid', 'sin'],
          ['add', 'sub', 'mul', 'maximum', 'minimum'],
          true,
        ),
        shapesArb,
        (e, [sa, sb]) => {
          const g = new G.Graph();
          const [a, b] = [valuesFor(sa, 1), valuesFor(sb, 2)];
          const got = g.asDefault(() => {
            const xs = [G.placeholder('float32', sa), G.placeholder('float32', sb)];
            const y = graphOf(e, xs);
            const sess = new G.Session(g);
            try {
              return sess.run(
                y,
                new Map([
                  [xs[0]!, new G.NDArray('float32', [...sa], a)],
                  [xs[1]!, new G.NDArray('float32', [...sb], b)],
                ]),
              );
            } finally {
              sess.close();
            }
          });
          const want = tf.tidy(() => {
            const t = eagerOf(e, [tf.tensor(a, [...sa]), tf.tensor(b, [...sb])]);
            return { shape: t.shape, data: t.dataSync().slice() };
          });
          expect(got.shape).toEqual(want.shape);
          expect(close(got.data as Float32Array, want.data as Float32Array, 1e-5)).toBe(true);
        },
      ),
      PARAMS,
    );
  });

  it('gradients of smooth graphs equal central finite differences', () => {
    fc.assert(
      fc.property(exprArb(SMOOTH_UNARY, SMOOTH_BINARY, false), shapesArb, (e, [sa, sb]) => {
        const g = new G.Graph();
        g.asDefault(() => {
          const xs = [G.placeholder('float32', sa), G.placeholder('float32', sb)];
          const y = G.reduceSum(graphOf(e, xs));
          const grads = gradients(y, xs, { unconnectedGradients: 'zero' }) as G.Tensor[];
          const sess = new G.Session(g);
          const base = [valuesFor(sa, 3), valuesFor(sb, 4)];
          const feeds = (vals: Float32Array[]) =>
            new Map(xs.map((x, i) => [x, new G.NDArray('float32', [...(i ? sb : sa)], vals[i]!)]));
          const f = (vals: Float32Array[]) => sess.run(y, feeds(vals)).item() as number;
          const analytic = sess.run(grads, feeds(base)).map((r) => r.data as Float32Array);
          const eps = 1e-2;
          base.forEach((v, i) => {
            for (let k = 0; k < v.length; k++) {
              const plus = base.map((u) => u.slice());
              const minus = base.map((u) => u.slice());
              plus[i]![k]! += eps;
              minus[i]![k]! -= eps;
              const numeric = (f(plus) - f(minus)) / (2 * eps);
              expect(Math.abs(analytic[i]![k]! - numeric)).toBeLessThan(2e-2 * (1 + Math.abs(numeric)));
            }
          });
          sess.close();
        });
      }),
      { ...PARAMS, numRuns: Math.max(1, Math.floor(RUNS / 2)) },
    );
  });
});

// Ops whose static rules must catch every bad shape or dtype: if the graph builds, it runs.
const DTYPE = fc.constantFrom<G.DType>('float32', 'int32', 'bool', 'string');
const SHAPE = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 });
type Build = (a: G.Tensor, b: G.Tensor) => G.Tensor | G.Tensor[];
const BUILDERS: [string, Build][] = [
  ['add', (a, b) => G.add(a, b)],
  ['matMul', (a, b) => G.matMul(a, b)],
  ['concat', (a, b) => G.concat([a, b], 0)],
  ['reshape', (a, b) => G.reshape(a, G.shape(b))],
  ['conv2d', (a, b) => G.conv2d(a, b)],
  ['maxPool', (a) => G.maxPool(a, { ksize: 2, strides: 1, padding: 'VALID' })],
  ['biasAdd', (a, b) => G.biasAdd(a, b)],
  ['softmax', (a) => G.softmax(a)],
  ['reduceSum', (a, b) => G.reduceSum(a, G.cast(b, 'int32'))],
  ['transpose', (a, b) => G.transpose(a, G.cast(b, 'int32'))],
  ['where', (a, b) => G.where(G.cast(a, 'bool'), a, b)],
  ['gather', (a, b) => G.gather(a, G.cast(b, 'int32'))],
  ['stack', (a, b) => G.stack([a, b])],
  ['tile', (a, b) => G.tile(a, G.cast(b, 'int32'))],
];

const valueOf = (dtype: G.DType, shape: number[]): G.NDArray => {
  const n = shape.reduce((p, q) => p * q, 1);
  const data = Array.from({ length: n }, (_, i) =>
    dtype === 'string' ? `s${i}` : dtype === 'bool' ? i % 2 === 0 : i % 3,
  );
  return new G.NDArray(dtype, shape, G.NDArray.from(data, dtype).data);
};

describe('random bad inputs', () => {
  it('raise our ValueError/TypeError at build time, or build a graph that runs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BUILDERS), DTYPE, SHAPE, DTYPE, SHAPE, ([, build], da, sa, db, sb) => {
        const g = new G.Graph();
        g.asDefault(() => {
          const a = G.constant(valueOf(da, sa));
          const b = G.constant(valueOf(db, sb));
          let out: G.Tensor | G.Tensor[];
          try {
            out = build(a, b);
          } catch (e) {
            expect(e instanceof G.ValueError || e instanceof G.TypeError, `raw ${String(e)}`).toBe(true);
            return;
          }
          const before = tf.memory().numTensors;
          const sess = new G.Session(g);
          try {
            sess.run(out);
          } catch (e) {
            // Values (not shapes) may still be out of range at run time (gather indices, reduce axes).
            expect(e, `raw ${String(e)}`).toBeInstanceOf(G.InvalidArgumentError);
          } finally {
            sess.close();
          }
          expect(tf.memory().numTensors).toBe(before);
        });
      }),
      { ...PARAMS, numRuns: RUNS * 3 },
    );
  });
});
