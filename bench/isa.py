#!/usr/bin/python3
"""Per-iteration time of each instruction-set variant of the kernels (NMFKIT_ISA), and optionally
of other nmfkit builds, on MNIST with k = 10: docs/build.md's table.

Every configuration runs `nmfkit fit mnist -k K --solver S --threads T --max-iter N --tol 0`;
its per-iteration time is (history_seconds[-1] - history_seconds[1]) / (N - 1) from
summary.json: iterations 2..N, initialisation and the first iteration (which has no fused pass)
left out. The configurations take turns (A B C A B C ...) so that a busy machine slows them
alike; the table gives the median over the repetitions, with the fastest and slowest run.

--cpu measures processor time instead (user + system, of the whole process): a run of N
iterations minus a run of 1, over N - 1. With --threads 1 this hardly depends on what else the
machine runs (waiting for the processor costs no processor time); with more threads it counts
the time threads spin at barriers.

Usage: bench/isa.py [--reps 7] [--solvers cd,hals] [--iters 60] [--threads 2] [--k 10]
                    [--variants auto,avx2,baseline] [--other NAME=PATH ...] [--cpu]
  --other native=/path/to/nmfkit   also time another build (its own default variant)
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NMFKIT = os.path.join(REPO, "build", "release", "nmfkit")


def run_fit(binary, isa, solver, iters, a):
    """Runs one fit; returns (summary.json, processor seconds of the process)."""
    env = dict(os.environ)
    env.pop("NMFKIT_ISA", None)
    if isa:
        env["NMFKIT_ISA"] = isa
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "fit", "mnist", "-k", str(a.k), "--solver", solver, "-o", out,
                        "--threads", str(a.threads), "-q", "--max-iter", str(iters), "--tol", "0"],
                       env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        s = json.load(open(os.path.join(out, "summary.json")))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return s, cpu


def per_iteration_ms(binary, isa, solver, a):
    s, cpu = run_fit(binary, isa, solver, a.iters, a)
    if a.cpu:
        _, cpu1 = run_fit(binary, isa, solver, 1, a)
        return (cpu - cpu1) / (a.iters - 1) * 1000, s["relative_error"]
    h = s["history_seconds"]
    return (h[-1] - h[1]) / (len(h) - 2) * 1000, s["relative_error"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--solvers", default="cd,hals")
    p.add_argument("--iters", type=int, default=60)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--variants", default="auto,avx2,baseline")
    p.add_argument("--other", action="append", default=[], metavar="NAME=PATH")
    p.add_argument("--cpu", action="store_true", help="processor time instead of wall time")
    a = p.parse_args()
    subprocess.run([os.path.join(REPO, "scripts", "fetch-mnist.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    version = subprocess.run([NMFKIT, "--version"], capture_output=True, text=True).stdout.strip()
    configs = [(o.split("=", 1)[0], o.split("=", 1)[1], None) for o in a.other]
    configs += [(f"NMFKIT_ISA={v}", NMFKIT, None if v == "auto" else v)
                for v in a.variants.split(",")]
    times = {}
    for rep in range(a.reps):
        for solver in a.solvers.split(","):
            for name, binary, isa in configs:
                ms, err = per_iteration_ms(binary, isa, solver, a)
                times.setdefault((solver, name), []).append(ms)
                print(f"rep {rep + 1} {solver} {name}: {ms:.2f} ms/iteration, relative error "
                      f"{err:.8f}", file=sys.stderr, flush=True)
    what = "processor" if a.cpu else "wall"
    print(f"{version}; MNIST k={a.k}, {a.threads} threads, iterations 2..{a.iters}, "
          f"{a.reps} interleaved runs, {what} time")
    print(f"| solver | build / variant | median ms per iteration ({what}) | fastest | slowest |")
    print("|---|---|---|---|---|")
    for (solver, name), v in times.items():
        print(f"| {solver} | {name} | {statistics.median(v):.2f} | {min(v):.2f} | {max(v):.2f} |")


if __name__ == "__main__":
    main()
