// The `checkpoint` state file of a checkpoint directory, in TF's CheckpointState text format:
//   model_checkpoint_path: "model.ckpt-200"
//   all_model_checkpoint_paths: "model.ckpt-100"
//   all_model_checkpoint_paths: "model.ckpt-200"
//   all_model_checkpoint_timestamps: 1700000000.5
//   last_preserved_timestamp: 1699999990.1
// Paths inside the directory are written relative to it (TF's `save_relative_paths=True`) so a
// moved directory still resolves; readers join relative paths onto the directory. A path that
// leads out of the directory, or a file that does not parse, makes the state unusable: as TF's
// get_checkpoint_state does, that is a warning and no state (training starts fresh).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { logger } from '../logging.js';
import { replaceFile } from './durable.js';

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
  const ignore = (why: string): null => {
    logger().warn(`${file}: ${why}`);
    logger().warn(`${file}: Checkpoint ignored`);
    return null;
  };
  const text = readFileSync(file, 'utf8');
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s*:\s*(.*)$/.exec(line);
    if (!m) return ignore(`ParseError: line ${i + 1}: cannot parse '${line}'`);
    const key = m[1]!;
    const value = m[2]!;
    if (key === 'model_checkpoint_path' || key === 'all_model_checkpoint_paths') {
      if (!/^".*"$/.test(value))
        return ignore(`ParseError: line ${i + 1}: expected a quoted path for ${key}`);
      const p = unquote(value);
      const full = isAbsolute(p) ? p : join(checkpointDir, p);
      if (!inside(checkpointDir, full))
        return ignore(`line ${i + 1}: path '${p}' leads out of ${checkpointDir}`);
      if (key === 'model_checkpoint_path') state.modelCheckpointPath = full;
      else state.allModelCheckpointPaths.push(full);
    } else if (key === 'all_model_checkpoint_timestamps' || key === 'last_preserved_timestamp') {
      const t = Number(value);
      if (!Number.isFinite(t)) return ignore(`ParseError: line ${i + 1}: '${value}' is not a number`);
      if (key === 'last_preserved_timestamp') state.lastPreservedTimestamp = t;
      else state.allModelCheckpointTimestamps.push(t);
    } else return ignore(`ParseError: line ${i + 1}: unknown field '${key}'`);
  }
  if (state.modelCheckpointPath === '') return ignore('Invalid checkpoint state: no model_checkpoint_path');
  return state;
}

const inside = (dir: string, path: string): boolean => {
  const r = relative(resolve(dir), resolve(path));
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
};

/** Writes the state file atomically (unique temp file, fsync, rename, directory fsync). */
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
  await replaceFile(file, [new TextEncoder().encode(`${lines.join('\n')}\n`)], 'state');
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
