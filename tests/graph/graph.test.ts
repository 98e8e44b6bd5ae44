// Graph building: default graphs, unique names, scopes, control dependencies, devices,
// colocation, collections, finalize and lookups, with TF 1.x's behaviour as the reference.
import {
  add,
  colocateWith,
  constant,
  controlDependencies,
  device,
  Graph,
  GraphKeys,
  getDefaultGraph,
  identity,
  NotFoundError,
  nameScope,
  noOp,
  Operation,
  placeholder,
  RuntimeError,
  resetDefaultGraph,
  Tensor,
  ValueError,
  variable,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: (g: Graph) => T): T => {
  const g = new Graph();
  return g.asDefault(() => fn(g));
};

describe('default graph', () => {
  it('asDefault nests and restores; resetDefaultGraph replaces the global one', () => {
    const outer = getDefaultGraph();
    const g1 = new Graph();
    const g2 = new Graph();
    g1.asDefault(() => {
      expect(getDefaultGraph()).toBe(g1);
      g2.asDefault(() => expect(getDefaultGraph()).toBe(g2));
      expect(getDefaultGraph()).toBe(g1);
      expect(() => resetDefaultGraph()).toThrow(RuntimeError);
    });
    expect(getDefaultGraph()).toBe(outer);
    resetDefaultGraph();
    expect(getDefaultGraph()).not.toBe(outer);
    expect(getDefaultGraph().getOperations()).toHaveLength(0);
  });

  it('builders use the default graph and asDefault returns fn’s value', () => {
    const g = new Graph();
    const c = g.asDefault(() => constant(1, { name: 'c' }));
    expect(c.graph).toBe(g);
    expect(g.getOperations().map((o) => o.name)).toEqual(['c']);
  });
});

describe('unique names', () => {
  it('follows TF unique_name: a, a_1, a_2, skipping taken names, case-insensitively', () =>
    inGraph(() => {
      expect(noOp({ name: 'a' }).name).toBe('a');
      expect(noOp({ name: 'a' }).name).toBe('a_1');
      expect(noOp({ name: 'a_2' }).name).toBe('a_2');
      expect(noOp({ name: 'a' }).name).toBe('a_3');
      expect(noOp({ name: 'A' }).name).toBe('A_4');
      expect(noOp({ name: 'b_1' }).name).toBe('b_1');
      expect(noOp({ name: 'b' }).name).toBe('b');
      expect(noOp({ name: 'b' }).name).toBe('b_2');
    }));

  it('default op names come from the builder and stay unique', () =>
    inGraph(() => {
      const x = constant(1);
      const y = constant(2);
      expect([x.op.name, y.op.name]).toEqual(['Const', 'Const_1']);
      expect(add(x, y).op.name).not.toBe(add(x, y).op.name);
    }));
});

describe('nameScope', () => {
  it('prefixes ops, uniquifies scopes, re-enters "scope/" and resets with ""', () =>
    inGraph(() => {
      const names: string[] = [];
      nameScope('layer', (s) => {
        expect(s).toBe('layer/');
        names.push(noOp({ name: 'op' }).name);
        nameScope('inner', () => names.push(noOp({ name: 'op' }).name));
        nameScope('', (s2) => {
          expect(s2).toBe('');
          names.push(noOp({ name: 'root' }).name);
        });
        nameScope(null, () => names.push(noOp({ name: 'root' }).name));
      });
      nameScope('layer', (s) => {
        expect(s).toBe('layer_1/');
        names.push(noOp({ name: 'op' }).name);
      });
      nameScope('layer/', (s) => {
        expect(s).toBe('layer/');
        names.push(noOp({ name: 'op' }).name);
      });
      expect(names).toEqual(['layer/op', 'layer/inner/op', 'root', 'root_1', 'layer_1/op', 'layer/op_1']);
    }));

  it('a scope name taken by an op becomes name_1 (names share one namespace)', () =>
    inGraph(() => {
      noOp({ name: 'dense' });
      nameScope('dense', (s) => expect(s).toBe('dense_1/'));
    }));

  it('an op named by its scope ("scope/") takes the scope name verbatim', () =>
    inGraph(() => {
      const x = constant(1);
      const y = nameScope('out', (s) => identity(x, { name: s }));
      expect(y.op.name).toBe('out');
      expect(noOp({ name: 'out' }).name).toBe('out_1');
    }));
});

describe('controlDependencies', () => {
  it('adds deps to ops built inside, nests, dedupes and clears with null', () =>
    inGraph(() => {
      const a = noOp({ name: 'a' });
      const b = noOp({ name: 'b' });
      const x = constant(1, { name: 'x' });
      controlDependencies([a], () => {
        const c = constant(2, { name: 'c' });
        expect(c.op.controlInputs).toEqual([a]);
        controlDependencies([a, b], () => {
          expect(noOp({ name: 'd' }).controlInputs).toEqual([a, b]);
        });
        controlDependencies(null, () => {
          expect(noOp({ name: 'e' }).controlInputs).toEqual([]);
          controlDependencies([b], () => expect(noOp({ name: 'f' }).controlInputs).toEqual([b]));
        });
      });
      expect(identity(x).op.controlInputs).toEqual([]);
    }));

  it('an op whose input was built inside the block gets no duplicate deps (TF)', () =>
    inGraph(() => {
      const a = noOp({ name: 'a' });
      const x = constant(1, { name: 'x' });
      controlDependencies([a], () => {
        const inner = identity(x, { name: 'inner' });
        expect(inner.op.controlInputs).toEqual([a]);
        expect(add(inner, x).op.controlInputs).toEqual([]);
        expect(identity(x).op.controlInputs).toEqual([a]);
      });
    }));

  it('an input that is itself a dep is not also a control input; tensors count as their op', () =>
    inGraph(() => {
      const x = constant(1, { name: 'x' });
      controlDependencies([x], () => {
        expect(identity(x).op.controlInputs).toEqual([]);
        expect(noOp().controlInputs).toEqual([x.op]);
      });
    }));

  it('rejects ops of another graph', () => {
    const other = new Graph().asDefault(() => noOp());
    inGraph(() => expect(() => controlDependencies([other], () => noOp())).toThrow(ValueError));
  });
});

describe('device and colocateWith', () => {
  it('device: innermost spec wins, "" keeps the outer one, null clears', () =>
    inGraph(() => {
      expect(noOp().device).toBe('');
      device('/cpu:0', () => {
        expect(noOp().device).toBe('/cpu:0');
        device('/gpu:1', () => expect(noOp().device).toBe('/gpu:1'));
        device('', () => expect(noOp().device).toBe('/cpu:0'));
        device(null, () => expect(noOp().device).toBe(''));
        expect(noOp().device).toBe('/cpu:0');
      });
    }));

  it('colocateWith: ops share the target’s group and device; null clears', () =>
    inGraph(() => {
      const v = device('/cpu:0', () => constant(1, { name: 'v' }));
      const w = constant(2, { name: 'w' });
      colocateWith(v, () => {
        const op = noOp();
        expect(op.colocationGroups).toEqual(['loc:@v']);
        expect(op.device).toBe('/cpu:0');
        colocateWith(w, () => expect(noOp().colocationGroups).toEqual(['loc:@v', 'loc:@w']));
        colocateWith(null, () => expect(noOp().colocationGroups).toEqual([]));
        // Colocating with an op that is itself colocated joins its group.
        colocateWith(op, () => expect(noOp().colocationGroups).toEqual(['loc:@v']));
      });
    }));
});

describe('collections', () => {
  it('getCollection is a copy, getCollectionRef the live list; scope filters by name prefix', () =>
    inGraph((g) => {
      const a = constant(1, { name: 'dense/a' });
      const b = constant(2, { name: 'other/b' });
      g.addToCollection(GraphKeys.LOSSES, a);
      g.addToCollection(GraphKeys.LOSSES, b);
      g.addToCollection(GraphKeys.LOSSES, 42);
      const copy = g.getCollection(GraphKeys.LOSSES);
      copy.pop();
      expect(g.getCollection(GraphKeys.LOSSES)).toEqual([a, b, 42]);
      const ref = g.getCollectionRef(GraphKeys.LOSSES);
      ref.pop();
      expect(g.getCollection(GraphKeys.LOSSES)).toEqual([a, b]);
      expect(g.getCollection(GraphKeys.LOSSES, 'dense')).toEqual([a]);
      expect(g.getCollection('missing')).toEqual([]);
      expect(g.getAllCollectionKeys()).toContain(GraphKeys.LOSSES);
    }));
});

describe('finalize and lookups', () => {
  it('adding an op to a finalized graph throws', () =>
    inGraph((g) => {
      constant(1);
      g.finalize();
      expect(g.finalized).toBe(true);
      expect(() => constant(2)).toThrow(/finalized/);
    }));

  it("unfinalize() (TF's _unsafe_unfinalize) lets ops be added again", () =>
    inGraph((g) => {
      g.finalize();
      g.unfinalize();
      expect(g.finalized).toBe(false);
      expect(constant(2).op.name).toBe('Const');
    }));

  it('getOperationByName / getTensorByName find ops and fail like TF', () =>
    inGraph((g) => {
      const x = nameScope('s', () => placeholder('float32', [null, 3], { name: 'x' }));
      expect(g.getOperationByName('s/x')).toBe(x.op);
      expect(g.getTensorByName('s/x:0')).toBe(x);
      expect(() => g.getOperationByName('nope')).toThrow(
        new NotFoundError("The name 'nope' refers to an Operation not in the graph."),
      );
      expect(() => g.getOperationByName('nope')).toThrow(NotFoundError);
      expect(() => g.getOperationByName('s/x:0')).toThrow(/appears to refer to a Tensor/);
      expect(() => g.getTensorByName('s/y:0')).toThrow(
        "The name 's/y:0' refers to a Tensor which does not exist. The operation, 's/y', does not exist in the graph.",
      );
      expect(() => g.getTensorByName('s/x:1')).toThrow(/exists but only has 1 outputs/);
      expect(() => g.getTensorByName('s/x')).toThrow(ValueError);
    }));
});

describe('Operation and Tensor fields', () => {
  it('expose name, type, inputs, outputs, controlInputs, attrs, device, graph', () =>
    inGraph((g) => {
      const x = placeholder('float32', [null, 3], { name: 'x' });
      const gate = noOp({ name: 'gate' });
      const y = controlDependencies([gate], () => add(x, 1, { name: 'y' }));
      const op = y.op;
      expect(op).toBeInstanceOf(Operation);
      expect(op.name).toBe('y');
      expect(op.type).toBe('AddV2');
      expect(op.inputs[0]).toBe(x);
      expect(op.inputs[1]!.op.type).toBe('Const');
      expect(op.outputs).toEqual([y]);
      // The constant for `1` was built inside the block and carries the dep; the add reads it.
      expect(op.inputs[1]!.op.controlInputs).toEqual([gate]);
      expect(op.controlInputs).toEqual([]);
      expect(op.device).toBe('');
      expect(op.graph).toBe(g);
      expect(x.op.attrs).toEqual({ dtype: 'float32', shape: [null, 3] });
      expect(y).toBeInstanceOf(Tensor);
      expect([y.name, y.valueIndex, y.dtype, y.shape, y.graph]).toEqual(['y:0', 0, 'float32', [null, 3], g]);
      expect(g.getOperations()).toEqual([x.op, gate, op.inputs[1]!.op, op]);
      expect(x.consumers).toEqual([op]);
    }));

  it('attrs and inputs are frozen; creationSite points at the building line', () =>
    inGraph(() => {
      const [x, here] = [placeholder('float32', [2], { name: 'x' }), new Error().stack ?? ''];
      expect(Object.isFrozen(x.op.attrs)).toBe(true);
      expect(Object.isFrozen(x.op.inputs)).toBe(true);
      const line = (site: string) => /graph\.test\.ts:(\d+):\d+/.exec(site)?.[1];
      expect(line(x.op.creationSite)).toBeDefined();
      expect(line(x.op.creationSite)).toBe(line(here));
      // Deep library call chains (variable -> scopes -> Assign) still reach the user's line.
      const [w, hereW] = [variable(1, { name: 'w' }), new Error().stack ?? ''];
      expect(line(w.initializer.creationSite)).toBe(line(hereW));
    }));

  it('addControlInputs adds deps after creation but never a later op', () =>
    inGraph((g) => {
      const a = noOp({ name: 'a' });
      const b = noOp({ name: 'b' });
      const v0 = g.version;
      b.addControlInputs([a]);
      expect(b.controlInputs).toEqual([a]);
      expect(g.version).toBe(v0 + 1);
      expect(() => a.addControlInputs([b])).toThrow(/created after/);
    }));

  it('ops are built in their inputs’ graph (like TF); mixing graphs is rejected', () => {
    const g1 = new Graph();
    const x = g1.asDefault(() => constant(1));
    inGraph((g2) => {
      expect(add(x, 1).graph).toBe(g1);
      expect(() => add(x, constant(2))).toThrow(ValueError);
      expect(g2.getOperations().map((o) => o.type)).toEqual(['Const']);
    });
  });
});

describe('Variables in scopes', () => {
  it('controlDependencies and colocateWith accept a Variable (its VariableV2 op), as TF does', () =>
    inGraph(() => {
      const v = variable(1, { name: 'v' });
      const after = controlDependencies([v], () => noOp({ name: 'after' }));
      expect(after.controlInputs).toEqual([v.op]);
      const near = colocateWith(v, () => noOp({ name: 'near' }));
      expect(near.colocationGroups).toContain('loc:@v');
    }));
});

describe('asGraphDef', () => {
  it('snapshots nodes with TF input notation, frozen and unaffected by later growth', () =>
    inGraph((g) => {
      const a = constant(1, { name: 'a' });
      const b = controlDependencies([a], () => add(a, a, { name: 'b' }));
      const def = g.asGraphDef();
      expect(def.node.map((n) => [n.name, n.op, n.input])).toEqual([
        ['a', 'Const', []],
        ['b', 'AddV2', ['a', 'a']],
      ]);
      expect(def.node[1]!.outputShapes).toEqual([[]]);
      expect(Object.isFrozen(def.node[0])).toBe(true);
      identity(b, { name: 'c' });
      expect(def.node).toHaveLength(2);
      expect(g.asGraphDef().node.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    }));
});
