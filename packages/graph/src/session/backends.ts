// Session backends beyond tfjs's own ('cpu', 'wasm'): a package registers a factory under a name
// (importing @graphmode/onnx registers 'onnxruntime'), and a Session created with that name hands
// each cached plan to the backend's executor instead of its own tfjs loop. The graph package
// never imports a backend package: it only consults this table.
import { ValueError } from '../errors.js';
import type { Graph, Tensor } from '../graph.js';
import type { NDArray } from '../ndarray.js';
import type { Leaf } from './fetch_feed.js';
import type { Plan } from './plan.js';
import type { RunMetadata } from './run_metadata.js';

export type { Leaf } from './fetch_feed.js';
export { type Plan, REF, readsVariable, type Step, VALUE, VARIABLE } from './plan.js';

/** Runs a Session's plans; owns the session's variable values while the session lives. */
export interface SessionExecutor {
  /** The tfjs backend the Session makes current around `execute` (for ops run on tfjs). */
  readonly tfjsBackend: 'cpu' | 'wasm';
  /**
   * True when `execute` neither keeps a fed array past the run nor writes to one: the Session
   * then passes the caller's arrays uncopied (default: feeds are copies the executor owns).
   */
  readonly borrowsFeeds?: boolean;
  /**
   * One value per leaf (null for an Operation), with the Session's guarantees: a run that throws
   * changes no variable and leaks nothing; errors are OpErrors naming the op.
   */
  execute(
    plan: Plan,
    leaves: readonly Leaf[],
    feeds: ReadonlyMap<Tensor, NDArray>,
    metadata: RunMetadata | undefined,
  ): (NDArray | null)[];
  /** Frees everything the executor holds. */
  close(): void;
}

export interface SessionBackend {
  /** Asynchronous set-up, awaited by `Session.create` (engines, tfjs backends to load). */
  init?(): Promise<void>;
  /** An executor for one session; throws a ValueError when `init` has not completed. */
  create(graph: Graph): SessionExecutor;
}

const backends = new Map<string, SessionBackend>();

/** Makes `Session.create(graph, { backend: name })` use `backend`. Re-registering replaces it. */
export function registerSessionBackend(name: string, backend: SessionBackend): void {
  if (name === 'cpu' || name === 'wasm') throw new Error(`'${name}' is tfjs's own backend name`);
  backends.set(name, backend);
}

/** The backend registered under `name`, if any. */
export function getSessionBackend(name: string): SessionBackend | undefined {
  return backends.get(name);
}

/** null for tfjs's own backends; the registered backend otherwise, or a ValueError saying what to import. */
export function backendPlugin(name: string): SessionBackend | null {
  if (name === 'cpu' || name === 'wasm') return null;
  const backend = backends.get(name);
  if (backend) return backend;
  const hint = name === 'onnxruntime' ? ": import '@graphmode/onnx' registers it" : '';
  throw new ValueError(`Session backend '${name}' is not registered${hint}`);
}
