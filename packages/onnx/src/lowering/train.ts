// The optimizers' dense update ops (TF's training_ops) as elementwise subgraphs with the kernels'
// formulas (the same as @graphmode/train's tfjs kernels). Each writes the variable and its slots;
// the op's output is the variable's new value.
import {
  ApplyAdagrad,
  ApplyAdam,
  ApplyCenteredRMSProp,
  ApplyGradientDescent,
  ApplyMomentum,
  ApplyRMSProp,
  ScatterSub,
} from '@graphmode/train';
import { defineLowering, type LowerContext } from './registry.js';

/** Named-input arithmetic for one Apply op: reads refs, writes results. */
function ops(cx: LowerContext) {
  const names = cx.op.def.inputNames;
  const at = (name: string) => names.indexOf(name);
  return {
    ref: (name: string) => cx.readRef(at(name)),
    in: (name: string) => cx.input(at(name)),
    write: (name: string, v: string) => cx.writeRef(at(name), v),
    add: (a: string, b: string) => cx.n1('Add', [a, b]),
    sub: (a: string, b: string) => cx.n1('Sub', [a, b]),
    mul: (a: string, b: string) => cx.n1('Mul', [a, b]),
    div: (a: string, b: string) => cx.n1('Div', [a, b]),
    sqrt: (a: string) => cx.n1('Sqrt', [a]),
    square: (a: string) => cx.n1('Mul', [a, a]),
    oneMinus: (a: string) => cx.n1('Sub', [cx.scalar(1, 'float32'), a]),
  };
}

// var -= alpha * delta
defineLowering(ApplyGradientDescent, (cx) => {
  const o = ops(cx);
  const v = o.sub(o.ref('var'), o.mul(o.in('delta'), o.in('alpha')));
  o.write('var', v);
  return v;
});

// accum = accum * momentum + grad;  var -= nesterov ? grad * lr + accum * momentum * lr : accum * lr
defineLowering(ApplyMomentum, (cx, { useNesterov }) => {
  const o = ops(cx);
  const [lr, grad, momentum] = [o.in('lr'), o.in('grad'), o.in('momentum')];
  const accum = o.add(o.mul(o.ref('accum'), momentum), grad);
  const step = useNesterov ? o.add(o.mul(grad, lr), o.mul(o.mul(accum, momentum), lr)) : o.mul(accum, lr);
  const v = o.sub(o.ref('var'), step);
  o.write('accum', accum);
  o.write('var', v);
  return v;
});

// accum += grad^2;  var -= grad * lr * rsqrt(accum)
defineLowering(ApplyAdagrad, (cx) => {
  const o = ops(cx);
  const grad = o.in('grad');
  const accum = o.add(o.ref('accum'), o.square(grad));
  const v = o.sub(o.ref('var'), o.div(o.mul(grad, o.in('lr')), o.sqrt(accum)));
  o.write('accum', accum);
  o.write('var', v);
  return v;
});

// alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
// m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
// var -= nesterov ? (grad * (1 - beta1) + m * beta1) * alpha / (sqrt(v) + eps) : m * alpha / (sqrt(v) + eps)
defineLowering(ApplyAdam, (cx, { useNesterov }) => {
  const o = ops(cx);
  const [grad, beta1, beta2] = [o.in('grad'), o.in('beta1'), o.in('beta2')];
  const alpha = o.div(
    o.mul(o.in('lr'), o.sqrt(o.oneMinus(o.in('beta2Power')))),
    o.oneMinus(o.in('beta1Power')),
  );
  const m0 = o.ref('m');
  const v0 = o.ref('v');
  const m = o.add(m0, o.mul(o.sub(grad, m0), o.oneMinus(beta1)));
  const vv = o.add(v0, o.mul(o.sub(o.square(grad), v0), o.oneMinus(beta2)));
  const denom = o.add(o.sqrt(vv), o.in('epsilon'));
  const num = useNesterov ? o.add(o.mul(grad, o.oneMinus(beta1)), o.mul(m, beta1)) : m;
  const next = o.sub(o.ref('var'), o.div(o.mul(num, alpha), denom));
  o.write('m', m);
  o.write('v', vv);
  o.write('var', next);
  return next;
});

// ms += (grad^2 - ms) * (1 - rho);  mom = mom * momentum + grad * lr / sqrt(ms + eps);  var -= mom
defineLowering(ApplyRMSProp, (cx) => {
  const o = ops(cx);
  const grad = o.in('grad');
  const ms0 = o.ref('ms');
  const ms = o.add(ms0, o.mul(o.sub(o.square(grad), ms0), o.oneMinus(o.in('rho'))));
  const step = o.div(o.mul(grad, o.in('lr')), o.sqrt(o.add(ms, o.in('epsilon'))));
  const mom = o.add(o.mul(o.ref('mom'), o.in('momentum')), step);
  const v = o.sub(o.ref('var'), mom);
  o.write('ms', ms);
  o.write('mom', mom);
  o.write('var', v);
  return v;
});

// Centered: mg += (grad - mg) * (1 - rho); the denominator is sqrt(ms - mg^2 + eps).
defineLowering(ApplyCenteredRMSProp, (cx) => {
  const o = ops(cx);
  const [grad, rho] = [o.in('grad'), o.in('rho')];
  const [ms0, mg0] = [o.ref('ms'), o.ref('mg')];
  const ms = o.add(ms0, o.mul(o.sub(o.square(grad), ms0), o.oneMinus(rho)));
  const mg = o.add(mg0, o.mul(o.sub(grad, mg0), o.oneMinus(rho)));
  const denom = o.add(o.sub(ms, o.square(mg)), o.in('epsilon'));
  const mom = o.add(o.mul(o.ref('mom'), o.in('momentum')), o.div(o.mul(grad, o.in('lr')), o.sqrt(denom)));
  const v = o.sub(o.ref('var'), mom);
  o.write('mg', mg);
  o.write('ms', ms);
  o.write('mom', mom);
  o.write('var', v);
  return v;
});

// ref[indices[i]] -= updates[i], duplicates accumulating: ScatterND adds each (negated) row.
defineLowering(
  ScatterSub,
  (cx) => {
    const ids = cx.n1('Unsqueeze', [cx.n1('Cast', [cx.input(1)], { to: 7 }), cx.int64s([-1])]);
    const v = cx.n1('ScatterND', [cx.readRef(0), ids, cx.n1('Neg', [cx.input(2)])], { reduction: 'add' });
    cx.writeRef(0, v);
    return v;
  },
  (op) => op.inputs[1]!.shape?.length === 1,
);
