#!/usr/bin/env bash
# `make bench`: the side-by-side MNIST comparison (results in docs/benchmarks.md).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/fetch-mnist.sh"
/usr/bin/python3 "$repo/bench/compare_mnist.py" "$@"
