// What keeps a run bounded: the plan cache (keyed structurally, least recently used evicted), the
// memory limit checked before a kernel allocates, and the deadline checked between kernels.
import { totalmem } from 'node:os';
import { formatShape, numElements, type Shape } from '../dtype.js';
import { DeadlineExceededError, ResourceExhaustedError } from '../errors.js';
import { Operation, type Tensor } from '../graph.js';
import type { Leaf } from './fetch_feed.js';

/** Plans kept per session; a program cycling through more fetch sets re-plans the oldest. */
export const PLAN_CACHE_SIZE = 256;

/**
 * The cache key of a (feeds, fetches) signature, from op ids and output indices, never names: a
 * name holding ',' or ':' cannot collide with another signature. Feeds are a set; fetches are
 * a set too (the plan computes each once, results are mapped back by the caller).
 */
export function planKey(feeds: Iterable<Tensor>, leaves: readonly Leaf[]): string {
  const ids = (xs: Iterable<Leaf>): string => {
    const out: string[] = [];
    for (const x of xs) out.push(x instanceof Operation ? `^${x.id}` : `${x.op.id}:${x.valueIndex}`);
    return out.length > 1 ? [...new Set(out)].sort().join(' ') : (out[0] ?? '');
  };
  return `${ids(feeds)}|${ids(leaves)}`;
}

/** A Map that forgets its least recently used entry beyond `limit`. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
  clear(): void {
    this.map.clear();
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, string: 16 };

/** The largest static output of an op (or a rewritten node), in bytes; unknown shapes count 0. */
export function staticOutputBytes(op: { readonly outputs: readonly Tensor[] }): number {
  let max = 0;
  for (const t of op.outputs) {
    const n = numElements(t.shape);
    if (n !== null) max = Math.max(max, n * (BYTES[t.dtype] ?? 4));
  }
  return max;
}

/** The default memory limit: what the machine holds. */
export const defaultMemoryLimit = (): number => totalmem();

export function resourceExhausted(op: Operation, bytes: number, limit: number): ResourceExhaustedError {
  const shapes = op.outputs.map((t) => `${t.dtype}${formatShape(t.shape as Shape)}`).join(', ');
  return new ResourceExhaustedError(
    `OOM when allocating tensor with shape ${shapes} (${bytes} bytes) for op '${op.name}' (type ${op.type}): ` +
      `above the session's memory limit of ${limit} bytes (SessionOptions.memoryLimitBytes)`,
    op,
  );
}

export function deadlineExceeded(op: Operation | null, timeoutInMs: number): DeadlineExceededError {
  return new DeadlineExceededError(
    `Timed out: the run took longer than RunOptions.timeoutInMs = ${timeoutInMs} ms` +
      (op ? ` (stopped before op '${op.name}')` : ''),
    op,
  );
}
