// TF 1.15's variable scopes and `get_variable` (variable_scope.py). Two name spaces meet here:
// ops are named by the *name* scope (unique per opening: `foo/`, `foo_1/`), variables by the
// *variable* scope (`foo/v` however often `foo` is opened). Each graph keeps its own store of
// variables made by getVariable; the current variable scope lives in the graph's async flow
// context with the name scope, so a scope entered around an async callback holds after `await`.

import { liftedGraph } from '../control/func_graph.js';
import { type TensorInput, toTensor } from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { checkDType, checkShape, formatShape, isFullyDefined, shapesCompatible } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { type Graph, getDefaultGraph, Tensor } from '../graph.js';
import { GraphKeys } from '../graph_keys.js';
import type { TensorLike } from '../ndarray.js';
import { checkOptions, type OptionSpec } from '../options.js';
import { type Variable, variable } from '../variable.js';
import { glorotUniform, type Initializer, zeros } from './initializers.js';

/** `reuse: AUTO_REUSE`: get the variable if it exists, create it otherwise. */
export const AUTO_REUSE: unique symbol = Symbol('AUTO_REUSE');
export type Reuse = boolean | typeof AUTO_REUSE;
/** A regularizer maps a weight to a scalar loss, or null for none (TF's `regularizer(w)`). */
export type Regularizer = (w: Tensor) => Tensor | null;

/** A regularizer that adds nothing: switches off a scope's regularizer (TF's `no_regularizer`). */
export const noRegularizer: Regularizer = () => null;

/** A scope's or getVariable's initializer: a function of (shape, dtype), or a value / Tensor. */
export type InitializerArg = Initializer | TensorLike | Tensor;

interface ScopeDefaults {
  initializer?: InitializerArg | undefined;
  regularizer?: Regularizer | undefined;
  dtype?: DType | undefined;
}

/** A variable scope: its name, reuse flag and the defaults its getVariable calls use. */
export class VariableScope {
  /** A value given as the scope's initializer is kept as a function tagged with the value. */
  initializer: Initializer | undefined;
  regularizer: Regularizer | undefined;
  dtype: DType;
  /** @internal use variableScope() */
  constructor(
    public reuse: Reuse,
    readonly name: string,
    defaults: ScopeDefaults = {},
    /** The name scope opened when this scope was first entered ('foo/'), re-entered by layers. */
    readonly originalNameScope = '',
  ) {
    this.initializer = scopeInitializer(defaults.initializer);
    this.regularizer = defaults.regularizer;
    this.dtype = defaults.dtype ?? 'float32';
  }
  /** From now on getVariable in this scope returns existing variables (TF's reuse_variables). */
  reuseVariables(): void {
    this.reuse = true;
  }
  setInitializer(initializer: InitializerArg | undefined): void {
    this.initializer = scopeInitializer(initializer);
  }
  setRegularizer(regularizer: Regularizer | undefined): void {
    this.regularizer = regularizer;
  }
  setDtype(dtype: DType): void {
    this.dtype = dtype;
  }
  private collection(key: string): Variable[] {
    return homeGraph().getCollection<Variable>(key, this.name ? `${escape(this.name)}/` : undefined);
  }
  globalVariables(): Variable[] {
    return this.collection(GraphKeys.GLOBAL_VARIABLES);
  }
  trainableVariables(): Variable[] {
    return this.collection(GraphKeys.TRAINABLE_VARIABLES);
  }
  localVariables(): Variable[] {
    return this.collection(GraphKeys.LOCAL_VARIABLES);
  }
}
// TF lets a scope's initializer be a value (then its variables take no shape). The scope keeps
// API.md's `Initializer` type: a function filling the shape, tagged with the value for getVariable.
const VALUE = Symbol('initializer value');
type TaggedInitializer = Initializer & { [VALUE]?: TensorLike | Tensor };
function scopeInitializer(init: InitializerArg | undefined): Initializer | undefined {
  if (init === undefined || typeof init === 'function') return init;
  const fill: Initializer = (_shape, dtype) => toTensor(init, dtype);
  return Object.assign(fill, { [VALUE]: init });
}
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface GraphScopes {
  /** The root scope '' (its reuse and defaults may be set like any scope's). */
  root: VariableScope;
  /** How often each variable scope name was opened (TF's variable_scopes_count). */
  counts: Map<string, number>;
  /** Variables made by getVariable, by full name (TF's _VariableStore). */
  vars: Map<string, Variable>;
}
const perGraph = new WeakMap<Graph, GraphScopes>();
function scopesOf(graph: Graph): GraphScopes {
  let s = perGraph.get(graph);
  if (!s)
    perGraph.set(graph, (s = { root: new VariableScope(false, ''), counts: new Map(), vars: new Map() }));
  return s;
}

/** The innermost variable scope of the default graph (the root scope '' outside any). */
export function getVariableScope(): VariableScope {
  return currentScope(homeGraph());
}
// Variable scopes, the store and the variables live in the outermost graph: a cond branch or loop
// body (a FuncGraph) builds its ops in its own graph but sees the enclosing variable scope, and
// its getVariable calls make (or find) the variables outside, as TF's init_scope does.
const homeGraph = (): Graph => liftedGraph(getDefaultGraph());
const currentScope = (graph: Graph): VariableScope =>
  (graph.currentVariableScope as VariableScope | undefined) ?? scopesOf(graph).root;

/** The variables getVariable made in the default graph, by full name (TF's variable store). */
export function getVariableStore(): ReadonlyMap<string, Variable> {
  return scopesOf(homeGraph()).vars;
}

export interface VariableScopeOptions extends ScopeDefaults {
  /** true: getVariable returns existing variables; AUTO_REUSE: get or create; false: inherit. */
  reuse?: Reuse;
  /** With `nameOrScope` null: the scope is `defaultName`, made unique ('dense', 'dense_1'). */
  defaultName?: string;
  /** false: open no name scope of its own (ops keep the enclosing name scope). */
  auxiliaryNameScope?: boolean;
}
const SCOPE_OPTIONS: OptionSpec<VariableScopeOptions> = {
  reuse: 'any',
  initializer: 'any',
  regularizer: 'function',
  dtype: 'string',
  defaultName: 'string',
  auxiliaryNameScope: 'any',
};

/**
 * Runs `fn` inside a variable scope (TF's `tf.variable_scope`), which also opens a name scope.
 * Re-entering by object keeps the scope's name; opening the same name again gives the same
 * variable scope but a new name scope (`foo_1/` for ops, `foo/` for variables).
 * @example
 * const w = variableScope('layer1', () => getVariable('w', { shape: [784, 10] }));   // 'layer1/w'
 * variableScope('layer1', () => getVariable('w'), { reuse: true });                   // the same w
 */
export function variableScope<T>(
  nameOrScope: string | VariableScope | null,
  fn: (scope: VariableScope) => T,
  opts: VariableScopeOptions = {},
): T {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `variableScope: the second argument must be a function (scope) => result, got ${typeof fn} (options go third)`,
    );
  }
  checkOptions('variableScope', opts, SCOPE_OPTIONS);
  if (nameOrScope !== null && typeof nameOrScope !== 'string' && !(nameOrScope instanceof VariableScope)) {
    throw new TypeError('VariableScope: name_or_scope must be a string or VariableScope.');
  }
  if (nameOrScope === null && opts.defaultName === undefined) {
    throw new TypeError('If default_name is None then name_or_scope is required');
  }
  if (opts.dtype !== undefined) checkDType('variableScope: option dtype', opts.dtype);
  if (![true, false, undefined, AUTO_REUSE].includes(opts.reuse)) {
    throw new ValueError('The reuse parameter must be True or False or None.');
  }
  if (opts.auxiliaryNameScope !== undefined && typeof opts.auxiliaryNameScope !== 'boolean') {
    throw new TypeError(
      `The auxiliary_name_scope must be \`True\` or \`False\`, while get ${String(opts.auxiliaryNameScope)}`,
    );
  }
  // reuse=false means "inherit" (TF: "We don't allow non-inheriting scopes, False = None here").
  const reuse = opts.reuse === false ? undefined : opts.reuse;
  const graph = getDefaultGraph();
  const home = liftedGraph(graph);
  const aux = opts.auxiliaryNameScope ?? true;
  const current = graph.currentNameScope;
  const inNameScope = <R>(name: string, body: (ns: string) => R): R =>
    aux ? graph.nameScope(name, body) : graph.nameScope(current ? `${current}/` : null, body);
  const defaults = { initializer: opts.initializer, regularizer: opts.regularizer, dtype: opts.dtype };
  if (nameOrScope === null) {
    if (reuse) throw new ValueError('reuse=True cannot be used without a name_or_scope');
    return inNameScope(opts.defaultName!, (ns) =>
      enter(home, uniqueScopeName(home, opts.defaultName!), { ...defaults, reuse, nameScope: ns }, fn),
    );
  }
  const nsName = typeof nameOrScope === 'string' ? nameOrScope : nameOrScope.name.split('/').pop()!;
  const run = (ns: string | undefined): T => {
    const nameScope = typeof nameOrScope === 'string' ? ns : nameOrScope.originalNameScope;
    return enter(home, nameOrScope, { ...defaults, reuse, nameScope }, fn);
  };
  // Only re-entering the root scope ('') opens no name scope at all.
  return nsName || !aux ? inNameScope(nsName, run) : run(undefined);
}

interface EnterArgs extends ScopeDefaults {
  reuse: Reuse | undefined;
  nameScope: string | undefined;
}
// TF's _pure_variable_scope: the variable-scope half of variableScope.
function enter<T>(
  graph: Graph,
  nameOrScope: string | VariableScope,
  a: EnterArgs,
  fn: (scope: VariableScope) => T,
): T {
  const st = scopesOf(graph);
  const old = currentScope(graph);
  let scope: VariableScope;
  let restore: () => void;
  if (nameOrScope instanceof VariableScope) {
    // Jumping to a shared scope: a copy of it, with reuse/defaults changed where asked. Its
    // reuse is its own, not the enclosing scope's.
    scope = new VariableScope(
      a.reuse ? a.reuse : nameOrScope.reuse,
      nameOrScope.name,
      {
        initializer: a.initializer ?? nameOrScope.initializer,
        regularizer: a.regularizer ?? nameOrScope.regularizer,
        dtype: a.dtype ?? nameOrScope.dtype,
      },
      nameOrScope.originalNameScope,
    );
    open(st, scope.name);
    const saved = new Map(st.counts);
    restore = () => (st.counts = saved);
  } else {
    const name = old.name ? `${old.name}/${nameOrScope}` : nameOrScope;
    // Reuse is inherited by sub-scopes.
    scope = new VariableScope(
      a.reuse || old.reuse,
      name,
      {
        initializer: a.initializer ?? old.initializer,
        regularizer: a.regularizer ?? old.regularizer,
        dtype: a.dtype ?? old.dtype,
      },
      a.nameScope ?? nameOrScope,
    );
    open(st, name);
    restore = () => closeSubscopes(st, name);
  }
  try {
    return graph.withVariableScope(scope, () => fn(scope));
  } finally {
    restore();
  }
}
const open = (st: GraphScopes, name: string): void =>
  void st.counts.set(name, (st.counts.get(name) ?? 0) + 1);
// Leaving scope `name` forgets its sub-scopes, so re-entering it names default scopes afresh.
function closeSubscopes(st: GraphScopes, name: string): void {
  for (const k of st.counts.keys()) if (k.startsWith(`${name}/`)) st.counts.set(k, 0);
}
// TF's _get_unique_variable_scope: 'dense', 'dense_1', ... within the current variable scope.
function uniqueScopeName(graph: Graph, prefix: string): string {
  const st = scopesOf(graph);
  const current = currentScope(graph).name;
  const base = current ? `${current}/${prefix}` : prefix;
  if (!st.counts.get(base)) return prefix;
  let i = 1;
  while (st.counts.get(`${base}_${i}`)) i++;
  return `${prefix}_${i}`;
}

export interface GetVariableOptions {
  shape?: Shape;
  dtype?: DType;
  /**
   * A function (shape, dtype) => Tensor; a function of no arguments (then give no shape); or a
   * value / Tensor (then give no shape).
   */
  initializer?: InitializerArg | (() => TensorLike | Tensor);
  regularizer?: Regularizer | null;
  trainable?: boolean;
  collections?: string[];
  validateShape?: boolean;
}
const GET_OPTIONS: OptionSpec<GetVariableOptions> = {
  shape: 'any',
  dtype: 'string',
  initializer: 'any',
  regularizer: 'any',
  trainable: 'boolean',
  collections: 'any',
  validateShape: 'boolean',
};

/**
 * The variable `<scope>/<name>`: created (initializer default: glorotUniform for floats, zeros
 * otherwise) or, in a reusing scope, the existing one (TF's `tf.get_variable`).
 * @example const w = getVariable('w', { shape: [784, 10], initializer: initializers.zeros() });
 */
export function getVariable(name: string, opts: GetVariableOptions = {}): Variable {
  checkGetVariableArgs(name, opts);
  const graph = homeGraph();
  const st = scopesOf(graph);
  const scope = currentScope(graph);
  const fullName = scope.name ? `${scope.name}/${name}` : name;
  const given = opts.initializer ?? scope.initializer;
  const init = typeof given === 'function' && VALUE in given ? (given as TaggedInitializer)[VALUE] : given;
  const fromValue = init !== undefined && typeof init !== 'function';
  // TF checks this before looking the variable up, so it holds on reuse too.
  if (fromValue && opts.shape !== undefined)
    throw new ValueError('If initializer is a constant, do not specify shape.');
  if (opts.dtype !== undefined && init instanceof Tensor && init.dtype !== opts.dtype) {
    throw new ValueError(`Initializer type '${init.dtype}' and explicit dtype '${opts.dtype}' don't match.`);
  }
  const dtype = opts.dtype ?? (init instanceof Tensor ? init.dtype : scope.dtype);
  const shape = opts.shape ?? null;
  const found = st.vars.get(fullName);
  if (found) {
    if (scope.reuse === false) {
      throw new ValueError(
        `Variable ${fullName} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?`,
      );
    }
    if (!shapesCompatible(shape, found.shape)) {
      throw new ValueError(
        `Trying to share variable ${fullName}, but specified shape ${formatShape(shape)} and found shape ${formatShape(found.shape)}.`,
      );
    }
    if (dtype !== found.dtype) {
      throw new ValueError(
        `Trying to share variable ${fullName}, but specified dtype ${dtype} and found dtype ${found.dtype}.`,
      );
    }
    return found;
  }
  if (scope.reuse === true) {
    throw new ValueError(
      `Variable ${fullName} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?`,
    );
  }
  // A value initializer becomes the constant '<name>/initial_value', a function is called under
  // '<name>/Initializer/', both at the root name scope (variable names follow variable scopes).
  const initial = fromValue
    ? (init as TensorLike | Tensor)
    : initializerCall(init as Initializer | undefined, fullName, dtype, shape);
  return graph.asDefault(() => {
    const v = graph.nameScope(null, () =>
      graph.controlDependencies(null, () =>
        variable(initial, {
          name: fullName,
          dtype,
          trainable: opts.trainable ?? true,
          ...(opts.collections ? { collections: opts.collections } : {}),
          ...(opts.validateShape === undefined ? {} : { validateShape: opts.validateShape }),
        }),
      ),
    );
    st.vars.set(fullName, v);
    const regularizer = opts.regularizer ?? scope.regularizer;
    if (regularizer) addRegularization(graph, v, fullName, regularizer);
    return v;
  });
}

// TF 1.15's _get_single_variable: with a fully defined shape the initializer is called with it;
// without one, only a function of no arguments will do (its value gives the shape). The default
// initializer is glorot uniform for floats and zeros ('' for strings) otherwise.
// Plain-JS callers get a TypeError naming getVariable and the argument, not a failure deep inside.
function checkGetVariableArgs(name: unknown, opts: GetVariableOptions): void {
  checkOptions('getVariable', opts, GET_OPTIONS);
  if (typeof name !== 'string')
    throw new TypeError(`getVariable: name must be a string, got ${typeof name} ${String(name)}`);
  if (opts.shape !== undefined && opts.shape !== null)
    checkShape('getVariable: option shape', opts.shape, true);
  if (opts.dtype !== undefined) checkDType('getVariable: option dtype', opts.dtype);
  const { regularizer: r, collections: c } = opts;
  if (r !== undefined && r !== null && typeof r !== 'function')
    throw new TypeError(
      `getVariable: option 'regularizer' must be a function (w) => Tensor | null, got ${typeof r}`,
    );
  if (c !== undefined && !(Array.isArray(c) && c.every((k) => typeof k === 'string')))
    throw new TypeError(`getVariable: option 'collections' must be an array of strings, got ${String(c)}`);
}

function initializerCall(
  init: Initializer | undefined,
  name: string,
  dtype: DType,
  shape: Shape | null,
): () => Tensor {
  const f = init ?? (dtype === 'float32' ? glorotUniform() : zeros());
  if (isFullyDefined(shape)) return () => f(shape as number[], dtype);
  if (init && init.length === 0) return () => toTensor((init as unknown as () => TensorInput)());
  throw new ValueError(
    "The initializer passed is not valid. It should be a callable with no arguments and the shape should not be provided or an instance of `tf.keras.initializers.*' and `shape` should be fully defined." +
      ` (variable ${name}, shape ${formatShape(shape)})`,
  );
}

// The loss is built under '<name>/Regularizer/', outside control dependencies, next to the
// variable, and collected in REGULARIZATION_LOSSES (TF's _get_single_variable).
function addRegularization(graph: Graph, v: Variable, name: string, regularizer: Regularizer): void {
  const loss = graph.colocateWith(v.op, () =>
    graph.nameScope(`${name}/Regularizer/`, () =>
      graph.controlDependencies(null, () => regularizer(v.value())),
    ),
  );
  if (loss !== null) graph.addToCollection(GraphKeys.REGULARIZATION_LOSSES, loss);
}
