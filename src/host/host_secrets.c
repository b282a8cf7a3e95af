/* host_secrets.c: secrets for what a host runs (PROTOCOL.md §8, §5.3).
 *
 * A component's or provider's `config` list may name secret references:
 * entries starting with SECRET_, whose CONFIGDATA value is a SecretConfig
 * {name, backend, key, field?, version?, policy}.  When a component is
 * scaled (or its config changes) and when a provider is started, each
 * reference is fetched from its backend (src/secrets' client: sealed both
 * ways) and any failure fails the scale or start with the reason.  The
 * values are kept, wiped when dropped, in a reference-counted set
 * (lat__host_secrets_t) that the component's entry and every lease on it
 * share, as wasmCloud caches them in the component's handler; a provider
 * keeps its own for its restarts.
 *
 * Who asks.  A SecretRequest carries the requester's identity for the
 * backend to authorize:
 *   - a component: its embedded claims token.  As in wasmCloud, a
 *     component with secret references must be signed (`lattice claims
 *     sign`); an unsigned one fails its scale saying so.
 *   - a provider: Lattice runs providers from executables without claims
 *     (no PAR yet), so the host vouches for one with a token of its own: a
 *     wascap CapabilityProvider JWT issued by the host's account key whose
 *     subject is the provider id.  A backend authorizes the provider id
 *     (`lattice secrets allow PROVIDER_ID ...`).  wasmCloud's own nats-kv
 *     backend would want a V key there; ours accepts any token subject.
 *   - the host: host_jwt, a Host JWT (subject the host's N key, labels
 *     {"self_signed":"true"}) issued by a throwaway account key made at
 *     start, as the 1.x host does.
 *   application.name is the annotation wasmcloud.dev/appspec, policy the
 *   reference's policy string.
 *
 * Backends: one client per backend name, made on first use (it asks the
 * backend's server_xkey) and dropped after any failed get, so a backend
 * restarted with another transit key is picked up on the next try.
 *
 * Components read them through wasmcloud:secrets/store@0.1.0-draft get(key)
 * (key = the reference's short name) and reveal(secret): a secret handle's
 * rep indexes the invocation's set, which is immutable, so handles need no
 * per-invocation state.  Providers get theirs in HostData `secrets` and
 * sealed in link definitions (host_providers.c, with lat__host_secrets_seal).
 *
 * Values never reach a log line, an event or a ctl reply: errors name the
 * reference and the backend's error, never a value.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host_int.h"

#define SECRETS_TIMEOUT_MS 5000u
#define APPSPEC "wasmcloud.dev/appspec"

struct lat__host_backend {
  struct lat__host_backend *next;
  char *name;
  lat_secrets_client_t *client;
};
typedef struct lat__host_backend backend_t;

/* ---- identity ------------------------------------------------------------------ */

static char *issue(lat_host_t *h, const char *sub, json_t *wascap, lat_error_t *err) {
  char iss[LAT_NKEY_PUBLIC_LEN + 1], jti[33];
  uint8_t r[16];
  randombytes_buf(r, sizeof r);
  sodium_bin2hex(jti, sizeof jti, r, sizeof r);
  lat_nkey_public_string(&h->account, iss);
  json_t *claims = json_pack("{s:s,s:I,s:s,s:s,s:o,s:i}", "jti", jti, "iat", (json_int_t)time(NULL),
                             "iss", iss, "sub", sub, "wascap", wascap, "wascap_revision",
                             LAT_CLAIMS_REVISION);
  char *text = claims ? json_dumps(claims, JSON_COMPACT) : NULL, *tok = NULL;
  json_decref(claims);
  if (!text) {
    lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    return NULL;
  }
  lat_jwt_encode(LAT_JWT_ALG_WASCAP, text, strlen(text), &h->account, &tok, err);
  free(text);
  return tok;
}

lat_status lat__host_secrets_init(lat_host_t *h, const lat_host_opts_t *o, lat_error_t *err) {
  const char *topic = o->secrets_topic;
  if (!topic || !*topic) topic = getenv("WASMCLOUD_SECRETS_TOPIC");
  if (!topic || !*topic) topic = LAT_SECRETS_TOPIC_DEFAULT;
  if (!(h->secrets_topic = lat_strndup(topic, strlen(topic))))
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = lat_nkey_generate(LAT_NKEY_ACCOUNT, &h->account, err);
  if (st) return st;
  json_t *w = json_pack("{s:s,s:{s:s}}", "name", h->friendly_name, "labels", "self_signed", "true");
  if (!(h->host_jwt = issue(h, h->id, w, err))) return err->code ? err->code : LAT_ENOMEM;
  return LAT_OK;
}

static void backends_free(backend_t *b) {
  while (b) {
    backend_t *next = b->next;
    lat_secrets_client_free(b->client);
    lat_free(b->name);
    lat_free(b);
    b = next;
  }
}

void lat__host_secrets_fini(lat_host_t *h) {
  backends_free(h->backends);
  backends_free(h->retired);
  h->backends = h->retired = NULL;
  lat_free(h->secrets_topic);
  lat_free(h->host_jwt);
  lat_nkey_fini(&h->account);
  pthread_mutex_destroy(&h->secrets_mu);
}

char *lat__host_provider_token(lat_host_t *h, const char *id, lat_error_t *err) {
  json_t *w = json_pack("{s:s,s:s,s:{}}", "name", id, "vendor", "lattice host-attested",
                        "target_hashes");
  return issue(h, id, w, err);
}

/* ---- the set -------------------------------------------------------------------- */

lat__host_secrets_t *lat__host_secrets_retain(lat__host_secrets_t *s) {
  if (s) atomic_fetch_add(&s->refs, 1);
  return s;
}

void lat__host_secrets_release(lat__host_secrets_t *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  for (size_t i = 0; i < s->n; i++) {
    lat_free(s->items[i].name);
    lat_secret_value_fini(&s->items[i].value);
  }
  lat_free(s->items);
  lat_free(s);
}

bool lat__host_has_secret_refs(json_t *names) {
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    const char *s = json_string_value(n);
    if (s && !strncmp(s, LAT_SECRETS_REF_PREFIX, strlen(LAT_SECRETS_REF_PREFIX))) return true;
  }
  return false;
}

/* The client for backend (made on first use); NULL with err on failure. */
static lat_secrets_client_t *client_of(lat_host_t *h, const char *backend, lat_error_t *err) {
  pthread_mutex_lock(&h->secrets_mu);
  for (backend_t *b = h->backends; b; b = b->next)
    if (!strcmp(b->name, backend)) {
      lat_secrets_client_t *c = b->client;
      pthread_mutex_unlock(&h->secrets_mu);
      return c;
    }
  pthread_mutex_unlock(&h->secrets_mu);
  lat_secrets_client_t *c = NULL;
  if (lat_secrets_client_new(h->ctl, h->secrets_topic, backend, SECRETS_TIMEOUT_MS, &c, err))
    return NULL;
  backend_t *b = lat_calloc(1, sizeof *b);
  if (!b || !(b->name = lat_strndup(backend, strlen(backend)))) {
    lat_free(b);
    lat_secrets_client_free(c);
    lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    return NULL;
  }
  b->client = c;
  pthread_mutex_lock(&h->secrets_mu);
  for (backend_t *o = h->backends; o; o = o->next)
    if (!strcmp(o->name, backend)) { /* another thread made one meanwhile: use it */
      pthread_mutex_unlock(&h->secrets_mu);
      lat_secrets_client_free(c);
      lat_free(b->name);
      lat_free(b);
      return o->client;
    }
  b->next = h->backends;
  h->backends = b;
  pthread_mutex_unlock(&h->secrets_mu);
  return c;
}

/* Forgets backend's client (after a failure: its transit key may be stale).
 * Clients are only freed at host free, as a getter on another thread may
 * still use the one dropped here; they are kept on the retired list. */
static void client_drop(lat_host_t *h, const char *backend) {
  pthread_mutex_lock(&h->secrets_mu);
  for (backend_t **pp = &h->backends; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->name, backend)) {
      backend_t *b = *pp;
      *pp = b->next;
      b->next = h->retired;
      h->retired = b;
      break;
    }
  pthread_mutex_unlock(&h->secrets_mu);
}

lat_status lat__host_secrets_resolve(lat_host_t *h, json_t *names, const char *entity_jwt,
                                     json_t *annotations, lat__host_secrets_t **out,
                                     lat_error_t *err) {
  *out = NULL;
  if (!lat__host_has_secret_refs(names)) return LAT_OK;
  if (!entity_jwt)
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "secrets need a signed component: this one has no embedded JWT (sign "
                         "it with `lattice claims sign`)");
  lat__host_secrets_t *s = lat_calloc(1, sizeof *s);
  size_t cap = json_array_size(names);
  if (!s || !(s->items = lat_calloc(cap ? cap : 1, sizeof *s->items))) {
    lat_free(s);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  atomic_init(&s->refs, 1);
  const char *app = json_string_value(json_object_get(annotations, APPSPEC));
  lat_status st = LAT_OK;
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    const char *name = json_string_value(n);
    if (!name || strncmp(name, LAT_SECRETS_REF_PREFIX, strlen(LAT_SECRETS_REF_PREFIX))) continue;
    pthread_mutex_lock(&h->mu);
    json_t *ref = json_deep_copy(json_object_get(h->configs, name));
    pthread_mutex_unlock(&h->mu);
    lat_secret_ref_t r;
    lat_error_t e2;
    lat_error_clear(&e2);
    if (!ref) {
      st = lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX,
                         "secret reference %s does not exist (put it with `lattice secrets put`)",
                         name);
    } else if ((st = lat_secret_ref_parse(ref, &r, &e2))) {
      st = lat_error_set(err, st, SIZE_MAX, "%s: %s", name, e2.msg);
    } else {
      lat_secrets_client_t *c = client_of(h, r.backend, &e2);
      lat_secrets_get_t g = {.key = r.key, .field = r.field, .version = r.version,
                             .entity_jwt = entity_jwt, .host_jwt = h->host_jwt, .app_name = app,
                             .policy = r.policy};
      if (!c) {
        st = lat_error_set(err, e2.code ? e2.code : LAT_EIO, SIZE_MAX, "secret %s: %s", name,
                           e2.msg);
      } else if ((st = lat_secrets_client_get(c, &g, &s->items[s->n].value, &e2))) {
        client_drop(h, r.backend);
        st = lat_error_set(err, st, SIZE_MAX, "secret %s: %s", name, e2.msg);
      } else if (!(s->items[s->n].name = lat_strndup(r.name, strlen(r.name)))) {
        lat_secret_value_fini(&s->items[s->n].value);
        st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      } else {
        s->n++;
      }
    }
    json_decref(ref);
    if (st) break;
  }
  if (st) {
    lat__host_secrets_release(s);
    return st;
  }
  *out = s;
  return LAT_OK;
}

json_t *lat__host_secrets_json(const lat__host_secrets_t *s) {
  json_t *o = json_object();
  for (size_t i = 0; o && s && i < s->n; i++)
    json_object_set_new(o, s->items[i].name, lat_secret_value_json(&s->items[i].value));
  return o;
}

/* Wipes the strings a secrets object made by lat__host_secrets_json holds
 * (jansson frees without wiping), then releases it. */
void lat__host_secrets_json_free(json_t *o) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    json_t *x = json_object_get(v, "value");
    if (json_is_string(x)) sodium_memzero((char *)json_string_value(x), json_string_length(x));
  }
  json_decref(o);
}

json_t *lat__host_secrets_seal(lat_host_t *h, const lat__host_secrets_t *s,
                               const lat_nkey_t *to) {
  if (!s || !s->n) return json_null();
  json_t *m = lat__host_secrets_json(s);
  char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
  lat__host_secrets_json_free(m);
  lat_buf_t sealed = {0};
  lat_error_t err;
  json_t *arr = NULL;
  if (text && !lat_xkey_seal(&h->xkey, to, text, strlen(text), &sealed, &err)) {
    arr = json_array();
    for (size_t i = 0; arr && i < sealed.len; i++) json_array_append_new(arr, json_integer(sealed.data[i]));
  }
  if (text) sodium_memzero(text, strlen(text));
  free(text);
  lat_buf_fini(&sealed);
  return arr;
}

/* ---- wasmcloud:secrets for components ---------------------------------------------- */

static const char SECRETS_WIT[] =
    "package wasmcloud:secrets@0.1.0-draft;\n"
    "interface store {\n"
    "  variant secrets-error { upstream(string), io(string), not-found }\n"
    "  variant secret-value { %string(string), bytes(list<u8>) }\n"
    "  resource secret;\n"
    "  get: func(key: string) -> result<secret, secrets-error>;\n"
    "}\n"
    "interface reveal {\n"
    "  use store.{secret, secret-value};\n"
    "  reveal: func(s: borrow<secret>) -> secret-value;\n"
    "}\n";

#define STORE "wasmcloud:secrets/store@0.1.0-draft"
#define REVEAL "wasmcloud:secrets/reveal@0.1.0-draft"

static lat_status secret_get(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                             uint32_t nargs, lat_cval_t *result) {
  (void)nargs;
  uint32_t rtype = *(uint32_t *)env;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:secrets: no lattice host");
  const lat__host_secrets_t *s = inv->secrets;
  uint32_t rep = 0;
  for (size_t i = 0; s && i < s->n && !rep; i++)
    if (strlen(s->items[i].name) == args[0].of.str.len &&
        !memcmp(s->items[i].name, args[0].of.str.ptr, args[0].of.str.len))
      rep = (uint32_t)i + 1;
  lat_cval_t *p = lat_arena_alloc(lat_chost_call_arena(c), sizeof *p);
  if (!p) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
  if (rep) {
    *p = (lat_cval_t){.kind = LAT_CT_OWN,
                      .of.handle = {.rep = rep, .rt = lat_chost_call_rtype(c, rtype)}};
    *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = p}};
  } else { /* secrets-error::not-found */
    *p = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {.disc = 2, .payload = NULL}};
    *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = p}};
  }
  return LAT_OK;
}

static lat_status secret_reveal(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                                uint32_t nargs, lat_cval_t *result) {
  (void)env, (void)nargs;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:secrets: no lattice host");
  const lat__host_secrets_t *s = inv->secrets;
  uint32_t rep = args[0].of.handle.rep;
  if (!s || !rep || rep > s->n)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:secrets: unknown secret %u", rep);
  const lat_secret_value_t *v = &s->items[rep - 1].value;
  lat_arena_t *a = lat_chost_call_arena(c);
  lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
  /* the copy lives in the call's arena, which the instance's teardown frees;
   * the guest has it in its own memory from here anyway */
  uint8_t *d = lat_arena_alloc(a, v->len ? v->len : 1);
  if (!p || !d) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
  memcpy(d, v->data, v->len);
  if (v->binary) { /* a list<u8> as its raw bytes */
    *p = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.n = (uint32_t)v->len, .bytes = d}};
  } else {
    *p = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {(const char *)d, (uint32_t)v->len}};
  }
  *result = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {.disc = v->binary, .payload = p}};
  return LAT_OK;
}

static bool imports_secrets(const lat_component_t *c) {
  for (uint32_t i = 0; i < lat_component_import_count(c); i++) {
    const lat_cextern_t *im = lat_component_import(c, i);
    if (im->name.kind == LAT_CNAME_INTERFACE && !strcmp(im->name.ns, "wasmcloud") &&
        !strcmp(im->name.pkg, "secrets"))
      return true;
  }
  return false;
}

lat_status lat__host_secrets_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err) {
  if (!imports_secrets(c)) return LAT_OK;
  lat_status st = lat_clinker_add_wit(l, SECRETS_WIT, sizeof SECRETS_WIT - 1, err);
  if (st) return st;
  uint32_t *rtype = lat_arena_alloc(lat_clinker_arena(l), sizeof *rtype);
  if (!rtype) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (!lat_clinker_resource_find(l, STORE, "secret", rtype))
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "no secret resource in " STORE);
  if ((st = lat_clinker_func(l, lat_clinker_find(l, STORE), "get", secret_get, rtype, err)))
    return st;
  return lat_clinker_func(l, lat_clinker_find(l, REVEAL), "reveal", secret_reveal, NULL, err);
}
