# Thin wrappers over the CMake preset "release" (RelWithDebInfo).
#   make demo   install what the demo needs, build the nmfkit CLI alone, fetch MNIST, factorize it
#               (k = 10), show the result
#   make test   install what the tests need too, build everything, run every test
#   make bench  build and run the benchmarks (installs the peers it compares against)
#   make fuzz   build the libFuzzer targets (preset fuzz, clang) and run each FUZZ_SECONDS
#               (FUZZ_TARGETS: all when empty); results in build/fuzz/results, docs/fuzzing.md
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)
DEMO_OUT ?= out/mnist-k10
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=

.PHONY: all deps deps-test cli build demo test bench fuzz clean

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

fuzz:
	@scripts/install-deps.sh fuzz
	@FUZZ_BUILD_JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build
