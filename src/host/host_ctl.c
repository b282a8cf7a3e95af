/* host_ctl.c: the control interface v1 (PROTOCOL.md §1), request by request.
 *
 * Input is a subject's noun, verb and target (host id or config name) and
 * the payload; output is the reply JSON in wasmCloud's CtlResponse envelope
 * ({"success","message","response"}) or NULL when the host must stay silent
 * (an auction it does not win, registry.put).  Transport is not here:
 * host_core.c receives the NATS messages, hands them to a worker thread and
 * sends what this returns.
 *
 * Every payload is untrusted: it is parsed with duplicate keys refused, each
 * field type-checked, ids and names checked as single NATS tokens, and any
 * failure is an error envelope naming the field; nothing changes on an
 * error.  Scale, update and provider start answer "accepted" and do the
 * work afterwards (lat__host_ctl_job), like wasmCloud: the result is an
 * event.
 *
 * Links are kept as the lattice's KV holds them (LATTICEDATA
 * COMPONENT_{source} = {"url","links":[...]}): a put or del rewrites that
 * key, updates this host at once (so a request right after the reply sees
 * it) and every other host through its watch (host_core.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"

/* ---- envelopes -------------------------------------------------------------------- */

static char *dump(json_t *o) {
  char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  char *r = t ? lat_strndup(t, strlen(t)) : NULL;
  free(t);
  return r;
}

static char *reply_ok(json_t *response) {
  return dump(json_pack("{s:b,s:s,s:o}", "success", 1, "message", "", "response",
                        response ? response : json_null()));
}

static char *reply_msg(bool success, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *reply_msg(bool success, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dump(json_pack("{s:b,s:s}", "success", success, "message", msg));
}

/* ---- field checks ------------------------------------------------------------------- */

/* A single NATS token: non-empty, printable, no '.', '*', '>' or space. */
bool lat__host_token_ok(const char *s) {
  if (!s || !*s || strlen(s) > 255) return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f || *p == '.' || *p == '*' || *p == '>') return false;
  return true;
}

typedef struct {
  json_t *root;
  char err[256];
} req_t;

static bool parse(req_t *r, const char *data, size_t len) {
  json_error_t je;
  r->err[0] = 0;
  r->root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
  if (!r->root) {
    snprintf(r->err, sizeof r->err, "failed to parse the request as JSON: %s (line %d, column %d)",
             je.text, je.line, je.column);
    return false;
  }
  if (!json_is_object(r->root)) {
    snprintf(r->err, sizeof r->err, "the request must be a JSON object");
    return false;
  }
  return true;
}

/* A string field: required or optional (def when absent or null). */
static bool str_field(req_t *r, const char *name, bool required, const char *def,
                      const char **out) {
  json_t *v = json_object_get(r->root, name);
  if (!v || json_is_null(v)) {
    if (required) {
      if (!r->err[0]) snprintf(r->err, sizeof r->err, "missing field `%s`", name);
      return false;
    }
    *out = def;
    return true;
  }
  if (!json_is_string(v)) {
    if (!r->err[0]) snprintf(r->err, sizeof r->err, "field `%s` must be a string", name);
    return false;
  }
  *out = json_string_value(v);
  return true;
}

static bool token_field(req_t *r, const char *name, bool required, const char *def,
                        const char **out) {
  if (!str_field(r, name, required, def, out)) return false;
  if (*out && !lat__host_token_ok(*out)) {
    if (!r->err[0])
      snprintf(r->err, sizeof r->err,
               "field `%s` must be a non-empty name without '.', '*', '>' or spaces", name);
    return false;
  }
  return true;
}

/* An object whose values are all strings (annotations, constraints, config). */
static bool flat_map(json_t *v) {
  if (!json_is_object(v)) return false;
  const char *k;
  json_t *x;
  json_object_foreach(v, k, x) if (!json_is_string(x)) return false;
  return true;
}

static bool map_field(req_t *r, const char *name, json_t **out) {
  json_t *v = json_object_get(r->root, name);
  *out = NULL;
  if (!v || json_is_null(v)) return true;
  if (!flat_map(v)) {
    if (!r->err[0])
      snprintf(r->err, sizeof r->err, "field `%s` must be an object of strings", name);
    return false;
  }
  *out = v;
  return true;
}

/* An array of strings (config names, interfaces); tokens when names. */
static bool list_field(req_t *r, const char *name, bool tokens, json_t **out) {
  json_t *v = json_object_get(r->root, name);
  *out = NULL;
  if (!v || json_is_null(v)) return true;
  bool ok = json_is_array(v);
  size_t i;
  json_t *x;
  json_array_foreach(v, i, x) if (!json_is_string(x) ||
                                  (tokens ? !lat__host_token_ok(json_string_value(x))
                                          : !*json_string_value(x))) ok = false;
  if (!ok) {
    if (!r->err[0])
      snprintf(r->err, sizeof r->err, "field `%s` must be an array of %s", name,
               tokens ? "names" : "non-empty strings");
    return false;
  }
  *out = v;
  return true;
}

/* A u32 (JSON integer; also a decimal string, as some clients send). */
static bool u32_field(req_t *r, const char *name, bool *present, uint32_t *out) {
  json_t *v = json_object_get(r->root, name);
  *present = v && !json_is_null(v);
  if (!*present) return true;
  if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= UINT32_MAX) {
    *out = (uint32_t)json_integer_value(v);
    return true;
  }
  if (!r->err[0])
    snprintf(r->err, sizeof r->err, "field `%s` must be an integer from 0 to 4294967295", name);
  return false;
}

/* component_limits values: integers or decimal strings. */
static bool limit_value(json_t *v, uint64_t *out) {
  if (json_is_integer(v) && json_integer_value(v) >= 0) {
    *out = (uint64_t)json_integer_value(v);
    return true;
  }
  if (!json_is_string(v)) return false;
  const char *s = json_string_value(v);
  char *end;
  if (!*s || *s == '-') return false;
  unsigned long long x = strtoull(s, &end, 10);
  if (*end) return false;
  *out = x;
  return true;
}

static char *bad_request(req_t *r) {
  char *out = reply_msg(false, "%s", r->err[0] ? r->err : "bad request");
  json_decref(r->root);
  return out;
}

/* ---- host ----------------------------------------------------------------------------- */

static const char *uptime_human(uint64_t s, char *buf, size_t cap) {
  snprintf(buf, cap, "%llud %lluh %llum %llus", (unsigned long long)(s / 86400),
           (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
           (unsigned long long)(s % 60));
  return buf;
}

static uint64_t uptime_s(lat_host_t *h) { return (lat_now_ns() - h->started_ns) / 1000000000u; }

json_t *lat__host_ping_info(lat_host_t *h) {
  char up[64];
  uint64_t s = uptime_s(h);
  return json_pack("{s:s,s:s,s:O,s:s,s:I,s:s,s:s,s:s?,s:s?,s:s?}", "id", h->id,
                   "friendly_name", h->friendly_name, "labels", h->labels, "lattice",
                   h->lattice, "uptime_seconds", (json_int_t)s, "uptime_human",
                   uptime_human(s, up, sizeof up), "version", LAT_HOST_VERSION, "ctl_host",
                   h->ctl_host, "rpc_host", h->rpc_host, "js_domain", h->js_domain);
}

json_t *lat__host_inventory(lat_host_t *h) {
  char up[64];
  uint64_t s = uptime_s(h);
  json_t *comps = json_array(), *provs = json_array();
  for (lat__host_comp_t *c = h->comps; c; c = c->next) {
    json_t *lim = json_pack("{s:I,s:I}", "max_memory_limit", (json_int_t)c->max_memory,
                            "max_execution_time", (json_int_t)(c->max_exec_ns / 1000000u));
    json_t *d = json_pack("{s:s,s:s,s:O,s:i,s:i,s:o}", "id", c->id, "image_ref", c->image_ref,
                          "annotations", c->annotations, "revision", (json_int_t)c->revision,
                          "max_instances", (json_int_t)c->max_instances, "limits", lim);
    if (d && c->claims.name) json_object_set_new(d, "name", json_string(c->claims.name));
    json_array_append_new(comps, d);
  }
  for (lat__host_prov_t *p = h->provs; p; p = p->next)
    json_array_append_new(provs, json_pack("{s:s,s:s,s:O,s:i}", "id", p->id, "image_ref",
                                           p->image_ref, "annotations", p->annotations,
                                           "revision", 0));
  return json_pack("{s:s,s:s,s:O,s:s,s:s,s:I,s:o,s:o}", "host_id", h->id, "friendly_name",
                   h->friendly_name, "labels", h->labels, "version", LAT_HOST_VERSION,
                   "uptime_human", uptime_human(s, up, sizeof up), "uptime_seconds",
                   (json_int_t)s, "components", comps, "providers", provs);
}

static void emit(lat_host_t *h, const char *name, json_t *data) {
  if (data && h->io.event) h->io.event(h->io.env, name, data);
  json_decref(data);
}

/* True when every constraint k=v is one of the labels. */
static bool constraints_match(lat_host_t *h, json_t *cons) {
  const char *k;
  json_t *v;
  json_object_foreach(cons, k, v) {
    json_t *l = json_object_get(h->labels, k);
    if (!l || strcmp(json_string_value(l), json_string_value(v))) return false;
  }
  return true;
}

static char *auction(lat_host_t *h, req_t *r, bool component) {
  const char *ref, *id;
  json_t *cons;
  const char *rk = component ? "component_ref" : "provider_ref";
  const char *ik = component ? "component_id" : "provider_id";
  if (!str_field(r, rk, true, NULL, &ref) || !token_field(r, ik, true, NULL, &id) ||
      !map_field(r, "constraints", &cons))
    return bad_request(r);
  char *out = NULL;
  pthread_mutex_lock(&h->mu);
  bool running = false;
  if (component) running = lat__host_comp_find(h, id) != NULL;
  else
    for (lat__host_prov_t *p = h->provs; p; p = p->next) running |= !strcmp(p->id, id);
  if (!h->stopping && !running && (!cons || constraints_match(h, cons)))
    out = reply_ok(json_pack("{s:s,s:s,s:s,s:o}", rk, ref, ik, id, "host_id", h->id,
                             "constraints", cons ? json_incref(cons) : json_object()));
  pthread_mutex_unlock(&h->mu);
  json_decref(r->root);
  return out;
}

/* ---- components ---------------------------------------------------------------------- */

static char *scale(lat_host_t *h, req_t *r, lat__host_job_t *job) {
  const char *ref, *id;
  json_t *ann, *cfg;
  uint32_t count = 0, alias = 0;
  bool has_count, has_alias;
  if (!str_field(r, "component_ref", true, NULL, &ref) ||
      !token_field(r, "component_id", true, NULL, &id) ||
      !u32_field(r, "count", &has_count, &count) ||
      !u32_field(r, "max_instances", &has_alias, &alias) || !map_field(r, "annotations", &ann) ||
      !list_field(r, "config", true, &cfg))
    return bad_request(r);
  if (!*ref && (has_count ? count : alias)) { /* stopping may leave the ref empty */
    snprintf(r->err, sizeof r->err, "field `component_ref` must not be empty");
    return bad_request(r);
  }
  json_t *au = json_object_get(r->root, "allow_update");
  if (au && !json_is_boolean(au) && !json_is_null(au)) {
    snprintf(r->err, sizeof r->err, "field `allow_update` must be true or false");
    return bad_request(r);
  }
  lat__host_scale_t sc = {.id = id, .ref = ref, .count = has_count ? count : alias,
                          .annotations = ann, .config = cfg, .allow_update = json_is_true(au)};
  json_t *lim = json_object_get(r->root, "component_limits");
  if (lim && !json_is_null(lim)) {
    json_t *m = json_object_get(lim, "max_memory_limit"), *t =
                                                              json_object_get(lim, "max_execution_time");
    uint64_t ms = 0;
    if (!json_is_object(lim) || (m && !json_is_null(m) && !limit_value(m, &sc.max_memory)) ||
        (t && !json_is_null(t) && !limit_value(t, &ms))) {
      snprintf(r->err, sizeof r->err,
               "field `component_limits` must be an object with max_memory_limit (bytes) and "
               "max_execution_time (milliseconds) as non-negative integers");
      return bad_request(r);
    }
    if (ms > UINT64_MAX / 1000000u) ms = UINT64_MAX / 1000000u;
    sc.max_exec_ns = ms * 1000000u;
  }
  char *out;
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = lat__host_comp_find(h, id);
  if (h->stopping) out = reply_msg(false, "the host is stopping");
  else if (c && strcmp(c->image_ref, ref) && !sc.allow_update && sc.count)
    out = reply_msg(true, "component %s is already running with image %s; the count changes, "
                          "the image does not (set allow_update to change it)",
                    id, c->image_ref);
  else if (!c && !sc.count)
    out = reply_msg(true, "component %s is not running on this host; nothing to stop", id);
  else out = reply_msg(true, "%s", "");
  pthread_mutex_unlock(&h->mu);
  job->kind = LAT__HOST_JOB_SCALE;
  job->req = r->root; /* the job keeps the parsed request (sc points into it) */
  job->scale = sc;
  return out;
}

static char *update(lat_host_t *h, req_t *r, lat__host_job_t *job) {
  const char *id, *ref;
  json_t *ann;
  if (!token_field(r, "component_id", true, NULL, &id) ||
      !str_field(r, "new_component_ref", true, NULL, &ref) || !map_field(r, "annotations", &ann))
    return bad_request(r);
  char *out = NULL;
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = lat__host_comp_find(h, id);
  if (!c) {
    out = reply_msg(false, "component %s is not running on this host", id);
  } else if (!strcmp(c->image_ref, ref)) {
    out = reply_msg(true, "component %s already runs %s; nothing to update", id, ref);
  } else {
    out = reply_msg(true, "%s", "");
    job->kind = LAT__HOST_JOB_SCALE;
    job->req = r->root;
    job->scale = (lat__host_scale_t){.id = id, .ref = ref, .count = c->max_instances,
                                     .annotations = ann ? ann : c->annotations,
                                     .config = c->config, .allow_update = true, .max_memory = c->max_memory,
                                     .max_exec_ns = c->max_exec_ns};
    /* the job borrows these from the running entry, which an update may free */
    job->hold = json_pack("[OO]", ann ? ann : c->annotations, c->config);
  }
  pthread_mutex_unlock(&h->mu);
  if (!job->req) json_decref(r->root);
  return out;
}

/* ---- providers: the builtin http-server, executables (host_providers.c) --------------- */

#define BUILTIN_PREFIX "wasmcloud+builtin://"
#define BUILTIN_HTTP BUILTIN_PREFIX "http-server"
#define BUILTIN_HTTP_CLIENT BUILTIN_PREFIX "http-client"

static char *provider_start(lat_host_t *h, req_t *r, lat__host_job_t *job) {
  const char *id, *ref;
  json_t *ann, *cfg;
  if (!token_field(r, "provider_id", true, NULL, &id) ||
      !str_field(r, "provider_ref", true, NULL, &ref) || !map_field(r, "annotations", &ann) ||
      !list_field(r, "config", true, &cfg))
    return bad_request(r);
  char *out;
  json_t *ev = NULL;
  const char *evname = NULL, *why = NULL;
  bool file = !strncmp(ref, "file://", 7);
  const char *builtin = NULL; /* the name of a builtin provider run as a process */
  bool inhost = !strcmp(ref, BUILTIN_HTTP) || !strcmp(ref, BUILTIN_HTTP_CLIENT);
  if (h->builtin_exe && !strncmp(ref, BUILTIN_PREFIX, strlen(BUILTIN_PREFIX)) && !inhost) {
    size_t i;
    json_t *n;
    json_array_foreach(h->builtin_names, i, n)
      if (!strcmp(json_string_value(n), ref + strlen(BUILTIN_PREFIX))) builtin = json_string_value(n);
  }
  bool exec = file || builtin;
  char whybuf[512];
  if (file && !h->allow_file_load) why = "file:// provider references need --allow-file-load";
  else if (file && h->require_signed)
    why = "this host requires signed artifacts (--require-signed/--allowed-issuers), and an "
          "executable provider carries no claims";
  else if (!exec && !inhost) {
    char *names = json_dumps(h->builtin_names, JSON_COMPACT);
    snprintf(whybuf, sizeof whybuf,
             "unknown provider reference %s: this host runs " BUILTIN_HTTP ", " BUILTIN_HTTP_CLIENT
             ", the builtin providers %s (" BUILTIN_PREFIX "NAME) and executables (file://PATH)",
             ref, names ? names : "[]");
    free(names);
    why = whybuf;
  }
  pthread_mutex_lock(&h->mu);
  bool running = false;
  for (lat__host_prov_t *p = h->provs; p; p = p->next) running |= !strcmp(p->id, id);
  if (running) {
    out = reply_msg(false, "provider %s is already running on this host", id);
  } else if (why) {
    out = reply_msg(true, "%s", "");
    evname = "provider_start_failed";
    ev = json_pack("{s:s,s:s,s:s,s:s,s:s}", "provider_ref", ref, "provider_id", id, "host_id",
                   h->id, "error", why, "link_name", "default");
  } else {
    lat__host_prov_t *p = lat_calloc(1, sizeof *p);
    if (p && (p->id = lat_strndup(id, strlen(id))) &&
        (p->image_ref = lat_strndup(ref, strlen(ref))) &&
        (!file || lat__host_prov_exec_new(p, ref + 7) == LAT_OK) &&
        (!builtin || lat__host_prov_builtin_new(p, h->builtin_exe, builtin) == LAT_OK)) {
      p->annotations = ann ? json_incref(ann) : json_object();
      p->config = cfg ? json_incref(cfg) : json_array();
      p->next = h->provs;
      h->provs = p;
      out = reply_msg(true, "%s", "");
      if (exec) { /* spawned after the reply; its events tell how it went */
        job->kind = LAT__HOST_JOB_PROV_START;
        job->prov = p;
      } else {
        evname = "provider_started";
        ev = json_pack("{s:s,s:s,s:s,s:O}", "host_id", h->id, "image_ref", ref, "provider_id",
                       id, "annotations", p->annotations);
      }
    } else {
      lat__host_prov_free(p);
      out = reply_msg(false, "out of memory");
    }
  }
  pthread_mutex_unlock(&h->mu);
  if (evname) {
    emit(h, evname, ev);
    lat__host_http_sync(h);
  }
  json_decref(r->root);
  return out;
}

void lat__host_prov_free(lat__host_prov_t *p) {
  if (!p) return;
  lat_free(p->id);
  lat_free(p->image_ref);
  json_decref(p->annotations);
  json_decref(p->config);
  lat__host_proc_free(p->proc);
  lat_free(p);
}

static char *provider_stop(lat_host_t *h, req_t *r, lat__host_job_t *job) {
  const char *id;
  if (!token_field(r, "provider_id", false, NULL, &id) ||
      (!id && !token_field(r, "provider_ref", true, NULL, &id)))
    return bad_request(r);
  lat__host_prov_t *found = NULL;
  pthread_mutex_lock(&h->mu);
  for (lat__host_prov_t **pp = &h->provs; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->id, id)) {
      found = *pp;
      *pp = found->next;
      break;
    }
  pthread_mutex_unlock(&h->mu);
  char *out;
  if (!found) {
    out = reply_msg(false, "provider %s is not running on this host", id);
  } else { /* stopped after the reply: an executable may take a few seconds */
    lat__host_http_sync(h);
    job->kind = LAT__HOST_JOB_PROV_STOP;
    job->prov = found;
    out = reply_msg(true, "%s", "");
  }
  json_decref(r->root);
  return out;
}

/* ---- links ------------------------------------------------------------------------------- */

/* Writes COMPONENT_{source}'s links to the KV (or deletes the key when none are left). */
static void store_links(lat_host_t *h, const char *source, json_t *links) {
  char key[300];
  snprintf(key, sizeof key, "COMPONENT_%s", source);
  if (!h->io.kv_put) return;
  if (!links || !json_array_size(links)) {
    if (h->io.kv_del) h->io.kv_del(h->io.env, LAT__HOST_LATTICEDATA, key);
    return;
  }
  const char *url = "";
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = lat__host_comp_find(h, source);
  char *u = c ? lat_strndup(c->image_ref, strlen(c->image_ref)) : NULL;
  pthread_mutex_unlock(&h->mu);
  if (u) url = u;
  char *text = dump(json_pack("{s:s,s:O}", "url", url, "links", links));
  if (text) h->io.kv_put(h->io.env, LAT__HOST_LATTICEDATA, key, text);
  lat_free(text);
  lat_free(u);
}

static bool same_str(json_t *o, const char *k, const char *v) {
  json_t *x = json_object_get(o, k);
  return x && json_is_string(x) && !strcmp(json_string_value(x), v);
}

static bool overlap(json_t *a, json_t *b) {
  size_t i, j;
  json_t *x, *y;
  json_array_foreach(a, i, x) json_array_foreach(b, j, y) if (json_equal(x, y)) return true;
  return false;
}

static bool configs_exist(lat_host_t *h, json_t *names, const char **missing) {
  size_t i;
  json_t *x;
  json_array_foreach(names, i, x) if (!json_object_get(h->configs, json_string_value(x))) {
    *missing = json_string_value(x);
    return false;
  }
  return true;
}

static char *link_put(lat_host_t *h, req_t *r) {
  const char *src, *target, *name, *ns, *pkg;
  json_t *ifaces, *scfg, *tcfg;
  if (!token_field(r, "source_id", true, NULL, &src) ||
      !token_field(r, "target", true, NULL, &target) ||
      !token_field(r, "name", false, "default", &name) ||
      !str_field(r, "wit_namespace", true, NULL, &ns) ||
      !str_field(r, "wit_package", true, NULL, &pkg) ||
      !list_field(r, "interfaces", false, &ifaces) ||
      !list_field(r, "source_config", true, &scfg) || !list_field(r, "target_config", true, &tcfg))
    return bad_request(r);
  if (!*ns || !*pkg || !ifaces || !json_array_size(ifaces)) {
    snprintf(r->err, sizeof r->err,
             "a link needs wit_namespace, wit_package and at least one interface");
    return bad_request(r);
  }
  json_t *link = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:o,s:o}", "source_id", src, "target",
                           target, "name", name, "wit_namespace", ns, "wit_package", pkg,
                           "interfaces", ifaces, "source_config",
                           scfg ? json_incref(scfg) : json_array(), "target_config",
                           tcfg ? json_incref(tcfg) : json_array());
  char *out = NULL;
  const char *missing = NULL;
  json_t *newlist = NULL;
  pthread_mutex_lock(&h->mu);
  if (!link) {
    out = reply_msg(false, "out of memory");
  } else if (!configs_exist(h, json_object_get(link, "source_config"), &missing) ||
             !configs_exist(h, json_object_get(link, "target_config"), &missing)) {
    out = reply_msg(false, "configuration %s does not exist (create it with config.put first)",
                    missing);
  } else {
    json_t *cur = json_object_get(h->links, src);
    newlist = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(cur, i, l) {
      bool key = same_str(l, "wit_namespace", ns) && same_str(l, "wit_package", pkg) &&
                 same_str(l, "name", name);
      if (key && !same_str(l, "target", target) &&
          overlap(json_object_get(l, "interfaces"), ifaces)) {
        out = reply_msg(false,
                        "link already exists with different target %s for %s:%s (name %s); "
                        "delete it first",
                        json_string_value(json_object_get(l, "target")), ns, pkg, name);
        break;
      }
      if (!(key && same_str(l, "target", target))) json_array_append(newlist, l);
    }
    if (!out) {
      json_array_append(newlist, link);
      json_object_set(h->links, src, newlist);
    }
  }
  pthread_mutex_unlock(&h->mu);
  json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:O}", "source_id", src, "target", target,
                         "name", name, "wit_namespace", ns, "wit_package", pkg, "interfaces",
                         ifaces, "source_config", json_object_get(link, "source_config"),
                         "target_config", json_object_get(link, "target_config"));
  if (out) {
    json_object_set_new(ev, "error", json_string("rejected"));
    emit(h, "linkdef_set_failed", ev);
  } else {
    store_links(h, src, newlist);
    emit(h, "linkdef_set", ev);
    lat__host_http_sync(h);
    out = reply_msg(true, "%s", "");
  }
  json_decref(newlist);
  json_decref(link);
  json_decref(r->root);
  return out;
}

static char *link_del(lat_host_t *h, req_t *r) {
  const char *src, *name, *ns, *pkg;
  if (!token_field(r, "source_id", true, NULL, &src) ||
      !token_field(r, "name", false, "default", &name) ||
      !str_field(r, "wit_namespace", true, NULL, &ns) ||
      !str_field(r, "wit_package", true, NULL, &pkg))
    return bad_request(r);
  json_t *ev = json_pack("{s:s,s:s,s:s,s:s}", "source_id", src, "name", name, "wit_namespace", ns,
                         "wit_package", pkg);
  json_t *newlist = json_array();
  bool found = false;
  pthread_mutex_lock(&h->mu);
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(h->links, src), i, l) {
    if (same_str(l, "wit_namespace", ns) && same_str(l, "wit_package", pkg) &&
        same_str(l, "name", name)) {
      if (!found) {
        json_object_set(ev, "target", json_object_get(l, "target"));
        json_object_set(ev, "interfaces", json_object_get(l, "interfaces"));
      }
      found = true;
    } else {
      json_array_append(newlist, l);
    }
  }
  if (found) {
    if (json_array_size(newlist)) json_object_set(h->links, src, newlist);
    else json_object_del(h->links, src);
  }
  pthread_mutex_unlock(&h->mu);
  if (found) {
    store_links(h, src, newlist);
    lat__host_http_sync(h);
  }
  emit(h, "linkdef_deleted", ev);
  json_decref(newlist);
  json_decref(r->root);
  return reply_msg(true, "%s", "");
}

static char *link_get(lat_host_t *h) {
  json_t *all = json_array();
  pthread_mutex_lock(&h->mu);
  const char *k;
  json_t *v;
  json_object_foreach(h->links, k, v) json_array_extend(all, v);
  pthread_mutex_unlock(&h->mu);
  return reply_ok(all);
}

static char *claims_get(lat_host_t *h) {
  json_t *all = json_array();
  pthread_mutex_lock(&h->mu);
  const char *k;
  json_t *c;
  json_object_foreach(h->claims, k, c) {
    json_t *f = json_object();
    const char *f2;
    json_t *v;
    json_object_foreach(c, f2, v) {
      if (json_is_string(v)) json_object_set(f, f2, v);
      else if (json_is_array(v)) { /* tags: comma-joined */
        lat_buf_t b;
        lat_buf_init(&b);
        size_t i;
        json_t *t;
        json_array_foreach(v, i, t) lat_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(t));
        json_object_set_new(f, f2, json_stringn(b.data ? (char *)b.data : "", b.len));
        lat_buf_fini(&b);
      }
    }
    /* the deprecated short names, as wasmCloud sends them */
    json_object_set(f, "iss", json_object_get(c, "issuer"));
    json_object_set(f, "sub", json_object_get(c, "subject"));
    json_object_set(f, "rev", json_object_get(c, "revision"));
    json_array_append_new(all, f);
  }
  pthread_mutex_unlock(&h->mu);
  return reply_ok(all);
}

/* ---- config -------------------------------------------------------------------------- */

static char *config(lat_host_t *h, const char *verb, const char *name, const char *data,
                    size_t len) {
  if (!lat__host_token_ok(name))
    return reply_msg(false, "bad config name (a single token without '.', '*' or '>')");
  if (!strcmp(verb, "get")) {
    pthread_mutex_lock(&h->mu);
    json_t *c = json_object_get(h->configs, name);
    char *out = c ? reply_ok(json_incref(c)) : reply_msg(true, "Configuration not found");
    pthread_mutex_unlock(&h->mu);
    return out;
  }
  if (!strcmp(verb, "del")) {
    pthread_mutex_lock(&h->mu);
    json_object_del(h->configs, name);
    pthread_mutex_unlock(&h->mu);
    if (h->io.kv_del) h->io.kv_del(h->io.env, LAT__HOST_CONFIGDATA, name);
    emit(h, "config_deleted", json_pack("{s:s}", "config_name", name));
    return reply_msg(true, "%s", "");
  }
  if (strcmp(verb, "put")) return reply_msg(false, "unsupported subject");
  req_t r;
  if (!parse(&r, data, len)) return bad_request(&r);
  if (!flat_map(r.root)) {
    snprintf(r.err, sizeof r.err, "configuration must be a JSON object of string values");
    return bad_request(&r);
  }
  char *text = dump(json_incref(r.root));
  pthread_mutex_lock(&h->mu);
  json_object_set(h->configs, name, r.root);
  pthread_mutex_unlock(&h->mu);
  if (text && h->io.kv_put) h->io.kv_put(h->io.env, LAT__HOST_CONFIGDATA, name, text);
  lat_free(text);
  emit(h, "config_set", json_pack("{s:s}", "config_name", name));
  json_decref(r.root);
  lat__host_http_sync(h);
  return reply_msg(true, "%s", "");
}

/* ---- labels ----------------------------------------------------------------------------- */

static char *label(lat_host_t *h, const char *verb, req_t *r) {
  const char *key, *value = NULL;
  if (!str_field(r, "key", true, NULL, &key) ||
      (!strcmp(verb, "put") && !str_field(r, "value", true, NULL, &value)))
    return bad_request(r);
  if (!*key) {
    snprintf(r->err, sizeof r->err, "field `key` must not be empty");
    return bad_request(r);
  }
  if (!strncmp(key, "hostcore.", 9)) {
    json_decref(r->root);
    return reply_msg(false, "labels starting with hostcore. are set by the host and cannot "
                            "be changed");
  }
  pthread_mutex_lock(&h->mu);
  bool changed = true;
  if (value) json_object_set_new(h->labels, key, json_string(value));
  else changed = json_object_del(h->labels, key) == 0;
  json_t *ev = json_pack("{s:s,s:O}", "host_id", h->id, "labels", h->labels);
  pthread_mutex_unlock(&h->mu);
  char *out;
  if (changed) {
    emit(h, "labels_changed", ev);
    out = reply_msg(true, "%s", "");
  } else {
    json_decref(ev);
    out = reply_msg(false, "label %s is not set on this host", key);
  }
  json_decref(r->root);
  return out;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

char *lat__host_ctl(lat_host_t *h, const char *noun, const char *verb, const char *target,
                    const char *data, size_t len, lat__host_job_t *job) {
  memset(job, 0, sizeof *job);
  if (!strcmp(noun, "config") && target) return config(h, verb, target, data, len);
  if (!strcmp(noun, "link") && !strcmp(verb, "get")) return link_get(h);
  if (!strcmp(noun, "claims") && !strcmp(verb, "get")) return claims_get(h);
  if (!strcmp(noun, "host") && !strcmp(verb, "ping")) {
    pthread_mutex_lock(&h->mu);
    char *out = reply_ok(lat__host_ping_info(h));
    pthread_mutex_unlock(&h->mu);
    return out;
  }
  if (!strcmp(noun, "host") && !strcmp(verb, "get")) {
    pthread_mutex_lock(&h->mu);
    char *out = reply_ok(lat__host_inventory(h));
    pthread_mutex_unlock(&h->mu);
    return out;
  }
  if (!strcmp(noun, "registry") && !strcmp(verb, "put")) return NULL; /* no reply expected */
  bool known =
      (!strcmp(noun, "host") && !strcmp(verb, "stop")) ||
      (!strcmp(noun, "component") &&
       (!strcmp(verb, "auction") || !strcmp(verb, "scale") || !strcmp(verb, "update"))) ||
      (!strcmp(noun, "provider") &&
       (!strcmp(verb, "auction") || !strcmp(verb, "start") || !strcmp(verb, "stop"))) ||
      (!strcmp(noun, "link") && (!strcmp(verb, "put") || !strcmp(verb, "del"))) ||
      (!strcmp(noun, "label") && (!strcmp(verb, "put") || !strcmp(verb, "del")));
  if (!known) return reply_msg(false, "unsupported subject");
  req_t r;
  if (!strcmp(noun, "host")) { /* stop: the body is optional */
    if (len && !parse(&r, data, len)) return bad_request(&r);
    if (len) json_decref(r.root);
    job->kind = LAT__HOST_JOB_STOP;
    return reply_msg(true, "%s", "");
  }
  if (!parse(&r, data, len)) return bad_request(&r);
  if (!strcmp(verb, "auction")) return auction(h, &r, !strcmp(noun, "component"));
  if (!strcmp(noun, "component"))
    return !strcmp(verb, "scale") ? scale(h, &r, job) : update(h, &r, job);
  if (!strcmp(noun, "provider"))
    return !strcmp(verb, "start") ? provider_start(h, &r, job) : provider_stop(h, &r, job);
  if (!strcmp(noun, "link")) return !strcmp(verb, "put") ? link_put(h, &r) : link_del(h, &r);
  return label(h, verb, &r);
}

void lat__host_job_run(lat_host_t *h, lat__host_job_t *job) {
  if (job->kind == LAT__HOST_JOB_SCALE) {
    lat__host_scale(h, &job->scale);
    lat__host_http_sync(h);
    lat__host_wrpc_sync(h, job->scale.id);
  } else if (job->kind == LAT__HOST_JOB_PROV_START) {
    lat__host_prov_launch(h, job->prov);
  } else if (job->kind == LAT__HOST_JOB_PROV_STOP) {
    lat__host_prov_halt(h, job->prov, "stop");
  }
  job->prov = NULL;
  json_decref(job->req);
  json_decref(job->hold);
  job->req = job->hold = NULL;
}
