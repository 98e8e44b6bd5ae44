// The machinery every optimizer's update ops share (the ops themselves live in their optimizer's
// file, beside its formula and slots): TF's training_ops each read the variable and its slots
// through the kernel context, compute TF's exact formula (core/kernels/training_ops.cc) and write
// the new values back; the output is the variable's new value. A dense op takes `grad` of the
// variable's shape; its sparse twin takes `grad` rows plus `indices`, sums duplicate indices
// first (as TF's `_apply_sparse_duplicate_indices` does before it calls the kernel) and applies
// the same row formula to the touched rows only. Scatter ops rewrite rows via `rewriteRows`.
import {
  type AttrSchema,
  attrOf,
  type DType,
  defineOp,
  FLOAT,
  formatShape,
  type KernelContext,
  readRef,
  refOp,
  requireDtype,
  requireRef,
  type Shape,
  shapesCompatible,
  shareTensor,
  type Tensor,
  typeOf,
  ValueError,
  writeRef,
} from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';

export interface ApplyAttrs {
  useLocking: boolean;
}
export interface NesterovAttrs extends ApplyAttrs {
  useNesterov: boolean;
}
/** TF's attrs of every Apply op; `more` adds an op's own (use_nesterov, update_slots). */
// Every Apply op's first input is `var` (the factories' contract), hence the cast.
const applyAttrs = <N extends string, A extends ApplyAttrs>(
  more: AttrSchema<never, keyof A & string>,
): AttrSchema<N, keyof A & string> => ({
  T: typeOf('var' as N),
  use_locking: attrOf('bool', 'useLocking', false),
  ...more,
});
/** TF's attrs of the Scatter ops (ScatterSub, and graphmode's own ScatterDecay). */
export const SCATTER_ATTRS = {
  T: typeOf('ref'),
  Tindices: typeOf('indices'),
  use_locking: attrOf('bool', 'useLocking', false),
} as const;
export const NESTEROV_ATTRS = { use_nesterov: attrOf('bool', 'useNesterov', false) } as const;

export type Values<N extends string> = Record<N, tfc.Tensor>;
/** 1 - t, the complement the decay-rate formulas use (1 - beta1, 1 - rho). */
export const oneMinus = (t: tfc.Tensor): tfc.Tensor => tfc.sub(tfc.onesLike(t), t);
/** New values of the refs (the variable first) from the old ones, the hyperparameters and grad. */
type Update<N extends string, A> = (v: Values<N>, attrs: A) => Partial<Values<N>>;

/**
 * The shape rule every Apply op shares: the refs (var first) are variables of one shape, the
 * other inputs scalar floats, and `grad` has var's shape (dense) or is rows of it (sparse).
 */
export function checkApplyInputs(
  ins: Record<string, Tensor>,
  refs: readonly string[],
  grad: string,
  sparse: boolean,
): Shape | null {
  const v = ins.var!;
  for (const r of refs) {
    requireRef(ins[r]!, r);
    if (!shapesCompatible(v.shape, ins[r]!.shape))
      throw new ValueError(
        `${r} must have the shape of var: ${formatShape(ins[r]!.shape)} vs ${formatShape(v.shape)}`,
      );
  }
  for (const [name, t] of Object.entries(ins)) {
    if (name === 'indices') continue;
    requireDtype(t, FLOAT, name);
    if (!refs.includes(name) && name !== grad && t.shape !== null && t.shape.length !== 0)
      throw new ValueError(`${name} is not a scalar: ${formatShape(t.shape)}`);
  }
  const g = ins[grad]!;
  if (!sparse) {
    if (!shapesCompatible(v.shape, g.shape))
      throw new ValueError(
        `var and grad do not have the same shape: ${formatShape(v.shape)} vs ${formatShape(g.shape)}`,
      );
    return v.shape;
  }
  const idx = ins.indices!;
  requireDtype(idx, ['int32'], 'indices');
  if (idx.shape !== null && idx.shape.length !== 1)
    throw new ValueError(`indices must be one-dimensional, got ${formatShape(idx.shape)}`);
  if (v.shape !== null && v.shape.length === 0) throw new ValueError('var must be at least 1 dimensional');
  if (g.shape !== null && v.shape !== null) {
    const rows = g.shape.slice(1);
    const first = idx.shape?.[0] ?? null;
    if (
      g.shape.length !== v.shape.length ||
      !shapesCompatible(rows, v.shape.slice(1)) ||
      !shapesCompatible([first], [g.shape[0]!])
    )
      throw new ValueError(
        `grad must be indices-length rows of var: var ${formatShape(v.shape)}, grad ${formatShape(g.shape)}, indices ${formatShape(idx.shape)}`,
      );
  }
  return v.shape;
}

/** Reads the refs, runs `compute` on the old values (disposing them) and stores the results. */
export function updateRefs<N extends string>(
  ins: Values<N>,
  names: readonly N[],
  refs: readonly N[],
  ctx: KernelContext,
  compute: (v: Values<N>) => Partial<Values<N>>,
): tfc.Tensor {
  const vals = { ...ins } as Values<N>;
  for (const r of refs) vals[r] = readRef(ctx, names.indexOf(r));
  let next: Partial<Values<N>>;
  try {
    next = tfc.tidy(() => compute(vals));
  } finally {
    for (const r of refs) vals[r].dispose();
  }
  for (const r of refs) {
    const t = next[r];
    if (t !== undefined) ctx.writeVariable(refOp(ctx, names.indexOf(r)), t);
  }
  return shareTensor(next['var' as N]!);
}

/** Defines a dense Apply op. `inputs` follow TF's order; `refs` are the variable and its slots. */
export function applyOp<N extends string, A extends ApplyAttrs>(
  type: string,
  inputs: readonly N[],
  refs: readonly N[],
  update: Update<N, A>,
  grad = 'grad',
  attrs: AttrSchema<never, keyof A & string> = {},
) {
  return defineOp<N, A>({
    type,
    outputArgs: ['out'],
    inputs,
    attrs: applyAttrs<N, A>(attrs),
    refInputs: refs,
    stateful: true,
    shape: (ins) => checkApplyInputs(ins as Record<string, Tensor>, refs, grad, false),
    dtype: (): DType => 'float32',
    kernel: (ins, attrs, ctx) => updateRefs(ins as Values<N>, inputs, refs, ctx, (v) => update(v, attrs)),
  });
}

/** Unique indices (first-seen order) and, per original index, its position among them. */
function dedupIndices(indices: Int32Array, rows: number, op: string): { uniq: Int32Array; seg: Int32Array } {
  const pos = new Map<number, number>();
  const seg = new Int32Array(indices.length);
  const uniq: number[] = [];
  indices.forEach((ix, i) => {
    if (ix < 0 || ix >= rows) throw new ValueError(`${op}: indices[${i}] = ${ix} is not in [0, ${rows})`);
    let p = pos.get(ix);
    if (p === undefined) pos.set(ix, (p = uniq.push(ix) - 1));
    seg[i] = p;
  });
  return { uniq: Int32Array.from(uniq), seg };
}

/** The distinct row indices of `indices`, first-seen order, as [n, 1] (scatter/gather form). */
export function uniqueRows(indices: tfc.Tensor, rows: number, op: string): tfc.Tensor {
  const { uniq } = dedupIndices(indices.dataSync() as Int32Array, rows, op);
  return tfc.tensor2d(uniq, [uniq.length, 1], 'int32');
}

/** Sums the rows of `grad` that share an index: [uniqueIndices (as [n,1]), summedRows]. */
export function summedRows(
  grad: tfc.Tensor,
  indices: tfc.Tensor,
  rows: number,
  op: string,
): [tfc.Tensor, tfc.Tensor] {
  const { uniq, seg } = dedupIndices(indices.dataSync() as Int32Array, rows, op);
  const where = tfc.tensor2d(uniq, [uniq.length, 1], 'int32');
  if (uniq.length === seg.length) return [where, tfc.clone(grad)];
  // scatterND adds duplicate targets (and, unlike unsortedSegmentSum, has a wasm kernel).
  const summed = tfc.tidy(() =>
    tfc.scatterND(tfc.tensor2d(seg, [seg.length, 1], 'int32'), grad, [uniq.length, ...grad.shape.slice(1)]),
  );
  return [where, summed];
}

/**
 * A scatter kernel on the variable at reference input 0: `pick(rowCount)` gives the [n, 1] rows
 * to rewrite (plus any per-row values), `rewrite` their new contents from the old ones.
 * Everything `pick` returns is disposed here.
 */
export function rewriteRows(
  ctx: KernelContext,
  pick: (rowCount: number) => readonly tfc.Tensor[],
  rewrite: (old: tfc.Tensor, ...values: tfc.Tensor[]) => tfc.Tensor,
): tfc.Tensor {
  const owned = [readRef(ctx)];
  try {
    const old = owned[0]!;
    owned.push(...pick(old.shape[0]!));
    const [where, ...values] = owned.slice(1) as [tfc.Tensor, ...tfc.Tensor[]];
    const next = tfc.tidy(() =>
      tfc.tensorScatterUpdate(old, where, rewrite(tfc.gatherND(old, where), ...values)),
    );
    return writeRef(ctx, next);
  } finally {
    for (const t of owned) t.dispose();
  }
}

/** The sparse twin of a dense Apply op: the same row formula on the (deduplicated) touched rows. */
export function sparseApplyOp<N extends string, A extends ApplyAttrs>(
  type: string,
  inputs: readonly (N | 'indices')[],
  refs: readonly N[],
  update: Update<N, A>,
  attrs: AttrSchema<never, keyof A & string> = {},
) {
  return defineOp<N | 'indices', A>({
    type,
    outputArgs: ['out'],
    inputs,
    attrs: { ...applyAttrs<N | 'indices', A>(attrs), Tindices: typeOf('indices') },
    refInputs: refs,
    stateful: true,
    shape: (ins) => checkApplyInputs(ins as Record<string, Tensor>, refs, 'grad', true),
    dtype: (): DType => 'float32',
    kernel: (ins, attrs, ctx) => {
      const all = ins as Values<N | 'indices'>;
      const rows = ctx.op.inputs[0]!.shape![0]!;
      const [where, grad] = summedRows(all['grad' as N], all.indices, rows, type);
      try {
        return updateRefs(all, inputs, refs, ctx, (old) => {
          const gathered = { ...old, grad } as Values<N | 'indices'>;
          const flat = tfc.reshape(where, [-1]);
          for (const r of refs) gathered[r] = tfc.gather(old[r], flat);
          const fresh = update(gathered as Values<N>, attrs);
          const out: Partial<Values<N | 'indices'>> = {};
          for (const r of refs) {
            const t = fresh[r];
            if (t !== undefined) out[r] = tfc.tensorScatterUpdate(old[r], where, t);
          }
          return out;
        });
      } finally {
        where.dispose();
        grad.dispose();
      }
    },
  });
}
