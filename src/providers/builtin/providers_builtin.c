/* providers_builtin.c: the table of built-in providers (providers_builtin.h). */
#include <string.h>

#include "providers_builtin.h"

static const lat_builtin_provider_t table[] = {
    {"blobstore-fs", "wasi:blobstore on a folder per linked component (link config: root)",
     lat_builtin_blobstore_fs_main},
    {"keyvalue-nats", "wasi:keyvalue on NATS JetStream KV (link config: bucket, cluster_uri ...)",
     lat_builtin_keyvalue_nats_main},
    {"keyvalue-redis", "wasi:keyvalue on Redis (link config: URL)", lat_builtin_keyvalue_redis_main},
    {"messaging-nats", "wasmcloud:messaging over NATS (subscriptions to handlers, consumer)",
     lat_builtin_messaging_nats_main},
    {NULL, NULL, NULL} /* keeps the table non-empty; not listed */
};

const lat_builtin_provider_t *lat_builtin_providers(size_t *n) {
  *n = sizeof table / sizeof table[0] - 1;
  return table;
}

const lat_builtin_provider_t *lat_builtin_provider_find(const char *name) {
  size_t n;
  const lat_builtin_provider_t *t = lat_builtin_providers(&n);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(t[i].name, name)) return &t[i];
  return NULL;
}
