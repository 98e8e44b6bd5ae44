// Prints the op table of docs/onnx.md: every defined op type and whether the 'onnxruntime'
// backend lowers it to ONNX or runs it on tfjs. tests/onnx/docs.test.ts keeps the two in sync.
//   npx tsx scripts/onnx_ops.ts
import '@graphmode/autodiff';
import { registeredOps } from '@graphmode/graph';
import { loweredDefs } from '@graphmode/onnx';
import '@graphmode/train';

export function opTable(): string {
  const lowered = loweredDefs();
  const rows = [...registeredOps().values()]
    .map((def) => [def.type, lowered.has(def) ? 'ONNX' : 'tfjs'] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return ['| op | runs on |', '|---|---|', ...rows.map(([t, where]) => `| ${t} | ${where} |`)].join('\n');
}

if (process.argv[1]?.endsWith('onnx_ops.ts')) console.log(opTable());
