// Bad-input rows caught when the graph runs: feeds, fetches, int32 overflow, memory and time
// limits, re-entrant runs, uninitialized and damaged state. Each run is rolled back.
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkNumerics,
  DataLossError,
  DeadlineExceededError,
  defineOp,
  FailedPreconditionError,
  Graph,
  group,
  InvalidArgumentError,
  log,
  matMul,
  NotFoundError,
  OpError,
  OutOfRangeError,
  placeholder,
  ResourceExhaustedError,
  Session,
  sub,
  TypeError,
  ValueError,
  variable,
  zeros,
} from '@graphmode/graph';
import { Saver } from '@graphmode/train';
import * as tf from '@tensorflow/tfjs';
import type { Row } from './table.js';
import { type World, X } from './world.js';

const INT32_MAX = 2 ** 31 - 1;
const feedX = (w: World, value: unknown) => w.sess.run(w.loss, new Map([[w.x, value as never]]));
const feedK = (w: World, value: unknown) => w.sess.run(w.k, new Map([[w.k, value as never]]));
const atMaxStep = (w: World) => w.sess.run(w.step.assign(INT32_MAX));

// A kernel that calls back into the session that runs it (as a hook or custom kernel might).
let reenter: () => unknown = () => null;
const Reenter = defineOp<'x'>({
  type: 'ReenterForTest',
  inputs: ['x'],
  attrs: {},
  stateful: true,
  shape: ({ x }) => x.shape,
  dtype: ({ x }) => x.dtype,
  kernel: ({ x }) => (reenter(), tf.clone(x)),
});

// A chain long enough to outlast a 1 ms deadline.
function slowChain(w: World) {
  let y = w.v.assign([9, 9, 9]);
  const m = zeros([64, 64]);
  let acc = m;
  for (let i = 0; i < 200; i++) acc = matMul(acc, m);
  y = group(y, acc) as never;
  return y;
}

async function damagedCheckpoint(w: World): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'graphmode-reliab-'));
  const prefix = join(dir, 'model.ckpt-1');
  await writeFile(`${prefix}.index`, Buffer.from('not a tensor bundle index at all'));
  await writeFile(`${prefix}.data-00000-of-00001`, Buffer.alloc(16));
  await new Saver({ varList: [w.v] }).restore(w.sess, prefix);
}

async function truncatedCheckpoint(w: World): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'graphmode-reliab-'));
  const saver = new Saver({ varList: [w.v] });
  const prefix = await saver.save(w.sess, join(dir, 'model.ckpt'));
  await truncate(`${prefix}.data-00000-of-00001`, 4);
  await saver.restore(w.sess, prefix);
}

const tmpPrefix = async () =>
  join(await mkdtemp(join(tmpdir(), 'graphmode-reliab-')), 'missing', 'model.ckpt');

export const runRows: Row[] = [
  [
    'feed undefined',
    TypeError,
    /Cannot feed value for Tensor 'x:0' of dtype float32: Cannot convert undefined/,
    (w) => feedX(w, undefined),
  ],
  ['feed {}', TypeError, /Cannot feed value for Tensor 'x:0'.*an object \(Object\)/, (w) => feedX(w, {})],
  ['feed null', TypeError, /Cannot feed value for Tensor 'x:0'.*Cannot convert null/, (w) => feedX(w, null)],
  [
    'feed a nested object',
    TypeError,
    /Cannot feed value for Tensor 'x:0'.*Mixed element types/,
    (w) => feedX(w, [[1, 2, {}]]),
  ],
  [
    'feed a Promise',
    TypeError,
    /Cannot feed value for Tensor 'x:0'.*Promise/,
    (w) => feedX(w, Promise.resolve(X)),
  ],
  [
    'feed a string to float32',
    TypeError,
    /Cannot feed value for Tensor 'x:0'.*string values to dtype float32/,
    (w) => feedX(w, [['a', 'b', 'c']]),
  ],
  [
    'feed the wrong shape',
    ValueError,
    /Cannot feed value of shape \[1,2\] for Tensor 'x:0', which has shape \[\?,3\]/,
    (w) => feedX(w, [[1, 2]]),
  ],
  [
    'feed 3e9 to int32',
    ValueError,
    /Cannot feed value for Tensor 'k:0' of dtype int32: Value 3000000000 is out of range/,
    (w) => feedK(w, 3e9),
  ],
  [
    'feed 1.5 to int32',
    TypeError,
    /Cannot feed value for Tensor 'k:0'.*not an integer/,
    (w) => feedK(w, 1.5),
  ],
  [
    'feed a tensor of another graph',
    ValueError,
    /Cannot feed Tensor 'p:0': it is not an element of this graph/,
    (w) =>
      w.sess.run(
        w.loss,
        new Map([[new Graph().asDefault(() => placeholder('float32', [], { name: 'p' })), 1]]),
      ),
  ],
  ['feed a missing tensor name', NotFoundError, /nope/, (w) => w.sess.run(w.loss, { 'nope:0': 1 })],
  [
    'unfed placeholder',
    InvalidArgumentError,
    /You must feed a value for placeholder tensor 'x' with dtype float32 and shape \[\?,3\]/,
    (w) => w.sess.run(w.loss),
  ],
  [
    'fetch a Promise',
    TypeError,
    /Fetch argument .* has invalid type Promise/,
    (w) => w.sess.run(Promise.resolve(w.loss) as never),
  ],
  ['fetch a Map', TypeError, /has invalid type Map/, (w) => w.sess.run(new Map([['a', w.loss]]) as never)],
  ['fetch a number', TypeError, /Fetch argument 42 has invalid type number/, (w) => w.sess.run(42 as never)],
  [
    'fetch a tensor of another graph',
    ValueError,
    /is not an element of this graph/,
    (w) => w.sess.run(new Graph().asDefault(() => zeros([1]))),
  ],
  ['fetch a missing name', NotFoundError, /nope/, (w) => w.sess.run('nope:0')],
  [
    'Session.run option timeout (TF1 name)',
    TypeError,
    /Session.run: unknown option 'timeout'; accepted options: runMetadata, timeoutInMs/,
    (w) => w.sess.run(w.v, undefined, { timeout: 5 } as never),
  ],
  [
    'Session option backnd',
    TypeError,
    /Session: unknown option 'backnd'/,
    (w) => new Session(w.g, { backnd: 'cpu' } as never),
  ],
  [
    'global step at 2^31-1 + 1',
    OutOfRangeError,
    /AssignAdd: int32 overflow: 2147483647 \+ 1/,
    (w) => w.sess.run(w.step.assignAdd(1)),
    atMaxStep,
  ],
  [
    'train step with the global step at 2^31-1',
    OutOfRangeError,
    /int32 overflow/,
    (w) => w.sess.run(w.trainOp, new Map([[w.x, X]])),
    atMaxStep,
  ],
  [
    'int32 assignSub below -2^31',
    OutOfRangeError,
    /AssignSub: int32 overflow/,
    (w) => w.sess.run(w.step.assignSub(2)),
    (w) => w.sess.run(w.step.assign(-INT32_MAX)),
  ],
  [
    'allocation above the memory limit',
    ResourceExhaustedError,
    /OOM when allocating tensor with shape float32\[1000,1000\] \(4000000 bytes\) for op 'zeros'/,
    (w) => new Session(w.g, { memoryLimitBytes: 1e6 }).run(zeros([1000, 1000])),
  ],
  [
    'allocation above the machine',
    ResourceExhaustedError,
    /OOM when allocating tensor with shape float32\[1000000,1000000\]/,
    (w) => w.sess.run(group(w.v.assign([7, 7, 7]), zeros([1e6, 1e6]))),
  ],
  [
    'run past timeoutInMs',
    DeadlineExceededError,
    /Timed out: the run took longer than RunOptions.timeoutInMs = 1 ms/,
    (w) => w.sess.run(slowChain(w), undefined, { timeoutInMs: 1 }),
  ],
  [
    're-entrant run from a kernel',
    FailedPreconditionError,
    /re-entrant run/,
    (w) => {
      reenter = () => w.sess.run(w.v);
      try {
        return w.sess.run(group(w.v.assign([5, 5, 5]), Reenter.apply({ x: w.v.assign([6, 6, 6]) }, {})));
      } finally {
        reenter = () => null;
      }
    },
  ],
  [
    'NaN through checkNumerics',
    InvalidArgumentError,
    /bad loss/,
    (w) => w.sess.run(group(w.v.assign([0, 0, 0]), checkNumerics(log(sub(w.v, 5)), 'bad loss'))),
  ],
  ['uninitialized variable', FailedPreconditionError, /u/, (w) => w.sess.run(variable(1, { name: 'u' }))],
  [
    'run after close',
    OpError,
    /closed Session/,
    (w) => {
      const s = new Session(w.g);
      s.close();
      return s.run(w.v);
    },
  ],
  ['restore a damaged checkpoint', DataLossError, /model.ckpt-1.index/, damagedCheckpoint],
  ['restore a truncated data file', DataLossError, /data-00000-of-00001/, truncatedCheckpoint],
  [
    'restore a missing checkpoint',
    ValueError,
    /not a valid checkpoint/,
    async (w) => new Saver({ varList: [w.v] }).restore(w.sess, await tmpPrefix()),
  ],
  [
    'save into a missing directory',
    ValueError,
    /Parent directory of .* doesn't exist/,
    async (w) => new Saver({ varList: [w.v] }).save(w.sess, await tmpPrefix()),
  ],
  [
    'save with global_step (TF1 name)',
    TypeError,
    /Saver.save: unknown option 'global_step'/,
    async (w) => new Saver({ varList: [w.v] }).save(w.sess, await tmpPrefix(), { global_step: 1 } as never),
  ],
];
