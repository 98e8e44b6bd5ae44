// mapFn, scan and foldl (TF's functional_ops), built on one While loop over the first dimension:
// the elements are the loop's sliced inputs (TF's TensorArray.unstack + read) and per-step
// results its accumulated outputs (TF's TensorArray.write + stack).

import { toTensor } from '../convert.js';
import type { DType } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { getDefaultGraph, type Tensor } from '../graph.js';
import { expandDims, shape } from '../ops/array.js';
import { concat } from '../ops/joins.js';
import { add, less } from '../ops/math.js';
import { gather, stridedSlice } from '../ops/slicing.js';
import { checkOptions } from '../options.js';
import { describeNest, flatten, flattenTensors, type Nest, pack, sameStructure } from './nest.js';
import { buildWhile } from './while.js';

/** Number of rows of `x`: static when known, else read from its shape at run time. */
function rowCount(x: Tensor): Tensor {
  const d = x.shape?.[0];
  return typeof d === 'number' ? toTensor(d, 'int32') : gather(shape(x), 0);
}

function elemsOf(fnName: string, elems: unknown): Tensor[] {
  const flat = flattenTensors(elems);
  if (flat.length === 0) throw new ValueError(`${fnName}: elems must contain at least one tensor`);
  for (const t of flat) {
    if (t.shape !== null && t.shape.length === 0) {
      throw new ValueError(
        `${fnName}: elements in elems must be 1+ dimensional, got '${t.name}' of shape []`,
      );
    }
  }
  return flat;
}

/** Sets the leading (row) dim of stacked results when the element count is static. */
function withRows(ts: readonly Tensor[], elems: readonly Tensor[]): void {
  const n = elems[0]!.shape?.[0] ?? null;
  for (const t of ts) if (t.shape !== null) t.setShape([n, ...t.shape.slice(1)]);
}

/**
 * `fn` applied to each row of `elems` (a tensor or nest of tensors with equal first dims), the
 * results stacked (TF's `tf.map_fn`).
 * @example const squares = mapFn((x) => mul(x, x), constant([1, 2, 3]));
 */
export function mapFn(
  fn: (x: never) => unknown,
  elems: Nest,
  opts: { dtype?: unknown; name?: string } = {},
): Nest {
  checkOptions('mapFn', opts, { dtype: 'any', name: 'string' });
  return getDefaultGraph().nameScope(opts.name ?? 'map', () => {
    const flat = elemsOf('mapFn', elems);
    const n = rowCount(flat[0]!);
    let outStructure: unknown = null;
    const { stacked } = buildWhile({
      name: 'while',
      loopVars: [toTensor(0, 'int32')],
      invariants: [[]],
      sliced: flat.map((tensor) => ({ tensor, reverse: false })),
      cond: ([i]) => less(i!, n),
      body: ([i], rows) => {
        outStructure = fn(pack(elems, rows) as never);
        const ys = flattenTensors(outStructure);
        checkDtypes(opts.dtype, ys);
        return { next: [add(i!, 1)], acc: ys };
      },
    });
    withRows(stacked, flat);
    return pack(outStructure, stacked) as Nest;
  });
}

function checkDtypes(dtype: unknown, ys: readonly Tensor[]): void {
  if (dtype === undefined) return;
  const want = flatten<DType>(dtype);
  if (want.length !== ys.length || want.some((d, i) => d !== ys[i]!.dtype)) {
    throw new TypeError(
      `mapFn: fn returned dtypes ${ys.map((y) => y.dtype).join(', ')}, but dtype says ${want.join(', ')}`,
    );
  }
}

interface ScanOptions {
  initializer?: Nest;
  reverse?: boolean;
  name?: string;
}

/**
 * Cumulative application of `fn(acc, x)` over the rows of `elems`, every intermediate `acc`
 * stacked (TF's `tf.scan`). Without an initializer the first row is the first `acc`.
 * @example scan((a, x) => add(a, x), constant([1, 2, 3])) // [1, 3, 6]
 */
export function scan(fn: (acc: never, x: never) => unknown, elems: Nest, opts: ScanOptions = {}): Nest {
  checkOptions('scan', opts, { initializer: 'any', reverse: 'boolean', name: 'string' });
  return getDefaultGraph().nameScope(opts.name ?? 'scan', () => {
    const r = accumulate('scan', fn, elems, opts, 'while', true);
    if (r.first === null) return pack(r.structure, r.stacked) as Nest;
    const joined = r.stacked.map((s, k) => {
      const head = expandDims(r.first![k]!, 0);
      return concat(opts.reverse ? [s, head] : [head, s], 0);
    });
    withRows(joined, r.elems);
    return pack(r.structure, joined) as Nest;
  });
}

/**
 * `fn(acc, x)` folded over the rows of `elems` from the first (TF's `tf.foldl`); without an
 * initializer the first row is the initial `acc`.
 * @example foldl((a, x) => add(a, x), constant([1, 2, 3])) // 6
 */
export function foldl(
  fn: (acc: never, x: never) => unknown,
  elems: Nest,
  opts: { initializer?: Nest; name?: string } = {},
): Nest {
  checkOptions('foldl', opts, { initializer: 'any', name: 'string' });
  return getDefaultGraph().nameScope(opts.name ?? 'foldl', () => {
    const r = accumulate('foldl', fn, elems, opts, 'while', false);
    return pack(r.structure, r.finals) as Nest;
  });
}

function accumulate(
  what: string,
  fn: (acc: never, x: never) => unknown,
  elems: Nest,
  opts: ScanOptions,
  name: string,
  stack: boolean,
) {
  const flat = elemsOf(what, elems);
  const reverse = opts.reverse ?? false;
  let structure: unknown = opts.initializer;
  let first: Tensor[] | null = null;
  let rows = flat;
  if (opts.initializer === undefined) {
    // TF: the first element (the last one, reversed) is the initial accumulator.
    // Strided slices (x[0] and x[1:], or x[-1] and x[:-1]) have dense gradients, as in TF.
    structure = elems;
    first = flat.map((x) =>
      stridedSlice(x, [reverse ? -1 : 0], [reverse ? 0 : 1], [1], { shrinkAxisMask: 1 }),
    );
    rows = flat.map((x) =>
      reverse
        ? stridedSlice(x, [0], [-1], [1], { beginMask: 1 })
        : stridedSlice(x, [1], [0], [1], { endMask: 1 }),
    );
  }
  const init = first ?? flattenTensors(opts.initializer);
  const count = rowCount(rows[0]!);
  const { finals, stacked } = buildWhile({
    name,
    loopVars: [toTensor(0, 'int32'), ...init],
    invariants: [[], ...init.map((t) => t.shape)],
    sliced: rows.map((tensor) => ({ tensor, reverse })),
    cond: ([i]) => less(i!, count),
    body: ([i, ...acc], xs) => {
      const out = fn(pack(structure, acc) as never, pack(elems, xs) as never);
      if (!sameStructure(structure, out)) {
        throw new ValueError(
          `${what}: fn must return the accumulator's structure.\n\nFirst structure: ${describeNest(structure)}\n\nSecond structure: ${describeNest(out)}`,
        );
      }
      const next = flattenTensors(out);
      return { next: [add(i!, 1), ...next], acc: stack ? next : [], accReverse: next.map(() => reverse) };
    },
  });
  if (opts.initializer !== undefined && stack) withRows(stacked, flat);
  return { structure, first, stacked, finals: finals.slice(1), elems: flat };
}
