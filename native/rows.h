// Row-indexed kernels (gather, scatter-add, segment max). Arguments must already be validated (index
// values in range, arrays long enough). Results are bit-identical whatever the thread count: every output
// element is computed by exactly one thread, in the same order as the sequential loop.
#pragma once

#include <cstdint>

namespace mg {

// Shared with the streaming kernels (stream.cc).
// d[j] += s[j] for j < n, on the best SIMD path for this CPU (plain float adds, element order kept).
using AddRowFn = void (*)(float* d, const float* s, int64_t n);
AddRowFn add_row_fn();
// Whether two byte ranges overlap (empty ranges never do).
bool overlaps(const void* a, int64_t abytes, const void* b, int64_t bbytes);
// Column range [c0, c1) of part t of nth when `cols` is split into whole 64-byte lines (16 floats).
void column_range(int64_t cols, int t, int nth, int64_t* c0, int64_t* c1);

// out[i, :] (+)= src[index[i], :] for i < n.
void gather_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* index, int64_t n, float* out,
                 int64_t out_len, bool accumulate);

// out[index[i], :] += src[i, :] for i < n; out has out_rows rows.
// Defined in stream.cc as the identity-source case of gather_scatter_add_rows.
void scatter_add_rows(const float* src, int64_t src_len, int64_t cols, const int32_t* index, int64_t n,
                      float* out, int64_t out_len, int64_t out_rows);

// Per segment s < num_segments: out[s, c] = max over rows i with index[i] = s of src[i, c] (NaN never
// wins unless first), argmax[s, c] = that row (first on ties); empty segments give 0 and -1.
void segment_max_rows(const float* src, int64_t cols, const int32_t* index, int64_t n, int64_t num_segments,
                      float* out, int32_t* argmax);

}  // namespace mg
