// The sequence example (examples/sequence_lstm.ts): an LSTM built with nn.dynamicRnn learns the
// adding problem — its loss ends far below the 1/6 a mean predictor scores.
import { describe, expect, it } from 'vitest';
import { trainAdder } from '../../examples/sequence_lstm.js';

describe('sequence LSTM example', () => {
  it('learns to add the two marked numbers', async () => {
    const { firstLoss, finalLoss } = await trainAdder(400);
    expect(firstLoss).toBeGreaterThan(0.5);
    expect(finalLoss).toBeLessThan(0.02);
  }, 120_000);
});
