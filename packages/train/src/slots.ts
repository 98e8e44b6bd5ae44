// Slot variables: per-variable optimizer state named '<var>/<OptimizerName>' (made unique:
// 'w/Adam', 'w/Adam_1'), non-trainable, colocated with the variable and created outside any
// name scope or control-dependency block (TF's slot_creator under init_scope).
import { constant, type DType, type Tensor, type Variable, variable } from '@graphmode/graph';

/** A slot for `primary` filled with `fill`, its initial value named as TF's zeros/ones initializers name it. */
export function createSlot(primary: Variable, fill: number, opName: string): Variable {
  const graph = primary.graph;
  const initName = fill === 0 ? 'zeros' : fill === 1 ? 'ones' : 'Const';
  const make = (): Tensor =>
    constant(fill, { dtype: primary.dtype as DType, shape: primary.shape as number[], name: initName });
  return graph.asDefault(() =>
    graph.nameScope(null, () =>
      graph.controlDependencies(null, () =>
        graph.colocateWith(primary.op, () =>
          variable(make, { name: `${primary.op.name}/${opName}`, trainable: false, dtype: primary.dtype }),
        ),
      ),
    ),
  );
}

/** A non-slot optimizer variable (Adam's beta1_power), colocated with `colocate`. */
export function createNonSlot(initial: number | Tensor, name: string, colocate: Variable): Variable {
  const graph = colocate.graph;
  return graph.asDefault(() =>
    graph.controlDependencies(null, () =>
      graph.colocateWith(colocate.op, () => variable(initial, { name, trainable: false, dtype: 'float32' })),
    ),
  );
}
