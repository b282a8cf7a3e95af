/* cli_inspect.c: `lattice inspect FILE`, what a file is and what it needs:
 * for a component its imports and exports with their WIT types (every
 * function of an exported or imported interface, the form `lattice call`
 * takes), for a core module its imports and exports with their core types;
 * then embedded claims (shown even when they fail verification, with the
 * reason) and the producers custom section (toolchains that made it).
 *
 * The producers section is read here from the raw bytes (top level, then
 * each core module of a component) rather than by the decoders, which skip
 * custom sections they do not use; base's bounds-checked reader checks
 * every length.  Rejected: printing lat_component_print_world alone: it
 * names imported and exported interfaces but not their functions, which is
 * what a user needs to call one. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../component/component.h"
#include "cli.h"

/* ---- producers ---------------------------------------------------------------------- */

static bool rd_name(lat_reader_t *r, const char **s, size_t *n) {
  uint32_t len;
  const uint8_t *p;
  if (lat_read_u32(r, &len, NULL) || lat_read_bytes(r, len, &p, NULL)) return false;
  *s = (const char *)p;
  *n = len;
  return true;
}

/* Adds the fields of a producers section body to obj ({"language": ["C 14"], ...}). */
static void read_producers(lat_reader_t r, json_t *obj) {
  uint32_t nfields;
  if (lat_read_u32(&r, &nfields, NULL)) return;
  for (uint32_t f = 0; f < nfields && f < 64; f++) {
    const char *fname, *name, *ver;
    size_t fl, nl, vl;
    uint32_t nvals;
    if (!rd_name(&r, &fname, &fl) || lat_read_u32(&r, &nvals, NULL)) return;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(fl < 60 ? fl : 60), fname);
    json_t *arr = json_object_get(obj, key);
    if (!arr) {
      arr = json_array();
      json_object_set_new(obj, key, arr);
    }
    for (uint32_t v = 0; v < nvals && v < 256; v++) {
      if (!rd_name(&r, &name, &nl) || !rd_name(&r, &ver, &vl)) return;
      char item[300];
      snprintf(item, sizeof item, "%.*s%s%.*s", (int)(nl < 140 ? nl : 140), name, vl ? " " : "",
               (int)(vl < 140 ? vl : 140), ver);
      bool dup = false;
      for (size_t k = 0; k < json_array_size(arr); k++)
        dup |= !strcmp(json_string_value(json_array_get(arr, k)), item);
      if (!dup) json_array_append_new(arr, json_string(item));
    }
  }
}

/* Walks the top-level sections of a module or component binary. */
static void find_producers(const uint8_t *data, size_t len, json_t *obj) {
  if (len < 8) return;
  lat_reader_t r = {data, data + 8, data + len};
  while (lat_reader_left(&r)) {
    uint8_t id;
    uint32_t size;
    const uint8_t *body;
    if (lat_read_u8(&r, &id, NULL) || lat_read_u32(&r, &size, NULL) ||
        lat_read_bytes(&r, size, &body, NULL))
      return;
    if (id != 0) continue;
    lat_reader_t sec = {data, body, body + size};
    const char *name;
    size_t nl;
    if (rd_name(&sec, &name, &nl) && nl == 9 && !memcmp(name, "producers", 9))
      read_producers(sec, obj);
  }
}

/* ---- listing -------------------------------------------------------------------------- */

static const char *sort_name(lat_csort_t s) {
  switch (s) {
    case LAT_CSORT_FUNC: return "func";
    case LAT_CSORT_TYPE: return "type";
    case LAT_CSORT_INSTANCE: return "interface";
    case LAT_CSORT_COMPONENT: return "component";
    case LAT_CSORT_CORE_MODULE: return "core module";
    case LAT_CSORT_VALUE: return "value";
    default: return "item";
  }
}

static char *type_text(const lat_ctype_t *t) {
  lat_buf_t b;
  lat_buf_init(&b);
  if (!t || lat_ctype_print(t, &b) || lat_buf_push(&b, 0)) {
    lat_buf_fini(&b);
    return NULL;
  }
  return (char *)b.data;
}

/* One import or export: {"name","kind","functions":[{"name","type"}]} or
 * {"name","kind":"func","type"}. */
static json_t *describe(const lat_cextern_t *e) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(e->name.full));
  json_object_set_new(o, "kind", json_string(sort_name(e->sort)));
  if (e->sort == LAT_CSORT_FUNC) {
    char *t = type_text(e->type);
    json_object_set_new(o, "type", t ? json_string(t) : json_null());
    lat_free(t);
  } else if (e->sort == LAT_CSORT_INSTANCE && e->type) {
    json_t *fns = json_array();
    for (uint32_t k = 0; k < e->type->n; k++) {
      const lat_cextern_t *d = &e->type->u.decls[k];
      if (d->sort != LAT_CSORT_FUNC) continue;
      json_t *f = json_object();
      char *t = type_text(d->type);
      json_object_set_new(f, "name", json_string(d->name.full));
      json_object_set_new(f, "type", t ? json_string(t) : json_null());
      lat_free(t);
      json_array_append_new(fns, f);
    }
    json_object_set_new(o, "functions", fns);
  }
  return o;
}

static json_t *describe_component(const lat_component_t *c, json_t **out_exports) {
  json_t *imports = json_array(), *exports = json_array();
  for (uint32_t i = 0; i < lat_component_import_count(c); i++)
    json_array_append_new(imports, describe(lat_component_import(c, i)));
  for (uint32_t i = 0; i < lat_component_export_count(c); i++)
    json_array_append_new(exports, describe(lat_component_export(c, i)));
  *out_exports = exports;
  return imports;
}

static void functype_text(const lat_wasm_functype_t *ft, char *buf, size_t cap) {
  size_t n = (size_t)snprintf(buf, cap, "func(");
  for (uint32_t i = 0; i < ft->nparams && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
                          lat_wasm_valtype_name(ft->params[i]));
  if (n < cap) n += (size_t)snprintf(buf + n, cap - n, ")");
  if (ft->nresults && n < cap) n += (size_t)snprintf(buf + n, cap - n, " -> ");
  for (uint32_t i = 0; i < ft->nresults && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
                          lat_wasm_valtype_name(ft->results[i]));
}

static const char *extern_kind(uint8_t k) {
  switch (k) {
    case LAT_EXTERN_FUNC: return "func";
    case LAT_EXTERN_TABLE: return "table";
    case LAT_EXTERN_MEMORY: return "memory";
    case LAT_EXTERN_GLOBAL: return "global";
    default: return "tag";
  }
}

static json_t *describe_module(const lat_wasm_module_t *m, json_t **out_exports) {
  json_t *imports = json_array(), *exports = json_array();
  char t[512];
  for (uint32_t i = 0; i < lat_wasm_module_import_count(m); i++) {
    lat_wasm_import_t im;
    lat_wasm_module_import(m, i, &im);
    json_t *o = json_object();
    char name[600];
    snprintf(name, sizeof name, "%.*s.%.*s", (int)im.module_len, im.module, (int)im.name_len,
             im.name);
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "kind", json_string(extern_kind(im.kind)));
    if (im.kind == LAT_EXTERN_FUNC) {
      functype_text(im.type.func, t, sizeof t);
      json_object_set_new(o, "type", json_string(t));
    }
    json_array_append_new(imports, o);
  }
  for (uint32_t i = 0; i < lat_wasm_module_export_count(m); i++) {
    lat_wasm_export_t ex;
    lat_wasm_module_export(m, i, &ex);
    json_t *o = json_object();
    json_object_set_new(o, "name", json_stringn(ex.name, ex.name_len));
    json_object_set_new(o, "kind", json_string(extern_kind(ex.kind)));
    if (ex.kind == LAT_EXTERN_FUNC) {
      functype_text(ex.type.func, t, sizeof t);
      json_object_set_new(o, "type", json_string(t));
    }
    json_array_append_new(exports, o);
  }
  *out_exports = exports;
  return imports;
}

static json_t *describe_claims(const uint8_t *data, size_t len) {
  lat_claims_t c;
  lat_crypto_reason r;
  lat_error_t err;
  lat_error_clear(&err);
  bool read;
  lat_claims_policy_t pol = {.require_signed = true, .time = {.now = (int64_t)time(NULL)}};
  lat_status s = lat__cli_claims_read(data, len, false, &pol, &c, &r, &err, &read);
  if (r == LAT_CR_UNSIGNED) return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "valid", json_boolean(!s));
  if (s) {
    json_object_set_new(o, "reason", json_string(lat_crypto_reason_name(r)));
    json_object_set_new(o, "error", json_string(err.msg));
  }
  if (read) lat__cli_claims_json(&c, o);
  lat_claims_fini(&c);
  return o;
}

/* ---- text output ------------------------------------------------------------------------- */

static void print_list(const char *title, json_t *arr) {
  printf("%s (%zu):\n", title, json_array_size(arr));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *o = json_array_get(arr, i);
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    json_t *type = json_object_get(o, "type"), *fns = json_object_get(o, "functions");
    if (json_is_string(type)) printf("  %s: %s\n", name, json_string_value(type));
    else printf("  %s (%s)\n", name, kind);
    for (size_t k = 0; k < json_array_size(fns); k++) {
      json_t *f = json_array_get(fns, k);
      printf("    %s#%s: %s\n", name, json_string_value(json_object_get(f, "name")),
             json_is_string(json_object_get(f, "type"))
                 ? json_string_value(json_object_get(f, "type")) : "?");
    }
  }
}

static void print_text(json_t *j) {
  printf("%s: %s\n", json_string_value(json_object_get(j, "file")),
         json_string_value(json_object_get(j, "kind")));
  print_list("Imports", json_object_get(j, "imports"));
  print_list("Exports", json_object_get(j, "exports"));
  json_t *c = json_object_get(j, "claims");
  if (json_is_object(c)) {
    printf("Claims: %s, account %s, component %s",
           json_is_string(json_object_get(c, "name")) ? json_string_value(json_object_get(c, "name"))
                                                       : "(no name)",
           json_is_string(json_object_get(c, "account"))
               ? json_string_value(json_object_get(c, "account")) : "?",
           json_is_string(json_object_get(c, "component"))
               ? json_string_value(json_object_get(c, "component")) : "?");
    if (json_is_true(json_object_get(c, "valid"))) printf(" (verified)\n");
    else printf(" (NOT VALID: %s)\n", json_string_value(json_object_get(c, "error")));
  } else {
    printf("Claims: none (not signed)\n");
  }
  json_t *p = json_object_get(j, "producers");
  if (json_object_size(p)) {
    printf("Producers:\n");
    const char *key;
    json_t *vals;
    json_object_foreach(p, key, vals) {
      printf("  %-14s", key);
      for (size_t i = 0; i < json_array_size(vals); i++)
        printf("%s%s", i ? ", " : "", json_string_value(json_array_get(vals, i)));
      printf("\n");
    }
  }
}

/* ---- the command ---------------------------------------------------------------------- */

static const lat_cli_cmd_t inspect_cmd = {
    .name = "inspect",
    .usage = "[OPTIONS] FILE",
    .summary = "show a file's imports, exports (with WIT types), claims and producers",
    .details =
        "FILE is a component, a core module or WAT text.  A component's interface\n"
        "functions are listed as `iface#name: func(...)`, the names `lattice call` takes.\n",
    .examples = "  lattice inspect build/examples/hello.component.wasm\n"
                "  lattice inspect build/examples/greet.component.wasm -o json\n"
                "  lattice inspect examples/fib.wat\n",
    .exit_status = "0 ok, 1 the file cannot be read or decoded, 2 usage error.",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "FILE",
};

int lat_cli_inspect(int argc, char **argv) {
  lat_cli_args_t a;
  int rc = lat_cli_parse(&inspect_cmd, argc, argv, &a);
  if (rc >= 0) {
    lat_cli_args_fini(&a);
    return rc;
  }
  const char *file = a.pos[0];
  uint8_t *data = NULL;
  size_t len = 0;
  lat_cli_file_kind k;
  lat_error_t err;
  lat_error_clear(&err);
  lat_component_t *c = NULL;
  lat_wasm_module_t *m = NULL;
  json_t *j = NULL;
  rc = 1;
  if (lat_cli_read(file, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) | LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT) |
                             LAT_CLI_ACCEPT(LAT_CLI_FILE_WAT),
                   &data, &len, &k, &err)) {
    lat_cli_fail(&a, 1, "%s: %s", file, err.msg);
    goto out;
  }
  json_t *imports, *exports;
  if (k == LAT_CLI_FILE_COMPONENT) {
    if (lat_component_new(data, len, NULL, &c, &err)) {
      lat_cli_fail_err(&a, 1, file, &err);
      goto out;
    }
    imports = describe_component(c, &exports);
  } else {
    if (lat_cli_load_module(file, &m, &err)) {
      lat_cli_fail_err(&a, 1, file, &err);
      goto out;
    }
    imports = describe_module(m, &exports);
  }
  j = json_object();
  json_object_set_new(j, "success", json_true());
  json_object_set_new(j, "file", json_string(file));
  json_object_set_new(j, "kind", json_string(k == LAT_CLI_FILE_COMPONENT ? "component"
                                             : k == LAT_CLI_FILE_WAT     ? "core module (WAT text)"
                                                                         : "core module"));
  json_object_set_new(j, "size", json_integer((json_int_t)len));
  json_object_set_new(j, "imports", imports);
  json_object_set_new(j, "exports", exports);
  json_object_set_new(j, "claims", k == LAT_CLI_FILE_WAT ? json_null() : describe_claims(data, len));
  json_t *prod = json_object();
  if (k != LAT_CLI_FILE_WAT) find_producers(data, len, prod);
  for (uint32_t i = 0; c && i < lat_component_core_module_count(c); i++) {
    size_t ml;
    const uint8_t *mb = lat_component_core_module_bytes(c, i, &ml);
    if (mb) find_producers(mb, ml, prod);
  }
  json_object_set_new(j, "producers", prod);
  if (a.json) {
    lat_cli_json_print(j);
    j = NULL;
  } else {
    print_text(j);
  }
  rc = 0;
out:
  json_decref(j);
  lat_component_free(c);
  lat_wasm_module_release(m);
  lat_free(data);
  lat_cli_args_fini(&a);
  return rc;
}
