// IndexedSlices: a sparse gradient (rows `indices` of a tensor of shape `denseShape` hold `values`),
// as produced by Gather's gradient and consumed by sparse optimizer updates.
import { type Tensor, ValueError } from '@graphmode/graph';

export class IndexedSlices {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
    readonly denseShape: Tensor | null = null,
  ) {
    if (indices.dtype !== 'int32')
      throw new ValueError(`IndexedSlices indices must be int32, got ${indices.dtype}`);
  }
  get dtype() {
    return this.values.dtype;
  }
  get graph() {
    return this.values.graph;
  }
  get name(): string {
    return this.values.name;
  }
  toString(): string {
    return `IndexedSlices(indices=${this.indices.name}, values=${this.values.name}${this.denseShape ? `, dense_shape=${this.denseShape.name}` : ''})`;
  }
}

export type Gradient = Tensor | IndexedSlices;
