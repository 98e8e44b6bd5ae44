// Soak (issue 8; not a test): 10,000 Adam steps of a small regression model through train()
// with a CheckpointSaverHook (every 500 steps, so 20 saves rotate through maxToKeep) and the
// summary hook (every 100 steps). Tensor count, heap and RSS are sampled after a GC at
// 100 / 1,000 / 5,000 / 10,000 steps: all three must stay flat.
//
//   npm run bench -- soak          (SOAK_STEPS=<n> for a shorter run)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@graphmode/autodiff';
import { add, constant, Graph, matMul, reduceMean, square, sub, variable } from '@graphmode/graph';
import {
  AdamOptimizer,
  CheckpointSaverHook,
  createTrainOp,
  type SessionRunHook,
  StopAtStepHook,
  summary,
  train,
} from '@graphmode/train';
import * as tfc from '@tensorflow/tfjs-core';
import { type Bench, type Row, round } from './util.js';

const STEPS = Number(process.env.SOAK_STEPS ?? 10_000);
const MARKS = [100, 1_000, 5_000, 10_000].filter((m) => m <= STEPS);

function model(g: Graph) {
  return g.asDefault(() => {
    const x = constant(
      Array.from({ length: 32 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i + j))),
    );
    const y = constant(Array.from({ length: 32 }, (_, i) => [Math.cos(i)]));
    const w = variable(
      Array.from({ length: 8 }, () => [0]),
      { name: 'w' },
    );
    const b = variable([0], { name: 'b' });
    const loss = reduceMean(square(sub(add(matMul(x, w), b), y)));
    summary.scalar('loss', loss);
    return createTrainOp(loss, new AdamOptimizer({ learningRate: 1e-2 }));
  });
}

/** Samples the process at each mark, after a full GC. */
class Sampler implements SessionRunHook {
  step = 0;
  readonly rows: Row[] = [];
  private readonly t0 = performance.now();
  afterRun(): void {
    this.step++;
    if (!MARKS.includes(this.step)) return;
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    this.rows.push({
      step: this.step,
      'tfjs tensors': tfc.memory().numTensors,
      'heap MB': round(m.heapUsed / 2 ** 20, 1),
      'RSS MB': round(m.rss / 2 ** 20, 1),
      's elapsed': round((performance.now() - this.t0) / 1000, 1),
    });
  }
}

const bench: Bench = {
  name: 'soak',
  description: `${STEPS} Adam steps through train() with checkpoint + summary hooks; tensors, heap, RSS must stay flat`,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'graphmode-soak-'));
    const g = new Graph();
    const trainOp = model(g);
    const sampler = new Sampler();
    try {
      const loss = await train(trainOp, dir, {
        hooks: [
          new StopAtStepHook({ numSteps: STEPS }),
          new CheckpointSaverHook(dir, { saveSteps: 500 }),
          sampler,
        ],
        saveCheckpointSecs: null,
        saveSummariesSteps: 100,
      });
      sampler.rows.push({
        step: 'final loss',
        'tfjs tensors': round(loss ?? Number.NaN, 5),
        'heap MB': '',
        'RSS MB': '',
        's elapsed': '',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return sampler.rows;
  },
};
export default bench;
