#!/usr/bin/python3
"""Per-iteration time of nmfkit's defaults against what the machine allows, for every case of
the benchmark matrix: reads docs/benchmarks.json (bench/compare.py) and docs/micro-bench.txt
(the kernel micro benchmarks: main-memory read bandwidth and OpenBLAS's sgemm peak at the same
thread count) and writes the table between the `bounds` markers of docs/performance.md.

The bound of one iteration is the larger of
- reading X: once per iteration (W's update runs inside one pass over X, dense or sparse); in
  the storage nmfkit picks: 8-bit CSR (3 bytes per non-zero, 8 per row) for 8-bit images with
  at least 55% zeros for 5 to 12 components (64% otherwise), float CSR (8 bytes per non-zero) for other sparse data,
  dense 8-bit (a byte per pixel) for other 8-bit images, dense float32 otherwise;
- the two products' arithmetic, 2·2·nnz·k flops (2·2·n·m·k dense), at the sgemm peak;
and leaves out the O((n + m)·k²) Gram matrices and coordinate sweeps, so it is a lower bound.

Usage: bench/bounds.py [docs/benchmarks.json] [docs/micro-bench.txt] [docs/performance.md]
"""
import gzip
import json
import os
import re
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from compare import FILES, NAMES  # noqa: E402


def shape_and_stored(path):
    """(rows, columns, stored non-zeros, 8-bit) of a benchmark file: an NPY array, a scipy.sparse
    .npz (the tf-idf matrix, as compare.py hands it over) or an IDX image file."""
    if path.endswith(".npz"):
        import scipy.sparse
        x = scipy.sparse.load_npz(path)
        return x.shape[0], x.shape[1], int(x.count_nonzero()), False
    if path.endswith(".npy"):
        x = np.load(path, mmap_mode="r")
    else:
        raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
        n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
        x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h * w)
    n, m = x.shape
    nnz = int(sum(np.count_nonzero(x[i:i + 10000]) for i in range(0, n, 10000)))
    return n, m, nnz, x.dtype == np.uint8


def machine_rates(micro, threads):
    text = open(micro).read()
    bw = re.search(rf"BM_MemoryReadBandwidth/{threads}/512/real_time.*?([0-9.]+)G/s", text)
    peak = re.search(rf"BM_PeakSgemm/{threads}/real_time.*?([0-9.]+)/s", text)
    return float(bw.group(1)) * 1e9, float(peak.group(1)) * 1e9


def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "docs", "benchmarks.json")
    micro = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "docs", "micro-bench.txt")
    doc = sys.argv[3] if len(sys.argv) > 3 else os.path.join(REPO, "docs", "performance.md")
    data = json.load(open(bench))
    bw, peak = machine_rates(micro, data["threads"])
    facts = {}
    lines = ["| case | storage | X read per iteration | flops per iteration | bound (ms) | "
             "nmfkit's defaults per iteration (ms) | ratio |", "|---|---|---|---|---|---|---|"]
    for case in data["cases"]:
        ds, k = case["dataset"], case["k"]
        if ds not in facts:
            facts[ds] = shape_and_stored(FILES[ds])
        n, m, nnz, eight_bit = facts[ds]
        # core::auto_sparse_zero_fraction (the Frobenius loss): sparse from 55% zeros for
        # 4 < k <= 12, from 64% otherwise.
        sparse_from = 0.55 if 4 < k <= 12 else 0.64
        if n * m - nnz >= sparse_from * n * m:
            storage, size, passes = ("8-bit CSR" if eight_bit else "float CSR"), \
                (3 if eight_bit else 8) * nnz + 8 * n, 1
            flops = 4.0 * nnz * k
        else:  # 8-bit images stored dense keep their pixels (DenseLevels)
            storage, size, passes = ("dense 8-bit", n * m, 1) if eight_bit else \
                ("dense float32", 4 * n * m, 1)
            flops = 4.0 * n * m * k
        bound = max(passes * size / bw, flops / peak)
        run = case["rows"][0]["runs"][0]
        curve = run["curve"]
        per_it = (curve[-1][0] - curve[1][0]) / max(1, len(curve) - 2)
        lines.append(f"| {NAMES[ds]}, k = {k} | {storage} | {passes * size / 1e6:.0f} MB | "
                     f"{flops / 1e9:.2f} G | {1e3 * bound:.1f} | {1e3 * per_it:.1f} | "
                     f"{per_it / bound:.1f}x |")
    table = (f"Machine: {data['machine']}; {data['threads']} threads; read bandwidth "
             f"{bw / 1e9:.1f} GB/s and sgemm peak {peak / 1e9:.0f} Gflop/s from "
             "`docs/micro-bench.txt`; per-iteration time from the default run of "
             "`docs/benchmarks.json` (its error history's timestamps, first iteration to last).\n\n"
             + "\n".join(lines) + "\n")
    text = open(doc).read()
    begin, end = "<!-- bounds:begin -->\n", "<!-- bounds:end -->"
    i, j = text.index(begin) + len(begin), text.index(end)
    with open(doc + ".tmp", "w") as f:
        f.write(text[:i] + table + text[j:])
    os.replace(doc + ".tmp", doc)
    print(table)


if __name__ == "__main__":
    main()
