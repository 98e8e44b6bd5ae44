// Importing control flow laid out as TF 1.15's while_v2 writes tf.map_fn (not as our exporter
// does): loop variables [loop_counter, maximum_iterations, i, TensorArray flow], the elements'
// TensorList captured as one more loop variable, items read and written at index `i`, and the
// result read by TensorListStack after the loop. Hand-built from that layout, plain data.
import '@graphmode/autodiff';
import { gradients } from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

type Attr = g.TfAttr;
const node = (name: string, op: string, input: string[], attr: Record<string, Attr> = {}): g.NodeDef => ({
  name,
  op,
  input,
  device: '',
  attr,
  outputShapes: [],
});
const type = (value: string): Attr => ({ type: 'type', value: value as g.DType });
const int = (name: string, values: number[], shape: number[] = []): g.NodeDef =>
  node(name, 'Const', [], {
    dtype: type('int32'),
    value: { type: 'tensor', value: new g.NDArray('int32', shape, Int32Array.from(values)) },
  });
const T = ['int32', 'int32', 'int32', 'variant', 'variant'] as const;
const args = ['loop_counter', 'maximum_iterations', 'placeholder', 'placeholder_1', 'placeholder_2'];
const sig = (name: string, outs: readonly string[], outTypes: readonly string[]) => ({
  name,
  inputArg: args.map((a, i) => ({ name: a, type: T[i]! })),
  outputArg: outs.map((o, i) => ({ name: o, type: outTypes[i] as 'int32' })),
});

function mapFnGraphDef(): g.GraphDef {
  const cond: g.FunctionDef = {
    signature: sig('map_while_cond_10', ['logicaland'], ['bool']),
    nodeDef: [
      node('Less', 'Less', ['loop_counter', 'maximum_iterations'], { T: type('int32') }),
      int('Less_1/y', [3]),
      node('Less_1', 'Less', ['placeholder', 'Less_1/y:output:0'], { T: type('int32') }),
      node('LogicalAnd', 'LogicalAnd', ['Less:z:0', 'Less_1:z:0']),
    ],
    ret: { logicaland: 'LogicalAnd:z:0' },
  };
  const body: g.FunctionDef = {
    signature: sig(
      'map_while_body_11',
      ['add_1', 'maximum_iterations_1', 'add', 'tensorarray', 'placeholder_2_1'],
      T,
    ),
    nodeDef: [
      int('element_shape', [2], [1]),
      node(
        'TensorListGetItem',
        'TensorListGetItem',
        ['placeholder_2', 'placeholder', 'element_shape:output:0'],
        {
          element_dtype: type('float32'),
        },
      ),
      node('Square', 'Square', ['TensorListGetItem:item:0'], { T: type('float32') }),
      node('TensorListSetItem', 'TensorListSetItem', ['placeholder_1', 'placeholder', 'Square:y:0'], {
        element_dtype: type('float32'),
      }),
      int('add/y', [1]),
      node('add', 'AddV2', ['placeholder', 'add/y:output:0'], { T: type('int32') }),
      int('add_1/y', [1]),
      node('add_1', 'AddV2', ['loop_counter', 'add_1/y:output:0'], { T: type('int32') }),
    ],
    ret: {
      add_1: 'add_1:z:0',
      maximum_iterations_1: 'maximum_iterations',
      add: 'add:z:0',
      tensorarray: 'TensorListSetItem:output_handle:0',
      placeholder_2_1: 'placeholder_2',
    },
  };
  return {
    node: [
      node('x', 'Placeholder', [], { dtype: type('float32'), shape: { type: 'shape', value: [3, 2] } }),
      int('map/TensorArrayV2/element_shape', [2], [1]),
      int('map/TensorArrayV2/num_elements', [3]),
      node(
        'map/TensorArrayV2',
        'TensorListReserve',
        ['map/TensorArrayV2/element_shape', 'map/TensorArrayV2/num_elements'],
        {
          element_dtype: type('float32'),
          shape_type: type('int32'),
        },
      ),
      int('map/TensorArrayUnstack/Const', [2], [1]),
      node(
        'map/TensorArrayUnstack/TensorListFromTensor',
        'TensorListFromTensor',
        ['x', 'map/TensorArrayUnstack/Const'],
        {
          element_dtype: type('float32'),
          shape_type: type('int32'),
        },
      ),
      int('map/Const', [0]),
      int('map/while/loop_counter', [0]),
      int('map/while/maximum_iterations', [3]),
      node(
        'map/while',
        'StatelessWhile',
        [
          'map/while/loop_counter',
          'map/while/maximum_iterations',
          'map/Const',
          'map/TensorArrayV2',
          'map/TensorArrayUnstack/TensorListFromTensor',
        ],
        {
          T: { type: 'list(type)', value: [...T] },
          cond: { type: 'func', value: 'map_while_cond_10' },
          body: { type: 'func', value: 'map_while_body_11' },
          output_shapes: { type: 'list(shape)', value: [[], [], [], [], []] },
          parallel_iterations: { type: 'int', value: 10 },
          _lower_using_switch_merge: { type: 'bool', value: true },
          _num_original_outputs: { type: 'int', value: 5 },
        },
      ),
      int('map/TensorArrayV2Stack/element_shape', [2], [1]),
      node(
        'map/TensorArrayV2Stack/TensorListStack',
        'TensorListStack',
        ['map/while:3', 'map/TensorArrayV2Stack/element_shape'],
        {
          element_dtype: type('float32'),
          num_elements: { type: 'int', value: 3 },
        },
      ),
      node('y', 'Identity', ['map/TensorArrayV2Stack/TensorListStack'], { T: type('float32') }),
    ],
    versions: { producer: 134, minConsumer: 0 },
    library: { function: [cond, body] },
  };
}

describe("importGraphDef of TF's while_v2 map_fn layout", () => {
  it('maps the TensorList loop variables onto sliced and stacked slots: values and gradients', () => {
    const graph = new g.Graph();
    const [x, y, dx] = graph.asDefault(() => {
      const [y, x] = g.importGraphDef(mapFnGraphDef(), { returnElements: ['y:0', 'x:0'] }) as g.Tensor[];
      return [x!, y!, gradients(g.reduceSum(y!), x!)[0] as g.Tensor];
    });
    const sess = new g.Session(graph);
    const feed = new g.NDArray('float32', [3, 2], Float32Array.of(1, 2, 3, -4, 0.5, 6));
    const [out, grad] = sess.run([y, dx], [[x, feed]]);
    expect(out!.shape).toEqual([3, 2]);
    expect(Array.from(out!.data as Float32Array)).toEqual([1, 4, 9, 16, 0.25, 36]);
    expect(Array.from(grad!.data as Float32Array)).toEqual([2, 4, 6, -8, 1, 12]);
    sess.close();
  });
});
