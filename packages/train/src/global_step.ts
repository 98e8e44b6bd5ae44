// The global step: an int32 scalar variable named 'global_step' (tfjs has no int64), non-trainable,
// in GLOBAL_VARIABLES and GLOBAL_STEP (TF's training_util).
import {
  constant,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  type Tensor,
  TypeError,
  ValueError,
  Variable,
  variable,
} from '@graphmode/graph';
import { logger } from './logging.js';

function assertGlobalStep(v: Variable): Variable {
  if (v.dtype !== 'int32')
    throw new TypeError(`Existing "global_step" does not have integer type: ${v.dtype}`);
  if (v.shape.length !== 0)
    throw new TypeError(`Existing "global_step" is not scalar: [${v.shape.join(',')}]`);
  return v;
}

/**
 * The graph's global step: the one variable in the GLOBAL_STEP collection, else a global variable
 * named 'global_step'; null when there is none (or, as in TF, when the collection holds several).
 */
export function getGlobalStep(graph: Graph = getDefaultGraph()): Variable | null {
  const inCollection = graph.getCollection<Variable | Tensor>(GraphKeys.GLOBAL_STEP);
  if (inCollection.length > 1) {
    logger().warn('Multiple tensors in global_step collection.');
    return null;
  }
  if (inCollection.length === 1) {
    const v = inCollection[0]!;
    if (!(v instanceof Variable))
      throw new TypeError(`Existing "global_step" must be a Variable, got ${String(v)}`);
    return assertGlobalStep(v);
  }
  // TF looks the tensor 'global_step:0' up by name, so a local variable of that name counts too.
  const byName = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES]
    .flatMap((key) => graph.getCollection<Variable>(key))
    .find((v) => v instanceof Variable && v.name === 'global_step:0');
  return byName ? assertGlobalStep(byName) : null;
}

/** Creates the global step (initialized to 0); throws when the graph already has one. */
export function createGlobalStep(graph: Graph = getDefaultGraph()): Variable {
  if (getGlobalStep(graph) !== null) throw new ValueError('"global_step" already exists.');
  return graph.asDefault(() =>
    graph.nameScope(null, () =>
      graph.controlDependencies(null, () =>
        // TF's get_variable with zeros_initializer: the initial value is 'global_step/Initializer/zeros'.
        variable(() => constant(0, { dtype: 'int32', name: 'zeros' }), {
          name: 'global_step',
          dtype: 'int32',
          trainable: false,
          collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        }),
      ),
    ),
  );
}

/** The global step, created first if the graph has none. @example const step = getOrCreateGlobalStep(); */
export function getOrCreateGlobalStep(graph: Graph = getDefaultGraph()): Variable {
  return getGlobalStep(graph) ?? createGlobalStep(graph);
}
