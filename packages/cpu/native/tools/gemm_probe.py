#!/usr/bin/env python3
"""Square float32 GEMM, Tensile vs OpenBLAS (numpy) vs PyTorch, interleaved in one process, with
wall time and CPU time per call. Tools only (not part of the addon or the benchmarks package).

    sh probe.sh                                   # -> build/libprobe.so (current gemm*.cc)
    /usr/bin/python3 gemm_probe.py [--threads 1,2] [--sizes 256,512,1024,2048] [--rounds 15]
        [--lib NAME=PATH ...] [--peers numpy,torch] [--ms 40] [--gap 0.3]

Each (threads) configuration runs in its own child process (OpenBLAS reads OPENBLAS_NUM_THREADS
when it loads; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed). Per size, every round times
each system in turn (rotating order) for about --ms milliseconds of calls; the value is the
median over rounds of GFLOP/s = 2 n^3 / time per call, from wall time and from CPU time (the
calling thread's CPU time with 1 thread; the process's CPU time / threads with more, which
also counts time spent spinning by a runtime's idle workers). Several --lib entries (e.g. a
baseline build copied aside) are compared in the same run.
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def child(args):
    import numpy as np
    import torch

    nt = args.threads
    torch.set_num_threads(nt)
    systems = {}
    f32p = ctypes.POINTER(ctypes.c_float)
    for spec in args.lib:
        name, path = spec.split("=", 1)
        lib = ctypes.CDLL(os.path.abspath(path))
        lib.probe_set_threads(nt)
        lib.probe_sgemm.argtypes = [ctypes.c_int64] * 3 + [f32p] * 3
        systems[name] = ("tensile", lib)
    peers = args.peers.split(",") if args.peers else []
    if "numpy" in peers:
        systems["numpy"] = ("numpy", None)
    if "torch" in peers:
        systems["torch"] = ("torch", None)
    cpu_clock = time.thread_time if nt == 1 else time.process_time
    out = []
    for n in args.sizes:
        rng = np.random.default_rng(1)
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        c = np.empty((n, n), np.float32)
        ta, tb, tc = torch.from_numpy(a.copy()), torch.from_numpy(b.copy()), torch.empty(n, n)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        calls = {}
        for name, (kind, lib) in systems.items():
            if kind == "tensile":
                pa, pb, pc = (x.ctypes.data_as(f32p) for x in (a, b, c))
                calls[name] = (lambda lib=lib, pa=pa, pb=pb, pc=pc: lib.probe_sgemm(n, n, n, pa, pb, pc))
            elif kind == "numpy":
                calls[name] = lambda: np.matmul(a, b, out=c)
            else:
                calls[name] = lambda: torch.mm(ta, tb, out=tc)
        # Check each Tensile build against float64 (catches a broken kernel early).
        for name, (kind, _) in systems.items():
            if kind == "tensile":
                calls[name]()
                err = float(np.max(np.abs(c - ref)) / np.max(np.abs(ref)))
                if err > 1e-4:
                    raise SystemExit(f"{name}: wrong result at n={n} (rel err {err:g})")
        flops = 2.0 * n ** 3
        # Calls per repeat: about args.ms of work at the first measured rate.
        iters = {}
        for name, f in calls.items():
            f()
            f()
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0
            iters[name] = max(1, int(args.ms / 1e3 / max(dt, 1e-6)))
        wall = {k: [] for k in calls}
        cpu = {k: [] for k in calls}
        names = list(calls)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[: r % len(names)]
            for name in order:
                f, it = calls[name], iters[name]
                # Let the previous system's idle threads stop spinning (OpenBLAS and OpenMP
                # workers busy-wait after a call and would take a core from the next system).
                time.sleep(args.gap)
                f()
                c0, w0 = cpu_clock(), time.perf_counter()
                for _ in range(it):
                    f()
                w1, c1 = time.perf_counter(), cpu_clock()
                wall[name].append(flops * it / (w1 - w0) / 1e9)
                cpu[name].append(flops * it / max((c1 - c0) / (1 if nt == 1 else nt), 1e-9) / 1e9)
        for name in names:
            out.append({"n": n, "threads": nt, "system": name, "wall": statistics.median(wall[name]),
                        "wall_max": max(wall[name]), "cpu": statistics.median(cpu[name]),
                        "cpu_max": max(cpu[name])})
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--sizes", default="256,512,1024,2048")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--ms", type=float, default=40)
    ap.add_argument("--gap", type=float, default=0.3, help="seconds of sleep before each timing")
    ap.add_argument("--lib", action="append")
    ap.add_argument("--peers", default="numpy,torch")
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if not args.lib:
        args.lib = ["tensile=" + os.path.join(HERE, "build", "libprobe.so")]
    args.sizes = [int(s) for s in str(args.sizes).split(",")]
    if args.child:
        args.threads = int(args.threads)
        return child(args)
    rows = []
    for nt in [int(t) for t in args.threads.split(",")]:
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env.update(OPENBLAS_NUM_THREADS=str(nt), OMP_NUM_THREADS=str(nt), MKL_NUM_THREADS=str(nt),
                   TENSILE_NUM_THREADS=str(nt))
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--threads", str(nt),
               "--sizes", ",".join(map(str, args.sizes)), "--rounds", str(args.rounds), "--ms", str(args.ms), "--gap", str(args.gap),
               "--peers", args.peers] + sum((["--lib", l] for l in args.lib), [])
        rows += json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
    systems = list(dict.fromkeys(r["system"] for r in rows))
    peers = [s for s in systems if s in ("numpy", "torch")]
    print(f"load average {os.getloadavg()[0]:.2f}; GFLOP/s median over {args.rounds} rounds "
          "(wall | cpu); ratio = first system / best peer")
    hdr = f"{'thr':>3} {'n':>5} " + " ".join(f"{s:>17}" for s in systems) + "   ratio(wall|cpu)"
    print(hdr)
    for nt in sorted({r["threads"] for r in rows}):
        for n in args.sizes:
            rr = {r["system"]: r for r in rows if r["threads"] == nt and r["n"] == n}
            line = f"{nt:>3} {n:>5} " + " ".join(f"{rr[s]['wall']:8.1f}|{rr[s]['cpu']:8.1f}" for s in systems)
            if peers:
                bw = max(rr[p]["wall"] for p in peers)
                bc = max(rr[p]["cpu"] for p in peers)
                t = rr[systems[0]]
                line += f"   {t['wall'] / bw:5.3f}|{t['cpu'] / bc:5.3f}"
            print(line)


if __name__ == "__main__":
    main()
