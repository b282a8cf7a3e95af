/* fuzz.h: the entry point every fuzz target defines (libFuzzer's), so the
 * targets build both with clang -fsanitize=fuzzer (`make fuzz`) and with
 * gcc against replay_main.c (the corpus replay that `make test` runs). */
#ifndef LAT_FUZZ_H
#define LAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
