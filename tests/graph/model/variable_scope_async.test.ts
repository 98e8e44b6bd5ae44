// Variable scopes follow async flows as name scopes do: a scope entered around an async callback
// holds after its `await`s, and two concurrent flows never see each other's scope.
import { add, constant, Graph, getVariable, getVariableScope, variableScope } from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('variable scopes across await', () => {
  it("names a variable made after an await inside variableScope('a') a/v", async () => {
    const g = new Graph();
    const v = await g.asDefault(() =>
      variableScope('a', async () => {
        await tick();
        return getVariable('v', { shape: [2] });
      }),
    );
    expect(v.name).toBe('a/v:0');
    // Outside, the root scope again.
    expect(g.asDefault(() => getVariableScope().name)).toBe('');
  });

  it('keeps the ops of the awaited part in the matching name scope', async () => {
    const g = new Graph();
    const op = await g.asDefault(() =>
      variableScope('a', async () => {
        await tick();
        return add(constant(1), constant(2));
      }),
    );
    expect(op.op.name).toBe('a/Add');
  });

  it('keeps concurrent flows apart', async () => {
    const g = new Graph();
    const [x, y] = await g.asDefault(() =>
      Promise.all([
        variableScope('x', async () => {
          await tick();
          return getVariable('v', { shape: [] });
        }),
        variableScope('y', async () => {
          await tick();
          await tick();
          return variableScope('inner', () => getVariable('v', { shape: [] }));
        }),
      ]),
    );
    expect(x.name).toBe('x/v:0');
    expect(y.name).toBe('y/inner/v:0');
  });

  it('re-entering a scope object across an await keeps its reuse', async () => {
    const g = new Graph();
    await g.asDefault(async () => {
      const first = variableScope('s', (scope) => {
        getVariable('w', { shape: [1] });
        return scope;
      });
      const again = await variableScope(
        first,
        async () => {
          await tick();
          return getVariable('w');
        },
        { reuse: true },
      );
      expect(again.name).toBe('s/w:0');
    });
  });
});
