// Plain-object shapes of the messages graphmode reads and writes (camelCase, as protobufjs
// names TF's snake_case fields). Absent fields are at their proto3 default.
import type { DType } from '../dtype.js';

/** TF's DataType enum values graphmode uses (types.proto). */
export const DataType = {
  DT_INVALID: 0,
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_STRING: 7,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_VARIANT: 21,
} as const;

/** The DataType of each graphmode dtype. */
export const DATA_TYPE_OF: Readonly<Record<DType, number>> = {
  float32: DataType.DT_FLOAT,
  int32: DataType.DT_INT32,
  string: DataType.DT_STRING,
  bool: DataType.DT_BOOL,
};

export interface TensorShapeMsg {
  dim?: { size?: number; name?: string }[];
  unknownRank?: boolean;
}
export interface TensorMsg {
  dtype?: number;
  tensorShape?: TensorShapeMsg;
  tensorContent?: Uint8Array;
  floatVal?: ArrayLike<number>;
  doubleVal?: ArrayLike<number>;
  intVal?: ArrayLike<number>;
  int64Val?: ArrayLike<number>;
  stringVal?: Uint8Array[];
  boolVal?: ArrayLike<boolean>;
}
export interface VersionDefMsg {
  producer?: number;
  minConsumer?: number;
  badConsumers?: number[];
}
export interface HistogramMsg {
  min?: number;
  max?: number;
  num?: number;
  sum?: number;
  sumSquares?: number;
  bucketLimit?: ArrayLike<number>;
  bucket?: ArrayLike<number>;
}
export interface SummaryMetadataMsg {
  pluginData?: { pluginName?: string; content?: Uint8Array };
  displayName?: string;
  summaryDescription?: string;
}
export interface SummaryValueMsg {
  nodeName?: string;
  tag?: string;
  metadata?: SummaryMetadataMsg;
  simpleValue?: number;
  image?: { height?: number; width?: number; colorspace?: number; encodedImageString?: Uint8Array };
  histo?: HistogramMsg;
  tensor?: TensorMsg;
}
export interface SummaryMsg {
  value?: SummaryValueMsg[];
}
export interface EventMsg {
  wallTime?: number;
  step?: number;
  fileVersion?: string;
  graphDef?: Uint8Array;
  summary?: SummaryMsg;
  logMessage?: { level?: number; message?: string };
  sessionLog?: { status?: number; checkpointPath?: string; msg?: string };
  metaGraphDef?: Uint8Array;
}
export interface BundleHeaderMsg {
  numShards?: number;
  /** 0 = little-endian, 1 = big-endian. */
  endianness?: number;
  version?: VersionDefMsg;
}
export interface TensorSliceMsg {
  extent?: { start?: number; length?: number }[];
}
export interface BundleEntryMsg {
  dtype?: number;
  shape?: TensorShapeMsg;
  shardId?: number;
  offset?: number;
  size?: number;
  /** Masked CRC32C of the tensor's bytes in the data file. */
  crc32c?: number;
  slices?: TensorSliceMsg[];
}
