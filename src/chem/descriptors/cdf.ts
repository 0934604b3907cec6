// CDFs of the scipy.stats continuous families that descriptastorus fitted to RDKit descriptors, in scipy
// 1.10's parameterization: dist.cdf(v, *shapes, loc, scale) standardizes x = (v - loc) / scale, gives 0 at or
// below the support's lower end and 1 at or above its upper end, and evaluates the standard CDF inside.
// Closed-form families follow scipy's formulas (expm1/log1p where scipy uses them) so that rounding matches;
// the rest are computed from the special functions in ./special.js.

import { MolgroveError } from '../../errors.js';
import {
  betainc,
  gammainc,
  gammaincc,
  integrate,
  logNdtr,
  ncfCdf,
  nctCdf,
  ncx2Cdf,
  ndtr,
  stdtr,
  tukeyLambdaCdf,
} from './special.js';

type StdCdf = (x: number, a: number, b: number, c: number, d: number) => number;

interface Family {
  /** Number of shape parameters before loc and scale. */
  readonly shapes: number;
  /** Support [lower, upper] of the standardized variable; the real line when absent. */
  readonly support?: (a: number, b: number, c: number, d: number) => readonly [number, number];
  readonly cdf: StdCdf;
}

const POS: Family['support'] = () => [0, Number.POSITIVE_INFINITY];
const UNIT: Family['support'] = () => [0, 1];

function burr(x: number, c: number, d: number): number {
  return (1 + x ** -c) ** -d;
}

/** invgauss(mu) through its log-CDF, as scipy does. */
function invgauss(x: number, mu: number): number {
  const fac = 1 / Math.sqrt(x);
  const a = logNdtr(fac * (x / mu - 1));
  const b = 2 / mu + logNdtr(-fac * (x / mu + 1));
  return Math.exp(a + Math.log1p(Math.exp(b - a)));
}

function pearson3(x: number, skew: number): number {
  // Below |skew| = 1.6e-5 scipy switches to the normal distribution.
  if (Math.abs(skew) < 0.000016) return ndtr(x);
  const beta = 2 / skew;
  const alpha = beta * beta;
  const zeta = -alpha / beta;
  const tx = beta * (x - zeta);
  if (skew > 0) return tx <= 0 ? 0 : gammainc(alpha, tx);
  return tx <= 0 ? 1 : gammaincc(alpha, tx);
}

const gausshyperNorm = new Map<string, number>();

/**
 * gausshyper: pdf proportional to t^(a-1) (1-t)^(b-1) (1+z t)^(-c) on [0, 1]; scipy integrates the pdf with
 * quad. Here [0, 1/2] and [1/2, 1] are integrated separately, with t = u^(1/a) (resp. 1-t = v^(1/b)) removing
 * an endpoint singularity when a < 1 (b < 1), and the normalization is the same integral over [0, 1].
 */
function gausshyper(x: number, a: number, b: number, c: number, z: number): number {
  const kernel = (t: number) => t ** (a - 1) * (1 - t) ** (b - 1) * (1 + z * t) ** -c;
  const lower = (to: number): number =>
    a < 1
      ? integrate(
          (u) => {
            const t = u ** (1 / a);
            return ((1 - t) ** (b - 1) * (1 + z * t) ** -c) / a;
          },
          0,
          to ** a,
        )
      : integrate(kernel, 0, to);
  const upper = (from: number): number =>
    b < 1
      ? integrate(
          (v) => {
            const t = 1 - v ** (1 / b);
            return (t ** (a - 1) * (1 + z * t) ** -c) / b;
          },
          0,
          (1 - from) ** b,
        )
      : integrate(kernel, from, 1);
  const key = `${a},${b},${c},${z}`;
  let norm = gausshyperNorm.get(key);
  if (norm === undefined) {
    norm = lower(0.5) + upper(0.5);
    gausshyperNorm.set(key, norm);
  }
  return x <= 0.5 ? lower(x) / norm : 1 - upper(x) / norm;
}

/** Every family that occurs in descriptastorus's table. Standard CDFs take x already standardized. */
export const FAMILIES: Readonly<Record<string, Family>> = {
  alpha: { shapes: 1, support: POS, cdf: (x, a) => ndtr(a - 1 / x) / ndtr(a) },
  beta: { shapes: 2, support: UNIT, cdf: (x, a, b) => betainc(a, b, x) },
  betaprime: { shapes: 2, support: POS, cdf: (x, a, b) => betainc(a, b, x / (1 + x), 1 / (1 + x)) },
  burr: { shapes: 2, support: POS, cdf: (x, c, d) => burr(x, c, d) },
  cauchy: { shapes: 0, cdf: (x) => 0.5 + Math.atan(x) / Math.PI },
  chi: { shapes: 1, support: POS, cdf: (x, df) => gammainc(0.5 * df, 0.5 * x * x) },
  dgamma: {
    shapes: 1,
    cdf: (x, a) => {
      const fac = 0.5 * gammainc(a, Math.abs(x));
      return x > 0 ? 0.5 + fac : 0.5 - fac;
    },
  },
  dweibull: {
    shapes: 1,
    cdf: (x, c) => {
      const half = 0.5 * Math.exp(-(Math.abs(x) ** c));
      return x > 0 ? 1 - half : half;
    },
  },
  exponnorm: {
    shapes: 1,
    cdf: (x, k) => {
      const invK = 1 / k;
      const expval = invK * (0.5 * invK - x);
      return ndtr(x) - Math.exp(expval + logNdtr(x - invK));
    },
  },
  exponpow: { shapes: 1, support: POS, cdf: (x, b) => -Math.expm1(-Math.expm1(x ** b)) },
  exponweib: { shapes: 2, support: POS, cdf: (x, a, c) => (-Math.expm1(-(x ** c))) ** a },
  fisk: { shapes: 1, support: POS, cdf: (x, c) => burr(x, c, 1) },
  foldcauchy: { shapes: 1, support: POS, cdf: (x, c) => (Math.atan(x - c) + Math.atan(x + c)) / Math.PI },
  foldnorm: { shapes: 1, support: POS, cdf: (x, c) => ndtr(x - c) + ndtr(x + c) - 1 },
  gausshyper: { shapes: 4, support: UNIT, cdf: gausshyper },
  genexpon: {
    shapes: 3,
    support: POS,
    cdf: (x, a, b, c) => -Math.expm1((-a - b) * x + (b * -Math.expm1(-c * x)) / c),
  },
  genhalflogistic: {
    shapes: 1,
    support: (c) => [0, 1 / c],
    cdf: (x, c) => {
      // scipy's (1 - c x)^(1/c) as written: for tiny c the rounding of 1 - c x is amplified, kept for parity.
      const t = (1 - c * x) ** (1 / c);
      return (1 - t) / (1 + t);
    },
  },
  genlogistic: { shapes: 1, cdf: (x, c) => (1 + Math.exp(-x)) ** -c },
  gengamma: {
    shapes: 2,
    support: POS,
    cdf: (x, a, c) => (c > 0 ? gammainc(a, x ** c) : gammaincc(a, x ** c)),
  },
  gennorm: {
    shapes: 1,
    cdf: (x, beta) => {
      const c = 0.5 * Math.sign(x);
      return 0.5 + c - c * gammaincc(1 / beta, Math.abs(x) ** beta);
    },
  },
  genpareto: {
    shapes: 1,
    support: (c) => [0, c < 0 ? -1 / c : Number.POSITIVE_INFINITY],
    cdf: (x, c) => (c === 0 ? -Math.expm1(-x) : -Math.expm1(-Math.log1p(c * x) / c)),
  },
  gibrat: { shapes: 0, support: POS, cdf: (x) => ndtr(Math.log(x)) },
  gompertz: { shapes: 1, support: POS, cdf: (x, c) => -Math.expm1(-c * Math.expm1(x)) },
  halfgennorm: { shapes: 1, support: POS, cdf: (x, beta) => gammainc(1 / beta, x ** beta) },
  halflogistic: { shapes: 0, support: POS, cdf: (x) => Math.tanh(x / 2) },
  halfnorm: { shapes: 0, support: POS, cdf: (x) => ndtr(x) * 2 - 1 },
  hypsecant: { shapes: 0, cdf: (x) => (2 / Math.PI) * Math.atan(Math.exp(x)) },
  invgamma: { shapes: 1, support: POS, cdf: (x, a) => gammaincc(a, 1 / x) },
  invweibull: { shapes: 1, support: POS, cdf: (x, c) => Math.exp(-(x ** -c)) },
  johnsonsb: { shapes: 2, support: UNIT, cdf: (x, a, b) => ndtr(a + b * Math.log(x / (1 - x))) },
  johnsonsu: { shapes: 2, cdf: (x, a, b) => ndtr(a + b * Math.log(x + Math.sqrt(x * x + 1))) },
  laplace: { shapes: 0, cdf: (x) => (x > 0 ? 1 - 0.5 * Math.exp(-x) : 0.5 * Math.exp(x)) },
  loggamma: { shapes: 1, cdf: (x, c) => gammainc(c, Math.exp(x)) },
  logistic: { shapes: 0, cdf: (x) => 1 / (1 + Math.exp(-x)) },
  lognorm: { shapes: 1, support: POS, cdf: (x, s) => ndtr(Math.log(x) / s) },
  lomax: { shapes: 1, support: POS, cdf: (x, c) => -Math.expm1(-c * Math.log1p(x)) },
  mielke: { shapes: 2, support: POS, cdf: (x, k, s) => x ** k / (1 + x ** s) ** (k / s) },
  ncf: { shapes: 3, support: POS, cdf: (x, dfn, dfd, nc) => ncfCdf(x, dfn, dfd, nc) },
  nct: { shapes: 2, cdf: (x, df, nc) => nctCdf(x, df, nc) },
  ncx2: { shapes: 2, support: POS, cdf: (x, df, nc) => ncx2Cdf(x, df, nc) },
  pareto: { shapes: 1, support: () => [1, Number.POSITIVE_INFINITY], cdf: (x, b) => 1 - x ** -b },
  pearson3: { shapes: 1, cdf: pearson3 },
  powerlaw: { shapes: 1, support: UNIT, cdf: (x, a) => x ** a },
  recipinvgauss: {
    shapes: 1,
    support: POS,
    cdf: (x, mu) => {
      const isqx = 1 / Math.sqrt(x);
      return ndtr(-isqx * (1 / mu - x)) - Math.exp(2 / mu) * ndtr(-isqx * (1 / mu + x));
    },
  },
  t: { shapes: 1, cdf: (x, df) => stdtr(df, x) },
  tukeylambda: {
    shapes: 1,
    support: (lam) => (lam > 0 ? [-1 / lam, 1 / lam] : [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]),
    cdf: (x, lam) => tukeyLambdaCdf(x, lam),
  },
  wald: { shapes: 0, support: POS, cdf: (x) => invgauss(x, 1) },
};

/** Names of the implemented families. */
export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES).sort();

/** CDF of the standardized family (loc 0, scale 1) at x; NaN for an unknown family or NaN input. */
export function standardCdf(dist: string, x: number, shapes: readonly number[]): number {
  const fam = FAMILIES[dist];
  if (fam === undefined || Number.isNaN(x)) return Number.NaN;
  const a = shapes[0] ?? Number.NaN;
  const b = shapes[1] ?? Number.NaN;
  const c = shapes[2] ?? Number.NaN;
  const d = shapes[3] ?? Number.NaN;
  const [lo, hi] = fam.support
    ? fam.support(a, b, c, d)
    : [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  if (x <= lo) return 0;
  if (x >= hi) return 1;
  return fam.cdf(x, a, b, c, d);
}

/**
 * scipy.stats.<dist>.cdf(v, *params[:-2], loc=params[-2], scale=params[-1]) for a family of FAMILIES.
 * Throws for an unknown family or a wrong parameter count.
 */
export function distCdf(dist: string, v: number, params: readonly number[]): number {
  const fam = FAMILIES[dist];
  if (fam === undefined) throw new MolgroveError('CONFIG', `unknown distribution family '${dist}'`);
  if (params.length !== fam.shapes + 2) {
    throw new MolgroveError(
      'CONFIG',
      `'${dist}' takes ${fam.shapes} shapes plus loc and scale, got ${params.length} parameters`,
    );
  }
  const loc = params[fam.shapes]!;
  const scale = params[fam.shapes + 1]!;
  if (!(scale > 0)) return Number.NaN;
  return standardCdf(dist, (v - loc) / scale, params.slice(0, fam.shapes));
}
