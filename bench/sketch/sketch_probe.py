#!/usr/bin/env python3
"""Fit X's projection on a sketch of its range with nmfkit's defaults and measure the error
against X itself (docs/performance.md, sixteenth sitting).

Q (n x l, orthonormal) spans a randomized range of X (a Gaussian start, `--power` power iterations
with QR between them), B = Q^T X; build/release/bench/nmfkit_sketch_probe fits Q.B through
nmfkit's public Data interface, and the factors' relative error ||X - WH|| / ||X|| is then formed
in float64 from X.

Usage: bench/sketch/sketch_probe.py FILE K [--extra 40] [--power 4]
FILE: an .npy array (8-bit pixels are divided by 255, as the CLI fits them) or an IDX image file
(gzip allowed).
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    if path.endswith(".npy"):
        x = np.load(path)
    else:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            raw = f.read()
        x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 784)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255)
    return x.astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("k", type=int)
    parser.add_argument("--extra", type=int, default=40, help="l = k + extra (default 40)")
    parser.add_argument("--power", type=int, default=4, help="power iterations (default 4)")
    parser.add_argument("--probe", default=os.path.join(REPO, "build", "release", "bench",
                                                        "nmfkit_sketch_probe"))
    a = parser.parse_args()
    x = load(a.file)
    n, m = x.shape
    l = min(a.k + a.extra, m)
    rng = np.random.default_rng(0)
    y = x @ rng.standard_normal((m, l)).astype(np.float32)
    for _ in range(a.power):
        y, _ = np.linalg.qr(y)
        z, _ = np.linalg.qr(x.T @ y)
        y = x @ z
    q, _ = np.linalg.qr(y)
    b = q.T @ x
    with tempfile.TemporaryDirectory() as d:
        paths = [os.path.join(d, name) for name in ("q.bin", "b.bin", "w.bin", "h.bin")]
        q.astype(np.float32).tofile(paths[0])
        b.astype(np.float32).tofile(paths[1])
        run = subprocess.run([a.probe, str(n), str(m), str(l), str(a.k)] + paths,
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(run.stderr.strip())
        w = np.fromfile(paths[2], dtype=np.float32).reshape(n, a.k).astype(np.float64)
        h = np.fromfile(paths[3], dtype=np.float32).reshape(a.k, m).astype(np.float64)
    xd = x.astype(np.float64)
    error = np.linalg.norm(xd - w @ h) / np.linalg.norm(xd)
    projection = np.linalg.norm(xd - q.astype(np.float64) @ b) / np.linalg.norm(xd)
    print(f"{os.path.basename(a.file)} k={a.k} l={l} power={a.power}: {run.stdout.strip()}, "
          f"relative error {error:.6f} (the projection's own {projection:.4f})")


if __name__ == "__main__":
    main()
