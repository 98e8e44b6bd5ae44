// The messages of TensorBoard event files (tensorflow/core/util/event.proto and
// framework/summary.proto) as plain objects, with their encoders and decoders. Field numbers:
//   Event      wall_time=1 (double) step=2 (int64) file_version=3 graph_def=4 summary=5
//              log_message=6 session_log=7 meta_graph_def=9
//   Summary    value=1 (repeated Value)
//   Value      tag=1 simple_value=2 (float) image=4 histo=5 node_name=7 tensor=8 metadata=9
//   Histogram  min=1 max=2 num=3 sum=4 sum_squares=5 bucket_limit=6 bucket=7 (packed doubles)
//   SessionLog status=1 checkpoint_path=2 msg=3
import { type DType, NDArray, UnimplementedError } from '@graphmode/graph';
import {
  decodeFields,
  fieldDouble,
  fieldDoubles,
  fieldFloat,
  fieldFloats,
  fieldInts,
  fieldString,
  ProtoWriter,
} from './proto.js';

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

/** TF's DataType enum values for our dtypes. */
export const DATA_TYPE: Readonly<Record<DType, number>> = { float32: 1, int32: 3, string: 7, bool: 10 };
const DTYPE_OF = new Map<number, DType>(Object.entries(DATA_TYPE).map(([d, n]) => [n, d as DType]));

export function encodeEvent(e: EventProto): Uint8Array {
  const w = new ProtoWriter().double(1, e.wallTime).varint(2, e.step ?? 0);
  if (e.fileVersion !== undefined) w.bytes(3, e.fileVersion, true);
  if (e.graphDef !== undefined) w.bytes(4, e.graphDef, true);
  if (e.summary !== undefined) {
    const s = e.summary;
    if (s instanceof Uint8Array) w.bytes(5, s, true);
    else w.message(5, (m) => writeSummary(m, s));
  }
  if (e.logMessage !== undefined) {
    const l = e.logMessage;
    w.message(6, (m) => m.varint(1, l.level).bytes(2, l.message));
  }
  if (e.sessionLog !== undefined) {
    const l = e.sessionLog;
    w.message(7, (m) =>
      m
        .varint(1, SESSION_STATUS.indexOf(l.status))
        .bytes(2, l.checkpointPath ?? '')
        .bytes(3, l.msg ?? ''),
    );
  }
  if (e.metaGraphDef !== undefined) w.bytes(9, e.metaGraphDef, true);
  return w.finish();
}

export function encodeSummary(s: SummaryProto): Uint8Array {
  const w = new ProtoWriter();
  writeSummary(w, s);
  return w.finish();
}

function writeSummary(w: ProtoWriter, s: SummaryProto): void {
  for (const v of s.value) w.message(1, (m) => writeValue(m, v));
}

function writeValue(w: ProtoWriter, v: SummaryValueProto): void {
  w.bytes(1, v.tag);
  if (v.simpleValue !== undefined) w.float(2, v.simpleValue, true);
  if (v.image !== undefined) {
    const im = v.image;
    w.message(4, (m) =>
      m.varint(1, im.height).varint(2, im.width).varint(3, im.colorspace).bytes(4, im.encodedImageString),
    );
  }
  if (v.histo !== undefined) {
    const h = v.histo;
    w.message(5, (m) =>
      m
        .double(1, h.min)
        .double(2, h.max)
        .double(3, h.num)
        .double(4, h.sum)
        .double(5, h.sumSquares)
        .packedDoubles(6, h.bucketLimit)
        .packedDoubles(7, h.bucket),
    );
  }
  if (v.nodeName !== undefined) w.bytes(7, v.nodeName);
  if (v.tensor !== undefined) {
    const t = v.tensor;
    w.message(8, (m) => writeTensor(m, t));
  }
  if (v.metadata !== undefined) {
    const md = v.metadata;
    w.message(9, (m) => {
      const pd = md.pluginData;
      if (pd) m.message(1, (p) => p.bytes(1, pd.pluginName).bytes(2, pd.content ?? new Uint8Array(0)));
      m.bytes(2, md.displayName ?? '').bytes(3, md.summaryDescription ?? '');
    });
  }
}

// TensorProto: dtype=1 tensor_shape=2 (TensorShapeProto dim=2 {size=1}) float_val=5 int_val=7
// string_val=8 bool_val=11.
function writeTensor(w: ProtoWriter, t: NDArray): void {
  w.varint(1, DATA_TYPE[t.dtype]);
  w.message(2, (s) => {
    for (const d of t.shape) s.message(2, (dim) => dim.varint(1, d));
  });
  if (t.dtype === 'string') for (const x of t.data as string[]) w.bytes(8, x, true);
  else if (t.dtype === 'float32') w.packedFloats(5, t.data as Float32Array);
  else if (t.dtype === 'int32') w.packedVarints(7, t.data as Int32Array);
  else w.packedVarints(11, t.data as Uint8Array);
}

export function decodeEvent(bytes: Uint8Array): EventProto {
  // Absent scalars read as their defaults (proto3).
  const e: EventProto = { wallTime: 0, step: 0 };
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) e.wallTime = fieldDouble(f);
    else if (f.field === 2) e.step = f.int;
    else if (f.field === 3) e.fileVersion = fieldString(f);
    else if (f.field === 4) e.graphDef = f.bytes;
    else if (f.field === 5) e.summary = decodeSummary(f.bytes);
    else if (f.field === 6) {
      const l = { level: 0, message: '' };
      for (const g of decodeFields(f.bytes)) {
        if (g.field === 1) l.level = g.int;
        else if (g.field === 2) l.message = fieldString(g);
      }
      e.logMessage = l;
    } else if (f.field === 7) {
      const l: SessionLogProto = { status: 'STATUS_UNSPECIFIED' };
      for (const g of decodeFields(f.bytes)) {
        if (g.field === 1) l.status = SESSION_STATUS[g.int] ?? 'STATUS_UNSPECIFIED';
        else if (g.field === 2) l.checkpointPath = fieldString(g);
        else if (g.field === 3) l.msg = fieldString(g);
      }
      e.sessionLog = l;
    } else if (f.field === 9) e.metaGraphDef = f.bytes;
  }
  return e;
}

export function decodeSummary(bytes: Uint8Array): SummaryProto {
  return {
    value: decodeFields(bytes)
      .filter((f) => f.field === 1)
      .map((f) => decodeValue(f.bytes)),
  };
}

function decodeValue(bytes: Uint8Array): SummaryValueProto {
  const v: SummaryValueProto = { tag: '' };
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) v.tag = fieldString(f);
    else if (f.field === 2) v.simpleValue = fieldFloat(f);
    else if (f.field === 4) v.image = decodeImage(f.bytes);
    else if (f.field === 5) v.histo = decodeHisto(f.bytes);
    else if (f.field === 7) v.nodeName = fieldString(f);
    else if (f.field === 8) v.tensor = decodeTensor(f.bytes);
    else if (f.field === 9) v.metadata = decodeMetadata(f.bytes);
  }
  return v;
}

function decodeHisto(bytes: Uint8Array): HistogramProto {
  const h: HistogramProto = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) h.min = fieldDouble(f);
    else if (f.field === 2) h.max = fieldDouble(f);
    else if (f.field === 3) h.num = fieldDouble(f);
    else if (f.field === 4) h.sum = fieldDouble(f);
    else if (f.field === 5) h.sumSquares = fieldDouble(f);
    else if (f.field === 6) h.bucketLimit.push(...fieldDoubles(f));
    else if (f.field === 7) h.bucket.push(...fieldDoubles(f));
  }
  return h;
}

function decodeImage(bytes: Uint8Array): ImageProto {
  const im: ImageProto = { height: 0, width: 0, colorspace: 0, encodedImageString: new Uint8Array(0) };
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) im.height = f.int;
    else if (f.field === 2) im.width = f.int;
    else if (f.field === 3) im.colorspace = f.int;
    else if (f.field === 4) im.encodedImageString = f.bytes;
  }
  return im;
}

function decodeMetadata(bytes: Uint8Array): SummaryMetadataProto {
  const md: SummaryMetadataProto = {};
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) {
      const pd: { pluginName: string; content?: Uint8Array } = { pluginName: '' };
      for (const g of decodeFields(f.bytes)) {
        if (g.field === 1) pd.pluginName = fieldString(g);
        else if (g.field === 2) pd.content = g.bytes;
      }
      md.pluginData = pd;
    } else if (f.field === 2) md.displayName = fieldString(f);
    else if (f.field === 3) md.summaryDescription = fieldString(f);
  }
  return md;
}

function decodeTensor(bytes: Uint8Array): NDArray {
  let dtype: DType | undefined;
  const shape: number[] = [];
  const nums: number[] = [];
  const strings: string[] = [];
  for (const f of decodeFields(bytes)) {
    if (f.field === 1) dtype = DTYPE_OF.get(f.int);
    else if (f.field === 2) {
      for (const d of decodeFields(f.bytes).filter((g) => g.field === 2))
        shape.push(decodeFields(d.bytes).find((g) => g.field === 1)?.int ?? 0);
    } else if (f.field === 5) nums.push(...fieldFloats(f));
    else if (f.field === 7 || f.field === 11) nums.push(...fieldInts(f));
    else if (f.field === 8) strings.push(fieldString(f));
    else if (f.field === 4) throw new UnimplementedError('TensorProto.tensor_content is not supported');
  }
  if (dtype === undefined) throw new UnimplementedError('TensorProto with a dtype graphmode lacks');
  const n = shape.reduce((a, b) => a * b, 1);
  // TF stores a constant-filled tensor as one value; expand it to the full shape.
  const fill = <T>(xs: T[]): T[] => (xs.length === 1 && n > 1 ? new Array<T>(n).fill(xs[0]!) : xs);
  if (dtype === 'string') return new NDArray(dtype, shape, fill(strings));
  const data = fill(nums);
  if (dtype === 'float32') return new NDArray(dtype, shape, Float32Array.from(data));
  if (dtype === 'int32') return new NDArray(dtype, shape, Int32Array.from(data));
  return new NDArray(dtype, shape, Uint8Array.from(data));
}
