#include "rows.h"

#include <algorithm>
#include <cstring>

#include "common.h"
#include "thread_pool.h"

#if MG_HAVE_AVX2_PATH
#include <immintrin.h>
#endif

namespace mg {
namespace {

// Index kernels are memory-bound: only large ones are split, and each thread gets a good share.
constexpr int64_t kParallelMinElems = int64_t{1} << 16;

int threads_for(int64_t elems) {
  if (elems < kParallelMinElems) return 1;
  return static_cast<int>(std::min<int64_t>(get_num_threads(), elems / (kParallelMinElems / 2)));
}

// ----- row add: d[j] += s[j] -----

void add_row_generic(float* d, const float* s, int64_t n) {
  for (int64_t j = 0; j < n; j++) d[j] += s[j];
}

#if MG_HAVE_AVX2_PATH
MG_AVX2 void add_row_avx2(float* d, const float* s, int64_t n) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    const __m256 a0 = _mm256_add_ps(_mm256_loadu_ps(d + j), _mm256_loadu_ps(s + j));
    const __m256 a1 = _mm256_add_ps(_mm256_loadu_ps(d + j + 8), _mm256_loadu_ps(s + j + 8));
    const __m256 a2 = _mm256_add_ps(_mm256_loadu_ps(d + j + 16), _mm256_loadu_ps(s + j + 16));
    const __m256 a3 = _mm256_add_ps(_mm256_loadu_ps(d + j + 24), _mm256_loadu_ps(s + j + 24));
    _mm256_storeu_ps(d + j, a0);
    _mm256_storeu_ps(d + j + 8, a1);
    _mm256_storeu_ps(d + j + 16, a2);
    _mm256_storeu_ps(d + j + 24, a3);
  }
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(d + j, _mm256_add_ps(_mm256_loadu_ps(d + j), _mm256_loadu_ps(s + j)));
  for (; j < n; j++) d[j] += s[j];
}
#endif

}  // namespace

AddRowFn add_row_fn() {
#if MG_HAVE_AVX2_PATH
  if (simd_level() == Simd::kAvx2) return add_row_avx2;
#endif
  return add_row_generic;
}

namespace {

// ----- segment max row update over columns [0, n) -----

void segmax_row_generic(float* o, int32_t* am, const float* s, int64_t n, int32_t row) {
  for (int64_t c = 0; c < n; c++) {
    const float v = s[c];
    if (am[c] == -1 || v > o[c]) {
      o[c] = v;
      am[c] = row;
    }
  }
}

#if MG_HAVE_AVX2_PATH
MG_AVX2 void segmax_row_avx2(float* o, int32_t* am, const float* s, int64_t n, int32_t row) {
  const __m256i vrow = _mm256_set1_epi32(row);
  const __m256i none = _mm256_set1_epi32(-1);
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256 v = _mm256_loadu_ps(s + c);
    const __m256 ov = _mm256_loadu_ps(o + c);
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(am + c));
    // Ordered greater-than: false when either side is NaN, like `v > o` in C and JS.
    const __m256 take =
        _mm256_or_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(av, none)), _mm256_cmp_ps(v, ov, _CMP_GT_OQ));
    _mm256_storeu_ps(o + c, _mm256_blendv_ps(ov, v, take));
    const __m256 na = _mm256_blendv_ps(_mm256_castsi256_ps(av), _mm256_castsi256_ps(vrow), take);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(am + c), _mm256_castps_si256(na));
  }
  segmax_row_generic(o + c, am + c, s + c, n - c, row);
}
#endif

using SegmaxRowFn = void (*)(float*, int32_t*, const float*, int64_t, int32_t);

SegmaxRowFn segmax_row_fn() {
#if MG_HAVE_AVX2_PATH
  if (simd_level() == Simd::kAvx2) return segmax_row_avx2;
#endif
  return segmax_row_generic;
}

}  // namespace

bool overlaps(const void* a, int64_t abytes, const void* b, int64_t bbytes) {
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  return abytes > 0 && bbytes > 0 && pa < pb + bbytes && pb < pa + abytes;
}

void column_range(int64_t cols, int t, int nth, int64_t* c0, int64_t* c1) {
  const int64_t lines = (cols + 15) / 16;
  *c0 = std::min(cols, lines * t / nth * 16);
  *c1 = std::min(cols, lines * (t + 1) / nth * 16);
}

void gather_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* index, int64_t n, float* out,
                 int64_t out_len, bool accumulate) {
  if (n == 0 || cols == 0) return;
  const int64_t total = n * cols;
  // Aliasing inputs (views of one buffer) keep the reference's sequential element order.
  if (overlaps(src, src_len * 4, out, out_len * 4)) {
    for (int64_t i = 0; i < n; i++) {
      const float* s = src + static_cast<int64_t>(index[i]) * cols;
      float* o = out + i * cols;
      for (int64_t c = 0; c < cols; c++) o[c] = accumulate ? o[c] + s[c] : s[c];
    }
    return;
  }
  const AddRowFn add = add_row_fn();
  auto body = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float* s = src + static_cast<int64_t>(index[i]) * cols;
      float* o = out + i * cols;
      if (accumulate) {
        add(o, s, cols);
      } else {
        std::memcpy(o, s, static_cast<size_t>(cols) * sizeof(float));
      }
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(threads_for(total), n));
  if (threads <= 1) {
    body(0, n);
    return;
  }
  parallel_for(threads, [&](int t, int nth) { body(n * t / nth, n * (t + 1) / nth); });
}

void segment_max_rows(const float* src, int64_t cols, const int32_t* index, int64_t n, int64_t num_segments,
                      float* out, int32_t* argmax) {
  const int64_t seg_elems = num_segments * cols;
  if (seg_elems == 0) return;
  const bool alias =
      overlaps(src, n * cols * 4, out, seg_elems * 4) || overlaps(src, n * cols * 4, argmax, seg_elems * 4) ||
      overlaps(out, seg_elems * 4, argmax, seg_elems * 4);
  if (alias) {
    for (int64_t e = 0; e < seg_elems; e++) argmax[e] = -1;
    for (int64_t e = 0; e < seg_elems; e++) out[e] = 0.0f;
    for (int64_t i = 0; i < n; i++) {
      const int64_t o = static_cast<int64_t>(index[i]) * cols;
      segmax_row_generic(out + o, argmax + o, src + i * cols, cols, static_cast<int32_t>(i));
    }
    return;
  }
  const SegmaxRowFn update = segmax_row_fn();
  // Columns [c0, c1) of segments [s0, s1): initialise, then visit rows in order.
  auto body = [&](int64_t c0, int64_t c1, int64_t s0, int64_t s1) {
    const int64_t w = c1 - c0;
    for (int64_t s = s0; s < s1; s++) {
      std::fill(argmax + s * cols + c0, argmax + s * cols + c1, -1);
      std::fill(out + s * cols + c0, out + s * cols + c1, 0.0f);
    }
    for (int64_t i = 0; i < n; i++) {
      const int64_t s = index[i];
      if (s < s0 || s >= s1) continue;
      update(out + s * cols + c0, argmax + s * cols + c0, src + i * cols + c0, w, static_cast<int32_t>(i));
    }
  };
  const int threads = threads_for(std::max(n * cols, seg_elems));
  if (threads <= 1) {
    body(0, cols, 0, num_segments);
  } else if (cols >= 64) {
    parallel_for(threads, [&](int t, int nth) {
      int64_t c0, c1;
      column_range(cols, t, nth, &c0, &c1);
      if (c1 > c0) body(c0, c1, 0, num_segments);
    });
  } else {
    parallel_for(threads, [&](int t, int nth) {
      body(0, cols, num_segments * t / nth, num_segments * (t + 1) / nth);
    });
  }
}

}  // namespace mg
