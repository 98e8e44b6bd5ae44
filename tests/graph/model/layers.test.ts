// Ports of TF 1.15's core_layers_test.py and convolutional_test.py for the functional layers:
// variable and op names, uniquification, reuse, shapes, regularizers, values against eager tfjs.
import {
  constant,
  Graph,
  GraphKeys,
  globalVariablesInitializer,
  initializers,
  layers,
  mul,
  placeholder,
  reduceSum,
  regularizers,
  relu,
  Session,
  type Tensor,
  trainableVariables,
  ValueError,
  type Variable,
  variableScope,
} from '@graphmode/graph';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, toTf } from '../../helpers.js';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};
const names = (vs: readonly Variable[]) => vs.map((v) => v.op.name);
const input = (shape: number[], seed = 1) => constant(randomArray(shape, 'normal', seed));

describe('layers.dense', () => {
  it('makes dense/kernel and dense/bias, ops under dense/, then dense_1 (testDenseProperties, testCall)', () =>
    inGraph((g) => {
      const x = input([5, 3]);
      const y = layers.dense(x, 2, { activation: relu });
      expect(y.shape).toEqual([5, 2]);
      expect(names(trainableVariables())).toEqual(['dense/kernel', 'dense/bias']);
      expect(y.op.name).toBe('dense/Relu');
      expect(g.getOperations().map((o) => o.name)).toEqual(
        expect.arrayContaining(['dense/MatMul', 'dense/BiasAdd']),
      );
      layers.dense(x, 2);
      expect(names(trainableVariables())).toEqual([
        'dense/kernel',
        'dense/bias',
        'dense_1/kernel',
        'dense_1/bias',
      ]);
      expect(trainableVariables()[0]!.shape).toEqual([3, 2]);
    }));

  it('reuse by name, from a reusing scope, and a duplicate name without reuse is an error', () =>
    inGraph(() => {
      const x = input([5, 3]);
      layers.dense(x, 2, { name: 'my_dense' });
      layers.dense(x, 2, { name: 'my_dense', reuse: true });
      expect(names(trainableVariables())).toEqual(['my_dense/kernel', 'my_dense/bias']);
      expect(() => layers.dense(x, 2, { name: 'my_dense' })).toThrow(
        'Variable my_dense/kernel already exists, disallowed.',
      );
      variableScope('scope', () => layers.dense(x, 2, { name: 'my_dense' }));
      variableScope('scope', () => layers.dense(x, 2, { name: 'my_dense' }), { reuse: true });
      expect(trainableVariables()).toHaveLength(4);
    }));

  it('takes a VariableScope as name and scope names (testFunctionalDenseInScope)', () =>
    inGraph(() => {
      const x = input([5, 3]);
      variableScope('test', () => layers.dense(x, 2, { name: 'my_dense' }));
      variableScope('test1', (scope) => layers.dense(x, 2, { name: scope }));
      variableScope('test2', () => layers.dense(x, 2));
      expect(names(trainableVariables().filter((v) => v.op.name.endsWith('kernel')))).toEqual([
        'test/my_dense/kernel',
        'test1/kernel',
        'test2/dense/kernel',
      ]);
    }));

  it('kernel initializer from the scope, bias still zeros (testFunctionalDenseInitializerFromScope)', () => {
    const g = new Graph();
    const y = g.asDefault(() =>
      variableScope('scope', () => layers.dense(constant([[1, 2, 3]]), 2), {
        initializer: initializers.ones(),
      }),
    );
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    expect(sess.run(y).toArray()).toEqual([[6, 6]]);
  });

  it('computes activation(x·W + b) like eager tfjs, for rank 2 and rank 3 inputs (tensordot)', () => {
    const g = new Graph();
    const xv = randomArray([2, 4, 3], 'normal', 3);
    const { x, y2, y3 } = g.asDefault(() => {
      const x = placeholder('float32', [null, 4, 3]);
      const y3 = layers.dense(x, 5, { biasInitializer: initializers.constant(0.5), activation: relu });
      const y2 = layers.dense(constant(randomArray([6, 3], 'normal', 4)), 5, { name: 'd2', reuse: false });
      return { x, y2, y3 };
    });
    expect(y3.shape).toEqual([null, 4, 5]);
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const [k, out] = sess.run([trainableVariablesOf(g)[0]!, y3], new Map([[x, xv]]));
    const expected = tf.relu(tf.add(tf.matMul(toTf(xv).reshape([8, 3]), toTf(k!)).reshape([2, 4, 5]), 0.5));
    expectClose(out!, expected, 1e-5);
    expect(sess.run(y2).shape).toEqual([6, 5]);
  });

  it('regularizers go to REGULARIZATION_LOSSES under the layer name scope; useBias and trainable', () =>
    inGraph((g) => {
      layers.dense(input([5, 3]), 2, {
        kernelRegularizer: regularizers.l2(0.1),
        biasRegularizer: regularizers.l1(0.1),
        useBias: true,
      });
      layers.dense(input([5, 3]), 2, { useBias: false, trainable: false, name: 'frozen' });
      expect(g.getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES).map((t) => t.name)).toEqual([
        'dense/kernel/Regularizer/l2_regularizer:0',
        'dense/bias/Regularizer/l1_regularizer:0',
      ]);
      expect(names(trainableVariables())).toEqual(['dense/kernel', 'dense/bias']);
      expect(names(g.getCollection<Variable>(GraphKeys.GLOBAL_VARIABLES))).toContain('frozen/kernel');
    }));

  it('rejects bad inputs and unknown options (TF’s messages)', () =>
    inGraph(() => {
      expect(() => layers.dense(placeholder('float32', [5, null]), 2)).toThrow(
        'The last dimension of the inputs to `Dense` should be defined. Found `None`.',
      );
      expect(() => layers.dense(input([3]), 2)).toThrow('expected min_ndim=2, found ndim=1');
      expect(() => layers.dense(input([3, 3]), 2, { kernel_initializer: 1 } as never)).toThrow(
        /layers\.dense: unknown option 'kernel_initializer'; accepted options: activation, useBias/,
      );
    }));
});

const trainableVariablesOf = (g: Graph) => g.getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES);

describe('layers.conv2d', () => {
  it('shapes and names: valid, same + strides, channels_first, dilation (testConv2D*)', () =>
    inGraph((g) => {
      const images = input([5, 7, 9, 4]);
      const y = layers.conv2d(images, 32, [3, 3], { activation: relu });
      expect(y.shape).toEqual([5, 5, 7, 32]);
      expect(y.op.name).toBe('conv2d/Relu');
      expect(names(trainableVariables())).toEqual(['conv2d/kernel', 'conv2d/bias']);
      expect(trainableVariables()[0]!.shape).toEqual([3, 3, 4, 32]);
      expect(g.getOperations().map((o) => o.name)).toEqual(
        expect.arrayContaining(['conv2d/Conv2D', 'conv2d/BiasAdd']),
      );
      expect(layers.conv2d(images, 32, 3, { strides: 2, padding: 'same' }).shape).toEqual([5, 4, 5, 32]);
      expect(trainableVariables()[2]!.op.name).toBe('conv2d_1/kernel');
      expect(layers.conv2d(input([5, 4, 7, 9]), 32, [3, 3], { dataFormat: 'channels_first' }).shape).toEqual([
        5, 32, 5, 7,
      ]);
      expect(layers.conv2d(images, 32, [3, 3], { dilationRate: 2 }).shape).toEqual([5, 3, 5, 32]);
      expect(() => layers.conv2d(images, 32, [3, 3], { padding: 'full' as never })).toThrow(ValueError);
      expect(() => layers.conv2d(images, 32, 3, { strides: 2, dilationRate: 2 })).toThrow(
        'strides > 1 not supported in conjunction with dilation_rate > 1',
      );
      expect(() => layers.conv2d(input([5, 7, 9]), 32, 3)).toThrow('expected ndim=4, found ndim=3');
    }));

  it('reuse, no reuse, reuse from scope, kernel regularizer (testFunctionalConv2D*, testConv2DKernelRegularizer)', () =>
    inGraph((g) => {
      const images = input([5, 7, 9, 4]);
      layers.conv2d(images, 32, [3, 3], { name: 'conv1' });
      layers.conv2d(images, 32, [3, 3], { name: 'conv1', reuse: true });
      expect(trainableVariables()).toHaveLength(2);
      layers.conv2d(images, 32, [3, 3]);
      layers.conv2d(images, 32, [3, 3]);
      expect(trainableVariables()).toHaveLength(6);
      variableScope('scope', () => layers.conv2d(images, 32, [3, 3], { name: 'conv1' }));
      variableScope('scope', () => layers.conv2d(images, 32, [3, 3], { name: 'conv1' }), { reuse: true });
      expect(trainableVariables()).toHaveLength(8);
      layers.conv2d(images, 32, [3, 3], { kernelRegularizer: (w) => mul(0.1, reduceSum(w)), name: 'reg' });
      expect(g.getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES).map((t) => t.op.name)).toEqual([
        'reg/kernel/Regularizer/Mul',
      ]);
    }));

  it('computes conv + bias like eager tfjs (channels_last and channels_first)', () => {
    const g = new Graph();
    const xv = randomArray([2, 6, 6, 3], 'normal', 5);
    const [y, yf, k, kf] = g.asDefault(() => {
      const y = layers.conv2d(constant(xv), 4, 3, {
        padding: 'same',
        strides: 2,
        biasInitializer: initializers.constant(0.1),
      });
      const yf = layers.conv2d(constant(xv), 4, 3, { dataFormat: 'channels_first', name: 'cf' });
      const vs = trainableVariables();
      return [y, yf, vs[0]!, vs[2]!] as const;
    });
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const [out, outF, kv, kfv] = sess.run([y, yf, k, kf]);
    expectClose(
      out!,
      tf.add(tf.conv2d(toTf(xv) as tf.Tensor4D, toTf(kv!) as tf.Tensor4D, 2, 'same'), 0.1),
      1e-4,
    );
    // channels_first: x is read as [N, C=6, H=6, W=3]
    const nhwc = tf.transpose(toTf(xv), [0, 2, 3, 1]) as tf.Tensor4D;
    const ref = tf.transpose(tf.conv2d(nhwc, toTf(kfv!) as tf.Tensor4D, 1, 'valid'), [0, 3, 1, 2]);
    expectClose(outF!, ref, 1e-4);
  });
});

describe('pooling, flatten, dropout', () => {
  it('pooling shapes and names (testMaxPooling2D, testAveragePooling2D)', () =>
    inGraph(() => {
      const images = input([5, 7, 9, 4]);
      const p = layers.maxPooling2d(images, [2, 2], 2);
      expect(p.shape).toEqual([5, 3, 4, 4]);
      expect(p.op.name).toBe('max_pooling2d/MaxPool');
      expect(layers.maxPooling2d(images, 2, 2).op.name).toBe('max_pooling2d_1/MaxPool');
      const a = layers.averagePooling2d(images, [2, 2], 2, { padding: 'same' });
      expect(a.shape).toEqual([5, 4, 5, 4]);
      expect(a.op.name).toBe('average_pooling2d/AvgPool');
      expect(layers.maxPooling2d(input([5, 4, 7, 9]), 2, 2, { dataFormat: 'channels_first' }).shape).toEqual([
        5, 4, 3, 4,
      ]);
    }));

  it('pooling values match eager tfjs', () => {
    const g = new Graph();
    const xv = randomArray([2, 5, 5, 3], 'normal', 9);
    const y = g.asDefault(() => layers.averagePooling2d(constant(xv), 3, 2, { padding: 'same' }));
    expectClose(new Session(g).run(y), tf.avgPool(toTf(xv) as tf.Tensor4D, 3, 2, 'same'), 1e-5);
  });

  it('flatten keeps the batch dimension (testFlatten, unknown batch)', () => {
    const g = new Graph();
    const { y, x } = g.asDefault(() => {
      const x = placeholder('float32', [null, 2, 3]);
      return { x, y: layers.flatten(x) };
    });
    expect(y.shape).toEqual([null, 6]);
    expect(y.op.name.startsWith('flatten/')).toBe(true);
    const xv = randomArray([4, 2, 3]);
    const out = new Session(g).run(y, new Map([[x, xv]]));
    expect(out.shape).toEqual([4, 6]);
    expect(Array.from(out.data as Float32Array)).toEqual(Array.from(xv.data as Float32Array));
    expect(
      inGraph(() => layers.flatten(input([5, 2, 3, 4]), { dataFormat: 'channels_first' }).shape),
    ).toEqual([5, 24]);
    // Unknown batch and trailing sizes: the batch size is read at run time.
    const g2 = new Graph();
    const { x2, y2 } = g2.asDefault(() => {
      const x2 = placeholder('float32', [null, null, 3]);
      return { x2, y2: layers.flatten(x2) };
    });
    expect(y2.shape).toEqual([null, null]);
    expect(new Session(g2).run(y2, new Map([[x2, randomArray([2, 4, 3])]])).shape).toEqual([2, 12]);
  });

  it('dropout: identity unless training; a fed bool switches it at run time', () => {
    const g = new Graph();
    const { y, off, training } = g.asDefault(() => {
      const x = constant(new Float32Array(10000).fill(1), { shape: [100, 100] });
      const training = placeholder('bool', []);
      return { y: layers.dropout(x, { rate: 0.3, training, seed: 1 }), off: layers.dropout(x), training };
    });
    expect(off.op.name).toBe('dropout_1/Identity');
    const sess = new Session(g);
    const on = sess.run(y, new Map([[training, true]])).data as Float32Array;
    const kept = on.filter((v) => v !== 0);
    expect(kept.length / on.length).toBeGreaterThan(0.67);
    expect(kept.length / on.length).toBeLessThan(0.73);
    expect(kept[0]).toBeCloseTo(1 / 0.7, 5);
    expect((sess.run(y, new Map([[training, false]])).data as Float32Array).every((v) => v === 1)).toBe(true);
    expect((sess.run(off).data as Float32Array).every((v) => v === 1)).toBe(true);
  });
});
