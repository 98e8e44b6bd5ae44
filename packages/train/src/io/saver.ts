// Saver: checkpoints of variable values in TF's tensor-bundle V2 format (bundle.ts: `.index`
// table + `.data-00000-of-00001`), plus the directory's `checkpoint` state file
// (checkpoint_state.ts). TF 1.15 restores these files and `restore` reads TF's own.
//
// A save is crash-safe: the values are fetched when `save` is called, then (one save per
// directory at a time) the data and index are written under fresh temporary names and fsynced,
// the data renamed into place, then the index, then the directory fsynced; only then is the state
// file replaced (atomically) and old checkpoints deleted. A kill at any point leaves the previous
// checkpoint as it was; a kill between the two renames of a re-saved prefix is rolled forward
// by the next reader (reader.ts). Temporary files are removed when a save fails.
// As TF's Saver builds its save/restore ops at construction, the restore placeholders and Assigns
// are built once here; `save` fetches the variables' snapshots in one run, `restore` feeds them.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  checkOptions,
  formatShape,
  type Graph,
  getDefaultGraph,
  globalVariables,
  group,
  InvalidArgumentError,
  type NDArray,
  type Operation,
  type OptionSpec,
  placeholder,
  type Session,
  type Tensor,
  ValueError,
  type Variable,
} from '@graphmode/graph';
import type { BundleEntryMsg } from '@graphmode/graph/proto';
import { getGlobalStep } from '../global_step.js';
import { buildIndex, dataFileName, encodeTensor, entryDType, entryShape, indexFileName } from './bundle.js';
import { updateCheckpointState } from './checkpoint_state.js';
import {
  faultPoint,
  renameSynced,
  replaceFile,
  serializeInDir,
  syncDir,
  tempName,
  writeSynced,
} from './durable.js';
import { encodeMetaGraph } from './meta_graph.js';
import { cleanInterruptedSaves, openBundle } from './reader.js';

export interface SaverOptions {
  /** Variables to save, or a map from checkpoint key to variable (default: all global variables). */
  varList?: readonly Variable[] | Readonly<Record<string, Variable>>;
  /** Recent checkpoints to keep; older ones are deleted. 0 or null keeps all. */
  maxToKeep?: number | null;
  /** Additionally keep one checkpoint per this many hours (TF's `keep_checkpoint_every_n_hours`). */
  keepCheckpointEveryNHours?: number;
  /** Allow a Saver with no variables (its checkpoints are empty). */
  allowEmpty?: boolean;
  name?: string;
}

const SAVER_SPEC: OptionSpec<SaverOptions> = {
  varList: 'any',
  maxToKeep: 'any',
  keepCheckpointEveryNHours: 'number',
  allowEmpty: 'boolean',
  name: 'string',
};
/**
 * Saves and restores variables.
 * @example
 * const saver = new Saver({ maxToKeep: 3 });
 * const path = await saver.save(sess, '/tmp/model/model.ckpt', { globalStep: 100 }); // '.../model.ckpt-100'
 * await saver.restore(sess, path);
 */
export class Saver {
  readonly maxToKeep: number;
  private readonly keys: string[];
  private readonly vars: Variable[];
  /** Per variable: written as DT_INT64 (the int32 global step; TF's is int64). */
  private readonly asInt64: boolean[];
  private readonly restoreValues: Tensor[];
  private readonly restoreOp: Operation;
  private last: [string, number][] = [];
  private readonly keepEverySecs: number;
  private nextKeepTime: number;
  private readonly lastPreservedTimestamp = Date.now() / 1000;

  constructor(opts: SaverOptions = {}) {
    checkOptions('Saver', opts, SAVER_SPEC);
    const list = opts.varList ?? globalVariables();
    const entries: [string, Variable][] = Array.isArray(list)
      ? (list as readonly Variable[]).map((v) => [v.op.name, v])
      : Object.entries(list);
    if (entries.length === 0 && !opts.allowEmpty) throw new ValueError('No variables to save');
    const seen = new Set<string>();
    for (const [key] of entries) {
      if (seen.has(key)) throw new ValueError(`At least two variables have the same name: ${key}`);
      seen.add(key);
    }
    this.keys = entries.map(([k]) => k);
    this.vars = entries.map(([, v]) => v);
    const graph = this.vars[0]?.graph ?? getDefaultGraph();
    for (const v of this.vars) {
      if (v.graph !== graph)
        throw new ValueError(`Saver: ${v} is from a different graph than ${this.vars[0]}`);
    }
    const step = getGlobalStep(graph);
    this.asInt64 = this.vars.map((v) => v === step && v.dtype === 'int32');
    this.maxToKeep = opts.maxToKeep ?? (opts.maxToKeep === null ? 0 : 5);
    this.keepEverySecs = (opts.keepCheckpointEveryNHours ?? 10000) * 3600;
    this.nextKeepTime = Date.now() / 1000 + this.keepEverySecs;
    [this.restoreValues, this.restoreOp] = graph.asDefault(() =>
      graph.nameScope(opts.name ?? 'save', () => {
        const phs = this.vars.map((v) => placeholder(v.dtype, v.shape, { name: 'restore_value' }));
        const assigns = this.vars.map((v, i) => v.assign(phs[i]!, { name: 'Assign' }));
        return [phs, group(...assigns, { name: 'restore_all' })] as const;
      }),
    );
  }

  /** Checkpoint prefixes this Saver still keeps, oldest first. */
  get lastCheckpoints(): string[] {
    return this.last.map(([p]) => p);
  }

  /** Adopts checkpoints written earlier (e.g. by a previous run) so `maxToKeep` also covers them. */
  recoverLastCheckpoints(paths: readonly string[], timestamps?: readonly number[]): void {
    const now = Date.now() / 1000;
    this.last = paths.map((p, i) => [p, timestamps?.[i] ?? now]);
  }

  /**
   * Writes the variables' current values to `savePath` (suffixed `-<step>` with `globalStep`),
   * records it in the directory's `checkpoint` file and deletes checkpoints beyond `maxToKeep`.
   * Resolves to the checkpoint prefix once the checkpoint is durable on disk.
   */
  async save(
    sess: Session,
    savePath: string,
    opts: { globalStep?: number | Tensor | Variable; latestFilename?: string; writeMetaGraph?: boolean } = {},
  ): Promise<string> {
    checkOptions('Saver.save', opts, { globalStep: 'any', latestFilename: 'string' });
    const dir = dirname(savePath);
    if (!existsSync(dir)) throw new ValueError(`Parent directory of ${savePath} doesn't exist, can't save.`);
    const step = opts.globalStep;
    const prefix =
      step === undefined
        ? savePath
        : `${savePath}-${typeof step === 'number' ? step : Number(sess.run(step).item())}`;
    const values = this.vars.length ? sess.run(this.vars.map((v) => v.value())) : [];
    const tensors = values.map((nd, i) => encodeTensor(nd, this.asInt64[i]));
    const meta = opts.writeMetaGraph === false ? null : metaGraphOrWarn(this.vars[0]?.graph ?? sess.graph);
    return serializeInDir(dir, async () => {
      await cleanInterruptedSaves(dir);
      const entries = new Map<string, BundleEntryMsg>();
      let offset = 0;
      tensors.forEach((t, i) => {
        entries.set(this.keys[i]!, { ...t.entry, offset });
        offset += t.entry.size ?? 0;
      });
      await writeBundle(
        prefix,
        tensors.flatMap((t) => t.bytes),
        buildIndex(entries),
      );
      if (meta) await replaceFile(`${prefix}.meta`, [meta], 'meta');
      this.recordLast(prefix);
      await updateCheckpointState(dir, prefix, this.lastCheckpoints, {
        timestamps: this.last.map(([, t]) => t),
        lastPreservedTimestamp: this.lastPreservedTimestamp,
        ...(opts.latestFilename ? { latestFilename: opts.latestFilename } : {}),
      });
      faultPoint('delete-old');
      await this.deleteOld();
      return prefix;
    });
  }

  /**
   * Assigns every saved variable its value from the checkpoint at `savePath` (ours or TF's). A
   * variable the checkpoint lacks is a NotFoundError, a dtype or shape mismatch an
   * InvalidArgumentError, a damaged file a DataLossError naming the file and tensor.
   */
  async restore(sess: Session, savePath: string): Promise<void> {
    if (!existsSync(indexFileName(savePath)) && !existsSync(dataFileName(savePath))) {
      throw new ValueError(`The passed save_path is not a valid checkpoint: ${savePath}`);
    }
    const bundle = await serializeInDir(dirname(savePath), () => openBundle(savePath));
    this.vars.forEach((v, i) => {
      const key = this.keys[i]!;
      const entry = bundle.index.entries.get(key);
      if (!entry) return; // readAll names it (NotFoundError)
      const dtype = entryDType(entry);
      if (dtype !== null && dtype !== v.dtype) {
        throw new InvalidArgumentError(
          `tensor_name = ${key}; expected dtype ${v.dtype} does not equal original dtype ${dtype} (checkpoint ${savePath})`,
        );
      }
      const shape = entryShape(entry);
      if (shape.length !== v.shape.length || shape.some((d, k) => d !== v.shape[k])) {
        throw new InvalidArgumentError(
          `Assign requires shapes of both tensors to match. lhs shape= ${formatShape(v.shape)} rhs shape= ${formatShape(shape)} (variable ${key}, checkpoint ${savePath})`,
        );
      }
    });
    const values = await bundle.readAll(this.keys);
    const feeds = new Map<Tensor, NDArray>(values.map((nd, i) => [this.restoreValues[i]!, nd]));
    sess.run(this.restoreOp, feeds);
  }

  // TF's _RecordLastCheckpoint: a re-used path moves to the end; beyond maxToKeep the oldest goes.
  private pending: [string, number][] = [];
  private recordLast(prefix: string): void {
    if (!this.maxToKeep) return;
    this.last = this.last.filter(([p]) => p !== prefix);
    this.last.push([prefix, Date.now() / 1000]);
    while (this.last.length > this.maxToKeep) this.pending.push(this.last.shift()!);
  }

  private async deleteOld(): Promise<void> {
    while (this.pending.length) {
      const [prefix, time] = this.pending.shift()!;
      if (time > this.nextKeepTime) {
        this.nextKeepTime += this.keepEverySecs;
        continue;
      }
      // Index first: a checkpoint without its index is no checkpoint, never a damaged one.
      await rm(indexFileName(prefix), { force: true });
      await rm(dataFileName(prefix), { force: true });
      await rm(`${prefix}.meta`, { force: true });
    }
  }
}

// TF's Saver writes `<prefix>.meta` with every save (write_meta_graph=True). A graph that cannot
// be written as a MetaGraphDef (an assignment inside a cond / while body: TF's function bodies
// cannot take ref variables) keeps its checkpoints without it: the variables' values matter more
// than the graph's description.
function metaGraphOrWarn(graph: Graph): Uint8Array | null {
  try {
    return encodeMetaGraph(graph);
  } catch (e) {
    console.warn(`Saver: no .meta written: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Writes a bundle's data and index aside, fsynced, then renames them into place: data first, so
 * a visible index always has its data (a re-saved prefix interrupted between the renames is
 * rolled forward by the reader). Temporary files are removed on failure.
 */
async function writeBundle(prefix: string, data: Uint8Array[], index: Uint8Array): Promise<void> {
  const dataTmp = tempName(dataFileName(prefix));
  const indexTmp = tempName(indexFileName(prefix));
  let renamed = false;
  try {
    await writeSynced(dataTmp, data, 'data');
    await writeSynced(indexTmp, [index], 'index');
    await renameSynced(dataTmp, dataFileName(prefix), 'data');
    renamed = true;
    await renameSynced(indexTmp, indexFileName(prefix), 'index');
  } catch (e) {
    await rm(dataTmp, { force: true });
    // After the data rename the new index is what makes the new data readable: leave it for
    // the roll-forward.
    if (!renamed) await rm(indexTmp, { force: true });
    throw e;
  }
  await syncDir(dirname(prefix), 'bundle');
}
