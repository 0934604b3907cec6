// GEMM driver (blocking loops, thread partitioning) and the portable generic architecture.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common.h"
#include "thread_pool.h"

namespace mg {

bool cpu_has_avx2_fma() {
#if MG_HAVE_AVX2_PATH
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return ok;
#else
  return false;
#endif
}

namespace {
std::atomic<int> g_simd{[] {
  const char* env = std::getenv("MOLGROVE_NATIVE_SIMD");
  const bool force_generic = env != nullptr && std::strcmp(env, "generic") == 0;
  return static_cast<int>(cpu_has_avx2_fma() && !force_generic ? Simd::kAvx2 : Simd::kGeneric);
}()};
}  // namespace

Simd simd_level() { return static_cast<Simd>(g_simd.load(std::memory_order_relaxed)); }

bool set_simd_level(Simd level) {
  if (level == Simd::kAvx2 && !cpu_has_avx2_fma()) return false;
  g_simd.store(static_cast<int>(level), std::memory_order_relaxed);
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Generic architecture: plain C++ that the compiler auto-vectorizes for the baseline ISA.

namespace {

constexpr int kGenMR = 4;
constexpr int kGenNR = 8;

void generic_pack_a(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* ap) {
  for (int64_t i0 = 0; i0 < mc; i0 += kGenMR) {
    const int64_t mr = std::min<int64_t>(kGenMR, mc - i0);
    for (int64_t p = 0; p < kc; p++) {
      for (int64_t i = 0; i < kGenMR; i++) {
        float v = 0.0f;
        if (i < mr) v = trans ? a[p * lda + i0 + i] : a[(i0 + i) * lda + p];
        ap[p * kGenMR + i] = v;
      }
    }
    ap += kGenMR * kc;
  }
}

void generic_pack_b(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += kGenNR) {
    const int64_t nr = std::min<int64_t>(kGenNR, nc - j0);
    for (int64_t p = 0; p < kc; p++) {
      for (int64_t j = 0; j < kGenNR; j++) {
        float v = 0.0f;
        if (j < nr) v = trans ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
        bp[p * kGenNR + j] = v;
      }
    }
    bp += kGenNR * kc;
  }
}

void generic_ukernel(int64_t kc, const float* MG_RESTRICT ap, const float* MG_RESTRICT bp, float* c,
                     int64_t ldc, float alpha, float beta, int64_t mr, int64_t nr) {
  float acc[kGenMR][kGenNR] = {};
  for (int64_t p = 0; p < kc; p++) {
    const float* a = ap + p * kGenMR;
    const float* b = bp + p * kGenNR;
    for (int i = 0; i < kGenMR; i++) {
      for (int j = 0; j < kGenNR; j++) acc[i][j] += a[i] * b[j];
    }
  }
  for (int64_t i = 0; i < mr; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < nr; j++) ci[j] = alpha * acc[i][j];
    } else if (beta == 1.0f) {
      for (int64_t j = 0; j < nr; j++) ci[j] = alpha * acc[i][j] + ci[j];
    } else {
      for (int64_t j = 0; j < nr; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

void generic_macro(int64_t mc, int64_t nc, int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                   float alpha, float beta) {
  for (int64_t j = 0; j < nc; j += kGenNR) {
    const int64_t nr = std::min<int64_t>(kGenNR, nc - j);
    for (int64_t i = 0; i < mc; i += kGenMR) {
      const int64_t mr = std::min<int64_t>(kGenMR, mc - i);
      generic_ukernel(kc, ap + i * kc, bp + j * kc, c + i * ldc + j, ldc, alpha, beta, mr, nr);
    }
  }
}

GemmArch g_generic = {"generic", kGenMR, kGenNR, 128, 256, 2048, generic_pack_a, generic_pack_b, generic_macro};

GemmArch& mutable_arch() {
#if MG_HAVE_AVX2_PATH
  static GemmArch avx2 = gemm_arch_avx2();
  if (simd_level() == Simd::kAvx2) return avx2;
#endif
  return g_generic;
}

}  // namespace

const GemmArch& gemm_arch_generic() { return g_generic; }

const GemmArch& gemm_arch() { return mutable_arch(); }

void gemm_set_blocking(int mc, int kc, int nc) {
  GemmArch& arch = mutable_arch();
  if (mc > 0) arch.mc = std::max(arch.mr, mc / arch.mr * arch.mr);
  if (kc > 0) arch.kc = kc;
  if (nc > 0) arch.nc = std::max(arch.nr, nc / arch.nr * arch.nr);
}

// ---------------------------------------------------------------------------------------------------
// Driver.

namespace {

// Below this many flops a GEMM runs on the calling thread only: waking workers costs more than it saves.
constexpr double kParallelMinFlops = 0.6e6;
// Each extra thread should get at least this much work.
constexpr double kMinFlopsPerThread = 0.3e6;

struct Problem {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha, beta;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
};

thread_local AlignedBuffer t_pack_a;
thread_local AlignedBuffer t_pack_b;

// Depth of each k block: k split into equal blocks of at most arch.kc. Depends only on k, so every
// thread partition sums each C element in the same order.
int64_t k_block(const GemmArch& arch, int64_t k) {
  const int64_t nb = (k + arch.kc - 1) / arch.kc;
  return (k + nb - 1) / nb;
}

// Which block of op(B) the calling thread's packing buffer holds, so consecutive tiles in the same
// column range (and a single k block) skip repacking it.
struct PackedB {
  int64_t j = -1, pc = -1, nc = -1;
};

// Computes C[i0:i1, j0:j1] on the calling thread (loops jc -> pc -> ic, as in BLIS). i0 is a multiple
// of mr and j0 a multiple of nr, so micro-tiles line up with the global grid whatever the tiling, and
// the k blocks are global too: the tiling never changes any element's arithmetic.
void gemm_tile(const GemmArch& arch, const Problem& pr, int64_t i0, int64_t i1, int64_t j0, int64_t j1, float* ap,
               float* bp, PackedB* cached) {
  const int64_t mt = i1 - i0;
  const int64_t nt = j1 - j0;
  const int64_t kcb = k_block(arch, pr.k);
  for (int64_t jc = 0; jc < nt; jc += arch.nc) {
    const int64_t nc = std::min<int64_t>(arch.nc, nt - jc);
    const int64_t j = j0 + jc;
    for (int64_t pc = 0; pc < pr.k; pc += kcb) {
      const int64_t kc = std::min<int64_t>(kcb, pr.k - pc);
      if (cached->j != j || cached->pc != pc || cached->nc != nc) {
        const float* bsrc = pr.trans_b ? pr.b + j * pr.ldb + pc : pr.b + pc * pr.ldb + j;
        arch.pack_b(pr.trans_b, kc, nc, bsrc, pr.ldb, bp);
        *cached = {j, pc, nc};
      }
      const float beta = pc == 0 ? pr.beta : 1.0f;
      for (int64_t ic = 0; ic < mt; ic += arch.mc) {
        const int64_t mc = std::min<int64_t>(arch.mc, mt - ic);
        const int64_t i = i0 + ic;
        const float* asrc = pr.trans_a ? pr.a + pc * pr.lda + i : pr.a + i * pr.lda + pc;
        arch.pack_a(pr.trans_a, mc, kc, asrc, pr.lda, ap);
        arch.macro(mc, nc, kc, ap, bp, pr.c + i * pr.ldc + j, pr.ldc, pr.alpha, beta);
      }
    }
  }
}

// C is cut into tiles_m x tiles_n tiles (tile_m rows, tile_n columns; multiples of mr / nr) that threads
// claim one at a time, in column-range-major order so a thread's packed B stays valid across tiles.
struct Grid {
  int64_t tile_m, tile_n, tiles_m, tiles_n;
};

// Picks the tiling for `threads` threads minimising an estimate of the time per thread: multiply-adds,
// packing (each tile packs its rows of A; B is repacked per tile unless k fits one block) and the
// expected tail imbalance of dynamic claiming. Never splits k.
Grid choose_grid(const GemmArch& arch, int64_t m, int64_t n, int64_t k, int threads) {
  const int64_t pm = (m + arch.mr - 1) / arch.mr;
  const int64_t pn = (n + arch.nr - 1) / arch.nr;
  if (threads <= 1) return {pm * arch.mr, pn * arch.nr, 1, 1};
  static constexpr int kCounts[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
  const bool one_k_block = k <= arch.kc;
  // Cost of packing one element relative to one multiply-add. With several k blocks every tile streams
  // its slices of A and B from memory again for each block, which measures far costlier.
  const double kPack = one_k_block ? 4.0 : 16.0;
  Grid best{pm * arch.mr, pn * arch.nr, 1, 1};
  double best_cost = -1;
  for (int tm : kCounts) {
    if (tm > pm) break;
    const int64_t tile_m = (pm + tm - 1) / tm * arch.mr;
    const int64_t tiles_m = (m + tile_m - 1) / tile_m;
    // Thin tiles would stream all of packed B through L1 for a handful of A rows.
    if (tm > 1 && tile_m < 8 * arch.mr) break;
    for (int tn : kCounts) {
      if (tn > pn) break;
      const int64_t tile_n = (pn + tn - 1) / tn * arch.nr;
      const int64_t tiles_n = (n + tile_n - 1) / tile_n;
      if (tn > 1 && tile_n < 4 * arch.nr) break;
      const int64_t tiles = tiles_m * tiles_n;
      if (tiles < threads) continue;
      const double fma = static_cast<double>(pm * arch.mr) * static_cast<double>(pn * arch.nr) * k;
      const double pack_a = static_cast<double>(tiles_n) * m * k;
      const double b_copies = one_k_block ? std::min<double>(tiles_m, threads) : static_cast<double>(tiles_m);
      const double pack_b = b_copies * n * k;
      const double tile_fma = static_cast<double>(tile_m) * tile_n * k;
      // Dynamic claiming leaves a tail of about half a tile, much less when the tiles split evenly.
      const double tail = (tiles % threads == 0 ? 0.1 : 0.5) * tile_fma;
      const double cost = (fma + kPack * (pack_a + pack_b)) / threads + tail;
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = {tile_m, tile_n, tiles_m, tiles_n};
      }
    }
  }
  return best;
}

void scale_c(float* c, int64_t m, int64_t n, int64_t ldc, float beta) {
  for (int64_t i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      std::memset(ci, 0, static_cast<size_t>(n) * sizeof(float));
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < n; j++) ci[j] *= beta;
    }
  }
}

}  // namespace

bool sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return true;
  if (k <= 0) {
    scale_c(c, m, n, ldc, beta);
    return true;
  }
  const GemmArch& arch = gemm_arch();
  const Problem pr{trans_a, trans_b, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc};
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  int threads = get_num_threads();
  if (flops < kParallelMinFlops) threads = 1;
  threads = static_cast<int>(std::min<double>(threads, std::max(1.0, std::floor(flops / kMinFlopsPerThread))));
  const Grid g = choose_grid(arch, m, n, k, threads);
  const int64_t kcb = k_block(arch, k);
  const size_t a_size = static_cast<size_t>(std::min<int64_t>(arch.mc, g.tile_m) * kcb);
  const size_t b_size = static_cast<size_t>(std::min<int64_t>(arch.nc, g.tile_n) * kcb);
  const int64_t tiles = g.tiles_m * g.tiles_n;
  // Tiles are claimed from a shared counter: a thread that starts late (busy machine) simply takes fewer.
  std::atomic<int64_t> next{0};
  auto work = [&]() -> bool {
    float* ap = t_pack_a.get(a_size);
    float* bp = t_pack_b.get(b_size);
    if (ap == nullptr || bp == nullptr) return false;
    PackedB cached;
    for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < tiles;) {
      const int64_t i0 = (t % g.tiles_m) * g.tile_m;
      const int64_t j0 = (t / g.tiles_m) * g.tile_n;
      gemm_tile(arch, pr, i0, std::min(m, i0 + g.tile_m), j0, std::min(n, j0 + g.tile_n), ap, bp, &cached);
    }
    return true;
  };
  if (threads <= 1 || tiles <= 1) return work();
  std::atomic<bool> failed{false};
  parallel_for(threads, [&](int, int) {
    if (!work()) failed.store(true);
  });
  // A thread that could not allocate its buffers claimed no tile; whatever is left is finished here.
  return !failed.load() || work();
}

}  // namespace mg
