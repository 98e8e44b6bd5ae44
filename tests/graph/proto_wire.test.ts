// Our protobuf schemas + protobufjs against bytes Google's protobuf runtime wrote from an
// independently written schema (tests/fixtures/make_fixtures.py; `decode_raw` in the fixture file
// shows each message field by field).
import { readFileSync } from 'node:fs';
import { DataType, decodeMessage, encodeMessage, type MessageName } from '@graphmode/graph/proto';
import { describe, expect, it } from 'vitest';

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/protobuf.json', import.meta.url), 'utf8'),
) as Record<string, { hex: string }>;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const shape = (...dims: number[]) => ({ dim: dims.map((size) => ({ size })) });

const cases: [string, MessageName, object][] = [
  ['event_file_version', 'Event', { wallTime: 1700000000.5, fileVersion: 'brain.Event:2' }],
  // simple_value 0 is written: a oneof member's presence is its value.
  [
    'event_scalar',
    'Event',
    { wallTime: 2.25, step: 300, summary: { value: [{ tag: 'loss', simpleValue: 0 }] } },
  ],
  [
    'event_session_log',
    'Event',
    { wallTime: 3, step: 5, sessionLog: { status: 3, checkpointPath: '/x/model.ckpt' } },
  ],
  [
    'summary_histogram',
    'Summary',
    {
      value: [
        {
          tag: 'h',
          histo: {
            min: -1,
            max: 2,
            num: 3,
            sum: 1.5,
            sumSquares: 5.25,
            bucketLimit: [0, 1, 1e12],
            bucket: [1, 0, 2],
          },
        },
      ],
    },
  ],
  [
    'summary_tensor',
    'Summary',
    {
      value: [
        {
          tag: 't',
          metadata: { pluginData: { pluginName: 'text' } },
          tensor: { dtype: DataType.DT_STRING, tensorShape: shape(2), stringVal: [utf8('a'), utf8('é')] },
        },
      ],
    },
  ],
  [
    'graph_def',
    'GraphDef',
    {
      node: [
        {
          name: 'MatMul',
          op: 'MatMul',
          input: ['a', 'b:1', '^c'],
          attr: {
            transpose_b: { b: true },
            T: { type: DataType.DT_FLOAT },
            transpose_a: { b: false },
            axis: { i: 0 },
            alpha: { f: 1 },
            shape: { shape: { unknownRank: true } },
            ksize: { list: { i: [1, 2, 2, 1] } },
          },
        },
        {
          name: 'c',
          op: 'Const',
          attr: {
            value: { tensor: { dtype: DataType.DT_INT32, tensorShape: shape(3), intVal: [1, -2, 3] } },
            dtype: { type: DataType.DT_INT32 },
          },
        },
      ],
      versions: { producer: 27 },
    },
  ],
  [
    'meta_graph_def',
    'MetaGraphDef',
    {
      metaInfoDef: { tags: ['serve'], tensorflowVersion: '1.15.0' },
      saverDef: {
        filenameTensorName: 'save/Const:0',
        saveTensorName: 'save/control_dependency:0',
        restoreOpName: 'save/restore_all',
        maxToKeep: 5,
        keepCheckpointEveryNHours: 10000,
        version: 2,
      },
      collectionDef: {
        variables: { nodeList: { value: ['w:0', 'b:0'] } },
        train_op: { nodeList: { value: ['train'] } },
      },
    },
  ],
  [
    'bundle_header',
    'BundleHeaderProto',
    { numShards: 1, endianness: 0, version: { producer: 1, minConsumer: 0 } },
  ],
  [
    'bundle_entry',
    'BundleEntryProto',
    { dtype: DataType.DT_INT64, shape: shape(), shardId: 0, offset: 1234, size: 8, crc32c: 0xdeadbeef },
  ],
  ['tensor_slice', 'TensorSliceProto', { extent: [{ start: 0, length: 0 }, { start: 4 }] }],
];

describe('protobuf schemas (TF field numbers) encode as Google’s runtime does', () => {
  it.each(cases)('%s', (name, type, message) => {
    expect(hex(encodeMessage(type, message))).toBe(fixtures[name]!.hex);
  });

  it('decodes the fixtures back (defaults absent, oneof presence kept, int64 as numbers)', () => {
    const entry = decodeMessage('BundleEntryProto', Buffer.from(fixtures.bundle_entry!.hex, 'hex'));
    expect(entry).toEqual({ dtype: 9, shape: {}, offset: 1234, size: 8, crc32c: 0xdeadbeef });
    const slice = decodeMessage('TensorSliceProto', Buffer.from(fixtures.tensor_slice!.hex, 'hex'));
    expect(slice).toEqual({ extent: [{ length: 0 }, { start: 4 }] });
    const g = decodeMessage<{ node: { attr: Record<string, object> }[] }>(
      'GraphDef',
      Buffer.from(fixtures.graph_def!.hex, 'hex'),
    );
    expect(g.node[0]!.attr.transpose_a).toEqual({ b: false });
    expect(g.node[0]!.attr.axis).toEqual({ i: 0 });
    expect(g.node[0]!.attr.alpha).toEqual({ f: 1 });
  });

  it('rejects malformed bytes', () => {
    expect(() => decodeMessage('BundleEntryProto', Uint8Array.of(0x0a, 0x05, 0x01))).toThrow();
  });
});
