#!/usr/bin/env bash
# `make bench`: the kernel micro benchmarks (docs/micro-bench.txt, read by docs/performance.md),
# then the side-by-side comparisons with scikit-learn and RcppML (docs/benchmarks.md, .png, .json;
# docs/benchmarks-losses.md), `fit -k auto` against `fit -k 10` (docs/rank.md, rank-auto.json),
# growth in n (docs/growth.md) and the Python package (docs/benchmarks-python.md).
# Arguments go to bench/compare.py (e.g. --cases mnist:10 --reps 3); a one-thread run of three
# cases goes to docs/benchmarks-1thread.md.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/fetch-mnist.sh"
micro="$repo/build/release/bench/nmfkit_micro_bench"
if [[ -x "$micro" ]]; then
  OMP_PROC_BIND=false "$micro" --benchmark_counters_tabular=true | tee "$repo/docs/micro-bench.txt.tmp"
  mv "$repo/docs/micro-bench.txt.tmp" "$repo/docs/micro-bench.txt"
else
  echo "bench: $micro was not built (Debian's libbenchmark-dev is missing); skipping it" >&2
fi
/usr/bin/python3 "$repo/bench/compare.py" "$@"
# The per-iteration bound of every case (docs/performance.md).
/usr/bin/python3 "$repo/bench/bounds.py"
/usr/bin/python3 "$repo/bench/compare.py" --threads 1 --cases mnist:10,fashion-mnist:20,tfidf:20 \
  --out "$repo/docs/benchmarks-1thread.md"
/usr/bin/python3 "$repo/bench/compare_beta.py"
/usr/bin/python3 "$repo/bench/rank_auto.py"
# Growth in n: MNIST and its shifted copies of 600,000 and 6,000,000 images (docs/growth.md; makes
# the two data files, 0.5 and 4.7 GB, on first use).
/usr/bin/python3 "$repo/bench/growth.py"
# The Python package against scikit-learn in one process, and against the CLI
# (docs/benchmarks-python.md, benchmarks-python.json).
PYTHONPATH="$repo/build/release/python" /usr/bin/python3 "$repo/bench/python_speed.py"
