# Thin wrappers over the CMake preset "release" (RelWithDebInfo).
#   make demo   install what the demo needs, build the nmfkit CLI alone, fetch MNIST, factorize it
#               (k = 10), show the result
#   make test   install what the tests need too, build everything, run every test
#   make bench  build and run the benchmarks (installs the peers it compares against)
#   make python install the Python package nmfkit for Debian's python3 (pip, offline; see
#               docs/python.md); PIP_FLAGS adds to pip's flags (e.g. --user)
#   make fuzz   build the libFuzzer targets (preset fuzz, clang) and run each FUZZ_SECONDS
#               (FUZZ_TARGETS: all when empty); results in build/fuzz/results, docs/fuzzing.md
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)
DEMO_OUT ?= out/mnist-k10
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=

PIP_FLAGS ?=

.PHONY: all deps deps-test cli build demo test bench fuzz python clean

all: build

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh test

# The CLI alone: the test suites are not configured (GoogleTest is a test package), nor built.
cli: deps
	@cmake --preset $(PRESET) -DNMFKIT_BUILD_TESTS=OFF -DNMFKIT_BUILD_PYTHON=OFF >/dev/null
	@MAKEFLAGS= cmake --build --preset $(PRESET) --target nmfkit -j $(JOBS)

build: deps-test
	@cmake --preset $(PRESET) -DNMFKIT_BUILD_TESTS=ON -DNMFKIT_BUILD_PYTHON=ON >/dev/null
	@MAKEFLAGS= cmake --build --preset $(PRESET) -j $(JOBS)

demo: cli
	@scripts/fetch-mnist.sh
	$(BUILD)/nmfkit fit mnist -k 10 -o $(DEMO_OUT)

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

bench: build
	@scripts/install-deps.sh bench
	@bench/run.sh

# pip builds through setup.py (CMake, build/pip); --no-build-isolation keeps pip from fetching
# build tools, --break-system-packages lets it install beside Debian's packages.
python:
	@scripts/install-deps.sh python
	/usr/bin/python3 -m pip install --no-build-isolation --break-system-packages $(PIP_FLAGS) .
	@/usr/bin/python3 -c "import nmfkit; print('nmfkit', nmfkit.__version__, 'installed:', nmfkit.__file__)"

fuzz:
	@scripts/install-deps.sh fuzz
	@FUZZ_BUILD_JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build
