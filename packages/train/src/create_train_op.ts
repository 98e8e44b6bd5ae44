// createTrainOp (TF contrib training's create_train_op): a loss tensor that, when fetched, runs
// the update ops, computes and applies the gradients, advances the global step and returns the
// loss. Everything is built once here; a step is just one Session.run of the returned tensor.
import {
  asOperation,
  checkNumerics as checkNumericsOp,
  checkOptions,
  controlDependencies,
  GraphKeys,
  nameScope,
  noOp,
  type Operation,
  type OptionSpec,
  type Tensor,
  ValueError,
  type Variable,
  withDependencies,
} from '@graphmode/graph';
import { getOrCreateGlobalStep } from './global_step.js';
import { addGradientsSummaries } from './grad_utils.js';
import { logger } from './logging.js';
import { type GradAndVar, Optimizer } from './optimizer.js';

/** The default `globalStep`: the graph's global step, created if needed. */
export const USE_GLOBAL_STEP: unique symbol = Symbol('USE_GLOBAL_STEP');

export interface CreateTrainOpOptions {
  /** The step to increment; null = none; default: getOrCreateGlobalStep(). */
  globalStep?: Variable | Tensor | null | typeof USE_GLOBAL_STEP;
  /** Run before the gradients each step; default GraphKeys.UPDATE_OPS. */
  updateOps?: readonly (Operation | Tensor)[] | null;
  /** Default: the trainable variables. */
  variablesToTrain?: readonly Variable[] | null;
  transformGradsFn?: (gradsAndVars: GradAndVar[]) => GradAndVar[];
  summarizeGradients?: boolean;
  gateGradients?: number;
  aggregationMethod?: number;
  colocateGradientsWithOps?: boolean;
  checkNumerics?: boolean;
}

const CREATE_TRAIN_OP_SPEC: OptionSpec<CreateTrainOpOptions> = {
  globalStep: 'any',
  updateOps: 'any',
  variablesToTrain: 'any',
  transformGradsFn: 'function',
  summarizeGradients: 'boolean',
  gateGradients: 'number',
  aggregationMethod: 'number',
  colocateGradientsWithOps: 'boolean',
  checkNumerics: 'boolean',
};
/**
 * The training step as a tensor: fetching it performs one update and returns the pre-update loss.
 * @example
 * const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.5));
 * for (let i = 0; i < 100; i++) sess.run(trainOp);
 */
export function createTrainOp(
  totalLoss: Tensor,
  optimizer: Optimizer,
  opts: CreateTrainOpOptions = {},
): Tensor {
  checkOptions('createTrainOp', opts, CREATE_TRAIN_OP_SPEC);
  const graph = totalLoss.graph;
  return graph.asDefault(() => {
    let globalStep = opts.globalStep === undefined ? USE_GLOBAL_STEP : opts.globalStep;
    if (globalStep === USE_GLOBAL_STEP) globalStep = getOrCreateGlobalStep(graph);

    const globalUpdateOps = graph.getCollection<Operation | Tensor>(GraphKeys.UPDATE_OPS).map(asOperation);
    const updateOps =
      opts.updateOps == null ? globalUpdateOps : [...new Set(opts.updateOps.map(asOperation))];
    if (!globalUpdateOps.every((op) => updateOps.includes(op)))
      logger().warn(
        'update_ops in create_train_op does not contain all the update_ops in GraphKeys.UPDATE_OPS',
      );
    // The barrier makes the update ops run (once per step) before the loss is differentiated.
    if (updateOps.length > 0) {
      const barrier = controlDependencies(updateOps, () => noOp({ name: 'update_barrier' }));
      totalLoss = withDependencies([barrier], totalLoss);
    }

    const trainable = graph.getCollection<Variable>(GraphKeys.TRAINABLE_VARIABLES);
    const variables = opts.variablesToTrain ?? trainable;
    if (variables.length === 0) throw new ValueError('createTrainOp: variablesToTrain is empty');
    for (const v of variables) {
      if (!v.trainable && !trainable.includes(v))
        throw new ValueError(`createTrainOp: ${v.toString()} is not trainable (not in TRAINABLE_VARIABLES)`);
    }

    let grads = optimizer.computeGradients(totalLoss, {
      varList: variables,
      gateGradients: opts.gateGradients ?? Optimizer.GATE_OP,
      ...(opts.aggregationMethod !== undefined ? { aggregationMethod: opts.aggregationMethod } : {}),
      colocateGradientsWithOps: opts.colocateGradientsWithOps ?? false,
    });
    if (opts.transformGradsFn) grads = opts.transformGradsFn(grads);
    if (opts.summarizeGradients) nameScope('summarize_grads', () => addGradientsSummaries(grads));

    const gradUpdates = optimizer.applyGradients(grads, { globalStep });

    const trainOp = nameScope('train_op', () => {
      const loss =
        (opts.checkNumerics ?? true) ? checkNumericsOp(totalLoss, 'LossTensor is inf or nan') : totalLoss;
      return withDependencies([gradUpdates], loss);
    });
    const trainOps = graph.getCollectionRef<Tensor>(GraphKeys.TRAIN_OP);
    if (!trainOps.includes(trainOp)) trainOps.push(trainOp);
    return trainOp;
  });
}
