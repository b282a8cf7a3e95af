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
TEST_SRC := tests/unit/test_main.c tests/unit/base/test_base.c $(wildcard tests/unit/crypto/*.c)

all: build/crypto/unit_tests build/crypto/nkeys_tool build/crypto/lattice

build/crypto/unit_tests: $(TEST_SRC) $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -Itests/unit -o $@ $(TEST_SRC) $(LIB_SRC) $(LIBS)

build/crypto/nkeys_tool: tests/crypto/nkeys_tool.c $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -o $@ $< $(LIB_SRC) $(LIBS)

CLI_SRC  := src/cli/cli_keys.c src/cli/cli_claims.c tests/crypto/cli_stub_main.c
build/crypto/lattice: $(CLI_SRC) $(LIB_SRC) $(HDRS) src/cli/cli.h
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -Isrc -o $@ $(CLI_SRC) $(LIB_SRC) $(LIBS)
