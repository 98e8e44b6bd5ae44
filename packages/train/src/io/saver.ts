// Saver: checkpoints of variable values. On-disk format (ours, not TF's tensor bundle):
//   <prefix>.index                  JSON {format: 'graphmode-checkpoint/1', data, tensors: {<var op
//                                   name>: {dtype, shape, offset, length, crc32c}}}
//   <prefix>.data-00000-of-00001    the tensors' bytes back to back: float32/int32 little-endian,
//                                   bool one byte each, string as uint32 LE length + UTF-8 bytes
// plus the directory's `checkpoint` state file (checkpoint_state.ts). The index is renamed into
// place last, so a checkpoint whose index exists is complete.
// As TF's Saver builds its save/restore ops at construction, the restore placeholders and Assigns
// are built once here; `save` fetches the variables' snapshots in one run, `restore` feeds them.
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type DType,
  formatShape,
  getDefaultGraph,
  globalVariables,
  group,
  InvalidArgumentError,
  NDArray,
  NotFoundError,
  OpError,
  type Operation,
  placeholder,
  type Session,
  type Tensor,
  ValueError,
  type Variable,
} from '@graphmode/graph';
import { updateCheckpointState } from './checkpoint_state.js';
import { crc32c } from './tfrecord.js';

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

interface TensorEntry {
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
  crc32c: number;
}
interface IndexFile {
  format: string;
  data: string;
  tensors: Record<string, TensorEntry>;
}
const FORMAT = 'graphmode-checkpoint/1';
const DATA_SUFFIX = '.data-00000-of-00001';

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
  private readonly restoreValues: Tensor[];
  private readonly restoreOp: Operation;
  private last: [string, number][] = [];
  private readonly keepEverySecs: number;
  private nextKeepTime: number;
  private readonly lastPreservedTimestamp = Date.now() / 1000;

  constructor(opts: SaverOptions = {}) {
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
   * Resolves to the checkpoint prefix.
   */
  async save(
    sess: Session,
    savePath: string,
    opts: { globalStep?: number | Tensor | Variable; latestFilename?: string } = {},
  ): Promise<string> {
    const dir = dirname(savePath);
    if (!existsSync(dir)) throw new ValueError(`Parent directory of ${savePath} doesn't exist, can't save.`);
    const step = opts.globalStep;
    const prefix =
      step === undefined
        ? savePath
        : `${savePath}-${typeof step === 'number' ? step : Number(sess.run(step).item())}`;
    const values = this.vars.length ? sess.run(this.vars.map((v) => v.value())) : [];
    const index: IndexFile = { format: FORMAT, data: basename(prefix) + DATA_SUFFIX, tensors: {} };
    const chunks: Uint8Array[] = [];
    let offset = 0;
    values.forEach((nd, i) => {
      const bytes = encodeData(nd);
      index.tensors[this.keys[i]!] = {
        dtype: nd.dtype,
        shape: nd.shape,
        offset,
        length: bytes.length,
        crc32c: crc32c(bytes),
      };
      chunks.push(bytes);
      offset += bytes.length;
    });
    const tmp = `.tmp${process.pid}`;
    await writeFile(prefix + DATA_SUFFIX + tmp, Buffer.concat(chunks));
    await writeFile(`${prefix}.index${tmp}`, JSON.stringify(index));
    await rename(prefix + DATA_SUFFIX + tmp, prefix + DATA_SUFFIX);
    await rename(`${prefix}.index${tmp}`, `${prefix}.index`);
    this.recordLast(prefix);
    await updateCheckpointState(dir, prefix, this.lastCheckpoints, {
      timestamps: this.last.map(([, t]) => t),
      lastPreservedTimestamp: this.lastPreservedTimestamp,
      ...(opts.latestFilename ? { latestFilename: opts.latestFilename } : {}),
    });
    await this.deleteOld();
    return prefix;
  }

  /**
   * Assigns every saved variable its value from the checkpoint at `savePath`. A variable the
   * checkpoint lacks is a NotFoundError; a dtype or shape mismatch an InvalidArgumentError.
   */
  async restore(sess: Session, savePath: string): Promise<void> {
    if (!existsSync(`${savePath}.index`)) {
      throw new ValueError(`The passed save_path is not a valid checkpoint: ${savePath}`);
    }
    const index = JSON.parse(await readFile(`${savePath}.index`, 'utf8')) as IndexFile;
    if (index.format !== FORMAT)
      throw new ValueError(`${savePath}.index: unknown checkpoint format '${index.format}'`);
    const data = new Uint8Array(await readFile(join(dirname(savePath), index.data)));
    const feeds = new Map<Tensor, NDArray>();
    this.vars.forEach((v, i) => {
      const key = this.keys[i]!;
      const entry = index.tensors[key];
      if (!entry) throw new NotFoundError(`Key ${key} not found in checkpoint ${savePath}`);
      if (entry.dtype !== v.dtype) {
        throw new InvalidArgumentError(
          `tensor_name = ${key}; expected dtype ${v.dtype} does not equal original dtype ${entry.dtype} (checkpoint ${savePath})`,
        );
      }
      if (entry.shape.length !== v.shape.length || entry.shape.some((d, k) => d !== v.shape[k])) {
        throw new InvalidArgumentError(
          `Assign requires shapes of both tensors to match. lhs shape= ${formatShape(v.shape)} rhs shape= ${formatShape(entry.shape)} (variable ${key}, checkpoint ${savePath})`,
        );
      }
      const bytes = data.subarray(entry.offset, entry.offset + entry.length);
      if (bytes.length !== entry.length || crc32c(bytes) !== entry.crc32c) {
        throw new OpError(`Data loss: checksum mismatch for ${key} in checkpoint ${savePath}`);
      }
      feeds.set(this.restoreValues[i]!, decodeData(entry, bytes));
    });
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
      await Promise.all([rm(`${prefix}.index`, { force: true }), rm(prefix + DATA_SUFFIX, { force: true })]);
    }
  }
}

function encodeData(nd: NDArray): Uint8Array {
  if (nd.dtype !== 'string') {
    const d = nd.data as Float32Array | Int32Array | Uint8Array;
    const out = new Uint8Array(d.byteLength);
    const view = new DataView(out.buffer);
    for (let i = 0; i < d.length; i++) {
      if (nd.dtype === 'float32') view.setFloat32(i * 4, d[i]!, true);
      else if (nd.dtype === 'int32') view.setInt32(i * 4, d[i]!, true);
      else out[i] = d[i]!;
    }
    return out;
  }
  const parts = (nd.data as string[]).flatMap((s) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return [len, b];
  });
  return Buffer.concat(parts);
}

function decodeData(entry: TensorEntry, bytes: Uint8Array): NDArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.dtype === 'float32')
    return new NDArray(
      'float32',
      entry.shape,
      Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true)),
    );
  if (entry.dtype === 'int32')
    return new NDArray(
      'int32',
      entry.shape,
      Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true)),
    );
  if (entry.dtype === 'bool') return new NDArray('bool', entry.shape, Uint8Array.from(bytes));
  const strings: string[] = [];
  for (let pos = 0; strings.length < n; ) {
    const len = view.getUint32(pos, true);
    strings.push(Buffer.from(bytes.subarray(pos + 4, pos + 4 + len)).toString('utf8'));
    pos += 4 + len;
  }
  return new NDArray('string', entry.shape, strings);
}
