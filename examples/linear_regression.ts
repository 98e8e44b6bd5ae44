// The README's example: fit y = 2x - 1 with a TF1-style graph and createTrainOp.
import '@graphmode/autodiff';
import * as g from '@graphmode/graph';
import { createTrainOp, GradientDescentOptimizer } from '@graphmode/train';

export function fitLine(steps = 200): { w: number; b: number; loss: number } {
  const graph = new g.Graph();
  return graph.asDefault(() => {
    const x = g.placeholder('float32', [null], { name: 'x' });
    const y = g.placeholder('float32', [null], { name: 'y' });
    const w = g.variable(0, { name: 'w' });
    const b = g.variable(0, { name: 'b' });
    const loss = g.losses.meanSquaredError(y, g.add(g.mul(w, x), b));
    const trainOp = createTrainOp(loss, new GradientDescentOptimizer(0.1));

    const sess = new g.Session();
    sess.run(g.globalVariablesInitializer());
    const feeds = { 'x:0': [0, 1, 2, 3], 'y:0': [-1, 1, 3, 5] };
    let last = Number.NaN;
    for (let step = 0; step < steps; step++) last = Number(sess.run(trainOp, feeds).item());
    const [wv, bv] = sess.run([w, b]);
    sess.close();
    return { w: Number(wv.item()), b: Number(bv.item()), loss: last };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(fitLine());
