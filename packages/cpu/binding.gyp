# @tensile/cpu addon. No -march=native: kernels are built per ISA and picked at load time
# (native/isa.cc). Sources are listed by scripts/list-sources.mjs, so new files need no edit here:
#   native/**/*_avx512.cc -> tensile_avx512 (AVX-512 F/BW/DQ/VL + AVX2/FMA/F16C flags on x64)
#   native/**/*_avx2.cc   -> tensile_avx2   (AVX2/FMA/F16C flags on x64)
#   every other .cc       -> tensile_cpu    (baseline x86-64 / arm64)
# On arm64 the ISA libraries get no x86 flags; their files guard intrinsics with
# #if defined(__x86_64__). TENSILE_CPU_SANITIZE=1 (read by scripts/build.mjs) adds ASan + UBSan.
{
  'variables': {
    'tensile_sanitize%': '<!(node -p "process.env.TENSILE_CPU_SANITIZE === \'1\' ? 1 : 0")',
  },
  'target_defaults': {
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti'],
    'cflags': ['-O3', '-fno-math-errno', '-fPIC', '-Wall', '-Wno-unused-parameter'],
    'cflags_cc': ['-fexceptions', '-frtti'],
    'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")", 'native'],
    'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'GCC_ENABLE_CPP_RTTI': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'MACOSX_DEPLOYMENT_TARGET': '11.0',
      'OTHER_CFLAGS': ['-O3', '-fno-math-errno'],
    },
    'conditions': [
      ['tensile_sanitize==1', {
        'cflags': ['-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined', '-g'],
        'ldflags': ['-fsanitize=address,undefined'],
        'xcode_settings': {
          'OTHER_CFLAGS': ['-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-g'],
          'OTHER_LDFLAGS': ['-fsanitize=address,undefined'],
        },
      }],
    ],
  },
  'targets': [
    {
      'target_name': 'tensile_avx512',
      'type': 'static_library',
      'sources': ['<!@(node scripts/list-sources.mjs avx512)'],
      'conditions': [
        ['target_arch=="x64"', {
          'cflags': ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mavx2', '-mfma', '-mf16c'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mavx2', '-mfma', '-mf16c'] },
        }],
      ],
    },
    {
      'target_name': 'tensile_avx2',
      'type': 'static_library',
      'sources': ['<!@(node scripts/list-sources.mjs avx2)'],
      'conditions': [
        ['target_arch=="x64"', {
          'cflags': ['-mavx2', '-mfma', '-mf16c'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx2', '-mfma', '-mf16c'] },
        }],
      ],
    },
    {
      'target_name': 'tensile_cpu',
      'sources': ['<!@(node scripts/list-sources.mjs base)'],
      'dependencies': ['tensile_avx512', 'tensile_avx2'],
      # Baseline files compute with exact JS-backend semantics (random streams, arange): never
      # fuse a multiply and an add (arm64 would by default).
      'cflags': ['-ffp-contract=off'],
      'xcode_settings': { 'OTHER_CFLAGS': ['-ffp-contract=off'] },
    },
  ],
}
