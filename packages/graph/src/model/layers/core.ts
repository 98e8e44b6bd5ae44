// tf.layers.dense, dropout and flatten (TF 1.15's keras core layers behind tf.layers' scopes).

import type { TensorInput } from '../../convert.js';
import { isFullyDefined, numElements } from '../../dtype.js';
import { ValueError } from '../../errors.js';
import { nameScope, type Tensor } from '../../graph.js';
import { reshape, shape as shapeOf, transpose } from '../../ops/array.js';
import { identity } from '../../ops/core.js';
import { concat, stack } from '../../ops/joins.js';
import { matMul } from '../../ops/linalg.js';
import { biasAdd } from '../../ops/nn.js';
import { dropout as nnDropout, type ShapeInput } from '../../ops/random.js';
import { where } from '../../ops/select.js';
import { gather, slice } from '../../ops/slicing.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import {
  checkLayerOptions,
  checkPositiveInt,
  checkTraining,
  type DataFormatOpt,
  dataFormatOf,
  KERNEL_BIAS_SPEC,
  type KernelBiasOptions,
  kernelAndBias,
  LAYER_SPEC,
  type LayerOptions,
  layerCall,
  layerInput,
  type Training,
} from './base.js';

export type Activation = (x: Tensor) => Tensor;

export interface DenseOptions extends LayerOptions, KernelBiasOptions {
  activation?: Activation | null;
}
const DENSE_SPEC: OptionSpec<DenseOptions> = { activation: 'any', ...KERNEL_BIAS_SPEC, ...LAYER_SPEC };

/**
 * activation(inputs · kernel + bias), kernel `<scope>/kernel` [in, units], bias `<scope>/bias`
 * (TF's `tf.layers.dense`). Inputs of rank > 2 are contracted on their last axis.
 * @example const logits = layers.dense(hidden, 10, { name: 'logits' });
 */
export function dense(inputs: TensorInput, units: number, opts: DenseOptions = {}): Tensor {
  checkLayerOptions('layers.dense', opts, DENSE_SPEC);
  checkPositiveInt('layers.dense', 'units', units);
  const x = layerInput('dense', inputs, 2);
  const inDim = x.shape![x.shape!.length - 1];
  if (inDim === null || inDim === undefined) {
    throw new ValueError('The last dimension of the inputs to `Dense` should be defined. Found `None`.');
  }
  return layerCall('dense', opts, true, () => {
    const [kernel, bias] = kernelAndBias([inDim, units], units, opts);
    let y = x.shape!.length > 2 ? tensordot(x, kernel.value(), units) : matMul(x, kernel);
    if (bias) y = biasAdd(y, bias);
    return opts.activation ? opts.activation(y) : y;
  });
}

// TF's tensordot(x, kernel, [[rank - 1], [0]]): flatten the leading axes, matMul, restore them.
function tensordot(x: Tensor, kernel: Tensor, units: number): Tensor {
  const s = x.shape!;
  const inDim = s[s.length - 1]!;
  const lead = s.slice(0, -1);
  const y = nameScope('Tensordot', () => {
    const flat = reshape(x, [-1, inDim]);
    const mm = matMul(flat, kernel, { name: 'MatMul' });
    const outShape = isFullyDefined(lead)
      ? [...lead, units]
      : concat([slice(shapeOf(x), [0], [lead.length]), [units]], 0, { name: 'concat' });
    return reshape(mm, outShape);
  });
  y.setShape([...lead, units]);
  return y;
}

export interface DropoutOptions {
  name?: string;
  /** Fraction dropped: a number in [0, 1) or a float32 scalar tensor. */
  rate?: number | Tensor;
  /** The shape of the keep/drop mask (broadcast against the input); a null entry is the input's size. */
  noiseShape?: readonly (number | null)[] | Tensor;
  seed?: number | null;
  /** Apply dropout (true), pass through (false), or choose at run time with a bool tensor. */
  training?: Training;
}

/**
 * Randomly zeroes a `rate` fraction of `inputs` (scaling the rest by 1 / (1 - rate)) when
 * `training`, the identity otherwise (TF's `tf.layers.dropout`; training defaults to false).
 * @example const h = layers.dropout(fc, { rate: 0.4, training: isTraining });
 */
export function dropout(inputs: TensorInput, opts: DropoutOptions = {}): Tensor {
  checkLayerOptions('layers.dropout', opts, DROPOUT_SPEC);
  const x = layerInput('dropout', inputs, 0);
  const training = checkTraining('layers.dropout', opts.training ?? false);
  const rate = opts.rate ?? 0.5;
  if (typeof rate === 'number' && !(rate >= 0 && rate < 1)) {
    throw new ValueError(
      `layers.dropout: rate must be a scalar tensor or a float in the range [0, 1), got ${rate}`,
    );
  }
  return layerCall('dropout', { ...(opts.name ? { name: opts.name } : {}) }, false, () => {
    const dropped = () =>
      nnDropout(x, {
        rate,
        seed: opts.seed ?? null,
        ...(opts.noiseShape ? { noiseShape: noiseShapeOf(x, opts.noiseShape) } : {}),
      });
    if (training === true) return dropped();
    if (training === false) return identity(x);
    return where(training, dropped(), identity(x));
  });
}

const DROPOUT_SPEC: OptionSpec<DropoutOptions> = {
  rate: 'any',
  noiseShape: 'any',
  seed: 'any',
  training: 'any',
  name: 'string',
};

// Keras Dropout's _get_noise_shape: a null entry takes the input's size on that axis, read at run
// time when unknown statically.
function noiseShapeOf(x: Tensor, noise: NonNullable<DropoutOptions['noiseShape']>): ShapeInput {
  if (!Array.isArray(noise) || !noise.includes(null)) return noise as ShapeInput;
  const dims = noise as readonly (number | null)[];
  const known = dims.map((d, i) => d ?? x.shape?.[i] ?? null);
  if (known.every((d) => d !== null)) return known as number[];
  return stack(
    known.map((d, i) => d ?? gather(shapeOf(x), i)),
    { name: 'noise_shape' },
  );
}

/**
 * Reshapes [batch, ...] to [batch, prod(...)] (TF's `tf.layers.flatten`); channels_first inputs
 * are first moved to channels_last order, as TF does.
 * @example const flat = layers.flatten(pool2);
 */
export function flatten(
  inputs: TensorInput,
  opts: { name?: string; dataFormat?: DataFormatOpt } = {},
): Tensor {
  checkOptions('layers.flatten', opts, { name: 'string', dataFormat: 'string' });
  const f = dataFormatOf(opts.dataFormat);
  let x = layerInput('flatten', inputs, 1);
  return layerCall('flatten', { ...(opts.name ? { name: opts.name } : {}) }, false, () => {
    const r = x.shape!.length;
    if (f === 'NCHW' && r > 1) x = transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
    const s = x.shape!;
    const batch = s[0] ?? null;
    const rest: readonly (number | null)[] = s.slice(1);
    // Known trailing dims: [-1, prod]; else [batch, -1] with the batch size known or read at run time.
    const flat = numElements(rest);
    const target =
      flat !== null
        ? [-1, flat]
        : batch !== null
          ? [batch, -1]
          : stack([gather(shapeOf(x), 0), -1], { name: 'Reshape/shape' });
    const y = reshape(x, target);
    y.setShape([batch, flat]);
    return y;
  });
}
