// Run-time checking of options objects. Most users run plain JS or `npx tsx`, which do not
// type-check, so a misspelt key (`keepdims`), an option passed positionally (`'SAME'`) or a TF1
// positional call (`conv2d(x, w, [1,1,1,1], 'SAME')`) would otherwise be ignored silently.
// Each builder declares its spec with its options type (`OptionSpec<T>` must list every key of
// T, nothing else), so the accepted keys cannot drift from the types.
import { TypeError } from './errors.js';

/** The run-time kind of one option's value; 'any' for values that are not one primitive kind. */
export type OptionKind = 'string' | 'number' | 'boolean' | 'function' | 'any';
/** One entry per key of `T` (exhaustive: the compiler rejects missing and extra keys). */
export type OptionSpec<T> = { readonly [K in keyof Required<T>]: OptionKind };

/** `{ name?: string }`, the options of builders with no others. */
export const NAME_SPEC: OptionSpec<{ name?: string }> = { name: 'string' };

const describe = (v: unknown): string =>
  Array.isArray(v)
    ? `an array [${v.map((x) => (typeof x === 'object' ? '…' : String(x))).join(', ')}]`
    : typeof v === 'string'
      ? `the string '${v}'`
      : v === null
        ? 'null'
        : typeof v === 'object'
          ? `a ${(v as object).constructor?.name ?? 'null-prototype object'}`
          : `${typeof v} ${String(v)}`;

const acceptedList = (spec: object): string => Object.keys(spec).join(', ') || '(none)';

/**
 * Throws our TypeError naming `builder`, the bad key (or the non-object given where the options
 * object goes) and the accepted keys. Cheap when `opts` is empty: one loop over its own keys.
 * @example checkOptions('conv2d', opts, CONV2D_SPEC);
 */
export function checkOptions(
  builder: string,
  opts: unknown,
  spec: Readonly<Record<string, OptionKind>> | readonly string[],
): void {
  if (opts === undefined) return;
  const table = Array.isArray(spec) ? toSpec(spec) : (spec as Readonly<Record<string, OptionKind>>);
  if (typeof opts !== 'object' || opts === null || !isPlain(opts)) {
    throw new TypeError(
      `${builder}: expected an options object { ${acceptedList(table)} } but got ${describe(opts)} ` +
        '(TF1 positional arguments go in the options object, by name)',
    );
  }
  for (const key in opts) {
    const kind = Object.hasOwn(table, key) ? table[key] : undefined;
    if (kind === undefined) {
      throw new TypeError(`${builder}: unknown option '${key}'; accepted options: ${acceptedList(table)}`);
    }
    const v = (opts as Record<string, unknown>)[key];
    if (kind !== 'any' && v !== undefined && typeof v !== kind) {
      throw new TypeError(`${builder}: option '${key}' must be a ${kind}, got ${describe(v)}`);
    }
  }
}

// Plain objects only: a Tensor, Variable, NDArray or Map in the options position is a mistake.
function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

const toSpec = (keys: readonly string[]): Record<string, OptionKind> =>
  Object.fromEntries(keys.map((k) => [k, 'any' as const]));

/**
 * Checks `opts` against `spec` and returns its `name`: a drop-in for `opts.name` in builders
 * (`opScope(named('reshape', opts), 'Reshape', …)`).
 */
export function named(
  builder: string,
  opts: { name?: string } | undefined,
  spec: Readonly<Record<string, OptionKind>> = NAME_SPEC,
): string | undefined {
  checkOptions(builder, opts, spec);
  return opts?.name;
}

/** `checkOptions`, returning `opts` (or `{}`): for constructors, where it must run inside `super(…)`. */
export function checked<T extends object>(
  builder: string,
  opts: T | undefined,
  spec: Readonly<Record<string, OptionKind>>,
): T {
  checkOptions(builder, opts, spec);
  return opts ?? ({} as T);
}
