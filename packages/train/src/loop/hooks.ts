// Basic hooks, with the semantics of TF's basic_session_run_hooks.py: StopAtStepHook,
// NanTensorHook, LoggingTensorHook, StepCounterHook. (CheckpointSaverHook and SummarySaverHook
// are in saver_hooks.ts.)
import {
  checkOptions,
  getDefaultGraph,
  lookupTensor,
  type NDArray,
  type Session,
  type Tensor,
  ValueError,
} from '@graphmode/graph';
import { getGlobalStep } from '../global_step.js';
import { type FileWriter, FileWriterCache } from '../io/file_writer.js';
import { logger } from '../logging.js';
import {
  SessionRunArgs,
  type SessionRunContext,
  type SessionRunHook,
  type SessionRunValues,
} from './session_run_hook.js';
import { NeverTriggerTimer, requireGlobalStepRead, SecondOrStepTimer, type Timer } from './timer.js';

const step = (a: NDArray): number => Number(a.item());

/**
 * Requests stop once the global step reaches `lastStep`, or `numSteps` steps after the step the
 * session started at.
 * @example await train(trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 1000 })] });
 */
export class StopAtStepHook implements SessionRunHook {
  private numSteps: number | null;
  private lastStep: number | null;
  private stepTensor: Tensor | null = null;
  constructor(opts: { numSteps?: number; lastStep?: number }) {
    checkOptions('StopAtStepHook', opts, { numSteps: 'number', lastStep: 'number' });
    if (opts.numSteps === undefined && opts.lastStep === undefined)
      throw new ValueError('One of numSteps or lastStep must be specified.');
    if (opts.numSteps !== undefined && opts.lastStep !== undefined)
      throw new ValueError('Only one of numSteps or lastStep can be specified.');
    this.numSteps = opts.numSteps ?? null;
    this.lastStep = opts.lastStep ?? null;
  }
  begin(): void {
    this.stepTensor = requireGlobalStepRead(getDefaultGraph(), 'StopAtStepHook');
  }
  afterCreateSession(session: Session): void {
    if (this.lastStep === null) this.lastStep = step(session.run(this.stepTensor!)) + this.numSteps!;
  }
  beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.stepTensor!);
  }
  afterRun(ctx: SessionRunContext, values: SessionRunValues<NDArray>): void {
    // The fetched read may predate the increment; confirm with a fresh read before stopping.
    if (
      step(values.results) + 1 >= this.lastStep! &&
      step(ctx.session.run(this.stepTensor!)) >= this.lastStep!
    )
      ctx.requestStop();
  }
}

/** Thrown by NanTensorHook when the loss is NaN (TF's NanLossDuringTrainingError). */
export class NanLossDuringTrainingError extends Error {
  override name = 'NanLossDuringTrainingError';
  constructor() {
    super('NaN loss during training.');
  }
}

/**
 * Watches the loss: a NaN throws NanLossDuringTrainingError (or, with `failOnNanLoss: false`,
 * logs a warning and stops the loop).
 */
export class NanTensorHook implements SessionRunHook {
  private readonly failOnNanLoss: boolean;
  constructor(
    private readonly lossTensor: Tensor,
    opts: { failOnNanLoss?: boolean } = {},
  ) {
    checkOptions('NanTensorHook', opts, { failOnNanLoss: 'boolean' });
    this.failOnNanLoss = opts.failOnNanLoss ?? true;
  }
  beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.lossTensor);
  }
  afterRun(ctx: SessionRunContext, values: SessionRunValues<NDArray>): void {
    if (!Number.isNaN(Number(values.results.item()))) return;
    logger().warn('Model diverged with loss = NaN.');
    if (this.failOnNanLoss) throw new NanLossDuringTrainingError();
    ctx.requestStop();
  }
}

const formatValue = (a: NDArray): string => (a.rank === 0 ? String(a.item()) : JSON.stringify(a.toArray()));

export interface LoggingTensorHookOptions {
  everyNIter?: number;
  everyNSecs?: number;
  /** Also log the values once more when the loop ends. */
  atEnd?: boolean;
  /** Replaces the default 'tag = value, ...' line. */
  formatter?: (values: Record<string, NDArray>) => string;
}

/**
 * Logs tensors (a list, tagged by name, or a record of tag → tensor or tensor name) every N
 * iterations or seconds, through the train package's logger at info level.
 * @example new LoggingTensorHook({ loss, step: globalStep.value() }, { everyNIter: 100 })
 */
export class LoggingTensorHook implements SessionRunHook {
  private readonly tags: string[];
  private readonly tensors: Record<string, Tensor | string>;
  private readonly timer: Timer;
  private current: Record<string, Tensor> = {};
  private iter = 0;
  private shouldTrigger = false;
  constructor(
    tensors: Record<string, Tensor | string> | readonly (Tensor | string)[],
    private readonly opts: LoggingTensorHookOptions = {},
  ) {
    checkOptions('LoggingTensorHook', opts, {
      everyNIter: 'number',
      everyNSecs: 'number',
      atEnd: 'boolean',
      formatter: 'function',
    });
    const { everyNIter, everyNSecs, atEnd } = opts;
    const onlyAtEnd = atEnd && everyNIter === undefined && everyNSecs === undefined;
    if (!atEnd && (everyNIter === undefined) === (everyNSecs === undefined))
      throw new ValueError('either atEnd and/or exactly one of everyNIter and everyNSecs must be provided.');
    if (everyNIter !== undefined && everyNIter <= 0)
      throw new ValueError(`invalid everyNIter=${everyNIter}.`);
    if (Array.isArray(tensors)) {
      const list = tensors as readonly (Tensor | string)[];
      this.tensors = Object.fromEntries(list.map((t) => [typeof t === 'string' ? t : t.name, t]));
      this.tags = Object.keys(this.tensors);
    } else {
      this.tensors = { ...(tensors as Record<string, Tensor | string>) };
      this.tags = Object.keys(this.tensors).sort();
    }
    this.timer = onlyAtEnd
      ? new NeverTriggerTimer()
      : new SecondOrStepTimer(everyNSecs ?? null, everyNIter ?? null);
  }
  begin(): void {
    this.timer.reset();
    this.iter = 0;
    const graph = getDefaultGraph();
    this.current = Object.fromEntries(
      Object.entries(this.tensors).map(([tag, t]) => [tag, lookupTensor(graph, t)]),
    );
  }
  beforeRun(): SessionRunArgs | undefined {
    this.shouldTrigger = this.timer.shouldTriggerForStep(this.iter);
    return this.shouldTrigger ? new SessionRunArgs(this.current) : undefined;
  }
  afterRun(_: SessionRunContext, values: SessionRunValues<Record<string, NDArray>>): void {
    if (this.shouldTrigger) this.log(values.results);
    this.iter++;
  }
  end(session: Session): void {
    if (this.opts.atEnd) this.log(session.run(this.current));
  }
  private log(values: Record<string, NDArray>): void {
    const [secs] = this.timer.updateLastTriggeredStep(this.iter);
    if (this.opts.formatter) {
      logger().info(this.opts.formatter(values));
      return;
    }
    const stats = this.tags.map((tag) => `${tag} = ${formatValue(values[tag]!)}`).join(', ');
    logger().info(secs === null ? stats : `${stats} (${secs.toFixed(3)} sec)`);
  }
}

/**
 * Measures global steps per second, logging it and writing a `global_step/sec` summary to
 * `outputDir` (or `summaryWriter`) every N steps or seconds.
 */
export class StepCounterHook implements SessionRunHook {
  private readonly timer: SecondOrStepTimer;
  private writer: FileWriter | null;
  private stepTensor: Tensor | null = null;
  private tag = 'global_step/sec';
  private lastStep: number | null = null;
  private warnings = 0;
  constructor(
    private readonly opts: {
      everyNSteps?: number;
      everyNSecs?: number;
      outputDir?: string;
      summaryWriter?: FileWriter;
    } = {},
  ) {
    checkOptions('StepCounterHook', opts, {
      everyNSteps: 'number',
      everyNSecs: 'number',
      outputDir: 'string',
      summaryWriter: 'any',
    });
    const steps = opts.everyNSteps ?? (opts.everyNSecs === undefined ? 100 : undefined);
    if ((steps === undefined) === (opts.everyNSecs === undefined))
      throw new ValueError('exactly one of everyNSteps and everyNSecs should be provided.');
    this.timer = new SecondOrStepTimer(opts.everyNSecs ?? null, steps ?? null);
    this.writer = opts.summaryWriter ?? null;
  }
  begin(): void {
    if (this.writer === null && this.opts.outputDir) this.writer = FileWriterCache.get(this.opts.outputDir);
    const graph = getDefaultGraph();
    this.stepTensor = requireGlobalStepRead(graph, 'StepCounterHook');
    this.tag = `${getGlobalStep(graph)?.op.name ?? 'global_step'}/sec`;
  }
  afterCreateSession(session: Session): void {
    session.run(this.stepTensor!);
    this.lastStep = null;
    this.timer.reset();
  }
  beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.stepTensor!);
  }
  afterRun(ctx: SessionRunContext, values: SessionRunValues<NDArray>): void {
    const stale = step(values.results);
    if (this.timer.shouldTriggerForStep(stale + 1)) {
      const now = step(ctx.session.run(this.stepTensor!));
      if (this.timer.shouldTriggerForStep(now)) {
        const [secs, steps] = this.timer.updateLastTriggeredStep(now);
        if (secs !== null && steps !== null) {
          const rate = steps / secs;
          this.writer?.addSummary({ value: [{ tag: this.tag, simpleValue: rate }] }, now);
          logger().info(`${this.tag}: ${Number(rate.toPrecision(6))}`);
        }
      }
    }
    if (stale === this.lastStep && this.warnings < 5) {
      this.warnings++;
      logger().warn(
        `It seems that global step (getGlobalStep) has not been increased. Current value (could be stable): ${stale} vs previous value: ${this.lastStep}. You could increase the global step by passing getGlobalStep() to Optimizer.applyGradients or Optimizer.minimize.`,
      );
    }
    this.lastStep = stale;
  }
}
