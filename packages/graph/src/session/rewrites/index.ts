// Graph rewrites on each run plan (API.md §8 `rewrites`, on by default): small pure passes over
// the plan's nodes, applied in order. Each keeps fetched and fed tensors observable and leaves
// stateful ops alone; results equal the unrewritten plan's within float32 rounding.
import { freeze } from 'immer';
import { cse } from './cse.js';
import { fold } from './fold.js';
import { fuse } from './fuse.js';
import { deadCode, type Pass, type Program } from './program.js';
import { simplify } from './simplify.js';
import { foldTransposes } from './transposes.js';

export type { Node, Pass, Program } from './program.js';

// Folding first: its rules read the graph's own op inputs, which the later passes re-route.
const PASSES: readonly Pass[] = [fold, simplify, cse, foldTransposes, fuse, deadCode];

// Frozen (shallowly: nodes reference live graph objects) so that a pass that edits its input in
// place fails loudly instead of corrupting the plan it was given.
const frozen = (p: Program): Program => freeze({ ...p, nodes: freeze(p.nodes.map((n) => freeze(n))) });

export const rewrite = (p: Program): Program => PASSES.reduce((q, pass) => frozen(pass(q)), frozen(p));
