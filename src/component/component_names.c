/* component_names.c: import/export names of the Component Model.
 *
 * Approach: one hand-written scanner per production of the Explainer's
 * lexical grammar (label, words, interfacename, SemVer 2.0), each working on
 * (pointer, length) with no NUL assumptions, so names straight from a binary
 * need no copy before they are checked.  A parsed name (lat_cname_t) keeps
 * arena copies of its parts so callers can compare namespaces, packages and
 * versions without re-parsing.
 *
 * Version matching (lat_cname_version_compatible) follows the Explainer's
 * canonical-version rule (0.2.1 and 0.2.6 both canonicalise to 0.2): a host
 * interface satisfies an import when both canonicalise to the same version;
 * the function-level type check decides the rest.  Rejected: exact string
 * matching (real components import a mix of 0.2.10 and 0.2.12 WASI
 * interfaces) and "any higher version" (a 1.x host cannot serve 0.x).
 */
#include <string.h>

#include "component_int.h"

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool lat_clabel_valid(const char *s, size_t len) {
  if (len == 0) return false;
  size_t i = 0;
  bool first = true;
  for (;;) {
    /* one fragment: all [0-9a-z] or all [0-9A-Z]; the first starts with a
     * letter */
    size_t start = i;
    int cls = 0; /* 0 unknown, 1 lower, 2 upper */
    if (first && !(is_lower(s[i]) || is_upper(s[i]))) return false;
    while (i < len && s[i] != '-') {
      char c = s[i];
      if (is_lower(c)) {
        if (cls == 2) return false;
        cls = 1;
      } else if (is_upper(c)) {
        if (cls == 1) return false;
        cls = 2;
      } else if (!is_digit(c)) {
        return false;
      }
      i++;
    }
    if (i == start) return false; /* empty fragment */
    if (i == len) return true;
    i++; /* '-' */
    if (i == len) return false; /* trailing '-' */
    first = false;
  }
}

/* words ::= first-word ('-' word)*, first-word [a-z][0-9a-z]*, word [0-9a-z]+ */
static bool words_valid(const char *s, size_t len) {
  if (len == 0 || !is_lower(s[0])) return false;
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && s[i] != '-') {
      if (!is_lower(s[i]) && !is_digit(s[i])) return false;
      i++;
    }
    if (i == start) return false;
    if (i == len) return true;
    i++;
    if (i == len) return false;
  }
  return true;
}

static char *dup(lat_arena_t *a, const char *s, size_t n) {
  if (!a) return NULL;
  char *p = lat_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* numeric identifier: 0 | [1-9][0-9]* ; value must fit in 64 bits */
static bool semver_num(const char *s, size_t len, uint64_t *out) {
  if (len == 0) return false;
  if (len > 1 && s[0] == '0') return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(s[i])) return false;
    if (__builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
      return false;
  }
  *out = v;
  return true;
}

/* dot-separated identifiers of [0-9A-Za-z-]+; pre-release numeric ones
 * have no leading zeros */
static bool semver_idents(const char *s, size_t len, bool pre) {
  if (len == 0) return false;
  size_t i = 0;
  while (i <= len) {
    size_t start = i;
    bool numeric = true;
    while (i < len && s[i] != '.') {
      char c = s[i];
      if (!(is_lower(c) || is_upper(c) || is_digit(c) || c == '-')) return false;
      if (!is_digit(c)) numeric = false;
      i++;
    }
    size_t n = i - start;
    if (n == 0) return false;
    if (pre && numeric && n > 1 && s[start] == '0') return false;
    if (i == len) return true;
    i++;
  }
  return false;
}

bool lat_semver_parse(const char *s, size_t len, lat_arena_t *arena,
                      lat_semver_t *out) {
  uint64_t part[3];
  size_t i = 0;
  for (int k = 0; k < 3; k++) {
    size_t start = i;
    while (i < len && is_digit(s[i])) i++;
    if (!semver_num(s + start, i - start, &part[k])) return false;
    if (k < 2) {
      if (i >= len || s[i] != '.') return false;
      i++;
    }
  }
  const char *pre = "", *build = "";
  size_t pre_start = 0, pre_len = 0, b_start = 0, b_len = 0;
  if (i < len && s[i] == '-') {
    pre_start = ++i;
    while (i < len && s[i] != '+') i++;
    pre_len = i - pre_start;
    if (!semver_idents(s + pre_start, pre_len, true)) return false;
  }
  if (i < len && s[i] == '+') {
    b_start = ++i;
    b_len = len - b_start;
    if (!semver_idents(s + b_start, b_len, false)) return false;
    i = len;
  }
  if (i != len) return false;
  if (arena) {
    if (pre_len && !(pre = dup(arena, s + pre_start, pre_len))) return false;
    if (b_len && !(build = dup(arena, s + b_start, b_len))) return false;
  }
  out->major = part[0];
  out->minor = part[1];
  out->patch = part[2];
  out->pre = pre;
  out->build = build;
  return true;
}

/* SemVer 2.0 precedence of pre-release identifiers. */
static int cmp_pre(const char *a, const char *b) {
  if (!*a && !*b) return 0;
  if (!*a) return 1; /* a release ranks above a pre-release */
  if (!*b) return -1;
  while (*a && *b) {
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    bool na = true, nb = true;
    for (size_t i = 0; i < la; i++) na = na && is_digit(a[i]);
    for (size_t i = 0; i < lb; i++) nb = nb && is_digit(b[i]);
    int c;
    if (na && nb) {
      c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
    } else if (na != nb) {
      c = na ? -1 : 1;
    } else {
      c = memcmp(a, b, la < lb ? la : lb);
      if (!c && la != lb) c = la < lb ? -1 : 1;
    }
    if (c) return c < 0 ? -1 : 1;
    a += la;
    b += lb;
    if (*a) a++;
    if (*b) b++;
  }
  if (!*a && !*b) return 0;
  return *a ? 1 : -1;
}

int lat_semver_cmp(const lat_semver_t *a, const lat_semver_t *b) {
  if (a->major != b->major) return a->major < b->major ? -1 : 1;
  if (a->minor != b->minor) return a->minor < b->minor ? -1 : 1;
  if (a->patch != b->patch) return a->patch < b->patch ? -1 : 1;
  return cmp_pre(a->pre ? a->pre : "", b->pre ? b->pre : "");
}

lat_status lat_cname_parse(const char *s, size_t len, lat_arena_t *arena,
                           lat_cname_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  out->label = out->resource = out->ns = out->pkg = out->iface = "";
  out->version.pre = out->version.build = "";
  if (!(out->full = dup(arena, s, len))) goto nomem;
  if (memchr(s, 0, len)) goto bad;
  const char *colon = memchr(s, ':', len);
  if (colon) {
    /* interfacename ::= words ':' words '/' label ('@' semver)? */
    size_t nl = (size_t)(colon - s);
    const char *rest = colon + 1;
    size_t rl = len - nl - 1;
    const char *slash = memchr(rest, '/', rl);
    if (!slash || !words_valid(s, nl)) goto bad;
    size_t pl = (size_t)(slash - rest);
    if (!words_valid(rest, pl)) goto bad;
    const char *ifc = slash + 1;
    size_t il = rl - pl - 1;
    const char *at = memchr(ifc, '@', il);
    size_t ll = at ? (size_t)(at - ifc) : il;
    if (!lat_clabel_valid(ifc, ll)) goto bad;
    if (at) {
      size_t vl = il - ll - 1;
      if (!lat_semver_parse(at + 1, vl, arena, &out->version)) goto bad;
      out->has_version = true;
    }
    out->kind = LAT_CNAME_INTERFACE;
    if (!(out->ns = dup(arena, s, nl)) || !(out->pkg = dup(arena, rest, pl)) ||
        !(out->iface = dup(arena, ifc, ll)))
      goto nomem;
    out->label = out->iface;
    return LAT_OK;
  }
  static const struct {
    const char *prefix;
    lat_cname_kind_t kind;
  } annot[] = {{"[constructor]", LAT_CNAME_CONSTRUCTOR},
               {"[method]", LAT_CNAME_METHOD},
               {"[static]", LAT_CNAME_STATIC}};
  for (size_t k = 0; k < sizeof annot / sizeof annot[0]; k++) {
    size_t pl = strlen(annot[k].prefix);
    if (len < pl || memcmp(s, annot[k].prefix, pl) != 0) continue;
    const char *r = s + pl;
    size_t rl = len - pl;
    out->kind = annot[k].kind;
    if (annot[k].kind == LAT_CNAME_CONSTRUCTOR) {
      if (!lat_clabel_valid(r, rl)) goto bad;
      if (!(out->resource = dup(arena, r, rl))) goto nomem;
      out->label = out->resource;
      return LAT_OK;
    }
    const char *dot = memchr(r, '.', rl);
    if (!dot) goto bad;
    size_t a = (size_t)(dot - r);
    if (!lat_clabel_valid(r, a) || !lat_clabel_valid(dot + 1, rl - a - 1))
      goto bad;
    if (!(out->resource = dup(arena, r, a)) ||
        !(out->label = dup(arena, dot + 1, rl - a - 1)))
      goto nomem;
    return LAT_OK;
  }
  if (!lat_clabel_valid(s, len)) goto bad;
  out->kind = LAT_CNAME_LABEL;
  out->label = out->full;
  return LAT_OK;
bad:
  return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                       "`%.*s` is not a valid extern name",
                       (int)(len > 200 ? 200 : len), s);
nomem:
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

/* The canonical version of the Explainer: major for >= 1, 0.minor for 0.x,
 * else the whole 0.0.patch; pre-releases only match themselves. */
bool lat_cname_version_compatible(const lat_cname_t *provided,
                                  const lat_cname_t *wanted) {
  if (provided->kind != LAT_CNAME_INTERFACE ||
      wanted->kind != LAT_CNAME_INTERFACE)
    return provided->kind == wanted->kind && provided->full && wanted->full &&
           strcmp(provided->full, wanted->full) == 0;
  if (strcmp(provided->ns, wanted->ns) || strcmp(provided->pkg, wanted->pkg) ||
      strcmp(provided->iface, wanted->iface))
    return false;
  if (provided->has_version != wanted->has_version) return false;
  if (!wanted->has_version) return true;
  const lat_semver_t *p = &provided->version, *w = &wanted->version;
  if ((p->pre && *p->pre) || (w->pre && *w->pre))
    return p->major == w->major && p->minor == w->minor &&
           p->patch == w->patch && strcmp(p->pre, w->pre) == 0;
  if (p->major != w->major) return false;
  if (p->major > 0) return true;
  if (p->minor != w->minor) return false;
  if (p->minor > 0) return true;
  return p->patch == w->patch;
}

static lat_status append_lower(lat_buf_t *out, const char *s) {
  for (; *s; s++) {
    char c = *s;
    if (is_upper(c)) c = (char)(c - 'A' + 'a');
    lat_status st = lat_buf_push(out, (uint8_t)c);
    if (st) return st;
  }
  return LAT_OK;
}

lat_status lat_cname_canonical(const lat_cname_t *n, lat_buf_t *out) {
  lat_status st = LAT_OK;
  switch (n->kind) {
  case LAT_CNAME_LABEL:
  case LAT_CNAME_INTERFACE:
    st = append_lower(out, n->full);
    break;
  case LAT_CNAME_CONSTRUCTOR:
    if (!(st = lat_buf_append(out, "[constructor]", 13)))
      st = append_lower(out, n->resource);
    break;
  case LAT_CNAME_METHOD:
  case LAT_CNAME_STATIC: {
    /* [method]l.l -> l; otherwise drop the annotation */
    bool same = strlen(n->resource) == strlen(n->label);
    for (size_t i = 0; same && n->resource[i]; i++) {
      char a = n->resource[i], b = n->label[i];
      if (is_upper(a)) a = (char)(a - 'A' + 'a');
      if (is_upper(b)) b = (char)(b - 'A' + 'a');
      same = a == b;
    }
    st = append_lower(out, n->resource);
    if (!st && !same) {
      if (!(st = lat_buf_push(out, '.'))) st = append_lower(out, n->label);
    }
    break;
  }
  }
  if (!st) st = lat_buf_push(out, 0);
  if (!st) out->len--;
  return st;
}
