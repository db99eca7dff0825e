#!/usr/bin/env python3
"""Python peers for the Tensile benchmarks: numpy (+ its BLAS) and PyTorch.

Usage:
    python3 peers.py --probe          print {"numpy": ..., "torch": ..., "blas": ...} as JSON
    python3 peers.py SPEC.json        run the cases of SPEC (or "-" for stdin), print JSON results
    python3 peers.py --serve          read one SPEC per line on stdin, answer each with one line of
                                      JSON results (a persistent peer, so a suite can alternate
                                      with it case by case without re-importing torch)

SPEC: {
  "threads": 1,                       torch.set_num_threads; BLAS threads come from the env
  "systems": ["numpy", "torch"],      which peers to run (a missing one is reported, not fatal)
  "warmupMs": 100, "minRepMs": 20, "reps": 7, "maxCaseMs": 4000,
  "gapMs": 0,                         sleep before each system's case (lets another runtime's
                                      idle threads, which spin after a call, stop first)
  "cases": [{"id": "...", "kind": "gemm", "n": 256}, ...]
}
Kinds: gemm {n}; add, mul, sum, max, copy {numel}; softmax {shape}; layernorm {shape};
conv2d {n, cin, cout, k, h, w, backward}; tinyadd {grad: "none" | "requires" | "backward"};
train_mlp, train_cnn {batch, lr, warmupSteps} (torch only: zero_grad, forward, cross_entropy,
backward, Adam step). A case with "cpuTime": true also gets "cpuSeconds": process CPU time
(all threads) per call, over as many calls as were timed.

Output: {"versions": {...}, "missing": {system: reason}, "results": [
  {"id", "system", "seconds" (median per iteration), "iters" (per repeat), "reps"}], "errors": [...]}

Timing (as benchmarks/src/lib/timing.ts): one call, then warm-up until warmupMs (at least 2
calls); each repeat runs enough iterations to last minRepMs; the result is the median over
repeats of time per iteration. A first call slower than slowCallMs (100) gets one warm-up call
and 3 single-call repeats instead.
The caller (benchmarks/src/lib/python.ts) runs this with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from the environment and the thread variables set.
"""
import json
import os
import sys
import time


def load_peers():
    mods, missing = {}, {}
    try:
        import numpy  # noqa: F401
        mods["numpy"] = numpy
    except Exception as e:  # pragma: no cover - environment dependent
        missing["numpy"] = f"numpy not importable by {sys.executable}: {e}"
    try:
        import torch  # noqa: F401
        mods["torch"] = torch
    except Exception as e:  # pragma: no cover
        missing["torch"] = f"torch not importable by {sys.executable}: {e}"
    return mods, missing


def blas_info():
    """Which BLAS shared objects this process has mapped, and OpenBLAS's own config string."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if any(k in base for k in ("blas", "blis", "mkl_rt", "lapack")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    info = {"libraries": sorted(libs)}
    for lib in sorted(libs):
        if "openblas" in lib or "libblas" in lib:
            try:
                import ctypes
                h = ctypes.CDLL(lib)
                h.openblas_get_config.restype = ctypes.c_char_p
                info["openblas_config"] = h.openblas_get_config().decode()
                h.openblas_get_num_threads.restype = ctypes.c_int
                info["openblas_threads"] = h.openblas_get_num_threads()
                if hasattr(h, "openblas_get_corename"):
                    h.openblas_get_corename.restype = ctypes.c_char_p
                    info["openblas_core"] = h.openblas_get_corename().decode()
                break
            except (OSError, AttributeError):
                continue
    return info


def versions(mods):
    v = {"python": sys.version.split()[0], "executable": sys.executable}
    if "numpy" in mods:
        v["numpy"] = mods["numpy"].__version__
    if "torch" in mods:
        v["torch"] = mods["torch"].__version__
        v["torch_threads"] = mods["torch"].get_num_threads()
    v["blas"] = blas_info()
    return v


def now():
    return time.perf_counter()


def measure(fn, spec):
    """Median seconds per call of fn after warm-up (see the module doc)."""
    warmup = spec.get("warmupMs", 100) / 1e3
    min_rep = spec.get("minRepMs", 20) / 1e3
    reps = spec.get("reps", 7)
    max_case = spec.get("maxCaseMs", 4000) / 1e3
    min_warm = 2
    t0 = now()
    fn()
    first = now() - t0
    if first * 1e3 > spec.get("slowCallMs", 100):  # one warm-up call, 3 single-call repeats
        warmup, min_rep, reps, max_case, min_warm = 0.0, 0.0, 3, 0.0, 1
    n_warm = 0
    start = now()
    while n_warm < min_warm or now() - start < warmup:
        fn()
        n_warm += 1
    per_call = max((now() - start) / n_warm, 1e-9)
    iters = max(1, int(-(-min_rep // per_call)))
    reps = max(3, min(reps, int(max_case / (per_call * iters))))
    samples = []
    for _ in range(reps):
        t = now()
        for _ in range(iters):
            fn()
        samples.append((now() - t) / iters)
    samples.sort()
    m = len(samples) // 2
    med = samples[m] if len(samples) % 2 else (samples[m - 1] + samples[m]) / 2
    return med, iters, reps


def measure_cpu(fn, n):
    """Process CPU time (all threads) per call over n calls: robust when other processes share the cores."""
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n


# ---- case builders: return a zero-argument function doing one iteration, or None ----

def numpy_case(np, case):
    kind = case["kind"]
    rng = np.random.default_rng(0)
    f32 = np.float32
    if kind == "gemm":
        n = case["n"]
        a = rng.standard_normal((n, n), dtype=f32)
        b = rng.standard_normal((n, n), dtype=f32)
        return lambda: a @ b
    if kind in ("add", "mul", "sum", "max", "copy"):
        n = case["numel"]
        a = rng.standard_normal(n, dtype=f32)
        b = rng.standard_normal(n, dtype=f32)
        if kind == "add":
            return lambda: np.add(a, b)
        if kind == "mul":
            return lambda: np.multiply(a, b)
        if kind == "sum":
            return lambda: a.sum()
        if kind == "max":
            return lambda: a.max()
        out = np.empty_like(a)
        out.fill(0)  # touch the pages once, outside the timing
        return lambda: np.copyto(out, a)
    if kind == "softmax":
        x = rng.standard_normal(case["shape"], dtype=f32)

        def softmax():
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return softmax
    if kind == "layernorm":
        shape = case["shape"]
        x = rng.standard_normal(shape, dtype=f32)
        w = rng.standard_normal(shape[-1:], dtype=f32)
        bias = rng.standard_normal(shape[-1:], dtype=f32)

        def layernorm():
            mu = x.mean(axis=-1, keepdims=True)
            xc = x - mu
            var = (xc * xc).mean(axis=-1, keepdims=True)
            return xc / np.sqrt(var + f32(1e-5)) * w + bias
        return layernorm
    if kind == "tinyadd" and case.get("grad", "none") == "none":
        a = np.array([1.0], dtype=f32)
        b = np.array([2.0], dtype=f32)
        return lambda: np.add(a, b)
    return None


def torch_case(torch, case):
    kind = case["kind"]
    g = torch.Generator().manual_seed(0)
    f32 = torch.float32
    F = torch.nn.functional
    if kind == "gemm":
        n = case["n"]
        a = torch.randn(n, n, generator=g, dtype=f32)
        b = torch.randn(n, n, generator=g, dtype=f32)
        return lambda: torch.matmul(a, b)
    if kind in ("add", "mul", "sum", "max", "copy"):
        n = case["numel"]
        a = torch.randn(n, generator=g, dtype=f32)
        b = torch.randn(n, generator=g, dtype=f32)
        if kind == "add":
            return lambda: torch.add(a, b)
        if kind == "mul":
            return lambda: torch.mul(a, b)
        if kind == "sum":
            return lambda: a.sum()
        if kind == "max":
            return lambda: a.max()
        out = torch.zeros_like(a)
        return lambda: out.copy_(a)
    if kind == "softmax":
        x = torch.randn(*case["shape"], generator=g, dtype=f32)
        return lambda: torch.softmax(x, dim=-1)
    if kind == "layernorm":
        shape = case["shape"]
        x = torch.randn(*shape, generator=g, dtype=f32)
        w = torch.randn(shape[-1], generator=g, dtype=f32)
        bias = torch.randn(shape[-1], generator=g, dtype=f32)
        return lambda: F.layer_norm(x, shape[-1:], w, bias, 1e-5)
    if kind == "conv2d":
        x = torch.randn(case["n"], case["cin"], case["h"], case["w"], generator=g, dtype=f32)
        k = case["k"]
        w = torch.randn(case["cout"], case["cin"], k, k, generator=g, dtype=f32)
        bias = torch.randn(case["cout"], generator=g, dtype=f32)
        if not case.get("backward"):
            def fwd():
                with torch.no_grad():
                    return F.conv2d(x, w, bias)
            return fwd
        w.requires_grad_(True)
        bias.requires_grad_(True)

        def fwd_bwd():
            w.grad = None
            bias.grad = None
            F.conv2d(x, w, bias).sum().backward()
        return fwd_bwd
    if kind in ("train_mlp", "train_cnn"):
        # One training step as a user writes it: torch.nn modules, cross_entropy, torch.optim.Adam.
        torch.manual_seed(0)
        nn = torch.nn
        n = case["batch"]
        if kind == "train_mlp":
            model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
            x = torch.randn(n, 784, generator=g, dtype=f32)
        else:
            model = nn.Sequential(
                nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))
            x = torch.randn(n, 1, 28, 28, generator=g, dtype=f32)
        y = torch.randint(0, 10, (n,), generator=g)
        opt = torch.optim.Adam(model.parameters(), lr=case.get("lr", 1e-3))

        def train_step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()
        for _ in range(case.get("warmupSteps", 0)):
            train_step()
        return train_step
    if kind == "sdpa":
        # Attention as torch 1.13 users write it (F.scaled_dot_product_attention arrived in 2.0):
        # softmax(q k^T * scale + causal mask) v, forward or forward + backward to q, k, v.
        b, h, l, e = case["b"], case["h"], case["l"], case["e"]
        q, k, v = (torch.randn(b, h, l, e, generator=g, dtype=f32) for _ in range(3))
        causal = torch.ones(l, l, dtype=torch.bool).tril() if case.get("causal") else None
        sdpa = getattr(F, "scaled_dot_product_attention", None)

        def attend(q, k, v):
            if sdpa is not None:
                return sdpa(q, k, v, is_causal=causal is not None)
            s = torch.matmul(q, k.transpose(-2, -1)) * (e ** -0.5)
            if causal is not None:
                s = s.masked_fill(~causal, float("-inf"))
            return torch.matmul(torch.softmax(s, dim=-1), v)
        if not case.get("backward"):
            def fwd():
                with torch.no_grad():
                    return attend(q, k, v)
            return fwd
        for t in (q, k, v):
            t.requires_grad_(True)

        def fwd_bwd():
            for t in (q, k, v):
                t.grad = None
            attend(q, k, v).sum().backward()
        return fwd_bwd
    if kind == "tinyadd":
        mode = case.get("grad", "none")
        a = torch.tensor([1.0], dtype=f32, requires_grad=mode != "none")
        b = torch.tensor([2.0], dtype=f32)
        if mode == "none":
            return lambda: torch.add(a, b)
        if mode == "requires":
            return lambda: torch.add(a, b)

        def add_backward():
            torch.add(a, b).backward()
        return add_backward
    return None


def run_spec(mods, missing, spec):
    threads = int(spec.get("threads", 1))
    if "torch" in mods:
        mods["torch"].set_num_threads(threads)
    wanted = spec.get("systems", ["numpy", "torch"])
    gap = spec.get("gapMs", 0) / 1e3
    results, errors = [], []
    for case in spec["cases"]:
        for system in wanted:
            if system not in mods:
                continue
            try:
                build = numpy_case if system == "numpy" else torch_case
                fn = build(mods[system], case)
                if fn is None:
                    continue
                if gap > 0:
                    time.sleep(gap)
                sec, iters, reps = measure(fn, spec)
                res = {"id": case["id"], "system": system, "seconds": sec, "iters": iters, "reps": reps}
                if case.get("cpuTime"):
                    res["cpuSeconds"] = measure_cpu(fn, iters * reps)
                results.append(res)
            except Exception as e:  # report and go on with the other cases
                errors.append({"id": case["id"], "system": system, "error": f"{type(e).__name__}: {e}"})
    return {"versions": versions(mods), "missing": missing, "results": results, "errors": errors}


def main():
    mods, missing = load_peers()
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        print(json.dumps({"versions": versions(mods), "missing": missing}))
        return 0
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "--serve":
        for line in sys.stdin:
            if not line.strip():
                continue
            print(json.dumps(run_spec(mods, missing, json.loads(line))), flush=True)
        return 0
    spec = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1]))
    print(json.dumps(run_spec(mods, missing, spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
