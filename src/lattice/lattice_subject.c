/* lattice_subject.c: the one place that spells NATS subjects and bucket
 * names (PROTOCOL.md §1.1, §1.5, §2, §4.1, §5.2).
 *
 * Approach: every builder validates each caller-given part first, then
 * formats with lat_buf_printf into a new string.  A part that must be one
 * token (lattice, host id, component or provider id, config name, event
 * name, noun, verb) goes through lat_lattice_token_check; parts that are
 * legitimately several tokens (the ctl prefix, a WIT instance name with a
 * version) are checked as a run of non-empty tokens with no wildcards.
 * So a subject we build can never widen into a wildcard or shift tokens,
 * whatever a manifest or a CLI argument says.
 *
 * Invariant: no other file in the tree writes "wasmbus." or ".wrpc." or a
 * bucket prefix; they call these functions.
 *
 * Rejected: a caller-sized char buffer (every caller would pick a size and
 * truncation would become a silent wrong subject); printf-style subject
 * templates exposed to callers (they bypass validation). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lattice_int.h"

static bool token_byte_ok(unsigned char ch) {
  return ch > 0x20 && ch != 0x7f && ch != '.' && ch != '*' && ch != '>';
}

bool lat_lattice_token_valid(const char *s) {
  if (!s || !*s) return false;
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
    if (!token_byte_ok(*p) || n >= LAT_LATTICE_TOKEN_MAX) return false;
  return true;
}

lat_status lat_lattice_token_check(const char *what, const char *s,
                                   lat_error_t *err) {
  if (!s) return lat_error_set(err, LAT_EARG, SIZE_MAX, "%s is missing", what);
  if (!*s) return lat_error_set(err, LAT_EARG, SIZE_MAX, "%s is empty", what);
  size_t n = strlen(s);
  if (n > LAT_LATTICE_TOKEN_MAX)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s is %zu bytes long (at most %d)", what, n,
                         LAT_LATTICE_TOKEN_MAX);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (token_byte_ok(ch)) continue;
    const char *why = ch == '.'   ? "'.' splits it into several tokens"
                      : ch == '*' ? "'*' is a wildcard"
                      : ch == '>' ? "'>' is a wildcard"
                                  : "whitespace or a control byte";
    return lat_error_set(err, LAT_EARG, i,
                         "%s \"%.64s\" is not a single NATS token: %s at byte "
                         "%zu",
                         what, s, why, i);
  }
  return LAT_OK;
}

/* A run of dot-separated tokens (a prefix, a WIT instance name). */
static lat_status tokens_check(const char *what, const char *s,
                               lat_error_t *err) {
  if (!s || !*s)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "%s is %s", what,
                         s ? "empty" : "missing");
  const char *tok = s;
  for (const char *p = s;; p++) {
    if (*p == '.' || *p == 0) {
      size_t n = (size_t)(p - tok);
      if (n == 0)
        return lat_error_set(err, LAT_EARG, (size_t)(p - s),
                             "%s \"%.64s\" has an empty token", what, s);
      if (n > LAT_LATTICE_TOKEN_MAX)
        return lat_error_set(err, LAT_EARG, (size_t)(tok - s),
                             "%s \"%.64s\" has a token longer than %d bytes",
                             what, s, LAT_LATTICE_TOKEN_MAX);
      if (*p == 0) return LAT_OK;
      tok = p + 1;
    } else if (!token_byte_ok((unsigned char)*p)) {
      return lat_error_set(err, LAT_EARG, (size_t)(p - s),
                           "%s \"%.64s\" holds a wildcard, whitespace or a "
                           "control byte at byte %zu",
                           what, s, (size_t)(p - s));
    }
  }
}

/* Formats into a new string. */
static lat_status build(char **out, lat_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lat_status build(char **out, lat_error_t *err, const char *fmt, ...) {
  *out = NULL;
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n < 0 ? NULL : lat_malloc((size_t)n + 1);
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  *out = s;
  return LAT_OK;
}

static lat_status prefix_check(const char **prefix, lat_error_t *err) {
  if (!*prefix) *prefix = LAT_LATTICE_CTL_PREFIX_DEFAULT;
  return tokens_check("ctl prefix", *prefix, err);
}

lat_status lat_lattice_subj_ctl(const char *prefix, const char *lattice,
                                const char *noun, const char *verb,
                                const char *host_id, char **out_subject,
                                lat_error_t *err) {
  lat_status st;
  *out_subject = NULL;
  if ((st = prefix_check(&prefix, err)) != LAT_OK ||
      (st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("ctl noun", noun, err)) != LAT_OK ||
      (st = lat_lattice_token_check("ctl verb", verb, err)) != LAT_OK ||
      (host_id &&
       (st = lat_lattice_token_check("host id", host_id, err)) != LAT_OK))
    return st;
  if (host_id)
    return build(out_subject, err, "%s.v1.%s.%s.%s.%s", prefix, lattice, noun,
                 verb, host_id);
  return build(out_subject, err, "%s.v1.%s.%s.%s", prefix, lattice, noun, verb);
}

lat_status lat_lattice_subj_ctl_parse(const char *prefix, const char *subject,
                                      lat_lattice_ctl_parts_t *out,
                                      lat_error_t *err) {
  lat_status st;
  memset(out, 0, sizeof *out);
  if ((st = prefix_check(&prefix, err)) != LAT_OK) return st;
  if (!subject)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "no subject to parse");
  size_t plen = strlen(prefix);
  if (strncmp(subject, prefix, plen) != 0 ||
      strncmp(subject + plen, ".v1.", 4) != 0)
    return lat_error_set(err, LAT_EARG, 0,
                         "subject \"%.100s\" is not under %s.v1", subject,
                         prefix);
  const char *p = subject + plen + 4;
  const char *parts[3];
  size_t lens[3];
  size_t n = 0;
  while (n < 3) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0)
      return lat_error_set(err, LAT_EARG, (size_t)(p - subject),
                           "subject \"%.100s\" has an empty token", subject);
    parts[n] = p;
    lens[n++] = len;
    if (!dot) {
      p = NULL;
      break;
    }
    p = dot + 1;
  }
  if (n < 2)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "subject \"%.100s\" has no noun", subject);
  out->lattice = parts[0];
  out->lattice_len = lens[0];
  out->noun = parts[1];
  out->noun_len = lens[1];
  if (n == 3) {
    out->verb = parts[2];
    out->verb_len = lens[2];
  }
  if (p) {
    if (!*p)
      return lat_error_set(err, LAT_EARG, (size_t)(p - subject),
                           "subject \"%.100s\" ends with a dot", subject);
    out->rest = p;
    out->rest_len = strlen(p);
  }
  return LAT_OK;
}

void lat_lattice_sub_specs_fini(lat_lattice_sub_specs_t *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) {
    lat_free(l->items[i].subject);
    lat_free(l->items[i].queue);
  }
  lat_free(l->items);
  l->items = NULL;
  l->count = 0;
}

/* The §1.1 table: subject tail under {prefix}.v1.{lattice}, whether it ends
 * with the host id, and the queue-group tail (NULL: plain). */
static const struct {
  const char *tail;
  bool host;
  const char *queue;
  int auction; /* 0 always, 1 component auction, 2 provider auction */
} host_table[] = {
    {"registry.put", false, NULL, 0},     {"host.ping", false, NULL, 0},
    {"link.*", false, "link", 0},         {"claims.get", false, "claims", 0},
    {"component.*", true, NULL, 0},       {"provider.*", true, NULL, 0},
    {"label.*", true, NULL, 0},           {"host.*", true, NULL, 0},
    {"config.>", false, "config", 0},     {"component.auction", false, NULL, 1},
    {"provider.auction", false, NULL, 2},
};

lat_status lat_lattice_subj_host_subs(const char *prefix, const char *lattice,
                                      const char *host_id,
                                      bool component_auction,
                                      bool provider_auction,
                                      lat_lattice_sub_specs_t *out,
                                      lat_error_t *err) {
  lat_status st;
  out->items = NULL;
  out->count = 0;
  if ((st = prefix_check(&prefix, err)) != LAT_OK ||
      (st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("host id", host_id, err)) != LAT_OK)
    return st;
  size_t n = sizeof host_table / sizeof host_table[0];
  out->items = lat_calloc(n, sizeof *out->items);
  if (!out->items)
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if ((host_table[i].auction == 1 && !component_auction) ||
        (host_table[i].auction == 2 && !provider_auction))
      continue;
    lat_lattice_sub_spec_t *s = &out->items[out->count++];
    if (host_table[i].host)
      st = build(&s->subject, err, "%s.v1.%s.%s.%s", prefix, lattice,
                 host_table[i].tail, host_id);
    else
      st = build(&s->subject, err, "%s.v1.%s.%s", prefix, lattice,
                 host_table[i].tail);
    if (st == LAT_OK && host_table[i].queue)
      st = build(&s->queue, err, "%s.v1.%s.%s", prefix, lattice,
                 host_table[i].queue);
    if (st != LAT_OK) {
      lat_lattice_sub_specs_fini(out);
      return st;
    }
  }
  return LAT_OK;
}

lat_status lat_lattice_subj_event(const char *lattice, const char *event,
                                  char **out_subject, lat_error_t *err) {
  lat_status st;
  *out_subject = NULL;
  if ((st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("event name", event, err)) != LAT_OK)
    return st;
  return build(out_subject, err, LAT_LATTICE_EVT_PREFIX ".%s.%s", lattice,
               event);
}

lat_status lat_lattice_subj_wrpc_prefix(const char *lattice, const char *id,
                                        char **out_subject, lat_error_t *err) {
  lat_status st;
  *out_subject = NULL;
  if ((st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("target id", id, err)) != LAT_OK)
    return st;
  return build(out_subject, err, "%s.%s", lattice, id);
}

lat_status lat_lattice_subj_wrpc(const char *lattice, const char *id,
                                 const char *instance, const char *function,
                                 char **out_subject, lat_error_t *err) {
  lat_status st;
  *out_subject = NULL;
  if ((st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("target id", id, err)) != LAT_OK ||
      (st = tokens_check("WIT instance", instance, err)) != LAT_OK ||
      (st = lat_lattice_token_check("function name", function, err)) != LAT_OK)
    return st;
  return build(out_subject, err, "%s.%s." LAT_LATTICE_WRPC_VERSION ".%s.%s",
               lattice, id, instance, function);
}

lat_status lat_lattice_subj_rpc(const char *lattice, const char *id,
                                lat_lattice_rpc_kind kind, char **out_subject,
                                lat_error_t *err) {
  lat_status st;
  *out_subject = NULL;
  const char *suffix;
  switch (kind) {
    case LAT_LATTICE_RPC_HEALTH:
      suffix = "health";
      break;
    case LAT_LATTICE_RPC_SHUTDOWN:
      suffix = "default.shutdown";
      break;
    case LAT_LATTICE_RPC_LINKDEFS_PUT:
      suffix = "linkdefs.put";
      break;
    case LAT_LATTICE_RPC_LINKDEFS_DEL:
      suffix = "linkdefs.del";
      break;
    case LAT_LATTICE_RPC_CONFIG_UPDATE:
      suffix = "config.update";
      break;
    default:
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "unknown provider management subject %d", (int)kind);
  }
  if ((st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK ||
      (st = lat_lattice_token_check("provider id", id, err)) != LAT_OK)
    return st;
  return build(out_subject, err, LAT_LATTICE_RPC_PREFIX ".%s.%s.%s", lattice,
               id, suffix);
}

lat_status lat_lattice_subj_bucket(lat_lattice_bucket_kind kind,
                                   const char *lattice, char **out_name,
                                   lat_error_t *err) {
  lat_status st;
  *out_name = NULL;
  const char *head;
  switch (kind) {
    case LAT_LATTICE_BUCKET_LATTICEDATA:
      head = "LATTICEDATA_";
      break;
    case LAT_LATTICE_BUCKET_CONFIGDATA:
      head = "CONFIGDATA_";
      break;
    default:
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "unknown bucket kind %d",
                           (int)kind);
  }
  if ((st = lat_lattice_token_check("lattice name", lattice, err)) != LAT_OK)
    return st;
  return build(out_name, err, "%s%s", head, lattice);
}
