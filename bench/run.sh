#!/usr/bin/env bash
# `make bench`: the side-by-side MNIST comparisons (docs/benchmarks.md, docs/benchmarks-losses.md).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/fetch-mnist.sh"
/usr/bin/python3 "$repo/bench/compare_mnist.py" "$@"
/usr/bin/python3 "$repo/bench/compare_losses.py"
