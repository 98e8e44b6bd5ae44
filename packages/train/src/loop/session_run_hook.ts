// The SessionRunHook protocol of TF's session_run_hook.py. For each hooked run:
//   beforeRun(ctx) -> SessionRunArgs (extra fetches / feeds merged into the caller's run)
//   run
//   afterRun(ctx, values) with `values.results` = the hook's own fetches, evaluated
// begin() runs once before the session exists (the only place a hook may add ops),
// afterCreateSession(sess) once the variables are initialized or restored, and end(sess) after
// the last step of a loop that finished without an error. Hook methods may return a Promise
// (file I/O); the loop awaits it before going on.
import type { FeedDict, Fetches, RunMetadata, RunOptions, Session } from '@graphmode/graph';

export interface SessionRunHook {
  begin?(): void;
  afterCreateSession?(session: Session): void | Promise<void>;
  // biome-ignore lint/suspicious/noConfusingVoidType: API.md's signature; a hook may return nothing.
  beforeRun?(runContext: SessionRunContext): SessionRunArgs | void;
  afterRun?(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void>;
  end?(session: Session): void | Promise<void>;
}

/** What a hook adds to the coming run: fetches whose values it receives, feeds, run options. */
export class SessionRunArgs {
  constructor(
    readonly fetches: Fetches | null,
    readonly feedDict?: FeedDict,
    readonly options?: RunOptions,
  ) {}
}

/** The run being made, and the way for a hook to end the loop after it. */
export class SessionRunContext {
  private stop = false;
  constructor(
    readonly originalArgs: SessionRunArgs,
    readonly session: Session,
  ) {}
  get stopRequested(): boolean {
    return this.stop;
  }
  /** Ends the loop once the current run and its afterRun calls are done. */
  requestStop(): void {
    this.stop = true;
  }
}

/**
 * The outcome of a run for one hook: `results` mirrors the fetches its beforeRun asked for (null
 * when it asked none). A hook knows what it fetched, so it may declare `R` in its afterRun.
 */
export interface SessionRunValues<R = unknown> {
  results: R;
  options: RunOptions;
  runMetadata: RunMetadata | undefined;
}
