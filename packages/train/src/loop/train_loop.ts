// train(): TF contrib's `training.train` — a MonitoredTrainingSession over the train op's graph
// that runs the train op until a hook requests stop, saving checkpoints and summaries to `logdir`.
import {
  checkOptions,
  type Graph,
  type Operation,
  type OptionSpec,
  OutOfRangeError,
  type Tensor,
  ValueError,
} from '@graphmode/graph';
import { StepCounterHook } from './hooks.js';
import { MonitoredSession, Scaffold, type ScaffoldOptions } from './monitored_session.js';
import { CheckpointSaverHook, SummarySaverHook } from './saver_hooks.js';
import type { SessionRunHook } from './session_run_hook.js';

export interface MonitoredTrainingSessionOptions {
  /** Restore from / save checkpoints and summaries to this directory (null: neither). */
  checkpointDir?: string | null;
  scaffold?: Scaffold | ScaffoldOptions;
  hooks?: readonly SessionRunHook[];
  /** Hooks only the chief runs (graphmode always runs as the chief). */
  chiefOnlyHooks?: readonly SessionRunHook[];
  saveCheckpointSecs?: number | null;
  saveCheckpointSteps?: number | null;
  saveSummariesSteps?: number | null;
  saveSummariesSecs?: number | null;
  /** How often StepCounterHook logs global steps per second (null: never). */
  logStepCountSteps?: number | null;
  backend?: 'cpu' | 'wasm' | 'onnxruntime';
}

const SESSION_SPEC: OptionSpec<MonitoredTrainingSessionOptions> = {
  checkpointDir: 'any',
  scaffold: 'any',
  hooks: 'any',
  chiefOnlyHooks: 'any',
  saveCheckpointSecs: 'any',
  saveCheckpointSteps: 'any',
  saveSummariesSteps: 'any',
  saveSummariesSecs: 'any',
  logStepCountSteps: 'any',
  backend: 'string',
};
/**
 * A MonitoredSession with TF's default hooks for a chief: StepCounterHook, SummarySaverHook and
 * CheckpointSaverHook on `checkpointDir`, after `chiefOnlyHooks` and before `hooks`. Runs on the
 * default graph (or the graph of a given scaffold's ops).
 */
export async function monitoredTrainingSession(
  opts: MonitoredTrainingSessionOptions & { graph?: Graph } = {},
): Promise<MonitoredSession> {
  checkOptions('monitoredTrainingSession', opts, { ...SESSION_SPEC, graph: 'any' });
  const dir = opts.checkpointDir ?? null;
  const scaffold = opts.scaffold instanceof Scaffold ? opts.scaffold : new Scaffold(opts.scaffold);
  // TF: checkpoints every 600 s unless steps are asked for; summaries every 100 steps unless secs are.
  const ckptSteps = opts.saveCheckpointSteps ?? null;
  const ckptSecs =
    opts.saveCheckpointSecs === undefined ? (ckptSteps === null ? 600 : null) : opts.saveCheckpointSecs;
  const sumSecs = opts.saveSummariesSecs ?? null;
  const sumSteps =
    opts.saveSummariesSteps === undefined ? (sumSecs === null ? 100 : null) : opts.saveSummariesSteps;
  const logSteps = opts.logStepCountSteps === undefined ? 100 : opts.logStepCountSteps;
  const hooks: SessionRunHook[] = [...(opts.chiefOnlyHooks ?? [])];
  if (dir !== null) {
    if (logSteps && logSteps > 0) hooks.push(new StepCounterHook({ outputDir: dir, everyNSteps: logSteps }));
    if ((sumSteps && sumSteps > 0) || (sumSecs && sumSecs > 0)) {
      hooks.push(
        new SummarySaverHook({
          scaffold,
          outputDir: dir,
          ...(sumSteps && sumSteps > 0 ? { saveSteps: sumSteps } : { saveSecs: sumSecs! }),
        }),
      );
    }
    if ((ckptSecs && ckptSecs > 0) || (ckptSteps && ckptSteps > 0)) {
      hooks.push(
        new CheckpointSaverHook(dir, {
          scaffold,
          ...(ckptSecs && ckptSecs > 0 ? { saveSecs: ckptSecs } : { saveSteps: ckptSteps! }),
        }),
      );
    }
  }
  hooks.push(...(opts.hooks ?? []));
  return MonitoredSession.create({
    scaffold,
    checkpointDir: dir,
    hooks,
    ...(opts.graph ? { graph: opts.graph } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
}

export interface TrainOptions
  extends Pick<
    MonitoredTrainingSessionOptions,
    'hooks' | 'chiefOnlyHooks' | 'scaffold' | 'logStepCountSteps' | 'backend'
  > {
  /** Seconds between checkpoints (default 600; null: no CheckpointSaverHook). */
  saveCheckpointSecs?: number | null;
  /** Steps between summaries of the merged summary op (default 100; null: no SummarySaverHook). */
  saveSummariesSteps?: number | null;
}

const TRAIN_SPEC: OptionSpec<TrainOptions> = {
  hooks: 'any',
  chiefOnlyHooks: 'any',
  scaffold: 'any',
  logStepCountSteps: 'any',
  backend: 'string',
  saveCheckpointSecs: 'any',
  saveSummariesSteps: 'any',
};
/**
 * Runs `trainOp` until a hook requests stop (or an input raises OutOfRangeError) and resolves to
 * the last loss. Initializes the variables, or restores them from `logdir`'s latest checkpoint.
 * The graph is finalized while training (hooks and initFn cannot add ops) and accepts ops again
 * once train() settles, as TF's MonitoredSession does.
 * @example
 * const loss = await train(createTrainOp(total, opt), '/tmp/run', {
 *   hooks: [new StopAtStepHook({ numSteps: 1000 })],
 * });
 */
export async function train(
  trainOp: Tensor | Operation,
  logdir: string | null,
  opts: TrainOptions = {},
): Promise<number | null> {
  checkOptions('train', opts, TRAIN_SPEC);
  const { saveSummariesSteps: summaries, saveCheckpointSecs: checkpoints, ...passed } = opts;
  const saveSummariesSteps = summaries === undefined ? 100 : summaries;
  const saveCheckpointSecs = checkpoints === undefined ? 600 : checkpoints;
  if (logdir === null) {
    if (saveSummariesSteps)
      throw new ValueError(`logdir cannot be null when saveSummariesSteps is ${saveSummariesSteps}`);
    if (saveCheckpointSecs)
      throw new ValueError(`logdir cannot be null when saveCheckpointSecs is ${saveCheckpointSecs}`);
  }
  const session = await monitoredTrainingSession({
    ...passed,
    graph: trainOp.graph,
    checkpointDir: logdir,
    saveSummariesSteps,
    saveCheckpointSecs,
  });
  let loss: number | null = null;
  try {
    // TF accepts a train Operation too (GraphKeys.TRAIN_OP may hold one): it yields no loss.
    while (!session.shouldStop()) {
      const value = await session.run(trainOp);
      loss = value === null ? null : Number(value.item());
    }
  } catch (e) {
    // An exhausted input ends training normally, as in TF.
    if (!(e instanceof OutOfRangeError)) {
      session.abort();
      throw e;
    }
  }
  await session.close();
  return loss;
}
