// The default graph and the scope stacks follow async flows (AsyncLocalStorage): an async
// callback keeps its graph and scopes after `await`, and concurrent flows never see each other's.
import {
  colocateWith,
  constant,
  controlDependencies,
  device,
  Graph,
  getDefaultGraph,
  nameScope,
  noOp,
  RuntimeError,
  resetDefaultGraph,
} from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('asDefault with an async callback', () => {
  it('builds every op in its graph, also after await, and restores the default on return', async () => {
    const outer = getDefaultGraph();
    const g = new Graph();
    const pending = g.asDefault(async () => {
      constant(1, { name: 'before' });
      await tick();
      constant(2, { name: 'after' });
      expect(getDefaultGraph()).toBe(g);
      expect(() => resetDefaultGraph()).toThrow(RuntimeError);
    });
    // Synchronously after asDefault returns, the caller's flow is back on its own default graph.
    expect(getDefaultGraph()).toBe(outer);
    await pending;
    expect(g.getOperations().map((op) => op.name)).toEqual(['before', 'after']);
    expect(outer.getOperations().some((op) => op.name === 'after')).toBe(false);
    expect(getDefaultGraph()).toBe(outer);
  });

  it('two concurrent flows with different default graphs do not see each other’s', async () => {
    const [g1, g2] = [new Graph(), new Graph()];
    const build = (g: Graph, tag: string) =>
      g.asDefault(async () => {
        for (let i = 0; i < 5; i++) {
          constant(i, { name: tag });
          await tick();
          expect(getDefaultGraph()).toBe(g);
        }
      });
    await Promise.all([build(g1, 'one'), build(g2, 'two')]);
    expect(new Set(g1.getOperations().map((op) => op.name.replace(/_\d+$/, '')))).toEqual(new Set(['one']));
    expect(new Set(g2.getOperations().map((op) => op.name.replace(/_\d+$/, '')))).toEqual(new Set(['two']));
    expect(g1.numOps).toBe(5);
    expect(g2.numOps).toBe(5);
  });
});

describe('scopes across await', () => {
  it('nameScope holds after await; concurrent flows on one graph keep their own scopes', async () => {
    const g = new Graph();
    const flow = (scope: string) =>
      g.asDefault(() =>
        nameScope(scope, async () => {
          await tick();
          const a = constant(1, { name: 'c' });
          await tick();
          const b = nameScope('inner', () => constant(2, { name: 'c' }));
          return [a.op.name, b.op.name, g.currentNameScope];
        }),
      );
    const [a, b] = await Promise.all([flow('a'), flow('b')]);
    expect(a).toEqual(['a/c', 'a/inner/c', 'a']);
    expect(b).toEqual(['b/c', 'b/inner/c', 'b']);
    expect(g.currentNameScope).toBe('');
  });

  it('controlDependencies, device and colocateWith hold after await and end with the callback', async () => {
    const g = new Graph();
    await g.asDefault(async () => {
      const dep = noOp({ name: 'dep' });
      const target = device('/cpu:0', () => constant(0, { name: 'target' }));
      const inside = await controlDependencies([dep], async () => {
        await tick();
        return device('/gpu:1', async () => {
          await tick();
          return colocateWith(target, async () => {
            await tick();
            return [constant(1, { name: 'colocated' }), device('/gpu:2', () => constant(2))];
          });
        });
      });
      const [colocated, other] = inside;
      expect(colocated.op.controlInputs).toEqual([dep]);
      expect(colocated.op.device).toBe('/cpu:0');
      expect(colocated.op.colocationGroups).toEqual(['loc:@target']);
      expect(other.op.device).toBe('/gpu:2');
      await tick();
      const outside = constant(3, { name: 'outside' });
      expect(outside.op.controlInputs).toEqual([]);
      expect(outside.op.device).toBe('');
      expect(outside.op.colocationGroups).toEqual([]);
    });
  });

  it('a scope entered in one graph is invisible to another graph in the same flow', () => {
    const [g1, g2] = [new Graph(), new Graph()];
    g1.nameScope('outer', () => {
      expect(g1.currentNameScope).toBe('outer');
      expect(g2.currentNameScope).toBe('');
      g2.asDefault(() => expect(constant(1, { name: 'c' }).op.name).toBe('c'));
      expect(g1.asDefault(() => constant(1, { name: 'c' })).op.name).toBe('outer/c');
    });
  });
});
