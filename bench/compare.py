#!/usr/bin/python3
"""Side-by-side benchmark matrix: nmfkit's defaults against scikit-learn's NMF and RcppML::nmf on
the same machine and data, every contender in its own process with the same thread count.

Cases (dataset:k[:reps]): MNIST's training images (60000 x 784, 81% zeros) with k = 4, 10, 50,
100; Fashion-MNIST's (60000 x 784, 50% zeros) with k = 10, 20; 100,000 colour photo patches of
16 x 16 pixels (100000 x 768, dense) with k = 20; a tf-idf term-document matrix of the text under
/usr/share/doc (about 5000 x 5000, 94% zeros) with k = 20 (bench/datasets.py makes the last
two). Pixels are scaled to [0, 1]. The tf-idf matrix is handed over in the sparse form a
vectorizer gives it (scipy's .npz; scikit-learn gets it as CSR, RcppML dense from the .npy), so
that no contender's time includes making it sparse.

Contenders: `nmfkit fit FILE -k K` (the defaults, as a user types it), nmfkit with scikit-learn's
rule (`--solver cd`), scikit-learn's "seed call" NMF(k, init='random', random_state=0) and its
default call NMF(k) (init nndsvda), and RcppML::nmf(A, k, tol = 1e-4, maxit = 100, seed = 0).
The table reports medians of the fit time (data loading excluded), iterations, final relative
error ||X - WH||_F / ||X||_F (peers: from their W and H in float64) and peak resident memory.

Per case the verdict compares nmfkit's defaults with the peers: its final error against the
lowest of the three peers' errors, and its fit time against each peer's. "Time to the peer's
error" is the first point of nmfkit's default run's own error-against-time history at or below
that peer's final error (none when the run ended above it).

Writes docs/benchmarks.md (tables), docs/benchmarks.json (every run) and docs/benchmarks.png
(relative error against time: nmfkit's curves, the peers' final points).

Usage: bench/compare.py [--cases mnist:4,mnist:10,...] [--reps 1] [--threads 2]
                        [--out docs/benchmarks.md]
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
BENCH_DATA = os.path.join(DATA, "bench")
FILES = {
    "mnist": os.path.join(DATA, "mnist", "train-images-idx3-ubyte"),
    "fashion-mnist": "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
    "patches": os.path.join(BENCH_DATA, "patches.npy"),
    "tfidf": os.path.join(BENCH_DATA, "tfidf.npz"),
}
NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
         "patches": "16 x 16 colour photo patches", "tfidf": "tf-idf of /usr/share/doc"}
SHAPES = {"patches": ["--shape", "16x16x3"]}
DEFAULT_CASES = ("mnist:4,mnist:10,mnist:50,mnist:100,fashion-mnist:10,fashion-mnist:20,"
                 "patches:20,tfidf:20")

# Loading shared by the Python peers: IDX (plain or gzip) or NPY, to float32; 8-bit data / 255.
# The tf-idf matrix goes to scikit-learn as scipy CSR (its faster form for sparse data).
LOAD_PY = r"""
import gzip, numpy as np
def load(path):
    if path.endswith('.npz'):
        import scipy.sparse
        return scipy.sparse.load_npz(path).tocsr().astype('float32')
    if path.endswith('.npy'):
        x = np.load(path)
        if x.dtype == np.uint8:
            return x.astype('float32') / 255
        x = x.astype('float32')
        if (x == 0).mean() > 0.9:
            import scipy.sparse
            return scipy.sparse.csr_matrix(x)
        return x
    raw = (gzip.open if path.endswith('.gz') else open)(path, 'rb').read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(3))
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h * w).astype('float32') / 255
"""

SKLEARN = LOAD_PY + r"""
import json, sys, time, warnings
import scipy.sparse
from sklearn.decomposition import NMF
warnings.filterwarnings("ignore")
path, k, init = sys.argv[1], int(sys.argv[2]), sys.argv[3]
X = load(path)
t = time.perf_counter()
if init == 'random':
    m = NMF(n_components=k, init='random', random_state=0)
else:
    m = NMF(n_components=k)
W = m.fit_transform(X)
s = time.perf_counter() - t
# In float64, 1000 rows at a time: numpy's float32 norm (and scikit-learn's reconstruction_err_)
# accumulate in single precision and are off by about 1e-4 relative on MNIST.
H64 = m.components_.astype(np.float64)
err2 = x2 = 0.0
for i in range(0, X.shape[0], 1000):
    Xb = X[i:i + 1000]
    Xb = (Xb.toarray() if scipy.sparse.issparse(Xb) else Xb).astype(np.float64)
    err2 += float(((Xb - W[i:i + 1000].astype(np.float64) @ H64) ** 2).sum())
    x2 += float((Xb ** 2).sum())
print(json.dumps({"seconds": s, "iterations": int(m.n_iter_),
                  "relative_error": float(np.sqrt(err2 / x2))}))
"""

RCPPML = r"""
args <- commandArgs(TRUE); path <- args[1]; k <- as.integer(args[2])
if (grepl("\\.npy$", path)) {
  con <- file(path, "rb")
  magic <- readBin(con, "raw", 8)
  hlen <- readBin(con, "integer", 1, size = 2, signed = FALSE, endian = "little")
  header <- rawToChar(readBin(con, "raw", hlen))
  shape <- sub(".*'shape': \\(([^)]*)\\).*", "\\1", header)
  dims <- as.integer(regmatches(shape, gregexpr("[0-9]+", shape))[[1]])
  if (grepl("u1", header)) {
    A <- matrix(as.integer(readBin(con, "raw", dims[1] * dims[2])) / 255, nrow = dims[2])
  } else {
    A <- matrix(readBin(con, "numeric", dims[1] * dims[2], size = 4, endian = "little"), nrow = dims[2])
  }
  close(con)
} else {
  con <- if (grepl("\\.gz$", path)) gzfile(path, "rb") else file(path, "rb")
  hdr <- readBin(con, "integer", 4, size = 4, endian = "big")
  px <- as.integer(readBin(con, "raw", hdr[2] * hdr[3] * hdr[4])); close(con)
  A <- matrix(px / 255, nrow = hdr[3] * hdr[4])
}
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
        cmd = [NMFKIT, "fit", FILES[dataset], "-k", str(k), "-o", out, "-q", "--threads",
               str(threads)] + SHAPES.get(dataset, [])
        _, rss = timed(cmd + extra, env)
        s = json.load(open(os.path.join(out, "summary.json")))
    x_norm = s["x_norm"]
    curve = [[t, math.sqrt(2 * max(l, 0.0)) / x_norm]
             for t, l in zip(s["history_seconds"], s["loss_history"]) if l is not None]
    return {"seconds": s["seconds"], "iterations": s["iterations"],
            "relative_error": s["relative_error"], "rss": rss, "curve": curve,
            "solver": s["solver"], "extrapolate": s["extrapolate"], "timings": s["timings"]}


def sklearn(dataset, k, init, env):
    out, rss = timed(["/usr/bin/python3", "-c", SKLEARN, FILES[dataset], str(k), init], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss)


def rcppml(dataset, k, threads, env):
    # R reads the dense .npy of a sparse file (RcppML::nmf takes a dense or a dgCMatrix).
    path = re.sub(r"\.npz$", ".npy", FILES[dataset])
    out, rss = timed(["Rscript", "-e", RCPPML, path, str(k), str(threads)], env)
    return dict(json.loads(out.strip().splitlines()[-1]), rss=rss)


DEFAULT = "nmfkit (defaults)"


def contenders(dataset, k, threads, env):
    """(name, kind, run) for every contender; kind 'nmfkit' or 'peer'."""
    return [
        (DEFAULT, "nmfkit", lambda: nmfkit(dataset, k, threads, env, [])),
        ("nmfkit --solver cd (scikit-learn's rule)", "nmfkit",
         lambda: nmfkit(dataset, k, threads, env, ["--solver", "cd"])),
        ("scikit-learn, seed's call (init random)", "peer",
         lambda: sklearn(dataset, k, "random", env)),
        ("scikit-learn, default call (init nndsvda)", "peer",
         lambda: sklearn(dataset, k, "default", env)),
        ("RcppML nmf, tol 1e-4", "peer", lambda: rcppml(dataset, k, threads, env)),
    ]


def time_to(curve, target):
    """First time the curve is at or below target, else None."""
    for t, e in curve:
        if e <= target:
            return t
    return None


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
    default = rows[0]
    for row in rows:
        if row["kind"] == "peer":
            times = [time_to(r["curve"], row["median"]["relative_error"]) for r in default["runs"]]
            reached = [t for t in times if t is not None]
            row["default_time_to_error"] = statistics.median(reached) if reached else None
    return {"dataset": dataset, "k": k, "reps": reps, "rows": rows}


def verdict(case):
    """The must-show figures of one case."""
    rows = {r["name"]: r["median"] for r in case["rows"]}
    peers = [r for r in case["rows"] if r["kind"] == "peer"]
    d = rows[DEFAULT]
    lowest = min(p["median"]["relative_error"] for p in peers)
    sk = [p["median"] for p in peers if p["name"].startswith("scikit-learn")]
    rc = [p["median"] for p in peers if p["name"].startswith("RcppML")][0]
    return {"error": d["relative_error"], "seconds": d["seconds"], "lowest_peer_error": lowest,
            "at_or_below": d["relative_error"] <= lowest,
            "excess": d["relative_error"] / lowest - 1,
            "vs_sklearn": min(s["seconds"] for s in sk) / d["seconds"],
            "vs_sklearn_slower_call": max(s["seconds"] for s in sk) / d["seconds"],
            "vs_rcppml": rc["seconds"] / d["seconds"]}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "SSE2"
    # Kernels forced below what the CPU has (to measure another machine's instruction set here).
    forced = [f"{var}={os.environ[var]}" for var in ("NMFKIT_ISA", "OPENBLAS_CORETYPE")
              if os.environ.get(var)]
    if forced:
        isa += "; kernels forced: " + ", ".join(forced)
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}, {isa}), {mem / 2**20:.0f} GiB, " \
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
        "Debian's r-cran-rcppml. Data are float32 in [0, 1] for scikit-learn (the tf-idf matrix "
        "as scipy CSR), float64 for RcppML (which requires it), the files themselves for nmfkit. "
        "Each run is in a fresh process; with several runs the tables give medians. Fit time "
        "excludes loading the data; peak memory is the whole process's maximum resident set "
        "(`/usr/bin/time -v`), loading included. Relative error is ||X - WH||_F / ||X||_F, for "
        "the peers computed from their W and H in float64.",
        "",
        "nmfkit's defaults are `nmfkit fit FILE -k K` with nothing else: HALS with extrapolation "
        "from the nndsvda start (on data with fewer than 10% zeros, here the photo patches, exact "
        "solves by block principal pivoting, extrapolated: `docs/solvers.md`), the 10-iteration "
        "error-window stopping rule (tol 1e-4), at most 200 iterations. *Lowest peer error* is the lowest final error of the three peer calls; "
        "*speed-up* is a peer's fit time over nmfkit's. *Time to the peer's error* is when "
        "nmfkit's default run first reached that peer's final error (its own error-against-time "
        "history, initialisation included).",
        "",
        "Reproduce: `make bench` (installs the peers, fetches MNIST, makes the patches and the "
        "tf-idf matrix with `bench/datasets.py`; Fashion-MNIST comes from Debian's "
        "dataset-fashion-mnist). The error-against-time plot is `docs/benchmarks.png`; every run "
        "is in `docs/benchmarks.json`.",
        "",
        "## Summary: nmfkit's defaults against the peers",
        "",
        "| case | nmfkit time (s) | nmfkit error | lowest peer error | nmfkit above it by | "
        "speed-up vs faster scikit-learn call | vs slower call | vs RcppML |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        v = verdict(case)
        above = "at or below" if v["at_or_below"] else f"{100 * v['excess']:.3f}%"
        lines.append(f"| {NAMES[case['dataset']]}, k = {case['k']} | {v['seconds']:.2f} | "
                     f"{v['error']:.5f} | {v['lowest_peer_error']:.5f} | {above} | "
                     f"{v['vs_sklearn']:.1f}x | {v['vs_sklearn_slower_call']:.1f}x | "
                     f"{v['vs_rcppml']:.1f}x |")
    for case in cases:
        lines += ["", f"## {NAMES[case['dataset']]}, k = {case['k']}", "",
                  f"Medians of {case['reps']} runs each." if case["reps"] > 1 else "One run each.",
                  "",
                  "| contender | fit time (s) | iterations | relative error | peak memory (MiB) | "
                  "nmfkit's defaults: time to its error (s) |",
                  "|---|---|---|---|---|---|"]
        for row in case["rows"]:
            m = row["median"]
            tt = fmt_time(row["default_time_to_error"]) if row["kind"] == "peer" else ""
            lines.append(f"| {row['name']} | {m['seconds']:.2f} | {m['iterations']:.0f} | "
                         f"{m['relative_error']:.5f} | {m['rss']:.0f} | {tt} |")
    return "\n".join(lines) + "\n"


def plot(cases, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = 4
    rows_n = (len(cases) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, 4.4 * rows_n), squeeze=False)
    for ax in axes.flat[len(cases):]:
        ax.axis("off")
    for ax, case in zip(axes.flat, cases):
        markers = "osD^v"
        for j, row in enumerate(case["rows"]):
            m = row["median"]
            if row["kind"] == "nmfkit":
                curve = row["runs"][0]["curve"][1:]
                ax.plot([p[0] for p in curve], [p[1] for p in curve], color=f"C{j}",
                        label=row["name"])
            else:
                ax.plot([m["seconds"]], [m["relative_error"]], markers[j % len(markers)],
                        color=f"C{j}", label=row["name"])
        low = min(r["median"]["relative_error"] for r in case["rows"])
        ax.set_ylim(low * 0.998, low * 1.03)
        ax.set_xscale("log")
        ax.set_xlabel("seconds since the fit started (log)")
        ax.set_ylabel("relative error ||X - WH|| / ||X||")
        ax.set_title(f"{NAMES[case['dataset']]}, k = {case['k']}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=90)
    os.replace(path + ".tmp.png", path)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    specs = [spec.split(":") for spec in a.cases.split(",")]
    for parts in specs:
        if parts[0] not in FILES:
            sys.exit(f"unknown dataset '{parts[0]}' (choose one of {', '.join(FILES)})")
    if any(parts[0] in ("patches", "tfidf") for parts in specs):
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, "bench", "datasets.py"),
                        BENCH_DATA], check=True)
    cases = []
    for parts in specs:
        dataset, k = parts[0], int(parts[1])
        reps = int(parts[2]) if len(parts) > 2 else a.reps
        cases.append(run_case(dataset, k, reps, a.threads, env))
    base = os.path.splitext(a.out)[0]
    write(base + ".json", json.dumps({"machine": machine(), "threads": a.threads,
                                      "reps": a.reps, "cases": cases}) + "\n")
    plot(cases, base + ".png")
    text = markdown(cases, a)
    write(a.out, text)
    print(text)


if __name__ == "__main__":
    main()
