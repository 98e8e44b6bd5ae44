/** Standard collection names, with TF's string values. */
export const GraphKeys = {
  GLOBAL_VARIABLES: 'variables',
  TRAINABLE_VARIABLES: 'trainable_variables',
  LOCAL_VARIABLES: 'local_variables',
  MODEL_VARIABLES: 'model_variables',
  MOVING_AVERAGE_VARIABLES: 'moving_average_variables',
  UPDATE_OPS: 'update_ops',
  SUMMARIES: 'summaries',
  GLOBAL_STEP: 'global_step',
  TRAIN_OP: 'train_op',
  LOSSES: 'losses',
  REGULARIZATION_LOSSES: 'regularization_losses',
  INIT_OP: 'init_op',
  LOCAL_INIT_OP: 'local_init_op',
  READY_OP: 'ready_op',
  SAVERS: 'savers',
  ASSET_FILEPATHS: 'asset_filepaths',
} as const;
