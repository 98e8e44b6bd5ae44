// No two source files of a package import each other at run time, directly or in a loop.
// (Type-only imports vanish from the emitted JavaScript and are not counted.)
import { describe, expect, it } from 'vitest';
import { importCycles } from '../../scripts/check-cycles.js';

describe('import cycles', () => {
  for (const pkg of ['graph', 'autodiff', 'train']) {
    it(`packages/${pkg}/src has none`, () => {
      expect(importCycles(`packages/${pkg}/src`)).toEqual([]);
    });
  }

  it('the checker finds a cycle: the type-only references between Graph and OpDef', () => {
    const withTypes = importCycles('packages/graph/src', true);
    expect(withTypes.some((c) => c.includes('graph.ts') && c.includes('op_def.ts'))).toBe(true);
  });
});
