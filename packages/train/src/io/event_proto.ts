// The messages of TensorBoard event files (TF's event.proto and summary.proto) as the plain
// objects FileWriter and the summary ops use, mapped to and from the protobuf schema in
// @graphmode/graph/proto. Differences from the wire messages: enums by name, tensors as
// NDArrays, histograms and images with every field present.
import type { NDArray } from '@graphmode/graph';
import {
  DATA_TYPE_OF,
  decodeMessage,
  type EventMsg,
  encodeMessage,
  type SummaryMsg,
  type SummaryValueMsg,
  type TensorMsg,
  tensorFromMsg,
} from '@graphmode/graph/proto';
import { varint } from './table.js';

export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edges of the buckets; the last is usually a large sentinel. */
  bucketLimit: number[];
  bucket: number[];
}
export interface SummaryMetadataProto {
  pluginData?: { pluginName: string; content?: Uint8Array };
  displayName?: string;
  summaryDescription?: string;
}
export interface ImageProto {
  height: number;
  width: number;
  colorspace: number;
  encodedImageString: Uint8Array;
}
/** One Summary.Value; at most one of simpleValue / histo / image / tensor is set. */
export interface SummaryValueProto {
  tag: string;
  nodeName?: string;
  metadata?: SummaryMetadataProto;
  simpleValue?: number;
  histo?: HistogramProto;
  image?: ImageProto;
  tensor?: NDArray;
}
export interface SummaryProto {
  value: SummaryValueProto[];
}
export type SessionStatus = 'STATUS_UNSPECIFIED' | 'START' | 'STOP' | 'CHECKPOINT';
export interface SessionLogProto {
  status: SessionStatus;
  checkpointPath?: string;
  msg?: string;
}
export interface EventProto {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  /** A serialized GraphDef. */
  graphDef?: Uint8Array;
  /** A Summary, either as an object or already serialized (bytes are embedded as they are). */
  summary?: SummaryProto | Uint8Array;
  logMessage?: { level: number; message: string };
  sessionLog?: SessionLogProto;
  metaGraphDef?: Uint8Array;
}

const SESSION_STATUS: readonly SessionStatus[] = ['STATUS_UNSPECIFIED', 'START', 'STOP', 'CHECKPOINT'];
const utf8 = new TextEncoder();

export function encodeEvent(e: EventProto): Uint8Array {
  const { summary, sessionLog, ...rest } = e;
  const msg: EventMsg = rest;
  if (sessionLog) msg.sessionLog = { ...sessionLog, status: SESSION_STATUS.indexOf(sessionLog.status) };
  if (summary instanceof Uint8Array) {
    // Already serialized: splice the bytes in as field 5 (a length-delimited Summary).
    const head = encodeMessage('Event', msg);
    return Buffer.concat([head, Uint8Array.of(0x2a), varint(summary.length), summary]);
  }
  if (summary) msg.summary = summaryMsg(summary);
  return encodeMessage('Event', msg);
}

export function encodeSummary(s: SummaryProto): Uint8Array {
  return encodeMessage('Summary', summaryMsg(s));
}

function summaryMsg(s: SummaryProto): SummaryMsg {
  return {
    value: s.value.map(({ tensor, ...v }) => (tensor ? { ...v, tensor: tensorMsg(tensor) } : v)),
  };
}

// Summary tensors as TF's summary ops write them: typed value lists, not tensor_content.
function tensorMsg(t: NDArray): TensorMsg {
  const msg: TensorMsg = {
    dtype: DATA_TYPE_OF[t.dtype],
    tensorShape: { dim: t.shape.map((size) => ({ size })) },
  };
  if (t.dtype === 'string') msg.stringVal = (t.data as string[]).map((x) => utf8.encode(x));
  else if (t.dtype === 'float32') msg.floatVal = t.data as Float32Array;
  else if (t.dtype === 'int32') msg.intVal = t.data as Int32Array;
  else msg.boolVal = Array.from(t.data as Uint8Array, Boolean);
  return msg;
}

export function decodeEvent(bytes: Uint8Array): EventProto {
  const { summary, sessionLog, logMessage, ...rest } = decodeMessage<EventMsg>('Event', bytes);
  // Absent scalars read as their defaults (proto3).
  const e: EventProto = { wallTime: 0, step: 0, ...rest };
  if (summary) e.summary = fromSummaryMsg(summary);
  if (logMessage) e.logMessage = { level: logMessage.level ?? 0, message: logMessage.message ?? '' };
  if (sessionLog) {
    const { status, ...log } = sessionLog;
    e.sessionLog = { status: SESSION_STATUS[status ?? 0] ?? 'STATUS_UNSPECIFIED', ...log };
  }
  return e;
}

export function decodeSummary(bytes: Uint8Array): SummaryProto {
  return fromSummaryMsg(decodeMessage<SummaryMsg>('Summary', bytes));
}

function fromSummaryMsg(s: SummaryMsg): SummaryProto {
  return { value: (s.value ?? []).map(fromValueMsg) };
}

function fromValueMsg(m: SummaryValueMsg): SummaryValueProto {
  const { tag, histo, image, tensor, metadata, ...rest } = m;
  const v: SummaryValueProto = { tag: tag ?? '', ...rest };
  if (histo) {
    v.histo = {
      min: histo.min ?? 0,
      max: histo.max ?? 0,
      num: histo.num ?? 0,
      sum: histo.sum ?? 0,
      sumSquares: histo.sumSquares ?? 0,
      bucketLimit: Array.from(histo.bucketLimit ?? []),
      bucket: Array.from(histo.bucket ?? []),
    };
  }
  if (image) {
    v.image = {
      height: image.height ?? 0,
      width: image.width ?? 0,
      colorspace: image.colorspace ?? 0,
      encodedImageString: image.encodedImageString ?? new Uint8Array(0),
    };
  }
  if (metadata) {
    const { pluginData, ...md } = metadata;
    v.metadata = pluginData
      ? { ...md, pluginData: { ...pluginData, pluginName: pluginData.pluginName ?? '' } }
      : md;
  }
  if (tensor) v.tensor = tensorFromMsg(tensor, `summary value '${v.tag}'`);
  return v;
}

/** Bytes carried in a string tensor element, one char per byte ('binary'/latin1), and back. */
export const bytesToLatin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
export const latin1ToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
