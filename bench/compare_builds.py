#!/usr/bin/env python3
"""Two nmfkit binaries side by side on the same fit: did a change slow it down?

Runs `BIN fit INPUT -k K -o DIR -q` with each binary in turn (base, new, base, new, ...) so that
both see the same machine load, and reports for each the median wall time of the whole command,
the median fit seconds and seconds per iteration from summary.json, the error, and the new/base
ratios. With --markdown FILE the table is written there too.

    bench/compare_builds.py --base /tmp/old/build/nmfkit --new build/release/nmfkit \\
        --input mnist -k 10 --reps 5
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def run(binary, args, outdir):
    start = time.perf_counter()
    subprocess.run([binary, "fit", args.input, "-k", str(args.k), "-o", outdir, "-q"]
                   + (["--threads", str(args.threads)] if args.threads else []),
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    with open(os.path.join(outdir, "summary.json")) as f:
        s = json.load(f)
    return {"wall": wall, "fit": s["seconds"], "iterations": s["iterations"],
            "per_iteration": s["seconds"] / max(1, s["iterations"]), "error": s["error"]}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="the binary before the change")
    p.add_argument("--new", required=True, help="the binary after the change")
    p.add_argument("--input", default="mnist")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--markdown", help="also write the table to this file")
    args = p.parse_args()

    results = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for name in ("base", "new"):
                r = run(getattr(args, name), args, os.path.join(tmp, f"{name}{rep}"))
                results[name].append(r)
                print(f"{name} rep {rep}: {r['wall']:.2f} s wall, {r['fit']:.2f} s fit, "
                      f"{r['iterations']} it, error {r['error']:.6f}", file=sys.stderr)

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    rows = []
    for key, label in (("wall", "whole command, s"), ("fit", "fit, s"),
                       ("per_iteration", "per iteration, ms")):
        scale = 1000 if key == "per_iteration" else 1
        b, n = median("base", key) * scale, median("new", key) * scale
        rows.append(f"| {label} | {b:.3f} | {n:.3f} | {n / b:.3f} |")
    errors = {name: sorted({round(r["error"], 9) for r in results[name]}) for name in results}
    lines = [
        f"`nmfkit fit {args.input} -k {args.k}`, {args.reps} runs of each binary, alternating; "
        f"medians. {cpu_name()}, {os.cpu_count()} cores, threads: "
        f"{args.threads or 'default (all)'}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| | base | new | new / base |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Errors: base {errors['base']}, new {errors['new']}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
