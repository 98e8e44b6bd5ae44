// A Session's kernels run on its own tfjs backend, whatever tfjs's global backend is, and
// without changing it. tfjs has one engine with one current backend, so a run swaps the two
// engine fields `setBackend` assigns and restores them after: tfjs's own `setBackend` would
// re-run every kernel's setup on each switch (re-binding all wasm kernels), and is async.
// Nothing here runs at import: cpu is registered by its package, wasm is loaded on demand.
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** The engine fields that select the current backend (`backendInstance` is private in tfjs's typings). */
interface EngineSelection {
  backendName: string | null;
  backendInstance: tfc.KernelBackend | null;
}
const selection = (): EngineSelection => tfc.engine() as unknown as EngineSelection;

// Instances whose kernels' one-time setup ran (tfjs does it in setBackend, which we bypass).
const setUp = new WeakSet<tfc.KernelBackend>();

/**
 * The initialised backend `name` with its kernels set up, or undefined while it needs an async
 * initialisation (`initBackend`). A synchronous backend (cpu) is initialised here.
 */
export function readyBackend(name: string): tfc.KernelBackend | undefined {
  const engine = tfc.engine();
  let backend: tfc.KernelBackend | undefined = engine.registry[name];
  if (backend === undefined && name === 'cpu') {
    // While tfjs's default backend is still unchosen and would be this one, choose it as tfjs
    // would at its first op; else tfjs would later create a second instance of it.
    if (selection().backendName == null && highestPriority() === name) void engine.backend;
    backend = engine.findBackend(name) ?? undefined;
  }
  if (backend !== undefined && !setUp.has(backend)) {
    for (const kernel of tfc.getKernelsForBackend(name)) kernel.setupFunc?.(backend);
    setUp.add(backend);
  }
  return backend;
}

/** Loads and initialises backend `name` (wasm: its package and module) without selecting it. */
export async function initBackend(name: string): Promise<boolean> {
  const engine = tfc.engine();
  if (engine.registry[name] !== undefined || name === 'cpu') return readyBackend(name) !== undefined;
  if (name === 'wasm' && engine.registryFactory.wasm === undefined) {
    // Settle tfjs's default first: registering wasm (priority 2) must not change what it picks.
    await tfc.ready();
    await import('@tensorflow/tfjs-backend-wasm');
  }
  if (engine.registryFactory[name] === undefined) return false;
  engine.findBackend(name); // starts the async initialisation; ready() awaits it
  await tfc.ready();
  return readyBackend(name) !== undefined;
}

/**
 * Runs `fn` with `backend` as the engine's current backend, then restores the previous one.
 * tfjs's cpu backend prints an "install tfjs-node" banner at its first tensor: not during our
 * runs (a user's own first tensor still gets it), so its `firstUse` flag is held off meanwhile.
 */
export function runOn<T>(name: string, backend: tfc.KernelBackend, fn: () => T): T {
  const engine = selection();
  const { backendName, backendInstance } = engine;
  const banner = backend as { firstUse?: boolean };
  const firstUse = banner.firstUse === true;
  engine.backendName = name;
  engine.backendInstance = backend;
  if (firstUse) banner.firstUse = false;
  try {
    return fn();
  } finally {
    engine.backendName = backendName;
    engine.backendInstance = backendInstance;
    if (firstUse) banner.firstUse = true;
  }
}

function highestPriority(): string | undefined {
  const factories = Object.entries(tfc.engine().registryFactory);
  factories.sort(([, a], [, b]) => b.priority - a.priority);
  return factories[0]?.[0];
}
