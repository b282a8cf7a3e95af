/* `lattice provider [NAME]`: run a built-in capability provider, or list
 * them.  A host runs `wasmcloud+builtin://NAME` as this command, with the
 * provider's HostData on stdin (src/providers/builtin); a person runs it
 * for the list, or to try a provider by hand with HostData piped in. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../providers/builtin/providers_builtin.h"
#include "cli.h"

static const lat_cli_cmd_t cmd = {
    .name = "provider",
    .usage = "[OPTIONS] [NAME [ARGS...]]",
    .summary = "run a built-in capability provider (what a host runs for wasmcloud+builtin://NAME)",
    .details = "Without NAME, lists the built-in providers.  With NAME, runs it: it reads its\n"
               "HostData (one line of base64 JSON, PROTOCOL.md §5.1) from stdin, as a host\n"
               "gives it, and serves until the host asks it to shut down.  Start one on a\n"
               "lattice with `lattice start provider wasmcloud+builtin://NAME ID`.\n",
    .max_pos = 64,
    .pos_name = "provider",
    .examples = "  lattice provider\n  lattice provider -o json\n"
                "  lattice start provider wasmcloud+builtin://keyvalue-nats kv\n",
};

int lat_cli_provider(int argc, char **argv) {
  if (argc > 1 && argv[1][0] != '-') {
    const lat_builtin_provider_t *p = lat_builtin_provider_find(argv[1]);
    if (p) return p->main(argc - 1, argv + 1);
  }
  lat_cli_args_t a;
  int rc = lat_cli_parse(&cmd, argc, argv, &a);
  if (rc >= 0) goto out;
  if (a.npos > 0) {
    rc = lat_cli_fail(&a, 2, "no built-in provider named '%s' (`lattice provider` lists them)",
                      a.pos[0]);
    goto out;
  }
  size_t n;
  const lat_builtin_provider_t *t = lat_builtin_providers(&n);
  if (a.json) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
      json_array_append_new(arr, json_pack("{s:s,s:s+,s:s}", "name", t[i].name, "ref",
                                           "wasmcloud+builtin://", t[i].name, "summary",
                                           t[i].summary));
    json_t *o = json_pack("{s:b,s:o}", "success", 1, "providers", arr);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) printf("%s\n", s);
    free(s);
    json_decref(o);
    rc = s ? 0 : 1;
  } else {
    printf("wasmcloud+builtin://http-server   runs inside the host (its built-in HTTP server)\n");
    printf("wasmcloud+builtin://http-client   runs inside the host (outgoing HTTP for linked "
           "components; link config: allowed_hosts)\n");
    for (size_t i = 0; i < n; i++)
      printf("wasmcloud+builtin://%-14s %s\n", t[i].name, t[i].summary);
    rc = 0;
  }
out:
  lat_cli_args_fini(&a);
  return rc;
}
