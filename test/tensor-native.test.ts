import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { gemmReference, jsKernels } from '../src/tensor/kernels/js.js';
import { nativeInfo } from '../src/tensor/kernels/native.js';
import type { Kernels } from '../src/tensor/kernels/types.js';
import { hooks, native, rng, withThreads } from './helpers/native-addon.js';

// The native addon is optional: without a compiler it is not built and these tests skip.
const skip = native === null ? 'native addon not built (npm run build:native)' : false;
const nk = native as Kernels;

function randArray(r: () => number, n: number, offset = 0): Float32Array {
  // A view into a larger buffer when offset > 0, to exercise byteOffset handling.
  const buf = new Float32Array(n + offset + 3);
  buf.fill(Number.NaN);
  const a = new Float32Array(buf.buffer, offset * 4, n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

function bits(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

interface GemmCase {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  alpha: number;
  beta: number;
  pad?: [number, number, number];
  offset?: number;
  nanC?: boolean;
}

/** Runs the case on native and JS kernels and checks |native - js| <= 1e-5·sqrt(k)·(|α||A||B| + |β||C|). */
function checkGemm(c: GemmCase, seed: number): Float32Array {
  const r = rng(seed);
  const [pa, pb, pc] = c.pad ?? [0, 0, 0];
  const lda = (c.ta ? c.m : c.k) + pa;
  const ldb = (c.tb ? c.k : c.n) + pb;
  const ldc = c.n + pc;
  const aRows = c.ta ? c.k : c.m;
  const bRows = c.tb ? c.n : c.k;
  const off = c.offset ?? 0;
  const a = randArray(r, aRows === 0 ? 0 : (aRows - 1) * lda + (c.ta ? c.m : c.k), off);
  const b = randArray(r, bRows === 0 ? 0 : (bRows - 1) * ldb + (c.tb ? c.k : c.n), off + 1);
  const c0 = randArray(r, c.m === 0 ? 0 : (c.m - 1) * ldc + c.n, off + 2);
  if (c.nanC) c0.fill(Number.NaN);
  const cJs = c0.slice();
  const cNat = new Float32Array(new Float32Array(c0.length + 5).buffer, 4 * 5, c0.length);
  cNat.set(c0);
  jsKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cJs, ldc);
  nk.gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cNat, ldc);
  // Error scale from the same product over absolute values.
  const abs = (x: Float32Array) => x.map(Math.abs);
  const scale = abs(c.nanC || c.beta === 0 ? new Float32Array(c0.length) : c0);
  gemmReference(
    c.ta,
    c.tb,
    c.m,
    c.n,
    c.k,
    Math.abs(c.alpha),
    abs(a),
    lda,
    abs(b),
    ldb,
    Math.abs(c.beta),
    scale,
    ldc,
  );
  const tol = 1e-5 * Math.sqrt(Math.max(1, c.k));
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      const e = i * ldc + j;
      const want = cJs[e]!;
      const got = cNat[e]!;
      assert.ok(
        Math.abs(got - want) <= tol * scale[e]! + 1e-30,
        `${JSON.stringify(c)}: C[${i},${j}] native ${got} vs js ${want}`,
      );
    }
    // Padding between rows is never written.
    for (let j = c.n; j < ldc && i * ldc + j < c0.length; j++) {
      assert.ok(Object.is(cNat[i * ldc + j], c0[i * ldc + j]), 'gemm wrote into the ldc padding');
    }
  }
  return cNat;
}

const TRANS: Array<[boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

const EDGE_SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 13, 5],
  [1, 300, 1],
  [300, 1, 7],
  [33, 17, 65],
  [6, 16, 8],
  [12, 32, 300],
  [13, 17, 301],
  [64, 48, 1],
  [100, 1, 50],
  [1, 1, 700],
  [5, 40, 1000],
  [151, 70, 33],
  [3, 4100, 3],
];

describe('native kernels', { skip }, () => {
  test('info reports the SIMD path, threads and BLAS', () => {
    const info = nativeInfo()!;
    assert.ok(info.simd === 'avx2' || info.simd === 'generic');
    assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
    assert.ok(info.blas === null || typeof info.blas === 'string');
    assert.equal(nk.name, 'native');
    withThreads(3, () => assert.equal(nativeInfo()!.threads, 3));
  });

  test('gemm matches the JS kernels on edge shapes, all transposes, padded strides and views', () => {
    let seed = 1;
    for (const [m, n, k] of EDGE_SHAPES) {
      for (const [ta, tb] of TRANS) {
        checkGemm({ m, n, k, ta, tb, alpha: 1, beta: 0 }, seed++);
        checkGemm({ m, n, k, ta, tb, alpha: -0.75, beta: 1.5, pad: [3, 1, 2], offset: 3 }, seed++);
        checkGemm({ m, n, k, ta, tb, alpha: 2, beta: 1, pad: [1, 5, 0], offset: 1 }, seed++);
      }
    }
  });

  test('gemm matches the JS kernels on random shapes', () => {
    const r = rng(99);
    for (let t = 0; t < 60; t++) {
      const m = 1 + Math.floor(r() * 90);
      const n = 1 + Math.floor(r() * 90);
      const k = 1 + Math.floor(r() * 140);
      const [ta, tb] = TRANS[t % 4]!;
      const pad: [number, number, number] = [Math.floor(r() * 4), Math.floor(r() * 4), Math.floor(r() * 4)];
      checkGemm({ m, n, k, ta, tb, alpha: r() * 4 - 2, beta: t % 3 === 0 ? 0 : r() * 2 - 1, pad }, 1000 + t);
    }
  });

  test('gemm on larger shapes (several cache blocks, multi-threaded)', () => {
    for (const [ta, tb] of TRANS) {
      checkGemm({ m: 301, n: 210, k: 350, ta, tb, alpha: 1, beta: 0 }, 7);
      checkGemm({ m: 40, n: 500, k: 77, ta, tb, alpha: 0.5, beta: 0.25, pad: [2, 3, 4] }, 8);
    }
  });

  test('gemm: beta = 0 ignores NaN in C; k = 0 scales C; alpha = 0 does not read A or B', () => {
    for (const [ta, tb] of TRANS) {
      checkGemm({ m: 9, n: 19, k: 11, ta, tb, alpha: 1, beta: 0, nanC: true }, 3);
      checkGemm({ m: 50, n: 70, k: 90, ta, tb, alpha: -1, beta: 0, nanC: true, pad: [1, 1, 1] }, 4);
      checkGemm({ m: 9, n: 19, k: 0, ta, tb, alpha: 1, beta: 0.5 }, 5);
      checkGemm({ m: 9, n: 19, k: 0, ta, tb, alpha: 1, beta: 0, nanC: true }, 6);
    }
    const a = new Float32Array(12).fill(Number.NaN);
    const c = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    nk.gemm(false, false, 3, 3, 4, 0, a, 4, a, 3, 2, c, 3);
    assert.deepEqual([...c], [2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });

  test('gemm: m = 0 or n = 0 is a no-op', () => {
    const c = new Float32Array([Number.NaN, 1]);
    const empty = new Float32Array(0);
    nk.gemm(false, false, 0, 2, 3, 1, empty, 3, new Float32Array(6), 2, 0, c, 2);
    nk.gemm(true, true, 2, 0, 3, 1, new Float32Array(6), 2, empty, 3, 0, c, 0);
    assert.ok(Number.isNaN(c[0]!));
    assert.equal(c[1], 1);
  });

  test('gemm validates sizes and types', () => {
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    assert.throws(
      () => nk.gemm(false, false, 3, 4, 4, 1, a, 4, b, 4, 0, new Float32Array(11), 4),
      /gemm C: needs 12/,
    );
    const a11 = new Float32Array(11);
    assert.throws(
      () => nk.gemm(false, false, 4, 3, 3, 1, a11, 3, b, 3, 0, new Float32Array(12), 3),
      /gemm A: needs 12/,
    );
    assert.throws(
      () => nk.gemm(false, true, 3, 4, 4, 1, a, 4, b, 4, 0, new Float32Array(12), 4),
      /gemm B: needs 16/,
    );
    assert.throws(
      () => nk.gemm(false, false, 2, 2, 2, 1, a, -1, b, 2, 0, new Float32Array(4), 2),
      RangeError,
    );
    assert.throws(
      () => nk.gemm(false, false, 2.5, 2, 2, 1, a, 2, b, 2, 0, new Float32Array(4), 2),
      RangeError,
    );
    const f64 = new Float64Array(4) as unknown as Float32Array;
    assert.throws(
      () => nk.gemm(false, false, 2, 2, 2, 1, f64, 2, b, 2, 0, new Float32Array(4), 2),
      TypeError,
    );
  });

  test('gemm is bit-identical across repeated calls and thread counts', () => {
    const run = (threads: number) =>
      withThreads(threads, () => {
        const outs: Uint8Array[] = [];
        for (const [ta, tb] of TRANS) {
          const r = rng(42);
          const [m, n, k] = [203, 171, 333];
          const a = randArray(r, m * k);
          const b = randArray(r, k * n);
          const c = randArray(r, m * n);
          nk.gemm(ta, tb, m, n, k, 0.5, a, ta ? m : k, b, tb ? k : n, 0.5, c, n);
          outs.push(bits(c));
        }
        return outs;
      });
    const one = run(1);
    assert.deepEqual(run(1), one);
    // The built-in GEMM splits only m and n, never k, so the thread count cannot change any sum's order;
    // an OpenBLAS build (info().blas) makes no such promise.
    if (nativeInfo()!.blas === null) {
      assert.deepEqual(run(2), one);
      assert.deepEqual(run(3), one);
    }
  });

  function indexCase(seed: number, rows: number, cols: number, n: number, limit: number) {
    const r = rng(seed);
    const src = new Float32Array(rows * cols);
    // Small integers give many ties; a few NaNs check the comparison semantics.
    for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 7) - 3 + (r() < 0.02 ? Number.NaN : 0);
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = Math.floor(r() * limit);
    return { src, index };
  }

  const INDEX_SHAPES: Array<[number, number]> = [
    [0, 5],
    [1, 1],
    [3, 40],
    [17, 33],
    [64, 500],
    [100, 700],
    [300, 400],
    [8, 20000],
    [3, 30000],
    [0, 10],
  ];

  test('gatherRows matches the JS kernels exactly', () => {
    let seed = 10;
    for (const [cols, n] of INDEX_SHAPES) {
      for (const accumulate of [false, true]) {
        const rows = 50 + (seed % 7);
        const { src, index } = indexCase(seed++, rows, cols, n, rows);
        const base = randArray(rng(seed), n * cols, 2);
        const outJs = base.slice();
        const outNat = base.slice();
        jsKernels.gatherRows(src, cols, index, outJs, accumulate);
        nk.gatherRows(src, cols, index, outNat, accumulate);
        assert.deepEqual(bits(outNat), bits(outJs), `gather cols=${cols} n=${n} acc=${accumulate}`);
      }
    }
  });

  test('scatterAddRows matches the JS kernels exactly', () => {
    let seed = 20;
    for (const [cols, n] of INDEX_SHAPES) {
      const rows = 40 + (seed % 5);
      const { src, index } = indexCase(seed++, n, cols, n, rows);
      const base = randArray(rng(seed), rows * cols, 1);
      const outJs = base.slice();
      const outNat = new Float32Array(new Float32Array(base.length + 7).buffer, 28, base.length);
      outNat.set(base);
      jsKernels.scatterAddRows(src, cols, index, outJs);
      nk.scatterAddRows(src, cols, index, outNat);
      assert.deepEqual(bits(outNat), bits(outJs), `scatter cols=${cols} n=${n}`);
    }
  });

  test('segmentMaxRows matches the JS kernels exactly (ties, NaN, empty segments)', () => {
    let seed = 30;
    for (const [cols, n] of INDEX_SHAPES) {
      for (const segs of [1, 7, 60, 3000]) {
        // Indices only reach the first half of the segments, so many are empty.
        const { src, index } = indexCase(seed++, n, cols, n, Math.ceil(segs / 2));
        const outJs = new Float32Array(segs * cols + 3).fill(5);
        const argJs = new Int32Array(segs * cols + 3).fill(5);
        const outNat = outJs.slice();
        const argNat = argJs.slice();
        jsKernels.segmentMaxRows(src, cols, index, segs, outJs, argJs);
        nk.segmentMaxRows(src, cols, index, segs, outNat, argNat);
        assert.deepEqual(bits(outNat), bits(outJs), `segmax out cols=${cols} n=${n} segs=${segs}`);
        assert.deepEqual(argNat, argJs, `segmax argmax cols=${cols} n=${n} segs=${segs}`);
      }
    }
    const out = new Float32Array(4);
    const arg = new Int32Array(4);
    nk.segmentMaxRows(new Float32Array([1, 2, 3, 4]), 2, new Int32Array([1, 1]), 2, out, arg);
    assert.deepEqual([...out], [0, 0, 3, 4]);
    assert.deepEqual([...arg], [-1, -1, 1, 1]);
  });

  test('index kernels reject out-of-range indices and short arrays without writing', () => {
    const src = new Float32Array(12); // 4 rows of 3
    const out = new Float32Array(9).fill(7);
    const arg = new Int32Array(9);
    const bad = new Int32Array([0, 3, 4]);
    assert.throws(
      () => nk.gatherRows(src, 3, bad, out, false),
      /gatherRows: index\[2\] = 4 is outside \[0, 4\)/,
    );
    assert.throws(() => nk.gatherRows(src, 3, new Int32Array([1, -1, 0]), out, true), /index\[1\] = -1/);
    assert.throws(() => nk.gatherRows(src, 3, new Int32Array(4), out, false), /gatherRows out: needs 12/);
    assert.throws(
      () => nk.scatterAddRows(src, 3, new Int32Array([0, 1, 2, 3]), out),
      /index\[3\] = 3 is outside/,
    );
    assert.throws(() => nk.scatterAddRows(new Float32Array(6), 3, new Int32Array(3), out), /src: needs 9/);
    assert.throws(
      () => nk.segmentMaxRows(src, 3, new Int32Array([0, 1, 3, 2]), 3, out, arg),
      /segmentMaxRows: index\[2\] = 3 is outside \[0, 3\)/,
    );
    assert.throws(() => nk.segmentMaxRows(src, 3, new Int32Array(4), 4, out, arg), /out: needs 12/);
    assert.throws(
      () => nk.segmentMaxRows(src, 3, new Int32Array(4), 3, out, new Int32Array(8)),
      /argmax: needs 9/,
    );
    const wrong = new Float32Array(3) as unknown as Int32Array;
    assert.throws(() => nk.gatherRows(src, 3, wrong, out, false), TypeError);
    assert.deepEqual([...out], new Array(9).fill(7));
  });

  test('index kernels are bit-identical across repeated calls and thread counts', () => {
    const run = (threads: number) =>
      withThreads(threads, () => {
        const results: Uint8Array[] = [];
        for (const [cols, n] of [
          [300, 2000],
          [8, 40000],
          [100, 5000],
        ] as Array<[number, number]>) {
          const rows = 900;
          const r = rng(cols + n);
          const src = randArray(r, Math.max(rows, n) * cols);
          const index = new Int32Array(n);
          for (let i = 0; i < n; i++) index[i] = Math.floor(r() * rows);
          const g = randArray(rng(1), n * cols);
          nk.gatherRows(src, cols, index, g, true);
          const s = randArray(rng(2), rows * cols);
          nk.scatterAddRows(src, cols, index, s);
          const o = new Float32Array(rows * cols);
          const am = new Int32Array(rows * cols);
          nk.segmentMaxRows(src, cols, index, rows, o, am);
          results.push(bits(g), bits(s), bits(o), bits(am));
        }
        return results;
      });
    const one = run(1);
    assert.deepEqual(run(1), one);
    assert.deepEqual(run(2), one);
    assert.deepEqual(run(5), one);
  });

  test('the portable (non-AVX2) path matches too', () => {
    if (!hooks?._setSimd('generic')) return;
    try {
      assert.equal(nativeInfo()!.simd, 'generic');
      let seed = 500;
      for (const [m, n, k] of [...EDGE_SHAPES.slice(0, 8), [120, 90, 260] as [number, number, number]]) {
        for (const [ta, tb] of TRANS) {
          checkGemm({ m, n, k, ta, tb, alpha: 0.5, beta: 1.25, pad: [1, 2, 3] }, seed++);
          checkGemm({ m, n, k, ta, tb, alpha: 1, beta: 0, nanC: true }, seed++);
        }
      }
      const { src, index } = indexCase(3, 500, 37, 500, 100);
      const o1 = new Float32Array(100 * 37);
      const o2 = o1.slice();
      const a1 = new Int32Array(100 * 37);
      const a2 = a1.slice();
      jsKernels.segmentMaxRows(src, 37, index, 100, o1, a1);
      nk.segmentMaxRows(src, 37, index, 100, o2, a2);
      assert.deepEqual(bits(o2), bits(o1));
      assert.deepEqual(a2, a1);
      const s1 = new Float32Array(100 * 37);
      const s2 = s1.slice();
      jsKernels.scatterAddRows(src.subarray(0, 500 * 37), 37, index, s1);
      nk.scatterAddRows(src.subarray(0, 500 * 37), 37, index, s2);
      assert.deepEqual(bits(s2), bits(s1));
    } finally {
      hooks._setSimd('avx2');
    }
  });

  test('concurrent calls from worker threads give the same results', async () => {
    const url = new URL('../src/tensor/kernels/native.js', import.meta.url).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(({ loadNativeKernels }) => {
        const k = loadNativeKernels();
        const m = 250, n = 190, kk = 300;
        const a = new Float32Array(m * kk).map((_, i) => Math.sin(i));
        const b = new Float32Array(kk * n).map((_, i) => Math.cos(i));
        const sums = [];
        for (let rep = 0; rep < 20; rep++) {
          const c = new Float32Array(m * n);
          k.gemm(false, true, m, n, kk, 1, a, kk, b, kk, 0, c, n);
          sums.push(Buffer.from(c.buffer).toString('base64'));
        }
        parentPort.postMessage(sums);
      });`;
    const runWorker = () =>
      new Promise<string[]>((resolve, reject) => {
        const w = new Worker(code, { eval: true });
        w.once('message', (m: string[]) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const [x, y] = await Promise.all([runWorker(), runWorker()]);
    assert.ok(x && y);
    assert.equal(new Set([...x, ...y]).size, 1);
  });
});
