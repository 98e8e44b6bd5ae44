// A hand-built train op (no optimizer): each run halves x, increments the global step and
// evaluates to the new x², so the loss after n steps from x0 is (x0 / 2^n)².
import {
  Graph,
  GraphKeys,
  mul,
  NDArray,
  type Session,
  square,
  type Tensor,
  type Variable,
  variable,
  withDependencies,
} from '@graphmode/graph';
import type { SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues } from '@graphmode/train';

export interface Model {
  g: Graph;
  x: Variable;
  globalStep: Variable;
  trainOp: Tensor;
}

export function halvingModel(x0 = 10): Model {
  const g = new Graph();
  return g.asDefault(() => {
    const globalStep = variable(0, {
      name: 'global_step',
      dtype: 'int32',
      trainable: false,
      collections: [GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
    });
    const x = variable(x0, { name: 'x' });
    const newX = x.assign(mul(x, 0.5));
    const inc = globalStep.assignAdd(1);
    const trainOp = withDependencies([inc], square(newX), { name: 'train_op' });
    return { g, x, globalStep, trainOp };
  });
}

export const expectedLoss = (x0: number, steps: number): number => Math.fround(x0 / 2 ** steps) ** 2;

/** Records every hook call as a string; optionally fetches `fetch` each run. */
export class RecordingHook implements SessionRunHook {
  final: NDArray | null = null;
  constructor(
    readonly tag: string,
    readonly calls: string[] = [],
    private readonly fetch: Tensor | null = null,
    private readonly onEnd: Tensor | null = null,
  ) {}
  begin(): void {
    this.calls.push(`${this.tag}.begin`);
  }
  afterCreateSession(_: Session): void {
    this.calls.push(`${this.tag}.afterCreateSession`);
  }
  beforeRun(_: SessionRunContext): SessionRunArgs | undefined {
    this.calls.push(`${this.tag}.beforeRun`);
    return this.fetch ? { fetches: this.fetch } : undefined;
  }
  afterRun(_: SessionRunContext, values: SessionRunValues): void {
    const r = values.results;
    this.calls.push(`${this.tag}.afterRun${r instanceof NDArray ? `(${r.item()})` : ''}`);
  }
  end(session: Session): void {
    this.calls.push(`${this.tag}.end`);
    if (this.onEnd) this.final = session.run(this.onEnd);
  }
}
