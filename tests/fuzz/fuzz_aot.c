/* Fuzz target: the compiled tier (src/aot) against the interpreter.
 *
 * fuzz_translate.c's generator (one valid module per input: arithmetic and
 * its traps, conversions, loads and stores of every width, a global,
 * calls, nested blocks, ifs, br_if and counted loops), run once
 * interpreted and once compiled (gcc, through the object cache); both runs
 * must end alike: the same result or trap, equal memories and globals.  A
 * disagreement aborts.  Each new input costs a C compile (~0.1 s), so
 * libFuzzer runs it at a few execs per second and the replay corpus
 * (corpus_aot.sh) is small; the cache makes later replays fast. */
#define FUZZ_AOT 1
#include "fuzz_translate.c"
