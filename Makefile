# Thin wrappers over the CMake preset "release" (RelWithDebInfo).
#   make demo   install what is missing, build, fetch MNIST, factorize it (k = 10), show the result
#   make test   install what is missing, build, run every test
#   make bench  build and run the benchmarks (installs the peers it compares against)
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)
DEMO_OUT ?= out/mnist-k10

.PHONY: all deps build demo test bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@MAKEFLAGS= cmake --build --preset $(PRESET) -j $(JOBS)

demo: build
	@scripts/fetch-mnist.sh
	$(BUILD)/nmfkit fit mnist -k 10 -o $(DEMO_OUT)

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

bench: build
	@scripts/install-deps.sh bench
	@bench/run.sh

clean:
	rm -rf build
