// The "fits a tiny set" check every architecture test uses: Adam on a fixed batch until the loss
// falls by `factor` or the step budget runs out.
import * as T from '../../src/tensor/index.js';

export interface FitOutcome {
  first: number;
  last: number;
  steps: number;
}

export function fitTiny(
  params: T.Parameter[],
  loss: () => T.Tensor,
  options: { lr?: number; maxSteps?: number; factor?: number } = {},
): FitOutcome {
  const opt = new T.Adam(params, { lr: options.lr ?? 0.01 });
  const maxSteps = options.maxSteps ?? 200;
  const factor = options.factor ?? 20;
  const step = (): number =>
    T.tidy(() => {
      opt.zeroGrad();
      const l = loss();
      T.backward(l);
      opt.step();
      return l.item();
    });
  const first = step();
  let last = first;
  let steps = 1;
  while (steps < maxSteps && last > first / factor) {
    last = step();
    steps++;
  }
  return { first, last, steps };
}
