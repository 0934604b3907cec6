// Stochastic gradient descent with torch.optim.SGD semantics (torch 1.13, single-tensor path):
//   d = g + weightDecay·p                        (L2 added to the gradient; g negated when maximize)
//   momentum ≠ 0: buf = d on the param's first step, else buf = momentum·buf + (1 − dampening)·d
//                 d = nesterov ? d + momentum·buf : buf
//   p = p − lr·d
// Rounding follows torch's float32 kernels op by op: scalars are cast to float32, `a.add_(b, alpha)`
// rounds a + alpha·b once, `a.mul_(s)` rounds the product. On the fixtures (Debian's torch 1.13 CPU
// build) the results are bit-identical to torch.

import { type BaseHyper, type GroupSpec, OptimError, Optimizer, type OptimParam } from './types.js';

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export type SGDOptions = { lr: number } & Partial<Omit<SGDHyper, 'lr'>>;

const NO_BUFFERS: readonly string[] = [];

export class SGD extends Optimizer<SGDHyper> {
  readonly kind = 'SGD';

  /** `lr` is required (torch has no default either); other options default as in torch. */
  constructor(params: readonly OptimParam[] | readonly GroupSpec<SGDHyper>[], options: SGDOptions) {
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(h: SGDHyper, where: string): void {
    if (!(h.lr >= 0)) throw new OptimError(`${where}: invalid learning rate ${h.lr}`);
    if (!(h.momentum >= 0)) throw new OptimError(`${where}: invalid momentum ${h.momentum}`);
    if (!(h.weightDecay >= 0)) throw new OptimError(`${where}: invalid weightDecay ${h.weightDecay}`);
    if (!Number.isFinite(h.dampening)) throw new OptimError(`${where}: invalid dampening ${h.dampening}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new OptimError(`${where}: Nesterov momentum requires a momentum and zero dampening`);
    }
  }

  step(): void {
    const f = Math.fround;
    let idx = 0;
    for (const g of this.groups) {
      const { momentum, nesterov } = g;
      const negLr = f(-g.lr);
      const wd = f(g.weightDecay);
      const mom = f(momentum);
      const keep = f(1 - g.dampening);
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
        const s = this.stateFor(i, NO_BUFFERS);
        s.step++;
        if (momentum === 0) {
          for (let k = 0; k < n; k++) {
            const xk = x[k]!;
            const d = wd === 0 ? sign * grad[k]! : f(sign * grad[k]! + wd * xk);
            x[k] = xk + negLr * d;
          }
          continue;
        }
        // torch creates the buffer from the first d it sees (no dampening on that step).
        let buf = s.buffers['momentumBuffer'];
        const first = buf === undefined;
        if (!buf) {
          buf = new Float32Array(n);
          s.buffers['momentumBuffer'] = buf;
        }
        for (let k = 0; k < n; k++) {
          const xk = x[k]!;
          const d = wd === 0 ? sign * grad[k]! : f(sign * grad[k]! + wd * xk);
          const b = first ? d : f(f(buf[k]! * mom) + keep * d);
          buf[k] = b;
          x[k] = xk + negLr * (nesterov ? f(d + mom * b) : b);
        }
      }
    }
  }
}
