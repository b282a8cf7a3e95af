/* providers_builtin.h: the capability providers built into the `lattice`
 * executable.  Each is an ordinary provider program written on the SDK
 * (../sdk/providers_sdk.h) whose main is a function here; the host runs a
 * `wasmcloud+builtin://NAME` reference as the process `lattice provider
 * NAME` (HostData on stdin, as for any provider), so one binary carries
 * them all and a provider crash stays a process crash.
 *
 * A new provider: a file providers_builtin_NAME.c with its main, declared
 * below, and a row in providers_builtin.c's table. */
#ifndef LAT_PROVIDERS_BUILTIN_H
#define LAT_PROVIDERS_BUILTIN_H

#include <stddef.h>

typedef struct {
  const char *name;    /* wasmcloud+builtin://NAME */
  const char *summary; /* one line for `lattice provider` */
  int (*main)(int argc, char **argv); /* argv[0] is the name; exit code */
} lat_builtin_provider_t;

/* wasi:keyvalue over wRPC (providers_builtin_keyvalue*.c) */
int lat_builtin_keyvalue_nats_main(int argc, char **argv);
int lat_builtin_keyvalue_redis_main(int argc, char **argv);
/* wasi:blobstore over wRPC on the file system (providers_builtin_blobstore_fs.c) */
int lat_builtin_blobstore_fs_main(int argc, char **argv);
/* wasmcloud:messaging (providers_builtin_messaging_nats.c) */
int lat_builtin_messaging_nats_main(int argc, char **argv);

/* All of them, in the table's order. */
const lat_builtin_provider_t *lat_builtin_providers(size_t *n);
/* By name, or NULL. */
const lat_builtin_provider_t *lat_builtin_provider_find(const char *name);

#endif
