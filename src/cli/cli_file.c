/* cli_file.c: one answer, for every command, to "what is this file?".
 *
 * The kinds are told apart by their first bytes: the \0asm magic with the
 * component layer (lat_component_is_component) or without it; text whose
 * first form (after whitespace and comments) is `(module`, `(component` or
 * a module field is WAT, one that starts with a script command
 * (`assert_return`, `register`, ...) is a WAST script; three base64url
 * segments starting "eyJ" are a JWT.  Anything else is refused here with
 * what it looks like, instead of reaching a parser that would report
 * `unexpected token` at offset 0 of a PNG.
 *
 * A binary with the magic and an unknown version is still CORE: the
 * decoder's message ("unknown binary version" at offset 4) is the precise
 * one. */
#include <string.h>

#include "../component/component.h"
#include "cli.h"

static const char *skip_space(const char *p, const char *end) {
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (end - p >= 2 && p[0] == ';' && p[1] == ';') {
      while (p < end && *p != '\n') p++;
    } else if (end - p >= 2 && p[0] == '(' && p[1] == ';') {
      int depth = 1;
      p += 2;
      while (p < end && depth) {
        if (end - p >= 2 && p[0] == '(' && p[1] == ';') depth++, p += 2;
        else if (end - p >= 2 && p[0] == ';' && p[1] == ')') depth--, p += 2;
        else p++;
      }
    } else {
      return p;
    }
  }
}

/* ---- a light s-expression walk over WAT/WAST text -------------------------------------- */

/* Calls fn for every form opened at depth 1 or 2 ("(module", then its
 * fields), with the offset of its '(' and its keyword; strings and comments
 * are skipped.  fn returns false to stop.  For a field, *has_import is set
 * when one of its immediate children is `(import ...)` (an inline import). */
typedef bool (*form_fn)(void *env, int depth, const char *kw, size_t kwlen, size_t at,
                        const bool *has_import);

static void walk_forms(const char *t, size_t len, form_fn fn, void *env) {
  int depth = 0;
  size_t i = 0;
  /* the field (depth 2) being read, reported when it closes so that
   * has_import is known */
  const char *fkw = NULL;
  size_t fkwlen = 0, fat = 0;
  bool fimport = false;
  while (i < len) {
    char c = t[i];
    if (c == ';' && i + 1 < len && t[i + 1] == ';') {
      while (i < len && t[i] != '\n') i++;
    } else if (c == '(' && i + 1 < len && t[i + 1] == ';') {
      int d = 1;
      i += 2;
      while (i < len && d) {
        if (i + 1 < len && t[i] == '(' && t[i + 1] == ';') d++, i += 2;
        else if (i + 1 < len && t[i] == ';' && t[i + 1] == ')') d--, i += 2;
        else i++;
      }
    } else if (c == '"') {
      for (i++; i < len && t[i] != '"'; i++)
        if (t[i] == '\\') i++;
      i++;
    } else if (c == '(') {
      size_t at = i++;
      depth++;
      i = (size_t)(skip_space(t + i, t + len) - t); /* comments may precede the keyword */
      size_t k = i;
      while (k < len && ((t[k] >= 'a' && t[k] <= 'z') || t[k] == '_' || t[k] == '.' ||
                         (t[k] >= '0' && t[k] <= '9')))
        k++;
      if (depth == 1 && !fn(env, 1, t + i, k - i, at, NULL)) return;
      if (depth == 2) {
        fkw = t + i;
        fkwlen = k - i;
        fat = at;
        fimport = false;
      }
      if (depth == 3 && k - i == 6 && !memcmp(t + i, "import", 6)) fimport = true;
    } else if (c == ')') {
      if (depth == 2 && fkw && !fn(env, 2, fkw, fkwlen, fat, &fimport)) return;
      if (depth > 0) depth--;
      i++;
    } else {
      i++;
    }
  }
}

typedef struct {
  int top_forms, modules;
  bool script;
} shape_t;

static bool shape_form(void *env, int depth, const char *kw, size_t kwlen, size_t at,
                       const bool *has_import) {
  shape_t *sh = env;
  (void)at;
  (void)has_import;
  if (depth != 1) return true;
  static const char *const script[] = {"assert_", "register", "invoke", "get", "input",
                                       "output", "script"};
  for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
    size_t n = strlen(script[i]);
    if (kwlen >= n && !memcmp(kw, script[i], n)) sh->script = true;
  }
  sh->top_forms++;
  if (kwlen == 6 && !memcmp(kw, "module", 6)) sh->modules++;
  return !sh->script;
}

/* Text up to the first form: no control bytes but whitespace (comments
 * later on may hold any bytes: the spec's comments.wast has NULs in one). */
static bool is_text(const uint8_t *d, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (d[i] < 0x20 && d[i] != '\n' && d[i] != '\r' && d[i] != '\t') return false;
  return true;
}

static bool is_jwt(const uint8_t *d, size_t len) {
  while (len && (d[len - 1] == '\n' || d[len - 1] == '\r' || d[len - 1] == ' ')) len--;
  if (len < 10 || memcmp(d, "eyJ", 3)) return false;
  int dots = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = d[i];
    if (c == '.') dots++;
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '='))
      return false;
  }
  return dots == 2;
}

lat_cli_file_kind lat_cli_detect(const uint8_t *data, size_t len) {
  if (len == 0) return LAT_CLI_FILE_EMPTY;
  if (len >= 4 && !memcmp(data, "\0asm", 4))
    return lat_component_is_component(data, len) ? LAT_CLI_FILE_COMPONENT : LAT_CLI_FILE_CORE;
  if (is_jwt(data, len)) return LAT_CLI_FILE_JWT;
  const char *p = skip_space((const char *)data, (const char *)data + len);
  const char *end = (const char *)data + len;
  if (!is_text(data, (size_t)(p - (const char *)data))) return LAT_CLI_FILE_UNKNOWN;
  if (p == end) return LAT_CLI_FILE_EMPTY;
  if (*p != '(') return LAT_CLI_FILE_UNKNOWN;
  /* a script: a command at the top level, or more than one module */
  shape_t sh = {0, 0, false};
  walk_forms((const char *)data, len, shape_form, &sh);
  if (sh.script || sh.modules > 1) return LAT_CLI_FILE_WAST;
  p = skip_space(p + 1, end);
  if (end - p >= 1 && *p >= 'a' && *p <= 'z') return LAT_CLI_FILE_WAT;
  return LAT_CLI_FILE_UNKNOWN;
}

const char *lat_cli_file_kind_name(lat_cli_file_kind k) {
  switch (k) {
    case LAT_CLI_FILE_EMPTY: return "an empty file";
    case LAT_CLI_FILE_CORE: return "a core module";
    case LAT_CLI_FILE_COMPONENT: return "a component";
    case LAT_CLI_FILE_WAT: return "WAT text";
    case LAT_CLI_FILE_WAST: return "a WAST script";
    case LAT_CLI_FILE_JWT: return "a JSON Web Token";
    case LAT_CLI_FILE_UNKNOWN: break;
  }
  return "not WebAssembly (no \\0asm magic, and not WAT text)";
}

/* ---- where in the text a validation error is ------------------------------------------ */

/* Index (among defined functions) of the body holding binary offset off, or
 * -1 when off is not in the code section. */
static long body_at(const uint8_t *bin, size_t len, size_t off) {
  lat_reader_t r = {bin, bin + 8, bin + len};
  while (len >= 8 && lat_reader_left(&r)) {
    uint8_t id;
    uint32_t size;
    const uint8_t *sec;
    if (lat_read_u8(&r, &id, NULL) || lat_read_u32(&r, &size, NULL) ||
        lat_read_bytes(&r, size, &sec, NULL))
      return -1;
    if (id != 10) continue;
    lat_reader_t c = {bin, sec, sec + size};
    uint32_t count;
    if (lat_read_u32(&c, &count, NULL)) return -1;
    for (uint32_t k = 0; k < count; k++) {
      uint32_t bl;
      const uint8_t *body;
      if (lat_read_u32(&c, &bl, NULL) || lat_read_bytes(&c, bl, &body, NULL)) return -1;
      if (off >= (size_t)(body - bin) && off < (size_t)(body - bin) + bl) return (long)k;
    }
    return -1;
  }
  return -1;
}

typedef struct {
  long want, seen;  /* the defined function wanted; defined ones met so far */
  int field_depth;  /* 2 inside (module ...), 1 for a bare list of fields */
  size_t at;        /* offset of its '(' when found */
  bool found;
} func_find_t;

static bool find_func(void *env, int depth, const char *kw, size_t kwlen, size_t at,
                      const bool *has_import) {
  func_find_t *f = env;
  if (depth == 1 && !f->field_depth)
    f->field_depth = kwlen == 6 && !memcmp(kw, "module", 6) ? 2 : 1;
  if (depth != f->field_depth || kwlen != 4 || memcmp(kw, "func", 4)) return true;
  if (has_import && *has_import) return true; /* (func (import ...)): not a body */
  if (f->seen++ == f->want) {
    f->at = at;
    f->found = true;
    return false;
  }
  return true;
}

/* Rewrites a validation error of a module compiled from text: its offset is
 * into a binary the user never saw, so name the function's line:column. */
static void locate_in_text(const char *text, size_t tlen, const lat_buf_t *bin, lat_error_t *err) {
  char msg[sizeof err->msg];
  memcpy(msg, err->msg, sizeof msg);
  long k = body_at(bin->data, bin->len, err->offset);
  func_find_t f = {k, 0, 0, 0, false};
  if (k >= 0) walk_forms(text, tlen, find_func, &f);
  if (f.found) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < f.at; i++) {
      if (text[i] == '\n') line++, col = 1;
      else col++;
    }
    lat_error_set(err, err->code, SIZE_MAX, "%.180s, in the function at line %zu:%zu (byte %zu "
                  "of the binary compiled from the text)", msg, line, col, err->offset);
  } else {
    lat_error_set(err, err->code, SIZE_MAX, "%.200s (at byte %zu of the binary compiled from "
                  "the text)", msg, err->offset);
  }
}

static void wanted(unsigned accept, char *buf, size_t cap) {
  static const char *const names[] = {NULL, "a core module", "a component", "WAT text",
                                      "a WAST script", "a JSON Web Token"};
  size_t n = 0;
  buf[0] = '\0';
  int count = 0, total = 0;
  for (int k = LAT_CLI_FILE_CORE; k <= LAT_CLI_FILE_JWT; k++) total += !!(accept & (1u << k));
  for (int k = LAT_CLI_FILE_CORE; k <= LAT_CLI_FILE_JWT && n < cap; k++) {
    if (!(accept & (1u << k))) continue;
    count++;
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", count == 1 ? "" : count == total ? " or " : ", ",
                          names[k]);
  }
}

lat_status lat_cli_read(const char *path, unsigned accept, uint8_t **out_data, size_t *out_len,
                        lat_cli_file_kind *out_kind, lat_error_t *err) {
  uint8_t *data;
  size_t len;
  lat_status s = lat_file_read(path, &data, &len, err);
  if (s) return s;
  lat_cli_file_kind k = lat_cli_detect(data, len);
  if (!(accept & (1u << k))) {
    char want[160];
    wanted(accept, want, sizeof want);
    lat_free(data);
    if (k == LAT_CLI_FILE_EMPTY || k == LAT_CLI_FILE_UNKNOWN)
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "%s; want %s", lat_cli_file_kind_name(k),
                           want);
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "this is %s; want %s",
                         lat_cli_file_kind_name(k), want);
  }
  *out_data = data;
  *out_len = len;
  if (out_kind) *out_kind = k;
  return LAT_OK;
}

lat_status lat_cli_load_module(const char *path, lat_wasm_module_t **out, lat_error_t *err) {
  return lat_cli_load_module_ex(path, NULL, out, err);
}

lat_status lat_cli_load_module_ex(const char *path, const lat_wasm_features_t *features,
                                  lat_wasm_module_t **out, lat_error_t *err) {
  uint8_t *data;
  size_t len;
  lat_cli_file_kind k;
  lat_status s = lat_cli_read(path, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) |
                                        LAT_CLI_ACCEPT(LAT_CLI_FILE_WAT),
                              &data, &len, &k, err);
  if (s) return s;
  if (k == LAT_CLI_FILE_WAT) {
    lat_buf_t b;
    lat_buf_init(&b);
    s = lat_wat_to_wasm((const char *)data, len, &b, err);
    if (!s) s = lat_wasm_module_new_ex(b.data, b.len, features, out, err);
    if (s && s != LAT_ETEXT && err && err->offset != SIZE_MAX)
      locate_in_text((const char *)data, len, &b, err);
    lat_free(data);
    lat_buf_fini(&b);
    return s;
  }
  s = lat_wasm_module_new_ex(data, len, features, out, err);
  lat_free(data);
  return s;
}
