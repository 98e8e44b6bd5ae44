import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, mul, placeholder, RuntimeError, ValueError, variable } from '@graphmode/graph';
import {
  CheckpointSaverHook,
  FileWriter,
  getCheckpointState,
  LoggingTensorHook,
  MonitoredSession,
  readEvents,
  Saver,
  SecondOrStepTimer,
  SessionRunArgs,
  StepCounterHook,
  StopAtStepHook,
  SummarySaverHook,
  setLogger,
  summary,
  train,
} from '@graphmode/train';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { halvingModel } from './fixture.js';

const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-hooks-'));
const NO_FILES = { saveSummariesSteps: null, saveCheckpointSecs: null } as const;
let logged: string[] = [];
beforeEach(() => {
  logged = [];
  setLogger({ info: (m) => logged.push(m), warn: (m) => logged.push(`WARN ${m}`) });
});
afterEach(() => setLogger(null));

describe('SecondOrStepTimer', () => {
  it('triggers first, then every N steps, never twice at one step', () => {
    const t = new SecondOrStepTimer(null, 3);
    expect(t.shouldTriggerForStep(5)).toBe(true);
    expect(t.updateLastTriggeredStep(5)).toEqual([null, null]);
    expect([5, 6, 7, 8, 9].map((s) => t.shouldTriggerForStep(s))).toEqual([false, false, false, true, true]);
    const [secs, steps] = t.updateLastTriggeredStep(8);
    expect(steps).toBe(3);
    expect(secs).toBeGreaterThanOrEqual(0);
    expect(() => new SecondOrStepTimer(null, null)).toThrow(ValueError);
    expect(() => new SecondOrStepTimer(1, 1)).toThrow(ValueError);
  });
});

describe('hook construction', () => {
  it('validates options as TF does', () => {
    expect(() => new StopAtStepHook({})).toThrow('One of numSteps or lastStep must be specified.');
    expect(() => new StopAtStepHook({ numSteps: 1, lastStep: 2 })).toThrow('Only one of');
    const m = halvingModel();
    expect(() => new LoggingTensorHook([m.trainOp])).toThrow(/exactly one of everyNIter and everyNSecs/);
    expect(() => new LoggingTensorHook([m.trainOp], { everyNIter: 0 })).toThrow('invalid everyNIter=0.');
    const saver = m.g.asDefault(() => new Saver());
    expect(
      () => new CheckpointSaverHook('/tmp/x', { saveSteps: 1, saver, scaffold: { saver, summaryOp: null } }),
    ).toThrow('You cannot provide both saver and scaffold.');
    expect(() => new CheckpointSaverHook('/tmp/x', {})).toThrow(ValueError);
    expect(() => new SummarySaverHook({ saveSteps: 1 })).toThrow(
      'Exactly one of scaffold or summaryOp must be provided.',
    );
  });

  it('hooks that read the global step need one', async () => {
    const g = new Graph();
    const op = g.asDefault(() => variable(1, { name: 'v' }).assignAdd(1));
    await expect(
      train(op, null, { ...NO_FILES, hooks: [new StopAtStepHook({ numSteps: 1 })] }),
    ).rejects.toThrow(new RuntimeError('Global step should be created to use StopAtStepHook.'));
  });
});

describe('LoggingTensorHook', () => {
  it('logs the tensors every N iterations and at the end', async () => {
    const m = halvingModel(8);
    const hook = new LoggingTensorHook(
      { loss: m.trainOp, step: 'global_step/read' },
      { everyNIter: 2, atEnd: true },
    );
    await train(m.trainOp, null, { ...NO_FILES, hooks: [new StopAtStepHook({ numSteps: 5 }), hook] });
    // Iterations 0, 2, 4 (losses 16, 1, 1/16 with the step read before the update), then at the
    // end, where fetching the train op runs it once more (as in TF): x = 8/64 after step 6.
    const lines = logged.map((l) => l.replace(/ \(\d+\.\d{3} sec\)$/, ''));
    expect(lines).toEqual([
      'loss = 16, step = 0',
      'loss = 1, step = 2',
      'loss = 0.0625, step = 4',
      'loss = 0.015625, step = 5',
    ]);
    expect(logged[1]).toMatch(/ \(\d+\.\d{3} sec\)$/);
  });

  it('tags a list of tensors by name and accepts a formatter', async () => {
    const m = halvingModel(2);
    const hook = new LoggingTensorHook([m.trainOp], {
      everyNIter: 1,
      formatter: (v) => `got ${Object.keys(v)}`,
    });
    await train(m.trainOp, null, { ...NO_FILES, hooks: [new StopAtStepHook({ numSteps: 1 }), hook] });
    expect(logged).toEqual(['got train_op:0']);
  });
});

describe('StepCounterHook', () => {
  it('writes global_step/sec summaries every N steps, and warns when the step does not move', async () => {
    const dir = await tmp();
    const m = halvingModel();
    const writer = new FileWriter(dir);
    await train(m.trainOp, null, {
      ...NO_FILES,
      hooks: [
        new StopAtStepHook({ numSteps: 6 }),
        new StepCounterHook({ everyNSteps: 2, summaryWriter: writer }),
      ],
    });
    await writer.close();
    const rates = (await readEvents(writer.path)).filter((e) => e.summary);
    // First trigger (step 1) only starts the clock; then steps 3 and 5.
    expect(rates.map((e) => e.step)).toEqual([3, 5]);
    for (const e of rates) {
      const v = (e.summary as { value: { tag: string; simpleValue: number }[] }).value[0]!;
      expect(v.tag).toBe('global_step/sec');
      expect(v.simpleValue).toBeGreaterThan(0);
    }
    expect(logged.filter((l) => l.startsWith('global_step/sec: '))).toHaveLength(2);

    const frozen = halvingModel();
    const noInc = frozen.g.asDefault(() => frozen.x.assign(frozen.x.value()));
    let n = 0;
    await train(noInc, null, {
      ...NO_FILES,
      hooks: [
        new StepCounterHook({ everyNSteps: 100 }),
        { afterRun: (ctx) => void (++n === 8 && ctx.requestStop()) },
      ],
    });
    expect(logged.filter((l) => l.startsWith('WARN It seems that global step'))).toHaveLength(5);
  });
});

describe('CheckpointSaverHook and SummarySaverHook', () => {
  it('save every N steps with their own saver and summary op', async () => {
    const dir = await tmp();
    const m = halvingModel();
    const saver = m.g.asDefault(() => new Saver({ maxToKeep: 10 }));
    const op = m.g.asDefault(() => summary.scalar('x_now', m.x.value()));
    const hooks = [
      new StopAtStepHook({ numSteps: 7 }),
      new CheckpointSaverHook(dir, { saveSteps: 3, saver, checkpointBasename: 'halving' }),
      new SummarySaverHook({ saveSteps: 3, outputDir: dir, summaryOp: op }),
    ];
    await train(m.trainOp, null, { ...NO_FILES, hooks });
    // At session start (0), every 3 steps (3, 6), and at the end (7).
    expect(getCheckpointState(dir)?.allModelCheckpointPaths).toEqual(
      [0, 3, 6, 7].map((s) => join(dir, `halving-${s}`)),
    );
    const file = (await readdir(dir)).find((f) => f.startsWith('events.out.tfevents.'))!;
    const events = await readEvents(join(dir, file));
    expect(events.filter((e) => e.graphDef).length).toBe(1);
    expect(events.filter((e) => e.sessionLog?.status === 'CHECKPOINT').map((e) => e.step)).toEqual([
      0, 3, 6, 7,
    ]);
    expect(events.filter((e) => e.summary).map((e) => e.step)).toEqual([1, 4, 7]);
  });

  it('a MonitoredSession restores, runs hooks on every run and stops running once stop is requested', async () => {
    const dir = await tmp();
    const m = halvingModel(3);
    await train(m.trainOp, dir, { saveSummariesSteps: null, hooks: [new StopAtStepHook({ numSteps: 2 })] });
    const again = halvingModel(3);
    const sess = await MonitoredSession.create({
      graph: again.g,
      checkpointDir: dir,
      hooks: [new StopAtStepHook({ lastStep: 3 })],
    });
    expect(sess.session.run(again.x).item()).toBe(0.75);
    // The global step's snapshot in the same run is taken before the increment.
    expect((await sess.run([again.trainOp, again.globalStep])).map((a) => a.item())).toEqual([0.375 ** 2, 2]);
    expect(sess.session.run(again.globalStep).item()).toBe(3);
    expect(sess.shouldStop()).toBe(true);
    await expect(sess.run(again.trainOp)).rejects.toThrow('Run called even after should_stop requested.');
    await sess.close();
  });
});

describe('MonitoredSession feeds', () => {
  it('resolve names in every feed-dict form, so a name and its Tensor clash', async () => {
    const g = new Graph();
    const { p, y } = g.asDefault(() => {
      const p = placeholder('float32', [], { name: 'p' });
      return { p, y: mul(p, 2) };
    });
    const sess = await MonitoredSession.create({ graph: g });
    expect((await sess.run(y, { p: 3 })).item()).toBe(6);
    expect((await sess.run(y, [['p:0', 4]])).item()).toBe(8);
    expect((await sess.run(y, new Map([['p', 5]]))).item()).toBe(10);
    await sess.close();
    const hooked = await MonitoredSession.create({
      graph: g,
      hooks: [{ beforeRun: () => new SessionRunArgs(null, [[p, 1]]) }],
    });
    await expect(hooked.run(y, { p: 3 })).rejects.toThrow(
      new RuntimeError('Same tensor is fed by a SessionRunHook and user. Conflict(s): p:0'),
    );
    await hooked.close();
  });
});
