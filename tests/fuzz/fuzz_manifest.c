/* Fuzz target: OAM manifests (YAML or JSON) through the manager's parser
 * and validator, the bytes a `model.put` request carries.
 *
 * Any status is fine.  A finding is a crash, a sanitizer report, a leak,
 * LAT_OK without a manifest or with errors, LAT_EINVALID without an error
 * (every refusal must say why), or a position beyond the input.
 * An accepted manifest must survive its own JSON form: re-parsing the
 * model's JSON must be accepted too (what the store keeps must load). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "manager/manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 16)) return 0; /* the caps are tested elsewhere; keep runs fast */
  /* YAML breaks lines at LF, CR, CRLF and (1.1) NEL, LS, PS: a position is
   * at most one line per byte past the first */
  size_t lines = size + 1;
  lat_manager_manifest_t *m = NULL;
  lat_manager_diags_t d;
  memset(&d, 0, sizeof d);
  lat_status st = lat_manager_manifest_parse((const char *)data, size, &m, &d);
  if (st == LAT_OK && (!m || d.errors)) __builtin_trap();
  if (st == LAT_EINVALID && (m || !d.errors)) __builtin_trap();
  for (size_t i = 0; i < d.count; i++)
    if (d.items[i].line < 0 || (size_t)d.items[i].line > lines + 1 || d.items[i].column < 0 ||
        (size_t)d.items[i].column > size + 2)
      __builtin_trap();
  if (st == LAT_OK) {
    char *text = json_dumps(m->json, JSON_COMPACT);
    if (text) {
      lat_manager_manifest_t *m2 = NULL;
      lat_manager_diags_t d2;
      memset(&d2, 0, sizeof d2);
      if (lat_manager_manifest_parse(text, strlen(text), &m2, &d2) != LAT_OK) __builtin_trap();
      lat_manager_manifest_free(m2);
      lat_manager_diags_fini(&d2);
      free(text);
    }
  }
  lat_manager_manifest_free(m);
  lat_manager_diags_fini(&d);
  return 0;
}
