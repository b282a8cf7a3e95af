#!/usr/bin/env python3
"""Writes the C sources of a large module for the decode+validate benchmark.

Usage: gen_big.py OUTDIR NFUNCS NFILES

Functions come from a few templates (loops over memory, a switch, float
math, calls to earlier functions, a struct walk) with varied constants, so
the module looks like compiled application code: many locals, nested
blocks, br_table, loads and stores, direct and indirect calls.  A table of
all functions, used by the exported `dispatch`, keeps wasm-ld from dropping
any (only `nop` is meant to be called: the indirect calls may recurse).  Deterministic: the same arguments give the same sources.
"""
import os
import random
import sys

TEMPLATES = [
    # loop over memory with a data-dependent branch
    """uint32_t f{i}(uint32_t x) {{
  uint32_t acc = {a}u;
  for (uint32_t k = 0; k < {n}u; k++) {{
    uint32_t v = mem[(x + k * {b}u) & MASK];
    if (v & {c}u) acc = acc * {d}u + v; else acc ^= v >> {s};
    mem[(acc + k) & MASK] = (uint8_t)acc;
  }}
  return acc + {callee}(x ^ {a}u);
}}
""",
    # a dense switch (br_table)
    """uint32_t f{i}(uint32_t x) {{
  uint32_t r = x;
  switch ((x >> {s}) % 12u) {{
    case 0: r = x * {a}u; break;
    case 1: r = x + {b}u; break;
    case 2: r = x ^ {c}u; break;
    case 3: r = (x << 3) | (x >> 29); break;
    case 4: r = x / ({d}u | 1u); break;
    case 5: r = x % ({a}u | 1u); break;
    case 6: r = {callee}(x + 1u); break;
    case 7: r = words[x & WMASK] + {b}u; break;
    case 8: words[x & WMASK] = x; r = {c}u; break;
    case 9: r = (uint32_t)(int32_t)(int16_t)x; break;
    case 10: r = __builtin_popcount(x) + {d}u; break;
    default: r = __builtin_clz(x | 1u) * {a}u; break;
  }}
  return r;
}}
""",
    # float math
    """uint32_t f{i}(uint32_t x) {{
  double d = (double)x * {fa} + {fb};
  float g = (float)(x & 0xffff) * {fc}f;
  for (int k = 0; k < {m}; k++) {{
    d = d * 0.5 + (double)g * {fa};
    g = g * 0.75f + (float)k;
    if (d > 1e9) d -= 1e9;
  }}
  return (uint32_t)(int64_t)d ^ (uint32_t)g ^ {callee}(x >> 1);
}}
""",
    # a struct walk with 64-bit arithmetic and an indirect call
    """uint32_t f{i}(uint32_t x) {{
  struct node *p = &nodes[x & NMASK];
  uint64_t h = {a}ull;
  for (int k = 0; k < {m} && p; k++) {{
    h = (h ^ p->key) * 0x100000001b3ull;
    p->val += (uint32_t)h;
    p = p->next;
  }}
  return (uint32_t)(h >> {s}) + table[(x + {b}u) % NFUNCS](x ^ (uint32_t)h);
}}
""",
]

PRELUDE = """#include <stdint.h>
#define MASK 0xffffu
#define WMASK 0xfffu
#define NMASK 0xffu
#define NFUNCS {nfuncs}u
struct node {{ uint64_t key; uint32_t val; struct node *next; }};
extern uint8_t mem[];
extern uint32_t words[];
extern struct node nodes[];
typedef uint32_t (*fn_t)(uint32_t);
extern fn_t const table[];
"""


def main():
    outdir, nfuncs, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(outdir, exist_ok=True)
    rnd = random.Random(1126)
    decls = 'uint32_t leaf(uint32_t);\n' + ''.join(
        'uint32_t f%d(uint32_t);\n' % i for i in range(nfuncs))
    per = (nfuncs + nfiles - 1) // nfiles
    for fi in range(nfiles):
        with open(os.path.join(outdir, 'big%d.c' % fi), 'w') as out:
            out.write(PRELUDE.format(nfuncs=nfuncs) + decls)
            for i in range(fi * per, min(nfuncs, (fi + 1) * per)):
                t = TEMPLATES[i % len(TEMPLATES)]
                # calls go to a lower index so nothing recurses
                j = rnd.randrange(i) if i else None
                body = t.format(
                    i=i, callee=("f%d" % j) if j is not None else "leaf",
                    a=rnd.randrange(1, 1 << 31), b=rnd.randrange(1, 1 << 20),
                    c=rnd.randrange(1, 1 << 31), d=rnd.randrange(1, 1 << 16),
                    s=rnd.randrange(1, 28), n=rnd.randrange(4, 64),
                    m=rnd.randrange(2, 16), fa=rnd.random(), fb=rnd.random() * 100,
                    fc=rnd.random())
                out.write(body)
    with open(os.path.join(outdir, 'big_main.c'), 'w') as out:
        out.write(PRELUDE.format(nfuncs=nfuncs) + decls)
        out.write('uint32_t leaf(uint32_t x) { return x * 2654435761u; }\n')
        out.write('uint8_t mem[MASK + 1];\nuint32_t words[WMASK + 1];\n')
        out.write('struct node nodes[NMASK + 1];\n')
        out.write('fn_t const table[] = {\n')
        out.write(''.join('  f%d,\n' % i for i in range(nfuncs)))
        out.write('};\n')
        out.write('__attribute__((export_name("dispatch"))) '
                  'uint32_t dispatch(uint32_t i, uint32_t x) '
                  '{ return table[i % NFUNCS](x); }\n')
        out.write('__attribute__((export_name("nop"))) void nop(void) {}\n')


if __name__ == '__main__':
    main()
