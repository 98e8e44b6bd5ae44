// Generates docs/api.md from the sources: every public name of every package, grouped by the
// file that defines it, linked to its line, with the first sentence of its TSDoc. Run it with
// `npm run docs:api` after changing an export; tests/e2e/docs.test.ts fails while a public name
// is missing from the page. Packages are the root package.json's workspaces, in that order.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'api.md');

export interface ApiName {
  name: string;
  kind: string;
  line: number;
  summary: string;
  members: string[];
}
export interface ApiFile {
  file: string; // relative to the repo root
  about: string;
  namespace: string | null; // `export * as losses` puts a file's names under `losses.`
  names: ApiName[];
}
export interface ApiPackage {
  name: string;
  dir: string;
  about: string;
  files: ApiFile[];
}

const DECLARATION =
  /^(export )?(?:declare )?(?:abstract )?(?:async )?(function\*?|const|let|class|interface|type|enum|namespace) ([A-Za-z_$][\w$]*)/;
const RE_EXPORT = /^export (\*|\* as (\w+)|\{([^}]*)\}) from '(\.[^']+)'/gm;
// `export { Local as Public };` (no `from`): a file's own declaration under another name.
const LOCAL_EXPORT = /^export \{([^}]*)\};/gm;
const MEMBER =
  /^ {2}(?:static )?(?:readonly )?(?:abstract )?(?:async )?(?:get |set )?([A-Za-z_$][\w$]*)(?:<[^>]*>)?[(:?]/;

const source = (file: string): string => file.replace(/\.js$/, '.ts');
const specifiers = (list: string): [string, string][] =>
  list
    .split(',')
    .map((x) => x.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((x) => {
      const [local, exported] = x.split(/\s+as\s+/);
      return [local!, exported ?? local!];
    });
const firstSentence = (doc: string): string => {
  const text = doc
    .split('\n')
    .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').trim())
    .filter((l) => l && !l.startsWith('@'))
    .join(' ')
    .replace(/\*\/$/, '')
    .trim();
  const m = /^(.*?[.!?])(\s|$)/.exec(text);
  return (m ? m[1]! : text).replace(/\|/g, '\\|');
};

/** The public names declared in `file` (not re-exported ones), with their TSDoc summaries. */
function declarations(file: string): ApiName[] {
  const text = readFileSync(file, 'utf8');
  const all = allDeclarations(text.split('\n'));
  const aliased = [...text.matchAll(LOCAL_EXPORT)].flatMap((m) =>
    specifiers(m[1]!).flatMap(([local, name]) => {
      const d = all.find((n) => n.name === local);
      return d ? [{ ...d, name, exported: true }] : [];
    }),
  );
  return [...all, ...aliased].filter((n) => n.exported).map(({ exported: _, ...n }) => n);
}

function allDeclarations(lines: readonly string[]): (ApiName & { exported: boolean })[] {
  const names: (ApiName & { exported: boolean })[] = [];
  let doc = '';
  let inDoc = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('/**')) (inDoc = !line.includes('*/')), (doc = line);
    else if (inDoc) (doc += `\n${line}`), (inDoc = !line.includes('*/'));
    else if (DECLARATION.test(line)) {
      const [, exported, kind, name] = DECLARATION.exec(line)!;
      names.push({
        name: name!,
        kind: kind!.replace('*', ''),
        line: i + 1,
        summary: firstSentence(doc),
        members: kind === 'class' ? classMembers(lines, i) : [],
        exported: exported !== undefined,
      });
      doc = '';
    } else if (line.trim() && !line.startsWith('//') && !line.startsWith('@')) doc = '';
  }
  return names;
}

function classMembers(lines: readonly string[], start: number): string[] {
  const members = new Set<string>();
  for (let i = start + 1; i < lines.length && lines[i] !== '}'; i++) {
    const m = MEMBER.exec(lines[i]!);
    const internal = /@internal/.test(lines[i - 1] ?? '');
    if (m && !internal && m[1] !== 'constructor' && !m[1]!.startsWith('_')) {
      members.add(m[1]!);
    }
  }
  return [...members];
}

const fileAbout = (file: string): string => {
  const top = readFileSync(file, 'utf8').split('\n');
  const comment: string[] = [];
  for (const l of top) {
    if (!l.startsWith('//')) break;
    comment.push(l.replace(/^\/\/\s?/, ''));
  }
  return comment.join(' ').trim();
};

/** Follows `index.ts`'s exports (`export *`, `export * as ns`, `export { a }`) to the declaring files. */
function collect(
  file: string,
  namespace: string | null,
  only: Set<string> | null,
  out: Map<string, ApiFile>,
): void {
  const key = `${file}#${namespace ?? ''}`;
  const own = declarations(file).filter((n) => only === null || only.has(n.name));
  if (own.length) {
    const entry = out.get(key) ?? {
      file: relative(ROOT, file),
      about: fileAbout(file),
      namespace,
      names: [],
    };
    for (const n of own) if (!entry.names.some((e) => e.name === n.name)) entry.names.push(n);
    out.set(key, entry);
  }
  for (const m of readFileSync(file, 'utf8').matchAll(RE_EXPORT)) {
    const target = join(dirname(file), source(m[4]!));
    if (m[1] === '*') collect(target, namespace, only, out);
    else if (m[2]) collect(target, m[2], null, out);
    else {
      // Renaming re-exports (`export { a as b } from`) are not used by our index and family files.
      const picked = specifiers(m[3]!)
        .map(([local]) => local)
        .filter((x) => only === null || only.has(x));
      if (picked.length) collect(target, namespace, new Set(picked), out);
    }
  }
}

export function apiPackages(): ApiPackage[] {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return workspaces.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
      name: string;
      description?: string;
    };
    const files = new Map<string, ApiFile>();
    collect(join(ROOT, dir, 'src', 'index.ts'), null, null, files);
    return { name: manifest.name, dir, about: manifest.description ?? '', files: [...files.values()] };
  });
}

function render(packages: readonly ApiPackage[]): string {
  const out: string[] = [
    '# API reference',
    '',
    'Every public name of the graphmode packages, grouped by package and by the source file that',
    'defines it (each name links to its line), with the first sentence of its TSDoc. It is generated',
    'from the sources by `npm run docs:api` ([scripts/api_doc.ts](../scripts/api_doc.ts)); the README',
    'gives the tour and [porting-from-tf1.md](porting-from-tf1.md) maps TF1 idioms onto these names.',
    '',
    ...packages.map((p) => `- [\`${p.name}\`](#${p.name.replace(/[@/]/g, '')}) — ${p.about}`),
    '',
  ];
  for (const p of packages) {
    out.push(
      `## ${p.name}`,
      '',
      `${p.about}. \`import … from '${p.name}'\` (folder [${p.dir}](../${p.dir})).`,
      '',
    );
    for (const f of p.files) {
      const title = f.namespace
        ? `namespace \`${f.namespace}\` — ${f.file.split('/src/')[1]}`
        : f.file.split('/src/')[1];
      out.push(`### [${title}](../${f.file})`, '');
      if (f.about) out.push(f.about, '');
      out.push('| name | kind | summary |', '|---|---|---|');
      for (const n of f.names) {
        const shown = f.namespace ? `${f.namespace}.${n.name}` : n.name;
        const members = n.members.length ? ` Members: ${n.members.map((m) => `\`${m}\``).join(', ')}.` : '';
        out.push(`| [\`${shown}\`](../${f.file}#L${n.line}) | ${n.kind} | ${n.summary}${members} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

export const renderApiDoc = (): string => render(apiPackages());

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUT, renderApiDoc());
  console.log(`wrote ${relative(ROOT, OUT)}`);
}
