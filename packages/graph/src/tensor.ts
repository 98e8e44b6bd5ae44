// Tensors: symbolic (op, output index) edges of a Graph, with a static dtype and shape.
import { freeze } from 'immer';
import { type DType, formatShape, mergeShapes, type Shape, shapesCompatible } from './dtype.js';
import { ValueError } from './errors.js';
import type { Graph, Operation } from './graph.js';

/** A symbolic value: output `valueIndex` of `op`. */
export class Tensor {
  /** Ops that read this tensor, in creation order. */
  readonly consumers: Operation[] = [];
  constructor(
    readonly op: Operation,
    readonly valueIndex: number,
    readonly dtype: DType,
    private _shape: Shape | null,
  ) {}
  get shape(): Shape | null {
    return this._shape;
  }
  get name(): string {
    return `${this.op.name}:${this.valueIndex}`;
  }
  get graph(): Graph {
    return this.op.graph;
  }
  get rank(): number | null {
    return this._shape === null ? null : this._shape.length;
  }
  /** Refines the static shape (TF's `set_shape`); throws when incompatible. */
  setShape(shape: Shape | null): void {
    if (!shapesCompatible(this._shape, shape)) {
      throw new ValueError(
        `Tensor '${this.name}': shape ${formatShape(this._shape)} is not compatible with ${formatShape(shape)}`,
      );
    }
    const merged = mergeShapes(this._shape, shape);
    this._shape = merged === null ? null : freeze([...merged]);
  }
  toString(): string {
    return `Tensor("${this.name}", shape=${formatShape(this._shape)}, dtype=${this.dtype})`;
  }
}
