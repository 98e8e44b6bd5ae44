// Serializes a Graph as a GraphDef (tensorflow/core/framework/graph.proto) for TensorBoard's graph
// dashboard. Field numbers:
//   GraphDef     node=1 versions=4 (VersionDef producer=1)
//   NodeDef      name=1 op=2 input=3 ('op', 'op:1', '^control') device=4 attr=5 (map entry key=1 value=2)
//   AttrValue    list=1 s=2 i=3 f=4 b=5 type=6 shape=7 tensor=8
//   ListValue    i=3 (packed) shape=7
//   TensorShape  dim=2 (Dim size=1, -1 when unknown) unknown_rank=3
// Attrs keep TF's snake_case spelling; `_output_shapes` is added as TF's `add_shapes=True` does.
import { DTYPES, type DType, type Graph, NDArray, type NodeDef, type Shape } from '@graphmode/graph';
import { DATA_TYPE } from './event_proto.js';
import { ProtoWriter } from './proto.js';

export function encodeGraphDef(graph: Graph): Uint8Array {
  const def = graph.asGraphDef();
  const w = new ProtoWriter();
  for (const node of def.node) w.message(1, (n) => writeNode(n, node));
  w.message(4, (v) => v.varint(1, def.versions.producer));
  return w.finish();
}

function writeNode(w: ProtoWriter, node: NodeDef): void {
  w.bytes(1, node.name).bytes(2, node.op);
  for (const input of node.input) w.bytes(3, input, true);
  w.bytes(4, node.device);
  const attrs: [string, (a: ProtoWriter) => void][] = [];
  for (const [key, value] of Object.entries(node.attr)) {
    const write = attrWriter(key, value);
    if (write) attrs.push([snakeCase(key), write]);
  }
  attrs.push([
    '_output_shapes',
    (a) =>
      a.message(1, (l) => node.outputShapes.forEach((shape) => l.message(7, (s) => writeShape(s, shape)))),
  ]);
  // Map entries sorted by key, as TF's deterministic serialization does.
  attrs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, write] of attrs) w.message(5, (e) => e.bytes(1, key).message(2, write));
}

const isDType = (v: unknown): v is DType =>
  typeof v === 'string' && (DTYPES as readonly string[]).includes(v);

// Attrs whose JS value has no faithful AttrValue form (functions, nested objects) are left out.
function attrWriter(key: string, value: unknown): ((a: ProtoWriter) => void) | null {
  if (typeof value === 'boolean') return (a) => a.bool(5, value);
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? (a) => a.varint(3, value) : (a) => a.float(4, value, true);
  if (isDType(value) && /type|^T$|dtype/i.test(key)) return (a) => a.varint(6, DATA_TYPE[value]);
  if (typeof value === 'string') return (a) => a.bytes(2, value, true);
  if (value instanceof NDArray) return (a) => a.message(8, (t) => writeTensorHeader(t, value));
  if (/shape/i.test(key) && (value === null || isShape(value)))
    return (a) => a.message(7, (s) => writeShape(s, value));
  if (Array.isArray(value) && value.every((x) => Number.isSafeInteger(x)))
    return (a) => a.message(1, (l) => l.packedVarints(3, value as number[]));
  return null;
}

const isShape = (v: unknown): v is Shape =>
  Array.isArray(v) && v.every((d) => d === null || Number.isSafeInteger(d));

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

const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
