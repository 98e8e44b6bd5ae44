// GraphDef export of control flow, as TF 1.15 writes it: cond's If and whileLoop's While with
// their bodies as FunctionDefs in the library (arguments by name, body tensors as
// `node:output_arg:index`, TF's func and type attrs), mapFn/scan's per-row reads and stacked
// results as TensorList ops; and the way back: decode → import gives the same values and the
// same gradients (checked against closed forms).
import '@graphmode/autodiff';
import { gradients as grads } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { powerLoop } from '../../control_helpers.js';
import { condInWhile } from '../../fixtures/models.js';
import { TF115_OP_ATTRS } from '../../fixtures/tf115_op_attrs.js';
import { TF115_OP_OUTPUTS } from '../../fixtures/tf115_op_outputs.js';

/** Dense gradients (these graphs have no sparse ones). */
const gradients = (y: g.Tensor, x: g.Tensor): g.Tensor[] => grads(y, x) as g.Tensor[];

type Build = () => { feeds: [string, g.NDArray][]; fetches: g.Tensor[] };

/** Runs `fetches` in `graph`, and the same tensors (by name) in a decode → import of its GraphDef. */
function roundTrip(build: Build) {
  const graph = new g.Graph();
  // Fetched through named Identities: a While's stacked outputs are other tensors in TF's form.
  const { feeds, fetches } = graph.asDefault(() => {
    const b = build();
    return { ...b, fetches: b.fetches.map((t, i) => g.identity(t, { name: `fetch${i}` })) };
  });
  const sess = new g.Session(graph);
  const want = sess.run(
    fetches,
    feeds.map(([n, v]) => [graph.getTensorByName(n), v]),
  );
  const def = g.decodeGraphDef(g.encodeGraphDef(graph));
  const copy = new g.Graph();
  copy.asDefault(() => g.importGraphDef(def, { name: '' }));
  const copySess = new g.Session(copy);
  const got = copySess.run(
    fetches.map((t) => copy.getTensorByName(t.name)),
    feeds.map(([n, v]) => [copy.getTensorByName(n), v]),
  );
  sess.close();
  copySess.close();
  return { def, want, got, copy };
}

/**
 * Every TensorList node has exactly TF's attrs, and every body input `node:arg:index` names one of
 * TF's output args of that node's op (the registry facts in the fixtures).
 */
function checkTfNaming(def: g.GraphDef): void {
  const all = [...def.node, ...def.library!.function.flatMap((f) => f.nodeDef)];
  for (const n of all.filter((x) => x.op.startsWith('TensorList') || x.op === 'EmptyTensorList'))
    expect(Object.keys(n.attr).sort(), n.op).toEqual(Object.keys(TF115_OP_ATTRS[n.op]!).sort());
  for (const f of def.library!.function) {
    const ops = new Map(f.nodeDef.map((n) => [n.name, n.op]));
    // One namespace for args and body nodes (TF's function instantiation).
    for (const a of f.signature.inputArg)
      expect(ops.has(a.name), `${f.signature.name}: ${a.name}`).toBe(false);
    const refs = [...f.nodeDef.flatMap((n) => n.input), ...Object.values(f.ret)];
    for (const ref of refs.filter((r) => !r.startsWith('^') && r.includes(':'))) {
      const [node, arg] = ref.split(':');
      const args = TF115_OP_OUTPUTS[ops.get(node!)!]!.map((a) => (typeof a === 'string' ? a : a.list));
      expect(args, `${f.signature.name}: ${ref}`).toContain(arg);
    }
  }
}

const values = (a: g.NDArray) => Array.from(a.data as Float32Array);
const scalar = (v: number) => new g.NDArray('float32', [], Float32Array.of(v));

describe('GraphDef export of cond', () => {
  it('writes the branches as FunctionDefs with TF naming and the If attrs', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [], { name: 'x' });
      const k = g.constant(3, { name: 'k' });
      g.cond(
        g.less(x, 0),
        () => g.neg(x),
        () => g.mul(x, k),
      );
    });
    const def = g.decodeGraphDef(g.encodeGraphDef(graph));
    const node = def.node.find((n) => n.op === 'StatelessIf')!;
    expect(node.input).toEqual(['Less', 'x', 'k']);
    expect(node.attr.Tcond!.value).toBe('bool');
    expect(node.attr.Tin!.value).toEqual(['float32', 'float32']);
    expect(node.attr.Tout!.value).toEqual(['float32']);
    const [t, f] = def.library!.function;
    expect(node.attr.then_branch!.value).toBe(t!.signature.name);
    expect(node.attr.else_branch!.value).toBe(f!.signature.name);
    // Both branches take the If's inputs (after cond), by argument name.
    expect(t!.signature.inputArg).toEqual(f!.signature.inputArg);
    expect(f!.signature.inputArg.map((a) => a.type)).toEqual(['float32', 'float32']);
    const mul = f!.nodeDef.find((n) => n.op === 'Mul')!;
    expect(mul.input).toEqual(f!.signature.inputArg.map((a) => a.name));
    // Outputs name a body tensor by its op's TF output arg: Mul's `z`, Neg's `y`.
    expect(Object.values(f!.ret)).toEqual(['cond/Mul:z:0']);
    expect(Object.values(t!.ret)).toEqual(['cond/Neg:y:0']);
    expect(def.versions).toEqual({ producer: 134, minConsumer: 0 });
  });

  it('round-trips to the same values and gradients (d/dx of -x or 3x)', () => {
    for (const v of [-2, 5]) {
      const { want, got } = roundTrip(() => {
        const x = g.placeholder('float32', [], { name: 'x' });
        const y = g.cond(
          g.less(x, 0),
          () => g.neg(x),
          () => g.mul(x, 3),
        );
        const [dx] = gradients(y, x);
        return { feeds: [['x:0', scalar(v)]], fetches: [y, dx!] };
      });
      expect(got.map(values)).toEqual(want.map(values));
      expect(values(got[1]!)).toEqual([v < 0 ? -1 : 3]);
    }
  });

  it('imports a graph without gradients, whose gradients then build and match the closed form', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [], { name: 'x' });
      g.identity(
        g.cond(
          g.greater(x, 1),
          () => g.mul(x, x),
          () => g.sin(x),
        ),
        { name: 'y' },
      );
    });
    const copy = new g.Graph();
    const [dx, x] = copy.asDefault(() => {
      const [y, x] = g.importGraphDef(g.encodeGraphDef(graph), {
        returnElements: ['y:0', 'x:0'],
      }) as g.Tensor[];
      return [gradients(y!, x!)[0]!, x!];
    });
    const sess = new g.Session(copy);
    expect(values(sess.run(dx, [[x, scalar(3)]]))).toEqual([6]);
    expect(values(sess.run(dx, [[x, scalar(0.5)]]))[0]).toBeCloseTo(Math.cos(0.5), 6);
    sess.close();
  });
});

describe('GraphDef export of a stateful cond with gradients', () => {
  it('writes the dropout mask the gradient saves as more If outputs, and the import keeps gradient = y/x', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [6], { name: 'x' });
      const training = g.placeholder('bool', [], { name: 'training' });
      const y = g.identity(
        g.cond(
          training,
          () => g.dropout(x, { rate: 0.5, seed: 3 }),
          () => x,
        ),
        { name: 'y' },
      );
      g.identity(gradients(g.reduceSum(y), x)[0]!, { name: 'dx' });
    });
    const def = g.decodeGraphDef(g.encodeGraphDef(graph));
    const node = def.node.find((n) => n.op === 'If')!;
    expect((node.attr.Tout!.value as string[]).length).toBeGreaterThan(1);
    const copy = new g.Graph();
    copy.asDefault(() => g.importGraphDef(def, { name: '' }));
    const sess = new g.Session(copy);
    const x = new g.NDArray('float32', [6], Float32Array.of(1, 2, 3, 4, 5, 6));
    const on = new g.NDArray('bool', [], Uint8Array.of(1));
    const t = (n: string) => copy.getTensorByName(n);
    const [y, dx] = sess.run(
      [t('y:0'), t('dx:0')],
      [
        [t('x:0'), x],
        [t('training:0'), on],
      ],
    );
    // Each kept element is x/(1-rate), each dropped one 0; the gradient is the same mask / (1-rate).
    values(y!).forEach((v, i) => expect([0, 2 * (i + 1)]).toContain(v));
    expect(values(dx!)).toEqual(values(y!).map((v, i) => v / (i + 1)));
    const off = new g.NDArray('bool', [], Uint8Array.of(0));
    expect(
      values(
        sess.run(t('dx:0'), [
          [t('x:0'), x],
          [t('training:0'), off],
        ]),
      ),
    ).toEqual([1, 1, 1, 1, 1, 1]);
    sess.close();
  });
});

describe('GraphDef export of whileLoop', () => {
  const power: Build = () => {
    const x = g.placeholder('float32', [], { name: 'x' });
    const n = g.placeholder('int32', [], { name: 'n' });
    const p = powerLoop(x, n);
    const [dx] = gradients(p, x);
    return {
      feeds: [
        ['x:0', scalar(1.5)],
        ['n:0', new g.NDArray('int32', [], Int32Array.of(4))],
      ],
      fetches: [p, dx!],
    };
  };

  it('writes cond and body taking one loop-variable list T, body returning it', () => {
    const { def } = roundTrip(power);
    const w = def.node.find((n) => n.op === 'StatelessWhile' && n.name === 'while')!;
    const T = w.attr.T!.value as string[];
    expect(T.slice(0, 2)).toEqual(['int32', 'float32']);
    const fns = new Map(def.library!.function.map((f) => [f.signature.name, f]));
    const cond = fns.get(w.attr.cond!.value as string)!;
    const body = fns.get(w.attr.body!.value as string)!;
    expect(cond.signature.inputArg.map((a) => a.type)).toEqual(T);
    expect(body.signature.inputArg.map((a) => a.type)).toEqual(T);
    expect(body.signature.outputArg.map((a) => a.type)).toEqual(T);
    expect(cond.signature.outputArg.map((a) => a.type)).toEqual(['bool']);
    expect(w.attr.parallel_iterations!.value).toBe(10);
    expect((w.attr.output_shapes!.value as unknown[]).length).toBe(T.length);
  });

  it('round-trips x^n and its gradient n·x^(n-1), the gradient loop included', () => {
    const { want, got, def } = roundTrip(power);
    expect(got.map(values)).toEqual(want.map(values));
    expect(values(got[0]!)[0]).toBeCloseTo(1.5 ** 4, 5);
    expect(values(got[1]!)[0]).toBeCloseTo(4 * 1.5 ** 3, 5);
    // The forward loop's history for the gradient is accumulated in TensorLists (TF's while_v2).
    expect(def.node.some((n) => n.op === 'EmptyTensorList')).toBe(true);
  });

  it('round-trips a loop drawing dropout masks, with the saved masks as TensorLists (gradient = y/x)', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [8], { name: 'x' });
      const [, y] = g.whileLoop(
        (i: g.Tensor) => g.less(i, 2),
        (i: g.Tensor, acc: g.Tensor) => [g.add(i, 1), g.dropout(acc, { rate: 0.25, seed: 5 })],
        [g.constant(0, { dtype: 'int32' }), x],
      ) as g.Tensor[];
      g.identity(y!, { name: 'y' });
      g.identity(gradients(g.reduceSum(y!), x)[0]!, { name: 'dx' });
    });
    const def = g.decodeGraphDef(g.encodeGraphDef(graph));
    expect(
      def.node.filter((n) => n.op === 'TensorListPushBack' || n.op === 'EmptyTensorList').length,
    ).toBeGreaterThan(0);
    const copy = new g.Graph();
    copy.asDefault(() => g.importGraphDef(def, { name: '' }));
    const sess = new g.Session(copy);
    const t = (n: string) => copy.getTensorByName(n);
    const x = new g.NDArray(
      'float32',
      [8],
      Float32Array.from({ length: 8 }, (_, i) => i + 1),
    );
    const [y, dx] = sess.run([t('y:0'), t('dx:0')], [[t('x:0'), x]]);
    expect(values(y!).some((v) => v !== 0)).toBe(true);
    values(dx!).forEach((d, i) => expect(d).toBeCloseTo(values(y!)[i]! / (i + 1), 5));
    sess.close();
  });

  it('round-trips a cond nested in a whileLoop body', () => {
    const { want, got, def } = roundTrip(() => {
      const x = g.placeholder('float32', [3], { name: 'x' });
      const s = condInWhile(x);
      const [dx] = gradients(g.reduceSum(s), x);
      return {
        feeds: [['x:0', new g.NDArray('float32', [3], Float32Array.of(1, -2, 4))]],
        fetches: [s, dx!],
      };
    });
    expect(got.map(values)).toEqual(want.map(values));
    checkTfNaming(def);
    // acc: +x, ·½, +x, ·½, +x → x·(¼ + ½ + 1) = 1.75x; d/dx sum = 1.75
    values(got[0]!).forEach((v, i) => expect(v).toBeCloseTo(1.75 * [1, -2, 4][i]!, 6));
    expect(values(got[1]!)).toEqual([1.75, 1.75, 1.75]);
    const body = def.library!.function.find((f) => f.nodeDef.some((n) => n.op === 'StatelessIf'))!;
    const inner = body.nodeDef.find((n) => n.op === 'StatelessIf')!;
    expect(def.library!.function.map((f) => f.signature.name)).toContain(inner.attr.then_branch!.value);
  });
});

describe("GraphDef export of mapFn / scan (While's sliced and stacked slots as TensorLists)", () => {
  it('reads rows with TensorListFromTensor / GetItem and stacks with Reserve / SetItem / Stack', () => {
    const { want, got, def } = roundTrip(() => {
      const x = g.placeholder('float32', [4, 2], { name: 'x' });
      const m = g.mapFn((r: g.Tensor) => g.mul(r, r), x) as g.Tensor;
      const s = g.scan((a: g.Tensor, r: g.Tensor) => g.add(a, r), m, { reverse: true }) as g.Tensor;
      const [dx] = gradients(g.reduceSum(s), x);
      return {
        feeds: [['x:0', new g.NDArray('float32', [4, 2], Float32Array.of(1, 2, 3, 4, -1, -2, 0.5, 0.25))]],
        fetches: [m, s, dx!],
      };
    });
    got.forEach((v, i) => expect(values(v), `fetch ${i}`).toEqual(values(want[i]!)));
    // reversed cumulative sums of squares; d/dx_i = 2·x_i·(i + 1)
    expect(values(got[2]!)).toEqual([2, 4, 12, 16, -6, -12, 4, 2]);
    const ops = def.node.map((n) => n.op);
    for (const op of ['TensorListFromTensor', 'TensorListReserve', 'TensorListStack'])
      expect(ops).toContain(op);
    const reserve = def.node.find((n) => n.op === 'TensorListReserve')!;
    expect(Object.keys(reserve.attr).sort()).toEqual(['element_dtype', 'shape_type']);
    const stack = def.node.find((n) => n.op === 'TensorListStack')!;
    expect(stack.attr.element_dtype!.value).toBe('float32');
    expect(stack.attr.num_elements!.value).toBe(4);
    checkTfNaming(def);
    const body = def.library!.function.find((f) => f.nodeDef.some((n) => n.op === 'TensorListSetItem'))!;
    const get = body.nodeDef.find((n) => n.op === 'TensorListGetItem')!;
    expect(get.attr.element_dtype!.value).toBe('float32');
    expect(body.signature.inputArg.some((a) => a.type === 'variant')).toBe(true);
  });

  it('round-trips a mapFn inside a cond branch (TensorLists inside a function)', () => {
    const { want, got } = roundTrip(() => {
      const x = g.placeholder('float32', [3, 2], { name: 'x' });
      const y = g.cond(
        g.greater(g.reduceSum(x), 0),
        () => g.mapFn((r: g.Tensor) => g.reduceSum(g.mul(r, r)), x) as g.Tensor,
        () => g.reduceSum(x, 1),
      );
      return {
        feeds: [['x:0', new g.NDArray('float32', [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6))]],
        fetches: [y],
      };
    });
    expect(got.map(values)).toEqual(want.map(values));
    expect(values(got[0]!)).toEqual([5, 25, 61]);
  });

  it('round-trips a dynamicRnn LSTM frozen for inference', () => {
    const graph = new g.Graph();
    const [x, out] = graph.asDefault(() => {
      const x = g.placeholder('float32', [2, 3, 4], { name: 'x' });
      const cell = new g.nn.rnnCell.BasicLSTMCell(5);
      const [out] = g.nn.dynamicRnn(cell, x, { dtype: 'float32' });
      return [x, g.identity(out as g.Tensor, { name: 'out' })];
    });
    const sess = new g.Session(graph);
    sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
    const feed = new g.NDArray(
      'float32',
      [2, 3, 4],
      Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
    );
    const want = sess.run(out!, [[x!, feed]]);
    const frozen = g.convertVariablesToConstants(sess, graph, ['out']);
    const copy = new g.Graph();
    const [y, xi] = copy.asDefault(
      () => g.importGraphDef(g.encodeGraphDef(frozen), { returnElements: ['out:0', 'x:0'] }) as g.Tensor[],
    );
    const copySess = new g.Session(copy);
    expect(values(copySess.run(y!, [[xi!, feed]]))).toEqual(values(want));
    sess.close();
    copySess.close();
  });
});

describe('GraphDef export of bodies using variables', () => {
  it('passes a variable read in a body as an extra argument; an assignment in a body is an UnimplementedError', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const v = g.variable(g.constant(2), { name: 'cond/mul' });
      const x = g.placeholder('float32', [], { name: 'x' });
      g.identity(
        g.cond(
          g.less(x, 0),
          () => g.mul(x, v.read(), { name: 'mul' }),
          () => x,
        ),
        { name: 'y' },
      );
    });
    const def = g.decodeGraphDef(g.encodeGraphDef(graph));
    const node = def.node.find((n) => n.op === 'StatelessIf' || n.op === 'If')!;
    expect(node.input).toContain('cond/mul');
    // The variable's argument is TF-normalized ('cond/mul' → 'cond_mul'), distinct from body nodes.
    checkTfNaming(def);
    const branch = def.library!.function.find((f) => f.nodeDef.some((n) => n.name === 'cond/mul'))!;
    expect(branch.signature.inputArg.map((a) => a.name)).toContain('cond_mul');
    const bad = new g.Graph();
    bad.asDefault(() => {
      const v = g.variable(g.constant(2), { name: 'v' });
      const x = g.placeholder('float32', [], { name: 'x' });
      g.cond(
        g.less(x, 0),
        () => g.identity(v.assignAdd(1)),
        () => x,
      );
    });
    expect(() => g.encodeGraphDef(bad)).toThrow(g.UnimplementedError);
    expect(() => g.encodeGraphDef(bad)).toThrow(/ref variable/);
    // TensorBoard's view (function names only) still writes it.
    const names = g.decodeGraphDef(g.encodeGraphDef(bad, { functionsByName: true }));
    expect(names.node.find((n) => n.op === 'If')!.attr.then_branch!.value).toMatch(/^cond_true_\d+$/);
  });
});
