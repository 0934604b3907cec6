// AVX2 + FMA architecture for the GEMM driver: a 6x16 micro-kernel (12 ymm accumulators, two B loads
// and one A broadcast per step) and vectorized packing. Every function that uses AVX2 is compiled with
// __attribute__((target("avx2,fma"))) and only reached after a run-time CPU check, so the rest of the
// addon stays baseline x86-64.
#include "common.h"
#include "gemm.h"

#if MG_HAVE_AVX2_PATH

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace mg {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;

// In-place transpose of an 8x8 block held in eight ymm registers.
MG_AVX2 MG_INLINE void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5,
                                  __m256& r6, __m256& r7) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1);
  const __m256 t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3);
  const __m256 t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5);
  const __m256 t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7);
  const __m256 t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r0 = _mm256_permute2f128_ps(s0, s4, 0x20);
  r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
  r2 = _mm256_permute2f128_ps(s2, s6, 0x20);
  r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
  r4 = _mm256_permute2f128_ps(s0, s4, 0x31);
  r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
  r6 = _mm256_permute2f128_ps(s2, s6, 0x31);
  r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Packs op(A) into 6-row panels: ap[panel][p][i] = op(A)(panel*6 + i, p), zero beyond mc.
// Panels are written in increasing address order; the non-transposed path stores 8 floats per depth
// step and lets the next step overwrite the 2 extra (AlignedBuffer keeps a spare line at the end).
MG_AVX2 void avx2_pack_a(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* ap) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - i0);
    if (mr == MR && !trans) {
      const float* r0 = a + (i0 + 0) * lda;
      const float* r1 = a + (i0 + 1) * lda;
      const float* r2 = a + (i0 + 2) * lda;
      const float* r3 = a + (i0 + 3) * lda;
      const float* r4 = a + (i0 + 4) * lda;
      const float* r5 = a + (i0 + 5) * lda;
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) {
        __m256 v0 = _mm256_loadu_ps(r0 + p);
        __m256 v1 = _mm256_loadu_ps(r1 + p);
        __m256 v2 = _mm256_loadu_ps(r2 + p);
        __m256 v3 = _mm256_loadu_ps(r3 + p);
        __m256 v4 = _mm256_loadu_ps(r4 + p);
        __m256 v5 = _mm256_loadu_ps(r5 + p);
        __m256 v6 = _mm256_setzero_ps();
        __m256 v7 = _mm256_setzero_ps();
        transpose8(v0, v1, v2, v3, v4, v5, v6, v7);
        float* d = ap + p * MR;
        _mm256_storeu_ps(d + 0 * MR, v0);
        _mm256_storeu_ps(d + 1 * MR, v1);
        _mm256_storeu_ps(d + 2 * MR, v2);
        _mm256_storeu_ps(d + 3 * MR, v3);
        _mm256_storeu_ps(d + 4 * MR, v4);
        _mm256_storeu_ps(d + 5 * MR, v5);
        _mm256_storeu_ps(d + 6 * MR, v6);
        _mm256_storeu_ps(d + 7 * MR, v7);
      }
      for (; p < kc; p++) {
        float* d = ap + p * MR;
        d[0] = r0[p];
        d[1] = r1[p];
        d[2] = r2[p];
        d[3] = r3[p];
        d[4] = r4[p];
        d[5] = r5[p];
      }
    } else if (mr == MR) {
      for (int64_t p = 0; p < kc; p++) {
        const float* s = a + p * lda + i0;
        float* d = ap + p * MR;
        for (int i = 0; i < MR; i++) d[i] = s[i];
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        float* d = ap + p * MR;
        for (int64_t i = 0; i < MR; i++) {
          d[i] = i < mr ? (trans ? a[p * lda + i0 + i] : a[(i0 + i) * lda + p]) : 0.0f;
        }
      }
    }
    ap += MR * kc;
  }
}

// Packs op(B) into 16-column panels: bp[panel][p][j] = op(B)(p, panel*16 + j), zero beyond nc.
MG_AVX2 void avx2_pack_b(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t nr = std::min<int64_t>(NR, nc - j0);
    if (nr == NR && !trans) {
      const float* s = b + j0;
      for (int64_t p = 0; p < kc; p++) {
        _mm256_store_ps(bp + p * NR, _mm256_loadu_ps(s + p * ldb));
        _mm256_store_ps(bp + p * NR + 8, _mm256_loadu_ps(s + p * ldb + 8));
      }
    } else if (nr == NR) {
      for (int h = 0; h < 2; h++) {
        const float* s = b + (j0 + h * 8) * ldb;
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
          __m256 v0 = _mm256_loadu_ps(s + 0 * ldb + p);
          __m256 v1 = _mm256_loadu_ps(s + 1 * ldb + p);
          __m256 v2 = _mm256_loadu_ps(s + 2 * ldb + p);
          __m256 v3 = _mm256_loadu_ps(s + 3 * ldb + p);
          __m256 v4 = _mm256_loadu_ps(s + 4 * ldb + p);
          __m256 v5 = _mm256_loadu_ps(s + 5 * ldb + p);
          __m256 v6 = _mm256_loadu_ps(s + 6 * ldb + p);
          __m256 v7 = _mm256_loadu_ps(s + 7 * ldb + p);
          transpose8(v0, v1, v2, v3, v4, v5, v6, v7);
          float* d = bp + p * NR + h * 8;
          _mm256_store_ps(d + 0 * NR, v0);
          _mm256_store_ps(d + 1 * NR, v1);
          _mm256_store_ps(d + 2 * NR, v2);
          _mm256_store_ps(d + 3 * NR, v3);
          _mm256_store_ps(d + 4 * NR, v4);
          _mm256_store_ps(d + 5 * NR, v5);
          _mm256_store_ps(d + 6 * NR, v6);
          _mm256_store_ps(d + 7 * NR, v7);
        }
        for (; p < kc; p++) {
          float* d = bp + p * NR + h * 8;
          for (int j = 0; j < 8; j++) d[j] = s[j * ldb + p];
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        float* d = bp + p * NR;
        for (int64_t j = 0; j < NR; j++) {
          d[j] = j < nr ? (trans ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j]) : 0.0f;
        }
      }
    }
    bp += NR * kc;
  }
}

#define MG_ROW_STEP(i)                                 \
  {                                                    \
    const __m256 av = _mm256_broadcast_ss(a + (i));    \
    c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0);        \
    c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);        \
  }

#define MG_ROW_STORE(i)                                                              \
  {                                                                                  \
    float* ci = c + (i) * ldc;                                                       \
    if (beta == 0.0f) {                                                              \
      _mm256_storeu_ps(ci, _mm256_mul_ps(c##i##0, va));                              \
      _mm256_storeu_ps(ci + 8, _mm256_mul_ps(c##i##1, va));                          \
    } else if (beta == 1.0f) {                                                       \
      _mm256_storeu_ps(ci, _mm256_fmadd_ps(c##i##0, va, _mm256_loadu_ps(ci)));       \
      _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(c##i##1, va, _mm256_loadu_ps(ci + 8))); \
    } else {                                                                         \
      const __m256 o0 = _mm256_mul_ps(vb, _mm256_loadu_ps(ci));                      \
      const __m256 o1 = _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8));                  \
      _mm256_storeu_ps(ci, _mm256_fmadd_ps(c##i##0, va, o0));                        \
      _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(c##i##1, va, o1));                    \
    }                                                                                \
  }

// C[0:6, 0:16] = alpha * (Ap panel x Bp panel) + beta * C; beta == 0 does not read C.
MG_AVX2 MG_INLINE void ukernel_6x16(int64_t kc, const float* MG_RESTRICT a, const float* MG_RESTRICT b,
                                    float* c, int64_t ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // Pull the C tile towards L1 while the k loop runs (its stores would otherwise miss at the end).
  for (int i = 0; i < MR; i++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    MG_ROW_STEP(0)
    MG_ROW_STEP(1)
    MG_ROW_STEP(2)
    MG_ROW_STEP(3)
    MG_ROW_STEP(4)
    MG_ROW_STEP(5)
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  MG_ROW_STORE(0)
  MG_ROW_STORE(1)
  MG_ROW_STORE(2)
  MG_ROW_STORE(3)
  MG_ROW_STORE(4)
  MG_ROW_STORE(5)
}

#undef MG_ROW_STEP
#undef MG_ROW_STORE

MG_AVX2 void avx2_macro(int64_t mc, int64_t nc, int64_t kc, const float* ap, const float* bp, float* c,
                        int64_t ldc, float alpha, float beta) {
  alignas(64) float tmp[MR * NR];
  for (int64_t j = 0; j < nc; j += NR) {
    const int64_t nr = std::min<int64_t>(NR, nc - j);
    const float* bpanel = bp + j * kc;
    for (int64_t i = 0; i < mc; i += MR) {
      const int64_t mr = std::min<int64_t>(MR, mc - i);
      const float* apanel = ap + i * kc;
      float* cij = c + i * ldc + j;
      if (mr == MR && nr == NR) {
        ukernel_6x16(kc, apanel, bpanel, cij, ldc, alpha, beta);
        continue;
      }
      // Edge tile: full tile into scratch, then the same alpha/beta arithmetic element by element
      // (fmaf rounds once, like the vector FMA), so edge and interior elements round identically.
      ukernel_6x16(kc, apanel, bpanel, tmp, NR, 1.0f, 0.0f);
      for (int64_t r = 0; r < mr; r++) {
        float* cr = cij + r * ldc;
        const float* t = tmp + r * NR;
        if (beta == 0.0f) {
          for (int64_t q = 0; q < nr; q++) cr[q] = t[q] * alpha;
        } else if (beta == 1.0f) {
          for (int64_t q = 0; q < nr; q++) cr[q] = std::fmaf(t[q], alpha, cr[q]);
        } else {
          for (int64_t q = 0; q < nr; q++) cr[q] = std::fmaf(t[q], alpha, beta * cr[q]);
        }
      }
    }
  }
}

// Twelve independent FMA chains: two FMA pipes x 4-cycle latency need at least eight to stay busy.
MG_AVX2 MG_NOINLINE float fma_chains(int64_t iters, float seed) {
  const __m256 x = _mm256_set1_ps(0.9999999f);
  const __m256 y = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(seed + 1), a1 = _mm256_set1_ps(seed + 2), a2 = _mm256_set1_ps(seed + 3);
  __m256 a3 = _mm256_set1_ps(seed + 4), a4 = _mm256_set1_ps(seed + 5), a5 = _mm256_set1_ps(seed + 6);
  __m256 a6 = _mm256_set1_ps(seed + 7), a7 = _mm256_set1_ps(seed + 8), a8 = _mm256_set1_ps(seed + 9);
  __m256 a9 = _mm256_set1_ps(seed + 10), a10 = _mm256_set1_ps(seed + 11), a11 = _mm256_set1_ps(seed + 12);
  for (int64_t i = 0; i < iters; i++) {
    a0 = _mm256_fmadd_ps(a0, x, y);
    a1 = _mm256_fmadd_ps(a1, x, y);
    a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y);
    a4 = _mm256_fmadd_ps(a4, x, y);
    a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y);
    a7 = _mm256_fmadd_ps(a7, x, y);
    a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y);
    a10 = _mm256_fmadd_ps(a10, x, y);
    a11 = _mm256_fmadd_ps(a11, x, y);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  return _mm_cvtss_f32(_mm256_castps256_ps128(s));
}

const GemmArch g_avx2 = {"avx2", MR, NR, 144, 640, 4080, avx2_pack_a, avx2_pack_b, avx2_macro};

}  // namespace

const GemmArch& gemm_arch_avx2() { return g_avx2; }

double avx2_fma_peak_gflops(int64_t iters) {
  volatile float sink = 0;
  double best = 0;
  for (int rep = 0; rep < 10; rep++) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + fma_chains(iters, static_cast<float>(rep));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) best = std::max(best, static_cast<double>(iters) * 12 * 8 * 2 / s / 1e9);
  }
  return best;
}

}  // namespace mg

#endif  // MG_HAVE_AVX2_PATH
