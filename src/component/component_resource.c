/* component_resource.c: handle tables, reentrance flags and the resource
 * built-ins of the canonical ABI (sync subset).
 *
 * Approach: the spec's Table (index 0 reserved, a free list, at most 2^28-1
 * entries so guests may use the top 4 bits) and ResourceHandle (type, rep,
 * own, borrow scope, lend count), per component instance.  A borrow scope is
 * a lat_cabi_call_t: the caller side records the handles it lent (their
 * lend counts drop when the call finishes), the callee side counts the
 * borrow handles it received (they must all be dropped before it returns).
 *
 * Invariants: a handle with lends > 0 cannot be dropped or moved (lift of
 * own); a borrow handle's scope pointer is only followed by resource.drop,
 * which can only run while its call is active (check_return traps
 * otherwise, and a trapped instance is never entered again).
 *
 * Rejected: one global table (the spec's tables are per instance, and
 * resource type identity is per instance too).
 */
#include <string.h>

#include "component_int.h"

typedef struct {
  const lat_cabi_rtype_t *rt; /* NULL: free slot */
  uint32_t rep;
  bool own;
  uint32_t lends;
  lat_cabi_call_t *scope;     /* borrow handles: the call they belong to */
} handle_t;

struct lat_cabi_instance {
  lat_cabi_instance_t *parent;
  handle_t *h;      /* h[0] reserved */
  uint32_t n, cap;  /* slots used (including 0), capacity */
  uint32_t *free_;  /* free slot indices */
  uint32_t nfree, capfree;
  uint32_t live;
  bool may_enter;
  bool may_leave;
};

static lat_status trap(lat_error_t *err, const char *msg) {
  return lat_error_set(err, LAT_TRAP, SIZE_MAX, "%s", msg);
}

lat_status lat_cabi_instance_new(lat_cabi_instance_t *parent,
                                 lat_cabi_instance_t **out) {
  lat_cabi_instance_t *i = lat_calloc(1, sizeof *i);
  if (!i) return LAT_ENOMEM;
  i->h = lat_calloc(8, sizeof *i->h);
  if (!i->h) {
    lat_free(i);
    return LAT_ENOMEM;
  }
  i->cap = 8;
  i->n = 1;
  i->parent = parent;
  i->may_enter = i->may_leave = true;
  *out = i;
  return LAT_OK;
}

void lat_cabi_instance_free(lat_cabi_instance_t *inst) {
  if (!inst) return;
  lat_free(inst->h);
  lat_free(inst->free_);
  lat_free(inst);
}

uint32_t lat_cabi_instance_handle_count(const lat_cabi_instance_t *inst) {
  return inst->live;
}
bool lat_cabi_instance_may_leave(const lat_cabi_instance_t *inst) {
  return inst->may_leave;
}
void lat_cabi_instance_set_may_leave(lat_cabi_instance_t *inst, bool v) {
  inst->may_leave = v;
}

static bool is_ancestor_or_self(const lat_cabi_instance_t *a,
                                const lat_cabi_instance_t *of) {
  for (; of; of = of->parent)
    if (of == a) return true;
  return false;
}

lat_status lat_cabi_instance_enter(lat_cabi_instance_t *callee,
                                   lat_cabi_instance_t *caller,
                                   lat_error_t *err) {
  for (lat_cabi_instance_t *i = callee; i; i = i->parent)
    if (!is_ancestor_or_self(i, caller) && !i->may_enter)
      return trap(err, "cannot enter component instance");
  for (lat_cabi_instance_t *i = callee; i; i = i->parent)
    if (!is_ancestor_or_self(i, caller)) i->may_enter = false;
  return LAT_OK;
}

void lat_cabi_instance_leave(lat_cabi_instance_t *callee,
                             lat_cabi_instance_t *caller) {
  for (lat_cabi_instance_t *i = callee; i; i = i->parent)
    if (!is_ancestor_or_self(i, caller)) i->may_enter = true;
}

/* ---- the table ----------------------------------------------------------------------- */

static lat_status table_add(lat_cabi_instance_t *inst, handle_t h, uint32_t *out,
                            lat_error_t *err) {
  uint32_t i;
  if (inst->nfree) {
    i = inst->free_[--inst->nfree];
  } else {
    if (inst->n > LAT_CABI_MAX_HANDLES) return trap(err, "handle table full");
    if (inst->n == inst->cap) {
      uint32_t nc = inst->cap * 2;
      handle_t *v = lat_realloc(inst->h, (size_t)nc * sizeof *v);
      if (!v) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      inst->h = v;
      inst->cap = nc;
    }
    i = inst->n++;
  }
  inst->h[i] = h;
  inst->live++;
  *out = i;
  return LAT_OK;
}

static lat_status table_get(lat_cabi_instance_t *inst, uint32_t i, handle_t **out,
                            lat_error_t *err) {
  if (i == 0 || i >= inst->n || !inst->h[i].rt)
    return trap(err, "unknown handle index");
  *out = &inst->h[i];
  return LAT_OK;
}

static lat_status table_remove(lat_cabi_instance_t *inst, uint32_t i,
                               lat_error_t *err) {
  if (inst->nfree == inst->capfree) {
    uint32_t nc = inst->capfree ? inst->capfree * 2 : 8;
    uint32_t *v = lat_realloc(inst->free_, (size_t)nc * sizeof *v);
    if (!v) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    inst->free_ = v;
    inst->capfree = nc;
  }
  memset(&inst->h[i], 0, sizeof inst->h[i]);
  inst->free_[inst->nfree++] = i;
  inst->live--;
  return LAT_OK;
}

/* ---- calls ---------------------------------------------------------------------------- */

void lat_cabi_call_init(lat_cabi_call_t *call) { memset(call, 0, sizeof *call); }

lat_status lat_cabi_call_check_return(const lat_cabi_call_t *call,
                                      lat_error_t *err) {
  if (call->num_borrows > 0)
    return trap(err, "borrow handles still remain at the end of the call");
  return LAT_OK;
}

void lat_cabi_call_finish(lat_cabi_call_t *call) {
  for (uint32_t k = 0; k < call->nlent; k++) {
    uint32_t i = call->lent[k];
    if (call->lender && i < call->lender->n && call->lender->h[i].lends)
      call->lender->h[i].lends--;
  }
  call->nlent = 0;
}

void lat_cabi_call_fini(lat_cabi_call_t *call) {
  if (!call) return;
  lat_free(call->lent);
  memset(call, 0, sizeof *call);
}

/* ---- lift / lower of handles (used by component_abi.c) ------------------------------------ */

lat_status lat__cabi_lift_own(lat_cabi_cx_t *cx, uint32_t i,
                              const lat_cabi_rtype_t *rt, uint32_t *rep,
                              lat_error_t *err) {
  handle_t *h = NULL;
  lat_status st = table_get(cx->inst, i, &h, err);
  if (st) return st;
  if (h->rt != rt) return trap(err, "handle index refers to a different resource type");
  if (h->lends) return trap(err, "cannot move a handle that is lent out");
  if (!h->own) return trap(err, "cannot lift a borrow as an own handle");
  *rep = h->rep;
  return table_remove(cx->inst, i, err);
}

lat_status lat__cabi_lift_borrow(lat_cabi_cx_t *cx, uint32_t i,
                                 const lat_cabi_rtype_t *rt, uint32_t *rep,
                                 lat_error_t *err) {
  handle_t *h = NULL;
  lat_status st = table_get(cx->inst, i, &h, err);
  if (st) return st;
  if (h->rt != rt) return trap(err, "handle index refers to a different resource type");
  lat_cabi_call_t *c = cx->call;
  if (!c) return lat_error_set(err, LAT_EARG, SIZE_MAX, "borrow outside of a call");
  if (c->lender && c->lender != cx->inst)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "one call, two lenders");
  if (c->nlent == c->caplent) {
    uint32_t nc = c->caplent ? c->caplent * 2 : 4;
    uint32_t *v = lat_realloc(c->lent, (size_t)nc * sizeof *v);
    if (!v) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    c->lent = v;
    c->caplent = nc;
  }
  c->lender = cx->inst;
  c->lent[c->nlent++] = i;
  h->lends++;
  *rep = h->rep;
  return LAT_OK;
}

lat_status lat__cabi_lower_own(lat_cabi_cx_t *cx, uint32_t rep,
                               const lat_cabi_rtype_t *rt, uint32_t *out,
                               lat_error_t *err) {
  handle_t h = {.rt = rt, .rep = rep, .own = true};
  return table_add(cx->inst, h, out, err);
}

lat_status lat__cabi_lower_borrow(lat_cabi_cx_t *cx, uint32_t rep,
                                  const lat_cabi_rtype_t *rt, uint32_t *out,
                                  lat_error_t *err) {
  if (cx->inst == rt->impl) { /* borrowing one's own resource: the rep */
    *out = rep;
    return LAT_OK;
  }
  if (!cx->call) return lat_error_set(err, LAT_EARG, SIZE_MAX, "borrow outside of a call");
  handle_t h = {.rt = rt, .rep = rep, .own = false, .scope = cx->call};
  lat_status st = table_add(cx->inst, h, out, err);
  if (!st) cx->call->num_borrows++;
  return st;
}

/* ---- built-ins -------------------------------------------------------------------------------- */

lat_status lat_cabi_resource_new(lat_cabi_instance_t *inst,
                                 const lat_cabi_rtype_t *rt, uint32_t rep,
                                 uint32_t *out_handle, lat_error_t *err) {
  if (!inst->may_leave) return trap(err, "cannot leave component instance");
  handle_t h = {.rt = rt, .rep = rep, .own = true};
  return table_add(inst, h, out_handle, err);
}

lat_status lat_cabi_resource_rep(lat_cabi_instance_t *inst,
                                 const lat_cabi_rtype_t *rt, uint32_t handle,
                                 uint32_t *out_rep, lat_error_t *err) {
  handle_t *h = NULL;
  lat_status st = table_get(inst, handle, &h, err);
  if (st) return st;
  if (h->rt != rt) return trap(err, "handle index refers to a different resource type");
  *out_rep = h->rep;
  return LAT_OK;
}

lat_status lat_cabi_resource_drop(lat_cabi_instance_t *inst,
                                  const lat_cabi_rtype_t *rt, uint32_t handle,
                                  lat_error_t *err) {
  if (!inst->may_leave) return trap(err, "cannot leave component instance");
  handle_t *hp = NULL;
  lat_status st = table_get(inst, handle, &hp, err);
  if (st) return st;
  if (hp->rt != rt) return trap(err, "handle index refers to a different resource type");
  if (hp->lends) return trap(err, "cannot drop a handle that is lent out");
  handle_t h = *hp;
  if ((st = table_remove(inst, handle, err))) return st;
  if (!h.own) {
    if (h.scope && h.scope->num_borrows) h.scope->num_borrows--;
    return LAT_OK;
  }
  if (!rt->dtor) {
    /* no destructor: still the reentrance rule of calling into rt->impl */
    if (rt->impl && rt->impl != inst) {
      if ((st = lat_cabi_instance_enter(rt->impl, inst, err))) return st;
      lat_cabi_instance_leave(rt->impl, inst);
    }
    return LAT_OK;
  }
  if (rt->impl && rt->impl != inst) {
    if ((st = lat_cabi_instance_enter(rt->impl, inst, err))) return st;
    st = rt->dtor(rt->dtor_ctx, h.rep, err);
    lat_cabi_instance_leave(rt->impl, inst);
    return st;
  }
  return rt->dtor(rt->dtor_ctx, h.rep, err);
}
