// The public shapes of `Session.run`'s arguments and result, and their conversion: nested fetch
// structures flatten to a list of leaves (rebuilt around the results), feeds in any of the three
// forms normalise to checked NDArrays keyed by Tensor.
import type { DType } from '../dtype.js';
import { formatShape, shapesCompatible } from '../dtype.js';
import { TypeError, ValueError } from '../errors.js';
import { type Graph, Operation, Tensor } from '../graph.js';
import { NDArray, type TensorLike } from '../ndarray.js';
import { Variable } from '../variable.js';

export type Fetch = Tensor | Variable | Operation | string;
export type Fetches = Fetch | readonly Fetches[] | { readonly [k: string]: Fetches };
/** Mirrors the fetch structure: Tensor/Variable → NDArray, Operation → null. */
export type FetchResult<F> = F extends Operation
  ? null
  : F extends Tensor | Variable
    ? NDArray
    : F extends string
      ? NDArray | null
      : F extends readonly unknown[]
        ? { -readonly [K in keyof F]: FetchResult<F[K]> }
        : F extends object
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : never;
export type FeedValue = TensorLike;
export type FeedDict =
  | ReadonlyMap<Tensor | string, FeedValue>
  | ReadonlyArray<readonly [Tensor | string, FeedValue]>
  | Readonly<Record<string, FeedValue>>;

export type Leaf = Tensor | Operation;
type Rebuild = (next: () => NDArray | null) => unknown;
const takeOne: Rebuild = (next) => next();

/** Appends the fetch leaves to `leaves` and returns how to rebuild the structure from results. */
export function flattenFetches(graph: Graph, f: Fetches, leaves: Leaf[]): Rebuild {
  if (f instanceof Tensor || f instanceof Operation) {
    if (f.graph !== graph) {
      throw new ValueError(`Fetch argument ${f} is not an element of this graph.`);
    }
    leaves.push(f);
    return takeOne;
  }
  if (f instanceof Variable) return flattenFetches(graph, f.value(), leaves);
  if (typeof f === 'string') return flattenFetches(graph, graph.getByName(f), leaves);
  if (Array.isArray(f)) {
    const parts = f.map((x: Fetches) => flattenFetches(graph, x, leaves));
    return (next) => parts.map((p) => p(next));
  }
  if (typeof f === 'object' && f !== null && isPlainObject(f)) {
    const entries = Object.entries(f as Record<string, Fetches>).map(
      ([k, v]) => [k, flattenFetches(graph, v, leaves)] as const,
    );
    return (next) => Object.fromEntries(entries.map(([k, p]) => [k, p(next)]));
  }
  const kind = typeof f === 'object' && f !== null ? (f.constructor?.name ?? 'object') : typeof f;
  throw new TypeError(
    `Fetch argument ${String(f)} has invalid type ${kind}: must be a Tensor, Variable, Operation, name, or an array or plain object of them`,
  );
}

// A Promise, Map or class instance among the fetches is a mistake, not an empty record.
function isPlainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** The (key, value) pairs of a feed dict given in any of its three forms. */
export function feedEntries(feedDict: FeedDict): Iterable<readonly [Tensor | string, FeedValue]> {
  return feedDict instanceof Map || Array.isArray(feedDict)
    ? (feedDict as Iterable<readonly [Tensor | string, FeedValue]>)
    : Object.entries(feedDict as Record<string, FeedValue>);
}

/** The tensor a feed key (or a hook's tensor name) names: 'op:1' is output 1, a bare 'op' output 0. */
export function lookupTensor(graph: Graph, key: Tensor | string): Tensor {
  return typeof key === 'string' ? graph.getTensorByName(/:\d+$/.test(key) ? key : `${key}:0`) : key;
}

// Lossless widenings a feed may make (TF converts feeds with numpy; we refuse lossy casts).
const WIDENS: Partial<Record<DType, readonly DType[]>> = { float32: ['int32', 'bool'], int32: ['bool'] };

/**
 * Checks every feed against its tensor's static dtype and shape and converts it to an NDArray,
 * owned (a copy of the caller's array) unless `borrow`: an executor that neither keeps nor writes
 * a fed buffer past the run takes the caller's array as it is.
 */
export function normalizeFeeds(
  graph: Graph,
  feedDict: FeedDict | undefined,
  borrow = false,
): Map<Tensor, NDArray> {
  const out = new Map<Tensor, NDArray>();
  if (!feedDict) return out;
  for (const [key, value] of feedEntries(feedDict)) {
    const t = lookupTensor(graph, key);
    if (!(t instanceof Tensor))
      throw new TypeError(`Feed key ${String(key)} is not a Tensor or a tensor name`);
    if (t.graph !== graph)
      throw new ValueError(`Cannot feed Tensor '${t.name}': it is not an element of this graph.`);
    if (value instanceof NDArray && value.dtype !== t.dtype && !WIDENS[t.dtype]?.includes(value.dtype)) {
      throw new TypeError(
        `Cannot feed a value of dtype ${value.dtype} for Tensor '${t.name}' of dtype ${t.dtype}`,
      );
    }
    let nd: NDArray;
    try {
      nd = NDArray.from(value, t.dtype);
    } catch (e) {
      const Err = e instanceof ValueError ? ValueError : TypeError;
      throw new Err(`Cannot feed value for Tensor '${t.name}' of dtype ${t.dtype}: ${(e as Error).message}`);
    }
    if (!shapesCompatible(t.shape, nd.shape)) {
      throw new ValueError(
        `Cannot feed value of shape ${formatShape(nd.shape)} for Tensor '${t.name}', which has shape ${formatShape(t.shape)}`,
      );
    }
    // The run must not alias the caller's buffer (tfjs keeps typed arrays it is given).
    out.set(t, nd === value && !borrow ? new NDArray(nd.dtype, nd.shape.slice(), nd.data.slice()) : nd);
  }
  return out;
}
