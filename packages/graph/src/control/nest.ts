// Nested structures of tensors (TF's `nest`): a Tensor, an array of nests, or a record of nests.
// Control-flow builders flatten what user functions return, and pack flat results back.

import { type TensorInput, toTensor } from '../convert.js';
import { TypeError, ValueError } from '../errors.js';
import { Tensor } from '../graph.js';

export type Nest = Tensor | readonly Nest[] | { readonly [k: string]: Nest };
/** What user functions may return: leaves may also be Variables or plain values (made constants). */
export type NestInput = TensorInput | readonly NestInput[] | { readonly [k: string]: NestInput };

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;

const isLeaf = (x: unknown): boolean => !Array.isArray(x) && !isRecord(x);

/** The leaves in order (records by sorted key, as TF's nest sorts dict keys). */
export function flatten<T>(nest: unknown, leaf: (x: unknown) => T = (x) => x as T): T[] {
  const out: T[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (isRecord(x)) for (const k of Object.keys(x).sort()) walk(x[k]);
    else out.push(leaf(x));
  };
  walk(nest);
  return out;
}

/** Leaves converted to tensors in the current default graph. */
export function flattenTensors(nest: unknown): Tensor[] {
  return flatten(nest, (x) => {
    if (x === null || x === undefined)
      throw new TypeError(`Expected a Tensor in a nested structure, got ${x}`);
    return toTensor(x as TensorInput);
  });
}

/** `structure` with its leaves replaced, in order, by `flat`. */
export function pack<T>(structure: unknown, flat: readonly T[]): unknown {
  let i = 0;
  const build = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(build);
    if (isRecord(x)) {
      const r: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) r[k] = build(x[k]);
      return r;
    }
    return flat[i++];
  };
  const packed = build(structure);
  if (i !== flat.length) throw new ValueError(`Structure had ${i} leaves, got ${flat.length} values`);
  return packed;
}

/** A short text of the structure: `[Tensor, {a: Tensor}]`. */
export function describeNest(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(describeNest).join(', ')}]`;
  if (isRecord(x))
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${k}: ${describeNest(x[k])}`)
      .join(', ')}}`;
  if (x instanceof Tensor) return x.toString();
  return typeof x === 'object' && x !== null ? x.constructor.name : String(x);
}

/** Whether `a` and `b` have the same nesting (array lengths, record keys); leaves may differ. */
export function sameStructure(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => sameStructure(x, b[i]))
    );
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameStructure(a[k], b[k]));
  }
  return isLeaf(a) && isLeaf(b);
}
