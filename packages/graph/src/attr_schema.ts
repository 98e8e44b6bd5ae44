// TF's attribute schema of an op (the `attr` list of its REGISTER_OP / ops.pbtxt entry), declared
// on the op's definition. Per TF attr name: its TF type, TF's declared default, and where its value
// comes from in our op — one of our camelCase attrs, an input's dtype (TF's *type attrs* such as
// `T`, `Tidx`, `SrcT`), an output's dtype or shape, the length of the list input (`N`), or a value
// graphmode does not model and always uses (`use_cudnn_on_gpu: true`). The GraphDef encoder reads
// it forwards (`tfAttrValues`), the importer backwards (`attrsFromTf`).
import type { DType, Shape } from './dtype.js';
import { UnimplementedError, ValueError } from './errors.js';
import type { Operation } from './graph.js';
import type { NDArray } from './ndarray.js';

export type AttrType =
  | 'type'
  | 'int'
  | 'float'
  | 'bool'
  | 'string'
  | 'shape'
  | 'tensor'
  | 'func'
  | 'list(type)'
  | 'list(int)'
  | 'list(float)'
  | 'list(bool)'
  | 'list(string)'
  | 'list(shape)'
  | 'list(func)';

/**
 * A TF dtype as an attr value: ours, plus the int64 that TF's index and output-type attrs default
 * to, and `variant` (TF's TensorList handles, written when While loops are exported).
 */
export type TfDType = DType | 'int64' | 'variant';

/**
 * An attr value in JS: a dtype name (`type`), number, boolean, string, shape, NDArray (`tensor`),
 * a function's name (`func`, TF's NameAttrList without attrs) or a list of those.
 */
export type AttrValue =
  | TfDType
  | number
  | boolean
  | string
  | Shape
  | null
  | NDArray
  | readonly number[]
  | readonly string[]
  | readonly boolean[]
  | readonly (Shape | null)[];

/** Where a TF attr's value comes from in our op. */
export type AttrSource<N extends string, K extends string> =
  /** Our attr `attrs[attr]`, holding TF's value as is (a DType name for a `type` attr). */
  | { readonly attr: K }
  /** The dtype of input `dtypeOf` (of a list input: its tensor `at`, from the end if negative). */
  | { readonly dtypeOf: N; readonly at?: number }
  /** The dtype of output `outputDtype` (`DstT`, `out_type`, `output_type`). */
  | { readonly outputDtype: number }
  /** The static shape of output `outputShape` (AccumulateNV2's `shape`). */
  | { readonly outputShape: number }
  /** How many tensors the list input `lengthOf` holds, `less` those that are not TF's list (`N`). */
  | { readonly lengthOf: N; readonly less?: number }
  /** A TF option graphmode does not model: always this value; importing another one is an error. */
  | { readonly fixed: AttrValue };

export interface AttrSpec<N extends string = string, K extends string = string> {
  readonly type: AttrType;
  readonly from: AttrSource<N, K>;
  /** TF's declared default; absent for a required attr. */
  readonly default?: AttrValue;
}

/** An op's TF attrs by TF name (snake_case, or TF's own spelling: `T`, `Tidx`, `SrcT`). */
export type AttrSchema<N extends string = string, K extends string = string> = Readonly<
  Record<string, AttrSpec<N, K>>
>;

// ---- entry helpers: one line per attr in a definition -----------------------------------------

const withDefault = <S extends AttrSpec<string, string>>(s: S, d: AttrValue | undefined): S =>
  d === undefined ? s : { ...s, default: d };

/** A type attr read from input `input`'s dtype (TF's `T: type`); `d` is TF's default if any. */
export const typeOf = <N extends string>(input: N, d?: TfDType): AttrSpec<N, never> =>
  withDefault({ type: 'type', from: { dtypeOf: input } }, d);
/** A type attr read from output `index`'s dtype. */
export const outputType = (index = 0, d?: TfDType): AttrSpec<never, never> =>
  withDefault({ type: 'type', from: { outputDtype: index } }, d);
/** TF's `N: int`, the length of list input `list`. */
export const lengthOf = <N extends string>(list: N): AttrSpec<N, never> => ({
  type: 'int',
  from: { lengthOf: list },
});
/** The static shape of output `index` (AccumulateNV2's `shape`). */
export const outputShape = (index = 0): AttrSpec<never, never> => ({
  type: 'shape',
  from: { outputShape: index },
});
/** One of our attrs, `key`, under a TF name of type `type`. */
export const attrOf = <K extends string>(type: AttrType, key: K, d?: AttrValue): AttrSpec<never, K> =>
  withDefault({ type, from: { attr: key } }, d);
/** A TF option we do not model; its value is TF's default unless `value` says otherwise. */
export const fixedAttr = (type: AttrType, d: AttrValue, value: AttrValue = d): AttrSpec<never, never> => ({
  type,
  from: { fixed: value },
  default: d,
});

// ---- reading the schema ----------------------------------------------------------------------

/** TF's attrs of `op` by TF name, sorted by name (TF's deterministic serialization order). */
export function tfAttrValues(op: Operation): [string, { type: AttrType; value: AttrValue }][] {
  const schema = op.def.attrs;
  if (schema === null) throw new ValueError(`Op type ${op.type} declares no TF attr schema`);
  return Object.keys(schema)
    .sort()
    .map((name) => {
      const spec = schema[name]!;
      return [name, { type: spec.type, value: sourceValue(op, spec.from, name) }];
    });
}

function sourceValue(op: Operation, from: AttrSource<string, string>, name: string): AttrValue {
  if ('attr' in from) return (op.attrs as Record<string, AttrValue>)[from.attr]!;
  if ('fixed' in from) return from.fixed;
  if ('outputDtype' in from) return op.outputs[from.outputDtype]!.dtype;
  if ('outputShape' in from) return op.outputs[from.outputShape]!.shape;
  const fixedInputs = op.def.inputNames.length;
  const listLength = op.inputs.length - fixedInputs;
  if ('lengthOf' in from) return listLength - (from.less ?? 0);
  const index = op.def.inputNames.indexOf(from.dtypeOf);
  const k = from.at ?? 0;
  const t = op.inputs[index >= 0 ? index : fixedInputs + (k < 0 ? listLength + k : k)];
  if (t === undefined) throw new ValueError(`${op.type} op '${op.name}': attr '${name}' needs a list input`);
  return t.dtype;
}

/** Throws unless every input a schema reads is an input of the op (checked when it is defined). */
export function checkSchema(
  type: string,
  schema: AttrSchema,
  inputs: readonly string[],
  list: string | null,
): void {
  for (const [name, { from }] of Object.entries(schema)) {
    const input = 'dtypeOf' in from ? from.dtypeOf : 'lengthOf' in from ? from.lengthOf : null;
    if (input === null) continue;
    if ('lengthOf' in from ? input !== list : !inputs.includes(input) && input !== list)
      throw new ValueError(`Op type '${type}': attr '${name}' reads '${input}', which is not such an input`);
  }
}

/**
 * Our attrs from TF's (an imported NodeDef's, by TF name): attrs we keep are copied, missing ones
 * take TF's default; attrs derived from inputs and outputs are left to the shape and dtype rules
 * (an importer compares them with `tfAttrValues` of the built op). A value of an option we do not
 * model other than the one we implement is an UnimplementedError naming the op type and the attr.
 */
export function attrsFromTf(
  type: string,
  schema: AttrSchema,
  tf: Readonly<Record<string, AttrValue>>,
): Record<string, AttrValue> {
  const ours: Record<string, AttrValue> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const from = spec.from;
    if (!('attr' in from) && !('fixed' in from)) continue;
    const value = name in tf ? tf[name]! : spec.default;
    if (value === undefined) throw new ValueError(`${type}: NodeDef is missing required attr '${name}'`);
    if ('attr' in from) ours[from.attr] = value;
    else if (!sameValue(value, from.fixed)) {
      throw new UnimplementedError(
        `${type}: attr ${name}=${JSON.stringify(value)} is not supported (graphmode implements ${JSON.stringify(from.fixed)})`,
      );
    }
  }
  return ours;
}

const sameValue = (a: AttrValue, b: AttrValue): boolean => JSON.stringify(a) === JSON.stringify(b);
