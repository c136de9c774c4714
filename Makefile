# legato — top-level entry points. Everything builds under build/ with CMake.
#   make          build (build/legato)
#   make run      install what is missing, build, run the paper demo
#   make test     install what is missing, build, run every test, then again under ASan+UBSan
#   make bench    benchmarks, one JSON object per line
#   make soak SEEDS=N   deterministic simulation over N seeds (and N/10 crashing ones)
BUILD ?= build
ASAN_BUILD ?= build-asan
SEEDS ?= 20000
DST_SEEDS ?= 5000
DST_SEEDS_ASAN ?= 400
CRASH_SEEDS ?= 1000
CRASH_SEEDS_ASAN ?= 200
# Crashing seeds journal every step: a memory-backed directory keeps that quick.
DST_TMP ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo /tmp)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps run test test-release test-asan bench soak clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/legato demo

test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan

test-release: $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(BUILD)/legato dst --seeds $(DST_SEEDS)
	@TMPDIR=$(DST_TMP) $(BUILD)/legato dst --crash --seeds $(CRASH_SEEDS)

$(ASAN_BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLEGATO_SANITIZE=ON >/dev/null

test-asan: $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(ASAN_BUILD)/legato dst --seeds $(DST_SEEDS_ASAN)
	@TMPDIR=$(DST_TMP) $(ASAN_BUILD)/legato dst --crash --seeds $(CRASH_SEEDS_ASAN)

bench: build
	@for b in $(BUILD)/bench/bench_*; do "$$b" || exit 1; done

soak: build
	@$(BUILD)/legato dst --seeds $(SEEDS)
	@TMPDIR=$(DST_TMP) $(BUILD)/legato dst --crash --seeds $$(( $(SEEDS) / 10 ))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
