// Pointwise activation math shared by the standalone activation ops and the fused linear layer.
// Backward rules are written in terms of the saved output where possible (relu, tanh, sigmoid), so
// the pre-activation need not be kept.

export type Activation = 'none' | 'relu' | 'tanh' | 'sigmoid' | 'gelu';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'tanh', 'sigmoid', 'gelu'];

/** Kernel code of an activation (the order of ACTIVATIONS: ACT_NONE … ACT_GELU in types.ts). */
export function activationCode(act: Activation): number {
  return ACTIVATIONS.indexOf(act);
}

export function activationOfCode(code: number): Activation {
  const a = ACTIVATIONS[code];
  if (a === undefined) throw new RangeError(`unknown activation code ${code}`);
  return a;
}

/** Whether backward needs the pre-activation values (else the output suffices). */
export function needsPreActivation(act: Activation): boolean {
  return act === 'gelu';
}

// erf through the Chebyshev-fitted erfc of Numerical Recipes (fractional error < 1.2e-7 everywhere),
// accurate enough for float32 GELU and its gradient.
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** In place: x ← act(x) over [start, end). */
export function applyActivation(act: Activation, x: Float32Array, start: number, end: number): void {
  switch (act) {
    case 'none':
      return;
    case 'relu':
      for (let i = start; i < end; i++) if (!(x[i]! > 0)) x[i] = 0;
      return;
    case 'tanh':
      for (let i = start; i < end; i++) x[i] = Math.tanh(x[i]!);
      return;
    case 'sigmoid':
      for (let i = start; i < end; i++) x[i] = sigmoid(x[i]!);
      return;
    case 'gelu':
      for (let i = start; i < end; i++) {
        const v = x[i]!;
        x[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
      }
      return;
  }
}

/**
 * gPre[i] = g[i] · act'(·) for i < n, from the output `y` (relu/tanh/sigmoid) or the pre-activation
 * `pre` (gelu). gPre may alias g.
 */
export function activationBackward(
  act: Activation,
  g: Float32Array,
  y: Float32Array,
  pre: Float32Array | null,
  gPre: Float32Array,
  n: number,
): void {
  switch (act) {
    case 'none':
      if (gPre !== g) gPre.set(g.subarray(0, n));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) gPre[i] = y[i]! > 0 ? g[i]! : 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const t = y[i]!;
        gPre[i] = g[i]! * (1 - t * t);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const s = y[i]!;
        gPre[i] = g[i]! * s * (1 - s);
      }
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const v = pre![i]!;
        const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
        gPre[i] = g[i]! * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
      return;
  }
}

export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
