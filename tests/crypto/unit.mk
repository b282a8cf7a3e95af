# Standalone build of the crypto unit tests and tools (src/base + src/crypto
# only), for working on crypto while the rest of the tree does not link.
#   make -f tests/crypto/unit.mk  -> build/crypto/{unit_tests,nkeys_tool,lattice}
CC       ?= gcc
FLAGS    := -std=gnu17 -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes \
            -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LIBS     := -lsodium -ljansson -lm -lpthread
LIB_SRC  := $(wildcard src/base/*.c src/crypto/*.c)
HDRS     := $(wildcard src/base/*.h src/crypto/*.h tests/unit/*.h tests/unit/*/*.h)
TEST_SRC := $(wildcard tests/unit/crypto/*.c)
# The runner and test.h are copied next to a test list holding only the
# crypto fragment, so other subsystems' tests are not needed to link.
UNIT_DIR := build/crypto/unitsrc

all: build/crypto/unit_tests build/crypto/nkeys_tool build/crypto/lattice

build/crypto/unit_tests: $(TEST_SRC) $(LIB_SRC) $(HDRS) tests/unit/test_main.c
	@mkdir -p $(UNIT_DIR)
	cp tests/unit/test_main.c tests/unit/test.h $(UNIT_DIR)/
	printf '#include "crypto/test_list_crypto.h"\n' >$(UNIT_DIR)/test_list.h
	$(CC) $(FLAGS) -Isrc -I$(UNIT_DIR) -Itests/unit -o $@ $(UNIT_DIR)/test_main.c $(TEST_SRC) $(LIB_SRC) $(LIBS)

build/crypto/nkeys_tool: tests/crypto/nkeys_tool.c $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -o $@ $< $(LIB_SRC) $(LIBS)

# keys and claims use the CLI's option parser and file-format detector
# (cli_opts.c, cli_file.c), which need the wasm and component decoders
CLI_SRC  := src/cli/cli_keys.c src/cli/cli_claims.c src/cli/cli_opts.c src/cli/cli_file.c \
            tests/crypto/cli_stub_main.c
CLI_LIB  := $(wildcard src/wasm/*.c src/component/*.c)
build/crypto/lattice: $(CLI_SRC) $(LIB_SRC) $(CLI_LIB) $(HDRS) src/cli/cli.h
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -o $@ $(CLI_SRC) $(LIB_SRC) $(CLI_LIB) $(LIBS)

# corpus replays of the crypto fuzz targets (the same as the Makefile's
# build/debug/replay_{jwt,nkey}, without the rest of the tree)
build/crypto/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz.h $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -o $@ $< tests/fuzz/replay_main.c $(LIB_SRC) $(LIBS)
