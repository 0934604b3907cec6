{
  # Built by scripts/build-native.mjs. The optional OpenBLAS variant is selected by that script with
  # --molgrove_blas=openblas --molgrove_blas_include=DIR --molgrove_blas_libdir=DIR; the default build
  # needs nothing but a C++17 compiler and the Node headers.
  'variables': {
    'molgrove_blas%': '',
    'molgrove_blas_include%': '',
    'molgrove_blas_libdir%': '',
  },
  'targets': [
    {
      'target_name': 'molgrove_native',
      'sources': [
        'native/addon.cc',
        'native/gemm.cc',
        'native/gemm_avx2.cc',
        'native/rows.cc',
        'native/stream.cc',
        'native/thread_pool.cc',
      ],
      'defines': ['NAPI_VERSION=8'],
      # Baseline ISA everywhere: the AVX2/FMA code is enabled per function with target attributes and
      # picked at run time, so one binary runs on any x86-64 CPU.
      # -ffp-contract=off: the streaming kernels (stream.cc) reproduce the JS kernels' rounding sequence
      # exactly, so no multiply-add may be fused (the GEMM uses explicit FMA intrinsics, unaffected).
      'cflags': ['-O3', '-fno-math-errno', '-ffp-contract=off', '-fvisibility=hidden'],
      'cflags_cc': ['-std=c++17'],
      'cflags_cc!': ['-fno-exceptions', '-std=gnu++17'],
      'ldflags': ['-pthread'],
      'xcode_settings': {
        'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
        'GCC_OPTIMIZATION_LEVEL': '3',
        'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
        'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
        'OTHER_CFLAGS': ['-ffp-contract=off'],
      },
      'msvs_settings': {
        'VCCLCompilerTool': {'ExceptionHandling': 1, 'AdditionalOptions': ['/std:c++17']},
      },
      'conditions': [
        [
          'molgrove_blas=="openblas"',
          {
            'defines': ['MOLGROVE_OPENBLAS'],
            'include_dirs': ['<(molgrove_blas_include)'],
            'libraries': [
              '-L<(molgrove_blas_libdir)',
              '-Wl,-rpath,<(molgrove_blas_libdir)',
              '-lopenblas',
            ],
          },
        ],
      ],
    },
  ],
}
