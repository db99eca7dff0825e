#!/bin/sh
# Builds the standalone GEMM test and benchmark with the addon's per-file ISA flags.
# Usage: sh build.sh [extra flags, e.g. -fsanitize=address,undefined -g]; outputs in ./build/
set -e
cd "$(dirname "$0")"
mkdir -p build
CXX=${CXX:-g++}
BASE="-std=c++17 -O3 -Wall -Wextra -pthread $*"
X86=$( [ "$(uname -m)" = x86_64 ] && echo 1 || true)
$CXX $BASE -c ../gemm.cc -o build/gemm.o
$CXX $BASE -c ../gemm_scalar.cc -o build/gemm_scalar.o
OBJS="build/gemm.o build/gemm_scalar.o"
if [ -n "$X86" ]; then
  $CXX $BASE -mavx2 -mfma -mf16c -c ../gemm_avx2.cc -o build/gemm_avx2.o
  $CXX $BASE -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c -c ../gemm_avx512.cc -o build/gemm_avx512.o
  OBJS="$OBJS build/gemm_avx2.o build/gemm_avx512.o"
fi
$CXX $BASE -c stub.cc -o build/stub.o
$CXX $BASE test_gemm.cc $OBJS build/stub.o -o build/test_gemm
$CXX $BASE bench_gemm.cc $OBJS build/stub.o -o build/bench_gemm -ldl
echo "built build/test_gemm build/bench_gemm"
