#!/usr/bin/env bash
# The blobstore suite: wasi:blobstore over the lattice (PROTOCOL.md §4.5,
# §14.2): the host shim (src/host/host_blobstore.c) and the built-in
# provider blobstore-fs, against a real nats-server on a loopback port of
# its own, with two `lattice host` processes.
#
#   H1 runs the provider (wasmcloud+builtin://blobstore-fs as blobfs), its
#   root $T/root from the link's `root`; H2 runs examples/blob as `blob`,
#   linked to blobfs and served by H2's built-in HTTP server.  So every
#   blobstore call crosses hosts over wRPC.
#
#   objects     containers made, checked and listed; objects written from a
#               request body (outgoing-value: half the bytes before
#               write-data, half after, sent at finish) and read back
#               (consume-async and consume-sync), a 4 MiB one too (over
#               NATS's 1 MiB max_payload, so chunked on nested paths), the
#               bytes compared with the files on disk
#   ops         has/info/list (read 2 at a time, skip)/delete/delete-objects/
#               copy/move/clear/delete-container, each checked on disk
#   escapes     `..`, `/` and NUL in names (through the component and as a
#               linked raw caller), a symlink planted in the root pointing
#               outside (as a container and as an object): refused, and
#               nothing outside the root written or changed
#   raw         an unlinked caller straight to the provider's subject:
#               refused; malformed params: an empty result, provider fine
#   restart     the provider killed with SIGKILL: the host restarts it and
#               calls resume
#   link-del    the link deleted: the component's next call fails at once
#               (the host traps), and the provider refuses the source too
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `blobstore: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
WRAW=${WRPC_RAW:-$ROOT/build/debug/wrpc_raw}
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-blob.XXXXXX)
NPID=
HPIDS=()
cleanup() {
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # providers the hosts started (a host killed with -9 cannot stop its own)
  for p in $(grep -ho 'provider process started provider_id=[^ ]* pid=[0-9]*' "$T"/host*.log 2>/dev/null |
             sed 's/.*pid=//'); do
    [ -n "$(ps -o args= -p "$p" 2>/dev/null | grep 'provider blobstore-fs')" ] && kill -9 "$p" 2>/dev/null
  done
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "blobstore: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=blobstore
. "$ROOT/tests/lattice/lib.sh"

bail() {
  echo "blobstore: $1"
  echo "blobstore: $npass passed, $((nfail + 1)) failed"
  exit 1
}
command -v curl >/dev/null || bail "curl is missing (scripts/setup.sh)"
[ -x "$WRAW" ] || bail "$WRAW is missing (make debug)"
BLOB=$ROOT/build/examples/blob.component.wasm
if [ ! -f "$BLOB" ] || [ -n "$(find examples/blob examples/build.sh -newer "$BLOB" -type f | head -n 1)" ]; then
  examples/build.sh >"$T/build.log" 2>&1 && [ -f "$BLOB" ] || { cat "$T/build.log"; bail "examples/build.sh failed"; }
fi

NPORT=$(free_port)
start_nats || { cat "$T/nats.log"; bail "nats-server did not start"; }
lattice_wrapper
NURL="nats://127.0.0.1:$NPORT"

start_host() { # N [ARGS...]
  local n=$1
  shift
  LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=700 LATTICE_PROVIDER_RESTART_MS=300 \
    "$LATTICE" host --nats-port "$NPORT" --friendly-name "host-$n" --allow-file-load "$@" \
    >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1
start_host 2
nh=0
for _ in $(seq 1 150); do
  nh=$(L get hosts --timeout-ms 500 2>/dev/null | grep -c '^N')
  [ "$nh" -eq 2 ] && break
  sleep 0.2
done
[ "$nh" -eq 2 ] && pass || bail "host.ping gathered $nh hosts, want 2"
hid() { grep -o 'host_id=N[A-Z0-9]*' "$T/host$1.log" | head -n 1 | cut -d= -f2; }
H1=$(hid 1) H2=$(hid 2)

# ---- the lattice -------------------------------------------------------------------------
R=$T/root
OUT=$T/outside
mkdir -p "$OUT"
echo "do not touch" >"$OUT/secret"
W=$(free_port)
ok blobfs L start provider wasmcloud+builtin://blobstore-fs blobfs --host-id "$H1"
until_grep "$T/host1.log" 'blobstore-fs: serving wrpc:blobstore/blobstore@0.2.0' && pass ||
  fail blobfs-serving "blobstore-fs does not serve"
ok http L start provider wasmcloud+builtin://http-server http --host-id "$H2"
ok blob L start component "file://$BLOB" blob --host-id "$H2" --max-instances 20
ok addr L config put addr "address=127.0.0.1:$W"
ok http-link L link put http blob wasi http --interface incoming-handler --source-config addr
ok blob-cfg L config put blobcfg "root=$R"
ok blob-link L link put blob blobfs wasi blobstore --interface blobstore --target-config blobcfg

code=
req() { # PATH [CURL ARGS...]: the body in $T/out, the status in $code
  local p=$1
  shift
  code=$(curl -s -m 30 --path-as-is -o "$T/out" -w '%{http_code}' "$@" "http://127.0.0.1:$W$p" 2>"$T/err")
}
expect() { # LABEL PATH STATUS BODY_RE
  req "$2"
  [ "$code" = "$3" ] && grep -qE -- "$4" "$T/out" && pass ||
    fail "$1" "GET $2: HTTP $code, want $3 and /$4/: $(head -c 300 "$T/out")"
}
for _ in $(seq 1 100); do
  req /mk/photos
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] && grep -q '^ok$' "$T/out" && pass || fail mk "create-container: HTTP $code $(cat "$T/out")"
[ -d "$R/photos" ] && pass || fail mk-disk "no folder $R/photos"

# ---- objects: written, read back -------------------------------------------------------------
expect exists /exists/photos 200 '^true$'
expect exists-not /exists/nope 200 '^false$'
printf 'hello blob' >"$T/small"
req /put/photos/small --data-binary "@$T/small"
[ "$code" = 200 ] && grep -q '^ok 10$' "$T/out" && pass || fail put-small "HTTP $code $(cat "$T/out")"
cmp -s "$T/small" "$R/photos/small" && pass || fail put-small-disk "the file on disk differs"
req /get/photos/small
[ "$code" = 200 ] && cmp -s "$T/small" "$T/out" && pass || fail get-small "HTTP $code $(cat "$T/out")"
req /sync/photos/small
[ "$code" = 200 ] && cmp -s "$T/small" "$T/out" && pass || fail sync-small "HTTP $code $(cat "$T/out")"
expect size-small /size/photos/small 200 '^10$'
head -c 4194304 /dev/urandom >"$T/big"
req /put/photos/big --data-binary "@$T/big"
[ "$code" = 200 ] && grep -q '^ok 4194304$' "$T/out" && pass || fail put-big "HTTP $code $(cat "$T/out")"
cmp -s "$T/big" "$R/photos/big" && pass || fail put-big-disk "the 4 MiB file on disk differs"
req /get/photos/big
[ "$code" = 200 ] && cmp -s "$T/big" "$T/out" && pass || fail get-big "HTTP $code, $(stat -c %s "$T/out") bytes"
req /sync/photos/big
[ "$code" = 200 ] && cmp -s "$T/big" "$T/out" && pass || fail sync-big "HTTP $code, $(stat -c %s "$T/out") bytes"
printf '' >"$T/empty"
req /put/photos/empty --data-binary "@$T/empty"
[ "$code" = 200 ] && [ -f "$R/photos/empty" ] && [ ! -s "$R/photos/empty" ] && pass ||
  fail put-empty "HTTP $code $(cat "$T/out")"
expect get-missing /get/photos/nope 500 '^error: object `nope`: No such file'
expect get-no-container /get/nope/x 500 '^error: container does not exist'

# ---- has, info, list, delete, copy, move, clear ----------------------------------------------
expect has /has/photos/small 200 '^true$'
expect has-not /has/photos/nope 200 '^false$'
expect info /info/photos/big 200 '^name=big container=photos size=4194304$'
expect cinfo /cinfo/photos 200 'name=photos'
for n in c d e; do req /put/photos/$n --data-binary "$n$n"; done
req /list/photos
[ "$code" = 200 ] && [ "$(tr '\n' ' ' <"$T/out")" = "big c d e empty small reads=4 " ] && pass ||
  fail list "HTTP $code: $(tr '\n' ' ' <"$T/out")"
req /skip/photos/4
[ "$code" = 200 ] && [ "$(tr '\n' ' ' <"$T/out")" = "skipped=4 empty small reads=2 " ] && pass ||
  fail skip "HTTP $code: $(tr '\n' ' ' <"$T/out")"
expect del /del/photos/c 200 '^ok$'
[ ! -e "$R/photos/c" ] && [ -e "$R/photos/d" ] && pass || fail del-disk "c not deleted (or d deleted too)"
expect del-absent /del/photos/c 200 '^ok$'
expect dels /dels/photos/d,e,nope 200 '^ok$'
[ ! -e "$R/photos/d" ] && [ ! -e "$R/photos/e" ] && pass || fail dels-disk "d or e is still there"
expect copy-no-dest /copy/photos/small/backup/s2 500 'error: destination container `backup`'
expect mk-backup /mk/backup 200 '^ok$'
expect copy /copy/photos/small/backup/s2 200 '^ok$'
cmp -s "$T/small" "$R/backup/s2" && [ -f "$R/photos/small" ] && pass || fail copy-disk "copy wrong on disk"
expect move /move/photos/small/backup/moved 200 '^ok$'
cmp -s "$T/small" "$R/backup/moved" && [ ! -e "$R/photos/small" ] && pass || fail move-disk "move wrong on disk"
expect get-moved /get/backup/moved 200 '^hello blob$'
expect clear /clear/backup 200 '^ok$'
[ -d "$R/backup" ] && [ -z "$(ls -A "$R/backup")" ] && pass || fail clear-disk "backup not emptied"
expect rmc /rmc/backup 200 '^ok$'
[ ! -e "$R/backup" ] && pass || fail rmc-disk "backup still there"
expect exists-gone /exists/backup 200 '^false$'

# ---- escapes ----------------------------------------------------------------------------------
# every path under $T outside the root, but this suite's scratch files
snap() { # what is outside the root (but nats-server's own store, which it writes at will)
  find "$T" \( -path "$R" -o -path "$T/js" \) -prune -o -print | grep -vE '/(before|after|diff|out|err)$' | sort
}
snap >"$T/before"
expect esc-mk-dotdot /mk/.. 500 'invalid container name `..`'
expect esc-mk-dot /mk/. 500 'invalid container name `.`'
expect esc-put-dotdot /put/photos/.. 500 'invalid object name `..`'
expect esc-get-dotdot /get/photos/.. 500 'invalid object name `..`'
expect esc-copy /copy/photos/big/../stolen 500 'invalid container name `..`'
ln -s "$OUT" "$R/evil"
ln -s "$OUT/secret" "$R/photos/link"
expect esc-symlink-list /list/evil 500 'resolves outside the blobstore root'
expect esc-symlink-get /get/evil/secret 500 'resolves outside the blobstore root'
expect esc-symlink-put /put/evil/planted 500 'resolves outside the blobstore root'
expect esc-symlink-obj /get/photos/link 500 'object `link` resolves outside'
expect esc-symlink-copy /copy/photos/link/photos/copied 500 'resolves outside'
expect esc-symlink-del /rmc/evil 200 '^ok$' # removes the link itself, not what it points to
# a linked raw caller can send what a URL cannot: `/` and NUL in names
hexs() { printf '%02x' "${#1}"; printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
hexstr() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
BS=wrpc:blobstore/blobstore@0.2.0
raw_err() { # LABEL FUNCTION PARAMS_HEX RE: a linked call answered err(string matching RE)
  "$WRAW" "$NURL" blobfs "$BS" "$2" "$3" source-id=blob >"$T/out" 2>"$T/err"
  local hex
  hex=$(cat "$T/out")
  if [ "${hex:0:2}" = 01 ] && printf '%s' "${hex:4}" | xxd -r -p | grep -qE -- "$4"; then pass
  else fail "$1" "got $hex"; fi
}
raw_err esc-raw-slash create-container "$(hexs "../up")" 'invalid container name `\.\./up`'
raw_err esc-raw-abs create-container "$(hexs "/etc")" 'invalid container name `/etc`'
raw_err esc-raw-nul create-container "04$(hexstr ab)00$(hexstr c)" 'invalid container name'
# write-container-data({photos, ../../escaped}, stream ready [hi]: one inline chunk, as Rust reads it)
raw_err esc-raw-write write-container-data "$(hexs photos)$(hexs ../../escaped)02$(hexstr hi)" \
  'invalid object name'
raw_err esc-raw-copy copy-object "$(hexs photos)$(hexs big)$(hexs photos)$(hexs ../../../escaped)" \
  'invalid object name'
snap >"$T/after"
diff "$T/before" "$T/after" >"$T/diff" && pass || fail esc-nothing-new "new paths outside the root: $(cat "$T/diff")"
[ "$(cat "$OUT/secret")" = "do not touch" ] && [ "$(ls -A "$OUT")" = secret ] && pass ||
  fail esc-outside-untouched "the folder outside the root changed: $(ls -A "$OUT")"
[ -L "$R/photos/link" ] || [ ! -e "$R/photos/link" ] && pass || fail esc-link-kept "the object link changed into a file"

# ---- straight to the provider's subject ----------------------------------------------------------
ok raw-linked "$WRAW" "$NURL" blobfs "$BS" container-exists "$(hexs photos)" source-id=blob
[ "$(cat "$T/out")" = "0001" ] && pass || fail raw-linked-result "got $(cat "$T/out")"
ok raw-unlinked "$WRAW" "$NURL" blobfs "$BS" container-exists "$(hexs photos)" source-id=intruder
grep -q "^01..$(hexstr 'consumer component not linked: intruder')" "$T/out" &&
  pass || fail raw-unlinked-error "got $(cat "$T/out")"
ok raw-no-source "$WRAW" "$NURL" blobfs "$BS" container-exists "$(hexs photos)"
grep -q "^01..$(hexstr 'no consumer component')" "$T/out" && pass || fail raw-no-source-error "got $(cat "$T/out")"
ok raw-garbage "$WRAW" "$NURL" blobfs "$BS" container-exists ff01 source-id=blob
[ "$(cat "$T/out")" = "" ] && pass || fail raw-garbage-refused "malformed params were answered: $(cat "$T/out")"
ok raw-garbage-write "$WRAW" "$NURL" blobfs "$BS" write-container-data "$(hexs photos)$(hexs x)07" source-id=blob
[ "$(cat "$T/out")" = "" ] && pass || fail raw-garbage-write-refused "got $(cat "$T/out")"
req /get/photos/big
[ "$code" = 200 ] && cmp -s "$T/big" "$T/out" && pass || fail after-garbage "HTTP $code after garbage"

# ---- the provider killed: restarted, calls resume -----------------------------------------------
pid=$(grep -o 'provider process started provider_id=blobfs pid=[0-9]*' "$T/host1.log" | tail -n 1 | sed 's/.*pid=//')
if [ -n "$pid" ] && ps -o args= -p "$pid" | grep -q 'provider blobstore-fs'; then
  kill -9 "$pid"
  until_grep "$T/host1.log" 'restarting in' 50 && pass || fail restart-log "no restart in H1's log"
  for _ in $(seq 1 150); do
    req /put/photos/after --data-binary "after restart"
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  [ "$code" = 200 ] && [ "$(cat "$R/photos/after" 2>/dev/null)" = "after restart" ] && pass ||
    fail restart-resume "after the restart: HTTP $code $(cat "$T/out")"
  req /get/photos/big
  [ "$code" = 200 ] && cmp -s "$T/big" "$T/out" && pass || fail restart-read "HTTP $code after the restart"
  pid2=$(grep -o 'provider process started provider_id=blobfs pid=[0-9]*' "$T/host1.log" | tail -n 1 | sed 's/.*pid=//')
  [ "$pid2" != "$pid" ] && pass || fail restart-pid "the same pid after the restart"
else
  fail restart "no blobfs pid in H1's log ($pid)"
fi

# ---- link deleted: the next call fails at once ----------------------------------------------------
ok link-del L link del blob wasi blobstore
for _ in $(seq 1 50); do req /exists/photos; [ "$code" = 500 ] && break; sleep 0.1; done
[ "$code" = 500 ] && pass || fail link-del-call "HTTP $code after the link was deleted"
req /get/photos/big
[ "$code" = 500 ] && pass || fail link-del-stays "HTTP $code on the second call"
grep -q 'link `default` not found for instance wasi:blobstore/blobstore' "$T/host2.log" && pass ||
  fail link-del-reason "no \"link not found\" in H2's log"
for _ in $(seq 1 50); do
  "$WRAW" "$NURL" blobfs "$BS" container-exists "$(hexs photos)" source-id=blob >"$T/out" 2>&1
  grep -q '^01' "$T/out" && break
  sleep 0.1
done
grep -q "^01..$(hexstr 'consumer component not linked: blob')" "$T/out" &&
  pass || fail link-del-provider "the provider still serves the source: $(cat "$T/out")"

# ---- the end ---------------------------------------------------------------------------------------
for n in 1 2; do kill -TERM "${HPIDS[$n]}"; done
for n in 1 2; do
  for _ in $(seq 1 100); do kill -0 "${HPIDS[$n]}" 2>/dev/null || break; sleep 0.1; done
  wait "${HPIDS[$n]}" 2>/dev/null
done
for n in 1 2; do
  if grep -qE 'Sanitizer|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "report in host $n's log (the host's or a provider's)"
    grep -E -A12 'Sanitizer|runtime error:' "$T/host$n.log" | head -n 30
  else pass; fi
done
echo "blobstore: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
