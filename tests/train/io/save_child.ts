// Child process for the crash-safety tests: saves one checkpoint of a float vector filled with
// `value` (global step `step`, or none when step is '-'), and may be SIGKILLed mid-save through
// GRAPHMODE_CKPT_FAULT. Usage: save_child.ts <dir> <step|-> <value>
import { join } from 'node:path';
import { Graph, globalVariablesInitializer, Session, variable } from '@graphmode/graph';
import { getCheckpointState, Saver } from '@graphmode/train';

const [dir, step, value] = process.argv.slice(2) as [string, string, string];
const g = new Graph();
const w = g.asDefault(() => variable(new Float32Array(4096).fill(Number(value)), { name: 'w' }));
const saver = g.asDefault(() => new Saver({ varList: [w], maxToKeep: 1 }));
// As the training loop does, so maxToKeep deletes the previous run's checkpoint.
saver.recoverLastCheckpoints(getCheckpointState(dir)?.allModelCheckpointPaths ?? []);
const sess = new Session(g);
sess.run(g.asDefault(() => globalVariablesInitializer()));
const path = await saver.save(
  sess,
  join(dir, 'model.ckpt'),
  step === '-' ? {} : { globalStep: Number(step) },
);
process.stdout.write(path);
