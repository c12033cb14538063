#!/usr/bin/env python3
"""Checks that every source of the library and the CLI still compiles with clang.

usage: clang_syntax.py COMPILE_COMMANDS_JSON [JOBS]

The build itself uses one compiler (GCC by default); a construct only GCC accepts (a sized
operator delete that clang before 19 leaves off, a GCC-only builtin, ...) would otherwise go
unnoticed until someone builds with clang. Each source under src/ and apps/ is run through
`clang++ -fsyntax-only` with the build's own flags (the optimisation and debug flags and GCC's
-mmemset-strategy dropped):
clang parses it and instantiates its templates, which is where such errors show, in a fraction
of a compile's time. Exits 77 (skipped) when clang++, or OpenMP for clang, is not installed.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SKIP = 77


def clang_args(entry, clang):
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = [clang, "-fsyntax-only", "-Wno-unknown-warning-option"]
    it = iter(args[1:])
    for a in it:
        if a == "-o":
            next(it, None)
        elif a == "-c" or a.startswith("-O") or a.startswith("-g"):
            continue
        elif a.startswith("-mmemset-strategy="):  # GCC's code generation only; clang has none
            continue
        else:
            out.append(a)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    clang = shutil.which("clang++")
    if clang is None:
        print("skipped: clang++ is not installed")
        return SKIP
    probe = subprocess.run([clang, "-fopenmp", "-fsyntax-only", "-x", "c++", "-"],
                           input="#include <omp.h>\nint main() { return omp_get_max_threads(); }\n",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped: clang++ cannot compile OpenMP code here (libomp-dev missing?)")
        return SKIP
    with open(sys.argv[1]) as f:
        entries = json.load(f)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dirs = tuple(os.path.join(root, d) + os.sep for d in ("src", "apps"))
    sources = [e for e in entries if os.path.abspath(e["file"]).startswith(dirs)]
    if not sources:
        print("no source of src/ or apps/ in " + sys.argv[1], file=sys.stderr)
        return 1
    jobs = int(sys.argv[2]) if len(sys.argv) == 3 else 2

    def check(entry):
        r = subprocess.run(clang_args(entry, clang), cwd=entry["directory"], capture_output=True,
                           text=True)
        return entry["file"], r.returncode, r.stderr

    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(check, sources))
    failed = [r for r in results if r[1] != 0]
    for path, _, err in failed:
        errors = [line for line in err.splitlines() if "error:" in line]
        print(f"{os.path.relpath(path, root)}: {len(errors)} error(s)")
        for line in errors[:5]:
            print("  " + line)
    print(f"{len(results) - len(failed)} of {len(results)} sources compile with {clang}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
