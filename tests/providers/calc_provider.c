/* calc_provider: a capability provider built with the SDK, for
 * tests/lattice/providers.sh.  Exports test:calc/ops@0.1.0 greet(string)
 * -> string over wRPC ("hello, NAME (from the provider)"), logs the
 * HostData fields it got (has_seed=0: the SDK wiped the xkey seed) and
 * every link put/del on stderr (which the host puts in its log), and exits
 * when the host asks it to shut down, unless its config says
 * ignore_shutdown=1 (then it waits for a signal: the host's SIGTERM path).
 * Secrets (tests/lattice/secrets.sh): it logs each startup secret
 * (HostData `secrets`) and each link secret the SDK opened as its name and
 * the SHA-256 of its value, never the value. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "providers/sdk/providers_sdk.h"

/* The wRPC encoding of one string: LEB128 length, then the bytes. */
static lat_status greet(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                        lat_error_t *err) {
  (void)ctx;
  uint64_t n = 0;
  size_t i = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (i >= req->len || shift > 28)
      return lat_error_set(err, LAT_EMALFORMED, i, "bad string length");
    uint8_t b = req->params[i++];
    n |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (n != req->len - i) return lat_error_set(err, LAT_EMALFORMED, i, "bad string");
  char out[1024];
  int len = snprintf(out, sizeof out, "hello, %.*s (from the provider)", (int)(n > 900 ? 900 : n),
                     (const char *)req->params + i);
  lat_status st = lat_buf_write_uleb(results, (uint64_t)len);
  if (!st) st = lat_buf_append(results, out, (size_t)len);
  return st;
}

/* "WHAT NAME kind=K sha256=HEX" for each secret of an object name -> SecretValue. */
static void log_secrets(const char *what, json_t *secrets) {
  const char *k;
  json_t *v;
  json_object_foreach(secrets, k, v) {
    json_t *val = json_object_get(v, "value");
    unsigned char h[32];
    char hex[65];
    if (json_is_string(val)) {
      crypto_hash_sha256(h, (const unsigned char *)json_string_value(val), json_string_length(val));
    } else {
      size_t n = json_array_size(val);
      unsigned char buf[4096];
      for (size_t i = 0; i < n && i < sizeof buf; i++)
        buf[i] = (unsigned char)json_integer_value(json_array_get(val, i));
      crypto_hash_sha256(h, buf, n < sizeof buf ? n : sizeof buf);
    }
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    fprintf(stderr, "%s %s kind=%s sha256=%s\n", what, k,
            json_string_value(json_object_get(v, "kind")), hex);
  }
}

static void link_put(void *ctx, const lat_provider_link_t *l) {
  (void)ctx;
  log_secrets("link secret", l->secrets);
  fprintf(stderr,
          "link put source=%s target=%s name=%s %s:%s as_source=%d "
          "config_keys=%zu\n",
          l->source_id, l->target, l->name, l->wit_namespace, l->wit_package, l->as_source,
          json_object_size(l->config));
}

static void link_del(void *ctx, const lat_provider_link_t *l) {
  (void)ctx;
  fprintf(stderr, "link del source=%s target=%s name=%s\n", l->source_id, l->target, l->name);
}

static void config_update(void *ctx, json_t *config) {
  (void)ctx;
  const char *k;
  json_t *v;
  json_object_foreach(config, k, v)
      fprintf(stderr, "config update %s=%s\n", k, json_string_value(v) ? json_string_value(v) : "");
}

int main(void) {
  setvbuf(stderr, NULL, _IOLBF, 0);
  lat_provider_opts_t o = {
      .on_link_put = link_put, .on_link_del = link_del, .on_config_update = config_update};
  lat_provider_t *p;
  lat_error_t err;
  lat_error_clear(&err);
  if (lat_provider_new(&o, &p, &err)) {
    fprintf(stderr, "calc_provider: %s\n", err.msg);
    return 1;
  }
  json_t *hd = lat_provider_host_data(p);
  fprintf(stderr,
          "hostdata provider_key=%s host_id=%s lattice=%s link_name=%s "
          "instance_id=%s "
          "rpc_url=%s host_xkey=%s has_seed=%d timeout_ms=%lld links=%zu\n",
          lat_provider_id(p), lat_provider_host_id(p), lat_provider_lattice(p),
          json_string_value(json_object_get(hd, "link_name")),
          json_string_value(json_object_get(hd, "instance_id")),
          json_string_value(json_object_get(hd, "lattice_rpc_url")),
          json_string_value(json_object_get(hd, "host_xkey_public_key")),
          json_object_get(hd, "provider_xkey_private_key") != NULL,
          (long long)json_integer_value(json_object_get(hd, "default_rpc_timeout_ms")),
          json_array_size(json_object_get(hd, "link_definitions")));
  log_secrets("startup secret", json_object_get(hd, "secrets"));
  if (lat_provider_serve(p, "test:calc/ops@0.1.0", "greet", greet, NULL, &err)) {
    fprintf(stderr, "calc_provider: %s\n", err.msg);
    lat_provider_free(p);
    return 1;
  }
  fprintf(stderr, "serving test:calc/ops@0.1.0 greet\n");
  lat_provider_wait(p);
  const char *ign = lat_provider_config(p, "ignore_shutdown");
  if (ign && !strcmp(ign, "1")) {
    fprintf(stderr, "ignoring the shutdown request\n");
    for (;;) pause();
  }
  fprintf(stderr, "shutting down\n");
  lat_provider_free(p);
  lat_lattice_library_close(2000);
  return 0;
}
