// `whileLoop` (TF's tf.while_loop, v2 functional form): cond and body are traced once into
// function graphs, so a loop of any trip count adds one While op to the graph; the kernel runs
// their cached plans once per iteration.

import { type TensorInput, toTensor } from '../convert.js';
import type { DType, Shape } from '../dtype.js';
import { formatShape, shapesCompatible } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { controlDependencies, getDefaultGraph, type Operation, type Tensor } from '../graph.js';
import { add, less, logicalAnd } from '../ops/math.js';
import { checkOptions } from '../options.js';
import { funcOutputs } from './cond.js';
import { type FuncGraph, traceFunc, uniqueFnName } from './func_graph.js';
import { describeNest, flattenTensors, type Nest, pack, sameStructure } from './nest.js';
import { StatelessWhile, While, type WhileAttrs } from './while_op.js';

export interface WhileSpec {
  name: string;
  loopVars: readonly Tensor[];
  /** Static shape each loop variable keeps across iterations. */
  invariants: readonly (Shape | null)[];
  /** Tensors the body reads row by row (row t, or n-1-t when reversed). */
  sliced?: readonly { tensor: Tensor; reverse: boolean }[];
  cond(vars: Tensor[]): Tensor;
  /** Next loop variables, and values stacked across iterations (row t, or T-1-t when reversed). */
  body(vars: Tensor[], rows: Tensor[]): { next: Tensor[]; acc?: Tensor[]; accReverse?: boolean[] };
  parallelIterations?: number;
  /** False: gradients do not flow through the loop (TF's back_prop). */
  backProp?: boolean;
  /** Names the loop variables in error messages. */
  describeVar?(i: number): string;
}

/** Builds a While op from flat loop variables; returns its final values and stacked outputs. */
export function buildWhile(spec: WhileSpec): { finals: Tensor[]; stacked: Tensor[]; op: Operation } {
  // TF's while_v2: `with name_scope(name) as scope`, the bodies traced in it, the op named `scope`.
  return getDefaultGraph().nameScope(spec.name, (scope) => traceWhile(spec, scope));
}

function traceWhile(spec: WhileSpec, scope: string): { finals: Tensor[]; stacked: Tensor[]; op: Operation } {
  const graph = getDefaultGraph();
  const sliced = spec.sliced ?? [];
  const args = spec.loopVars.map((v, i) => ({ dtype: v.dtype, shape: spec.invariants[i] ?? null }));
  const name = (i: number) => spec.describeVar?.(i) ?? `'${spec.loopVars[i]!.name}'`;
  const c = traceFunc(
    uniqueFnName(scope, 'cond'),
    graph,
    args,
    (fg, vars) => {
      const p = toTensor(spec.cond(vars) as TensorInput);
      if (p.dtype !== 'bool' || (p.shape !== null && p.shape.length !== 0)) {
        throw new TypeError(`whileLoop: cond must return a bool scalar, got ${p}`);
      }
      fg.outputs = funcOutputs(fg, p);
    },
    { nameScope: scope },
  );
  let accReverse: boolean[] = [];
  const rowArgs = sliced.map(({ tensor }) => ({
    dtype: tensor.dtype,
    shape: tensor.shape && tensor.shape.slice(1),
  }));
  const b = traceFunc(
    uniqueFnName(scope, 'body'),
    graph,
    [...args, ...rowArgs],
    (fg, ins) => {
      const out = spec.body(ins.slice(0, args.length), ins.slice(args.length));
      out.next.forEach((t, i) => checkInvariant(t, args[i]!, name(i)));
      accReverse = out.acc?.map((_, k) => out.accReverse?.[k] ?? false) ?? [];
      fg.outputs = funcOutputs(fg, [...out.next, ...(out.acc ?? [])]);
    },
    { nameScope: scope },
  );
  const condCaps = c.fg.capturedOuter();
  const bodyCaps = b.fg.capturedOuter();
  const inputs = [...spec.loopVars, ...sliced.map((x) => x.tensor), ...condCaps, ...bodyCaps];
  const attrs: WhileAttrs = {
    cond: c.fg,
    body: b.fg,
    T: inputs.map((t) => t.dtype),
    output_shapes: args.map((x) => x.shape),
    parallel_iterations: spec.parallelIterations ?? 10,
    numLoopVars: args.length,
    numCondCaptures: condCaps.length,
    sliceReverse: sliced.map((x) => x.reverse),
    accReverse,
    backProp: spec.backProp ?? true,
  };
  const stateful = [c.fg, b.fg].some(hasStatefulOp);
  const deps = [...new Set([...c.fg.controlCaptures, ...b.fg.controlCaptures])];
  const op = controlDependencies(deps, () =>
    (stateful ? While : StatelessWhile).applyOp({ input: inputs }, attrs, { name: scope }),
  );
  return { finals: op.outputs.slice(0, args.length), stacked: op.outputs.slice(args.length), op };
}

const hasStatefulOp = (fg: FuncGraph): boolean => fg.getOperations().some((op) => op.def.stateful);

function checkInvariant(t: Tensor, arg: { dtype: DType; shape: Shape | null }, name: string): void {
  if (t.dtype !== arg.dtype) {
    throw new TypeError(
      `Loop variable ${name} enters the loop with dtype ${arg.dtype}, but has dtype ${t.dtype} after one iteration.`,
    );
  }
  if (
    !shapesCompatible(arg.shape, t.shape) ||
    (arg.shape !== null && t.shape === null) ||
    !within(t.shape, arg.shape)
  ) {
    throw new ValueError(
      `Input tensor ${name} enters the loop with shape ${formatShape(arg.shape)}, but has shape ${formatShape(t.shape)} after one iteration. To allow the shape to vary across iterations, use the \`shapeInvariants\` argument of whileLoop to specify a less-specific shape.`,
    );
  }
}

// `s` is at least as specific as the invariant: every dim the invariant fixes, `s` has equal.
const within = (s: Shape | null, inv: Shape | null): boolean =>
  inv === null || (s !== null && s.length === inv.length && inv.every((d, i) => d === null || d === s[i]));

export interface WhileLoopOptions {
  /** Per loop variable (same structure), the shape it may take across iterations. */
  shapeInvariants?: unknown;
  parallelIterations?: number;
  backProp?: boolean;
  maximumIterations?: number | Tensor;
  /**
   * TF's swap_memory (swap a GPU loop's saved tensors to host memory): our backends already keep
   * every tensor in host memory, so it is accepted and changes nothing.
   */
  swapMemory?: boolean;
  name?: string;
}

/**
 * Repeats `body` while `cond` holds (TF's `tf.while_loop`); returns the final loop variables in
 * `loopVars`' structure. An array of loop variables is spread into `cond` and `body`.
 * @example const [i, acc] = whileLoop((i, a) => less(i, 10), (i, a) => [add(i, 1), mul(a, 2)], [0, 1]);
 */
export function whileLoop<T extends Nest>(
  cond: (...vars: never[]) => Tensor | boolean,
  body: (...vars: never[]) => unknown,
  loopVars: T,
  opts: WhileLoopOptions = {},
): T {
  const graph = getDefaultGraph();
  checkOptions('whileLoop', opts, {
    shapeInvariants: 'any',
    parallelIterations: 'number',
    backProp: 'boolean',
    maximumIterations: 'any',
    swapMemory: 'boolean',
    name: 'string',
  });
  if (typeof cond !== 'function') throw new TypeError('cond must be callable.');
  if (typeof body !== 'function') throw new TypeError('body must be callable.');
  return graph.nameScope(opts.name ?? 'while', (scope) => {
    const flat = flattenTensors(loopVars);
    if (flat.length === 0) throw new ValueError('No loop variables provided');
    const par = opts.parallelIterations;
    if (par !== undefined && !(Number.isInteger(par) && par > 0)) {
      throw new ValueError('parallel_iterations must be a positive integer.');
    }
    const invariants =
      opts.shapeInvariants === undefined
        ? flat.map((t) => t.shape)
        : flatInvariants(loopVars, opts.shapeInvariants);
    flat.forEach((t, i) => {
      if (!shapesCompatible(t.shape, invariants[i]!) || !within(t.shape, invariants[i]!)) {
        throw new ValueError(
          `The shape invariant specified for ${t.name} is not compatible with the initial shape of the loop variable. It enters the loop with shape ${formatShape(t.shape)}, but the specified shape invariant is ${formatShape(invariants[i]!)}.`,
        );
      }
    });
    const call = (fn: (...v: never[]) => unknown, vars: Tensor[]) => {
      const packed = pack(loopVars, vars);
      return Array.isArray(loopVars) ? fn(...(packed as never[])) : fn(packed as never);
    };
    const max = opts.maximumIterations;
    const counter = max === undefined ? [] : [toTensor(0, 'int32')];
    const maxT = max === undefined ? null : toTensor(max, 'int32');
    if (maxT?.shape && maxT.shape.length !== 0) {
      throw new ValueError(`maximum_iterations must be a scalar, saw shape: ${formatShape(maxT.shape)}`);
    }
    const { finals } = buildWhile({
      name: scope,
      loopVars: [...counter, ...flat],
      invariants: [...counter.map(() => []), ...invariants],
      parallelIterations: opts.parallelIterations,
      backProp: opts.backProp,
      describeVar: (i) => `'${[...counter, ...flat][i]!.name}'`,
      cond: (vars) => {
        const p = toTensor(call(cond, vars.slice(counter.length)) as TensorInput, 'bool');
        return maxT === null ? p : logicalAnd(less(vars[0]!, maxT), p);
      },
      body: (vars) => {
        let out = call(body, vars.slice(counter.length));
        if (Array.isArray(loopVars) && loopVars.length === 1 && !Array.isArray(out)) out = [out];
        if (!sameStructure(loopVars, out)) {
          throw new ValueError(
            `The two structures don't have the same nested structure.\n\nFirst structure: ${describeNest(loopVars)}\n\nSecond structure: ${describeNest(out)}`,
          );
        }
        return { next: [...(maxT === null ? [] : [add(vars[0]!, 1)]), ...flattenTensors(out)] };
      },
    });
    return pack(loopVars, finals.slice(counter.length)) as T;
  });
}

// Invariants follow the loop variables' structure; a Shape (an array) is a leaf there.
function flatInvariants(structure: unknown, invariants: unknown): (Shape | null)[] {
  const out: (Shape | null)[] = [];
  const walk = (s: unknown, inv: unknown): void => {
    if (Array.isArray(s)) {
      if (!Array.isArray(inv) || inv.length !== s.length) throw invariantMismatch(structure, invariants);
      s.forEach((x, i) => walk(x, inv[i]));
    } else if (typeof s === 'object' && s !== null && Object.getPrototypeOf(s) === Object.prototype) {
      const r = inv as Record<string, unknown>;
      for (const k of Object.keys(s).sort()) walk((s as Record<string, unknown>)[k], r?.[k]);
    } else {
      if (inv !== null && !Array.isArray(inv)) throw invariantMismatch(structure, invariants);
      out.push(inv as Shape | null);
    }
  };
  walk(structure, invariants);
  return out;
}

const invariantMismatch = (a: unknown, b: unknown) =>
  new ValueError(
    `shapeInvariants must have the same structure as loopVars: ${describeNest(a)} vs ${JSON.stringify(b)}`,
  );
