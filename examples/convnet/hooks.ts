// The main job's session-run hooks: one feeds each step's minibatch (TF1's feed_dict, through
// SessionRunArgs), one records the loss/accuracy curve and shows progress — a cli-progress bar on
// a terminal, a plain line every N steps otherwise (a CI log or a pipe).
import type { NDArray, Session, Tensor } from '@graphmode/graph';
import { SessionRunArgs, type SessionRunHook, type SessionRunValues } from '@graphmode/train';
import cliProgress from 'cli-progress';
import type { Batch } from '../mnist_data.js';

/** Feeds the next minibatch of `stream` (and training = true) to every run. */
export class FeedHook implements SessionRunHook {
  constructor(
    private readonly inputs: { images: Tensor; labels: Tensor; training: Tensor },
    private readonly stream: Iterator<Batch>,
  ) {}
  beforeRun(): SessionRunArgs {
    const batch = this.stream.next().value as Batch;
    return new SessionRunArgs(null, [
      [this.inputs.images, batch.images],
      [this.inputs.labels, batch.labels],
      [this.inputs.training, true],
    ]);
  }
}

/** One point of the training curve: the batch's loss and accuracy at a global step. */
export interface CurvePoint {
  step: number;
  loss: number;
  accuracy: number;
}

/**
 * Fetches the loss and batch accuracy with each step, appends them to `curve`, and reports
 * progress towards `lastStep`.
 */
export class ProgressHook implements SessionRunHook {
  private step = 0;
  private firstStep = 0;
  private started = 0;
  private smoothed = Number.NaN;
  private bar: cliProgress.SingleBar | null = null;
  constructor(
    private readonly fetches: { loss: Tensor; accuracy: Tensor; globalStep: Tensor },
    private readonly lastStep: number,
    readonly curve: CurvePoint[],
    private readonly opts: { tty: boolean; logEvery: number; log: (line: string) => void },
  ) {}
  afterCreateSession(session: Session): void {
    this.step = this.firstStep = Number(session.run(this.fetches.globalStep).item());
    this.started = performance.now();
    if (!this.opts.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: 'step {value}/{total} {bar} loss {loss} | {rate} steps/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.lastStep, this.step, { loss: '-', rate: '-' });
  }
  beforeRun(): SessionRunArgs {
    return new SessionRunArgs({ loss: this.fetches.loss, accuracy: this.fetches.accuracy });
  }
  afterRun(_ctx: unknown, values: SessionRunValues<{ loss: NDArray; accuracy: NDArray }>): void {
    const loss = Number(values.results.loss.item());
    this.step += 1;
    this.curve.push({ step: this.step, loss, accuracy: Number(values.results.accuracy.item()) });
    this.smoothed = Number.isNaN(this.smoothed) ? loss : 0.95 * this.smoothed + 0.05 * loss;
    const rate = (this.step - this.firstStep) / ((performance.now() - this.started) / 1000);
    if (this.bar) {
      this.bar.update(this.step, { loss: this.smoothed.toFixed(4), rate: rate.toFixed(1) });
    } else if (this.step % this.opts.logEvery === 0 || this.step === this.lastStep) {
      const eta = (this.lastStep - this.step) / rate;
      this.opts.log(
        `step ${this.step}/${this.lastStep}  loss ${this.smoothed.toFixed(4)}  ${rate.toFixed(1)} steps/s  ETA ${eta.toFixed(0)} s`,
      );
    }
  }
  end(): void {
    this.bar?.stop();
  }
}
