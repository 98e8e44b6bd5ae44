// An ONNX graph under construction: nodes, initializers, inputs and outputs, with unique value
// names, encoded to ModelProto bytes by protobufjs. Node names are the TF op names they lower.
import type { DType, NDArray } from '@graphmode/graph';
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from './onnx_proto.js';

/** A float attribute (a bare number is an int attribute, as most ONNX attributes are). */
export class Float {
  constructor(readonly value: number) {}
}
export type AttrValue = number | string | readonly number[] | Float;
export type ValueDType = DType | 'int64';

// ONNX opset 18: every Reduce* takes its axes as an input, Split takes num_outputs.
export const OPSET = 18;
const IR_VERSION = 8;

interface ValueInfo {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape?: { dim: ({ dim_value: number } | { dim_param: string })[] } };
  };
}
export interface HostValue {
  readonly dtype: ValueDType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: { name: string }[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  // Node names and value names are separate namespaces in ONNX.
  private readonly nodeNames = new Set<string>();
  private readonly int64Cache = new Map<string, string>();
  /** Name of the node added last. */
  lastNodeName = '';

  private freshNode(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  private live(): { nodes: NodeProto[]; initializers: { name: string }[] } {
    const needed = new Set(this.outputs.map((o) => o.name));
    const keep: boolean[] = new Array(this.nodes.length).fill(false);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.output.some((o) => needed.has(o))) continue;
      keep[i] = true;
      for (const x of n.input) needed.add(x);
    }
    return {
      nodes: this.nodes.filter((_, i) => keep[i]),
      initializers: this.initializers.filter((t) => needed.has(t.name)),
    };
  }

  /** A fresh value name based on `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node named `name` (made unique) and returns its `outputs` output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue>,
    name: string,
    outputs = 1,
  ) {
    const nodeName = this.freshNode(name);
    this.lastNodeName = nodeName;
    const outs = Array.from({ length: outputs }, (_, i) =>
      this.fresh(i === 0 ? nodeName : `${nodeName}:${i}`),
    );
    const attribute = Object.entries(attrs).map(([k, v]) => encodeAttr(k, v));
    this.nodes.push({ op_type: opType, input: inputs, output: outs, name: nodeName, attribute });
    return outs;
  }

  /** An Identity node whose output is exactly `name` (a model output named by the caller). */
  alias(value: string, name: string, nodeName: string): void {
    this.used.add(name);
    this.nodes.push({
      op_type: 'Identity',
      input: [value],
      output: [name],
      name: this.freshNode(nodeName),
      attribute: [],
    });
  }
  /** Reserves `name`, so generated names avoid it. */
  reserve(name: string): void {
    this.used.add(name);
  }

  addInput(name: string, dtype: ValueDType, shape: readonly (number | null)[] | null): void {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dtype, shape));
  }
  addOutput(name: string, dtype: ValueDType, shape: readonly (number | null)[] | null): void {
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  /** An initializer holding `value`. */
  constant(base: string, value: HostValue): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, value));
    return name;
  }
  /** A 1-D int64 initializer (shared between identical uses). */
  int64s(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.int64Cache.get(key);
    if (name === undefined) {
      name = this.constant('const_i64', {
        dtype: 'int64',
        dims: [values.length],
        data: BigInt64Array.from(values.map(BigInt)),
      });
      this.int64Cache.set(key, name);
    }
    return name;
  }
  /** A scalar initializer of `dtype`. */
  scalar(value: number, dtype: DType): string {
    const data =
      dtype === 'float32'
        ? Float32Array.of(value)
        : dtype === 'int32'
          ? Int32Array.of(value)
          : Uint8Array.of(value);
    return this.constant('const', { dtype, dims: [], data });
  }

  /** The value of a one-element float32 initializer; undefined for any other value. */
  floatScalar(name: string): number | undefined {
    const t = this.initializers.find((i) => i.name === name) as ReturnType<typeof tensorProto> | undefined;
    const raw = t?.raw_data as Uint8Array | undefined;
    if (t?.data_type !== ONNX_DTYPE.float32 || raw?.byteLength !== 4) return undefined;
    return new DataView(raw.buffer, raw.byteOffset, 4).getFloat32(0, true);
  }
  /** Replaces the node list with `rewrite`'s (a pass of fuse.ts). */
  rewrite(rewrite: (nodes: readonly NodeProto[]) => NodeProto[]): void {
    const next = rewrite(this.nodes);
    this.nodes.splice(0, this.nodes.length, ...next);
  }

  /**
   * The model bytes. Nodes no output depends on are dropped: TF graphs compute values only a
   * control edge wants (createTrainOp's gradient gating), which onnxruntime would run otherwise.
   */
  encode(name: string): Uint8Array {
    const { nodes, initializers } = this.live();
    const graph = {
      name,
      node: nodes,
      initializer: initializers,
      input: this.inputs,
      output: this.outputs,
    };
    const model = {
      ir_version: IR_VERSION,
      producer_name: 'graphmode',
      opset_import: [{ domain: '', version: OPSET }],
      graph,
    };
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

export interface NodeProto {
  op_type: string;
  input: readonly string[];
  output: readonly string[];
  name: string;
  attribute: object[];
}

export function encodeAttr(name: string, v: AttrValue): object {
  if (v instanceof Float) return { name, type: ATTR_TYPE.FLOAT, f: v.value };
  if (typeof v === 'number') return { name, type: ATTR_TYPE.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR_TYPE.STRING, s: Buffer.from(v) };
  return { name, type: ATTR_TYPE.INTS, ints: [...v] };
}

function valueInfo(name: string, dtype: ValueDType, shape: readonly (number | null)[] | null): ValueInfo {
  const elem_type = ONNX_DTYPE[dtype];
  if (shape === null) return { name, type: { tensor_type: { elem_type } } };
  const dim = shape.map((d, i) => (d === null ? { dim_param: `${name}_d${i}` } : { dim_value: d }));
  return { name, type: { tensor_type: { elem_type, shape: { dim } } } };
}

function tensorProto(name: string, v: HostValue): { name: string; [field: string]: unknown } {
  const bytes = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return { name, dims: [...v.dims], data_type: ONNX_DTYPE[v.dtype], raw_data: bytes };
}

/** An NDArray as a HostValue (strings have no ONNX lowering here). */
export function hostOf(nd: NDArray): HostValue {
  if (Array.isArray(nd.data)) throw new Error('internal: string arrays are not lowered');
  return { dtype: nd.dtype, dims: nd.shape, data: nd.data as Float32Array | Int32Array | Uint8Array };
}
