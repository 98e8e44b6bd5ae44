// Serializes a Graph as a GraphDef (tensorflow/core/framework/graph.proto) for TensorBoard's graph
// dashboard, through the protobuf schema in @graphmode/graph/proto. Inputs are 'op', 'op:1',
// '^control'; attrs keep TF's snake_case spelling; `_output_shapes` is added as TF's
// `add_shapes=True` does.
import { DTYPES, type DType, type Graph, NDArray, type NodeDef, type Shape } from '@graphmode/graph';
import { DATA_TYPE_OF, encodeMessage, type TensorShapeMsg } from '@graphmode/graph/proto';

/** An AttrValue message as a plain object (one member of its `value` oneof is set). */
type AttrValueMsg = Record<string, unknown>;

export function encodeGraphDef(graph: Graph): Uint8Array {
  const def = graph.asGraphDef();
  return encodeMessage('GraphDef', {
    node: def.node.map(nodeMsg),
    versions: { producer: def.versions.producer },
  });
}

function nodeMsg(node: NodeDef): object {
  const attr: Record<string, AttrValueMsg> = {};
  for (const [key, value] of Object.entries(node.attr)) {
    const a = attrValue(key, value);
    if (a) attr[snakeCase(key)] = a;
  }
  attr._output_shapes = { list: { shape: node.outputShapes.map(shapeMsg) } };
  return { name: node.name, op: node.op, input: node.input, device: node.device, attr };
}

const isDType = (v: unknown): v is DType =>
  typeof v === 'string' && (DTYPES as readonly string[]).includes(v);

// Attrs whose JS value has no faithful AttrValue form (functions, nested objects) are left out.
function attrValue(key: string, value: unknown): AttrValueMsg | null {
  if (typeof value === 'boolean') return { b: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { i: value } : { f: value };
  if (isDType(value) && /type|^T$|dtype/i.test(key)) return { type: DATA_TYPE_OF[value] };
  if (typeof value === 'string') return { s: new TextEncoder().encode(value) };
  if (value instanceof NDArray) return { tensor: tensorHeader(value) };
  if (/shape/i.test(key) && (value === null || isShape(value))) return { shape: shapeMsg(value) };
  if (Array.isArray(value) && value.every((x) => Number.isSafeInteger(x)))
    return { list: { i: value as number[] } };
  return null;
}

const isShape = (v: unknown): v is Shape =>
  Array.isArray(v) && v.every((d) => d === null || Number.isSafeInteger(d));

function shapeMsg(shape: Shape | null): TensorShapeMsg {
  if (shape === null) return { unknownRank: true };
  return { dim: shape.map((d) => ({ size: d ?? -1 })) };
}

// Constants show in TensorBoard by dtype and shape; their values stay out of the event file.
function tensorHeader(t: NDArray): object {
  return { dtype: DATA_TYPE_OF[t.dtype], tensorShape: shapeMsg(t.shape) };
}

const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
