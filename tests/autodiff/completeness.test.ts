// Every op type in the registry has a gradient rule or is declared not differentiable.
import { registeredGradients } from '@graphmode/autodiff';
import { registeredOps } from '@graphmode/graph';
import '@graphmode/train';
import { describe, expect, it } from 'vitest';

describe('gradient table completeness', () => {
  it('covers every registered op type', () => {
    const rules = registeredGradients();
    const missing = [...registeredOps()].filter(([, def]) => !rules.has(def)).map(([type]) => type);
    expect(missing, `op types with neither a rule nor notDifferentiable: ${missing.join(', ')}`).toEqual([]);
  });

  it('has no rule for an op definition that is not the registered one of its type', () => {
    const ops = registeredOps();
    const orphans = [...registeredGradients().keys()].filter((def) => ops.get(def.type) !== def);
    expect(orphans.map((d) => d.type)).toEqual([]);
  });
});
