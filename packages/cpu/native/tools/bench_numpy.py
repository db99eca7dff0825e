"""Peer timing: numpy (OpenBLAS) float32 matmul GFLOP/s at the sizes bench_gemm uses.
Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=<n> /usr/bin/python3 bench_numpy.py
(this environment sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, which slow OpenBLAS down)."""
import os
import sys
import time

import numpy as np

sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "256,512,1024,2048").split(",")]
print("numpy", np.__version__, "threads", os.environ.get("OPENBLAS_NUM_THREADS", "(default)"),
      "OPENBLAS_CORETYPE", os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
      "OPENBLAS_L2_SIZE", os.environ.get("OPENBLAS_L2_SIZE", "(unset)"))
for dtype in (np.float32, np.float64):
    for s in sizes:
        rng = np.random.default_rng(1)
        a = rng.standard_normal((s, s)).astype(dtype)
        b = rng.standard_normal((s, s)).astype(dtype)
        c = np.empty((s, s), dtype)
        np.matmul(a, b, out=c)
        times = []
        total = 0.0
        while total < 1.0 or len(times) < 3:
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            t = time.perf_counter() - t0
            times.append(t)
            total += t
        times.sort()
        fl = 2.0 * s ** 3
        print(f"{np.dtype(dtype).name:8s} {s:5d} median {fl / times[len(times) // 2] / 1e9:8.1f} best {fl / times[0] / 1e9:8.1f} GFLOP/s")
