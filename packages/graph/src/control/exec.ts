// Runs a function graph inside a control-flow kernel: the same plan + loop as the Session, on the
// function's cached plan, with variables and per-op state going through the session's kernel
// context (so assignments are journaled and a failed run rolls them back). Arguments stay the
// caller's; outputs are owned by the caller; every other per-call tensor is freed here.
import * as tfc from '@tensorflow/tfjs-core';
import { InvalidArgumentError, OpError, UnimplementedError } from '../errors.js';
import type { Operation } from '../graph.js';
import type { KernelContext } from '../op_def.js';
import { uninitializedError } from '../ops/core.js';
import { bindResult, disposeVariableReads } from '../session/bind.js';
import { REF, type Step } from '../session/plan.js';
import type { FuncGraph } from './func_graph.js';

/** The session's context, which can point at a body's op while its kernel runs. */
interface NestingContext extends KernelContext {
  enter(op: Operation): void;
}

function nesting(ctx: KernelContext): NestingContext {
  if (typeof (ctx as Partial<NestingContext>).enter !== 'function') {
    throw new UnimplementedError(
      `This executor cannot run control-flow bodies (op '${ctx.op.name}')`,
      ctx.op,
    );
  }
  return ctx as NestingContext;
}

/** Calls `fg` on `args` (not consumed); returns its outputs, then its saved values (the caller owns them). */
export function runFunc(fg: FuncGraph, args: readonly tfc.Tensor[], ctx: KernelContext): tfc.Tensor[] {
  const nctx = nesting(ctx);
  const outer = ctx.op;
  const plan = fg.plan();
  const values: (tfc.Tensor | undefined)[] = new Array(plan.numSlots);
  let step: Step | null = null;
  let ok = false;
  try {
    fg.inputs.forEach((t, i) => {
      const s = plan.slotOf.get(t);
      if (s !== undefined) values[s] = tfc.clone(args[i]!);
    });
    for (const st of plan.steps) {
      step = st;
      runStep(st, values, nctx);
    }
    step = null;
    const seen = new Set<tfc.Tensor>();
    const outs = [...fg.outputs, ...fg.saved].map((t) => {
      const v = values[plan.slotOf.get(t) ?? -1];
      if (v === undefined) throw new Error(`internal: no value for output '${t.name}' of '${fg.name}'`);
      // An output listed twice (or an argument returned as is) is handed out as separate handles.
      const out = seen.has(v) ? tfc.clone(v) : v;
      seen.add(v);
      return out;
    });
    ok = true;
    for (const v of values) if (v && !seen.has(v)) v.dispose();
    return outs;
  } catch (e) {
    throw asBodyError(e, step);
  } finally {
    nctx.enter(outer);
    if (!ok) for (const v of values) v?.dispose();
  }
}

function runStep(step: Step, values: (tfc.Tensor | undefined)[], ctx: NestingContext): void {
  const ins = gather(step, values, ctx);
  try {
    ctx.enter(step.op);
    bindResult(step, step.def.invoke(ins, step.attrs, ctx), ins, values);
  } finally {
    if (step.readsVariables) disposeVariableReads(step, ins);
  }
  for (const s of step.free) {
    values[s]?.dispose();
    values[s] = undefined;
  }
}

function gather(
  step: Step,
  values: readonly (tfc.Tensor | undefined)[],
  ctx: KernelContext,
): (tfc.Tensor | undefined)[] {
  return step.inputs.map((s, k) => {
    if (s >= 0) return values[s];
    if (step.kinds[k] === REF) return undefined;
    const variableOp = step.op.inputs[k]!.op;
    const v = ctx.readVariable(variableOp);
    if (v === undefined) throw uninitializedError(variableOp);
    return v;
  });
}

// A failure inside a body names the body's op (its creation site is the user's line in the body).
function asBodyError(e: unknown, step: Step | null): unknown {
  if (e instanceof OpError || !(e instanceof Error) || step === null) return e;
  return new InvalidArgumentError(`${e.message} (op '${step.op.name}' of type ${step.op.type})`, step.op, {
    cause: e,
  });
}
