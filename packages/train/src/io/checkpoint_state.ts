// The `checkpoint` state file of a checkpoint directory, in TF's CheckpointState text format:
//   model_checkpoint_path: "model.ckpt-200"
//   all_model_checkpoint_paths: "model.ckpt-100"
//   all_model_checkpoint_paths: "model.ckpt-200"
//   all_model_checkpoint_timestamps: 1700000000.5
//   last_preserved_timestamp: 1699999990.1
// Paths inside the directory are written relative to it (TF's `save_relative_paths=True`) so a
// moved directory still resolves; readers join relative paths onto the directory.
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValueError } from '@graphmode/graph';

export interface CheckpointState {
  modelCheckpointPath: string;
  /** Oldest first; the last is `modelCheckpointPath`. */
  allModelCheckpointPaths: string[];
  allModelCheckpointTimestamps: number[];
  lastPreservedTimestamp: number;
}

const STATE_FILE = 'checkpoint';

const quote = (s: string): string =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const unquote = (s: string): string =>
  s.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

/** The directory's checkpoint state with absolute-or-dir-joined paths, or null if there is none. */
export function getCheckpointState(
  checkpointDir: string,
  latestFilename = STATE_FILE,
): CheckpointState | null {
  const file = join(checkpointDir, latestFilename);
  if (!existsSync(file)) return null;
  const state: CheckpointState = {
    modelCheckpointPath: '',
    allModelCheckpointPaths: [],
    allModelCheckpointTimestamps: [],
    lastPreservedTimestamp: 0,
  };
  const text = readFileSync(file, 'utf8');
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new ValueError(`${file}:${i + 1}: cannot parse checkpoint state line '${line}'`);
    const key = m[1]!;
    const value = m[2]!;
    const path = () => {
      if (!/^".*"$/.test(value)) throw new ValueError(`${file}:${i + 1}: expected a quoted path for ${key}`);
      const p = unquote(value);
      return isAbsolute(p) ? p : join(checkpointDir, p);
    };
    if (key === 'model_checkpoint_path') state.modelCheckpointPath = path();
    else if (key === 'all_model_checkpoint_paths') state.allModelCheckpointPaths.push(path());
    else if (key === 'all_model_checkpoint_timestamps')
      state.allModelCheckpointTimestamps.push(Number(value));
    else if (key === 'last_preserved_timestamp') state.lastPreservedTimestamp = Number(value);
  }
  if (state.modelCheckpointPath === '') return null;
  return state;
}

/** Writes the state file atomically (temp file + rename), as TF's `update_checkpoint_state` does. */
export async function updateCheckpointState(
  saveDir: string,
  modelCheckpointPath: string,
  allModelCheckpointPaths: readonly string[] = [],
  opts: { timestamps?: readonly number[]; lastPreservedTimestamp?: number; latestFilename?: string } = {},
): Promise<void> {
  const all = [...allModelCheckpointPaths];
  // TF keeps the latest path last in the list, adding it when the caller left it out.
  if (all[all.length - 1] !== modelCheckpointPath) all.push(modelCheckpointPath);
  const rel = (p: string): string => {
    const r = relative(resolve(saveDir), resolve(p));
    return r.startsWith('..') || isAbsolute(r) ? p : r;
  };
  const lines = [`model_checkpoint_path: ${quote(rel(modelCheckpointPath))}`];
  for (const p of all) lines.push(`all_model_checkpoint_paths: ${quote(rel(p))}`);
  if (opts.timestamps?.length === all.length)
    for (const t of opts.timestamps) lines.push(`all_model_checkpoint_timestamps: ${t}`);
  if (opts.lastPreservedTimestamp !== undefined)
    lines.push(`last_preserved_timestamp: ${opts.lastPreservedTimestamp}`);
  const file = join(saveDir, opts.latestFilename ?? STATE_FILE);
  const tmp = join(dirname(file), `.${basename(file)}.tmp${process.pid}`);
  await writeFile(tmp, `${lines.join('\n')}\n`);
  await rename(tmp, file);
}

/**
 * The newest checkpoint prefix recorded in `checkpointDir`, or null when there is none or its
 * files are gone (TF's `tf.train.latest_checkpoint`).
 * @example const path = latestCheckpoint('/tmp/model'); if (path) await saver.restore(sess, path);
 */
export function latestCheckpoint(checkpointDir: string, latestFilename = STATE_FILE): string | null {
  const state = getCheckpointState(checkpointDir, latestFilename);
  if (state === null) return null;
  return checkpointExists(state.modelCheckpointPath) ? state.modelCheckpointPath : null;
}

/** Whether a checkpoint with this prefix exists (its index file is present). */
export const checkpointExists = (prefix: string): boolean => existsSync(`${prefix}.index`);
