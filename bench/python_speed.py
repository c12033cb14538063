#!/usr/bin/python3
"""nmfkit's Python package against scikit-learn, side by side in one process, and against the
nmfkit CLI on the same data; peak memory of a float32 fit. Writes docs/benchmarks-python.md (and
the rows as JSON beside it).

Cases (each library gets the same X, the same call; errors are evaluated here in float64):
- MNIST (60,000 x 784, pixels / 255 as float64, the usual notebook form), k = 10:
  NMF(10, init='random', random_state=0) and NMF(10) (defaults);
- a tf-idf term-document matrix (bench/datasets.py's, of /usr/share/doc), k = 10, in
  scikit-learn's topic-extraction example's two calls: Frobenius (init nndsvda, alpha 5e-5,
  l1_ratio 1) and Kullback-Leibler (solver mu, init nndsvda, max_iter 1000, alpha 5e-5,
  l1_ratio 0.5), with X as a scipy CSR matrix;
- MNIST as float32, NMF(10) (defaults);
- MNIST float64 and the tf-idf Frobenius example again, nmfkit with extrapolate=True (its
  extrapolated coordinate descent, not scikit-learn's rule: the same or a lower objective here);
- MNIST, MiniBatchNMF(10, random_state=0) (its defaults: batches of 1024, forget factor 0.7);
- bench/datasets.py's music spectrogram (dense, float32), NMF(10, beta_loss='kullback-leibler',
  solver='mu', init='nndsvda', random_state=0): the form audio takes, where scikit-learn's API
  allows only mu for that loss; and MiniBatchNMF(10, beta_loss='kullback-leibler', random_state=0)
  on it (dense batches with beta != 2);
- the CLI, right after each nmfkit NMF call: the same fit (data, precision, rule, start,
  penalties, iteration count) as `nmfkit fit`, its own time (summary.json), for the
  Python-against-CLI comparison.
Peak memory: a child process loads MNIST as float32, then fits it; its peak RSS over the fit is
compared with X's size.

Usage: bench/python_speed.py [--nmfkit BUILD/nmfkit] [--data DIR] [--out docs]
(PYTHONPATH must reach the nmfkit package: build/release/python, or an installed one.)
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def mnist(data_dir):
    path = os.path.join(data_dir, "mnist", "train-images-idx3-ubyte")
    return np.fromfile(path, dtype=np.uint8, offset=16).reshape(60000, 784)


def tfidf(work):
    path = os.path.join(work, "tfidf.npy")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "datasets.py"), work], check=True)
    return sp.csr_matrix(np.load(path).astype(np.float64))


def spectrogram(work):
    """bench/datasets.py's synthetic-music magnitude spectrogram (dense, positive) as float32."""
    path = os.path.join(work, "spectrogram.npy")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "datasets.py"), work], check=True)
    return np.load(path).astype(np.float32)


def error(x, w, h, beta):
    from sklearn.decomposition._nmf import _beta_divergence

    return float(_beta_divergence(x, w.astype(np.float64), h.astype(np.float64), beta,
                                  square_root=True))


def timed(make, x):
    model = make()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = model.fit_transform(x)
    return time.perf_counter() - start, model, w


def compare(name, x, kwargs, beta, rows, estimator="NMF", cli=None, reps=None, ours=None):
    """Fits x with scikit-learn's and nmfkit's estimator. `cli` = (nmfkit CLI, its arguments for
    the same fit): the CLI's fit, with as many iterations as nmfkit's, runs after each nmfkit
    fit, `reps` times in turn (medians kept: this machine's speed drifts between minutes).
    `ours`: parameters only nmfkit's estimator gets (nmfkit's own options)."""
    import sklearn.decomposition as skd

    import nmfkit

    seconds, model, w = timed(lambda: getattr(skd, estimator)(**kwargs), x)
    rows.append(dict(case=name, library="scikit-learn", seconds=seconds,
                     n_iter=int(model.n_iter_), error=error(x, w, model.components_, beta)))
    print(f"{name:38s} {'scikit-learn':13s} {seconds:8.2f} s {model.n_iter_:5d} it  "
          f"error {rows[-1]['error']:.6f}", flush=True)
    times, cli_times = [], []
    if reps is None:  # three with the CLI beside them, else one
        reps = 3 if cli is not None else 1
    for _ in range(reps):
        seconds, model, w = timed(lambda: getattr(nmfkit, estimator)(**kwargs, **(ours or {})),
                                  x)
        times.append(seconds)
        if cli is not None:
            program, args = cli
            summary = cli_fit(program, args + ["--max-iter", str(model.n_iter_), "--tol", "0"])
            cli_times.append(summary["seconds"])
    rows.append(dict(case=name, library="nmfkit", seconds=statistics.median(times),
                     runs=times, n_iter=int(model.n_iter_),
                     error=error(x, w, model.components_, beta)))
    print(f"{name:38s} {'nmfkit':13s} {rows[-1]['seconds']:8.2f} s {model.n_iter_:5d} it  "
          f"error {rows[-1]['error']:.6f}", flush=True)
    if cli is not None:
        rows[-1]["cli"] = dict(args=" ".join(cli[1]), seconds=statistics.median(cli_times),
                               runs=cli_times, iterations=summary["iterations"])
        print(f"{name:38s} {'nmfkit CLI':13s} {rows[-1]['cli']['seconds']:8.2f} s "
              f"{summary['iterations']:5d} it", flush=True)


def cli_fit(nmfkit_cli, args):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([nmfkit_cli, "fit"] + args + ["-q", "-o", out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
    return summary


PEAK_CHILD = r"""
import re, sys, numpy as np, nmfkit
def status(key):
    return int(re.search(key + r":\s+(\d+)", open("/proc/self/status").read()).group(1)) * 1024
raw = np.fromfile(sys.argv[1], dtype=np.uint8, offset=16).reshape(60000, 784)
x = (raw / np.float32(255)).astype(np.float32)
del raw
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:  # resets the peak (VmHWM) to the current RSS
    f.write("5")
nmfkit.NMF(10, random_state=0).fit(x)
print(before, status("VmHWM"), x.nbytes)
"""


def peak_memory(data_dir):
    path = os.path.join(data_dir, "mnist", "train-images-idx3-ubyte")
    out = subprocess.run([sys.executable, "-c", PEAK_CHILD, path], check=True,
                         capture_output=True, text=True, env=os.environ).stdout.split()
    before, after, nbytes = (int(v) for v in out)
    return dict(rss_before_fit_mib=before / 2**20, rss_peak_mib=after / 2**20,
                x_mib=nbytes / 2**20, growth_mib=(after - before) / 2**20)


def write_markdown(result, path):
    """docs/benchmarks-python.md from the measured rows."""
    lines = [
        "# Python: nmfkit against scikit-learn",
        "",
        "Measured by `bench/python_speed.py` (part of `make bench`) on "
        f"{result['machine']}, {result['cores']} cores, with every thread the libraries take "
        "(nmfkit: all cores; scikit-learn: numpy's OpenBLAS), both in one Python process, on "
        f"{result['date']}: scikit-learn once per case, nmfkit three times (the median; once "
        "for MNIST's MiniBatchNMF). Errors are evaluated in float64 by scikit-learn's "
        "`_beta_divergence` (square root), so both columns are the same measure.",
        "",
        "| case | scikit-learn | nmfkit | speed-up | error scikit-learn | error nmfkit |",
        "|---|---|---|---|---|---|",
    ]
    cases = {}
    for row in result["rows"]:
        cases.setdefault(row["case"], {})[row["library"]] = row
    for case, pair in cases.items():
        a, b = pair["scikit-learn"], pair["nmfkit"]
        lines.append(
            f"| {case} | {a['seconds']:.2f} s, {a['n_iter']} it | {b['seconds']:.2f} s, "
            f"{b['n_iter']} it | {a['seconds'] / b['seconds']:.1f}x | {a['error']:.6f} | "
            f"{b['error']:.6f} |"
        )
    lines += [
        "",
        "MNIST is `X = pixels / 255.0` (float64, 60,000 x 784), the form a notebook gives it; the "
        "tf-idf matrix is bench/datasets.py's (documents x terms of the text under "
        "/usr/share/doc) as a scipy CSR matrix, with the two calls of scikit-learn's "
        "topic-extraction example. With the defaults (`random_state=None`) both libraries "
        "start from an unseeded randomized SVD, so their errors change from run to run in the "
        "eighth digit (in three runs of this script scikit-learn's float64 error was "
        "1354.549522, 1354.549523 and 1354.549521, nmfkit's 1354.549549, 1354.549528 and "
        "1354.549557).",
        "",
        "## Against the CLI",
        "",
        "Right after each Python fit, the CLI ran the same fit (three of each, in turn; the "
        "medians are given): the same data in the same "
        "precision (`--dtype float64` for a float64 array), the same rule (scikit-learn's `cd` "
        "or `mu`, not the CLI's own default), start and penalties, and as many iterations "
        "(`--max-iter` set to the Python fit's `n_iter_`, `--tol 0`). Its time is its "
        "summary.json `seconds`, the fit's; the Python time is the whole `fit_transform` call, "
        "scikit-learn's checks of X included.",
        "",
        "| case | Python `fit_transform` | CLI fit | Python / CLI | CLI arguments |",
        "|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        if row["library"] != "nmfkit" or "cli" not in row:
            continue
        c = row["cli"]
        lines.append(f"| {row['case']} | {row['seconds']:.2f} s, {row['n_iter']} it | "
                     f"{c['seconds']:.2f} s, {c['iterations']} it | "
                     f"{row['seconds'] / c['seconds']:.2f} | `{c['args']}` |")
    lines += [
        "",
        "The CLI reads MNIST's 8-bit pixels and the tf-idf matrix from its .npy file; a "
        "`--dtype float64` fit computes in double precision from those values, as the Python call "
        "does from its float64 array. The starts can differ: given an integer `random_state` "
        "(the tf-idf calls), the Python estimators compute nndsvda's truncated SVD by "
        "scikit-learn's recipe, for scikit-learn's start, where the CLI uses its own faster one; "
        "the factors then differ in the last digits (`cd`) or slightly more (`mu`, not converged "
        "when it stops).",
        "",
        "## Memory",
        "",
        f"A child process holding MNIST as float32 ({result['memory']['x_mib']:.0f} MiB) had an "
        f"RSS of {result['memory']['rss_before_fit_mib']:.0f} MiB before the fit and a peak of "
        f"{result['memory']['rss_peak_mib']:.0f} MiB during `NMF(10, random_state=0).fit(X)` "
        "(the peak reset through /proc/self/clear_refs before the fit): the fit added "
        f"{result['memory']['growth_mib']:.0f} MiB, less than a copy of X. The array is read in place; with MNIST's 81% "
        "zeros the core also builds its compressed sparse rows for the fit (values and column "
        "indices of the 19% non-zeros), and the factors and products are O((n + m)k).",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nmfkit", default=os.path.join(ROOT, "build", "release", "nmfkit"))
    parser.add_argument("--data", default=os.path.join(ROOT, "data"))
    parser.add_argument("--work", default="/tmp/betadata")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    import nmfkit

    rows = []
    raw = mnist(args.data)
    x = raw / 255.0
    mnist_cli = ["mnist", "-k", "10", "--solver", "cd"]
    compare("MNIST k=10, init random, seed 0", x,
            dict(n_components=10, init="random", random_state=0), 2, rows,
            cli=(args.nmfkit, mnist_cli + ["--init", "random", "--seed", "0", "--dtype", "float64"]))
    compare("MNIST k=10, defaults", x, dict(n_components=10), 2, rows,
            cli=(args.nmfkit, mnist_cli + ["--dtype", "float64"]))
    compare("MNIST k=10, defaults; nmfkit extrapolate=True", x, dict(n_components=10), 2, rows,
            cli=(args.nmfkit, mnist_cli + ["--dtype", "float64", "--extrapolate"]),
            ours=dict(extrapolate=True))
    compare("MNIST float32 k=10, defaults", x.astype(np.float32), dict(n_components=10), 2,
            rows, cli=(args.nmfkit, mnist_cli))
    compare("MNIST k=10, MiniBatchNMF defaults", x, dict(n_components=10, random_state=0), 2,
            rows, estimator="MiniBatchNMF")
    text = tfidf(args.work)
    text_cli = [os.path.join(args.work, "tfidf.npz"), "-k", "10", "--seed", "1", "--dtype",
                "float64", "--format", "sparse", "--alpha-w", "5e-5"]
    compare("tf-idf k=10, Frobenius (example)", text,
            dict(n_components=10, random_state=1, init="nndsvda", alpha_W=5e-5, alpha_H=5e-5,
                 l1_ratio=1), 2, rows,
            cli=(args.nmfkit, text_cli + ["--solver", "cd", "--l1-ratio", "1"]))
    compare("tf-idf k=10, Frobenius (example); nmfkit extrapolate=True", text,
            dict(n_components=10, random_state=1, init="nndsvda", alpha_W=5e-5, alpha_H=5e-5,
                 l1_ratio=1), 2, rows,
            cli=(args.nmfkit, text_cli + ["--solver", "cd", "--l1-ratio", "1", "--extrapolate"]),
            ours=dict(extrapolate=True))
    compare("tf-idf k=10, Kullback-Leibler (example)", text,
            dict(n_components=10, random_state=1, init="nndsvda", beta_loss="kullback-leibler",
                 solver="mu", max_iter=1000, alpha_W=5e-5, alpha_H=5e-5, l1_ratio=0.5), 1, rows,
            cli=(args.nmfkit, text_cli + ["--loss", "kullback-leibler", "--solver", "mu",
                                          "--l1-ratio", "0.5"]))
    music = spectrogram(args.work)
    compare("spectrogram k=10, Kullback-Leibler (mu)", music,
            dict(n_components=10, random_state=0, init="nndsvda", beta_loss="kullback-leibler",
                 solver="mu"), 1, rows,
            cli=(args.nmfkit, [os.path.join(args.work, "spectrogram.npy"), "-k", "10",
                               "--loss", "kullback-leibler", "--solver", "mu"]))
    compare("spectrogram k=10, MiniBatchNMF Kullback-Leibler", music,
            dict(n_components=10, random_state=0, beta_loss="kullback-leibler"), 1, rows,
            estimator="MiniBatchNMF", reps=3)
    memory = peak_memory(args.data)

    machine = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                     machine)
    result = dict(machine=model, cores=os.cpu_count(), nmfkit=nmfkit.__version__, rows=rows,
                  date=time.strftime("%Y-%m-%d"),
                  memory=memory)
    with open(os.path.join(args.out, "benchmarks-python.json"), "w") as f:
        json.dump(result, f, indent=2)
    write_markdown(result, os.path.join(args.out, "benchmarks-python.md"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
