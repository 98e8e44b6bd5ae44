import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  add,
  constant,
  Graph,
  log,
  losses,
  matMul,
  OutOfRangeError,
  placeholder,
  RuntimeError,
  ValueError,
  variable,
} from '@graphmode/graph';
import {
  createTrainOp,
  GradientDescentOptimizer,
  getOrCreateGlobalStep,
  latestCheckpoint,
  NanLossDuringTrainingError,
  NanTensorHook,
  readEvents,
  Scaffold,
  type SessionRunHook,
  StopAtStepHook,
  setLogger,
  summary,
  train,
} from '@graphmode/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedLoss, halvingModel, RecordingHook } from './fixture.js';

const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-train-'));
const NO_FILES = { saveSummariesSteps: null, saveCheckpointSecs: null } as const;
const logged: string[] = [];
beforeAll(() => setLogger({ info: (m) => logged.push(m), warn: (m) => logged.push(`WARN ${m}`) }));
afterAll(() => setLogger(null));

describe('train()', () => {
  it('runs until StopAtStepHook stops it and resolves to the last loss', async () => {
    const m = halvingModel(10);
    const rec = new RecordingHook('r', [], null, m.x.value());
    const loss = await train(m.trainOp, null, {
      ...NO_FILES,
      hooks: [new StopAtStepHook({ numSteps: 5 }), rec],
    });
    expect(loss).toBe(expectedLoss(10, 5));
    expect(rec.calls.filter((c) => c === 'r.afterRun')).toHaveLength(5);
    expect(rec.final!.item()).toBe(10 / 32);

    const m2 = halvingModel(10);
    expect(await train(m2.trainOp, null, { ...NO_FILES, hooks: [new StopAtStepHook({ lastStep: 3 })] })).toBe(
      expectedLoss(10, 3),
    );
  });

  it('calls hooks in TF order: begin, afterCreateSession, then beforeRun/afterRun per step, end', async () => {
    const m = halvingModel();
    const calls: string[] = [];
    const read = m.globalStep.value();
    const a = new RecordingHook('a', calls, read);
    const b = new RecordingHook('b', calls);
    const chief = new RecordingHook('chief', calls);
    await train(m.trainOp, null, {
      ...NO_FILES,
      hooks: [a, new StopAtStepHook({ numSteps: 2 }), b],
      chiefOnlyHooks: [chief],
    });
    const step = (n: number) => [
      'chief.beforeRun',
      'a.beforeRun',
      'b.beforeRun',
      'chief.afterRun',
      `a.afterRun(${n})`,
      'b.afterRun',
    ];
    expect(calls).toEqual([
      'chief.begin',
      'a.begin',
      'b.begin',
      'chief.afterCreateSession',
      'a.afterCreateSession',
      'b.afterCreateSession',
      // `a` fetched the global step's snapshot: the value before each step's increment.
      ...step(0),
      ...step(1),
      'chief.end',
      'a.end',
      'b.end',
    ]);
  });

  it('NanTensorHook fails the loop with NanLossDuringTrainingError, and end() is not called', async () => {
    // c steps 2.5, 1.5, 0.5, -0.5: the loss log(c) is NaN at the fourth step.
    const build = () => {
      const m = halvingModel();
      return m.g.asDefault(() => {
        const c = variable(3.5, { name: 'c' });
        const loss = log(c.assignSub(1));
        return { m, loss };
      });
    };
    const { loss } = build();
    const rec = new RecordingHook('r');
    const run = train(loss, null, { ...NO_FILES, hooks: [new NanTensorHook(loss), rec] });
    await expect(run).rejects.toThrow(NanLossDuringTrainingError);
    const again = build().loss;
    await expect(train(again, null, { ...NO_FILES, hooks: [new NanTensorHook(again)] })).rejects.toThrow(
      'NaN loss during training.',
    );
    expect(rec.calls.filter((c) => c === 'r.afterRun')).toHaveLength(3); // NanTensorHook threw before `r` saw step 4
    expect(rec.calls).not.toContain('r.end');

    const quiet = build();
    const after = new RecordingHook('after');
    const last = await train(quiet.loss, null, {
      ...NO_FILES,
      hooks: [new NanTensorHook(quiet.loss, { failOnNanLoss: false }), after],
    });
    expect(last).toBeNaN();
    expect(after.calls).toContain('after.end');
    expect(logged).toContain('WARN Model diverged with loss = NaN.');
  });

  it('treats OutOfRangeError as the normal end of input', async () => {
    const m = halvingModel(4);
    const exhausted: SessionRunHook = {
      afterRun(ctx) {
        if (Number(ctx.session.run(m.globalStep).item()) === 3) throw new OutOfRangeError('End of sequence');
      },
    };
    const rec = new RecordingHook('r');
    // The error comes out of step 3's run, so (as in TF) step 2's loss is the last one returned.
    expect(await train(m.trainOp, null, { ...NO_FILES, hooks: [exhausted, rec] })).toBe(expectedLoss(4, 2));
    expect(rec.calls).toContain('r.end');
  });

  it('merges hook feeds into the run and rejects a tensor fed twice', async () => {
    const m = halvingModel();
    const lr = m.g.asDefault(() => placeholder('float32', [], { name: 'lr' }));
    const op = m.g.asDefault(() => {
      const v = variable(0, { name: 'acc' });
      return v.assignAdd(lr);
    });
    const feeder = (value: number): SessionRunHook => ({
      beforeRun: () => ({ fetches: null, feedDict: [[lr, value]] }),
    });
    const stop = () => new StopAtStepHook({ numSteps: 1 });
    // `op` does not touch the global step, so stop via a separate counter.
    let n = 0;
    const three: SessionRunHook = { afterRun: (ctx) => void (++n === 3 && ctx.requestStop()) };
    expect(await train(op, null, { ...NO_FILES, hooks: [feeder(0.25), three] })).toBe(0.75);
    await expect(train(op, null, { ...NO_FILES, hooks: [feeder(1), feeder(2), stop()] })).rejects.toThrow(
      RuntimeError,
    );
    await expect(train(op, null, { ...NO_FILES, hooks: [feeder(1), feeder(2), stop()] })).rejects.toThrow(
      'Same tensor is fed by two hooks.',
    );
  });

  it('finalizes the graph while training and un-finalizes it afterwards, also on error', async () => {
    const m = halvingModel();
    const seen: boolean[] = [];
    const watcher: SessionRunHook = { beforeRun: () => void seen.push(m.g.finalized) };
    await train(m.trainOp, null, { ...NO_FILES, hooks: [new StopAtStepHook({ numSteps: 2 }), watcher] });
    expect(seen).toEqual([true, true]);
    expect(m.g.finalized).toBe(false);
    expect(m.g.asDefault(() => constant(1, { name: 'after' })).op.name).toBe('after');

    // TF's MonitoredSession finalizes the graph, so a hook building an op in beforeRun fails.
    const builder: SessionRunHook = { beforeRun: () => void m.g.asDefault(() => constant(2)) };
    await expect(train(m.trainOp, null, { ...NO_FILES, hooks: [builder] })).rejects.toThrow(
      new RuntimeError('Graph is finalized and cannot be modified.'),
    );
    expect(m.g.finalized).toBe(false);
    expect(m.g.asDefault(() => add(constant(2), 1)).op.type).toBe('AddV2');
  });

  it('leaves a graph finalized before training finalized', async () => {
    const m = halvingModel();
    const scaffold = new Scaffold().finalize(m.g);
    m.g.finalize();
    // StopAtStepHook.begin would build a global step read; this hook builds nothing.
    const once: SessionRunHook = { afterRun: (ctx) => ctx.requestStop() };
    await train(m.trainOp, null, { ...NO_FILES, scaffold, hooks: [once] });
    expect(m.g.finalized).toBe(true);
  });

  it('needs a logdir unless summaries and checkpoints are off', async () => {
    const m = halvingModel();
    await expect(train(m.trainOp, null)).rejects.toThrow(ValueError);
    await expect(train(m.trainOp, null, { saveSummariesSteps: null })).rejects.toThrow(
      'logdir cannot be null when saveCheckpointSecs is 600',
    );
  });

  it('checkpoints into logdir and resumes from its latest checkpoint, adding no ops the second time', async () => {
    const logdir = await tmp();
    const first = halvingModel(10);
    expect(await train(first.trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 4 })] })).toBe(
      expectedLoss(10, 4),
    );
    // Saved when the session started (step 0) and when the loop ended (step 4).
    expect(latestCheckpoint(logdir)).toBe(join(logdir, 'model.ckpt-4'));
    expect((await readdir(logdir)).filter((f) => f.endsWith('.index')).sort()).toEqual([
      'model.ckpt-0.index',
      'model.ckpt-4.index',
    ]);
    expect(logged).toContain(`Saving checkpoints for 4 into ${join(logdir, 'model.ckpt')}.`);

    // A fresh process: same graph rebuilt, restored from step 4 (x = 10/16), three more steps.
    const second = halvingModel(10);
    expect(await train(second.trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 3 })] })).toBe(
      expectedLoss(10, 7),
    );
    expect(latestCheckpoint(logdir)).toBe(join(logdir, 'model.ckpt-7'));

    // Again on the same graph: the scaffold's ops are cached in collections, so no op is added.
    const ops = second.g.numOps;
    expect(await train(second.trainOp, logdir, { hooks: [new StopAtStepHook({ lastStep: 9 })] })).toBe(
      expectedLoss(10, 9),
    );
    expect(second.g.numOps).toBe(ops);
  });

  it('writes merged summaries every saveSummariesSteps steps to the logdir event file', async () => {
    const logdir = await tmp();
    const m = halvingModel(10);
    m.g.asDefault(() => summary.scalar('x_value', m.x.value()));
    await train(m.trainOp, logdir, {
      saveSummariesSteps: 2,
      saveCheckpointSecs: null,
      logStepCountSteps: null,
      hooks: [new StopAtStepHook({ numSteps: 5 })],
    });
    const files = (await readdir(logdir)).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    const events = await readEvents(join(logdir, files[0]!));
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events.filter((e) => e.sessionLog).map((e) => [e.sessionLog!.status, e.step])).toEqual([
      ['START', 1],
    ]);
    const scalars = events
      .filter((e) => e.summary && !(e.summary instanceof Uint8Array))
      .map((e) => [e.step, (e.summary as { value: { tag: string; simpleValue?: number }[] }).value]);
    // Summaries at steps 1, 3, 5 (TF's SecondOrStepTimer); x is read in the same run as its update.
    expect(scalars.map(([s]) => s)).toEqual([1, 3, 5]);
    // The summary reads x's snapshot, taken before that step's update: 10, then 10/4, then 10/16.
    expect(scalars.map(([, v]) => v)).toEqual([
      [{ tag: 'x_value', simpleValue: 10 }],
      [{ tag: 'x_value', simpleValue: 2.5 }],
      [{ tag: 'x_value', simpleValue: 0.625 }],
    ]);
  });
});

describe('train() with createTrainOp', () => {
  it('fits y = 3x + 1 with gradient descent, checkpointing the final step', async () => {
    const logdir = await tmp();
    const g = new Graph();
    const trainOp = g.asDefault(() => {
      const x = constant([[0], [1], [2], [3]]);
      const y = constant([[1], [4], [7], [10]]);
      const w = variable([[0]], { name: 'w' });
      const b = variable([0], { name: 'b' });
      const loss = losses.meanSquaredError(y, add(matMul(x, w), b));
      summary.scalar('loss', loss);
      getOrCreateGlobalStep();
      return createTrainOp(loss, new GradientDescentOptimizer(0.1));
    });
    const first = new RecordingHook('first', [], trainOp);
    const last = await train(trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 300 })] });
    expect(last).toBeLessThan(1e-3);
    expect(latestCheckpoint(logdir)).toBe(join(logdir, 'model.ckpt-300'));
    // Resuming continues from the checkpoint: the first loss is already small.
    await train(trainOp, logdir, { hooks: [new StopAtStepHook({ numSteps: 1 }), first] });
    expect(Number(first.calls.find((c) => c.startsWith('first.afterRun('))!.slice(15, -1))).toBeLessThan(
      1e-3,
    );
  });
});
