// molgrove tensor kernels in AssemblyScript (WebAssembly SIMD). Built by scripts/build-wasm.mjs into
// src/tensor/kernels/wasm-binary.ts; the JS side is src/tensor/kernels/wasm.ts, which owns every byte
// of linear memory above __heap_base (these kernels never allocate) and passes byte pointers in.
//
// GEMM follows the GotoBLAS/BLIS structure: op(B) is packed once per call (alpha folded in) into
// k-blocks of NR-wide column panels; each MC×kc block of op(A) is packed into MR-tall row panels; a
// register-blocked MR×NR f32x4 micro-kernel multiplies one A panel by one B panel. Every element of C
// is accumulated in the same order whatever the M/N range a call covers, so splitting the work over
// threads by rows or column panels gives bit-identical results.

/** Micro-tile rows (A panel height). */
const MR: i32 = 5;
/** Micro-tile columns (B panel width, two f32x4). */
const NR: i32 = 8;
/** Largest k-block; k is split into equal-sized blocks no larger than this. */
const KC: i32 = 384;
/** Rows of op(A) packed per block (a multiple of MR); MC×KC floats stay in L2. */
const MC: i32 = 100;

export function heapBase(): usize {
  return __heap_base;
}

export function microRows(): i32 {
  return MR;
}

export function microCols(): i32 {
  return NR;
}

/** Floats of per-thread scratch: one packed A block plus one MR×NR tile for ragged edges. */
export function workspaceFloats(): i32 {
  return MC * KC + MR * NR;
}

/** Floats needed for the packed op(B) of a k×n product. */
export function packedBFloats(n: i32, k: i32): i32 {
  return k * roundUp(n, NR);
}

// @ts-ignore: decorator
@inline
function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

// @ts-ignore: decorator
@inline
function kcSize(k: i32): i32 {
  const blocks = (k + KC - 1) / KC;
  return (k + blocks - 1) / blocks;
}

/**
 * Packs alpha·op(B) (k×n) into dst: for each k-block [p0, p0+kc), panel jp (columns jp·NR..) holds
 * kc rows of NR floats at dst + (p0·npad + jp·NR·kc)·4, columns past n zero-filled.
 */
export function packB(transB: i32, n: i32, k: i32, alpha: f32, b: usize, ldb: i32, dst: usize): void {
  const npad = roundUp(n, NR);
  const kcs = kcSize(k);
  const av = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  for (let p0 = 0; p0 < k; p0 += kcs) {
    const kc = min(kcs, k - p0);
    for (let j0 = 0; j0 < n; j0 += NR) {
      const nr = min(NR, n - j0);
      const pan = dst + (<usize>(p0 * npad + j0 * kc) << 2);
      if (!transB) {
        for (let p = 0; p < kc; p++) {
          const src = b + (<usize>((p0 + p) * ldb + j0) << 2);
          const d = pan + (<usize>(p * NR) << 2);
          if (nr == NR) {
            v128.store(d, f32x4.mul(v128.load(src), av));
            v128.store(d, f32x4.mul(v128.load(src, 16), av), 16);
          } else {
            v128.store(d, zero);
            v128.store(d, zero, 16);
            for (let jj = 0; jj < nr; jj++) {
              store<f32>(d + (<usize>jj << 2), alpha * load<f32>(src + (<usize>jj << 2)));
            }
          }
        }
      } else {
        for (let jj = 0; jj < NR; jj++) {
          const d = pan + (<usize>jj << 2);
          if (jj < nr) {
            const src = b + (<usize>((j0 + jj) * ldb + p0) << 2);
            for (let p = 0; p < kc; p++) {
              store<f32>(d + (<usize>(p * NR) << 2), alpha * load<f32>(src + (<usize>p << 2)));
            }
          } else {
            for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * NR) << 2), 0);
          }
        }
      }
    }
  }
}

/** Packs op(A)[i0..i0+mc, p0..p0+kc] into MR-row panels (kc columns of MR floats), rows past mc zero. */
function packA(transA: i32, i0: i32, mc: i32, p0: i32, kc: i32, a: usize, lda: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const pan = dst + (<usize>(ir * kc) << 2);
    if (!transA) {
      for (let ii = 0; ii < MR; ii++) {
        const d = pan + (<usize>ii << 2);
        if (ii < mr) {
          const src = a + (<usize>((i0 + ir + ii) * lda + p0) << 2);
          for (let p = 0; p < kc; p++) {
            store<f32>(d + (<usize>(p * MR) << 2), load<f32>(src + (<usize>p << 2)));
          }
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * MR) << 2), 0);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + (<usize>((p0 + p) * lda + i0 + ir) << 2);
        const d = pan + (<usize>(p * MR) << 2);
        for (let ii = 0; ii < MR; ii++) {
          store<f32>(d + (<usize>ii << 2), ii < mr ? load<f32>(src + (<usize>ii << 2)) : 0);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function upd(c: usize, off: usize, acc: v128, mode: i32, bv: v128): void {
  if (mode == 0) {
    v128.store(c + off, acc);
  } else if (mode == 1) {
    v128.store(c + off, f32x4.add(acc, v128.load(c + off)));
  } else {
    v128.store(c + off, f32x4.add(acc, f32x4.mul(bv, v128.load(c + off))));
  }
}

/**
 * The 5×8 micro-kernel: acc = Ap(5×kc)·Bp(kc×8); C = acc (mode 0), C += acc (mode 1) or
 * C = acc + beta·C (mode 2). ldcb is C's row stride in bytes. Without FMA each step needs a temporary
 * besides the 10 accumulators, 2 B vectors and the broadcast A value: 14 of the 15 xmm registers V8
 * allocates on x64, so nothing spills (6×8 spills one accumulator per step and is ~30% slower).
 */
function kernel(kc: i32, ap: usize, bp: usize, c: usize, ldcb: usize, mode: i32, beta: f32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0);
  let c41 = f32x4.splat(0);
  const bend = bp + (<usize>(kc * NR) << 2);
  while (bp < bend) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 16);
    c40 = f32x4.add(c40, f32x4.mul(a, b0));
    c41 = f32x4.add(c41, f32x4.mul(a, b1));
    ap += MR * 4;
    bp += NR * 4;
  }
  const bv = f32x4.splat(beta);
  upd(c, 0, c00, mode, bv);
  upd(c, 16, c01, mode, bv);
  c += ldcb;
  upd(c, 0, c10, mode, bv);
  upd(c, 16, c11, mode, bv);
  c += ldcb;
  upd(c, 0, c20, mode, bv);
  upd(c, 16, c21, mode, bv);
  c += ldcb;
  upd(c, 0, c30, mode, bv);
  upd(c, 16, c31, mode, bv);
  c += ldcb;
  upd(c, 0, c40, mode, bv);
  upd(c, 16, c41, mode, bv);
}

/**
 * C[m0..m1, panels jp0..jp1) = op(A)·packedB (+ beta·C), with packedB from packB (alpha folded in).
 * beta = 0 never reads C. ws: workspaceFloats() floats of scratch owned by the calling thread.
 */
export function gemmRange(
  transA: i32,
  m0: i32,
  m1: i32,
  jp0: i32,
  jp1: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  bp: usize,
  beta: f32,
  c: usize,
  ldc: i32,
  ws: usize,
): void {
  const npad = roundUp(n, NR);
  const kcs = kcSize(k);
  const tile = ws + (<usize>(MC * KC) << 2);
  const ldcb = <usize>ldc << 2;
  const first = beta == 0 ? 0 : beta == 1 ? 1 : 2;
  for (let ic = m0; ic < m1; ic += MC) {
    const mc = min(MC, m1 - ic);
    for (let p0 = 0; p0 < k; p0 += kcs) {
      const kc = min(kcs, k - p0);
      packA(transA, ic, mc, p0, kc, a, lda, ws);
      const mode = p0 == 0 ? first : 1;
      for (let jp = jp0; jp < jp1; jp++) {
        const j0 = jp * NR;
        const nr = min(NR, n - j0);
        const bpan = bp + (<usize>(p0 * npad + j0 * kc) << 2);
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          const apan = ws + (<usize>(ir * kc) << 2);
          const cp = c + (<usize>((ic + ir) * ldc + j0) << 2);
          if (mr == MR && nr == NR) {
            kernel(kc, apan, bpan, cp, ldcb, mode, beta);
          } else {
            kernel(kc, apan, bpan, tile, NR * 4, 0, 0);
            for (let ii = 0; ii < mr; ii++) {
              for (let jj = 0; jj < nr; jj++) {
                const t = load<f32>(tile + (<usize>(ii * NR + jj) << 2));
                const q = cp + (<usize>ii) * ldcb + (<usize>jj << 2);
                if (mode == 0) store<f32>(q, t);
                else if (mode == 1) store<f32>(q, t + load<f32>(q));
                else store<f32>(q, t + beta * load<f32>(q));
              }
            }
          }
        }
      }
    }
  }
}

/** out[i, :] (+)= src[index[i], :] for i < count. Indices are validated by the caller. */
export function gatherRows(src: usize, cols: i32, index: usize, count: i32, out: usize, accumulate: i32): void {
  const rowb = <usize>cols << 2;
  for (let i = 0; i < count; i++) {
    const s = src + <usize>load<i32>(index + (<usize>i << 2)) * rowb;
    const o = out + <usize>i * rowb;
    if (accumulate) addRow(o, s, cols);
    else memory.copy(o, s, rowb);
  }
}

/** out[index[i], :] += src[i, :] for i < count. Indices are validated by the caller. */
export function scatterAddRows(src: usize, cols: i32, index: usize, count: i32, out: usize): void {
  const rowb = <usize>cols << 2;
  for (let i = 0; i < count; i++) {
    addRow(out + <usize>load<i32>(index + (<usize>i << 2)) * rowb, src + <usize>i * rowb, cols);
  }
}

// @ts-ignore: decorator
@inline
function addRow(o: usize, s: usize, cols: i32): void {
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const off = <usize>c << 2;
    v128.store(o + off, f32x4.add(v128.load(o + off), v128.load(s + off)));
  }
  for (; c < cols; c++) {
    const off = <usize>c << 2;
    store<f32>(o + off, load<f32>(o + off) + load<f32>(s + off));
  }
}

/**
 * Segment max over rows: out[s, c] = max of src[i, c] over rows i with index[i] = s, argmax[s, c] =
 * the first such row reaching it; empty segments give 0 and -1. A value replaces the current one
 * when the segment has none yet or when it is strictly greater (NaN never replaces).
 */
export function segmentMaxRows(
  src: usize,
  cols: i32,
  index: usize,
  count: i32,
  numSegments: i32,
  out: usize,
  argmax: usize,
): void {
  const total = <usize>numSegments * <usize>cols;
  memory.fill(out, 0, total << 2);
  memory.fill(argmax, 0xff, total << 2);
  const rowb = <usize>cols << 2;
  const none = i32x4.splat(-1);
  for (let i = 0; i < count; i++) {
    const seg = <usize>load<i32>(index + (<usize>i << 2));
    const s = src + <usize>i * rowb;
    const o = out + seg * rowb;
    const g = argmax + seg * rowb;
    const iv = i32x4.splat(i);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const off = <usize>c << 2;
      const v = v128.load(s + off);
      const cur = v128.load(o + off);
      const am = v128.load(g + off);
      const take = v128.or(i32x4.eq(am, none), f32x4.gt(v, cur));
      v128.store(o + off, v128.bitselect(v, cur, take));
      v128.store(g + off, v128.bitselect(iv, am, take));
    }
    for (; c < cols; c++) {
      const off = <usize>c << 2;
      const v = load<f32>(s + off);
      if (load<i32>(g + off) < 0 || v > load<f32>(o + off)) {
        store<f32>(o + off, v);
        store<i32>(g + off, i);
      }
    }
  }
}

/**
 * out[dst[i], :] += src[srcIdx[i], :] for i < count, in increasing i (gather and scatter-add fused).
 * Indices are validated by the caller.
 */
export function gatherScatterAddRows(
  src: usize,
  cols: i32,
  srcIdx: usize,
  dstIdx: usize,
  count: i32,
  out: usize,
): void {
  const rowb = <usize>cols << 2;
  for (let i = 0; i < count; i++) {
    const off = <usize>i << 2;
    const s = src + <usize>load<i32>(srcIdx + off) * rowb;
    const o = out + <usize>load<i32>(dstIdx + off) * rowb;
    addRow(o, s, cols);
  }
}

/**
 * Adam's update, bit-identical to the JS reference loop: products and sums in f64 with a rounding to
 * f32 exactly where the reference calls Math.fround (f32x4 demote/promote round to nearest as fround).
 * m = f(f(m·b1) + c1·g); v = f(f(v·b2) + f(c2·g)·g);
 * x = f(x + f(f(negStep·m) / f(f(f(sqrt v) / bc2Sqrt) + eps))).
 */
export function adamStep(
  x: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  b1: f64,
  b2: f64,
  c1: f64,
  c2: f64,
  negStepSize: f64,
  bc2Sqrt: f64,
  eps: f64,
): void {
  const vb1 = f64x2.splat(b1);
  const vb2 = f64x2.splat(b2);
  const vc1 = f64x2.splat(c1);
  const vc2 = f64x2.splat(c2);
  const vns = f64x2.splat(negStepSize);
  const vbc = f64x2.splat(bc2Sqrt);
  const veps = f64x2.splat(eps);
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const off = <usize>k << 2;
    const gk = f64x2.promote_low_f32x4(v128.load64_zero(g + off));
    const m0 = f64x2.promote_low_f32x4(v128.load64_zero(m + off));
    const v0 = f64x2.promote_low_f32x4(v128.load64_zero(v + off));
    const x0 = f64x2.promote_low_f32x4(v128.load64_zero(x + off));
    const mkf = f32x4.demote_f64x2_zero(f64x2.add(rnd(f64x2.mul(m0, vb1)), f64x2.mul(vc1, gk)));
    const vkf = f32x4.demote_f64x2_zero(f64x2.add(rnd(f64x2.mul(v0, vb2)), f64x2.mul(rnd(f64x2.mul(vc2, gk)), gk)));
    const mk = f64x2.promote_low_f32x4(mkf);
    const vk = f64x2.promote_low_f32x4(vkf);
    const den = rnd(f64x2.add(rnd(f64x2.div(rnd(f64x2.sqrt(vk)), vbc)), veps));
    const step = rnd(f64x2.div(rnd(f64x2.mul(vns, mk)), den));
    v128.store64_lane(m + off, mkf, 0);
    v128.store64_lane(v + off, vkf, 0);
    v128.store64_lane(x + off, f32x4.demote_f64x2_zero(f64x2.add(x0, step)), 0);
  }
  for (; k < n; k++) {
    const off = <usize>k << 2;
    const gk = <f64>load<f32>(g + off);
    const mk = <f32>(<f64>(<f32>(<f64>load<f32>(m + off) * b1)) + c1 * gk);
    const vk = <f32>(<f64>(<f32>(<f64>load<f32>(v + off) * b2)) + <f64>(<f32>(c2 * gk)) * gk);
    store<f32>(m + off, mk);
    store<f32>(v + off, vk);
    const den = <f64>(<f32>(<f64>(<f32>(<f64>(<f32>Math.sqrt(<f64>vk)) / bc2Sqrt)) + eps));
    const step = <f64>(<f32>(<f64>(<f32>(negStepSize * <f64>mk)) / den));
    store<f32>(x + off, <f32>(<f64>load<f32>(x + off) + step));
  }
}

/** Rounds both f64 lanes to f32 and back (Math.fround on each). */
// @ts-ignore: decorator
@inline
function rnd(a: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(a));
}

/** In place x[i] = x[i] > 0 ? x[i] : 0 for i < n (NaN and -0 give +0, as the reference). */
export function reluForward(x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p);
    v128.store(p, v128.and(a, f32x4.gt(a, zero)));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    if (!(load<f32>(p) > 0)) store<f32>(p, 0);
  }
}

/** gPre[i] = y[i] > 0 ? g[i] : 0 for i < n (gPre may alias g). */
export function reluBackward(g: usize, y: usize, gPre: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(gPre + off, v128.and(v128.load(g + off), f32x4.gt(v128.load(y + off), zero)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(gPre + off, load<f32>(y + off) > 0 ? load<f32>(g + off) : 0);
  }
}

/** out[i] = a[i] + b[i] for i < n (out may alias a or b). */
export function addArrays(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, f32x4.add(v128.load(a + off), v128.load(b + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}

// Streaming kernels with per-column statistics, bit-identical to the JS reference (js-stream.ts):
// wherever the reference computes in double (an f32 read from a Float32Array widens to f64; a
// Float64Array holds f64) these compute in f64x2 lanes, and they round to f32 only where the reference
// stores into a Float32Array (f32x4.demote rounds to nearest, as Math.fround). Sums over rows run in
// increasing row order for every column. f32 + f32 rounded once to f32 equals the double sum rounded
// to f32 (53 ≥ 2·24 + 2), so sumRows stays in f32x4.

/** Two f32 at p widened to f64x2. */
// @ts-ignore: decorator
@inline
function ld2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Rounds an f64x2 to f32 and stores both at p. */
// @ts-ignore: decorator
@inline
function st2(p: usize, a: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(a), 0);
}

/** out[j] += Σ_r x[r·cols + j], rows in increasing order. */
export function sumRows(x: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 8 <= cols; j += 8) {
      const off = <usize>j << 2;
      v128.store(out + off, f32x4.add(v128.load(out + off), v128.load(row + off)));
      v128.store(out + off, f32x4.add(v128.load(out + off, 16), v128.load(row + off, 16)), 16);
    }
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      v128.store(out + off, f32x4.add(v128.load(out + off), v128.load(row + off)));
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      store<f32>(out + off, load<f32>(out + off) + load<f32>(row + off));
    }
  }
}

/** s[j] = 0 for j < cols (f64). */
function zero64(s: usize, cols: i32): void {
  memory.fill(s, 0, <usize>cols << 3);
}

/**
 * Per column: mean = f32(Σ x / rows), then variance = f32(Σ (x − mean)² / rows) with the f32 mean,
 * sums in f64 (s: cols f64 of scratch); rows = 0 gives zeros.
 */
export function columnMeanVar(x: usize, rows: i32, cols: i32, mean: usize, variance: usize, s: usize): void {
  zero64(s, cols);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const sp = s + (<usize>j << 3);
      v128.store(sp, f64x2.add(v128.load(sp), ld2(row + (<usize>j << 2))));
    }
    if (j < cols) {
      const sp = s + (<usize>j << 3);
      store<f64>(sp, load<f64>(sp) + <f64>load<f32>(row + (<usize>j << 2)));
    }
  }
  const fr = <f64>rows;
  for (let j = 0; j < cols; j++) {
    store<f32>(mean + (<usize>j << 2), rows > 0 ? <f32>(load<f64>(s + (<usize>j << 3)) / fr) : 0);
  }
  zero64(s, cols);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const sp = s + (<usize>j << 3);
      const d = f64x2.sub(ld2(row + (<usize>j << 2)), ld2(mean + (<usize>j << 2)));
      v128.store(sp, f64x2.add(v128.load(sp), f64x2.mul(d, d)));
    }
    if (j < cols) {
      const sp = s + (<usize>j << 3);
      const d = <f64>load<f32>(row + (<usize>j << 2)) - <f64>load<f32>(mean + (<usize>j << 2));
      store<f64>(sp, load<f64>(sp) + d * d);
    }
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(variance + (<usize>j << 2), rows > 0 ? <f32>(load<f64>(s + (<usize>j << 3)) / fr) : 0);
  }
}

/** y[r, j] = f32(x[r, j]·scale[j] + shift[j]) computed in f64 (y may alias x). */
export function scaleShiftRows(x: usize, rows: i32, cols: i32, scale: usize, shift: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const xr = x + o;
    const yr = y + o;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      const a = f64x2.add(f64x2.mul(ld2(xr + off), ld2(scale + off)), ld2(shift + off));
      const b = f64x2.add(f64x2.mul(ld2(xr + off + 8), ld2(scale + off + 8)), ld2(shift + off + 8));
      v128.store(
        yr + off,
        i64x2.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 2),
      );
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      store<f32>(
        yr + off,
        <f32>(<f64>load<f32>(xr + off) * <f64>load<f32>(scale + off) + <f64>load<f32>(shift + off)),
      );
    }
  }
}

/**
 * Batch-norm backward as the JS reference: sumG[j] = Σ g, sumGX[j] = Σ (g·(x − mean))·rstd in f64,
 * then gx = f32(gx + g·scale) (eval) or gx = f32(gx + scale·((g − sumG/rows) − (x̂·sumGX)/rows)) with
 * x̂ = (x − mean)·rstd (training), all in f64. tmp: cols f64 of scratch.
 */
export function batchNormBackward(
  g: usize,
  x: usize,
  rows: i32,
  cols: i32,
  mean: usize,
  rstd: usize,
  scale: usize,
  training: i32,
  gx: usize,
  sumG: usize,
  sumGX: usize,
  tmp: usize,
): void {
  zero64(sumG, cols);
  zero64(sumGX, cols);
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const gr = g + o;
    const xr = x + o;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const off = <usize>j << 2;
      const off8 = <usize>j << 3;
      const gv = ld2(gr + off);
      const d = f64x2.sub(ld2(xr + off), ld2(mean + off));
      v128.store(sumG + off8, f64x2.add(v128.load(sumG + off8), gv));
      v128.store(sumGX + off8, f64x2.add(v128.load(sumGX + off8), f64x2.mul(f64x2.mul(gv, d), ld2(rstd + off))));
    }
    if (j < cols) {
      const off = <usize>j << 2;
      const off8 = <usize>j << 3;
      const gv = <f64>load<f32>(gr + off);
      store<f64>(sumG + off8, load<f64>(sumG + off8) + gv);
      const d = <f64>load<f32>(xr + off) - <f64>load<f32>(mean + off);
      store<f64>(sumGX + off8, load<f64>(sumGX + off8) + gv * d * <f64>load<f32>(rstd + off));
    }
  }
  if (!training) {
    for (let r = 0; r < rows; r++) {
      const o = <usize>(r * cols) << 2;
      const gr = g + o;
      const gxr = gx + o;
      let j = 0;
      for (; j + 2 <= cols; j += 2) {
        const off = <usize>j << 2;
        st2(gxr + off, f64x2.add(ld2(gxr + off), f64x2.mul(ld2(gr + off), ld2(scale + off))));
      }
      if (j < cols) {
        const off = <usize>j << 2;
        store<f32>(
          gxr + off,
          <f32>(<f64>load<f32>(gxr + off) + <f64>load<f32>(gr + off) * <f64>load<f32>(scale + off)),
        );
      }
    }
    return;
  }
  const fr = <f64>rows;
  for (let j = 0; j < cols; j++) {
    const off8 = <usize>j << 3;
    store<f64>(tmp + off8, load<f64>(sumG + off8) / fr);
  }
  const vr = f64x2.splat(fr);
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    const gr = g + o;
    const xr = x + o;
    const gxr = gx + o;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const off = <usize>j << 2;
      const off8 = <usize>j << 3;
      const xh = f64x2.mul(f64x2.sub(ld2(xr + off), ld2(mean + off)), ld2(rstd + off));
      const t = f64x2.sub(
        f64x2.sub(ld2(gr + off), v128.load(tmp + off8)),
        f64x2.div(f64x2.mul(xh, v128.load(sumGX + off8)), vr),
      );
      st2(gxr + off, f64x2.add(ld2(gxr + off), f64x2.mul(ld2(scale + off), t)));
    }
    if (j < cols) {
      const off = <usize>j << 2;
      const off8 = <usize>j << 3;
      const xh = (<f64>load<f32>(xr + off) - <f64>load<f32>(mean + off)) * <f64>load<f32>(rstd + off);
      const t = <f64>load<f32>(gr + off) - load<f64>(tmp + off8) - (xh * load<f64>(sumGX + off8)) / fr;
      store<f32>(gxr + off, <f32>(<f64>load<f32>(gxr + off) + <f64>load<f32>(scale + off) * t));
    }
  }
}

/** murmur3's fmix32 on four lanes. */
// @ts-ignore: decorator
@inline
function fmix4(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

// @ts-ignore: decorator
@inline
function fmix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >>> 16);
}

/** dropoutWord of types.ts: fmix32(fmix32(k·0x9E3779B9 + seedA) ^ seedB). */
// @ts-ignore: decorator
@inline
function dropWord(seedA: u32, seedB: u32, k: u32): u32 {
  return fmix(fmix(k * 0x9e3779b9 + seedA) ^ seedB);
}

/** y = f32(x · m) with m = keep ? scale : 0 in f64, for two elements whose keep masks are i64 lanes. */
// @ts-ignore: decorator
@inline
function dropPair(xp: usize, keep: v128, vs: v128): v128 {
  return f32x4.demote_f64x2_zero(f64x2.mul(ld2(xp), v128.and(keep, vs)));
}

/**
 * Inverted dropout as the JS reference: word k = dropWord(seedA, seedB, k) keeps element 2k when its
 * low 16 bits ≥ threshold16 and 2k+1 when its high 16 bits are; mask = f32(keep ? scale : 0) and
 * y = f32(x·(keep ? scale : 0)) with the f64 scale.
 */
export function dropout(
  x: usize,
  y: usize,
  mask: usize,
  n: i32,
  threshold16: i32,
  scale: f64,
  seedA: u32,
  seedB: u32,
): void {
  const thr = i32x4.splat(threshold16);
  const lo16 = i32x4.splat(0xffff);
  const golden = i32x4.splat(0x9e3779b9);
  const va = i32x4.splat(seedA);
  const vb = i32x4.splat(seedB);
  const fs = f32x4.splat(<f32>scale);
  const vs = f64x2.splat(scale);
  let kv = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = fmix4(v128.xor(fmix4(i32x4.add(i32x4.mul(kv, golden), va)), vb));
    kv = i32x4.add(kv, four);
    const kl = i32x4.ge_s(v128.and(h, lo16), thr);
    const kh = i32x4.ge_s(i32x4.shr_u(h, 16), thr);
    const e0 = i32x4.shuffle(kl, kh, 0, 4, 1, 5);
    const e1 = i32x4.shuffle(kl, kh, 2, 6, 3, 7);
    const off = <usize>i << 2;
    v128.store(mask + off, v128.and(e0, fs));
    v128.store(mask + off, v128.and(e1, fs), 16);
    const xp = x + off;
    const y0 = dropPair(xp, i64x2.extend_low_i32x4_s(e0), vs);
    const y1 = dropPair(xp + 8, i64x2.extend_high_i32x4_s(e0), vs);
    const y2 = dropPair(xp + 16, i64x2.extend_low_i32x4_s(e1), vs);
    const y3 = dropPair(xp + 24, i64x2.extend_high_i32x4_s(e1), vs);
    v128.store(y + off, i64x2.shuffle(y0, y1, 0, 2));
    v128.store(y + off, i64x2.shuffle(y2, y3, 0, 2), 16);
  }
  for (; i < n; i++) {
    const w = dropWord(seedA, seedB, <u32>(i >> 1));
    const bits = (i & 1) != 0 ? w >>> 16 : w & 0xffff;
    const m: f64 = <i32>bits >= threshold16 ? scale : 0;
    const off = <usize>i << 2;
    store<f32>(mask + off, <f32>m);
    store<f32>(y + off, <f32>(<f64>load<f32>(x + off) * m));
  }
}
