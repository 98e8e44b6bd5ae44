// Where an op was built: the first stack frame outside graphmode's sources, kept cheaply per op.
import { findSourceMap } from 'node:module';

// Our sources, our builds (dist/) and installed packages; any frame there is not the user's.
const LIBRARY_FILE = /[\\/](packages[\\/](graph|autodiff|train)[\\/](src|dist)|node_modules)[\\/]|^node:/;

// Only the user's frame (the first outside graphmode's sources) is kept, as one CallSite, and
// formatted when read. Retaining whole traces dominated GC time for 100k-op graphs, and eager
// formatting (source maps) cost more than building the op. Most builders reach the user within
// a few frames, so a short trace is tried first.
const pickUserFrame = (_: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite | undefined =>
  sites.find((s) => !LIBRARY_FILE.test(s.getFileName() ?? 'node:'));
const lastFrame = (_: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite | undefined =>
  sites[sites.length - 1];

function captureSite(
  limit: number,
  pick: typeof pickUserFrame,
  below: Function,
): NodeJS.CallSite | undefined {
  const holder: { stack?: NodeJS.CallSite } = {};
  const { stackTraceLimit, prepareStackTrace } = Error;
  Error.stackTraceLimit = limit;
  Error.prepareStackTrace = pick;
  try {
    Error.captureStackTrace(holder, below);
    return holder.stack;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
const userSite = (below: Function): NodeJS.CallSite | undefined =>
  captureSite(10, pickUserFrame, below) ??
  captureSite(40, pickUserFrame, below) ??
  captureSite(40, lastFrame, below);

let shared: { site: NodeJS.CallSite | undefined } | null = null;

/** The user's frame that called (directly or through graphmode builders) `below`. */
export const captureCreationSite = (below: Function): NodeJS.CallSite | undefined =>
  shared ? shared.site : userSite(below);

/**
 * Ops built inside `fn` share one creation site: the user's call of `entry` (e.g. `gradients`).
 * A library routine that builds thousands of ops would otherwise walk deep stacks for each one,
 * to find the same user line every time.
 */
export function withSharedCreationSite<T>(entry: Function, fn: () => T): T {
  if (shared) return fn();
  shared = { site: userSite(entry) };
  try {
    return fn();
  } finally {
    shared = null;
  }
}

// Formats like a stack line: with an installed formatter (vitest's source-map support) if any,
// else mapped through Node's source maps (tsx) back to the TypeScript line.
export function formatSite(site: NodeJS.CallSite | undefined): string {
  if (!site) return '<unknown>';
  const formatter = Error.prepareStackTrace;
  if (formatter) {
    const line = String(formatter(new Error(), [site])).split('\n')[1] ?? '';
    return line.trim().replace(/^at /, '');
  }
  let file = site.getFileName() ?? '<anonymous>';
  let line = site.getLineNumber() ?? 0;
  let column = site.getColumnNumber() ?? 0;
  const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
  if (entry && 'originalLine' in entry) {
    file = entry.originalSource.replace(/^file:\/\//, '');
    line = entry.originalLine + 1;
    column = entry.originalColumn + 1;
  }
  const fn = site.getFunctionName();
  return fn ? `${fn} (${file}:${line}:${column})` : `${file}:${line}:${column}`;
}
