// TF forms of cond's If / StatelessIf and whileLoop's While / StatelessWhile: the function graphs
// become FunctionDefs in the GraphDef's library, as TF 1.15's cond_v2 / while_v2 write them.
//
// If: both branches take the If's inputs (after `cond`); outputs `Tout`.
// While: TF's cond and body take, and body returns, one list of loop variables `T`. Ours carry
// more (see control/while_op.ts), lowered to TF's TensorList ops:
//   [loop vars | counter | sliced inputs' lists | accumulators' lists | history lists | captures]
// - a sliced input (row t at iteration t, or n-1-t) is TensorListFromTensor outside the loop and
//   TensorListGetItem(list, t) in the body, as TF's TensorArray.unstack + read;
// - an accumulated output is TensorListReserve(n) outside (n = the first sliced input's rows, as
//   TF's TensorArray(size=n) in map_fn / scan / dynamic_rnn), TensorListSetItem(list, t) in the
//   body and TensorListStack after the loop (TensorArray.write + stack);
// - a gradient's history (each iteration's body inputs, saved stateful values) is what TF's
//   while_v2 gradient accumulates: EmptyTensorList outside, TensorListPushBack in the body,
//   TensorListStack after; the trip count is the counter's final value.
import type { TfDType } from '../attr_schema.js';
import { If, type IfAttrs, StatelessIf } from '../control/cond.js';
import type { FuncGraph } from '../control/func_graph.js';
import { StatelessWhile, While, type WhileAttrs } from '../control/while_op.js';
import type { Shape } from '../dtype.js';
import { UnimplementedError } from '../errors.js';
import type { Operation, Tensor } from '../graph.js';
import type { TfAttr } from '../graph_def.js';
import { type DefEmitter, FunctionBuilder, lowerings, typeAttr } from '../graph_def_emit.js';

const func = (name: string): TfAttr => ({ type: 'func', value: name });
const types = (ts: readonly string[]): TfAttr => ({ type: 'list(type)', value: ts });
const shapes = (ss: readonly (Shape | null)[]): TfAttr => ({ type: 'list(shape)', value: ss });
/** TF's element_shape input: the dims, -1 for an unknown one; a scalar -1 for an unknown rank. */
const elementShape = (e: DefEmitter, name: string, s: Shape | null): string =>
  s === null
    ? e.intConst(name, [-1], true)
    : e.intConst(
        name,
        s.map((d) => d ?? -1),
      );
const unionOf = (...lists: Tensor[][]): Tensor[] => [...new Set(lists.flat())];

/** A function of `fg`: its placeholders bound by `bind` (or to new args), its ops emitted. */
function functionOf(
  e: DefEmitter,
  fg: FuncGraph,
  name: string,
  bind: (fb: FunctionBuilder) => void,
): FunctionBuilder {
  const fb = new FunctionBuilder(e.lib.reserve(name), fg, e.lib);
  bind(fb);
  fb.emitter.emitAll(new Set(fg.inputs.map((t) => t.op)));
  return fb;
}

function outputsOf(fb: FunctionBuilder, ts: readonly Tensor[]): void {
  for (const t of ts) fb.addOutput(t.op.name, fb.emitter.ref(t), t.dtype);
}

function lowerIf(op: Operation, e: DefEmitter): void {
  const a = op.attrs as IfAttrs;
  const fbs = [a.then_branch, a.else_branch].map((fg) =>
    functionOf(e, fg, fg.name, (fb) => {
      for (const t of fg.inputs) fb.bindArg(t);
    }),
  );
  const branches = [a.then_branch, a.else_branch];
  fbs.forEach((fb, i) => outputsOf(fb, branches[i]!.outputs));
  // Values a gradient asked the If for (stateful ops' outputs, such as a dropout mask) are more
  // outputs: the taken branch's, and zeros for the other's (as the kernel gives them).
  const n = a.Tout.length;
  const saved = op.outputs.length > n ? branches.flatMap((fg) => fg.saved) : [];
  fbs.forEach((fb, i) => {
    for (const t of saved) {
      const own = branches[i]!.saved.includes(t);
      const ref = own ? fb.emitter.ref(t) : fb.emitter.zeroConst('zeros', t.dtype, t.shape);
      fb.addOutput(own ? t.op.name : 'zeros', ref, t.dtype);
    }
  });
  const extra = unionOf(...fbs.map((fb) => [...fb.captured.keys()]));
  const [thenName, elseName] = fbs.map((fb) => e.lib.add(fb.build(extra)));
  const inputs = [...op.inputs, ...extra];
  const tout = [...a.Tout, ...saved.map((t) => t.dtype)];
  const m = tout.length;
  const outs = e.node({
    name: op.name,
    exact: true,
    op: op.type,
    input: [...inputs.map((t) => e.ref(t)), ...op.controlInputs.map((c) => `^${c.name}`)],
    attr: {
      Tcond: typeAttr(a.Tcond),
      Tin: types(inputs.slice(1).map((t) => t.dtype)),
      Tout: types(tout),
      then_branch: func(thenName!),
      else_branch: func(elseName!),
      output_shapes: shapes([...a.output_shapes, ...saved.map((t) => t.shape)]),
    },
    outputArgs: tout.map((_, i) => `output:${i}`),
    outputShapes: op.outputs.slice(0, m).map((t) => t.shape),
  });
  op.outputs.slice(0, m).forEach((t, i) => e.bind(t, outs[i]!));
}

lowerings.set(If, lowerIf);
lowerings.set(StatelessIf, lowerIf);

/** One TF loop variable: its outer value, dtype, shape invariant, and a name for its args. */
interface Slot {
  ref: string;
  dtype: TfDType;
  shape: Shape | null;
  name: string;
}

function lowerWhile(op: Operation, e: DefEmitter): void {
  const a = op.attrs as WhileAttrs;
  const N = a.numLoopVars;
  const S = a.sliceReverse.length;
  const A = a.body.outputs.length - N;
  const C = a.numCondCaptures;
  const history = op.outputs.length > N + A;
  const traced: Tensor[] = history ? [...a.body.inputs.slice(0, N + S), ...a.body.saved] : [];
  if (A > 0 && S === 0) {
    throw new UnimplementedError(
      `GraphDef export: While op '${op.name}' stacks per-iteration outputs without a sliced input to size them`,
      op,
    );
  }
  const scope = op.name;
  const slots: Slot[] = op.inputs.slice(0, N).map((t, i) => ({
    ref: e.ref(t),
    dtype: t.dtype,
    shape: a.output_shapes[i] ?? null,
    name: a.body.inputs[i]!.op.name,
  }));
  const counted = S + A + traced.length > 0;
  const counter = counted ? slots.length : -1;
  if (counted)
    slots.push({
      ref: e.intConst(`${scope}/loop_counter`, [0], true),
      dtype: 'int32',
      shape: [],
      name: 'loop_counter',
    });
  const list = (ref: string, name: string): Slot => ({ ref, dtype: 'variant', shape: [], name });
  const sliced = op.inputs.slice(N, N + S);
  const rowShapes = sliced.map((t) => (t.shape === null ? null : t.shape.slice(1)));
  for (const [j, t] of sliced.entries()) {
    const es = elementShape(e, `${scope}/element_shape`, rowShapes[j]!);
    const [h] = e.node({
      name: `${scope}/TensorListFromTensor`,
      op: 'TensorListFromTensor',
      input: [e.ref(t), es],
      attr: { element_dtype: typeAttr(t.dtype), shape_type: typeAttr('int32') },
      outputArgs: ['output_handle:0'],
      outputShapes: [[]],
    });
    slots.push(list(h!, 'tensor_list'));
  }
  const rows = sliced[0]?.shape?.[0];
  const numRows = () =>
    typeof rows === 'number'
      ? e.intConst(`${scope}/num_elements`, [rows], true)
      : e.node({
          name: `${scope}/TensorListLength`,
          op: 'TensorListLength',
          input: [slots[counter + 1]!.ref],
          attr: {},
          outputArgs: ['length:0'],
          outputShapes: [[]],
        })[0]!;
  const accs = a.body.outputs.slice(N);
  const stackShapes: string[] = [];
  for (const t of accs) {
    const es = elementShape(e, `${scope}/element_shape`, t.shape);
    stackShapes.push(es);
    const [h] = e.node({
      name: `${scope}/TensorListReserve`,
      op: 'TensorListReserve',
      input: [es, numRows()],
      attr: { element_dtype: typeAttr(t.dtype), shape_type: typeAttr('int32') },
      outputArgs: ['handle:0'],
      outputShapes: [[]],
    });
    slots.push(list(h!, 'accumulator'));
  }
  for (const t of traced) {
    const es = elementShape(e, `${scope}/element_shape`, t.shape);
    stackShapes.push(es);
    const [h] = e.node({
      name: `${scope}/EmptyTensorList`,
      op: 'EmptyTensorList',
      input: [es, e.intConst(`${scope}/max_num_elements`, [-1], true)],
      attr: { element_dtype: typeAttr(t.dtype), shape_type: typeAttr('int32') },
      outputArgs: ['handle:0'],
      outputShapes: [[]],
    });
    slots.push(list(h!, 'accumulator'));
  }
  const caps = op.inputs.slice(N + S);
  const capsAt = slots.length;
  for (const t of caps) slots.push({ ref: e.ref(t), dtype: t.dtype, shape: t.shape, name: t.op.name });
  const firstList = N + (counted ? 1 : 0);
  const firstAcc = firstList + S;

  const args: string[] = [];
  const bodyFb = functionOf(e, a.body, a.body.name, (fb) => {
    const be = fb.emitter;
    slots.forEach((s, i) => {
      args.push(fb.addArg(s.name, s.dtype));
      if (i < N) be.bind(a.body.inputs[i]!, args[i]!);
      else if (i >= capsAt + C) be.bind(a.body.inputs[N + S + i - capsAt - C]!, args[i]!);
    });
    for (let j = 0; j < S; j++) {
      const index = rowIndex(be, args[counter]!, args[firstList + j]!, a.sliceReverse[j]!);
      const row = a.body.inputs[N + j]!;
      const [item] = be.node({
        name: 'TensorListGetItem',
        op: 'TensorListGetItem',
        input: [args[firstList + j]!, index, elementShape(be, 'element_shape', rowShapes[j]!)],
        attr: { element_dtype: typeAttr(row.dtype) },
        outputArgs: ['item:0'],
      });
      be.bind(row, item!);
    }
  });
  const be = bodyFb.emitter;
  const rets = slots.map((_, i): string => {
    if (i < N) return be.ref(a.body.outputs[i]!);
    if (i === counter) return be.intOp('add', 'AddV2', args[i]!, be.intConst('Const', [1], true));
    if (i < firstAcc || i >= capsAt) return args[i]!;
    const k = i - firstAcc;
    if (k < A) {
      const index = rowIndex(be, args[counter]!, args[firstList]!, a.accReverse[k]!);
      return listNode(be, 'TensorListSetItem', [args[i]!, index, be.ref(accs[k]!)], accs[k]!.dtype);
    }
    return listNode(be, 'TensorListPushBack', [args[i]!, be.ref(traced[k - A]!)], traced[k - A]!.dtype);
  });
  // tfjs-converter frees every tensor a function call made except its outputs when the call
  // ends, also one just stored into a TensorList; so each stored value that is not a loop
  // variable already rides along as one more loop variable (initially a scalar 0, unused).
  const loopValues = new Set([...args, ...rets.slice(0, N)]);
  const items = [...accs, ...traced].map((t) => be.ref(t));
  [...accs, ...traced].forEach((t, k) => {
    if (loopValues.has(items[k]!)) return;
    loopValues.add(items[k]!);
    slots.push({ ref: e.zeroConst(`${scope}/zeros`, t.dtype), dtype: t.dtype, shape: null, name: 'stored' });
    args.push(bodyFb.addArg('stored', t.dtype));
    rets.push(items[k]!);
  });
  slots.forEach((s, i) => bodyFb.addOutput(s.name, rets[i]!, s.dtype));
  const condFb = functionOf(e, a.cond, a.cond.name, (fb) => {
    slots.forEach((s, i) => {
      const arg = fb.addArg(s.name, s.dtype);
      if (i < N) fb.emitter.bind(a.cond.inputs[i]!, arg);
      else if (i >= capsAt && i < capsAt + C) fb.emitter.bind(a.cond.inputs[N + i - capsAt]!, arg);
    });
  });
  outputsOf(condFb, a.cond.outputs);

  const extra = unionOf([...condFb.captured.keys()], [...bodyFb.captured.keys()]);
  const condName = e.lib.add(condFb.build(extra));
  const bodyName = e.lib.add(bodyFb.build(extra, true));
  const all = [...slots, ...extra.map((t) => ({ ref: e.ref(t), dtype: t.dtype, shape: t.shape, name: '' }))];
  const outs = e.node({
    name: op.name,
    exact: true,
    op: op.type,
    input: [...all.map((s) => s.ref), ...op.controlInputs.map((c) => `^${c.name}`)],
    attr: {
      T: types(all.map((s) => s.dtype)),
      cond: func(condName),
      body: func(bodyName),
      output_shapes: shapes(all.map((s) => s.shape)),
      parallel_iterations: { type: 'int', value: a.parallel_iterations },
    },
    outputArgs: all.map((_, i) => `output:${i}`),
    outputShapes: all.map((s) => s.shape),
  });
  op.outputs.slice(0, N).forEach((t, i) => e.bind(t, outs[i]!));
  const stacked = [...accs, ...traced];
  const stack = (k: number, t: Tensor) =>
    e.node({
      name: `${scope}/TensorListStack`,
      op: 'TensorListStack',
      input: [outs[firstAcc + k]!, stackShapes[k]!],
      attr: {
        element_dtype: typeAttr(stacked[k]!.dtype),
        num_elements: { type: 'int', value: k < A && typeof rows === 'number' ? rows : -1 },
      },
      outputArgs: ['tensor:0'],
      outputShapes: [t.shape],
    })[0]!;
  for (let k = 0; k < A; k++) e.bind(op.outputs[N + k]!, stack(k, op.outputs[N + k]!));
  if (history) {
    e.bind(op.outputs[N + A]!, outs[counter]!);
    for (let h = 0; h < traced.length; h++) {
      const t = op.outputs[N + A + 1 + h];
      if (t !== undefined) e.bind(t, stack(A + h, t));
    }
  }
}

/** Row t of a list, or n-1-t (`reverse`, n its length). */
function rowIndex(e: DefEmitter, counter: string, handle: string, reverse: boolean): string {
  if (!reverse) return counter;
  const [n] = e.node({
    name: 'TensorListLength',
    op: 'TensorListLength',
    input: [handle],
    attr: {},
    outputArgs: ['length:0'],
  });
  return e.intOp('sub', 'Sub', e.intOp('sub', 'Sub', n!, e.intConst('Const', [1], true)), counter);
}

function listNode(e: DefEmitter, op: string, input: string[], dtype: TfDType): string {
  return e.node({
    name: op,
    op,
    input,
    attr: { element_dtype: typeAttr(dtype) },
    outputArgs: ['output_handle:0'],
  })[0]!;
}

lowerings.set(While, lowerWhile);
lowerings.set(StatelessWhile, lowerWhile);
