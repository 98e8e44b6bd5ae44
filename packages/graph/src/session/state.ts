// A session's state and the kernel context that exposes it: variable values (journaled, so a
// failed run can restore them), per-op cached constants and per-op execution counts.
import type * as tfc from '@tensorflow/tfjs-core';
import type { Operation } from '../graph.js';
import type { KernelContext } from '../op_def.js';
import { shareTensor } from '../ops/typed_kernel.js';

/** Variable values of one session, with a journal so a failed run can restore them. */
export class VariableStore {
  private readonly values = new Map<Operation, tfc.Tensor>();
  private readonly journal = new Map<Operation, tfc.Tensor | undefined>();
  /** A handle the caller owns, or undefined when the variable was never initialized. */
  read(op: Operation): tfc.Tensor | undefined {
    const v = this.values.get(op);
    return v && shareTensor(v);
  }
  has(op: Operation): boolean {
    return this.values.has(op);
  }
  write(op: Operation, value: tfc.Tensor): void {
    const old = this.values.get(op);
    if (!this.journal.has(op)) this.journal.set(op, old);
    else old?.dispose(); // written twice in one run: the middle value is nobody's
    this.values.set(op, value);
  }
  commit(): void {
    for (const old of this.journal.values()) old?.dispose();
    this.journal.clear();
  }
  rollback(): void {
    for (const [op, old] of this.journal) {
      this.values.get(op)?.dispose();
      if (old === undefined) this.values.delete(op);
      else this.values.set(op, old);
    }
    this.journal.clear();
  }
  dispose(): void {
    this.rollback();
    for (const v of this.values.values()) v.dispose();
    this.values.clear();
  }
}

/**
 * Tensors made once per session and op (constants); those made by a failed run are dropped.
 * Executor plug-ins keep their kernel contexts' constants in one too.
 */
export class ConstantCache {
  private readonly values = new Map<Operation, tfc.Tensor>();
  private readonly fresh: Operation[] = [];
  get(op: Operation, make: () => tfc.Tensor): tfc.Tensor {
    let t = this.values.get(op);
    if (t === undefined) {
      this.values.set(op, (t = make()));
      this.fresh.push(op);
    }
    return t;
  }
  commit(): void {
    this.fresh.length = 0;
  }
  rollback(): void {
    for (const op of this.fresh) {
      this.values.get(op)?.dispose();
      this.values.delete(op);
    }
    this.fresh.length = 0;
  }
  dispose(): void {
    for (const t of this.values.values()) t.dispose();
    this.values.clear();
    this.fresh.length = 0;
  }
}

/**
 * What every KernelContext keeps the same way: the op whose kernel runs (the run loop points it at
 * each op with `enter`) and how often each op ran (random ops derive their seeds from it). Executor
 * plug-ins extend it for the tfjs ops they run.
 */
export abstract class OpKernelContext implements KernelContext {
  private current: Operation | null = null;
  private readonly executions = new Map<Operation, number>();
  constructor(readonly backend: string) {}
  enter(op: Operation): void {
    this.current = op;
  }
  get op(): Operation {
    if (this.current === null) throw new Error('KernelContext.op read outside a kernel');
    return this.current;
  }
  executionCount(): number {
    const op = this.op;
    const n = this.executions.get(op) ?? 0;
    this.executions.set(op, n + 1);
    return n;
  }
  abstract cached(make: () => tfc.Tensor): tfc.Tensor;
  abstract readVariable(variableOp: Operation): tfc.Tensor | undefined;
  abstract writeVariable(variableOp: Operation, value: tfc.Tensor): void;
}

/** The one KernelContext of a session; the run loop points it at each op before its kernel runs. */
export class SessionKernelContext extends OpKernelContext {
  private warnedSlow = false;
  constructor(
    backend: string,
    private readonly store: VariableStore,
    private readonly constants: ConstantCache,
  ) {
    super(backend);
  }
  cached(make: () => tfc.Tensor): tfc.Tensor {
    return shareTensor(this.constants.get(this.op, make));
  }
  readVariable(variableOp: Operation): tfc.Tensor | undefined {
    return this.store.read(variableOp);
  }
  writeVariable(variableOp: Operation, value: tfc.Tensor): void {
    this.store.write(variableOp, value);
  }
  slow(what: string): void {
    if (this.warnedSlow || this.backend !== 'cpu' || slowWarningOff()) return;
    this.warnedSlow = true;
    console.warn(
      `graphmode: ${what} (op '${this.op.name}') runs slowly on the 'cpu' backend; the 'wasm' backend runs it ` +
        `10–30× faster: await Session.create(graph, { backend: 'wasm' }). (Warned once per session.)`,
    );
  }
}

// GRAPHMODE_SLOW_WARNING=off silences the warning (test suites and benchmarks that use cpu on
// purpose); read at each warning so a process can switch it.
const slowWarningOff = (): boolean => globalThis.process?.env?.GRAPHMODE_SLOW_WARNING === 'off';
