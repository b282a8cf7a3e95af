/* manager_manifest.c: OAM manifests (YAML or JSON) to a checked model.
 *
 * Approach: libyaml's event parser builds a small node tree in an arena,
 * each node with its line and column (libyaml's marks are 0-based; we
 * report 1-based, as editors and serde_yaml do).  JSON is a subset of the
 * YAML flow style, so one parser reads both, and both give positions.  The
 * tree is walked twice: first the shape (serde's view in wadm: required
 * keys, unknown keys where wadm denies them, types), then, only when the
 * shape is right, wadm's validation rules in wadm's order (MANAGER.md §2),
 * then Lattice's stricter rules.  Every diagnostic carries the position of
 * the node it is about, so `lattice app validate` and the put error say
 * where.
 *
 * Scalars are typed as YAML 1.2's core schema does (what serde_yaml 0.9
 * sees): a plain `8080` is an integer, `true` a boolean, `~`/`null` null; a
 * quoted scalar is always a string.  Inside a component a map value must
 * be a string (wadm buffers components, so a plain integer is an error
 * there); outside (annotations, labels) any scalar is taken as its text.
 *
 * Rejected: libyaml's document loader (it gives marks too, but a second
 * pass over its node table to recover them costs more code than the event
 * walk); libfyaml (better YAML 1.2, but not installed by default and the
 * marks are all we need).  Aliases are refused with a position: wadm's
 * manifests never use them and an alias bomb is the cheapest attack on a
 * YAML reader.
 *
 * The model's strings live in the manifest's arena; its string maps are
 * jansson objects kept alive by m->owned. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manager_int.h"

/* ---- diagnostics ------------------------------------------------------------ */

void lat_manager_diags_fini(lat_manager_diags_t *d) {
  if (!d) return;
  lat_free(d->items);
  memset(d, 0, sizeof *d);
}

const char *lat_manager_diags_first(const lat_manager_diags_t *d, char *buf, size_t cap) {
  if (cap) buf[0] = 0;
  for (size_t i = 0; d && i < d->count; i++)
    if (d->items[i].level == LAT_MANAGER_ERROR) {
      if (d->items[i].line)
        snprintf(buf, cap, "%s at line %d column %d", d->items[i].msg, d->items[i].line,
                 d->items[i].column);
      else snprintf(buf, cap, "%s", d->items[i].msg);
      break;
    }
  return buf;
}

/* ---- the YAML tree ------------------------------------------------------------ */

typedef enum { Y_SCALAR, Y_MAP, Y_SEQ } ykind;
typedef enum { T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL } ytype;

typedef struct ynode {
  ykind kind;
  int line, col;     /* 1-based */
  const char *s;     /* scalar text (NUL-terminated, in the arena) */
  ytype type;        /* scalar's resolved type */
  struct ynode **kids; /* map: key, value, key, value...; seq: items */
  size_t n;          /* entries in kids */
  size_t cap;
} ynode_t;

typedef struct {
  lat_manager_manifest_t *m;
  lat_manager_diags_t *d;
  bool oom;
} ctx_t;

static void diag(ctx_t *c, lat_manager_level lv, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void diag(ctx_t *c, lat_manager_level lv, int line, int col, const char *fmt, ...) {
  lat_manager_diags_t *d = c->d;
  if (d->count == d->cap) {
    size_t nc = d->cap ? d->cap * 2 : 8;
    lat_manager_diag_t *n = lat_realloc(d->items, nc * sizeof *n);
    if (!n) {
      c->oom = true;
      return;
    }
    d->items = n;
    d->cap = nc;
  }
  lat_manager_diag_t *x = &d->items[d->count++];
  x->level = lv;
  x->line = line;
  x->column = col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->msg, sizeof x->msg, fmt, ap);
  va_end(ap);
  if (lv == LAT_MANAGER_ERROR) d->errors++;
}
static int line_of(const struct ynode *n);
static int col_of(const struct ynode *n);
#define ERR(c, n, ...) diag((c), LAT_MANAGER_ERROR, line_of(n), col_of(n), __VA_ARGS__)
#define WARN(c, n, ...) diag((c), LAT_MANAGER_WARNING, line_of(n), col_of(n), __VA_ARGS__)

static int line_of(const struct ynode *n) { return n ? n->line : 0; }
static int col_of(const struct ynode *n) { return n ? n->col : 0; }

static char *astr(ctx_t *c, const char *s, size_t n) {
  char *p = lat_arena_alloc(&c->m->arena, n + 1);
  if (!p) {
    c->oom = true;
    return NULL;
  }
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static ytype resolve(const char *s, bool plain) {
  if (!plain) return T_STR;
  if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
    return T_NULL;
  if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "false") ||
      !strcmp(s, "False") || !strcmp(s, "FALSE"))
    return T_BOOL;
  const char *p = s;
  if (*p == '-' || *p == '+') p++;
  if (*p && strspn(p, "0123456789") == strlen(p)) return T_INT;
  if ((p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) && p[2] &&
      strspn(p + 2, p[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567") == strlen(p + 2))
    return T_INT;
  if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(s, ".nan") || !strcmp(s, ".NaN"))
    return T_FLOAT;
  char *end;
  if (strpbrk(s, "0123456789")) {
    (void)strtod(s, &end);
    if (!*end) return T_FLOAT;
  }
  return T_STR;
}

static bool add_kid(ctx_t *c, ynode_t *p, ynode_t *k) {
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 8;
    ynode_t **a = lat_arena_array(&c->m->arena, nc, sizeof *a);
    if (!a) {
      c->oom = true;
      return false;
    }
    if (p->n) memcpy(a, p->kids, p->n * sizeof *a);
    p->kids = a;
    p->cap = nc;
  }
  p->kids[p->n++] = k;
  return true;
}

/* Builds the tree; false after an error (reported) or out of memory. */
static ynode_t *load(ctx_t *c, const char *text, size_t len) {
  yaml_parser_t ps;
  yaml_event_t ev;
  if (!yaml_parser_initialize(&ps)) {
    c->oom = true;
    return NULL;
  }
  yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
  ynode_t *stack[LAT_MANAGER_MAX_DEPTH + 1];
  size_t depth = 0;
  ynode_t *root = NULL;
  bool done = false, bad = false;
  size_t docs = 0, nodes = 0;
  while (!done && !bad) {
    if (!yaml_parser_parse(&ps, &ev)) {
      diag(c, LAT_MANAGER_ERROR, (int)ps.problem_mark.line + 1, (int)ps.problem_mark.column + 1,
          "%s%s%s", ps.problem ? ps.problem : "invalid YAML", ps.context ? " " : "",
          ps.context ? ps.context : "");
      bad = true;
      break;
    }
    ynode_t *n = NULL;
    int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1) {
        diag(c, LAT_MANAGER_ERROR, line, col,
            "a manifest is one YAML document; found a second one");
        bad = true;
      }
      break;
    case YAML_ALIAS_EVENT:
      diag(c, LAT_MANAGER_ERROR, line, col, "YAML aliases are not supported in manifests");
      bad = true;
      break;
    case YAML_SCALAR_EVENT:
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
      if (++nodes > 1000000) {
        diag(c, LAT_MANAGER_ERROR, line, col, "the manifest has too many nodes");
        bad = true;
        break;
      }
      n = lat_arena_alloc(&c->m->arena, sizeof *n);
      if (!n) {
        c->oom = bad = true;
        break;
      }
      memset(n, 0, sizeof *n);
      n->line = line;
      n->col = col;
      if (ev.type == YAML_SCALAR_EVENT) {
        n->kind = Y_SCALAR;
        n->s = astr(c, (const char *)ev.data.scalar.value, ev.data.scalar.length);
        if (!n->s) {
          bad = true;
          break;
        }
        if (strlen(n->s) != ev.data.scalar.length) {
          ERR(c, n, "a NUL byte inside a scalar");
          bad = true;
          break;
        }
        bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (ev.data.scalar.tag && !strcmp((const char *)ev.data.scalar.tag, "tag:yaml.org,2002:str"))
          plain = false;
        n->type = resolve(n->s, plain);
      } else {
        n->kind = ev.type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
      }
      if (depth == 0) {
        root = n;
      } else {
        ynode_t *p = stack[depth - 1];
        if (p->kind == Y_MAP && p->n % 2 == 0) { /* a key */
          if (n->kind != Y_SCALAR) {
            ERR(c, n, "a map key must be a scalar");
            bad = true;
            break;
          }
          for (size_t i = 0; i < p->n; i += 2)
            if (!strcmp(p->kids[i]->s, n->s)) {
              ERR(c, n, "duplicate key `%s` (first at line %d column %d)", n->s, p->kids[i]->line,
                  p->kids[i]->col);
              bad = true;
            }
          if (bad) break;
        }
        if (p->n >= 2 * LAT_MANAGER_MAX_ITEMS + 2) {
          ERR(c, n, "more than %d entries", LAT_MANAGER_MAX_ITEMS);
          bad = true;
          break;
        }
        if (!add_kid(c, p, n)) {
          bad = true;
          break;
        }
      }
      if (n->kind != Y_SCALAR) {
        if (depth >= LAT_MANAGER_MAX_DEPTH) {
          ERR(c, n, "the manifest nests deeper than %d levels", LAT_MANAGER_MAX_DEPTH);
          bad = true;
          break;
        }
        stack[depth++] = n;
      }
      break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
      if (depth) depth--;
      break;
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
      break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&ps);
  if (bad) return NULL;
  if (!root) {
    diag(c, LAT_MANAGER_ERROR, 1, 1, "the manifest is empty");
    return NULL;
  }
  return root;
}

/* ---- tree to JSON (what the store keeps and `get` returns) --------------------- */

static json_t *to_json(const ynode_t *n) {
  switch (n->kind) {
  case Y_SCALAR:
    switch (n->type) {
    case T_NULL: return json_null();
    case T_BOOL: return json_boolean(n->s[0] == 't' || n->s[0] == 'T');
    case T_INT: {
      long long v = strtoll(n->s, NULL, 0);
      return json_integer(v);
    }
    case T_FLOAT: return json_real(strtod(n->s, NULL));
    default: return json_string(n->s);
    }
  case Y_SEQ: {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n->n; i++) json_array_append_new(a, to_json(n->kids[i]));
    return a;
  }
  case Y_MAP: {
    json_t *o = json_object();
    for (size_t i = 0; o && i + 1 < n->n; i += 2)
      json_object_set_new(o, n->kids[i]->s, to_json(n->kids[i + 1]));
    return o;
  }
  }
  return NULL;
}

/* ---- shape helpers ------------------------------------------------------------- */

static const ynode_t *get(const ynode_t *map, const char *key) {
  if (!map || map->kind != Y_MAP) return NULL;
  for (size_t i = 0; i + 1 < map->n; i += 2)
    if (!strcmp(map->kids[i]->s, key)) return map->kids[i + 1];
  return NULL;
}

/* serde's words for what a node is */
static const char *what(const ynode_t *n, char *buf, size_t cap) {
  if (n->kind == Y_MAP) return "map";
  if (n->kind == Y_SEQ) return "sequence";
  switch (n->type) {
  case T_INT: snprintf(buf, cap, "integer `%s`", n->s); break;
  case T_FLOAT: snprintf(buf, cap, "floating point `%s`", n->s); break;
  case T_BOOL: snprintf(buf, cap, "boolean `%s`", n->s); break;
  case T_NULL: snprintf(buf, cap, "unit value"); break;
  default: snprintf(buf, cap, "string \"%.200s\"", n->s); break;
  }
  return buf;
}

static void bad_type(ctx_t *c, const ynode_t *n, const char *want) {
  char b[300];
  ERR(c, n, "invalid type: %s, expected %s", what(n, b, sizeof b), want);
}

/* Unknown keys (serde's deny_unknown_fields message). */
static bool known_keys(ctx_t *c, const ynode_t *map, const char *const *allowed, size_t n) {
  bool ok = true;
  for (size_t i = 0; i + 1 < map->n; i += 2) {
    size_t k = 0;
    while (k < n && strcmp(allowed[k], map->kids[i]->s)) k++;
    if (k < n) continue;
    char list[512] = "";
    size_t len = 0;
    for (size_t j = 0; j < n && len < sizeof list; j++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s`%s`",
                              j == 0 ? "" : (n == 2 ? " or " : ", "), allowed[j]);
    ERR(c, map->kids[i], "unknown field `%s`, expected %s%s", map->kids[i]->s,
        n > 2 ? "one of " : "", list);
    ok = false;
  }
  return ok;
}

static const ynode_t *need(ctx_t *c, const ynode_t *map, const char *key) {
  const ynode_t *v = get(map, key);
  if (!v) ERR(c, map, "missing field `%s`", key);
  return v;
}

/* A string: strict (inside components) wants a YAML string; lax takes any
 * scalar's text. */
static const char *str(ctx_t *c, const ynode_t *n, bool strict) {
  if (!n) return NULL;
  if (n->kind != Y_SCALAR || (strict && n->type != T_STR) || (!strict && n->type == T_NULL)) {
    bad_type(c, n, "a string");
    return NULL;
  }
  return n->s;
}

static bool is_map(ctx_t *c, const ynode_t *n) {
  if (n && n->kind == Y_MAP) return true;
  if (n) bad_type(c, n, "a map");
  return false;
}
static bool is_seq(ctx_t *c, const ynode_t *n) {
  if (n && n->kind == Y_SEQ) return true;
  if (n) bad_type(c, n, "a sequence");
  return false;
}

/* A string map, kept alive by m->owned. */
static json_t *strmap(ctx_t *c, const ynode_t *n, bool strict) {
  if (!is_map(c, n)) return NULL;
  json_t *o = json_object();
  if (!o || json_array_append_new(c->m->owned, o)) {
    c->oom = true;
    return NULL;
  }
  for (size_t i = 0; i + 1 < n->n; i += 2) {
    const char *v = str(c, n->kids[i + 1], strict);
    if (!v) return NULL;
    json_object_set_new(o, n->kids[i]->s, json_string(v));
  }
  return o;
}

static void *arr(ctx_t *c, size_t n, size_t size) {
  if (!n) return NULL;
  void *p = lat_arena_array(&c->m->arena, n, size);
  if (!p) c->oom = true;
  else memset(p, 0, n * size);
  return p;
}

static bool u32_of(const ynode_t *n, uint32_t *out) {
  if (!n || n->kind != Y_SCALAR || n->type != T_INT || n->s[0] == '-') return false;
  errno = 0;
  unsigned long long v = strtoull(n->s, NULL, 0);
  if (errno || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

/* ---- shape: configs, secrets ---------------------------------------------------- */

static bool configs(ctx_t *c, const ynode_t *n, lat_manager_config_t **out, size_t *out_n) {
  *out = NULL;
  *out_n = 0;
  if (!n) return true;
  if (!is_seq(c, n)) return false;
  *out = arr(c, n->n, sizeof **out);
  if (n->n && !*out) return false;
  static const char *const keys[] = {"name", "properties"};
  for (size_t i = 0; i < n->n; i++) {
    const ynode_t *e = n->kids[i];
    if (!is_map(c, e) || !known_keys(c, e, keys, 2)) return false;
    lat_manager_config_t *x = &(*out)[i];
    x->line = e->line;
    x->column = e->col;
    if (!(x->name = str(c, need(c, e, "name"), true))) return false;
    const ynode_t *p = get(e, "properties");
    if (p && !(p->kind == Y_SCALAR && p->type == T_NULL) && !(x->props = strmap(c, p, true)))
      return false;
  }
  *out_n = n->n;
  return true;
}

static bool secrets(ctx_t *c, const ynode_t *n, lat_manager_secret_t **out, size_t *out_n) {
  *out = NULL;
  *out_n = 0;
  if (!n) return true;
  if (!is_seq(c, n)) return false;
  *out = arr(c, n->n, sizeof **out);
  if (n->n && !*out) return false;
  for (size_t i = 0; i < n->n; i++) {
    const ynode_t *e = n->kids[i];
    if (!is_map(c, e)) return false;
    lat_manager_secret_t *x = &(*out)[i];
    x->line = e->line;
    x->column = e->col;
    if (!(x->name = str(c, need(c, e, "name"), true))) return false;
    const ynode_t *p = need(c, e, "properties");
    if (!is_map(c, p)) return false;
    if (!(x->policy = str(c, need(c, p, "policy"), true)) ||
        !(x->key = str(c, need(c, p, "key"), true)))
      return false;
    if (get(p, "field") && !(x->field = str(c, get(p, "field"), true))) return false;
    if (get(p, "version") && !(x->version = str(c, get(p, "version"), true))) return false;
  }
  *out_n = n->n;
  return true;
}

/* ---- shape: traits --------------------------------------------------------------- */

/* The json of a trait's properties, as wadm prints a custom trait. */
static void trait_json(const ynode_t *props, char *buf, size_t cap) {
  json_t *j = to_json(props);
  char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
  snprintf(buf, cap, "%s", t ? t : "null");
  free(t);
  json_decref(j);
}

/* Parses a scaler's properties into s; on a mismatch reports wadm's
 * "Scaler trait deserialized as custom trait" with the reason. */
static bool scaler(ctx_t *c, const ynode_t *trait, const ynode_t *p, lat_manager_scaler_t *s) {
  char why[300] = "", js[200];
  const ynode_t *at = p;
  s->line = trait->line;
  s->column = trait->col;
  if (p->kind != Y_MAP) {
    snprintf(why, sizeof why, "properties must be a map");
    goto bad;
  }
  const ynode_t *inst = get(p, "instances") ? get(p, "instances") : get(p, "replicas");
  for (size_t i = 0; i + 1 < p->n; i += 2) {
    const char *k = p->kids[i]->s;
    if (strcmp(k, "instances") && strcmp(k, "replicas") && strcmp(k, "spread")) {
      snprintf(why, sizeof why, "unknown field `%s`, expected one of `instances`, `spread`", k);
      at = p->kids[i];
      goto bad;
    }
  }
  if (!inst) {
    snprintf(why, sizeof why, "missing field `instances`");
    goto bad;
  }
  if (!u32_of(inst, &s->instances)) {
    snprintf(why, sizeof why, "`instances` must be a whole number from 0 to 4294967295, not `%s`",
             inst->kind == Y_SCALAR ? inst->s : "a collection");
    at = inst;
    goto bad;
  }
  const ynode_t *sp = get(p, "spread");
  if (sp && !(sp->kind == Y_SCALAR && sp->type == T_NULL)) {
    if (sp->kind != Y_SEQ) {
      snprintf(why, sizeof why, "`spread` must be a sequence");
      at = sp;
      goto bad;
    }
    if (sp->n > 256) { /* placement keeps per-spread state for at most this many */
      snprintf(why, sizeof why, "more than 256 spreads");
      at = sp;
      goto bad;
    }
    s->spreads = arr(c, sp->n, sizeof *s->spreads);
    if (sp->n && !s->spreads) return false;
    for (size_t i = 0; i < sp->n; i++) {
      const ynode_t *e = sp->kids[i];
      lat_manager_spread_t *x = &s->spreads[i];
      at = e;
      if (e->kind != Y_MAP) {
        snprintf(why, sizeof why, "a spread must be a map");
        goto bad;
      }
      x->line = e->line;
      x->column = e->col;
      x->weight = 100;
      for (size_t k = 0; k + 1 < e->n; k += 2)
        if (strcmp(e->kids[k]->s, "name") && strcmp(e->kids[k]->s, "requirements") &&
            strcmp(e->kids[k]->s, "weight")) {
          snprintf(why, sizeof why,
                   "unknown field `%s` in a spread, expected one of `name`, `requirements`, `weight`",
                   e->kids[k]->s);
          at = e->kids[k];
          goto bad;
        }
      const ynode_t *nm = get(e, "name"), *rq = get(e, "requirements"), *w = get(e, "weight");
      if (!nm || nm->kind != Y_SCALAR || nm->type != T_STR) {
        snprintf(why, sizeof why, nm ? "a spread's `name` must be a string" : "a spread needs a `name`");
        at = nm ? nm : e;
        goto bad;
      }
      x->name = nm->s;
      if (!rq || rq->kind != Y_MAP) {
        snprintf(why, sizeof why, "spread %s needs `requirements` (a map of labels, may be {})", nm->s);
        at = rq ? rq : e;
        goto bad;
      }
      for (size_t k = 0; k + 1 < rq->n; k += 2)
        if (rq->kids[k + 1]->kind != Y_SCALAR || rq->kids[k + 1]->type != T_STR) {
          snprintf(why, sizeof why, "requirement `%s` of spread %s must be a string",
                   rq->kids[k]->s, nm->s);
          at = rq->kids[k + 1];
          goto bad;
        }
      if (!(x->requirements = strmap(c, rq, true))) return false;
      if (w && !(w->kind == Y_SCALAR && w->type == T_NULL) && !u32_of(w, &x->weight)) {
        snprintf(why, sizeof why, "the weight of spread %s must be a whole number, not `%s`", nm->s,
                 w->kind == Y_SCALAR ? w->s : "a collection");
        at = w;
        goto bad;
      }
    }
    s->nspreads = sp->n;
  }
  return true;
bad:
  trait_json(p, js, sizeof js);
  ERR(c, at, "Scaler trait deserialized as custom trait, ensure fields are correct: %s (%s)", js, why);
  return false;
}

static bool link_configs(ctx_t *c, const ynode_t *n, lat_manager_config_t **out, size_t *out_n,
                         char *why, size_t cap) {
  if (!n || (n->kind == Y_SCALAR && n->type == T_NULL)) return true;
  size_t before = c->d->errors;
  if (!configs(c, n, out, out_n)) {
    if (c->d->errors > before) { /* turn the shape error into the link's reason */
      lat_manager_diag_t *x = &c->d->items[c->d->count - 1];
      snprintf(why, cap, "%s", x->msg);
      c->d->count--;
      c->d->errors--;
    }
    return false;
  }
  return true;
}

static bool link_secrets(ctx_t *c, const ynode_t *n, lat_manager_secret_t **out, size_t *out_n,
                         char *why, size_t cap) {
  if (!n || (n->kind == Y_SCALAR && n->type == T_NULL)) return true;
  size_t before = c->d->errors;
  if (!secrets(c, n, out, out_n)) {
    if (c->d->errors > before) {
      snprintf(why, cap, "%s", c->d->items[c->d->count - 1].msg);
      c->d->count--;
      c->d->errors--;
    }
    return false;
  }
  return true;
}

static bool link(ctx_t *c, const ynode_t *trait, const ynode_t *p, lat_manager_link_t *l) {
  char why[512] = "", js[200];
  const ynode_t *at = p;
  l->line = trait->line;
  l->column = trait->col;
  l->name = "default";
  if (p->kind != Y_MAP) {
    snprintf(why, sizeof why, "properties must be a map");
    goto bad;
  }
  static const char *const req[] = {"namespace", "package"};
  for (int i = 0; i < 2; i++) {
    const ynode_t *v = get(p, req[i]);
    if (!v) {
      snprintf(why, sizeof why, "missing field `%s`", req[i]);
      goto bad;
    }
    if (v->kind != Y_SCALAR || v->type != T_STR) {
      snprintf(why, sizeof why, "field `%s` must be a string", req[i]);
      at = v;
      goto bad;
    }
    if (i == 0) l->ns = v->s;
    else l->pkg = v->s;
  }
  const ynode_t *nm = get(p, "name");
  if (nm && !(nm->kind == Y_SCALAR && nm->type == T_NULL)) {
    if (nm->kind != Y_SCALAR || nm->type != T_STR) {
      snprintf(why, sizeof why, "field `name` must be a string");
      at = nm;
      goto bad;
    }
    l->name = nm->s;
  }
  const ynode_t *ifs = get(p, "interfaces");
  if (!ifs) {
    snprintf(why, sizeof why, "missing field `interfaces`");
    goto bad;
  }
  if (ifs->kind != Y_SEQ) {
    snprintf(why, sizeof why, "field `interfaces` must be a sequence of strings");
    at = ifs;
    goto bad;
  }
  l->ifaces = arr(c, ifs->n, sizeof *l->ifaces);
  if (ifs->n && !l->ifaces) return false;
  for (size_t i = 0; i < ifs->n; i++) {
    if (ifs->kids[i]->kind != Y_SCALAR || ifs->kids[i]->type != T_STR) {
      snprintf(why, sizeof why, "every interface must be a string");
      at = ifs->kids[i];
      goto bad;
    }
    l->ifaces[i] = ifs->kids[i]->s;
  }
  l->nifaces = ifs->n;
  const ynode_t *t = get(p, "target");
  if (!t) {
    snprintf(why, sizeof why, "missing field `target`");
    goto bad;
  }
  const ynode_t *tcfg = get(p, "target_config"), *scfg = get(p, "source_config");
  const ynode_t *tsec = NULL, *ssec = NULL;
  if (t->kind == Y_SCALAR && t->type == T_STR) {
    l->target = t->s;
  } else if (t->kind == Y_MAP) {
    const ynode_t *tn = get(t, "name");
    if (!tn || tn->kind != Y_SCALAR || tn->type != T_STR) {
      snprintf(why, sizeof why, tn ? "`target.name` must be a string" : "missing field `target.name`");
      at = tn ? tn : t;
      goto bad;
    }
    l->target = tn->s;
    if (get(t, "config")) tcfg = get(t, "config");
    tsec = get(t, "secrets");
  } else {
    snprintf(why, sizeof why, "`target` must be a component name or {name, config, secrets}");
    at = t;
    goto bad;
  }
  const ynode_t *src = get(p, "source");
  if (src && src->kind == Y_MAP) {
    if (get(src, "config")) scfg = get(src, "config");
    ssec = get(src, "secrets");
  } else if (src && !(src->kind == Y_SCALAR && src->type == T_NULL)) {
    snprintf(why, sizeof why, "`source` must be a map {config, secrets}");
    at = src;
    goto bad;
  }
  l->legacy_source_config = get(p, "source_config") != NULL;
  l->legacy_target_config = get(p, "target_config") != NULL;
  at = tcfg;
  if (!link_configs(c, tcfg, &l->tcfg, &l->ntcfg, why, sizeof why)) goto bad;
  at = scfg;
  if (!link_configs(c, scfg, &l->scfg, &l->nscfg, why, sizeof why)) goto bad;
  at = tsec;
  if (!link_secrets(c, tsec, &l->tsec, &l->ntsec, why, sizeof why)) goto bad;
  at = ssec;
  if (!link_secrets(c, ssec, &l->ssec, &l->nssec, why, sizeof why)) goto bad;
  return true;
bad:
  if (c->oom) return false;
  trait_json(p, js, sizeof js);
  ERR(c, at ? at : p, "Link trait deserialized as custom trait, ensure fields are correct: %s (%s)",
      js, why);
  return false;
}

/* ---- shape: components, policies, metadata ------------------------------------------- */

static bool component(ctx_t *c, const ynode_t *n, lat_manager_component_t *x) {
  if (!is_map(c, n)) return false;
  x->line = n->line;
  x->column = n->col;
  if (!(x->name = str(c, need(c, n, "name"), true))) return false;
  const ynode_t *ty = need(c, n, "type");
  const char *type = str(c, ty, true);
  if (!type) return false;
  if (!strcmp(type, "capability")) x->provider = true;
  else if (strcmp(type, "component") && strcmp(type, "actor")) {
    ERR(c, ty, "unknown variant `%s`, expected one of `component`, `actor`, `capability`", type);
    return false;
  }
  const ynode_t *p = need(c, n, "properties");
  if (!is_map(c, p)) return false;
  static const char *const pkeys[] = {"image", "application", "id", "config", "secrets"};
  if (!known_keys(c, p, pkeys, 5)) return false;
  if (get(p, "image") && !(x->image = str(c, get(p, "image"), true))) return false;
  const ynode_t *app = get(p, "application");
  if (app) {
    if (!is_map(c, app)) return false;
    static const char *const akeys[] = {"name", "component"};
    if (!known_keys(c, app, akeys, 2)) return false;
    if (!(x->shared_app = str(c, need(c, app, "name"), true)) ||
        !(x->shared_component = str(c, need(c, app, "component"), true)))
      return false;
  }
  if (get(p, "id") && !(x->id = str(c, get(p, "id"), true))) return false;
  if (!configs(c, get(p, "config"), &x->configs, &x->nconfigs)) return false;
  if (!secrets(c, get(p, "secrets"), &x->secrets, &x->nsecrets)) return false;
  const ynode_t *tr = get(n, "traits");
  if (!tr || (tr->kind == Y_SCALAR && tr->type == T_NULL)) return true;
  if (!is_seq(c, tr)) return false;
  size_t nl = 0;
  for (size_t i = 0; i < tr->n; i++) {
    const ynode_t *t = tr->kids[i];
    if (!is_map(c, t)) return false;
    static const char *const tkeys[] = {"type", "properties"};
    if (!known_keys(c, t, tkeys, 2)) return false;
    const char *tt = str(c, need(c, t, "type"), true);
    if (!tt || !need(c, t, "properties")) return false;
    if (!strcmp(tt, "link")) nl++;
  }
  x->links = arr(c, nl, sizeof *x->links);
  if (nl && !x->links) return false;
  for (size_t i = 0; i < tr->n; i++) {
    const ynode_t *t = tr->kids[i];
    const char *tt = get(t, "type")->s;
    const ynode_t *props = get(t, "properties");
    if (!strcmp(tt, "link")) {
      if (!link(c, t, props, &x->links[x->nlinks])) return false;
      x->nlinks++;
    } else if (!strcmp(tt, "spreadscaler") || !strcmp(tt, "daemonscaler")) {
      if (x->has_scaler) {
        ERR(c, t, "Component %s has more than one scaler trait (only one of spreadscaler and "
                  "daemonscaler may be given)", x->name);
        return false;
      }
      if (!scaler(c, t, props, &x->scaler)) return false;
      x->scaler.kind = tt[0] == 's' ? LAT_MANAGER_SPREAD : LAT_MANAGER_DAEMON;
      x->has_scaler = true;
    } else {
      WARN(c, t, "trait type `%s` is not one Lattice knows (link, spreadscaler, daemonscaler); "
                 "it is ignored", tt);
    }
  }
  return true;
}

static bool shape(ctx_t *c, const ynode_t *root) {
  lat_manager_manifest_t *m = c->m;
  if (!is_map(c, root)) return false;
  static const char *const top[] = {"apiVersion", "kind", "metadata", "spec"};
  if (!known_keys(c, root, top, 4)) return false;
  for (int i = 0; i < 4; i++)
    if (!need(c, root, top[i])) return false;
  if (!str(c, get(root, "apiVersion"), false) || !str(c, get(root, "kind"), false)) return false;
  const ynode_t *md = get(root, "metadata");
  if (!is_map(c, md)) return false;
  if (!(m->name = str(c, need(c, md, "name"), false))) return false;
  const ynode_t *an = need(c, md, "annotations");
  if (!an) return false;
  if (!strmap(c, an, false)) return false;
  if (get(md, "labels") && !strmap(c, get(md, "labels"), false)) return false;
  const ynode_t *v = get(an, "version");
  if (v) m->version = v->s;
  const ynode_t *ds = get(an, "description");
  if (ds) m->description = ds->s;
  const ynode_t *sh = get(an, "experimental.wasmcloud.dev/shared");
  m->shared = sh && !strcmp(sh->s, "true");
  const ynode_t *spec = get(root, "spec");
  if (!is_map(c, spec)) return false;
  const ynode_t *cs = need(c, spec, "components");
  if (!cs || !is_seq(c, cs)) return false;
  if (cs->n > LAT_MANAGER_MAX_COMPONENTS) {
    ERR(c, cs, "more than %d components", LAT_MANAGER_MAX_COMPONENTS);
    return false;
  }
  m->components = arr(c, cs->n, sizeof *m->components);
  if (cs->n && !m->components) return false;
  for (size_t i = 0; i < cs->n; i++)
    if (!component(c, cs->kids[i], &m->components[i])) return false;
  m->ncomponents = cs->n;
  const ynode_t *ps = get(spec, "policies");
  if (ps && !(ps->kind == Y_SCALAR && ps->type == T_NULL)) {
    if (!is_seq(c, ps)) return false;
    m->policies = arr(c, ps->n, sizeof *m->policies);
    if (ps->n && !m->policies) return false;
    for (size_t i = 0; i < ps->n; i++) {
      const ynode_t *e = ps->kids[i];
      lat_manager_policy_t *x = &m->policies[i];
      if (!is_map(c, e)) return false;
      x->line = e->line;
      x->column = e->col;
      if (!(x->name = str(c, need(c, e, "name"), false)) ||
          !(x->type = str(c, need(c, e, "type"), false)))
        return false;
      const ynode_t *pp = need(c, e, "properties");
      if (!pp || !(x->props = strmap(c, pp, false))) return false;
    }
    m->npolicies = ps->n;
  }
  return true;
}

/* ---- wadm's rules (MANAGER.md §2), in wadm's order, then Lattice's --------------------- */

static bool name_ok(const char *s) {
  if (!*s) return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) /* \w is Unicode: any non-ASCII */
    if (!(isalnum(*p) || *p == '_' || *p == '-' || *p >= 0x80)) return false;
  return true;
}

static bool dns_label_ok(const char *s, size_t n) {
  if (n < 1 || n > 63 || !isalpha((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-') return false;
  return true;
}

static bool oam_label_ok(const char *k) {
  const char *slash = strchr(k, '/');
  const char *name = k;
  if (slash) {
    size_t pl = (size_t)(slash - k);
    if (pl < 1 || pl > 253) return false;
    for (const char *p = k; p < slash;) {
      const char *dot = memchr(p, '.', (size_t)(slash - p));
      size_t n = dot ? (size_t)(dot - p) : (size_t)(slash - p);
      if (!dns_label_ok(p, n)) return false;
      p += n + (dot ? 1 : 0);
      if (dot && p == slash) return false;
    }
    name = slash + 1;
    if (strchr(name, '/')) return false;
  }
  size_t n = strlen(name);
  if (n < 1 || n > 63 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) return false;
  return true;
}

static bool known_iface(const char *ns, const char *pkg, const char *iface, bool *known_ns) {
  static const char *const table[][3] = {
      {"wrpc", "blobstore", "blobstore"}, {"wrpc", "keyvalue", "atomics"},
      {"wrpc", "keyvalue", "store"},      {"wrpc", "http", "incoming-handler"},
      {"wrpc", "http", "outgoing-handler"}, {"wasi", "blobstore", "blobstore"},
      {"wasi", "config", "runtime"},      {"wasi", "keyvalue", "atomics"},
      {"wasi", "keyvalue", "store"},      {"wasi", "keyvalue", "batch"},
      {"wasi", "keyvalue", "watch"},      {"wasi", "http", "incoming-handler"},
      {"wasi", "http", "outgoing-handler"}, {"wasi", "logging", "logging"},
      {"wasmcloud", "messaging", "consumer"}, {"wasmcloud", "messaging", "handler"},
  };
  *known_ns = !strcmp(ns, "wrpc") || !strcmp(ns, "wasi") || !strcmp(ns, "wasmcloud");
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (!strcmp(table[i][0], ns) && !strcmp(table[i][1], pkg) && !strcmp(table[i][2], iface))
      return true;
  return false;
}

static const lat_manager_component_t *find_comp(const lat_manager_manifest_t *m, const char *name) {
  for (size_t i = 0; i < m->ncomponents; i++)
    if (!strcmp(m->components[i].name, name)) return &m->components[i];
  return NULL;
}

static void check_secret(ctx_t *c, const lat_manager_secret_t *s) {
  const lat_manager_policy_t *p = NULL;
  for (size_t i = 0; i < c->m->npolicies; i++)
    if (!strcmp(c->m->policies[i].name, s->policy)) p = &c->m->policies[i];
  ynode_t at = {.line = s->line, .col = s->column};
  if (!p) ERR(c, &at, "secret '%s' is mapped to unknown policy '%s'", s->name, s->policy);
  else if (strcmp(p->type, "policy.secret.wasmcloud.dev/v1alpha1"))
    ERR(c, &at, "secret '%s' is mapped to policy '%s' which is not a secret policy. Expected type "
                "'policy.secret.wasmcloud.dev/v1alpha1'", s->name, s->policy);
  else if (!json_object_get(p->props, "backend"))
    ERR(c, &at, "secret '%s' is mapped to policy '%s' which does not include a 'backend' property",
        s->name, s->policy);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void rules(ctx_t *c, const ynode_t *root) {
  lat_manager_manifest_t *m = c->m;
  const ynode_t *md = get(root, "metadata");
  if (!name_ok(m->name))
    ERR(c, get(md, "name"), "manifest name [%s] is not allowed (should match regex [^[-\\w]+$])",
        m->name);
  const ynode_t *an = get(md, "annotations");
  if (m->version && !strcmp(m->version, "latest"))
    ERR(c, get(an, "version"), "latest is not allowed in wadm");
  const ynode_t *lb = get(md, "labels");
  for (size_t i = 0; lb && i + 1 < lb->n; i += 2)
    if (!oam_label_ok(lb->kids[i]->s))
      ERR(c, lb->kids[i], "Invalid OAM label: (\"%s\", \"%s\")", lb->kids[i]->s, lb->kids[i + 1]->s);
  for (size_t i = 0; an && i + 1 < an->n; i += 2)
    if (!oam_label_ok(an->kids[i]->s))
      ERR(c, an->kids[i], "Invalid OAM annotation: (\"%s\", \"%s\")", an->kids[i]->s,
          an->kids[i + 1]->s);
  /* 4, 5: unique names, unique explicit ids */
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t j = 0; j < i; j++) {
      const lat_manager_component_t *a = &m->components[i], *b = &m->components[j];
      ynode_t at = {.line = a->line, .col = a->column};
      if (!strcmp(a->name, b->name)) {
        ERR(c, &at, "Duplicate component name in manifest: %s", a->name);
        break;
      }
    }
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t j = 0; j < i; j++) {
      const lat_manager_component_t *a = &m->components[i], *b = &m->components[j];
      ynode_t at = {.line = a->line, .col = a->column};
      if (a->id && b->id && !strcmp(a->id, b->id)) {
        ERR(c, &at, "Duplicate component identifier in manifest: %s", a->id);
        break;
      }
    }
  /* 6: missing link targets (sorted: wadm's set order is not stable) */
  const char *missing[64];
  size_t nmiss = 0;
  const lat_manager_link_t *first_missing = NULL;
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t k = 0; k < m->components[i].nlinks; k++) {
      const lat_manager_link_t *l = &m->components[i].links[k];
      if (find_comp(m, l->target)) continue;
      if (!first_missing) first_missing = l;
      bool seen = false;
      for (size_t j = 0; j < nmiss; j++) seen |= !strcmp(missing[j], l->target);
      if (!seen && nmiss < 64) missing[nmiss++] = l->target;
    }
  if (nmiss) {
    qsort(missing, nmiss, sizeof missing[0], cmp_str);
    char list[1024] = "";
    size_t len = 0;
    for (size_t j = 0; j < nmiss && len < sizeof list; j++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", j ? ", " : "", missing[j]);
    ynode_t at = {.line = first_missing->line, .col = first_missing->column};
    ERR(c, &at, "The following capability component(s) are missing from the manifest: [%s]", list);
  }
  /* 7, 8: warnings */
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t k = 0; k < m->components[i].nlinks; k++) {
      const lat_manager_link_t *l = &m->components[i].links[k];
      ynode_t at = {.line = l->line, .col = l->column};
      for (size_t f = 0; f < l->nifaces; f++) {
        bool kns;
        if (!known_iface(l->ns, l->pkg, l->ifaces[f], &kns) && kns)
          WARN(c, &at, "unrecognized interface [%s:%s/%s]", l->ns, l->pkg, l->ifaces[f]);
      }
      if (!find_comp(m, l->target))
        WARN(c, &at, "link (name [%s]) target [%s] is not a listed component", l->name, l->target);
    }
  /* 9: secrets need a secret policy with a backend */
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *x = &m->components[i];
    for (size_t k = 0; k < x->nsecrets; k++) check_secret(c, &x->secrets[k]);
    for (size_t k = 0; k < x->nlinks; k++) {
      for (size_t s = 0; s < x->links[k].ntsec; s++) check_secret(c, &x->links[k].tsec[s]);
      for (size_t s = 0; s < x->links[k].nssec; s++) check_secret(c, &x->links[k].ssec[s]);
    }
  }
  /* 12, 13: image xor application; shared references add nothing */
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *x = &m->components[i];
    ynode_t at = {.line = x->line, .col = x->column};
    if (x->image && x->shared_app)
      ERR(c, &at, "Component cannot have both 'image' and 'application' properties");
    else if (!x->image && !x->shared_app)
      ERR(c, &at, "Component must have either 'image' or 'application' property");
    else if (x->shared_app) {
      if (x->nconfigs) ERR(c, &at, "Shared component '%s' cannot specify additional 'config'", x->shared_app);
      else if (x->nsecrets)
        ERR(c, &at, "Shared component '%s' cannot specify additional 'secrets'", x->shared_app);
      else if (x->has_scaler)
        ERR(c, &at, "Shared component '%s' cannot include a scaler trait", x->shared_app);
    }
  }
  /* 14: duplicate links per component */
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *x = &m->components[i];
    bool dup = false;
    for (size_t a = 0; a < x->nlinks && !dup; a++)
      for (size_t b = 0; b < a && !dup; b++) {
        const lat_manager_link_t *la = &x->links[a], *lb2 = &x->links[b];
        if (strcmp(la->name, lb2->name) || strcmp(la->ns, lb2->ns) || strcmp(la->pkg, lb2->pkg)) continue;
        for (size_t f = 0; f < la->nifaces && !dup; f++)
          for (size_t g = 0; g < lb2->nifaces && !dup; g++)
            if (!strcmp(la->ifaces[f], lb2->ifaces[g])) {
              ynode_t at = {.line = la->line, .col = la->column};
              ERR(c, &at, "Duplicate link found inside component '%s': %s (%s:%s/%s)", x->name,
                  la->name, la->ns, la->pkg, la->ifaces[f]);
              dup = true;
            }
      }
  }
  /* 15: managed link config names unique manifest-wide */
  {
    const lat_manager_config_t *seen[LAT_MANAGER_MAX_ITEMS];
    size_t ns = 0;
    bool dup = false;
    for (size_t i = 0; i < m->ncomponents && !dup; i++)
      for (size_t k = 0; k < m->components[i].nlinks && !dup; k++) {
        const lat_manager_link_t *l = &m->components[i].links[k];
        for (int side = 0; side < 2 && !dup; side++) {
          const lat_manager_config_t *cf = side ? l->scfg : l->tcfg;
          size_t n = side ? l->nscfg : l->ntcfg;
          for (size_t j = 0; j < n && !dup; j++) {
            if (!cf[j].props) continue;
            for (size_t s = 0; s < ns; s++)
              if (!strcmp(seen[s]->name, cf[j].name)) {
                ynode_t at = {.line = cf[j].line, .col = cf[j].column};
                ERR(c, &at, "Duplicate link config name found: '%s'", cf[j].name);
                dup = true;
                break;
              }
            if (ns < LAT_MANAGER_MAX_ITEMS) seen[ns++] = &cf[j];
          }
        }
      }
  }
  /* 16: legacy keys */
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t k = 0; k < m->components[i].nlinks; k++) {
      const lat_manager_link_t *l = &m->components[i].links[k];
      ynode_t at = {.line = l->line, .col = l->column};
      if (l->legacy_source_config)
        WARN(c, &at, "one of the components' link trait contains a source_config key, please use "
                     "source:config: rather");
      if (l->legacy_target_config)
        WARN(c, &at, "one of the components' link trait contains a target_config key, please use "
                     "target:config: rather");
    }
  /* Lattice: what wadm lets through and then trips over at deploy time */
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *x = &m->components[i];
    if (!x->has_scaler) continue;
    const lat_manager_scaler_t *s = &x->scaler;
    ynode_t at = {.line = s->line, .col = s->column};
    uint64_t sum = 0;
    for (size_t k = 0; k < s->nspreads; k++) sum += s->spreads[k].weight;
    if (s->nspreads && !sum && s->kind == LAT_MANAGER_SPREAD)
      ERR(c, &at, "the spread weights of component %s are all zero: at least one spread needs a "
                  "weight above 0", x->name);
    for (size_t a = 0; a < s->nspreads; a++)
      for (size_t b = 0; b < a; b++)
        if (!strcmp(s->spreads[a].name, s->spreads[b].name)) {
          ynode_t sat = {.line = s->spreads[a].line, .col = s->spreads[a].column};
          ERR(c, &sat, "Duplicate spread name %s in component %s", s->spreads[a].name, x->name);
        }
    if (!s->instances) WARN(c, &at, "component %s asks for 0 instances: nothing will run", x->name);
  }
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *x = &m->components[i];
    for (size_t k = 0; k < x->nlinks; k++) {
      const lat_manager_component_t *t = find_comp(m, x->links[k].target);
      ynode_t at = {.line = x->links[k].line, .col = x->links[k].column};
      if (t && x->provider && t->provider)
        WARN(c, &at, "Provider %s cannot link to provider %s, only components: this link is "
                     "not created", x->name, t->name);
    }
    for (size_t k = 0; k < x->nconfigs; k++) {
      ynode_t at = {.line = x->configs[k].line, .col = x->configs[k].column};
      if (!lat__manager_token_ok(x->configs[k].name))
        ERR(c, &at, "config name \"%s\" is not a single NATS token (no '.', '*', '>' or spaces)",
            x->configs[k].name);
    }
    if (x->id && !lat__manager_token_ok(x->id)) {
      ynode_t at = {.line = x->line, .col = x->column};
      ERR(c, &at, "component id \"%s\" is not a single NATS token (no '.', '*', '>' or spaces)", x->id);
    }
  }
}

/* ---- entry points ---------------------------------------------------------------------- */

lat_status lat_manager_manifest_parse(const char *text, size_t len, lat_manager_manifest_t **out_m,
                                      lat_manager_diags_t *d) {
  *out_m = NULL;
  lat_manager_manifest_t *m = lat_calloc(1, sizeof *m);
  if (!m) return LAT_ENOMEM;
  lat_arena_init(&m->arena);
  m->owned = json_array();
  ctx_t c = {.m = m, .d = d};
  if (!m->owned) c.oom = true;
  else if (len > LAT_MANAGER_MAX_BYTES)
    diag(&c, LAT_MANAGER_ERROR, 1, 1, "the manifest is larger than %u bytes",
        LAT_MANAGER_MAX_BYTES);
  else if (!lat_utf8_valid((const uint8_t *)text, len))
    diag(&c, LAT_MANAGER_ERROR, 1, 1, "the manifest is not valid UTF-8");
  else {
    size_t before = d->errors;
    ynode_t *root = load(&c, text, len);
    if (root && shape(&c, root) && d->errors == before) {
      rules(&c, root);
      if (d->errors == before && !(m->json = to_json(root))) c.oom = true;
    }
    if (d->errors > before && !c.oom) {
      lat_manager_manifest_free(m);
      return LAT_EINVALID;
    }
  }
  if (c.oom || d->errors) {
    lat_manager_manifest_free(m);
    return c.oom ? LAT_ENOMEM : LAT_EINVALID;
  }
  *out_m = m;
  return LAT_OK;
}

void lat_manager_manifest_free(lat_manager_manifest_t *m) {
  if (!m) return;
  json_decref(m->json);
  json_decref(m->owned);
  lat_arena_fini(&m->arena);
  lat_free(m);
}

bool lat__manager_token_ok(const char *s) {
  if (!s || !*s || strlen(s) > 255) return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f || *p == '.' || *p == '*' || *p == '>') return false;
  return true;
}

void lat_manager_component_id(const char *app, const char *component, char *buf, size_t cap) {
  if (!cap) return;
  size_t k = 0;
  for (int part = 0; part < 2; part++) {
    const char *s = part ? component : app;
    if (part && k + 1 < cap) buf[k++] = '-';
    for (; *s && k + 1 < cap; s++)
      buf[k++] = isalnum((unsigned char)*s) && !((unsigned char)*s & 0x80)
                     ? (char)tolower((unsigned char)*s)
                     : '_';
  }
  buf[k] = 0;
}

/* ---- spread arithmetic ---------------------------------------------------------------- */

lat_status lat_manager_spread_compute(uint32_t instances, const lat_manager_spread_t *spreads,
                                      size_t n, uint32_t *out) {
  if (!n) return LAT_OK;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += spreads[i].weight;
  if (!sum) return LAT_EARG;
  size_t order[LAT_MANAGER_MAX_ITEMS];
  if (n > LAT_MANAGER_MAX_ITEMS) return LAT_EARG;
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = 1; i < n; i++) { /* stable insertion sort, weight descending */
    size_t v = order[i], j = i;
    while (j > 0 && spreads[order[j - 1]].weight < spreads[v].weight) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = v;
  }
  uint64_t given = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = (uint32_t)((uint64_t)instances * spreads[i].weight / sum);
    given += out[i];
  }
  for (size_t i = 0; given < instances; i = (i + 1) % n, given++) out[order[i]]++;
  return LAT_OK;
}
