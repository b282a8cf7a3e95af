/* aot_rt.c: running compiled code (the tier hooks, the lat_aot_rt_t table).
 *
 * Entry.  lat__wasm_call hands a call of a compiled module's function to
 * tier_call, which finds (or makes) the instance's context, sets a jmp_buf,
 * and calls the function's wrapper.  Everything compiled code cannot do
 * inline is a call through c->rt: imports and foreign table entries (the
 * host function directly, with the calling instance as its caller, so
 * WASI finds the memory; a wasm function through lat__wasm_call, which
 * picks its tier), memory.grow, bulk memory, tables, segments.
 *
 * Traps.  c->rt->trap records the trap in the store and longjmps to the
 * innermost tier_call of this instance.  Between that setjmp and the
 * longjmp there are only generated frames and this file's helpers at a
 * point where they hold nothing, never a host or interpreter frame: a call
 * out returns its status here first, and a host that re-enters wasm gets
 * its own tier_call and jmp_buf (saved and restored in the context).  So
 * CONVENTIONS.md's "no longjmp across host frames" holds.  A trap's
 * backtrace names the entry function only (compiled frames keep no
 * records).
 *
 * Limits, the same as the interpreter's: the call depth travels as an
 * argument (d; the limit is c->max_depth) and a host or interpreted callee
 * sees it in store->depth; the countdown (c->cd, kept in a local of each
 * generated function) is handed to and from the store with
 * lat__wasm_countdown_save/load at entry, exit and around every call out,
 * so interpreter and compiled code share one count of back-edges and calls
 * and fuel is exact across tiers.  The native stack is bounded too
 * (c->stack_limit: 256 KiB above the thread's lowest stack address), since
 * compiled wasm recursion runs on it.
 *
 * Rejected: guard pages instead of explicit bounds checks (needs a
 * process-wide SIGSEGV handler that must tell guest faults from ours, and
 * ASan owns that signal in debug builds); returning a status from every
 * generated function instead of longjmp (a test and branch after every
 * call, and C functions could no longer return their wasm result).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../wasm/wasm_int.h"
#include "aot_int.h"



_Static_assert(offsetof(lat_wasm_memory_t, base) == offsetof(lat_aot_mem_t, base), "mem");
_Static_assert(offsetof(lat_wasm_memory_t, size) == offsetof(lat_aot_mem_t, size), "mem");
_Static_assert(offsetof(lat_wasm_table_t, elems) == offsetof(lat_aot_tab_t, elems), "tab");
_Static_assert(offsetof(lat_wasm_table_t, size) == offsetof(lat_aot_tab_t, size), "tab");
_Static_assert(offsetof(lat_wasm_global_t, val) == offsetof(lat_aot_glob_t, val), "glob");
_Static_assert(offsetof(lat_wasm_func_t, inst) == offsetof(lat_aot_fn_t, inst), "fn");
_Static_assert(offsetof(lat_wasm_func_t, idx) == offsetof(lat_aot_fn_t, idx), "fn");

#define STACK_MARGIN (256u << 10)

/* An instance's context: the generated code's view first. */
typedef struct {
  lat_aot_ctx_t pub;
  lat_wasm_instance_t *inst;
  lat_wasm_store_t *store;
  const lat_aot_desc_t *desc;
  jmp_buf *jb;        /* the innermost tier_call's */
  lat_status status;  /* what the longjmp reports */
  uint32_t entry;     /* function index of the innermost entry */
} ictx_t;

static ictx_t *ic(lat_aot_ctx_t *c) { return (ictx_t *)c; }

/* ---- traps ------------------------------------------------------------------ */

static __attribute__((noreturn)) void leave(ictx_t *x, lat_status st) {
  x->status = st;
  longjmp(*x->jb, 1);
}

static __attribute__((noreturn)) void rt_trap(lat_aot_ctx_t *c, uint32_t code) {
  ictx_t *x = ic(c);
  lat_wasm_store_t *s = x->store;
  s->trap = (lat_wasm_trap_t)code;
  s->nbt = 0;
  s->bt[s->nbt++] = (lat_wasm_frame_t){x->inst, x->entry};
  leave(x, LAT_TRAP);
}

static void rt_refill(lat_aot_ctx_t *c) {
  lat_wasm_trap_t t = lat__wasm_refill(ic(c)->store, &c->cd);
  if (t) rt_trap(c, t);
}

/* ---- calls out -------------------------------------------------------------------- */

/* Calls fn (any tier, or the host) with its arguments in slots, as the
 * interpreter's call_host / enter would from a frame at depth d. */
static void call_out(ictx_t *x, uint32_t d, lat_wasm_func_t *fn, uint64_t *slots) {
  lat_wasm_store_t *s = x->store;
  uint32_t saved_depth = s->depth;
  lat_status st;
  lat__wasm_countdown_save(s, x->pub.cd);
  if (fn->host) {
    if (d + 1 >= s->limits.max_call_depth) rt_trap(&x->pub, LAT_TRAP_STACK_EXHAUSTED);
    lat_wasm_caller_t caller = {s, x->inst};
    s->depth = d + 2;
    st = fn->host(&caller, fn->host_env, slots);
    s->depth = saved_depth;
    x->pub.cd = lat__wasm_countdown_load(s);
    if (st != LAT_OK) {
      if (st == LAT_TRAP) {
        if (s->trap == LAT_TRAP_NONE) s->trap = LAT_TRAP_HOST;
      } else if (st != LAT_ENOMEM) {
        s->trap = LAT_TRAP_HOST;
        s->nbt = 0;
        st = LAT_TRAP;
      }
      leave(x, st);
    }
    if (--x->pub.cd < 0) rt_refill(&x->pub); /* the interpreter counts a host return */
    return;
  }
  s->depth = d + 1;
  st = lat__wasm_call(s, fn, slots);
  s->depth = saved_depth;
  x->pub.cd = lat__wasm_countdown_load(s);
  if (st != LAT_OK) leave(x, st);
}

static void rt_call_import(lat_aot_ctx_t *c, uint32_t d, uint32_t func, uint64_t *slots) {
  ictx_t *x = ic(c);
  call_out(x, d, x->inst->funcs[func], slots);
}

static void rt_call_ref(lat_aot_ctx_t *c, uint32_t d, void *f, uint32_t elem,
                        uint32_t type, uint64_t *slots) {
  ictx_t *x = ic(c);
  lat_wasm_func_t *fn = f;
  if (!fn) {
    snprintf(x->store->trap_msg, sizeof x->store->trap_msg, "uninitialized element %u", elem);
    rt_trap(c, LAT_TRAP_UNINITIALIZED_ELEMENT);
  }
  const lat_wasm_functype_t *want = &x->inst->module->types[type];
  if (fn->type != want && !lat__functype_eq(fn->type, want))
    rt_trap(c, LAT_TRAP_INDIRECT_MISMATCH);
  call_out(x, d, fn, slots);
}

/* ---- memory ---------------------------------------------------------------------- */

static uint32_t rt_memory_grow(lat_aot_ctx_t *c, uint32_t delta) {
  ictx_t *x = ic(c);
  uint64_t old = 0;
  lat_status st = lat_wasm_memory_grow(x->inst->mems[0], delta, &old);
  if (st && x->store->limits.trap_on_grow_failure) rt_trap(c, LAT_TRAP_GROW_FAILED);
  return st ? UINT32_MAX : (uint32_t)old;
}

static void rt_memory_fill(lat_aot_ctx_t *c, uint32_t d, uint32_t v, uint32_t n) {
  lat_wasm_memory_t *m = ic(c)->inst->mems[0];
  if ((uint64_t)d + n > m->size) rt_trap(c, LAT_TRAP_MEMORY_OOB);
  if (n) memset(m->base + d, (int)(uint8_t)v, n);
}

static void rt_memory_copy(lat_aot_ctx_t *c, uint32_t d, uint32_t s, uint32_t n) {
  lat_wasm_memory_t *m = ic(c)->inst->mems[0];
  if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size)
    rt_trap(c, LAT_TRAP_MEMORY_OOB);
  if (n) memmove(m->base + d, m->base + s, n);
}

static void rt_memory_init(lat_aot_ctx_t *c, uint32_t seg, uint32_t d, uint32_t s,
                           uint32_t n) {
  lat_wasm_instance_t *inst = ic(c)->inst;
  lat_wasm_memory_t *m = inst->mems[0];
  const lat__data_t *ds = &inst->module->datas[seg];
  uint64_t len = inst->data_dropped[seg] ? 0 : ds->data.len;
  if ((uint64_t)s + n > len || (uint64_t)d + n > m->size) rt_trap(c, LAT_TRAP_MEMORY_OOB);
  if (n) memcpy(m->base + d, inst->module->bytes + ds->data.off + s, n);
}

static void rt_data_drop(lat_aot_ctx_t *c, uint32_t seg) {
  ic(c)->inst->data_dropped[seg] = 1;
}

/* ---- tables ------------------------------------------------------------------------ */

static void *rt_table_get(lat_aot_ctx_t *c, uint32_t t, uint32_t i) {
  lat_wasm_table_t *tab = ic(c)->inst->tables[t];
  if (i >= tab->size) rt_trap(c, LAT_TRAP_TABLE_OOB);
  return tab->elems[i];
}

static void rt_table_set(lat_aot_ctx_t *c, uint32_t t, uint32_t i, void *v) {
  lat_wasm_table_t *tab = ic(c)->inst->tables[t];
  if (i >= tab->size) rt_trap(c, LAT_TRAP_TABLE_OOB);
  tab->elems[i] = v;
}

static uint32_t rt_table_grow(lat_aot_ctx_t *c, uint32_t t, void *init, uint32_t n) {
  uint64_t old = 0;
  lat_status st = lat_wasm_table_grow(ic(c)->inst->tables[t], n, init, &old);
  return st ? UINT32_MAX : (uint32_t)old;
}

static void rt_table_fill(lat_aot_ctx_t *c, uint32_t t, uint32_t i, void *v, uint32_t n) {
  lat_wasm_table_t *tab = ic(c)->inst->tables[t];
  if ((uint64_t)i + n > tab->size) rt_trap(c, LAT_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) tab->elems[i + k] = v;
}

static void rt_table_copy(lat_aot_ctx_t *c, uint32_t dt, uint32_t st, uint32_t d,
                          uint32_t s, uint32_t n) {
  lat_wasm_table_t *a = ic(c)->inst->tables[dt], *b = ic(c)->inst->tables[st];
  if ((uint64_t)d + n > a->size || (uint64_t)s + n > b->size) rt_trap(c, LAT_TRAP_TABLE_OOB);
  if (n) memmove(a->elems + d, b->elems + s, (size_t)n * sizeof(void *));
}

static void rt_table_init(lat_aot_ctx_t *c, uint32_t t, uint32_t seg, uint32_t d,
                          uint32_t s, uint32_t n) {
  lat_wasm_instance_t *inst = ic(c)->inst;
  lat_wasm_table_t *tab = inst->tables[t];
  const lat__elem_t *e = &inst->module->elems[seg];
  uint64_t len = inst->elem_dropped[seg] ? 0 : e->count;
  if ((uint64_t)s + n > len || (uint64_t)d + n > tab->size) rt_trap(c, LAT_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) {
    void *ref;
    if (!e->is_expr) {
      ref = inst->funcs[e->func_idx[s + k]];
    } else {
      uint64_t v[2] = {0, 0};
      if (lat__wasm_eval_const(inst, e->exprs[s + k], v)) rt_trap(c, LAT_TRAP_HOST);
      ref = (void *)(uintptr_t)v[0];
    }
    tab->elems[d + k] = ref;
  }
}

static void rt_elem_drop(lat_aot_ctx_t *c, uint32_t seg) {
  ic(c)->inst->elem_dropped[seg] = 1;
}

static const lat_aot_rt_t rt = {
    .trap = rt_trap,
    .refill = rt_refill,
    .call_import = rt_call_import,
    .call_ref = rt_call_ref,
    .memory_grow = rt_memory_grow,
    .memory_fill = rt_memory_fill,
    .memory_copy = rt_memory_copy,
    .memory_init = rt_memory_init,
    .data_drop = rt_data_drop,
    .table_get = rt_table_get,
    .table_set = rt_table_set,
    .table_grow = rt_table_grow,
    .table_fill = rt_table_fill,
    .table_copy = rt_table_copy,
    .table_init = rt_table_init,
    .elem_drop = rt_elem_drop,
};

/* ---- entry ------------------------------------------------------------------------------- */

/* The lowest usable native stack address of this thread, found once per
 * thread (pthread_getattr_np reads /proc/self/maps for the main thread). */
static uintptr_t stack_limit(void) {
  static __thread uintptr_t limit;
  if (!limit) {
    pthread_attr_t a;
    void *lo = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
      pthread_attr_getstack(&a, &lo, &size);
      pthread_attr_destroy(&a);
    }
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (!lo || size <= STACK_MARGIN || here < (uintptr_t)lo)
      limit = here > (1u << 20) ? here - (1u << 20) : 1; /* unknown: 1 MiB */
    else
      limit = (uintptr_t)lo + STACK_MARGIN;
  }
  return limit;
}

static ictx_t *ctx_of(lat_wasm_instance_t *inst) {
  if (inst->tier_inst) return inst->tier_inst;
  ictx_t *x = lat_calloc(1, sizeof *x);
  if (!x) return NULL;
  lat__aot_module_t *am = inst->module->tier_data;
  x->inst = inst;
  x->store = inst->store;
  x->desc = am->desc;
  x->pub.inst = inst;
  x->pub.mem0 = inst->module->nmems ? (lat_aot_mem_t *)inst->mems[0] : NULL;
  x->pub.globals = (lat_aot_glob_t *const *)inst->globals;
  x->pub.tables = (lat_aot_tab_t *const *)inst->tables;
  x->pub.funcs = (void *const *)inst->funcs;
  x->pub.rt = &rt;
  x->pub.max_depth = inst->store->limits.max_call_depth;
  inst->tier_inst = x;
  return x;
}

static lat_status tier_call(lat_wasm_store_t *s, lat_wasm_func_t *f, uint64_t *slots) {
  ictx_t *x = ctx_of(f->inst);
  if (!x) return LAT_ENOMEM;
  if (s->exec_nest >= LAT__MAX_HOST_NEST) {
    s->trap = LAT_TRAP_STACK_EXHAUSTED;
    s->nbt = 0;
    return LAT_TRAP;
  }
  x->pub.stack_limit = stack_limit();
  jmp_buf jb;
  jmp_buf *saved_jb = x->jb;
  uint32_t saved_entry = x->entry;
  uint32_t saved_depth = s->depth;
  lat_status st = LAT_OK;
  x->jb = &jb;
  x->entry = f->idx;
  s->exec_nest++;
  x->pub.cd = lat__wasm_countdown_load(s);
  if (setjmp(jb) == 0) {
    x->desc->wrappers[f->idx](&x->pub, s->depth, slots);
  } else {
    st = x->status;
  }
  lat__wasm_countdown_save(s, x->pub.cd);
  s->exec_nest--;
  s->depth = saved_depth;
  x->jb = saved_jb;
  x->entry = saved_entry;
  return st;
}

static void tier_module_free(void *data) { lat__aot_module_free(data); }
static void tier_instance_free(void *p) { lat_free(p); }

const lat__wasm_tier_t lat__aot_tier = {
    .call = tier_call,
    .module_free = tier_module_free,
    .instance_free = tier_instance_free,
};
