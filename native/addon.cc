// Node-API bindings of molgrove's native kernels (plain C Node-API, no node-addon-api). Every entry point
// validates its arguments (types, sizes, index ranges) and throws a JS error instead of touching memory
// out of bounds; messages match the JS reference kernels (src/tensor/kernels/js.ts).
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "common.h"
#include "gemm.h"
#include "rows.h"
#include "stream.h"
#include "thread_pool.h"

#ifdef MOLGROVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

void throw_type(napi_env env, const char* msg) { napi_throw_type_error(env, nullptr, msg); }
void throw_range(napi_env env, const char* msg) { napi_throw_range_error(env, nullptr, msg); }
void throw_error(napi_env env, const char* msg) { napi_throw_error(env, nullptr, msg); }

bool get_args(napi_env env, napi_callback_info info, size_t expected, napi_value* argv, const char* fn) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    throw_error(env, "molgrove_native: could not read arguments");
    return false;
  }
  if (argc < expected) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: expected %zu arguments, got %zu", fn, expected, argc);
    throw_type(env, msg);
    return false;
  }
  return true;
}

template <typename T>
bool get_typed(napi_env env, napi_value v, napi_typedarray_type want, const char* type_name, const char* what,
               T** data, int64_t* len) {
  bool is_ta = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* ptr = nullptr;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, nullptr, nullptr) != napi_ok || type != want) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s must be a %s", what, type_name);
    throw_type(env, msg);
    return false;
  }
  // napi_get_typedarray_info already offsets `ptr` by the view's byteOffset.
  *data = static_cast<T*>(ptr);
  *len = static_cast<int64_t>(length);
  return true;
}

bool get_f32(napi_env env, napi_value v, const char* what, float** data, int64_t* len) {
  return get_typed(env, v, napi_float32_array, "Float32Array", what, data, len);
}

bool get_i32(napi_env env, napi_value v, const char* what, int32_t** data, int64_t* len) {
  return get_typed(env, v, napi_int32_array, "Int32Array", what, data, len);
}

bool get_f64(napi_env env, napi_value v, const char* what, double** data, int64_t* len) {
  return get_typed(env, v, napi_float64_array, "Float64Array", what, data, len);
}

bool get_number(napi_env env, napi_value v, const char* what, double* out) {
  napi_valuetype t = napi_undefined;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, out) != napi_ok) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s must be a number", what);
    throw_type(env, msg);
    return false;
  }
  return true;
}

// A non-negative integer count or stride (at most 2^53 - 1).
bool get_size(napi_env env, napi_value v, const char* what, int64_t* out) {
  double d = 0;
  if (!get_number(env, v, what, &d)) return false;
  if (!(d >= 0 && d <= static_cast<double>(kMaxSafeInteger)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s must be a non-negative integer, got %g", what, d);
    throw_range(env, msg);
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool get_bool(napi_env env, napi_value v, bool* out) {
  napi_value b;
  return napi_coerce_to_bool(env, v, &b) == napi_ok && napi_get_value_bool(env, b, out) == napi_ok;
}

// need = a * b + c with overflow detection (sizes beyond int64 can never fit in a typed array).
bool checked_madd(int64_t a, int64_t b, int64_t c, int64_t* out) {
  int64_t t;
  return !__builtin_mul_overflow(a, b, &t) && !__builtin_add_overflow(t, c, out);
}

// Throws "<what>: needs N elements, got L" (as the JS kernels do) unless len >= rows_m1 * ld + cols.
bool check_len(napi_env env, const char* what, int64_t len, int64_t rows_m1, int64_t ld, int64_t cols) {
  int64_t need = 0;
  if (!checked_madd(rows_m1, ld, cols, &need)) {
    char msg[200];
    std::snprintf(msg, sizeof msg, "%s: the requested size overflows", what);
    throw_range(env, msg);
    return false;
  }
  if (len < need) {
    char msg[200];
    std::snprintf(msg, sizeof msg, "%s: needs %lld elements, got %lld", what, static_cast<long long>(need),
                  static_cast<long long>(len));
    throw_range(env, msg);
    return false;
  }
  return true;
}

// Throws "<what>: index[i] = v is outside [0, limit)" for the first bad entry.
bool check_index(napi_env env, const char* what, const int32_t* index, int64_t n, int64_t limit) {
  for (int64_t i = 0; i < n; i++) {
    const int64_t v = index[i];
    if (v < 0 || v >= limit) {
      char msg[200];
      std::snprintf(msg, sizeof msg, "%s: index[%lld] = %lld is outside [0, %lld)", what, static_cast<long long>(i),
                    static_cast<long long>(v), static_cast<long long>(limit));
      throw_range(env, msg);
      return false;
    }
  }
  return true;
}

bool blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
#ifdef MOLGROVE_OPENBLAS
  // cblas wants int sizes and leading dimensions of at least the stored row width; anything else (and
  // the trivial cases, whose edge semantics we pin down ourselves) goes to the built-in GEMM.
  const int64_t need_lda = ta ? m : k;
  const int64_t need_ldb = tb ? k : n;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX ||
      lda < need_lda || ldb < need_ldb || ldc < n || k == 0 || alpha == 0.0f || m == 0 || n == 0) {
    return false;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
  return true;
#else
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb, (void)beta;
  (void)c, (void)ldc;
  return false;
#endif
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!get_args(env, info, 13, argv, "gemm")) return nullptr;
  bool ta = false, tb = false;
  int64_t m, n, k, lda, ldb, ldc, alen, blen, clen;
  double alpha, beta;
  float *a, *b, *c;
  if (!get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb)) return nullptr;
  if (!get_size(env, argv[2], "gemm m", &m) || !get_size(env, argv[3], "gemm n", &n) ||
      !get_size(env, argv[4], "gemm k", &k) || !get_number(env, argv[5], "gemm alpha", &alpha) ||
      !get_f32(env, argv[6], "gemm A", &a, &alen) || !get_size(env, argv[7], "gemm lda", &lda) ||
      !get_f32(env, argv[8], "gemm B", &b, &blen) || !get_size(env, argv[9], "gemm ldb", &ldb) ||
      !get_number(env, argv[10], "gemm beta", &beta) || !get_f32(env, argv[11], "gemm C", &c, &clen) ||
      !get_size(env, argv[12], "gemm ldc", &ldc)) {
    return nullptr;
  }
  if (m == 0 || n == 0) return nullptr;
  if (!check_len(env, "gemm C", clen, m - 1, ldc, n)) return nullptr;
  if (k > 0) {
    if (!(ta ? check_len(env, "gemm A", alen, k - 1, lda, m) : check_len(env, "gemm A", alen, m - 1, lda, k))) {
      return nullptr;
    }
    if (!(tb ? check_len(env, "gemm B", blen, n - 1, ldb, k) : check_len(env, "gemm B", blen, k - 1, ldb, n))) {
      return nullptr;
    }
  }
  const float fa = static_cast<float>(alpha);
  const float fb = static_cast<float>(beta);
  if (blas_gemm(ta, tb, m, n, k, fa, a, lda, b, ldb, fb, c, ldc)) return nullptr;
  // alpha = 0 only scales C (A and B are not read, so NaN there does not leak), as in the JS kernels.
  if (!mg::sgemm(ta, tb, m, n, alpha == 0.0 ? 0 : k, fa, a, lda, b, ldb, fb, c, ldc)) {
    throw_error(env, "gemm: out of memory for packing buffers");
  }
  return nullptr;
}

// gatherRows(src, cols, index, out, accumulate)
napi_value GatherRows(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv, "gatherRows")) return nullptr;
  float *src, *out;
  int32_t* index;
  int64_t src_len, out_len, n, cols;
  bool accumulate = false;
  if (!get_f32(env, argv[0], "gatherRows src", &src, &src_len) || !get_size(env, argv[1], "gatherRows cols", &cols) ||
      !get_i32(env, argv[2], "gatherRows index", &index, &n) || !get_f32(env, argv[3], "gatherRows out", &out, &out_len) ||
      !get_bool(env, argv[4], &accumulate)) {
    return nullptr;
  }
  if (!check_len(env, "gatherRows out", out_len, n, cols, 0)) return nullptr;
  if (!check_index(env, "gatherRows", index, n, cols == 0 ? kMaxSafeInteger : src_len / cols)) return nullptr;
  mg::gather_rows(src, src_len, cols, index, n, out, out_len, accumulate);
  return nullptr;
}

// scatterAddRows(src, cols, index, out)
napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv, "scatterAddRows")) return nullptr;
  float *src, *out;
  int32_t* index;
  int64_t src_len, out_len, n, cols;
  if (!get_f32(env, argv[0], "scatterAddRows src", &src, &src_len) ||
      !get_size(env, argv[1], "scatterAddRows cols", &cols) ||
      !get_i32(env, argv[2], "scatterAddRows index", &index, &n) ||
      !get_f32(env, argv[3], "scatterAddRows out", &out, &out_len)) {
    return nullptr;
  }
  if (!check_len(env, "scatterAddRows src", src_len, n, cols, 0)) return nullptr;
  const int64_t out_rows = cols == 0 ? kMaxSafeInteger : out_len / cols;
  if (!check_index(env, "scatterAddRows", index, n, out_rows)) return nullptr;
  mg::scatter_add_rows(src, src_len, cols, index, n, out, out_len, out_rows);
  return nullptr;
}

// segmentMaxRows(src, cols, index, numSegments, out, argmax)
napi_value SegmentMaxRows(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "segmentMaxRows")) return nullptr;
  float *src, *out;
  int32_t *index, *argmax;
  int64_t src_len, out_len, arg_len, n, cols, segs;
  if (!get_f32(env, argv[0], "segmentMaxRows src", &src, &src_len) ||
      !get_size(env, argv[1], "segmentMaxRows cols", &cols) ||
      !get_i32(env, argv[2], "segmentMaxRows index", &index, &n) ||
      !get_size(env, argv[3], "segmentMaxRows numSegments", &segs) ||
      !get_f32(env, argv[4], "segmentMaxRows out", &out, &out_len) ||
      !get_i32(env, argv[5], "segmentMaxRows argmax", &argmax, &arg_len)) {
    return nullptr;
  }
  if (!check_len(env, "segmentMaxRows src", src_len, n, cols, 0) ||
      !check_len(env, "segmentMaxRows out", out_len, segs, cols, 0) ||
      !check_len(env, "segmentMaxRows argmax", arg_len, segs, cols, 0) ||
      !check_index(env, "segmentMaxRows", index, n, segs)) {
    return nullptr;
  }
  if (n > INT32_MAX) {
    throw_range(env, "segmentMaxRows: more rows than an Int32Array argmax can address");
    return nullptr;
  }
  mg::segment_max_rows(src, cols, index, n, segs, out, argmax);
  return nullptr;
}

// gatherScatterAddRows(src, cols, srcIndex, dstIndex, out)
napi_value GatherScatterAddRows(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv, "gatherScatterAddRows")) return nullptr;
  float *src, *out;
  int32_t *src_index, *dst_index;
  int64_t src_len, out_len, n, n_dst, cols;
  if (!get_f32(env, argv[0], "gatherScatterAddRows src", &src, &src_len) ||
      !get_size(env, argv[1], "gatherScatterAddRows cols", &cols) ||
      !get_i32(env, argv[2], "gatherScatterAddRows srcIndex", &src_index, &n) ||
      !get_i32(env, argv[3], "gatherScatterAddRows dstIndex", &dst_index, &n_dst) ||
      !get_f32(env, argv[4], "gatherScatterAddRows out", &out, &out_len)) {
    return nullptr;
  }
  if (n != n_dst) {
    char msg[200];
    std::snprintf(msg, sizeof msg, "gatherScatterAddRows: %lld source but %lld destination indices",
                  static_cast<long long>(n), static_cast<long long>(n_dst));
    throw_range(env, msg);
    return nullptr;
  }
  const int64_t out_rows = cols == 0 ? kMaxSafeInteger : out_len / cols;
  if (!check_index(env, "gatherScatterAddRows source", src_index, n, cols == 0 ? kMaxSafeInteger : src_len / cols) ||
      !check_index(env, "gatherScatterAddRows destination", dst_index, n, out_rows)) {
    return nullptr;
  }
  mg::gather_scatter_add_rows(src, src_len, cols, src_index, dst_index, n, out, out_len, out_rows);
  return nullptr;
}

// An activation code: an integer in [ACT_NONE, ACT_GELU] (as activationOfCode accepts).
bool get_act(napi_env env, napi_value v, const char* what, int* out) {
  double d = 0;
  if (!get_number(env, v, what, &d)) return false;
  if (!(d >= mg::kActNone && d <= mg::kActGelu) || d != static_cast<double>(static_cast<int>(d))) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "unknown activation code %g", d);
    throw_range(env, msg);
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

// A dropout seed: any integer number, used modulo 2^32 (as the JS kernel's uint32 arithmetic does).
bool get_seed(napi_env env, napi_value v, const char* what, uint32_t* out) {
  double d = 0;
  if (!get_number(env, v, what, &d)) return false;
  if (!(std::fabs(d) <= static_cast<double>(kMaxSafeInteger)) || d != std::trunc(d)) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s must be an integer, got %g", what, d);
    throw_range(env, msg);
    return false;
  }
  *out = static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(d)));
  return true;
}

// activation(act, x, n)
napi_value Activation(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv, "activation")) return nullptr;
  int act;
  float* x;
  int64_t x_len, n;
  if (!get_act(env, argv[0], "activation act", &act) || !get_f32(env, argv[1], "activation x", &x, &x_len) ||
      !get_size(env, argv[2], "activation n", &n) || !check_len(env, "activation x", x_len, n, 1, 0)) {
    return nullptr;
  }
  mg::activation(act, x, n);
  return nullptr;
}

// activationBackward(act, g, y, pre, gPre, n): y is read for relu/tanh/sigmoid, pre for gelu.
napi_value ActivationBackward(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "activationBackward")) return nullptr;
  int act;
  float *g, *y, *pre, *gp;
  int64_t g_len, y_len, pre_len, gp_len, n;
  if (!get_act(env, argv[0], "activationBackward act", &act) ||
      !get_f32(env, argv[1], "activationBackward g", &g, &g_len) ||
      !get_f32(env, argv[2], "activationBackward y", &y, &y_len) ||
      !get_f32(env, argv[3], "activationBackward pre", &pre, &pre_len) ||
      !get_f32(env, argv[4], "activationBackward gPre", &gp, &gp_len) ||
      !get_size(env, argv[5], "activationBackward n", &n)) {
    return nullptr;
  }
  if (!check_len(env, "activationBackward g", g_len, n, 1, 0) ||
      !check_len(env, "activationBackward gPre", gp_len, n, 1, 0)) {
    return nullptr;
  }
  if (act == mg::kActGelu) {
    if (!check_len(env, "activationBackward pre", pre_len, n, 1, 0)) return nullptr;
  } else if (act != mg::kActNone) {
    if (!check_len(env, "activationBackward y", y_len, n, 1, 0)) return nullptr;
  }
  mg::activation_backward(act, g, y, pre, gp, n);
  return nullptr;
}

// sumRows(x, rows, cols, out)
napi_value SumRows(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv, "sumRows")) return nullptr;
  float *x, *out;
  int64_t x_len, out_len, rows, cols;
  if (!get_f32(env, argv[0], "sumRows x", &x, &x_len) || !get_size(env, argv[1], "sumRows rows", &rows) ||
      !get_size(env, argv[2], "sumRows cols", &cols) || !get_f32(env, argv[3], "sumRows out", &out, &out_len) ||
      !check_len(env, "sumRows x", x_len, rows, cols, 0) || !check_len(env, "sumRows out", out_len, 0, 0, cols)) {
    return nullptr;
  }
  mg::sum_rows(x, rows, cols, out);
  return nullptr;
}

// columnMeanVar(x, rows, cols, mean, variance)
napi_value ColumnMeanVar(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv, "columnMeanVar")) return nullptr;
  float *x, *mean, *var;
  int64_t x_len, mean_len, var_len, rows, cols;
  if (!get_f32(env, argv[0], "columnMeanVar x", &x, &x_len) || !get_size(env, argv[1], "columnMeanVar rows", &rows) ||
      !get_size(env, argv[2], "columnMeanVar cols", &cols) ||
      !get_f32(env, argv[3], "columnMeanVar mean", &mean, &mean_len) ||
      !get_f32(env, argv[4], "columnMeanVar variance", &var, &var_len) ||
      !check_len(env, "columnMeanVar x", x_len, rows, cols, 0) ||
      !check_len(env, "columnMeanVar mean", mean_len, 0, 0, cols) ||
      !check_len(env, "columnMeanVar variance", var_len, 0, 0, cols)) {
    return nullptr;
  }
  if (!mg::column_mean_var(x, rows, cols, mean, var)) throw_error(env, "columnMeanVar: out of memory");
  return nullptr;
}

// scaleShiftRows(x, rows, cols, scale, shift, y)
napi_value ScaleShiftRows(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv, "scaleShiftRows")) return nullptr;
  float *x, *scale, *shift, *y;
  int64_t x_len, scale_len, shift_len, y_len, rows, cols;
  if (!get_f32(env, argv[0], "scaleShiftRows x", &x, &x_len) ||
      !get_size(env, argv[1], "scaleShiftRows rows", &rows) || !get_size(env, argv[2], "scaleShiftRows cols", &cols) ||
      !get_f32(env, argv[3], "scaleShiftRows scale", &scale, &scale_len) ||
      !get_f32(env, argv[4], "scaleShiftRows shift", &shift, &shift_len) ||
      !get_f32(env, argv[5], "scaleShiftRows y", &y, &y_len) ||
      !check_len(env, "scaleShiftRows x", x_len, rows, cols, 0) ||
      !check_len(env, "scaleShiftRows y", y_len, rows, cols, 0) ||
      !check_len(env, "scaleShiftRows scale", scale_len, 0, 0, cols) ||
      !check_len(env, "scaleShiftRows shift", shift_len, 0, 0, cols)) {
    return nullptr;
  }
  mg::scale_shift_rows(x, rows, cols, scale, shift, y);
  return nullptr;
}

// batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, gx, sumG, sumGX)
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, 11, argv, "batchNormBackward")) return nullptr;
  float *g, *x, *mean, *rstd, *scale, *gx;
  double *sum_g, *sum_gx;
  int64_t g_len, x_len, mean_len, rstd_len, scale_len, gx_len, sg_len, sgx_len, rows, cols;
  bool training = false;
  if (!get_f32(env, argv[0], "batchNormBackward g", &g, &g_len) ||
      !get_f32(env, argv[1], "batchNormBackward x", &x, &x_len) ||
      !get_size(env, argv[2], "batchNormBackward rows", &rows) ||
      !get_size(env, argv[3], "batchNormBackward cols", &cols) ||
      !get_f32(env, argv[4], "batchNormBackward mean", &mean, &mean_len) ||
      !get_f32(env, argv[5], "batchNormBackward rstd", &rstd, &rstd_len) ||
      !get_f32(env, argv[6], "batchNormBackward scale", &scale, &scale_len) || !get_bool(env, argv[7], &training) ||
      !get_f32(env, argv[8], "batchNormBackward gx", &gx, &gx_len) ||
      !get_f64(env, argv[9], "batchNormBackward sumG", &sum_g, &sg_len) ||
      !get_f64(env, argv[10], "batchNormBackward sumGX", &sum_gx, &sgx_len)) {
    return nullptr;
  }
  if (!check_len(env, "batchNormBackward g", g_len, rows, cols, 0) ||
      !check_len(env, "batchNormBackward x", x_len, rows, cols, 0) ||
      !check_len(env, "batchNormBackward gx", gx_len, rows, cols, 0) ||
      !check_len(env, "batchNormBackward mean", mean_len, 0, 0, cols) ||
      !check_len(env, "batchNormBackward rstd", rstd_len, 0, 0, cols) ||
      !check_len(env, "batchNormBackward scale", scale_len, 0, 0, cols) ||
      !check_len(env, "batchNormBackward sumG", sg_len, 0, 0, cols) ||
      !check_len(env, "batchNormBackward sumGX", sgx_len, 0, 0, cols)) {
    return nullptr;
  }
  mg::batch_norm_backward(g, x, rows, cols, mean, rstd, scale, training, gx, sum_g, sum_gx);
  return nullptr;
}

// dropout(x, y, mask, n, threshold16, scale, seedA, seedB)
napi_value Dropout(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, 8, argv, "dropout")) return nullptr;
  float *x, *y, *mask;
  int64_t x_len, y_len, mask_len, n;
  double threshold, scale;
  uint32_t seed_a, seed_b;
  if (!get_f32(env, argv[0], "dropout x", &x, &x_len) || !get_f32(env, argv[1], "dropout y", &y, &y_len) ||
      !get_f32(env, argv[2], "dropout mask", &mask, &mask_len) || !get_size(env, argv[3], "dropout n", &n) ||
      !get_number(env, argv[4], "dropout threshold16", &threshold) ||
      !get_number(env, argv[5], "dropout scale", &scale) || !get_seed(env, argv[6], "dropout seedA", &seed_a) ||
      !get_seed(env, argv[7], "dropout seedB", &seed_b) || !check_len(env, "dropout x", x_len, n, 1, 0) ||
      !check_len(env, "dropout y", y_len, n, 1, 0) || !check_len(env, "dropout mask", mask_len, n, 1, 0)) {
    return nullptr;
  }
  mg::dropout(x, y, mask, n, threshold, scale, seed_a, seed_b);
  return nullptr;
}

// adamStep(x, g, m, v, n, b1, b2, c1, c2, negStepSize, bc2Sqrt, eps)
napi_value AdamStep(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!get_args(env, info, 12, argv, "adamStep")) return nullptr;
  float *x, *g, *m, *v;
  int64_t x_len, g_len, m_len, v_len, n;
  double b1, b2, c1, c2, ns, bc2, eps;
  if (!get_f32(env, argv[0], "adamStep x", &x, &x_len) || !get_f32(env, argv[1], "adamStep g", &g, &g_len) ||
      !get_f32(env, argv[2], "adamStep m", &m, &m_len) || !get_f32(env, argv[3], "adamStep v", &v, &v_len) ||
      !get_size(env, argv[4], "adamStep n", &n) || !get_number(env, argv[5], "adamStep b1", &b1) ||
      !get_number(env, argv[6], "adamStep b2", &b2) || !get_number(env, argv[7], "adamStep c1", &c1) ||
      !get_number(env, argv[8], "adamStep c2", &c2) || !get_number(env, argv[9], "adamStep negStepSize", &ns) ||
      !get_number(env, argv[10], "adamStep bc2Sqrt", &bc2) || !get_number(env, argv[11], "adamStep eps", &eps) ||
      !check_len(env, "adamStep x", x_len, n, 1, 0) || !check_len(env, "adamStep g", g_len, n, 1, 0) ||
      !check_len(env, "adamStep m", m_len, n, 1, 0) || !check_len(env, "adamStep v", v_len, n, 1, 0)) {
    return nullptr;
  }
  mg::adam_step(x, g, m, v, n, b1, b2, c1, c2, ns, bc2, eps);
  return nullptr;
}

// add(a, b, out, n) and mul(a, b, out, n): out = a (op) b elementwise.
napi_value BinaryElementwise(napi_env env, napi_callback_info info, const char* name,
                             void (*fn)(const float*, const float*, float*, int64_t)) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv, name)) return nullptr;
  char wa[32], wb[32], wo[32], wn[32];
  std::snprintf(wa, sizeof wa, "%s a", name);
  std::snprintf(wb, sizeof wb, "%s b", name);
  std::snprintf(wo, sizeof wo, "%s out", name);
  std::snprintf(wn, sizeof wn, "%s n", name);
  float *a, *b, *out;
  int64_t a_len, b_len, out_len, n;
  if (!get_f32(env, argv[0], wa, &a, &a_len) || !get_f32(env, argv[1], wb, &b, &b_len) ||
      !get_f32(env, argv[2], wo, &out, &out_len) || !get_size(env, argv[3], wn, &n) ||
      !check_len(env, wa, a_len, n, 1, 0) || !check_len(env, wb, b_len, n, 1, 0) ||
      !check_len(env, wo, out_len, n, 1, 0)) {
    return nullptr;
  }
  fn(a, b, out, n);
  return nullptr;
}

napi_value Add(napi_env env, napi_callback_info info) { return BinaryElementwise(env, info, "add", mg::add); }

napi_value Mul(napi_env env, napi_callback_info info) { return BinaryElementwise(env, info, "mul", mg::mul); }

// accumulate(dst, src, n)
napi_value Accumulate(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv, "accumulate")) return nullptr;
  float *dst, *src;
  int64_t dst_len, src_len, n;
  if (!get_f32(env, argv[0], "accumulate dst", &dst, &dst_len) ||
      !get_f32(env, argv[1], "accumulate src", &src, &src_len) || !get_size(env, argv[2], "accumulate n", &n) ||
      !check_len(env, "accumulate dst", dst_len, n, 1, 0) || !check_len(env, "accumulate src", src_len, n, 1, 0)) {
    return nullptr;
  }
  mg::accumulate(dst, src, n);
  return nullptr;
}

// setNumThreads(n)
napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, "setNumThreads")) return nullptr;
  int64_t n;
  if (!get_size(env, argv[0], "setNumThreads n", &n)) return nullptr;
  const int threads = static_cast<int>(n < 1 ? 1 : (n > mg::kMaxThreads ? mg::kMaxThreads : n));
  mg::set_num_threads(threads);
#ifdef MOLGROVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
  return nullptr;
}

napi_value GetNumThreads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, mg::get_num_threads(), &out);
  return out;
}

void set_prop(napi_env env, napi_value obj, const char* key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

// info() -> { simd: 'avx2' | 'generic', threads, blas: string | null }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, simd, threads, blas;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, mg::simd_level() == mg::Simd::kAvx2 ? "avx2" : "generic", NAPI_AUTO_LENGTH, &simd);
  napi_create_int32(env, mg::get_num_threads(), &threads);
#ifdef MOLGROVE_OPENBLAS
  napi_create_string_utf8(env, "openblas", NAPI_AUTO_LENGTH, &blas);
#else
  napi_get_null(env, &blas);
#endif
  set_prop(env, obj, "simd", simd);
  set_prop(env, obj, "threads", threads);
  set_prop(env, obj, "blas", blas);
  return obj;
}

// _setSimd('generic' | 'avx2') -> boolean. Test hook: runs the portable kernels on an AVX2 machine.
napi_value SetSimd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, "_setSimd")) return nullptr;
  char name[16] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    throw_type(env, "_setSimd: expected 'generic' or 'avx2'");
    return nullptr;
  }
  bool ok = false;
  if (std::string_view(name) == "generic") ok = mg::set_simd_level(mg::Simd::kGeneric);
  else if (std::string_view(name) == "avx2") ok = mg::set_simd_level(mg::Simd::kAvx2);
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

// _setBlocking(mc, kc, nc): tuning hook for the GEMM cache blocking (0 keeps a value).
napi_value SetBlocking(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv, "_setBlocking")) return nullptr;
  int64_t mc, kc, nc;
  if (!get_size(env, argv[0], "mc", &mc) || !get_size(env, argv[1], "kc", &kc) || !get_size(env, argv[2], "nc", &nc)) {
    return nullptr;
  }
  mg::gemm_set_blocking(static_cast<int>(mc), static_cast<int>(kc), static_cast<int>(nc));
  return nullptr;
}

// _peakGflops() -> number | null: measured single-core AVX2 FMA peak (benchmark helper).
napi_value PeakGflops(napi_env env, napi_callback_info) {
  napi_value out;
#if MG_HAVE_AVX2_PATH
  if (mg::cpu_has_avx2_fma()) {
    napi_create_double(env, mg::avx2_fma_peak_gflops(int64_t{5000000}), &out);
    return out;
  }
#endif
  napi_get_null(env, &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
#ifdef MOLGROVE_OPENBLAS
  openblas_set_num_threads(mg::get_num_threads());
#endif
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scatterAddRows", nullptr, ScatterAddRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"segmentMaxRows", nullptr, SegmentMaxRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gatherScatterAddRows", nullptr, GatherScatterAddRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"activation", nullptr, Activation, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"activationBackward", nullptr, ActivationBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"columnMeanVar", nullptr, ColumnMeanVar, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scaleShiftRows", nullptr, ScaleShiftRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"dropout", nullptr, Dropout, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"add", nullptr, Add, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"accumulate", nullptr, Accumulate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"mul", nullptr, Mul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"getNumThreads", nullptr, GetNumThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"_setSimd", nullptr, SetSimd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"_setBlocking", nullptr, SetBlocking, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"_peakGflops", nullptr, PeakGflops, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}
