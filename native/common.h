// Shared helpers for the molgrove native kernels: SIMD dispatch, aligned per-thread scratch buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define MG_X86 1
#else
#define MG_X86 0
#endif

#if MG_X86 && (defined(__GNUC__) || defined(__clang__))
#define MG_HAVE_AVX2_PATH 1
#define MG_AVX2 __attribute__((target("avx2,fma")))
#else
#define MG_HAVE_AVX2_PATH 0
#define MG_AVX2
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MG_RESTRICT __restrict__
#define MG_INLINE inline __attribute__((always_inline))
#define MG_NOINLINE __attribute__((noinline))
#else
#define MG_RESTRICT
#define MG_INLINE inline
#define MG_NOINLINE
#endif

namespace mg {

// True when this CPU can run the AVX2+FMA code paths (checked once at run time).
bool cpu_has_avx2_fma();

// The SIMD level the kernels use: AVX2 when the CPU has it, unless MOLGROVE_NATIVE_SIMD=generic was set
// when the addon loaded or set_simd_level() chose the generic path (used by the tests to cover it).
enum class Simd { kGeneric = 0, kAvx2 = 1 };
Simd simd_level();
// Returns false (and changes nothing) when the CPU does not support `level`.
bool set_simd_level(Simd level);

// A grow-only, 64-byte aligned float buffer. One per thread per purpose (thread_local), so steady-state
// calls allocate nothing.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  // Returns a buffer of at least `count` floats (contents unspecified), or nullptr when out of memory.
  float* get(size_t count) {
    if (count <= capacity_) return data_;
    // Round up to a whole number of 64-byte lines, plus one spare line for vector over-stores.
    size_t bytes = ((count * sizeof(float) + 63) / 64) * 64 + 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) return nullptr;
    std::free(data_);
    data_ = static_cast<float*>(p);
    capacity_ = bytes / sizeof(float) - 16;
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace mg
