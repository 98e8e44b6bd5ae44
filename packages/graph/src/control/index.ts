// Control flow (API.md §6): cond, whileLoop, mapFn/scan/foldl as TF's functional If/While ops.
export * from './cond.js';
export * from './exec.js';
export * from './func_graph.js';
export * from './functional.js';
export * from './inline.js';
export * from './nest.js';
export * from './while.js';
export * from './while_op.js';
