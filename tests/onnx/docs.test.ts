// docs/onnx.md's op table is the registry's truth: every op type, ONNX or tfjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opTable } from '../../scripts/onnx_ops.js';

describe('docs/onnx.md', () => {
  it('lists every op and where it runs, as the lowering registry says', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/onnx.md'), 'utf8');
    const block = /<!-- op-table -->\n([\s\S]*?)\n<!-- \/op-table -->/.exec(doc);
    expect(block?.[1]).toBe(opTable());
  });
});
