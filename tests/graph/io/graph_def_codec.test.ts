// The TensorBoard GraphDef writer takes attr names, TF types and values from the op definitions'
// TF attr schemas; AttrValue is a oneof, so 0 / false / '' values are written, not skipped.
import { readFileSync } from 'node:fs';
import * as g from '@graphmode/graph';
import { encodeMessage } from '@graphmode/graph/proto';
import { describe, expect, it } from 'vitest';

import { controlFlowGraph, smallGraph } from '../../fixtures/graph_def/small_graph.js';
import { decodeFields, fieldFloat, fieldInts, fieldString, type ProtoField } from '../../wire.js';

type Attr = ProtoField[];
/** NodeDefs as { name: { op, attr: { key: AttrValue fields } } }. */
function nodes(bytes: Uint8Array): Record<string, { op: string; attr: Record<string, Attr> }> {
  const out: Record<string, { op: string; attr: Record<string, Attr> }> = {};
  for (const n of decodeFields(bytes).filter((f) => f.field === 1)) {
    const fs = decodeFields(n.bytes);
    const attr: Record<string, Attr> = {};
    for (const e of fs.filter((f) => f.field === 5)) {
      const [k, v] = decodeFields(e.bytes);
      attr[fieldString(k!)] = decodeFields(v!.bytes);
    }
    out[fieldString(fs.find((f) => f.field === 1)!)] = {
      op: fieldString(fs.find((f) => f.field === 2)!),
      attr,
    };
  }
  return out;
}
const one = (a: Attr | undefined): ProtoField => {
  expect(a, 'attr present').toBeDefined();
  expect(a!.length).toBe(1);
  return a![0]!;
};

describe('encodeGraphDef', () => {
  const graph = new g.Graph();
  graph.asDefault(() => {
    const x = g.placeholder('float32', [null, 3], { name: 'x' });
    const w = g.constant([[1], [2], [3]], { name: 'w' });
    g.matMul(x, w, { name: 'mm' });
    g.cast(x, 'int32', { name: 'c' });
    g.concat([x, x], 1, { name: 'cat' });
    g.leakyRelu(x, { alpha: 0.5, name: 'lr' });
    g.stridedSlice(x, [0], [1], [1], { name: 'ss' });
  });
  const n = nodes(g.encodeGraphDef(graph));

  it('writes type attrs from input dtypes as DataType enums', () => {
    expect(n.mm!.op).toBe('MatMul');
    expect(one(n.mm!.attr.T)).toMatchObject({ field: 6, int: 1 });
    expect(one(n.c!.attr.SrcT)).toMatchObject({ field: 6, int: 1 });
    expect(one(n.c!.attr.DstT)).toMatchObject({ field: 6, int: 3 });
    expect(one(n.cat!.attr.Tidx)).toMatchObject({ field: 6, int: 3 });
    expect(one(n.cat!.attr.N)).toMatchObject({ field: 3, int: 2 });
  });

  it('writes false and 0 values of the oneof', () => {
    expect(one(n.mm!.attr.transpose_a)).toMatchObject({ field: 5, int: 0 });
    expect(one(n.c!.attr.Truncate)).toMatchObject({ field: 5, int: 0 });
    expect(one(n.ss!.attr.begin_mask)).toMatchObject({ field: 3, int: 0 });
    expect(one(n.cat!.attr.Tidx).field).toBe(6);
  });

  it('writes floats, shapes, tensors and lists with their TF names', () => {
    expect(fieldFloat(one(n.lr!.attr.alpha))).toBe(0.5);
    const shape = decodeFields(one(n.x!.attr.shape).bytes);
    expect(shape.map((d) => decodeFields(d.bytes)[0]?.int)).toEqual([-1, 3]);
    const tensor = decodeFields(one(n.w!.attr.value).bytes);
    expect(tensor[0]).toMatchObject({ field: 1, int: 1 });
    expect(Object.keys(n.x!.attr).sort()).toEqual(['_output_shapes', 'dtype', 'shape']);
    expect(Object.keys(n.mm!.attr).sort()).toEqual(['T', '_output_shapes', 'transpose_a', 'transpose_b']);
  });

  it('writes list(int) attrs packed', () => {
    const gr = new g.Graph();
    gr.asDefault(() =>
      g.conv2d(g.placeholder('float32', [1, 4, 4, 1]), g.placeholder('float32', [2, 2, 1, 1]), {
        strides: 2,
        name: 'conv',
      }),
    );
    const conv = nodes(g.encodeGraphDef(gr)).conv!;
    expect(fieldInts(decodeFields(one(conv.attr.strides).bytes)[0]!)).toEqual([1, 2, 2, 1]);
    expect(decodeFields(one(conv.attr.explicit_paddings).bytes)).toEqual([]);
    expect(one(conv.attr.use_cudnn_on_gpu)).toMatchObject({ field: 5, int: 1 });
    expect(fieldString(one(conv.attr.data_format))).toBe('NHWC');
  });

  it("writes colocation as TF's _class attr", () => {
    const gr = new g.Graph();
    gr.asDefault(() => {
      const v = g.variable([1, 2], { name: 'v' });
      g.colocateWith(v.op, () => g.identity(v, { name: 'near' }));
    });
    const near = nodes(g.encodeGraphDef(gr)).near!;
    const list = decodeFields(one(near.attr._class).bytes);
    expect(list.map(fieldString)).toEqual(['loc:@v']);
    expect(nodes(g.encodeGraphDef(gr)).v!.attr._class).toBeUndefined();
  });

  it('writes the bytes protoc decoded with the GraphDef schema (tests/fixtures/graph_def)', () => {
    const dir = 'tests/fixtures/graph_def';
    expect(Buffer.from(g.encodeGraphDef(smallGraph())).equals(readFileSync(`${dir}/small.pb`))).toBe(true);
    // What protoc, an independent reader, found in those bytes: oneof members with zero values.
    const text = readFileSync(`${dir}/small.txt`, 'utf8');
    for (const [key, value] of [
      ['transpose_a', 'b: false'],
      ['Truncate', 'b: false'],
      ['begin_mask', 'i: 0'],
      ['keep_dims', 'b: false'],
      ['SrcT', 'type: DT_FLOAT'],
      ['DstT', 'type: DT_INT32'],
      ['alpha', 'f: 0.5'],
    ]) {
      expect(text).toMatch(new RegExp(`key: "${key}"\\s+value \\{\\s+${value}\\s`));
    }
    expect(text).toContain('input: "^mm"');
    // Constants carry their values as TF's make_tensor_proto writes them.
    expect(text).toContain('tensor_content: "\\000\\000\\200?\\000\\000\\000@\\000\\000@@"');
    expect(text).toMatch(/string_val: "a"\s+string_val: "bc"/);
    expect(text).toMatch(/bool_val: true\s+bool_val: false/);
    expect(text).toMatch(/versions \{\s+producer: 134\s+\}/);
  });

  it("writes the FunctionDef layout protoc reads with TF's field numbers (control_flow.pb)", () => {
    const dir = 'tests/fixtures/graph_def';
    expect(
      Buffer.from(g.encodeGraphDef(controlFlowGraph())).equals(readFileSync(`${dir}/control_flow.pb`)),
    ).toBe(true);
    // protoc --decode_raw, no schema: GraphDef.library = 2 → FunctionDefLibrary.function = 1 →
    // FunctionDef.signature = 1 (OpDef: name 1, input_arg 2 / output_arg 3 as ArgDef name 1,
    // type 3), node_def = 3 (NodeDef), ret = 4 (map entries: key 1, value 2); versions = 4 last.
    const raw = readFileSync(`${dir}/control_flow_raw.txt`, 'utf8');
    expect(raw).toMatch(
      /\n2 \{\n {2}1 \{\n {4}1 \{\n {6}1: "branch_true_1"\n {6}2 \{\n {8}1: "capture"\n {8}3: 1\n {6}\}\n {6}3 \{\n {8}1: "branch_mul"\n {8}3: 1\n {6}\}\n {4}\}\n {4}3 \{/,
    );
    expect(raw).toMatch(/ {4}4 \{\n {6}1: "branch_mul"\n {6}2: "branch\/Mul:z:0"\n {4}\}/);
    expect(raw).toMatch(/\n4 \{\n {2}1: 134\n\}\n$/);
    // protoc with the schema (graph.proto): the If's func attrs, the While body's TensorLists.
    const text = readFileSync(`${dir}/control_flow.txt`, 'utf8');
    expect(text).toMatch(/key: "then_branch"\s+value \{\s+func \{\s+name: "branch_true_1"/);
    expect(text).toMatch(/key: "body"\s+value \{\s+func \{\s+name: "squares_while_body_4"/);
    expect(text).toMatch(/input_arg \{\s+name: "tensor_list"\s+type: DT_VARIANT/);
    expect(text).toMatch(/op: "TensorListGetItem"\s+input: "tensor_list"\s+input: "loop_counter"/);
    expect(text).toContain('input: "TensorListGetItem:item:0"');
    expect(text).toMatch(/ret \{\s+key: "branch_neg"\s+value: "branch\/Neg:y:0"/);
  });
});

describe('decodeGraphDef', () => {
  it('reads back what encodeGraphDef wrote: nodes, TF attrs, constant values, output shapes', () => {
    const graph = smallGraph();
    const back = g.decodeGraphDef(g.encodeGraphDef(graph));
    const snap = graph.asGraphDef();
    expect(back.versions).toEqual({ producer: 134, minConsumer: 0 });
    expect(back.node).toEqual(snap.node);
    const strings = back.node.find((n) => n.name === 'strings')!.attr.value!.value as g.NDArray;
    expect(strings.toArray()).toEqual(['a', 'bc']);
  });

  it('reads TF forms graphmode does not write: *_val splats, int64 and double tensors', () => {
    const bytes = g.encodeGraphDef({
      node: [],
      versions: { producer: 134 },
    });
    expect(g.decodeGraphDef(bytes).node).toEqual([]);
    const msg = (tensor: object) =>
      encodeMessage('GraphDef', {
        node: [{ name: 'k', op: 'Const', attr: { value: { tensor } } }],
      });
    const value = (tensor: object) => g.decodeGraphDef(msg(tensor)).node[0]!.attr.value!.value as g.NDArray;
    const shape = { dim: [{ size: 3 }] };
    expect(value({ dtype: 1, tensorShape: shape, floatVal: [2.5] }).toArray()).toEqual([2.5, 2.5, 2.5]);
    expect(value({ dtype: 9, tensorShape: shape, int64Val: [1, 2, 3] }).toArray()).toEqual([1, 2, 3]);
    expect(value({ dtype: 2, tensorShape: shape, doubleVal: [1, 2] }).toArray()).toEqual([1, 2, 2]);
    expect(value({ dtype: 3, tensorShape: shape }).toArray()).toEqual([0, 0, 0]);
    expect(() => value({ dtype: 9, tensorShape: { dim: [{ size: 1 }] }, int64Val: [2 ** 40] })).toThrow(
      g.UnimplementedError,
    );
  });

  it('is a DataLossError on bytes that are not a GraphDef', () => {
    expect(() => g.decodeGraphDef(new Uint8Array([0x0a, 0xff]))).toThrow(g.DataLossError);
  });

  it('writes If / While bodies into the library, or (functionsByName, for TensorBoard) names only', () => {
    const graph = new g.Graph();
    graph.asDefault(() => {
      const x = g.placeholder('float32', [], { name: 'x' });
      g.cond(
        g.greater(x, 0),
        () => g.mul(x, 2),
        () => g.neg(x),
      );
    });
    const full = g.decodeGraphDef(g.encodeGraphDef(graph));
    // TF's unique_fn_name: `cond_true_<uid>`, `cond_false_<uid>`.
    const [t, f] = full.library!.function.map((fn) => fn.signature.name);
    expect(t).toMatch(/^cond_true_\d+$/);
    expect(f).toMatch(/^cond_false_\d+$/);
    const names = g.decodeGraphDef(g.encodeGraphDef(graph, { functionsByName: true }));
    expect(names.library).toBeUndefined();
    expect(names.node.find((n) => n.op === 'StatelessIf')!.attr.then_branch!.value).toBe(t);
  });
});
