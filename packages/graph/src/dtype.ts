// DTypes and partially known shapes, with the shape algebra every op's rule shares.
import { TypeError, ValueError } from './errors.js';

export type DType = 'float32' | 'int32' | 'bool' | 'string';
/** A static shape: `null` entries are unknown sizes. A whole shape of `null` is an unknown rank. */
export type Shape = readonly (number | null)[];

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool', 'string'];
export const isFloat = (d: DType): boolean => d === 'float32';
export const isNumeric = (d: DType): boolean => d === 'float32' || d === 'int32';

/** Largest element count of one tensor: tfjs (and TF's int32 shape math) index with int32. */
export const MAX_ELEMENTS = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/** Throws our TypeError unless `d` is one of graphmode's dtypes ('float64' is not). */
export function checkDType(what: string, d: unknown): asserts d is DType {
  if (!DTYPES.includes(d as DType)) {
    throw new TypeError(`${what}: dtype ${String(d)} is not supported; expected one of ${DTYPES.join(', ')}`);
  }
}

/**
 * Throws a ValueError unless every dim is a non-negative integer (or null, when `partial`), and a
 * fully known shape holds at most MAX_ELEMENTS elements.
 */
export function checkShape(what: string, s: Shape, partial: boolean): void {
  if (!Array.isArray(s)) throw new TypeError(`${what}: shape must be an array, got ${String(s)}`);
  for (const d of s) {
    if (d === null && partial) continue;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ValueError(
        `${what}: shape ${formatShape(s)} has an invalid dimension ${String(d)} (must be an integer >= 0${partial ? ' or null' : ''})`,
      );
    }
  }
  const n = numElements(s);
  if (n !== null && n > MAX_ELEMENTS) {
    throw new ValueError(
      `${what}: shape ${formatShape(s)} has ${n} elements, more than a tensor can hold (${MAX_ELEMENTS})`,
    );
  }
}

export function formatShape(s: Shape | null): string {
  return s === null ? '<unknown>' : `[${s.map((d) => (d === null ? '?' : d)).join(',')}]`;
}

export const isFullyDefined = (s: Shape | null): s is readonly number[] =>
  s !== null && s.every((d) => d !== null);

export const numElements = (s: Shape | null): number | null =>
  isFullyDefined(s) ? s.reduce((a, b) => a * b, 1) : null;

/** True when some fully known shape could satisfy both `a` and `b`. */
export function shapesCompatible(a: Shape | null, b: Shape | null): boolean {
  if (a === null || b === null) return true;
  if (a.length !== b.length) return false;
  return a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

/** The most specific shape compatible with both, or null if they conflict (TF's merge_with). */
export function mergeShapes(a: Shape | null, b: Shape | null): Shape | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.map((d, i) => d ?? b[i] ?? null);
}

/** NumPy broadcasting of two static shapes; throws a ValueError on a conflict. */
export function broadcastShapes(a: Shape | null, b: Shape | null): Shape | null {
  if (a === null || b === null) return null;
  const rank = Math.max(a.length, b.length);
  const out: (number | null)[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === null) out.push(db);
    else if (db === null || da === db) out.push(da);
    else {
      throw new ValueError(
        `Dimensions must be equal, but are ${da} and ${db}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`,
      );
    }
  }
  return out;
}

/** Normalises a possibly negative axis against `rank`, throwing a ValueError when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ValueError(
      `axis ${axis} is out of range for a tensor of rank ${rank} (expected [-${rank}, ${rank}))`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** The static shape of a reduction over `axes` (null axes = all). */
export function reduceShape(
  s: Shape | null,
  axes: readonly number[] | null,
  keepDims: boolean,
): Shape | null {
  if (s === null) return null;
  const set = new Set((axes ?? s.map((_, i) => i)).map((a) => normalizeAxis(a, s.length)));
  return keepDims ? s.map((d, i) => (set.has(i) ? 1 : d)) : s.filter((_, i) => !set.has(i));
}
