// Serializes a Graph as a GraphDef (tensorflow/core/framework/graph.proto) for TensorBoard's graph
// dashboard. Field numbers:
//   GraphDef     node=1 versions=4 (VersionDef producer=1)
//   NodeDef      name=1 op=2 input=3 ('op', 'op:1', '^control') device=4 attr=5 (map entry key=1 value=2)
//   AttrValue    list=1 s=2 i=3 f=4 b=5 type=6 shape=7 tensor=8 func=10 (a oneof: zeros are written)
//   ListValue    s=2 i=3 (packed) f=4 (packed) b=5 (packed) type=6 (packed) shape=7 func=9
//   NameAttrList name=1
//   TensorShape  dim=2 (Dim size=1, -1 when unknown) unknown_rank=3
// Attr names, TF types and values come from each op definition's TF attr schema (attr_schema.ts);
// `_output_shapes` is added as TF's `add_shapes=True` does, `_class` for colocated ops. An op defined without a schema (a
// user's custom op) is written without attrs.
import {
  type AttrType,
  type AttrValue,
  type Graph,
  type NDArray,
  type NodeDef,
  type Operation,
  type Shape,
  type TfDType,
  tfAttrValues,
} from '@graphmode/graph';
import { DATA_TYPE } from './event_proto.js';
import { ProtoWriter } from './proto.js';

export function encodeGraphDef(graph: Graph): Uint8Array {
  const ops = graph.getOperations();
  const def = graph.asGraphDef();
  const w = new ProtoWriter();
  def.node.forEach((node, i) => w.message(1, (n) => writeNode(n, node, ops[i]!)));
  w.message(4, (v) => v.varint(1, def.versions.producer));
  return w.finish();
}

function writeNode(w: ProtoWriter, node: NodeDef, op: Operation): void {
  w.bytes(1, node.name).bytes(2, node.op);
  for (const input of node.input) w.bytes(3, input, true);
  w.bytes(4, node.device);
  const attrs: [string, (a: ProtoWriter) => void][] =
    op.def.attrs === null
      ? []
      : tfAttrValues(op).map(([name, { type, value }]) => [name, (a) => writeAttr(a, type, value)]);
  // TF records colocation (`colocate_with`) as the `_class` attr: ['loc:@op', ...].
  if (op.colocationGroups.length > 0)
    attrs.push(['_class', (a) => writeAttr(a, 'list(string)', op.colocationGroups)]);
  attrs.push([
    '_output_shapes',
    (a) =>
      a.message(1, (l) => node.outputShapes.forEach((shape) => l.message(7, (s) => writeShape(s, shape)))),
  ]);
  // Map entries sorted by key, as TF's deterministic serialization does.
  attrs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, write] of attrs) w.message(5, (e) => e.bytes(1, key).message(2, write));
}

const TF_DATA_TYPE: Readonly<Record<TfDType, number>> = { ...DATA_TYPE, int64: 9 };

// AttrValue is a oneof, so a 0, false or '' value is written: its presence says which member it is.
function writeAttr(a: ProtoWriter, type: AttrType, v: AttrValue): void {
  switch (type) {
    case 'type':
      return void a.varint(6, TF_DATA_TYPE[v as TfDType], true);
    case 'int':
      return void a.varint(3, v as number, true);
    case 'float':
      return void a.float(4, v as number, true);
    case 'bool':
      return void a.bool(5, v as boolean, true);
    case 'string':
      return void a.bytes(2, v as string, true);
    case 'shape':
      return void a.message(7, (s) => writeShape(s, v as Shape | null));
    case 'tensor':
      return void a.message(8, (t) => writeTensorHeader(t, v as NDArray));
    case 'func':
      return void a.message(10, (f) => f.bytes(1, v as string));
    default:
      return void a.message(1, (l) => writeList(l, type, v as readonly unknown[]));
  }
}

function writeList(l: ProtoWriter, type: AttrType, xs: readonly unknown[]): void {
  if (type === 'list(int)') l.packedVarints(3, xs as number[]);
  else if (type === 'list(float)') l.packedFloats(4, xs as number[]);
  else if (type === 'list(bool)') l.packedVarints(5, (xs as boolean[]).map(Number));
  else if (type === 'list(type)')
    l.packedVarints(
      6,
      (xs as TfDType[]).map((d) => TF_DATA_TYPE[d]),
    );
  else if (type === 'list(string)') for (const s of xs as string[]) l.bytes(2, s, true);
  else if (type === 'list(func)') for (const f of xs as string[]) l.message(9, (m) => m.bytes(1, f));
  else for (const s of xs as (Shape | null)[]) l.message(7, (m) => writeShape(m, s));
}

function writeShape(w: ProtoWriter, shape: Shape | null): void {
  if (shape === null) {
    w.bool(3, true);
    return;
  }
  for (const d of shape) w.message(2, (dim) => dim.varint(1, d ?? -1));
}

// Constants show in TensorBoard by dtype and shape; their values stay out of the event file.
function writeTensorHeader(w: ProtoWriter, t: NDArray): void {
  w.varint(1, DATA_TYPE[t.dtype]).message(2, (s) => writeShape(s, t.shape));
}
