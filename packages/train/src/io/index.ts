// Files: TensorBoard event files (FileWriter), checkpoints (Saver) and their wire formats.
export * from './checkpoint_state.js';
export * from './event_proto.js';
export * from './file_writer.js';
export * from './graph_def.js';
export * from './proto.js';
export * from './saver.js';
export * from './tfrecord.js';
