// The packages as an npm user gets them: build, `npm pack`, install the tarballs into a fresh
// project outside the repo, run a plain-JS ESM script with `node`, and type-check a TypeScript
// file against the installed declarations with `tsc`.
//
// The install is a real, offline `npm ci`: the consumer's package-lock.json is cut from the
// repo's (the dependency closure of the packed packages, with the same versions, URLs and
// integrity hashes), so npm takes every third-party tarball from its cache, where the repo's own
// `npm ci` put it. Only registry metadata is missing offline, and a complete lock needs none.
// Install scripts run, as for a user: onnxruntime-node's (which would fetch optional GPU files)
// is skipped by the consumer's own .npmrc (`onnxruntime-node-install=skip`, its documented flag).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['graph', 'autodiff', 'train', 'onnx'];
const BANNER = 'looks like you are running TensorFlow.js in Node.js';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...env, npm_config_audit: 'false' } });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const manifestPath = (pkg: string): string => join(ROOT, 'packages', pkg, 'package.json');

/** The repo lock's entries a set of packages needs, found the way Node resolves `node_modules`. */
function dependencyClosure(lock: Record<string, LockEntry>, roots: Record<string, string>): Set<string> {
  const found = new Set<string>();
  const visit = (from: string, name: string): void => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock[path] && !lock[path].link) {
        if (found.has(path)) return;
        found.add(path);
        const deps = { ...lock[path].dependencies, ...lock[path].optionalDependencies };
        for (const dep of Object.keys(deps)) visit(path, dep);
        return;
      }
      if (!dir) throw new Error(`package-lock.json has no entry for '${name}' (needed from '${from}')`);
    }
  };
  for (const name of Object.keys(roots)) if (!name.startsWith('@graphmode/')) visit('', name);
  return found;
}

/** package.json and package-lock.json of a consumer that depends on the packed tarballs. */
function writeConsumer(dir: string, tarballs: Record<string, string>): void {
  const lock = readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, 'package-lock.json')).packages;
  const dependencies = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:../${file}`]),
  );
  const packages: Record<string, LockEntry> = { '': { name: 'consumer', dependencies } };
  const thirdParty: Record<string, string> = {};
  for (const [name, file] of Object.entries(tarballs)) {
    const manifest = readJson<LockEntry>(manifestPath(name.split('/')[1]!));
    const bytes = readFileSync(join(dir, '..', file));
    packages[`node_modules/${name}`] = {
      version: manifest.version!,
      resolved: `file:../${file}`,
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      dependencies: manifest.dependencies ?? {},
    };
    Object.assign(thirdParty, manifest.dependencies);
  }
  for (const path of dependencyClosure(lock, thirdParty)) packages[path] = lock[path]!;
  const pkg = { name: 'consumer', private: true, type: 'module', dependencies };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  const lockfile = { name: 'consumer', lockfileVersion: 3, requires: true, packages };
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
}

// Plain JavaScript, as a user without a TypeScript toolchain writes it.
const SCRIPT = `
import * as g from '@graphmode/graph';
import { gradients } from '@graphmode/autodiff';
import { createTrainOp, GradientDescentOptimizer } from '@graphmode/train';

const x = g.placeholder('float32', [null], { name: 'x' });
const y = g.placeholder('float32', [null], { name: 'y' });
const w = g.variable(0, { name: 'w' });
const b = g.variable(0, { name: 'b' });
const loss = g.losses.meanSquaredError(y, g.add(g.mul(w, x), b));
const [dw] = gradients(loss, [w]);
const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.1));
const feeds = { 'x:0': [0, 1, 2, 3], 'y:0': [-1, 1, 3, 5] };
const sess = new g.Session();
sess.run(g.globalVariablesInitializer());
const dw0 = sess.run(dw, feeds).item();
for (let step = 0; step < 200; step++) sess.run(trainOp, feeds);
const [wv, bv] = sess.run([w, b]);
const wasm = await g.Session.create(g.getDefaultGraph(), { backend: 'wasm' });
wasm.run(g.globalVariablesInitializer());
const wasmLoss = wasm.run(loss, feeds).item();
console.log(JSON.stringify({ dw0, w: wv.item(), b: bv.item(), wasmLoss, site: w.op.creationSite }));
`;

// The onnxruntime backend from the installed tarball: registered on import, trains like tfjs.
const ONNX_SCRIPT = `
import * as g from '@graphmode/graph';
import '@graphmode/autodiff';
import '@graphmode/onnx';
import { createTrainOp, GradientDescentOptimizer } from '@graphmode/train';

const x = g.placeholder('float32', [null, 2], { name: 'x' });
const y = g.placeholder('float32', [null], { name: 'y' });
const w = g.variable(g.zeros([2, 1]), { name: 'w' });
const pred = g.reshape(g.matMul(x, w), [-1]);
const trainOp = createTrainOp(g.losses.meanSquaredError(y, pred), new GradientDescentOptimizer(0.1));
const feeds = { 'x:0': [[1, 0], [0, 1], [1, 1]], 'y:0': [2, -1, 1] };
const sess = await g.Session.create(g.getDefaultGraph(), { backend: 'onnxruntime' });
sess.run(g.globalVariablesInitializer());
const md = new g.RunMetadata();
sess.run(trainOp, feeds, { runMetadata: md });
for (let step = 0; step < 300; step++) sess.run(trainOp, feeds);
const segments = md.stepStats.filter((s) => s.opType === 'OnnxSegment').length;
console.log(JSON.stringify({ w: Array.from(sess.run(w).data), segments }));
`;

// Checked against the installed .d.ts files; the @ts-expect-error lines fail the check if the
// types were missing or loose (an unused @ts-expect-error is an error).
const TYPED = `
import { type NDArray, placeholder, reduceSum, Session, type Tensor } from '@graphmode/graph';
import { type Gradient, gradients } from '@graphmode/autodiff';
import { AdamOptimizer } from '@graphmode/train';
import { engineOptions, exportOnnx } from '@graphmode/onnx';

const x: Tensor = placeholder('float32', [null, 2], { name: 'x' });
const total = reduceSum(x, undefined, { keepDims: false });
const grads: (Gradient | null)[] = gradients(total, [x]);
const optimizer = new AdamOptimizer({ learningRate: 0.01 });
const value: NDArray = new Session().run(total, { 'x:0': [[1, 2]] });
const [a, none]: [NDArray, null] = new Session().run([total, optimizer.minimize(total)]);
// @ts-expect-error float64 is not a graphmode dtype
placeholder('float64', [1]);
// @ts-expect-error run returns NDArrays, not numbers
const wrong: number = new Session().run(total);
engineOptions.intraOpNumThreads = 2;
// @ts-expect-error thread counts are numbers
engineOptions.intraOpNumThreads = 'two';
const saved: Promise<void> = exportOnnx(new Session(), { inputs: { x }, outputs: { total } }, 'm.onnx');
export { a, grads, none, saved, value, wrong };
`;

describe('package manifests', () => {
  it('declare every package their sources import (node: builtins aside)', () => {
    for (const p of PACKAGES) {
      const { dependencies = {} } = readJson<LockEntry>(manifestPath(p));
      const src = join(ROOT, 'packages', p, 'src');
      const imported = new Set<string>();
      for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.ts')) continue;
        const text = readFileSync(join(src, file), 'utf8');
        // Import statements only (`from '…'`, a bare `import '…'`, `import('…')`), not prose.
        for (const m of text.matchAll(/(?:\bfrom\s*|^import\s*|\bimport\(\s*)'([^'.][^']*)'/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('node:')) continue;
          imported.add(
            spec
              .split('/')
              .slice(0, spec.startsWith('@') ? 2 : 1)
              .join('/'),
          );
        }
      }
      expect(
        [...imported].filter((d) => !(d in dependencies)),
        `undeclared in packages/${p}`,
      ).toEqual([]);
    }
  });
});

describe('npm pack: the packages installed into a fresh project', () => {
  let dir = '';
  let consumer = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'graphmode-pack-'));
    // Each package's prepack script builds it (graph first: the others compile against its .d.ts).
    run(
      'npm',
      ['pack', '--pack-destination', dir, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])],
      ROOT,
    );
    const tarballs: Record<string, string> = {};
    for (const p of PACKAGES) {
      const { name, version } = readJson<{ name: string; version: string }>(manifestPath(p));
      tarballs[name] = `${name.replace('@', '').replace('/', '-')}-${version}.tgz`;
    }
    consumer = join(dir, 'consumer');
    mkdirSync(consumer);
    writeConsumer(consumer, tarballs);
    writeFileSync(join(consumer, '.npmrc'), 'onnxruntime-node-install=skip\n');
    // Only the consumer's .npmrc may skip the download (not the repo's, through npm's env).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/onnxruntime/i.test(k)));
    run('npm', ['ci', '--offline', '--no-fund', '--no-audit'], consumer, env);
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships dist/ only, with .js and .d.ts for each package', () => {
    for (const p of PACKAGES) {
      const pkgDir = join(consumer, 'node_modules', '@graphmode', p);
      const manifest = readJson<{ exports: Record<string, Record<string, string>> }>(
        join(pkgDir, 'package.json'),
      );
      // The `source` condition is for this repo's own tooling; consumers resolve types/import.
      expect(manifest.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
      expect(readFileSync(join(pkgDir, 'dist', 'index.js'), 'utf8')).toContain('export');
      expect(readFileSync(join(pkgDir, 'dist', 'index.d.ts'), 'utf8')).toContain('export');
      expect(() => readFileSync(join(pkgDir, 'src', 'index.ts'))).toThrow();
    }
  });

  it('runs a plain ESM script with node: gradients, training, a wasm session, no banner', () => {
    writeFileSync(join(consumer, 'main.mjs'), SCRIPT);
    const { stdout, stderr } = run(process.execPath, ['main.mjs'], consumer);
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number | string>;
    // d/dw mean((y - w x - b)^2) at w = b = 0 is -2 mean(x y) = -11.
    expect(out.dw0).toBeCloseTo(-11, 5);
    expect(out.w).toBeCloseTo(2, 2);
    expect(out.b).toBeCloseTo(-1, 2);
    expect(out.wasmLoss).toBeCloseTo(9, 5); // mean(y^2): the wasm session's own, fresh variables
    expect(out.site).toMatch(/main\.mjs:\d+:\d+/); // the user's line, not a line of ours
    expect(stderr).not.toContain(BANNER);
  });

  it("runs a Session on 'onnxruntime' from the installed @graphmode/onnx (native binaries from the tarball)", () => {
    writeFileSync(join(consumer, 'onnx.mjs'), ONNX_SCRIPT);
    const { stdout } = run(process.execPath, ['onnx.mjs'], consumer);
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { w: number[]; segments: number };
    // Least squares of x w = y: w = (2, -1) exactly.
    expect(out.w[0]).toBeCloseTo(2, 3);
    expect(out.w[1]).toBeCloseTo(-1, 3);
    expect(out.segments).toBeGreaterThan(0);
  });

  it('type-checks a TypeScript file against the installed declarations with tsc', () => {
    writeFileSync(join(consumer, 'typed.ts'), TYPED);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // tfjs-core's own declarations need DOM and clash with TS's WebGPU types; a consumer skips
        // them as usual. Ours are still read, and the @ts-expect-error lines prove they are.
        skipLibCheck: true,
        lib: ['ES2023'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['typed.ts'],
    };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      consumer,
    );
  });
});
