#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz": clang, address and undefined sanitizers) and
# runs each for a while, FUZZ_JOBS (2) at a time, each on a fresh copy of its seed corpus.
#   scripts/fuzz.sh [SECONDS [TARGET...]]   SECONDS per target (default 600); targets default to
#                                           all (idx idx_gzip npy csv npz mtx png jpeg bmp pnm
#                                           model_json mask, or with or without their fuzz_ prefix)
#   scripts/fuzz.sh 0 [TARGET...]           replay only: every seed and every saved reproducer
#                                           (fuzz/regressions/<target>/) once, no fuzzing
# Environment: FUZZ_JOBS (targets run at once, 2), FUZZ_BUILD_JOBS (compile jobs, nproc),
# FUZZ_KEEP_CORPUS=1 (continue from build/fuzz/corpus-work instead of a fresh copy of the seeds),
# FUZZ_KEEP_GOING=1 (libFuzzer's fork mode: a finding is saved and the fuzzing goes on until the
# time is up, instead of ending that target; statistics then come from the last status line),
# FUZZ_DOC (the summary written, docs/fuzzing.md; empty: none), and ASAN_OPTIONS / UBSAN_OPTIONS.
#
# Writes, under build/fuzz:
#   corpus-work/<target>/   the corpus the fuzzer grew (seeds + what it found)
#   crashes/<target>/       crash-*, timeout-*, oom-*, leak-* reproducers (libFuzzer artifacts)
#   results/<target>.log    the final statistics; results/<target>.out the whole libFuzzer output
# and the summary table docs/fuzzing.md. Exits 1 if any target found a crash, a timeout, a leak
# or an out-of-memory (or a replayed input failed), 2 on a usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
all_targets=(idx idx_gzip npy csv npz mtx png jpeg bmp pnm model_json mask)

seconds=${1:-600}
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
[[ $# -gt 0 ]] || set -- "${all_targets[@]}"
targets=()
for t in "$@"; do
  t=${t#fuzz_}
  if [[ " ${all_targets[*]} " != *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
  targets+=("$t")
done

jobs=${FUZZ_JOBS:-2}
# The largest allocation a reader makes on purpose is a decoded image at its cap, 2^30 bytes
# (src/io/decode.hpp); libFuzzer reports any single allocation above -malloc_limit_mb as
# out-of-memory, and the process's memory above -rss_limit_mb.
limits=(-timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1100)
build=build/fuzz
bin_dir=$build/fuzz
doc=${FUZZ_DOC-docs/fuzzing.md}
# UBSan's reports end the run (the targets are also built with -fno-sanitize-recover=all).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

echo "fuzz.sh: building the preset fuzz (clang, address and undefined sanitizers)"
cmake --preset fuzz >/dev/null
MAKEFLAGS='' cmake --build --preset fuzz -j "${FUZZ_BUILD_JOBS:-$(nproc)}"

mkdir -p "$build/results"

# ---- replay: every seed and saved reproducer once
if [[ $seconds -eq 0 ]]; then
  failed=0
  for t in "${targets[@]}"; do
    files=()
    for d in fuzz/corpus/$t fuzz/regressions/$t; do
      [[ -d $d ]] && while IFS= read -r -d '' f; do files+=("$f"); done \
        < <(find "$d" -type f ! -name 'README*' -print0 | sort -z)
    done
    if [[ ${#files[@]} -eq 0 ]]; then
      echo "fuzz.sh: $t: nothing to replay"
      continue
    fi
    scratch=$(mktemp -d /dev/shm/nmfkit-fuzz-"$t"-XXXXXX 2>/dev/null || mktemp -d)
    if NMFKIT_FUZZ_SCRATCH=$scratch "$bin_dir/fuzz_$t" "${limits[@]}" "${files[@]}" \
      >"$build/results/$t.replay.out" 2>&1; then
      echo "fuzz.sh: $t: ${#files[@]} inputs replayed, no finding"
    else
      echo "fuzz.sh: $t: FAILED replaying its inputs: $(grep -m1 -E 'runtime error|==[0-9]+== ?ERROR' \
        "$build/results/$t.replay.out" | cut -c1-160) (see $build/results/$t.replay.out)" >&2
      failed=1
    fi
    rm -rf "$scratch"
  done
  exit "$failed"
fi

# ---- fuzzing
run_target() {
  local t=$1
  local corpus=$build/corpus-work/$t crashes=$build/crashes/$t
  local out=$build/results/$t.out log=$build/results/$t.log
  if [[ ${FUZZ_KEEP_CORPUS:-0} != 1 ]]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus" "$crashes"
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  local seeds
  seeds=$(find "$corpus" -type f | wc -l)
  local start=$build/results/$t.start
  touch "$start"
  local dict=fuzz/dict/${t/#mask/npy}.dict  # the mask is an NPY file
  local extra=()
  [[ -f $dict ]] && extra+=("-dict=$dict")
  if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
    extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  # Scratch files of this run (fuzz/fuzz_util.hpp), removed at the end even after crashes.
  local scratch
  scratch=$(mktemp -d /dev/shm/nmfkit-fuzz-"$t"-XXXXXX 2>/dev/null || mktemp -d)
  local rc=0
  NMFKIT_FUZZ_SCRATCH=$scratch "$bin_dir/fuzz_$t" "$corpus" -max_total_time="$seconds" \
    "${limits[@]}" -print_final_stats=1 -artifact_prefix="$crashes/" "${extra[@]}" >"$out" 2>&1 &
  wait $! || rc=$?
  rm -rf "$scratch"
  local artifacts
  artifacts=$(find "$crashes" -type f -newer "$start" \( -name 'crash-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'leak-*' \) -printf '%f\n' | sort)
  # The last status line: "#N  DONE  cov: C ft: F corp: U/SIZE ... exec/s: E rss: R", in fork
  # mode "#N: cov: C ft: F corp: U exec/s E oom/timeout/crash: ...".
  local status
  status=$(grep -E '^#[0-9]+' "$out" | grep ' cov: ' | tail -n 1 || true)
  field() { sed -nE "s|.* $1:? ([^ ]+).*|\\1|p" <<<"$status"; }
  # The final statistics (-print_final_stats), else what the last status line says.
  final() {
    local v
    v=$(sed -nE "s/^stat::$1: *([0-9]+).*/\\1/p" "$out" | tail -n 1)
    if [[ -z $v ]]; then
      case $1 in
        number_of_executed_units) v=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$status") ;;
        average_exec_per_sec) v=$(field exec/s) ;;
        *) v=- ;;
      esac
    fi
    echo "$v"
  }
  local finding
  finding=$(grep -m1 -E '^==[0-9]+== ?ERROR|^SUMMARY: |runtime error:|ERROR: libFuzzer' "$out" \
    | cut -c1-200 || true)
  {
    echo "target: fuzz_$t"
    echo "seconds: $seconds"
    echo "exit_code: $rc"
    echo "executions: $(final number_of_executed_units)"
    echo "exec_per_sec: $(final average_exec_per_sec)"
    echo "cov: $(field cov)"
    echo "ft: $(field ft)"
    echo "corpus_units: $(field corp | cut -d/ -f1)"
    echo "corpus_files: $(find "$corpus" -type f | wc -l) (seeds: $seeds)"
    echo "new_units_added: $(final new_units_added)"
    echo "peak_rss_mb: $(final peak_rss_mb)"
    echo "slowest_unit_sec: $(final slowest_unit_time_sec)"
    echo "findings: $(grep -c . <<<"$artifacts" || true)"
    echo "first_report: ${finding:-none}"
    echo "artifacts: ${artifacts//$'\n'/ }"
  } >"$log"
  rm -f "$start"
  echo "fuzz.sh: $t done: $(grep -E '^(executions|cov|findings):' "$log" | tr '\n' ' ')"
}

echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  echo "fuzz.sh: $t started"
  run_target "$t" &
  running=$((running + 1))
done
wait

# ---- summary
value() { sed -nE "s/^$2: (.*)/\\1/p" "$build/results/$1.log"; }
total_findings=0
table="| target | executions | exec/s | cov | ft | corpus (units) | new units | peak RSS MB | findings |
|---|---:|---:|---:|---:|---:|---:|---:|---|"
for t in "${targets[@]}"; do
  n=$(value "$t" findings)
  total_findings=$((total_findings + n))
  what=$n
  if [[ $n -gt 0 ]]; then what="**$n**: $(value "$t" artifacts)"; fi
  table+="
| fuzz_$t | $(value "$t" executions) | $(value "$t" exec_per_sec) | $(value "$t" cov) \
| $(value "$t" ft) | $(value "$t" corpus_units) | $(value "$t" new_units_added) \
| $(value "$t" peak_rss_mb) | $what |"
done
echo "$table"

if [[ -n $doc ]]; then
  cpu=$(lscpu | sed -nE 's/^Model name: *//p' | head -n 1)
  cat >"$doc" <<EOF
# Fuzzing the file readers

Generated by \`scripts/fuzz.sh\` (\`make fuzz FUZZ_SECONDS=$seconds\`); do not edit by hand.

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: ${cpu:-unknown CPU}, $(nproc) cores; $jobs targets at a time
- Compiler: $(clang++ --version | head -n 1)
- Seconds per target: $seconds, from the seed corpus in \`fuzz/corpus/\` ($([[ ${FUZZ_KEEP_CORPUS:-0} == 1 ]] && echo "continued from the previous corpus" || echo "fresh copy"))
- libFuzzer: \`${limits[*]} -print_final_stats=1\`, dictionaries from
  \`fuzz/dict/\`$([[ ${FUZZ_KEEP_GOING:-0} == 1 ]] && echo ", fork mode going on after findings")
- Build: address and undefined sanitizers, \`-fno-sanitize-recover=all\`,
  \`-D_GLIBCXX_ASSERTIONS\`, \`-O1 -g\`

$table

*cov*: code edges covered; *ft*: libFuzzer's features (edges with hit counts, compared values);
*corpus*: the inputs kept as interesting at the end; *findings*: crash, timeout, out-of-memory and
leak reproducers saved under \`build/fuzz/crashes/<target>/\`. A target with a finding stopped
there (libFuzzer's default; \`FUZZ_KEEP_GOING=1\` goes on in fork mode), so its numbers cover less
than the full time. Known findings and their reproducers: \`fuzz/regressions/README.md\`.

## The targets

| target | reader | input |
|---|---|---|
| fuzz_idx | \`io::read_idx\` (plain) | an IDX file (inputs starting 1f 8b are skipped: gzip is the next target's) |
| fuzz_idx_gzip | \`io::read_idx\` (gzip, detected by the magic 1f 8b) | 1 mode byte: even, the rest is an IDX file gzip-compressed by the harness (level from the byte); odd, the rest is the gzip file itself, its first two bytes forced to 1f 8b |
| fuzz_npy | \`io::read_npy\`, then \`io::to_vector<float>\` | an NPY file |
| fuzz_csv | \`io::read_csv\`, then \`io::to_vector<float>\` | a CSV/TSV file (the delimiter comes from the first line) |
| fuzz_npz | \`io::read_npz\` (its zip reader, inflate, CRC-32, the NPY reader per member), then a check that the CSR it returns is canonical | an .npz archive |
| fuzz_mtx | \`io::read_mtx\` (gzip too), then the same check | a Matrix Market file |
| fuzz_png, fuzz_jpeg, fuzz_bmp, fuzz_pnm | \`io::decode_image\`, \`io::resize_image\`, \`io::resolve_alpha\` | 2 bytes (channels 1-4 and alpha mode; resize target up to 16x16), then the file, its magic bytes forced to the target's format (PNG: chunk CRCs recomputed, else libpng stops nearly every mutation at its CRC check) |
| fuzz_model_json | \`cli::load_model\` (apps/nmfkit/model.cpp) | DIR/model.json |
| fuzz_mask | \`cli::missing_entries\` (apps/nmfkit/missing.cpp), the \`--mask\` reader | 4 bytes (X's rows and columns 1-16, --limit, --missing nan, an alpha mask, float64, NaN pattern), then the mask NPY |

Only \`nmfkit::Error\` may escape a reader; any other exception, a crash, a sanitizer report, a
hang over 10 s, a single allocation over 1100 MB or a process over 2560 MB is a finding.
\`std::bad_alloc\` is not excused: every reader bounds its allocations by the file's size or by
documented caps (the largest: a decoded image of 2^30 bytes), below those limits.

## Running

    make fuzz                               # every target, FUZZ_SECONDS=600 each, 2 at a time
    make fuzz FUZZ_SECONDS=60 FUZZ_TARGETS="png jpeg"
    scripts/fuzz.sh 0                       # replay the seeds and fuzz/regressions/ once
    FUZZ_KEEP_GOING=1 make fuzz             # go on after findings (libFuzzer's fork mode)
    build/fuzz/fuzz/fuzz_png -malloc_limit_mb=1100 build/fuzz/crashes/png/oom-...  # reproduce one
    python3 fuzz/make_corpus.py             # regenerate the seed corpora

A reproducer worth keeping goes to \`fuzz/regressions/<target>/\`, which \`scripts/fuzz.sh 0\`
replays.
EOF
  echo "fuzz.sh: wrote $doc"
fi

if [[ $total_findings -gt 0 ]]; then
  echo "fuzz.sh: $total_findings finding(s); reproducers under $build/crashes/" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
