import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsKernels } from '../src/tensor/kernels/js.js';
import { nativeInfo } from '../src/tensor/kernels/native.js';
import {
  ACT_GELU,
  ACT_NONE,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_TANH,
  type FullKernels,
  type Kernels,
} from '../src/tensor/kernels/types.js';
import { hooks, native, rng, withThreads } from './helpers/native-addon.js';

// The native addon is optional: without a compiler it is not built and these tests skip. They also skip
// when the loaded addon predates the streaming kernels.
const skip =
  native === null
    ? 'native addon not built (npm run build:native)'
    : typeof native.adamStep !== 'function'
      ? 'the built native addon has no streaming kernels (rebuild with npm run build:native)'
      : false;
const nk = native as FullKernels;
const js = jsKernels;

const f32 = Math.fround;

const GUARD = 5;
const SENTINEL = -12345.5;

/** n floats from gen, as a view at element `offset` of a larger buffer whose other elements are SENTINEL. */
function arr(n: number, gen: (i: number) => number, offset = 0): Float32Array {
  const buf = new Float32Array(n + offset + GUARD).fill(SENTINEL);
  const a = new Float32Array(buf.buffer, offset * 4, n);
  for (let i = 0; i < n; i++) a[i] = gen(i);
  return a;
}

/** Asserts that the buffer elements around a view created by arr() still hold SENTINEL. */
function assertGuards(a: Float32Array, what: string): void {
  const all = new Float32Array(a.buffer);
  const start = a.byteOffset / 4;
  for (let i = 0; i < all.length; i++) {
    if (i >= start && i < start + a.length) continue;
    assert.equal(all[i], SENTINEL, `${what}: element ${i} outside the view was written`);
  }
}

function copy(a: Float32Array, offset = 0): Float32Array {
  return arr(a.length, (i) => a[i]!, offset);
}

/** Bitwise equality of float arrays (any NaN matches any NaN: payloads are not part of the contract). */
function assertSame(
  actual: Float32Array | Float64Array,
  expected: Float32Array | Float64Array,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    assert.fail(`${what}: element ${i} is ${a}, expected ${e} (bitwise)`);
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (Math.abs(a - e) <= rel * Math.abs(e) + 1e-37) continue;
    assert.fail(`${what}: element ${i} is ${a}, expected ${e} (relative tolerance ${rel})`);
  }
}

/** Runs fn once per SIMD path the CPU has (AVX2 and the portable one) and thread count. */
function everyPath(fn: (label: string) => void): void {
  const simds: ('avx2' | 'generic')[] = nativeInfo()?.simd === 'avx2' ? ['avx2', 'generic'] : ['generic'];
  try {
    for (const simd of simds) {
      hooks!._setSimd(simd);
      for (const threads of [1, 2, 3]) withThreads(threads, () => fn(`${simd}, ${threads} threads`));
    }
  } finally {
    if (simds[0] === 'avx2') hooks!._setSimd('avx2');
  }
}

/** Uniform in [-1, 1) with occasional values far out of that range. */
function wide(r: () => number): () => number {
  return () => {
    const u = r();
    if (u < 0.02) return f32((r() * 2 - 1) * 10 ** (r() * 60 - 30));
    return f32(r() * 2 - 1);
  };
}

const ACTS = [ACT_NONE, ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_GELU];
const SPECIALS = [
  0,
  -0,
  Number.NaN,
  Infinity,
  -Infinity,
  1e-40,
  -1e-40,
  3e38,
  -3e38,
  20,
  -20,
  100,
  -100,
  8,
  -8,
];

describe('native streaming kernels', { skip }, () => {
  test('the native backend provides every kernel of the JS reference', () => {
    const names = Object.keys(jsKernels).filter((k) => k !== 'name') as (keyof Kernels)[];
    for (const name of names) assert.equal(typeof (native as Kernels)[name], 'function', name);
  });

  test('gatherScatterAddRows matches the JS kernel exactly (narrow and wide rows, duplicates, views)', () => {
    const cases = [
      { cols: 0, srcRows: 3, outRows: 2, n: 4 },
      { cols: 1, srcRows: 5, outRows: 3, n: 0 },
      { cols: 1, srcRows: 10, outRows: 7, n: 13 },
      { cols: 7, srcRows: 11, outRows: 5, n: 40 },
      { cols: 300, srcRows: 6, outRows: 40, n: 2500 },
      { cols: 300, srcRows: 50, outRows: 40, n: 2500 },
      { cols: 33, srcRows: 100, outRows: 80, n: 5000 },
      { cols: 1, srcRows: 1000, outRows: 3, n: 70000 },
      { cols: 65, srcRows: 20, outRows: 1, n: 2000 },
    ];
    let seed = 1;
    for (const c of cases) {
      const r = rng(seed++);
      const src = arr(c.srcRows * c.cols, () => r() * 2 - 1, 3);
      const si = Int32Array.from({ length: c.n }, () => Math.floor(r() * c.srcRows));
      const di = Int32Array.from({ length: c.n }, () => Math.floor(r() * c.outRows));
      const out0 = arr(c.outRows * c.cols, () => r() - 0.5, 1);
      const want = copy(out0);
      js.gatherScatterAddRows(src, c.cols, si, di, want);
      everyPath((label) => {
        const out = copy(out0, 2);
        nk.gatherScatterAddRows(src, c.cols, si, di, out);
        assertSame(out, want, `gatherScatterAddRows ${JSON.stringify(c)} (${label})`);
        assertGuards(out, 'gatherScatterAddRows out');
      });
    }
  });

  test('gatherScatterAddRows with source and output in one buffer keeps the sequential order', () => {
    const r = rng(7);
    const cols = 5;
    const rows = 30;
    const base = arr(rows * cols, () => r() * 2 - 1);
    const si = Int32Array.from({ length: 200 }, () => Math.floor(r() * 10));
    const di = Int32Array.from({ length: 200 }, () => Math.floor(r() * 10));
    const want = copy(base);
    js.gatherScatterAddRows(want.subarray(0, 20 * cols), cols, si, di, want.subarray(5 * cols));
    const got = copy(base);
    nk.gatherScatterAddRows(got.subarray(0, 20 * cols), cols, si, di, got.subarray(5 * cols));
    assertSame(got, want, 'overlapping gatherScatterAddRows');
  });

  test('activation matches the JS kernel (relu exactly, tanh/sigmoid/gelu within 1e-6)', () => {
    for (const act of ACTS) {
      for (const n of [0, 1, 7, 8, 17, 1000, 100003]) {
        const r = rng(act * 1000 + n);
        const g = wide(r);
        const x0 = arr(
          n,
          (i) => (i < SPECIALS.length && n > 20 ? SPECIALS[i]! : act === ACT_RELU ? g() : g() * 6),
          2,
        );
        const want = copy(x0);
        js.activation(act, want, n);
        let first: Float32Array | null = null;
        everyPath((label) => {
          const x = copy(x0, 1);
          nk.activation(act, x, n);
          const what = `activation ${act}, n = ${n} (${label})`;
          if (act === ACT_NONE || act === ACT_RELU) assertSame(x, want, what);
          else assertClose(x, want, 1e-6, what);
          assertGuards(x, what);
          // Every path and thread count computes the same values.
          if (first === null) first = x;
          else assertSame(x, first, `${what} vs the first path`);
        });
      }
    }
  });

  test('activation only touches the first n elements', () => {
    const x = arr(20, (i) => i - 10);
    nk.activation(ACT_RELU, x, 10);
    assertSame(
      x,
      arr(20, (i) => (i < 10 ? 0 : i - 10)),
      'relu prefix',
    );
  });

  test('activationBackward matches the JS kernel (exact except gelu), also with gPre aliasing g', () => {
    for (const act of ACTS) {
      for (const n of [0, 1, 7, 8, 17, 1000, 100003]) {
        const r = rng(77 + act * 1000 + n);
        const gen = wide(r);
        const pre = arr(n, (i) => (i < SPECIALS.length && n > 20 ? SPECIALS[i]! : gen() * 6), 1);
        const y = copy(pre, 2);
        if (act !== ACT_NONE) js.activation(act, y, n);
        const g0 = arr(n, () => gen(), 3);
        const empty = new Float32Array(0);
        const preArg = act === ACT_GELU ? pre : empty;
        const want = arr(n, () => 0);
        js.activationBackward(act, g0, y, preArg, want, n);
        let first: Float32Array | null = null;
        everyPath((label) => {
          const what = `activationBackward ${act}, n = ${n} (${label})`;
          const out = arr(n, () => 0, 4);
          nk.activationBackward(act, g0, y, preArg, out, n);
          if (act === ACT_GELU) assertClose(out, want, 1e-6, what);
          else assertSame(out, want, what);
          assertGuards(out, what);
          if (first === null) first = out;
          else assertSame(out, first, `${what} vs the first path`);
          // In place: gPre is g.
          const g = copy(g0, 1);
          nk.activationBackward(act, g, y, preArg, g, n);
          assertSame(g, out, `${what}, in place`);
        });
      }
    }
  });

  test('activationBackward with overlapping views matches the JS order', () => {
    const r = rng(5);
    const n = 100;
    for (const act of [ACT_RELU, ACT_TANH, ACT_SIGMOID]) {
      const base = arr(n + 3, () => r() * 2 - 1);
      const want = copy(base);
      js.activationBackward(
        act,
        want.subarray(0, n),
        want.subarray(3),
        new Float32Array(0),
        want.subarray(2),
        n,
      );
      const got = copy(base);
      nk.activationBackward(
        act,
        got.subarray(0, n),
        got.subarray(3),
        new Float32Array(0),
        got.subarray(2),
        n,
      );
      assertSame(got, want, `overlapping activationBackward ${act}`);
    }
  });

  const SHAPES: [number, number][] = [
    [0, 5],
    [5, 0],
    [1, 1],
    [1, 37],
    [37, 1],
    [13, 17],
    [3, 1000],
    [1000, 300],
    [70000, 1],
    [2000, 9],
    [257, 70],
  ];

  test('sumRows matches the JS kernel exactly (float accumulation in row order)', () => {
    let seed = 100;
    for (const [rows, cols] of SHAPES) {
      const r = rng(seed++);
      const gen = wide(r);
      const x = arr(rows * cols, () => gen(), 1);
      const out0 = arr(cols, () => gen(), 2);
      const want = copy(out0);
      js.sumRows(x, rows, cols, want);
      everyPath((label) => {
        const out = copy(out0, 3);
        nk.sumRows(x, rows, cols, out);
        assertSame(out, want, `sumRows ${rows}x${cols} (${label})`);
        assertGuards(out, 'sumRows out');
      });
    }
  });

  test('columnMeanVar matches the JS kernel exactly (two passes, float64 sums); rows = 0 gives 0', () => {
    let seed = 200;
    for (const [rows, cols] of SHAPES) {
      const r = rng(seed++);
      const x = arr(rows * cols, () => 1000 + (r() * 2 - 1) * 10 ** (r() * 4 - 2), 1);
      const wm = arr(cols, () => 7);
      const wv = arr(cols, () => 7);
      js.columnMeanVar(x, rows, cols, wm, wv);
      everyPath((label) => {
        const mean = arr(cols, () => Number.NaN, 1);
        const variance = arr(cols, () => Number.NaN, 2);
        nk.columnMeanVar(x, rows, cols, mean, variance);
        assertSame(mean, wm, `columnMeanVar mean ${rows}x${cols} (${label})`);
        assertSame(variance, wv, `columnMeanVar variance ${rows}x${cols} (${label})`);
        assertGuards(mean, 'mean');
        assertGuards(variance, 'variance');
        if (rows === 0) for (let j = 0; j < cols; j++) assert.equal(mean[j], 0);
      });
    }
  });

  test('scaleShiftRows matches the JS kernel exactly (one rounding of x·scale + shift)', () => {
    let seed = 300;
    for (const [rows, cols] of SHAPES) {
      const r = rng(seed++);
      const gen = wide(r);
      const x = arr(rows * cols, () => gen(), 1);
      const scale = arr(cols, () => gen(), 2);
      const shift = arr(cols, () => gen(), 3);
      const want = arr(rows * cols, () => 0);
      js.scaleShiftRows(x, rows, cols, scale, shift, want);
      everyPath((label) => {
        const y = arr(rows * cols, () => Number.NaN, 2);
        nk.scaleShiftRows(x, rows, cols, scale, shift, y);
        assertSame(y, want, `scaleShiftRows ${rows}x${cols} (${label})`);
        assertGuards(y, 'scaleShiftRows y');
        // In place.
        const xy = copy(x);
        nk.scaleShiftRows(xy, rows, cols, scale, shift, xy);
        assertSame(xy, want, `scaleShiftRows in place ${rows}x${cols} (${label})`);
      });
    }
  });

  test('batchNormBackward matches the JS kernel exactly (train and eval; sums overwritten, gx accumulated)', () => {
    let seed = 400;
    for (const [rows, cols] of SHAPES) {
      for (const training of [true, false]) {
        const r = rng(seed++);
        const g = arr(rows * cols, () => r() * 2 - 1, 1);
        const x = arr(rows * cols, () => (r() * 2 - 1) * 3 + 0.5, 2);
        const mean = arr(cols, () => r() - 0.5, 3);
        const rstd = arr(cols, () => 0.5 + r() * 2, 1);
        const scale = arr(cols, () => r() * 2 - 1, 2);
        const gx0 = arr(rows * cols, () => r() - 0.5, 3);
        const want = copy(gx0);
        const wsg = new Float64Array(cols).fill(99);
        const wsgx = new Float64Array(cols).fill(99);
        js.batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, want, wsg, wsgx);
        everyPath((label) => {
          const what = `batchNormBackward ${rows}x${cols} training=${training} (${label})`;
          const gx = copy(gx0, 1);
          const sg = new Float64Array(cols + 2).fill(99).subarray(1, cols + 1);
          const sgx = new Float64Array(cols).fill(-99);
          nk.batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, gx, sg, sgx);
          assertSame(gx, want, `${what} gx`);
          assertSame(sg, wsg, `${what} sumG`);
          assertSame(sgx, wsgx, `${what} sumGX`);
          assertGuards(gx, 'gx');
          const sgAll = new Float64Array(sg.buffer);
          assert.equal(sgAll[0], 99);
          assert.equal(sgAll[cols + 1], 99);
        });
      }
    }
  });

  test('dropout matches the JS kernel bit for bit (masks, scaled values, odd n, edge thresholds)', () => {
    const thresholds = [0, 1, 6553.6, 13107, 32768, 65535, 65536, 70000, -5, Number.NaN];
    let seed = 500;
    for (const n of [0, 1, 2, 3, 15, 16, 17, 33, 1000, 100001]) {
      for (const threshold of thresholds) {
        const r = rng(seed++);
        const gen = wide(r);
        const x = arr(n, (i) => (i < SPECIALS.length && n > 20 ? SPECIALS[i]! : gen()), 1);
        const p = threshold / 65536;
        const scale = p >= 0 && p < 1 ? 1 / (1 - p) : 1 / 0.9;
        const seedA = Math.floor(r() * 2 ** 32);
        const seedB = n === 33 ? 0xffffffff : Math.floor(r() * 2 ** 32);
        const wy = arr(n, () => 0);
        const wm = arr(n, () => 0);
        js.dropout(x, wy, wm, n, threshold, scale, seedA, seedB);
        everyPath((label) => {
          const what = `dropout n = ${n}, threshold ${threshold} (${label})`;
          const y = arr(n, () => Number.NaN, 2);
          const mask = arr(n, () => Number.NaN, 3);
          nk.dropout(x, y, mask, n, threshold, scale, seedA, seedB);
          assertSame(y, wy, `${what} y`);
          assertSame(mask, wm, `${what} mask`);
          assertGuards(y, 'dropout y');
          assertGuards(mask, 'dropout mask');
        });
      }
    }
  });

  test('dropout keeps about 1 - p of the values and treats integer seeds modulo 2^32', () => {
    const n = 100000;
    const x = arr(n, () => 1);
    const y = arr(n, () => 0);
    const mask = arr(n, () => 0);
    nk.dropout(x, y, mask, n, 13107, 1.25, 123, 456);
    let kept = 0;
    for (let i = 0; i < n; i++) if (mask[i] !== 0) kept++;
    assert.ok(Math.abs(kept / n - 0.8) < 0.01, `kept ${kept / n}`);
    const y2 = arr(n, () => 0);
    const mask2 = arr(n, () => 0);
    nk.dropout(x, y2, mask2, n, 13107, 1.25, 123 + 2 ** 32, 456 - 2 ** 32);
    assertSame(mask2, mask, 'seeds modulo 2^32');
  });

  test('adamStep is bit-identical to the JS kernel (float32 rounding sequence, wide magnitudes)', () => {
    const configs = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 },
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 10 },
      { lr: 0.3, beta1: 0.5, beta2: 0.9, eps: 1e-3, t: 1000 },
    ];
    let seed = 600;
    for (const cfg of configs) {
      for (const rounded of [true, false]) {
        // The optimizer passes float32-rounded scalars (the vectorized path); raw doubles take the exact
        // float64 path.
        const q = rounded ? f32 : (v: number) => v;
        const b1 = q(cfg.beta1);
        const b2 = q(cfg.beta2);
        const c1 = q(1 - cfg.beta1);
        const c2 = q(1 - cfg.beta2);
        const eps = q(cfg.eps);
        const ns = q(-cfg.lr / (1 - cfg.beta1 ** cfg.t));
        const bc2 = q(Math.sqrt(1 - cfg.beta2 ** cfg.t));
        for (const n of [0, 1, 7, 8, 9, 1000, 100003]) {
          const r = rng(seed++);
          const gen = wide(r);
          const x0 = arr(n, () => gen(), 1);
          const g = arr(n, (i) => (i % 97 === 5 ? 0 : gen()), 2);
          const m0 = arr(n, () => gen() * 0.1, 3);
          const v0 = arr(n, (i) => (i % 89 === 3 ? 0 : Math.abs(gen()) * 0.01), 1);
          const wx = copy(x0);
          const wm = copy(m0);
          const wv = copy(v0);
          js.adamStep(wx, g, wm, wv, n, b1, b2, c1, c2, ns, bc2, eps);
          everyPath((label) => {
            const what = `adamStep ${JSON.stringify(cfg)} rounded=${rounded} n = ${n} (${label})`;
            const x = copy(x0, 2);
            const m = copy(m0, 1);
            const v = copy(v0, 3);
            nk.adamStep(x, g, m, v, n, b1, b2, c1, c2, ns, bc2, eps);
            assertSame(x, wx, `${what} x`);
            assertSame(m, wm, `${what} m`);
            assertSame(v, wv, `${what} v`);
            assertGuards(x, 'adam x');
            assertGuards(m, 'adam m');
            assertGuards(v, 'adam v');
          });
        }
      }
    }
  });

  test('adamStep with aliased state follows the JS order', () => {
    const r = rng(9);
    const n = 50;
    const base = arr(n, () => r());
    const g = arr(n, () => r() * 2 - 1);
    const want = copy(base);
    js.adamStep(want, g, want, new Float32Array(n), n, 0.9, 0.999, 0.1, 0.001, -0.01, 0.5, 1e-8);
    const got = copy(base);
    nk.adamStep(got, g, got, new Float32Array(n), n, 0.9, 0.999, 0.1, 0.001, -0.01, 0.5, 1e-8);
    assertSame(got, want, 'adamStep with x = m');
  });

  test('add and accumulate match the JS kernels exactly (also in place)', () => {
    for (const n of [0, 1, 7, 8, 31, 33, 1000, 100003]) {
      const r = rng(700 + n);
      const gen = wide(r);
      const a = arr(n, (i) => (i < SPECIALS.length && n > 20 ? SPECIALS[i]! : gen()), 1);
      const b = arr(n, () => gen(), 2);
      const wantAdd = arr(n, () => 0);
      js.add(a, b, wantAdd, n);
      everyPath((label) => {
        const out = arr(n, () => Number.NaN, 3);
        nk.add(a, b, out, n);
        assertSame(out, wantAdd, `add n = ${n} (${label})`);
        assertGuards(out, 'add out');
        const a2 = copy(a);
        nk.add(a2, b, a2, n);
        assertSame(a2, wantAdd, `add in place n = ${n} (${label})`);
        const dst = copy(a, 1);
        nk.accumulate(dst, b, n);
        assertSame(dst, wantAdd, `accumulate n = ${n} (${label})`);
        assertGuards(dst, 'accumulate dst');
        const twice = copy(b);
        const wantTwice = copy(b);
        js.accumulate(wantTwice, wantTwice, n);
        nk.accumulate(twice, twice, n);
        assertSame(twice, wantTwice, `accumulate onto itself n = ${n} (${label})`);
      });
    }
  });

  test('mul matches the JS kernel exactly (also in place)', () => {
    for (const n of [0, 1, 7, 8, 33, 1000, 100003]) {
      const r = rng(900 + n);
      const gen = wide(r);
      const a = arr(n, (i) => (i < SPECIALS.length && n > 20 ? SPECIALS[i]! : gen()), 1);
      const b = arr(n, () => gen(), 2);
      const want = arr(n, () => 0);
      js.mul(a, b, want, n);
      everyPath((label) => {
        const out = arr(n, () => Number.NaN, 3);
        nk.mul(a, b, out, n);
        assertSame(out, want, `mul n = ${n} (${label})`);
        assertGuards(out, 'mul out');
        const a2 = copy(a);
        nk.mul(a2, b, a2, n);
        assertSame(a2, want, `mul in place n = ${n} (${label})`);
      });
    }
  });

  test('add and accumulate on overlapping views follow the JS order', () => {
    const base = arr(40, (i) => i + 1);
    const want = copy(base);
    js.accumulate(want.subarray(1), want.subarray(0, 39), 39);
    const got = copy(base);
    nk.accumulate(got.subarray(1), got.subarray(0, 39), 39);
    assertSame(got, want, 'overlapping accumulate');
    const want2 = copy(base);
    js.add(want2.subarray(0, 39), want2.subarray(0, 39), want2.subarray(1), 39);
    const got2 = copy(base);
    nk.add(got2.subarray(0, 39), got2.subarray(0, 39), got2.subarray(1), 39);
    assertSame(got2, want2, 'overlapping add');
  });

  test('results are bit-identical across thread counts on large inputs', () => {
    const r = rng(800);
    const n = 300000;
    const x = arr(n, () => r() * 8 - 4);
    const g = arr(n, () => r() * 2 - 1);
    const run = (): Float32Array[] => {
      const outs: Float32Array[] = [];
      for (const act of [ACT_TANH, ACT_SIGMOID, ACT_GELU]) {
        const y = copy(x);
        nk.activation(act, y, n);
        const gp = arr(n, () => 0);
        nk.activationBackward(act, g, y, x, gp, n);
        outs.push(y, gp);
      }
      const s = arr(300, () => 0);
      nk.sumRows(x, 1000, 300, s);
      const out = arr(40 * 300, () => 0);
      const si = Int32Array.from({ length: 1000 }, (_, i) => i % 997);
      const di = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 40);
      nk.gatherScatterAddRows(x, 300, si, di, out);
      outs.push(s, out);
      return outs;
    };
    const one = withThreads(1, run);
    for (const threads of [2, 4]) {
      const many = withThreads(threads, run);
      for (let i = 0; i < one.length; i++) assertSame(many[i]!, one[i]!, `output ${i}, ${threads} threads`);
    }
  });

  test('bad arguments throw instead of touching memory', () => {
    const a = new Float32Array(8);
    const short = new Float32Array(3);
    const d = new Float64Array(8);
    const idx = new Int32Array(2);
    const call =
      (fn: unknown, ...args: unknown[]) =>
      () =>
        (fn as (...a: unknown[]) => void)(...args);
    // Types.
    assert.throws(call(nk.add, d, a, a, 4), TypeError);
    assert.throws(call(nk.accumulate, a, [1, 2], 2), TypeError);
    assert.throws(call(nk.activation, ACT_RELU, d, 4), TypeError);
    assert.throws(call(nk.gatherScatterAddRows, a, 2, new Uint32Array(2), idx, a), TypeError);
    assert.throws(call(nk.batchNormBackward, a, a, 2, 4, a, a, a, true, a, a, d), /Float64Array/);
    assert.throws(call(nk.adamStep, a, a, a, a, 4, '0.9', 0.999, 0.1, 0.001, -1e-3, 1, 1e-8), TypeError);
    assert.throws(call(nk.add, a, a, a), TypeError);
    // Lengths.
    assert.throws(call(nk.add, a, short, a, 4), /add b: needs 4 elements, got 3/);
    assert.throws(call(nk.accumulate, short, a, 4), /accumulate dst: needs 4/);
    assert.throws(call(nk.activation, ACT_TANH, short, 4), /activation x: needs 4/);
    assert.throws(call(nk.activationBackward, ACT_GELU, a, a, new Float32Array(0), a, 4), /pre: needs 4/);
    assert.throws(call(nk.activationBackward, ACT_RELU, a, short, new Float32Array(0), a, 4), /y: needs 4/);
    assert.throws(call(nk.activationBackward, ACT_RELU, a, a, a, short, 4), /gPre: needs 4/);
    assert.throws(call(nk.sumRows, a, 3, 3, a), /sumRows x: needs 9/);
    assert.throws(call(nk.sumRows, a, 1, 4, short), /sumRows out: needs 4/);
    assert.throws(call(nk.columnMeanVar, a, 2, 4, a, short), /variance: needs 4/);
    assert.throws(call(nk.scaleShiftRows, a, 2, 4, a, short, a), /shift: needs 4/);
    assert.throws(call(nk.scaleShiftRows, a, 2, 4, a, a, short), /y: needs 8/);
    assert.throws(call(nk.batchNormBackward, a, a, 2, 4, a, a, a, true, short, d, d), /gx: needs 8/);
    assert.throws(
      call(nk.batchNormBackward, a, a, 2, 4, a, a, a, true, a, d, new Float64Array(3)),
      /sumGX: needs 4/,
    );
    assert.throws(call(nk.dropout, a, a, short, 4, 100, 1.5, 1, 2), /mask: needs 4/);
    assert.throws(call(nk.adamStep, a, a, short, a, 4, 0.9, 0.999, 0.1, 0.001, -1e-3, 1, 1e-8), /m: needs 4/);
    assert.throws(call(nk.sumRows, a, 2 ** 40, 2 ** 40, a), /overflows/);
    // Sizes, codes and seeds.
    assert.throws(call(nk.add, a, a, a, -1), /non-negative integer/);
    assert.throws(call(nk.add, a, a, a, 1.5), /non-negative integer/);
    assert.throws(call(nk.activation, 5, a, 4), /unknown activation code 5/);
    assert.throws(call(nk.activation, 1.5, a, 4), /unknown activation code/);
    assert.throws(call(nk.activationBackward, -1, a, a, a, a, 4), /unknown activation code/);
    assert.throws(call(nk.dropout, a, a, a, 4, 100, 1.5, 0.5, 2), /seedA must be an integer/);
    // Indices.
    assert.throws(
      call(nk.gatherScatterAddRows, a, 2, new Int32Array(3), idx, a),
      /3 source but 2 destination indices/,
    );
    assert.throws(
      call(nk.gatherScatterAddRows, a, 2, new Int32Array([0, 4]), idx, a),
      /source: index\[1\] = 4 is outside \[0, 4\)/,
    );
    assert.throws(
      call(nk.gatherScatterAddRows, a, 2, idx, new Int32Array([-1, 0]), a),
      /destination: index\[0\] = -1/,
    );
    assert.throws(
      call(nk.gatherScatterAddRows, a, 2, idx, new Int32Array([0, 2]), short),
      /destination: index\[1\] = 2 is outside \[0, 1\)/,
    );
    // Nothing was written by the failed calls.
    assert.ok(a.every((v) => v === 0));
  });
});
