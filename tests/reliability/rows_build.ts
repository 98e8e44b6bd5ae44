// Bad-input rows caught when the graph is built: options objects, names, shapes, dtypes and
// values that cannot be represented. Each is an error of ours naming what was wrong.
import { gradients } from '@graphmode/autodiff';
import {
  argMax,
  clipByNorm,
  constant,
  conv2d,
  identity,
  layers,
  losses,
  matMul,
  maxPool,
  nameScope,
  ones,
  placeholder,
  reduceMean,
  reduceSum,
  reshape,
  slice,
  split,
  TypeError,
  ValueError,
  variable,
  zeros,
} from '@graphmode/graph';
import {
  AdamOptimizer,
  createTrainOp,
  GradientDescentOptimizer,
  Saver,
  StopAtStepHook,
} from '@graphmode/train';
import type { Row } from './table.js';

// biome-ignore lint/suspicious/noExplicitAny: these rows make the calls plain JS users make
type Loose = (...args: any[]) => unknown;
const loose = (f: unknown): Loose => f as Loose;
const img = () => zeros([1, 4, 4, 1]);
const filt = () => ones([2, 2, 1, 1]);

export const optionRows: Row[] = [
  [
    'reduceSum with TF1 keepdims',
    TypeError,
    /reduceSum: unknown option 'keepdims'; accepted options: name, keepDims/,
    (w) => loose(reduceSum)(w.x, 1, { keepdims: true }),
  ],
  [
    'reduceMean with keepDims positional',
    TypeError,
    /reduceMean: expected an options object .* got boolean true/,
    (w) => loose(reduceMean)(w.x, 1, true),
  ],
  [
    'conv2d TF1 positional call',
    TypeError,
    /conv2d: expected an options object .*strides.* got an array \[1, 1, 1, 1\]/,
    () => loose(conv2d)(img(), filt(), [1, 1, 1, 1], 'SAME'),
  ],
  [
    'conv2d with padding positional',
    TypeError,
    /conv2d: expected an options object .* got the string 'SAME'/,
    () => loose(conv2d)(img(), filt(), 'SAME'),
  ],
  [
    'conv2d with a snake_case option',
    TypeError,
    /conv2d: unknown option 'data_format'/,
    () => loose(conv2d)(img(), filt(), { data_format: 'NHWC' }),
  ],
  [
    'matMul with transpose_a',
    TypeError,
    /unknown option 'transpose_a'; accepted options: name, transposeA, transposeB/,
    (w) => loose(matMul)(w.x, w.x, { transpose_a: true }),
  ],
  [
    'matMul option of the wrong kind',
    TypeError,
    /option 'transposeB' must be a boolean, got the string 'yes'/,
    (w) => loose(matMul)(w.x, w.x, { transposeB: 'yes' }),
  ],
  [
    'maxPool with stride',
    TypeError,
    /maxPool: unknown option 'stride'/,
    () => loose(maxPool)(img(), { ksize: 2, stride: 2 }),
  ],
  [
    'placeholder misspelt name option',
    TypeError,
    /placeholder: unknown option 'nmae'/,
    () => loose(placeholder)('float32', [1], { nmae: 'x' }),
  ],
  [
    'variable misspelt trainable',
    TypeError,
    /variable: unknown option 'trainabel'/,
    () => loose(variable)(0, { trainabel: false }),
  ],
  [
    'identity name of the wrong kind',
    TypeError,
    /identity: option 'name' must be a string, got number 3/,
    (w) => loose(identity)(w.x, { name: 3 }),
  ],
  [
    'split with numSplit',
    TypeError,
    /split: unknown option 'numSplit'/,
    (w) => loose(split)(w.x, 3, 1, { numSplit: 3 }),
  ],
  [
    'clipByNorm with axis (TF: axes)',
    TypeError,
    /clipByNorm: unknown option 'axis'; accepted options: name, axes/,
    (w) => loose(clipByNorm)(w.x, 1, { axis: 0 }),
  ],
  [
    'meanSquaredError with huberLoss delta',
    TypeError,
    /mean_squared_error: unknown option 'delta'/,
    (w) => loose(losses.meanSquaredError)(w.x, w.x, { delta: 1 }),
  ],
  [
    'layers.dense with kernel_initializer',
    TypeError,
    /layers.dense: unknown option 'kernel_initializer'/,
    (w) => loose(layers.dense)(w.x, 2, { kernel_initializer: null }),
  ],
  [
    'AdamOptimizer with learning_rate',
    TypeError,
    /AdamOptimizer: unknown option 'learning_rate'/,
    () => new AdamOptimizer({ learning_rate: 0.1 } as never),
  ],
  [
    'GradientDescentOptimizer positional name',
    TypeError,
    /GradientDescentOptimizer: expected an options object .* got the string 'sgd'/,
    () => new GradientDescentOptimizer(0.1, 'sgd' as never),
  ],
  [
    'createTrainOp with clipGradientNorm',
    TypeError,
    /createTrainOp: unknown option 'clipGradientNorm'/,
    (w) => loose(createTrainOp)(w.loss, new GradientDescentOptimizer(0.1), { clipGradientNorm: 1 }),
  ],
  [
    'minimize with var_list',
    TypeError,
    /minimize: unknown option 'var_list'/,
    (w) => new GradientDescentOptimizer(0.1).minimize(w.loss, { var_list: [w.v] } as never),
  ],
  [
    'Saver with max_to_keep',
    TypeError,
    /Saver: unknown option 'max_to_keep'/,
    () => new Saver({ max_to_keep: 2 } as never),
  ],
  [
    'StopAtStepHook with num_steps',
    TypeError,
    /StopAtStepHook: unknown option 'num_steps'/,
    () => new StopAtStepHook({ num_steps: 1 } as never),
  ],
  [
    'gradients with stop_gradients',
    TypeError,
    /gradients: unknown option 'stop_gradients'/,
    (w) => loose(gradients)(w.loss, [w.v], { stop_gradients: [] }),
  ],
];

export const buildRows: Row[] = [
  [
    'int32 constant above 2^31',
    ValueError,
    /3000000000 is out of range for dtype int32/,
    () => constant(3e9, { dtype: 'int32' }),
  ],
  [
    'int32 constant list with 2^31',
    ValueError,
    /2147483648 is out of range for dtype int32/,
    () => constant([1, 2 ** 31], { dtype: 'int32' }),
  ],
  ['argMax axis 2^32', ValueError, /4294967296 is out of range for dtype int32/, (w) => argMax(w.x, 2 ** 32)],
  [
    'int attr split numSplit 2^32',
    ValueError,
    /Split op 'split': attr 'numSplit' = 4294967296 is not an int32 value/,
    (w) => split(w.x, 2 ** 32, 1),
  ],
  [
    'constant of 1e18 elements',
    ValueError,
    /constant: shape \[1000000000,1000000000\] has 1000000000000000000 elements, more than a tensor can hold/,
    () => constant(0, { shape: [1e9, 1e9] }),
  ],
  [
    'constant of dtype int64',
    TypeError,
    /constant: dtype int64 is not supported/,
    () => loose(constant)(0, { dtype: 'int64' }),
  ],
  [
    'constant of undefined',
    TypeError,
    /Cannot convert undefined to a tensor value/,
    () => loose(constant)(undefined),
  ],
  ['constant of an object', TypeError, /Cannot convert an object \(Object\)/, () => loose(constant)({})],
  [
    'placeholder shape [-3]',
    ValueError,
    /placeholder: shape \[-3\] has an invalid dimension -3/,
    () => placeholder('float32', [-3]),
  ],
  [
    'placeholder shape [2.5]',
    ValueError,
    /placeholder: shape \[2.5\] has an invalid dimension 2.5/,
    () => placeholder('float32', [2.5]),
  ],
  [
    'placeholder dtype float64',
    TypeError,
    /placeholder: dtype float64 is not supported/,
    () => loose(placeholder)('float64', [1]),
  ],
  [
    'placeholder name positional',
    TypeError,
    /placeholder: expected an options object .* got the string 'x'/,
    () => loose(placeholder)('float32', 'x'),
  ],
  ['slice size -2', ValueError, /size\[1\] = -2 must be non-negative/, (w) => slice(w.x, [0, 0], [1, -2])],
  ['reshape to [-3, 1]', ValueError, /Size -3 must be non-negative/, (w) => reshape(w.x, [-3, 1])],
  ['reshape with two -1', ValueError, /can only infer one dimension/, (w) => reshape(w.x, [-1, -1])],
  ['op name empty', ValueError, /'' is not a valid node name/, (w) => identity(w.x, { name: '' })],
  ["op name 'a:0'", ValueError, /'a:0' is not a valid scope name/, (w) => identity(w.x, { name: 'a:0' })],
  [
    "op name 'a:0,b'",
    ValueError,
    /'a:0,b' is not a valid scope name/,
    (w) => identity(w.x, { name: 'a:0,b' }),
  ],
  [
    'op name with a space',
    ValueError,
    /'a b' is not a valid scope name/,
    (w) => identity(w.x, { name: 'a b' }),
  ],
  [
    'op name with a newline',
    ValueError,
    /'a\nb' is not a valid scope name/,
    (w) => identity(w.x, { name: 'a\nb' }),
  ],
  [
    'op name starting with _',
    ValueError,
    /'_a' is not a valid scope name/,
    (w) => identity(w.x, { name: '_a' }),
  ],
  [
    'root name scope with a space',
    ValueError,
    /'bad scope' is not a valid scope name/,
    () => nameScope('bad scope', () => 0),
  ],
  [
    'inner name scope with a colon',
    ValueError,
    /'x:y' is not a valid scope name/,
    () => nameScope('outer', () => nameScope('x:y', () => 0)),
  ],
  [
    'gradients of y w.r.t. a number',
    TypeError,
    /gradients: xs\[0\] must be a Tensor or Variable, got number 42/,
    (w) => loose(gradients)(w.loss, [42]),
  ],
  [
    'gradients of a name',
    TypeError,
    /gradients: ys\[0\] must be a Tensor or Variable, got string loss/,
    (w) => loose(gradients)('loss', [w.v]),
  ],
  ['assign of the wrong shape', ValueError, /Shapes must be equal/, (w) => w.v.assign([1, 2])],
  ['matMul of mismatched shapes', ValueError, /MatMul/, (w) => matMul(w.x, [[1, 2]])],
];
