// Neural-network layers as ops: embedding lookup, dropout, layer norm and batch norm.

import { freshGrad, gradOf, needsGrad, record } from '../autograd.js';
import { kernels } from '../backend.js';
import { shapeError } from '../errors.js';
import { allocF32 } from '../memory.js';
import type { Rng } from '../random.js';
import { emptyTensor, fmtShape, type Index, indexData, type Tensor } from '../tensor.js';
import { gatherRows } from './segment.js';

/** Rows of `weight` [V, D] for each index (embedding lookup; the gradient scatters back). */
export function embedding(weight: Tensor, index: Index): Tensor {
  if (weight.rank !== 2)
    throw shapeError('embedding', `weight must be [V, D], got ${fmtShape(weight.shape)}`);
  const idx = indexData(index);
  const v = weight.shape[0]!;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= v)
      throw shapeError('embedding', `index[${i}] = ${k} is outside the vocabulary [0, ${v})`);
  }
  return gatherRows(weight, idx);
}

/**
 * Inverted dropout: in training, zero each value with probability p and scale the rest by 1/(1−p);
 * identity otherwise. Randomness comes only from `rng`.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p <= 1)) throw shapeError('dropout', `probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  x.assertLive('dropout');
  const n = x.size;
  const mask = allocF32(n);
  const out = emptyTensor(x.shape);
  // Two draws seed a counter-based stream (types.ts: dropoutWord), so every backend, and any
  // number of threads, drops the same values; p is applied at a resolution of 1/65536.
  const seedA = rng.nextUint32();
  const seedB = rng.nextUint32();
  const K = kernels();
  if (p === 1) {
    mask.fill(0);
    out.data.fill(0);
  } else K.dropout(x.data, out.data, mask, n, Math.round(p * 65536), 1 / (1 - p), seedA, seedB);
  if (!needsGrad(x)) return out;
  return record(out, 'dropout', [x], (g) => {
    const fresh = freshGrad(x);
    if (fresh) K.mul(g, mask, fresh, n);
    else {
      const tmp = allocF32(n);
      K.mul(g, mask, tmp, n);
      K.accumulate(x.grad!, tmp, n);
    }
  });
}

/** Layer norm over the last dimension, with optional affine gamma/beta ([D]). */
export function layerNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps = 1e-5): Tensor {
  x.assertLive('layerNorm');
  if (x.rank === 0) throw shapeError('layerNorm', 'needs at least a 1-D tensor');
  const d = x.shape[x.rank - 1]!;
  if ((gamma && gamma.size !== d) || (beta && beta.size !== d)) {
    throw shapeError('layerNorm', `gamma/beta must have ${d} values for input ${fmtShape(x.shape)}`);
  }
  const rows = d === 0 ? 0 : x.size / d;
  const xd = x.data;
  const out = emptyTensor(x.shape);
  const y = out.data;
  const xhat = allocF32(x.size);
  const rstd = allocF32(rows);
  const gd = gamma?.data;
  const bd = beta?.data;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let m = 0;
    for (let j = 0; j < d; j++) m += xd[o + j]!;
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = xd[o + j]! - m;
      v += c * c;
    }
    const rs = 1 / Math.sqrt(v / d + eps);
    rstd[r] = rs;
    for (let j = 0; j < d; j++) {
      const h = (xd[o + j]! - m) * rs;
      xhat[o + j] = h;
      y[o + j] = gd ? h * gd[j]! + (bd ? bd[j]! : 0) : h + (bd ? bd[j]! : 0);
    }
  }
  if (!needsGrad(x, gamma, beta)) return out;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return record(out, 'layerNorm', inputs, (g) => {
    if (gamma?.requiresGrad || beta?.requiresGrad) {
      const gg = gamma?.requiresGrad ? gradOf(gamma) : null;
      const gb = beta?.requiresGrad ? gradOf(beta) : null;
      for (let r = 0; r < rows; r++) {
        const o = r * d;
        for (let j = 0; j < d; j++) {
          if (gg) gg[j]! += g[o + j]! * xhat[o + j]!;
          if (gb) gb[j]! += g[o + j]!;
        }
      }
    }
    if (!x.requiresGrad) return;
    const gx = gradOf(x);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < d; j++) {
        const gh = g[o + j]! * (gd ? gd[j]! : 1);
        s1 += gh;
        s2 += gh * xhat[o + j]!;
      }
      s1 /= d;
      s2 /= d;
      const rs = rstd[r]!;
      for (let j = 0; j < d; j++) {
        const gh = g[o + j]! * (gd ? gd[j]! : 1);
        gx[o + j]! += rs * (gh - s1 - xhat[o + j]! * s2);
      }
    }
  });
}

/** Running statistics of a batch-norm layer (updated in place in training mode). */
export interface BatchNormState {
  runningMean: Float32Array;
  runningVar: Float32Array;
  /** Weight of the new batch in the running average (PyTorch's momentum, default 0.1). */
  momentum: number;
  eps: number;
}

export function batchNormState(channels: number, momentum = 0.1, eps = 1e-5): BatchNormState {
  return {
    runningMean: new Float32Array(channels),
    runningVar: new Float32Array(channels).fill(1),
    momentum,
    eps,
  };
}

/**
 * Batch norm over rows of x [N, C] (torch.nn.BatchNorm1d): training uses the batch's mean and
 * biased variance and updates the running stats with the unbiased variance; eval uses the running stats.
 */
export function batchNorm(
  x: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  state: BatchNormState,
  training: boolean,
): Tensor {
  x.assertLive('batchNorm');
  if (x.rank !== 2) throw shapeError('batchNorm', `input must be [N, C], got ${fmtShape(x.shape)}`);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  if (state.runningMean.length !== c || state.runningVar.length !== c) {
    throw shapeError(
      'batchNorm',
      `running statistics have ${state.runningMean.length} channels, input has ${c}`,
    );
  }
  if ((gamma && gamma.size !== c) || (beta && beta.size !== c)) {
    throw shapeError('batchNorm', `gamma/beta must have ${c} values`);
  }
  if (training && n < 2)
    throw shapeError('batchNorm', `training needs more than 1 row per channel, got ${n}`);
  const xd = x.data;
  const gd = gamma?.data;
  const bd = beta?.data;
  const mean = allocF32(c);
  const rstd = allocF32(c);
  const K = kernels();
  if (training) {
    const variance = allocF32(c);
    K.columnMeanVar(xd, n, c, mean, variance);
    const mom = state.momentum;
    for (let j = 0; j < c; j++) {
      const v = variance[j]!;
      rstd[j] = 1 / Math.sqrt(v + state.eps);
      state.runningMean[j] = (1 - mom) * state.runningMean[j]! + mom * mean[j]!;
      state.runningVar[j] = (1 - mom) * state.runningVar[j]! + (mom * v * n) / (n - 1);
    }
  } else {
    for (let j = 0; j < c; j++) {
      mean[j] = state.runningMean[j]!;
      rstd[j] = 1 / Math.sqrt(state.runningVar[j]! + state.eps);
    }
  }
  const out = emptyTensor(x.shape);
  // scale/shift per channel so the main pass is one multiply-add.
  const scale = allocF32(c);
  const shift = allocF32(c);
  for (let j = 0; j < c; j++) {
    const gj = gd ? gd[j]! : 1;
    scale[j] = gj * rstd[j]!;
    shift[j] = (bd ? bd[j]! : 0) - mean[j]! * scale[j]!;
  }
  K.scaleShiftRows(xd, n, c, scale, shift, out.data);
  if (!needsGrad(x, gamma, beta)) return out;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return record(out, training ? 'batchNorm(train)' : 'batchNorm(eval)', inputs, (g) => {
    const sumG = new Float64Array(c);
    const sumGX = new Float64Array(c);
    // The kernel always produces the column sums; the input gradient goes to a scratch buffer
    // when x needs none.
    const fresh = x.requiresGrad ? freshGrad(x) : null;
    if (fresh) fresh.fill(0);
    const gx = x.requiresGrad ? x.grad! : allocF32(n * c).fill(0);
    K.batchNormBackward(g, xd, n, c, mean, rstd, scale, training, gx, sumG, sumGX);
    if (gamma?.requiresGrad) {
      const gg = gradOf(gamma);
      for (let j = 0; j < c; j++) gg[j]! += sumGX[j]!;
    }
    if (beta?.requiresGrad) {
      const gb = gradOf(beta);
      for (let j = 0; j < c; j++) gb[j]! += sumG[j]!;
    }
  });
}
