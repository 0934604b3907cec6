// Losses and row-wise softmax. Classification losses follow PyTorch's formulas; missing labels are
// masked out of both the loss and its normalisation, as Hu et al. and chemprop do.

import { gradOf, needsGrad, record } from '../autograd.js';
import { shapeError } from '../errors.js';
import { allocF32 } from '../memory.js';
import { emptyTensor, fmtShape, type Index, indexData, type Tensor } from '../tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

function targetData(op: string, pred: Tensor, target: Tensor | Float32Array): Float32Array {
  const t = target instanceof Float32Array ? target : target.data;
  if (t.length !== pred.size) {
    throw shapeError(
      op,
      `target has ${t.length} values, prediction ${fmtShape(pred.shape)} has ${pred.size}`,
    );
  }
  return t;
}

/** Scalar or per-element result of an elementwise loss with `w[i]` the gradient weight per value. */
function reduceLoss(
  op: string,
  pred: Tensor,
  reduction: Reduction,
  perElement: Float32Array,
  valid: number,
  dloss: Float32Array,
): Tensor {
  const n = pred.size;
  let out: Tensor;
  let scale = 1;
  if (reduction === 'none') {
    out = emptyTensor(pred.shape);
    out.data.set(perElement);
  } else {
    let s = 0;
    for (let i = 0; i < n; i++) s += perElement[i]!;
    scale = reduction === 'mean' ? (valid > 0 ? 1 / valid : 0) : 1;
    out = emptyTensor([]);
    out.data[0] = s * scale;
  }
  if (!needsGrad(pred)) return out;
  return record(out, op, [pred], (g) => {
    const gp = gradOf(pred);
    if (reduction === 'none') for (let i = 0; i < n; i++) gp[i]! += g[i]! * dloss[i]!;
    else {
      const gs = g[0]! * scale;
      for (let i = 0; i < n; i++) gp[i]! += gs * dloss[i]!;
    }
  });
}

/**
 * An elementwise loss over prediction/target pairs, skipping NaN targets and mask = 0: `value`
 * writes the loss and its derivative for one valid pair; 'mean' divides by the valid count.
 */
function maskedLoss(
  op: string,
  pred: Tensor,
  y: Float32Array,
  mask: Float32Array | undefined,
  reduction: Reduction,
  value: (x: number, y: number, i: number, out: { loss: number; grad: number }) => void,
): Tensor {
  const n = pred.size;
  if (mask && mask.length !== n) throw shapeError(op, `mask has ${mask.length} values, expected ${n}`);
  const x = pred.data;
  const per = allocF32(n);
  const d = allocF32(n);
  const out = { loss: 0, grad: 0 };
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    if (Number.isNaN(yi) || (mask && mask[i] === 0)) {
      per[i] = 0;
      d[i] = 0;
      continue;
    }
    valid++;
    value(x[i]!, yi, i, out);
    per[i] = out.loss;
    d[i] = out.grad;
  }
  return reduceLoss(op, pred, reduction, per, valid, d);
}

export interface BceOptions {
  /** 1 = use, 0 = ignore, per value. By default NaN targets are ignored. */
  mask?: Float32Array;
  /** Weight of positive examples per task (last dimension), as BCEWithLogitsLoss(pos_weight). */
  posWeight?: Float32Array;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits, numerically stable; 'mean' averages over the valid (unmasked,
 * non-NaN) entries only.
 */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor | Float32Array,
  options: BceOptions = {},
): Tensor {
  logits.assertLive('bceWithLogits');
  const y = targetData('bceWithLogits', logits, target);
  const tasks = logits.rank === 0 ? 1 : logits.shape[logits.rank - 1]!;
  const { mask, posWeight } = options;
  if (posWeight && posWeight.length !== tasks) {
    throw shapeError(
      'bceWithLogits',
      `posWeight has ${posWeight.length} values, expected one per task (${tasks})`,
    );
  }
  return maskedLoss('bceWithLogits', logits, y, mask, options.reduction ?? 'mean', (xi, yi, i, out) => {
    const lw = posWeight ? 1 + (posWeight[i % tasks]! - 1) * yi : 1;
    // log(1 + e^(−x)) computed stably as log1p(e^(−|x|)) + max(−x, 0)
    const sp = Math.log1p(Math.exp(-Math.abs(xi))) + Math.max(-xi, 0);
    out.loss = (1 - yi) * xi + lw * sp;
    const sigNeg = xi >= 0 ? Math.exp(-xi) / (1 + Math.exp(-xi)) : 1 / (1 + Math.exp(xi));
    out.grad = 1 - yi - lw * sigNeg;
  });
}

export interface RegressionOptions {
  /** 1 = use, 0 = ignore, per value. By default NaN targets are ignored. */
  mask?: Float32Array;
  reduction?: Reduction;
}

/** Mean squared error over valid entries. */
export function mse(pred: Tensor, target: Tensor | Float32Array, options: RegressionOptions = {}): Tensor {
  return regression('mse', pred, target, options);
}

/** Mean absolute error (L1) over valid entries; the gradient at 0 is 0 (as torch's sign). */
export function l1(pred: Tensor, target: Tensor | Float32Array, options: RegressionOptions = {}): Tensor {
  return regression('l1', pred, target, options);
}

function regression(
  op: 'mse' | 'l1',
  pred: Tensor,
  target: Tensor | Float32Array,
  options: RegressionOptions,
): Tensor {
  pred.assertLive(op);
  const y = targetData(op, pred, target);
  const { mask } = options;
  return maskedLoss(op, pred, y, mask, options.reduction ?? 'mean', (xi, yi, _i, out) => {
    const diff = xi - yi;
    if (op === 'mse') {
      out.loss = diff * diff;
      out.grad = 2 * diff;
    } else {
      out.loss = Math.abs(diff);
      out.grad = diff > 0 ? 1 : diff < 0 ? -1 : 0;
    }
  });
}

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.rank !== 2) throw shapeError(op, `needs [N, C] input, got ${fmtShape(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}

function softmaxLike(op: 'softmax' | 'logSoftmax', x: Tensor): Tensor {
  x.assertLive(op);
  const [n, c] = rowsCols(op, x);
  const xd = x.data;
  const out = emptyTensor(x.shape);
  const y = out.data;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < c; j++) if (xd[o + j]! > m) m = xd[o + j]!;
    let s = 0;
    if (op === 'softmax') {
      // One exp per element: keep e^(x − m), then scale by 1/s.
      for (let j = 0; j < c; j++) {
        const e = Math.exp(xd[o + j]! - m);
        y[o + j] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0; j < c; j++) y[o + j]! *= inv;
    } else {
      for (let j = 0; j < c; j++) s += Math.exp(xd[o + j]! - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < c; j++) y[o + j] = xd[o + j]! - lse;
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => {
    const gx = gradOf(x);
    for (let r = 0; r < n; r++) {
      const o = r * c;
      let dot = 0;
      if (op === 'softmax') {
        for (let j = 0; j < c; j++) dot += g[o + j]! * y[o + j]!;
        for (let j = 0; j < c; j++) gx[o + j]! += y[o + j]! * (g[o + j]! - dot);
      } else {
        for (let j = 0; j < c; j++) dot += g[o + j]!;
        for (let j = 0; j < c; j++) gx[o + j]! += g[o + j]! - Math.exp(y[o + j]!) * dot;
      }
    }
  });
}

/** Softmax over the last dimension of [N, C]. */
export const softmax = (x: Tensor): Tensor => softmaxLike('softmax', x);
/** Log-softmax over the last dimension of [N, C]. */
export const logSoftmax = (x: Tensor): Tensor => softmaxLike('logSoftmax', x);

export interface NllOptions {
  /** Targets equal to this are skipped (PyTorch's default −100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

function classTargets(op: string, n: number, c: number, target: Index, ignore: number): Int32Array {
  const t = indexData(target);
  if (t.length !== n) throw shapeError(op, `target has ${t.length} entries for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const k = t[i]!;
    if (k !== ignore && (k < 0 || k >= c)) throw shapeError(op, `target[${i}] = ${k} is outside [0, ${c})`);
  }
  return t;
}

/** Negative log-likelihood of log-probabilities [N, C] for class targets. */
export function nllLoss(logProbs: Tensor, target: Index, options: NllOptions = {}): Tensor {
  logProbs.assertLive('nllLoss');
  const [n, c] = rowsCols('nllLoss', logProbs);
  const ignore = options.ignoreIndex ?? -100;
  const t = classTargets('nllLoss', n, c, target, ignore);
  const reduction = options.reduction ?? 'mean';
  const lp = logProbs.data;
  let valid = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (t[i] === ignore) continue;
    valid++;
    s -= lp[i * c + t[i]!]!;
  }
  const out = reduction === 'none' ? emptyTensor([n]) : emptyTensor([]);
  if (reduction === 'none')
    for (let i = 0; i < n; i++) out.data[i] = t[i] === ignore ? 0 : -lp[i * c + t[i]!]!;
  else out.data[0] = reduction === 'mean' ? (valid > 0 ? s / valid : Number.NaN) : s;
  if (!needsGrad(logProbs)) return out;
  return record(out, 'nllLoss', [logProbs], (g) => {
    const gl = gradOf(logProbs);
    for (let i = 0; i < n; i++) {
      if (t[i] === ignore) continue;
      const gi = reduction === 'none' ? g[i]! : reduction === 'mean' ? g[0]! / valid : g[0]!;
      gl[i * c + t[i]!]! -= gi;
    }
  });
}

/** Cross-entropy of logits [N, C] for class targets (log-softmax + NLL in one pass). */
export function crossEntropy(logits: Tensor, target: Index, options: NllOptions = {}): Tensor {
  logits.assertLive('crossEntropy');
  const [n, c] = rowsCols('crossEntropy', logits);
  const ignore = options.ignoreIndex ?? -100;
  const t = classTargets('crossEntropy', n, c, target, ignore);
  const reduction = options.reduction ?? 'mean';
  const xd = logits.data;
  const prob = allocF32(n * c);
  const per = allocF32(n);
  let valid = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < c; j++) if (xd[o + j]! > m) m = xd[o + j]!;
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(xd[o + j]! - m);
    for (let j = 0; j < c; j++) prob[o + j] = Math.exp(xd[o + j]! - m) / z;
    if (t[i] === ignore) {
      per[i] = 0;
      continue;
    }
    valid++;
    per[i] = m + Math.log(z) - xd[o + t[i]!]!;
    s += per[i]!;
  }
  const out = reduction === 'none' ? emptyTensor([n]) : emptyTensor([]);
  if (reduction === 'none') out.data.set(per);
  else out.data[0] = reduction === 'mean' ? (valid > 0 ? s / valid : Number.NaN) : s;
  if (!needsGrad(logits)) return out;
  return record(out, 'crossEntropy', [logits], (g) => {
    const gl = gradOf(logits);
    for (let i = 0; i < n; i++) {
      if (t[i] === ignore) continue;
      const gi = reduction === 'none' ? g[i]! : reduction === 'mean' ? g[0]! / valid : g[0]!;
      const o = i * c;
      for (let j = 0; j < c; j++) gl[o + j]! += gi * prob[o + j]!;
      gl[o + t[i]!]! -= gi;
    }
  });
}
