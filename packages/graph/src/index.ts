// @graphmode/graph: TF1 graph building and the Session that runs it.
export * from './constant_value.js';
export * from './dtype.js';
export * from './errors.js';
export * from './graph.js';
export * from './graph_keys.js';
export * from './ndarray.js';
export * from './op_def.js';
export * from './ops/core.js';
export * from './ops/math.js';
export * from './ops/reduce.js';
export * from './ops/state.js';
export * from './session/run_metadata.js';
export * from './session/session.js';
export * from './variable.js';
