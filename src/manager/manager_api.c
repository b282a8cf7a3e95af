/* manager_api.c: wadm's model API (MANAGER.md §5) over the manifest store.
 *
 * Requests arrive on {prefix}.{lattice}.model.{op}[.{name}] in queue group
 * wadm_server, so one manager answers each.  The libnats callback copies the
 * message and queues it for the API worker, which does the KV work and
 * replies.  Every reply is the JSON shape wadm sends, field for field.
 *
 * Store: bucket wadm_manifests, key {lattice}-{name}, value
 * {"manifests":{version:Manifest,...},"deployed_version":v|null} as wadm
 * keeps it.  Writes are compare-and-set on the key's revision (create for a
 * new app), retried a few times, so two managers answering at once never
 * lose a version.  Every manager sees the result through its watch.
 *
 * Deploy and undeploy change only deployed_version (and publish wadm's
 * manifest_published / manifest_unpublished CloudEvents); the reconcilers
 * do the rest.  A request that fails any check changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "manager_int.h"

typedef struct {
  mgr_lattice_t *lt;
  char *subject, *reply;
  uint8_t *data;
  size_t len;
} api_job_t;

static void job_free(api_job_t *j) {
  if (!j) return;
  lat_free(j->subject);
  lat_free(j->reply);
  lat_free(j->data);
  lat_free(j);
}

uint64_t lat__manager_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- store ------------------------------------------------------------------------- */

static void key_of(mgr_lattice_t *lt, const char *name, char *buf, size_t cap) {
  snprintf(buf, cap, "%s-%s", lt->name, name);
}

/* LAT_OK with *out (new ref) or LAT_ENOTFOUND. */
static lat_status load(mgr_lattice_t *lt, const char *name, json_t **out, uint64_t *rev,
                       lat_error_t *err) {
  char key[600];
  key_of(lt, name, key, sizeof key);
  lat_lattice_reply_t r = {0};
  *out = NULL;
  *rev = 0;
  lat_status st = lat_lattice_kv_get(lt->mgr->kv_manifests, key, &r, rev, err);
  if (st) return st;
  *out = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!json_is_object(*out) || !json_is_object(json_object_get(*out, "manifests"))) {
    json_decref(*out);
    *out = NULL;
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "the stored record of %s is not readable", name);
  }
  return LAT_OK;
}

static lat_status save(mgr_lattice_t *lt, const char *name, json_t *rec, uint64_t rev,
                       lat_error_t *err) {
  char key[600];
  key_of(lt, name, key, sizeof key);
  char *t = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!t) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = rev ? lat_lattice_kv_update(lt->mgr->kv_manifests, key, t, strlen(t), rev, NULL, err)
                      : lat_lattice_kv_create(lt->mgr->kv_manifests, key, t, strlen(t), NULL, err);
  free(t);
  return st;
}

json_t *lat__manager_record_manifest(json_t *rec, const char *v) {
  json_t *ms = json_object_get(rec, "manifests");
  if (!v) v = json_string_value(json_object_get(rec, "deployed_version"));
  return v ? json_object_get(ms, v) : NULL;
}

static const char *latest_version(json_t *rec) {
  const char *k, *last = NULL;
  json_t *v;
  json_object_foreach(json_object_get(rec, "manifests"), k, v) last = k;
  return last;
}

/* ---- replies ------------------------------------------------------------------------ */

static void send(api_job_t *j, json_t *o) {
  char *t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!t || !j->reply) {
    free(t);
    return;
  }
  lat_error_t err;
  if (lat_lattice_conn_publish(j->lt->mgr->conn, j->reply, NULL, t, strlen(t), &err))
    LAT_LOG(LAT_LOG_WARN, LAT__MGR_TARGET, "cannot send a reply", LAT_KV_STR("error", err.msg));
  free(t);
}

static void send_error(api_job_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_error(api_job_t *j, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  send(j, json_pack("{s:s,s:s}", "result", "error", "message", msg));
}

/* ---- notifications (wadm.evt.{lattice}.manifest_*) ---------------------------------- */

/* Takes ownership of data. */
static lat_status notify(mgr_lattice_t *lt, const char *event, json_t *data, lat_error_t *err) {
  json_t *ev = NULL;
  lat_status st = lat_lattice_event_build(lt->mgr->id, event, data, &ev, err);
  json_decref(data); /* the envelope holds its own reference */
  if (st) return st;
  char type[128], subj[512];
  snprintf(type, sizeof type, "com.wadm.%s", event);
  json_object_set_new(ev, "type", json_string(type));
  snprintf(subj, sizeof subj, "wadm.evt.%s.%s", lt->name, event);
  char *t = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  if (!t) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  st = lat_lattice_conn_publish(lt->mgr->conn, subj, NULL, t, strlen(t), err);
  free(t);
  return st;
}

/* ---- status --------------------------------------------------------------------------- */

json_t *lat__manager_status_get(mgr_lattice_t *lt, const char *name) {
  char key[600];
  key_of(lt, name, key, sizeof key);
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  json_t *s = NULL;
  if (!lat_lattice_kv_get(lt->mgr->kv_status, key, &r, NULL, &err))
    s = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!json_is_object(s)) {
    json_decref(s);
    s = json_pack("{s:{s:s},s:s,s:[]}", "status", "type", "undeployed", "version", "",
                  "components");
  }
  return s;
}

/* ---- ULIDs (a version when the manifest gives none) ---------------------------------- */

static void ulid(char out[27]) {
  static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint8_t b[16];
  uint64_t ms = lat__manager_wall_ms();
  for (int i = 0; i < 6; i++) b[i] = (uint8_t)(ms >> (40 - 8 * i));
  randombytes_buf(b + 6, 10);
  /* 128 bits as 26 base32 digits, the first carrying 3 bits */
  for (int i = 0; i < 26; i++) {
    int bit = 128 - 5 * (26 - i); /* first bit of digit i, may be negative */
    unsigned v = 0;
    for (int k = 0; k < 5; k++) {
      int pos = bit + k;
      v <<= 1;
      if (pos >= 0) v |= (b[pos / 8] >> (7 - pos % 8)) & 1u;
    }
    out[i] = b32[v];
  }
  out[26] = 0;
}

/* ---- operations ----------------------------------------------------------------------- */

static bool name_chars_ok(const char *s) {
  if (!*s) return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          *p == '-' || *p == '_'))
      return false;
  return true;
}

/* Shared components of m that no deployed shared app provides (names, new ref). */
static json_t *unsatisfied_shared(mgr_lattice_t *lt, const lat_manager_manifest_t *m) {
  json_t *miss = json_array();
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *c = &m->components[i];
    if (!c->shared_app) continue;
    bool ok = false;
    pthread_mutex_lock(&lt->mu);
    mgr_app_t *a = NULL;
    if (lat_map_get(&lt->apps, c->shared_app, strlen(c->shared_app), (void **)&a)) {
      json_t *man = lat__manager_record_manifest(a->record, NULL);
      json_t *ann = json_object_get(json_object_get(man, "metadata"), "annotations");
      const char *sh = json_string_value(json_object_get(ann, "experimental.wasmcloud.dev/shared"));
      size_t k;
      json_t *comp;
      if (sh && !strcmp(sh, "true"))
        json_array_foreach(json_object_get(json_object_get(man, "spec"), "components"), k, comp) {
          const char *n = json_string_value(json_object_get(comp, "name"));
          const char *t = json_string_value(json_object_get(comp, "type"));
          bool prov = t && !strcmp(t, "capability");
          if (n && !strcmp(n, c->shared_component) && prov == c->provider) ok = true;
        }
    }
    pthread_mutex_unlock(&lt->mu);
    if (!ok) json_array_append_new(miss, json_string(c->name));
  }
  return miss;
}

static void op_put(api_job_t *j) {
  lat_manager_diags_t d = {0};
  lat_manager_manifest_t *m = NULL;
  lat_status st = lat_manager_manifest_parse((const char *)j->data, j->len, &m, &d);
  if (st) {
    char first[700];
    lat_manager_diags_first(&d, first, sizeof first);
    bool rule = strstr(first, "latest is not allowed") != NULL;
    if (rule) send_error(j, "invalid manifest version, errors: \"latest is not allowed in wadm\"");
    else send_error(j, "Unable to parse manifest: %s", *first ? first : "out of memory");
    lat_manager_diags_fini(&d);
    return;
  }
  lat_manager_diags_fini(&d);
  char name[256];
  snprintf(name, sizeof name, "%s", m->name);
  if (!name_chars_ok(name)) {
    send_error(j, "Manifest name %s contains invalid characters. Manifest names can only contain "
                  "alphanumeric characters, dashes, and underscores.", name);
    lat_manager_manifest_free(m);
    return;
  }
  char ver[256];
  json_t *man = json_deep_copy(m->json);
  if (m->version) snprintf(ver, sizeof ver, "%s", m->version);
  else {
    char u[27];
    ulid(u);
    snprintf(ver, sizeof ver, "%s", u);
    json_object_set_new(json_object_get(json_object_get(man, "metadata"), "annotations"), "version",
                        json_string(ver));
  }
  json_t *miss = unsatisfied_shared(j->lt, m);
  lat_manager_manifest_free(m);
  for (int attempt = 0; attempt < 5; attempt++) {
    json_t *rec;
    uint64_t rev;
    lat_error_t err;
    st = load(j->lt, name, &rec, &rev, &err);
    if (st && st != LAT_ENOTFOUND) {
      send_error(j, "Unable to load manifest: %s", err.msg);
      break;
    }
    bool created = !rec;
    if (!rec) rec = json_pack("{s:{},s:n}", "manifests", "deployed_version");
    json_t *ms = json_object_get(rec, "manifests");
    if (json_object_get(ms, ver)) {
      send_error(j, "Manifest version %s already exists", ver);
      json_decref(rec);
      break;
    }
    const char *prev = latest_version(rec);
    char prevbuf[256];
    snprintf(prevbuf, sizeof prevbuf, "%s", prev ? prev : "");
    json_object_set(ms, ver, man);
    st = save(j->lt, name, rec, rev, &err);
    size_t total = json_object_size(ms);
    json_decref(rec);
    if (st == LAT_EINVALID) continue; /* another writer: read again */
    if (st) {
      send_error(j, "Unable to store manifest: %s", err.msg);
      break;
    }
    char msg[1200];
    if (json_array_size(miss)) {
      char *l = json_dumps(miss, JSON_COMPACT);
      snprintf(msg, sizeof msg, "Successfully put manifest %s %s, but some shared components are "
                                "not deployed: %s", name, prevbuf, l ? l : "[]");
      free(l);
    } else {
      snprintf(msg, sizeof msg, "Successfully put manifest %s %s", name, prevbuf);
    }
    send(j, json_pack("{s:s,s:I,s:s,s:s,s:s}", "result", created ? "created" : "newversion",
                      "total_versions", (json_int_t)total, "current_version", ver, "message", msg,
                      "name", name));
    LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "manifest stored", LAT_KV_STR("lattice", j->lt->name),
            LAT_KV_STR("app", name), LAT_KV_STR("version", ver));
    json_decref(man);
    json_decref(miss);
    return;
  }
  if (st == LAT_EINVALID) send_error(j, "Unable to store manifest: too many concurrent writers");
  json_decref(man);
  json_decref(miss);
}

static json_t *summary(mgr_lattice_t *lt, const char *name, json_t *rec) {
  const char *latest = latest_version(rec);
  json_t *man = latest ? json_object_get(json_object_get(rec, "manifests"), latest) : NULL;
  json_t *ann = json_object_get(json_object_get(man, "metadata"), "annotations");
  json_t *st = lat__manager_status_get(lt, name);
  json_t *dv = json_object_get(rec, "deployed_version");
  json_t *ty = json_object_get(json_object_get(st, "status"), "type");
  const char *t = json_string_value(ty);
  json_t *msg = json_object_get(json_object_get(st, "status"), "message");
  return json_pack("{s:s,s:s,s:O,s:O,s:o,s:s,s:O}", "name", name, "version", latest ? latest : "",
                   "description", json_object_get(ann, "description") ?: json_null(),
                   "deployed_version", dv ? dv : json_null(), "detailed_status", st, "status",
                   t && strcmp(t, "waiting") ? t : "undeployed", "status_message",
                   msg ? msg : json_null());
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void op_list(api_job_t *j, bool bare) {
  mgr_lattice_t *lt = j->lt;
  lat_lattice_keys_t keys = {0};
  lat_error_t err;
  if (lat_lattice_kv_keys(lt->mgr->kv_manifests, &keys, &err)) {
    send_error(j, "Unable to fetch list of applications: %s", err.msg);
    return;
  }
  char pre[LAT_LATTICE_TOKEN_MAX + 2];
  snprintf(pre, sizeof pre, "%s-", lt->name);
  if (keys.count) qsort(keys.keys, keys.count, sizeof keys.keys[0], cmp_names);
  json_t *models = json_array();
  for (size_t i = 0; i < keys.count; i++) {
    if (strncmp(keys.keys[i], pre, strlen(pre))) continue;
    const char *name = keys.keys[i] + strlen(pre);
    json_t *rec;
    uint64_t rev;
    if (load(lt, name, &rec, &rev, &err)) continue;
    json_array_append_new(models, summary(lt, name, rec));
    json_decref(rec);
  }
  lat_lattice_keys_fini(&keys);
  if (bare) send(j, models);
  else send(j, json_pack("{s:s,s:s,s:o}", "result", "success", "message",
                         "Successfully fetched list of applications", "models", models));
}

/* The request's {"version":...}: empty body, {} and null are "none". */
static bool body_version(api_job_t *j, const char **out, json_t **root) {
  *out = NULL;
  *root = NULL;
  size_t n = j->len;
  while (n && (j->data[n - 1] == ' ' || j->data[n - 1] == '\n')) n--;
  if (!n) return true;
  *root = json_loadb((const char *)j->data, j->len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(*root)) {
    send_error(j, "Unable to parse request body: expected a JSON object like {\"version\":\"v1\"}");
    return false;
  }
  json_t *v = json_object_get(*root, "version");
  if (v && !json_is_null(v) && !json_is_string(v)) {
    send_error(j, "Unable to parse request body: `version` must be a string or null");
    return false;
  }
  *out = json_string_value(v);
  return true;
}

static void op_get(api_job_t *j, const char *name) {
  const char *v;
  json_t *body, *rec;
  uint64_t rev;
  lat_error_t err;
  if (!body_version(j, &v, &body)) goto done;
  lat_status st = load(j->lt, name, &rec, &rev, &err);
  if (st == LAT_ENOTFOUND) {
    send(j, json_pack("{s:s,s:s++}", "result", "notfound", "message", "Application with the name ",
                      name, " not found"));
  } else if (st) {
    send_error(j, "Unable to fetch application: %s", err.msg);
  } else {
    const char *want = v ? v : latest_version(rec);
    json_t *man = want ? json_object_get(json_object_get(rec, "manifests"), want) : NULL;
    if (!man) {
      char msg[700];
      snprintf(msg, sizeof msg, "Application %s with version %s doesn't exist", name, v ? v : "");
      send(j, json_pack("{s:s,s:s}", "result", "notfound", "message", msg));
    } else {
      char msg[700];
      if (v) snprintf(msg, sizeof msg, "Successfully fetched application %s %s", name, v);
      else snprintf(msg, sizeof msg, "Successfully fetched application %s", name);
      send(j, json_pack("{s:s,s:s,s:O}", "result", "success", "message", msg, "manifest", man));
    }
    json_decref(rec);
  }
done:
  json_decref(body);
}

static void op_versions(api_job_t *j, const char *name) {
  json_t *rec;
  uint64_t rev;
  lat_error_t err;
  lat_status st = load(j->lt, name, &rec, &rev, &err);
  char msg[700];
  if (st == LAT_ENOTFOUND) {
    snprintf(msg, sizeof msg, "Application with the name %s not found", name);
    send(j, json_pack("{s:s,s:s,s:[]}", "result", "notfound", "message", msg, "versions"));
    return;
  }
  if (st) {
    send_error(j, "Unable to fetch versions: %s", err.msg);
    return;
  }
  const char *dv = json_string_value(json_object_get(rec, "deployed_version"));
  json_t *vs = json_array();
  const char *k;
  json_t *x;
  json_object_foreach(json_object_get(rec, "manifests"), k, x)
    json_array_append_new(vs, json_pack("{s:s,s:b}", "version", k, "deployed", dv && !strcmp(dv, k)));
  snprintf(msg, sizeof msg, "Successfully fetched versions for application %s", name);
  send(j, json_pack("{s:s,s:s,s:o}", "result", "success", "message", msg, "versions", vs));
  json_decref(rec);
}

static void op_del(api_job_t *j, const char *name) {
  const char *v;
  json_t *body;
  char msg[800];
  if (!body_version(j, &v, &body)) goto done;
  for (int attempt = 0; attempt < 5; attempt++) {
    json_t *rec;
    uint64_t rev;
    lat_error_t err;
    lat_status st = load(j->lt, name, &rec, &rev, &err);
    if (st == LAT_ENOTFOUND) {
      notify(j->lt, "manifest_unpublished", json_pack("{s:s}", "name", name), &err);
      snprintf(msg, sizeof msg, "Application %s doesn't exist or was already deleted", name);
      send(j, json_pack("{s:s,s:s,s:b}", "result", "noop", "message", msg, "undeploy", 0));
      goto done;
    }
    if (st) {
      send_error(j, "Unable to delete application: %s", err.msg);
      goto done;
    }
    json_t *ms = json_object_get(rec, "manifests");
    const char *dv = json_string_value(json_object_get(rec, "deployed_version"));
    bool undeploy = false, whole = !v;
    if (v) {
      if (!json_object_get(ms, v)) {
        snprintf(msg, sizeof msg, "Application version %s doesn't exist", v);
        send(j, json_pack("{s:s,s:s,s:b}", "result", "noop", "message", msg, "undeploy", 0));
        json_decref(rec);
        goto done;
      }
      undeploy = dv && !strcmp(dv, v);
      json_object_del(ms, v);
      if (undeploy) json_object_set_new(rec, "deployed_version", json_null());
      whole = json_object_size(ms) == 0;
    } else {
      undeploy = true;
    }
    char key[600];
    key_of(j->lt, name, key, sizeof key);
    if (whole) st = lat_lattice_kv_delete(j->lt->mgr->kv_manifests, key, &err);
    else st = save(j->lt, name, rec, rev, &err);
    json_decref(rec);
    if (st == LAT_EINVALID) continue;
    if (st) {
      send_error(j, "Unable to delete application: %s", err.msg);
      goto done;
    }
    if (undeploy || whole) notify(j->lt, "manifest_unpublished", json_pack("{s:s}", "name", name), &err);
    if (v && !whole) snprintf(msg, sizeof msg, "Successfully deleted version %s of application %s", v, name);
    else if (v) snprintf(msg, sizeof msg, "Successfully deleted last version of application %s", name);
    else snprintf(msg, sizeof msg, "Successfully deleted application %s", name);
    send(j, json_pack("{s:s,s:s,s:b}", "result", "deleted", "message", msg, "undeploy",
                      undeploy || whole));
    LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "application deleted", LAT_KV_STR("app", name),
            LAT_KV_STR("version", v ? v : "(all)"));
    goto done;
  }
  send_error(j, "Unable to delete application: too many concurrent writers");
done:
  json_decref(body);
}

/* Deploy-time checks (MANAGER.md §2): ids owned by another deployed app,
 * shared references.  "" when fine, else the error in msg. */
static void deploy_checks(mgr_lattice_t *lt, const char *name, json_t *man, char *msg, size_t cap) {
  msg[0] = 0;
  char *t = json_dumps(man, JSON_COMPACT);
  lat_manager_diags_t d = {0};
  lat_manager_manifest_t *m = NULL;
  if (!t || lat_manager_manifest_parse(t, strlen(t), &m, &d)) {
    char first[600];
    snprintf(msg, cap, "Unable to parse stored manifest: %s", lat_manager_diags_first(&d, first, sizeof first));
    free(t);
    lat_manager_diags_fini(&d);
    return;
  }
  free(t);
  lat_manager_diags_fini(&d);
  pthread_mutex_lock(&lt->mu);
  lat_map_iter_t it;
  const void *k;
  size_t kl;
  void *val;
  lat_map_iter_init(&it, &lt->apps);
  while (!msg[0] && lat_map_iter_next(&it, &k, &kl, &val)) {
    if (kl == strlen(name) && !memcmp(k, name, kl)) continue;
    json_t *other = lat__manager_record_manifest(((mgr_app_t *)val)->record, NULL);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(other, "spec"), "components"), i, c) {
      const char *id = json_string_value(json_object_get(json_object_get(c, "properties"), "id"));
      for (size_t x = 0; id && x < m->ncomponents && !msg[0]; x++)
        if (m->components[x].id && !strcmp(m->components[x].id, id))
          snprintf(msg, cap, "Component identifier '%s' is already deployed in a different "
                             "application '%.*s'.", id, (int)kl, (const char *)k);
    }
  }
  pthread_mutex_unlock(&lt->mu);
  if (!msg[0]) {
    json_t *miss = unsatisfied_shared(lt, m);
    if (json_array_size(miss)) {
      char *l = json_dumps(miss, JSON_COMPACT);
      snprintf(msg, cap, "Application contains shared components that are not deployed in other "
                         "applications: %s", l ? l : "[]");
      free(l);
    }
    json_decref(miss);
  }
  lat_manager_manifest_free(m);
}

static void op_deploy(api_job_t *j, const char *name, bool deploy) {
  const char *v = NULL;
  json_t *body = NULL;
  char msg[1200];
  if (deploy && !body_version(j, &v, &body)) goto done;
  if (v && !strcmp(v, "latest")) v = NULL;
  for (int attempt = 0; attempt < 5; attempt++) {
    json_t *rec;
    uint64_t rev;
    lat_error_t err;
    lat_status st = load(j->lt, name, &rec, &rev, &err);
    if (st == LAT_ENOTFOUND) {
      snprintf(msg, sizeof msg, "Application with the name %s not found", name);
      send(j, json_pack("{s:s,s:s,s:s,s:n}", "result", "notfound", "message", msg, "name", name,
                        "version"));
      goto done;
    }
    if (st) {
      send_error(j, "Unable to load application: %s", err.msg);
      goto done;
    }
    char ver[256] = "";
    if (deploy) {
      const char *want = v ? v : latest_version(rec);
      json_t *man = want ? json_object_get(json_object_get(rec, "manifests"), want) : NULL;
      if (!man) {
        send_error(j, "Application with the name '%s' does not have a version '%s' to deploy", name,
                   v ? v : "");
        json_decref(rec);
        goto done;
      }
      snprintf(ver, sizeof ver, "%s", want);
      deploy_checks(j->lt, name, man, msg, sizeof msg);
      if (msg[0]) {
        send_error(j, "%s", msg);
        json_decref(rec);
        goto done;
      }
      json_object_set_new(rec, "deployed_version", json_string(ver));
    } else {
      bool was = json_string_value(json_object_get(rec, "deployed_version")) != NULL;
      json_object_set_new(rec, "deployed_version", json_null());
      if (!was) {
        json_decref(rec);
        notify(j->lt, "manifest_unpublished", json_pack("{s:s}", "name", name), &err);
        snprintf(msg, sizeof msg, "Application %s was already undeployed", name);
        send(j, json_pack("{s:s,s:s,s:s,s:n}", "result", "acknowledged", "message", msg, "name",
                          name, "version"));
        goto done;
      }
    }
    st = save(j->lt, name, rec, rev, &err);
    json_t *man = deploy ? json_incref(lat__manager_record_manifest(rec, ver)) : NULL;
    json_decref(rec);
    if (st == LAT_EINVALID) {
      json_decref(man);
      continue;
    }
    if (st) {
      json_decref(man);
      send_error(j, "Unable to store application: %s", err.msg);
      goto done;
    }
    lat__manager_wake(j->lt->mgr);
    st = deploy ? notify(j->lt, "manifest_published", json_pack("{s:o}", "manifest", man), &err)
                : notify(j->lt, "manifest_unpublished", json_pack("{s:s}", "name", name), &err);
    if (st) {
      send_error(j, "Unable to publish the %s notification: %s. This is likely a transient error, "
                    "so please retry the request", deploy ? "deploy" : "undeploy", err.msg);
      goto done;
    }
    if (deploy) snprintf(msg, sizeof msg, "Successfully deployed application %s %s", name, ver);
    else snprintf(msg, sizeof msg, "Successfully undeployed application %s", name);
    if (deploy)
      send(j, json_pack("{s:s,s:s,s:s,s:s}", "result", "acknowledged", "message", msg, "name", name,
                        "version", ver));
    else
      send(j, json_pack("{s:s,s:s,s:s,s:n}", "result", "acknowledged", "message", msg, "name", name,
                        "version"));
    LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, deploy ? "application deployed" : "application undeployed",
            LAT_KV_STR("lattice", j->lt->name), LAT_KV_STR("app", name), LAT_KV_STR("version", ver));
    goto done;
  }
  send_error(j, "Unable to store application: too many concurrent writers");
done:
  json_decref(body);
}

static void op_status(api_job_t *j, const char *name) {
  char msg[700];
  snprintf(msg, sizeof msg, "Successfully fetched status for application %s", name);
  send(j, json_pack("{s:s,s:s,s:o}", "result", "ok", "message", msg, "status",
                    lat__manager_status_get(j->lt, name)));
}

static void api_run(void *arg) {
  api_job_t *j = arg;
  mgr_lattice_t *lt = j->lt;
  /* {prefix}.{lattice}.{category}.{op}[.{name}] */
  const char *s = j->subject + strlen(lt->mgr->api_prefix) + 1 + strlen(lt->name) + 1;
  char parts[4][256];
  int n = 0;
  const char *p = s;
  while (*p && n < 4) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    snprintf(parts[n++], sizeof parts[0], "%.*s", (int)(l < 255 ? l : 255), p);
    p += l + (dot ? 1 : 0);
    if (!dot) break;
  }
  if (*p || n > 3) {
    send_error(j, "Invalid subject: Found extra components of subject, ensure your manifest name "
                  "consists of only alphanumeric characters, dashes, and underscores.");
  } else if (n < 2) {
    send_error(j, "Invalid subject: %s", j->subject);
  } else if (strcmp(parts[0], "model")) {
    send_error(j, "Unsupported subject: %s", j->subject);
  } else {
    const char *op = parts[1], *name = n == 3 ? parts[2] : NULL;
    if (!strcmp(op, "put") && !name) op_put(j);
    else if (!strcmp(op, "get") && !name) op_list(j, false);
    else if (!strcmp(op, "list") && !name) op_list(j, true);
    else if (!name) send_error(j, "Invalid subject: %s", j->subject);
    else if (!strcmp(op, "get")) op_get(j, name);
    else if (!strcmp(op, "versions")) op_versions(j, name);
    else if (!strcmp(op, "del")) op_del(j, name);
    else if (!strcmp(op, "deploy")) op_deploy(j, name, true);
    else if (!strcmp(op, "undeploy")) op_deploy(j, name, false);
    else if (!strcmp(op, "status")) op_status(j, name);
    else if (!strcmp(op, "history"))
      send_error(j, "Model deployment history is not currently supported. It may be added in a "
                    "future version");
    else send_error(j, "Unsupported subject: %s", j->subject);
  }
  job_free(j);
}

void lat__manager_api_msg(void *ctx, const lat_lattice_msg_t *msg) {
  mgr_lattice_t *lt = ctx;
  api_job_t *j = lat_calloc(1, sizeof *j);
  if (!j) return;
  j->lt = lt;
  j->subject = lat_strndup(msg->subject, strlen(msg->subject));
  j->reply = msg->reply ? lat_strndup(msg->reply, strlen(msg->reply)) : NULL;
  j->data = lat_malloc(msg->len + 1);
  if (!j->subject || (msg->reply && !j->reply) || !j->data) {
    job_free(j);
    return;
  }
  memcpy(j->data, msg->data, msg->len);
  j->data[msg->len] = 0;
  j->len = msg->len;
  if (lat_queue_push(lt->mgr->api_q, api_run, j)) job_free(j);
}
