# legato — top-level entry points. Everything builds under build/ with CMake.
#   make          build (build/legato)
#   make run      install what is missing, build, run the paper demo
#   make test     install what is missing, build, run every test (the official Kite client
#                 against legato sim too), then again under ASan+UBSan
#   make bench    benchmarks, one JSON object per line
#   make soak SEEDS=N   deterministic simulation over N seeds (and N/10 crashing ones)
#   make fuzz     libFuzzer on the Kite decoders and the order-frame fast path, FUZZ_SECONDS each
#                 (make test: a short run)
SHELL := /bin/bash
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
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SHORT ?= 10
FUZZERS = fuzz_ticker fuzz_kite_json fuzz_order_scan fuzz_wire_answer

.PHONY: all build deps run test test-release test-asan test-fuzz bench soak fuzz clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/legato run

test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

test-release: $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@bash tests/conformance/run.sh $(BUILD)/legato
	@$(BUILD)/legato dst --seeds $(DST_SEEDS)
	@TMPDIR=$(DST_TMP) $(BUILD)/legato dst --crash --seeds $(CRASH_SEEDS)

$(ASAN_BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLEGATO_SANITIZE=ON >/dev/null

test-asan: $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(ASAN_BUILD)/legato dst --seeds $(DST_SEEDS_ASAN)
	@TMPDIR=$(DST_TMP) $(ASAN_BUILD)/legato dst --crash --seeds $(CRASH_SEEDS_ASAN)

$(FUZZ_BUILD)/build.ninja: CMakeLists.txt
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEGATO_FUZZ=ON >/dev/null

# Each harness starts from the broker's own vectors (tests/data/kite) in a scratch corpus;
# a crashing input is kept in $(FUZZ_BUILD)/artifacts (replay: the harness with that file).
define run_fuzzers
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZERS)
	@for f in $(FUZZERS); do \
	  c=$$(mktemp -d); cp tests/data/kite/* "$$c"/; \
	  mkdir -p $(FUZZ_BUILD)/artifacts; \
	  $(FUZZ_BUILD)/fuzz/$$f "$$c" -max_total_time=$(1) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$f- 2>&1 | \
	    grep -E "^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" | sed "s/^/$$f: /"; \
	  rc=$${PIPESTATUS[0]}; rm -rf "$$c"; [ "$$rc" -eq 0 ] || exit 1; \
	done
endef

test-fuzz: $(FUZZ_BUILD)/build.ninja
	$(call run_fuzzers,$(FUZZ_SHORT))

fuzz: deps $(FUZZ_BUILD)/build.ninja
	$(call run_fuzzers,$(FUZZ_SECONDS))

bench: build
	@for b in $(BUILD)/bench/bench_*; do "$$b" || exit 1; done
	@bash bench/kite_reaction.sh $(BUILD)/legato

soak: build
	@$(BUILD)/legato dst --seeds $(SEEDS)
	@TMPDIR=$(DST_TMP) $(BUILD)/legato dst --crash --seeds $$(( $(SEEDS) / 10 ))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
