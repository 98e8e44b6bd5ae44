// TF 1.15's ExponentialMovingAverage (training/moving_averages.py): a shadow variable
// '<var>/ExponentialMovingAverage' per averaged variable, updated by `apply()` with
// shadow -= (shadow - var) * (1 - decay), decay = min(decay, (1 + n) / (10 + n)) when numUpdates
// is given. `variablesToRestore()` maps checkpoint names to variables so an evaluation graph
// loads the averages into the model's own variables.
import {
  add,
  cast,
  checkOptions,
  colocateWith,
  controlDependencies,
  GraphKeys,
  getDefaultGraph,
  getVariable,
  getVariableScope,
  globalVariables,
  group,
  initializers,
  isFullyDefined,
  minimum,
  mul,
  nameScope,
  type Operation,
  pow,
  realDiv,
  sub,
  Tensor,
  TypeError,
  toTensor,
  trainableVariables,
  ValueError,
  Variable,
  variableScope,
} from '@graphmode/graph';

export interface ExponentialMovingAverageOptions {
  /** A step count (e.g. the global step): early updates use a smaller decay. */
  numUpdates?: number | Tensor | Variable;
  /** Debias averages of plain tensors (Adam-style); TF ignores it for variables. */
  zeroDebias?: boolean;
  name?: string;
}

type Averaged = Variable | Tensor;

/**
 * Maintains moving averages of variables (or tensors).
 * @example
 * const ema = new ExponentialMovingAverage(0.999, { numUpdates: globalStep });
 * const maintainAverages = ema.apply(trainableVariables());
 * const trainOp = withDependencies([maintainAverages], createTrainOp(loss, opt));
 * // evaluation: new Saver({ varList: ema.variablesToRestore() })
 */
export class ExponentialMovingAverage {
  readonly name: string;
  private readonly averages = new Map<Averaged, Variable>();
  private readonly debiased = new Set<Variable>();
  constructor(
    readonly decay: number | Tensor,
    private readonly opts: ExponentialMovingAverageOptions = {},
  ) {
    checkOptions('ExponentialMovingAverage', opts, {
      numUpdates: 'any',
      zeroDebias: 'boolean',
      name: 'string',
    });
    this.name = opts.name ?? 'ExponentialMovingAverage';
    if (typeof decay !== 'number' && !(decay instanceof Tensor))
      throw new TypeError(
        `ExponentialMovingAverage: decay must be a number or a float32 scalar Tensor, got ${typeof decay} ${String(decay)}`,
      );
    const n = opts.numUpdates;
    if (n !== undefined && typeof n !== 'number' && !(n instanceof Tensor) && !(n instanceof Variable))
      throw new TypeError(
        `ExponentialMovingAverage: option 'numUpdates' must be a number, Tensor or Variable, got ${typeof n}`,
      );
  }

  /** Creates the shadow variables (once per variable) and returns the op that updates them all. */
  apply(varList?: readonly Averaged[]): Operation {
    if (varList !== undefined && !Array.isArray(varList))
      throw new TypeError(
        `ExponentialMovingAverage.apply: varList must be an array of Variables or Tensors, got ${typeof varList}`,
      );
    const list = varList ?? trainableVariables();
    for (const v of list) {
      if (!(v instanceof Variable) && !(v instanceof Tensor))
        throw new TypeError(
          `ExponentialMovingAverage.apply: varList holds ${typeof v} ${String(v)}; expected Variables or Tensors`,
        );
      if (v.dtype !== 'float32')
        throw new TypeError(`The variables must be half, float, or double: ${v.name}`);
    }
    for (const v of list) if (!this.averages.has(v)) this.averages.set(v, this.createShadow(v));
    const graph = list[0]?.graph;
    const build = () =>
      nameScope(this.name, (scope) => {
        let decay = toTensor(this.decay, 'float32', 'decay');
        if (this.opts.numUpdates !== undefined) {
          const n = cast(this.opts.numUpdates, 'float32', { name: 'num_updates' });
          decay = minimum(decay, realDiv(add(1, n), add(10, n)));
        }
        const updates = list.map((v) => this.assignMovingAverage(this.averages.get(v)!, v, decay));
        return group(...updates, { name: scope });
      });
    return graph ? graph.asDefault(build) : build();
  }

  /** The shadow variable of `v`, or null if `apply` has not seen it. */
  average(v: Averaged): Variable | null {
    return this.averages.get(v) ?? null;
  }

  /** The shadow variable's name: '<var op name>/ExponentialMovingAverage' (made unique as TF does). */
  averageName(v: Averaged): string {
    const avg = this.averages.get(v);
    if (avg) return avg.op.name;
    return v.graph.uniqueName(`${v.op.name}/${this.name}`, false);
  }

  /**
   * Checkpoint name → variable: each trainable (and MOVING_AVERAGE_VARIABLES) variable under its
   * average's name, every other global variable under its own.
   */
  variablesToRestore(movingAvgVariables?: readonly Variable[]): Record<string, Variable> {
    const mav = new Set(
      movingAvgVariables ?? [
        ...trainableVariables(),
        ...globalVariablesIn(GraphKeys.MOVING_AVERAGE_VARIABLES),
      ],
    );
    const map: Record<string, Variable> = {};
    for (const v of mav) map[this.averageName(v)] = v;
    const names = new Set([...mav].map((v) => v.name));
    for (const v of globalVariables()) if (!names.has(v.name) && !(v.op.name in map)) map[v.op.name] = v;
    return map;
  }

  // TF's slot_creator: a variable scope '<primary op name>/<name>' (made unique), the variable
  // itself named by that scope, outside any name scope or control dependencies, next to the primary.
  private createShadow(v: Averaged): Variable {
    const graph = v.graph;
    return graph.asDefault(() =>
      nameScope(null, () =>
        controlDependencies(null, () => {
          const isVar = v instanceof Variable;
          const slot = variableScope(
            null,
            () => {
              const make = () => {
                if (isVar) return getVariable('', { initializer: v.initialValue, trainable: false });
                if (!isFullyDefined(v.shape)) {
                  throw new ValueError(
                    `ExponentialMovingAverage: tensor '${v.name}' needs a fully defined shape`,
                  );
                }
                return getVariable('', {
                  shape: v.shape,
                  dtype: v.dtype,
                  initializer: initializers.zeros(),
                  trainable: false,
                });
              };
              return isVar || v.op.type === 'VariableV2' ? colocateWith(v.op, make) : make();
            },
            { defaultName: `${v.op.name}/${this.name}` },
          );
          if (isVar) graph.addToCollection(GraphKeys.MOVING_AVERAGE_VARIABLES, v);
          else if (this.opts.zeroDebias) this.debiased.add(slot);
          return slot;
        }),
      ),
    );
  }

  // TF's assign_moving_average: avg -= (avg - value) * (1 - decay), an AssignSub named
  // 'AssignMovingAvg'; zero-debiased averages go through biased / (1 - decay^t).
  private assignMovingAverage(avg: Variable, value: Averaged, decay: Tensor): Tensor {
    return nameScope('AssignMovingAvg', (scope) => {
      const oneMinusDecay = sub(1, decay);
      return colocateWith(avg.op, () =>
        this.debiased.has(avg)
          ? zeroDebias(avg, toTensor(value), oneMinusDecay)
          : avg.assignSub(mul(sub(avg, value), oneMinusDecay), { name: scope }),
      );
    });
  }
}

const globalVariablesIn = (key: string): Variable[] => getDefaultGraph().getCollection<Variable>(key);

// TF's _zero_debias: `biased` tracks the plain EMA from 0 and `local_step` counts updates; the
// average is biased / (1 - decay^t). `d` is 1 - decay.
function zeroDebias(avg: Variable, value: Tensor, d: Tensor): Tensor {
  const [biased, step] = variableScope(avg.op.name, () => {
    const make = (name: string, shape: readonly number[]) =>
      getVariable(uniqueIn(name), {
        shape,
        dtype: avg.dtype,
        initializer: initializers.zeros(),
        trainable: false,
      });
    return [make('biased', avg.shape as number[]), make('local_step', [])] as const;
  });
  const updateBiased = biased.assignSub(mul(sub(biased, value), d));
  const updateStep = step.assignAdd(1);
  const biasFactor = sub(1, pow(sub(1, d), updateStep));
  return avg.assign(realDiv(updateBiased, biasFactor), { name: `${avg.graph.currentNameScope}/` });
}

// TF's _maybe_get_unique: 'biased', else 'biased_1', ... among the scope's global variables.
function uniqueIn(name: string): string {
  const scope = getVariableScope();
  if (scope.reuse) return name;
  const taken = new Set(globalVariables().map((v) => v.op.name));
  const full = `${scope.name}/${name}`;
  if (!taken.has(full)) return name;
  let i = 1;
  while (taken.has(`${full}_${i}`)) i++;
  return `${name}_${i}`;
}
