// Lists import cycles among a package's source files (default packages/graph/src): strongly
// connected components of the runtime import graph (`import type` and `export type` ignored, as
// they vanish from the emitted JavaScript). Exits 1 when there is a cycle.
// Usage: npx tsx scripts/check-cycles.ts [dir] [--types] (--types: count type-only imports too)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

// `import x from './a.js'`, `export { y } from './b.js'`, and side-effect `import './c.js'`.
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:([^'"]*?)\s*from\s+)?'(\.[^']+)'/gm;

/** The import cycles among the .ts files under `dir`, each as its files (relative to `dir`). */
export function importCycles(dir: string, withTypes = false): string[][] {
  const root = resolve(dir);
  const edges = importGraph(root, withTypes);
  return stronglyConnected(edges).map((c) => c.map((f) => relative(root, f)).sort());
}

function importGraph(root: string, withTypes: boolean): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const f of files(root)) {
    const out: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const typeOnly =
        m[2] !== undefined ||
        (m[3] !== undefined &&
          /^\{[^}]*\}$/s.test(m[3]) &&
          m[3]
            .slice(1, -1)
            .split(',')
            .every((s) => s.trim() === '' || s.trim().startsWith('type ')));
      if (typeOnly && !withTypes) continue;
      out.push(resolve(dirname(f), m[4]!.replace(/\.js$/, '.ts')));
    }
    edges.set(f, out);
  }
  return edges;
}

// Tarjan's strongly connected components of more than one file.
function stronglyConnected(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  function visit(v: string): void {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp);
    }
  }
  for (const f of edges.keys()) if (!idx.has(f)) visit(f);
  return cycles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--')) ?? 'packages/graph/src';
  const cycles = importCycles(dir, args.includes('--types'));
  for (const c of cycles) console.log(`cycle: ${c.join(' <-> ')}`);
  console.log(`${cycles.length} import cycle(s) in ${dir}`);
  process.exit(cycles.length > 0 ? 1 : 0);
}
