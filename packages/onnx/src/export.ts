// exportOnnx: an inference model of a session's graph. The ops between `inputs` and `outputs`
// are lowered as the executor lowers them (TF op names become node names); variables become
// initializers holding their current values in the session; the model's inputs and outputs are
// named by the record keys. Ops without a lowering make the export fail, naming them.
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import {
  type Operation,
  REF,
  type Session,
  type Step,
  type Tensor,
  UnimplementedError,
  VALUE,
  VARIABLE,
  ValueError,
  VariableV2,
} from '@graphmode/graph';
import { loweringOf } from './lowering/registry.js';
import { hostOf } from './model.js';
import { Builder } from './segment.js';

export interface OnnxSignature {
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

/** Encodes the inference model (see exportOnnx) without writing it. */
export function encodeOnnx(sess: Session, { inputs, outputs }: OnnxSignature): Uint8Array {
  const fed = new Map<Tensor, string>(Object.entries(inputs).map(([k, t]) => [t, k]));
  const ops = neededOps(Object.values(outputs), fed);
  const b = new Builder();
  for (const name of [...Object.keys(inputs), ...Object.keys(outputs)]) b.g.reserve(name);
  for (const [t, name] of fed) {
    b.g.addInput(name, t.dtype, t.shape);
    b.values.set(t, name);
  }
  b.outside = (t) => {
    throw new ValueError(
      `exportOnnx: '${t.name}' is needed by the outputs but is neither computed nor an input`,
    );
  };
  b.variableSource = (variable) => b.g.constant(variable.name, hostOf(sess.run(variable.outputs[0]!)));
  for (const op of ops) {
    if (op.def === VariableV2) continue;
    if (loweringOf(op) === undefined)
      throw new UnimplementedError(`exportOnnx: op '${op.name}' of type ${op.type} has no ONNX lowering`, op);
    b.lowerStep(stepOf(op, fed));
  }
  if (b.vars.size > 0 && [...b.vars.keys()].some((v) => b.writes(v)))
    throw new ValueError('exportOnnx: the outputs depend on variable updates; export an inference graph');
  for (const [name, t] of Object.entries(outputs)) {
    const v = fed.get(t) ?? b.values.get(t) ?? b.variableValue(t);
    b.g.alias(v, name, name);
    b.g.addOutput(name, t.dtype, t.shape);
  }
  return b.g.encode('graphmode');
}

/**
 * Writes an ONNX inference model of `sess`'s graph to `path` (atomically: a temporary file
 * renamed into place), with the variables' current values as initializers.
 * @example await exportOnnx(sess, { inputs: { images }, outputs: { probs } }, 'model.onnx');
 */
export async function exportOnnx(sess: Session, signature: OnnxSignature, path: string): Promise<void> {
  const bytes = encodeOnnx(sess, signature);
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The ops `outputs` need, in creation order, stopping at fed tensors. */
function neededOps(outputs: readonly Tensor[], fed: ReadonlyMap<Tensor, string>): Operation[] {
  const seen = new Set<Operation>();
  const stack = outputs.filter((t) => !fed.has(t)).map((t) => t.op);
  while (stack.length) {
    const op = stack.pop()!;
    if (seen.has(op)) continue;
    seen.add(op);
    for (const t of op.inputs) if (!fed.has(t)) stack.push(t.op);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}

function stepOf(op: Operation, fed: ReadonlyMap<Tensor, string>): Step {
  const kinds = op.inputs.map((t, k) =>
    op.def.isRefInput(k) ? REF : t.op.def === VariableV2 && !fed.has(t) ? VARIABLE : VALUE,
  );
  return {
    op,
    name: op.name,
    type: op.type,
    def: op.def,
    attrs: op.attrs,
    sources: op.inputs,
    inputs: [],
    kinds,
    readsVariables: kinds.includes(VARIABLE),
    outputs: op.outputs.map((t) => (fed.has(t) ? -1 : 0)),
    checks: [],
    free: [],
    bytes: 0,
  };
}
