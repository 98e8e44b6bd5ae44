// Triggers shared by the hooks (TF's SecondOrStepTimer / NeverTriggerTimer), and the global-step
// read tensor they fetch.
import { add, type Graph, RuntimeError, type Tensor, ValueError } from '@graphmode/graph';
import { getGlobalStep } from '../global_step.js';

export interface Timer {
  shouldTriggerForStep(step: number): boolean;
  /** Records a trigger at `step`; returns seconds and steps since the previous one (null at first). */
  updateLastTriggeredStep(step: number): [number | null, number | null];
  lastTriggeredStep(): number | null;
  reset(): void;
}

/** Fires every `everySecs` seconds or every `everySteps` steps (exactly one must be given). */
export class SecondOrStepTimer implements Timer {
  private lastTime: number | null = null;
  private lastStep: number | null = null;
  constructor(
    private readonly everySecs: number | null = null,
    private readonly everySteps: number | null = null,
  ) {
    if (everySecs === null && everySteps === null)
      throw new ValueError('Either everySteps or everySecs should be provided.');
    if (everySecs !== null && everySteps !== null)
      throw new ValueError('Can not provide both everySteps and everySecs.');
  }
  shouldTriggerForStep(step: number): boolean {
    if (this.lastStep === null) return true;
    if (this.lastStep === step) return false;
    if (this.everySecs !== null && Date.now() / 1000 >= this.lastTime! + this.everySecs) return true;
    return this.everySteps !== null && step >= this.lastStep + this.everySteps;
  }
  updateLastTriggeredStep(step: number): [number | null, number | null] {
    const now = Date.now() / 1000;
    const elapsed: [number | null, number | null] =
      this.lastTime === null ? [null, null] : [now - this.lastTime, step - this.lastStep!];
    this.lastTime = now;
    this.lastStep = step;
    return elapsed;
  }
  lastTriggeredStep(): number | null {
    return this.lastStep;
  }
  reset(): void {
    this.lastTime = null;
    this.lastStep = null;
  }
}

export class NeverTriggerTimer implements Timer {
  shouldTriggerForStep(): boolean {
    return false;
  }
  updateLastTriggeredStep(): [null, null] {
    return [null, null];
  }
  lastTriggeredStep(): null {
    return null;
  }
  reset(): void {}
}

const GLOBAL_STEP_READ_KEY = 'global_step_read_op_cache';

/**
 * A tensor copying the global step's value (TF's `_get_or_create_global_step_read`), built once
 * per graph and cached in a collection; null when the graph has no global step. Fetched in the
 * same run as the train op it may see the step before or after the increment, so hooks confirm
 * with a separate run before acting (as TF's do).
 */
export function globalStepRead(graph: Graph): Tensor | null {
  const cached = graph.getCollection<Tensor>(GLOBAL_STEP_READ_KEY);
  if (cached.length) return cached[0]!;
  const step = getGlobalStep(graph);
  if (step === null) return null;
  const read = graph.asDefault(() =>
    graph.nameScope(null, () =>
      graph.controlDependencies(null, () => graph.nameScope(`${step.op.name}/`, () => add(step.value(), 0))),
    ),
  );
  graph.addToCollection(GLOBAL_STEP_READ_KEY, read);
  return read;
}

/** The global-step read a hook needs, or TF's error naming the hook. */
export function requireGlobalStepRead(graph: Graph, hook: string): Tensor {
  const t = globalStepRead(graph);
  if (t === null) throw new RuntimeError(`Global step should be created to use ${hook}.`);
  return t;
}
