// Streaming kernels: the fused gather-scatter, elementwise chains (activations, dropout, Adam, add) and
// per-column statistics (column sums, batch-norm statistics and backward). Contracts and reference
// semantics: src/tensor/kernels/types.ts and js-stream.ts. Arguments must already be validated (lengths
// cover what the sizes imply, indices in range, activation codes known).
//
// Results never depend on the thread count: every output element is computed by one thread with the same
// arithmetic, in the same order, as the sequential reference loop. Where the reference computes in
// float64 and rounds (Math.fround, Float32Array stores), these kernels do the same operations in double
// and round at the same points, so everything but the transcendental activations is bit-identical to the
// JS kernels. Arrays that partially overlap take a sequential path mirroring the JS loop exactly.
#pragma once

#include <cstdint>

namespace mg {

constexpr int kActNone = 0;
constexpr int kActRelu = 1;
constexpr int kActTanh = 2;
constexpr int kActSigmoid = 3;
constexpr int kActGelu = 4;

// out[dst_index[i], :] += src[src_index[i], :] for i < n (out has out_rows rows of `cols`).
void gather_scatter_add_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* src_index,
                             const int32_t* dst_index, int64_t n, float* out, int64_t out_len, int64_t out_rows);

// In place x[i] = act(x[i]) for i < n.
void activation(int act, float* x, int64_t n);

// g_pre[i] = g[i] * act'(.) from y (relu, tanh, sigmoid) or pre (gelu); g_pre may alias g.
void activation_backward(int act, const float* g, const float* y, const float* pre, float* g_pre, int64_t n);

// out[j] += sum over r of x[r * cols + j], in float, rows in order.
void sum_rows(const float* x, int64_t rows, int64_t cols, float* out);

// Per column: mean and biased variance (two passes, double sums in row order). Returns false when out
// of memory for the scratch sums.
bool column_mean_var(const float* x, int64_t rows, int64_t cols, float* mean, float* variance);

// y[r, j] = x[r, j] * scale[j] + shift[j] (in double, rounded once).
void scale_shift_rows(const float* x, int64_t rows, int64_t cols, const float* scale, const float* shift, float* y);

// Batch-norm backward (see types.ts): sum_g, sum_gx overwritten, gx accumulated.
void batch_norm_backward(const float* g, const float* x, int64_t rows, int64_t cols, const float* mean,
                         const float* rstd, const float* scale, bool training, float* gx, double* sum_g,
                         double* sum_gx);

// Counter-based inverted dropout (types.ts: dropoutWord).
void dropout(const float* x, float* y, float* mask, int64_t n, double threshold16, double scale, uint32_t seed_a,
             uint32_t seed_b);

// Adam without weight decay / amsgrad, with the JS kernel's float32 rounding sequence.
void adam_step(float* x, const float* g, float* m, float* v, int64_t n, double b1, double b2, double c1, double c2,
               double neg_step_size, double bc2_sqrt, double eps);

// out[i] = a[i] + b[i] (out may alias a or b).
void add(const float* a, const float* b, float* out, int64_t n);

// dst[i] += src[i].
void accumulate(float* dst, const float* src, int64_t n);

// out[i] = a[i] * b[i] (out may alias a or b).
void mul(const float* a, const float* b, float* out, int64_t n);

}  // namespace mg
