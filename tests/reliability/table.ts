// One row of the bad-input table: what is tried, the error class it must raise, a fragment of
// its message, the action (built inside the world's graph), and an optional setup run before
// the "nothing changed" snapshot.
import type { World } from './world.js';

// biome-ignore lint/suspicious/noExplicitAny: error classes take differing constructor arguments
export type ErrorClass = abstract new (...args: any[]) => Error;
export type Row = [
  name: string,
  error: ErrorClass,
  message: RegExp,
  act: (w: World) => unknown,
  setup?: (w: World) => unknown,
];
