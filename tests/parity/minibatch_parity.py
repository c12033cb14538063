#!/usr/bin/python3
"""Parity with scikit-learn's MiniBatchNMF: the same data, the same custom W0/H0 (or init random
with the same seed), the same batch size and number of passes. nmfkit's `fit --batch-size`
objective must be at most scikit-learn's x 1.001 (they follow the same steps, so they should agree
to rounding), for every loss, with regularisation, with and without fresh restarts; with the
stopping rules on (tol, max_no_improvement) both must stop after the same number of steps.

Usage: minibatch_parity.py PATH_TO_NMFKIT   (run by CTest, label "parity")
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.decomposition import MiniBatchNMF
from sklearn_objective import objective

warnings.filterwarnings("ignore")  # scikit-learn warns when max_iter stops it; that is the point

NMFKIT = sys.argv[1]
K = 4
N, M = 200, 30
BATCH = 32  # 7 batches, the last one shorter
ITERATIONS = 10

# (loss, beta, alpha_W, alpha_H, l1_ratio, fresh_restarts, init)
CASES = [
    ("frobenius", 2.0, 0.0, 0.0, 0.0, False, "custom"),
    ("kullback-leibler", 1.0, 0.0, 0.0, 0.0, False, "custom"),
    ("itakura-saito", 0.0, 0.0, 0.0, 0.0, False, "custom"),
    ("0.5", 0.5, 0.0, 0.0, 0.0, False, "custom"),
    ("3", 3.0, 0.0, 0.0, 0.0, False, "custom"),
    ("frobenius", 2.0, 0.0, 0.0, 0.0, True, "custom"),
    ("kullback-leibler", 1.0, 0.0, 0.0, 0.0, True, "custom"),
    ("itakura-saito", 0.0, 0.0, 0.0, 0.0, True, "custom"),
    ("0.5", 0.5, 0.0, 0.0, 0.0, True, "custom"),
    ("frobenius", 2.0, 0.01, 0.02, 0.5, False, "custom"),
    ("frobenius", 2.0, 0.05, 0.05, 0.0, True, "custom"),
    ("kullback-leibler", 1.0, 0.001, 0.002, 0.3, False, "custom"),
    ("0.5", 0.5, 0.001, 0.001, 1.0, True, "custom"),
    ("frobenius", 2.0, 0.0, 0.0, 0.0, False, "random"),
    ("kullback-leibler", 1.0, 0.0, 0.0, 0.0, True, "random"),
]


def dataset(seed, positive):
    rng = np.random.RandomState(seed)
    w = rng.rand(N, 5) * (rng.rand(N, 5) > 0.3)
    h = rng.rand(5, M) * (rng.rand(5, M) > 0.3)
    x = w @ h + 0.05 * rng.rand(N, M)
    if positive:
        x += 0.1
    w0 = np.abs(rng.randn(N, K)) * np.sqrt(x.mean() / K)
    h0 = np.abs(rng.randn(K, M)) * np.sqrt(x.mean() / K)
    return x, w0, h0


def run_nmfkit(folder, x, w0, h0, loss, alpha_w, alpha_h, l1_ratio, fresh, init, tol,
               max_no_improvement):
    paths = {}
    for name, a in (("x", x), ("w0", w0), ("h0", h0)):
        paths[name] = os.path.join(folder, name + ".npy")
        np.save(paths[name], a)
    out = os.path.join(folder, "out")
    cmd = [NMFKIT, "fit", paths["x"], "-k", str(K), "-o", out, "-q", "--dtype", "float64",
           "--batch-size", str(BATCH), "--max-no-improvement", str(max_no_improvement),
           "--loss", loss, "--max-iter", str(ITERATIONS), "--tol", str(tol),
           "--alpha-w", str(alpha_w), "--alpha-h", str(alpha_h), "--l1-ratio", str(l1_ratio)]
    if init == "custom":
        cmd += ["--init", "custom", "--w0", paths["w0"], "--h0", paths["h0"]]
    else:
        cmd += ["--init", init, "--seed", "0"]
    if fresh:
        cmd.append("--fresh-restarts")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    summary = json.load(open(os.path.join(out, "summary.json")))
    return np.load(os.path.join(out, "W.npy")), np.load(os.path.join(out, "H.npy")), summary


def main():
    passed = failed = 0
    for seed in (0, 1):
        for loss, beta, alpha_w, alpha_h, l1_ratio, fresh, init in CASES:
            for stopping in (False, True):
                x, w0, h0 = dataset(seed, positive=beta <= 0)
                tol, patience = (1e-3, 3) if stopping else (0, 0)
                name = (f"seed {seed} loss {loss}, alpha {alpha_w}/{alpha_h}, l1 {l1_ratio}, "
                        f"fresh_restarts {fresh}, init {init}"
                        + (f", tol {tol}, max_no_improvement {patience}" if stopping else ""))
                model = MiniBatchNMF(n_components=K, init=init, beta_loss=beta,
                                     batch_size=BATCH, max_iter=ITERATIONS, tol=tol,
                                     max_no_improvement=patience or None, alpha_W=alpha_w,
                                     alpha_H=alpha_h, l1_ratio=l1_ratio, fresh_restarts=fresh,
                                     random_state=0)
                if init == "custom":
                    w_sk = model.fit_transform(x, W=w0.copy(), H=h0.copy())
                else:
                    w_sk = model.fit_transform(x)
                sk = objective(x, w_sk, model.components_, beta, alpha_w, alpha_h, l1_ratio)
                with tempfile.TemporaryDirectory() as folder:
                    w, h, summary = run_nmfkit(folder, x, w0, h0, loss, alpha_w, alpha_h,
                                               l1_ratio, fresh, init, tol, patience)
                ours = objective(x, w, h, beta, alpha_w, alpha_h, l1_ratio)
                h_diff = np.linalg.norm(h - model.components_) / np.linalg.norm(model.components_)
                problems = []
                if not ours <= sk * 1.001:
                    problems.append(f"objective {ours:.9g} > scikit-learn's {sk:.9g} x 1.001")
                steps = summary["minibatch"]["steps"]
                if steps != model.n_steps_:
                    problems.append(f"{steps} steps, scikit-learn {model.n_steps_}")
                if summary["iterations"] != model.n_iter_:
                    problems.append(f"{summary['iterations']} passes, scikit-learn "
                                    f"{model.n_iter_}")
                if abs(summary["error"] - model.reconstruction_err_) > 1e-3 * model.reconstruction_err_:
                    problems.append(f"error {summary['error']:.9g} vs scikit-learn's "
                                    f"reconstruction_err_ {model.reconstruction_err_:.9g}")
                status = "ok" if not problems else "FAIL: " + "; ".join(problems)
                print(f"{name}: nmfkit {ours:.9g}, scikit-learn {sk:.9g} (ratio {ours / sk:.6f}, "
                      f"H differs by {h_diff:.1e}, {steps} steps): {status}")
                if problems:
                    failed += 1
                else:
                    passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
