// Soft size budgets from DESIGN.md, enforced: source files stay small enough to read in one go.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT = 450;
const budgets: Record<string, number> = { 'packages/autodiff/src/gradients.ts': 330 };

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const over: string[] = [];
for (const pkg of ['graph', 'autodiff', 'train']) {
  for (const file of sources(join('packages', pkg, 'src'))) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    const limit = budgets[file] ?? LIMIT;
    if (lines > limit) over.push(`${file}: ${lines} lines (budget ${limit})`);
  }
}
if (over.length) {
  console.error(`Files over their size budget:\n${over.join('\n')}`);
  process.exit(1);
}
console.log('sizes: every source file is within budget');
