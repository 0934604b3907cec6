// Special functions behind the scipy.stats CDFs of descriptastorus's descriptor normalization:
// log-gamma, regularized incomplete gamma and beta, erf/erfc, the normal CDF and its log, Student t,
// noncentral t / chi-squared / F, Tukey-lambda and Gauss-Legendre quadrature.
// Written from the mathematical definitions (Stirling series, Legendre/Lentz continued fractions,
// Poisson-mixture series); accuracy is checked against scipy 1.10 in test/descriptor-cdf.test.ts.

const LN_SQRT_2PI = 0.9189385332046728; // ln(sqrt(2*pi))
const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 100_000;

/** lgamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)] for x >= 10: the Stirling series in B_2k/(2k(2k-1)x^(2k-1)). */
function stirlingCorrection(x: number): number {
  const z = 1 / (x * x);
  return (
    (1 / 12 +
      z *
        (-1 / 360 +
          z *
            (1 / 1260 +
              z *
                (-1 / 1680 + z * (1 / 1188 + z * (-691 / 360360 + z * (1 / 156 - (z * 3617) / 122400))))))) /
    x
  );
}

/** ln Gamma(x) for x > 0 (Stirling series, shifted up to x >= 10 by the recurrence Gamma(x+1) = x Gamma(x)). */
export function lgamma(x: number): number {
  if (Number.isNaN(x) || x <= 0) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  let y = x;
  let prod = 1;
  let logShift = 0;
  while (y < 10) {
    prod *= y;
    y += 1;
    if (prod > 1e280 || prod < 1e-280) {
      logShift += Math.log(prod);
      prod = 1;
    }
  }
  logShift += Math.log(prod);
  return (y - 0.5) * Math.log(y) - y + LN_SQRT_2PI + stirlingCorrection(y) - logShift;
}

/** Gamma(x) for x > 0. */
export function gamma(x: number): number {
  return Math.exp(lgamma(x));
}

/** ln B(a, b) for a, b > 0, without the cancellation of lgamma(a) + lgamma(b) - lgamma(a + b) for large arguments. */
export function lbeta(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (hi < 10) return lgamma(a) + lgamma(b) - lgamma(a + b);
  const s = lo + hi;
  // ln Gamma(hi) - ln Gamma(lo + hi) by Stirling on both, the leading terms combined with log1p.
  const diff =
    -(hi - 0.5) * Math.log1p(lo / hi) -
    lo * Math.log(s) +
    lo +
    stirlingCorrection(hi) -
    stirlingCorrection(s);
  if (lo < 10) return lgamma(lo) + diff;
  // Both large: Stirling for all three, the large logarithms paired so that nothing cancels.
  return (
    LN_SQRT_2PI +
    (lo - 0.5) * Math.log(lo / s) -
    0.5 * Math.log(s) -
    (hi - 0.5) * Math.log1p(lo / hi) +
    stirlingCorrection(lo) +
    stirlingCorrection(hi) -
    stirlingCorrection(s)
  );
}

/** Regularized lower and upper incomplete gamma functions [P(a, x), Q(a, x)], a > 0. */
function gammaPQ(a: number, x: number): [number, number] {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return [Number.NaN, Number.NaN];
  if (x === 0) return [0, 1];
  if (x === Number.POSITIVE_INFINITY) return [1, 0];
  const lnPre = a * Math.log(x) - x - lgamma(a);
  if (x < a + 1) {
    // P(a, x) = x^a e^-x / Gamma(a) * sum_n x^n / (a (a+1) ... (a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    const p = Math.exp(lnPre) * sum;
    return [p, 1 - p];
  }
  // Q(a, x) = x^a e^-x / Gamma(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))), modified Lentz.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  const q = Math.exp(lnPre) * h;
  return [1 - q, q];
}

/** Regularized lower incomplete gamma P(a, x) (scipy.special.gammainc). */
export function gammainc(a: number, x: number): number {
  return gammaPQ(a, x)[0];
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x) (scipy.special.gammaincc). */
export function gammaincc(a: number, x: number): number {
  return gammaPQ(a, x)[1];
}

/** Continued fraction of I_x(a, b) (x^a (1-x)^b / (a B(a,b)) factored out), modified Lentz. */
function betacf(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b) (scipy.special.betainc). `y` may carry 1 - x exactly when the
 * caller knows it more precisely than the subtraction would give.
 */
export function betainc(a: number, b: number, x: number, y: number = 1 - x): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(x) || a <= 0 || b <= 0) return Number.NaN;
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  // One shape enormous next to the other (BertzCT's b ~ 6.5e12): the continued fraction would need
  // ~sqrt(b) terms. b X -> Gamma(a) as b -> inf; with the effective rate b + (a-1)/2 the error is O(1/b^2).
  if (b > 1e7 && b > 1e5 * a)
    return gammainc(a, -(b + (a - 1) / 2) * (y === 1 - x ? Math.log1p(-x) : Math.log(y)));
  if (a > 1e7 && a > 1e5 * b) return gammaincc(b, -(a + (b - 1) / 2) * Math.log(x));
  const lnY = y === 1 - x ? Math.log1p(-x) : Math.log(y);
  const lnPre = a * Math.log(x) + b * lnY - lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnPre) * betacf(a, b, x)) / a;
  return 1 - (Math.exp(lnPre) * betacf(b, a, y)) / b;
}

/** Complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  const q = gammaincc(0.5, x * x);
  return x >= 0 ? q : 2 - q;
}

/** Error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const p = gammainc(0.5, x * x);
  return x >= 0 ? p : -p;
}

/** Standard normal CDF (scipy.special.ndtr). */
export function ndtr(x: number): number {
  if (Number.isNaN(x)) return x;
  const half = 0.5 * erfc(Math.abs(x) * Math.SQRT1_2);
  return x < 0 ? half : 1 - half;
}

/** ln of the standard normal CDF (scipy.special.log_ndtr), accurate in both tails. */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 6) return Math.log1p(-0.5 * erfc(x * Math.SQRT1_2));
  if (x > -37) return Math.log(ndtr(x));
  // Asymptotic expansion of Mills' ratio: Phi(x) = phi(x)/|x| (1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8 - ...).
  const z = 1 / (x * x);
  const series = 1 - z * (1 - 3 * z * (1 - 5 * z * (1 - 7 * z * (1 - 9 * z))));
  return -0.5 * x * x - LN_SQRT_2PI - Math.log(-x) + Math.log(series);
}

/** Student t CDF with df degrees of freedom (scipy.special.stdtr). */
export function stdtr(df: number, t: number): number {
  if (Number.isNaN(df) || Number.isNaN(t) || df <= 0) return Number.NaN;
  if (t === 0) return 0.5;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const t2 = t * t;
  // P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2).
  const tail = 0.5 * betainc(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  return t > 0 ? 1 - tail : tail;
}

/** sum_j e^-lam lam^j / j! f(j), visited from the mode outward until the weights are negligible. */
function poissonMixture(lam: number, f: (j: number) => number): number {
  if (!(lam >= 0 && lam < 1e8)) return Number.NaN;
  if (lam === 0) return f(0);
  const mode = Math.floor(lam);
  const logW = (j: number) => -lam + j * Math.log(lam) - lgamma(j + 1);
  let sum = 0;
  for (let j = mode; ; j++) {
    const w = Math.exp(logW(j));
    sum += w * f(j);
    if (w < 1e-17 && j > lam) break;
  }
  for (let j = mode - 1; j >= 0; j--) {
    const w = Math.exp(logW(j));
    sum += w * f(j);
    if (w < 1e-17) break;
  }
  return sum;
}

/** Noncentral chi-squared CDF: sum_j Pois(j; nc/2) P(df/2 + j, x/2). */
export function ncx2Cdf(x: number, df: number, nc: number): number {
  if (Number.isNaN(x)) return x;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return Math.min(
    1,
    poissonMixture(nc / 2, (j) => gammainc(df / 2 + j, x / 2)),
  );
}

/** Noncentral F CDF: sum_j Pois(j; nc/2) I_y(dfn/2 + j, dfd/2), y = dfn x / (dfn x + dfd). */
export function ncfCdf(x: number, dfn: number, dfd: number, nc: number): number {
  if (Number.isNaN(x)) return x;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  const den = dfn * x + dfd;
  const y = (dfn * x) / den;
  const yc = dfd / den;
  return Math.min(
    1,
    poissonMixture(nc / 2, (j) => betainc(dfn / 2 + j, dfd / 2, y, yc)),
  );
}

/** Noncentral t CDF for t >= 0 (Lenth 1989): Phi(-d) + 1/2 sum_j [p_j I_x(j+1/2, df/2) + q_j I_x(j+1, df/2)]. */
function nctUpper(df: number, nc: number, t: number): number {
  const base = ndtr(-nc);
  if (t === 0) return base;
  const t2 = t * t;
  const x = t2 / (t2 + df);
  const y = df / (t2 + df);
  const lam = (nc * nc) / 2;
  if (!(lam < 1e8) || Number.isNaN(df)) return Number.NaN;
  if (lam === 0) return base + 0.5 * betainc(0.5, df / 2, x, y);
  const lnLam = Math.log(lam);
  const sign = nc < 0 ? -1 : 1;
  // p_j = e^-lam lam^j / j!, q_j = d / sqrt(2) e^-lam lam^j / Gamma(j + 3/2) = sign e^-lam lam^(j+1/2) / Gamma(j+3/2).
  const term = (j: number) => {
    const p = Math.exp(-lam + j * lnLam - lgamma(j + 1));
    const q = sign * Math.exp(-lam + (j + 0.5) * lnLam - lgamma(j + 1.5));
    return { w: p + Math.abs(q), v: p * betainc(j + 0.5, df / 2, x, y) + q * betainc(j + 1, df / 2, x, y) };
  };
  let sum = 0;
  const mode = Math.floor(lam);
  for (let j = mode; ; j++) {
    const { w, v } = term(j);
    sum += v;
    if (w < 1e-17 && j > lam) break;
  }
  for (let j = mode - 1; j >= 0; j--) {
    const { w, v } = term(j);
    sum += v;
    if (w < 1e-17) break;
  }
  return base + 0.5 * sum;
}

/** Noncentral t CDF, clipped to [0, 1] like scipy's nct. */
export function nctCdf(t: number, df: number, nc: number): number {
  if (Number.isNaN(t)) return t;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const v = t >= 0 ? nctUpper(df, nc, t) : 1 - nctUpper(df, -nc, -t);
  return Math.min(1, Math.max(0, v));
}

/** Tukey-lambda quantile Q(p) = (p^lam - (1-p)^lam) / lam (logistic ln(p/(1-p)) at lam = 0). */
export function tukeyLambdaPpf(p: number, lam: number): number {
  if (lam === 0) return Math.log(p) - Math.log1p(-p);
  return (p ** lam - (1 - p) ** lam) / lam;
}

/** Tukey-lambda CDF (scipy.special.tklmbda): the quantile function inverted by bisection, it being increasing. */
export function tukeyLambdaCdf(x: number, lam: number): number {
  if (Number.isNaN(x) || Number.isNaN(lam)) return Number.NaN;
  if (lam > 0) {
    if (x >= 1 / lam) return 1;
    if (x <= -1 / lam) return 0;
  }
  if (lam === 0) return 1 / (1 + Math.exp(-x));
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (tukeyLambdaPpf(mid, lam) < x) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton iteration on P_n). */
function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    let p0 = 1;
    let p1 = z;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = (n * (z * p1 - p0)) / (z * z - 1);
    const w = 2 / ((1 - z * z) * dp * dp);
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  return { nodes, weights };
}

const GL = gaussLegendre(16);

function glPanel(f: (u: number) => number, lo: number, hi: number): number {
  const half = 0.5 * (hi - lo);
  const mid = 0.5 * (hi + lo);
  let s = 0;
  for (let i = 0; i < GL.nodes.length; i++) s += GL.weights[i]! * f(mid + half * GL.nodes[i]!);
  return s * half;
}

/** Adaptive Gauss-Legendre integral of f over [lo, hi] to an absolute tolerance (at most 4096 subdivisions). */
export function integrate(f: (u: number) => number, lo: number, hi: number, tol = 1e-15): number {
  return integrateRec(f, lo, hi, glPanel(f, lo, hi), tol, 0, { left: 4096 });
}

function integrateRec(
  f: (u: number) => number,
  lo: number,
  hi: number,
  whole: number,
  tol: number,
  depth: number,
  budget: { left: number },
): number {
  const mid = 0.5 * (lo + hi);
  const left = glPanel(f, lo, mid);
  const right = glPanel(f, mid, hi);
  const sum = left + right;
  if (!(Math.abs(sum - whole) > tol) || depth >= 40 || budget.left <= 0) return sum;
  budget.left--;
  return (
    integrateRec(f, lo, mid, left, tol, depth + 1, budget) +
    integrateRec(f, mid, hi, right, tol, depth + 1, budget)
  );
}
