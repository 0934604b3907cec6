// Adam and AdamW with torch.optim.Adam / torch.optim.AdamW semantics (torch 1.13, single-tensor path).
// Per param with a gradient, t = the param's own step count after incrementing:
//   Adam:  g = g + weightDecay·p                    (L2 in the gradient)
//   AdamW: p = p·(1 − lr·weightDecay)               (decoupled decay, before the moment update)
//   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  amsgrad: vmax = max(vmax, v), used instead of v
//   denom = sqrt(v) / sqrt(1 − β2^t) + eps          (eps added after the bias correction, as torch)
//   p = p − (lr / (1 − β1^t)) · m / denom
// Bias corrections and the step size are computed in float64 like torch's Python code; the element
// loop rounds op by op like torch's float32 kernels (mul_, add_ with alpha, addcmul_, sqrt, div,
// addcdiv_), which makes the results bit-identical to Debian's torch 1.13 CPU build on the fixtures.

import { kernels } from '../backend.js';
import { type BaseHyper, type GroupSpec, OptimError, Optimizer, type OptimParam } from './types.js';

export interface AdamHyper extends BaseHyper {
  betas: readonly [number, number];
  eps: number;
  amsgrad: boolean;
}

export type AdamOptions = Partial<AdamHyper>;

const MOMENTS: readonly string[] = ['expAvg', 'expAvgSq'];
const MOMENTS_AMS: readonly string[] = ['expAvg', 'expAvgSq', 'maxExpAvgSq'];

abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected validate(h: AdamHyper, where: string): void {
    if (!(h.lr >= 0)) throw new OptimError(`${where}: invalid learning rate ${h.lr}`);
    if (!(h.eps >= 0)) throw new OptimError(`${where}: invalid eps ${h.eps}`);
    const [b1, b2] = h.betas ?? [];
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      throw new OptimError(`${where}: betas must be [beta1, beta2]`);
    if (!(b1! >= 0 && b1! < 1)) throw new OptimError(`${where}: invalid beta1 ${b1}`);
    if (!(b2! >= 0 && b2! < 1)) throw new OptimError(`${where}: invalid beta2 ${b2}`);
    if (!(h.weightDecay >= 0)) throw new OptimError(`${where}: invalid weightDecay ${h.weightDecay}`);
  }

  step(): void {
    const f = Math.fround;
    let idx = 0;
    const decoupled = this.decoupled;
    for (const g of this.groups) {
      const { lr, amsgrad } = g;
      const beta1 = g.betas[0];
      const beta2 = g.betas[1];
      const b1 = f(beta1);
      const b2 = f(beta2);
      const c1 = f(1 - beta1);
      const c2 = f(1 - beta2);
      const eps = f(g.eps);
      const l2 = decoupled ? 0 : f(g.weightDecay);
      const decay = decoupled ? f(1 - lr * g.weightDecay) : 1;
      const sign = g.maximize ? -1 : 1;
      for (const p of g.params) {
        const i = idx++;
        const grad = p.grad;
        if (!grad) continue;
        const x = p.data;
        const n = x.length;
        if (grad.length !== n) {
          throw new OptimError(`param '${p.name}': grad has ${grad.length} values, data has ${n}`);
        }
        const s = this.stateFor(i, amsgrad ? MOMENTS_AMS : MOMENTS);
        const t = ++s.step;
        const m = s.buffers['expAvg']!;
        const v = s.buffers['expAvgSq']!;
        const vmax = amsgrad ? s.buffers['maxExpAvgSq']! : v;
        const negStepSize = f(-lr / (1 - beta1 ** t));
        const bc2Sqrt = f(Math.sqrt(1 - beta2 ** t));
        if (!amsgrad && decay === 1 && l2 === 0 && sign === 1) {
          // The common case as one backend kernel (same float32 operations in the same order as
          // the general loop below, so results are bit-identical).
          kernels().adamStep(x, grad, m, v, n, b1, b2, c1, c2, negStepSize, bc2Sqrt, eps);
          continue;
        }
        for (let k = 0; k < n; k++) {
          const xk = decay === 1 ? x[k]! : f(x[k]! * decay);
          const gk = l2 === 0 ? sign * grad[k]! : f(sign * grad[k]! + l2 * xk);
          const mk = f(f(m[k]! * b1) + c1 * gk);
          const vk = f(f(v[k]! * b2) + f(c2 * gk) * gk);
          m[k] = mk;
          v[k] = vk;
          let vd = vk;
          if (amsgrad) {
            vd = vmax[k]!;
            if (vk > vd || Number.isNaN(vk)) vmax[k] = vd = vk;
          }
          const denom = f(f(f(Math.sqrt(vd)) / bc2Sqrt) + eps);
          x[k] = xk + f(f(negStepSize * mk) / denom);
        }
      }
    }
  }
}

/** torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (L2 in the gradient). */
export class Adam extends AdamBase {
  readonly kind: string = 'Adam';
  protected readonly decoupled: boolean = false;
  constructor(params: readonly OptimParam[] | readonly GroupSpec<AdamHyper>[], options: AdamOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }
}

/** torch.optim.AdamW: as Adam but decoupled weight decay, default weightDecay 0.01. */
export class AdamW extends AdamBase {
  readonly kind: string = 'AdamW';
  protected readonly decoupled: boolean = true;
  constructor(params: readonly OptimParam[] | readonly GroupSpec<AdamHyper>[], options: AdamOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0.01,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }
}
