// A short run of the main job (examples/mnist_convnet.ts, `npm start`): a few steps on wasm write
// TensorBoard events (scalars, histograms, the graph), checkpoints and the curve (JSON + SVG);
// a second run resumes from the checkpoint, a run at the target step trains nothing, --fresh
// starts over. The 98% figure of the full run is measured by hand (README), not here.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shiftImages } from '../../examples/convnet/augment.js';
import { type MainJobOptions, runMainJob } from '../../examples/mnist_convnet.js';
import { listVariables, loadVariable } from '../../packages/train/src/io/reader.js';
import { decodeRecords } from '../../packages/train/src/io/tfrecord.js';
import { decodeFields } from '../wire.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Summary value tags (Event.summary = 5, Summary.value = 1, Value.tag = 1) and whether a GraphDef (Event.graph_def = 4) was written. */
async function readEvents(logdir: string): Promise<{ tags: Set<string>; graph: boolean; steps: number[] }> {
  const tags = new Set<string>();
  const steps: number[] = [];
  let graph = false;
  for (const f of (await readdir(logdir)).filter((n) => n.startsWith('events.out.tfevents.'))) {
    for (const record of decodeRecords(await readFile(join(logdir, f)))) {
      const event = decodeFields(record);
      if (event.some((e) => e.field === 4 && e.bytes.length > 0)) graph = true;
      for (const summary of event.filter((e) => e.field === 5)) {
        steps.push(event.find((e) => e.field === 2)?.int ?? 0);
        for (const value of decodeFields(summary.bytes).filter((v) => v.field === 1)) {
          const tag = decodeFields(value.bytes).find((v) => v.field === 1);
          if (tag) tags.add(new TextDecoder().decode(tag.bytes));
        }
      }
    }
  }
  return { tags, graph, steps };
}

describe('mnist convnet main job (smoke)', () => {
  it('trains, logs, checkpoints, draws its curve, resumes and starts over', async () => {
    const logdir = await mkdtemp(join(tmpdir(), 'graphmode-mainjob-'));
    dirs.push(logdir);
    const lines: string[] = [];
    const base: MainJobOptions = {
      logdir,
      steps: 20,
      batchSize: 32,
      backend: 'wasm',
      fresh: false,
      evalSize: 200,
      logEvery: 10,
      log: (l) => lines.push(l),
    };

    const first = await runMainJob(base);
    expect(first).toMatchObject({ step: 20, stepsRun: 20, checkpoint: join(logdir, 'model.ckpt-20') });
    expect(first.heldOutAccuracy).toBeGreaterThan(0.2); // chance is 0.1
    expect(lines.some((l) => /^step 20\/20 {2}loss \d+\.\d+ {2}[\d.]+ steps\/s {2}ETA 0 s$/.test(l))).toBe(
      true,
    );
    const files = await readdir(logdir);
    expect(files).toEqual(
      expect.arrayContaining(['checkpoint', 'model.ckpt-20.index', 'curve.json', 'curve.svg']),
    );
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    const events = await readEvents(logdir);
    expect(events.graph).toBe(true);
    expect([...events.tags]).toEqual(
      expect.arrayContaining([
        'loss',
        'batch_accuracy',
        'learning_rate',
        'weights/conv2d/kernel',
        'weights/dense_1/bias',
      ]),
    );
    expect(events.steps).toContain(1);
    const svg = await readFile(first.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('held-out accuracy');
    const curve = JSON.parse(await readFile(join(logdir, 'curve.json'), 'utf8')) as { step: number }[];
    expect(curve.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    // Resuming: the global step continues from the checkpoint, the curve grows.
    const second = await runMainJob({ ...base, steps: 30 });
    expect(second).toMatchObject({ step: 30, stepsRun: 10, checkpoint: join(logdir, 'model.ckpt-30') });
    expect(lines).toContain(`resuming from ${join(logdir, 'model.ckpt-20')}`);
    const grown = JSON.parse(await readFile(join(logdir, 'curve.json'), 'utf8')) as { step: number }[];
    expect(grown.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    // At the target already: nothing trained, the same checkpoint evaluated again.
    const third = await runMainJob({ ...base, steps: 30 });
    expect(third).toMatchObject({ step: 30, stepsRun: 0, heldOutAccuracy: second.heldOutAccuracy });

    // --fresh: starts over from step 0.
    const fresh = await runMainJob({ ...base, steps: 5, fresh: true });
    expect(fresh).toMatchObject({ step: 5, stepsRun: 5, checkpoint: join(logdir, 'model.ckpt-5') });
    expect(await readdir(logdir)).not.toContain('model.ckpt-30.index');
  }, 180_000);

  it("keeps the weights' moving averages with emaDecay and evaluates them, batch norm recalibrated", async () => {
    const logdir = await mkdtemp(join(tmpdir(), 'graphmode-mainjob-ema-'));
    dirs.push(logdir);
    const r = await runMainJob({
      logdir,
      steps: 6,
      batchSize: 32,
      backend: 'wasm',
      fresh: true,
      evalSize: 100,
      logEvery: 10,
      seed: 2,
      model: { emaDecay: 0.9 },
      log: () => {},
    });
    for (const acc of [r.heldOutAccuracy, r.averagedAccuracy, r.recalibratedAccuracy]) {
      expect(acc).toBeGreaterThanOrEqual(0);
      expect(acc).toBeLessThanOrEqual(1);
    }
    const names = (await listVariables(r.checkpoint)).map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['dense/kernel', 'dense/kernel/ExponentialMovingAverage']));
    // Six steps in, the average (decay min(0.9, (1 + n)/(10 + n))) trails the weights.
    const raw = (await loadVariable(r.checkpoint, 'dense/kernel')).data as Float32Array;
    const avg = (await loadVariable(r.checkpoint, 'dense/kernel/ExponentialMovingAverage'))
      .data as Float32Array;
    expect(avg.some((v, i) => Math.abs(v - raw[i]!) > 1e-6)).toBe(true);
  }, 120_000);
});

describe('shiftImages', () => {
  it('moves each image by its drawn (dx, dy), filling with 0', () => {
    const image = Float32Array.from({ length: 784 }, (_, i) => i + 1);
    // Draws 0.99 then 0 with maxShift 2: dx = +2, dy = -2.
    const draws = [0.99, 0];
    const out = shiftImages(image, () => draws.shift()!, 2);
    const at = (x: number, y: number) => out[y * 28 + x];
    expect(at(2, 0)).toBe(image[2 * 28 + 0]); // (x, y) comes from (x - 2, y + 2)
    expect(at(27, 25)).toBe(image[27 * 28 + 25]);
    expect(at(1, 10)).toBe(0); // shifted in from the left
    expect(at(10, 26)).toBe(0); // shifted in from the bottom
    expect(out.filter((v) => v !== 0)).toHaveLength(26 * 26);
  });
});
