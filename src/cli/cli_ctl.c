/* cli_ctl.c: the control-interface client: `lattice get|start|scale|update|
 * stop|link|config|label`, as wash's commands of the same names.
 *
 * Each command connects to the lattice's NATS (--ctl-host/--ctl-port/
 * --ctl-creds, with wash's WASMCLOUD_CTL_* variables), sends one request on
 * the subject PROTOCOL.md §1 gives (subjects are built by src/lattice) and
 * prints the reply: a line for people, or the reply's JSON with -o json.
 * Errors are {"success":false,"error":"..."} under -o json.
 *
 * Asynchronous operations (start/scale/update component, start provider)
 * subscribe to the lattice's events *before* sending, then wait (bounded by
 * --timeout-ms) for the event that says how it ended, so the exit status
 * tells whether the component really runs, not only that a host accepted.
 * Without --host-id, `start` runs an auction (host.ping's scatter/gather
 * with constraints) and picks the first host that answered.
 *
 * Exit status: 0 ok, 1 the lattice said no (or nothing answered), 2 usage.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lattice/lattice.h"
#include "cli.h"

#define MAX_POS 8
#define MAX_MULTI 32

typedef struct {
  const char *lattice, *ctl_host, *ctl_port, *ctl_creds, *prefix;
  uint32_t timeout_ms;
  bool json;
  const char *host_id, *link_name, *ifaces[MAX_MULTI], *scfg[MAX_MULTI], *tcfg[MAX_MULTI],
      *cons[MAX_MULTI], *cfg[MAX_MULTI];
  size_t nifaces, nscfg, ntcfg, ncons, ncfg;
  uint32_t count;
  bool has_count, del, allow_update;
  const char *pos[MAX_POS];
  size_t npos;
  const char *cmd;
} ctl_args_t;

static int fail(const ctl_args_t *a, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const ctl_args_t *a, int rc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (a->json) {
    json_t *o = json_pack("{s:b,s:s}", "success", 0, "error", msg);
    char *t = json_dumps(o, JSON_COMPACT);
    printf("%s\n", t ? t : "{\"success\":false}");
    free(t);
    json_decref(o);
  } else {
    fprintf(stderr, "lattice %s: %s\n", a->cmd, msg);
  }
  return rc;
}

static const char *env_or(const char *v, const char *env) { return v ? v : getenv(env); }

static const char COMMON_HELP[] =
    "common options:\n"
    "  --lattice NAME      [WASMCLOUD_LATTICE] (default: default)\n"
    "  --ctl-host HOST     [WASMCLOUD_CTL_HOST] (default 127.0.0.1)\n"
    "  --ctl-port PORT     [WASMCLOUD_CTL_PORT] (default 4222)\n"
    "  --ctl-creds FILE    NATS .creds [WASMCLOUD_CTL_CREDS]\n"
    "  --ctl-topic-prefix P  [WASMCLOUD_CTL_TOPIC_PREFIX] (default wasmbus.ctl)\n"
    "  --timeout-ms N      how long to wait for answers (default 2000; auctions and\n"
    "                      pings collect for this long)\n"
    "  -o text|json        output format\n";

/* Parses argv; returns -1 to go on, else an exit status. */
static int parse(int argc, char **argv, ctl_args_t *a, const char *usage) {
  memset(a, 0, sizeof *a);
  a->cmd = argv[0];
  a->timeout_ms = 2000;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
      printf("%s\n%s", usage, COMMON_HELP);
      return 0;
    }
    if (s[0] != '-' || !s[1]) {
      if (a->npos == MAX_POS) return fail(a, 2, "too many arguments");
      a->pos[a->npos++] = s;
      continue;
    }
    const char *eq = strncmp(s, "--", 2) ? NULL : strchr(s, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
    if (!strcmp(name, "--delete")) {
      a->del = true;
      continue;
    }
    if (!strcmp(name, "--allow-update")) {
      a->allow_update = true;
      continue;
    }
    const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
    if (!v) return fail(a, 2, "%s needs a value", name);
#define MULTI(flag, arr, n)                                                    \
  if (!strcmp(name, flag)) {                                                   \
    if (a->n == MAX_MULTI) return fail(a, 2, "too many %s", flag);             \
    a->arr[a->n++] = v;                                                        \
    continue;                                                                  \
  }
    MULTI("--interface", ifaces, nifaces)
    MULTI("--source-config", scfg, nscfg)
    MULTI("--target-config", tcfg, ntcfg)
    MULTI("--constraint", cons, ncons)
    MULTI("--config", cfg, ncfg)
#undef MULTI
    if (!strcmp(name, "--lattice")) a->lattice = v;
    else if (!strcmp(name, "--ctl-host")) a->ctl_host = v;
    else if (!strcmp(name, "--ctl-port")) a->ctl_port = v;
    else if (!strcmp(name, "--ctl-creds")) a->ctl_creds = v;
    else if (!strcmp(name, "--ctl-topic-prefix")) a->prefix = v;
    else if (!strcmp(name, "--host-id")) a->host_id = v;
    else if (!strcmp(name, "--link-name")) a->link_name = v;
    else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
      if (strcmp(v, "json") && strcmp(v, "text")) return fail(a, 2, "-o wants text or json");
      a->json = !strcmp(v, "json");
    } else if (!strcmp(name, "--timeout-ms") || !strcmp(name, "--max-instances") ||
               !strcmp(name, "--count")) {
      char *end;
      unsigned long x = strtoul(v, &end, 10);
      if (!*v || *end || *v == '-' || x > UINT32_MAX)
        return fail(a, 2, "%s wants a non-negative integer, not '%s'", name, v);
      if (!strcmp(name, "--timeout-ms")) a->timeout_ms = x ? (uint32_t)x : 1;
      else {
        a->count = (uint32_t)x;
        a->has_count = true;
      }
    } else {
      return fail(a, 2, "unknown option '%s' (see lattice %s --help)", name, a->cmd);
    }
  }
  a->lattice = env_or(a->lattice, "WASMCLOUD_LATTICE");
  if (!a->lattice) a->lattice = "default";
  a->ctl_host = env_or(a->ctl_host, "WASMCLOUD_CTL_HOST");
  a->ctl_port = env_or(a->ctl_port, "WASMCLOUD_CTL_PORT");
  a->ctl_creds = env_or(a->ctl_creds, "WASMCLOUD_CTL_CREDS");
  a->prefix = env_or(a->prefix, "WASMCLOUD_CTL_TOPIC_PREFIX");
  if (!lat_lattice_token_valid(a->lattice))
    return fail(a, 2, "bad lattice name '%s' (one NATS token)", a->lattice);
  return -1;
}

static lat_status connect(const ctl_args_t *a, lat_lattice_conn_t **out, lat_error_t *err) {
  char url[300];
  snprintf(url, sizeof url, "nats://%s:%s", a->ctl_host ? a->ctl_host : "127.0.0.1",
           a->ctl_port ? a->ctl_port : "4222");
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.creds_file = a->ctl_creds;
  o.name = "lattice-cli";
  return lat_lattice_conn_new(&o, out, NULL, err);
}

/* One request; *out the parsed reply (new reference). */
static int request(const ctl_args_t *a, lat_lattice_conn_t *c, const char *noun, const char *verb,
                   const char *target, json_t *body, json_t **out) {
  *out = NULL;
  char *subj = NULL;
  lat_error_t err;
  if (lat_lattice_subj_ctl(a->prefix, a->lattice, noun, verb, target, &subj, &err))
    return fail(a, 2, "%s", err.msg);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_conn_request(c, subj, text ? text : "", text ? strlen(text) : 0,
                                           a->timeout_ms, &r, &err);
  free(text);
  lat_free(subj);
  if (st == LAT_ELIMIT || st == LAT_ENOTFOUND)
    return fail(a, 1, "no host answered %s.%s%s%s within %u ms", noun, verb, target ? " for " : "",
                target ? target : "", a->timeout_ms);
  if (st) return fail(a, 1, "%s", err.msg);
  *out = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    return fail(a, 1, "the host's reply is not JSON");
  }
  return -1;
}

static void print_json(json_t *o) {
  char *t = json_dumps(o, JSON_COMPACT);
  printf("%s\n", t ? t : "null");
  free(t);
}

/* Prints a plain envelope; exit status from success. */
static int envelope(const ctl_args_t *a, json_t *r, const char *ok_text) {
  bool ok = json_is_true(json_object_get(r, "success"));
  const char *msg = json_string_value(json_object_get(r, "message"));
  if (a->json) print_json(r);
  else if (ok) printf("%s%s%s\n", ok_text, msg && *msg ? ": " : "", msg && *msg ? msg : "");
  else fprintf(stderr, "lattice %s: %s\n", a->cmd, msg && *msg ? msg : "refused");
  return ok ? 0 : 1;
}

/* ---- get ---------------------------------------------------------------------------- */

static json_t *ping(const ctl_args_t *a, lat_lattice_conn_t *c, const char *verb, json_t *body,
                    const char *noun) {
  char *subj = NULL;
  lat_error_t err;
  json_t *all = json_array();
  if (lat_lattice_subj_ctl(a->prefix, a->lattice, noun, verb, NULL, &subj, &err)) return all;
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  lat_lattice_replies_t rs = {0};
  if (!lat_lattice_conn_gather(c, subj, text ? text : "", text ? strlen(text) : 0, a->timeout_ms,
                               0, &rs, &err))
    for (size_t i = 0; i < rs.count; i++) {
      json_t *o = json_loadb((const char *)rs.items[i].data, rs.items[i].len, 0, NULL);
      json_t *resp = json_object_get(o, "response");
      if (json_is_true(json_object_get(o, "success")) && resp) json_array_append(all, resp);
      json_decref(o);
    }
  lat_lattice_replies_fini(&rs);
  free(text);
  lat_free(subj);
  return all;
}

static int get_inventory(const ctl_args_t *a, lat_lattice_conn_t *c, const char *host) {
  json_t *hosts = json_array();
  if (host) {
    json_t *r;
    int rc = request(a, c, "host", "get", host, NULL, &r);
    if (rc >= 0) return rc;
    if (!json_is_true(json_object_get(r, "success"))) return envelope(a, r, ""), 1;
    json_array_append(hosts, json_object_get(r, "response"));
    json_decref(r);
  } else {
    json_t *ps = ping(a, c, "ping", NULL, "host");
    size_t i;
    json_t *p;
    json_array_foreach(ps, i, p) {
      json_t *r;
      if (request(a, c, "host", "get", json_string_value(json_object_get(p, "id")), NULL, &r) < 0) {
        if (json_object_get(r, "response")) json_array_append(hosts, json_object_get(r, "response"));
        json_decref(r);
      }
    }
    json_decref(ps);
  }
  if (a->json) {
    json_t *o = json_pack("{s:b,s:o}", "success", 1, "inventories", hosts);
    print_json(o);
    json_decref(o);
    return 0;
  }
  size_t i, k;
  json_t *inv, *x;
  json_array_foreach(hosts, i, inv) {
    printf("host %s (%s)\n", json_string_value(json_object_get(inv, "host_id")),
           json_string_value(json_object_get(inv, "friendly_name")));
    const char *lk;
    json_object_foreach(json_object_get(inv, "labels"), lk, x)
      printf("  label %s=%s\n", lk, json_string_value(x));
    json_array_foreach(json_object_get(inv, "components"), k, x)
      printf("  component %s %s max_instances=%lld\n", json_string_value(json_object_get(x, "id")),
             json_string_value(json_object_get(x, "image_ref")),
             (long long)json_integer_value(json_object_get(x, "max_instances")));
    json_array_foreach(json_object_get(inv, "providers"), k, x)
      printf("  provider %s %s\n", json_string_value(json_object_get(x, "id")),
             json_string_value(json_object_get(x, "image_ref")));
  }
  json_decref(hosts);
  return 0;
}

int lat_cli_get(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice get hosts|inventory [HOST_ID]|links|claims [OPTIONS]\n\n"
                 "examples:\n  lattice get hosts\n  lattice get inventory -o json\n"
                 "  lattice get links");
  if (rc >= 0) return rc;
  if (!a.npos) return fail(&a, 2, "what to get? hosts, inventory, links or claims");
  const char *what = a.pos[0];
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) return fail(&a, 1, "%s", err.msg);
  json_t *r = NULL;
  if (!strcmp(what, "hosts")) {
    json_t *hs = ping(&a, c, "ping", NULL, "host");
    if (a.json) {
      json_t *o = json_pack("{s:b,s:O}", "success", 1, "hosts", hs);
      print_json(o);
      json_decref(o);
    } else {
      size_t i;
      json_t *h;
      json_array_foreach(hs, i, h)
        printf("%s  %s  up %s\n", json_string_value(json_object_get(h, "id")),
               json_string_value(json_object_get(h, "friendly_name")),
               json_string_value(json_object_get(h, "uptime_human")));
      if (!json_array_size(hs)) printf("no hosts answered within %u ms\n", a.timeout_ms);
    }
    json_decref(hs);
    rc = 0;
  } else if (!strcmp(what, "inventory")) {
    rc = get_inventory(&a, c, a.npos > 1 ? a.pos[1] : NULL);
  } else if (!strcmp(what, "links") || !strcmp(what, "claims")) {
    rc = request(&a, c, what[0] == 'l' ? "link" : "claims", "get", NULL, NULL, &r);
    if (rc < 0) {
      if (a.json) print_json(r);
      else {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(r, "response"), i, x) {
          if (what[0] == 'l')
            printf("%s -> %s %s:%s/%s name=%s\n", json_string_value(json_object_get(x, "source_id")),
                   json_string_value(json_object_get(x, "target")),
                   json_string_value(json_object_get(x, "wit_namespace")),
                   json_string_value(json_object_get(x, "wit_package")),
                   json_string_value(json_array_get(json_object_get(x, "interfaces"), 0)),
                   json_string_value(json_object_get(x, "name")));
          else
            printf("%s %s issuer=%s\n", json_string_value(json_object_get(x, "subject")),
                   json_string_value(json_object_get(x, "name")),
                   json_string_value(json_object_get(x, "issuer")));
        }
      }
      rc = json_is_true(json_object_get(r, "success")) ? 0 : 1;
    }
  } else {
    rc = fail(&a, 2, "unknown kind '%s' (hosts, inventory, links or claims)", what);
  }
  json_decref(r);
  lat_lattice_conn_free(c);
  return rc;
}

/* ---- events ---------------------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const char *id_field, *id;
  json_t *got; /* the first matching event's data, with "type" added */
} waiter_t;

static void on_event(void *ctx, const lat_lattice_msg_t *m) {
  waiter_t *w = ctx;
  json_t *ev = json_loadb((const char *)m->data, m->len, 0, NULL);
  json_t *d = json_object_get(ev, "data");
  pthread_mutex_lock(&w->mu);
  if (!w->got && json_is_object(d) &&
      !strcmp(json_string_value(json_object_get(d, w->id_field)) ?: "", w->id)) {
    w->got = json_incref(d);
    const char *t = json_string_value(json_object_get(ev, "type"));
    json_object_set_new(w->got, "type", json_string(t ? t : ""));
    pthread_cond_signal(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  json_decref(ev);
}

/* Subscribes to the lattice's events before a request is sent. */
static lat_lattice_sub_t *watch(const ctl_args_t *a, lat_lattice_conn_t *c, waiter_t *w) {
  char subj[300];
  snprintf(subj, sizeof subj, "wasmbus.evt.%s.>", a->lattice);
  lat_lattice_sub_t *s = NULL;
  lat_error_t err;
  if (lat_lattice_conn_subscribe(c, subj, NULL, on_event, w, &s, &err)) return NULL;
  lat_lattice_conn_flush(c, a->timeout_ms, &err);
  return s;
}

static json_t *wait_event(const ctl_args_t *a, waiter_t *w, uint32_t ms) {
  (void)a;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t t = (uint64_t)ts.tv_nsec + (uint64_t)ms * 1000000u;
  ts.tv_sec += (time_t)(t / 1000000000u);
  ts.tv_nsec = (long)(t % 1000000000u);
  pthread_mutex_lock(&w->mu);
  while (!w->got && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0) {
  }
  json_t *g = w->got;
  w->got = NULL;
  pthread_mutex_unlock(&w->mu);
  return g;
}

/* Sends a request and waits for its outcome event; prints and returns the status. */
static int async_op(const ctl_args_t *a, lat_lattice_conn_t *c, const char *noun, const char *verb,
                    const char *host, json_t *body, const char *id_field, const char *id,
                    const char *ok_text) {
  waiter_t w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, id_field, id, NULL};
  lat_lattice_sub_t *s = watch(a, c, &w);
  json_t *r;
  int rc = request(a, c, noun, verb, host, body, &r);
  if (rc >= 0) {
    lat_lattice_sub_free(s);
    return rc;
  }
  if (!json_is_true(json_object_get(r, "success"))) {
    rc = envelope(a, r, "");
    json_decref(r);
    lat_lattice_sub_free(s);
    return rc;
  }
  json_decref(r);
  /* compiling a large component takes a while: wait longer than a reply */
  json_t *ev = wait_event(a, &w, a->timeout_ms < 30000 ? 30000 : a->timeout_ms);
  lat_lattice_sub_free(s);
  if (!ev) return fail(a, 1, "no event about %s arrived", id);
  const char *type = json_string_value(json_object_get(ev, "type"));
  bool ok = !strstr(type, "failed");
  if (a->json) {
    json_t *o = json_pack("{s:b,s:O}", "success", ok, "event", ev);
    print_json(o);
    json_decref(o);
  } else if (ok) {
    printf("%s %s on %s\n", ok_text, id, host);
  } else {
    fprintf(stderr, "lattice %s: %s\n", a->cmd, json_string_value(json_object_get(ev, "error")));
  }
  json_decref(ev);
  return ok ? 0 : 1;
}

static json_t *str_array(const char *const *v, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_string(v[i]));
  return arr;
}

static json_t *kv_object(const char *const *v, size_t n, const ctl_args_t *a, bool *ok) {
  json_t *o = json_object();
  *ok = true;
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(v[i], '=');
    if (!eq || eq == v[i]) {
      fail(a, 2, "'%s' is not KEY=VALUE", v[i]);
      *ok = false;
      break;
    }
    char k[256];
    snprintf(k, sizeof k, "%.*s", (int)(eq - v[i]), v[i]);
    json_object_set_new(o, k, json_string(eq + 1));
  }
  return o;
}

/* An auction: the first host that answers (or an error). */
static int auction(const ctl_args_t *a, lat_lattice_conn_t *c, const char *noun, const char *ref,
                   const char *id, char *host, size_t cap) {
  bool ok;
  json_t *cons = kv_object(a->cons, a->ncons, a, &ok);
  if (!ok) return json_decref(cons), 2;
  bool comp = !strcmp(noun, "component");
  json_t *body = json_pack("{s:s,s:s,s:o}", comp ? "component_ref" : "provider_ref", ref,
                           comp ? "component_id" : "provider_id", id, "constraints", cons);
  json_t *hs = ping(a, c, "auction", body, noun);
  json_decref(body);
  const char *h = json_string_value(json_object_get(json_array_get(hs, 0), "host_id"));
  if (h) snprintf(host, cap, "%s", h);
  json_decref(hs);
  if (!h)
    return fail(a, 1, "no host can run %s %s (none answered the auction%s)", noun, id,
                a->ncons ? " with these constraints" : "");
  return -1;
}

/* ---- start / scale / update / stop --------------------------------------------------- */

static int scale_cmd(const ctl_args_t *a, lat_lattice_conn_t *c, const char *host, const char *ref,
                     const char *id, uint32_t count, const char *ok_text) {
  json_t *body = json_pack("{s:s,s:s,s:s,s:i,s:o,s:b}", "component_ref", ref, "component_id", id,
                           "host_id", host, "count", (json_int_t)count, "config",
                           str_array(a->cfg, a->ncfg), "allow_update", a->allow_update);
  int rc = async_op(a, c, "component", "scale", host, body, "component_id", id, ok_text);
  json_decref(body);
  return rc;
}

int lat_cli_start(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice start component REF ID [--max-instances N] [--host-id H]\n"
                 "                     [--constraint K=V]... [--config NAME]...\n"
                 "       lattice start provider REF ID [--host-id H] [--constraint K=V]...\n"
                 "                     [--config NAME]...\n\n"
                 "Without --host-id, an auction picks a host whose labels match the\n"
                 "constraints.  Waits for the component_scaled (provider_started) event.\n\n"
                 "examples:\n"
                 "  lattice start component file:///tmp/hello.wasm hello --max-instances 4\n"
                 "  lattice start provider wasmcloud+builtin://http-server http-server");
  if (rc >= 0) return rc;
  if (a.npos != 3 || (strcmp(a.pos[0], "component") && strcmp(a.pos[0], "provider")))
    return fail(&a, 2, "want: start component|provider REF ID");
  bool comp = !strcmp(a.pos[0], "component");
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) return fail(&a, 1, "%s", err.msg);
  char host[128];
  if (a.host_id) snprintf(host, sizeof host, "%s", a.host_id);
  else if ((rc = auction(&a, c, a.pos[0], a.pos[1], a.pos[2], host, sizeof host)) >= 0) {
    lat_lattice_conn_free(c);
    return rc;
  }
  if (comp) {
    rc = scale_cmd(&a, c, host, a.pos[1], a.pos[2], a.has_count ? a.count : 1, "started");
  } else {
    json_t *body = json_pack("{s:s,s:s,s:s,s:o}", "provider_id", a.pos[2], "provider_ref",
                             a.pos[1], "host_id", host, "config", str_array(a.cfg, a.ncfg));
    rc = async_op(&a, c, "provider", "start", host, body, "provider_id", a.pos[2], "started");
    json_decref(body);
  }
  lat_lattice_conn_free(c);
  return rc;
}

int lat_cli_scale(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice scale component HOST_ID REF ID --max-instances N\n\n"
                 "N is the most instances that run at once; 0 stops the component.\n\n"
                 "examples:\n  lattice scale component NABC... file:///tmp/hello.wasm hello "
                 "--max-instances 10");
  if (rc >= 0) return rc;
  if (a.npos != 4 || strcmp(a.pos[0], "component") || !a.has_count)
    return fail(&a, 2, "want: scale component HOST_ID REF ID --max-instances N");
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) return fail(&a, 1, "%s", err.msg);
  rc = scale_cmd(&a, c, a.pos[1], a.pos[2], a.pos[3], a.count, "scaled");
  lat_lattice_conn_free(c);
  return rc;
}

int lat_cli_update(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice update component --host-id H ID NEW_REF\n\n"
                 "examples:\n  lattice update component --host-id NABC... hello "
                 "file:///tmp/hello2.wasm");
  if (rc >= 0) return rc;
  if (a.npos != 3 || strcmp(a.pos[0], "component") || !a.host_id)
    return fail(&a, 2, "want: update component --host-id H ID NEW_REF");
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) return fail(&a, 1, "%s", err.msg);
  json_t *body = json_pack("{s:s,s:s,s:s}", "component_id", a.pos[1], "host_id", a.host_id,
                           "new_component_ref", a.pos[2]);
  rc = async_op(&a, c, "component", "update", a.host_id, body, "component_id", a.pos[1],
                "updated");
  json_decref(body);
  lat_lattice_conn_free(c);
  return rc;
}

/* The host running component (or provider) id, from the inventories. */
static bool find_host(const ctl_args_t *a, lat_lattice_conn_t *c, const char *kind,
                      const char *id, char *host, size_t cap) {
  json_t *ps = ping(a, c, "ping", NULL, "host");
  bool found = false;
  size_t i;
  json_t *p;
  json_array_foreach(ps, i, p) {
    json_t *r;
    const char *hid = json_string_value(json_object_get(p, "id"));
    if (found || request(a, c, "host", "get", hid, NULL, &r) >= 0) continue;
    size_t k;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(r, "response"), kind), k, x)
      if (!strcmp(json_string_value(json_object_get(x, "id")) ?: "", id)) found = true;
    if (found) snprintf(host, cap, "%s", hid);
    json_decref(r);
  }
  json_decref(ps);
  return found;
}

int lat_cli_stop(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice stop component ID [--host-id H]\n"
                 "       lattice stop provider ID [--host-id H]\n"
                 "       lattice stop host HOST_ID\n\n"
                 "examples:\n  lattice stop component hello\n  lattice stop host NABC...");
  if (rc >= 0) return rc;
  if (a.npos != 2) return fail(&a, 2, "want: stop component|provider ID, or stop host HOST_ID");
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) return fail(&a, 1, "%s", err.msg);
  const char *what = a.pos[0], *id = a.pos[1];
  char host[128];
  json_t *r = NULL;
  if (!strcmp(what, "host")) {
    json_t *body = json_pack("{s:s}", "host_id", id);
    rc = request(&a, c, "host", "stop", id, body, &r);
    json_decref(body);
    if (rc < 0) rc = envelope(&a, r, "stopping host");
  } else if (strcmp(what, "component") && strcmp(what, "provider")) {
    rc = fail(&a, 2, "stop what? component, provider or host");
  } else if (a.host_id ? (snprintf(host, sizeof host, "%s", a.host_id), false)
                       : !find_host(&a, c, !strcmp(what, "component") ? "components" : "providers",
                                    id, host, sizeof host)) {
    rc = fail(&a, 1, "no host runs %s %s", what, id);
  } else if (!strcmp(what, "component")) {
    rc = scale_cmd(&a, c, host, "", id, 0, "stopped");
  } else {
    json_t *body = json_pack("{s:s,s:s}", "host_id", host, "provider_id", id);
    rc = async_op(&a, c, "provider", "stop", host, body, "provider_id", id, "stopped");
    json_decref(body);
  }
  json_decref(r);
  lat_lattice_conn_free(c);
  return rc;
}

/* ---- links, config, labels --------------------------------------------------------------- */

int lat_cli_link(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice link put SOURCE TARGET NAMESPACE PACKAGE --interface I...\n"
                 "                        [--link-name N] [--source-config C]...\n"
                 "                        [--target-config C]...\n"
                 "       lattice link del SOURCE NAMESPACE PACKAGE [--link-name N]\n"
                 "       lattice link get\n\n"
                 "examples:\n"
                 "  lattice link put http-server hello wasi http --interface incoming-handler "
                 "--source-config hello-addr\n"
                 "  lattice link del http-server wasi http");
  if (rc >= 0) return rc;
  if (!a.npos) return fail(&a, 2, "want: link put|del|get");
  const char *op = a.pos[0];
  json_t *body = NULL;
  if (!strcmp(op, "put")) {
    if (a.npos != 5 || !a.nifaces)
      return fail(&a, 2, "want: link put SOURCE TARGET NAMESPACE PACKAGE --interface I");
    body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "source_id", a.pos[1], "target",
                     a.pos[2], "name", a.link_name ? a.link_name : "default", "wit_namespace",
                     a.pos[3], "wit_package", a.pos[4], "interfaces",
                     str_array(a.ifaces, a.nifaces), "source_config",
                     str_array(a.scfg, a.nscfg), "target_config", str_array(a.tcfg, a.ntcfg));
  } else if (!strcmp(op, "del")) {
    if (a.npos != 4) return fail(&a, 2, "want: link del SOURCE NAMESPACE PACKAGE");
    body = json_pack("{s:s,s:s,s:s,s:s}", "source_id", a.pos[1], "name",
                     a.link_name ? a.link_name : "default", "wit_namespace", a.pos[2],
                     "wit_package", a.pos[3]);
  } else if (strcmp(op, "get")) {
    return fail(&a, 2, "want: link put|del|get");
  }
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) {
    json_decref(body);
    return fail(&a, 1, "%s", err.msg);
  }
  json_t *r = NULL;
  if (!strcmp(op, "get")) {
    lat_lattice_conn_free(c);
    char *gargv[16] = {"get", "links"};
    int n = 2;
    for (int i = 1; i < argc && n < 16; i++)
      if (strcmp(argv[i], "get")) gargv[n++] = argv[i];
    return lat_cli_get(n, gargv);
  }
  rc = request(&a, c, "link", op, NULL, body, &r);
  if (rc < 0) rc = envelope(&a, r, !strcmp(op, "put") ? "link put" : "link deleted");
  json_decref(r);
  json_decref(body);
  lat_lattice_conn_free(c);
  return rc;
}

int lat_cli_config(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice config put NAME KEY=VALUE...\n"
                 "       lattice config get NAME\n"
                 "       lattice config del NAME\n\n"
                 "examples:\n  lattice config put hello-addr address=127.0.0.1:8080\n"
                 "  lattice config get hello-addr -o json");
  if (rc >= 0) return rc;
  if (a.npos < 2) return fail(&a, 2, "want: config put|get|del NAME");
  const char *op = a.pos[0], *name = a.pos[1];
  if (strcmp(op, "put") && strcmp(op, "get") && strcmp(op, "del"))
    return fail(&a, 2, "want: config put|get|del NAME");
  if (!strncmp(name, "SECRET_", 7))
    return fail(&a, 2, "names starting with SECRET_ hold secret references; use secrets");
  if (!lat_lattice_token_valid(name)) return fail(&a, 2, "bad config name '%s'", name);
  bool ok = true;
  json_t *body = !strcmp(op, "put") ? kv_object(a.pos + 2, a.npos - 2, &a, &ok) : NULL;
  if (!ok) return json_decref(body), 2;
  if (!strcmp(op, "put") && a.npos < 3) return json_decref(body), fail(&a, 2, "no KEY=VALUE given");
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) {
    json_decref(body);
    return fail(&a, 1, "%s", err.msg);
  }
  json_t *r = NULL;
  rc = request(&a, c, "config", op, name, body, &r);
  if (rc < 0) {
    if (!strcmp(op, "get") && !a.json && json_object_get(r, "response")) {
      const char *k;
      json_t *v;
      json_object_foreach(json_object_get(r, "response"), k, v)
        printf("%s=%s\n", k, json_string_value(v));
      rc = 0;
    } else if (!strcmp(op, "get") && !json_object_get(r, "response")) {
      rc = a.json ? (print_json(r), 1) : fail(&a, 1, "configuration %s not found", name);
    } else {
      rc = envelope(&a, r, !strcmp(op, "put") ? "config put" : "config deleted");
    }
  }
  json_decref(r);
  json_decref(body);
  lat_lattice_conn_free(c);
  return rc;
}

int lat_cli_label(int argc, char **argv) {
  ctl_args_t a;
  int rc = parse(argc, argv, &a,
                 "usage: lattice label HOST_ID KEY=VALUE\n"
                 "       lattice label HOST_ID KEY --delete\n\n"
                 "examples:\n  lattice label NABC... zone=eu\n"
                 "  lattice label NABC... zone --delete");
  if (rc >= 0) return rc;
  if (a.npos != 2) return fail(&a, 2, "want: label HOST_ID KEY=VALUE (or KEY --delete)");
  const char *kv = a.pos[1], *eq = strchr(kv, '=');
  json_t *body;
  if (a.del) {
    body = json_pack("{s:s}", "key", kv);
  } else {
    if (!eq || eq == kv) return fail(&a, 2, "'%s' is not KEY=VALUE", kv);
    char k[256];
    snprintf(k, sizeof k, "%.*s", (int)(eq - kv), kv);
    body = json_pack("{s:s,s:s}", "key", k, "value", eq + 1);
  }
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (connect(&a, &c, &err)) {
    json_decref(body);
    return fail(&a, 1, "%s", err.msg);
  }
  json_t *r = NULL;
  rc = request(&a, c, "label", a.del ? "del" : "put", a.pos[0], body, &r);
  if (rc < 0) rc = envelope(&a, r, a.del ? "label deleted" : "label set");
  json_decref(r);
  json_decref(body);
  lat_lattice_conn_free(c);
  return rc;
}
