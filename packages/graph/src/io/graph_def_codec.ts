// GraphDef (tensorflow/core/framework/graph.proto) to bytes and back, through the protobuf schema
// in ../proto. Attrs come from each op definition's TF attr schema (graph_def.ts's snapshot), so
// every type attr and every default is written; AttrValue is a oneof, so 0 / false / '' values are
// written, not skipped. `_output_shapes` is added as TF's `add_shapes=True` does. Constants carry
// their values (tensor_proto.ts). The bodies of If / While are FunctionDefs in the library
// (graph_def_emit.ts and control_flow_export.ts build them; TensorBoard's writer asks for
// `functionsByName` and gets the ops with their function names only).
import type { AttrType, AttrValue, TfDType } from '../attr_schema.js';
import type { Shape } from '../dtype.js';
import { DataLossError, UnimplementedError } from '../errors.js';
import { Graph } from '../graph.js';
import {
  type ArgDef,
  type FunctionDef,
  type FunctionDefLibrary,
  GRAPH_DEF_PRODUCER,
  type GraphDef,
  type NodeDef,
  snapshotGraphDef,
  type TfAttr,
} from '../graph_def.js';
import type { NDArray } from '../ndarray.js';
import { decodeMessage, encodeMessage, type TensorMsg, type TensorShapeMsg } from '../proto/index.js';
import { dataTypeOf, dtypeOfEnum, shapeFromMsg, shapeMsg, tensorFromMsg, tensorMsg } from './tensor_proto.js';

/** An AttrValue message as a plain object (one member of its `value` oneof is set). */
type AttrValueMsg = Record<string, unknown>;

export interface EncodeGraphDefOptions {
  /**
   * Write func attrs as bare function names without their bodies (for TensorBoard, which only
   * displays them). Off by default: a GraphDef for TF must carry its functions.
   */
  functionsByName?: boolean;
}

/** TF's GraphDef protobuf of a graph (or of a GraphDef snapshot / decoded GraphDef). */
export function encodeGraphDef(graph: Graph | GraphDef, opts: EncodeGraphDefOptions = {}): Uint8Array {
  const byName = opts.functionsByName ?? false;
  const def = graph instanceof Graph ? snapshotGraphDef(graph, byName) : graph;
  const fns = byName ? [] : (def.library?.function ?? []);
  const known = new Set(fns.map((f) => f.signature.name));
  return encodeMessage('GraphDef', {
    node: def.node.map((node) => nodeMsg(node, known, byName)),
    versions: def.versions,
    ...(fns.length > 0 ? { library: { function: fns.map((f) => functionMsg(f, known)) } } : {}),
  });
}

// TF's FunctionDef: the signature's args typed directly (`type: DT_FLOAT`), body nodes without
// `_output_shapes`, `ret` sorted by output name (map entries are written by key).
function functionMsg(f: FunctionDef, known: ReadonlySet<string>): object {
  const arg = (a: ArgDef) => ({ name: a.name, type: dataTypeOf(a.type) });
  return {
    signature: {
      name: f.signature.name,
      inputArg: f.signature.inputArg.map(arg),
      outputArg: f.signature.outputArg.map(arg),
      isStateful: f.signature.isStateful ?? false,
    },
    nodeDef: f.nodeDef.map((n) => nodeMsg(n, known, false)),
    ret: f.ret,
  };
}

function nodeMsg(node: NodeDef, functions: ReadonlySet<string>, byName: boolean): object {
  const attr: Record<string, AttrValueMsg> = {};
  for (const [name, a] of Object.entries(node.attr)) {
    if (!byName && (a.type === 'func' || a.type === 'list(func)')) {
      const missing = [a.value].flat().filter((f) => !functions.has(f as string));
      if (missing.length > 0) {
        throw new UnimplementedError(
          `encodeGraphDef: ${node.op} op '${node.name}' calls function ${missing.join(', ')}; writing function ` +
            'bodies into the GraphDef library (control flow) is not implemented yet',
        );
      }
    }
    attr[name] = attrValue(a.type, a.value);
  }
  if (node.outputShapes.length > 0)
    attr._output_shapes = { list: { shape: node.outputShapes.map(shapeMsg) } };
  return { name: node.name, op: node.op, input: node.input, device: node.device, attr };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function attrValue(type: AttrType, v: AttrValue): AttrValueMsg {
  switch (type) {
    case 'type':
      return { type: dataTypeOf(v as TfDType) };
    case 'int':
      return { i: v as number };
    case 'float':
      return { f: v as number };
    case 'bool':
      return { b: v as boolean };
    case 'string':
      return { s: utf8.encode(v as string) };
    case 'shape':
      return { shape: shapeMsg(v as Shape | null) };
    case 'tensor':
      return { tensor: tensorMsg(v as NDArray) };
    case 'func':
      return { func: { name: v as string } };
    default:
      return { list: listValue(type, v as readonly unknown[]) };
  }
}

function listValue(type: AttrType, xs: readonly unknown[]): object {
  if (type === 'list(int)') return { i: xs };
  if (type === 'list(float)') return { f: xs };
  if (type === 'list(bool)') return { b: xs };
  if (type === 'list(type)') return { type: (xs as TfDType[]).map(dataTypeOf) };
  if (type === 'list(string)') return { s: (xs as string[]).map((s) => utf8.encode(s)) };
  if (type === 'list(func)') return { func: (xs as string[]).map((name) => ({ name })) };
  return { shape: (xs as (Shape | null)[]).map(shapeMsg) };
}

// ---- decoding ----------------------------------------------------------------------------------

interface AttrMsg {
  s?: Uint8Array;
  i?: number;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: TensorShapeMsg;
  tensor?: TensorMsg;
  func?: { name?: string };
  placeholder?: string;
  list?: {
    s?: Uint8Array[];
    i?: number[];
    f?: number[];
    b?: boolean[];
    type?: number[];
    shape?: TensorShapeMsg[];
    func?: { name?: string }[];
  };
}
interface NodeMsg {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, AttrMsg>;
}
interface ArgMsg {
  name?: string;
  type?: number;
  typeAttr?: string;
  numberAttr?: string;
  typeListAttr?: string;
}
interface FunctionMsg {
  signature?: { name?: string; inputArg?: ArgMsg[]; outputArg?: ArgMsg[]; isStateful?: boolean };
  nodeDef?: NodeMsg[];
  ret?: Record<string, string>;
}
interface GraphDefMsg {
  node?: NodeMsg[];
  versions?: { producer?: number; minConsumer?: number };
  library?: { function?: FunctionMsg[] };
}

/** Parses TF's GraphDef protobuf; malformed bytes are a DataLossError. */
export function decodeGraphDef(bytes: Uint8Array): GraphDef {
  let msg: GraphDefMsg;
  try {
    msg = decodeMessage<GraphDefMsg>('GraphDef', bytes);
  } catch (e) {
    throw new DataLossError(`decodeGraphDef: not a GraphDef protobuf (${(e as Error).message})`);
  }
  const versions = { producer: msg.versions?.producer ?? 0, minConsumer: msg.versions?.minConsumer ?? 0 };
  const fns = (msg.library?.function ?? []).map(functionFromMsg);
  const library: FunctionDefLibrary | undefined = fns.length > 0 ? { function: fns } : undefined;
  return { node: (msg.node ?? []).map(nodeFromMsg), versions, ...(library ? { library } : {}) };
}

function functionFromMsg(m: FunctionMsg): FunctionDef {
  const name = m.signature?.name ?? '';
  const arg = (a: ArgMsg): ArgDef => {
    if (a.type === undefined || a.typeAttr || a.numberAttr || a.typeListAttr) {
      throw new UnimplementedError(
        `decodeGraphDef: function '${name}' arg '${a.name}' is polymorphic (type attrs); only concrete functions are supported`,
      );
    }
    return { name: a.name ?? '', type: dtypeOfEnum(a.type, `function '${name}' arg '${a.name}'`) };
  };
  return {
    signature: {
      name,
      inputArg: (m.signature?.inputArg ?? []).map(arg),
      outputArg: (m.signature?.outputArg ?? []).map(arg),
      isStateful: m.signature?.isStateful ?? false,
    },
    nodeDef: (m.nodeDef ?? []).map(nodeFromMsg),
    ret: { ...(m.ret ?? {}) },
  };
}

function nodeFromMsg(m: NodeMsg): NodeDef {
  const name = m.name ?? '';
  const attr: Record<string, TfAttr> = {};
  let outputShapes: (Shape | null)[] = [];
  for (const [key, value] of Object.entries(m.attr ?? {})) {
    if (key === '_output_shapes') outputShapes = (value.list?.shape ?? []).map(shapeFromMsg);
    else attr[key] = attrFromMsg(value, `node '${name}' attr '${key}'`);
  }
  return { name, op: m.op ?? '', input: m.input ?? [], device: m.device ?? '', attr, outputShapes };
}

function attrFromMsg(m: AttrMsg, what: string): TfAttr {
  if (m.s !== undefined) return { type: 'string', value: fromUtf8.decode(m.s) };
  if (m.i !== undefined) return { type: 'int', value: m.i };
  if (m.f !== undefined) return { type: 'float', value: shortestFloat(m.f) };
  if (m.b !== undefined) return { type: 'bool', value: m.b };
  if (m.type !== undefined) return { type: 'type', value: dtypeOfEnum(m.type, what) };
  if (m.shape !== undefined) return { type: 'shape', value: shapeFromMsg(m.shape) };
  if (m.tensor !== undefined) return { type: 'tensor', value: tensorFromMsg(m.tensor, what) };
  if (m.func !== undefined) return { type: 'func', value: m.func.name ?? '' };
  if (m.placeholder !== undefined)
    throw new UnimplementedError(`${what}: attr placeholders are not supported`);
  const l = m.list ?? {};
  if (l.s?.length) return { type: 'list(string)', value: l.s.map((b) => fromUtf8.decode(b)) };
  if (l.f?.length) return { type: 'list(float)', value: l.f.map(shortestFloat) };
  if (l.b?.length) return { type: 'list(bool)', value: l.b };
  if (l.type?.length) return { type: 'list(type)', value: l.type.map((t) => dtypeOfEnum(t, what)) };
  if (l.shape?.length) return { type: 'list(shape)', value: l.shape.map(shapeFromMsg) };
  if (l.func?.length) return { type: 'list(func)', value: l.func.map((f) => f.name ?? '') };
  // An empty list has no element type on the wire; the importer reads it through the op's schema.
  return { type: 'list(int)', value: l.i ?? [] };
}

// A float attr is a float32 on the wire: read back the shortest decimal that rounds to it (0.01,
// not 0.009999999776), the value the graph was built with, as TF's Python shows it.
function shortestFloat(f: number): number {
  for (let p = 1; p < 10; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export { GRAPH_DEF_PRODUCER };
