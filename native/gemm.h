// Cache-blocked single-precision GEMM in the BLIS style: op(A) is packed into MR-row panels and op(B)
// into NR-column panels (transposes are absorbed by the packing routines), and a register-blocked
// micro-kernel computes MR x NR tiles of C.
#pragma once

#include <cstdint>

#include "common.h"

namespace mg {

// Packs rows [0, mc) x depth [0, kc) of op(A) into MR-row panels, zero-padding the last panel.
// `a` points at op(A)(0, 0) of the block; op(A)(i, p) = trans ? a[p * lda + i] : a[i * lda + p].
using PackAFn = void (*)(bool trans, int64_t mc, int64_t kc, const float* a, int64_t lda, float* ap);
// Packs depth [0, kc) x columns [0, nc) of op(B) into NR-column panels, zero-padding the last panel.
// op(B)(p, j) = trans ? b[j * ldb + p] : b[p * ldb + j].
using PackBFn = void (*)(bool trans, int64_t kc, int64_t nc, const float* b, int64_t ldb, float* bp);
// C[0:mc, 0:nc] = alpha * Ap * Bp + beta * C (beta == 0: C is not read), over packed panels.
using MacroFn = void (*)(int64_t mc, int64_t nc, int64_t kc, const float* ap, const float* bp, float* c,
                         int64_t ldc, float alpha, float beta);

struct GemmArch {
  const char* name;
  int mr, nr;
  int mc, kc, nc;  // cache blocking: mc multiple of mr, nc multiple of nr
  PackAFn pack_a;
  PackBFn pack_b;
  MacroFn macro;
};

const GemmArch& gemm_arch_generic();
#if MG_HAVE_AVX2_PATH
const GemmArch& gemm_arch_avx2();
// Single-thread AVX2 FMA throughput (best of 10 timed loops of `iters` x 12 independent 8-wide FMAs): the
// practical flop peak of one core at its current clock. Benchmark helper only.
double avx2_fma_peak_gflops(int64_t iters);
#endif

// The architecture chosen for this CPU at first use.
const GemmArch& gemm_arch();

// C = alpha * op(A) * op(B) + beta * C, row-major, with the semantics of Kernels.gemm. Arguments must
// already be validated. Returns false only if a packing buffer could not be allocated.
bool sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Test/tuning hook: overrides the blocking of the active architecture (values <= 0 keep the default).
void gemm_set_blocking(int mc, int kc, int nc);

}  // namespace mg
