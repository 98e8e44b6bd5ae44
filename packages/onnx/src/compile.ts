// Plan → units, once per plan: partition, lower each segment, load it into onnxruntime. A node
// onnxruntime refuses to load (an operator or dtype its CPU kernels lack) sends its op to tfjs
// and the plan is partitioned again, so an incomplete lowering degrades to a slower plan rather
// than a failure.
import { type Leaf, type Operation, type Plan, type Step, type Tensor, VALUE } from '@graphmode/graph';
import { EXECUTOR_PASSES } from './fuse.js';
import { loweringOf } from './lowering/registry.js';
import { type EngineOptions, SyncModel } from './ort.js';
import { partition } from './partition.js';
import { graphShape, lowerSegment, type SegmentModel, type ShapeOf } from './segment.js';

export interface Segment extends SegmentModel {
  readonly model: SyncModel;
  readonly label: string;
  /** The op whose node an onnxruntime error message names. */
  ownerOf(e: unknown): Operation | undefined;
}
export type Unit = { readonly segment: Segment } | { readonly step: Step };
export interface Compiled {
  readonly units: readonly Unit[];
  /** Per unit, the values whose last reader it is (not fetched): the run drops them after it. */
  readonly free: readonly (readonly Tensor[])[];
}

export function compilePlan(
  plan: Plan,
  leaves: readonly Leaf[],
  options: EngineOptions,
  shapeOf: ShapeOf = graphShape,
): Compiled {
  const refused = new Set<Operation>();
  for (;;) {
    const made: Segment[] = [];
    try {
      const units = build(plan, leaves, refused, options, made, shapeOf);
      return { units, free: lastReads(units, leaves) };
    } catch (e) {
      for (const s of made) s.model.dispose();
      const op = e instanceof Refused ? e.op : undefined;
      if (op === undefined || refused.has(op)) throw e instanceof Refused ? e.cause : e;
      refused.add(op);
    }
  }
}

/** The values each unit reads last, so a run holds no value past its last reader. */
function lastReads(units: readonly Unit[], leaves: readonly Leaf[]): Tensor[][] {
  const last = new Map<Tensor, number>();
  units.forEach((u, i) => {
    if ('segment' in u) {
      for (const { source } of u.segment.inputs) if ('tensor' in source) last.set(source.tensor, i);
    } else u.step.op.inputs.forEach((t, k) => u.step.kinds[k] === VALUE && last.set(t, i));
  });
  for (const x of leaves) last.delete(x as Tensor);
  const free: Tensor[][] = units.map(() => []);
  for (const [t, i] of last) free[i]!.push(t);
  return free;
}

class Refused extends Error {
  constructor(
    readonly op: Operation | undefined,
    override readonly cause: unknown,
  ) {
    super('refused');
  }
}

function build(
  plan: Plan,
  leaves: readonly Leaf[],
  refused: ReadonlySet<Operation>,
  options: EngineOptions,
  made: Segment[],
  shapeOf: ShapeOf,
): Unit[] {
  const groups = partition(plan, (s) => !refused.has(s.op) && loweringOf(s.op) !== undefined);
  const fetched = new Set<Leaf>(leaves);
  const readers = new Map<Tensor, Step[]>();
  for (const s of plan.steps)
    s.op.inputs.forEach((t, k) => {
      if (s.kinds[k] === VALUE) readers.set(t, [...(readers.get(t) ?? []), s]);
    });
  return groups.flatMap((g): Unit[] => {
    if ('step' in g) return [g];
    const inside = new Set(g.segment);
    const keep = (t: Tensor) => fetched.has(t) || (readers.get(t) ?? []).some((s) => !inside.has(s));
    const label = `onnx:${g.segment[0]!.op.name}..${g.segment[g.segment.length - 1]!.op.name} (${g.segment.length} ops)`;
    const load = (shapes: ShapeOf) => {
      const lowered = lowerSegment(g.segment, keep, 'graphmode', shapes, EXECUTOR_PASSES);
      if (lowered.outputs.length === 0 && lowered.checks.length === 0) return null;
      const ownerOf = (e: unknown) => nodeOwner(e, lowered.owners);
      try {
        const fetches = lowered.outputs.map((o) => o.name).concat(lowered.checks.flatMap((c) => c.flags));
        return { ...lowered, model: new SyncModel(lowered.bytes, fetches, options), label, ownerOf };
      } catch (e) {
        throw new Refused(ownerOf(e), e);
      }
    };
    let segment: Segment | null;
    try {
      segment = load(shapeOf);
    } catch (e) {
      // ONNX's shape inference propagates known shapes as data and trips on some of our
      // (well-typed) chains (Range over a Cast of Shape): the graph's own shapes load.
      if (shapeOf === graphShape) throw e;
      segment = load(graphShape);
    }
    // Nothing to compute or write (NoOps grouping control edges): onnxruntime refuses an empty model.
    if (segment === null) return [];
    made.push(segment);
    return [{ segment }];
  });
}

// onnxruntime names nodes as `Name:'x'`, `node with name 'x'`, `Node (x)` or `node x` in its messages.
const NODE_PATTERNS = [/Name:'([^']+)'/, /name '([^']+)'/i, /node \(([^)]+)\)/i, /node ([^\s:]+)/i];
function nodeOwner(e: unknown, owners: ReadonlyMap<string, Operation>): Operation | undefined {
  const message = e instanceof Error ? e.message : String(e);
  for (const p of NODE_PATTERNS) {
    const m = p.exec(message);
    const op = m && owners.get(m[1]!);
    if (op) return op;
  }
  return undefined;
}
