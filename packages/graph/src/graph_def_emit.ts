// Writing a graph as TF's GraphDef nodes: one emitter per scope (the graph itself, or the body of
// a function in its library). An emitter knows how each tensor is named in its scope — `op` /
// `op:1` at the top level, `op:arg:index` (TF's output arg name) or an argument's name inside a
// FunctionDef — so an op type whose TF form differs from ours (If / While, whose bodies become
// FunctionDefs) registers a lowering keyed by its definition that emits several nodes and says
// which node output stands for each of its tensors.
import { type TfDType, tfAttrValues } from './attr_schema.js';
import type { DType, Shape } from './dtype.js';
import { UnimplementedError } from './errors.js';
import type { Graph, Operation, Tensor } from './graph.js';
import type { ArgDef, FunctionDef, NodeDef, TfAttr } from './graph_def.js';
import { NDArray } from './ndarray.js';
import type { OpDef } from './op_def.js';

/** Emits `op` (and whatever nodes its TF form needs) into `e`, binding each of its outputs. */
export type Lowering = (op: Operation, e: DefEmitter) => void;

/** TF forms of op types that are not one NodeDef of their own (registered by the io module). */
export const lowerings = new Map<OpDef, Lowering>();

/** The name of a function held by a func attr: a name already, or a function graph's name. */
const funcName = (f: unknown): string => (typeof f === 'string' ? f : (f as { name: string }).name);

/** TF's attrs of `op` (none for an op defined without a schema), plus `_class` for colocation. */
export function nodeAttrs(op: Operation): Record<string, TfAttr> {
  const attr: Record<string, TfAttr> = {};
  if (op.def.attrs !== null) {
    for (const [name, { type, value }] of tfAttrValues(op)) {
      if (type === 'func') attr[name] = { type, value: funcName(value) };
      else if (type === 'list(func)') attr[name] = { type, value: (value as unknown[]).map(funcName) };
      else attr[name] = { type, value };
    }
  }
  // TF records colocation (`colocate_with`) as the `_class` attr: ['loc:@op', ...].
  if (op.colocationGroups.length > 0) attr._class = { type: 'list(string)', value: op.colocationGroups };
  return attr;
}

/** The FunctionDefs written so far, under names unique in the library. */
export class FunctionLibrary {
  readonly functions: FunctionDef[] = [];
  private readonly names = new Set<string>();

  /** A fresh function name from a function graph's name ('cond/true_branch' → 'cond_true_branch'). */
  reserve(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z]/, 'f$&');
    let name = clean;
    for (let i = 1; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  add(f: FunctionDef): string {
    this.functions.push(f);
    return f.signature.name;
  }
}

/** A node output in TF's naming: its output arg (and index in it) for each output of `op`. */
export function outputArgRefs(op: Operation): string[] {
  const args = op.def.outputArgs;
  if (args === undefined) {
    throw new UnimplementedError(`${op.type} op '${op.name}' declares no TF output args`, op);
  }
  const fixed = args.filter((a) => typeof a === 'string').length;
  const listLength = op.outputs.length - fixed;
  return args.flatMap((a) =>
    typeof a === 'string' ? [`${a}:0`] : Array.from({ length: listLength }, (_, i) => `${a.list}:${i}`),
  );
}

/** Emits NodeDefs for one scope: the graph, or a function body (`fn` set). */
export class DefEmitter {
  readonly nodes: NodeDef[] = [];
  private readonly refs = new Map<Tensor, string>();
  private readonly used: Set<string>;

  constructor(
    readonly graph: Graph,
    readonly lib: FunctionLibrary,
    readonly fn: FunctionBuilder | null = null,
    /** Write function-calling ops as they are, func attrs as names (TensorBoard's graph view). */
    readonly namesOnly = false,
  ) {
    this.used = new Set(graph.getOperations().map((o) => o.name));
  }

  /** How `t` is named in this scope. A tensor of an enclosing graph (a variable read in a body) becomes an argument. */
  ref(t: Tensor): string {
    const r = this.refs.get(t);
    if (r !== undefined) return r;
    if (this.fn !== null && t.graph !== this.graph) {
      const arg = this.fn.captureArg(t);
      this.refs.set(t, arg);
      return arg;
    }
    throw new UnimplementedError(
      `GraphDef export: tensor '${t.name}' (${t.op.type}) has no TF form in this graph`,
      t.op,
    );
  }

  bind(t: Tensor, ref: string): void {
    this.refs.set(t, ref);
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** A node name not used in this scope, from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** How output `index` of node `name` is named here (`arg` is its TF output arg ref, `out:0`). */
  outputRef(name: string, index: number, arg: string): string {
    if (this.fn !== null) return `${name}:${arg}`;
    return index === 0 ? name : `${name}:${index}`;
  }

  /** Emits every op of the scope's graph in creation order, skipping `skip` (bound placeholders). */
  emitAll(skip: ReadonlySet<Operation> = new Set()): void {
    for (const op of this.graph.getOperations()) if (!skip.has(op)) this.emitOp(op);
  }

  emitOp(op: Operation): void {
    const lower = this.namesOnly ? undefined : lowerings.get(op.def);
    if (lower !== undefined) {
      lower(op, this);
      return;
    }
    const attr = nodeAttrs(op);
    for (const [name, a] of Object.entries(attr)) {
      if (!this.namesOnly && (a.type === 'func' || a.type === 'list(func)'))
        throw new UnimplementedError(
          `${op.type} op '${op.name}': func attr '${name}' has no GraphDef lowering`,
          op,
        );
    }
    op.inputs.forEach((t, i) => {
      if (this.fn !== null && t.graph !== this.graph && op.def.isRefInput(i)) {
        throw new UnimplementedError(
          `GraphDef export: ${op.type} op '${op.name}' in function '${this.fn.name}' updates variable '${t.op.name}'; TF's function bodies cannot take a ref variable (TF needs resource variables there)`,
          op,
        );
      }
    });
    const input = [...op.inputs.map((t) => this.ref(t)), ...op.controlInputs.map((c) => `^${c.name}`)];
    this.used.add(op.name);
    const argRefs = this.fn === null ? null : outputArgRefs(op);
    const outputShapes = this.fn === null ? op.outputs.map((t) => t.shape) : [];
    this.nodes.push({ name: op.name, op: op.type, input, device: op.device, attr, outputShapes });
    op.outputs.forEach((t, i) => this.bind(t, this.outputRef(op.name, i, argRefs?.[i] ?? '')));
    this.fn?.noteOp(op);
  }

  /**
   * Emits a node made here (not one of the graph's ops) under a fresh name from `n.name` (or that
   * very name: `exact`, for the node standing for an op); returns its output refs. `outputArgs`
   * are TF's output arg refs of its outputs (`['handle:0']`).
   */
  node(n: {
    name: string;
    exact?: boolean;
    op: string;
    input: readonly string[];
    attr: Record<string, TfAttr>;
    outputArgs: readonly string[];
    outputShapes?: readonly (Shape | null)[];
  }): string[] {
    const name = n.exact ? n.name : this.uniqueName(n.name);
    const outputShapes = this.fn ? [] : (n.outputShapes ?? []);
    this.nodes.push({ name, op: n.op, input: n.input, device: '', attr: n.attr, outputShapes });
    return n.outputArgs.map((a, i) => this.outputRef(name, i, a));
  }

  /** An int32 Const node holding `values` (a vector, or a scalar when `scalar`). */
  intConst(base: string, values: readonly number[], scalar = false): string {
    return this.constNode(base, intTensor(values, scalar));
  }

  /** Zeros of `dtype` (float32, int32 or bool) and `shape` (an unknown dim: 0) as a Const node. */
  zeroConst(base: string, dtype: DType, shape: Shape | null = []): string {
    const dims = (shape ?? []).map((d) => d ?? 0);
    const size = dims.reduce((a, b) => a * b, 1);
    const data =
      dtype === 'float32'
        ? new Float32Array(size)
        : dtype === 'int32'
          ? new Int32Array(size)
          : new Uint8Array(size);
    return this.constNode(base, new NDArray(dtype, dims, data));
  }

  /** A Const node holding `value`. */
  private constNode(base: string, value: NDArray): string {
    const attr = { dtype: typeAttr(value.dtype), value: { type: 'tensor' as const, value } };
    const outputShapes = [value.shape];
    return this.node({
      name: base,
      op: 'Const',
      input: [],
      attr,
      outputArgs: ['output:0'],
      outputShapes,
    })[0]!;
  }

  /** An int32 binary op node (`AddV2`, `Sub`) of two refs. */
  intOp(base: string, op: string, x: string, y: string): string {
    const attr = { T: typeAttr('int32') };
    return this.node({ name: base, op, input: [x, y], attr, outputArgs: ['z:0'], outputShapes: [[]] })[0]!;
  }
}

const intTensor = (values: readonly number[], scalar: boolean): NDArray =>
  new NDArray('int32', scalar ? [] : [values.length], Int32Array.from(values));

export const typeAttr = (t: TfDType): TfAttr => ({ type: 'type', value: t });

/** Builds one FunctionDef: its arguments, the body's nodes (an emitter), its outputs. */
export class FunctionBuilder {
  readonly emitter: DefEmitter;
  private readonly args: ArgDef[] = [];
  private readonly outs: ArgDef[] = [];
  private readonly ret: Record<string, string> = {};
  private readonly argNames = new Set<string>();
  /** Tensors of enclosing graphs read in the body (variables), each an extra argument. */
  readonly captured = new Map<Tensor, string>();
  private stateful = false;
  /** The body's placeholders: they become args, never nodes. */
  private readonly argOps: Set<string>;

  constructor(
    readonly name: string,
    graph: Graph,
    lib: FunctionLibrary,
  ) {
    this.emitter = new DefEmitter(graph, lib, this);
    this.argOps = new Set(
      graph
        .getOperations()
        .filter((o) => o.type === 'Placeholder')
        .map((o) => o.name),
    );
  }

  /** A new argument (TF arg names: lowercase letters, digits and '_'). */
  addArg(base: string, dtype: TfDType): string {
    const name = this.argName(base);
    this.args.push({ name, type: dtype });
    return name;
  }

  /** Binds a placeholder of the body to a new argument. */
  bindArg(t: Tensor, base = t.op.name): string {
    const name = this.addArg(base, t.dtype);
    this.emitter.bind(t, name);
    return name;
  }

  captureArg(t: Tensor): string {
    let name = this.captured.get(t);
    if (name === undefined) {
      name = this.argName(t.op.name);
      this.captured.set(t, name);
    }
    return name;
  }

  addOutput(base: string, ref: string, dtype: TfDType): void {
    const name = this.argName(base);
    this.outs.push({ name, type: dtype });
    this.ret[name] = ref;
  }

  noteOp(op: Operation): void {
    if (op.def.stateful) this.stateful = true;
  }

  /**
   * The FunctionDef, with one argument per tensor of `captures` (in that order: every function
   * of an If or While takes the same list) after the others; `passThrough` returns them too.
   */
  build(captures: readonly Tensor[], passThrough = false): FunctionDef {
    const extra = captures.map((t) => ({ name: this.captureArg(t), type: t.dtype as TfDType }));
    if (passThrough) for (const a of extra) this.addOutput(a.name, a.name, a.type);
    return {
      signature: {
        name: this.name,
        inputArg: [...this.args, ...extra],
        outputArg: this.outs,
        isStateful: this.stateful,
      },
      nodeDef: this.emitter.nodes,
      ret: this.ret,
    };
  }

  private argName(base: string): string {
    const clean = base
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .replace(/^[^a-z]/, 'a$&');
    // TF indexes a function's args and body nodes by one namespace: an arg may not share a
    // node's name (the body's placeholders are not nodes, so their names are free).
    const taken = (n: string) => this.argNames.has(n) || (this.emitter.isUsed(n) && !this.argOps.has(n));
    let name = clean;
    for (let i = 1; taken(name); i++) name = `${clean}_${i}`;
    this.argNames.add(name);
    this.emitter.reserve(name);
    return name;
  }
}
