import { describe, expect, it } from 'vitest';
import { fitLine } from '../../examples/linear_regression.js';

describe('README example', () => {
  it('fits y = 2x - 1', () => {
    const { w, b, loss } = fitLine();
    expect(w).toBeCloseTo(2, 2);
    expect(b).toBeCloseTo(-1, 2);
    expect(loss).toBeLessThan(1e-4);
  });
});
