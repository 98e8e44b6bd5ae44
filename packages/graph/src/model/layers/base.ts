// The variable-scope protocol of TF 1.15's functional tf.layers (layers/base.py): a layer call
// captures a variable scope — the `name` given (dense, conv2d, batch_normalization pass it as
// `_scope`, so a repeated name without reuse is an error) or a unique default ('dense',
// 'dense_1') — re-enters it without a new name scope, and builds its ops under the name scope it
// first opened ('dense/MatMul'). Weights come from getVariable ('dense/kernel').

import { type TensorInput, toTensor } from '../../convert.js';
import type { DType, Shape } from '../../dtype.js';
import { formatShape } from '../../dtype.js';
import { TypeError, ValueError } from '../../errors.js';
import { getDefaultGraph, nameScope, Tensor } from '../../graph.js';
import { GraphKeys } from '../../graph_keys.js';
import { checkOptions, type OptionKind, type OptionSpec } from '../../options.js';
import { type Variable, Variable as VariableClass } from '../../variable.js';
import { type Initializer, zeros } from '../initializers.js';
import {
  AUTO_REUSE,
  getVariable,
  getVariableScope,
  getVariableStore,
  type Regularizer,
  type Reuse,
  VariableScope,
  variableScope,
} from '../variable_scope.js';

export interface LayerOptions {
  /** The layer's variable scope name (default: the layer type, made unique). */
  name?: string | VariableScope;
  /** Reuse the variables of an earlier call with the same name. */
  reuse?: Reuse;
}
export const LAYER_SPEC: OptionSpec<LayerOptions> = { name: 'any', reuse: 'any' };

/**
 * Checks a layer's options object for plain-JS callers: unknown keys and primitive kinds (from
 * `spec`), then `name` (a string or VariableScope), `reuse`, and the options that take a function
 * or null (activation, regularizers), each error naming the builder, the option and what it takes.
 */
export function checkLayerOptions(
  builder: string,
  opts: object,
  spec: Readonly<Record<string, OptionKind>>,
): void {
  checkOptions(builder, opts, spec);
  const o = opts as Record<string, unknown>;
  if (o.name !== undefined && typeof o.name !== 'string' && !(o.name instanceof VariableScope))
    throw new TypeError(
      `${builder}: option 'name' must be a string or a VariableScope, got ${typeof o.name}`,
    );
  if (![undefined, true, false, AUTO_REUSE].includes(o.reuse as boolean | undefined))
    throw new TypeError(
      `${builder}: option 'reuse' must be true, false or AUTO_REUSE, got ${String(o.reuse)}`,
    );
  for (const k of [
    'activation',
    'kernelRegularizer',
    'biasRegularizer',
    'betaRegularizer',
    'gammaRegularizer',
  ]) {
    const v = o[k];
    if (v !== undefined && v !== null && typeof v !== 'function')
      throw new TypeError(
        `${builder}: option '${k}' must be a function or null, got ${typeof v} ${String(v)}`,
      );
  }
}

/** Throws unless `v` is a positive integer (a layer's units or filters), naming the argument. */
export function checkPositiveInt(builder: string, arg: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    const got = typeof v === 'string' ? `the string '${v}'` : `${typeof v} ${String(v)}`;
    throw new TypeError(`${builder}: argument '${arg}' must be a positive integer, got ${got}`);
  }
}

/**
 * Runs `body` inside the layer's variable scope and name scope. `nameIsScope`: the functional
 * form passes `name` as the layer's scope (dense, conv2d, batch norm); other layers only use it as
 * the default name, made unique.
 */
export function layerCall<T>(
  baseName: string,
  opts: LayerOptions,
  nameIsScope: boolean,
  body: (scope: VariableScope) => T,
): T {
  const base = typeof opts.name === 'string' ? opts.name : (opts.name?.name ?? baseName);
  let captured: VariableScope;
  if (nameIsScope && opts.name !== undefined) captured = variableScope(opts.name, (s) => s);
  else if (opts.reuse) captured = variableScope(base, (s) => s);
  else captured = variableScope(null, (s) => s, { defaultName: base });
  return variableScope(captured, (scope) => nameScope(scope.originalNameScope || null, () => body(scope)), {
    ...(opts.reuse ? { reuse: opts.reuse } : {}),
    auxiliaryNameScope: false,
  });
}

export interface WeightOptions {
  shape: Shape;
  dtype?: DType;
  initializer?: Initializer | undefined;
  regularizer?: Regularizer | null | undefined;
  trainable: boolean;
}

/**
 * A layer weight through getVariable. Its regularizer loss is built under the layer's name
 * scope ('dense/kernel/Regularizer/l2_regularizer'), once, when the variable is created.
 */
export function addWeight(name: string, o: WeightOptions): Variable {
  const scope = getVariableScope();
  const fullName = scope.name ? `${scope.name}/${name}` : name;
  const existed = getVariableStore().has(fullName);
  const v = getVariable(name, {
    shape: o.shape,
    dtype: o.dtype ?? 'float32',
    ...(o.initializer ? { initializer: o.initializer } : {}),
    trainable: o.trainable,
  });
  if (o.regularizer && !existed) {
    const loss = nameScope(`${name}/Regularizer`, () => o.regularizer!(v.value()));
    if (loss !== null) getDefaultGraph().addToCollection(GraphKeys.REGULARIZATION_LOSSES, loss);
  }
  return v;
}

/** The options of a layer with a kernel and a bias (dense, conv2d), as in TF's layers. */
export const KERNEL_BIAS_SPEC: OptionSpec<KernelBiasOptions> = {
  useBias: 'boolean',
  kernelInitializer: 'function',
  biasInitializer: 'function',
  kernelRegularizer: 'any',
  biasRegularizer: 'any',
  trainable: 'boolean',
};
export interface KernelBiasOptions {
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer | null;
  biasRegularizer?: Regularizer | null;
  trainable?: boolean;
}

/** The layer's `kernel` of `shape` and its `bias` of [units] (null when `useBias` is false). */
export function kernelAndBias(
  shape: Shape,
  units: number,
  opts: KernelBiasOptions,
): [Variable, Variable | null] {
  const trainable = opts.trainable ?? true;
  const kernel = addWeight('kernel', {
    shape,
    initializer: opts.kernelInitializer,
    regularizer: opts.kernelRegularizer,
    trainable,
  });
  if (opts.useBias === false) return [kernel, null];
  const bias = addWeight('bias', {
    shape: [units],
    initializer: opts.biasInitializer ?? zeros(),
    regularizer: opts.biasRegularizer,
    trainable,
  });
  return [kernel, bias];
}

/** The layer input as a float32 tensor of known rank >= `minRank`, with TF's InputSpec message. */
export function layerInput(layer: string, inputs: TensorInput, minRank: number, exactRank?: number): Tensor {
  const x = toTensor(inputs);
  if (x.dtype !== 'float32') {
    throw new ValueError(`Input of layer ${layer} must be float32, got ${x.dtype} tensor '${x.name}'`);
  }
  const r = x.shape?.length;
  if (r === undefined)
    throw new ValueError(`Input 0 of layer ${layer} has unknown rank; its rank must be known`);
  if (exactRank !== undefined && r !== exactRank) {
    throw new ValueError(
      `Input 0 of layer ${layer} is incompatible with the layer: expected ndim=${exactRank}, found ndim=${r}. Full shape received: ${formatShape(x.shape)}`,
    );
  }
  if (r < minRank) {
    throw new ValueError(
      `Input 0 of layer ${layer} is incompatible with the layer: : expected min_ndim=${minRank}, found ndim=${r}. Full shape received: ${formatShape(x.shape)}`,
    );
  }
  return x;
}

/** A pair from a number or pair (TF's conv_utils.normalize_tuple), with its error text. */
export function pair(v: number | readonly number[], what: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? [...v] : [];
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d))) {
    throw new ValueError(
      `The \`${what}\` argument must be a tuple of 2 integers. Received: ${v === null || v === undefined ? 'None' : JSON.stringify(v)}`,
    );
  }
  return p as [number, number];
}

export type Padding = 'valid' | 'same' | 'VALID' | 'SAME';
export type DataFormatOpt = 'channels_last' | 'channels_first';
export function dataFormatOf(f: DataFormatOpt | undefined): 'NHWC' | 'NCHW' {
  const v = f ?? 'channels_last';
  if (v !== 'channels_last' && v !== 'channels_first') {
    throw new ValueError(
      `The \`data_format\` argument must be one of "channels_first", "channels_last". Received: ${String(f)}`,
    );
  }
  return v === 'channels_last' ? 'NHWC' : 'NCHW';
}
export function paddingOf(p: Padding | undefined): 'VALID' | 'SAME' {
  const v = (p ?? 'valid').toLowerCase();
  if (v !== 'valid' && v !== 'same') {
    throw new ValueError(`The \`padding\` argument must be one of "valid", "same". Received: ${String(p)}`);
  }
  return v === 'valid' ? 'VALID' : 'SAME';
}

/** A `training` flag: a JS boolean, or a bool scalar tensor switching in the running graph. */
export type Training = boolean | Tensor;

/** `training` checked: a JS boolean, or a bool scalar tensor (a Variable reads as one). */
export function checkTraining(builder: string, t: unknown): Training {
  if (typeof t === 'boolean') return t;
  if (!(t instanceof Tensor) && !(t instanceof VariableClass)) {
    throw new TypeError(
      `${builder}: option 'training' must be a boolean or a bool scalar Tensor, got ${typeof t} ${String(t)}`,
    );
  }
  const x = toTensor(t);
  if (x.dtype !== 'bool')
    throw new ValueError(
      `${builder}: training must be a boolean or a bool tensor, got ${x.dtype} tensor '${x.name}'`,
    );
  if (x.shape !== null && x.shape.length !== 0)
    throw new ValueError(`${builder}: training must be a scalar, got shape ${formatShape(x.shape)}`);
  return x;
}
