/* wrpc_raw: one wRPC call with bytes and headers chosen by the test.
 *
 *   wrpc_raw NATS_URL TARGET_ID INSTANCE FUNCTION PARAMS_HEX [KEY=VALUE]...
 *
 * Prints the result stream as hex (an empty line when the server closed it
 * empty: a refused or failed call), or `ERROR: reason` and exits 1 when
 * the call itself failed (nothing serves the subject, timeout).  The suite
 * uses it as a caller that is not a component: no link can vouch for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lattice/lattice.h"

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: wrpc_raw URL TARGET INSTANCE FUNCTION PARAMS_HEX [K=V]...\n");
    return 2;
  }
  size_t hl = strlen(argv[5]);
  uint8_t *params = malloc(hl / 2 + 1);
  if (!params || hl % 2) return 2;
  for (size_t i = 0; i < hl; i += 2) {
    unsigned v;
    if (sscanf(argv[5] + i, "%2x", &v) != 1) {
      free(params);
      return 2;
    }
    params[i / 2] = (uint8_t)v;
  }
  lat_lattice_header_t hdrs[8];
  size_t nh = 0;
  for (int i = 6; i < argc && nh < 8; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) return 2;
    *eq = 0;
    hdrs[nh++] = (lat_lattice_header_t){argv[i], eq + 1};
  }
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = argv[1];
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (lat_lattice_conn_new(&o, &c, NULL, &err)) {
    printf("ERROR: %s\n", err.msg);
    return 1;
  }
  lat_wrpc_invoke_opts_t io = {.headers = hdrs, .nheaders = nh, .timeout_ms = 5000};
  lat_lattice_reply_t r = {0};
  lat_status st = lat_wrpc_invoke(c, "default", argv[2], argv[3], argv[4], params, hl / 2, &io, &r,
                                  &err);
  int rc = 0;
  if (st) {
    printf("ERROR: %s\n", err.msg);
    rc = 1;
  } else {
    for (size_t i = 0; i < r.len; i++) printf("%02x", r.data[i]);
    printf("\n");
  }
  lat_lattice_reply_fini(&r);
  free(params);
  lat_lattice_conn_free(c);
  lat_lattice_library_close(2000);
  return rc;
}
