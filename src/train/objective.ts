// The supervised fine-tuning loss: BCE on logits (classification) or MSE on standardized values
// (regression), over labelled entries only. With several views (GROVER's fine-tuning task) each
// view is scored and distCoeff × the mean squared difference between the first view's raw output
// and each other's is added, over the same labelled entries (GROVER's dist loss, on logits).

import * as T from '../tensor/index.js';

export function taskLoss(out: T.Tensor, y: Float32Array, classification: boolean): T.Tensor {
  return classification ? T.bceWithLogits(out, y) : T.mse(out, y);
}

export function viewsLoss(
  outs: readonly T.Tensor[],
  y: Float32Array,
  classification: boolean,
  distCoeff: number,
): T.Tensor {
  if (outs.length === 1) return taskLoss(outs[0]!, y, classification);
  let loss = T.addN(outs.map((o) => taskLoss(o, y, classification)));
  if (distCoeff > 0) {
    // NaN where a label is missing (ignored by mse), 0 elsewhere.
    const zero = y.map((v) => (Number.isNaN(v) ? v : 0));
    for (let v = 1; v < outs.length; v++)
      loss = T.add(loss, T.mulScalar(T.mse(T.sub(outs[0]!, outs[v]!), zero), distCoeff));
  }
  return loss;
}
