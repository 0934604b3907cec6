// Neural-network layers as ops: embedding lookup, dropout, layer norm and batch norm.

import { gradOf, needsGrad, record } from '../autograd.js';
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
  const xd = x.data;
  const y = out.data;
  if (p === 1) {
    mask.fill(0);
    y.fill(0);
  } else {
    const scale = 1 / (1 - p);
    // Two keep/drop decisions per 32-bit draw (16 bits each): p is applied at a resolution of
    // 1/65536, and mask and output are written in the same pass.
    const threshold = Math.round(p * 65536);
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const r = rng.nextUint32();
      const m0 = (r & 0xffff) >= threshold ? scale : 0;
      const m1 = r >>> 16 >= threshold ? scale : 0;
      mask[i] = m0;
      mask[i + 1] = m1;
      y[i] = xd[i]! * m0;
      y[i + 1] = xd[i + 1]! * m1;
    }
    if (i < n) {
      const m0 = (rng.nextUint32() & 0xffff) >= threshold ? scale : 0;
      mask[i] = m0;
      y[i] = xd[i]! * m0;
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, 'dropout', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < n; i++) gx[i]! += g[i]! * mask[i]!;
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
  if (training) {
    // Two passes over contiguous rows (cache friendly), sums in float64 per channel.
    const s = new Float64Array(c);
    for (let r = 0; r < n; r++) {
      const o = r * c;
      for (let j = 0; j < c; j++) s[j]! += xd[o + j]!;
    }
    for (let j = 0; j < c; j++) mean[j] = s[j]! / n;
    s.fill(0);
    for (let r = 0; r < n; r++) {
      const o = r * c;
      for (let j = 0; j < c; j++) {
        const dv = xd[o + j]! - mean[j]!;
        s[j]! += dv * dv;
      }
    }
    const mom = state.momentum;
    for (let j = 0; j < c; j++) {
      const v = s[j]! / n;
      rstd[j] = 1 / Math.sqrt(v + state.eps);
      state.runningMean[j] = (1 - mom) * state.runningMean[j]! + mom * mean[j]!;
      state.runningVar[j] = (1 - mom) * state.runningVar[j]! + (mom * s[j]!) / (n - 1);
    }
  } else {
    for (let j = 0; j < c; j++) {
      mean[j] = state.runningMean[j]!;
      rstd[j] = 1 / Math.sqrt(state.runningVar[j]! + state.eps);
    }
  }
  const out = emptyTensor(x.shape);
  const y = out.data;
  // scale/shift per channel so the main loop is one multiply-add.
  const scale = allocF32(c);
  const shift = allocF32(c);
  for (let j = 0; j < c; j++) {
    const gj = gd ? gd[j]! : 1;
    scale[j] = gj * rstd[j]!;
    shift[j] = (bd ? bd[j]! : 0) - mean[j]! * scale[j]!;
  }
  for (let r = 0; r < n; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) y[o + j] = xd[o + j]! * scale[j]! + shift[j]!;
  }
  if (!needsGrad(x, gamma, beta)) return out;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return record(out, training ? 'batchNorm(train)' : 'batchNorm(eval)', inputs, (g) => {
    const sg = new Float64Array(c);
    const sgx = new Float64Array(c);
    for (let r = 0; r < n; r++) {
      const o = r * c;
      for (let j = 0; j < c; j++) {
        const gv = g[o + j]!;
        sg[j]! += gv;
        sgx[j]! += gv * (xd[o + j]! - mean[j]!) * rstd[j]!;
      }
    }
    if (gamma?.requiresGrad) {
      const gg = gradOf(gamma);
      for (let j = 0; j < c; j++) gg[j]! += sgx[j]!;
    }
    if (beta?.requiresGrad) {
      const gb = gradOf(beta);
      for (let j = 0; j < c; j++) gb[j]! += sg[j]!;
    }
    if (!x.requiresGrad) return;
    const gx = gradOf(x);
    if (!training) {
      for (let r = 0; r < n; r++) {
        const o = r * c;
        for (let j = 0; j < c; j++) gx[o + j]! += g[o + j]! * scale[j]!;
      }
      return;
    }
    // gx = γ·rstd/N · (N·g − Σg − x̂·Σ(g·x̂))
    const a = allocF32(c);
    const b = allocF32(c);
    for (let j = 0; j < c; j++) {
      a[j] = sg[j]! / n;
      b[j] = sgx[j]! / n;
    }
    for (let r = 0; r < n; r++) {
      const o = r * c;
      for (let j = 0; j < c; j++) {
        const xh = (xd[o + j]! - mean[j]!) * rstd[j]!;
        gx[o + j]! += scale[j]! * (g[o + j]! - a[j]! - xh * b[j]!);
      }
    }
  });
}
