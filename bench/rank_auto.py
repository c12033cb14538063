#!/usr/bin/env python3
"""`nmfkit fit DATA -k auto` against `nmfkit fit DATA -k 10`, side by side in one run.

For each data set and each seed: the wall time of `nmfkit fit DATA -k 10` (the defaults), then of
`nmfkit fit DATA -k auto --seed SEED` (the defaults: the selection, then the fit at the chosen k,
the pictures and the report), the chosen k and the criterion that chose it. Also runs
`nmfkit rank DATA` once and keeps its curve and its picture of several k in docs/.

    bench/rank_auto.py [--data mnist,fashion-mnist] [--seeds 5] [--threads N]

Writes docs/rank-auto.json, docs/rank-auto-DATA.svg and docs/rank-auto-DATA.png, and prints a
Markdown table (docs/rank.md).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(REPO, "build", "release", "nmfkit"))


def run(args):
    start = time.perf_counter()
    done = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"nmfkit {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist,fashion-mnist")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="0: nmfkit's default (all)")
    args = parser.parse_args()
    subprocess.run([os.path.join(REPO, "scripts", "fetch-mnist.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    threads = ["--threads", str(args.threads)] if args.threads > 0 else []
    machine = f"{os.cpu_count()} cores, {cpu_name()}"
    results = {"machine": machine, "threads": args.threads or os.cpu_count(), "data": {}}
    print(f"machine: {machine}")
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.data.split(","):
            rows = []
            for seed in range(args.seeds):
                k10 = run(["fit", data, "-k", "10", "-q", "-o", f"{tmp}/k10"] + threads)
                auto = run(["fit", data, "-k", "auto", "--seed", str(seed), "-q",
                            "-o", f"{tmp}/auto"] + threads)
                with open(f"{tmp}/auto/summary.json") as f:
                    s = json.load(f)
                sel = s["rank_selection"]
                rows.append({"seed": seed, "k10_seconds": k10, "auto_seconds": auto,
                             "ratio": auto / k10, "chosen_k": sel["chosen_k"],
                             "criterion": sel["criterion"], "knee_k": sel["criteria"]["knee_k"],
                             "best_k": sel["best_k"], "scanned": sel["scanned"],
                             "sample_rows": sel["sample_rows"],
                             "selection_seconds": sel["seconds"], "fit_seconds": s["seconds"]})
                r = rows[-1]
                print(f"{data} seed {seed}: fit -k 10 {k10:.1f} s, fit -k auto {auto:.1f} s "
                      f"({r['ratio']:.1f}x): k = {r['chosen_k']} ({r['criterion']}), "
                      f"{r['scanned']} ranks scanned on {r['sample_rows']} samples in "
                      f"{r['selection_seconds']:.1f} s, the fit {r['fit_seconds']:.1f} s",
                      flush=True)
            run(["rank", data, "-q", "-o", f"{tmp}/rank"] + threads)
            shutil.copy(f"{tmp}/rank/rank.svg", os.path.join(REPO, "docs", f"rank-auto-{data}.svg"))
            if os.path.exists(f"{tmp}/rank/rank-components.png"):
                shutil.copy(f"{tmp}/rank/rank-components.png",
                            os.path.join(REPO, "docs", f"rank-auto-{data}.png"))
            with open(f"{tmp}/rank/rank.json") as f:
                curve = json.load(f)
            results["data"][data] = {"runs": rows, "rank_seed0": curve}
    with open(os.path.join(REPO, "docs", "rank-auto.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("\n| data | seed | `fit -k 10` | `fit -k auto` | ratio | chosen k (criterion) | "
          "ranks scanned | selection | fit at k |")
    print("|---|---|---|---|---|---|---|---|---|")
    for data, d in results["data"].items():
        for r in d["runs"]:
            print(f"| {data} | {r['seed']} | {r['k10_seconds']:.1f} s | {r['auto_seconds']:.1f} s | "
                  f"{r['ratio']:.1f}× | {r['chosen_k']} ({r['criterion']}) | {r['scanned']} | "
                  f"{r['selection_seconds']:.1f} s | {r['fit_seconds']:.1f} s |")


if __name__ == "__main__":
    main()
