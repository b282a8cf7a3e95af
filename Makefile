# Lattice build.  `make` builds build/lattice (optimised); `make test` sets up
# dependencies and runs every suite under ASan+UBSan; `make spec` runs the
# WebAssembly spec suites; `make bench` prints benchmark ratios; `make fuzz`
# builds the libFuzzer targets; `make run-examples` runs examples/.
#
# Sources are found by wildcard: one folder per subsystem under src/, so a new
# file needs no Makefile edit.  Everything but src/cli is archived into one
# static library (build/liblattice.a, build/debug/liblattice.a) that the
# command, the unit tests and the fuzz replays link against.  Each object
# records the headers it includes (-MMD -MP), so touching a header rebuilds
# only its users.  gnu17 rather than c17 because the interpreter uses
# computed goto (a GNU extension, in both gcc and clang).

CC      ?= gcc
# Quiet by default: one short line per step; `make V=1` prints full commands.
ifeq ($(V),1)
Q       :=
say     :=
else
Q       := @
say      = @printf '  %-6s %s\n' $(1) $(2);
endif
WARN    := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes
# CI builds with WERROR=1 (.ci/run): warnings are errors there.
WARN    += $(if $(filter 1,$(WERROR)),-Werror)
CSTD    := -std=gnu17
CFLAGS  ?= -O2 -g
DEFS    := -D_GNU_SOURCE
LIBS    := -lm -lpthread -lsodium -ljansson -lnats -lyaml -lhiredis -ldl
# libcurl is loaded when a guest first sends an HTTP request (dlopen in
# src/wasi/wasi_http_client.c), so it is not linked; its header is needed.
DEPFLAGS := -MMD -MP
SHARED  ?= ../shared/testdata
NPROC   := $(shell nproc 2>/dev/null || echo 2)

SRC_LIB := $(filter-out src/cli/%,$(wildcard src/*/*.c))
SRC_CLI := $(wildcard src/cli/*.c)
# the provider SDK and the built-in providers are linked into the command
# (`lattice provider NAME`), not archived: the SDK sits above the library
SRC_CLI += $(wildcard src/providers/sdk/*.c src/providers/builtin/*.c)

REL_LIB_OBJ := $(patsubst src/%.c,build/obj/%.o,$(SRC_LIB))
REL_CLI_OBJ := $(patsubst src/%.c,build/obj/%.o,$(SRC_CLI))
DBG_LIB_OBJ := $(patsubst src/%.c,build/debug/obj/%.o,$(SRC_LIB))
DBG_CLI_OBJ := $(patsubst src/%.c,build/debug/obj/%.o,$(SRC_CLI))
REL_A   := build/liblattice.a
DBG_A   := build/debug/liblattice.a

SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
DBGFLAGS := -O1 -g $(SAN)

TEST_SRC := $(wildcard tests/unit/*.c tests/unit/*/*.c)
TEST_OBJ := $(patsubst tests/%.c,build/debug/tobj/%.o,$(TEST_SRC))

# intermediate objects (the fuzz targets' under tobj/) are kept, not rebuilt
.SECONDARY:

.PHONY: all debug test spec bench setup clean format fuzz replay run-examples demo

all: build/lattice

build/lattice: $(REL_CLI_OBJ) $(REL_A)
	$(call say,LINK,$@)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(REL_A): $(REL_LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CSTD) $(WARN) $(DEFS) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<

debug: build/debug/lattice build/debug/unit_tests build/debug/http_echo_server build/debug/wrpc_raw \
       build/debug/calc_provider

build/debug/lattice: $(DBG_CLI_OBJ) $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

$(DBG_A): $(DBG_LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

build/debug/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CSTD) $(WARN) $(DEFS) $(DEPFLAGS) $(DBGFLAGS) -c -o $@ $<

build/debug/unit_tests: $(TEST_OBJ) $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

# the src/http test server (tests/http/run.py); the optimised one is for
# speed comparisons
build/debug/http_echo_server: build/debug/tobj/http/http_echo_server.o $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

# a raw wRPC caller for tests/lattice/host.sh (a caller no link vouches for)
build/debug/wrpc_raw: build/debug/tobj/lattice/wrpc_raw.o $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

# the provider SDK (src/providers/sdk) is not in liblattice.a: a provider
# links it beside the library, as an out-of-tree provider would
build/debug/calc_provider: build/debug/tobj/providers/calc_provider.o \
    build/debug/obj/providers/sdk/providers_sdk.o $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

# control round trips against bare NATS (bench/lattice.sh)
build/bench/lattice_rtt: bench/lattice_rtt.c $(REL_A)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(CSTD) $(WARN) $(DEFS) $(CFLAGS) -Isrc -o $@ $^ $(LIBS)

# keyvalue through the providers against the plain clients (bench/keyvalue.sh)
build/bench/kv_rtt: bench/kv_rtt.c $(REL_A)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(CSTD) $(WARN) $(DEFS) $(CFLAGS) -Isrc -o $@ $^ $(LIBS)

build/http_echo_server: tests/http/http_echo_server.c $(REL_A)
	$(call say,LINK,$@)$(CC) $(CSTD) $(WARN) $(DEFS) $(CFLAGS) -Isrc -o $@ $^ $(LIBS)

# test_list.h includes each subsystem's fragment with __has_include, which
# -MMD cannot record for a fragment that did not exist yet: list them.
build/debug/tobj/unit/test_main.o: $(wildcard tests/unit/*/test_list_*.h)

build/debug/tobj/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CSTD) $(WARN) $(DEFS) $(DEPFLAGS) $(DBGFLAGS) -Isrc -Itests/unit -c -o $@ $<

# ---- fuzzing ---------------------------------------------------------------
# One libFuzzer target per tests/fuzz/fuzz_*.c, built with clang (`make fuzz`;
# run e.g. build/fuzz/fuzz_decode -max_total_time=60 build/fuzz-corpus/decode).
# The same files linked with replay_main.c under gcc + ASan/UBSan are the
# corpus replays `make test` runs; fuzz_mutate builds the corpora.
FUZZ_CC    := clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
FUZZ_LIB_OBJ := $(patsubst src/%.c,build/fuzz/obj/%.o,$(SRC_LIB))
REPLAY_BINS := $(FUZZ_NAMES:%=build/debug/replay_%)
TOOLS      := build/tools/fuzz_mutate

fuzz: $(FUZZ_BINS)

FUZZ_OPT   := -O1
# clang 14 needs more than 10 minutes for the computed-goto interpreter at
# -O1 (plain -O1 too, sanitizers or not); -O0 takes 12 s.
build/fuzz/obj/wasm/wasm_interp.o: FUZZ_OPT := -O0

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(DEFS) $(DEPFLAGS) $(FUZZ_OPT) -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(DEFS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS)

replay: $(REPLAY_BINS)

build/debug/replay_%: build/debug/tobj/fuzz/fuzz_%.o build/debug/tobj/fuzz/replay_main.o $(DBG_A)
	$(call say,LINK,$@)$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

build/tools/%: tests/fuzz/mutate.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) -O2 -o $@ $<

# ---- suites ------------------------------------------------------------------
setup:
	@scripts/setup.sh

# Builds in parallel, then runs every suite (tests/run_all.sh ends with the
# total `N passed, N failed` line).
test: setup
	$(MAKE) -j$(NPROC) debug replay $(TOOLS)
	SHARED=$(SHARED) tests/run_all.sh

# Builds the example components from source (examples/build.sh) and runs the
# README's commands, quietly: each command and its output (examples/run.sh).
# The README's first command: a local lattice up, the example HTTP component
# started, linked to the builtin HTTP server and answering curl, then down.
demo: setup build/lattice
	examples/lattice.sh

run-examples: setup build/lattice
	@examples/run.sh

# both tiers: the interpreter, then the compiled tier (src/aot; modules it
# does not compile, such as memory64 ones, are interpreted and counted)
SPEC_FILES = $(wildcard $(SHARED)/wasm-spec/2.0/*.wast) $(wildcard $(SHARED)/wasm-spec/2.0/simd/*.wast)
spec: build/lattice
	build/lattice wast $(SPEC_FILES)
	LATTICE_CACHE_DIR=$${LATTICE_CACHE_DIR:-$(CURDIR)/build/aot-cache} build/lattice wast --compiled $(SPEC_FILES)

bench: setup build/lattice build/bench/lattice_rtt build/bench/kv_rtt
	bench/run.sh

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*/*.c tests/unit/*.h)

clean:
	rm -rf build

# src/aot/aot_emit.c embeds src/wasm/wasm_simd.h's text with .incbin, which
# -MMD does not see
build/obj/aot/aot_emit.o build/debug/obj/aot/aot_emit.o build/fuzz/obj/aot/aot_emit.o: src/wasm/wasm_simd.h

# header dependencies recorded by -MMD (absent on a first build)
-include $(wildcard build/obj/*/*.d build/obj/*/*/*.d build/debug/obj/*/*.d build/debug/obj/*/*/*.d \
                    build/debug/tobj/*/*.d build/debug/tobj/*/*/*.d build/fuzz/obj/*/*.d)
