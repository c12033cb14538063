#!/usr/bin/python3
"""The β-divergence benchmark: nmfkit's defaults for a loss beside scikit-learn's multiplicative
updates (its only solver for β != 2) from both of its starts, side by side in one run.

Cases: a dense magnitude spectrogram of synthetic music (bench/datasets.py) with
Kullback-Leibler and Itakura-Saito at k = 10 and 40, a second one of synthetic speech with both at
k = 10; a sparse tf-idf matrix (same script) with Kullback-Leibler at k = 10 and 50 and MNIST at
k = 10. scikit-learn: `NMF(k, beta_loss=LOSS, solver='mu',
init='random', random_state=0)` ("the seed's call") and the same with its default init
(nndsvda), max_iter 200, tol 1e-4, on float32 X: scipy.sparse CSR where at least 90% of X is
zeros (the tf-idf matrix), dense otherwise: its faster form in each case (on MNIST, 81% zeros, its
sparse KL path took 337 s against 65 s dense). nmfkit: `nmfkit fit FILE -k K --loss LOSS`, everything else default. Every
divergence is recomputed in float64 from the saved W and H with scikit-learn's own
_beta_divergence, so all three are measured alike. One run each.

Every case's runs are kept in OUT's .json beside it, so a later run of some --cases replaces
those rows and keeps the others; the table is written from all of them.

Usage: bench/compare_beta.py [--threads 2] [--data /tmp/nmfkit-beta-data]
                             [--cases spectrogram:kl:10,...] [--out docs/benchmarks-losses.md]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import machine  # noqa: E402  (the machine's one-line description)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NMFKIT = os.path.join(REPO, "build", "release", "nmfkit")
MNIST = os.path.join(os.environ.get("NMFKIT_DATA_DIR", os.path.join(REPO, "data")), "mnist",
                     "train-images-idx3-ubyte")
LOSSES = {"kl": ("kullback-leibler", 1.0), "is": ("itakura-saito", 0.0)}
DEFAULT_CASES = ("spectrogram:kl:10,spectrogram:kl:40,spectrogram:is:10,spectrogram:is:40,"
                 "speech:kl:10,speech:is:10,tfidf:kl:10,tfidf:kl:50,mnist:kl:10")

# Loads X as the benchmark gives it to scikit-learn, in float32.
LOAD = r"""
import numpy as np, scipy.sparse as sp
def load(path):
    if path.endswith('idx3-ubyte'):
        raw = open(path, 'rb').read()
        x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(60000, 784).astype(np.float32) / 255
    elif path.endswith('.npz'):
        return sp.load_npz(path).tocsr().astype(np.float32)
    else:
        x = np.load(path).astype(np.float32)
    return sp.csr_matrix(x) if (x == 0).mean() >= 0.9 else x
"""

SKLEARN = LOAD + r"""
import json, sys, time, warnings
from sklearn.decomposition import NMF
warnings.filterwarnings("ignore")
path, k, beta, init, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
X = load(path)
t = time.perf_counter()
m = NMF(n_components=k, beta_loss=beta, solver='mu', init=None if init == 'default' else init,
        random_state=0, max_iter=200, tol=1e-4)
W = m.fit_transform(X)
seconds = time.perf_counter() - t
np.save(out + '/W.npy', W)
np.save(out + '/H.npy', m.components_)
print(json.dumps({"seconds": seconds, "iterations": int(m.n_iter_)}))
"""

# sqrt(2 D_beta(X | WH)) in float64, scikit-learn's reconstruction_err_ formula.
ERROR = LOAD + r"""
import json, sys
from sklearn.decomposition._nmf import _beta_divergence
path, beta, w, h = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
X = load(path)
X = X.astype(np.float64)
W, H = np.load(w).astype(np.float64), np.load(h).astype(np.float64)
print(json.dumps({"error": float(_beta_divergence(X, W, H, beta, square_root=True))}))
"""


def run_json(args, env):
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "nmfkit-beta-data"))
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks-losses.md"))
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    subprocess.run(["/usr/bin/python3", os.path.join(REPO, "bench", "datasets.py"), a.data],
                   check=True, stdout=sys.stderr)
    files = {"spectrogram": os.path.join(a.data, "spectrogram.npy"),
             "speech": os.path.join(a.data, "speech.npy"),
             "tfidf": os.path.join(a.data, "tfidf.npz"), "mnist": MNIST}
    rows = []
    for case in a.cases.split(","):
        data, loss_key, k = case.split(":")
        loss, beta = LOSSES[loss_key]
        path = files[data]
        row = {"data": data, "loss": loss, "k": int(k), "runs": {}}
        for who in ("sklearn-random", "sklearn-default", "nmfkit"):
            with tempfile.TemporaryDirectory() as out:
                if who == "nmfkit":
                    run = subprocess.run([NMFKIT, "fit", "mnist" if data == "mnist" else path,
                                          "-k", k, "-o", out, "-q", "--threads", str(a.threads),
                                          "--loss", loss], env=env, check=True,
                                         capture_output=True, text=True)
                    s = json.load(open(os.path.join(out, "summary.json")))
                    r = {"seconds": s["seconds"], "iterations": s["iterations"],
                         "per_iteration": s["seconds"] / max(1, s["iterations"]),
                         "format": s["format"], "init": s["init"], "solver": s["solver"],
                         "shape": s["shape"]}
                else:
                    r = run_json(["/usr/bin/python3", "-c", SKLEARN, path, k, str(beta),
                                  who.split("-")[1], out], env)
                r.update(run_json(["/usr/bin/python3", "-c", ERROR, path, str(beta),
                                   os.path.join(out, "W.npy"), os.path.join(out, "H.npy")], env))
            row["runs"][who] = r
            print(case, who, r, file=sys.stderr)
        rows.append(row)
        write(a, rows)


def write(a, new_rows):
    """Merges new_rows into OUT's .json (a row per data:loss:k) and writes the table."""
    store = os.path.splitext(a.out)[0] + ".json"
    rows = json.load(open(store)) if os.path.exists(store) else []
    for row in new_rows:
        row["measured"] = row.get("measured", time.strftime("%Y-%m-%d"))
        row["machine"] = row.get("machine", machine())
        key = (row["data"], row["loss"], row["k"])
        rows = [r for r in rows if (r["data"], r["loss"], r["k"]) != key] + [row]
    with open(store + ".tmp", "w") as f:
        json.dump(rows, f, indent=1)
    os.replace(store + ".tmp", store)
    lines = [
        "# The β-divergences: nmfkit's defaults beside scikit-learn",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/compare_beta.py --threads {a.threads}` on "
        + "; ".join(sorted({r.get("machine", f"{os.cpu_count()} cores") for r in rows}))
        + f", {a.threads} threads for every contender, one "
        "run each; a row's three runs ran one after the other in one invocation (rows kept in "
        "benchmarks-losses.json; those here were measured on "
        + ", ".join(sorted({r["measured"] for r in rows})) + "). Data: `bench/datasets.py` (a synthetic-music "
        "magnitude spectrogram and one of synthetic speech, dense; a tf-idf matrix of the text under "
        "/usr/share/doc, about 94% zeros; their shapes on the machine that measured them are in "
        "the data column) and MNIST (60000 x 784, 81% zeros). "
        "scikit-learn 'seed' is `NMF(k, beta_loss=LOSS, solver='mu', init='random', "
        "random_state=0)`, 'default' the same with its default init (nndsvda); max_iter 200, "
        "tol 1e-4; float32 X, as scipy.sparse CSR for the tf-idf matrix and dense otherwise (its "
        "faster form in each case). nmfkit: `nmfkit fit "
        "FILE -k K --loss LOSS`, defaults otherwise. Errors are sqrt(2·D_β(X‖WH)) recomputed in "
        "float64 from each contender's W and H by scikit-learn's `_beta_divergence`.",
        "",
        "| data | loss | k | scikit-learn seed: error, time, it | scikit-learn default: error, "
        "time, it | nmfkit: error, time, it (per it; storage, init, solver) | best scikit-learn "
        "error / "
        "nmfkit's | scikit-learn's time (of the better) / nmfkit's |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row["runs"]
        sk = min((r["sklearn-random"], r["sklearn-default"]), key=lambda v: v["error"])
        nm = r["nmfkit"]
        cell = lambda v: f"{v['error']:.6g}, {v['seconds']:.1f} s, {v['iterations']}"
        shape = " ({} x {})".format(*nm["shape"]) if "shape" in nm else ""
        lines.append(
            f"| {row['data']}{shape} | {row['loss']} | {row['k']} | {cell(r['sklearn-random'])} | "
            f"{cell(r['sklearn-default'])} | {cell(nm)} ({1000 * nm['per_iteration']:.0f} ms; "
            f"{nm['format']}, {nm['init']}, {nm.get('solver', 'mu')}) | "
            f"{sk['error'] / nm['error']:.5f} | "
            f"{sk['seconds'] / nm['seconds']:.1f}x |")
    text = "\n".join(lines) + "\n"
    with open(a.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(a.out + ".tmp", a.out)
    print(text)


if __name__ == "__main__":
    main()
