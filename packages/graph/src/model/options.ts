// Options objects of the model-building builders are checked for unknown keys: a misspelt
// `kernelInitialiser` would otherwise be ignored silently and train a different model.
import { TypeError } from '../errors.js';

/** Throws a TypeError naming `builder` and its accepted keys when `opts` has any other key. */
export function checkOptions(builder: string, opts: object | undefined, accepted: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${builder}: options must be an object, got ${String(opts)}`);
  }
  const unknown = Object.keys(opts).filter((k) => !accepted.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${builder}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; accepted options: ${accepted.join(', ')}`,
    );
  }
}
