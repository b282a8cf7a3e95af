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
  size_t probe = len < 65536 ? len : 65536;
  if (!is_text(data, probe)) return LAT_CLI_FILE_UNKNOWN;
  const char *p = skip_space((const char *)data, (const char *)data + len);
  const char *end = (const char *)data + len;
  if (p == end) return LAT_CLI_FILE_EMPTY;
  if (*p != '(') return LAT_CLI_FILE_UNKNOWN;
  p++;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  static const char *const script[] = {"assert_", "register", "invoke", "get", "input", "output",
                                       "script"};
  for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
    size_t n = strlen(script[i]);
    if ((size_t)(end - p) >= n && !memcmp(p, script[i], n)) return LAT_CLI_FILE_WAST;
  }
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
    lat_free(data);
    if (!s) s = lat_wasm_module_new(b.data, b.len, out, err);
    if (s && s != LAT_ETEXT && err) {
      /* the offset is into the binary the text became, which the user never
       * saw: say so rather than point into their file */
      char msg[sizeof err->msg];
      memcpy(msg, err->msg, sizeof msg);
      lat_error_set(err, s, SIZE_MAX, "%.200s (at byte %zu of the binary compiled from the text)",
                    msg, err->offset);
    }
    lat_buf_fini(&b);
    return s;
  }
  s = lat_wasm_module_new(data, len, out, err);
  lat_free(data);
  return s;
}
