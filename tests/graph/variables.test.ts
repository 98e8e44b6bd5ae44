// Variables: TF naming, collections, initializers, updates, and the uninitialized report.
import {
  add,
  constant,
  controlDependencies,
  FailedPreconditionError,
  Graph,
  GraphKeys,
  globalVariables,
  globalVariablesInitializer,
  localVariablesInitializer,
  mul,
  nameScope,
  noOp,
  placeholder,
  reportUninitializedVariables,
  Session,
  trainableVariables,
  ValueError,
  Variable,
  variable,
  variablesInitializer,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};

describe('variable()', () => {
  it('builds TF’s ops: w/initial_value, w, w/Assign, w/read; name is "w:0"', () =>
    inGraph((g) => {
      const w = variable([[1, 2]], { name: 'w' });
      expect(w).toBeInstanceOf(Variable);
      expect(g.getOperations().map((o) => `${o.name}:${o.type}`)).toEqual([
        'w/initial_value:Const',
        'w:VariableV2',
        'w/Assign:Assign',
        'w/read:Identity',
      ]);
      expect(w.name).toBe('w:0');
      expect([w.dtype, w.shape, w.trainable]).toEqual(['float32', [1, 2], true]);
      expect(w.op.name).toBe('w');
      expect(w.initializer.name).toBe('w/Assign');
      expect(w.initialValue.op.name).toBe('w/initial_value');
      expect(w.value().name).toBe('w/read:0');
      expect(w.initializer.colocationGroups).toEqual(['loc:@w']);
      expect(variable(0, { name: 'w' }).name).toBe('w_1:0');
      expect(variable(0).name).toBe('Variable:0');
      expect(nameScope('layer', () => variable(0, { name: 'b' })).name).toBe('layer/b:0');
    }));

  it('a function initial value is built under w/Initializer/', () =>
    inGraph(() => {
      const w = variable(() => mul(constant([1, 2], { name: 'c' }), 2), { name: 'w' });
      expect(w.initialValue.op.name).toBe('w/Initializer/Mul');
      expect(w.initialValue.op.inputs[0]!.op.name).toBe('w/Initializer/c');
    }));

  it('dtype converts the initial value; an unknown shape is rejected', () =>
    inGraph(() => {
      expect(variable(3, { dtype: 'int32' }).dtype).toBe('int32');
      expect(() => variable(1.5, { dtype: 'int32' })).toThrow();
      expect(() => variable(() => placeholder('float32', [null]), { name: 'u' })).toThrow(
        /'u': initial value must have a fully defined shape, got \[\?\]/,
      );
    }));

  it('ignores enclosing control dependencies (TF’s init_scope)', () =>
    inGraph(() => {
      const gate = noOp({ name: 'gate' });
      const w = controlDependencies([gate], () => variable(1, { name: 'w' }));
      expect(w.initializer.controlInputs).toEqual([]);
      expect(w.initialValue.op.controlInputs).toEqual([]);
    }));

  it('joins GLOBAL_VARIABLES and TRAINABLE_VARIABLES, or the given collections', () =>
    inGraph((g) => {
      const a = variable(1, { name: 'a' });
      const b = variable(1, { name: 'b', trainable: false });
      const c = variable(1, { name: 'c', collections: [GraphKeys.LOCAL_VARIABLES], trainable: false });
      const d = nameScope('scope', () => variable(1, { name: 'd' }));
      expect(globalVariables()).toEqual([a, b, d]);
      expect(trainableVariables()).toEqual([a, d]);
      expect(g.getCollection(GraphKeys.LOCAL_VARIABLES)).toEqual([c]);
      expect(globalVariables('scope')).toEqual([d]);
    }));
});

describe('initializers and updates', () => {
  it('initializers, assign/assignAdd/assignSub and reading values', () => {
    const g = new Graph();
    const { w, l, init, localInit, ops } = g.asDefault(() => {
      const w = variable([1, 2], { name: 'w' });
      const l = variable(5, { name: 'l', collections: [GraphKeys.LOCAL_VARIABLES], trainable: false });
      return {
        w,
        l,
        init: globalVariablesInitializer(),
        localInit: localVariablesInitializer(),
        ops: { set: w.assign([10, 20]), plus: w.assignAdd([1, 1]), minus: w.assignSub([5, 5]) },
      };
    });
    expect(init.name).toBe('init');
    expect(init.type).toBe('NoOp');
    expect(localInit.name).toBe('init_1');
    const sess = new Session(g);
    sess.run([init, localInit]);
    expect(sess.run([w, l]).map((v) => v.toArray())).toEqual([[1, 2], 5]);
    expect(sess.run(ops.set).toArray()).toEqual([10, 20]);
    expect(sess.run(ops.plus).toArray()).toEqual([11, 21]);
    expect(sess.run(ops.minus).toArray()).toEqual([6, 16]);
    expect(sess.run(w.value()).toArray()).toEqual([6, 16]);
    expect(() => g.asDefault(() => w.assign([1, 2, 3]))).toThrow(ValueError);
    sess.close();
  });

  it('a Variable stands for its value wherever a Tensor is accepted', () => {
    const g = new Graph();
    const { w, y } = g.asDefault(() => {
      const w = variable([1, 2], { name: 'w' });
      return { w, y: add(w, w) };
    });
    expect(y.op.inputs[0]).toBe(w.value());
    const sess = new Session(g);
    sess.run(w.initializer);
    expect(sess.run(y).toArray()).toEqual([2, 4]);
  });

  it('variablesInitializer(vars) and reportUninitializedVariables', () => {
    const g = new Graph();
    const { a, b, report, initA, none } = g.asDefault(() => {
      const a = variable(1, { name: 'a' });
      const b = nameScope('s', () => variable(2, { name: 'b' }));
      return {
        a,
        b,
        report: reportUninitializedVariables(),
        initA: variablesInitializer([a]),
        none: variablesInitializer([]),
      };
    });
    const sess = new Session(g);
    expect(report.dtype).toBe('string');
    expect(sess.run(report).toArray()).toEqual(['a', 's/b']);
    expect(sess.run(none)).toBeNull();
    sess.run(initA);
    expect(sess.run(report).toArray()).toEqual(['s/b']);
    expect(() => sess.run(b)).toThrow(FailedPreconditionError);
    sess.run(b.initializer);
    expect(sess.run(report).toArray()).toEqual([]);
    expect(sess.run([a, b]).map((v) => v.item())).toEqual([1, 2]);
  });
});
