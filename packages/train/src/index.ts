// @graphmode/train: optimizers, the global step, createTrainOp and its helpers, summaries,
// checkpoints and event files (io/), and the training loop (loop/).
export * from './adagrad.js';
export * from './adam.js';
export * from './create_train_op.js';
export * from './global_step.js';
export * from './grad_utils.js';
export * from './gradient_descent.js';
export * from './io/index.js';
export * from './learning_rate.js';
export * from './logging.js';
export * from './loop/index.js';
export * from './momentum.js';
export * from './moving_averages.js';
export * from './optimizer.js';
export * from './rmsprop.js';
export * as summary from './summary.js';
