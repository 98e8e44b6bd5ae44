// Ports of TF 1.15's variable_scope_test.py: names, reuse (inherited, AUTO_REUSE, by object),
// the name-scope / variable-scope split, default names, scope defaults, TF's error texts.
import {
  AUTO_REUSE,
  add,
  constant,
  Graph,
  GraphKeys,
  TypeError as GraphTypeError,
  getVariable,
  getVariableScope,
  globalVariablesInitializer,
  initializers,
  losses,
  nameScope,
  noRegularizer,
  reduceMean,
  regularizers,
  Session,
  type Tensor,
  ValueError,
  VariableScope,
  variableScope,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};
const v = (name: string) => getVariable(name, { shape: [] });

describe('getVariable', () => {
  it('names variables after the variable scope and returns the same one on reuse', () =>
    inGraph(() => {
      const w = v('v');
      expect(w.name).toBe('v:0');
      variableScope('foo', () => {
        const a = v('v');
        expect(a.name).toBe('foo/v:0');
        expect(a.op.name).toBe('foo/v');
      });
      variableScope('foo', () => expect(v('v').name).toBe('foo/v:0'), { reuse: true });
    }));

  it('raises TF’s texts for an existing variable without reuse and a missing one with reuse', () =>
    inGraph(() => {
      variableScope('foo', () => v('v'));
      expect(() => variableScope('foo', () => v('v'))).toThrow(
        new ValueError(
          'Variable foo/v already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?',
        ),
      );
      expect(() => variableScope('foo', () => v('w'), { reuse: true })).toThrow(
        new ValueError(
          'Variable foo/w does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
        ),
      );
    }));

  it('checks shape and dtype when reusing (testVarScopeGetVar)', () =>
    inGraph(() => {
      variableScope('s', () => getVariable('x', { shape: [3, 4] }));
      variableScope(
        's',
        () => {
          expect(() => getVariable('x', { shape: [4, 3] })).toThrow(
            'Trying to share variable s/x, but specified shape [4,3] and found shape [3,4].',
          );
          expect(() => getVariable('x', { shape: [3, 4], dtype: 'int32' })).toThrow(
            'Trying to share variable s/x, but specified dtype int32 and found dtype float32.',
          );
          expect(getVariable('x', { shape: [null, 4] }).name).toBe('s/x:0');
          expect(getVariable('x').shape).toEqual([3, 4]);
        },
        { reuse: true },
      );
    }));

  it('AUTO_REUSE gets or creates', () =>
    inGraph(() => {
      const a = variableScope('auto', () => v('w'), { reuse: AUTO_REUSE });
      const b = variableScope('auto', () => v('w'), { reuse: AUTO_REUSE });
      const c = variableScope('auto', () => v('z'), { reuse: AUTO_REUSE });
      expect(b).toBe(a);
      expect(c.name).toBe('auto/z:0');
    }));

  it('requires a fully defined shape for a new variable; a constant initializer takes no shape', () =>
    inGraph(() => {
      // TF 1.15's text (older TFs said 'Shape of a new variable (u) must be fully defined').
      expect(() => getVariable('u', { shape: [null, 2] })).toThrow(
        /The initializer passed is not valid\..*`shape` should be fully defined\. \(variable u, shape \[\?,2\]\)/,
      );
      expect(() => getVariable('u')).toThrow(/`shape` should be fully defined/);
      expect(() => getVariable('c', { shape: [2], initializer: [1, 2] })).toThrow(
        'If initializer is a constant, do not specify shape.',
      );
      expect(() =>
        getVariable('c', { initializer: constant(1, { dtype: 'int32' }), dtype: 'float32' }),
      ).toThrow("Initializer type 'int32' and explicit dtype 'float32' don't match.");
      expect(getVariable('s', { shape: [1], dtype: 'string' }).dtype).toBe('string'); // zeros: ''
      expect(getVariable('c', { initializer: [1, 2] }).shape).toEqual([2]);
    }));

  it('builds initializer ops under <var>/Initializer/ at the root name scope (testGetVariableNameScope)', () =>
    inGraph((g) => {
      nameScope('ns', () => variableScope('vs', () => getVariable('k', { shape: [2, 3] })));
      const names = g.getOperations().map((o) => o.name);
      expect(names).toContain('vs/k/Initializer/random_uniform/RandomUniform');
      expect(names).toContain('vs/k');
      expect(names).toContain('vs/k/Assign');
      expect(names).toContain('vs/k/read');
      expect(names.some((n) => n.startsWith('ns/vs/k'))).toBe(false);
    }));

  it('default initializer: glorot uniform for floats (|x| <= sqrt(6/(in+out))), zeros for ints', () => {
    const g = new Graph();
    const [f, i] = g.asDefault(() => [
      getVariable('f', { shape: [20, 30] }),
      getVariable('i', { shape: [4], dtype: 'int32' }),
    ]);
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    const fv = sess.run(f).data as Float32Array;
    const limit = Math.sqrt(6 / 50);
    expect(Math.max(...fv.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...fv.map(Math.abs))).toBeGreaterThan(limit * 0.8);
    expect(Array.from(sess.run(i).data as Int32Array)).toEqual([0, 0, 0, 0]);
  });
});

describe('variableScope', () => {
  it('re-opening a name gives a new name scope but the same variable scope (testVarOpScope)', () =>
    inGraph(() => {
      nameScope('testVarOpScope1', () => {
        variableScope('tower', () => {
          expect(v('w').name).toBe('tower/w:0');
          nameScope('testVarOpScope2', (sc) => expect(sc).toBe('testVarOpScope1/tower/testVarOpScope2/'));
        });
        variableScope('tower', () => {
          expect(() => v('w')).toThrow(ValueError);
          nameScope('testVarOpScope2', (sc) => expect(sc).toBe('testVarOpScope1/tower_1/testVarOpScope2/'));
        });
      });
      nameScope('testVarOpScope2', () => {
        variableScope(
          null,
          () => {
            expect(v('w').name).toBe('default/w:0');
            nameScope('testVarOpScope2', (sc) => expect(sc).toBe('testVarOpScope2/default/testVarOpScope2/'));
          },
          { defaultName: 'default' },
        );
        variableScope(
          null,
          () => {
            expect(v('w').name).toBe('default_1/w:0');
            nameScope('testVarOpScope2', (sc) =>
              expect(sc).toBe('testVarOpScope2/default_1/testVarOpScope2/'),
            );
          },
          { defaultName: 'default' },
        );
      });
    }));

  it('re-entering by object keeps the name and the original name scope (testVarScopeOriginalNameScope)', () =>
    inGraph(() => {
      const tower = nameScope('scope1', () =>
        variableScope('tower', (s) => {
          expect(s.originalNameScope).toBe('scope1/tower/');
          nameScope('scope2', (sc) => expect(sc).toBe('scope1/tower/scope2/'));
          return s;
        }),
      );
      nameScope('scope2', () => {
        variableScope(tower, (t1) => {
          expect(t1.originalNameScope).toBe('scope1/tower/');
          expect(t1.name).toBe('tower');
          nameScope('foo', (sc) => expect(sc).toBe('scope2/tower/foo/'));
        });
        nameScope(tower.originalNameScope, () =>
          nameScope('bar', (sc) => expect(sc).toBe('scope1/tower/bar/')),
        );
      });
    }));

  it('outer scope object: variables under outer/, ops under outer_1/, outer_2/ (testVarScopeOuterScope)', () =>
    inGraph(() => {
      const outer = variableScope('outer', (s) => s);
      variableScope(outer, () => {
        expect(v('w').name).toBe('outer/w:0');
        nameScope('scope2', (sc) => expect(sc).toBe('outer_1/scope2/'));
        variableScope('default', () => {
          expect(v('w').name).toBe('outer/default/w:0');
          nameScope('scope2', (sc) => expect(sc).toBe('outer_1/default/scope2/'));
        });
      });
      variableScope(
        outer,
        () => {
          expect(v('w').name).toBe('outer/w:0');
          nameScope('scope2', (sc) => expect(sc).toBe('outer_2/scope2/'));
          variableScope('default', () => expect(v('w').name).toBe('outer/default/w:0'), { reuse: true });
        },
        { reuse: true },
      );
    }));

  it('reuse is inherited by nested scopes; reuse: false does not switch it off (testVarScopeReuse)', () =>
    inGraph(() => {
      variableScope('outer', () => variableScope('inner', () => v('w')));
      variableScope(
        'outer',
        (o) => {
          expect(o.reuse).toBe(true);
          variableScope('inner', (i) => expect(i.reuse).toBe(true));
          variableScope('inner', (i) => expect(i.reuse).toBe(true), { reuse: false });
          expect(variableScope('inner', () => v('w')).name).toBe('outer/inner/w:0');
        },
        { reuse: true },
      );
    }));

  it('reuseVariables() switches the current scope to reuse', () =>
    inGraph(() => {
      variableScope('rv', (s) => {
        const a = v('w');
        expect(s.reuse).toBe(false);
        s.reuseVariables();
        expect(getVariableScope().reuse).toBe(true);
        expect(v('w')).toBe(a);
      });
    }));

  it('default names count per enclosing scope and restart when it is re-entered', () =>
    inGraph(() => {
      const names: string[] = [];
      const layer = () => variableScope(null, (s) => names.push(s.name), { defaultName: 'dense' });
      variableScope('m', () => (layer(), layer()));
      variableScope('m', () => (layer(), layer()), { reuse: true });
      expect(names).toEqual(['m/dense', 'm/dense_1', 'm/dense', 'm/dense_1']);
      expect(() => variableScope(null, () => 0, { defaultName: 'x', reuse: true })).toThrow(
        'reuse=True cannot be used without a name_or_scope',
      );
      expect(() => variableScope(null, () => 0)).toThrow(GraphTypeError);
    }));

  it('auxiliaryNameScope: false keeps the enclosing name scope', () =>
    inGraph(() => {
      nameScope('outer', () =>
        variableScope(
          'inner',
          (s) => {
            expect(s.originalNameScope).toBe('outer/');
            expect(v('w').name).toBe('inner/w:0');
            expect(constant(1, { name: 'c' }).name).toBe('outer/c:0');
          },
          { auxiliaryNameScope: false },
        ),
      );
    }));

  it('scope initializer, regularizer and dtype are inherited (testVarScopeInitializer, testVarScopeRegularizer)', async () => {
    const g = new Graph();
    const [a, b, c] = g.asDefault(() =>
      variableScope(
        'init',
        () => {
          const a = getVariable('a', { shape: [2] });
          const b = variableScope('sub', () => getVariable('b', { shape: [2] }));
          const c = getVariable('c', { shape: [2], initializer: initializers.constant(0.5) });
          return [a, b, c];
        },
        { initializer: initializers.constant(0.3), regularizer: regularizers.l2(0.5) },
      ),
    );
    expect(getScopeDtype(g)).toBe('float32');
    const regs = g.getCollection(GraphKeys.REGULARIZATION_LOSSES);
    expect(regs.map((t) => (t as { name: string }).name)).toEqual([
      'init/a/Regularizer/l2_regularizer:0',
      'init/sub/b/Regularizer/l2_regularizer:0',
      'init/c/Regularizer/l2_regularizer:0',
    ]);
    const total = g.asDefault(() => losses.getRegularizationLoss());
    expect(total.name).toBe('total_regularization_loss:0');
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    expect(Array.from(sess.run(a).data as Float32Array)).toEqual([0.3, 0.3].map(Math.fround));
    expect(Array.from(sess.run(b).data as Float32Array)).toEqual([0.3, 0.3].map(Math.fround));
    // 0.5 * (2·0.3²/2 + 2·0.3²/2 + 2·0.5²/2)
    expect(sess.run(total).item()).toBeCloseTo(0.5 * (0.09 + 0.09 + 0.25), 6);
    expect(Array.from(sess.run(c).data as Float32Array)).toEqual([0.5, 0.5]);
  });

  it('a scope dtype applies to its variables', () =>
    inGraph(() => {
      const w = variableScope('ints', () => getVariable('n', { shape: [1] }), { dtype: 'int32' });
      expect(w.dtype).toBe('int32');
    }));

  it('rejects unknown options with a TypeError naming the builder and the accepted keys', () =>
    inGraph(() => {
      expect(() => variableScope('x', () => 0, { resue: true } as never)).toThrow(
        /variableScope: unknown option 'resue'; accepted options: reuse, initializer/,
      );
      expect(() => getVariable('x', { shap: [1] } as never)).toThrow(/getVariable: unknown option 'shap'/);
    }));

  it('keeps one store per graph', () => {
    const g1 = new Graph();
    const g2 = new Graph();
    g1.asDefault(() => v('w'));
    expect(g2.asDefault(() => v('w')).graph).toBe(g2);
    expect(g1.asDefault(() => getVariableScope())).toBeInstanceOf(VariableScope);
  });
});

describe('variable_scope_test.py ports', () => {
  it('testVarScopeRegularizer: inherited, overridden, switched off, not re-added on reuse', () => {
    const g = new Graph();
    const regularizer1 = (w: Tensor) => add(reduceMean(w), 0.1);
    const regularizer2 = (w: Tensor) => add(reduceMean(w), 0.2);
    const init = initializers.constant(0.3);
    const vars = g.asDefault(() =>
      variableScope(
        'tower3',
        (tower) => {
          const v = variableScope('foo', () => v0('v'), { initializer: init });
          expect(g.getCollection(GraphKeys.REGULARIZATION_LOSSES)).toHaveLength(1);
          const rest = variableScope(
            tower,
            (vs) => {
              const u = v0('u');
              vs.setRegularizer(regularizer2);
              const w = v0('w');
              const x = getVariable('x', { shape: [], regularizer: noRegularizer });
              const y = variableScope('baz', () => v0('y'), { regularizer: noRegularizer });
              vs.setRegularizer(noRegularizer);
              const z = v0('z');
              return [u, w, x, y, z];
            },
            { initializer: init },
          );
          expect(g.getCollection(GraphKeys.REGULARIZATION_LOSSES)).toHaveLength(3);
          variableScope('foo', () => v0('v'), { reuse: true });
          expect(g.getCollection(GraphKeys.REGULARIZATION_LOSSES)).toHaveLength(3);
          return [v, ...rest];
        },
        { regularizer: regularizer1 },
      ),
    );
    const sess = new Session(g);
    sess.run(g.asDefault(() => globalVariablesInitializer()));
    expect(vars).toHaveLength(6);
    const got = g
      .getCollection<Tensor>(GraphKeys.REGULARIZATION_LOSSES)
      .map((t) => sess.run(t).item() as number);
    [0.4, 0.4, 0.5].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 6));
  });

  it('testVarOpScopeUniqueNamesInterleavedSubstringScopes', () =>
    inGraph(() => {
      const names: string[] = [];
      const nested = (outer: string) =>
        variableScope(
          null,
          () => variableScope(null, () => names.push(v('w').name), { defaultName: 'layer' }),
          {
            defaultName: outer,
          },
        );
      nested('defaultScope1');
      nested('defaultScope1');
      nested('defaultScope');
      nested('defaultScope1');
      expect(names).toEqual([
        'defaultScope1/layer/w:0',
        'defaultScope1_1/layer/w:0',
        'defaultScope/layer/w:0',
        'defaultScope1_2/layer/w:0',
      ]);
    }));

  it('testVarOpScopeUniqueNamesWithJump: numbering continues after jumping into a scope object', () =>
    inGraph(() => {
      variableScope('default', (d) => {
        const layer = () => variableScope(null, () => v('w').name, { defaultName: 'layer' });
        expect(layer()).toBe('default/layer/w:0');
        expect(layer()).toBe('default/layer_1/w:0');
        variableScope(d, () => 0);
        expect(layer()).toBe('default/layer_2/w:0');
      });
    }));

  it('testGetOrCreateReuse (AUTO_REUSE) and VariableScope collections (testGetCollection)', () =>
    inGraph(() => {
      const a = variableScope('bar', () => v('var'), { reuse: AUTO_REUSE });
      expect(variableScope('bar', () => v('var'), { reuse: AUTO_REUSE })).toBe(a);
      variableScope('bar2', (s) => {
        v('a');
        getVariable('b', { shape: [], trainable: false });
        expect(s.globalVariables().map((x) => x.name)).toEqual(['bar2/a:0', 'bar2/b:0']);
        expect(s.trainableVariables().map((x) => x.name)).toEqual(['bar2/a:0']);
      });
      expect(() => variableScope('x', () => 0, { reuse: 1 as never })).toThrow(
        'The reuse parameter must be True or False or None.',
      );
    }));
});

const v0 = (name: string) => getVariable(name, { shape: [] });
const getScopeDtype = (g: Graph) => g.asDefault(() => getVariableScope().dtype);
