#!/bin/sh
# Builds build/libprobe.so (or the file named by $OUT): gemm*.cc with the addon's per-file ISA flags
# plus the real thread pool and ISA selection, for gemm_probe.py. Extra args go to the compiler
# (e.g. -DTENSILE_SGEMM_AVX512_BLOCKING=...). Tools only; not part of the addon.
set -e
cd "$(dirname "$0")"
OUT=${OUT:-build/libprobe.so}
O=build/obj-$(basename "$OUT" .so)
rm -rf $O && mkdir -p $O
CXX=${CXX:-g++}
BASE="-std=c++17 -O3 -fPIC -pthread -fvisibility=hidden $*"
for f in gemm gemm_scalar threadpool isa; do $CXX $BASE -c ../$f.cc -o $O/$f.o; done
$CXX $BASE -mavx2 -mfma -mf16c -c ../gemm_avx2.cc -o $O/gemm_avx2.o
$CXX $BASE -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c -c ../gemm_avx512.cc -o $O/gemm_avx512.o
$CXX $BASE -c probe.cc -o $O/probe.o
$CXX -shared -pthread -Wl,-Bsymbolic $O/*.o -o "$OUT"
echo "built $OUT"
