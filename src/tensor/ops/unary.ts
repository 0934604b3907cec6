// Unary math and activations, each with its gradient. Rules use the saved output where that is
// cheaper (exp, sigmoid, tanh, relu, sqrt) and the input otherwise.

import { freshGrad, gradOf, needsGrad, record } from '../autograd.js';
import { kernels } from '../backend.js';
import { shapeError } from '../errors.js';
import { type Activation, activationCode } from '../kernels/activation.js';
import { allocF32 } from '../memory.js';
import { emptyTensor, fmtShape, type Tensor } from '../tensor.js';

function activation(x: Tensor, act: Exclude<Activation, 'none'>): Tensor {
  x.assertLive(act);
  const out = emptyTensor(x.shape);
  out.data.set(x.data);
  const K = kernels();
  const code = activationCode(act);
  K.activation(code, out.data, out.size);
  if (!needsGrad(x)) return out;
  return record(out, act, [x], (g) => {
    const n = g.length;
    const fresh = freshGrad(x);
    if (fresh) {
      K.activationBackward(code, g, out.data, x.data, fresh, n);
      return;
    }
    const tmp = allocF32(n);
    K.activationBackward(code, g, out.data, x.data, tmp, n);
    K.accumulate(x.grad!, tmp, n);
  });
}

export const relu = (x: Tensor): Tensor => activation(x, 'relu');
export const tanh = (x: Tensor): Tensor => activation(x, 'tanh');
export const sigmoid = (x: Tensor): Tensor => activation(x, 'sigmoid');
/** GELU with the exact erf form (PyTorch's default). */
export const gelu = (x: Tensor): Tensor => activation(x, 'gelu');

export function exp(x: Tensor): Tensor {
  x.assertLive('exp');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = Math.exp(xd[i]!);
  if (!needsGrad(x)) return out;
  return record(out, 'exp', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += g[i]! * y[i]!;
  });
}

export function log(x: Tensor): Tensor {
  x.assertLive('log');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = Math.log(xd[i]!);
  if (!needsGrad(x)) return out;
  return record(out, 'log', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += g[i]! / xd[i]!;
  });
}

export function sqrt(x: Tensor): Tensor {
  x.assertLive('sqrt');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = Math.sqrt(xd[i]!);
  if (!needsGrad(x)) return out;
  return record(out, 'sqrt', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += (0.5 * g[i]!) / y[i]!;
  });
}

export function square(x: Tensor): Tensor {
  x.assertLive('square');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = xd[i]! * xd[i]!;
  if (!needsGrad(x)) return out;
  return record(out, 'square', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += 2 * g[i]! * xd[i]!;
  });
}

export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  x.assertLive('leakyRelu');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) {
    const v = xd[i]!;
    y[i] = v > 0 ? v : v * slope;
  }
  if (!needsGrad(x)) return out;
  return record(out, 'leakyRelu', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) gx[i]! += xd[i]! > 0 ? g[i]! : g[i]! * slope;
  });
}

/**
 * PReLU: max(0, x) + a·min(0, x) with a learnable slope `weight` of 1 value (shared) or one per
 * channel (the size of x's last dimension), as torch.nn.PReLU on [N, C].
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  x.assertLive('prelu');
  const c = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  if (weight.size !== 1 && weight.size !== c) {
    throw shapeError(
      'prelu',
      `weight ${fmtShape(weight.shape)} must have 1 or ${c} values for input ${fmtShape(x.shape)}`,
    );
  }
  const shared = weight.size === 1;
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const wd = weight.data;
  const y = out.data;
  // Shared slope: one flat loop; per channel: row by row, so the slope index needs no modulo.
  if (shared) {
    const w = wd[0]!;
    for (let i = 0; i < y.length; i++) {
      const v = xd[i]!;
      y[i] = v > 0 ? v : v * w;
    }
  } else {
    for (let o = 0; o < y.length; o += c) {
      for (let j = 0; j < c; j++) {
        const v = xd[o + j]!;
        y[o + j] = v > 0 ? v : v * wd[j]!;
      }
    }
  }
  if (!needsGrad(x, weight)) return out;
  return record(out, 'prelu', [x, weight], (g) => {
    const gx = x.requiresGrad ? gradOf(x) : null;
    const gw = weight.requiresGrad ? gradOf(weight) : null;
    if (shared) {
      const w = wd[0]!;
      let gs = 0;
      for (let i = 0; i < g.length; i++) {
        const v = xd[i]!;
        const gi = g[i]!;
        if (v > 0) {
          if (gx) gx[i]! += gi;
        } else {
          if (gx) gx[i]! += gi * w;
          gs += gi * v;
        }
      }
      if (gw) gw[0]! += gs;
      return;
    }
    for (let o = 0; o < g.length; o += c) {
      for (let j = 0; j < c; j++) {
        const v = xd[o + j]!;
        const gi = g[o + j]!;
        if (v > 0) {
          if (gx) gx[o + j]! += gi;
        } else {
          if (gx) gx[o + j]! += gi * wd[j]!;
          if (gw) gw[j]! += gi * v;
        }
      }
    }
  });
}

/** softplus(x) = log(1 + e^(βx))/β, linear above `threshold` (torch.nn.functional.softplus). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  x.assertLive('softplus');
  const out = emptyTensor(x.shape);
  const xd = x.data;
  const y = out.data;
  for (let i = 0; i < y.length; i++) {
    const bx = beta * xd[i]!;
    y[i] = bx > threshold ? xd[i]! : Math.log1p(Math.exp(bx)) / beta;
  }
  if (!needsGrad(x)) return out;
  return record(out, 'softplus', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < g.length; i++) {
      const bx = beta * xd[i]!;
      gx[i]! += bx > threshold ? g[i]! : g[i]! / (1 + Math.exp(-bx));
    }
  });
}
