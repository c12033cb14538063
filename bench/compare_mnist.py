#!/usr/bin/python3
"""Side-by-side MNIST benchmark: nmfkit against scikit-learn's NMF and RcppML::nmf on the same
machine and data (MNIST training images, 60000 x 784, scaled to [0, 1]).

Every contender runs in its own process, REPS times; the table reports medians of the fit time
(data loading excluded), iterations, final relative error ||X - WH||_F / ||X||_F, and the peak
resident memory of the whole process (loading included).

Usage: bench/compare_mnist.py [--k 10] [--reps 3] [--threads 2] [--out docs/benchmarks.md]
"""
import argparse
import json
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
MNIST = os.path.join(os.environ.get("NMFKIT_DATA_DIR", os.path.join(REPO, "data")), "mnist")

SKLEARN = r"""
import json, sys, time, numpy as np
from sklearn.decomposition import NMF
d, k, solver, init = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
raw = open(d + '/train-images-idx3-ubyte', 'rb').read()
X = np.frombuffer(raw[16:], dtype=np.uint8).reshape(60000, 784).astype('float32') / 255
t = time.perf_counter()
m = NMF(n_components=k, init=init, random_state=0, solver=solver)
W = m.fit_transform(X)
s = time.perf_counter() - t
rel = float(np.linalg.norm(X - W @ m.components_) / np.linalg.norm(X))
print(json.dumps({"seconds": s, "iterations": int(m.n_iter_), "relative_error": rel}))
"""

RCPPML = r"""
args <- commandArgs(TRUE); d <- args[1]; k <- as.integer(args[2])
con <- file(file.path(d, "train-images-idx3-ubyte"), "rb"); readBin(con, "raw", 16)
px <- as.integer(readBin(con, "raw", 60000 * 784)); close(con)
A <- matrix(px / 255, nrow = 784)
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


def run_nmfkit(k, threads, init, env, solver="hals"):
    with tempfile.TemporaryDirectory() as out:
        _, rss = timed([NMFKIT, "fit", "mnist", "-k", str(k), "-o", out, "-q", "--threads",
                        str(threads), "--init", init, "--solver", solver], env)
        s = json.load(open(os.path.join(out, "summary.json")))
    return {"seconds": s["seconds"], "iterations": s["iterations"],
            "relative_error": s["relative_error"], "rss": rss}


def run_sklearn(k, solver, init, env):
    out, rss = timed(["/usr/bin/python3", "-c", SKLEARN, MNIST, str(k), solver, init], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss)


def run_rcppml(k, threads, env):
    out, rss = timed(["Rscript", "-e", RCPPML, MNIST, str(k), str(threads)], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    contenders = [
        ("nmfkit hals, init nndsvda (default)", lambda: run_nmfkit(a.k, a.threads, "nndsvda", env)),
        ("nmfkit hals, init random", lambda: run_nmfkit(a.k, a.threads, "random", env)),
        ("nmfkit cd, init nndsvda", lambda: run_nmfkit(a.k, a.threads, "nndsvda", env, "cd")),
        ("scikit-learn cd, init random", lambda: run_sklearn(a.k, "cd", "random", env)),
        ("scikit-learn cd, init nndsvda", lambda: run_sklearn(a.k, "cd", "nndsvda", env)),
        ("RcppML nmf, tol 1e-4", lambda: run_rcppml(a.k, a.threads, env)),
    ]
    rows = []
    for name, run in contenders:
        runs = []
        for r in range(a.reps):
            runs.append(run())
            print(f"{name} rep {r + 1}: {runs[-1]}", file=sys.stderr)
        med = {key: statistics.median(x[key] for x in runs) for key in runs[0]}
        rows.append((name, med))

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        f"# MNIST, k = {a.k}: nmfkit beside scikit-learn and RcppML",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/compare_mnist.py --k {a.k} --reps {a.reps} "
        f"--threads {a.threads}` on one machine: {os.cpu_count()} cores ({cpu}), "
        f"{platform.system()} {platform.release()}, {a.threads} threads for every contender "
        "(OMP_NUM_THREADS and OPENBLAS_NUM_THREADS). MNIST training images, 60000 x 784, "
        "float32 scaled to [0, 1] (RcppML: float64, as it requires). Each row is the median "
        f"of {a.reps} runs, each in a fresh process. Fit time excludes loading the data; peak "
        "memory is the whole process's maximum resident set (`/usr/bin/time -v`). Relative error "
        "is ||X - WH||_F / ||X||_F; for the peers it is computed from their W and H in numpy/R.",
        "",
        "| contender | fit time (s) | iterations | relative error | peak memory (MiB) |",
        "|---|---|---|---|---|",
    ]
    for name, m in rows:
        lines.append(f"| {name} | {m['seconds']:.2f} | {m['iterations']:.0f} | "
                     f"{m['relative_error']:.5f} | {m['rss']:.0f} |")
    base = rows[0][1]["seconds"]
    lines += ["", "Fit time relative to nmfkit's default:", ""]
    for name, m in rows[1:]:
        lines.append(f"- {name}: {m['seconds'] / base:.1f}x nmfkit's time")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(a.out + ".tmp", a.out)
    print(text)


if __name__ == "__main__":
    main()
