#!/usr/bin/env bash
# Corpus hook for fuzz_translate.c (called by gen_corpus.sh with the
# directory to fill): N_TRANSLATE (default 3000) inputs of 16-600 random
# bytes from a fixed seed.  Any bytes make a valid module, so random inputs
# are a fair corpus; libFuzzer runs go further (make fuzz).
set -euo pipefail
python3 - "$1" "${N_TRANSLATE:-3000}" "${SEED:-20261126}" <<'PY'
import os, random, sys
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)
for i in range(n):
    size = rng.randint(16, 600)
    with open(os.path.join(out, "r%05d" % i), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(size)))
PY
