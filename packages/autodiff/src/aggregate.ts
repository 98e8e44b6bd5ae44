// Bookkeeping the driver does once for every rule: summing gradients that meet (three TF
// aggregation methods), densifying IndexedSlices, and summing broadcast gradients down to an
// input's shape.
import {
  accumulateN,
  addN,
  broadcastGradientArgs,
  concat,
  formatShape,
  type Graph,
  gather,
  isFullyDefined,
  type Operation,
  reduceSum,
  reshape,
  shape,
  type Tensor,
  unsortedSegmentSum,
  ValueError,
} from '@graphmode/graph';
import { type Gradient, IndexedSlices } from './indexed_slices.js';

export const AggregationMethod = {
  ADD_N: 0,
  DEFAULT: 0,
  EXPERIMENTAL_TREE: 1,
  EXPERIMENTAL_ACCUMULATE_N: 2,
} as const;

export function checkAggregationMethod(method: number | undefined): number {
  const m = method ?? AggregationMethod.DEFAULT;
  if (!Object.values(AggregationMethod).includes(m as 0 | 1 | 2)) {
    throw new ValueError(`Invalid aggregation_method specified ${method}.`);
  }
  return m;
}

/** A dense tensor from an IndexedSlices (TF's `_IndexedSlicesToTensor`: an unsorted segment sum). */
export function densify(g: Gradient): Tensor {
  if (!(g instanceof IndexedSlices)) return g;
  if (g.denseShape === null) {
    throw new ValueError(`Cannot convert ${g} to a dense Tensor: its dense shape is unknown`);
  }
  const rows = gather(g.denseShape, 0);
  return unsortedSegmentSum(g.values, g.indices, rows);
}

/** Sums the contributions to one op output; `op` names the `<op>_gradient_sum` scope. */
export function aggregate(
  graph: Graph,
  op: Operation,
  contributions: readonly Gradient[],
  method: number,
): Gradient | null {
  if (contributions.length === 0) return null;
  if (contributions.length === 1) return contributions[0]!;
  const sparse = contributions.filter((g): g is IndexedSlices => g instanceof IndexedSlices);
  if (sparse.length === contributions.length) {
    // All sparse: concatenate rows; duplicate indices are summed by whoever densifies or applies them.
    return new IndexedSlices(
      concat(
        sparse.map((g) => g.values),
        0,
      ),
      concat(
        sparse.map((g) => g.indices),
        0,
      ),
      sparse[0]!.denseShape,
    );
  }
  const dense = contributions.map(densify);
  if (method === AggregationMethod.ADD_N) return addN(dense);
  const known = dense.every((t) => isFullyDefined(t.shape));
  if (method === AggregationMethod.EXPERIMENTAL_ACCUMULATE_N && dense.length > 2 && known)
    return accumulateN(dense);
  return graph.nameScope(`${op.name}_gradient_sum`, () =>
    dense.slice(1).reduce((sum, g) => addN([sum, g]), dense[0]!),
  );
}

/** Sums a broadcast gradient down to `x`'s shape: statically when both shapes are known. */
export function reduceToShapeOf(g: Tensor, x: Tensor): Tensor {
  const gs = g.shape;
  const xs = x.shape;
  if (isFullyDefined(gs) && isFullyDefined(xs)) {
    if (gs.length === xs.length && gs.every((d, i) => d === xs[i])) return g;
    const lead = gs.length - xs.length;
    if (lead < 0 || xs.some((d, i) => d !== 1 && d !== gs[i + lead])) {
      throw new ValueError(
        `Cannot reduce gradient of shape ${formatShape(gs)} to input shape ${formatShape(xs)}`,
      );
    }
    const axes = gs.flatMap((d, i) => (i < lead || (xs[i - lead] === 1 && d !== 1) ? [i] : []));
    const summed = axes.length ? reduceSum(g, axes, { keepDims: true }) : g;
    return lead ? reshape(summed, [...xs]) : summed;
  }
  const [rx] = broadcastGradientArgs(shape(x), shape(g));
  return reshape(reduceSum(g, rx, { keepDims: true }), shape(x));
}
