// Gradient clipping with torch.nn.utils semantics. Params whose grad is null are ignored.

import { OptimError, type OptimParam } from './types.js';

export interface ClipGradNormOptions {
  /** Throw instead of clipping when the total norm is NaN or ±Infinity (torch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/**
 * torch.nn.utils.clip_grad_norm_: the p-norm of all gradients taken together (as if concatenated),
 * then every gradient is scaled by maxNorm / (total + 1e-6) when that coefficient is < 1. Returns the
 * total norm (before clipping). `normType` is a positive number or Infinity (max |g|).
 *
 * Differences from torch: the norm is accumulated in float64 (torch accumulates in the grad dtype,
 * float32), so the returned norm can differ in the last float32 bit; and a NaN norm leaves the
 * gradients untouched (torch multiplies them by NaN) — pass errorIfNonfinite to catch it.
 */
export function clipGradNorm(
  params: Iterable<OptimParam>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  if (!(normType > 0))
    throw new OptimError(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const grads: Float32Array[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad);
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Number.POSITIVE_INFINITY) {
    for (const g of grads) {
      for (let k = 0; k < g.length; k++) {
        const a = Math.abs(g[k]!);
        if (a > total) total = a;
        else if (Number.isNaN(a)) total = Number.NaN; // sticky: nothing compares greater than NaN
      }
    }
  } else if (normType === 2) {
    for (const g of grads) for (let k = 0; k < g.length; k++) total += g[k]! * g[k]!;
    total = Math.sqrt(total);
  } else if (normType === 1) {
    for (const g of grads) for (let k = 0; k < g.length; k++) total += Math.abs(g[k]!);
  } else {
    for (const g of grads) for (let k = 0; k < g.length; k++) total += Math.abs(g[k]!) ** normType;
    total = total ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new OptimError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is non-finite (${total}), so it cannot be clipped`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    const c = Math.fround(coef); // torch multiplies by a float32 coefficient
    for (const g of grads) for (let k = 0; k < g.length; k++) g[k] = g[k]! * c;
  }
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient element to [−clipValue, clipValue] (NaN stays NaN). */
export function clipGradValue(params: Iterable<OptimParam>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new OptimError(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  const lo = -clipValue;
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let k = 0; k < g.length; k++) {
      const v = g[k]!;
      if (v > clipValue) g[k] = clipValue;
      else if (v < lo) g[k] = lo;
    }
  }
}
