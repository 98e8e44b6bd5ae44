// The deferred graph: Graph holds Operations in creation order (which is a topological order,
// since an op can only take inputs that already exist), Tensors are (op, output index) edges.
import { AsyncLocalStorage } from 'node:async_hooks';
import { freeze } from 'immer';
import { captureCreationSite, formatSite } from './creation_site.js';
import { NotFoundError, RuntimeError, TypeError, ValueError } from './errors.js';
import { type GraphDef, snapshotGraphDef } from './graph_def.js';
import type { OpDef } from './op_def.js';
import { Tensor } from './tensor.js';

export { Tensor };

/** What scopes accept as an op: an Operation, a Tensor (its op) or a Variable (its VariableV2 op). */
export type OpLike = Operation | Tensor | { readonly op: Operation };
/** The op behind an Operation, Tensor or Variable. */
export const asOperation = (x: OpLike): Operation => (x instanceof Operation ? x : x.op);

/** One node of the graph. Immutable after creation except for control inputs TF lets you add. */
export class Operation<A extends object = object> {
  /** @internal filled by Graph.createOp right after construction */
  readonly _outputs: Tensor[] = [];
  private readonly site: NodeJS.CallSite | undefined;
  private formattedSite: string | undefined;
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly def: OpDef<A>,
    readonly inputs: readonly Tensor[],
    private _controlInputs: Operation[],
    readonly attrs: Readonly<A>,
    readonly device: string,
    readonly colocationGroups: readonly string[],
  ) {
    this.site = captureCreationSite(Graph.prototype.createOp);
  }
  /** The user's source line that built this op (first stack frame outside graphmode's sources). */
  get creationSite(): string {
    return (this.formattedSite ??= formatSite(this.site));
  }
  get type(): string {
    return this.def.type;
  }
  get outputs(): readonly Tensor[] {
    return this._outputs;
  }
  get controlInputs(): readonly Operation[] {
    return this._controlInputs;
  }
  /** Adds control inputs after creation (TF's `_add_control_inputs`); invalidates cached plans. */
  addControlInputs(ops: readonly Operation[]): void {
    for (const op of ops) {
      this.graph.checkSameGraph(op, `addControlInputs to '${this.name}'`);
      if (op.id >= this.id) {
        // Creation order is the run order; a later op as control input would break it.
        throw new ValueError(
          `addControlInputs: '${op.name}' was created after '${this.name}' and cannot be its control input`,
        );
      }
      if (!this._controlInputs.includes(op)) this._controlInputs.push(op);
    }
    this.graph.bumpVersion();
  }
  toString(): string {
    return `Operation '${this.name}' (type ${this.type})`;
  }
}

interface ControlController {
  readonly deps: readonly Operation[];
  /** Ops created inside this block (TF's `_seen_nodes`). */
  readonly seen: Set<Operation>;
}

/** One graph's scope stacks, as seen by one async flow; replaced (never mutated) on entering a scope. */
interface ScopeState {
  readonly name: string;
  readonly control: readonly ControlController[];
  readonly device: string;
  readonly colocation: readonly (readonly string[])[];
  /** The innermost variable scope (model/variable_scope.ts owns its type); undefined at the root. */
  readonly variableScope?: object;
}
const ROOT_SCOPE: ScopeState = { name: '', control: [], device: '', colocation: [] };

/** A graph's scope stacks in a flow; a graph's newest frame hides its older ones. */
interface ScopeFrame {
  readonly graph: Graph;
  readonly state: ScopeState;
  readonly next: ScopeFrame | null;
}
/** What an async flow builds in: its default graph (undefined = the global one) and scope stacks. */
interface FlowContext {
  readonly graph: Graph | undefined;
  readonly scopes: ScopeFrame | null;
}
// The context follows `await`s: scopes entered around an async callback hold for all of it, and
// concurrent flows never see each other's. One storage for all graphs: Node copies every storage
// into each new async resource.
const flow = new AsyncLocalStorage<FlowContext>();
const NO_CONTEXT: FlowContext = { graph: undefined, scopes: null };
const flowContext = (): FlowContext => flow.getStore() ?? NO_CONTEXT;
function scopeIn(frame: ScopeFrame | null, graph: Graph): ScopeState {
  for (; frame !== null; frame = frame.next) if (frame.graph === graph) return frame.state;
  return ROOT_SCOPE;
}

export interface CreateOpOptions {
  name?: string;
}

/** A TF1-style graph: ops, name scopes, control dependencies, devices, collections. */
export class Graph {
  private readonly ops: Operation[] = [];
  private readonly byName = new Map<string, Operation>();
  private readonly namesInUse = new Map<string, number>();
  private readonly collections = new Map<string, unknown[]>();
  private _finalized = false;
  private _version = 0;
  /** Graph-level random seed (TF's `tf.set_random_seed`); null = nondeterministic. */
  seed: number | null = null;

  get finalized(): boolean {
    return this._finalized;
  }
  /** Changes whenever an existing op is mutated; cached execution plans compare against it. */
  get version(): number {
    return this._version;
  }
  bumpVersion(): void {
    this._version++;
  }
  get numOps(): number {
    return this.ops.length;
  }

  /** The default graph while `fn` runs, also after its `await`s (each async flow has its own). */
  asDefault<T>(fn: () => T): T {
    const ctx = flowContext();
    return ctx.graph === this ? fn() : flow.run({ graph: this, scopes: ctx.scopes }, fn);
  }

  getOperations(): readonly Operation[] {
    return this.ops.slice();
  }

  getOperationByName(name: string): Operation {
    if (name.includes(':')) {
      throw new ValueError(`Name '${name}' appears to refer to a Tensor, not a Operation.`);
    }
    const op = this.byName.get(name);
    if (!op) {
      throw new NotFoundError(`The name '${name}' refers to an Operation not in the graph.`);
    }
    return op;
  }

  getTensorByName(name: string): Tensor {
    const m = /^(.*):(\d+)$/.exec(name);
    if (!m) {
      throw new ValueError(
        `The name '${name}' looks like an (invalid) Operation name, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      );
    }
    const op = this.byName.get(m[1]!);
    if (!op)
      throw new NotFoundError(
        `The name '${name}' refers to a Tensor which does not exist. The operation, '${m[1]}', does not exist in the graph.`,
      );
    const t = op.outputs[Number(m[2])];
    if (!t) {
      throw new NotFoundError(
        `The name '${name}' refers to a Tensor which does not exist. The operation, '${m[1]}', exists but only has ${op.outputs.length} outputs.`,
      );
    }
    return t;
  }

  /** An Operation or Tensor by name: 'op' or 'op:0'. */
  getByName(name: string): Operation | Tensor {
    return /:\d+$/.test(name) ? this.getTensorByName(name) : this.getOperationByName(name);
  }

  // ---- collections -------------------------------------------------------------------------
  addToCollection(key: string, value: unknown): void {
    this.getCollectionRef(key).push(value);
  }
  addToCollections(keys: readonly string[], value: unknown): void {
    for (const k of new Set(keys)) this.addToCollection(k, value);
  }
  getCollection<T = unknown>(key: string, scope?: string): T[] {
    const items = (this.collections.get(key) ?? []) as T[];
    if (scope === undefined) return items.slice();
    const re = new RegExp(`^${scope}`);
    return items.filter((item) => {
      const name = (item as { name?: unknown } | null)?.name;
      return typeof name === 'string' && re.test(name);
    });
  }
  getCollectionRef<T = unknown>(key: string): T[] {
    let list = this.collections.get(key);
    if (!list) this.collections.set(key, (list = []));
    return list as T[];
  }
  clearCollection(key: string): void {
    this.collections.delete(key);
  }
  getAllCollectionKeys(): string[] {
    return [...this.collections.keys()];
  }

  finalize(): void {
    this._finalized = true;
  }

  /**
   * Accepts new ops again (TF's `_unsafe_unfinalize`). Only for the code that finalized the graph
   * itself, as MonitoredSession does when it closes; anything else should build a new graph.
   */
  unfinalize(): void {
    this._finalized = false;
  }

  /** A frozen plain-data snapshot of the graph (TF's `as_graph_def()`). */
  asGraphDef(): GraphDef {
    return snapshotGraphDef(this);
  }

  // ---- names and scopes --------------------------------------------------------------------
  /** The current name scope, '' at the root. */
  get currentNameScope(): string {
    return this.scope.name;
  }

  // This graph's scope stacks in the current async flow (TF keeps them per thread).
  private get scope(): ScopeState {
    return scopeIn(flowContext().scopes, this);
  }

  // The flow's context with this graph's scopes changed; `flow.run(context, fn)` enters it (called
  // directly: builders stay within creation_site's short stack walk).
  private entered(change: Partial<ScopeState>): FlowContext {
    const { graph, scopes } = flowContext();
    const state = { ...scopeIn(scopes, this), ...change };
    // Replacing this graph's own head frame keeps the chain at about one frame per graph.
    const next = scopes !== null && scopes.graph === this ? scopes.next : scopes;
    return { graph, scopes: { graph: this, state, next } };
  }

  /** TF's `unique_name`: 'a', then 'a_1', 'a_2', ... (case-insensitively unique). */
  uniqueName(name: string, markAsUsed = true): string {
    const scope = this.scope.name;
    const full = scope ? `${scope}/${name}` : name;
    const baseKey = full.toLowerCase();
    let i = this.namesInUse.get(baseKey) ?? 0;
    if (markAsUsed) this.namesInUse.set(baseKey, i + 1);
    if (i === 0) return full;
    let key = `${baseKey}_${i}`;
    while (this.namesInUse.has(key)) key = `${baseKey}_${++i}`;
    if (markAsUsed) this.namesInUse.set(key, 1);
    return `${full}_${i}`;
  }

  /**
   * Opens a name scope: `name` is made unique ('a', 'a_1'); a name ending in '/' re-enters that
   * exact scope; '' or null returns to the root. `fn` receives the scope with a trailing '/'.
   */
  nameScope<T>(name: string | null, fn: (scope: string) => T): T {
    if (name) checkName(name, this.scope.name === '' ? 'root scope name' : 'scope name');
    const scope = !name ? '' : name.endsWith('/') ? name.slice(0, -1) : this.uniqueName(name);
    return flow.run(this.entered({ name: scope }), fn, scope ? `${scope}/` : '');
  }

  /**
   * Ops created inside `fn` run after `deps`; null clears the enclosing dependencies. Deps already
   * imposed by an enclosing block are not repeated (TF's `control_dependencies`).
   */
  controlDependencies<T>(deps: readonly OpLike[] | null, fn: () => T): T {
    if (deps === null) return flow.run(this.entered({ control: [] }), fn);
    const enclosing = this.scope.control;
    const current = new Set(enclosing.flatMap((c) => c.deps));
    const ops: Operation[] = [];
    for (const d of deps) {
      const op = asOperation(d);
      if (!(op instanceof Operation)) {
        throw new TypeError(`controlDependencies: ${String(d)} is not an Operation or Tensor`);
      }
      this.checkSameGraph(op, 'controlDependencies');
      if (!current.has(op)) current.add(op), ops.push(op);
    }
    return flow.run(this.entered({ control: [...enclosing, { deps: ops, seen: new Set() }] }), fn);
  }

  /** @internal Whether ops built here get control inputs (an enclosing controlDependencies block has deps). */
  get hasControlDependencies(): boolean {
    return this.scope.control.some((c) => c.deps.length > 0);
  }
  /** @internal The variable scope entered by `withVariableScope` in this flow (undefined: the root). */
  get currentVariableScope(): object | undefined {
    return this.scope.variableScope;
  }
  /** @internal Runs `fn` (and its `await`s) in variable scope `scope`; see model/variable_scope.ts. */
  withVariableScope<T>(scope: object, fn: () => T): T {
    return flow.run(this.entered({ variableScope: scope }), fn);
  }

  /** Ops created in `fn` get device `spec` (TF's `tf.device`); '' keeps the enclosing one, null clears it. */
  device<T>(spec: string | null, fn: () => T): T {
    return spec === '' ? fn() : flow.run(this.entered({ device: spec ?? '' }), fn);
  }

  /**
   * Ops created inside `fn` are colocated with `target` (TF's `colocate_with`): they share its
   * colocation groups ('loc:@name') and device. Null clears the enclosing colocation.
   */
  colocateWith<T>(target: OpLike | null, fn: () => T): T {
    if (target === null) return flow.run(this.entered({ colocation: [] }), fn);
    const op = asOperation(target);
    this.checkSameGraph(op, 'colocateWith');
    const groups = op.colocationGroups.length ? op.colocationGroups : [`loc:@${op.name}`];
    const colocation = [...this.scope.colocation, groups];
    return flow.run(this.entered({ colocation, device: op.device }), fn);
  }

  /** Whether ops built here may use tensors of `g` (a control-flow body captures its enclosing graphs'). */
  capturesFrom(_g: Graph): boolean {
    return false;
  }

  /** @internal */
  checkSameGraph(op: Operation, what: string): void {
    if (op.graph !== this) {
      throw new ValueError(`${what}: ${op} is from a different Graph than the one being built`);
    }
  }

  // ---- op creation ---------------------------------------------------------------------------
  /** Creates an op: unique name, shape/dtype inference (throws at build time), control inputs. */
  createOp<A extends object>(
    def: OpDef<A>,
    inputs: readonly Tensor[],
    attrs: A,
    options: CreateOpOptions = {},
  ): Operation<A> {
    if (this._finalized) throw new RuntimeError('Graph is finalized and cannot be modified.');
    for (const t of inputs) {
      if (!(t instanceof Tensor))
        throw new TypeError(`${def.type}: expected Tensor inputs, got ${String(t)}`);
      this.checkSameGraph(t.op, def.type);
    }
    const name = this.opName(checkName(options.name ?? def.type, 'node name'));
    const outputs = def.infer(inputs, attrs, name);
    const scope = this.scope;
    const op = new Operation<A>(
      this,
      this.ops.length,
      name,
      def,
      freeze(inputs.slice()),
      controlInputsFor(scope.control, inputs),
      freeze(attrs, true),
      scope.device,
      colocationGroups(scope.colocation),
    );
    outputs.forEach((o, i) => {
      op._outputs.push(new Tensor(op, i, o.dtype, o.shape === null ? null : freeze([...o.shape])));
    });
    for (const t of inputs) t.consumers.push(op);
    for (const c of scope.control) c.seen.add(op);
    this.ops.push(op);
    this.byName.set(name, op);
    return op;
  }

  // A name ending in '/' is a scope name taken verbatim (TF's `_name_from_scope_name`).
  private opName(requested: string): string {
    if (!requested.endsWith('/')) return this.uniqueName(requested);
    const name = requested.slice(0, -1);
    if (this.byName.has(name)) throw new ValueError(`Duplicate node name in graph: '${name}'`);
    const key = name.toLowerCase();
    if (!this.namesInUse.has(key)) this.namesInUse.set(key, 1);
    return name;
  }
}

// TF's _VALID_OP_NAME_REGEX and _VALID_SCOPE_NAME_REGEX (ops.py): a name like 'a:0,b' would
// otherwise be ambiguous with tensor names and fetch lists.
const VALID_NAME = /^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$/;
const VALID_SCOPE_NAME = /^[A-Za-z0-9_.\-/>]*$/;
// TF 1.15 says 'scope name' for both (a root scope's name is held to the op-name pattern).
function checkName(name: string, what: 'node name' | 'root scope name' | 'scope name'): string {
  const ok = typeof name === 'string' && (what === 'scope name' ? VALID_SCOPE_NAME : VALID_NAME).test(name);
  if (!ok)
    throw new ValueError(`'${String(name)}' is not a valid ${what === 'node name' ? what : 'scope name'}`);
  return name;
}

function colocationGroups(stack: readonly (readonly string[])[]): readonly string[] {
  if (stack.length === 0) return [];
  return stack.length === 1 ? stack[0]! : [...new Set(stack.flat())].sort();
}

// TF's `_control_dependencies_for_inputs`: a block whose ops already feed this op (an input
// created inside it) is skipped, since that input already waits for the block's deps.
function controlInputsFor(stack: readonly ControlController[], inputs: readonly Tensor[]): Operation[] {
  if (stack.length === 0) return [];
  const result = new Set<Operation>();
  for (const c of stack) {
    if (inputs.some((t) => c.seen.has(t.op))) continue;
    for (const d of c.deps) if (!inputs.some((t) => t.op === d)) result.add(d);
  }
  return [...result];
}

let globalDefault = new Graph();

/** The graph builders act on: the innermost `asDefault`, else the global default graph. */
export function getDefaultGraph(): Graph {
  return flowContext().graph ?? globalDefault;
}

/** Where an op on inputs from `g` is built: the default graph if it is a body traced inside `g`. */
export const buildGraphFor = (g: Graph): Graph => (getDefaultGraph().capturesFrom(g) ? getDefaultGraph() : g);

/** Replaces the global default graph with a fresh one (TF's `reset_default_graph`). */
export function resetDefaultGraph(): void {
  if (flowContext().graph !== undefined) {
    throw new RuntimeError('Do not use resetDefaultGraph() to clear nested graphs (inside graph.asDefault).');
  }
  globalDefault = new Graph();
}

export const nameScope = <T>(name: string | null, fn: (scope: string) => T): T =>
  getDefaultGraph().nameScope(name, fn);
export const controlDependencies = <T>(deps: readonly OpLike[] | null, fn: () => T): T =>
  getDefaultGraph().controlDependencies(deps, fn);
export const device = <T>(spec: string | null, fn: () => T): T => getDefaultGraph().device(spec, fn);
export const colocateWith = <T>(target: OpLike | null, fn: () => T): T =>
  getDefaultGraph().colocateWith(target, fn);

/** Sets the default graph's random seed (TF's `tf.set_random_seed`). */
export function setRandomSeed(seed: number | null): void {
  getDefaultGraph().seed = seed;
}
