/* cli_ctl.c: the control-interface client: `lattice get|start|scale|update|
 * stop|link|config|label`, as wash's commands of the same names.
 *
 * Each command connects to the lattice's NATS (--ctl-host/--ctl-port/
 * --ctl-creds/--ctl-tls-*-file, with wash's WASMCLOUD_CTL_* variables), sends one request on
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

/* Options every ctl command takes (wash's names and WASMCLOUD_* variables). */
static struct {
  const char *lattice, *ctl_host, *ctl_port, *ctl_creds, *prefix, *host_id, *link_name;
  const char *scale_to; /* scale's --max-instances: text, as 0 is allowed there */
  uint64_t timeout_ms, count;
  bool del, allow_update;
  lat_cli_list_t ifaces, scfg, tcfg, cons, cfg;
  lat_cli_tls_t tls;
} opt;

#define COMMON_OPTS                                                                            \
  {"lattice", 0, LAT_CLI_STRING, &opt.lattice, "NAME",                                          \
   "lattice name [WASMCLOUD_LATTICE] (default: default)"},                                   \
      {"ctl-host", 0, LAT_CLI_STRING, &opt.ctl_host, "HOST",                                    \
       "NATS host [WASMCLOUD_CTL_HOST] (default 127.0.0.1)"},                                 \
      {"ctl-port", 0, LAT_CLI_STRING, &opt.ctl_port, "PORT",                                    \
       "NATS port [WASMCLOUD_CTL_PORT] (default 4222)"},                                      \
      {"ctl-creds", 0, LAT_CLI_STRING, &opt.ctl_creds, "FILE",                                  \
       "NATS .creds file [WASMCLOUD_CTL_CREDS]"},                                             \
      LAT_CLI_TLS_OPTS("ctl", opt.tls, "WASMCLOUD_CTL"),                                        \
      {"ctl-topic-prefix", 0, LAT_CLI_STRING, &opt.prefix, "PREFIX",                            \
       "control subject prefix [WASMCLOUD_CTL_TOPIC_PREFIX] (default wasmbus.ctl)"},          \
      {"timeout-ms", 0, LAT_CLI_COUNT, &opt.timeout_ms, "MS",                                   \
       "how long to wait for answers; pings and auctions collect this long (default 2000)"}

#define HOST_OPT {"host-id", 0, LAT_CLI_STRING, &opt.host_id, "HOST_ID", "the host to act on"}
#define CONFIG_OPT                                                                              \
  {"config", 0, LAT_CLI_LIST, &opt.cfg, "NAME", "named config for it (repeatable)"}
#define CONSTRAINT_OPT                                                                          \
  {"constraint", 'c', LAT_CLI_LIST, &opt.cons, "K=V",                                            \
   "auction: only hosts with this label (repeatable)"}

typedef struct {
  const lat_cli_args_t *args;
  bool json;
  const char *cmd;
} ctl_args_t;

static int fail(const ctl_args_t *a, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const ctl_args_t *a, int rc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return lat_cli_fail(a->args, rc, "%s", msg);
}

static const char *env_or(const char *v, const char *env) { return v ? v : getenv(env); }

/* After parsing: defaults and environment; -1 to go on, else an exit status. */
static int settle(ctl_args_t *a, const lat_cli_args_t *args) {
  a->args = args;
  a->json = args->json;
  a->cmd = args->cmd->name;
  opt.lattice = env_or(opt.lattice, "WASMCLOUD_LATTICE");
  if (!opt.lattice) opt.lattice = "default";
  opt.ctl_host = env_or(opt.ctl_host, "WASMCLOUD_CTL_HOST");
  opt.ctl_port = env_or(opt.ctl_port, "WASMCLOUD_CTL_PORT");
  opt.ctl_creds = env_or(opt.ctl_creds, "WASMCLOUD_CTL_CREDS");
  opt.prefix = env_or(opt.prefix, "WASMCLOUD_CTL_TOPIC_PREFIX");
  if (!opt.timeout_ms) opt.timeout_ms = 2000;
  if (opt.timeout_ms > 600000) return fail(a, 2, "--timeout-ms is at most 600000");
  if (!lat_lattice_token_valid(opt.lattice))
    return fail(a, 2, "bad lattice name '%s' (one NATS token: no '.', '*', '>' or spaces)",
                opt.lattice);
  return -1;
}

static lat_status connect(const ctl_args_t *a, lat_lattice_conn_t **out, lat_error_t *err) {
  (void)a;
  char url[300];
  snprintf(url, sizeof url, "nats://%s:%s", opt.ctl_host ? opt.ctl_host : "127.0.0.1",
           opt.ctl_port ? opt.ctl_port : "4222");
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.creds_file = opt.ctl_creds;
  lat_cli_tls_apply(&opt.tls, "WASMCLOUD_CTL", &o);
  o.name = "lattice-cli";
  return lat_lattice_conn_new(&o, out, NULL, err);
}

/* One request; *out the parsed reply (new reference). */
static int request(const ctl_args_t *a, lat_lattice_conn_t *c, const char *noun, const char *verb,
                   const char *target, json_t *body, json_t **out) {
  *out = NULL;
  char *subj = NULL;
  lat_error_t err;
  if (lat_lattice_subj_ctl(opt.prefix, opt.lattice, noun, verb, target, &subj, &err))
    return fail(a, 2, "%s", err.msg);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_conn_request(c, subj, text ? text : "", text ? strlen(text) : 0,
                                           (uint32_t)opt.timeout_ms, &r, &err);
  free(text);
  lat_free(subj);
  if (st == LAT_ELIMIT || st == LAT_ENOTFOUND)
    return fail(a, 1, "no host answered %s.%s%s%s within %u ms", noun, verb, target ? " for " : "",
                target ? target : "", (uint32_t)opt.timeout_ms);
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

/* The server's refusal of the last ping or auction (the user may not publish it), else "". */
static char ping_denied[600];

static json_t *ping(const ctl_args_t *a, lat_lattice_conn_t *c, const char *verb, json_t *body,
                    const char *noun) {
  (void)a;
  ping_denied[0] = 0;
  char *subj = NULL;
  lat_error_t err;
  json_t *all = json_array();
  if (lat_lattice_subj_ctl(opt.prefix, opt.lattice, noun, verb, NULL, &subj, &err)) return all;
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  lat_lattice_replies_t rs = {0};
  lat_status st = lat_lattice_conn_gather(c, subj, text ? text : "", text ? strlen(text) : 0,
                                          (uint32_t)opt.timeout_ms, 0, &rs, &err);
  if (st == LAT_EINVALID) snprintf(ping_denied, sizeof ping_denied, "%s", err.msg);
  if (!st)
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

/* ---- events ---------------------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const char *id_field, *id;
  json_t *got; /* the first matching event's data, with "type" added */
} waiter_t;

/* True for events that report how an operation went; a provider's health
 * checks (every few seconds, with its id too) are not outcomes. */
static bool outcome_event(const char *type) {
  return type && !strstr(type, "health_check") && !strstr(type, "heartbeat");
}

static void on_event(void *ctx, const lat_lattice_msg_t *m) {
  waiter_t *w = ctx;
  json_t *ev = json_loadb((const char *)m->data, m->len, 0, NULL);
  json_t *d = json_object_get(ev, "data");
  pthread_mutex_lock(&w->mu);
  const char *t = json_string_value(json_object_get(ev, "type"));
  if (!w->got && json_is_object(d) && outcome_event(t) &&
      !strcmp(json_string_value(json_object_get(d, w->id_field)) ?: "", w->id)) {
    w->got = json_incref(d);
    json_object_set_new(w->got, "type", json_string(t ? t : ""));
    pthread_cond_signal(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  json_decref(ev);
}

/* Subscribes to the lattice's events before a request is sent. */
static lat_lattice_sub_t *watch(const ctl_args_t *a, lat_lattice_conn_t *c, waiter_t *w) {
  (void)a;
  char subj[300];
  snprintf(subj, sizeof subj, "wasmbus.evt.%s.>", opt.lattice);
  lat_lattice_sub_t *s = NULL;
  lat_error_t err;
  if (lat_lattice_conn_subscribe(c, subj, NULL, on_event, w, &s, &err)) return NULL;
  lat_lattice_conn_flush(c, (uint32_t)opt.timeout_ms, &err);
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
  json_t *ev = wait_event(a, &w, (uint32_t)opt.timeout_ms < 30000 ? 30000 : (uint32_t)opt.timeout_ms);
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
  json_t *cons = kv_object(opt.cons.v, opt.cons.n, a, &ok);
  if (!ok) return json_decref(cons), 2;
  bool comp = !strcmp(noun, "component");
  json_t *body = json_pack("{s:s,s:s,s:o}", comp ? "component_ref" : "provider_ref", ref,
                           comp ? "component_id" : "provider_id", id, "constraints", cons);
  json_t *hs = ping(a, c, "auction", body, noun);
  json_decref(body);
  if (ping_denied[0]) return json_decref(hs), fail(a, 1, "%s", ping_denied);
  const char *h = json_string_value(json_object_get(json_array_get(hs, 0), "host_id"));
  if (h) snprintf(host, cap, "%s", h);
  json_decref(hs);
  if (!h)
    return fail(a, 1, "no host can run %s %s (none answered the auction%s)", noun, id,
                opt.cons.n ? " with these constraints" : "");
  return -1;
}

/* ---- start / scale / update / stop --------------------------------------------------- */

static int scale_cmd(const ctl_args_t *a, lat_lattice_conn_t *c, const char *host, const char *ref,
                     const char *id, uint32_t count, const char *ok_text) {
  json_t *body = json_pack("{s:s,s:s,s:s,s:i,s:o,s:b}", "component_ref", ref, "component_id", id,
                           "host_id", host, "count", (json_int_t)count, "config",
                           str_array(opt.cfg.v, opt.cfg.n), "allow_update", opt.allow_update);
  int rc = async_op(a, c, "component", "scale", host, body, "component_id", id, ok_text);
  json_decref(body);
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

/* ---- links, config, labels --------------------------------------------------------------- */

/* Connects for a command; -1 to go on, else an exit status. */
static int open_ctl(ctl_args_t *a, const lat_cli_args_t *args, lat_lattice_conn_t **c) {
  int rc = settle(a, args);
  if (rc >= 0) return rc;
  lat_error_t err;
  if (connect(a, c, &err)) return fail(a, 1, "%s", err.msg);
  return -1;
}

/* A request whose reply is a plain envelope. */
static int simple(ctl_args_t *a, lat_lattice_conn_t *c, const char *noun, const char *verb,
                  const char *target, json_t *body, const char *ok_text) {
  json_t *r = NULL;
  int rc = request(a, c, noun, verb, target, body, &r);
  if (rc < 0) rc = envelope(a, r, ok_text);
  json_decref(r);
  json_decref(body);
  return rc;
}

/* ---- get --------------------------------------------------------------------------------- */

static const lat_cli_opt_t common_opts[] = {COMMON_OPTS};

static int run_get_hosts(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  json_t *hs = ping(&a, c, "ping", NULL, "host");
  if (ping_denied[0]) {
    json_decref(hs);
    lat_lattice_conn_free(c);
    return fail(&a, 1, "%s", ping_denied);
  }
  if (a.json) {
    lat_cli_json_print(json_pack("{s:b,s:O}", "success", 1, "hosts", hs));
  } else {
    size_t i;
    json_t *h;
    json_array_foreach(hs, i, h)
      printf("%s  %s  up %s\n", json_string_value(json_object_get(h, "id")),
             json_string_value(json_object_get(h, "friendly_name")),
             json_string_value(json_object_get(h, "uptime_human")));
    if (!json_array_size(hs)) printf("no hosts answered within %u ms\n", (unsigned)opt.timeout_ms);
  }
  json_decref(hs);
  lat_lattice_conn_free(c);
  return 0;
}

static int run_get_inventory(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  rc = get_inventory(&a, c, args->npos ? args->pos[0] : NULL);
  lat_lattice_conn_free(c);
  return rc;
}

static int get_list(lat_cli_args_t *args, bool links) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  json_t *r = NULL;
  rc = request(&a, c, links ? "link" : "claims", "get", NULL, NULL, &r);
  if (rc < 0) {
    if (a.json) {
      print_json(r);
    } else {
      size_t i;
      json_t *x;
      json_array_foreach(json_object_get(r, "response"), i, x) {
        if (links) {
          printf("%s -> %s %s:%s/", json_string_value(json_object_get(x, "source_id")),
                 json_string_value(json_object_get(x, "target")),
                 json_string_value(json_object_get(x, "wit_namespace")),
                 json_string_value(json_object_get(x, "wit_package")));
          size_t k;
          json_t *f;
          json_array_foreach(json_object_get(x, "interfaces"), k, f)
            printf("%s%s", k ? "," : "", json_string_value(f));
          printf(" name=%s\n", json_string_value(json_object_get(x, "name")));
        } else {
          printf("%s %s issuer=%s\n", json_string_value(json_object_get(x, "subject")),
                 json_string_value(json_object_get(x, "name")),
                 json_string_value(json_object_get(x, "issuer")));
        }
      }
    }
    rc = json_is_true(json_object_get(r, "success")) ? 0 : 1;
  }
  json_decref(r);
  lat_lattice_conn_free(c);
  return rc;
}
static int run_get_links(lat_cli_args_t *args) { return get_list(args, true); }
static int run_get_claims(lat_cli_args_t *args) { return get_list(args, false); }

#define CMD(var, nm, us, sum, ex, minp, maxp, pn, optarr)                                      \
  static const lat_cli_cmd_t var = {.name = nm, .usage = us, .summary = sum, .opts = optarr,    \
                                    .nopts = LAT_CLI_NOPTS(optarr), .examples = ex,             \
                                    .min_pos = minp, .max_pos = maxp, .pos_name = pn}

CMD(get_hosts_cmd, "get hosts", "[OPTIONS]", "list the hosts that answer host.ping",
    "  lattice get hosts\n  lattice get hosts -o json --timeout-ms 500\n", 0, 0, NULL,
    common_opts);
CMD(get_inv_cmd, "get inventory", "[OPTIONS] [HOST_ID]",
    "what each host runs: components, providers, labels",
    "  lattice get inventory\n  lattice get inventory NABC... -o json\n", 0, 1, "HOST_ID",
    common_opts);
CMD(get_links_cmd, "get links", "[OPTIONS]", "every link in the lattice",
    "  lattice get links\n  lattice get links -o json\n", 0, 0, NULL, common_opts);
CMD(get_claims_cmd, "get claims", "[OPTIONS]", "the claims of signed components that ran",
    "  lattice get claims -o json\n", 0, 0, NULL, common_opts);

static const lat_cli_sub_t get_subs[] = {{"hosts", &get_hosts_cmd, run_get_hosts},
                                         {"inventory", &get_inv_cmd, run_get_inventory},
                                         {"links", &get_links_cmd, run_get_links},
                                         {"claims", &get_claims_cmd, run_get_claims}};
static const lat_cli_group_t get_group = {
    .name = "get", .summary = "query the lattice: hosts, inventory, links, claims",
    .subs = get_subs, .nsubs = LAT_CLI_NOPTS(get_subs),
    .examples = "  lattice get hosts\n  lattice get inventory -o json\n"};
int lat_cli_get(int argc, char **argv) { return lat_cli_group_run(&get_group, argc, argv); }

/* ---- start / scale / update / stop -------------------------------------------------------- */

static const lat_cli_opt_t start_comp_opts[] = {
    COMMON_OPTS, HOST_OPT, CONSTRAINT_OPT, CONFIG_OPT,
    {"max-instances", 0, LAT_CLI_COUNT, &opt.count, "N",
     "the most instances that run at once (default 1)"}};
static const lat_cli_opt_t start_prov_opts[] = {COMMON_OPTS, HOST_OPT, CONSTRAINT_OPT,
                                                CONFIG_OPT};

static int run_start(lat_cli_args_t *args, bool comp) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  const char *ref = args->pos[0], *id = args->pos[1];
  char host[128];
  if (opt.host_id) snprintf(host, sizeof host, "%s", opt.host_id);
  else if ((rc = auction(&a, c, comp ? "component" : "provider", ref, id, host, sizeof host)) >= 0) {
    lat_lattice_conn_free(c);
    return rc;
  }
  if (comp) {
    rc = scale_cmd(&a, c, host, ref, id, opt.count ? (uint32_t)opt.count : 1, "started");
  } else {
    json_t *body = json_pack("{s:s,s:s,s:s,s:o}", "provider_id", id, "provider_ref", ref,
                             "host_id", host, "config", str_array(opt.cfg.v, opt.cfg.n));
    rc = async_op(&a, c, "provider", "start", host, body, "provider_id", id, "started");
    json_decref(body);
  }
  lat_lattice_conn_free(c);
  return rc;
}
static int run_start_comp(lat_cli_args_t *args) { return run_start(args, true); }
static int run_start_prov(lat_cli_args_t *args) { return run_start(args, false); }

CMD(start_comp_cmd, "start component", "[OPTIONS] REF ID",
    "start a component: an auction picks a host unless --host-id names one; waits for "
    "component_scaled",
    "  lattice start component file:///tmp/hello.wasm hello --max-instances 4\n"
    "  lattice start component file:///tmp/hello.wasm hello --constraint zone=eu\n",
    2, 2, "REF ID", start_comp_opts);
CMD(start_prov_cmd, "start provider", "[OPTIONS] REF ID",
    "start a capability provider: wasmcloud+builtin://http-server, or an executable (file://, with the host's --allow-file-load)",
    "  lattice start provider wasmcloud+builtin://http-server http-server\n", 2, 2, "REF ID",
    start_prov_opts);
static const lat_cli_sub_t start_subs[] = {{"component", &start_comp_cmd, run_start_comp},
                                           {"provider", &start_prov_cmd, run_start_prov}};
static const lat_cli_group_t start_group = {
    .name = "start", .summary = "start a component or a provider", .subs = start_subs,
    .nsubs = LAT_CLI_NOPTS(start_subs),
    .examples = "  lattice start component file:///tmp/hello.wasm hello\n"};
int lat_cli_start(int argc, char **argv) { return lat_cli_group_run(&start_group, argc, argv); }

static const lat_cli_opt_t scale_opts[] = {
    COMMON_OPTS, CONFIG_OPT,
    {"max-instances", 0, LAT_CLI_STRING, &opt.scale_to, "N",
     "the most instances that run at once; 0 stops the component (required)"},
    {"allow-update", 0, LAT_CLI_FLAG, &opt.allow_update, NULL,
     "a different REF replaces the running image"}};

static int run_scale(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = settle(&a, args);
  if (rc >= 0) return rc;
  char *end;
  const char *n = opt.scale_to;
  unsigned long v = n ? strtoul(n, &end, 10) : 0;
  if (!n || !*n || *end || *n == '-' || v > UINT32_MAX)
    return fail(&a, 2, "--max-instances N is required (0 stops the component)");
  if ((rc = open_ctl(&a, args, &c)) >= 0) return rc;
  rc = scale_cmd(&a, c, args->pos[0], args->pos[1], args->pos[2], (uint32_t)v, "scaled");
  lat_lattice_conn_free(c);
  return rc;
}
CMD(scale_comp_cmd, "scale component", "[OPTIONS] HOST_ID REF ID --max-instances N",
    "set a component's concurrency cap on a host",
    "  lattice scale component NABC... file:///tmp/hello.wasm hello --max-instances 10\n", 3, 3,
    "HOST_ID REF ID", scale_opts);
static const lat_cli_sub_t scale_subs[] = {{"component", &scale_comp_cmd, run_scale}};
static const lat_cli_group_t scale_group = {.name = "scale", .summary = "scale a component",
                                            .subs = scale_subs, .nsubs = 1};
int lat_cli_scale(int argc, char **argv) { return lat_cli_group_run(&scale_group, argc, argv); }

static const lat_cli_opt_t update_opts[] = {COMMON_OPTS, HOST_OPT};
static int run_update(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = settle(&a, args);
  if (rc >= 0) return rc;
  if (!opt.host_id) return fail(&a, 2, "--host-id is required");
  if ((rc = open_ctl(&a, args, &c)) >= 0) return rc;
  json_t *body = json_pack("{s:s,s:s,s:s}", "component_id", args->pos[0], "host_id", opt.host_id,
                           "new_component_ref", args->pos[1]);
  rc = async_op(&a, c, "component", "update", opt.host_id, body, "component_id", args->pos[0],
                "updated");
  json_decref(body);
  lat_lattice_conn_free(c);
  return rc;
}
CMD(update_comp_cmd, "update component", "[OPTIONS] --host-id H ID NEW_REF",
    "run a new image of a running component (requests in flight finish on the old one)",
    "  lattice update component --host-id NABC... hello file:///tmp/hello2.wasm\n", 2, 2,
    "ID NEW_REF", update_opts);
static const lat_cli_sub_t update_subs[] = {{"component", &update_comp_cmd, run_update}};
static const lat_cli_group_t update_group = {.name = "update", .summary = "update a component",
                                             .subs = update_subs, .nsubs = 1};
int lat_cli_update(int argc, char **argv) { return lat_cli_group_run(&update_group, argc, argv); }

static const lat_cli_opt_t stop_opts[] = {COMMON_OPTS, HOST_OPT};
static int run_stop(lat_cli_args_t *args, const char *what) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  const char *id = args->pos[0];
  char host[128];
  if (!strcmp(what, "host")) {
    rc = simple(&a, c, "host", "stop", id, json_pack("{s:s}", "host_id", id), "stopping host");
  } else if (opt.host_id ? (snprintf(host, sizeof host, "%s", opt.host_id), false)
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
  lat_lattice_conn_free(c);
  return rc;
}
static int run_stop_comp(lat_cli_args_t *args) { return run_stop(args, "component"); }
static int run_stop_prov(lat_cli_args_t *args) { return run_stop(args, "provider"); }
static int run_stop_host(lat_cli_args_t *args) { return run_stop(args, "host"); }
CMD(stop_comp_cmd, "stop component", "[OPTIONS] ID",
    "stop a component (scale it to 0; requests in flight finish)",
    "  lattice stop component hello\n  lattice stop component hello --host-id NABC...\n", 1, 1,
    "ID", stop_opts);
CMD(stop_prov_cmd, "stop provider", "[OPTIONS] ID", "stop a provider",
    "  lattice stop provider http-server\n", 1, 1, "ID", stop_opts);
CMD(stop_host_cmd, "stop host", "[OPTIONS] HOST_ID",
    "stop a host (requests in flight finish; it publishes host_stopped)",
    "  lattice stop host NABC...\n", 1, 1, "HOST_ID", common_opts);
static const lat_cli_sub_t stop_subs[] = {{"component", &stop_comp_cmd, run_stop_comp},
                                          {"provider", &stop_prov_cmd, run_stop_prov},
                                          {"host", &stop_host_cmd, run_stop_host}};
static const lat_cli_group_t stop_group = {
    .name = "stop", .summary = "stop a component, a provider or a host", .subs = stop_subs,
    .nsubs = LAT_CLI_NOPTS(stop_subs), .examples = "  lattice stop component hello\n"};
int lat_cli_stop(int argc, char **argv) { return lat_cli_group_run(&stop_group, argc, argv); }

/* ---- links, config, labels ------------------------------------------------------------------ */

#define LINK_NAME_OPT                                                                           \
  {"link-name", 'l', LAT_CLI_STRING, &opt.link_name, "NAME", "the link's name (default: default)"}
static const lat_cli_opt_t link_put_opts[] = {
    COMMON_OPTS, LINK_NAME_OPT,
    {"interface", 'i', LAT_CLI_LIST, &opt.ifaces, "IFACE", "an interface of the package (repeatable, required)"},
    {"source-config", 0, LAT_CLI_LIST, &opt.scfg, "NAME", "named config for the source (repeatable)"},
    {"target-config", 0, LAT_CLI_LIST, &opt.tcfg, "NAME", "named config for the target (repeatable)"}};
static const lat_cli_opt_t link_del_opts[] = {COMMON_OPTS, LINK_NAME_OPT};

static int run_link_put(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = settle(&a, args);
  if (rc >= 0) return rc;
  if (!opt.ifaces.n) return fail(&a, 2, "at least one --interface is required");
  if ((rc = open_ctl(&a, args, &c)) >= 0) return rc;
  char **p = args->pos;
  rc = simple(&a, c, "link", "put", NULL,
              json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "source_id", p[0], "target", p[1],
                        "name", opt.link_name ? opt.link_name : "default", "wit_namespace", p[2],
                        "wit_package", p[3], "interfaces", str_array(opt.ifaces.v, opt.ifaces.n),
                        "source_config", str_array(opt.scfg.v, opt.scfg.n), "target_config",
                        str_array(opt.tcfg.v, opt.tcfg.n)),
              "link put");
  lat_lattice_conn_free(c);
  return rc;
}

static int run_link_del(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = open_ctl(&a, args, &c);
  if (rc >= 0) return rc;
  char **p = args->pos;
  rc = simple(&a, c, "link", "del", NULL,
              json_pack("{s:s,s:s,s:s,s:s}", "source_id", p[0], "name",
                        opt.link_name ? opt.link_name : "default", "wit_namespace", p[1],
                        "wit_package", p[2]),
              "link deleted");
  lat_lattice_conn_free(c);
  return rc;
}

CMD(link_put_cmd, "link put", "[OPTIONS] SOURCE TARGET NAMESPACE PACKAGE --interface I",
    "link SOURCE's imports of NAMESPACE:PACKAGE to TARGET (components or providers)",
    "  lattice config put hello-addr address=127.0.0.1:8080\n"
    "  lattice link put http-server hello wasi http --interface incoming-handler "
    "--source-config hello-addr\n"
    "  lattice link put caller calc test calc --interface ops\n",
    4, 4, "SOURCE TARGET NAMESPACE PACKAGE", link_put_opts);
CMD(link_del_cmd, "link del", "[OPTIONS] SOURCE NAMESPACE PACKAGE",
    "delete SOURCE's link for NAMESPACE:PACKAGE (calls through it stop at once)",
    "  lattice link del http-server wasi http\n", 3, 3, "SOURCE NAMESPACE PACKAGE", link_del_opts);
static const lat_cli_sub_t link_subs[] = {{"put", &link_put_cmd, run_link_put},
                                          {"del", &link_del_cmd, run_link_del},
                                          {"get", &get_links_cmd, run_get_links},
                                          {"query", &get_links_cmd, run_get_links}};
static const lat_cli_group_t link_group = {
    .name = "link", .summary = "put, delete and list links", .subs = link_subs,
    .nsubs = LAT_CLI_NOPTS(link_subs),
    .examples = "  lattice link put http-server hello wasi http --interface incoming-handler\n"
                "  lattice link get\n"};
int lat_cli_link(int argc, char **argv) { return lat_cli_group_run(&link_group, argc, argv); }

static int run_config(lat_cli_args_t *args, const char *op) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = settle(&a, args);
  if (rc >= 0) return rc;
  const char *name = args->pos[0];
  if (!strncmp(name, "SECRET_", 7))
    return fail(&a, 2, "names starting with SECRET_ hold secret references, not config");
  if (!lat_lattice_token_valid(name))
    return fail(&a, 2, "bad config name '%s' (one NATS token: no '.', '*', '>' or spaces)", name);
  bool ok = true;
  json_t *body = NULL;
  if (!strcmp(op, "put")) {
    if (args->npos < 2) return fail(&a, 2, "no KEY=VALUE given");
    body = kv_object((const char *const *)args->pos + 1, (size_t)args->npos - 1, &a, &ok);
    if (!ok) return json_decref(body), 2;
  }
  if ((rc = open_ctl(&a, args, &c)) >= 0) return json_decref(body), rc;
  if (strcmp(op, "get")) {
    rc = simple(&a, c, "config", op, name, body, !strcmp(op, "put") ? "config put" : "config deleted");
  } else {
    json_t *r = NULL;
    rc = request(&a, c, "config", "get", name, NULL, &r);
    json_t *m = json_object_get(r, "response");
    if (rc < 0 && !m) {
      rc = fail(&a, 1, "configuration %s not found", name);
    } else if (rc < 0 && a.json) {
      print_json(r);
      rc = 0;
    } else if (rc < 0) {
      const char *k;
      json_t *v;
      json_object_foreach(m, k, v) printf("%s=%s\n", k, json_string_value(v));
      rc = 0;
    }
    json_decref(r);
  }
  lat_lattice_conn_free(c);
  return rc;
}
static int run_config_put(lat_cli_args_t *args) { return run_config(args, "put"); }
static int run_config_get(lat_cli_args_t *args) { return run_config(args, "get"); }
static int run_config_del(lat_cli_args_t *args) { return run_config(args, "del"); }
CMD(config_put_cmd, "config put", "[OPTIONS] NAME KEY=VALUE...",
    "create or replace named config (what links and components read)",
    "  lattice config put hello-addr address=127.0.0.1:8080\n", 2, 0, "NAME KEY=VALUE",
    common_opts);
CMD(config_get_cmd, "config get", "[OPTIONS] NAME", "print named config",
    "  lattice config get hello-addr\n  lattice config get hello-addr -o json\n", 1, 1, "NAME",
    common_opts);
CMD(config_del_cmd, "config del", "[OPTIONS] NAME", "delete named config",
    "  lattice config del hello-addr\n", 1, 1, "NAME", common_opts);
static const lat_cli_sub_t config_subs[] = {{"put", &config_put_cmd, run_config_put},
                                            {"get", &config_get_cmd, run_config_get},
                                            {"del", &config_del_cmd, run_config_del}};
static const lat_cli_group_t config_group = {
    .name = "config", .summary = "put, get and delete named config", .subs = config_subs,
    .nsubs = LAT_CLI_NOPTS(config_subs),
    .examples = "  lattice config put hello-addr address=127.0.0.1:8080\n"};
int lat_cli_config(int argc, char **argv) { return lat_cli_group_run(&config_group, argc, argv); }

static const lat_cli_opt_t label_opts[] = {
    COMMON_OPTS, {"delete", 0, LAT_CLI_FLAG, &opt.del, NULL, "remove the label KEY"}};
static int run_label(lat_cli_args_t *args) {
  ctl_args_t a;
  lat_lattice_conn_t *c = NULL;
  int rc = settle(&a, args);
  if (rc >= 0) return rc;
  const char *kv = args->pos[1], *eq = strchr(kv, '=');
  json_t *body;
  if (opt.del) {
    body = json_pack("{s:s}", "key", kv);
  } else {
    if (!eq || eq == kv) return fail(&a, 2, "'%s' is not KEY=VALUE (or KEY --delete)", kv);
    char k[256];
    snprintf(k, sizeof k, "%.*s", (int)(eq - kv), kv);
    body = json_pack("{s:s,s:s}", "key", k, "value", eq + 1);
  }
  if ((rc = open_ctl(&a, args, &c)) >= 0) return json_decref(body), rc;
  rc = simple(&a, c, "label", opt.del ? "del" : "put", args->pos[0], body,
              opt.del ? "label deleted" : "label set");
  lat_lattice_conn_free(c);
  return rc;
}
CMD(label_cmd, "label", "[OPTIONS] HOST_ID KEY=VALUE | HOST_ID KEY --delete",
    "set or delete a host label (hostcore.* are the host's own)",
    "  lattice label NABC... zone=eu\n  lattice label NABC... zone --delete\n", 2, 2,
    "HOST_ID KEY=VALUE", label_opts);
int lat_cli_label(int argc, char **argv) {
  lat_cli_args_t args;
  int rc = lat_cli_parse(&label_cmd, argc, argv, &args);
  if (rc < 0) rc = run_label(&args);
  lat_cli_args_fini(&args);
  return rc;
}
