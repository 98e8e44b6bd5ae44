// Serializes a Graph as a GraphDef (tensorflow/core/framework/graph.proto) for TensorBoard's graph
// dashboard, through the protobuf schema in @graphmode/graph/proto. Inputs are 'op', 'op:1',
// '^control'. Attr names, TF types and values come from each op definition's TF attr schema
// (attr_schema.ts); `_output_shapes` is added as TF's `add_shapes=True` does, `_class` for colocated
// ops. An op defined
// without a schema (a user's custom op) is written without attrs.
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
import { DATA_TYPE_OF, DataType, encodeMessage, type TensorShapeMsg } from '@graphmode/graph/proto';

/** An AttrValue message as a plain object (one member of its `value` oneof is set). */
type AttrValueMsg = Record<string, unknown>;

export function encodeGraphDef(graph: Graph): Uint8Array {
  const ops = graph.getOperations();
  const def = graph.asGraphDef();
  return encodeMessage('GraphDef', {
    node: def.node.map((node, i) => nodeMsg(node, ops[i]!)),
    versions: { producer: def.versions.producer },
  });
}

function nodeMsg(node: NodeDef, op: Operation): object {
  const attr: Record<string, AttrValueMsg> = {};
  if (op.def.attrs !== null) {
    for (const [name, { type, value }] of tfAttrValues(op)) attr[name] = attrValue(type, value);
  }
  // TF records colocation (`colocate_with`) as the `_class` attr: ['loc:@op', ...].
  if (op.colocationGroups.length > 0) attr._class = attrValue('list(string)', op.colocationGroups);
  attr._output_shapes = { list: { shape: node.outputShapes.map(shapeMsg) } };
  return { name: node.name, op: node.op, input: node.input, device: node.device, attr };
}

const TF_DATA_TYPE: Readonly<Record<TfDType, number>> = { ...DATA_TYPE_OF, int64: DataType.DT_INT64 };
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// AttrValue is a oneof, so a 0, false or '' value is written: its presence says which member it
// is (encodeMessage keeps a set oneof member even when it equals its default).
function attrValue(type: AttrType, v: AttrValue): AttrValueMsg {
  switch (type) {
    case 'type':
      return { type: TF_DATA_TYPE[v as TfDType] };
    case 'int':
      return { i: v as number };
    case 'float':
      return { f: v as number };
    case 'bool':
      return { b: v as boolean };
    case 'string':
      return { s: utf8(v as string) };
    case 'shape':
      return { shape: shapeMsg(v as Shape | null) };
    case 'tensor':
      return { tensor: tensorHeader(v as NDArray) };
    case 'func':
      return { func: { name: funcName(v) } };
    default:
      return { list: listValue(type, v as readonly unknown[]) };
  }
}

function listValue(type: AttrType, xs: readonly unknown[]): object {
  if (type === 'list(int)') return { i: xs as number[] };
  if (type === 'list(float)') return { f: xs as number[] };
  if (type === 'list(bool)') return { b: xs as boolean[] };
  if (type === 'list(type)') return { type: (xs as TfDType[]).map((d) => TF_DATA_TYPE[d]) };
  if (type === 'list(string)') return { s: (xs as string[]).map(utf8) };
  if (type === 'list(func)') return { func: xs.map((f) => ({ name: funcName(f) })) };
  return { shape: (xs as (Shape | null)[]).map(shapeMsg) };
}

// A func attr holds a function's name, or the function graph itself (control flow's FuncGraphs).
const funcName = (f: unknown): string => (typeof f === 'string' ? f : (f as { name: string }).name);

function shapeMsg(shape: Shape | null): TensorShapeMsg {
  if (shape === null) return { unknownRank: true };
  return { dim: shape.map((d) => ({ size: d ?? -1 })) };
}

// Constants show in TensorBoard by dtype and shape; their values stay out of the event file.
function tensorHeader(t: NDArray): object {
  return { dtype: DATA_TYPE_OF[t.dtype], tensorShape: shapeMsg(t.shape) };
}
