#!/usr/bin/python3
"""Parity with scikit-learn's NMF: the same data, the same custom W0/H0, the same number of
iterations. With the same rule (cd, mu) nmfkit's objective must be at most scikit-learn's x 1.001;
nmfkit's other rules (hals, anls-bpp) are compared with scikit-learn's cd for information, since
from the same start different rules may settle in different local minima. For every case the
objective nmfkit reports for (X, W0, H0) must equal scikit-learn's to 1e-6 relative. The
SPARSE_CASES run on X with about 70% zeros (a zero row and a zero column too) and nmfkit's --format auto,
which stores it sparse for them (Kullback-Leibler then reads X's non-zeros only).

Usage: parity.py PATH_TO_NMFKIT   (run by CTest, label "parity")
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.decomposition import NMF
from sklearn_objective import objective

warnings.filterwarnings("ignore")  # scikit-learn warns when max_iter stops it; that is the point

NMFKIT = sys.argv[1]
K = 4
ITERATIONS = 30

# (nmfkit solver, scikit-learn solver, loss, beta, alpha_W, alpha_H, l1_ratio)
CASES = [
    ("cd", "cd", "frobenius", 2.0, 0.0, 0.0, 0.0),
    ("mu", "mu", "frobenius", 2.0, 0.0, 0.0, 0.0),
    ("mu", "mu", "kullback-leibler", 1.0, 0.0, 0.0, 0.0),
    ("mu", "mu", "itakura-saito", 0.0, 0.0, 0.0, 0.0),
    ("mu", "mu", "0.5", 0.5, 0.0, 0.0, 0.0),
    ("mu", "mu", "3", 3.0, 0.0, 0.0, 0.0),
    ("cd", "cd", "frobenius", 2.0, 0.01, 0.02, 0.5),
    ("cd", "cd", "frobenius", 2.0, 0.05, 0.05, 0.0),
    ("mu", "mu", "frobenius", 2.0, 0.01, 0.01, 1.0),
    ("mu", "mu", "kullback-leibler", 1.0, 0.001, 0.002, 0.3),
    ("hals", "cd", "frobenius", 2.0, 0.0, 0.0, 0.0),
    ("hals", "cd", "frobenius", 2.0, 0.01, 0.02, 0.5),
    ("anls-bpp", "cd", "frobenius", 2.0, 0.0, 0.0, 0.0),
    ("anls-bpp", "cd", "frobenius", 2.0, 0.01, 0.02, 0.5),
]
SPARSE_CASES = [
    ("mu", "mu", "kullback-leibler", 1.0, 0.0, 0.0, 0.0),
    ("mu", "mu", "kullback-leibler", 1.0, 0.001, 0.002, 0.3),
    ("mu", "mu", "frobenius", 2.0, 0.0, 0.0, 0.0),
]


def dataset(seed, positive, sparse=False):
    rng = np.random.RandomState(seed)
    w = rng.rand(40, 5) * (rng.rand(40, 5) > 0.3)
    h = rng.rand(5, 30) * (rng.rand(5, 30) > 0.3)
    x = w @ h + 0.05 * rng.rand(40, 30)
    if positive:
        x += 0.1
    if sparse:
        x[rng.rand(40, 30) < 0.7] = 0
        x[3, :] = 0
        x[:, 7] = 0
    w0 = np.abs(rng.randn(40, K)) * np.sqrt(x.mean() / K)
    h0 = np.abs(rng.randn(K, 30)) * np.sqrt(x.mean() / K)
    return x, w0, h0


def run_nmfkit(folder, x, w0, h0, solver, loss, alpha_w, alpha_h, l1_ratio, data_format):
    paths = {}
    for name, a in (("x", x), ("w0", w0), ("h0", h0)):
        paths[name] = os.path.join(folder, name + ".npy")
        np.save(paths[name], a)
    out = os.path.join(folder, "out")
    cmd = [NMFKIT, "fit", paths["x"], "-k", str(K), "-o", out, "-q", "--dtype", "float64",
           "--init", "custom", "--w0", paths["w0"], "--h0", paths["h0"], "--solver", solver,
           "--loss", loss, "--max-iter", str(ITERATIONS), "--tol", "0", "--alpha-w", str(alpha_w),
           "--alpha-h", str(alpha_h), "--l1-ratio", str(l1_ratio), "--format", data_format]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    summary = json.load(open(os.path.join(out, "summary.json")))
    return np.load(os.path.join(out, "W.npy")), np.load(os.path.join(out, "H.npy")), summary


def main():
    passed = failed = 0
    for seed in (0, 1):
        for sparse, (solver, sk_solver, loss, beta, alpha_w, alpha_h, l1_ratio) in (
                [(False, c) for c in CASES] + [(True, c) for c in SPARSE_CASES]):
            x, w0, h0 = dataset(seed, positive=beta <= 0, sparse=sparse)
            name = (f"seed {seed} {solver} vs {sk_solver}, loss {loss}, alpha {alpha_w}/{alpha_h}, "
                    f"l1 {l1_ratio}" + (", sparse X, format auto" if sparse else ""))
            model = NMF(n_components=K, init="custom", solver=sk_solver, beta_loss=beta,
                        max_iter=ITERATIONS, tol=0, alpha_W=alpha_w, alpha_H=alpha_h,
                        l1_ratio=l1_ratio)
            w_sk = model.fit_transform(x, W=w0.copy(), H=h0.copy())
            sk = objective(x, w_sk, model.components_, beta, alpha_w, alpha_h, l1_ratio)
            with tempfile.TemporaryDirectory() as folder:
                w, h, summary = run_nmfkit(folder, x, w0, h0, solver, loss, alpha_w, alpha_h,
                                           l1_ratio, "auto" if sparse else "dense")
            ours = objective(x, w, h, beta, alpha_w, alpha_h, l1_ratio)
            start = objective(x, w0, h0, beta, alpha_w, alpha_h, l1_ratio)
            reported = summary["loss_history"][0]
            problems = []
            # Other rules than scikit-learn's may settle in another local minimum: compared for
            # information only (the line says which was lower).
            if solver == sk_solver and not ours <= sk * 1.001:
                problems.append(f"objective {ours:.9g} > scikit-learn's {sk:.9g} x 1.001")
            if abs(reported - start) > 1e-6 * abs(start):
                problems.append(f"objective at W0, H0 {reported:.12g} != scikit-learn's {start:.12g}")
            if summary["iterations"] != ITERATIONS:
                problems.append(f"ran {summary['iterations']} iterations, not {ITERATIONS}")
            if sparse and summary["format"] != "sparse":
                problems.append(f"format auto stored X {summary['format']}, not sparse")
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            if solver != sk_solver:
                status += " (different rule: " + ("lower" if ours <= sk else "higher") + ")"
            print(f"{name}: nmfkit {ours:.9g}, scikit-learn {sk:.9g}: {status}")
            if problems:
                failed += 1
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
