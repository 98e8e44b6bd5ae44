import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constant, Graph, NDArray, placeholder, Session, ValueError } from '@graphmode/graph';
import { decodeMessage } from '@graphmode/graph/proto';
import { FileWriter, readEvents } from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import {
  bytesToLatin1,
  decodeEvent,
  decodeSummary,
  encodeEvent,
  encodeSummary,
} from '../../../packages/train/src/io/event_proto.js';
import { decodeRecords } from '../../../packages/train/src/io/tfrecord.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const tmp = () => mkdtemp(join(tmpdir(), 'graphmode-events-'));

describe('Event / Summary protobuf encoding', () => {
  it('encodes the file-version event byte for byte', () => {
    // field 1 (wall_time, fixed64) = 1.5; field 3 (file_version, bytes) = 'brain.Event:2'
    const bytes = encodeEvent({ wallTime: 1.5, fileVersion: 'brain.Event:2' });
    expect(hex(bytes)).toBe(`09000000000000f83f1a0d${ascii('brain.Event:2')}`);
  });

  it('encodes a scalar summary at a step byte for byte', () => {
    // Value{tag=1:'loss', simple_value=2:0.5f}; Event{step=2:300 (varint ac 02), summary=5}
    const summary = encodeSummary({ value: [{ tag: 'loss', simpleValue: 0.5 }] });
    expect(hex(summary)).toBe(`0a0b0a04${ascii('loss')}150000003f`);
    const event = encodeEvent({
      wallTime: 0,
      step: 300,
      summary: { value: [{ tag: 'loss', simpleValue: 0.5 }] },
    });
    expect(hex(event)).toBe(`10ac022a0d${hex(summary)}`);
  });

  it('writes a zero simple_value (a oneof member is always present)', () => {
    expect(hex(encodeSummary({ value: [{ tag: 'z', simpleValue: 0 }] }))).toBe(`0a080a017a1500000000`);
  });

  it('round-trips histograms, session logs, tensors and metadata', () => {
    const histo = {
      min: -1,
      max: 2,
      num: 3,
      sum: 1.5,
      sumSquares: 5.25,
      bucketLimit: [0, 1, 1e12],
      bucket: [1, 1, 1],
    };
    const event = {
      wallTime: 1700000000.25,
      step: 7,
      summary: {
        value: [
          { tag: 'h', histo },
          {
            tag: 't',
            tensor: new NDArray('string', [2], ['a', 'é']),
            metadata: { pluginData: { pluginName: 'text' } },
          },
          { tag: 'i', tensor: new NDArray('int32', [2], Int32Array.from([-3, 4])) },
        ],
      },
    };
    const back = decodeEvent(encodeEvent(event));
    expect(back.wallTime).toBe(event.wallTime);
    expect(back.step).toBe(7);
    const values = (back.summary as { value: unknown[] }).value;
    expect(values[0]).toEqual({ tag: 'h', histo });
    expect(values[1]).toMatchObject({ tag: 't', metadata: { pluginData: { pluginName: 'text' } } });
    expect(values[1]).toHaveProperty('tensor.data', ['a', 'é']);
    expect(values[2]).toHaveProperty('tensor.data', Int32Array.from([-3, 4]));
    const log = decodeEvent(
      encodeEvent({
        wallTime: 1,
        step: 5,
        sessionLog: { status: 'CHECKPOINT', checkpointPath: '/x/model.ckpt' },
      }),
    );
    expect(log.sessionLog).toEqual({ status: 'CHECKPOINT', checkpointPath: '/x/model.ckpt' });
  });
});

describe('FileWriter', () => {
  it('writes a TFRecord event file named events.out.tfevents.<secs>.<host>', async () => {
    const dir = await tmp();
    const before = Math.floor(Date.now() / 1000);
    const writer = new FileWriter(join(dir, 'logs'));
    writer.addSummary({ value: [{ tag: 'loss', simpleValue: 0.25 }] }, 1);
    writer.addSummary(encodeSummary({ value: [{ tag: 'acc', simpleValue: 0.75 }] }), 2);
    await writer.close();
    const files = await readdir(join(dir, 'logs'));
    expect(files).toHaveLength(1);
    const m = /^events\.out\.tfevents\.(\d{10})\.(.+)$/.exec(files[0]!);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(before);
    const bytes = new Uint8Array(await readFile(writer.path));
    const events = decodeRecords(bytes).map(decodeEvent);
    expect(events.map((e) => e.fileVersion ?? null)).toEqual(['brain.Event:2', null, null]);
    expect(events[0]!.wallTime).toBeGreaterThanOrEqual(before);
    expect(events.slice(1).map((e) => [e.step, e.summary])).toEqual([
      [1, { value: [{ tag: 'loss', simpleValue: 0.25 }] }],
      [2, { value: [{ tag: 'acc', simpleValue: 0.75 }] }],
    ]);
    expect(() => writer.addSummary({ value: [] }, 3)).toThrow(ValueError);
  });

  it('accepts summaries fetched as latin1 string tensors, bytes ≥ 0x80 included', async () => {
    const dir = await tmp();
    const g = new Graph();
    // -3.1f is c0 46 66 66: a byte above 0x7f, so the latin1 convention is exercised.
    const a = bytesToLatin1(encodeSummary({ value: [{ tag: 'a', simpleValue: -3.1 }] }));
    const b = bytesToLatin1(encodeSummary({ value: [{ tag: 'b', simpleValue: 0.7 }] }));
    expect([...a].some((c) => c.charCodeAt(0) >= 0x80)).toBe(true);
    const [one, two] = g.asDefault(() => [constant(a, { dtype: 'string' }), placeholder('string', [2])]);
    const sess = new Session(g);
    const writer = new FileWriter(dir);
    writer.addSummary(sess.run(one!), 10);
    writer.addSummary(sess.run(two!, [[two!, [a, b]]]), 11);
    writer.addSummary(a, 12);
    await writer.flush();
    const events = (await readEvents(writer.path)).slice(1);
    const f32 = (x: number) => Math.fround(x);
    expect(events.map((e) => [e.step, e.summary])).toEqual([
      [10, { value: [{ tag: 'a', simpleValue: f32(-3.1) }] }],
      [
        11,
        {
          value: [
            { tag: 'a', simpleValue: f32(-3.1) },
            { tag: 'b', simpleValue: f32(0.7) },
          ],
        },
      ],
      [12, { value: [{ tag: 'a', simpleValue: f32(-3.1) }] }],
    ]);
    expect(() => writer.addSummary(new NDArray('float32', [1], Float32Array.of(1)), 1)).toThrow(
      /string tensor/,
    );
    await writer.close();
    sess.close();
  });

  it('writes the graph as a GraphDef with nodes, inputs and control inputs', async () => {
    const dir = await tmp();
    const g = new Graph();
    g.asDefault(() => {
      const x = placeholder('float32', [null, 3], { name: 'x' });
      const c = constant(2, { name: 'c' });
      g.controlDependencies([c], () => constant(1, { name: 'after' }));
      return [x, c];
    });
    const writer = new FileWriter(dir, g);
    await writer.close();
    const events = await readEvents(writer.path);
    expect(events).toHaveLength(2);
    const def = decodeMessage<{ node: { name: string; op: string; input?: string[] }[] }>(
      'GraphDef',
      events[1]!.graphDef!,
    );
    const nodes = def.node.map((n) => ({ name: n.name, op: n.op, inputs: n.input ?? [] }));
    expect(nodes).toEqual([
      { name: 'x', op: 'Placeholder', inputs: [] },
      { name: 'c', op: 'Const', inputs: [] },
      { name: 'after', op: 'Const', inputs: ['^c'] },
    ]);
  });

  it('writes in the background once maxQueue events are pending', async () => {
    const dir = await tmp();
    const writer = new FileWriter(dir, undefined, { maxQueue: 3 });
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 1 }] }, 1);
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 2 }] }, 2); // third event: queue is full
    await new Promise((r) => setTimeout(r, 100));
    expect((await stat(writer.path)).size).toBeGreaterThan(0);
    expect((await readEvents(writer.path)).length).toBe(3);
    await writer.close();
  });

  it('summaries written as protobuf text decode with the generic field reader too', () => {
    const s = decodeSummary(encodeSummary({ value: [{ tag: 'n', nodeName: 'node', simpleValue: 1 }] }));
    expect(s).toEqual({ value: [{ tag: 'n', nodeName: 'node', simpleValue: 1 }] });
  });

  it('keeps a batch that failed to write and restarts a removed file with its header', async () => {
    const dir = join(await tmp(), 'logs');
    const writer = new FileWriter(dir);
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 1 }] }, 1);
    await writer.flush();
    await rm(dir, { recursive: true });
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 2 }] }, 2);
    await expect(writer.flush()).rejects.toThrow(/ENOENT/); // reported, not dropped
    await mkdir(dir);
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 3 }] }, 3);
    await writer.close();
    const events = await readEvents(writer.path);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events.slice(1).map((e) => e.step)).toEqual([2, 3]);
  });
});
