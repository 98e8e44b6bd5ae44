// @graphmode/graph: TF1 graph building and the Session that runs it.

export * from './attr_schema.js';
export * from './clip.js';
export * from './constant_value.js';
export * from './control/index.js';
export * as nn from './control/rnn/nn.js';
export * from './convert.js';
export { withSharedCreationSite } from './creation_site.js';
export * from './dtype.js';
export * from './errors.js';
export * from './graph.js';
export * from './graph_def.js';
export * from './graph_keys.js';

// Registers the GraphDef forms of If / While (their bodies as FunctionDefs).
import './io/control_flow_export.js';
import './io/import_functions.js';

export * from './io/graph_def_codec.js';
export * from './io/graph_util.js';
export * from './io/import_graph_def.js';
export * as losses from './losses.js';
export type { Initializer } from './model/initializers.js';
export * as initializers from './model/initializers.js';
export * as layers from './model/layers/index.js';
export * as metrics from './model/metrics.js';
export { InTopKV2, inTopK, Qr, qr, zeroFraction } from './model/model_ops.js';
export * as regularizers from './model/regularizers.js';
export * from './model/variable_scope.js';
export * from './ndarray.js';
export * from './nn_impl.js';
export * from './op_def.js';
export * from './ops/array.js';
export * from './ops/const.js';
export {
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  type Conv2DOptions,
  type ConvAttrs,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  type DataFormat,
  type Padding,
  type PoolAttrs,
  type Window,
} from './ops/conv.js';
export * from './ops/core.js';
export * from './ops/joins.js';
export * from './ops/linalg.js';
export * from './ops/math.js';
export * from './ops/nn.js';
export {
  AvgPool,
  AvgPoolGrad,
  avgPool,
  avgPoolGrad,
  MaxPool,
  MaxPoolGrad,
  MaxPoolGradGrad,
  maxPool,
  maxPoolGrad,
  maxPoolGradGrad,
  type PoolOptions,
} from './ops/pool.js';
export * from './ops/random.js';
export * from './ops/reduce.js';
export * from './ops/select.js';
export type { AdamScalars, PoolGeometry, SimdKernels } from './ops/simd/index.js';
export * from './ops/slicing.js';
export {
  LogSoftmax,
  logSoftmax,
  Softmax,
  SoftmaxCrossEntropyWithLogits,
  type SoftmaxOptions,
  SparseSoftmaxCrossEntropyWithLogits,
  softmax,
  softmaxCrossEntropyWithLogits,
  softmaxCrossEntropyWithLogitsV2,
  sparseSoftmaxCrossEntropyWithLogits,
  type XentArgs,
} from './ops/softmax.js';
export * from './ops/sources.js';
export * from './ops/state.js';
export { type Float32Fill, float32Kernel, shareTensor } from './ops/typed_kernel.js';
export { checked, checkOptions, NAME_SPEC, named, type OptionKind, type OptionSpec } from './options.js';
export * from './session/backends.js';
export { feedEntries, lookupTensor } from './session/fetch_feed.js';
export * from './session/run_metadata.js';
export * from './session/session.js';
export { ConstantCache, OpKernelContext } from './session/state.js';
export * from './strided_slice_spec.js';
export * from './tensor.js';
export * from './variable.js';
