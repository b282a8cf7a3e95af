# Lattice build.  `make` builds build/lattice (optimised); `make test` sets up
# dependencies and runs every suite under ASan+UBSan; `make spec` runs the
# WebAssembly spec suites; `make bench` prints benchmark ratios.
#
# Sources are found by wildcard: one folder per subsystem under src/, so a new
# file needs no Makefile edit.  gnu17 rather than c17 because the interpreter
# uses computed goto (a GNU extension, in both gcc and clang).

CC      ?= gcc
WARN    := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes
CSTD    := -std=gnu17
CFLAGS  ?= -O2 -g
DEFS    := -D_GNU_SOURCE
LIBS    := -lm -lpthread
SHARED  := ../shared/testdata

SRC_LIB := $(filter-out src/cli/%,$(wildcard src/*/*.c))
SRC_CLI := $(wildcard src/cli/*.c)
HDRS    := $(wildcard src/*/*.h)

REL_OBJ := $(patsubst src/%.c,build/obj/%.o,$(SRC_LIB) $(SRC_CLI))
DBG_OBJ := $(patsubst src/%.c,build/debug/obj/%.o,$(SRC_LIB) $(SRC_CLI))
DBG_LIB_OBJ := $(patsubst src/%.c,build/debug/obj/%.o,$(SRC_LIB))

SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
DBGFLAGS := -O1 -g $(SAN)

TEST_SRC := $(wildcard tests/unit/*.c tests/unit/*/*.c)
TEST_OBJ := $(patsubst tests/%.c,build/debug/tobj/%.o,$(TEST_SRC))

.PHONY: all debug test spec bench setup clean format fuzz

all: build/lattice

build/lattice: $(REL_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(CFLAGS) -c -o $@ $<

debug: build/debug/lattice build/debug/unit_tests

build/debug/lattice: $(DBG_OBJ)
	$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

build/debug/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(DBGFLAGS) -c -o $@ $<

build/debug/unit_tests: $(TEST_OBJ) $(DBG_LIB_OBJ)
	$(CC) $(DBGFLAGS) -o $@ $^ $(LIBS)

build/debug/tobj/%.o: tests/%.c $(HDRS) $(wildcard tests/unit/*.h tests/unit/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(DBGFLAGS) -Isrc -Itests/unit -c -o $@ $<

setup:
	scripts/setup.sh

test: setup debug
	tests/run_all.sh

spec: build/lattice
	build/lattice wast $(filter-out $(SHARED)/wasm-spec/2.0/simd,$(wildcard $(SHARED)/wasm-spec/2.0/*.wast))

bench: setup build/lattice
	bench/run.sh

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*/*.c tests/unit/*.h)

clean:
	rm -rf build
