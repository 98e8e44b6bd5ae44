// tf.layers.conv2d and the 2-D pooling layers (TF 1.15's keras convolutional/pooling layers).

import type { TensorInput } from '../../convert.js';
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../graph.js';
import { conv2d as conv2dOp } from '../../ops/conv.js';
import { biasAdd } from '../../ops/nn.js';
import { avgPool, maxPool } from '../../ops/pool.js';
import { checkOptions, type OptionSpec } from '../../options.js';
import {
  checkLayerOptions,
  checkPositiveInt,
  type DataFormatOpt,
  dataFormatOf,
  KERNEL_BIAS_SPEC,
  type KernelBiasOptions,
  kernelAndBias,
  LAYER_SPEC,
  type LayerOptions,
  layerCall,
  layerInput,
  type Padding,
  paddingOf,
  pair,
} from './base.js';
import type { Activation } from './core.js';

export interface Conv2DOptions extends LayerOptions, KernelBiasOptions {
  strides?: number | readonly number[];
  padding?: Padding;
  dataFormat?: DataFormatOpt;
  dilationRate?: number | readonly number[];
  activation?: Activation | null;
}
const CONV_SPEC: OptionSpec<Conv2DOptions> = {
  strides: 'any',
  padding: 'string',
  dataFormat: 'string',
  dilationRate: 'any',
  activation: 'any',
  ...KERNEL_BIAS_SPEC,
  ...LAYER_SPEC,
};

/**
 * 2-D convolution with kernel `<scope>/kernel` [kh, kw, in, filters] and bias `<scope>/bias`
 * (TF's `tf.layers.conv2d`; padding 'valid', channels_last by default).
 * @example const c1 = layers.conv2d(images, 32, 5, { padding: 'same', activation: relu });
 */
export function conv2d(
  inputs: TensorInput,
  filters: number,
  kernelSize: number | readonly number[],
  opts: Conv2DOptions = {},
): Tensor {
  checkLayerOptions('layers.conv2d', opts, CONV_SPEC);
  checkPositiveInt('layers.conv2d', 'filters', filters);
  const [kh, kw] = pair(kernelSize, 'kernel_size');
  const [sh, sw] = pair(opts.strides === undefined ? 1 : opts.strides, 'strides');
  const [dh, dw] = pair(opts.dilationRate === undefined ? 1 : opts.dilationRate, 'dilation_rate');
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new ValueError('layers.conv2d: strides > 1 not supported in conjunction with dilation_rate > 1');
  }
  const f = dataFormatOf(opts.dataFormat);
  const padding = paddingOf(opts.padding);
  const x = layerInput('conv2d', inputs, 4, 4);
  const inDim = x.shape![f === 'NHWC' ? 3 : 1];
  if (inDim === null || inDim === undefined) {
    throw new ValueError('The channel dimension of the inputs should be defined. Found `None`.');
  }
  const four = (a: number, b: number) => (f === 'NHWC' ? [1, a, b, 1] : [1, 1, a, b]);
  return layerCall('conv2d', opts, true, () => {
    const [kernel, bias] = kernelAndBias([kh, kw, inDim, filters], filters, opts);
    let y = conv2dOp(x, kernel, { strides: four(sh, sw), dilations: four(dh, dw), padding, dataFormat: f });
    if (bias) y = biasAdd(y, bias, { dataFormat: f });
    return opts.activation ? opts.activation(y) : y;
  });
}

export interface Pooling2DOptions {
  padding?: Padding;
  dataFormat?: DataFormatOpt;
  name?: string;
}
function pooling(
  layer: string,
  op: typeof maxPool,
  inputs: TensorInput,
  poolSize: number | readonly number[],
  strides: number | readonly number[],
  opts: Pooling2DOptions,
): Tensor {
  checkOptions(`layers.${layer === 'max_pooling2d' ? 'maxPooling2d' : 'averagePooling2d'}`, opts, {
    padding: 'string',
    dataFormat: 'string',
    name: 'string',
  });
  const [ph, pw] = pair(poolSize, 'pool_size');
  const [sh, sw] = pair(strides, 'strides');
  const f = dataFormatOf(opts.dataFormat);
  const padding = paddingOf(opts.padding);
  const x = layerInput(layer, inputs, 4, 4);
  return layerCall(layer, opts.name ? { name: opts.name } : {}, false, () =>
    op(x, { ksize: [ph, pw], strides: [sh, sw], padding, dataFormat: f }),
  );
}

/**
 * Max pooling over `poolSize` windows moved by `strides` (TF's `tf.layers.max_pooling2d`).
 * @example const p1 = layers.maxPooling2d(c1, 2, 2);
 */
export const maxPooling2d = (
  inputs: TensorInput,
  poolSize: number | readonly number[],
  strides: number | readonly number[],
  opts: Pooling2DOptions = {},
): Tensor => pooling('max_pooling2d', maxPool, inputs, poolSize, strides, opts);

/**
 * Average pooling (TF's `tf.layers.average_pooling2d`).
 * @example const p = layers.averagePooling2d(c1, [2, 2], 2, { padding: 'same' });
 */
export const averagePooling2d = (
  inputs: TensorInput,
  poolSize: number | readonly number[],
  strides: number | readonly number[],
  opts: Pooling2DOptions = {},
): Tensor => pooling('average_pooling2d', avgPool, inputs, poolSize, strides, opts);
