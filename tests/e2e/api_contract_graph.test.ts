// API contract audit, §1–2 of API.md: every name, argument order, option and default of the graph
// package, called exactly as API.md writes it. Values are checked against eager tfjs or TF 1.15
// reference numbers, never against graphmode itself.
import * as G from '@graphmode/graph';
import {
  abs,
  add,
  addN,
  argMax,
  argMin,
  avgPool,
  batchMatMul,
  batchNormalization,
  biasAdd,
  broadcastTo,
  CancelledError,
  cast,
  checkNumerics,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  colocateWith,
  concat,
  constant,
  controlDependencies,
  conv2d,
  cos,
  type DType,
  device,
  div,
  dropout,
  elu,
  equal,
  errors,
  exp,
  expandDims,
  FailedPreconditionError,
  type FeedDict,
  type Fetch,
  type Fetches,
  type FetchResult,
  fill,
  floorDiv,
  Graph,
  GraphKeys,
  gather,
  getDefaultGraph,
  globalNorm,
  globalVariables,
  globalVariablesInitializer,
  greater,
  greaterEqual,
  group,
  InvalidArgumentError,
  identity,
  isFinite,
  isNan,
  l2Loss,
  l2Normalize,
  leakyRelu,
  less,
  lessEqual,
  localVariablesInitializer,
  log,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  logSoftmax,
  losses,
  matMul,
  maximum,
  maxPool,
  minimum,
  mod,
  moments,
  mul,
  NDArray,
  NotFoundError,
  nameScope,
  neg,
  noOp,
  notEqual,
  OpError,
  Operation,
  OutOfRangeError,
  oneHot,
  ones,
  onesLike,
  pad,
  placeholder,
  pow,
  RunMetadata,
  randomNormal,
  randomUniform,
  range,
  rank,
  reciprocal,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceProd,
  reduceSum,
  relu,
  relu6,
  reportUninitializedVariables,
  resetDefaultGraph,
  reshape,
  reverse,
  rsqrt,
  Session,
  type Shape,
  shape,
  sigmoid,
  sigmoidCrossEntropyWithLogits,
  sign,
  sin,
  size,
  slice,
  softmax,
  softmaxCrossEntropyWithLogits,
  softplus,
  sparseSoftmaxCrossEntropyWithLogits,
  split,
  sqrt,
  square,
  squaredDifference,
  squeeze,
  stack,
  stopGradient,
  stridedSlice,
  sub,
  Tensor,
  type TensorLike,
  TypeError,
  tanh,
  tile,
  trainableVariables,
  transpose,
  truncatedNormal,
  tuple,
  UnimplementedError,
  unstack,
  ValueError,
  Variable,
  variable,
  variablesInitializer,
  where,
  withDependencies,
  zeros,
  zerosLike,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';

const globalVariablesOf = (g: Graph): Variable[] => g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES);

/** Builds in a fresh graph and opens a session on it. */
function build<T>(fn: () => T): { g: Graph; sess: Session; out: T } {
  const g = new Graph();
  const out = g.asDefault(fn);
  return { g, sess: new Session(g), out };
}

const arr = (sess: Session, t: Tensor | Variable): unknown => sess.run(t).toArray();

function close(actual: unknown, expected: unknown, tol = 1e-5): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    const a = actual as unknown[];
    expect(a.length).toBe(expected.length);
    expected.forEach((e, i) => close(a[i], e, tol));
  } else if (typeof expected === 'number' && Number.isFinite(expected)) {
    expect(typeof actual).toBe('number');
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected)),
    );
  } else expect(actual).toEqual(expected);
}

/** The eager tfjs value of `fn`, as nested JS arrays. */
const eager = (fn: () => tf.Tensor): unknown => {
  const t = fn();
  const v = t.arraySync();
  t.dispose();
  return v;
};

describe('§1 types and Graph', () => {
  it('exports DType, Shape and TensorLike with the documented members', () => {
    expectTypeOf<DType>().toEqualTypeOf<'float32' | 'int32' | 'bool' | 'string'>();
    expectTypeOf<Shape>().toEqualTypeOf<readonly (number | null)[]>();
    expectTypeOf<number>().toMatchTypeOf<TensorLike>();
    expectTypeOf<boolean>().toMatchTypeOf<TensorLike>();
    expectTypeOf<string>().toMatchTypeOf<TensorLike>();
    expectTypeOf<Float32Array>().toMatchTypeOf<TensorLike>();
    expectTypeOf<Int32Array>().toMatchTypeOf<TensorLike>();
    expectTypeOf<number[][]>().toMatchTypeOf<TensorLike>();
    expectTypeOf<NDArray>().toMatchTypeOf<TensorLike>();
  });

  it('asDefault makes the graph the default inside fn and returns fn’s value', () => {
    const g = new Graph();
    const outer = getDefaultGraph();
    const r = g.asDefault(() => {
      expect(getDefaultGraph()).toBe(g);
      return 42;
    });
    expect(r).toBe(42);
    expect(getDefaultGraph()).toBe(outer);
  });

  it('resetDefaultGraph replaces the global default graph', () => {
    const before = getDefaultGraph();
    constant(1);
    resetDefaultGraph();
    const after = getDefaultGraph();
    expect(after).not.toBe(before);
    expect(after.getOperations()).toHaveLength(0);
  });

  it('getOperations lists ops in creation order; names are unique per graph', () => {
    const { g, out } = build(() => {
      const a = constant([[1, 2]]);
      const b = constant([[3], [4]]);
      const m1 = nameScope('dense', () => matMul(a, b));
      const m2 = nameScope('dense', () => matMul(a, b));
      const m3 = nameScope('dense/', () => matMul(a, b));
      return { a, b, m1, m2, m3 };
    });
    expect(g.getOperations().map((o) => o.name)).toEqual([
      'Const',
      'Const_1',
      'dense/MatMul',
      'dense_1/MatMul',
      'dense/MatMul_1',
    ]);
    expect(out.m1.op.type).toBe('MatMul');
    // a copy: mutating it does not touch the graph
    const ops = g.getOperations() as Operation[];
    ops.pop();
    expect(g.getOperations()).toHaveLength(5);
  });

  it('getOperationByName finds ops and throws NotFoundError naming the missing op', () => {
    const { g, out } = build(() => nameScope('scope', () => constant(1, { name: 'c' })));
    expect(g.getOperationByName('scope/c')).toBe(out.op);
    expect(() => g.getOperationByName('nope/missing')).toThrow(NotFoundError);
    expect(() => g.getOperationByName('nope/missing')).toThrow(/nope\/missing/);
  });

  it("getTensorByName resolves 'scope/op:0'", () => {
    const { g, out } = build(() => nameScope('scope', () => constant(1, { name: 'c' })));
    expect(g.getTensorByName('scope/c:0')).toBe(out);
    expect(() => g.getTensorByName('scope/c:1')).toThrow();
    expect(() => g.getTensorByName('scope/zz:0')).toThrow(/zz/);
  });

  it('collections: addToCollection, getCollection (a copy, scope-filtered), getCollectionRef (live)', () => {
    const { g, out } = build(() => {
      const a = nameScope('enc', () => constant(1, { name: 'a' }));
      const b = nameScope('dec', () => constant(2, { name: 'b' }));
      return { a, b };
    });
    g.addToCollection('things', out.a);
    g.addToCollection('things', out.b);
    const copy = g.getCollection<Tensor>('things');
    expect(copy).toEqual([out.a, out.b]);
    copy.push(out.a);
    expect(g.getCollection('things')).toHaveLength(2);
    expect(g.getCollection<Tensor>('things', 'enc')).toEqual([out.a]);
    expect(g.getCollection<Tensor>('things', 'dec')).toEqual([out.b]);
    expect(g.getCollection('missing')).toEqual([]);
    const live = g.getCollectionRef<Tensor>('things');
    live.pop();
    expect(g.getCollection('things')).toEqual([out.a]);
    g.addToCollection('things', out.b);
    expect(live).toEqual([out.a, out.b]);
  });

  it('finalize sets finalized; adding an op afterwards throws', () => {
    const g = new Graph();
    expect(g.finalized).toBe(false);
    g.finalize();
    expect(g.finalized).toBe(true);
    expect(() => g.asDefault(() => constant(1))).toThrow(/finalized/i);
  });

  it('Operation and Tensor carry the documented fields', () => {
    const { g, out } = build(() => {
      const x = placeholder('float32', [null, 3], { name: 'x' });
      const w = constant([[1], [2], [3]], { name: 'w' });
      const dep = noOp({ name: 'dep' });
      const y = device('/cpu:0', () => controlDependencies([dep], () => matMul(x, w, { name: 'y' })));
      return { x, w, dep, y };
    });
    const op = out.y.op;
    expect(op).toBeInstanceOf(Operation);
    expect(op.name).toBe('y');
    expect(op.type).toBe('MatMul');
    expect(op.inputs).toEqual([out.x, out.w]);
    expect(op.outputs).toEqual([out.y]);
    expect(op.controlInputs).toEqual([out.dep]);
    expect(op.attrs).toBeTypeOf('object');
    expect(op.device).toBe('/cpu:0');
    expect(op.graph).toBe(g);
    expect(out.y).toBeInstanceOf(Tensor);
    expect(out.y.op).toBe(op);
    expect(out.y.valueIndex).toBe(0);
    expect(out.y.dtype).toBe('float32');
    expect(out.y.shape).toEqual([null, 1]);
    expect(out.y.name).toBe('y:0');
    expect(out.y.graph).toBe(g);
    expect(placeholder('float32', undefined, {}).graph).toBe(getDefaultGraph());
    expect(g.asDefault(() => placeholder('float32')).shape).toBeNull();
    const named = g.asDefault(() => placeholder('int32', { name: 'no_shape' }));
    expect([named.op.name, named.dtype, named.shape]).toEqual(['no_shape', 'int32', null]);
    const parts = g.asDefault(() => split(constant([[1, 2, 3, 4]]), 2, 1));
    expect(parts.map((t) => t.name)).toEqual(['split:0', 'split:1']);
    expect(parts[1]!.valueIndex).toBe(1);
  });

  it('scopes exist as free functions and as Graph methods', () => {
    const g = new Graph();
    const ops = g.asDefault(() => {
      const a = constant(1, { name: 'a' });
      const inFree = nameScope('s', () => constant(1, { name: 'c' }));
      const inMethod = g.nameScope('s', () => constant(1, { name: 'c' }));
      const dep1 = controlDependencies([a], () => constant(2, { name: 'd1' }));
      const dep2 = g.controlDependencies([a.op], () => constant(2, { name: 'd2' }));
      const cleared = controlDependencies([a], () => controlDependencies(null, () => constant(3)));
      const dev1 = device('/device:CPU:0', () => constant(4));
      const dev2 = g.device('/device:CPU:0', () => constant(4));
      const col1 = colocateWith(a, () => constant(5));
      const col2 = g.colocateWith(a.op, () => constant(5));
      return { inFree, inMethod, dep1, dep2, cleared, dev1, dev2, col1, col2, a };
    });
    expect(ops.inFree.op.name).toBe('s/c');
    expect(ops.inMethod.op.name).toBe('s_1/c');
    expect(ops.dep1.op.controlInputs).toEqual([ops.a.op]);
    expect(ops.dep2.op.controlInputs).toEqual([ops.a.op]);
    expect(ops.cleared.op.controlInputs).toEqual([]);
    expect(ops.dev1.op.device).toBe('/device:CPU:0');
    expect(ops.dev2.op.device).toBe('/device:CPU:0');
    expect(ops.col1.op.graph).toBe(g);
    expect(ops.col2.op.graph).toBe(g);
  });

  it('GraphKeys has TF’s string values', () => {
    expect(GraphKeys).toMatchObject({
      GLOBAL_VARIABLES: 'variables',
      TRAINABLE_VARIABLES: 'trainable_variables',
      LOCAL_VARIABLES: 'local_variables',
      MODEL_VARIABLES: 'model_variables',
      UPDATE_OPS: 'update_ops',
      SUMMARIES: 'summaries',
      GLOBAL_STEP: 'global_step',
      TRAIN_OP: 'train_op',
      LOSSES: 'losses',
      REGULARIZATION_LOSSES: 'regularization_losses',
    });
  });
});

describe('§1 op builders: types, names, dtype rules', () => {
  it('uses TensorFlow op type strings', () => {
    const { out } = build(() => {
      const x = placeholder('float32', [2, 2]);
      const v = variable(zeros([2, 2]), { name: 'v' });
      return {
        MatMul: matMul(x, x),
        AddV2: add(x, x),
        Sum: reduceSum(x),
        Placeholder: x,
        VariableV2: v.op.outputs[0]!,
        Assign: v.initializer.outputs[0]!,
        Mean: reduceMean(x),
        ConcatV2: concat([x, x], 0),
        GatherV2: gather(x, [0]),
        OneHot: oneHot([0, 1], 3),
        Cast: cast(x, 'int32'),
        Select: where(equal(x, x), x, x),
        ArgMax: argMax(x, 1),
        Conv2D: conv2d(reshape(x, [1, 2, 2, 1]), ones([1, 1, 1, 1])),
        MaxPool: maxPool(reshape(x, [1, 2, 2, 1]), {
          ksize: [1, 1, 1, 1],
          strides: [1, 1, 1, 1],
          padding: 'VALID',
        }),
        AvgPool: avgPool(reshape(x, [1, 2, 2, 1]), {
          ksize: [1, 1, 1, 1],
          strides: [1, 1, 1, 1],
          padding: 'VALID',
        }),
        Softmax: softmax(x),
        Relu: relu(x),
        Sigmoid: sigmoid(x),
        Reshape: reshape(x, [4]),
        Transpose: transpose(x),
        Identity: identity(x),
        StopGradient: stopGradient(x),
      };
    });
    for (const [type, t] of Object.entries(out)) expect(t.op.type, type).toBe(type);
    const assignAdd = build(() => variable(1).assignAdd(1)).out;
    expect(assignAdd.op.type).toBe('AssignAdd');
    expect(build(() => variable(1).assignSub(1)).out.op.type).toBe('AssignSub');
    expect(build(() => noOp()).out.type).toBe('NoOp');
  });

  it('every builder takes { name } as its last argument', () => {
    const { out } = build(() => {
      const x = constant(
        [
          [1, 2],
          [3, 4],
        ],
        { name: 'x' },
      );
      const i = constant([1, 0], { dtype: 'int32', name: 'i' });
      return {
        p: placeholder('float32', [2], { name: 'p' }),
        z: zeros([2], { name: 'z' }),
        o: ones([2], { name: 'o' }),
        f: fill([2], 3, { name: 'f' }),
        zl: zerosLike(x, { name: 'zl' }),
        ol: onesLike(x, { name: 'ol' }),
        r: range(0, 5, 1, { name: 'r' }),
        rn: randomNormal([2], { name: 'rn', seed: 1 }),
        ru: randomUniform([2], { name: 'ru', seed: 1 }),
        tn: truncatedNormal([2], { name: 'tn', seed: 1 }),
        add: add(x, x, { name: 'add' }),
        sub: sub(x, x, { name: 'sub' }),
        mul: mul(x, x, { name: 'mul' }),
        div: div(x, x, { name: 'div' }),
        neg: neg(x, { name: 'neg' }),
        exp: exp(x, { name: 'exp' }),
        addN: addN([x, x, x], { name: 'addN' }),
        mm: matMul(x, x, { name: 'mm' }),
        relu: relu(x, { name: 'relu' }),
        sm: softmax(x, { name: 'sm' }),
        rs: reduceSum(x, 1, { name: 'rs', keepDims: true }),
        am: argMax(x, 1, { name: 'am' }),
        reshape: reshape(x, [4], { name: 'reshape' }),
        transpose: transpose(x, [1, 0], { name: 'transpose' }),
        concat: concat([x, x], 0, { name: 'concat' }),
        gather: gather(x, i, { name: 'gather' }),
        slice: slice(x, [0, 0], [1, 2], { name: 'slice' }),
        oneHot: oneHot(i, 3, { name: 'oneHot' }),
        cast: cast(x, 'int32', { name: 'cast' }),
        where: where(greater(x, 2), x, neg(x), { name: 'where' }),
        eq: equal(x, x, { name: 'eq' }),
        cbv: clipByValue(x, 0, 1, { name: 'cbv' }),
        cn: checkNumerics(x, 'bad', { name: 'cn' }),
        id: identity(x, { name: 'id' }),
        sg: stopGradient(x, { name: 'sg' }),
        shapeOf: shape(x, { name: 'shapeOf' }),
        l2: l2Loss(x, { name: 'l2' }),
        tile: tile(x, [1, 2], { name: 'tile' }),
        pad: pad(
          x,
          [
            [1, 1],
            [0, 0],
          ],
          { name: 'pad' },
        ),
        expand: expandDims(x, 0, { name: 'expand' }),
        bt: broadcastTo(constant([1, 2]), [3, 2], { name: 'bt' }),
        rev: reverse(x, [0], { name: 'rev' }),
      };
    });
    for (const [name, t] of Object.entries(out)) expect(t.op.name, name).toBe(name);
    const ops = build(() => ({ noop: noOp({ name: 'noop' }), grp: group(noOp(), { name: 'grp' }) })).out;
    expect(ops.noop.name).toBe('noop');
    expect(ops.grp.name).toBe('grp');
    const v = build(() => variable(1, { name: 'v' })).out;
    expect(v.op.name).toBe('v');
    expect(v.name).toBe('v:0');
  });

  it('a plain JS number or array given to a binary op takes the other operand’s dtype', () => {
    const { sess, out } = build(() => {
      const i = constant([1, 2, 3], { dtype: 'int32' });
      const f = constant([1, 2, 3]);
      const v = variable(constant(5, { dtype: 'int32' }));
      return {
        addInt: add(i, 2),
        addIntLeft: add(2, i),
        subArr: sub(i, [1, 1, 1]),
        mulInt: mul(3, i),
        maxInt: maximum(i, 2),
        minInt: minimum(i, 2),
        powInt: pow(i, 2),
        modInt: mod(i, 2),
        floorDivInt: floorDiv(i, 2),
        eqInt: equal(i, 2),
        lessInt: less(i, 2),
        addFloat: add(f, 2),
        sqDiff: squaredDifference(f, 1),
        varInt: add(v, 1),
        whereInt: where(greater(i, 1), i, [0, 0, 0]),
      };
    });
    for (const k of Object.keys(out) as (keyof typeof out)[]) {
      const want =
        k === 'addFloat' || k === 'sqDiff'
          ? 'float32'
          : k.startsWith('eq') || k.startsWith('less')
            ? 'bool'
            : 'int32';
      expect(out[k].dtype, k).toBe(want);
    }
    sess.run(variablesInitializer(globalVariablesOf(out.varInt.graph)));
    expect(sess.run(out.addInt).toArray()).toEqual([3, 4, 5]);
    expect(sess.run(out.floorDivInt).toArray()).toEqual([0, 1, 1]);
    expect(sess.run(out.varInt).item()).toBe(6);
    expect(sess.run(out.whereInt).toArray()).toEqual([0, 2, 3]);
  });

  it('numbers are float32 elsewhere unless a dtype is given', () => {
    const { out } = build(() => ({
      c: constant(3),
      cArr: constant([1, 2]),
      cInt: constant(3, { dtype: 'int32' }),
      z: zeros([2]),
      o: ones([2]),
      zInt: zeros([2], { dtype: 'int32' }),
      oInt: ones([2], { dtype: 'int32' }),
      f: fill([2], 1),
      sum: add(1, 2),
      v: variable(1).value(),
      oh: oneHot([0, 1], 2),
      rn: randomNormal([2]),
    }));
    for (const [k, t] of Object.entries(out))
      expect(t.dtype, k).toBe(k.endsWith('Int') ? 'int32' : 'float32');
  });

  it('a dtype or shape mismatch throws the package’s ValueError / TypeError at build time, naming op and inputs', () => {
    build(() => {
      const a = placeholder('float32', [2, 3]);
      const b = placeholder('float32', [4, 5]);
      const i = placeholder('int32', [2, 3]);
      expect(() => matMul(a, b)).toThrow(ValueError);
      expect(() => matMul(a, b)).toThrow(/MatMul/);
      expect(() => matMul(a, b)).toThrow(/\[2,\s?3\]/);
      expect(() => add(a, b)).toThrow(ValueError);
      expect(() => add(a, i)).toThrow(TypeError);
      expect(() => add(a, i)).toThrow(/int32/);
      expect(() => add(a, i)).toThrow(/float32/);
      expect(() => reshape(a, [5])).toThrow(ValueError);
      expect(() => concat([a, b], 0)).toThrow(ValueError);
    });
  });
});

describe('§1 required builders: values, argument order and options', () => {
  it('sources: placeholder, constant {dtype, shape}, zeros/ones {dtype}, fill, zerosLike, onesLike, range', () => {
    const { sess, out } = build(() => ({
      p: placeholder('int32', [2], { name: 'p' }),
      c: constant(7, { dtype: 'int32', shape: [2, 2] }),
      c2: constant([1, 2, 3, 4], { shape: [2, 2] }),
      z: zeros([2, 1], { dtype: 'int32' }),
      o: ones([1, 2]),
      f: fill([2], 9),
      zl: zerosLike(constant([[1, 2]])),
      ol: onesLike(constant([true, false])),
      r: range(5),
      r2: range(2, 10, 3),
      padded: constant([1, 2], { shape: [2, 2] }),
    }));
    expect(out.p.op.type).toBe('Placeholder');
    expect(sess.run(out.p, [[out.p, [4, 5]]]).toArray()).toEqual([4, 5]);
    expect(arr(sess, out.c)).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(arr(sess, out.c2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(sess.run(out.z).dtype).toBe('int32');
    expect(arr(sess, out.z)).toEqual([[0], [0]]);
    expect(arr(sess, out.o)).toEqual([[1, 1]]);
    expect(arr(sess, out.f)).toEqual([9, 9]);
    expect(arr(sess, out.zl)).toEqual([[0, 0]]);
    expect(arr(sess, out.ol)).toEqual([true, true]);
    expect(arr(sess, out.r)).toEqual([0, 1, 2, 3, 4]);
    expect(arr(sess, out.r2)).toEqual([2, 5, 8]);
    // TF1: a list shorter than `shape` is padded with its last element; a longer one is an error
    expect(arr(sess, out.padded)).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(() => constant([1, 2, 3], { shape: [2] })).toThrow(ValueError);
  });

  it('random sources take (shape, {mean, stddev, minval, maxval, seed}) and are deterministic per graph seed + op seed', () => {
    const make = () => {
      const g = new Graph();
      g.seed = 3;
      const out = g.asDefault(() => ({
        n: randomNormal([2000], { mean: 5, stddev: 2, seed: 7 }),
        u: randomUniform([2000], { minval: -3, maxval: -1, seed: 7 }),
        t: truncatedNormal([2000], { mean: 1, stddev: 0.5, seed: 7 }),
      }));
      return { sess: new Session(g), out };
    };
    const a = make();
    const b = make();
    const ra = a.sess.run(a.out);
    const rb = b.sess.run(b.out);
    expect(Array.from(ra.n.data as Float32Array)).toEqual(Array.from(rb.n.data as Float32Array));
    const mean = (x: NDArray) => (x.data as Float32Array).reduce((s, v) => s + v, 0) / x.size;
    expect(Math.abs(mean(ra.n) - 5)).toBeLessThan(0.2);
    const u = ra.u.data as Float32Array;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...u)).toBeLessThan(-1);
    const t = ra.t.data as Float32Array;
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(2);
  });

  it('math builders match eager tfjs', () => {
    const X = [
      [0.5, -1.5],
      [2, 0.25],
    ];
    const Y = [
      [1.5, 2],
      [-0.5, 3],
    ];
    const P = [
      [0.5, 1.5],
      [2, 0.25],
    ];
    const { sess, out } = build(() => {
      const x = constant(X);
      const y = constant(Y);
      const p = constant(P);
      return {
        add: add(x, y),
        sub: sub(x, y),
        mul: mul(x, y),
        div: div(x, y),
        floorDiv: floorDiv(x, y),
        mod: mod(x, y),
        pow: pow(p, y),
        neg: neg(x),
        abs: abs(x),
        sign: sign(x),
        square: square(x),
        sqrt: sqrt(p),
        rsqrt: rsqrt(p),
        exp: exp(x),
        log: log(p),
        log1p: log1p(p),
        sin: sin(x),
        cos: cos(x),
        maximum: maximum(x, y),
        minimum: minimum(x, y),
        addN: addN([x, y, p]),
        squaredDifference: squaredDifference(x, y),
        reciprocal: reciprocal(y),
      };
    });
    const x = tf.tensor(X);
    const y = tf.tensor(Y);
    const p = tf.tensor(P);
    const ref: Record<keyof typeof out, () => tf.Tensor> = {
      add: () => tf.add(x, y),
      sub: () => tf.sub(x, y),
      mul: () => tf.mul(x, y),
      div: () => tf.div(x, y),
      floorDiv: () => tf.floorDiv(x, y),
      mod: () => tf.mod(x, y),
      pow: () => tf.pow(p, y),
      neg: () => tf.neg(x),
      abs: () => tf.abs(x),
      sign: () => tf.sign(x),
      square: () => tf.square(x),
      sqrt: () => tf.sqrt(p),
      rsqrt: () => tf.rsqrt(p),
      exp: () => tf.exp(x),
      log: () => tf.log(p),
      log1p: () => tf.log1p(p),
      sin: () => tf.sin(x),
      cos: () => tf.cos(x),
      maximum: () => tf.maximum(x, y),
      minimum: () => tf.minimum(x, y),
      addN: () => tf.addN([x, y, p]),
      squaredDifference: () => tf.squaredDifference(x, y),
      reciprocal: () => tf.reciprocal(y),
    };
    const got = sess.run(out);
    for (const k of Object.keys(ref) as (keyof typeof out)[]) close(got[k].toArray(), eager(ref[k]), 1e-5);
    tf.dispose([x, y, p]);
  });

  it('linear algebra / nn builders take the documented options', () => {
    const { sess, out } = build(() => {
      const a = constant([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const img = constant([
        [
          [[1], [2], [3]],
          [[4], [5], [6]],
          [[7], [8], [9]],
        ],
      ]);
      const filt = constant([
        [[[1]], [[0]]],
        [[[0]], [[-1]]],
      ]);
      return {
        mm: matMul(a, a, { transposeB: true }),
        mmA: matMul(a, a, { transposeA: true }),
        bmm: batchMatMul(stack([a, a]), stack([transpose(a), transpose(a)])),
        bias: biasAdd(a, constant([1, 0, -1])),
        convDefault: conv2d(img, filt),
        convSame: conv2d(img, filt, { strides: [1, 2, 2, 1], padding: 'SAME', dataFormat: 'NHWC' }),
        convDil: conv2d(img, filt, { dilations: [1, 2, 2, 1] }),
        maxp: maxPool(img, { ksize: [1, 2, 2, 1], strides: [1, 1, 1, 1], padding: 'VALID' }),
        avgp: avgPool(img, { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'SAME' }),
        relu6: relu6(mul(a, 1.5)),
        elu: elu(neg(a)),
        leaky: leakyRelu(neg(a), { alpha: 0.1 }),
        tanh: tanh(a),
        softplus: softplus(a),
        lsm: logSoftmax(a),
        l2: l2Loss(a),
        l2n: l2Normalize(a, { axis: 1 }),
      };
    });
    const a = tf.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const img = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const filt = tf.tensor4d([1, 0, 0, -1], [2, 2, 1, 1]);
    const got = sess.run(out);
    close(
      got.mm.toArray(),
      eager(() => tf.matMul(a, a, false, true)),
    );
    close(
      got.mmA.toArray(),
      eager(() => tf.matMul(a, a, true, false)),
    );
    close(
      got.bmm.toArray(),
      eager(() => tf.stack([tf.matMul(a, a, false, true), tf.matMul(a, a, false, true)])),
    );
    close(got.bias.toArray(), [
      [2, 2, 2],
      [5, 5, 5],
    ]);
    close(
      got.convDefault.toArray(),
      eager(() => tf.conv2d(img, filt, 1, 'valid')),
    );
    close(
      got.convSame.toArray(),
      eager(() => tf.conv2d(img, filt, 2, 'same')),
    );
    close(
      got.convDil.toArray(),
      eager(() => tf.conv2d(img, filt, 1, 'valid', 'NHWC', 2)),
    );
    close(
      got.maxp.toArray(),
      eager(() => tf.maxPool(img, 2, 1, 'valid')),
    );
    close(
      got.avgp.toArray(),
      eager(() => tf.avgPool(img, 2, 2, 'same')),
    );
    close(got.relu6.toArray(), [
      [1.5, 3, 4.5],
      [6, 6, 6],
    ]);
    close(
      got.elu.toArray(),
      eager(() => tf.elu(tf.neg(a))),
    );
    close(
      got.leaky.toArray(),
      eager(() => tf.leakyRelu(tf.neg(a), 0.1)),
    );
    close(
      got.tanh.toArray(),
      eager(() => tf.tanh(a)),
    );
    close(
      got.softplus.toArray(),
      eager(() => tf.softplus(a)),
    );
    close(
      got.lsm.toArray(),
      eager(() => tf.logSoftmax(a)),
    );
    close(got.l2.item(), 91 / 2);
    close(
      got.l2n.toArray(),
      eager(() => tf.div(a, tf.norm(a, 'euclidean', 1, true))),
    );
    tf.dispose([a, img, filt]);
  });

  it('moments(x, axes, {keepDims}) gives [mean, population variance]', () => {
    const { sess, out } = build(() => {
      const x = constant([
        [1, 2],
        [3, 6],
      ]);
      const [m, v] = moments(x, [0]);
      const [mk, vk] = moments(x, [0, 1], { keepDims: true });
      return { m, v, mk, vk };
    });
    expectTypeOf(moments).returns.toEqualTypeOf<[Tensor, Tensor]>();
    const got = sess.run(out);
    close(got.m.toArray(), [2, 4]);
    close(got.v.toArray(), [1, 4]);
    expect(got.mk.shape).toEqual([1, 1]);
    close(got.mk.toArray(), [[3]]);
    close(got.vk.toArray(), [[3.5]]);
  });

  it('batchNormalization and dropout(x, {rate, seed})', () => {
    const { sess, out } = build(() => {
      const x = constant([
        [1, 2],
        [3, 4],
      ]);
      return {
        bn: batchNormalization(
          x,
          constant([2, 3]),
          constant([1, 1]),
          constant([0.5, 0.5]),
          constant([2, 2]),
          0,
        ),
        drop: dropout(ones([1000]), { rate: 0.25, seed: 3 }),
      };
    });
    const got = sess.run(out);
    close(got.bn.toArray(), [
      [-1.5, -1.5],
      [2.5, 2.5],
    ]);
    const d = Array.from(got.drop.data as Float32Array);
    for (const v of d) expect([0, 1 / 0.75].some((w) => Math.abs(v - w) < 1e-5)).toBe(true);
    const kept = d.filter((v) => v > 0).length / d.length;
    expect(kept).toBeGreaterThan(0.68);
    expect(kept).toBeLessThan(0.82);
  });

  it('reductions: reduceX(x, axis?, {keepDims}); argMax/argMin(x, axis)', () => {
    const X = [
      [1, 5, 3],
      [4, 2, 6],
    ];
    const { sess, out } = build(() => {
      const x = constant(X);
      return {
        sumAll: reduceSum(x),
        sum0: reduceSum(x, 0),
        sum1k: reduceSum(x, 1, { keepDims: true }),
        sumNeg: reduceSum(x, -1),
        sumList: reduceSum(x, [0, 1]),
        mean: reduceMean(x, 1),
        max: reduceMax(x, 0),
        min: reduceMin(x, 1, { keepDims: true }),
        prod: reduceProd(x),
        argMax: argMax(x, 1),
        argMin: argMin(x, 0),
      };
    });
    const got = sess.run(out);
    expect(got.sumAll.shape).toEqual([]);
    close(got.sumAll.item(), 21);
    close(got.sum0.toArray(), [5, 7, 9]);
    close(got.sum1k.toArray(), [[9], [12]]);
    close(got.sumNeg.toArray(), [9, 12]);
    close(got.sumList.item(), 21);
    close(got.mean.toArray(), [3, 4]);
    close(got.max.toArray(), [4, 5, 6]);
    close(got.min.toArray(), [[1], [2]]);
    close(got.prod.item(), 720);
    expect(got.argMax.dtype).toBe('int32');
    expect(got.argMax.toArray()).toEqual([1, 2]);
    expect(got.argMin.toArray()).toEqual([0, 1, 0]);
  });

  it('arrays: TF1 positional orders', () => {
    const { sess, out } = build(() => {
      const x = constant([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const parts = split(x, 3, 1);
      const sized = split(x, [1, 2], 1);
      const rows = unstack(x);
      return {
        reshape: reshape(x, [3, 2]),
        reshapeInfer: reshape(x, [-1]),
        transposeDefault: transpose(x),
        transposePerm: transpose(reshape(x, [1, 2, 3]), [2, 0, 1]),
        concat: concat([x, x], 1),
        concatNeg: concat([x, x], -2),
        split0: parts[0]!,
        split2: parts[2]!,
        sized1: sized[1]!,
        splitAxis0: split(x, 2, 0)[1]!,
        stack: stack([x, x]),
        stackAxis: stack([constant([1, 2]), constant([3, 4])], { axis: 1 }),
        unstack1: rows[1]!,
        unstackAxis: unstack(x, { axis: 1 })[2]!,
        slice: slice(x, [0, 1], [2, 2]),
        sliceToEnd: slice(x, [1, 0], [-1, -1]),
        stridedSlice: stridedSlice(x, [0, 0], [2, 3], [1, 2]),
        gather: gather(x, [1, 0, 1]),
        gatherAxis: gather(x, [2, 0], { axis: 1 }),
        expandDims: expandDims(x, 1),
        squeeze: squeeze(constant([[[1], [2]]])),
        squeezeAxis: squeeze(constant([[[1], [2]]]), { axis: [2] }),
        tile: tile(x, [2, 1]),
        pad: pad(constant([[1]]), [
          [1, 0],
          [0, 2],
        ]),
        cast: cast(constant([1.7, -1.7]), 'int32'),
        castBool: cast(constant([0, 2]), 'bool'),
        shape: shape(x),
        size: size(x),
        rank: rank(x),
        oneHot: oneHot([0, 2, -1], 3),
        where: where(constant([true, false]), constant([1, 2]), constant([3, 4])),
        reverse: reverse(x, [1]),
        broadcastTo: broadcastTo(constant([1, 2]), [2, 2]),
      };
    });
    expect(split(constant([1]), 1, 0)).toBeInstanceOf(Array);
    expect(out.split0.shape).toEqual([2, 1]);
    const got = sess.run(out);
    expect(got.reshape.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(got.reshapeInfer.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.transposeDefault.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(got.transposePerm.shape).toEqual([3, 1, 2]);
    expect(got.transposePerm.toArray()).toEqual([[[1, 4]], [[2, 5]], [[3, 6]]]);
    expect(got.concat.toArray()).toEqual([
      [1, 2, 3, 1, 2, 3],
      [4, 5, 6, 4, 5, 6],
    ]);
    expect(got.concatNeg.shape).toEqual([4, 3]);
    expect(got.split0.toArray()).toEqual([[1], [4]]);
    expect(got.split2.toArray()).toEqual([[3], [6]]);
    expect(got.sized1.toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(got.splitAxis0.toArray()).toEqual([[4, 5, 6]]);
    expect(got.stack.shape).toEqual([2, 2, 3]);
    expect(got.stackAxis.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(got.unstack1.toArray()).toEqual([4, 5, 6]);
    expect(got.unstackAxis.toArray()).toEqual([3, 6]);
    expect(got.slice.toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(got.sliceToEnd.toArray()).toEqual([[4, 5, 6]]);
    expect(got.stridedSlice.toArray()).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(got.gather.toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(got.gatherAxis.toArray()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(got.expandDims.shape).toEqual([2, 1, 3]);
    expect(got.squeeze.toArray()).toEqual([1, 2]);
    expect(got.squeezeAxis.toArray()).toEqual([[1, 2]]);
    expect(got.tile.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(got.pad.toArray()).toEqual([
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(got.cast.dtype).toBe('int32');
    expect(got.cast.toArray()).toEqual([1, -1]);
    expect(got.castBool.toArray()).toEqual([false, true]);
    expect(got.shape.dtype).toBe('int32');
    expect(got.shape.toArray()).toEqual([2, 3]);
    expect(got.size.item()).toBe(6);
    expect(got.rank.item()).toBe(2);
    expect(got.oneHot.dtype).toBe('float32');
    expect(got.oneHot.toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    expect(got.where.toArray()).toEqual([1, 4]);
    expect(got.reverse.toArray()).toEqual([
      [3, 2, 1],
      [6, 5, 4],
    ]);
    expect(got.broadcastTo.toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('comparison and logic', () => {
    const { sess, out } = build(() => {
      const x = constant([1, 2, 3]);
      const b = constant([true, false, true]);
      const c = constant([true, true, false]);
      const z = constant([1, Number.NaN, Number.POSITIVE_INFINITY]);
      return {
        equal: equal(x, 2),
        notEqual: notEqual(x, 2),
        less: less(x, 2),
        lessEqual: lessEqual(x, 2),
        greater: greater(x, 2),
        greaterEqual: greaterEqual(x, 2),
        and: logicalAnd(b, c),
        or: logicalOr(b, c),
        not: logicalNot(b),
        isFinite: isFinite(z),
        isNan: isNan(z),
      };
    });
    const got = sess.run(out);
    expect(got.equal.toArray()).toEqual([false, true, false]);
    expect(got.notEqual.toArray()).toEqual([true, false, true]);
    expect(got.less.toArray()).toEqual([true, false, false]);
    expect(got.lessEqual.toArray()).toEqual([true, true, false]);
    expect(got.greater.toArray()).toEqual([false, false, true]);
    expect(got.greaterEqual.toArray()).toEqual([false, true, true]);
    expect(got.and.toArray()).toEqual([true, false, false]);
    expect(got.or.toArray()).toEqual([true, true, true]);
    expect(got.not.toArray()).toEqual([false, true, false]);
    expect(got.isFinite.toArray()).toEqual([true, false, false]);
    expect(got.isNan.toArray()).toEqual([false, true, false]);
  });

  it('clipping and checks', () => {
    const { sess, out } = build(() => {
      const a = constant([3, 4]);
      const b = constant([[0, 12]]);
      const [clipped, norm] = clipByGlobalNorm([a, null, b], 6.5);
      return {
        cbv: clipByValue(constant([-2, 0.5, 3]), 0, 1),
        cbn: clipByNorm(a, 2.5),
        gn: globalNorm([a, b]),
        c0: clipped[0]!,
        c1: clipped[1],
        c2: clipped[2]!,
        norm,
        ok: checkNumerics(a, 'fine'),
        bad: checkNumerics(div(a, 0), 'my message'),
      };
    });
    expect(out.c1).toBeNull();
    const { bad, c1: _, ...rest } = out;
    const got = sess.run(rest);
    close(got.cbv.toArray(), [0, 0.5, 1]);
    close(got.cbn.toArray(), [1.5, 2]);
    close(got.gn.item(), 13);
    close(got.norm.item(), 13);
    close(got.c0.toArray(), [1.5, 2]);
    close(got.c2.toArray(), [[0, 6]]);
    close(got.ok.toArray(), [3, 4]);
    expect(() => sess.run(bad)).toThrow(InvalidArgumentError);
    expect(() => sess.run(bad)).toThrow(/my message/);
  });

  // -log softmax(logits)[label] = logsumexp(logits) - logits[label]
  const lse = (xs: number[]) => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));
  const XENT = [lse([1, 2, 3]) - 2, lse([3, 1, 0]) - 3];

  it('per-example cross-entropies take {labels, logits} and give shape [batch]', () => {
    const { sess, out } = build(() => {
      const logits = constant([
        [1, 2, 3],
        [3, 1, 0],
      ]);
      return {
        dense: softmaxCrossEntropyWithLogits({
          labels: constant([
            [0, 1, 0],
            [1, 0, 0],
          ]),
          logits,
        }),
        sparse: sparseSoftmaxCrossEntropyWithLogits({ labels: constant([1, 0], { dtype: 'int32' }), logits }),
        sigmoid: sigmoidCrossEntropyWithLogits({
          labels: constant([
            [0, 1],
            [1, 0],
          ]),
          logits: constant([
            [0, 2],
            [-1, 3],
          ]),
        }),
      };
    });
    expect(out.dense.shape).toEqual([2]);
    expect(out.sparse.shape).toEqual([2]);
    expect(out.sigmoid.shape).toEqual([2, 2]);
    const got = sess.run(out);
    close(got.dense.toArray(), XENT);
    close(got.sparse.toArray(), XENT);
    // max(x,0) - x z + log(1 + exp(-|x|))
    const sce = (x: number, z: number) => Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    close(got.sigmoid.toArray(), [
      [sce(0, 0), sce(2, 1)],
      [sce(-1, 1), sce(3, 0)],
    ]);
  });

  it('losses.* return a scalar mean and add it to GraphKeys.LOSSES; getTotalLoss adds REGULARIZATION_LOSSES', () => {
    const { g, sess, out } = build(() => {
      const logits = constant([
        [1, 2, 3],
        [3, 1, 0],
      ]);
      const sce = losses.softmaxCrossEntropy(
        constant([
          [0, 1, 0],
          [1, 0, 0],
        ]),
        logits,
      );
      const sparse = losses.sparseSoftmaxCrossEntropy(constant([1, 0], { dtype: 'int32' }), logits);
      const sig = losses.sigmoidCrossEntropy(constant([[0, 1]]), constant([[0, 2]]));
      const ll = losses.logLoss(constant([1, 0]), constant([0.9, 0.2]));
      const llEps = losses.logLoss(constant([1]), constant([0]), { epsilon: 0.5 });
      const mse = losses.meanSquaredError(constant([1, 2]), constant([2, 4]));
      getDefaultGraph().addToCollection(GraphKeys.REGULARIZATION_LOSSES, constant(10));
      const total = losses.getTotalLoss();
      return { sce, sparse, sig, ll, llEps, mse, total };
    });
    expect(g.getCollection(GraphKeys.LOSSES)).toEqual([
      out.sce,
      out.sparse,
      out.sig,
      out.ll,
      out.llEps,
      out.mse,
    ]);
    for (const t of Object.values(out)) expect(t.shape).toEqual([]);
    const got = sess.run(out);
    close(got.sce.item(), (XENT[0]! + XENT[1]!) / 2);
    close(got.sparse.item(), (XENT[0]! + XENT[1]!) / 2);
    close(got.sig.item(), (Math.log(2) + Math.log1p(Math.exp(-2))) / 2);
    close(got.ll.item(), (-Math.log(0.9 + 1e-7) - Math.log(0.8 + 1e-7)) / 2);
    close(got.llEps.item(), -Math.log(0.5));
    close(got.mse.item(), 2.5);
    const sumLosses = ['sce', 'sparse', 'sig', 'll', 'llEps', 'mse'].reduce(
      (s, k) => s + (got[k as keyof typeof got].item() as number),
      0,
    );
    close(got.total.item(), sumLosses + 10);
  });

  it('flow: identity, stopGradient, noOp, group(...ops), tuple(tensors, {controlInputs}), withDependencies(deps, tensor)', () => {
    const { sess, out } = build(() => {
      const v = variable(0, { name: 'counter' });
      const inc = v.assignAdd(1);
      const w = variable(0, { name: 'w' });
      const incW = w.assignAdd(10);
      const g = group(inc, incW.op, { name: 'both' });
      const [t1, t2] = tuple([constant(1), constant(2)], { controlInputs: [inc] });
      const wd = withDependencies([incW], constant(5));
      return {
        v,
        w,
        g,
        t1: t1!,
        t2: t2!,
        wd,
        id: identity(constant(3)),
        sg: stopGradient(constant(4)),
        n: noOp(),
      };
    });
    expect(out.g).toBeInstanceOf(Operation);
    expect(out.g.type).toBe('NoOp');
    expect(out.n.type).toBe('NoOp');
    sess.run(variablesInitializer([out.v, out.w]));
    expect(sess.run(out.g)).toBeNull();
    expect(sess.run(out.v).item()).toBe(1);
    expect(sess.run(out.w).item()).toBe(10);
    expect(sess.run([out.t1, out.t2]).map((x) => x.item())).toEqual([1, 2]);
    expect(sess.run(out.v).item()).toBe(2);
    expect(sess.run(out.wd).item()).toBe(5);
    expect(sess.run(out.w).item()).toBe(20);
    expect(sess.run(out.id).item()).toBe(3);
    expect(sess.run(out.sg).item()).toBe(4);
  });
});

describe('§1 variables', () => {
  it('variable(initialValue, {name, dtype, trainable, collections}) with all documented fields', () => {
    const { g, sess, out } = build(() => {
      const w = variable(() => randomNormal([2, 3], { seed: 1 }), { name: 'w' });
      const b = variable([1, 2, 3], { name: 'b', dtype: 'float32' });
      const i = variable(0, { name: 'i', dtype: 'int32', trainable: false });
      const c = variable(5, { name: 'c', collections: [GraphKeys.LOCAL_VARIABLES] });
      return { w, b, i, c };
    });
    const { w, b, i, c } = out;
    expect(w).toBeInstanceOf(Variable);
    expect(w.name).toBe('w:0');
    expect(w.dtype).toBe('float32');
    expect(w.shape).toEqual([2, 3]);
    expect(w.trainable).toBe(true);
    expect(w.op).toBeInstanceOf(Operation);
    expect(w.op.type).toBe('VariableV2');
    expect(w.op.name).toBe('w');
    expect(w.initializer).toBeInstanceOf(Operation);
    expect(w.initializer.type).toBe('Assign');
    expect(w.initialValue).toBeInstanceOf(Tensor);
    expect(w.initialValue.shape).toEqual([2, 3]);
    // a function initial value is built under the variable's scope (TF: 'w/Initializer/...')
    expect(w.initialValue.op.name.startsWith('w/')).toBe(true);
    expect(w.value()).toBeInstanceOf(Tensor);
    expect(w.read()).toBeInstanceOf(Tensor);
    expect(i.dtype).toBe('int32');
    expect(i.trainable).toBe(false);
    expect(globalVariables()).toEqual([]); // the default graph is not g
    expect(g.asDefault(() => globalVariables())).toEqual([w, b, i]);
    expect(g.asDefault(() => trainableVariables())).toEqual([w, b, c]);
    expect(g.getCollection(GraphKeys.LOCAL_VARIABLES)).toEqual([c]);
    const init = g.asDefault(() => globalVariablesInitializer());
    expect(init).toBeInstanceOf(Operation);
    const report = g.asDefault(() => reportUninitializedVariables());
    expect(report).toBeInstanceOf(Tensor);
    expect(report.dtype).toBe('string');
    expect(sess.run(report).toArray()).toEqual(['w', 'b', 'i', 'c']);
    sess.run(init);
    expect(sess.run(report).toArray()).toEqual(['c']);
    sess.run(g.asDefault(() => localVariablesInitializer()));
    expect(sess.run(report).toArray()).toEqual([]);
    const initW = sess.run(w);
    expect(sess.run(w.initialValue).shape).toEqual([2, 3]);
    expect(initW.shape).toEqual([2, 3]);
  });

  it('value(), read(), assign(v, {name}), assignAdd, assignSub return Tensors', () => {
    const { g, sess, out } = build(() => {
      const v = variable([1, 2], { name: 'v' });
      return {
        v,
        assign: v.assign([5, 6], { name: 'set' }),
        assignT: v.assign(constant([7, 8])),
        add: v.assignAdd([1, 1]),
        subt: v.assignSub(constant([2, 2])),
        read: v.read(),
      };
    });
    expect(out.assign.op.name).toBe('set');
    expectTypeOf(out.v.assign).returns.toEqualTypeOf<Tensor>();
    expectTypeOf(out.v.assignAdd).returns.toEqualTypeOf<Tensor>();
    expectTypeOf(out.v.assignSub).returns.toEqualTypeOf<Tensor>();
    sess.run(g.asDefault(() => variablesInitializer([out.v])));
    expect(sess.run(out.v.value()).toArray()).toEqual([1, 2]);
    expect(sess.run(out.assign).toArray()).toEqual([5, 6]);
    expect(sess.run(out.read).toArray()).toEqual([5, 6]);
    expect(sess.run(out.add).toArray()).toEqual([6, 7]);
    expect(sess.run(out.subt).toArray()).toEqual([4, 5]);
    expect(sess.run(out.assignT).toArray()).toEqual([7, 8]);
    expect(sess.run(out.v).toArray()).toEqual([7, 8]);
  });

  it('a Variable is accepted wherever a Tensor is', () => {
    const { sess, out } = build(() => {
      const v = variable(
        [
          [1, 2],
          [3, 4],
        ],
        { name: 'v' },
      );
      const f = variable([[[[1]]]], { name: 'f' });
      const idx = variable([1, 0], { name: 'idx', dtype: 'int32' });
      const img = reshape(v, [1, 2, 2, 1]);
      const [m] = moments(v, [0]);
      return {
        add: add(v, 1),
        addVV: add(v, v),
        mm: matMul(v, v),
        sum: reduceSum(v),
        concat: concat([v, v], 0),
        gather: gather(v, idx),
        identity: identity(v),
        reshape: reshape(v, [4]),
        transpose: transpose(v),
        cast: cast(v, 'int32'),
        where: where(greater(v, 2), v, neg(v)),
        split: split(v, 2, 1)[0]!,
        stack: stack([v, v]),
        slice: slice(v, [0, 0], [1, 1]),
        conv: conv2d(img, f),
        moments: m!,
        xent: softmaxCrossEntropyWithLogits({ labels: v, logits: v }),
        clip: clipByValue(v, 2, 3),
        gclip: clipByGlobalNorm([v], 1)[0][0]!,
        check: checkNumerics(v, 'msg'),
        zerosLike: zerosLike(v),
        shape: shape(v),
        withDeps: withDependencies([v], constant(1)),
        mse: losses.meanSquaredError(v, v),
        relu: relu(v),
        oneHot: oneHot(idx, 2),
        expand: expandDims(v, 0),
        tile: tile(v, [1, 2]),
        maxi: maximum(v, 2),
        tuple: tuple([v, null], { controlInputs: [v] })[0]!,
        init: globalVariablesInitializer(),
      };
    });
    sess.run(out.init);
    const { init: _, ...fetches } = out;
    const got = sess.run(fetches);
    expect(got.add.toArray()).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(got.mm.toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(got.sum.item()).toBe(10);
    expect(got.gather.toArray()).toEqual([
      [3, 4],
      [1, 2],
    ]);
    expect(got.where.toArray()).toEqual([
      [-1, -2],
      [3, 4],
    ]);
    expect(got.conv.toArray()).toEqual([
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ]);
    expect(got.clip.toArray()).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(got.oneHot.toArray()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(got.mse.item()).toBe(0);
    expect(got.tuple.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const g2 = build(() => {
      const v = variable(1);
      return { v, grp: group(v), sum: addN([v, v]) };
    });
    g2.sess.run(g2.g.asDefault(() => globalVariablesInitializer()));
    expect(g2.sess.run(g2.out.sum).item()).toBe(2);
    expect(g2.sess.run(g2.out.v).item()).toBe(1);
  });
});

describe('§2 Session', () => {
  it('constructor (sync) vs Session.create (async); default graph when omitted', async () => {
    const s1 = new Session();
    expect(s1).toBeInstanceOf(Session);
    const s2 = new Session(new Graph(), { backend: 'cpu' });
    const p = Session.create();
    expect(p).toBeInstanceOf(Promise);
    const s3 = await p;
    expect(s3).toBeInstanceOf(Session);
    const s4 = await Session.create(new Graph(), { backend: 'cpu' });
    expectTypeOf(Session.create).returns.toEqualTypeOf<Promise<Session>>();
    for (const s of [s1, s2, s3, s4]) s.close();
  });

  it('runs on the wasm backend too', async () => {
    const g = new Graph();
    const y = g.asDefault(() => matMul(constant([[1, 2]]), constant([[3], [4]])));
    const sess = await Session.create(g, { backend: 'wasm' });
    expect(sess.run(y).toArray()).toEqual([[11]]);
    sess.close();
  });

  it('accepts the three feed forms; record keys are tensor names', () => {
    const { sess, out } = build(() => {
      const x = placeholder('float32', [2], { name: 'x' });
      const y = placeholder('float32', [], { name: 'y' });
      return { x, y, z: mul(x, y) };
    });
    const { x, z } = out;
    expect(
      sess
        .run(
          z,
          new Map<Tensor | string, TensorLike>([
            [x, [1, 2]],
            ['y:0', 3],
          ]),
        )
        .toArray(),
    ).toEqual([3, 6]);
    expect(
      sess
        .run(z, [
          [x, [1, 2]],
          ['y:0', 2],
        ])
        .toArray(),
    ).toEqual([2, 4]);
    expect(sess.run(z, { 'x:0': [1, 2], 'y:0': 4 }).toArray()).toEqual([4, 8]);
    expect(
      sess.run(z, { 'x:0': new NDArray('float32', [2], Float32Array.of(1, 1)), 'y:0': 5 }).toArray(),
    ).toEqual([5, 5]);
    const feeds: FeedDict = { 'x:0': Float32Array.of(1, 2), 'y:0': 1 };
    expect(sess.run(z, feeds).toArray()).toEqual([1, 2]);
  });

  it('mirrors nested fetch structures; Operations give null; statically typed FetchResult', () => {
    const { sess, out } = build(() => {
      const a = constant(1, { name: 'a' });
      const v = variable(2, { name: 'v' });
      const op = noOp({ name: 'op' });
      return { a, v, op };
    });
    const { a, v, op } = out;
    sess.run(out.v.initializer);
    const r1 = sess.run(a);
    expectTypeOf(r1).toEqualTypeOf<NDArray>();
    const r2 = sess.run(op);
    expectTypeOf(r2).toEqualTypeOf<null>();
    expect(r2).toBeNull();
    const r3 = sess.run(v);
    expectTypeOf(r3).toEqualTypeOf<NDArray>();
    expect(r3.item()).toBe(2);
    const r4 = sess.run([a, op, v]);
    expectTypeOf(r4).toEqualTypeOf<[NDArray, null, NDArray]>();
    expect(r4[0].item()).toBe(1);
    expect(r4[1]).toBeNull();
    const r5 = sess.run({ x: a, y: [op, { z: v }] });
    expectTypeOf(r5).toEqualTypeOf<{ x: NDArray; y: [null, { z: NDArray }] }>();
    expect(r5.x.item()).toBe(1);
    expect(r5.y[0]).toBeNull();
    expect(r5.y[1].z.item()).toBe(2);
    const r6 = sess.run(['a:0', 'op']);
    expect(r6[0]!.item()).toBe(1);
    expect(r6[1]).toBeNull();
    const list: Tensor[] = [a, a];
    const r7 = sess.run(list);
    expectTypeOf(r7).toEqualTypeOf<NDArray[]>();
    expectTypeOf<FetchResult<Operation>>().toEqualTypeOf<null>();
    expectTypeOf<FetchResult<Tensor>>().toEqualTypeOf<NDArray>();
    expectTypeOf<FetchResult<Variable>>().toEqualTypeOf<NDArray>();
    expectTypeOf<Tensor>().toMatchTypeOf<Fetch>();
    expectTypeOf<Variable>().toMatchTypeOf<Fetch>();
    expectTypeOf<Operation>().toMatchTypeOf<Fetch>();
    expectTypeOf<string>().toMatchTypeOf<Fetch>();
    expectTypeOf<{ a: Tensor[] }>().toMatchTypeOf<Fetches>();
  });

  it('NDArray is a plain owned value: dtype, shape, data, item(), toArray()', () => {
    const { sess, out } = build(() => ({
      f: constant([[1.5, 2]]),
      i: constant(7, { dtype: 'int32' }),
      b: constant([true, false]),
      s: constant(['a', 'bc']),
    }));
    const got = sess.run(out);
    expect(got.f).toBeInstanceOf(NDArray);
    expect(got.f.dtype).toBe('float32');
    expect(got.f.shape).toEqual([1, 2]);
    expect(Array.isArray(got.f.shape)).toBe(true);
    expect(got.f.data).toBeInstanceOf(Float32Array);
    expect(got.f.toArray()).toEqual([[1.5, 2]]);
    expect(got.i.data).toBeInstanceOf(Int32Array);
    expect(got.i.item()).toBe(7);
    expect(got.b.toArray()).toEqual([true, false]);
    expect(got.s.data).toEqual(['a', 'bc']);
    expect(got.s.toArray()).toEqual(['a', 'bc']);
    expect(() => got.f.item()).toThrow();
    const item: number | boolean | string = got.i.item();
    expect(item).toBe(7);
  });

  it('feeds any tensor; feeds are checked; an unfed placeholder is an InvalidArgumentError naming it, its dtype and shape', () => {
    const { sess, out } = build(() => {
      const x = placeholder('float32', [null, 3], { name: 'inputs' });
      const c = constant(2, { name: 'c' });
      return { x, c, y: mul(x, c), z: add(c, 1) };
    });
    expect(sess.run(out.z, [[out.c, 10]]).item()).toBe(11);
    expect(sess.run(out.c, [[out.c, 10]]).item()).toBe(10);
    expect(() => sess.run(out.y)).toThrow(InvalidArgumentError);
    try {
      sess.run(out.y);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/inputs/);
      expect(msg).toMatch(/float/);
      expect(msg).toMatch(/\?,\s?3|null,\s?3|-1,\s?3/);
    }
    expect(() => sess.run(out.y, [[out.x, [1, 2]]])).toThrow(/shape/);
    expect(() => sess.run(out.y, [[out.x, [['a', 'b', 'c']]]])).toThrow();
  });

  it('runs each op at most once per run; a tensor fetched twice is computed once', () => {
    const { sess, out } = build(() => {
      const v = variable(0);
      const inc = v.assignAdd(1);
      return { v, inc, r: randomUniform([4]) };
    });
    sess.run(out.v.initializer);
    const [a, b, c] = sess.run([out.inc, out.inc, add(out.inc, 0)]);
    expect(a.item()).toBe(1);
    expect(b.item()).toBe(1);
    expect(c!.item()).toBe(1);
    expect(sess.run(out.v).item()).toBe(1);
    const [r1, r2] = sess.run([out.r, out.r]);
    expect(Array.from(r1.data as Float32Array)).toEqual(Array.from(r2.data as Float32Array));
  });

  it('uninitialized variable reads fail with FailedPreconditionError naming it; failed runs are atomic', () => {
    const { g, sess, out } = build(() => {
      const v = variable(1, { name: 'my_var' });
      const bad = checkNumerics(div(v, 0), 'boom');
      return { v, inc: v.assignAdd(1), bad };
    });
    expect(() => sess.run(out.v)).toThrow(FailedPreconditionError);
    expect(() => sess.run(out.v)).toThrow(/my_var/);
    sess.run(out.v.initializer);
    const step = g.asDefault(() => withDependencies([out.inc], out.bad));
    expect(() => sess.run(step)).toThrow(InvalidArgumentError);
    expect(sess.run(out.v).item()).toBe(1);
  });

  it('RunOptions.runMetadata is filled with per-op step stats', () => {
    const { sess, out } = build(() => add(constant(1, { name: 'one' }), 2, { name: 'sum' }));
    const md = new RunMetadata();
    sess.run(out, undefined, { runMetadata: md });
    expect(md.stepStats.map((s) => s.nodeName)).toContain('sum');
  });

  it('close() frees the session; later runs throw', () => {
    const { sess, out } = build(() => constant(1));
    expect(sess.run(out).item()).toBe(1);
    sess.close();
    expect(() => sess.run(out)).toThrow();
  });
});

describe('§2 errors', () => {
  it('are exported as `errors` and individually, with the documented hierarchy', () => {
    const subclasses = {
      InvalidArgumentError,
      FailedPreconditionError,
      NotFoundError,
      OutOfRangeError,
      UnimplementedError,
      CancelledError,
    };
    for (const [name, C] of Object.entries(subclasses)) {
      expect(errors[name as keyof typeof errors], name).toBe(C);
      const e = new C('msg');
      expect(e).toBeInstanceOf(OpError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.message).toContain('msg');
      expect(e.op).toBeNull();
    }
    expect(errors.OpError).toBe(OpError);
    expect(errors.ValueError).toBe(ValueError);
    expect(errors.TypeError).toBe(TypeError);
    expect(G.errors).toBe(errors);
    for (const C of [ValueError, TypeError]) {
      const e = new C('m');
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(OpError);
    }
    expect(new ValueError('m')).not.toBeInstanceOf(TypeError);
  });

  it('an OpError from a run has `op` and the op’s creation site', () => {
    const { sess, out } = build(() => checkNumerics(constant(Number.NaN), 'nan here', { name: 'guard' }));
    let caught: unknown;
    try {
      sess.run(out);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const err = caught as OpError;
    expect(err.op).toBe(out.op);
    expect(err.op!.name).toBe('guard');
    expect(err.message).toContain('api_contract_graph.test.ts');
  });
});
