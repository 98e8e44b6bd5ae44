// Files: TensorBoard event files (FileWriter), checkpoints (Saver, TF's tensor bundles) and the
// checkpoint directory's state. Wire formats (protobuf, CRC32C, TFRecord, tables) stay internal.
export {
  type CheckpointState,
  checkpointExists,
  getCheckpointState,
  latestCheckpoint,
  updateCheckpointState,
} from './checkpoint_state.js';
export type {
  EventProto,
  HistogramProto,
  ImageProto,
  SessionLogProto,
  SessionStatus,
  SummaryMetadataProto,
  SummaryProto,
  SummaryValueProto,
} from './event_proto.js';
export {
  FileWriter,
  FileWriterCache,
  type FileWriterOptions,
  readEvents,
  type SummaryInput,
} from './file_writer.js';
export { type LoadedGraphModel, loadGraphModel } from './graph_model_load.js';
export { type GraphModelIO, saveGraphModel } from './graph_model_save.js';
export { encodeMetaGraph, exportMetaGraph, type SaverDefLike } from './meta_graph.js';
export { importMetaGraph } from './meta_graph_import.js';
export { listVariables, loadVariable } from './reader.js';
export { Saver, type SaverOptions } from './saver.js';
