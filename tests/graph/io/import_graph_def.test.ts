// tf.import_graph_def, extract_sub_graph and convert_variables_to_constants semantics, and the
// round trip export → decode → import giving the values Session.run gave on the original graph.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';
import { convnet, mlp } from '../../fixtures/models.js';

function small(): g.Graph {
  const graph = new g.Graph();
  graph.asDefault(() => {
    const x = g.placeholder('float32', [null, 2], { name: 'x' });
    const w = g.constant(
      [
        [1, 2],
        [3, 4],
      ],
      { name: 'w' },
    );
    const y = g.matMul(x, w, { name: 'y' });
    g.identity(g.mul(y, 2), { name: 'z' });
    g.controlDependencies([y], () => g.noOp({ name: 'after' }));
  });
  return graph;
}

describe('importGraphDef', () => {
  it("imports under 'import/', uniquified, and returns the named ops and tensors", () => {
    const bytes = g.encodeGraphDef(small());
    const target = new g.Graph();
    target.asDefault(() => {
      const [y, zOp] = g.importGraphDef(bytes, { returnElements: ['y:0', 'z'] });
      expect((y as g.Tensor).name).toBe('import/y:0');
      expect((zOp as g.Operation).name).toBe('import/z');
      const [y2] = g.importGraphDef(bytes, { returnElements: ['y:0'] });
      expect((y2 as g.Tensor).name).toBe('import_1/y:0');
      const [y3] = g.importGraphDef(bytes, { name: 'net', returnElements: ['y'] });
      expect((y3 as g.Operation).name).toBe('net/y');
    });
    // The control input of 'after' survives.
    const after = target.getOperationByName('import/after')!;
    expect(after.controlInputs.map((o) => o.name)).toEqual(['import/y']);
  });

  it('remaps inputs through inputMap and computes with them', () => {
    const target = new g.Graph();
    const [z, feed] = target.asDefault(() => {
      const feed = g.constant([[1, 1]], { name: 'ones' });
      const [z] = g.importGraphDef(small().asGraphDef(), { inputMap: { x: feed }, returnElements: ['z:0'] });
      return [z as g.Tensor, feed];
    });
    expect(z.op.inputs[0]!.op.inputs[0]!.op.inputs[0]).toBe(feed);
    const sess = new g.Session(target);
    expect(sess.run(z).toArray()).toEqual([[8, 12]]);
    sess.close();
  });

  it('makes root ops wait for the surrounding controlDependencies, as TF does', () => {
    const target = new g.Graph();
    target.asDefault(() => {
      const first = g.noOp({ name: 'first' });
      g.controlDependencies([first], () => g.importGraphDef(small().asGraphDef()));
    });
    const deps = (n: string) => target.getOperationByName(`import/${n}`).controlInputs.map((o) => o.name);
    expect(deps('x')).toEqual(['first']);
    expect(deps('w')).toEqual(['first']);
    expect(deps('y')).toEqual([]); // its inputs already wait
  });

  it("keeps colocation: TF's _class attr names the imported op", () => {
    const source = new g.Graph();
    source.asDefault(() => {
      const v = g.variable([1, 2], { name: 'v' });
      g.colocateWith(v.op, () => g.identity(v.value(), { name: 'near' }));
    });
    const target = new g.Graph();
    target.asDefault(() => g.importGraphDef(source.asGraphDef()));
    expect(target.getOperationByName('import/near').colocationGroups).toEqual(['loc:@import/v']);
  });

  it("skips nodes whose every use is mapped with skipMappedNodes (TF's skip_mapped_nodes)", () => {
    const target = new g.Graph();
    target.asDefault(() => {
      const w = g.constant(
        [
          [0, 1],
          [1, 0],
        ],
        { name: 'w' },
      );
      g.importGraphDef(small().asGraphDef(), { inputMap: { w }, skipMappedNodes: true });
      g.importGraphDef(small().asGraphDef(), { inputMap: { w } });
    });
    expect(
      target
        .getOperations()
        .filter((o) => o.name.endsWith('/w'))
        .map((o) => o.name),
    ).toEqual(['import_1/w']);
  });

  it('accepts nodes in any order', () => {
    const def = small().asGraphDef();
    const target = new g.Graph();
    const [y] = target.asDefault(() =>
      g.importGraphDef({ ...def, node: [...def.node].reverse() }, { returnElements: ['y:0'] }),
    );
    const sess = new g.Session(target);
    expect(sess.run(y as g.Tensor, [['import/x:0', [[1, 0]]]]).toArray()).toEqual([[1, 2]]);
    sess.close();
  });

  it("is a NotFoundError naming an unknown op type, with TF's text", () => {
    const def = small().asGraphDef();
    const bad = { ...def, node: [...def.node, { ...def.node[0]!, name: 'f', op: 'FooBar' }] };
    const target = new g.Graph();
    target.asDefault(() => {
      expect(() => g.importGraphDef(bad)).toThrow(g.NotFoundError);
      expect(() => g.importGraphDef(bad)).toThrow("Op type not registered 'FooBar' in binary");
    });
  });

  it("is a NotFoundError for a node calling a function the GraphDef's library lacks", () => {
    const node = { name: 'if', op: 'StatelessIf', input: [], device: '', outputShapes: [] };
    const attr = {
      then_branch: { type: 'func', value: 'f' },
      else_branch: { type: 'func', value: 'g' },
    } as const;
    const target = new g.Graph();
    target.asDefault(() => {
      const def = { node: [{ ...node, attr }], versions: { producer: 134 } };
      expect(() => g.importGraphDef(def)).toThrow(g.NotFoundError);
      expect(() => g.importGraphDef(def)).toThrow(/calls function 'f', which the GraphDef's library lacks/);
    });
  });

  it('names a missing input and a missing return element', () => {
    const def = small().asGraphDef();
    const target = new g.Graph();
    target.asDefault(() => {
      expect(() => g.importGraphDef({ ...def, node: def.node.slice(1) })).toThrow(
        /input 'x' that is not in the GraphDef/,
      );
      expect(() => g.importGraphDef(def, { returnElements: ['nope:0'] })).toThrow(
        /'nope:0' is not in the GraphDef/,
      );
    });
  });

  for (const [name, make] of [
    ['an MLP', mlp],
    ['a convnet with batch norm', convnet],
  ] as const) {
    it(`gives ${name}'s Session.run values after export, decode and import of its frozen graph`, () => {
      const m = make();
      const want = m.sess.run(m.y, [[m.x, m.input]]);
      const frozen = g.convertVariablesToConstants(m.sess, m.graph, [m.y.op.name]);
      expect(frozen.node.some((n) => n.op === 'VariableV2' || n.op === 'Assign')).toBe(false);
      const target = new g.Graph();
      const [y] = target.asDefault(() =>
        g.importGraphDef(g.decodeGraphDef(g.encodeGraphDef(frozen)), { returnElements: [m.y.name] }),
      );
      const sess = new g.Session(target);
      expect(sess.run(y as g.Tensor, [['import/x:0', m.input]])).toEqual(want);
      sess.close();
      m.sess.close();
    });
  }
});

describe('extractSubGraph', () => {
  it('keeps what the destinations reach (data and control inputs), in the original order', () => {
    const def = small().asGraphDef();
    expect(g.extractSubGraph(def, ['y']).node.map((n) => n.name)).toEqual(['x', 'w', 'y']);
    expect(g.extractSubGraph(def, ['z']).node.map((n) => n.name)).toEqual([
      'x',
      'w',
      'y',
      'Mul/y',
      'Mul',
      'z',
    ]);
    expect(g.extractSubGraph(def, ['after']).node.map((n) => n.name)).toEqual(['x', 'w', 'y', 'after']);
    expect(g.extractSubGraph(def, ['z']).versions).toEqual(def.versions);
  });
  it("names a destination that is not in the graph, as TF's assertion does", () => {
    expect(() => g.extractSubGraph(small().asGraphDef(), ['q'])).toThrow('q is not in graph');
    expect(() => g.extractSubGraph(small().asGraphDef(), 'y' as unknown as string[])).toThrow(g.TypeError);
  });
});

describe('convertVariablesToConstants', () => {
  it('replaces the variables the outputs need by Consts of their session values', () => {
    const graph = new g.Graph();
    const [v] = graph.asDefault(() => {
      const v = g.variable([[1, 2]], { name: 'v' });
      const unused = g.variable([3], { name: 'unused' });
      g.identity(unused.value(), { name: 'other' });
      return [v, g.mul(v.value(), 3, { name: 'out' })] as const;
    });
    const sess = new g.Session(graph);
    sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
    sess.run(graph.asDefault(() => v.assign([[5, 6]])));
    const frozen = g.convertVariablesToConstants(sess, graph, ['out']);
    expect(frozen.node.map((n) => [n.name, n.op])).toEqual([
      ['v', 'Const'],
      ['v/read', 'Identity'],
      ['out/y', 'Const'],
      ['out', 'Mul'],
    ]);
    const c = frozen.node[0]!;
    expect(c.attr.dtype).toEqual({ type: 'type', value: 'float32' });
    expect((c.attr.value!.value as g.NDArray).toArray()).toEqual([[5, 6]]);
    sess.close();
  });
});
