/* host_supervisor.c: the components a lattice host runs.
 *
 * A component id maps to an entry (lat__host_comp_t) that points at
 * compiled code (code_t): the decoded, pre-linked component, shared by
 * every id whose bytes have the same SHA-256 and whose memory cap is the
 * same (the cap is part of the store limits the code was prepared with), so
 * scaling the same image under ten ids compiles it once.
 *
 * Leases: a request takes a lease on an entry (lat__host_lease), which
 * holds a reference to the entry and to its code and one of its `count`
 * concurrency slots; the guest runs without the host mutex.  Scaling to 0
 * or updating the image unlinks or swaps under the mutex at once (no new
 * request sees the old state) while requests in flight finish on the
 * entry and code they leased; the last release frees them.  So "scale to 0
 * lets in-flight requests finish" and "update does not cut a request"
 * hold without waiting in the control path.
 *
 * Secrets: a scale that brings a component up (or changes the config of a
 * running one to new SECRET_ references) fetches its secrets before the
 * entry goes in (host_secrets.c); a failure is component_scale_failed
 * with the reason and leaves what ran before as it was.
 *
 * Refs: `file://PATH` (only with --allow-file-load, as wasmCloud) and,
 * later, OCI references (lat__host_fetch is the seam: it turns a ref into
 * bytes).  Signed components are verified (times, signature, hash) before
 * they run; unsigned ones run, as in wasmCloud 1.x, unless the host runs
 * with --require-signed or --allowed-issuers (then they are refused, and
 * so are other issuers' components, with the reason in
 * component_scale_failed).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"

typedef struct code {
  struct code *next;
  uint8_t sha[32];
  uint64_t max_memory;
  bool compiled; /* its core modules run compiled (src/aot) */
  lat_host_component_t *hc;
  int refs; /* entries and leases using it (under mu) */
} code_t;

/* The code cache and its lock: separate from the host's tables so that
 * compiling (slow) happens outside both. */
static pthread_mutex_t code_mu = PTHREAD_MUTEX_INITIALIZER;
static code_t *code_list; /* guarded by code_mu */

static void code_release(code_t *c) {
  if (!c) return;
  pthread_mutex_lock(&code_mu);
  bool last = --c->refs == 0;
  if (last)
    for (code_t **pp = &code_list; *pp; pp = &(*pp)->next)
      if (*pp == c) {
        *pp = c->next;
        break;
      }
  pthread_mutex_unlock(&code_mu);
  if (last) {
    lat_host_component_free(c->hc);
    lat_free(c);
  }
}

lat_status lat__host_fetch(lat_host_t *h, const char *ref, uint8_t **out, size_t *out_len,
                           lat_error_t *err) {
  *out = NULL;
  if (!strncmp(ref, "file://", 7)) {
    if (!h->allow_file_load)
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "file references are not allowed on this host (start it with "
                           "--allow-file-load): %s", ref);
    if (!ref[7]) return lat_error_set(err, LAT_EARG, SIZE_MAX, "empty file reference");
    return lat_file_read(ref + 7, out, out_len, err);
  }
  if (!strncmp(ref, "wasmcloud+builtin://", 20))
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s is a builtin provider, not a component", ref);
  return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                       "cannot fetch %s: only file:// references are supported by this host "
                       "(OCI registries are not yet)", ref);
}

/* Finds or compiles the code for bytes under the given memory cap, run
 * compiled or interpreted. */
static lat_status code_get(const uint8_t *bytes, size_t len, uint64_t max_memory, bool compiled,
                           code_t **out, lat_error_t *err) {
  uint8_t sha[32];
  crypto_hash_sha256(sha, bytes, len);
  pthread_mutex_lock(&code_mu);
  for (code_t *c = code_list; c; c = c->next)
    if (!memcmp(c->sha, sha, 32) && c->max_memory == max_memory && c->compiled == compiled) {
      c->refs++;
      pthread_mutex_unlock(&code_mu);
      *out = c;
      return LAT_OK;
    }
  pthread_mutex_unlock(&code_mu);
  code_t *c = lat_calloc(1, sizeof *c);
  if (!c) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  memcpy(c->sha, sha, 32);
  c->max_memory = max_memory;
  c->compiled = compiled;
  c->refs = 1;
  lat_host_component_opts_t co = {.limits = {.max_memory_bytes = max_memory},
                                  .pool_regions = 16, .link = lat__host_link,
                                  .compiled = compiled};
  lat_status st = lat_host_component_new(bytes, len, &co, &c->hc, err);
  if (st) {
    lat_free(c);
    return st;
  }
  pthread_mutex_lock(&code_mu);
  c->next = code_list;
  code_list = c;
  pthread_mutex_unlock(&code_mu);
  *out = c;
  return LAT_OK;
}

/* ---- entries ------------------------------------------------------------------ */

lat__host_comp_t *lat__host_comp_find(lat_host_t *h, const char *id) {
  for (lat__host_comp_t *c = h->comps; c; c = c->next)
    if (!strcmp(c->id, id)) return c;
  return NULL;
}

static void comp_free(lat__host_comp_t *c) {
  if (!c) return;
  code_release(c->code);
  lat_free(c->id);
  lat_free(c->image_ref);
  json_decref(c->annotations);
  json_decref(c->config);
  lat_claims_fini(&c->claims);
  lat__host_secrets_release(c->secrets);
  pthread_cond_destroy(&c->idle);
  lat_free(c);
}

/* Drops a reference (under mu); frees on the last. */
static void comp_unref_locked(lat__host_comp_t *c) {
  if (--c->refs == 0) comp_free(c);
}

static char *dupstr(const char *s) { return lat_strndup(s, strlen(s)); }

/* Loads, verifies and compiles ref: the new code and claims. */
static lat_status prepare(lat_host_t *h, const char *ref, uint64_t max_memory,
                          code_t **out_code, lat_claims_t *claims, lat_error_t *err) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  lat_status st = lat__host_fetch(h, ref, &bytes, &len, err);
  if (st) return st;
  if (!lat_component_is_component(bytes, len)) {
    lat_free(bytes);
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "%s is not a WebAssembly component (a core module? wrap it with "
                         "a WASI adapter first)", ref);
  }
  lat_crypto_reason why;
  lat_claims_policy_t pol;
  memset(&pol, 0, sizeof pol);
  const char *issuers[64];
  size_t ni = 0, i;
  json_t *x;
  json_array_foreach(h->allowed_issuers, i, x) if (ni < 64) issuers[ni++] = json_string_value(x);
  pol.require_signed = h->require_signed;
  pol.allowed_issuers = ni ? issuers : NULL;
  pol.allowed_count = ni;
  lat_error_t cerr;
  lat_error_clear(&cerr);
  st = lat_claims_verify(bytes, len, &pol, claims, &why, &cerr);
  if (st) {
    lat_free(bytes);
    return lat_error_set(err, st, SIZE_MAX, "%s: claims refused: %s", ref, cerr.msg);
  }
  lat_error_t cmp;
  lat_error_clear(&cmp);
  st = code_get(bytes, len, max_memory, h->compiled, out_code, &cmp);
  lat_free(bytes);
  if (st)
    return lat_error_set(err, st, SIZE_MAX, "%s: %s%s", ref,
                         st == LAT_EUNLINKABLE ? "link error: " : "", cmp.msg);
  return LAT_OK;
}

/* The component_scaled / component_scale_failed event data. */
static json_t *scale_event(lat_host_t *h, const char *id, const char *ref, json_t *ann,
                           uint32_t count, const lat_claims_t *claims, const char *error) {
  json_t *d = json_pack("{s:o,s:s,s:s,s:i,s:s}", "annotations",
                        ann ? json_incref(ann) : json_object(), "host_id", h->id, "image_ref",
                        ref, "max_instances", (json_int_t)count, "component_id", id);
  if (!d) return NULL;
  if (claims && claims->token) {
    json_object_set_new(d, "public_key", json_string(claims->jwt.sub));
    json_t *tags = json_array();
    for (size_t i = 0; i < claims->tag_count; i++)
      json_array_append_new(tags, json_string(claims->tags[i]));
    json_object_set_new(
        d, "claims",
        json_pack("{s:s?,s:s,s:o,s:s?,s:s?,s:i}", "call_alias", claims->call_alias, "issuer",
                  claims->jwt.iss, "tags", tags, "name", claims->name, "version", claims->ver,
                  "revision", (json_int_t)(claims->has_rev ? claims->rev : 0)));
  }
  if (error) json_object_set_new(d, "error", json_string(error));
  return d;
}

static void emit(lat_host_t *h, const char *name, json_t *data) {
  if (data && h->io.event) h->io.event(h->io.env, name, data);
  json_decref(data);
}

/* Records a component's claims as CLAIMS_{subject} in the lattice data. */
static void store_claims(lat_host_t *h, const lat_claims_t *cl) {
  if (!cl->token) return;
  json_t *tags = json_array();
  for (size_t i = 0; i < cl->tag_count; i++) json_array_append_new(tags, json_string(cl->tags[i]));
  char rev[16];
  snprintf(rev, sizeof rev, "%d", cl->has_rev ? cl->rev : 0);
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "call_alias",
                        cl->call_alias ? cl->call_alias : "", "issuer", cl->jwt.iss, "name",
                        cl->name ? cl->name : "", "revision", rev, "subject", cl->jwt.sub,
                        "tags", tags, "version", cl->ver ? cl->ver : "");
  if (!o) return;
  pthread_mutex_lock(&h->mu);
  json_object_set(h->claims, cl->jwt.sub, o);
  pthread_mutex_unlock(&h->mu);
  char key[128];
  snprintf(key, sizeof key, "CLAIMS_%s", cl->jwt.sub);
  char *text = json_dumps(o, JSON_COMPACT);
  if (text && h->io.kv_put) h->io.kv_put(h->io.env, LAT__HOST_LATTICEDATA, key, text);
  free(text);
  json_decref(o);
}

void lat__host_scale(lat_host_t *h, const lat__host_scale_t *sc) {
  lat_error_t err;
  lat_error_clear(&err);
  uint64_t mem = sc->max_memory ? sc->max_memory : h->default_max_memory;
  uint64_t exec = sc->max_exec_ns ? sc->max_exec_ns : h->default_max_exec_ns;
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = lat__host_comp_find(h, sc->id);
  if (sc->count == 0) {
    /* stop: unlink now; requests in flight finish on their leases */
    json_t *ev = scale_event(h, sc->id, c && !*sc->ref ? c->image_ref : sc->ref,
                             sc->annotations ? sc->annotations : c ? c->annotations : NULL, 0,
                             c ? &c->claims : NULL, NULL);
    if (c) {
      for (lat__host_comp_t **pp = &h->comps; *pp; pp = &(*pp)->next)
        if (*pp == c) {
          *pp = c->next;
          break;
        }
      comp_unref_locked(c);
    }
    pthread_mutex_unlock(&h->mu);
    emit(h, "component_scaled", ev);
    return;
  }
  /* new secret references are fetched: the full path below does that */
  bool same = c && !strcmp(c->image_ref, sc->ref) && c->max_memory == mem &&
              !(sc->config && lat__host_has_secret_refs(sc->config) &&
                !json_equal(sc->config, c->config));
  if (same) {
    c->max_instances = sc->count;
    c->max_exec_ns = exec;
    if (sc->config) {
      json_decref(c->config);
      c->config = json_incref(sc->config);
    }
    if (sc->annotations) {
      json_decref(c->annotations);
      c->annotations = json_incref(sc->annotations);
    }
    json_t *ev = scale_event(h, c->id, c->image_ref, c->annotations, c->max_instances,
                             &c->claims, NULL);
    pthread_cond_broadcast(&c->idle); /* a larger cap frees waiters */
    pthread_mutex_unlock(&h->mu);
    emit(h, "component_scaled", ev);
    return;
  }
  if (c && strcmp(c->image_ref, sc->ref) && !sc->allow_update) {
    /* a different image without allow_update: the count changes, the image stays */
    c->max_instances = sc->count;
    json_t *ev = scale_event(h, c->id, c->image_ref, c->annotations, c->max_instances,
                             &c->claims, NULL);
    pthread_mutex_unlock(&h->mu);
    emit(h, "component_scaled", ev);
    return;
  }
  pthread_mutex_unlock(&h->mu);
  /* new, or a new image (allow_update), or a new memory cap: prepare outside the lock */
  code_t *code = NULL;
  lat_claims_t claims;
  lat_claims_init(&claims);
  lat_status st = prepare(h, sc->ref, mem, &code, &claims, &err);
  if (st) {
    emit(h, "component_scale_failed",
         scale_event(h, sc->id, sc->ref, sc->annotations, sc->count, NULL, err.msg));
    lat_claims_fini(&claims);
    return;
  }
  /* its secrets, fetched once per entry (outside the lock: round trips) */
  lat__host_secrets_t *secrets = NULL;
  if ((st = lat__host_secrets_resolve(h, sc->config, claims.token, sc->annotations, &secrets,
                                      &err))) {
    LAT_LOGF(LAT_LOG_WARN, "host", "component scale failed component_id=%s reason=\"%s\"", sc->id,
             err.msg);
    emit(h, "component_scale_failed",
         scale_event(h, sc->id, sc->ref, sc->annotations, sc->count, NULL, err.msg));
    code_release(code);
    lat_claims_fini(&claims);
    return;
  }
  lat__host_comp_t *n = lat_calloc(1, sizeof *n);
  if (!n || !(n->id = dupstr(sc->id)) || !(n->image_ref = dupstr(sc->ref))) {
    if (n) comp_free(n);
    code_release(code);
    lat_claims_fini(&claims);
    lat__host_secrets_release(secrets);
    emit(h, "component_scale_failed",
         scale_event(h, sc->id, sc->ref, sc->annotations, sc->count, NULL, "out of memory"));
    return;
  }
  n->code = code;
  n->claims = claims;
  n->secrets = secrets;
  n->max_instances = sc->count;
  n->max_memory = mem;
  n->max_exec_ns = exec;
  n->refs = 1;
  n->annotations = sc->annotations ? json_incref(sc->annotations) : json_object();
  n->config = sc->config ? json_incref(sc->config) : json_array();
  pthread_cond_init(&n->idle, NULL);
  store_claims(h, &n->claims);
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *old = lat__host_comp_find(h, sc->id);
  if (old) {
    n->revision = old->revision + 1;
    for (lat__host_comp_t **pp = &h->comps; *pp; pp = &(*pp)->next)
      if (*pp == old) {
        *pp = old->next;
        break;
      }
    comp_unref_locked(old);
  }
  n->next = h->comps;
  h->comps = n;
  json_t *ev = scale_event(h, n->id, n->image_ref, n->annotations, n->max_instances,
                           &n->claims, NULL);
  pthread_mutex_unlock(&h->mu);
  emit(h, "component_scaled", ev);
}

void lat__host_comps_free(lat_host_t *h) {
  pthread_mutex_lock(&h->mu);
  while (h->comps) {
    lat__host_comp_t *c = h->comps;
    h->comps = c->next;
    comp_unref_locked(c);
  }
  pthread_mutex_unlock(&h->mu);
}

/* ---- leases ------------------------------------------------------------------------ */

/* Finds id and takes a reference to its entry (under mu); NULL when absent. */
static lat__host_comp_t *find_ref(lat_host_t *h, const char *id, lat_error_t *err) {
  lat__host_comp_t *c = lat__host_comp_find(h, id);
  if (!c) lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "component %s is not running here", id);
  else c->refs++;
  return c;
}

/* Fills out for c, whose reference it takes over, and references its code
 * (under mu). */
static void fill(lat__host_comp_t *c, bool slot, lat__host_lease_t *out) {
  pthread_mutex_lock(&code_mu);
  c->code->refs++;
  pthread_mutex_unlock(&code_mu);
  *out = (lat__host_lease_t){.comp = c, .code = c->code, .hc = c->code->hc,
                             .max_exec_ns = c->max_exec_ns, .config = json_incref(c->config),
                             .secrets = lat__host_secrets_retain(c->secrets), .slot = slot};
}

lat_status lat__host_hold(lat_host_t *h, const char *id, lat__host_lease_t *out,
                          lat_error_t *err) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = find_ref(h, id, err);
  if (c) fill(c, false, out);
  pthread_mutex_unlock(&h->mu);
  return c ? LAT_OK : LAT_ENOTFOUND;
}

lat_status lat__host_lease(lat_host_t *h, const char *id, uint64_t wait_ns,
                           lat__host_lease_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = find_ref(h, id, err);
  if (!c) {
    pthread_mutex_unlock(&h->mu);
    return LAT_ENOTFOUND;
  }
  if (c->active >= c->max_instances && wait_ns) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + wait_ns;
    ts.tv_sec += (time_t)(t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    while (c->active >= c->max_instances && lat__host_comp_find(h, id) == c)
      if (pthread_cond_timedwait(&c->idle, &h->mu, &ts)) break;
  }
  if (c->active >= c->max_instances || lat__host_comp_find(h, id) != c) {
    bool gone = lat__host_comp_find(h, id) != c;
    comp_unref_locked(c);
    pthread_mutex_unlock(&h->mu);
    return gone ? lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX,
                                "component %s is not running here", id)
                : lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                                "component %s is at its concurrency limit", id);
  }
  c->active++;
  fill(c, true, out);
  pthread_mutex_unlock(&h->mu);
  return LAT_OK;
}

void lat__host_release(lat_host_t *h, lat__host_lease_t *l) {
  if (!l->comp) return;
  pthread_mutex_lock(&h->mu);
  if (l->slot) {
    l->comp->active--;
    pthread_cond_signal(&l->comp->idle);
  }
  comp_unref_locked(l->comp);
  pthread_mutex_unlock(&h->mu);
  code_release(l->code);
  json_decref(l->config);
  lat__host_secrets_release(l->secrets);
  memset(l, 0, sizeof *l);
}
