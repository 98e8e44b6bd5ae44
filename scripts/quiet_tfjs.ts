// For our tests and benchmarks only: they call eager tfjs on cpu as an oracle and a baseline,
// and tfjs's cpu backend would print its "install tfjs-node" banner at their first tensor.
// Marking the cpu backend as already used holds off exactly that message (other tfjs warnings
// still print). Sessions hold it off during their own runs by themselves (session/tfjs_engine.ts).
// Tests run cpu sessions on purpose, so graphmode's own "use wasm" hint is off too
// (tests/graph/slow_backend_warning.test.ts switches it back on).
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tfc.setBackend('cpu');
(tfc.engine().registry.cpu as { firstUse?: boolean }).firstUse = false;
process.env.GRAPHMODE_SLOW_WARNING ??= 'off';
