/**
 * Accuracies the objectives log next to their losses (no gradients: plain numbers from the logits).
 * Each is 0 when there is nothing to count, so an empty batch logs 0 rather than NaN.
 */
import type * as T from '../../tensor/index.js';

/** a / b, or 0 when b is 0. */
export const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Share of rows of [n, classes] logits whose largest logit (the first on ties) is the target class. */
export function argmaxAccuracy(logits: T.Tensor, target: Int32Array): number {
  const c = logits.shape[1]!;
  const x = logits.data;
  let right = 0;
  for (let i = 0; i < target.length; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (x[i * c + j]! > x[i * c + best]!) best = j;
    if (best === target[i]) right++;
  }
  return ratio(right, target.length);
}

/** How many binary logits are on their label's side: > 0 for label 1, < 0 for label 0. */
export function signRight(logits: Float32Array, label: 0 | 1): number {
  let right = 0;
  for (const s of logits) if (label === 1 ? s > 0 : s < 0) right++;
  return right;
}

/** Share of binary logits on their label's side. */
export const signAccuracy = (logits: Float32Array, label: 0 | 1): number =>
  ratio(signRight(logits, label), logits.length);
