/* `lattice app`: wash app's commands against the manager's wadm API
 * (put, deploy, list, get, versions, status, undeploy, delete), plus
 * `validate`, which needs no lattice: it runs the manager's parser and
 * rules locally and lists every error and warning with line and column,
 * exiting 1 when there is an error (wash exits 0 there, MANAGER.md §7).
 *
 * Each request is one NATS request on {prefix}.{lattice}.model.{op}[.{name}];
 * -o json prints the manager's reply as it came.  Exit status: 0 when the
 * reply's result is a success (created, newversion, success, deleted,
 * acknowledged, ok), 1 otherwise (error, notfound, noop, no answer), 2 usage.
 *
 * `deploy FILE` puts the file first and deploys the version it stored;
 * `deploy --wait DURATION` then polls the status until the application is
 * deployed (exit 0) or failed (exit 1), for scripts and benchmarks. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lattice/lattice.h"
#include "../manager/manager.h"
#include "cli.h"

static struct {
  const char *lattice, *host, *port, *creds, *prefix, *version;
  uint64_t timeout_ms, wait_ns;
  lat_cli_tls_t tls;
} ao;

#define APP_COMMON                                                                                \
  {"lattice", 0, LAT_CLI_STRING, &ao.lattice, "NAME", "lattice name [WASMCLOUD_LATTICE] (default: default)"}, \
      {"ctl-host", 0, LAT_CLI_STRING, &ao.host, "HOST", "NATS host [WASMCLOUD_CTL_HOST] (default 127.0.0.1)"}, \
      {"ctl-port", 0, LAT_CLI_STRING, &ao.port, "PORT", "NATS port [WASMCLOUD_CTL_PORT] (default 4222)"},      \
      {"ctl-creds", 0, LAT_CLI_STRING, &ao.creds, "FILE", "NATS .creds file [WASMCLOUD_CTL_CREDS]"},           \
      LAT_CLI_TLS_OPTS("ctl", ao.tls, "WASMCLOUD_CTL"),                                                        \
      {"api-prefix", 0, LAT_CLI_STRING, &ao.prefix, "PREFIX", "the manager's API prefix (default wadm.api)"},   \
      {"timeout-ms", 0, LAT_CLI_COUNT, &ao.timeout_ms, "MS", "how long to wait for the manager (default 5000)"}
#define VERSION_OPT {"version", 0, LAT_CLI_STRING, &ao.version, "V", "the version to act on"}

static const char *env_or(const char *v, const char *e) { return v ? v : getenv(e); }

static int request(const lat_cli_args_t *a, const char *op, const char *name, const void *body,
                   size_t len, json_t **out) {
  *out = NULL;
  const char *lattice = env_or(ao.lattice, "WASMCLOUD_LATTICE");
  if (!lattice) lattice = "default";
  if (!lat_lattice_token_valid(lattice)) return lat_cli_fail(a, 2, "bad lattice name '%s'", lattice);
  if (name && !lat_lattice_token_valid(name))
    return lat_cli_fail(a, 2, "bad application name '%s' (one NATS token)", name);
  const char *host = env_or(ao.host, "WASMCLOUD_CTL_HOST"), *port = env_or(ao.port, "WASMCLOUD_CTL_PORT");
  char url[300], subj[1024];
  snprintf(url, sizeof url, "nats://%s:%s", host ? host : "127.0.0.1", port ? port : "4222");
  snprintf(subj, sizeof subj, "%s.%s.model.%s%s%s", ao.prefix ? ao.prefix : "wadm.api", lattice, op,
           name ? "." : "", name ? name : "");
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.creds_file = env_or(ao.creds, "WASMCLOUD_CTL_CREDS");
  lat_cli_tls_apply(&ao.tls, "WASMCLOUD_CTL", &o);
  o.name = "lattice-app";
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  if (lat_lattice_conn_new(&o, &c, NULL, &err)) return lat_cli_fail(a, 1, "%s", err.msg);
  lat_lattice_reply_t r = {0};
  uint32_t tmo = ao.timeout_ms ? (uint32_t)(ao.timeout_ms > 600000 ? 600000 : ao.timeout_ms) : 5000;
  lat_status st = lat_lattice_conn_request(c, subj, body ? body : "", len, tmo, &r, &err);
  lat_lattice_conn_free(c);
  if (st == LAT_ENOTFOUND || st == LAT_ETIMEOUT)
    return lat_cli_fail(a, 1, "no manager answered on %s within %u ms (is `lattice manager` running?)",
                        subj, tmo);
  if (st) return lat_cli_fail(a, 1, "%s", err.msg);
  *out = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!*out) return lat_cli_fail(a, 1, "the manager's reply is not JSON");
  return -1;
}

static bool good(json_t *r) {
  const char *res = json_string_value(json_object_get(r, "result"));
  static const char *const ok[] = {"created", "newversion", "success", "deleted", "acknowledged", "ok"};
  for (size_t i = 0; res && i < sizeof ok / sizeof ok[0]; i++)
    if (!strcmp(res, ok[i])) return true;
  return false;
}

static void print(json_t *r) {
  char *t = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
  printf("%s\n", t ? t : "null");
  free(t);
}

/* Prints the reply (JSON, or its message) and returns the exit status. */
static int finish(const lat_cli_args_t *a, json_t *r) {
  int rc = good(r) ? 0 : 1;
  const char *msg = json_string_value(json_object_get(r, "message"));
  if (a->json) print(r);
  else if (rc) fprintf(stderr, "lattice %s: %s\n", a->cmd->name, msg ? msg : "failed");
  else printf("%s\n", msg ? msg : "ok");
  json_decref(r);
  return rc;
}

static json_t *version_body(void) {
  return ao.version ? json_pack("{s:s}", "version", ao.version) : NULL;
}

static int simple(lat_cli_args_t *a, const char *op, const char *name, json_t *body) {
  char *t = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  json_t *r;
  int rc = request(a, op, name, t, t ? strlen(t) : 0, &r);
  free(t);
  return rc >= 0 ? rc : finish(a, r);
}

/* ---- put / deploy ------------------------------------------------------------------ */

static int put_file(lat_cli_args_t *a, const char *path, json_t **out) {
  uint8_t *data = NULL;
  size_t len = 0;
  lat_error_t err;
  if (lat_file_read(path, &data, &len, &err)) return lat_cli_fail(a, 1, "%s: %s", path, err.msg);
  int rc = request(a, "put", NULL, data, len, out);
  lat_free(data);
  return rc;
}

static int run_put(lat_cli_args_t *a) {
  json_t *r;
  int rc = put_file(a, a->pos[0], &r);
  return rc >= 0 ? rc : finish(a, r);
}

static int wait_deployed(lat_cli_args_t *a, const char *name, json_t **last) {
  uint64_t until = lat_now_ns() + ao.wait_ns;
  *last = NULL;
  for (;;) {
    json_t *r;
    int rc = request(a, "status", name, NULL, 0, &r);
    if (rc >= 0) return rc;
    const char *t = json_string_value(
        json_object_get(json_object_get(json_object_get(r, "status"), "status"), "type"));
    json_decref(*last);
    *last = r;
    if (t && !strcmp(t, "deployed")) return 0;
    if (t && !strcmp(t, "failed")) return 1;
    if (lat_now_ns() > until) return 1;
    struct timespec d = {0, 100 * 1000000};
    nanosleep(&d, NULL);
  }
}

static int run_deploy(lat_cli_args_t *a) {
  const char *arg = a->pos[0];
  char name[256], ver[256] = "";
  struct stat sb;
  if (stat(arg, &sb) == 0 && S_ISREG(sb.st_mode)) {
    json_t *r;
    int rc = put_file(a, arg, &r);
    if (rc >= 0) return rc;
    const char *n = json_string_value(json_object_get(r, "name"));
    const char *v = json_string_value(json_object_get(r, "current_version"));
    bool dup = !good(r) && strstr(json_string_value(json_object_get(r, "message")) ?: "",
                                  "already exists");
    if (!good(r) && !dup) return finish(a, r);
    if (dup) { /* the same version again: deploy what is stored */
      uint8_t *data = NULL;
      size_t len = 0;
      lat_error_t err;
      lat_manager_manifest_t *m = NULL;
      lat_manager_diags_t d = {0};
      if (!lat_file_read(arg, &data, &len, &err) &&
          !lat_manager_manifest_parse((const char *)data, len, &m, &d)) {
        snprintf(name, sizeof name, "%s", m->name);
        snprintf(ver, sizeof ver, "%s", m->version ? m->version : "");
      }
      lat_manager_manifest_free(m);
      lat_manager_diags_fini(&d);
      lat_free(data);
    } else {
      snprintf(name, sizeof name, "%s", n ? n : "");
      snprintf(ver, sizeof ver, "%s", v ? v : "");
    }
    json_decref(r);
    if (!*name) return lat_cli_fail(a, 1, "cannot tell the application's name from %s", arg);
    if (!ao.version && *ver) ao.version = ver;
  } else {
    snprintf(name, sizeof name, "%s", arg);
  }
  char *t = NULL;
  json_t *body = version_body();
  if (body) t = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  json_t *r;
  int rc = request(a, "deploy", name, t, t ? strlen(t) : 0, &r);
  free(t);
  if (rc >= 0) return rc;
  if (!ao.wait_ns || !good(r)) return finish(a, r);
  json_t *st = NULL;
  rc = wait_deployed(a, name, &st);
  if (rc > 1) {
    json_decref(r);
    json_decref(st);
    return rc;
  }
  if (a->json) {
    json_object_set(r, "status", json_object_get(st, "status"));
    print(r);
  } else if (rc == 0) {
    printf("%s; deployed\n", json_string_value(json_object_get(r, "message")));
  } else {
    json_t *top = json_object_get(json_object_get(st, "status"), "status");
    fprintf(stderr, "lattice app deploy: %s is %s%s%s\n", name,
            json_string_value(json_object_get(top, "type")) ?: "not deployed",
            json_object_get(top, "message") ? ": " : "",
            json_string_value(json_object_get(top, "message")) ?: "");
  }
  json_decref(r);
  json_decref(st);
  return rc;
}

/* ---- list / get / versions / status -------------------------------------------------- */

static int run_list(lat_cli_args_t *a) {
  json_t *r;
  int rc = request(a, "get", NULL, NULL, 0, &r);
  if (rc >= 0) return rc;
  if (a->json || !good(r)) return finish(a, r);
  printf("%-24s %-28s %-28s %s\n", "NAME", "LATEST", "DEPLOYED", "STATUS");
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(r, "models"), i, m) {
    json_t *st = json_object_get(json_object_get(m, "detailed_status"), "status");
    const char *dv = json_string_value(json_object_get(m, "deployed_version"));
    printf("%-24s %-28s %-28s %s\n", json_string_value(json_object_get(m, "name")),
           json_string_value(json_object_get(m, "version")), dv ? dv : "-",
           json_string_value(json_object_get(st, "type")));
  }
  json_decref(r);
  return 0;
}

static int run_get(lat_cli_args_t *a) {
  json_t *r;
  json_t *body = version_body();
  char *t = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  int rc = request(a, "get", a->pos[0], t, t ? strlen(t) : 0, &r);
  free(t);
  if (rc >= 0) return rc;
  if (a->json || !good(r)) return finish(a, r);
  char *m = json_dumps(json_object_get(r, "manifest"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("%s\n", m ? m : "null");
  free(m);
  json_decref(r);
  return 0;
}

static int run_versions(lat_cli_args_t *a) {
  json_t *r;
  int rc = request(a, "versions", a->pos[0], NULL, 0, &r);
  if (rc >= 0) return rc;
  if (a->json || !good(r)) return finish(a, r);
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(r, "versions"), i, v)
    printf("%s%s\n", json_string_value(json_object_get(v, "version")),
           json_is_true(json_object_get(v, "deployed")) ? "  (deployed)" : "");
  json_decref(r);
  return 0;
}

static int run_status(lat_cli_args_t *a) {
  json_t *r;
  int rc = request(a, "status", a->pos[0], NULL, 0, &r);
  if (rc >= 0) return rc;
  if (a->json || !good(r)) return finish(a, r);
  json_t *st = json_object_get(r, "status");
  json_t *top = json_object_get(st, "status");
  const char *msg = json_string_value(json_object_get(top, "message"));
  printf("%s: %s%s%s\n", a->pos[0], json_string_value(json_object_get(top, "type")), msg ? ": " : "",
         msg ? msg : "");
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(st, "scalers"), i, s) {
    json_t *ss = json_object_get(s, "status");
    const char *m2 = json_string_value(json_object_get(ss, "message"));
    printf("  %-12s %-40s %-12s%s%s\n", json_string_value(json_object_get(s, "kind")),
           json_string_value(json_object_get(s, "name")), json_string_value(json_object_get(ss, "type")),
           m2 ? " " : "", m2 ? m2 : "");
  }
  json_decref(r);
  return 0;
}

static int run_undeploy(lat_cli_args_t *a) { return simple(a, "undeploy", a->pos[0], NULL); }
static int run_delete(lat_cli_args_t *a) { return simple(a, "del", a->pos[0], version_body()); }

/* ---- validate (local) ------------------------------------------------------------------ */

static int run_validate(lat_cli_args_t *a) {
  const char *path = a->pos[0];
  uint8_t *data = NULL;
  size_t len = 0;
  lat_error_t err;
  if (lat_file_read(path, &data, &len, &err)) return lat_cli_fail(a, 1, "%s: %s", path, err.msg);
  lat_manager_manifest_t *m = NULL;
  lat_manager_diags_t d = {0};
  lat_status st = lat_manager_manifest_parse((const char *)data, len, &m, &d);
  lat_free(data);
  if (st == LAT_ENOMEM) {
    lat_manager_diags_fini(&d);
    return lat_cli_fail(a, 1, "out of memory");
  }
  if (a->json) {
    json_t *errs = json_array(), *warns = json_array();
    for (size_t i = 0; i < d.count; i++)
      json_array_append_new(d.items[i].level == LAT_MANAGER_ERROR ? errs : warns,
                            json_pack("{s:s,s:i,s:i}", "message", d.items[i].msg, "line",
                                      d.items[i].line, "column", d.items[i].column));
    json_t *o = json_pack("{s:b,s:o,s:o}", "valid", st == LAT_OK, "errors", errs, "warnings", warns);
    if (m) {
      json_object_set_new(o, "name", json_string(m->name));
      if (m->version) json_object_set_new(o, "version", json_string(m->version));
    }
    print(o);
    json_decref(o);
  } else {
    for (size_t i = 0; i < d.count; i++)
      printf("%s:%d:%d: %s: %s\n", path, d.items[i].line, d.items[i].column,
             d.items[i].level == LAT_MANAGER_ERROR ? "error" : "warning", d.items[i].msg);
    if (st == LAT_OK)
      printf("%s: valid (%s%s%s, %zu component%s)\n", path, m->name, m->version ? " " : "",
             m->version ? m->version : "", m->ncomponents, m->ncomponents == 1 ? "" : "s");
    else printf("%s: invalid (%zu error%s)\n", path, d.errors, d.errors == 1 ? "" : "s");
  }
  lat_manager_manifest_free(m);
  lat_manager_diags_fini(&d);
  return st == LAT_OK ? 0 : 1;
}

/* ---- the table -------------------------------------------------------------------------- */

static const lat_cli_opt_t o_common[] = {APP_COMMON};
static const lat_cli_opt_t o_version[] = {APP_COMMON, VERSION_OPT};
static const lat_cli_opt_t o_deploy[] = {
    APP_COMMON, VERSION_OPT,
    {"wait", 0, LAT_CLI_DURATION, &ao.wait_ns, "DURATION",
     "then wait (at most this long) until the application is deployed"}};
static const lat_cli_opt_t o_none[] = {{"lattice", 0, LAT_CLI_STRING, &ao.lattice, "NAME", "ignored"}};

static const lat_cli_cmd_t c_put = {.name = "app put", .usage = "[OPTIONS] FILE",
    .summary = "store a manifest version (YAML or JSON)", .opts = o_common,
    .nopts = LAT_CLI_NOPTS(o_common), .min_pos = 1, .max_pos = 1, .pos_name = "FILE",
    .examples = "  lattice app put examples/apps/hello.yaml\n"};
static const lat_cli_cmd_t c_deploy = {.name = "app deploy", .usage = "[OPTIONS] FILE|NAME",
    .summary = "deploy an application (a file is put first)", .opts = o_deploy,
    .nopts = LAT_CLI_NOPTS(o_deploy), .min_pos = 1, .max_pos = 1, .pos_name = "FILE|NAME",
    .examples = "  lattice app deploy examples/apps/hello.yaml --wait 30s\n"
                "  lattice app deploy hello --version v0.0.1\n"};
static const lat_cli_cmd_t c_list = {.name = "app list", .usage = "[OPTIONS]",
    .summary = "list applications with their status", .opts = o_common,
    .nopts = LAT_CLI_NOPTS(o_common), .max_pos = 0, .examples = "  lattice app list -o json\n"};
static const lat_cli_cmd_t c_get = {.name = "app get", .usage = "[OPTIONS] NAME",
    .summary = "show a stored manifest", .opts = o_version, .nopts = LAT_CLI_NOPTS(o_version),
    .min_pos = 1, .max_pos = 1, .pos_name = "NAME", .examples = "  lattice app get hello --version v1\n"};
static const lat_cli_cmd_t c_versions = {.name = "app versions", .usage = "[OPTIONS] NAME",
    .summary = "list an application's versions", .opts = o_common, .nopts = LAT_CLI_NOPTS(o_common),
    .min_pos = 1, .max_pos = 1, .pos_name = "NAME", .examples = "  lattice app versions hello\n"};
static const lat_cli_cmd_t c_status = {.name = "app status", .usage = "[OPTIONS] NAME",
    .summary = "an application's status, per scaler, with reasons", .opts = o_common,
    .nopts = LAT_CLI_NOPTS(o_common), .min_pos = 1, .max_pos = 1, .pos_name = "NAME",
    .examples = "  lattice app status hello -o json\n"};
static const lat_cli_cmd_t c_undeploy = {.name = "app undeploy", .usage = "[OPTIONS] NAME",
    .summary = "stop an application (its versions stay stored)", .opts = o_common,
    .nopts = LAT_CLI_NOPTS(o_common), .min_pos = 1, .max_pos = 1, .pos_name = "NAME",
    .examples = "  lattice app undeploy hello\n"};
static const lat_cli_cmd_t c_delete = {.name = "app delete", .usage = "[OPTIONS] NAME",
    .summary = "delete one version, or the whole application (undeploying it)", .opts = o_version,
    .nopts = LAT_CLI_NOPTS(o_version), .min_pos = 1, .max_pos = 1, .pos_name = "NAME",
    .examples = "  lattice app delete hello\n  lattice app delete hello --version v1\n"};
static const lat_cli_cmd_t c_validate = {.name = "app validate", .usage = "FILE",
    .summary = "check a manifest locally: every error and warning, with line and column",
    .opts = o_none, .nopts = LAT_CLI_NOPTS(o_none), .min_pos = 1, .max_pos = 1, .pos_name = "FILE",
    .exit_status = "0 valid (warnings allowed), 1 an error, 2 usage error.",
    .examples = "  lattice app validate examples/apps/hello.yaml\n"};

static const lat_cli_sub_t subs[] = {
    {"put", &c_put, run_put},          {"deploy", &c_deploy, run_deploy},
    {"list", &c_list, run_list},       {"get", &c_get, run_get},
    {"versions", &c_versions, run_versions}, {"status", &c_status, run_status},
    {"undeploy", &c_undeploy, run_undeploy}, {"delete", &c_delete, run_delete},
    {"validate", &c_validate, run_validate},
};
static const lat_cli_group_t group = {
    .name = "app",
    .summary = "OAM applications through the manager (like wash app)",
    .subs = subs,
    .nsubs = LAT_CLI_NOPTS(subs),
    .examples = "  lattice app validate examples/apps/hello.yaml\n"
                "  lattice app deploy examples/apps/hello.yaml --wait 30s\n"
                "  lattice app status hello\n  lattice app undeploy hello\n"};

int lat_cli_app(int argc, char **argv) { return lat_cli_group_run(&group, argc, argv); }
