#!/usr/bin/python3
"""MNIST, k = 10, every loss: nmfkit's final error beside scikit-learn's with its default
settings for that loss (cd for frobenius; mu, the only solver that takes other losses, for the
rest; init None, max_iter 200, tol 1e-4). One run each (the peers take minutes for the
elementwise losses); errors are scikit-learn's reconstruction_err_, sqrt(2 * D_beta(X | WH)).

Usage: bench/compare_losses.py [--threads 2] [--out docs/benchmarks-losses.md]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NMFKIT = os.path.join(REPO, "build", "release", "nmfkit")
MNIST = os.path.join(os.environ.get("NMFKIT_DATA_DIR", os.path.join(REPO, "data")), "mnist")

SKLEARN = r"""
import json, sys, time, warnings, numpy as np
from sklearn.decomposition import NMF
warnings.filterwarnings("ignore")
d, beta, solver = sys.argv[1], float(sys.argv[2]), sys.argv[3]
raw = open(d + '/train-images-idx3-ubyte', 'rb').read()
X = np.frombuffer(raw[16:], dtype=np.uint8).reshape(60000, 784).astype('float32') / 255
t = time.perf_counter()
m = NMF(n_components=10, beta_loss=beta, solver=solver, random_state=0)
W = m.fit_transform(X)
seconds = time.perf_counter() - t
# The error recomputed in float64 from W and H: scikit-learn's own reconstruction_err_ (and numpy's
# float32 norm) accumulate in single precision and are off by about 1e-4 relative on MNIST.
X, Y = X.astype(np.float64), W.astype(np.float64) @ m.components_.astype(np.float64)
if beta == 2:
    error = np.sqrt(((X - Y) ** 2).sum())
else:
    Y = np.maximum(Y, np.finfo(np.float32).eps)
    nz = X > 0
    error = np.sqrt(2 * ((X[nz] * np.log(X[nz] / Y[nz])).sum() - X.sum() + Y.sum()))
print(json.dumps({"seconds": seconds, "iterations": int(m.n_iter_), "error": float(error),
                  "reported": float(m.reconstruction_err_)}))
"""

# (loss, beta, scikit-learn's solver, nmfkit's solvers)
LOSSES = [("frobenius", 2.0, "cd", ["cd", "hals"]), ("kullback-leibler", 1.0, "mu", ["mu"])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks-losses.md"))
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    rows = []
    for loss, beta, sk_solver, solvers in LOSSES:
        sk = json.loads(subprocess.run(["/usr/bin/python3", "-c", SKLEARN, MNIST, str(beta),
                                        sk_solver], env=env, check=True, capture_output=True,
                                       text=True).stdout.strip().splitlines()[-1])
        for solver in solvers:
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([NMFKIT, "fit", "mnist", "-k", "10", "-o", out, "-q",
                                "--threads", str(a.threads), "--loss", loss, "--solver", solver],
                               env=env, check=True, stdout=subprocess.DEVNULL)
                s = json.load(open(os.path.join(out, "summary.json")))
            rows.append((loss, sk_solver, sk, solver, s))
            print(loss, sk, solver, s["error"], s["seconds"], s["iterations"], file=sys.stderr)
    lines = [
        "# MNIST, k = 10, every loss: nmfkit beside scikit-learn's defaults",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/compare_losses.py --threads {a.threads}` "
        f"on one machine with {os.cpu_count()} cores, {a.threads} threads for both, one run each. "
        "MNIST training images, 60000 x 784, float32 scaled to [0, 1]. scikit-learn: "
        "`NMF(n_components=10, beta_loss=BETA, solver=SOLVER, random_state=0)`, everything else "
        "default (init nndsvda, max_iter 200, tol 1e-4); nmfkit: `nmfkit fit mnist -k 10 --loss "
        "LOSS --solver SOLVER`, everything else default (cd, scikit-learn's rule, is nmfkit's "
        "default solver; hals is its faster alternative). The error is sqrt(2 * D_beta(X | WH)) (scikit-learn's "
        "reconstruction_err_), for scikit-learn recomputed in float64 from its W and H: its own "
        "reconstruction_err_, accumulated in float32, is shown in brackets and is off by about "
        "1e-4 relative. nmfkit computes its final error in float64. Itakura-Saito (beta 0) is "
        "missing: MNIST has zeros, which both refuse for beta <= 0. Other values of beta run the "
        "same code path as kullback-leibler (`--loss BETA`).",
        "",
        "| loss | scikit-learn solver | its error [its reconstruction_err_] | its time (s) | "
        "its iterations | nmfkit solver "
        "| nmfkit error | nmfkit time (s) | nmfkit iterations |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for loss, sk_solver, sk, solver, s in rows:
        lines.append(f"| {loss} | {sk_solver} | {sk['error']:.2f} [{sk['reported']:.2f}] | "
                     f"{sk['seconds']:.1f} | "
                     f"{sk['iterations']} | {solver} | {s['error']:.2f} | {s['seconds']:.1f} | "
                     f"{s['iterations']} |")
    text = "\n".join(lines) + "\n"
    with open(a.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(a.out + ".tmp", a.out)
    print(text)


if __name__ == "__main__":
    main()
