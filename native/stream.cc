// Streaming kernels (see stream.h). Exactness notes:
//  - The JS reference does float32 arithmetic as float64 operations followed by a rounding (Math.fround or
//    a Float32Array store). A single +, -, *, / or sqrt of float operands rounded that way equals the float
//    operation (float64 has more than 2·24 + 2 bits), so those become float (SIMD) ops; where JS combines
//    two operations in float64 before rounding (a + b·c, x·scale + shift, ...), these kernels use double
//    lanes with the same operations in the same order.
//  - No FMA contraction may change those sequences: the SIMD functions here are compiled for AVX2 without
//    FMA (target "avx2"), the portable ones for the baseline ISA (no FMA), and binding.gyp passes
//    -ffp-contract=off.
//  - Work is split into contiguous element chunks or column ranges; every output element is produced by
//    exactly one thread, so results do not depend on the thread count (or on the pool running a job on
//    the calling thread only).
#include "stream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"
#include "rows.h"
#include "thread_pool.h"

#if MG_HAVE_AVX2_PATH
#include <immintrin.h>
// AVX2 without FMA: the exact kernels must not have multiply-adds fused behind their back.
#define MG_AVX2X __attribute__((target("avx2")))
#endif

namespace mg {
namespace {

// Minimum work (elements) per thread before a kernel is split: the memory-bound kernels need ~16k
// elements per thread to repay a pool dispatch, Adam (two divisions and a square root per element) less,
// the libm-based activations much less.
constexpr int64_t kMemPerThread = 16384;
constexpr int64_t kAdamPerThread = 8192;
constexpr int64_t kTransPerThread = 1024;
constexpr int64_t kRowsPerThread = 32768;

int threads_for(int64_t work, int64_t per_thread) {
  if (work < 2 * per_thread) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), work / per_thread)));
}

bool use_avx2() {
#if MG_HAVE_AVX2_PATH
  return simd_level() == Simd::kAvx2;
#else
  return false;
#endif
}

// Element arrays of n floats that are either the same array or do not overlap (elementwise kernels that
// read element i before writing element i are then safe to vectorize and split).
bool same_or_disjoint(const void* a, const void* b, int64_t n) { return a == b || !overlaps(a, n * 4, b, n * 4); }

// Runs body(i0, i1) over [0, n), split across threads (when n is large enough) into chunks whose
// boundaries are multiples of `align` elements (whole cache lines, so threads never share one).
template <typename F>
void for_chunks(int64_t n, int64_t per_thread, int64_t align, const F& body) {
  if (n <= 0) return;
  const int threads = threads_for(n, per_thread);
  if (threads <= 1) {
    body(int64_t{0}, n);
    return;
  }
  const int64_t blocks = (n + align - 1) / align;
  parallel_for(threads, [&](int t, int nth) {
    const int64_t i0 = std::min(n, blocks * t / nth * align);
    const int64_t i1 = std::min(n, blocks * (t + 1) / nth * align);
    if (i1 > i0) body(i0, i1);
  });
}

// Runs body(c0, c1) over column ranges of whole 64-byte lines when rows·cols is large enough.
template <typename F>
void for_columns(int64_t rows, int64_t cols, const F& body) {
  const int threads =
      static_cast<int>(std::min<int64_t>(threads_for(rows * cols, kMemPerThread), (cols + 15) / 16));
  if (threads <= 1) {
    body(int64_t{0}, cols);
    return;
  }
  parallel_for(threads, [&](int t, int nth) {
    int64_t c0, c1;
    column_range(cols, t, nth, &c0, &c1);
    if (c1 > c0) body(c0, c1);
  });
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X inline __m256d lo_pd(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
MG_AVX2X inline __m256d hi_pd(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
MG_AVX2X inline __m256 join_ps(__m256d lo, __m256d hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}
MG_AVX2X inline __m256d load4_pd(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
MG_AVX2X inline void store4_pd(float* p, __m256d v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }
#endif

// ----- activations -----

constexpr double kInvSqrt2 = 0.7071067811865476;  // Math.SQRT1_2

double inv_sqrt_2pi() {
  static const double v = 1.0 / std::sqrt(2.0 * 3.141592653589793);
  return v;
}

// erf through the Chebyshev-fitted erfc of Numerical Recipes, term for term as activation.ts computes it.
inline double erf_nr(double x) {
  const double z = std::fabs(x);
  const double t = 1 / (1 + 0.5 * z);
  const double poly =
      -z * z - 1.26551223 +
      t * (1.00002368 +
           t * (0.37409196 +
                t * (0.09678418 +
                     t * (-0.18628806 +
                          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const double erfc = t * std::exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

inline double sigmoid_d(double v) {
  if (v >= 0) return 1 / (1 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1 + e);
}

void relu_generic(float* x, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++)
    if (!(x[i] > 0)) x[i] = 0;
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void relu_avx2(float* x, int64_t i0, int64_t i1) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = i0;
  for (; i + 16 <= i1; i += 16) {
    const __m256 a = _mm256_loadu_ps(x + i);
    const __m256 b = _mm256_loadu_ps(x + i + 8);
    // Ordered x > 0 is false for NaN and -0, which both become +0 as in JS.
    _mm256_storeu_ps(x + i, _mm256_and_ps(a, _mm256_cmp_ps(a, zero, _CMP_GT_OQ)));
    _mm256_storeu_ps(x + i + 8, _mm256_and_ps(b, _mm256_cmp_ps(b, zero, _CMP_GT_OQ)));
  }
  for (; i + 8 <= i1; i += 8) {
    const __m256 a = _mm256_loadu_ps(x + i);
    _mm256_storeu_ps(x + i, _mm256_and_ps(a, _mm256_cmp_ps(a, zero, _CMP_GT_OQ)));
  }
  relu_generic(x, i, i1);
}
#endif

void act_forward_generic(int act, float* x, int64_t i0, int64_t i1) {
  switch (act) {
    case kActRelu:
      relu_generic(x, i0, i1);
      return;
    case kActTanh:
      for (int64_t i = i0; i < i1; i++) x[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
      return;
    case kActSigmoid:
      for (int64_t i = i0; i < i1; i++) x[i] = static_cast<float>(sigmoid_d(x[i]));
      return;
    case kActGelu:
      for (int64_t i = i0; i < i1; i++) {
        const double v = x[i];
        x[i] = static_cast<float>(0.5 * v * (1 + erf_nr(v * kInvSqrt2)));
      }
      return;
    default:
      return;
  }
}

void act_backward_generic(int act, const float* g, const float* y, const float* pre, float* gp, int64_t i0,
                          int64_t i1) {
  switch (act) {
    case kActRelu:
      for (int64_t i = i0; i < i1; i++) gp[i] = y[i] > 0 ? g[i] : 0.0f;
      return;
    case kActTanh:
      for (int64_t i = i0; i < i1; i++) {
        const double t = y[i];
        gp[i] = static_cast<float>(static_cast<double>(g[i]) * (1 - t * t));
      }
      return;
    case kActSigmoid:
      for (int64_t i = i0; i < i1; i++) {
        const double s = y[i];
        gp[i] = static_cast<float>(static_cast<double>(g[i]) * s * (1 - s));
      }
      return;
    case kActGelu: {
      const double k = inv_sqrt_2pi();
      for (int64_t i = i0; i < i1; i++) {
        const double v = pre[i];
        const double cdf = 0.5 * (1 + erf_nr(v * kInvSqrt2));
        gp[i] = static_cast<float>(static_cast<double>(g[i]) * (cdf + v * k * std::exp(-0.5 * v * v)));
      }
      return;
    }
    default:
      return;
  }
}

#if MG_HAVE_AVX2_PATH
// relu, tanh and sigmoid backward (exact: double lanes for the float64 expressions).
MG_AVX2X void act_backward_avx2(int act, const float* g, const float* y, float* gp, int64_t i0, int64_t i1) {
  int64_t i = i0;
  if (act == kActRelu) {
    const __m256 zero = _mm256_setzero_ps();
    for (; i + 8 <= i1; i += 8) {
      const __m256 keep = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ);
      _mm256_storeu_ps(gp + i, _mm256_and_ps(_mm256_loadu_ps(g + i), keep));
    }
  } else if (act == kActTanh) {
    const __m256d one = _mm256_set1_pd(1.0);
    for (; i + 4 <= i1; i += 4) {
      const __m256d t = load4_pd(y + i);
      store4_pd(gp + i, _mm256_mul_pd(load4_pd(g + i), _mm256_sub_pd(one, _mm256_mul_pd(t, t))));
    }
  } else if (act == kActSigmoid) {
    const __m256d one = _mm256_set1_pd(1.0);
    for (; i + 4 <= i1; i += 4) {
      const __m256d s = load4_pd(y + i);
      store4_pd(gp + i, _mm256_mul_pd(_mm256_mul_pd(load4_pd(g + i), s), _mm256_sub_pd(one, s)));
    }
  }
  act_backward_generic(act, g, y, nullptr, gp, i, i1);
}
#endif

// ----- column sums -----

void sum_rows_generic(const float* x, int64_t rows, int64_t cols, float* out, int64_t c0, int64_t c1) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t j = c0; j < c1; j++) out[j] += xr[j];
  }
}

#if MG_HAVE_AVX2_PATH
// Column blocks held in registers over chunks of rows; each column still adds its rows in order.
MG_AVX2X void sum_rows_avx2(const float* x, int64_t rows, int64_t cols, float* out, int64_t c0, int64_t c1) {
  constexpr int64_t kRowChunk = 256;
  for (int64_t r0 = 0; r0 < rows; r0 += kRowChunk) {
    const int64_t r1 = std::min(rows, r0 + kRowChunk);
    int64_t j = c0;
    for (; j + 32 <= c1; j += 32) {
      __m256 a0 = _mm256_loadu_ps(out + j);
      __m256 a1 = _mm256_loadu_ps(out + j + 8);
      __m256 a2 = _mm256_loadu_ps(out + j + 16);
      __m256 a3 = _mm256_loadu_ps(out + j + 24);
      const float* p = x + r0 * cols + j;
      for (int64_t r = r0; r < r1; r++, p += cols) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + 24));
      }
      _mm256_storeu_ps(out + j, a0);
      _mm256_storeu_ps(out + j + 8, a1);
      _mm256_storeu_ps(out + j + 16, a2);
      _mm256_storeu_ps(out + j + 24, a3);
    }
    for (; j + 8 <= c1; j += 8) {
      __m256 a0 = _mm256_loadu_ps(out + j);
      const float* p = x + r0 * cols + j;
      for (int64_t r = r0; r < r1; r++, p += cols) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p));
      _mm256_storeu_ps(out + j, a0);
    }
    for (; j < c1; j++) {
      float a = out[j];
      const float* p = x + r0 * cols + j;
      for (int64_t r = r0; r < r1; r++, p += cols) a += *p;
      out[j] = a;
    }
  }
}
#endif

// ----- column mean / variance -----

void mean_var_generic(const float* x, int64_t rows, int64_t cols, float* mean, float* var, double* s, int64_t c0,
                      int64_t c1) {
  const double n = static_cast<double>(rows);
  for (int64_t j = c0; j < c1; j++) s[j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t j = c0; j < c1; j++) s[j] += xr[j];
  }
  for (int64_t j = c0; j < c1; j++) mean[j] = static_cast<float>(s[j] / n);
  for (int64_t j = c0; j < c1; j++) s[j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t j = c0; j < c1; j++) {
      const double d = static_cast<double>(xr[j]) - static_cast<double>(mean[j]);
      s[j] += d * d;
    }
  }
  for (int64_t j = c0; j < c1; j++) var[j] = static_cast<float>(s[j] / n);
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void mean_var_avx2(const float* x, int64_t rows, int64_t cols, float* mean, float* var, double* s,
                            int64_t c0, int64_t c1) {
  const double n = static_cast<double>(rows);
  for (int64_t j = c0; j < c1; j++) s[j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    int64_t j = c0;
    for (; j + 8 <= c1; j += 8) {
      const __m256 v = _mm256_loadu_ps(xr + j);
      _mm256_storeu_pd(s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), lo_pd(v)));
      _mm256_storeu_pd(s + j + 4, _mm256_add_pd(_mm256_loadu_pd(s + j + 4), hi_pd(v)));
    }
    for (; j < c1; j++) s[j] += xr[j];
  }
  for (int64_t j = c0; j < c1; j++) mean[j] = static_cast<float>(s[j] / n);
  for (int64_t j = c0; j < c1; j++) s[j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    int64_t j = c0;
    for (; j + 8 <= c1; j += 8) {
      const __m256 v = _mm256_loadu_ps(xr + j);
      const __m256 mu = _mm256_loadu_ps(mean + j);
      const __m256d d0 = _mm256_sub_pd(lo_pd(v), lo_pd(mu));
      const __m256d d1 = _mm256_sub_pd(hi_pd(v), hi_pd(mu));
      _mm256_storeu_pd(s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), _mm256_mul_pd(d0, d0)));
      _mm256_storeu_pd(s + j + 4, _mm256_add_pd(_mm256_loadu_pd(s + j + 4), _mm256_mul_pd(d1, d1)));
    }
    for (; j < c1; j++) {
      const double d = static_cast<double>(xr[j]) - static_cast<double>(mean[j]);
      s[j] += d * d;
    }
  }
  for (int64_t j = c0; j < c1; j++) var[j] = static_cast<float>(s[j] / n);
}
#endif

// ----- scale/shift rows -----

void scale_shift_generic(const float* x, int64_t cols, const float* scale, const float* shift, float* y, int64_t r0,
                         int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (int64_t j = 0; j < cols; j++) {
      yr[j] = static_cast<float>(static_cast<double>(xr[j]) * static_cast<double>(scale[j]) +
                                 static_cast<double>(shift[j]));
    }
  }
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void scale_shift_avx2(const float* x, int64_t cols, const float* scale, const float* shift, float* y,
                               int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    int64_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      const __m256 v = _mm256_loadu_ps(xr + j);
      const __m256 sc = _mm256_loadu_ps(scale + j);
      const __m256 sh = _mm256_loadu_ps(shift + j);
      const __m256d a = _mm256_add_pd(_mm256_mul_pd(lo_pd(v), lo_pd(sc)), lo_pd(sh));
      const __m256d b = _mm256_add_pd(_mm256_mul_pd(hi_pd(v), hi_pd(sc)), hi_pd(sh));
      _mm256_storeu_ps(yr + j, join_ps(a, b));
    }
    for (; j < cols; j++) {
      yr[j] = static_cast<float>(static_cast<double>(xr[j]) * static_cast<double>(scale[j]) +
                                 static_cast<double>(shift[j]));
    }
  }
}
#endif

// ----- batch-norm backward -----

struct BnArgs {
  const float* g;
  const float* x;
  int64_t rows;
  int64_t cols;
  const float* mean;
  const float* rstd;
  const float* scale;
  bool training;
  float* gx;
  double* sum_g;
  double* sum_gx;
};

// Columns [c0, c1), the JS loops' order restricted to those columns.
void bn_backward_generic(const BnArgs& a, int64_t c0, int64_t c1) {
  const int64_t cols = a.cols;
  const double n = static_cast<double>(a.rows);
  for (int64_t j = c0; j < c1; j++) a.sum_g[j] = 0;
  for (int64_t j = c0; j < c1; j++) a.sum_gx[j] = 0;
  for (int64_t r = 0; r < a.rows; r++) {
    const int64_t o = r * cols;
    for (int64_t j = c0; j < c1; j++) {
      const double gv = a.g[o + j];
      a.sum_g[j] += gv;
      a.sum_gx[j] += gv * (static_cast<double>(a.x[o + j]) - static_cast<double>(a.mean[j])) *
                     static_cast<double>(a.rstd[j]);
    }
  }
  if (!a.training) {
    for (int64_t r = 0; r < a.rows; r++) {
      const int64_t o = r * cols;
      for (int64_t j = c0; j < c1; j++) {
        a.gx[o + j] = static_cast<float>(static_cast<double>(a.gx[o + j]) +
                                         static_cast<double>(a.g[o + j]) * static_cast<double>(a.scale[j]));
      }
    }
    return;
  }
  for (int64_t r = 0; r < a.rows; r++) {
    const int64_t o = r * cols;
    for (int64_t j = c0; j < c1; j++) {
      const double xh = (static_cast<double>(a.x[o + j]) - static_cast<double>(a.mean[j])) *
                        static_cast<double>(a.rstd[j]);
      a.gx[o + j] = static_cast<float>(
          static_cast<double>(a.gx[o + j]) +
          static_cast<double>(a.scale[j]) *
              (static_cast<double>(a.g[o + j]) - a.sum_g[j] / n - (xh * a.sum_gx[j]) / n));
    }
  }
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void bn_backward_avx2(const BnArgs& a, int64_t c0, int64_t c1) {
  const int64_t cols = a.cols;
  const double n = static_cast<double>(a.rows);
  const __m256d nd = _mm256_set1_pd(n);
  for (int64_t j = c0; j < c1; j++) a.sum_g[j] = 0;
  for (int64_t j = c0; j < c1; j++) a.sum_gx[j] = 0;
  // Pass 1: per-column sums, rows in order (the sums stay in L1).
  for (int64_t r = 0; r < a.rows; r++) {
    const int64_t o = r * cols;
    int64_t j = c0;
    for (; j + 4 <= c1; j += 4) {
      const __m256d gv = load4_pd(a.g + o + j);
      const __m256d xh = _mm256_sub_pd(load4_pd(a.x + o + j), load4_pd(a.mean + j));
      _mm256_storeu_pd(a.sum_g + j, _mm256_add_pd(_mm256_loadu_pd(a.sum_g + j), gv));
      _mm256_storeu_pd(a.sum_gx + j, _mm256_add_pd(_mm256_loadu_pd(a.sum_gx + j),
                                                   _mm256_mul_pd(_mm256_mul_pd(gv, xh), load4_pd(a.rstd + j))));
    }
    for (; j < c1; j++) {
      const double gv = a.g[o + j];
      a.sum_g[j] += gv;
      a.sum_gx[j] += gv * (static_cast<double>(a.x[o + j]) - static_cast<double>(a.mean[j])) *
                     static_cast<double>(a.rstd[j]);
    }
  }
  // Pass 2: gx, row by row.
  for (int64_t r = 0; r < a.rows; r++) {
    const int64_t o = r * cols;
    int64_t j = c0;
    if (!a.training) {
      for (; j + 4 <= c1; j += 4) {
        store4_pd(a.gx + o + j,
                  _mm256_add_pd(load4_pd(a.gx + o + j), _mm256_mul_pd(load4_pd(a.g + o + j), load4_pd(a.scale + j))));
      }
      for (; j < c1; j++) {
        a.gx[o + j] = static_cast<float>(static_cast<double>(a.gx[o + j]) +
                                         static_cast<double>(a.g[o + j]) * static_cast<double>(a.scale[j]));
      }
      continue;
    }
    for (; j + 4 <= c1; j += 4) {
      const __m256d xh =
          _mm256_mul_pd(_mm256_sub_pd(load4_pd(a.x + o + j), load4_pd(a.mean + j)), load4_pd(a.rstd + j));
      // (g - sumG/n) - (xh·sumGX)/n, divisions as in JS (a reciprocal would round differently).
      const __m256d t = _mm256_sub_pd(_mm256_sub_pd(load4_pd(a.g + o + j), _mm256_div_pd(_mm256_loadu_pd(a.sum_g + j), nd)),
                                      _mm256_div_pd(_mm256_mul_pd(xh, _mm256_loadu_pd(a.sum_gx + j)), nd));
      store4_pd(a.gx + o + j, _mm256_add_pd(load4_pd(a.gx + o + j), _mm256_mul_pd(load4_pd(a.scale + j), t)));
    }
    for (; j < c1; j++) {
      const double xh = (static_cast<double>(a.x[o + j]) - static_cast<double>(a.mean[j])) *
                        static_cast<double>(a.rstd[j]);
      a.gx[o + j] = static_cast<float>(
          static_cast<double>(a.gx[o + j]) +
          static_cast<double>(a.scale[j]) *
              (static_cast<double>(a.g[o + j]) - a.sum_g[j] / n - (xh * a.sum_gx[j]) / n));
    }
  }
}
#endif

// ----- dropout -----

inline uint32_t fmix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

inline uint32_t dropout_word(uint32_t seed_a, uint32_t seed_b, uint64_t k) {
  return fmix32(fmix32(static_cast<uint32_t>(k) * 0x9e3779b9u + seed_a) ^ seed_b);
}

struct DropArgs {
  const float* x;
  float* y;
  float* mask;
  int64_t n;
  int32_t keep_from;  // an element is kept when its 16 bits >= keep_from (65536: never)
  double scale;
  uint32_t seed_a;
  uint32_t seed_b;
};

// Pairs [p0, p1), plus the odd last element when p1 is the last pair; the JS loop's order per pair.
void dropout_generic(const DropArgs& a, int64_t p0, int64_t p1) {
  const float ms = static_cast<float>(a.scale);
  for (int64_t k = p0; k < p1; k++) {
    const int64_t i = 2 * k;
    const uint32_t r = dropout_word(a.seed_a, a.seed_b, static_cast<uint64_t>(k));
    const bool k0 = static_cast<int32_t>(r & 0xffff) >= a.keep_from;
    const bool k1 = static_cast<int32_t>(r >> 16) >= a.keep_from;
    a.mask[i] = k0 ? ms : 0.0f;
    a.mask[i + 1] = k1 ? ms : 0.0f;
    a.y[i] = static_cast<float>(static_cast<double>(a.x[i]) * (k0 ? a.scale : 0.0));
    a.y[i + 1] = static_cast<float>(static_cast<double>(a.x[i + 1]) * (k1 ? a.scale : 0.0));
  }
  if (p1 == a.n / 2 && (a.n & 1) != 0) {
    const int64_t i = a.n - 1;
    const uint32_t r = dropout_word(a.seed_a, a.seed_b, static_cast<uint64_t>(i >> 1));
    const bool k0 = static_cast<int32_t>(r & 0xffff) >= a.keep_from;
    a.mask[i] = k0 ? ms : 0.0f;
    a.y[i] = static_cast<float>(static_cast<double>(a.x[i]) * (k0 ? a.scale : 0.0));
  }
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X inline __m256i fmix32_avx2(__m256i x) {
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int32_t>(0x85ebca6bu)));
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 13));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int32_t>(0xc2b2ae35u)));
  return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}

// y (4 elements) = x · (keep ? scale : 0) in double; keep32 holds 4 32-bit all-ones/zero masks.
MG_AVX2X inline void dropout_y4(const float* x, float* y, __m128i keep32, __m256d scale) {
  const __m256d f = _mm256_and_pd(_mm256_castsi256_pd(_mm256_cvtepi32_epi64(keep32)), scale);
  store4_pd(y, _mm256_mul_pd(load4_pd(x), f));
}

MG_AVX2X void dropout_avx2(const DropArgs& a, int64_t p0, int64_t p1) {
  const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i golden = _mm256_set1_epi32(static_cast<int32_t>(0x9e3779b9u));
  const __m256i sa = _mm256_set1_epi32(static_cast<int32_t>(a.seed_a));
  const __m256i sb = _mm256_set1_epi32(static_cast<int32_t>(a.seed_b));
  const __m256i low = _mm256_set1_epi32(0xffff);
  const __m256i thr = _mm256_set1_epi32(a.keep_from - 1);  // bits >= keep_from  <=>  bits > keep_from - 1
  const __m256 ms = _mm256_set1_ps(static_cast<float>(a.scale));
  const __m256d sd = _mm256_set1_pd(a.scale);
  int64_t k = p0;
  for (; k + 8 <= p1; k += 8) {
    const __m256i kv = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(k))), step);
    __m256i h = fmix32_avx2(_mm256_add_epi32(_mm256_mullo_epi32(kv, golden), sa));
    h = fmix32_avx2(_mm256_xor_si256(h, sb));
    const __m256i keep_lo = _mm256_cmpgt_epi32(_mm256_and_si256(h, low), thr);
    const __m256i keep_hi = _mm256_cmpgt_epi32(_mm256_srli_epi32(h, 16), thr);
    // Interleave to element order (2k: low bits, 2k+1: high bits).
    const __m256i u0 = _mm256_unpacklo_epi32(keep_lo, keep_hi);  // pairs 0,1 | 4,5
    const __m256i u1 = _mm256_unpackhi_epi32(keep_lo, keep_hi);  // pairs 2,3 | 6,7
    const __m256i m0 = _mm256_permute2x128_si256(u0, u1, 0x20);  // pairs 0..3
    const __m256i m1 = _mm256_permute2x128_si256(u0, u1, 0x31);  // pairs 4..7
    const int64_t i = 2 * k;
    _mm256_storeu_ps(a.mask + i, _mm256_and_ps(_mm256_castsi256_ps(m0), ms));
    _mm256_storeu_ps(a.mask + i + 8, _mm256_and_ps(_mm256_castsi256_ps(m1), ms));
    dropout_y4(a.x + i, a.y + i, _mm256_castsi256_si128(m0), sd);
    dropout_y4(a.x + i + 4, a.y + i + 4, _mm256_extracti128_si256(m0, 1), sd);
    dropout_y4(a.x + i + 8, a.y + i + 8, _mm256_castsi256_si128(m1), sd);
    dropout_y4(a.x + i + 12, a.y + i + 12, _mm256_extracti128_si256(m1, 1), sd);
  }
  dropout_generic(a, k, p1);
}
#endif

// ----- Adam -----

struct AdamArgs {
  float* x;
  const float* g;
  float* m;
  float* v;
  double b1, b2, c1, c2, ns, bc2, eps;
};

// The JS loop, rounding for rounding (float64 operations, float32 results where JS applies fround).
void adam_generic(const AdamArgs& a, int64_t k0, int64_t k1) {
  for (int64_t k = k0; k < k1; k++) {
    const double gk = a.g[k];
    const float mk = static_cast<float>(static_cast<double>(static_cast<float>(a.m[k] * a.b1)) + a.c1 * gk);
    const float vk = static_cast<float>(static_cast<double>(static_cast<float>(a.v[k] * a.b2)) +
                                        static_cast<double>(static_cast<float>(a.c2 * gk)) * gk);
    a.m[k] = mk;
    a.v[k] = vk;
    const float sq = static_cast<float>(std::sqrt(static_cast<double>(vk)));
    const float den = static_cast<float>(static_cast<double>(static_cast<float>(sq / a.bc2)) + a.eps);
    const float upd = static_cast<float>(static_cast<double>(static_cast<float>(a.ns * mk)) / den);
    a.x[k] = static_cast<float>(static_cast<double>(a.x[k]) + upd);
  }
}

#if MG_HAVE_AVX2_PATH
// Needs b1, b2, c2, ns, bc2 and eps representable in float (single float ops then equal JS's rounded
// float64 ops); the two fused a + b·c expressions run in double lanes.
MG_AVX2X void adam_avx2(const AdamArgs& a, int64_t k0, int64_t k1) {
  const __m256 b1 = _mm256_set1_ps(static_cast<float>(a.b1));
  const __m256 b2 = _mm256_set1_ps(static_cast<float>(a.b2));
  const __m256 c2 = _mm256_set1_ps(static_cast<float>(a.c2));
  const __m256d c1 = _mm256_set1_pd(a.c1);
  const __m256 ns = _mm256_set1_ps(static_cast<float>(a.ns));
  const __m256 bc2 = _mm256_set1_ps(static_cast<float>(a.bc2));
  const __m256 eps = _mm256_set1_ps(static_cast<float>(a.eps));
  int64_t k = k0;
  for (; k + 8 <= k1; k += 8) {
    const __m256 g = _mm256_loadu_ps(a.g + k);
    const __m256d glo = lo_pd(g);
    const __m256d ghi = hi_pd(g);
    const __m256 mb = _mm256_mul_ps(_mm256_loadu_ps(a.m + k), b1);
    const __m256 mk = join_ps(_mm256_add_pd(lo_pd(mb), _mm256_mul_pd(c1, glo)),
                              _mm256_add_pd(hi_pd(mb), _mm256_mul_pd(c1, ghi)));
    const __m256 vb = _mm256_mul_ps(_mm256_loadu_ps(a.v + k), b2);
    const __m256 c2g = _mm256_mul_ps(c2, g);
    const __m256 vk = join_ps(_mm256_add_pd(lo_pd(vb), _mm256_mul_pd(lo_pd(c2g), glo)),
                              _mm256_add_pd(hi_pd(vb), _mm256_mul_pd(hi_pd(c2g), ghi)));
    _mm256_storeu_ps(a.m + k, mk);
    _mm256_storeu_ps(a.v + k, vk);
    const __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vk), bc2), eps);
    const __m256 upd = _mm256_div_ps(_mm256_mul_ps(ns, mk), den);
    _mm256_storeu_ps(a.x + k, _mm256_add_ps(_mm256_loadu_ps(a.x + k), upd));
  }
  adam_generic(a, k, k1);
}
#endif

bool is_float(double v) { return static_cast<double>(static_cast<float>(v)) == v; }

// ----- add -----

void mul_generic(const float* a, const float* b, float* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = a[i] * b[i];
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void mul_avx2(const float* a, const float* b, float* out, int64_t i0, int64_t i1) {
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  mul_generic(a, b, out, i, i1);
}
#endif

void add_generic(const float* a, const float* b, float* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = a[i] + b[i];
}

#if MG_HAVE_AVX2_PATH
MG_AVX2X void add_avx2(const float* a, const float* b, float* out, int64_t i0, int64_t i1) {
  int64_t i = i0;
  for (; i + 32 <= i1; i += 32) {
    const __m256 s0 = _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 s1 = _mm256_add_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    const __m256 s2 = _mm256_add_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    const __m256 s3 = _mm256_add_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    _mm256_storeu_ps(out + i, s0);
    _mm256_storeu_ps(out + i + 8, s1);
    _mm256_storeu_ps(out + i + 16, s2);
    _mm256_storeu_ps(out + i + 24, s3);
  }
  for (; i + 8 <= i1; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  add_generic(a, b, out, i, i1);
}
#endif

}  // namespace

void gather_scatter_add_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* src_index,
                             const int32_t* dst_index, int64_t n, float* out, int64_t out_len, int64_t out_rows) {
  if (n == 0 || cols == 0) return;
  // A null src_index reads source row i for pair i (plain scatter-add).
  auto src_row = [&](int64_t i) {
    return src + (src_index != nullptr ? static_cast<int64_t>(src_index[i]) : i) * cols;
  };
  // Aliasing source and output (views of one buffer) keep the reference's sequential element order.
  if (overlaps(src, src_len * 4, out, out_len * 4)) {
    for (int64_t i = 0; i < n; i++) {
      const float* s = src_row(i);
      float* o = out + static_cast<int64_t>(dst_index[i]) * cols;
      for (int64_t c = 0; c < cols; c++) o[c] += s[c];
    }
    return;
  }
  const AddRowFn add_row = add_row_fn();
  const int threads = threads_for(n * cols, kRowsPerThread);
  if (threads <= 1) {
    for (int64_t i = 0; i < n; i++) add_row(out + static_cast<int64_t>(dst_index[i]) * cols, src_row(i), cols);
    return;
  }
  // Each output element is owned by one thread, which adds its contributions in increasing i: wide rows
  // are split by columns, narrow ones by ranges of output rows.
  if (cols >= 64) {
    parallel_for(threads, [&](int t, int nth) {
      int64_t c0, c1;
      column_range(cols, t, nth, &c0, &c1);
      if (c1 <= c0) return;
      for (int64_t i = 0; i < n; i++) {
        add_row(out + static_cast<int64_t>(dst_index[i]) * cols + c0, src_row(i) + c0, c1 - c0);
      }
    });
  } else {
    parallel_for(threads, [&](int t, int nth) {
      const int64_t r0 = out_rows * t / nth;
      const int64_t r1 = out_rows * (t + 1) / nth;
      for (int64_t i = 0; i < n; i++) {
        const int64_t r = dst_index[i];
        if (r >= r0 && r < r1) add_row(out + r * cols, src_row(i), cols);
      }
    });
  }
}

void scatter_add_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* index, int64_t n,
                      float* out, int64_t out_len, int64_t out_rows) {
  gather_scatter_add_rows(src, src_len, cols, nullptr, index, n, out, out_len, out_rows);
}

void activation(int act, float* x, int64_t n) {
  if (n <= 0 || act == kActNone) return;
  if (act == kActRelu) {
#if MG_HAVE_AVX2_PATH
    if (use_avx2()) {
      for_chunks(n, kMemPerThread, 16, [&](int64_t i0, int64_t i1) { relu_avx2(x, i0, i1); });
      return;
    }
#endif
    for_chunks(n, kMemPerThread, 16, [&](int64_t i0, int64_t i1) { relu_generic(x, i0, i1); });
    return;
  }
  for_chunks(n, kTransPerThread, 16, [&](int64_t i0, int64_t i1) { act_forward_generic(act, x, i0, i1); });
}

void activation_backward(int act, const float* g, const float* y, const float* pre, float* g_pre, int64_t n) {
  if (n <= 0) return;
  if (act == kActNone) {
    if (g_pre != g) std::memmove(g_pre, g, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const bool gelu = act == kActGelu;
  const bool safe = same_or_disjoint(g_pre, g, n) && (gelu ? same_or_disjoint(g_pre, pre, n) : same_or_disjoint(g_pre, y, n));
  if (!safe) {
    act_backward_generic(act, g, y, pre, g_pre, 0, n);
    return;
  }
  const int64_t per_thread = act == kActRelu ? kMemPerThread : kTransPerThread;
#if MG_HAVE_AVX2_PATH
  if (use_avx2() && !gelu) {
    for_chunks(n, per_thread, 16, [&](int64_t i0, int64_t i1) { act_backward_avx2(act, g, y, g_pre, i0, i1); });
    return;
  }
#endif
  for_chunks(n, per_thread, 16, [&](int64_t i0, int64_t i1) { act_backward_generic(act, g, y, pre, g_pre, i0, i1); });
}

void sum_rows(const float* x, int64_t rows, int64_t cols, float* out) {
  if (rows == 0 || cols == 0) return;
  if (overlaps(x, rows * cols * 4, out, cols * 4)) {
    sum_rows_generic(x, rows, cols, out, 0, cols);
    return;
  }
#if MG_HAVE_AVX2_PATH
  if (use_avx2()) {
    for_columns(rows, cols, [&](int64_t c0, int64_t c1) { sum_rows_avx2(x, rows, cols, out, c0, c1); });
    return;
  }
#endif
  for_columns(rows, cols, [&](int64_t c0, int64_t c1) { sum_rows_generic(x, rows, cols, out, c0, c1); });
}

bool column_mean_var(const float* x, int64_t rows, int64_t cols, float* mean, float* variance) {
  if (cols == 0) return true;
  if (rows == 0) {
    std::fill(mean, mean + cols, 0.0f);
    std::fill(variance, variance + cols, 0.0f);
    return true;
  }
  thread_local AlignedBuffer scratch;
  float* buf = scratch.get(static_cast<size_t>(cols) * 2);
  if (buf == nullptr) return false;
  double* s = reinterpret_cast<double*>(buf);
  const int64_t xb = rows * cols * 4;
  if (overlaps(x, xb, mean, cols * 4) || overlaps(x, xb, variance, cols * 4) ||
      overlaps(mean, cols * 4, variance, cols * 4)) {
    mean_var_generic(x, rows, cols, mean, variance, s, 0, cols);
    return true;
  }
#if MG_HAVE_AVX2_PATH
  if (use_avx2()) {
    for_columns(rows, cols, [&](int64_t c0, int64_t c1) { mean_var_avx2(x, rows, cols, mean, variance, s, c0, c1); });
    return true;
  }
#endif
  for_columns(rows, cols, [&](int64_t c0, int64_t c1) { mean_var_generic(x, rows, cols, mean, variance, s, c0, c1); });
  return true;
}

void scale_shift_rows(const float* x, int64_t rows, int64_t cols, const float* scale, const float* shift, float* y) {
  if (rows == 0 || cols == 0) return;
  const int64_t total = rows * cols;
  if (!same_or_disjoint(x, y, total) || overlaps(y, total * 4, scale, cols * 4) ||
      overlaps(y, total * 4, shift, cols * 4)) {
    scale_shift_generic(x, cols, scale, shift, y, 0, rows);
    return;
  }
  auto run = [&](auto&& body) {
    const int threads = static_cast<int>(std::min<int64_t>(threads_for(total, kMemPerThread), rows));
    if (threads <= 1) {
      body(int64_t{0}, rows);
      return;
    }
    parallel_for(threads, [&](int t, int nth) { body(rows * t / nth, rows * (t + 1) / nth); });
  };
#if MG_HAVE_AVX2_PATH
  if (use_avx2()) {
    run([&](int64_t r0, int64_t r1) { scale_shift_avx2(x, cols, scale, shift, y, r0, r1); });
    return;
  }
#endif
  run([&](int64_t r0, int64_t r1) { scale_shift_generic(x, cols, scale, shift, y, r0, r1); });
}

void batch_norm_backward(const float* g, const float* x, int64_t rows, int64_t cols, const float* mean,
                         const float* rstd, const float* scale, bool training, float* gx, double* sum_g,
                         double* sum_gx) {
  if (cols == 0) return;
  const BnArgs a{g, x, rows, cols, mean, rstd, scale, training, gx, sum_g, sum_gx};
  const int64_t tb = rows * cols * 4;
  const int64_t cb = cols * 4;
  const int64_t db = cols * 8;
  const bool alias = overlaps(gx, tb, g, tb) || overlaps(gx, tb, x, tb) || overlaps(gx, tb, mean, cb) ||
                     overlaps(gx, tb, rstd, cb) || overlaps(gx, tb, scale, cb) || overlaps(sum_g, db, sum_gx, db) ||
                     overlaps(sum_g, db, g, tb) || overlaps(sum_g, db, x, tb) || overlaps(sum_g, db, gx, tb) ||
                     overlaps(sum_gx, db, g, tb) || overlaps(sum_gx, db, x, tb) || overlaps(sum_gx, db, gx, tb) ||
                     overlaps(sum_g, db, mean, cb) || overlaps(sum_g, db, rstd, cb) ||
                     overlaps(sum_g, db, scale, cb) || overlaps(sum_gx, db, mean, cb) ||
                     overlaps(sum_gx, db, rstd, cb) || overlaps(sum_gx, db, scale, cb);
  if (alias) {
    bn_backward_generic(a, 0, cols);
    return;
  }
#if MG_HAVE_AVX2_PATH
  if (use_avx2()) {
    for_columns(rows, cols, [&](int64_t c0, int64_t c1) { bn_backward_avx2(a, c0, c1); });
    return;
  }
#endif
  for_columns(rows, cols, [&](int64_t c0, int64_t c1) { bn_backward_generic(a, c0, c1); });
}

void dropout(const float* x, float* y, float* mask, int64_t n, double threshold16, double scale, uint32_t seed_a,
             uint32_t seed_b) {
  if (n <= 0) return;
  // (bits >= threshold16) for 16-bit integers, as an integer threshold (NaN never keeps).
  int32_t keep_from;
  if (std::isnan(threshold16) || threshold16 > 65535) keep_from = 65536;
  else if (threshold16 <= 0) keep_from = 0;
  else keep_from = static_cast<int32_t>(std::ceil(threshold16));
  const DropArgs a{x, y, mask, n, keep_from, scale, seed_a, seed_b};
  const int64_t pairs = n / 2;
  if (!same_or_disjoint(x, y, n) || overlaps(mask, n * 4, x, n * 4) || overlaps(mask, n * 4, y, n * 4)) {
    dropout_generic(a, 0, pairs);
    return;
  }
  if (pairs == 0) {
    dropout_generic(a, 0, 0);
    return;
  }
#if MG_HAVE_AVX2_PATH
  if (use_avx2()) {
    for_chunks(pairs, kMemPerThread / 2, 8, [&](int64_t p0, int64_t p1) { dropout_avx2(a, p0, p1); });
    return;
  }
#endif
  for_chunks(pairs, kMemPerThread / 2, 8, [&](int64_t p0, int64_t p1) { dropout_generic(a, p0, p1); });
}

void adam_step(float* x, const float* g, float* m, float* v, int64_t n, double b1, double b2, double c1, double c2,
               double neg_step_size, double bc2_sqrt, double eps) {
  if (n <= 0) return;
  const AdamArgs a{x, g, m, v, b1, b2, c1, c2, neg_step_size, bc2_sqrt, eps};
  const int64_t b = n * 4;
  if (overlaps(x, b, g, b) || overlaps(x, b, m, b) || overlaps(x, b, v, b) || overlaps(g, b, m, b) ||
      overlaps(g, b, v, b) || overlaps(m, b, v, b)) {
    adam_generic(a, 0, n);
    return;
  }
#if MG_HAVE_AVX2_PATH
  if (use_avx2() && is_float(b1) && is_float(b2) && is_float(c2) && is_float(neg_step_size) && is_float(bc2_sqrt) &&
      is_float(eps)) {
    for_chunks(n, kAdamPerThread, 16, [&](int64_t k0, int64_t k1) { adam_avx2(a, k0, k1); });
    return;
  }
#endif
  for_chunks(n, kAdamPerThread, 16, [&](int64_t k0, int64_t k1) { adam_generic(a, k0, k1); });
}

namespace {

using BinaryRangeFn = void (*)(const float*, const float*, float*, int64_t, int64_t);

// out = a (op) b elementwise: the sequential generic loop (the JS order) when out partially overlaps an
// input, else chunks over the pool with the AVX2 variant where the CPU has it.
void binary_elementwise(const float* a, const float* b, float* out, int64_t n, BinaryRangeFn generic,
                        BinaryRangeFn avx2) {
  if (n <= 0) return;
  if (!same_or_disjoint(out, a, n) || !same_or_disjoint(out, b, n)) {
    generic(a, b, out, 0, n);
    return;
  }
  const BinaryRangeFn fn = avx2 != nullptr && use_avx2() ? avx2 : generic;
  for_chunks(n, kMemPerThread, 16, [&](int64_t i0, int64_t i1) { fn(a, b, out, i0, i1); });
}

#if MG_HAVE_AVX2_PATH
constexpr BinaryRangeFn kAddAvx2 = add_avx2;
constexpr BinaryRangeFn kMulAvx2 = mul_avx2;
#else
constexpr BinaryRangeFn kAddAvx2 = nullptr;
constexpr BinaryRangeFn kMulAvx2 = nullptr;
#endif

}  // namespace

void add(const float* a, const float* b, float* out, int64_t n) {
  binary_elementwise(a, b, out, n, add_generic, kAddAvx2);
}

void mul(const float* a, const float* b, float* out, int64_t n) {
  binary_elementwise(a, b, out, n, mul_generic, kMulAvx2);
}

void accumulate(float* dst, const float* src, int64_t n) {
  if (n <= 0) return;
  if (!same_or_disjoint(dst, src, n)) {
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
    return;
  }
  const AddRowFn add_row = add_row_fn();
  for_chunks(n, kMemPerThread, 16, [&](int64_t i0, int64_t i1) { add_row(dst + i0, src + i0, i1 - i0); });
}

}  // namespace mg
