#!/usr/bin/python3
"""Growth in n: nmfkit's time per iteration and peak memory on MNIST (60,000 images) and on
MNIST's digits shifted to make 600,000 and 6,000,000 images (bench/datasets.py --growth: 10 and
100 shifts of every digit, about 81% zeros like MNIST), fitted as a user types it:

    nmfkit fit FILE -k K --max-iter ITERS --tol 0 --threads T --log-json LOG -q -o OUT

(--tol 0: every case runs the same number of iterations). From each run: the time per iteration
(median of the differences between consecutive iterations of the log, the first one left out),
the initialisation (the log's first time), the whole command's wall time, and its peak resident
memory (the child's ru_maxrss) against the 8-bit input's size and against O((n + m)k): the
factors and one n x k product in float, 4(n + m)k bytes.

Writes docs/growth.md and docs/growth.json.

Usage: bench/growth.py [--k 10] [--iters 20] [--threads 2] [--sizes 60k,600k,6m]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import compare  # bench/compare.py: the machine's description

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NMFKIT = os.path.join(REPO, "build", "release", "nmfkit")
DATA = os.environ.get("NMFKIT_DATA_DIR", os.path.join(REPO, "data"))
MNIST_DIR = os.path.join(DATA, "mnist")
FILES = {
    "60k": os.path.join(MNIST_DIR, "train-images-idx3-ubyte"),
    "600k": os.path.join(DATA, "bench", "mnist-600k.npy"),
    "6m": os.path.join(DATA, "bench", "mnist-6m.npy"),
}
ROWS = {"60k": 60000, "600k": 600000, "6m": 6000000}
COLS = 784


def run(size, k, iters, threads):
    path = FILES[size]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log.json")
        out = os.path.join(tmp, "out")
        cmd = [NMFKIT, "fit", path, "-k", str(k), "--max-iter", str(iters), "--tol", "0",
               "--threads", str(threads), "--log-json", log, "-q", "-o", out]
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("growth: %s failed: %s" % (" ".join(cmd), stderr.decode(errors="replace")))
        lines = [json.loads(line) for line in open(log)]
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
    times = [line["seconds"] for line in lines]
    steps = [b - a for a, b in zip(times[1:], times[2:])]
    n = ROWS[size]
    return {
        "size": size, "n": n, "m": COLS, "k": k, "threads": threads, "iterations": len(lines),
        "command": " ".join(["nmfkit", "fit", os.path.relpath(path, REPO)] + cmd[3:-5]),
        "seconds_per_iteration": statistics.median(steps),
        "init_seconds": times[0], "fit_seconds": summary["seconds"], "wall_seconds": wall,
        "peak_rss_bytes": usage.ru_maxrss * 1024, "input_bytes": n * COLS,
        "nk_bytes": 4 * (n + COLS) * k, "format": summary.get("format"),
        "relative_error": lines[-1]["relative_error"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default="60k,600k,6m")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "growth.md"))
    args = ap.parse_args()
    sizes = args.sizes.split(",")
    missing = [FILES[s] for s in sizes if not os.path.exists(FILES[s])]
    if missing:
        subprocess.run([os.path.join(REPO, "scripts", "fetch-mnist.sh")], check=True)
        subprocess.run([sys.executable, os.path.join(REPO, "bench", "datasets.py"),
                        os.path.join(DATA, "bench"), "--growth", MNIST_DIR], check=True)
    rows = []
    for size in sizes:
        r = run(size, args.k, args.iters, args.threads)
        print("growth: %s: %.1f ms per iteration, init %.2f s, wall %.1f s, peak %.0f MiB "
              "(input %.0f MiB)" % (size, 1000 * r["seconds_per_iteration"], r["init_seconds"],
                                    r["wall_seconds"], r["peak_rss_bytes"] / 2**20,
                                    r["input_bytes"] / 2**20), flush=True)
        rows.append(r)
    base = rows[0]
    when = datetime.date.today().isoformat()
    machine = compare.machine()
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"date": when, "machine": machine, "runs": rows}, f, indent=1)
    lines = [
        "# Growth in n: MNIST, 600,000 and 6,000,000 images",
        "",
        "Measured %s by `bench/growth.py --k %d --iters %d --threads %d` on %s, one run per size "
        "(the machine otherwise idle). Data: MNIST's training images and bench/datasets.py "
        "--growth's shifted copies of them (uint8 NPY files, about 81%% zeros). Every run is "
        "`nmfkit fit FILE -k %d --max-iter %d --tol 0 --threads %d` (default solver, start and "
        "storage). Time per iteration: the median of the log's iteration-to-iteration times, "
        "the first left out; peak memory: the process's maximum resident set, against the "
        "8-bit input's size and against 4(n + m)k bytes (one n x k or m x k matrix in float)."
        % (when, args.k, args.iters, args.threads, machine, args.k, args.iters, args.threads),
        "",
        "| images | per iteration | vs MNIST, per image | init | fit | whole command | peak memory "
        "| input (8-bit) | peak − input, in 4(n + m)k | storage |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_image = (r["seconds_per_iteration"] / r["n"]) / (
            base["seconds_per_iteration"] / base["n"])
        lines.append(
            "| %s | %.1f ms | %.2f | %.2f s | %.2f s | %.1f s | %.0f MiB | %.0f MiB | %.1f | %s |"
            % ("{:,}".format(r["n"]), 1000 * r["seconds_per_iteration"], per_image,
               r["init_seconds"], r["fit_seconds"], r["wall_seconds"],
               r["peak_rss_bytes"] / 2**20, r["input_bytes"] / 2**20,
               (r["peak_rss_bytes"] - r["input_bytes"]) / r["nk_bytes"], r["format"]))
    lines += [
        "",
        "\"vs MNIST, per image\" is the time per iteration per image relative to MNIST's: 1.00 is "
        "exactly linear growth. A negative \"peak − input\" means the whole process stayed "
        "below the size of its 8-bit input: an uncompressed 8-bit NPY or IDX file is read a "
        "block of rows at a time, twice (its non-zeros counted, then copied into the 8-bit "
        "compressed sparse rows the fit reads, 3 bytes per non-zero), and never held whole; "
        "the pictures read the rows they draw from the file.",
        "",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("growth: wrote %s" % os.path.relpath(args.out, REPO))


if __name__ == "__main__":
    main()
