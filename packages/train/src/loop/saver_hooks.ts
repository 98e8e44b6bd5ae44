// Hooks that write files, with the semantics of TF's basic_session_run_hooks.py:
// CheckpointSaverHook (a checkpoint when the session starts, then every N secs or steps, and a
// last one at the end) and SummarySaverHook (the summary op's value every N steps or secs).
// Both fetch the global step read with the train op and confirm it with a fresh read before
// acting, as the read may predate the step's increment.

import { join } from 'node:path';
import {
  checkOptions,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  type NDArray,
  RuntimeError,
  type Session,
  type Tensor,
  ValueError,
} from '@graphmode/graph';
import { type FileWriter, FileWriterCache } from '../io/file_writer.js';
import type { Saver } from '../io/saver.js';
import { logger } from '../logging.js';
import {
  SessionRunArgs,
  type SessionRunContext,
  type SessionRunHook,
  type SessionRunValues,
} from './session_run_hook.js';
import { requireGlobalStepRead, SecondOrStepTimer } from './timer.js';

/** What the savers hooks need of a scaffold: its saver and summary op, once built. */
export interface ScaffoldLike {
  readonly saver: Saver | null;
  readonly summaryOp: Tensor | null;
}

/** Called around each checkpoint CheckpointSaverHook writes; `afterSave` returning true stops the loop. */
export interface CheckpointSaverListener {
  begin?(): void;
  beforeSave?(session: Session, globalStep: number): void | Promise<void>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a listener that never stops returns nothing.
  afterSave?(session: Session, globalStep: number): boolean | void | Promise<boolean | void>;
  end?(session: Session, globalStep: number): void | Promise<void>;
}

const step = (a: NDArray): number => Number(a.item());

/**
 * Saves a checkpoint `<checkpointDir>/model.ckpt-<step>` every `saveSecs` seconds or `saveSteps`
 * steps (exactly one), plus one when the session starts and one at the end.
 */
export class CheckpointSaverHook implements SessionRunHook {
  private readonly timer: SecondOrStepTimer;
  private readonly savePath: string;
  private readonly listeners: CheckpointSaverListener[];
  private writer: FileWriter | null = null;
  private stepTensor: Tensor | null = null;
  constructor(
    private readonly checkpointDir: string,
    private readonly opts: {
      saveSecs?: number;
      saveSteps?: number;
      saver?: Saver;
      checkpointBasename?: string;
      scaffold?: ScaffoldLike;
      listeners?: CheckpointSaverListener[];
    } = {},
  ) {
    checkOptions('CheckpointSaverHook', opts, {
      saveSecs: 'number',
      saveSteps: 'number',
      saver: 'any',
      checkpointBasename: 'string',
      scaffold: 'any',
      listeners: 'any',
    });
    if (opts.saver && opts.scaffold) throw new ValueError('You cannot provide both saver and scaffold.');
    this.timer = new SecondOrStepTimer(opts.saveSecs ?? null, opts.saveSteps ?? null);
    this.savePath = join(checkpointDir, opts.checkpointBasename ?? 'model.ckpt');
    this.listeners = opts.listeners ?? [];
  }
  begin(): void {
    this.writer = FileWriterCache.get(this.checkpointDir);
    this.stepTensor = requireGlobalStepRead(getDefaultGraph(), 'CheckpointSaverHook');
    for (const l of this.listeners) l.begin?.();
  }
  async afterCreateSession(session: Session): Promise<void> {
    const now = step(session.run(this.stepTensor!));
    this.writer!.addGraph(session.graph);
    await this.save(session, now);
    this.timer.updateLastTriggeredStep(now);
  }
  beforeRun(): SessionRunArgs {
    return new SessionRunArgs(this.stepTensor!);
  }
  async afterRun(ctx: SessionRunContext, values: SessionRunValues<NDArray>): Promise<void> {
    if (!this.timer.shouldTriggerForStep(step(values.results) + 1)) return;
    const now = step(ctx.session.run(this.stepTensor!));
    if (!this.timer.shouldTriggerForStep(now)) return;
    this.timer.updateLastTriggeredStep(now);
    if (await this.save(ctx.session, now)) ctx.requestStop();
  }
  async end(session: Session): Promise<void> {
    const last = step(session.run(this.stepTensor!));
    if (last !== this.timer.lastTriggeredStep()) await this.save(session, last);
    for (const l of this.listeners) await l.end?.(session, last);
    await this.writer?.flush();
  }
  private async save(session: Session, globalStep: number): Promise<boolean> {
    logger().info(`Saving checkpoints for ${globalStep} into ${this.savePath}.`);
    for (const l of this.listeners) await l.beforeSave?.(session, globalStep);
    await this.saver(session.graph).save(session, this.savePath, { globalStep });
    this.writer!.addSessionLog({ status: 'CHECKPOINT', checkpointPath: this.savePath }, globalStep);
    let stop = false;
    for (const l of this.listeners) if (await l.afterSave?.(session, globalStep)) stop = true;
    return stop;
  }
  // The session's graph: hooks run outside any asDefault, so the default graph may be another one.
  private saver(graph: Graph): Saver {
    if (this.opts.saver) return this.opts.saver;
    if (this.opts.scaffold?.saver) return this.opts.scaffold.saver;
    const savers = graph.getCollection<Saver>(GraphKeys.SAVERS);
    if (savers.length === 0)
      throw new RuntimeError(
        `No items in collection ${GraphKeys.SAVERS}. Please add a saver to the collection or provide a saver or scaffold.`,
      );
    if (savers.length > 1)
      throw new RuntimeError(
        `More than one item in collection ${GraphKeys.SAVERS}. Please indicate which one to use by passing it to the constructor.`,
      );
    return savers[0]!;
  }
}

/**
 * Writes the summary op's value (`summaryOp`, or the scaffold's merged summaries) to
 * `outputDir` (or `summaryWriter`) every `saveSteps` steps or `saveSecs` seconds.
 */
export class SummarySaverHook implements SessionRunHook {
  private readonly timer: SecondOrStepTimer;
  private writer: FileWriter | null;
  private stepTensor: Tensor | null = null;
  private nextStep: number | null = null;
  private requestSummary = false;
  constructor(
    private readonly opts: {
      saveSteps?: number;
      saveSecs?: number;
      outputDir?: string;
      summaryWriter?: FileWriter;
      scaffold?: ScaffoldLike;
      summaryOp?: Tensor | readonly Tensor[];
    },
  ) {
    checkOptions('SummarySaverHook', opts, {
      saveSteps: 'number',
      saveSecs: 'number',
      outputDir: 'string',
      summaryWriter: 'any',
      scaffold: 'any',
      summaryOp: 'any',
    });
    if ((opts.scaffold === undefined) === (opts.summaryOp === undefined))
      throw new ValueError('Exactly one of scaffold or summaryOp must be provided.');
    this.timer = new SecondOrStepTimer(opts.saveSecs ?? null, opts.saveSteps ?? null);
    this.writer = opts.summaryWriter ?? null;
  }
  begin(): void {
    if (this.writer === null && this.opts.outputDir) this.writer = FileWriterCache.get(this.opts.outputDir);
    this.nextStep = null;
    this.stepTensor = requireGlobalStepRead(getDefaultGraph(), 'SummarySaverHook');
  }
  beforeRun(): SessionRunArgs {
    this.requestSummary = this.nextStep === null || this.timer.shouldTriggerForStep(this.nextStep);
    const ops = this.summaryOps();
    return new SessionRunArgs({
      globalStep: this.stepTensor!,
      ...(this.requestSummary && ops.length ? { summary: ops } : {}),
    });
  }
  afterRun(
    ctx: SessionRunContext,
    values: SessionRunValues<{ globalStep: NDArray; summary?: NDArray[] }>,
  ): void {
    if (!this.writer) return;
    let globalStep = step(values.results.globalStep) + 1;
    if (this.nextStep === null || this.requestSummary) globalStep = step(ctx.session.run(this.stepTensor!));
    if (this.nextStep === null) this.writer.addSessionLog({ status: 'START' }, globalStep);
    if (this.requestSummary) {
      this.timer.updateLastTriggeredStep(globalStep);
      for (const s of values.results.summary ?? []) this.writer.addSummary(s, globalStep);
    }
    this.nextStep = globalStep + 1;
  }
  async end(): Promise<void> {
    await this.writer?.flush();
  }
  private summaryOps(): Tensor[] {
    const op = this.opts.summaryOp ?? this.opts.scaffold?.summaryOp ?? null;
    return op === null ? [] : Array.isArray(op) ? [...op] : [op as Tensor];
  }
}
