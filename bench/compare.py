#!/usr/bin/python3
"""Side-by-side benchmark: nmfkit against scikit-learn's NMF and RcppML::nmf on the same machine
and data, every contender in its own process with the same thread count.

Cases (dataset:k): MNIST training images (60000 x 784) with k = 4, 10, 50 and Fashion-MNIST
(60000 x 784) with k = 10, pixels scaled to [0, 1]. For each contender and case, REPS runs; the
table reports medians of the fit time (data loading excluded), iterations, final relative error
||X - WH||_F / ||X||_F and peak resident memory of the whole process (loading included).

Time to target: nmfkit records its error after every iteration with the time since the fit
started (initialisation included). For each peer, "nmfkit time to target" is the first time at
which nmfkit's error is at or below the peer's final error, from nmfkit runs with a tight
tolerance (--tol 1e-6, --max-iter 600, so they do not stop before a slow peer's error); the
median over REPS runs. The speed-up is the peer's fit time over that time.

Writes docs/benchmarks.md (tables), docs/benchmarks.json (every run) and docs/benchmarks.png
(relative error against time, one panel per case: nmfkit's error curves, the peers' final
points; scikit-learn mu's curve from its own verbose log).

Usage: bench/compare.py [--cases mnist:4,mnist:10,mnist:50,fashion-mnist:10] [--reps 3]
A case may carry its own repetition count: mnist:50:1.
                        [--threads 2] [--out docs/benchmarks.md]
"""
import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NMFKIT = os.path.join(REPO, "build", "release", "nmfkit")
DATA = os.environ.get("NMFKIT_DATA_DIR", os.path.join(REPO, "data"))
FILES = {
    "mnist": os.path.join(DATA, "mnist", "train-images-idx3-ubyte"),
    "fashion-mnist": "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
}
NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

# Loading is shared by the Python peers: IDX (plain or gzip) to float32 in [0, 1].
LOAD_PY = r"""
import gzip, numpy as np
def load(path):
    raw = (gzip.open if path.endswith('.gz') else open)(path, 'rb').read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(3))
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h * w).astype('float32') / 255
"""

SKLEARN = LOAD_PY + r"""
import json, sys, time, io, contextlib, re, warnings
from sklearn.decomposition import NMF
warnings.filterwarnings("ignore")
path, k, solver, init = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
X = load(path)
log = io.StringIO()
t = time.perf_counter()
m = NMF(n_components=k, init=init, random_state=0, solver=solver, verbose=(solver == 'mu'))
with contextlib.redirect_stdout(log):
    W = m.fit_transform(X)
s = time.perf_counter() - t
# In float64, 1000 rows at a time (so the check adds little to the peak memory): numpy's
# float32 norm (and scikit-learn's reconstruction_err_) accumulate in single precision and are
# off by about 1e-4 relative on MNIST, more than the gaps being measured.
H64 = m.components_.astype(np.float64)
err2 = x2 = 0.0
for i in range(0, X.shape[0], 1000):
    Xb = X[i:i + 1000].astype(np.float64)
    err2 += float(((Xb - W[i:i + 1000].astype(np.float64) @ H64) ** 2).sum())
    x2 += float((Xb ** 2).sum())
rel = float(np.sqrt(err2 / x2))
# mu's verbose log: "Epoch 10 reached after 1.234 seconds, error: 1234.5" every 10 iterations.
curve = [[float(a), float(b)] for a, b in
         re.findall(r"after ([0-9.]+) seconds, error: ([0-9.eE+-]+)", log.getvalue())]
x_norm = float(np.sqrt(x2))
print(json.dumps({"seconds": s, "iterations": int(m.n_iter_), "relative_error": rel,
                  "curve": [[a, b / x_norm] for a, b in curve]}))
"""

RCPPML = r"""
args <- commandArgs(TRUE); path <- args[1]; k <- as.integer(args[2])
con <- if (grepl("\\.gz$", path)) gzfile(path, "rb") else file(path, "rb")
hdr <- readBin(con, "integer", 4, size = 4, endian = "big")
px <- as.integer(readBin(con, "raw", hdr[2] * hdr[3] * hdr[4])); close(con)
A <- matrix(px / 255, nrow = hdr[3] * hdr[4])
suppressMessages(library(RcppML))
options(RcppML.threads = as.integer(args[3]), RcppML.verbose = FALSE)
t <- system.time(m <- RcppML::nmf(A, k, tol = 1e-4, maxit = 100, seed = 0, verbose = FALSE))[["elapsed"]]
R <- m$w %*% diag(m$d, k) %*% m$h
rel <- sqrt(sum((A - R)^2)) / sqrt(sum(A^2))
cat(sprintf('{"seconds": %.4f, "iterations": %d, "relative_error": %.8f}\n', t, m$iter, rel))
"""


def timed(cmd, env):
    """Runs cmd under /usr/bin/time -v; returns (stdout, peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"benchmark command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tf.read()).group(1))
    return p.stdout, rss / 1024


def nmfkit(dataset, k, threads, env, extra):
    with tempfile.TemporaryDirectory() as out:
        cmd = [NMFKIT, "fit", dataset, "-k", str(k), "-o", out, "-q", "--threads", str(threads)]
        _, rss = timed(cmd + extra, env)
        s = json.load(open(os.path.join(out, "summary.json")))
    x_norm = s["x_norm"]
    curve = [[t, math.sqrt(2 * max(l, 0.0)) / x_norm]
             for t, l in zip(s["history_seconds"], s["loss_history"])]
    return {"seconds": s["seconds"], "iterations": s["iterations"],
            "relative_error": s["relative_error"], "rss": rss, "curve": curve,
            "timings": s["timings"]}


def sklearn(dataset, k, solver, init, env):
    out, rss = timed(["/usr/bin/python3", "-c", SKLEARN, FILES[dataset], str(k), solver, init], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss)


def rcppml(dataset, k, threads, env):
    out, rss = timed(["Rscript", "-e", RCPPML, FILES[dataset], str(k), str(threads)], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss, curve=[])


def contenders(dataset, k, threads, env):
    """(name, kind, run) for every contender; kind 'nmfkit' or 'peer'."""
    return [
        ("nmfkit hals", "nmfkit", lambda: nmfkit(dataset, k, threads, env, ["--solver", "hals"])),
        ("nmfkit cd --extrapolate", "nmfkit",
         lambda: nmfkit(dataset, k, threads, env, ["--solver", "cd", "--extrapolate"])),
        ("nmfkit cd (default; scikit-learn's rule)", "nmfkit",
         lambda: nmfkit(dataset, k, threads, env, [])),
        ("scikit-learn cd, init nndsvda (default)", "peer",
         lambda: sklearn(dataset, k, "cd", "nndsvda", env)),
        ("scikit-learn cd, init random", "peer", lambda: sklearn(dataset, k, "cd", "random", env)),
        ("scikit-learn mu, init nndsvda", "peer", lambda: sklearn(dataset, k, "mu", "nndsvda", env)),
        ("RcppML nmf, tol 1e-4", "peer", lambda: rcppml(dataset, k, threads, env)),
    ]


TRACES = [("nmfkit hals", ["--solver", "hals"]),
          ("nmfkit cd --extrapolate", ["--solver", "cd", "--extrapolate"]),
          ("nmfkit cd (default)", [])]


def time_to(curve, target):
    """First time the curve is at or below target, else None."""
    for t, e in curve:
        if e <= target:
            return t
    return None


def median_or_none(values):
    """Median of the runs that reached the target; None when none did."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run_case(dataset, k, reps, threads, env):
    rows = []
    for name, kind, run in contenders(dataset, k, threads, env):
        runs = []
        for r in range(reps):
            runs.append(run())
            brief = {key: v for key, v in runs[-1].items() if key not in ("curve", "timings")}
            print(f"{dataset} k={k} {name} rep {r + 1}: {brief}", file=sys.stderr, flush=True)
        med = {key: statistics.median(x[key] for x in runs)
               for key in ("seconds", "iterations", "relative_error", "rss")}
        rows.append({"name": name, "kind": kind, "median": med, "runs": runs})
    traces = []
    for name, extra in TRACES:
        runs = []
        for r in range(reps):
            runs.append(nmfkit(dataset, k, threads, env,
                               extra + ["--tol", "1e-6", "--max-iter", "600"]))
            print(f"{dataset} k={k} trace {name} rep {r + 1}: {runs[-1]['relative_error']:.6f} "
                  f"after {runs[-1]['iterations']} iterations", file=sys.stderr, flush=True)
        traces.append({"name": name, "runs": runs})
    for row in rows:
        if row["kind"] != "peer":
            continue
        target = row["median"]["relative_error"]
        row["time_to_target"] = {
            t["name"]: median_or_none([time_to(run["curve"], target) for run in t["runs"]])
            for t in traces}
    return {"dataset": dataset, "k": k, "rows": rows, "traces": traces}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem / 2**20:.0f} GiB, " \
           f"{platform.system()} {platform.release()}"


def fmt_time(t):
    return "not reached" if t is None else f"{t:.2f}"


def markdown(cases, a):
    lines = [
        "# nmfkit beside scikit-learn and RcppML",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` (`bench/compare.py --reps {a.reps} "
        f"--threads {a.threads}`) on one machine: {machine()}; {a.threads} threads for every "
        "contender (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS; RcppML.threads). scikit-learn "
        "(Debian python3-sklearn) runs on numpy with OpenBLAS (libopenblas0-pthread); RcppML is "
        "Debian's r-cran-rcppml. Pixels are float32 in [0, 1] (RcppML: float64, as it requires). "
        "Each number is the median of the runs stated with each table, each run in a fresh "
        "process. Fit time excludes "
        "loading the data; peak memory is the whole process's maximum resident set "
        "(`/usr/bin/time -v`), loading included. Relative error is ||X - WH||_F / ||X||_F, for "
        "the peers computed from their W and H in float64 in numpy or R (numpy's float32 norm, like "
        "scikit-learn's reconstruction_err_, is off by about 1e-4 relative on MNIST).",
        "",
        "**Time to target** is the time nmfkit needs, from the start of its fit (initialisation "
        "included), to reach the peer's final relative error: the first entry of nmfkit's "
        "error-against-time history at or below it, in runs with `--tol 1e-6 --max-iter 600`. "
        "*Speed-up* is the peer's fit time over that time. *not reached* means nmfkit's runs "
        "ended (converged) above the peer's error: a different local minimum.",
        "",
        "Reproduce: `make bench` (installs the peers, fetches MNIST; Fashion-MNIST comes from "
        "Debian's dataset-fashion-mnist). The error-against-time plot is `docs/benchmarks.png`; "
        "every run is in `docs/benchmarks.json`.",
    ]
    for case in cases:
        lines += ["", f"## {NAMES[case['dataset']]}, k = {case['k']}", "",
                  f"Medians of {case['reps']} runs each." if case["reps"] > 1 else "One run each.",
                  "",
                  "| contender | fit time (s) | iterations | relative error | peak memory (MiB) |",
                  "|---|---|---|---|---|"]
        for row in case["rows"]:
            m = row["median"]
            lines.append(f"| {row['name']} | {m['seconds']:.2f} | {m['iterations']:.0f} | "
                         f"{m['relative_error']:.5f} | {m['rss']:.0f} |")
        lines += ["", "| peer | its error | its time (s) | " +
                  " | ".join(f"{t['name']}: time to target (s) | speed-up" for t in case["traces"])
                  + " |", "|---|---|---|" + "---|---|" * len(case["traces"])]
        for row in case["rows"]:
            if row["kind"] != "peer":
                continue
            m = row["median"]
            cells = []
            for t in case["traces"]:
                tt = row["time_to_target"][t["name"]]
                cells += [fmt_time(tt), "—" if tt is None else f"{m['seconds'] / tt:.1f}x"]
            lines.append(f"| {row['name']} | {m['relative_error']:.5f} | {m['seconds']:.2f} | "
                         + " | ".join(cells) + " |")
        best = [min(r["relative_error"] for r in t["runs"]) for t in case["traces"]]
        lines += ["", "nmfkit's error at convergence in the tight-tolerance runs: " +
                  "; ".join(f"{t['name']} {b:.5f}" for t, b in zip(case["traces"], best)) + "."]
    return "\n".join(lines) + "\n"


def plot(cases, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(cases), figsize=(5.2 * len(cases), 4.4), squeeze=False)
    for ax, case in zip(axes[0], cases):
        for i, t in enumerate(case["traces"]):
            run = t["runs"][0]
            ax.plot([p[0] for p in run["curve"][1:]], [p[1] for p in run["curve"][1:]],
                    color=f"C{i}", label=t["name"])
        markers = "osD^v"
        for j, row in enumerate(r for r in case["rows"] if r["kind"] == "peer"):
            m = row["median"]
            curve = row["runs"][0].get("curve") or []
            if curve:
                ax.plot([p[0] for p in curve], [p[1] for p in curve], color=f"C{j + 3}",
                        linestyle="--", linewidth=1)
            ax.plot([m["seconds"]], [m["relative_error"]], markers[j % len(markers)],
                    color=f"C{j + 3}", label=row["name"])
        errors = [r["median"]["relative_error"] for r in case["rows"]]
        low = min(errors)
        ax.set_ylim(low - 0.002, low + 0.03)
        ax.set_xscale("log")
        ax.set_xlabel("seconds since the fit started (log)")
        ax.set_ylabel("relative error ||X - WH|| / ||X||")
        ax.set_title(f"{NAMES[case['dataset']]}, k = {case['k']}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=110)
    os.replace(path + ".tmp.png", path)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="mnist:4,mnist:10,mnist:50,fashion-mnist:10")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    cases = []
    for spec in a.cases.split(","):
        parts = spec.split(":")
        dataset, k = parts[0], int(parts[1])
        reps = int(parts[2]) if len(parts) > 2 else a.reps
        if dataset not in FILES:
            sys.exit(f"unknown dataset '{dataset}' (choose mnist or fashion-mnist)")
        case = run_case(dataset, k, reps, a.threads, env)
        case["reps"] = reps
        cases.append(case)
    base = os.path.splitext(a.out)[0]
    write(base + ".json", json.dumps({"machine": machine(), "threads": a.threads,
                                      "reps": a.reps, "cases": cases}) + "\n")
    plot(cases, base + ".png")
    text = markdown(cases, a)
    write(a.out, text)
    print(text)


if __name__ == "__main__":
    main()
