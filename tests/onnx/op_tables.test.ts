// Every op-table row, forward and gradient, on the 'onnxruntime' backend against tfjs-cpu.
import '@graphmode/onnx';
import { beforeAll, describe, it } from 'vitest';
import { forwardCases, gradCases, named, type OpCase } from '../op_table.js';
import { arrayOps } from '../tables/array.js';
import { arraySourceOps } from '../tables/array_sources.js';
import { linalgOps } from '../tables/linalg.js';
import { mathOps } from '../tables/math.js';
import { nnOps } from '../tables/nn.js';
import { reduceOps } from '../tables/reduce.js';
import { slicingOps } from '../tables/slicing.js';
import { checkForwardOnnx, checkGradientOnnx, ready } from './harness.js';

const tables: [string, OpCase[]][] = [
  ['math', mathOps],
  ['reduce', reduceOps],
  ['linalg', linalgOps],
  ['nn', nnOps],
  ['array', arrayOps],
  ['array sources', arraySourceOps],
  ['slicing', slicingOps],
];

beforeAll(ready);

describe.each(tables)('%s table on onnxruntime', (_, table) => {
  it.each(named(forwardCases(table)))('forward %s', (_, c) => {
    checkForwardOnnx(c);
  });
  it.each(named(gradCases(table)))('gradient %s', (_, c) => {
    checkGradientOnnx(c);
  });
});
