#!/bin/sh
# Rebuild the AVX-512 sgemm with a blocking (MR,MC,KC,NC) and benchmark it: sh tune.sh 14,168,256,4096 [bench args]
set -e
cd "$(dirname "$0")"
B=$1; shift
g++ -std=c++17 -O3 -pthread -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c \
  "-DTENSILE_SGEMM_AVX512_BLOCKING=$B" ${DBLOCK:+"-DTENSILE_DGEMM_AVX512_BLOCKING=$DBLOCK"} -c ../gemm_avx512.cc -o build/tune_avx512.o
g++ -std=c++17 -O3 -pthread bench_gemm.cc build/gemm.o build/gemm_scalar.o build/gemm_avx2.o build/tune_avx512.o build/stub.o -ldl -o build/bench_tune
./build/bench_tune avx512 "$@"
