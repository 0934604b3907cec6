// Input checks shared by the study statistics: bad numbers are configuration errors, reported early.
import { ConfigError } from '../../errors.js';

export function assertFinite(xs: readonly number[], what: string): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]))
      throw new ConfigError(`${what}: value ${i} is ${xs[i]}, expected a finite number`);
  }
}

export function assertAlpha(alpha: number, what = 'alpha'): void {
  if (!(alpha > 0 && alpha < 1)) throw new ConfigError(`${what} must be in (0, 1), got ${alpha}`);
}
