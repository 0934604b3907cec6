import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { distCdf, FAMILY_NAMES } from '../src/chem/descriptors/cdf.js';
import { DESCRIPTOR_DISTS } from '../src/chem/descriptors/normalization-data.js';
import {
  NORMALIZED_NAMES,
  normalizeDescriptor,
  normalizeRdkit2d,
} from '../src/chem/descriptors/normalize.js';
import {
  betainc,
  erf,
  erfc,
  gammainc,
  gammaincc,
  lgamma,
  logNdtr,
  ncfCdf,
  nctCdf,
  ncx2Cdf,
  ndtr,
  stdtr,
  tukeyLambdaCdf,
} from '../src/chem/descriptors/special.js';
import { MolgroveError } from '../src/errors.js';

// Ground truth: scipy 1.10 via scripts/fixtures/gen_descriptor_cdf.py; JSON null stands for NaN.
type Num = number | null;
interface Fixture {
  scipy: string;
  special: Record<string, Num[][]>;
  descriptors: { name: string; dist: string; points: [number, Num][] }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/descriptors/cdf.json', import.meta.url), 'utf8'),
) as Fixture;

/** Normalized values lie in [0, 1]: the target is 1e-6 absolute, every family does far better (see below). */
const ABS = 1e-6;
/** Special functions: relative agreement with scipy (absolute near zero). */
const REL = 1e-10;

function near(actual: number, expected: Num, tol: number, what: string, relative = false): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  const bound = relative ? tol * Math.max(Math.abs(expected), 1e-300) : tol;
  assert.ok(Math.abs(actual - expected) <= bound, `${what}: expected ${expected}, got ${actual}`);
}

function rows(name: string): number[][] {
  const r = fixture.special[name];
  assert.ok(r && r.length > 0, `fixture has no '${name}' values`);
  return r.map((row) => row.map((v) => v ?? Number.NaN));
}

test('fixture comes from scipy and covers the whole table', () => {
  assert.match(fixture.scipy, /^1\.10\./);
  assert.equal(fixture.descriptors.length, Object.keys(DESCRIPTOR_DISTS).length);
  assert.equal(Object.keys(DESCRIPTOR_DISTS).length, 201);
});

test('NORMALIZED_NAMES: 200 names in Python sorted() order, without RDKit2D_calculated', () => {
  assert.equal(NORMALIZED_NAMES.length, 200);
  assert.ok(!NORMALIZED_NAMES.includes('RDKit2D_calculated'));
  for (let i = 1; i < NORMALIZED_NAMES.length; i++) {
    assert.ok(
      NORMALIZED_NAMES[i - 1]! < NORMALIZED_NAMES[i]!,
      `${NORMALIZED_NAMES[i - 1]} < ${NORMALIZED_NAMES[i]}`,
    );
  }
  // Code-unit order: uppercase sorts before lowercase.
  assert.equal(NORMALIZED_NAMES[0], 'BalabanJ');
  assert.ok(NORMALIZED_NAMES.indexOf('VSA_EState9') < NORMALIZED_NAMES.indexOf('fr_Al_COO'));
  assert.equal(NORMALIZED_NAMES.at(-1), 'qed');
});

test('every family of the table is implemented', () => {
  const used = new Set(Object.values(DESCRIPTOR_DISTS).map((d) => d.dist));
  for (const dist of used) assert.ok(FAMILY_NAMES.includes(dist), `missing family ${dist}`);
  assert.equal(used.size, 47);
});

test('special functions agree with scipy.special', () => {
  // Absolute near the zeros at 1 and 2, relative elsewhere.
  for (const [x, want] of rows('gammaln')) {
    near(lgamma(x!), want!, 1e-13 * Math.max(1, Math.abs(want!)), `gammaln(${x})`);
  }
  for (const [a, x, want] of rows('gammainc'))
    near(gammainc(a!, x!), want!, REL, `gammainc(${a}, ${x})`, true);
  for (const [a, x, want] of rows('gammaincc'))
    near(gammaincc(a!, x!), want!, REL, `gammaincc(${a}, ${x})`, true);
  for (const [a, b, x, want] of rows('betainc')) {
    near(betainc(a!, b!, x!), want!, REL, `betainc(${a}, ${b}, ${x})`, true);
  }
  for (const [x, want] of rows('erf')) near(erf(x!), want!, 1e-14, `erf(${x})`);
  for (const [x, want] of rows('erfc')) near(erfc(x!), want!, 1e-12, `erfc(${x})`, true);
  for (const [x, want] of rows('ndtr')) near(ndtr(x!), want!, 1e-12, `ndtr(${x})`, true);
  for (const [x, want] of rows('log_ndtr')) near(logNdtr(x!), want!, 1e-12, `log_ndtr(${x})`, true);
  for (const [df, t, want] of rows('stdtr')) near(stdtr(df!, t!), want!, REL, `stdtr(${df}, ${t})`, true);
  for (const [t, df, nc, want] of rows('nct'))
    near(nctCdf(t!, df!, nc!), want!, 1e-9, `nct(${t}, ${df}, ${nc})`);
  for (const [x, df, nc, want] of rows('ncx2'))
    near(ncx2Cdf(x!, df!, nc!), want!, 1e-9, `ncx2(${x}, ${df}, ${nc})`);
  for (const [x, dfn, dfd, nc, want] of rows('ncf')) {
    near(ncfCdf(x!, dfn!, dfd!, nc!), want!, 1e-9, `ncf(${x}, ${dfn}, ${dfd}, ${nc})`);
  }
  for (const [x, lam, want] of rows('tklmbda'))
    near(tukeyLambdaCdf(x!, lam!), want!, 1e-12, `tklmbda(${x}, ${lam})`);
});

test('normalized descriptor values agree with descriptastorus + scipy at every fixture point', () => {
  const worst = new Map<string, number>();
  let n = 0;
  for (const { name, dist, points } of fixture.descriptors) {
    for (const [v, want] of points) {
      const got = normalizeDescriptor(name, v);
      near(got, want, ABS, `${name} (${dist}) at ${v}`);
      if (want !== null) worst.set(dist, Math.max(worst.get(dist) ?? 0, Math.abs(got - want)));
      n++;
    }
  }
  assert.ok(n > 4000, `only ${n} points`);
  assert.equal(worst.size, 47);
});

test('distCdf applies loc/scale and the support like scipy', () => {
  // Outside the support: 0 below, 1 above; the endpoint itself counts as outside.
  assert.equal(distCdf('beta', -0.5, [2, 3, 0, 1]), 0);
  assert.equal(distCdf('beta', 1, [2, 3, 0, 1]), 1);
  assert.equal(distCdf('pareto', 1, [2, 0, 1]), 0);
  assert.equal(distCdf('cauchy', 3, [3, 2]), 0.5);
  assert.ok(Number.isNaN(distCdf('cauchy', 3, [3, 0])));
  assert.throws(() => distCdf('nosuch', 0, [0, 1]), MolgroveError);
  assert.throws(() => distCdf('beta', 0.5, [0, 1]), /takes 2 shapes/);
});

test('normalizeDescriptor: clipping, NaN and unknown names', () => {
  // Values beyond the clip range give the bound's value.
  const tpsa = DESCRIPTOR_DISTS['TPSA']!;
  assert.equal(normalizeDescriptor('TPSA', 1e9), normalizeDescriptor('TPSA', tpsa.maxV));
  assert.equal(normalizeDescriptor('TPSA', Number.POSITIVE_INFINITY), normalizeDescriptor('TPSA', tpsa.maxV));
  assert.equal(normalizeDescriptor('TPSA', -5), normalizeDescriptor('TPSA', 0));
  assert.ok(Number.isNaN(normalizeDescriptor('TPSA', Number.NaN)));
  assert.throws(() => normalizeDescriptor('NoSuchDescriptor', 1), MolgroveError);
});

test('normalizeRdkit2d: NORMALIZED_NAMES order, NaN -> 0, float32 output', () => {
  const raw = new Float64Array(NORMALIZED_NAMES.length);
  NORMALIZED_NAMES.forEach((name, i) => {
    raw[i] = DESCRIPTOR_DISTS[name]!.avg;
  });
  const iTpsa = NORMALIZED_NAMES.indexOf('TPSA');
  raw[iTpsa] = Number.NaN;
  const out = normalizeRdkit2d(raw);
  assert.ok(out instanceof Float32Array);
  assert.equal(out.length, 200);
  assert.equal(out[iTpsa], 0);
  NORMALIZED_NAMES.forEach((name, i) => {
    if (i === iTpsa) return;
    const want = Math.fround(normalizeDescriptor(name, DESCRIPTOR_DISTS[name]!.avg));
    assert.equal(out[i], want, name);
    assert.ok(out[i]! >= 0 && out[i]! <= 1);
  });
  assert.throws(() => normalizeRdkit2d(new Float64Array(3)), /expected 200/);
});
