// Shapes a compilation could not know: a segment input made by a tfjs step (dropout's random
// mask, say) has only the graph's static shape, often with an unknown batch, so onnxruntime keeps
// the shape arithmetic that depends on it. After a compilation's first successful run, such
// segments are lowered again with the shapes that run saw; a later run uses that model while its
// inputs have those shapes and the first one otherwise (a tfjs op's output may change shape from
// run to run under the same fed shapes).
import type { Tensor } from '@graphmode/graph';
import type { Compiled, Segment } from './compile.js';
import type { OrtTensor, SyncModel } from './ort.js';

const known = (shape: readonly (number | null)[] | null): boolean => shape !== null && !shape.includes(null);

/** Adds `refined` models to `c`'s segments from the values of a successful run. */
export function refine(c: Compiled, env: ReadonlyMap<Tensor, OrtTensor>): void {
  c.refined = true;
  for (const u of c.units) {
    if (!('segment' in u)) continue;
    const seg = u.segment;
    const seen = new Map<Tensor, readonly number[]>();
    for (const { source } of seg.inputs) {
      if (!('tensor' in source) || known(c.shapeOf(source.tensor))) continue;
      const v = env.get(source.tensor);
      if (v !== undefined) seen.set(source.tensor, v.dims);
    }
    if (seen.size === 0) continue;
    let again: Segment | null;
    try {
      again = seg.reload((t) => seen.get(t) ?? c.shapeOf(t));
    } catch {
      continue; // onnxruntime refused these shapes: the first model serves
    }
    if (again === null) continue;
    const dims = seg.inputs.map((b) => ('tensor' in b.source ? seen.get(b.source.tensor) : undefined));
    seg.refined = { model: again.model, dims };
  }
}

/** The refined model when every input has the shape it was made for, else the first one. */
export function modelFor(seg: Segment, feeds: Readonly<Record<string, OrtTensor>>): SyncModel {
  const r = seg.refined;
  if (r === undefined) return seg.model;
  for (let i = 0; i < r.dims.length; i++) {
    const want = r.dims[i];
    if (want === undefined) continue;
    const got = feeds[seg.inputs[i]!.name]!.dims;
    if (got.length !== want.length || got.some((d, k) => d !== want[k])) return seg.model;
  }
  return r.model;
}
