#!/usr/bin/env bash
# `nmfkit rank mnist --k 2..60` scanning every rank on every digit (the full curve, not the
# default scan that stops past the choice): the time and the held-out error curve (docs/rank.md).
#   bench/rank_mnist.sh                      the full benchmark: k = 2..60, all 60,000 digits
#   KS=2..60:4 bench/rank_mnist.sh --limit 10000 --folds 3     a reduced run (extra options
#                                            are passed to nmfkit rank)
# Writes OUT (default out/rank-mnist)/rank.json and rank.svg and prints the curve as a table.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${BIN:-$repo/build/release/nmfkit}
out=${OUT:-$repo/out/rank-mnist}
ks=${KS:-2..60}
"$repo/scripts/fetch-mnist.sh" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
full=(--patience 0 --sample all --cold --folds 5 --tol 1e-4 --rule minimum)
echo "command: nmfkit rank mnist --k $ks ${full[*]} -o $out $*"
start=$(date +%s.%N)
"$bin" rank mnist --k "$ks" "${full[@]}" -o "$out" -q "$@"
end=$(date +%s.%N)
echo "wall time: $(/usr/bin/python3 -c "print(round($end - $start, 1))") s"
/usr/bin/python3 - "$out/rank.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"threads {j['threads']}, {j['folds']} folds of {j['holdout']:.0%}, solver {j['solver']}, "
      f"max_iter {j['max_iter']}, tol {j['tol']}")
print("| k | held-out error (mean ± s.e.) | fitted-entry error | seconds (all folds, summed) |")
print("|---|---|---|---|")
for p in j["points"]:
    print(f"| {p['k']} | {p['mean_error']:.5f} ± {p['standard_error']:.5f} | "
          f"{p['train_error']:.5f} | {p['seconds']:.1f} |")
print(f"chosen k = {j['chosen_k']} (one standard error), lowest mean at k = {j['best_k']}")
PY
