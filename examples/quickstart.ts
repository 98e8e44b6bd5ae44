// Quickstart: build a graph once, then run it. A variable `w` is fitted to y = 3x by a few
// hand-written gradient-descent steps (the train package's optimizers do this for you).
import {
  globalVariablesInitializer,
  mul,
  placeholder,
  reduceMean,
  Session,
  square,
  sub,
  variable,
} from '@graphmode/graph';

const x = placeholder('float32', [null], { name: 'x' });
const y = placeholder('float32', [null], { name: 'y' });
const w = variable(0, { name: 'w' });

const error = sub(mul(w, x), y);
const loss = reduceMean(square(error), undefined, { name: 'loss' });
// d(loss)/dw = mean(2 * error * x); step: w -= 0.05 * grad
const grad = reduceMean(mul(mul(error, x), 2));
const train = w.assignSub(mul(grad, 0.05));

const sess = new Session();
sess.run(globalVariablesInitializer());
const feeds = { 'x:0': [1, 2, 3, 4], 'y:0': [3, 6, 9, 12] };
for (let step = 1; step <= 5; step++) {
  const { lossValue, wValue } = sess.run({ lossValue: loss, wValue: train }, feeds);
  console.log(
    `step ${step}: loss ${Number(lossValue.item()).toFixed(4)}  w ${Number(wValue.item()).toFixed(4)}`,
  );
}
console.log('w =', sess.run(w).item());
sess.close();
