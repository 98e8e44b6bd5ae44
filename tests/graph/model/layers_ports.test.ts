// More ports of TF 1.15's layers tests (core_test.py DenseTest / DropoutTest / FlattenTest,
// convolutional_test.py ConvTest, pooling_test.py PoolingTest), and the errors plain-JS callers
// get for bad layer arguments.
import {
  constant,
  Graph,
  GraphKeys,
  TypeError as GraphTypeError,
  getVariable,
  getVariableStore,
  globalVariables,
  globalVariablesInitializer,
  initializers,
  layers,
  mul,
  ones,
  placeholder,
  randomUniform,
  reduceSum,
  relu,
  Session,
  type Tensor,
  trainableVariables,
  ValueError,
  variable,
  variableScope,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};
const images = () => randomUniform([5, 7, 9, 4], { seed: 1 });

describe('core_test.py', () => {
  it('testActivation / testOutputShape / testCallOnPlaceHolder / testVariableInput', () =>
    inGraph(() => {
      const x = randomUniform([5, 3], { seed: 1 });
      expect(layers.dense(x, 2, { activation: relu, name: 'dense1' }).op.name).toBe('dense1/Relu');
      expect(layers.dense(x, 2, { name: 'dense2' }).op.name).toBe('dense2/BiasAdd');
      expect(layers.dense(randomUniform([5, 2, 3]), 7).shape).toEqual([5, 2, 7]);
      expect(layers.dense(randomUniform([1, 2, 4, 3]), 7).shape).toEqual([1, 2, 4, 7]);
      expect(() => layers.dense(placeholder('float32'), 4)).toThrow(ValueError);
      expect(() => layers.dense(placeholder('float32', [null, null]), 4)).toThrow(ValueError);
      expect(() => layers.dense(placeholder('float32', [null, null, null]), 4)).toThrow(ValueError);
      expect(layers.dense(placeholder('float32', [null, 3]), 4).shape).toEqual([null, 4]);
      expect(layers.dense(placeholder('float32', [null, null, 3]), 4).shape).toEqual([null, null, 4]);
      const v = getVariable('X', { shape: [1, 1], initializer: initializers.zeros() });
      const y = layers.dense(v, 1);
      const sess = new Session();
      sess.run(globalVariablesInitializer());
      expect(sess.run(y).toArray()).toEqual([[0]]);
    }));

  it('testFunctionalDenseTwice: the variable store grows 2 → 4', () =>
    inGraph(() => {
      const x = randomUniform([5, 3], { seed: 1 });
      layers.dense(x, 2);
      expect(getVariableStore().size).toBe(2);
      layers.dense(x, 2);
      expect([...getVariableStore().keys()]).toEqual([
        'dense/kernel',
        'dense/bias',
        'dense_1/kernel',
        'dense_1/bias',
      ]);
    }));

  it('testFunctionalDenseInScope: a VariableScope as name, and default names inside a scope', () =>
    inGraph(() => {
      const x = randomUniform([5, 3], { seed: 1 });
      variableScope('test', () => layers.dense(x, 2, { name: 'my_dense' }));
      variableScope('test1', (scope) => layers.dense(x, 2, { name: scope }));
      variableScope('test2', () => layers.dense(x, 2));
      expect([...getVariableStore().keys()].filter((k) => k.endsWith('kernel'))).toEqual([
        'test/my_dense/kernel',
        'test1/kernel',
        'test2/dense/kernel',
      ]);
    }));

  it('DropoutTest: functional, dynamic rate, noise shape with a null entry, boolean learning phase', () =>
    inGraph(() => {
      const sess = new Session();
      const x = ones([5, 5]);
      const min = (t: Tensor, feeds?: [Tensor, number][]) =>
        Math.min(...(sess.run(t, feeds).data as Float32Array));
      expect(min(layers.dropout(x, { rate: 0.5, training: true, seed: 1 }))).toBe(0);
      expect(sess.run(layers.dropout(x, { rate: 0.5, training: false, seed: 1 })).toArray()).toEqual(
        sess.run(x).toArray(),
      );
      const rate = placeholder('float32', [], { name: 'rate' });
      const d = layers.dropout(x, { rate, training: true });
      expect(min(d, [[rate, 0.5]])).toBe(0);
      expect(min(d, [[rate, 0]])).toBe(1);
      for (const noiseShape of [
        [null, 1, null],
        [5, 1, 2],
      ]) {
        const y = layers.dropout(ones([5, 3, 2]), { rate: 0.5, noiseShape, seed: 1, training: true });
        const out = sess.run(y).toArray() as number[][][];
        expect(Math.min(...out.flat(2))).toBe(0);
        expect(out.map((r) => r[0])).toEqual(out.map((r) => r[1]));
      }
      expect(layers.dropout(ones([])).op.name).toBe('dropout_5/Identity');
      expect(() => layers.dropout(x, { rate: 1 })).toThrow(/rate must be .* in the range \[0, 1\)/);
    }));

  it('FlattenTest: 0-D batch, unknown axes, 5-D channels_first equals channels_last', () =>
    inGraph(() => {
      expect(layers.flatten(placeholder('float32', [null])).shape).toEqual([null, 1]);
      expect(layers.flatten(placeholder('float32', [5, null, null])).shape).toEqual([5, null]);
      expect(layers.flatten(placeholder('float32', [5, null, 2])).shape).toEqual([5, null]);
      expect(layers.flatten(placeholder('float32', [null, 3, null])).shape).toEqual([null, null]);
      expect(layers.flatten(placeholder('float32', [1, 2, 3, 2])).shape).toEqual([1, 12]);
      const cl = new Float32Array(120).map((_, i) => i);
      // channels_first input: np.transpose(channels_last, [0, 4, 1, 2, 3])
      const cf = new Float32Array(120);
      for (let c = 0; c < 2; c++) for (let i = 0; i < 60; i++) cf[c * 60 + i] = cl[i * 2 + c]!;
      const yl = layers.flatten(constant(cl, { shape: [1, 5, 4, 3, 2] }), { dataFormat: 'channels_last' });
      const yf = layers.flatten(constant(cf, { shape: [1, 2, 5, 4, 3] }), { dataFormat: 'channels_first' });
      const [outL, outF] = new Session().run([yl, yf]);
      expect(outL!.shape).toEqual([1, 120]);
      expect(outF!.toArray()).toEqual(outL!.toArray());
    }));
});

describe('convolutional_test.py / pooling_test.py', () => {
  it('testInvalidStrides / testInvalidKernelSize / testInvalidDataFormat / testUnknownInputChannels', () =>
    inGraph(() => {
      const x = images();
      expect(() => layers.conv2d(x, 32, 3, { strides: [1, 2, 3] })).toThrow(/strides/);
      expect(() => layers.conv2d(x, 32, 3, { strides: null as never })).toThrow(
        'The `strides` argument must be a tuple of 2 integers. Received: None',
      );
      expect(() => layers.conv2d(x, 32, [1, 2, 3])).toThrow(/kernel_size/);
      expect(() => layers.conv2d(x, 32, null as never)).toThrow(/kernel_size/);
      expect(() => layers.conv2d(x, 32, 3, { dataFormat: 'invalid' as never })).toThrow(/data_format/);
      const msg = 'The channel dimension of the inputs should be defined. Found `None`.';
      expect(() => layers.conv2d(placeholder('float32', [5, 7, 9, null]), 32, [3, 3])).toThrow(msg);
      expect(() =>
        layers.conv2d(placeholder('float32', [5, null, 7, 9]), 32, [3, 3], { dataFormat: 'channels_first' }),
      ).toThrow(msg);
      expect(() => layers.maxPooling2d(x, 2, [1, 2, 3])).toThrow(/strides/);
      expect(() => layers.maxPooling2d(x, 2, null as never)).toThrow(/strides/);
      expect(() => layers.maxPooling2d(x, [1, 2, 3], 2)).toThrow(/pool_size/);
      expect(() => layers.maxPooling2d(x, null as never, 2)).toThrow(/pool_size/);
      expect(() => layers.averagePooling2d(x, 2, 2, { dataFormat: 'invalid' as never })).toThrow(
        /data_format/,
      );
    }));

  it('testCreateConvWithStrides / testConv2DNoBias / testFunctionalConv2DInitializerFromScope', () =>
    inGraph(() => {
      const x = images();
      expect(layers.conv2d(x, 32, [3, 3], { strides: [2, 1] }).shape).toEqual([5, 3, 7, 32]);
      expect(layers.conv2d(x, 32, [3, 3], { strides: [1, 2] }).shape).toEqual([5, 5, 4, 32]);
      layers.conv2d(x, 32, [3, 3], { useBias: false, name: 'nobias' });
      expect(trainableVariables().filter((v) => v.name.startsWith('nobias'))).toHaveLength(1);
      variableScope('scope', () => layers.conv2d(x, 32, [3, 3]), { initializer: initializers.ones() });
      const sess = new Session();
      sess.run(globalVariablesInitializer());
      const store = getVariableStore();
      const values = (name: string) => new Set(sess.run(store.get(name)!).data as Float32Array);
      expect(values('scope/conv2d/kernel')).toEqual(new Set([1]));
      expect(values('scope/conv2d/bias')).toEqual(new Set([0]));
    }));

  it('testCreateMaxPooling2DChannelsFirst / pooling names are made unique', () =>
    inGraph(() => {
      const x = randomUniform([5, 2, 6, 8], { seed: 1 });
      expect(layers.maxPooling2d(x, [2, 2], 2, { dataFormat: 'channels_first' }).shape).toEqual([5, 2, 3, 4]);
      expect(layers.maxPooling2d(images(), 2, 2, { name: 'pool1' }).op.name).toBe('pool1/MaxPool');
      expect(layers.maxPooling2d(images(), 2, 2, { name: 'pool1' }).op.name).toBe('pool1_1/MaxPool');
    }));
});

describe('layer arguments from plain JS', () => {
  it('names the layer, the argument and what it takes', () =>
    inGraph(() => {
      const x = randomUniform([5, 3]);
      expect(() => layers.dense(x, '4' as never)).toThrow(
        "layers.dense: argument 'units' must be a positive integer, got the string '4'",
      );
      expect(() => layers.conv2d(images(), 0, 3)).toThrow(
        /layers\.conv2d: argument 'filters' must be a positive integer/,
      );
      expect(() => layers.dense(x, 2, { activation: 'relu' as never })).toThrow(
        "layers.dense: option 'activation' must be a function or null",
      );
      expect(() => layers.dense(x, 2, { kernelInitializer: 3 as never })).toThrow(
        "layers.dense: option 'kernelInitializer' must be a function",
      );
      expect(() => layers.dense(x, 2, { useBias: 'no' as never })).toThrow(GraphTypeError);
      expect(() => layers.dense(x, 2, { name: 5 as never })).toThrow(
        "layers.dense: option 'name' must be a string or a VariableScope",
      );
      expect(() => layers.dense(x, 2, { reuse: 'yes' as never })).toThrow(
        "layers.dense: option 'reuse' must be true, false or AUTO_REUSE",
      );
      expect(() => layers.conv2d(images(), 2, 3, { padding: 1 as never })).toThrow(
        "layers.conv2d: option 'padding' must be a string",
      );
      expect(() => layers.batchNormalization(x, { momentum: '0.9' as never })).toThrow(
        "layers.batchNormalization: option 'momentum' must be a number",
      );
      expect(() => layers.batchNormalization(x, { training: 'yes' as never })).toThrow(
        "layers.batchNormalization: option 'training' must be a boolean or a bool scalar Tensor",
      );
      expect(() => layers.dropout(x, { training: 1 as never })).toThrow(/layers\.dropout: option 'training'/);
      expect(() => layers.maxPooling2d(images(), 2, 2, { padding: 'same', strides: 2 } as never)).toThrow(
        /layers\.maxPooling2d: unknown option 'strides'/,
      );
    }));
});

describe('normalization_test.py', () => {
  it('testCreateBN / testNoCenter / testNoScale: variable and update counts, 3-D axis 1', () =>
    inGraph((g) => {
      const training = placeholder('bool', []);
      const count = (opts: { center?: boolean; scale?: boolean }, name: string) => {
        const y = layers.batchNormalization(randomUniform([5, 4, 3], { seed: 1 }), {
          axis: 1,
          training,
          name,
          ...opts,
        });
        expect(y.shape).toEqual([5, 4, 3]);
        const mine = (key: string) =>
          g.getCollection<{ name: string }>(key).filter((v) => v.name.startsWith(`${name}/`));
        return [
          mine(GraphKeys.GLOBAL_VARIABLES).length,
          mine(GraphKeys.TRAINABLE_VARIABLES).length,
          mine(GraphKeys.UPDATE_OPS).length,
        ];
      };
      expect(count({}, 'bn')).toEqual([4, 2, 2]);
      expect(count({ center: false }, 'nocenter')).toEqual([3, 1, 2]);
      expect(count({ scale: false }, 'noscale')).toEqual([3, 1, 2]);
    }));

  it('testRegularizers: a beta or gamma regularizer adds one loss', () =>
    inGraph((g) => {
      const reg = (x: Tensor) => mul(0.1, reduceSum(x));
      const training = placeholder('bool', []);
      layers.batchNormalization(randomUniform([5, 4, 3]), { axis: 1, betaRegularizer: reg, training });
      expect(g.getCollection(GraphKeys.REGULARIZATION_LOSSES)).toHaveLength(1);
      layers.batchNormalization(randomUniform([5, 4, 3]), { axis: 1, gammaRegularizer: reg, training });
      expect(g.getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES).map((t) => t.op.name)).toEqual([
        'batch_normalization/beta/Regularizer/Mul',
        'batch_normalization_1/gamma/Regularizer/Mul',
      ]);
    }));

  it('testFunctionalReuseFromScope: reusing the scope adds no variables', () =>
    inGraph(() => {
      const inputs = variable(randomUniform([5, 4, 3, 6]), { name: 'inputs' });
      const training = placeholder('bool', []);
      const bn = () =>
        layers.batchNormalization(inputs, { axis: -1, momentum: 0.9, epsilon: 1e-3, training });
      variableScope('scope', bn);
      expect(globalVariables()).toHaveLength(5);
      variableScope('scope', bn, { reuse: true });
      expect(globalVariables()).toHaveLength(5);
    }));
});
