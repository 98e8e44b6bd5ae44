// The gradient table is keyed by op definition; TF's string API resolves type names to the
// registered definition.
import {
  gradients,
  lookupGradient,
  notDifferentiable,
  registeredGradients,
  registerGradient,
} from '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

const inGraph = <T>(fn: () => T): T => new g.Graph().asDefault(fn);
const defineDouble = (type: string) =>
  g.defineOp<'x'>({
    type,
    inputs: ['x'],
    attrs: { T: g.typeOf('x') },
    shape: ({ x }) => x.shape,
    dtype: ({ x }) => x.dtype,
    kernel: ({ x }) => x,
  });

describe('gradient registry keyed by definition', () => {
  it('a string type and its definition register the same entry', () => {
    const Def = defineDouble('RegistryTestByName');
    const rule = (_op: g.Operation, dy: g.Tensor | null) => [g.mul(dy!, 2)];
    registerGradient('RegistryTestByName', rule);
    expect(lookupGradient(Def)?.rule).toBe(rule);
    expect(registeredGradients().get(Def)?.rule).toBe(rule);
    notDifferentiable(Def);
    expect(lookupGradient(Def)?.rule).toBeNull();
    registerGradient(Def, rule);
    expect(lookupGradient(Def)?.rule).toBe(rule);
  });

  it('registerGradient and notDifferentiable by name reach the driver', () =>
    inGraph(() => {
      const Def = defineDouble('RegistryTestDriver');
      registerGradient('RegistryTestDriver', (_op, dy) => [g.mul(dy!, 3)]);
      const x = g.constant([1, 2]);
      const [dx] = gradients(Def.apply({ x }, {}), x);
      expect(new g.Session().run(dx as g.Tensor).toArray()).toEqual([3, 3]);
      notDifferentiable('RegistryTestDriver');
      expect(gradients(Def.apply({ x }, {}), x)).toEqual([null]);
    }));

  it('an unknown type name is a clear error, and registers nothing', () => {
    const before = registeredGradients().size;
    expect(() => registerGradient('RegistryTestNoSuchOp', () => [])).toThrow(g.ValueError);
    expect(() => registerGradient('RegistryTestNoSuchOp', () => [])).toThrow(
      /registerGradient: no op type 'RegistryTestNoSuchOp' is defined/,
    );
    expect(() => notDifferentiable(g.Identity, 'RegistryTestNoSuchOp')).toThrow(
      /notDifferentiable: no op type 'RegistryTestNoSuchOp' is defined/,
    );
    expect(registeredGradients().size).toBe(before);
    expect(lookupGradient(g.Identity)?.rule).not.toBeNull();
  });

  it('built-in rules are registered against the definitions the builders use', () =>
    inGraph(() => {
      expect(lookupGradient(g.MatMul)?.rule).toBeTypeOf('function');
      expect(lookupGradient(g.ShapeOp)?.rule).toBeNull();
      expect(lookupGradient(g.matMul(g.constant([[1]]), g.constant([[2]])).op.def)).toBe(
        lookupGradient(g.MatMul),
      );
    }));
});
