/* secrets_kv.c: a secrets backend on NATS JetStream KV, wasmCloud's
 * secrets-nats-kv (PROTOCOL.md §8) re-created: `lattice secrets serve`.
 *
 * Subjects {topic}.v1alpha1.{name}.OP, one queue subscription on
 * {topic}.v1alpha1.{name}.> (group wasmcloud_secrets.{name}) so several
 * servers share the load.  Requests are copied off the libnats thread into
 * a queue and handled by a few workers (a handler makes KV round trips,
 * which must not run on the thread that delivers their replies).
 *
 *   server_xkey            the transit public key, as text
 *   get                    SecretRequest sealed to the transit key by the
 *                          requester's key (WasmCloud-Host-Xkey); both JWTs
 *                          are verified (signature, times), the entity
 *                          JWT's subject must be mapped to the key, the
 *                          value is opened from rest and the SecretResponse
 *                          sealed to the requester by a fresh key
 *                          (Server-Response-Xkey).  Errors: plain JSON.
 *   put_secret             {key, string_secret|binary_secret} sealed as for
 *                          get; reply {"revision":N} or {"error":...}
 *   add_mapping.ENTITY     a JSON array of secret names the entity (a
 *   remove_mapping.ENTITY  component's M key, a provider's id or V key) may
 *                          read; reply "ok"
 *
 * At rest: WASMCLOUD_SECRETS (key = the secret's name) holds the JSON
 * {string_secret|binary_secret} sealed with the encryption key to itself;
 * SECRETS_{name}_state maps an entity to a JSON array of names.  A value's
 * version is its KV revision.
 *
 * Differences from secrets-nats-kv, on purpose: mapping writes are
 * serialised with compare-and-set on the state key (no lock stream); the
 * buckets keep one revision (Lattice's KV opens with history 1), so a
 * request's `version` must name the latest revision or gets SecretNotFound;
 * an entity JWT whose subject is not an nkey is accepted (the host vouches
 * for a provider without claims with a token of its own, host_secrets.c).
 * The authorization is the mapping: NATS permissions on the subjects are
 * what protects add_mapping, as upstream.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "secrets.h"

#define QUEUE_CAP 1024
#define MAX_BODY (LAT_SECRETS_MAX_VALUE * 4 + 65536) /* a put of the largest value as JSON bytes */

struct lat_secrets_kv {
  lat_lattice_conn_t *conn;
  char prefix[256];         /* {topic}.v1alpha1.{name} */
  lat_nkey_t enc, transit;  /* copies, wiped at free */
  char transit_pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_lattice_kv_t *values, *state;
  lat_lattice_sub_t *sub;
  lat_queue_t *queue;
  lat_workers_t *workers;
};

typedef struct {
  lat_secrets_kv_t *s;
  char *subject, *reply, *xkey; /* xkey: the WasmCloud-Host-Xkey header or NULL */
  uint8_t *data;
  size_t len;
} job_t;

static void job_free(job_t *j) {
  if (!j) return;
  lat_free(j->subject);
  lat_free(j->reply);
  lat_free(j->xkey);
  if (j->data) sodium_memzero(j->data, j->len);
  lat_free(j->data);
  lat_free(j);
}

/* ---- replies ---------------------------------------------------------------------- */

static void reply_text(job_t *j, const char *text) {
  lat_error_t err;
  if (j->reply) lat_lattice_conn_publish(j->s->conn, j->reply, NULL, text, strlen(text), &err);
}

/* A plain {"error":E} (E a GetSecretError: a bare variant name, or
 * {"Variant":"detail"} when detail is given). */
static void reply_error(job_t *j, const char *variant, const char *detail) {
  json_t *e = detail ? json_pack("{s:s}", variant, detail) : json_string(variant);
  json_t *o = json_pack("{s:o}", "error", e);
  char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
  reply_text(j, t ? t : "{\"error\":\"Other\"}");
  free(t);
  json_decref(o);
}

/* The request body opened with the transit key: LAT_OK with plain filled,
 * else the error was answered. */
static bool open_body(job_t *j, lat_buf_t *plain) {
  if (!j->xkey) {
    reply_error(j, "InvalidHeaders", NULL);
    return false;
  }
  lat_nkey_t sender;
  lat_error_t err;
  if (lat_nkey_from_public(j->xkey, strlen(j->xkey), &sender, &err) ||
      sender.type != LAT_NKEY_CURVE) {
    reply_error(j, "InvalidXKey", NULL);
    return false;
  }
  if (lat_xkey_open(&j->s->transit, &sender, j->data, j->len, plain, &err)) {
    reply_error(j, "DecryptionError", NULL);
    return false;
  }
  return true;
}

static void wipe_buf(lat_buf_t *b) {
  if (b->data) sodium_memzero(b->data, b->len);
  lat_buf_fini(b);
}

/* ---- mappings ----------------------------------------------------------------------- */

static bool mapped(lat_secrets_kv_t *s, const char *entity, const char *key) {
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  if (lat_lattice_kv_get(s->state, entity, &r, NULL, &err)) return false;
  json_t *arr = json_loadb((const char *)r.data, r.len, 0, NULL);
  bool ok = false;
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) ok |= json_is_string(v) && !strcmp(json_string_value(v), key);
  json_decref(arr);
  lat_lattice_reply_fini(&r);
  return ok;
}

static void mapping(job_t *j, const char *entity, bool add) {
  lat_secrets_kv_t *s = j->s;
  json_t *names = json_loadb((const char *)j->data, j->len, 0, NULL);
  if (!json_is_array(names) || !lat_lattice_token_valid(entity)) {
    json_decref(names);
    reply_text(j, "error: the body must be a JSON array of secret names and the subject end "
                  "in an entity");
    return;
  }
  lat_error_t err;
  /* compare-and-set: a concurrent writer makes us read again */
  for (int attempt = 0; attempt < 20; attempt++) {
    lat_lattice_reply_t r = {0};
    uint64_t rev = 0;
    lat_status st = lat_lattice_kv_get(s->state, entity, &r, &rev, &err);
    json_t *set = st ? json_array() : json_loadb((const char *)r.data, r.len, 0, NULL);
    lat_lattice_reply_fini(&r);
    if (!json_is_array(set)) {
      json_decref(set);
      set = json_array();
    }
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
      if (!json_is_string(n)) continue;
      size_t k, at = SIZE_MAX;
      json_t *x;
      json_array_foreach(set, k, x) if (json_equal(x, n)) at = k;
      if (add && at == SIZE_MAX) json_array_append(set, n);
      if (!add && at != SIZE_MAX) json_array_remove(set, at);
    }
    char *t = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    if (!t) break;
    st = st == LAT_ENOTFOUND ? lat_lattice_kv_create(s->state, entity, t, strlen(t), NULL, &err)
                             : lat_lattice_kv_update(s->state, entity, t, strlen(t), rev, NULL, &err);
    free(t);
    if (st == LAT_OK) {
      json_decref(names);
      reply_text(j, "ok");
      return;
    }
    if (st != LAT_EINVALID) break;
  }
  json_decref(names);
  reply_text(j, "error: cannot write the mapping");
}

/* ---- get -------------------------------------------------------------------------- */

static bool jwt_ok(const char *tok, lat_jwt_t *out, char *why, size_t cap) {
  lat_jwt_opts_t o = {.skew = 60};
  lat_crypto_reason r;
  lat_error_t err;
  lat_jwt_init(out);
  if (!tok || !*tok) {
    snprintf(why, cap, "missing");
    return false;
  }
  if (lat_jwt_verify(tok, strlen(tok), &o, out, &r, &err)) {
    snprintf(why, cap, "%s", lat_crypto_reason_message(r));
    return false;
  }
  return true;
}

static void get(job_t *j) {
  lat_secrets_kv_t *s = j->s;
  lat_buf_t plain = {0}, at_rest = {0}, out = {0};
  lat_lattice_reply_t r = {0};
  json_t *req = NULL, *stored = NULL, *resp = NULL;
  char *text = NULL, why[128];
  lat_jwt_t ent, host;
  lat_jwt_init(&ent);
  lat_jwt_init(&host);
  lat_nkey_t to, eph;
  memset(&eph, 0, sizeof eph);
  lat_error_t err;
  uint64_t rev = 0;
  if (!open_body(j, &plain)) goto done;
  req = json_loadb((const char *)plain.data, plain.len, 0, NULL);
  json_t *ctx = json_object_get(req, "context");
  const char *key = json_string_value(json_object_get(req, "key"));
  const char *ver = json_string_value(json_object_get(req, "version"));
  if (!key || !json_is_object(ctx)) {
    reply_error(j, "InvalidRequest", NULL);
    goto done;
  }
  if (!jwt_ok(json_string_value(json_object_get(ctx, "entity_jwt")), &ent, why, sizeof why)) {
    reply_error(j, "InvalidEntityJWT", why);
    goto done;
  }
  if (!jwt_ok(json_string_value(json_object_get(ctx, "host_jwt")), &host, why, sizeof why)) {
    reply_error(j, "InvalidHostJWT", why);
    goto done;
  }
  if (!lat_lattice_token_valid(ent.sub) || !mapped(s, ent.sub, key)) {
    reply_error(j, "Unauthorized", NULL);
    goto done;
  }
  if (!lat_lattice_token_valid(key) || lat_lattice_kv_get(s->values, key, &r, &rev, &err)) {
    reply_error(j, "SecretNotFound", NULL);
    goto done;
  }
  char revs[24];
  snprintf(revs, sizeof revs, "%llu", (unsigned long long)rev);
  if (ver && strcmp(ver, revs)) {
    reply_error(j, "SecretNotFound", NULL);
    goto done;
  }
  if (lat_xkey_open(&s->enc, &s->enc, r.data, r.len, &at_rest, &err) ||
      !(stored = json_loadb((const char *)at_rest.data, at_rest.len, 0, NULL))) {
    reply_error(j, "DecryptionError", NULL);
    goto done;
  }
  json_object_set_new(stored, "version", json_string(revs));
  resp = json_pack("{s:O}", "secret", stored);
  text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
  char pub[LAT_NKEY_PUBLIC_LEN + 1];
  if (!text || lat_nkey_from_public(j->xkey, strlen(j->xkey), &to, &err) ||
      lat_nkey_generate(LAT_NKEY_CURVE, &eph, &err) ||
      lat_xkey_seal(&eph, &to, text, strlen(text), &out, &err)) {
    reply_error(j, "EncryptionError", NULL);
    goto done;
  }
  lat_nkey_public_string(&eph, pub);
  lat_lattice_header_t h = {LAT_SECRETS_RESPONSE_XKEY_HEADER, pub};
  if (j->reply) lat_lattice_conn_publish_hdrs(s->conn, j->reply, NULL, &h, 1, out.data, out.len, &err);
done:
  /* the stored value's strings live in jansson: wipe them before the frees */
  if (stored) {
    json_t *v = json_object_get(stored, "string_secret");
    if (json_is_string(v)) sodium_memzero((char *)json_string_value(v), json_string_length(v));
  }
  json_decref(resp);
  json_decref(stored);
  json_decref(req);
  if (text) sodium_memzero(text, strlen(text));
  free(text);
  wipe_buf(&plain);
  wipe_buf(&at_rest);
  lat_buf_fini(&out);
  lat_lattice_reply_fini(&r);
  lat_jwt_fini(&ent);
  lat_jwt_fini(&host);
  lat_nkey_fini(&eph);
}

/* ---- put_secret ------------------------------------------------------------------------ */

static void put_reply(job_t *j, uint64_t rev, const char *error) {
  char buf[512];
  if (error) {
    json_t *o = json_pack("{s:I,s:s}", "revision", (json_int_t)0, "error", error);
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    reply_text(j, t ? t : "{\"revision\":0,\"error\":\"Other\"}");
    free(t);
    json_decref(o);
    return;
  }
  snprintf(buf, sizeof buf, "{\"revision\":%llu}", (unsigned long long)rev);
  reply_text(j, buf);
}

static void put_secret(job_t *j) {
  lat_secrets_kv_t *s = j->s;
  lat_buf_t plain = {0}, sealed = {0};
  json_t *req = NULL, *val = NULL, *str = NULL, *bin = NULL;
  char *text = NULL;
  lat_error_t err;
  if (!open_body(j, &plain)) goto done;
  req = json_loadb((const char *)plain.data, plain.len, 0, NULL);
  const char *key = json_string_value(json_object_get(req, "key"));
  str = json_object_get(req, "string_secret");
  bin = json_object_get(req, "binary_secret");
  if (!key || !lat_lattice_token_valid(key) || (!json_is_string(str) && !json_is_array(bin))) {
    put_reply(j, 0, "InvalidRequest: want {key, string_secret | binary_secret}");
    goto done;
  }
  val = json_is_string(str) ? json_pack("{s:O}", "string_secret", str)
                            : json_pack("{s:O}", "binary_secret", bin);
  text = val ? json_dumps(val, JSON_COMPACT) : NULL;
  uint64_t rev = 0;
  if (!text || lat_xkey_seal(&s->enc, &s->enc, text, strlen(text), &sealed, &err)) {
    put_reply(j, 0, "EncryptionError");
    goto done;
  }
  if (lat_lattice_kv_put(s->values, key, sealed.data, sealed.len, &rev, &err)) {
    put_reply(j, 0, "UpstreamError: cannot write the value");
    goto done;
  }
  put_reply(j, rev, NULL);
done:
  if (json_is_string(str)) sodium_memzero((char *)json_string_value(str), json_string_length(str));
  json_decref(val);
  json_decref(req);
  if (text) sodium_memzero(text, strlen(text));
  free(text);
  wipe_buf(&plain);
  lat_buf_fini(&sealed);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static void handle(void *arg) {
  job_t *j = arg;
  lat_secrets_kv_t *s = j->s;
  size_t pl = strlen(s->prefix);
  const char *op = j->subject + pl + 1;
  if (!strcmp(op, "server_xkey")) reply_text(j, s->transit_pub);
  else if (!strcmp(op, "get")) get(j);
  else if (!strcmp(op, "put_secret")) put_secret(j);
  else if (!strncmp(op, "add_mapping.", 12)) mapping(j, op + 12, true);
  else if (!strncmp(op, "remove_mapping.", 15)) mapping(j, op + 15, false);
  else reply_error(j, "InvalidRequest", NULL);
  job_free(j);
}

static char *dup0(const char *s) { return s ? lat_strndup(s, strlen(s)) : NULL; }

static void on_msg(void *ctx, const lat_lattice_msg_t *m) {
  lat_secrets_kv_t *s = ctx;
  if (m->len > MAX_BODY || strlen(m->subject) <= strlen(s->prefix) + 1) return;
  job_t *j = lat_calloc(1, sizeof *j);
  if (!j) return;
  j->s = s;
  j->subject = dup0(m->subject);
  j->reply = dup0(m->reply);
  j->xkey = dup0(lat_lattice_msg_header(m, LAT_SECRETS_HOST_XKEY_HEADER));
  j->data = lat_malloc(m->len + 1);
  if (!j->subject || !j->data) {
    job_free(j);
    return;
  }
  memcpy(j->data, m->data, m->len);
  j->data[m->len] = 0;
  j->len = m->len;
  if (lat_queue_push(s->queue, handle, j)) job_free(j); /* full: the requester times out */
}

/* ---- life ------------------------------------------------------------------------------------ */

lat_status lat_secrets_kv_new(const lat_secrets_kv_opts_t *o, lat_secrets_kv_t **out,
                              lat_error_t *err) {
  *out = NULL;
  const char *topic = o->topic && *o->topic ? o->topic : LAT_SECRETS_TOPIC_DEFAULT;
  const char *name = o->name && *o->name ? o->name : "nats-kv";
  if (!lat_lattice_token_valid(name))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad backend name '%s'", name);
  if (!o->encryption || !o->transit || o->encryption->type != LAT_NKEY_CURVE ||
      o->transit->type != LAT_NKEY_CURVE || !o->encryption->has_seed || !o->transit->has_seed)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "the encryption and transit keys must be curve seeds (SX...)");
  lat_secrets_kv_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  s->conn = o->conn;
  s->enc = *o->encryption;
  s->transit = *o->transit;
  lat_nkey_public_string(&s->transit, s->transit_pub);
  lat_status st;
  char state[200], subj[300], queue[200];
  if ((size_t)snprintf(s->prefix, sizeof s->prefix, "%s.%s.%s", topic, LAT_SECRETS_API_VERSION,
                       name) >= sizeof s->prefix) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX, "topic too long");
    goto fail;
  }
  snprintf(state, sizeof state, "SECRETS_%s_state", name);
  snprintf(subj, sizeof subj, "%s.>", s->prefix);
  snprintf(queue, sizeof queue, "wasmcloud_secrets.%s", name);
  if ((st = lat_lattice_kv_open(s->conn, o->bucket ? o->bucket : "WASMCLOUD_SECRETS", o->replicas,
                                &s->values, err)) ||
      (st = lat_lattice_kv_open(s->conn, state, o->replicas, &s->state, err)))
    goto fail;
  if ((st = lat_queue_new(QUEUE_CAP, &s->queue)) ||
      (st = lat_workers_new(o->workers ? o->workers : 2, s->queue, &s->workers))) {
    lat_error_set(err, st, SIZE_MAX, "cannot start the workers");
    goto fail;
  }
  if ((st = lat_lattice_conn_subscribe(s->conn, subj, queue, on_msg, s, &s->sub, err)) ||
      (st = lat_lattice_conn_flush(s->conn, 2000, err)))
    goto fail;
  *out = s;
  return LAT_OK;
fail:
  lat_secrets_kv_free(s);
  return st;
}

void lat_secrets_kv_free(lat_secrets_kv_t *s) {
  if (!s) return;
  lat_lattice_sub_free(s->sub);
  lat_workers_free(s->workers); /* drains the requests in hand */
  lat_queue_free(s->queue);
  lat_lattice_kv_free(s->values);
  lat_lattice_kv_free(s->state);
  lat_nkey_fini(&s->enc);
  lat_nkey_fini(&s->transit);
  lat_free(s);
}
