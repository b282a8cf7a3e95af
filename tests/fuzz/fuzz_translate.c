/* Fuzz target: the optimised translation against the plain one.
 *
 * The input drives a generator of one valid module: a function
 * (i64, i64) -> i64 built from i32/i64 constants, locals, unary and binary
 * operators (division traps included), comparisons, conversions, select,
 * loads and stores of every width into one page (addresses often computed
 * by i32.add or loaded from memory, the patterns the translator folds),
 * a mutable global, calls to a helper function, nested blocks and ifs
 * with br_if, and loops bounded by a counter.  The page starts with a table
 * of small multiples of 8, so loaded values make plausible addresses.
 *
 * The module is instantiated twice, the second time with
 * lat_wasm_module_set_plain (no peephole fusions: wasm_translate.c).  Both
 * calls must end alike (the same result, or the same trap), leaving equal
 * memories and globals.  A disagreement prints both outcomes and aborts,
 * which is a finding for libFuzzer and a failed input for the replay.
 * Why: an optimisation that deletes and refolds code (the peephole records)
 * was wrong in a way no spec test reached; a second, simpler translation
 * of the same function is an oracle for every input.
 *
 * The replay corpus (corpus_translate.sh) is random bytes from a fixed
 * seed; every input makes a valid module (the generator tracks the operand
 * types), so each one tests something.  To read a finding:
 * FT_DUMP=f.wasm build/debug/replay_translate x INPUT; wasm2wat f.wasm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "fuzz.h"
#include "wasm/wasm.h"
#ifdef FUZZ_AOT
#include "aot/aot.h"
#define TARGET "fuzz_aot: interpreted and compiled"
#else
#define TARGET "fuzz_translate: optimised and plain translations"
#endif

#define MAX_STACK 24
#define MAX_DEPTH 4
#define BUDGET 160
#define FUEL 2000000u

enum { I32, I64 };

typedef struct {
  const uint8_t *p;
  size_t n, i;
} src_t;

typedef struct {
  uint8_t kind;   /* 0 block, 1 if, 2 loop */
  int8_t result;  /* -1 none, else I32 */
  int base;       /* stack height at entry */
} ctl_t;

typedef struct {
  src_t *s;
  lat_buf_t *o;
  uint8_t st[MAX_STACK];
  int sp;
  ctl_t ctl[MAX_DEPTH];
  int depth;
  int budget;
} gen_t;

static unsigned pick(src_t *s, unsigned n) {
  if (s->i >= s->n) return 0;
  return s->p[s->i++] % n;
}

static uint64_t bits(src_t *s, int nbytes) {
  uint64_t v = 0;
  for (int k = 0; k < nbytes; k++) v = v << 8 | (s->i < s->n ? s->p[s->i++] : 0);
  return v;
}

static void op(gen_t *g, uint8_t b) { lat_buf_push(g->o, b); }
static void uleb(gen_t *g, uint64_t v) { lat_buf_write_uleb(g->o, v); }
static void push(gen_t *g, uint8_t t) { g->st[g->sp++] = t; }
static uint8_t top(const gen_t *g, int k) { return g->st[g->sp - 1 - k]; }
static int avail(const gen_t *g) { /* values above the innermost block's base */
  return g->sp - (g->depth ? g->ctl[g->depth - 1].base : 0);
}

/* locals: 0-1 i64 params, 2-5 i32, 6-7 i64, 8-11 loop counters (i32) */
static uint32_t local_of(gen_t *g, uint8_t t) {
  static const uint32_t i64s[] = {0, 1, 6, 7};
  return t == I32 ? 2 + pick(g->s, 4) : i64s[pick(g->s, 4)];
}

static void const_of(gen_t *g, uint8_t t) {
  static const int64_t small[] = {0, 1, -1, 2, 4, 7, 8, 16, 31, 32, 63, 64, 0x7fffffff,
                                  (int64_t)0x80000000, 1024, 4096};
  int64_t v = pick(g->s, 3) ? small[pick(g->s, 16)] : (int64_t)bits(g->s, t == I32 ? 4 : 8);
  if (t == I32) {
    op(g, 0x41);
    lat_buf_write_sleb(g->o, (int32_t)(uint32_t)v);
  } else {
    op(g, 0x42);
    lat_buf_write_sleb(g->o, v);
  }
  push(g, t);
}

static void value(gen_t *g, uint8_t t) { /* a deferred operand: const or local */
  if (pick(g->s, 2)) {
    const_of(g, t);
  } else {
    op(g, 0x20);
    uleb(g, local_of(g, t));
    push(g, t);
  }
}

/* an i32 address on top: keep it in the page (mostly), maybe add to it */
static void address(gen_t *g) {
  unsigned k = pick(g->s, 4);
  if (k == 0) { /* mask */
    op(g, 0x41);
    lat_buf_write_sleb(g->o, 0xfff8);
    op(g, 0x71);
  }
  if (k <= 2) { /* + constant or local: the add the load/store folds */
    value(g, I32);
    op(g, 0x6a);
    g->sp--;
  }
}

static void load(gen_t *g) {
  static const struct { uint8_t op, t; } L[] = {
      {0x28, I32}, {0x29, I64}, {0x2c, I32}, {0x2d, I32}, {0x2e, I32}, {0x2f, I32},
      {0x30, I64}, {0x31, I64}, {0x32, I64}, {0x33, I64}, {0x34, I64}, {0x35, I64}};
  address(g);
  unsigned k = pick(g->s, 12);
  op(g, L[k].op);
  uleb(g, 0);
  uleb(g, pick(g->s, 3) ? 0 : pick(g->s, 24));
  g->sp--;
  push(g, L[k].t);
}

static void store(gen_t *g) { /* address on top; pushes the value */
  static const struct { uint8_t op, t; } S[] = {{0x36, I32}, {0x37, I64}, {0x3a, I32},
                                               {0x3b, I32}, {0x3c, I64}, {0x3d, I64},
                                               {0x3e, I64}};
  address(g);
  unsigned k = pick(g->s, 7);
  value(g, S[k].t);
  op(g, S[k].op);
  uleb(g, 0);
  uleb(g, pick(g->s, 3) ? 0 : pick(g->s, 24));
  g->sp -= 2;
}

static void unop(gen_t *g) {
  static const uint8_t u32[] = {0x45, 0x67, 0x68, 0x69, 0xc0, 0xc1, 0xad, 0xac};
  static const uint8_t u64[] = {0x50, 0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4, 0xa7};
  uint8_t t = top(g, 0);
  uint8_t o = t == I32 ? u32[pick(g->s, 8)] : u64[pick(g->s, 8)];
  op(g, o);
  g->sp--;
  push(g, o == 0xad || o == 0xac ? I64 : (o == 0x50 || o == 0xa7) ? I32 : t);
}

static void binop(gen_t *g) {
  uint8_t t = top(g, 0);
  unsigned k = pick(g->s, 25);
  uint8_t o;
  bool cmp = k >= 15;
  if (t == I32) o = cmp ? (uint8_t)(0x46 + (k - 15)) : (uint8_t)(0x6a + k);
  else o = cmp ? (uint8_t)(0x51 + (k - 15)) : (uint8_t)(0x7c + k);
  op(g, o);
  g->sp -= 2;
  push(g, cmp ? I32 : t);
}

static void gen_seq(gen_t *g);

/* Ends the innermost construct: the stack down to its base, plus its
 * result when it has one. */
static void settle(gen_t *g, int base, int8_t result) {
  while (g->sp > base + (result >= 0 ? 1 : 0)) {
    op(g, 0x1a);
    g->sp--;
  }
  if (result >= 0 && g->sp == base) const_of(g, I32);
  if (result >= 0 && top(g, 0) != I32) {
    op(g, 0xa7); /* i32.wrap_i64 */
    g->st[g->sp - 1] = I32;
  }
}

static void construct(gen_t *g) {
  unsigned kind = pick(g->s, 3);
  int8_t result = kind != 2 && pick(g->s, 2) ? I32 : -1;
  if (kind == 1) { /* if: takes an i32 */
    if (!avail(g) || top(g, 0) != I32) return;
    g->sp--;
  }
  int base = g->sp;
  uint32_t counter = 8 + (uint32_t)g->depth;
  if (kind == 2) {
    op(g, 0x41);
    lat_buf_write_sleb(g->o, 1 + pick(g->s, 5));
    op(g, 0x21);
    uleb(g, counter);
  }
  op(g, kind == 0 ? 0x02 : kind == 1 ? 0x04 : 0x03);
  op(g, result >= 0 ? 0x7f : 0x40);
  g->ctl[g->depth++] = (ctl_t){(uint8_t)kind, result, base};
  gen_seq(g);
  settle(g, base, result);
  if (kind == 1 && (result >= 0 || pick(g->s, 2))) {
    op(g, 0x05);
    g->sp = base;
    gen_seq(g);
    settle(g, base, result);
  }
  if (kind == 2) { /* counter-1; back while nonzero */
    op(g, 0x20);
    uleb(g, counter);
    op(g, 0x41);
    op(g, 1);
    op(g, 0x6b);
    op(g, 0x22);
    uleb(g, counter);
    op(g, 0x0d);
    uleb(g, 0);
  }
  g->depth--;
  op(g, 0x0b);
  g->sp = base + (result >= 0 ? 1 : 0);
}

static void br_if(gen_t *g) { /* out of an enclosing block or if without a result */
  if (!g->depth || !avail(g) || top(g, 0) != I32) return;
  unsigned d = pick(g->s, (unsigned)g->depth);
  const ctl_t *c = &g->ctl[g->depth - 1 - d];
  if (c->kind == 2 || c->result >= 0) return;
  op(g, 0x0d);
  uleb(g, d);
  g->sp--;
}

static void gen_seq(gen_t *g) {
  while (g->budget-- > 0 && pick(g->s, 40) != 0) {
    int a = avail(g);
    if (g->sp >= MAX_STACK - 4) {
      op(g, 0x1a);
      g->sp--;
      continue;
    }
    switch (pick(g->s, 18)) {
      case 0: case 1: value(g, pick(g->s, 2) ? I64 : I32); break;
      case 2: if (a) unop(g); break;
      case 3: case 4: case 5:
        if (a >= 2 && top(g, 0) == top(g, 1)) binop(g);
        else value(g, a ? top(g, 0) : I32);
        break;
      case 6: case 7: if (a && top(g, 0) == I32) load(g); break;
      case 8: if (a && top(g, 0) == I32) store(g); break;
      case 9: /* local.set pops, local.tee keeps */
        if (a) {
          bool tee = pick(g->s, 2);
          op(g, tee ? 0x22 : 0x21);
          uleb(g, local_of(g, top(g, 0)));
          if (!tee) g->sp--;
        }
        break;
      case 10:
        if (a) {
          op(g, 0x1a);
          g->sp--;
        }
        break;
      case 11:
        if (a >= 3 && top(g, 0) == I32 && top(g, 1) == top(g, 2)) {
          op(g, 0x1b);
          g->sp -= 2;
        }
        break;
      case 12: case 13: if (g->depth < MAX_DEPTH) construct(g); break;
      case 14: br_if(g); break;
      case 15:
        if (a >= 2 && top(g, 0) == I64 && top(g, 1) == I32) { /* call $h */
          op(g, 0x10);
          uleb(g, 1);
          g->sp -= 2;
          push(g, I64);
        }
        break;
      case 16:
        if (a && top(g, 0) == I64) { /* global.set */
          op(g, 0x24);
          uleb(g, 0);
          g->sp--;
        } else {
          op(g, 0x23);
          uleb(g, 0);
          push(g, I64);
        }
        break;
      default:
        if (a && top(g, 0) == I32) { /* i64.extend_i32_s/u */
          op(g, pick(g->s, 2) ? 0xac : 0xad);
          g->st[g->sp - 1] = I64;
        }
        break;
    }
  }
}

/* The function's end: every value left folds into one i64. */
static void finish(gen_t *g) {
  if (!g->sp) const_of(g, I64);
  if (top(g, 0) == I32) op(g, 0xad);
  while (g->sp > 1) {
    op(g, 0x21); /* local.set 6 */
    uleb(g, 6);
    g->sp--;
    if (top(g, 0) == I32) op(g, 0xad);
    op(g, 0x20);
    uleb(g, 6);
    op(g, 0x85); /* i64.xor */
  }
  op(g, 0x0b);
}

static void section(lat_buf_t *m, uint8_t id, const lat_buf_t *body) {
  lat_buf_push(m, id);
  lat_buf_write_uleb(m, body->len);
  lat_buf_append(m, body->data, body->len);
}

/* The whole module for this input; false when out of memory. */
static bool build(src_t *s, lat_buf_t *m) {
  lat_buf_t b, body;
  lat_buf_init(&b);
  lat_buf_init(&body);
  static const uint8_t head[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  lat_buf_append(m, head, sizeof head);
  /* types: (i64 i64) -> i64, (i32 i64) -> i64 */
  static const uint8_t types[] = {2, 0x60, 2, 0x7e, 0x7e, 1, 0x7e, 0x60, 2, 0x7f, 0x7e, 1, 0x7e};
  lat_buf_append(&b, types, sizeof types);
  section(m, 1, &b);
  b.len = 0;
  static const uint8_t funcs[] = {2, 0, 1};
  lat_buf_append(&b, funcs, sizeof funcs);
  section(m, 3, &b);
  b.len = 0;
  static const uint8_t mem[] = {1, 1, 1, 1}; /* one page, max one */
  lat_buf_append(&b, mem, sizeof mem);
  section(m, 5, &b);
  b.len = 0;
  static const uint8_t glob[] = {1, 0x7e, 1, 0x42, 0, 0x0b};
  lat_buf_append(&b, glob, sizeof glob);
  section(m, 6, &b);
  b.len = 0;
  static const uint8_t exps[] = {3, 1, 'f', 0, 0, 1, 'm', 2, 0, 1, 'g', 3, 0};
  lat_buf_append(&b, exps, sizeof exps);
  section(m, 7, &b);
  b.len = 0;
  /* code: main, then the helper h(a, b) = b + a + load64(64 + (a & 8)) */
  gen_t g = {.s = s, .o = &body, .budget = BUDGET};
  static const uint8_t locals[] = {3, 4, 0x7f, 2, 0x7e, 4, 0x7f};
  lat_buf_append(&body, locals, sizeof locals);
  gen_seq(&g);
  finish(&g);
  lat_buf_push(&b, 2);
  lat_buf_write_uleb(&b, body.len);
  lat_buf_append(&b, body.data, body.len);
  static const uint8_t helper[] = {0, 0x20, 1, 0x20, 0, 0xad, 0x7c, 0x20, 0, 0x41, 8, 0x71,
                                   0x29, 3, 64, 0x7c, 0x0b};
  lat_buf_write_uleb(&b, sizeof helper);
  lat_buf_append(&b, helper, sizeof helper);
  section(m, 10, &b);
  b.len = 0;
  /* data: 256 words, word i = (i * 24 + 8) % 1024 */
  static const uint8_t dhead[] = {1, 0, 0x41, 0, 0x0b};
  lat_buf_append(&b, dhead, sizeof dhead);
  lat_buf_write_uleb(&b, 1024);
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t w = (i * 24 + 8) % 1024;
    uint8_t le[4] = {(uint8_t)w, (uint8_t)(w >> 8), 0, 0};
    lat_buf_append(&b, le, 4);
  }
  section(m, 11, &b);
  bool ok = b.data && body.data;
  lat_buf_fini(&b);
  lat_buf_fini(&body);
  return ok;
}

typedef struct {
  lat_status st;
  lat_wasm_trap_t trap;
  uint64_t result, global;
  uint8_t *mem; /* a copy of the page */
} outcome_t;

static bool run_one(const lat_buf_t *m, bool plain, uint64_t a, uint64_t b, outcome_t *out) {
  lat_wasm_module_t *mod = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasm_instance_t *inst;
  lat_error_t err;
  bool ok = false;
  memset(out, 0, sizeof *out);
  if (lat_wasm_module_new(m->data, m->len, &mod, &err)) {
    fprintf(stderr, "fuzz_translate: the generator made an invalid module: %s (offset %zu)\n",
            err.msg, err.offset);
    abort();
  }
#ifdef FUZZ_AOT /* fuzz_aot.c: the second run is the compiled tier */
  if (plain) {
    lat_error_t e2;
    if (lat_aot_load(mod, NULL, &e2)) {
      fprintf(stderr, "fuzz_aot: the compiled tier failed: %s\n", e2.msg);
      abort();
    }
  }
#else
  lat_wasm_module_set_plain(mod, plain);
#endif
  if (lat_wasm_store_new(NULL, &s)) goto done;
  lat_wasm_store_set_fuel(s, FUEL);
  if (lat_wasm_instance_new(s, mod, NULL, 0, &inst, &err)) goto done;
  lat_wasm_extern_t f, mem, glob;
  if (lat_wasm_instance_export(inst, "f", 1, &f) || lat_wasm_instance_export(inst, "m", 1, &mem) ||
      lat_wasm_instance_export(inst, "g", 1, &glob))
    goto done;
  lat_wasm_val_t args[2] = {{.type = LAT_I64}, {.type = LAT_I64}}, res = {.type = LAT_I64};
  args[0].of.i64 = a;
  args[1].of.i64 = b;
  out->st = lat_wasm_func_call(s, f.of.func, args, 2, &res, 1, &err);
  if (out->st != LAT_OK && out->st != LAT_TRAP) goto done; /* ENOMEM: no verdict */
  out->trap = out->st == LAT_TRAP ? lat_wasm_store_trap(s) : LAT_TRAP_NONE;
  out->result = out->st == LAT_OK ? res.of.i64 : 0;
  lat_wasm_val_t gv;
  lat_wasm_global_get(glob.of.global, &gv);
  out->global = gv.of.i64;
  out->mem = lat_malloc(65536);
  if (!out->mem) goto done;
  memcpy(out->mem, lat_wasm_memory_data(mem.of.memory), 65536);
  ok = true;
done:
  lat_wasm_store_free(s);
  lat_wasm_module_release(mod);
  return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  src_t s = {data, size, 0};
  uint64_t a = bits(&s, 8), b = bits(&s, 8);
  lat_buf_t m;
  lat_buf_init(&m);
  outcome_t x, y;
  memset(&x, 0, sizeof x);
  memset(&y, 0, sizeof y);
  const char *dump = getenv("FT_DUMP");
  if (dump) { /* write the generated module instead of running it */
    FILE *fp = build(&s, &m) ? fopen(dump, "wb") : NULL;
    if (fp) {
      fwrite(m.data, 1, m.len, fp);
      fclose(fp);
    }
    lat_buf_fini(&m);
    return 0;
  }
  if (build(&s, &m) && run_one(&m, false, a, b, &x) && run_one(&m, true, a, b, &y)) {
    bool same = x.st == y.st && x.trap == y.trap && x.result == y.result &&
                x.global == y.global && !memcmp(x.mem, y.mem, 65536);
    if (!same) {
      size_t at = 0;
      while (at < 65536 && x.mem[at] == y.mem[at]) at++;
      fprintf(stderr,
              TARGET " disagree\n"
              "  first:  status %d trap %d result 0x%llx global 0x%llx\n"
              "  second: status %d trap %d result 0x%llx global 0x%llx\n"
              "  memories %s (first difference at %zu)\n",
              (int)x.st, (int)x.trap, (unsigned long long)x.result,
              (unsigned long long)x.global, (int)y.st, (int)y.trap,
              (unsigned long long)y.result, (unsigned long long)y.global,
              at == 65536 ? "equal" : "differ", at);
      abort();
    }
  }
  lat_free(x.mem);
  lat_free(y.mem);
  lat_buf_fini(&m);
  return 0;
}
