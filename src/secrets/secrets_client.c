/* secrets_client.c: the requesting side of the secrets backend protocol
 * (PROTOCOL.md §8), as wasmCloud's secrets-client crate speaks it.
 *
 * A client belongs to one backend: it asks the backend's server_xkey once
 * (the transit public key, plain text) and seals every request to it with
 * a fresh ephemeral curve key, never reused, whose public half goes in the
 * WasmCloud-Host-Xkey header.  A successful `get` comes back sealed by the
 * backend with another fresh key, named in Server-Response-Xkey, to that
 * ephemeral key; a failure comes back as plain JSON {"error":...} with no
 * such header.  So a secret crosses NATS only sealed.
 *
 * Plaintext buffers (the request, which names a key but also carries the
 * JWTs, and every reply) are wiped before they are freed.  The client
 * holds no lock: it is immutable after lat_secrets_client_new and may be
 * used from several threads at once (the connection is thread-safe).
 *
 * Rejected: caching values here (the host caches them per component, where
 * their lifetime is known); a long-lived requester key (wasmCloud makes a
 * fresh one per get so a leaked key opens one reply at most).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "secrets.h"

struct lat_secrets_client {
  lat_lattice_conn_t *conn;
  char *prefix;          /* {topic}.v1alpha1.{backend} */
  char *backend;
  lat_nkey_t server;     /* the transit public key */
  uint32_t timeout_ms;
};

/* ---- values ------------------------------------------------------------------ */

void lat_secret_value_fini(lat_secret_value_t *v) {
  if (!v) return;
  if (v->data) sodium_memzero(v->data, v->len);
  lat_free(v->data);
  lat_free(v->version);
  memset(v, 0, sizeof *v);
}

static lat_status value_set(lat_secret_value_t *v, bool binary, const void *p, size_t n,
                            lat_error_t *err) {
  if (n > LAT_SECRETS_MAX_VALUE)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "secret value larger than %u bytes",
                         LAT_SECRETS_MAX_VALUE);
  v->data = lat_malloc(n + 1);
  if (!v->data) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (n) memcpy(v->data, p, n);
  v->data[n] = 0;
  v->len = n;
  v->binary = binary;
  return LAT_OK;
}

/* A JSON array of byte values into v (LAT_EMALFORMED when not bytes). */
static lat_status bytes_of(json_t *arr, lat_secret_value_t *v, lat_error_t *err) {
  size_t n = json_array_size(arr);
  if (n > LAT_SECRETS_MAX_VALUE)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "secret value larger than %u bytes",
                         LAT_SECRETS_MAX_VALUE);
  lat_status st = value_set(v, true, "", 0, err);
  if (st) return st;
  uint8_t *d = lat_malloc(n + 1);
  if (!d) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_free(v->data);
  v->data = d;
  for (size_t i = 0; i < n; i++) {
    json_t *b = json_array_get(arr, i);
    if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 255) {
      lat_secret_value_fini(v);
      return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "a secret's bytes are not 0..255");
    }
    d[i] = (uint8_t)json_integer_value(b);
  }
  d[n] = 0;
  v->len = n;
  return LAT_OK;
}

json_t *lat_secret_value_json(const lat_secret_value_t *v) {
  if (!v->binary) {
    json_t *s = json_stringn((const char *)v->data, v->len);
    return s ? json_pack("{s:s,s:o}", "kind", "String", "value", s) : NULL;
  }
  json_t *a = json_array();
  for (size_t i = 0; a && i < v->len; i++)
    if (json_array_append_new(a, json_integer(v->data[i]))) {
      json_decref(a);
      return NULL;
    }
  return a ? json_pack("{s:s,s:o}", "kind", "Bytes", "value", a) : NULL;
}

lat_status lat_secret_value_from_json(json_t *j, lat_secret_value_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  const char *kind = json_string_value(json_object_get(j, "kind"));
  json_t *val = json_object_get(j, "value");
  if (kind && !strcmp(kind, "String") && json_is_string(val))
    return value_set(out, false, json_string_value(val), json_string_length(val), err);
  if (kind && !strcmp(kind, "Bytes") && json_is_array(val)) return bytes_of(val, out, err);
  return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "a secret value is {\"kind\":\"String\"|\"Bytes\",\"value\":...}");
}

lat_status lat_secret_ref_parse(json_t *j, lat_secret_ref_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(j))
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "a secret reference is a JSON object");
  out->name = json_string_value(json_object_get(j, "name"));
  out->backend = json_string_value(json_object_get(j, "backend"));
  out->key = json_string_value(json_object_get(j, "key"));
  out->field = json_string_value(json_object_get(j, "field"));
  out->version = json_string_value(json_object_get(j, "version"));
  out->policy = json_string_value(json_object_get(j, "policy"));
  if (!out->policy) out->policy = "";
  const char *missing = !out->name || !*out->name     ? "name"
                        : !out->backend || !*out->backend ? "backend"
                        : !out->key || !*out->key         ? "key"
                                                          : NULL;
  if (missing)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "the secret reference has no `%s` (want {name, backend, key, ...})",
                         missing);
  if (!lat_lattice_token_valid(out->backend))
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "the secret reference's backend '%s' is not one NATS token", out->backend);
  return LAT_OK;
}

/* ---- the client ------------------------------------------------------------------- */

void lat_secrets_client_free(lat_secrets_client_t *c) {
  if (!c) return;
  lat_free(c->prefix);
  lat_free(c->backend);
  lat_nkey_fini(&c->server);
  lat_free(c);
}

static lat_status request(lat_secrets_client_t *c, const char *op, const lat_lattice_header_t *h,
                          size_t nh, const void *body, size_t len, lat_lattice_reply_t *out,
                          lat_lattice_headers_t *out_h, lat_error_t *err) {
  char subj[512];
  if ((size_t)snprintf(subj, sizeof subj, "%s.%s", c->prefix, op) >= sizeof subj)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "secrets subject too long");
  lat_error_t e2;
  lat_error_clear(&e2);
  lat_status st = lat_lattice_conn_request_ex(c->conn, subj, h, nh, body, len, c->timeout_ms, out,
                                              out_h, &e2);
  if (st == LAT_ENOTFOUND)
    return lat_error_set(err, st, SIZE_MAX,
                         "no secrets backend '%s' answers on %s (is it running?)", c->backend,
                         subj);
  if (st == LAT_ETIMEOUT)
    return lat_error_set(err, st, SIZE_MAX, "secrets backend '%s' did not answer within %u ms",
                         c->backend, c->timeout_ms);
  if (st) return lat_error_set(err, st, SIZE_MAX, "secrets backend '%s': %s", c->backend, e2.msg);
  return LAT_OK;
}

lat_status lat_secrets_client_new(lat_lattice_conn_t *conn, const char *topic,
                                  const char *backend, uint32_t timeout_ms,
                                  lat_secrets_client_t **out, lat_error_t *err) {
  *out = NULL;
  if (!topic || !*topic) topic = LAT_SECRETS_TOPIC_DEFAULT;
  if (!lat_lattice_token_valid(backend))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad secrets backend name '%s'", backend);
  lat_secrets_client_t *c = lat_calloc(1, sizeof *c);
  if (!c) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  c->conn = conn;
  c->timeout_ms = timeout_ms ? timeout_ms : 5000;
  size_t n = strlen(topic) + strlen(backend) + sizeof LAT_SECRETS_API_VERSION + 3;
  c->prefix = lat_malloc(n);
  c->backend = lat_strndup(backend, strlen(backend));
  if (!c->prefix || !c->backend) {
    lat_secrets_client_free(c);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  snprintf(c->prefix, n, "%s.%s.%s", topic, LAT_SECRETS_API_VERSION, backend);
  lat_lattice_reply_t r = {0};
  lat_status st = request(c, "server_xkey", NULL, 0, "", 0, &r, NULL, err);
  if (!st) st = lat_nkey_from_public((const char *)r.data, r.len, &c->server, err);
  if (!st && c->server.type != LAT_NKEY_CURVE)
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "secrets backend '%s' sent a server_xkey that is not an X key", backend);
  lat_lattice_reply_fini(&r);
  if (st) {
    lat_secrets_client_free(c);
    return st;
  }
  *out = c;
  return LAT_OK;
}

/* Seals body with a fresh key: the sealed bytes in out, the key in eph. */
static lat_status seal_fresh(lat_secrets_client_t *c, const void *body, size_t len,
                             lat_nkey_t *eph, char pub[LAT_NKEY_PUBLIC_LEN + 1], lat_buf_t *out,
                             lat_error_t *err) {
  lat_status st = lat_nkey_generate(LAT_NKEY_CURVE, eph, err);
  if (st) return st;
  lat_nkey_public_string(eph, pub);
  return lat_xkey_seal(eph, &c->server, body, len, out, err);
}

/* The backend's error, a GetSecretError (a string or {"Variant":"detail"}),
 * as text in buf. */
static const char *error_text(json_t *e, char *buf, size_t cap) {
  if (json_is_string(e)) return json_string_value(e);
  const char *k;
  json_t *v;
  json_object_foreach(e, k, v) {
    snprintf(buf, cap, "%s: %s", k, json_is_string(v) ? json_string_value(v) : "?");
    return buf;
  }
  return "an unreadable error";
}

lat_status lat_secrets_client_sealed(lat_secrets_client_t *c, const char *op, const void *body,
                                     size_t len, lat_lattice_reply_t *out, lat_error_t *err) {
  lat_nkey_t eph;
  char pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_buf_t sealed = {0};
  lat_status st = seal_fresh(c, body, len, &eph, pub, &sealed, err);
  if (!st) {
    lat_lattice_header_t h = {LAT_SECRETS_HOST_XKEY_HEADER, pub};
    st = request(c, op, &h, 1, sealed.data, sealed.len, out, NULL, err);
  }
  lat_nkey_fini(&eph);
  lat_buf_fini(&sealed);
  return st;
}

lat_status lat_secrets_client_plain(lat_secrets_client_t *c, const char *op, const void *body,
                                    size_t len, lat_lattice_reply_t *out, lat_error_t *err) {
  return request(c, op, NULL, 0, body, len, out, NULL, err);
}

/* Reads a SecretResponse (plaintext) into out. */
static lat_status response(lat_secrets_client_t *c, const char *key, const uint8_t *p, size_t n,
                           lat_secret_value_t *out, lat_error_t *err) {
  json_t *j = json_loadb((const char *)p, n, 0, NULL);
  lat_status st;
  char buf[256];
  json_t *e = json_object_get(j, "error"), *s = json_object_get(j, "secret");
  if (!json_is_object(j)) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "secrets backend '%s' sent a reply that is not a SecretResponse",
                       c->backend);
  } else if (e && !json_is_null(e)) {
    const char *t = error_text(e, buf, sizeof buf);
    st = lat_error_set(err, !strcmp(t, "SecretNotFound") ? LAT_ENOTFOUND : LAT_EINVALID, SIZE_MAX,
                       "secrets backend '%s' refused secret '%s': %s", c->backend, key, t);
  } else if (!json_is_object(s)) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "secrets backend '%s' sent neither a secret nor an error", c->backend);
  } else {
    json_t *str = json_object_get(s, "string_secret"), *bin = json_object_get(s, "binary_secret");
    if (json_is_string(str))
      st = value_set(out, false, json_string_value(str), json_string_length(str), err);
    else if (json_is_array(bin))
      st = bytes_of(bin, out, err);
    else
      st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "secrets backend '%s' sent a secret with no value", c->backend);
    const char *ver = json_string_value(json_object_get(s, "version"));
    if (!st && ver && !(out->version = lat_strndup(ver, strlen(ver)))) {
      lat_secret_value_fini(out);
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
    if (json_is_string(str)) /* jansson frees without wiping */
      sodium_memzero((char *)json_string_value(str), json_string_length(str));
  }
  json_decref(j);
  return st;
}

lat_status lat_secrets_client_get(lat_secrets_client_t *c, const lat_secrets_get_t *req,
                                  lat_secret_value_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  json_t *app = json_pack("{s:s}", "policy", req->policy && *req->policy ? req->policy : "{}");
  if (app && req->app_name) json_object_set_new(app, "name", json_string(req->app_name));
  json_t *body = json_pack("{s:s,s:o}", "key", req->key, "context",
                           json_pack("{s:s,s:s,s:o}", "entity_jwt",
                                     req->entity_jwt ? req->entity_jwt : "", "host_jwt",
                                     req->host_jwt ? req->host_jwt : "", "application", app));
  if (body && req->field) json_object_set_new(body, "field", json_string(req->field));
  if (body && req->version) json_object_set_new(body, "version", json_string(req->version));
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!text) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_nkey_t eph;
  char pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_buf_t sealed = {0}, plain = {0};
  lat_lattice_reply_t r = {0};
  lat_lattice_headers_t rh = {0};
  lat_status st = seal_fresh(c, text, strlen(text), &eph, pub, &sealed, err);
  if (!st) {
    lat_lattice_header_t h = {LAT_SECRETS_HOST_XKEY_HEADER, pub};
    st = request(c, "get", &h, 1, sealed.data, sealed.len, &r, &rh, err);
  }
  if (!st) {
    const char *rx = lat_lattice_headers_get(&rh, LAT_SECRETS_RESPONSE_XKEY_HEADER);
    lat_nkey_t sender;
    if (!rx) { /* an error reply is not sealed */
      st = response(c, req->key, r.data, r.len, out, err);
      if (!st) { /* a plain secret would have crossed the wire unsealed */
        lat_secret_value_fini(out);
        st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                           "secrets backend '%s' sent a secret without sealing it", c->backend);
      }
    } else if ((st = lat_nkey_from_public(rx, strlen(rx), &sender, err)) == LAT_OK) {
      lat_error_t e2;
      if (lat_xkey_open(&eph, &sender, r.data, r.len, &plain, &e2))
        st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                           "secrets backend '%s' sent a reply that does not open: %s", c->backend,
                           e2.msg);
      else
        st = response(c, req->key, plain.data, plain.len, out, err);
      lat_nkey_fini(&sender);
    }
  }
  if (plain.data) sodium_memzero(plain.data, plain.len);
  lat_buf_fini(&plain);
  lat_buf_fini(&sealed);
  lat_lattice_headers_fini(&rh);
  lat_lattice_reply_fini(&r);
  lat_nkey_fini(&eph);
  sodium_memzero(text, strlen(text));
  free(text);
  return st;
}
