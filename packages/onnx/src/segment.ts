// Lowers one segment (steps in plan order) into an ONNX model: op inputs made outside the segment
// and variables read before any write become model inputs; values read after the segment, fetched
// values, variables' final values and check flags become model outputs.
import type { DType, NDArray, Operation, Step, Tensor } from '@graphmode/graph';
import { VARIABLE } from '@graphmode/graph';
import type { Pass, PassContext } from './fuse.js';
import { type LowerContext, loweringOf } from './lowering/registry.js';
import { type AttrValue, hostOf, OnnxGraph, type ValueDType } from './model.js';

export type Source = { readonly tensor: Tensor } | { readonly variable: Operation };
export interface Binding {
  readonly name: string;
  readonly source: Source;
}
export interface Check {
  readonly op: Operation;
  readonly flags: readonly string[];
  readonly verdict: (values: readonly number[]) => string | null;
}
export interface SegmentModel {
  readonly steps: readonly Step[];
  readonly bytes: Uint8Array;
  readonly inputs: readonly Binding[];
  readonly outputs: readonly Binding[];
  readonly checks: readonly Check[];
  /** ONNX node name → the op it lowers (to blame failures). */
  readonly owners: ReadonlyMap<string, Operation>;
}

/** Static shapes the model inputs may assume (fed values' actual shapes; else the graph's). */
export type ShapeOf = (t: Tensor) => readonly (number | null)[] | null;
export const graphShape: ShapeOf = (t) => t.shape;

/** Lowers `steps`; `keep(t)` says whether a value made here is needed after the segment. */
export function lowerSegment(
  steps: readonly Step[],
  keep: (t: Tensor) => boolean,
  name: string,
  shapeOf: ShapeOf = graphShape,
  passes: readonly Pass[] = [],
): SegmentModel {
  const b = new Builder(shapeOf);
  for (const s of steps) b.lowerStep(s);
  return b.finish(steps, keep, name, passes);
}

export class Builder implements LowerContext {
  readonly g = new OnnxGraph();
  readonly values = new Map<Tensor, string>();
  readonly vars = new Map<Operation, string>();
  private readonly written = new Set<Operation>();
  private readonly made: Tensor[] = [];
  private readonly inputs: Binding[] = [];
  private readonly checks: Check[] = [];
  private readonly owners = new Map<string, Operation>();
  private readonly nodeOutputs = new Set<string>();
  private step: Step | null = null;

  /** `shapeOf` gives a model input its shape: a fed value's actual shape lets onnxruntime fold shape arithmetic. */
  constructor(private readonly shapeOf: ShapeOf = graphShape) {}

  get op(): Operation {
    return this.step!.op;
  }

  lowerStep(s: Step): void {
    this.step = s;
    const result = loweringOf(s.op)!.lower(this, s.attrs);
    const outs = typeof result === 'string' ? [result] : result;
    s.op.outputs.forEach((t, j) => {
      const v = outs[j];
      // A fed output keeps the fed value (the plan gives it no slot; neither does an unread one).
      if (v === undefined || v === null || s.outputs[j]! < 0) return;
      this.values.set(t, v);
      this.made.push(t);
    });
  }

  /** Called for a value made outside the lowered ops; by default it becomes a model input. */
  outside = (t: Tensor): string => {
    const v = this.g.fresh(t.name);
    this.g.addInput(v, t.dtype, this.shapeOf(t));
    this.inputs.push({ name: v, source: { tensor: t } });
    return v;
  };

  input(k: number): string {
    const t = this.op.inputs[k]!;
    if (this.step!.kinds[k] === VARIABLE) return this.readVariable(t.op);
    let v = this.values.get(t);
    if (v === undefined) {
      v = this.outside(t);
      this.values.set(t, v);
    }
    return v;
  }
  /** Whether a lowered op wrote `variable`. */
  writes(variable: Operation): boolean {
    return this.written.has(variable);
  }
  /** The value of a fetched variable tensor (its read). */
  variableValue(t: Tensor): string {
    return this.readVariable(t.op);
  }

  readRef(k: number): string {
    return this.readVariable(this.op.inputs[k]!.op);
  }
  writeRef(k: number, value: string): void {
    const variable = this.op.inputs[k]!.op;
    this.vars.set(variable, value);
    this.written.add(variable);
  }
  /** Called for a variable read before any write here; by default it becomes a model input. */
  variableSource = (variable: Operation): string => {
    const t = variable.outputs[0]!;
    const v = this.g.fresh(`${variable.name}/read`);
    this.g.addInput(v, t.dtype, t.shape);
    this.inputs.push({ name: v, source: { variable } });
    return v;
  };
  readVariable(variable: Operation): string {
    let v = this.vars.get(variable);
    if (v === undefined) {
      v = this.variableSource(variable);
      this.vars.set(variable, v);
    }
    return v;
  }

  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
  ): string[] {
    const outs = this.g.node(opType, inputs, attrs, this.op.name, outputs);
    // g.node names the node after its first output's base: record the owner under the node name.
    this.owners.set(this.g.lastNodeName, this.op);
    for (const o of outs) this.nodeOutputs.add(o);
    return outs;
  }
  n1(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }
  int64s(values: readonly number[]): string {
    return this.g.int64s(values);
  }
  scalar(value: number, dtype: DType): string {
    return this.g.scalar(value, dtype);
  }
  constant(value: NDArray): string {
    return this.g.constant(`${this.op.name}/value`, hostOf(value));
  }
  check(flags: readonly string[], verdict: (values: readonly number[]) => string | null): void {
    this.checks.push({ op: this.op, flags, verdict });
  }

  finish(
    steps: readonly Step[],
    keep: (t: Tensor) => boolean,
    name: string,
    passes: readonly Pass[] = [],
  ): SegmentModel {
    const outputs: Binding[] = [];
    const declared = new Set<string>();
    // An output must be a node output, once: inputs, initializers and repeats go through Identity.
    const output = (value: string, dtype: ValueDType, owner: Operation): string => {
      let v = value;
      if (!this.nodeOutputs.has(v) || declared.has(v)) {
        v = this.g.node('Identity', [value], {}, `${owner.name}/out`)[0]!;
        this.owners.set(this.g.lastNodeName, owner);
      }
      declared.add(v);
      this.g.addOutput(v, dtype, null);
      return v;
    };
    for (const t of this.made) {
      if (keep(t)) outputs.push({ name: output(this.values.get(t)!, t.dtype, t.op), source: { tensor: t } });
    }
    for (const variable of this.written) {
      const t = variable.outputs[0]!;
      outputs.push({ name: output(this.vars.get(variable)!, t.dtype, variable), source: { variable } });
    }
    const checks = this.checks.map((c) => ({ ...c, flags: c.flags.map((f) => output(f, 'int32', c.op)) }));
    const passContext: PassContext = {
      owner: (node) => this.owners.get(node),
      scalar: (value) => this.g.floatScalar(value),
      outputs: declared,
    };
    for (const pass of passes) this.g.rewrite((nodes) => pass(nodes, passContext));
    return {
      steps,
      bytes: this.g.encode(name),
      inputs: this.inputs,
      outputs,
      checks,
      owners: this.owners,
    };
  }
}
