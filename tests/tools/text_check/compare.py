#!/usr/bin/env python3
"""Compare our WAT encoder with wabt on .wast scripts.

For each script: wast2json (wabt) writes one file per module command;
wast_dump (ours) writes <n>.wasm for the n-th module command.  Both binaries
go through `wasm2wat --no-check --enable-all` and the texts are compared.
Quote modules that wabt keeps as text (.wat, assert_malformed) are skipped.
Scripts wast2json cannot read are reported; for those, every module we
produce is checked with wasm-validate instead (modules of assert_invalid /
assert_malformed excepted).

usage: compare.py WAST_DUMP_BINARY FILE.wast...
"""
import json, os, subprocess, sys, tempfile

def wat(path):
    r = subprocess.run(["wasm2wat", "--no-check", "--enable-all", path],
                       capture_output=True, text=True)
    return r.returncode, r.stdout if r.returncode == 0 else r.stderr

def main():
    dump = sys.argv[1]
    totals = dict(same=0, wabt_unreadable=0, differ=0, missing=0, skipped=0, valid=0, invalid=0)
    for wast in sys.argv[2:]:
        with tempfile.TemporaryDirectory() as tmp:
            ref = os.path.join(tmp, "ref"); ours = os.path.join(tmp, "ours")
            os.mkdir(ref); os.mkdir(ours)
            r = subprocess.run([dump, wast, ours], capture_output=True, text=True)
            lines = r.stdout.splitlines()
            cmds = {}
            for ln in lines:
                parts = ln.split()
                for p in parts:
                    if p.startswith("#"):
                        cmds[int(p[1:])] = ln
            jr = subprocess.run(["wast2json", wast, "-o", os.path.join(ref, "x.json")],
                                capture_output=True, text=True)
            name = os.path.basename(wast)
            if jr.returncode != 0 or not os.path.exists(os.path.join(ref, "x.json")):
                # no reference: validate what we produce for plain modules
                for n, ln in sorted(cmds.items()):
                    kind = ln.split()[1]
                    f = os.path.join(ours, "%d.wasm" % n)
                    if kind not in ("module", "assert_trap", "assert_uninstantiable",
                                    "assert_unlinkable", "assert_return"):
                        continue
                    if not os.path.exists(f):
                        totals["missing"] += 1
                        print("%s: MISSING (no ref) %s" % (name, ln))
                        continue
                    v = subprocess.run(["wasm-validate", f],
                                       capture_output=True, text=True)
                    if v.returncode == 0:
                        totals["valid"] += 1
                    else:
                        totals["invalid"] += 1
                        print("%s: INVALID %s: %s" % (name, ln, v.stderr.strip()[:300]))
                continue
            d = json.load(open(os.path.join(ref, "x.json")))
            n = 0
            for c in d["commands"]:
                fn = c.get("filename")
                if not fn:
                    continue
                idx = n
                n += 1
                if not fn.endswith(".wasm"):
                    totals["skipped"] += 1
                    continue
                f = os.path.join(ours, "%d.wasm" % idx)
                if not os.path.exists(f):
                    totals["missing"] += 1
                    print("%s:%d: MISSING %s" % (name, c["line"], cmds.get(idx, "?")))
                    continue
                refb = open(os.path.join(ref, fn), "rb").read()
                oursb = open(f, "rb").read()
                if refb == oursb:
                    totals["same"] += 1
                    continue
                rc1, t1 = wat(os.path.join(ref, fn))
                rc2, t2 = wat(f)
                if rc1 == rc2 and t1 == t2:
                    totals["same"] += 1
                elif rc1 != 0 and "requires data count section" in t1:
                    # wabt wrote a binary its own reader rejects: it omits the
                    # data count section when there are no data segments, we
                    # keep it so the validator reports the unknown segment
                    totals["wabt_unreadable"] += 1
                    print("%s:%d: wabt's binary unreadable: %s" % (name, c["line"], t1.strip()[:200]))
                else:
                    totals["differ"] += 1
                    print("%s:%d: DIFFER (%s)" % (name, c["line"], c["type"]))
                    if os.environ.get("SHOWDIFF"):
                        a = os.path.join(tmp, "a.wat"); b = os.path.join(tmp, "b.wat")
                        open(a, "w").write(t1); open(b, "w").write(t2)
                        dr = subprocess.run(["diff", a, b], capture_output=True, text=True)
                        print(dr.stdout[:3000])
    print(" ".join("%s=%d" % kv for kv in totals.items()))
    return 1 if totals["differ"] or totals["missing"] or totals["invalid"] else 0

if __name__ == "__main__":
    sys.exit(main())
