// Rebuilds a function graph's ops in the current default graph (TF's function inlining). The
// gradient rules use it to recompute a branch or a loop step from its saved inputs; stateful ops
// are not copied, since recomputing them would repeat their effect (an assignment, a draw).
import { UnimplementedError } from '../errors.js';
import { controlDependencies, getDefaultGraph, type Operation, Tensor } from '../graph.js';
import type { FuncGraph } from './func_graph.js';

/**
 * `fg`'s outputs computed from `args` by copies of its ops in the default graph. A stateful op
 * whose outputs are all in `replace` is not copied: its saved values stand in for it.
 */
export function inlineFunc(
  fg: FuncGraph,
  args: readonly Tensor[],
  replace?: ReadonlyMap<Tensor, Tensor>,
): Tensor[] {
  const graph = getDefaultGraph();
  const map = new Map<Tensor, Tensor>(replace);
  fg.inputs.forEach((t, i) => map.set(t, args[i]!));
  const opMap = new Map<Operation, Operation>();
  const skipped = new Map<Operation, Operation>(); // op → the stateful op it depends on
  const inputOps = new Set(fg.inputs.map((t) => t.op));
  for (const op of fg.getOperations()) {
    if (inputOps.has(op) || (replace && op.outputs.length > 0 && op.outputs.every((t) => replace.has(t))))
      continue;
    const blocker = op.def.stateful
      ? op
      : op.inputs.map((t) => skipped.get(t.op)).find((b) => b !== undefined);
    if (blocker !== undefined) {
      skipped.set(op, blocker);
      continue;
    }
    const inputs = op.inputs.map((t) => map.get(t) ?? t);
    const controls = op.controlInputs.flatMap((c) => opMap.get(c) ?? []);
    const copy = controlDependencies(controls, () =>
      graph.createOp(op.def, inputs, op.attrs, { name: op.name }),
    );
    // Outputs a gradient appended to a nested If/While (its saved history) exist on the copy too:
    // the copy shares the op's functions, whose kernels fill whatever outputs the op has.
    for (let i = copy.outputs.length; i < op.outputs.length; i++) {
      const t = op.outputs[i]!;
      copy._outputs.push(new Tensor(copy, i, t.dtype, t.shape));
    }
    opMap.set(op, copy);
    op.outputs.forEach((t, i) => map.set(t, copy.outputs[i]!));
  }
  return fg.outputs.map((t) => {
    const blocker = skipped.get(t.op);
    if (blocker !== undefined) {
      throw new UnimplementedError(
        `Cannot differentiate through '${fg.name}': its output ${t.name} depends on the stateful op '${blocker.name}' (${blocker.type}), which the gradient would have to run again`,
        blocker,
      );
    }
    return map.get(t) ?? t;
  });
}
