// More ports of TF 1.15's variable_scope_test.py (VariableScopeTest): initializing from values
// through scopes, default initializers per dtype, initializer functions without arguments,
// control dependencies, get_variable_scope's setters, name scopes of re-entered scopes, object
// reuse, auxiliary_name_scope, and the errors plain-JS callers get for bad arguments.
import {
  add,
  cond,
  constant,
  controlDependencies,
  FailedPreconditionError,
  Graph,
  TypeError as GraphTypeError,
  getVariable,
  getVariableScope,
  initializers,
  less,
  nameScope,
  Session,
  ValueError,
  type Variable,
  type VariableScope,
  variableScope,
  variablesInitializer,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};
const w = (name: string) => getVariable(name, { shape: [] }).name;
const scopeName = (name: string) => nameScope(name, (sc) => sc);

describe('variable_scope_test.py: values and initializers', () => {
  it('testInitializeFromValue: a constant initializer, also passed through a scope', () =>
    inGraph(() => {
      const init = constant(0.1);
      const a = getVariable('v', { initializer: init });
      expect(() => getVariable('u', { shape: [1], initializer: init })).toThrow(/shape/);
      const b = variableScope('foo', () => getVariable('v'), { initializer: init });
      expect(b.name).toBe('foo/v:0');
      // The scope keeps API.md's Initializer type: a function (tagged with the value).
      variableScope('bar', (scope) => expect(typeof scope.initializer).toBe('function'), {
        initializer: init,
      });
      const t = getVariable('t', { initializer: constant(1, { dtype: 'int32' }) });
      expect(t.dtype).toBe('int32');
      expect(() =>
        getVariable('s', { initializer: constant(1, { dtype: 'int32' }), dtype: 'float32' }),
      ).toThrow(/don't match/);
      const sess = new Session();
      sess.run(variablesInitializer([a, b]));
      expect(sess.run(a).item()).toBeCloseTo(0.1, 7);
      expect(sess.run(b).item()).toBeCloseTo(0.1, 7);
    }));

  it('testInitFromNonTensorValue and testStringDefaultInitializer', () =>
    inGraph(() => {
      const v = getVariable('v4', { initializer: 4, dtype: 'int32' });
      const s = getVariable('string', { shape: [], dtype: 'string' });
      const b = getVariable('b', { shape: [2], dtype: 'bool' });
      expect(() => getVariable('x4', { initializer: {} as never })).toThrow(GraphTypeError);
      const sess = new Session();
      sess.run(variablesInitializer([v, s, b]));
      expect(sess.run(v).item()).toBe(4);
      expect(sess.run(s).item()).toBe('');
      expect(sess.run(b).toArray()).toEqual([false, false]);
    }));

  it('testGetVariableWithInitializerWhichTakesNoArgs / ...UnprovidedArgsAndNoShape', () =>
    inGraph(() => {
      const v = getVariable('foo', { initializer: (() => [2]) as never });
      expect(v.name).toBe('foo:0');
      expect(v.shape).toEqual([1]);
      const msg =
        "The initializer passed is not valid. It should be a callable with no arguments and the shape should not be provided or an instance of `tf.keras.initializers.*' and `shape` should be fully defined.";
      expect(() => getVariable('bar', { initializer: ((x: number) => [x]) as never })).toThrow(msg);
      expect(() => getVariable('baz')).toThrow(msg);
      expect(() => getVariable('qux', { shape: [null, 3] })).toThrow(msg);
      const sess = new Session();
      sess.run(v.initializer);
      expect(sess.run(v).toArray()).toEqual([2]);
    }));

  it('testControlDeps: a variable made under control dependencies initializes on its own', () =>
    inGraph(() => {
      const v0 = getVariable('v0', { shape: [1], initializer: initializers.constant(0) });
      const [v1, sum] = controlDependencies([v0.value()], () => {
        const v1 = getVariable('v1', { shape: [1], initializer: initializers.constant(1) });
        return [v1, add(v1, v0)] as const;
      });
      const sess = new Session();
      expect(() => sess.run(v0)).toThrow(FailedPreconditionError);
      sess.run(v1.initializer);
      expect(sess.run(v1).toArray()).toEqual([1]);
      expect(() => sess.run(v0)).toThrow(/uninitialized/);
      expect(() => sess.run(sum)).toThrow(/uninitialized/);
      sess.run(v0.initializer);
      expect(sess.run(sum).toArray()).toEqual([1]);
    }));

  it('testControlFlow: getVariable in cond branches makes outer variables in the enclosing scope', () =>
    inGraph((g) => {
      const v0 = getVariable('v0', { shape: [], initializer: initializers.constant(0) });
      const made: Record<string, Variable> = {};
      const sum = variableScope('outer', () =>
        cond(
          less(v0, 10),
          () => add((made.v1 = getVariable('v1', { shape: [1], initializer: initializers.constant(1) })), v0),
          () => add((made.v2 = getVariable('v2', { shape: [1], initializer: initializers.constant(2) })), v0),
        ),
      );
      expect([made.v1!.name, made.v2!.name]).toEqual(['outer/v1:0', 'outer/v2:0']);
      expect(made.v1!.graph).toBe(g);
      expect(variableScope('outer', () => getVariable('v1', { shape: [1] }), { reuse: true })).toBe(made.v1);
      const sess = new Session();
      sess.run(made.v1!.initializer);
      expect(sess.run(made.v1!).toArray()).toEqual([1]);
      sess.run(made.v2!.initializer);
      expect(sess.run(made.v2!).toArray()).toEqual([2]);
      expect(() => sess.run(v0)).toThrow(/uninitialized/);
      expect(() => sess.run(sum)).toThrow(/uninitialized/);
      sess.run(v0.initializer);
      expect(sess.run(sum).toArray()).toEqual([1]);
    }));

  it('testGetVariableScope: setInitializer and reuseVariables hold inside the scope only', () =>
    inGraph(() => {
      variableScope('bar', () => {
        expect(getVariableScope().initializer).toBeUndefined();
        getVariableScope().setInitializer(initializers.constant(0.3));
        const v = getVariable('v', { shape: [] });
        const sess = new Session();
        sess.run(v.initializer);
        expect(sess.run(v).item()).toBeCloseTo(0.3, 7);
        getVariableScope().reuseVariables();
        expect(() => getVariable('w', { shape: [1] })).toThrow(ValueError);
      });
      expect(getVariableScope().initializer).toBeUndefined();
      expect(getVariableScope().reuse).toBe(false);
    }));
});

describe('variable_scope_test.py: scopes', () => {
  it('testVarScope: a jumped-to scope keeps its name; ops go under the enclosing name scope', () =>
    inGraph(() => {
      const tower = variableScope('tower4', (t) => {
        expect(t.name).toBe('tower4');
        expect(scopeName('scope')).toBe('tower4/scope/');
        return t;
      });
      variableScope('tower5', () =>
        variableScope('bar', (bar) => {
          expect(bar.name).toBe('tower5/bar');
          expect(scopeName('scope')).toBe('tower5/bar/scope/');
        }),
      );
      variableScope('tower6', () =>
        variableScope(
          tower,
          (shared) => {
            expect(shared.name).toBe('tower4');
            expect(scopeName('scope')).toBe('tower6/tower4/scope/');
          },
          { reuse: true },
        ),
      );
    }));

  it('testVarScopeNameScope: re-entering by object or by string opens tower_1, tower_2', () =>
    inGraph(() => {
      let tower!: VariableScope;
      nameScope('testVarScopeNameScope1', () => {
        variableScope('tower', (t) => {
          tower = t;
          expect(scopeName('scope2')).toBe('testVarScopeNameScope1/tower/scope2/');
        });
        variableScope(tower, () =>
          expect(scopeName('scope2')).toBe('testVarScopeNameScope1/tower_1/scope2/'),
        );
        variableScope('tower', () =>
          expect(scopeName('scope2')).toBe('testVarScopeNameScope1/tower_2/scope2/'),
        );
      });
      nameScope('testVarScopeNameScope2', () => {
        variableScope('tower', () =>
          expect(scopeName('scope2')).toBe('testVarScopeNameScope2/tower/scope2/'),
        );
        variableScope(tower, () =>
          expect(scopeName('scope2')).toBe('testVarScopeNameScope2/tower_1/scope2/'),
        );
      });
      const root = getVariableScope();
      nameScope('testVarScopeNameScope3', () =>
        variableScope(root, () => expect(scopeName('scope2')).toBe('testVarScopeNameScope3/scope2/')),
      );
    }));

  it('testVarScopeObjectReuse: reuse of a jumped-to scope is its own, and true cannot be undone', () =>
    inGraph(() => {
      const reusing = variableScope('jump', (s) => s, { reuse: true });
      variableScope(reusing, (j) => expect(j.reuse).toBe(true));
      variableScope(reusing, (j) => expect(j.reuse).toBe(true), { reuse: true });
      variableScope(reusing, (j) => expect(j.reuse).toBe(true), { reuse: false });
      const plain = variableScope('jump', (s) => s, { reuse: false });
      variableScope(plain, (j) => expect(j.reuse).toBe(false));
      variableScope(plain, (j) => expect(j.reuse).toBe(true), { reuse: true });
      variableScope(plain, (j) => expect(j.reuse).toBe(false), { reuse: false });
    }));

  it('testVarScopeNestedOuterScope: re-entering the enclosing scope object nests its name scope', () =>
    inGraph(() =>
      variableScope('outer', (outer) => {
        variableScope(outer, () => {
          expect(w('w')).toBe('outer/w:0');
          expect(scopeName('scope2')).toBe('outer/outer/scope2/');
        });
        variableScope('default', () => {
          expect(w('w')).toBe('outer/default/w:0');
          expect(scopeName('scope2')).toBe('outer/default/scope2/');
        });
        variableScope(
          outer,
          () => {
            expect(w('w')).toBe('outer/w:0');
            expect(scopeName('scope2')).toBe('outer/outer_1/scope2/');
          },
          { reuse: true },
        );
        variableScope(
          'default',
          () => {
            expect(w('w')).toBe('outer/default/w:0');
            expect(scopeName('scope2')).toBe('outer/default_1/scope2/');
          },
          { reuse: true },
        );
      }),
    ));

  it('testVarOpScopeReuseParam / testVarOpScopeReuseError', () =>
    inGraph(() => {
      const outer = variableScope('outer', (o) => {
        variableScope('tower', () => w('w'), { defaultName: 'default' });
        variableScope(null, () => w('w'), { defaultName: 'default' });
        return o;
      });
      variableScope(outer, (o) => {
        variableScope(
          'tower',
          () => {
            expect(w('w')).toBe('outer/tower/w:0');
            expect(scopeName('scope2')).toBe('outer_1/tower/scope2/');
          },
          { defaultName: 'default', reuse: true },
        );
        o.reuseVariables();
        variableScope(
          null,
          () => {
            expect(w('w')).toBe('outer/default/w:0');
            expect(scopeName('scope2')).toBe('outer_1/default/scope2/');
          },
          { defaultName: 'default' },
        );
      });
      expect(() => variableScope(null, () => 0, { defaultName: 'default', reuse: true })).toThrow(ValueError);
    }));

  it('testBasicWhenAuxiliaryNameScopeIsFalse and testReenterRootScopeWhenAuxiliaryNameScopeIsFalse', () =>
    inGraph(() => {
      const c = (name: string) => constant([], { name }).name;
      const scope = variableScope(
        'scope',
        (s) => {
          expect(s.originalNameScope).toBe('');
          expect(w('w')).toBe('scope/w:0');
          expect(c('c')).toBe('c:0');
          return s;
        },
        { auxiliaryNameScope: false },
      );
      variableScope(
        scope,
        () => {
          expect(w('w1')).toBe('scope/w1:0');
          expect(c('c1')).toBe('c1:0');
        },
        { auxiliaryNameScope: false },
      );
      nameScope('scope', () => expect(c('c')).toBe('scope/c:0'));
      const root = getVariableScope();
      variableScope('outer', () => {
        const inner = variableScope(
          'inner',
          (s) => {
            expect(s.originalNameScope).toBe('outer/');
            expect(w('w')).toBe('outer/inner/w:0');
            expect(c('c')).toBe('outer/c:0');
            return s;
          },
          { auxiliaryNameScope: false },
        );
        variableScope(
          inner,
          (s) => {
            expect(s.originalNameScope).toBe('outer/');
            expect(w('w1')).toBe('outer/inner/w1:0');
            expect(c('c1')).toBe('outer/c1:0');
          },
          { auxiliaryNameScope: false },
        );
        nameScope('inner', () => expect(c('c')).toBe('outer/inner/c:0'));
        variableScope(
          root,
          (s) => {
            expect(s.originalNameScope).toBe('');
            expect(w('w1')).toBe('w1:0');
            expect(c('c1')).toBe('outer/c1_1:0');
          },
          { auxiliaryNameScope: false },
        );
      });
    }));

  it('testCreatedByDefaultNameWhenAuxiliaryNameScopeIsFalse and testReuseScopeWithoutNameScopeCollision', () =>
    inGraph(() => {
      const c = (name: string) => constant([], { name }).name;
      variableScope(
        null,
        (s) => {
          expect(s.originalNameScope).toBe('');
          expect(w('w')).toBe('default/w:0');
          expect(c('c')).toBe('c:0');
        },
        { defaultName: 'default', auxiliaryNameScope: false },
      );
      nameScope('default', () => expect(c('c')).toBe('default/c:0'));
      const inner = variableScope('outer', () => variableScope('inner', (s) => s));
      variableScope(
        inner,
        (s) => {
          nameScope(s.originalNameScope, () => {
            expect(w('w')).toBe('outer/inner/w:0');
            expect(c('c')).toBe('outer/inner/c:0');
          });
          nameScope('inner', () => expect(c('c')).toBe('inner/c:0'));
        },
        { auxiliaryNameScope: false },
      );
      variableScope('another', () =>
        variableScope(
          inner,
          (s) => {
            nameScope(s.originalNameScope, () => {
              expect(w('w1')).toBe('outer/inner/w1:0');
              expect(c('c1')).toBe('outer/inner/c1:0');
            });
            nameScope('inner', () => expect(c('c')).toBe('another/inner/c:0'));
          },
          { auxiliaryNameScope: false },
        ),
      );
    }));

  it('testAuxiliaryNameScopeIsInvalid and testTwoGraphs (scope name)', () =>
    inGraph(() => {
      const bad = { auxiliaryNameScope: 'invalid' as never };
      expect(() => variableScope(null, () => 0, { defaultName: 'scope', ...bad })).toThrow(
        /auxiliary_name_scope/,
      );
      expect(() => variableScope('scope', () => 0, bad)).toThrow(/auxiliary_name_scope/);
      const scope = variableScope('scope', (s) => s);
      expect(() => variableScope(scope, () => 0, bad)).toThrow(/auxiliary_name_scope/);
      expect(() => variableScope('_', () => 0)).toThrow("'_' is not a valid scope name");
    }));
});

describe('getVariable / variableScope argument checks for plain-JS callers', () => {
  it('names the function, the argument and what was expected', () =>
    inGraph(() => {
      expect(() => getVariable(3 as never, { shape: [] })).toThrow(/getVariable: name must be a string/);
      expect(() => getVariable('a', { shape: 'abc' as never })).toThrow(/getVariable: option shape/);
      expect(() => getVariable('a', { shape: [2.5] })).toThrow(
        /getVariable: option shape.*invalid dimension 2.5/,
      );
      expect(() => getVariable('a', { shape: [], dtype: 'float64' as never })).toThrow(
        /getVariable: option dtype: dtype float64 is not supported; expected one of float32, int32, bool, string/,
      );
      expect(() => getVariable('a', { shape: [], trainable: 'yes' as never })).toThrow(
        /getVariable: option 'trainable' must be a boolean/,
      );
      expect(() => getVariable('a', { shape: [], regularizer: 0.1 as never })).toThrow(
        /getVariable: option 'regularizer' must be a function/,
      );
      expect(() => getVariable('a', { shape: [], collections: 'c' as never })).toThrow(
        /getVariable: option 'collections' must be an array of strings/,
      );
      expect(() => variableScope('s', () => 0, { dtype: 'float16' as never })).toThrow(
        /variableScope: option dtype: dtype float16 is not supported/,
      );
      expect(() => variableScope('s', () => 0, { regularizer: 'l2' as never })).toThrow(
        /variableScope: option 'regularizer' must be a function/,
      );
      expect(() => variableScope(3 as never, () => 0)).toThrow(GraphTypeError);
      expect(() => variableScope('s', { reuse: true } as never)).toThrow(
        'variableScope: the second argument must be a function (scope) => result, got object (options go third)',
      );
      expect(() => getVariable('w', [3, 4] as never)).toThrow(/getVariable: expected an options object/);
    }));
});
