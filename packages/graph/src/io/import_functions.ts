// Importing If / While nodes: their functions (FunctionDefs of the GraphDef's library) become
// function graphs again, so the ops run, and differentiate, as if cond / whileLoop built them.
//
// A TF While's TensorList loop variables are mapped back onto our While's slots (the inverse of
// control_flow_export.ts): a list made by TensorListFromTensor outside and read by
// TensorListGetItem(list, i) in the body is a sliced input (row i, or n-1-i when the index is
// TensorListLength(list) - 1 - i); a list made by TensorListReserve / EmptyTensorList and written
// by TensorListSetItem / TensorListPushBack is an accumulated output, read after the loop by
// TensorListStack. The index is taken to count the iterations from 0, as TF's map_fn, scan,
// dynamic_rnn and while_v2's accumulators do. Other uses of TensorLists are an UnimplementedError.
import { attrsFromTf } from '../attr_schema.js';
import { If, type IfAttrs, StatelessIf } from '../control/cond.js';
import { FuncGraph } from '../control/func_graph.js';
import { StatelessWhile, While, type WhileAttrs } from '../control/while_op.js';
import type { DType, Shape } from '../dtype.js';
import { NotFoundError, UnimplementedError, ValueError } from '../errors.js';
import type { Graph, Operation, Tensor } from '../graph.js';
import type { FunctionDef, NodeDef } from '../graph_def.js';
import { outputArgRefs } from '../graph_def_emit.js';
import { opDefOf, tfValuesOf } from './import_graph_def.js';
import {
  type ImportContext,
  LIST_HANDLE_OPS,
  type NodeImporter,
  nodeImporters,
  TENSOR_LIST_OPS,
} from './node_import.js';

const nodeOf = (ref: string): string => ref.replace(/^\^/, '').split(':')[0]!;

function functionNamed(ctx: ImportContext, node: NodeDef, attr: string): FunctionDef {
  const name = node.attr[attr]?.value as string | undefined;
  const f = name === undefined ? undefined : ctx.functions.get(name);
  if (f === undefined) {
    throw new NotFoundError(
      `importGraphDef: ${node.op} node '${node.name}' calls function '${name}', which the GraphDef's library lacks`,
    );
  }
  return f;
}

/** Body nodes in an order where each comes after the nodes it reads. */
function bodyOrder(f: FunctionDef): NodeDef[] {
  const byName = new Map(f.nodeDef.map((n) => [n.name, n] as const));
  const done = new Set<string>();
  const order: NodeDef[] = [];
  const visit = (n: NodeDef, depth: number): void => {
    if (done.has(n.name)) return;
    if (depth > f.nodeDef.length)
      throw new ValueError(`importGraphDef: cycle in function '${f.signature.name}'`);
    for (const i of n.input) {
      const dep = byName.get(nodeOf(i));
      if (dep !== undefined) visit(dep, depth + 1);
    }
    done.add(n.name);
    order.push(n);
  };
  for (const n of f.nodeDef) visit(n, 0);
  return order;
}

/**
 * Imports `f`'s body into `fg`: `bound` gives the tensors of arguments (and of node outputs
 * standing for something else); TensorList nodes are left out, with whatever reads only them.
 * Returns a resolver of `f`'s tensor refs.
 */
function importBody(
  fg: FuncGraph,
  f: FunctionDef,
  bound: Map<string, Tensor>,
  ctx: ImportContext,
): (ref: string) => Tensor {
  const created = new Map<string, Operation>();
  const skipped = new Set<string>();
  const tensor = (ref: string, user: string): Tensor => {
    const t = bound.get(ref);
    if (t !== undefined) return t;
    const [name, arg, index] = ref.split(':');
    const op = created.get(name!);
    if (op === undefined) {
      throw new UnimplementedError(
        `importGraphDef: in function '${f.signature.name}', '${user}' reads '${ref}', which graphmode cannot import there`,
      );
    }
    const i = outputArgRefs(op).indexOf(`${arg}:${index ?? 0}`);
    if (i < 0)
      throw new ValueError(
        `importGraphDef: function '${f.signature.name}': ${op.type} '${name}' has no output '${ref}'`,
      );
    return op.outputs[i]!;
  };
  // Nested While importers alias their outputs here ('while:output:2' → our output).
  const bodyCtx: ImportContext = {
    ...ctx,
    nodes: new Map(f.nodeDef.map((n) => [n.name, n] as const)),
    aliases: bound,
    resolve: (r) => tensor(r, ''),
  };
  for (const n of bodyOrder(f)) {
    const data = n.input.filter((i) => !i.startsWith('^'));
    // TensorList nodes belong to a While's slots: its importer binds what stands for them.
    const def = TENSOR_LIST_OPS.has(n.op) ? null : opDefOf(n);
    const special = def && nodeImporters.get(def);
    const isList = (i: string) => special && LIST_HANDLE_OPS.has(bodyCtx.nodes.get(nodeOf(i))?.op ?? '');
    if (def === null || data.some((i) => skipped.has(nodeOf(i)) && !bound.has(i) && !isList(i))) {
      skipped.add(n.name);
      continue;
    }
    const inputs = data.map((i) => (isList(i) ? null : tensor(i, n.name)));
    const op = special
      ? special(fg, n, def, inputs, `${n.name}/`, bodyCtx)
      : fg.createOp(def, inputs as Tensor[], attrsFromTf(n.op, def.attrs!, tfValuesOf(n)), {
          name: `${n.name}/`,
        });
    const controls = n.input.filter((i) => i.startsWith('^')).flatMap((i) => created.get(nodeOf(i)) ?? []);
    if (controls.length > 0) op.addControlInputs(controls);
    created.set(n.name, op);
  }
  return (ref) => tensor(ref, 'ret');
}

/** A function graph of `f` whose arguments are placeholders of `args` (null: left unbound). */
function importFunction(
  outer: Graph,
  f: FunctionDef,
  args: readonly ({ dtype: DType; shape: Shape | null } | null)[],
  ctx: ImportContext,
  rebind: (bound: Map<string, Tensor>) => void = () => {},
): { fg: FuncGraph; ret: (ref: string) => Tensor } {
  const fg = new FuncGraph(f.signature.name, outer);
  const bound = new Map<string, Tensor>();
  f.signature.inputArg.forEach((a, i) => {
    const spec = args[i];
    if (spec) bound.set(a.name, fg.addInput(spec.dtype, spec.shape, a.name));
  });
  rebind(bound);
  const ret = importBody(fg, f, bound, ctx);
  return { fg, ret };
}

const outputsOf = (f: FunctionDef, ret: (ref: string) => Tensor): Tensor[] =>
  f.signature.outputArg.map((a) => ret(f.ret[a.name]!));

const importIf: NodeImporter = (graph, node, def, inputs, name, ctx) => {
  const ins = inputs as Tensor[];
  const args = ins.slice(1).map((t) => ({ dtype: t.dtype, shape: t.shape }));
  const [then, otherwise] = ['then_branch', 'else_branch'].map((k) => {
    const f = functionNamed(ctx, node, k);
    const { fg, ret } = importFunction(graph, f, args, ctx);
    fg.outputs = outputsOf(f, ret);
    return fg;
  });
  const shapes = (node.attr.output_shapes?.value ?? []) as (Shape | null)[];
  const attrs: IfAttrs = {
    then_branch: then!,
    else_branch: otherwise!,
    Tcond: 'bool',
    Tin: args.map((a) => a.dtype),
    Tout: then!.outputs.map((t) => t.dtype),
    output_shapes: shapes.length > 0 ? shapes : then!.outputs.map((t) => t.shape),
  };
  return graph.createOp(def, ins, attrs, { name });
};

nodeImporters.set(If, importIf);
nodeImporters.set(StatelessIf, importIf);

type Slot = { kind: 'var'; t: Tensor } | { kind: 'sliced'; src: Tensor } | { kind: 'acc' };

function slotsOf(node: NodeDef, inputs: readonly (Tensor | null)[], ctx: ImportContext): Slot[] {
  const refs = node.input.filter((i) => !i.startsWith('^'));
  return inputs.map((t, i): Slot => {
    if (t !== null) return { kind: 'var', t };
    const producer = ctx.nodes.get(nodeOf(refs[i]!))!;
    if (producer.op === 'TensorListFromTensor')
      return { kind: 'sliced', src: ctx.resolve(producer.input[0]!) };
    if (producer.op === 'TensorListReserve' || producer.op === 'EmptyTensorList') return { kind: 'acc' };
    throw new UnimplementedError(
      `importGraphDef: While node '${node.name}' takes a TensorList from ${producer.op} '${producer.name}'`,
    );
  });
}

function unsupportedList(f: FunctionDef, what: string): never {
  throw new UnimplementedError(
    `importGraphDef: function '${f.signature.name}' uses a TensorList loop variable as graphmode cannot (${what})`,
  );
}

const importWhile: NodeImporter = (graph, node, def, inputs, name, ctx) => {
  const condF = functionNamed(ctx, node, 'cond');
  const bodyF = functionNamed(ctx, node, 'body');
  const slots = slotsOf(node, inputs, ctx);
  const shapesAttr = (node.attr.output_shapes?.value ?? []) as (Shape | null)[];
  const argOf = (i: number) => bodyF.signature.inputArg[i]!.name;
  const isArg = (ref: string) => bodyF.signature.inputArg.some((a) => a.name === ref);
  const byName = new Map(bodyF.nodeDef.map((n) => [n.name, n] as const));
  const reversed = (index: string) =>
    isArg(index)
      ? false
      : byName.get(nodeOf(index))?.op === 'Sub'
        ? true
        : unsupportedList(bodyF, `index '${index}'`);
  const vars: Tensor[] = [];
  const varShapes: (Shape | null)[] = [];
  const srcs: Tensor[] = [];
  const reads: { arg: string; getItem: NodeDef | undefined; reverse: boolean }[] = [];
  const writes: { item: string; reverse: boolean }[] = [];
  slots.forEach((s, i) => {
    if (s.kind === 'var') {
      vars.push(s.t);
      varShapes.push(shapesAttr[i] !== undefined ? shapesAttr[i]! : s.t.shape);
    } else if (s.kind === 'sliced') {
      srcs.push(s.src);
      const g = bodyF.nodeDef.find((n) => n.op === 'TensorListGetItem' && n.input[0] === argOf(i));
      reads.push({ arg: argOf(i), getItem: g, reverse: g ? reversed(g.input[1]!) : false });
    } else {
      const w = byName.get(nodeOf(bodyF.ret[bodyF.signature.outputArg[i]!.name]!));
      if (w?.op === 'TensorListSetItem') writes.push({ item: w.input[2]!, reverse: reversed(w.input[1]!) });
      else if (w?.op === 'TensorListPushBack') writes.push({ item: w.input[1]!, reverse: false });
      else unsupportedList(bodyF, `slot ${i} is not written by TensorListSetItem / PushBack`);
    }
  });
  const varArgs = vars.map((t, k) => ({ dtype: t.dtype, shape: varShapes[k]! }));
  const argsFor = (rows: boolean) => {
    let v = 0;
    let r = 0;
    return slots.map((s) =>
      s.kind === 'var' ? varArgs[v++]! : s.kind === 'sliced' && rows ? rowArg(srcs[r++]!) : null,
    );
  };
  const cond = importFunction(graph, condF, argsFor(false), ctx);
  cond.fg.outputs = outputsOf(condF, cond.ret);
  const rowTensors: Tensor[] = [];
  const body = importFunction(graph, bodyF, argsFor(true), ctx, (bound) => {
    reads.forEach((r) => {
      const row = bound.get(r.arg)!;
      bound.delete(r.arg);
      rowTensors.push(row);
      if (r.getItem) bound.set(`${r.getItem.name}:item:0`, row);
    });
  });
  // Our body's inputs: loop variables, then rows (placeholders were made in slot order).
  const varIns = body.fg.inputs.filter((t) => !rowTensors.includes(t));
  body.fg.inputs.splice(0, body.fg.inputs.length, ...varIns, ...rowTensors);
  body.fg.outputs = [
    ...slots.flatMap((s, i) =>
      s.kind === 'var' ? [body.ret(bodyF.ret[bodyF.signature.outputArg[i]!.name]!)] : [],
    ),
    ...writes.map((w) => body.ret(w.item)),
  ];
  const attrs: WhileAttrs = {
    cond: cond.fg,
    body: body.fg,
    T: [...vars, ...srcs].map((t) => t.dtype),
    output_shapes: varShapes,
    parallel_iterations: (node.attr.parallel_iterations?.value as number | undefined) ?? 10,
    numLoopVars: vars.length,
    numCondCaptures: 0,
    sliceReverse: reads.map((r) => r.reverse),
    accReverse: writes.map((w) => w.reverse),
    backProp: true,
  };
  const op = graph.createOp(def, [...vars, ...srcs], attrs, { name });
  aliasOutputs(node, slots, op, vars.length, ctx);
  return op;
};

const rowArg = (t: Tensor) => ({ dtype: t.dtype, shape: t.shape === null ? null : t.shape.slice(1) });

/** Every slot's tensor under the While node's refs, and each TensorListStack of an accumulator. */
function aliasOutputs(
  node: NodeDef,
  slots: readonly Slot[],
  op: Operation,
  n: number,
  ctx: ImportContext,
): void {
  let v = 0;
  let a = 0;
  const bySlot = slots.map((s) =>
    s.kind === 'var' ? op.outputs[v++]! : s.kind === 'acc' ? op.outputs[n + a++]! : null,
  );
  bySlot.forEach((t, i) => {
    if (t === null || slots[i]!.kind === 'acc') return;
    ctx.aliases.set(`${node.name}:${i}`, t);
    ctx.aliases.set(`${node.name}:output:${i}`, t);
  });
  for (const s of ctx.nodes.values()) {
    if (s.op !== 'TensorListStack' || nodeOf(s.input[0]!) !== node.name) continue;
    const parts = s.input[0]!.split(':');
    const t = bySlot[Number(parts[parts.length - 1] ?? 0) || 0];
    if (t === null || t === undefined) continue;
    ctx.aliases.set(`${s.name}:0`, t);
    ctx.aliases.set(`${s.name}:tensor:0`, t);
  }
}

nodeImporters.set(While, importWhile);
nodeImporters.set(StatelessWhile, importWhile);
