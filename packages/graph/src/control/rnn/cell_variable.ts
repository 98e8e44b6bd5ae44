// The one place RNN cells make variables. NOTE for the merge: this stands in for API.md §5's
// `getVariable` (being built on another branch); switching means replacing this function's body
// with `getVariable(name, { shape, initializer })` under the caller's variable scope.
import type { DType } from '../../dtype.js';
import { ValueError } from '../../errors.js';
import { controlDependencies, getDefaultGraph, type Tensor } from '../../graph.js';
import { type Variable, variable } from '../../variable.js';

/** Initializer contract of API.md §5. */
export type CellInitializer = (shape: number[], dtype: DType) => Tensor;

/**
 * A new variable `<scope>/<name>` (scope: a full name such as 'rnn/basic_lstm_cell'); a cell calls
 * this once and keeps its variables. A name taken by another cell fails as getVariable does.
 */
export function cellVariable(
  scope: string,
  name: string,
  shape: number[],
  initializer: CellInitializer,
): Variable {
  const graph = getDefaultGraph();
  const full = `${scope}/${name}`;
  if (graph.getCollection<Variable>('variables').some((v) => v.op.name === full)) {
    throw new ValueError(
      `Variable ${full} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?`,
    );
  }
  return controlDependencies(null, () =>
    graph.nameScope(`${scope}/`, () => variable(() => initializer(shape, 'float32'), { name })),
  );
}
