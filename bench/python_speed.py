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
- MNIST, MiniBatchNMF(10, random_state=0) (its defaults: batches of 1024, forget factor 0.7);
- the CLI: `nmfkit fit mnist -k 10 --solver cd` with `--init random` and without (the rule the
  Python calls run; the CLI's own default is hals), the fit's own time
  (summary.json), for the Python-against-CLI comparison.
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


def compare(name, x, kwargs, beta, rows, estimator="NMF"):
    import sklearn.decomposition as skd

    import nmfkit

    for library, cls in (("scikit-learn", getattr(skd, estimator)),
                         ("nmfkit", getattr(nmfkit, estimator))):
        seconds, model, w = timed(lambda: cls(**kwargs), x)
        rows.append(dict(case=name, library=library, seconds=seconds, n_iter=int(model.n_iter_),
                         error=error(x, w, model.components_, beta)))
        print(f"{name:38s} {library:13s} {seconds:8.2f} s {model.n_iter_:5d} it  "
              f"error {rows[-1]['error']:.6f}", flush=True)


def cli_fit(nmfkit_cli, args):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([nmfkit_cli, "fit", "mnist", "-k", "10", "-q", "-o", out] + args,
                       check=True, stdout=subprocess.DEVNULL)
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
        "(nmfkit: all cores; scikit-learn: numpy's OpenBLAS), both in one Python process, one "
        f"run each, on {result['date']}. Errors are evaluated in float64 by scikit-learn's "
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
    cli = result["cli"]
    mnist = {row["case"]: row for row in result["rows"] if row["library"] == "nmfkit"}
    lines += [
        "",
        "MNIST is `X = pixels / 255.0` (float64, 60,000 x 784), the form a notebook gives it; the "
        "tf-idf matrix is bench/datasets.py's (documents x terms of the text under "
        "/usr/share/doc) as a scipy CSR matrix, with the two calls of scikit-learn's "
        "topic-extraction example.",
        "",
        "## Against the CLI",
        "",
        "| | Python `fit_transform` | CLI fit (summary.json `seconds`) |",
        "|---|---|---|",
        f"| MNIST k=10, init random | {mnist['MNIST k=10, init random, seed 0']['seconds']:.2f} s "
        f"| {cli['init random']:.2f} s |",
        f"| MNIST k=10, defaults | {mnist['MNIST k=10, defaults']['seconds']:.2f} s "
        f"| {cli['defaults']:.2f} s |",
        f"| MNIST float32 k=10, defaults | "
        f"{mnist['MNIST float32 k=10, defaults']['seconds']:.2f} s | {cli['defaults']:.2f} s |",
        "",
        "The CLI runs `nmfkit fit mnist -k 10 --solver cd` (with `--init random` for the first "
        "row): the Python calls' rule, scikit-learn's, not the CLI's own default (hals). "
        "The CLI reads MNIST's 8-bit pixels and fits in single precision. The Python call fits "
        "the array it is given in its own precision, as scikit-learn does: a float64 array in "
        "double precision, a float32 one in single precision like the CLI.",
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
    compare("MNIST k=10, init random, seed 0", x,
            dict(n_components=10, init="random", random_state=0), 2, rows)
    compare("MNIST k=10, defaults", x, dict(n_components=10), 2, rows)
    compare("MNIST float32 k=10, defaults", x.astype(np.float32), dict(n_components=10), 2,
            rows)
    compare("MNIST k=10, MiniBatchNMF defaults", x, dict(n_components=10, random_state=0), 2,
            rows, estimator="MiniBatchNMF")
    text = tfidf(args.work)
    compare("tf-idf k=10, Frobenius (example)", text,
            dict(n_components=10, random_state=1, init="nndsvda", alpha_W=5e-5, alpha_H=5e-5,
                 l1_ratio=1), 2, rows)
    compare("tf-idf k=10, Kullback-Leibler (example)", text,
            dict(n_components=10, random_state=1, init="nndsvda", beta_loss="kullback-leibler",
                 solver="mu", max_iter=1000, alpha_W=5e-5, alpha_H=5e-5, l1_ratio=0.5), 1, rows)
    cli = {}
    # The rule the Python calls run (scikit-learn's cd), not the CLI's own default (hals).
    for label, extra in (("init random", ["--solver", "cd", "--init", "random"]),
                         ("defaults", ["--solver", "cd"])):
        summary = cli_fit(args.nmfkit, extra)
        cli[label] = dict(seconds=summary["seconds"])
    memory = peak_memory(args.data)

    machine = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                     machine)
    result = dict(machine=model, cores=os.cpu_count(), nmfkit=nmfkit.__version__, rows=rows,
                  date=time.strftime("%Y-%m-%d"),
                  cli={k: v["seconds"] for k, v in cli.items()}, memory=memory)
    with open(os.path.join(args.out, "benchmarks-python.json"), "w") as f:
        json.dump(result, f, indent=2)
    write_markdown(result, os.path.join(args.out, "benchmarks-python.md"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
