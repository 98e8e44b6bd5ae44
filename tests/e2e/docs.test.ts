// docs/api.md lists every public name (regenerate it with `npm run docs:api`), its links point at
// files that exist, and the README links the docs a user of the repo has.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as autodiff from '@graphmode/autodiff';
import * as graph from '@graphmode/graph';
import * as train from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { apiPackages } from '../../scripts/api_doc.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

describe('docs/api.md', () => {
  const page = read('docs/api.md');
  const listed = new Set([...page.matchAll(/\| \[`([\w$.]+)`\]/g)].map((m) => m[1]!));

  it('lists every runtime export of every package (run `npm run docs:api` after adding one)', () => {
    const exported = [
      ...Object.keys(graph).map((n) => [n, graph] as const),
      ...Object.keys(autodiff).map((n) => [n, autodiff] as const),
      ...Object.keys(train).map((n) => [n, train] as const),
    ].flatMap(([n, mod]) => {
      const v = (mod as Record<string, unknown>)[n];
      // A namespace export (`losses`, `summary`) is listed member by member.
      return v && typeof v === 'object' && Object.getPrototypeOf(v) === null
        ? Object.keys(v).map((m) => `${n}.${m}`)
        : [n];
    });
    expect(exported.filter((n) => !listed.has(n))).toEqual([]);
  });

  it('lists the type-only exports too, and every link points at an existing file', () => {
    const generated = apiPackages().flatMap((p) =>
      p.files.flatMap((f) => f.names.map((n) => (f.namespace ? `${f.namespace}.${n.name}` : n.name))),
    );
    expect(generated.filter((n) => !listed.has(n))).toEqual([]);
    for (const [, target] of page.matchAll(/\]\(\.\.\/([^)#]+)(#L\d+)?\)/g)) {
      expect(existsSync(join(ROOT, target!)), target).toBe(true);
    }
  });
});

describe('README', () => {
  it('links docs/api.md and docs/porting-from-tf1.md, not ../shared', () => {
    const readme = read('README.md');
    expect(readme).toContain('](docs/api.md)');
    expect(readme).toContain('](docs/porting-from-tf1.md)');
    expect(readme).not.toContain('../shared/');
    expect(existsSync(join(ROOT, 'docs', 'porting-from-tf1.md'))).toBe(true);
  });
});
