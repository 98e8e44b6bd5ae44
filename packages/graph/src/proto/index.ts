// TF's protobuf messages through protobufjs, with schemas we write (framework.ts, protobuf.ts).
// Internal to graphmode (imported as '@graphmode/graph/proto'), not part of the user-facing API.
//
// Encoding is canonical proto3, as TF's C++ serializer writes it: scalars equal to their
// default are left out unless they are a oneof member (where presence is the value: an
// `AttrValue {b: false}` differs from an empty one), messages are written when present even
// if empty, repeated scalars are packed, map entries are sorted by key (TF's deterministic
// serialization). protobufjs alone would write every field that is set, defaults included.
import protobuf from 'protobufjs';
import { FRAMEWORK_PROTO } from './framework.js';
import { PROTOBUF_PROTO } from './protobuf.js';

// TensorProto / TensorShapeProto <-> NDArray and shapes, for the other packages' file formats.
export { shapeMsg, tensorFromMsg } from '../io/tensor_proto.js';
export * from './messages.js';

/** The message names this schema defines (those encodeMessage/decodeMessage accept). */
export type MessageName =
  | 'GraphDef'
  | 'NodeDef'
  | 'AttrValue'
  | 'NameAttrList'
  | 'TensorProto'
  | 'TensorShapeProto'
  | 'VersionDef'
  | 'FunctionDefLibrary'
  | 'OpDef'
  | 'OpList'
  | 'MetaGraphDef'
  | 'VariableDef'
  | 'SaverDef'
  | 'CollectionDef'
  | 'SignatureDef'
  | 'TensorInfo'
  | 'AssetFileDef'
  | 'Event'
  | 'Summary'
  | 'HistogramProto'
  | 'SummaryMetadata'
  | 'SessionLog'
  | 'BundleHeaderProto'
  | 'BundleEntryProto'
  | 'TensorSliceProto'
  | 'CheckpointState';

// The schema is parsed on first use, not at import.
let root: protobuf.Root | null = null;
const types = new Map<string, protobuf.Type>();
function typeOf(name: string): protobuf.Type {
  let t = types.get(name);
  if (t) return t;
  if (!root) {
    root = new protobuf.Root();
    protobuf.parse(FRAMEWORK_PROTO, root, { keepCase: false });
    protobuf.parse(PROTOBUF_PROTO, root, { keepCase: false });
    root.resolveAll();
  }
  t = root.lookupType(`tensorflow.${name}`);
  types.set(name, t);
  return t;
}

type Obj = Record<string, unknown>;

/** Serializes a message given as a plain object with camelCase field names (enums as numbers). */
export function encodeMessage(name: MessageName, message: object): Uint8Array {
  const type = typeOf(name);
  return type.encode(canonical(type, message as Obj)).finish();
}

/**
 * Parses a message into a plain object: camelCase fields, enums and int64s as numbers, bytes as
 * Uint8Array, fields at their default value absent. Throws a plain Error on malformed bytes;
 * callers that read files turn it into a DataLossError naming the file.
 */
export function decodeMessage<T>(name: MessageName, bytes: Uint8Array): T {
  const type = typeOf(name);
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, bytes: Uint8Array }) as T;
}

function isDefault(v: unknown): boolean {
  if (typeof v === 'number') return Object.is(v, 0);
  if (typeof v === 'string') return v === '';
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'bigint') return v === 0n;
  if (v instanceof Uint8Array) return v.length === 0;
  return false;
}

function canonical(type: protobuf.Type, obj: Obj): Obj {
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const fix = (x: unknown): unknown => (sub ? canonical(sub, x as Obj) : x);
    if (field.map) {
      const keys = Object.keys(v as Obj).sort();
      if (keys.length) out[field.name] = Object.fromEntries(keys.map((k) => [k, fix((v as Obj)[k])]));
    } else if (field.repeated) {
      const xs = v as ArrayLike<unknown>;
      if (xs.length) out[field.name] = sub ? Array.from(xs, fix) : xs;
    } else if (sub) out[field.name] = fix(v);
    else if (field.partOf !== null || !isDefault(v)) out[field.name] = v;
  }
  return out;
}

/**
 * A message in protobuf's proto3 JSON mapping (what tfjs's model.json holds): camelCase fields,
 * enums by name, int64 as decimal strings, bytes as base64, fields at their default left out
 * (a oneof member is kept: it is present on the wire). Goes through the canonical bytes, so the
 * JSON shows exactly what encodeMessage writes.
 */
export function encodeJson(name: MessageName, message: object): Record<string, unknown> {
  const type = typeOf(name);
  const decoded = type.decode(encodeMessage(name, message));
  return type.toObject(decoded, { longs: String, enums: String, bytes: String, json: true });
}

/** Reads a message from its proto3 JSON mapping into the plain form decodeMessage gives. */
export function decodeJson<T>(name: MessageName, json: object): T {
  const type = typeOf(name);
  return decodeMessage<T>(name, type.encode(type.fromObject(json)).finish());
}
