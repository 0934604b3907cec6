// The WebAssembly SIMD backend against the JS reference kernels: gemm within float32 rounding on
// awkward shapes, transposes, strides, views and alpha/beta; the index kernels exactly; bad indices
// rejected; results bit-identical across runs and thread counts; workers never hold the process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { gemmReference, jsKernels } from '../src/tensor/kernels/js.js';
import { ACT_RELU, ACT_TANH } from '../src/tensor/kernels/types.js';
import { loadWasmKernels, loadWasmKernelsAsync, type WasmKernels } from '../src/tensor/kernels/wasm.js';
import { WASM_KERNELS_BASE64 } from '../src/tensor/kernels/wasm-binary.js';

const stub = WASM_KERNELS_BASE64 === '';
const skip = stub ? 'wasm binary is the stub (assemblyscript not installed): run npm run build' : false;

let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}
function randInt(lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
/** n random values in [-1, 1) as a view starting `offset` floats into a larger buffer. */
function randView(n: number, offset = 0): Float32Array {
  const buf = new Float32Array(n + offset + 3);
  for (let i = 0; i < buf.length; i++) buf[i] = rand() * 2 - 1;
  return buf.subarray(offset, offset + n);
}
function bitsEqual(x: Float32Array, y: Float32Array): boolean {
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

interface GemmCase {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  pad?: number;
  offset?: number;
  nanC?: boolean;
}

/** Runs one case through `k` and the reference; checks |wasm − ref| ≤ 1e-5·√k·(|α|·|A||B| + |β||C|). */
function checkGemm(w: WasmKernels, cs: GemmCase): void {
  const { tA, tB, m, n, k, alpha, beta } = cs;
  const pad = cs.pad ?? 0;
  const off = cs.offset ?? 0;
  const lda = (tA ? m : k) + pad;
  const ldb = (tB ? k : n) + pad;
  const ldc = n + pad;
  const a = randView(Math.max(0, (tA ? k : m) * lda), off);
  const b = randView(Math.max(0, (tB ? n : k) * ldb), off + 1);
  const c0 = randView(Math.max(0, m * ldc), off + 2);
  if (cs.nanC) c0.fill(Number.NaN);
  const ref = c0.slice();
  const got = new Float32Array(c0.length + 5).subarray(5);
  got.set(c0);
  gemmReference(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, ref, ldc);
  w.gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
  const abs = (x: Float32Array) => x.map(Math.abs);
  const scale = abs(c0).map((v) => (beta === 0 ? 0 : v));
  gemmReference(tA, tB, m, n, k, Math.abs(alpha), abs(a), lda, abs(b), ldb, Math.abs(beta), scale, ldc);
  const tol = 1e-5 * Math.sqrt(Math.max(k, 1));
  const label = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} m=${m} n=${n} k=${k} α=${alpha} β=${beta} pad=${pad}`;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const idx = i * ldc + j;
      if (j >= n) {
        // Gaps between rows of C are left untouched.
        assert.ok(Object.is(got[idx], c0[idx]), `${label}: C gap (${i}, ${j}) changed`);
        continue;
      }
      const r = ref[idx]!;
      const g = got[idx]!;
      assert.ok(Number.isFinite(g), `${label}: C(${i}, ${j}) = ${g}`);
      assert.ok(
        Math.abs(g - r) <= tol * scale[idx]! + 1e-30,
        `${label}: C(${i}, ${j}) = ${g}, reference ${r}`,
      );
    }
  }
}

describe('wasm kernels', { skip }, () => {
  const w1 = stub ? null : loadWasmKernels({ threads: 1 });
  const w2 = stub ? null : loadWasmKernels({ threads: 2 });
  const one = (): WasmKernels => {
    assert.ok(w1, 'loadWasmKernels returned null although the binary is built');
    return w1;
  };

  test('load: named wasm, single- and multi-threaded instances', () => {
    assert.equal(one().name, 'wasm');
    assert.equal(one().threads, 1);
    assert.ok(w2);
    assert.equal(w2.threads, 2);
  });

  test('load: an invalid threads option is an error, not a silent fallback', () => {
    assert.throws(() => loadWasmKernels({ threads: 0 }), RangeError);
    assert.throws(() => loadWasmKernels({ threads: 1.5 }), RangeError);
  });

  test('gemm: edge shapes × all transposes × strides × alpha/beta equal the reference', () => {
    const w = one();
    const shapes: [number, number, number][] = [
      [0, 3, 4],
      [3, 0, 4],
      [3, 4, 0],
      [1, 1, 1],
      [1, 1, 9],
      [1, 300, 1],
      [300, 1, 1],
      [1, 1, 300],
      [7, 13, 5],
      [33, 17, 65],
      [5, 8, 16],
      [10, 16, 4],
      [6, 9, 400],
      [101, 43, 777],
      [64, 64, 64],
    ];
    const ab: [number, number][] = [
      [1, 0],
      [1, 1],
      [0.5, -1.5],
      [-2, 0.25],
    ];
    for (const [m, n, k] of shapes) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          for (const [alpha, beta] of ab) {
            checkGemm(w, { tA, tB, m, n, k, alpha, beta });
            checkGemm(w, { tA, tB, m, n, k, alpha, beta, pad: 3, offset: 5 });
          }
        }
      }
    }
  });

  test('gemm: random shapes, strides and subarray views', () => {
    const w = one();
    for (let t = 0; t < 60; t++) {
      checkGemm(w, {
        tA: rand() < 0.5,
        tB: rand() < 0.5,
        m: randInt(1, 90),
        n: randInt(1, 90),
        k: randInt(1, 500),
        alpha: rand() * 4 - 2,
        beta: rand() < 0.3 ? 0 : rand() * 2 - 1,
        pad: randInt(0, 7),
        offset: randInt(0, 9),
      });
    }
  });

  test('gemm: beta = 0 ignores NaN in C; k = 0 scales C by beta; alpha = 0 skips A·B', () => {
    const w = one();
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        checkGemm(w, { tA, tB, m: 37, n: 29, k: 41, alpha: 1, beta: 0, nanC: true, pad: 2 });
        checkGemm(w, { tA, tB, m: 3, n: 5, k: 2, alpha: 1, beta: 0, nanC: true });
      }
    }
    const c = Float32Array.from([1, 2, 3, 4, 5, 6]);
    w.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0.5, c, 3);
    assert.deepEqual([...c], [0.5, 1, 3, 2, 2.5, 6]);
    const nan = new Float32Array(4).fill(Number.NaN);
    w.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0, nan, 2);
    assert.deepEqual([...nan], [0, 0, 0, 0]);
    const a = new Float32Array(4).fill(Number.NaN);
    const c2 = Float32Array.from([1, 2, 3, 4]);
    w.gemm(false, false, 2, 2, 2, 0, a, 2, a, 2, 2, c2, 2);
    assert.deepEqual([...c2], [2, 4, 6, 8]);
  });

  test('gemm: a large product (threaded path, split over rows and over columns) equals the reference', () => {
    assert.ok(w2);
    for (const [m, n, k] of [
      [257, 131, 403],
      [23, 700, 150],
    ] as [number, number, number][]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true])
          checkGemm(w2, { tA, tB, m, n, k, alpha: 0.75, beta: 0.5, pad: 1, offset: 3 });
      }
    }
  });

  test('gemm: bit-identical across repeated runs and across 1 vs 2 threads', async () => {
    assert.ok(w2);
    await w2.ready();
    const before = w2.stats.workerChunks;
    for (const [tA, tB, m, n, k] of [
      [false, false, 300, 200, 500],
      [true, true, 301, 77, 999],
      [false, true, 41, 900, 130],
    ] as [boolean, boolean, number, number, number][]) {
      const a = randView(m * k);
      const b = randView(k * n);
      const c0 = randView(m * n);
      const runs: Float32Array[] = [];
      for (const w of [one(), w2, one(), w2, w2]) {
        const c = c0.slice();
        w.gemm(tA, tB, m, n, k, 1.25, a, tA ? m : k, b, tB ? k : n, 0.5, c, n);
        runs.push(c);
      }
      for (const r of runs.slice(1)) assert.ok(bitsEqual(runs[0]!, r), `${m}×${n}×${k}: results differ`);
      // On a busy machine the worker may wake too late to claim a chunk; retry until it has run some.
      for (let t = 0; t < 50 && w2.stats.workerChunks === before; t++) {
        const c = c0.slice();
        w2.gemm(tA, tB, m, n, k, 1.25, a, tA ? m : k, b, tB ? k : n, 0.5, c, n);
        assert.ok(bitsEqual(runs[0]!, c), `${m}×${n}×${k}: results differ`);
      }
    }
    assert.ok(w2.stats.threadedCalls > 0, 'no GEMM took the threaded path');
    assert.ok(w2.stats.workerChunks > before, 'the worker thread ran no chunk');
  });

  test('gemm: lengths and leading dimensions are checked', () => {
    const w = one();
    const a = new Float32Array(20);
    assert.throws(() => w.gemm(false, false, 4, 4, 5, 1, a, 5, a.subarray(0, 19), 4, 0, a, 4), /gemm B/);
    assert.throws(() => w.gemm(false, false, 4, 4, 4, 1, a, 3, a, 4, 0, a, 4), /leading dimensions/);
    assert.throws(() => w.gemm(false, false, 5, 4, 1, 1, a, 1, a, 4, 0, a.subarray(0, 16), 4), /gemm C/);
  });

  test('gatherRows: equal to the reference, plain and accumulating, on views', () => {
    const w = one();
    for (const [rows, cols, count] of [
      [1, 1, 1],
      [7, 3, 20],
      [50, 13, 200],
      [300, 64, 37],
      [1000, 8, 10], // sparse: delegated to the JS kernel
      [5, 0, 4],
      [9, 5, 0],
    ] as [number, number, number][]) {
      const src = randView(rows * cols, 3);
      const index = Int32Array.from({ length: count }, () => randInt(0, rows - 1));
      for (const accumulate of [false, true]) {
        const out0 = randView(count * cols, 1);
        const ref = out0.slice();
        const got = out0.slice();
        jsKernels.gatherRows(src, cols, index, ref, accumulate);
        w.gatherRows(src, cols, index, got, accumulate);
        assert.ok(bitsEqual(ref, got), `gather rows=${rows} cols=${cols} count=${count} acc=${accumulate}`);
      }
    }
  });

  test('scatterAddRows: equal to the reference (repeated targets, views)', () => {
    const w = one();
    for (const [rows, cols, count] of [
      [1, 1, 1],
      [7, 3, 20],
      [50, 13, 200],
      [100, 64, 37],
      [300, 64, 37], // sparse: delegated to the JS kernel
      [4, 2, 0],
    ] as [number, number, number][]) {
      const src = randView(count * cols, 2);
      const index = Int32Array.from({ length: count }, () => randInt(0, rows - 1));
      const out0 = randView(rows * cols, 4);
      const ref = out0.slice();
      const got = out0.slice();
      jsKernels.scatterAddRows(src, cols, index, ref);
      w.scatterAddRows(src, cols, index, got);
      assert.ok(bitsEqual(ref, got), `scatter rows=${rows} cols=${cols} count=${count}`);
    }
  });

  test('segmentMaxRows: equal to the reference, with empty segments, ties and NaN', () => {
    const w = one();
    for (const [segs, cols, count] of [
      [1, 1, 1],
      [10, 3, 5],
      [20, 13, 200],
      [64, 70, 300],
      [3, 4, 0],
    ] as [number, number, number][]) {
      const src = randView(count * cols, 1);
      for (let i = 0; i < src.length; i += 7) src[i] = Math.round(src[i]! * 2) / 2; // ties
      if (src.length > 10) src[3] = Number.NaN;
      const index = Int32Array.from({ length: count }, () => randInt(0, segs - 1));
      const outR = randView(segs * cols);
      const outG = randView(segs * cols, 2);
      const argR = new Int32Array(segs * cols + 3).subarray(3);
      const argG = new Int32Array(segs * cols);
      jsKernels.segmentMaxRows(src, cols, index, segs, outR, argR);
      w.segmentMaxRows(src, cols, index, segs, outG, argG);
      assert.ok(bitsEqual(outR, outG), `segmentMax out segs=${segs} cols=${cols} count=${count}`);
      assert.deepEqual([...argG], [...argR], `segmentMax argmax segs=${segs} cols=${cols} count=${count}`);
    }
  });

  test('index kernels reject bad indices, naming the position and value', () => {
    const w = one();
    const src = new Float32Array(12);
    const out = new Float32Array(12);
    const arg = new Int32Array(12);
    const bad = Int32Array.from([0, 2, 4, 1]);
    assert.throws(() => w.gatherRows(src, 3, bad, out, false), /index\[2\] = 4/);
    assert.throws(() => w.scatterAddRows(src, 3, bad, out), /index\[2\] = 4/);
    assert.throws(() => w.segmentMaxRows(src, 3, bad, 4, out, arg), /index\[2\] = 4/);
    assert.throws(() => w.gatherRows(src, 3, Int32Array.from([-1]), out, false), /index\[0\] = -1/);
    assert.throws(() => w.segmentMaxRows(src, 3, Int32Array.from([0, 9]), 4, out, arg), /index\[1\] = 9/);
  });

  test('gatherScatterAddRows: bit-identical to the reference (repeated targets, odd widths, views, sparse)', () => {
    const w = one();
    const cases: [number, number, number, number][] = [
      // [srcRows, outRows, cols, count]
      [5, 4, 3, 0],
      [1, 1, 1, 1],
      [7, 3, 5, 1],
      [13, 9, 7, 40],
      [600, 600, 300, 2000],
      [40, 30, 33, 500],
      [200, 1000, 8, 3],
    ];
    for (const [srcRows, outRows, cols, count] of cases) {
      const src = randView(srcRows * cols + randInt(0, 2), randInt(0, 3));
      const out0 = randView(outRows * cols + randInt(0, 2), randInt(1, 3));
      const si = Int32Array.from({ length: count }, () => randInt(0, srcRows - 1));
      const di = Int32Array.from({ length: count + 2 }, () => randInt(0, outRows - 1)).subarray(1, count + 1);
      const ref = out0.slice();
      const got = new Float32Array(out0.length + 4).subarray(4);
      got.set(out0);
      jsKernels.gatherScatterAddRows(src, cols, si, di, ref);
      w.gatherScatterAddRows!(src, cols, si, di, got);
      assert.ok(
        bitsEqual(ref, got),
        `gatherScatterAddRows srcRows=${srcRows} outRows=${outRows} cols=${cols}`,
      );
    }
  });

  test('gatherScatterAddRows: bad indices throw the reference errors', () => {
    const w = one();
    const src = new Float32Array(10);
    const out = new Float32Array(9);
    const message = (f: () => void): string => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof RangeError);
        return err.message;
      }
      return 'no error';
    };
    const bad: [Int32Array, Int32Array][] = [
      [Int32Array.from([0, 3, 1]), Int32Array.from([0, 1, 2])],
      [Int32Array.from([0, 1, -1]), Int32Array.from([0, 1, 2])],
      [Int32Array.from([0, 1, 2]), Int32Array.from([0, 3, 2])],
      [Int32Array.from([0, 1]), Int32Array.from([0, 1, 2])],
    ];
    for (const [si, di] of bad) {
      const ref = message(() => jsKernels.gatherScatterAddRows(src, 3, si, di, out));
      assert.notEqual(ref, 'no error');
      assert.equal(
        message(() => w.gatherScatterAddRows!(src, 3, si, di, out)),
        ref,
      );
    }
  });

  test('adamStep: bit-identical to the reference loop (x, m, v updated in place, views, odd sizes)', () => {
    const w = one();
    const hyper: number[][] = [
      [0.9, 0.999, 0.1, 0.001, -1e-3, Math.sqrt(1 - 0.999 ** 3), 1e-8],
      [0.8, 0.95, 0.2, 0.05, -0.037, 0.3141592653589793, 1e-6],
    ];
    for (const n of [0, 1, 2, 3, 63, 64, 65, 257, 1001, 20000]) {
      for (const [b1, b2, c1, c2, ns, bc, eps] of hyper) {
        const x = randView(n + 1, randInt(0, 3));
        const g = randView(n, randInt(0, 3));
        const m = randView(n, randInt(0, 3));
        const v = randView(n, randInt(0, 3)).map(Math.abs);
        if (n > 3) {
          g[0] = 0;
          v[1] = 0;
          g[2] = 1e30;
          m[3] = -0;
        }
        const [xr, mr, vr] = [x.slice(), m.slice(), v.slice()];
        jsKernels.adamStep(xr, g, mr, vr, n, b1!, b2!, c1!, c2!, ns!, bc!, eps!);
        w.adamStep!(x, g, m, v, n, b1!, b2!, c1!, c2!, ns!, bc!, eps!);
        assert.ok(bitsEqual(xr, x) && bitsEqual(mr, m) && bitsEqual(vr, v), `adamStep n=${n} b1=${b1}`);
      }
    }
  });

  test('relu activation and its backward: bit-identical to the reference (NaN, -0, views, aliasing)', () => {
    const w = one();
    for (const n of [0, 1, 7, 255, 256, 257, 1003, 180_000]) {
      const x = randView(n, randInt(0, 3));
      if (n > 4) {
        x[0] = Number.NaN;
        x[1] = -0;
        x[2] = 0;
        x[3] = Number.POSITIVE_INFINITY;
      }
      const xr = x.slice();
      jsKernels.activation(ACT_RELU, xr, n);
      w.activation!(ACT_RELU, x, n);
      assert.ok(bitsEqual(xr, x), `relu n=${n}`);
      const g = randView(n, randInt(0, 3));
      if (n > 4) g[4] = Number.NaN;
      const gPreR = new Float32Array(n);
      const gPreW = randView(n, 2);
      jsKernels.activationBackward(ACT_RELU, g, x, new Float32Array(0), gPreR, n);
      w.activationBackward!(ACT_RELU, g, x, new Float32Array(0), gPreW, n);
      assert.ok(bitsEqual(gPreR, gPreW), `relu backward n=${n}`);
      const gAlias = g.slice();
      w.activationBackward!(ACT_RELU, gAlias, x, new Float32Array(0), gAlias, n);
      assert.ok(bitsEqual(gPreR, gAlias), `relu backward in place n=${n}`);
    }
    // Other activations delegate to the reference.
    const t = randView(1000);
    const tr = t.slice();
    jsKernels.activation(ACT_TANH, tr, 1000);
    w.activation!(ACT_TANH, t, 1000);
    assert.ok(bitsEqual(tr, t));
  });

  test('add and accumulate: bit-identical to the reference (views, aliasing, odd sizes)', () => {
    const w = one();
    for (const n of [0, 1, 5, 255, 256, 1001, 90_001]) {
      const a = randView(n, randInt(0, 3));
      const b = randView(n, randInt(0, 3));
      const outR = new Float32Array(n);
      const outW = randView(n, 1);
      jsKernels.add(a, b, outR, n);
      w.add!(a, b, outW, n);
      assert.ok(bitsEqual(outR, outW), `add n=${n}`);
      const aAlias = a.slice();
      w.add!(aAlias, b, aAlias, n);
      assert.ok(bitsEqual(outR, aAlias), `add in place n=${n}`);
      const dR = a.slice();
      const dW = randView(n, 2);
      dW.set(a);
      jsKernels.accumulate(dR, b, n);
      w.accumulate!(dW, b, n);
      assert.ok(bitsEqual(dR, dW), `accumulate n=${n}`);
    }
  });

  /** Shapes for the per-column kernels: empty, single rows/columns, odd widths, realistic sizes. */
  const colShapes: [number, number][] = [
    [0, 300],
    [1, 300],
    [1, 7],
    [300, 1],
    [3, 85],
    [257, 3],
    [64, 33],
    [600, 300],
    [2000, 301],
  ];
  /** n values spread over many binades, so double vs float rounding differences would show. */
  function wideView(n: number, offset = 0): Float32Array {
    const v = randView(n, offset);
    for (let i = 0; i < n; i++) v[i] = v[i]! * 2 ** randInt(-12, 12);
    return v;
  }
  function bitsEqual64(x: Float64Array, y: Float64Array): boolean {
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  }

  test('sumRows, columnMeanVar, scaleShiftRows: bit-identical to the reference (views, odd shapes)', () => {
    const w = one();
    for (const [rows, cols] of colShapes) {
      const n = rows * cols;
      const x = wideView(n, randInt(0, 3));
      const outR = wideView(cols, 1);
      const outW = randView(cols, 2);
      outW.set(outR);
      jsKernels.sumRows(x, rows, cols, outR);
      w.sumRows!(x, rows, cols, outW);
      assert.ok(bitsEqual(outR, outW), `sumRows ${rows}×${cols}`);

      const [meanR, varR] = [new Float32Array(cols), new Float32Array(cols)];
      const [meanW, varW] = [randView(cols, 1), randView(cols, 3)];
      jsKernels.columnMeanVar(x, rows, cols, meanR, varR);
      w.columnMeanVar!(x, rows, cols, meanW, varW);
      assert.ok(bitsEqual(meanR, meanW) && bitsEqual(varR, varW), `columnMeanVar ${rows}×${cols}`);

      const scale = wideView(cols, randInt(0, 3));
      const shift = wideView(cols, randInt(0, 3));
      const yR = new Float32Array(n);
      const yW = randView(n, 1);
      jsKernels.scaleShiftRows(x, rows, cols, scale, shift, yR);
      w.scaleShiftRows!(x, rows, cols, scale, shift, yW);
      assert.ok(bitsEqual(yR, yW), `scaleShiftRows ${rows}×${cols}`);
      const xAlias = x.slice();
      w.scaleShiftRows!(xAlias, rows, cols, scale, shift, xAlias);
      assert.ok(bitsEqual(yR, xAlias), `scaleShiftRows in place ${rows}×${cols}`);
    }
  });

  test('batchNormBackward: bit-identical to the reference, training and eval (views, odd shapes)', () => {
    const w = one();
    for (const [rows, cols] of colShapes) {
      for (const training of [true, false]) {
        const n = rows * cols;
        const g = wideView(n, randInt(0, 3));
        const x = wideView(n, randInt(0, 3));
        const mean = randView(cols, randInt(0, 3));
        const rstd = randView(cols, randInt(0, 3)).map((v) => 0.1 + 4 * Math.abs(v));
        const scale = wideView(cols, randInt(0, 3));
        const gxR = wideView(n, 1);
        const gxW = randView(n, 2);
        gxW.set(gxR);
        const [sgR, sxR] = [new Float64Array(cols + 1), new Float64Array(cols + 1)];
        const sgW = new Float64Array(cols + 3).fill(7).subarray(1, cols + 2);
        const sxW = new Float64Array(cols + 1).fill(-3);
        sgW[cols] = 0;
        sxW[cols] = 0;
        jsKernels.batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, gxR, sgR, sxR);
        w.batchNormBackward!(g, x, rows, cols, mean, rstd, scale, training, gxW, sgW, sxW);
        const tag = `batchNormBackward ${rows}×${cols} training=${training}`;
        assert.ok(bitsEqual(gxR, gxW), `${tag}: gx`);
        assert.ok(bitsEqual64(sgR, sgW) && bitsEqual64(sxR, sxW), `${tag}: sums`);
      }
    }
  });

  test('dropout: bit-identical to the reference (odd n, thresholds 0 and 65535, views, aliasing)', () => {
    const w = one();
    const cases: [number, number, number, number, number][] = [
      [0, 16384, 1 / 0.75, 1, 2],
      [1, 16384, 1 / 0.75, 1, 2],
      [255, 32768, 2, 7, 9],
      [256, 0, 1, 0, 0],
      [257, 65535, 65536, 0xffffffff, 0x80000000],
      [1001, 6554, 1 / 0.9, 123456789, 987654321],
      [180_001, 19661, 1 / 0.7, 42, 0xdeadbeef],
      [3000, 65536, 3, 5, 6],
    ];
    for (const [n, thr, scale, sa, sb] of cases) {
      const x = wideView(n, randInt(0, 3));
      if (n > 4) {
        x[0] = -0;
        x[1] = -1.5;
        x[2] = 3e38;
      }
      const [yR, mR] = [new Float32Array(n), new Float32Array(n)];
      const [yW, mW] = [randView(n, 1), randView(n, 2)];
      jsKernels.dropout(x, yR, mR, n, thr, scale, sa, sb);
      w.dropout!(x, yW, mW, n, thr, scale, sa, sb);
      assert.ok(bitsEqual(yR, yW) && bitsEqual(mR, mW), `dropout n=${n} threshold=${thr}`);
      const xAlias = x.slice();
      w.dropout!(xAlias, xAlias, mW, n, thr, scale, sa, sb);
      assert.ok(bitsEqual(yR, xAlias), `dropout in place n=${n}`);
      if (thr === 0) assert.ok(mR.every((v) => v === Math.fround(scale)));
      if (thr > 65535) assert.ok(mR.every((v) => v === 0));
    }
  });

  test('loadWasmKernelsAsync gives working kernels', async () => {
    const w = await loadWasmKernelsAsync({ threads: 1 });
    assert.ok(w);
    checkGemm(w, { tA: true, tB: false, m: 19, n: 23, k: 31, alpha: 1, beta: 0 });
  });

  test('worker threads never keep the process alive; MOLGROVE_THREADS sets the default', () => {
    const url = new URL('../src/tensor/kernels/wasm.js', import.meta.url).href;
    const script = `
      import { loadWasmKernels } from ${JSON.stringify(url)};
      const w = loadWasmKernels();
      await w.ready();
      const n = 200;
      const a = new Float32Array(n * n).fill(1);
      const c = new Float32Array(n * n);
      w.gemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
      console.log(w.threads, w.stats.threadedCalls, c[0]);
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      // Without the test runner's NODE_TEST_CONTEXT, or the child would take itself for a test file.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, MOLGROVE_THREADS: '3' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.signal, null, 'the child process did not exit by itself');
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout.trim(), '3 1 200');
  });

  test('dispose stops the workers; the kernels keep working single-threaded', async () => {
    const w = loadWasmKernels({ threads: 2 });
    assert.ok(w);
    await w.ready();
    await w.dispose();
    checkGemm(w, { tA: false, tB: false, m: 200, n: 150, k: 100, alpha: 1, beta: 1 });
  });
});

test('wasm kernels: stub binary is reported as unavailable', { skip: !stub && 'the binary is built' }, () => {
  assert.equal(loadWasmKernels(), null);
});
