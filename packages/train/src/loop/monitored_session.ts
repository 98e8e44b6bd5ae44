// A MonitoredSession in the manner of TF's monitored_session.py: hooks' begin(), the Scaffold's
// ops (built once per graph and cached in collections, so repeated loops add no ops), a Session
// initialized from scratch or restored from the checkpoint directory, afterCreateSession, then
// hooked runs until a hook requests stop. No op is built after the session is created.
import {
  checkOptions,
  type FeedDict,
  type FeedValue,
  type Fetches,
  type FetchResult,
  feedEntries,
  type Graph,
  GraphKeys,
  getDefaultGraph,
  globalVariablesInitializer,
  localVariablesInitializer,
  lookupTensor,
  type Operation,
  type RunOptions,
  RuntimeError,
  reportUninitializedVariables,
  Session,
  type Tensor,
} from '@graphmode/graph';
import { getCheckpointState } from '../io/checkpoint_state.js';
import { Saver } from '../io/saver.js';
import { mergeAll } from '../summary.js';
import { SessionRunArgs, SessionRunContext, type SessionRunHook } from './session_run_hook.js';

export interface ScaffoldOptions {
  /** Run when the session is not restored (default: the global variables initializer). */
  initOp?: Operation | Tensor | null;
  initFeedDict?: FeedDict;
  /** Called after `initOp` when the session is not restored. */
  initFn?: (session: Session) => void | Promise<void>;
  /** A string tensor naming what is not initialized; empty when ready. */
  readyOp?: Tensor | null;
  localInitOp?: Operation | null;
  summaryOp?: Tensor | null;
  saver?: Saver | null;
}

const SUMMARY_OP = 'summary_op';

/** The ops a monitored session needs; unset ones default to the graph's cached or new ones. */
export class Scaffold {
  private built: Required<Omit<ScaffoldOptions, 'initFeedDict' | 'initFn'>> | null = null;
  constructor(readonly options: ScaffoldOptions = {}) {
    checkOptions('Scaffold', options, {
      initOp: 'any',
      initFeedDict: 'any',
      initFn: 'function',
      readyOp: 'any',
      localInitOp: 'any',
      summaryOp: 'any',
      saver: 'any',
    });
  }

  /** Builds the missing ops on `graph` (TF's `Scaffold.finalize`); idempotent. */
  finalize(graph: Graph = getDefaultGraph()): this {
    if (this.built) return this;
    const o = this.options;
    graph.asDefault(() => {
      const pick = <T>(given: T | null | undefined, key: string, make: () => T | null): T | null =>
        given !== undefined ? given : getOrDefault(graph, key, make);
      this.built = {
        initOp: pick(o.initOp, GraphKeys.INIT_OP, () => globalVariablesInitializer()),
        readyOp: pick(o.readyOp, GraphKeys.READY_OP, () => reportUninitializedVariables()),
        localInitOp: pick(o.localInitOp, GraphKeys.LOCAL_INIT_OP, () => localVariablesInitializer()),
        summaryOp: pick(o.summaryOp, SUMMARY_OP, () => mergeAll()),
        saver: pick(o.saver, GraphKeys.SAVERS, () => new Saver({ allowEmpty: true })),
      };
    });
    return this;
  }
  get initOp(): Operation | Tensor | null {
    return this.parts().initOp;
  }
  get readyOp(): Tensor | null {
    return this.parts().readyOp;
  }
  get localInitOp(): Operation | null {
    return this.parts().localInitOp;
  }
  get summaryOp(): Tensor | null {
    return this.built ? this.built.summaryOp : (this.options.summaryOp ?? null);
  }
  get saver(): Saver | null {
    return this.built ? this.built.saver : (this.options.saver ?? null);
  }
  private parts() {
    if (!this.built) throw new RuntimeError('Scaffold is not finalized: call finalize() first.');
    return this.built;
  }
}

// TF's Scaffold.get_or_default: the one item of the collection, else a new default added to it.
function getOrDefault<T>(graph: Graph, key: string, make: () => T | null): T | null {
  const items = graph.getCollection<T>(key);
  if (items.length > 1)
    throw new RuntimeError(
      `More than one item in the collection "${key}". Please indicate which one to use by passing it to the scaffold constructor.`,
    );
  if (items.length === 1) return items[0]!;
  const made = make();
  if (made !== null) graph.addToCollection(key, made);
  return made;
}

export interface MonitoredSessionOptions {
  graph?: Graph;
  scaffold?: Scaffold | ScaffoldOptions;
  /** Restore from this directory's latest checkpoint when it has one. */
  checkpointDir?: string | null;
  hooks?: readonly SessionRunHook[];
  backend?: 'cpu' | 'wasm' | 'onnxruntime';
}

/** A Session whose runs go through hooks; see `train()` for the usual way to drive one. */
export class MonitoredSession {
  private stopped = false;
  private closed = false;
  private constructor(
    readonly session: Session,
    readonly hooks: readonly SessionRunHook[],
    readonly scaffold: Scaffold,
    /** The graph was finalized before this session, so closing leaves it finalized (TF). */
    private readonly graphWasFinalized: boolean,
  ) {}

  get graph(): Graph {
    return this.session.graph;
  }

  static async create(opts: MonitoredSessionOptions = {}): Promise<MonitoredSession> {
    checkOptions('MonitoredSession.create', opts, {
      graph: 'any',
      scaffold: 'any',
      checkpointDir: 'any',
      hooks: 'any',
      backend: 'string',
    });
    const graph = opts.graph ?? getDefaultGraph();
    const scaffold = opts.scaffold instanceof Scaffold ? opts.scaffold : new Scaffold(opts.scaffold);
    const hooks = [...(opts.hooks ?? [])];
    const wasFinalized = graph.finalized;
    graph.asDefault(() => {
      for (const h of hooks) h.begin?.();
      scaffold.finalize(graph);
    });
    // As TF's Scaffold.finalize: from here on nothing (hooks included) may add ops while
    // training; abort() un-finalizes again.
    graph.finalize();
    let session: Session | null = null;
    try {
      session = opts.backend ? await Session.create(graph, { backend: opts.backend }) : new Session(graph);
      await prepareSession(session, scaffold, opts.checkpointDir ?? null);
      for (const h of hooks) await h.afterCreateSession?.(session);
    } catch (e) {
      session?.close();
      if (!wasFinalized) graph.unfinalize();
      throw e;
    }
    return new MonitoredSession(session, hooks, scaffold, wasFinalized);
  }

  shouldStop(): boolean {
    return this.stopped || this.closed;
  }

  /** Runs `fetches` together with every hook's requests, then lets the hooks see the results. */
  run<const F extends Fetches>(
    fetches: F,
    feedDict?: FeedDict,
    options: RunOptions = {},
  ): Promise<FetchResult<F>> {
    // Not `async` itself: tsc cannot unwrap Awaited<FetchResult<F>> for a generic F.
    return this.hookedRun(fetches, feedDict, options) as Promise<FetchResult<F>>;
  }

  private async hookedRun(
    fetches: Fetches,
    feedDict: FeedDict | undefined,
    options: RunOptions,
  ): Promise<unknown> {
    if (this.closed) throw new RuntimeError('Run called on a closed MonitoredSession.');
    if (this.stopped) throw new RuntimeError('Run called even after should_stop requested.');
    const ctx = new SessionRunContext(new SessionRunArgs(fetches, feedDict, options), this.session);
    const all: Record<string, Fetches> = { caller: fetches };
    const hookFeeds = new Map<Tensor, FeedValue>();
    let runOptions = options;
    this.hooks.forEach((h, i) => {
      const req = h.beforeRun?.(ctx);
      if (!req) return;
      if (req.fetches !== null) all[`hook${i}`] = req.fetches;
      if (req.feedDict) mergeFeeds(hookFeeds, this.feeds(req.feedDict), 'Same tensor is fed by two hooks.');
      if (req.options?.runMetadata && !runOptions.runMetadata) runOptions = { ...runOptions, ...req.options };
    });
    const feeds = new Map(hookFeeds);
    if (feedDict) mergeFeeds(feeds, this.feeds(feedDict), 'Same tensor is fed by a SessionRunHook and user.');
    // Typed as leaves only: FetchResult of an arbitrary nested Fetches record is too deep for tsc,
    // and each entry is handed on untyped anyway.
    const out: Record<string, unknown> = this.session.run(all as Record<string, Tensor>, feeds, runOptions);
    for (const [i, h] of this.hooks.entries()) {
      await h.afterRun?.(ctx, {
        results: out[`hook${i}`] ?? null,
        options: runOptions,
        runMetadata: runOptions.runMetadata,
      });
    }
    this.stopped ||= ctx.stopRequested;
    return out.caller;
  }

  /** Calls the hooks' end() (the loop finished normally), then closes the session. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      for (const h of this.hooks) await h.end?.(this.session);
    } finally {
      this.abort();
    }
  }

  /** Closes the session without calling end() (the loop failed). */
  abort(): void {
    this.closed = true;
    try {
      this.session.close();
    } finally {
      if (!this.graphWasFinalized) this.graph.unfinalize();
    }
  }

  private feeds(feedDict: FeedDict): Map<Tensor, FeedValue> {
    const out = new Map<Tensor, FeedValue>();
    for (const [k, v] of feedEntries(feedDict)) out.set(lookupTensor(this.graph, k), v);
    return out;
  }
}

function mergeFeeds(into: Map<Tensor, FeedValue>, from: Map<Tensor, FeedValue>, clash: string): void {
  for (const [t, v] of from) {
    if (into.has(t)) throw new RuntimeError(`${clash} Conflict(s): ${t.name}`);
    into.set(t, v);
  }
}

// TF's SessionManager.prepare_session: restore if the directory has a checkpoint, else run the
// init op and init fn; then the local init op, then check that every variable is initialized.
async function prepareSession(
  session: Session,
  scaffold: Scaffold,
  checkpointDir: string | null,
): Promise<void> {
  const state = checkpointDir === null ? null : getCheckpointState(checkpointDir);
  const { initOp, readyOp, localInitOp, saver } = scaffold;
  const { initFn, initFeedDict } = scaffold.options;
  if (saver && state) {
    await saver.restore(session, state.modelCheckpointPath);
    saver.recoverLastCheckpoints(state.allModelCheckpointPaths, state.allModelCheckpointTimestamps);
  } else {
    if (initOp === null && !initFn && localInitOp === null)
      throw new RuntimeError('Model is not initialized and no initOp or initFn or localInitOp was given');
    if (initOp !== null) session.run(initOp, initFeedDict);
    if (initFn) await initFn(session);
  }
  if (localInitOp !== null) session.run(localInitOp);
  if (readyOp !== null) {
    const missing = session.run(readyOp);
    if (missing.size > 0) {
      const name = (x: Operation | Tensor | null) => (x === null ? 'None' : x.name);
      throw new RuntimeError(
        `Init operations did not make model ready.  Init op: ${name(initOp)}, init fn: ${initFn ? 'given' : 'None'}, local_init_op: ${name(localInitOp)}, error: Variables not initialized: ${(missing.data as string[]).join(', ')}`,
      );
    }
  }
}
