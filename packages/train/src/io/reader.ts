// Reading tensor bundles (bundle.ts): Saver.restore, tf.train.list_variables / load_variable, and
// the roll-forward of a save interrupted between its two renames.
import { existsSync, statSync } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataLossError, type NDArray, NotFoundError, ValueError } from '@graphmode/graph';
import type { BundleEntryMsg } from '@graphmode/graph/proto';
import {
  type BundleIndex,
  dataFileName,
  decodeTensor,
  entryShape,
  indexFileName,
  parseIndex,
} from './bundle.js';
import { latestCheckpoint } from './checkpoint_state.js';
import { isTempName } from './durable.js';

/** An opened checkpoint: its parsed index and a reader for its tensors. */
export interface Bundle {
  prefix: string;
  index: BundleIndex;
  /** Decodes the named tensor, verifying its checksum (NotFoundError if absent). */
  read(key: string): Promise<NDArray>;
  /** Decodes every tensor of `keys`, reading each data file once. */
  readAll(keys: readonly string[]): Promise<NDArray[]>;
}

async function readIndex(prefix: string): Promise<BundleIndex> {
  const file = indexFileName(prefix);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(
        `Unsuccessful TensorSliceReader constructor: Failed to find any matching files for ${prefix}`,
      );
    throw e;
  }
  return parseIndex(bytes, file);
}

const entryOf = (index: BundleIndex, key: string, prefix: string): BundleEntryMsg => {
  const entry = index.entries.get(key);
  if (!entry) throw new NotFoundError(`Key ${key} not found in checkpoint ${prefix}`);
  return entry;
};

/** Opens the checkpoint at `prefix` (finishing a save that was interrupted between its renames). */
export async function openBundle(prefix: string): Promise<Bundle> {
  await recoverInterruptedSave(prefix);
  const index = await readIndex(prefix);
  const file = (e: BundleEntryMsg) => dataFileName(prefix, e.shardId ?? 0, index.numShards);
  const slice = (e: BundleEntryMsg, data: Uint8Array) =>
    data.subarray(e.offset ?? 0, Math.min(data.length, (e.offset ?? 0) + (e.size ?? 0)));
  return {
    prefix,
    index,
    async read(key) {
      const e = entryOf(index, key, prefix);
      const bytes = await readRange(file(e), e.offset ?? 0, e.size ?? 0);
      return decodeTensor(e, bytes, key, file(e));
    },
    async readAll(keys) {
      const entries = keys.map((k) => entryOf(index, k, prefix));
      const files = new Map<string, Uint8Array>();
      for (const e of entries) if (!files.has(file(e))) files.set(file(e), await readData(file(e)));
      return entries.map((e, i) => decodeTensor(e, slice(e, files.get(file(e))!), keys[i]!, file(e)));
    },
  };
}

async function readData(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DataLossError(`Checkpoint data file ${file} is missing`);
    throw e;
  }
}

async function readRange(file: string, offset: number, size: number): Promise<Uint8Array> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT' ? new DataLossError(`Checkpoint data file ${file} is missing`) : e;
  });
  try {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

// Whether every tensor of the index at `indexFile` matches the data file (checksums included).
async function verifies(prefix: string, indexFile: string): Promise<boolean> {
  try {
    const index = parseIndex(await readFile(indexFile), indexFile);
    const data = await readFile(dataFileName(prefix));
    for (const [key, e] of index.entries) {
      if (e.slices?.length) continue;
      const off = e.offset ?? 0;
      decodeTensor(e, data.subarray(off, Math.min(data.length, off + (e.size ?? 0))), key, indexFile);
    }
    return true;
  } catch {
    return false;
  }
}

const BUNDLE_TEMP = /^(.*)\.(index|data-\d{5}-of-\d{5})\.tempstate[0-9a-f]+$/;

/**
 * A save renames its data file, then its index. Killed in between, the old index sits beside
 * the new data while the new index is still under its temporary name: roll forward by renaming
 * that index into place when it (and not the old one) matches the data.
 */
export async function recoverInterruptedSave(prefix: string): Promise<void> {
  const dir = dirname(prefix);
  const base = basename(prefix);
  if (!existsSync(dir)) return;
  const indexTemps = (await readdir(dir))
    .filter((n) => BUNDLE_TEMP.exec(n)?.[1] === base && n.startsWith(`${base}.index.`))
    .map((n) => join(dir, n))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!indexTemps.length || !existsSync(dataFileName(prefix))) return;
  if (await verifies(prefix, indexFileName(prefix))) return;
  for (const t of indexTemps) {
    if (await verifies(prefix, t)) {
      await rename(t, indexFileName(prefix));
      return;
    }
  }
}

/**
 * Removes what killed saves left in `dir` (temporary data, index and state files), first rolling
 * forward any checkpoint interrupted between its renames. Saves call it (serialized per
 * directory): one process writes a checkpoint directory at a time, as with TF.
 */
export async function cleanInterruptedSaves(dir: string): Promise<void> {
  const temps = (await readdir(dir)).filter(isTempName);
  const prefixes = new Set(temps.map((n) => BUNDLE_TEMP.exec(n)?.[1]).filter((p) => p !== undefined));
  for (const p of prefixes) await recoverInterruptedSave(join(dir, p));
  await Promise.all(temps.map((n) => rm(join(dir, n), { force: true })));
}

// tf.train's checkpoint_utils accept a checkpoint prefix or a directory (its latest checkpoint).
function resolveCheckpoint(ckptPath: string): string {
  if (existsSync(ckptPath) && statSync(ckptPath).isDirectory()) {
    const latest = latestCheckpoint(ckptPath);
    if (latest === null)
      throw new ValueError(`Couldn't find 'checkpoint' file or checkpoints in given directory ${ckptPath}`);
    return latest;
  }
  return ckptPath;
}

/**
 * The tensors of a checkpoint (a prefix, or a directory meaning its latest checkpoint) as
 * `[name, shape]` pairs sorted by name (TF's `tf.train.list_variables`).
 * @example for (const [name, shape] of await listVariables('/tmp/model')) console.log(name, shape);
 */
export async function listVariables(ckptPath: string): Promise<[string, number[]][]> {
  const bundle = await openBundle(resolveCheckpoint(ckptPath));
  return [...bundle.index.entries]
    .map(([name, e]): [string, number[]] => [name, entryShape(e)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * One tensor's value from a checkpoint (TF's `tf.train.load_variable`; a trailing ':0' is
 * ignored). int64 tensors come back as int32 when their values fit.
 * @example const w = await loadVariable('/tmp/model/model.ckpt-100', 'dense/kernel');
 */
export async function loadVariable(ckptPath: string, name: string): Promise<NDArray> {
  const bundle = await openBundle(resolveCheckpoint(ckptPath));
  return bundle.read(name.endsWith(':0') ? name.slice(0, -2) : name);
}
