// Finite-difference gradient checking for the tensor engine. The loss is L = Σ out ⊙ W for a fixed
// random W, summed in float64; each input value is perturbed by ±eps (central differences) and the
// numeric dL/dx compared with the analytic gradient from backward().

import assert from 'node:assert/strict';
import { backward, noGrad, Rng, type Tensor, tensor } from '../../src/tensor/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

function weightedSum(out: Tensor, w: Float32Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i]! * w[i]!;
  return s;
}

export function gradcheck(
  name: string,
  fn: (xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 1e-2;
  const rng = new Rng(options.seed ?? 7);
  for (const x of inputs) {
    x.requiresGrad = true;
    x.grad = null;
  }
  const out = fn(inputs);
  const w = new Float32Array(out.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  backward(out, w);
  for (const [k, x] of inputs.entries()) {
    const analytic = x.grad ?? new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i]!;
      x.data[i] = orig + eps;
      const lp = noGrad(() => weightedSum(fn(inputs), w));
      x.data[i] = orig - eps;
      const lm = noGrad(() => weightedSum(fn(inputs), w));
      x.data[i] = orig;
      // The perturbed value is rounded to float32, so divide by the actual step taken.
      const step = Math.fround(orig + eps) - Math.fround(orig - eps);
      const numeric = (lp - lm) / step;
      const a = analytic[i]!;
      assert.ok(
        Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric),
        `${name}: input ${k} element ${i}: analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
}

/** A float32 tensor of uniform values in [lo, hi) from a seeded generator. */
export function randTensor(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
  return tensor(data, shape);
}

/** Values bounded away from 0 (kinks of relu/abs/max) by at least `gap`. */
export function randAwayFromZero(rng: Rng, shape: number[], gap = 0.1): Tensor {
  const t = randTensor(rng, shape);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    t.data[i] = v >= 0 ? v + gap : v - gap;
  }
  return t;
}
