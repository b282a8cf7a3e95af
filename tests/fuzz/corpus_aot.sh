#!/usr/bin/env bash
# Corpus hook for fuzz_aot.c (called by gen_corpus.sh with the directory to
# fill): N_AOT (default 120) inputs of 16-600 random bytes from a fixed
# seed, as corpus_translate.sh (any bytes make a valid module).  Small,
# because every input is a C compile on its first replay.
set -euo pipefail
N_TRANSLATE=${N_AOT:-120} SEED=${SEED:-20261208} "$(dirname "$0")/corpus_translate.sh" "$1"
