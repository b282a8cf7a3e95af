/* manager_reconcile.c: desired state (deployed manifests) to ctl commands.
 *
 * One thread per manager sweeps every lattice: at least every sweep_ms, and
 * at once (50 ms debounce) when an event or a deploy asks for it.  A sweep:
 *
 *   1. hosts: host.ping (a short scatter/gather), then host.get of each
 *      host that answered, for its labels and inventory.  A host that stops
 *      answering keeps its last inventory until host_timeout_ms has passed
 *      since it was last heard, then it is gone and its share is placed
 *      elsewhere; a host that said goodbye (host_stopped) is gone at once.
 *      This is why recovery does not wait for the hosts' 30 s heartbeat:
 *      the manager probes them itself (default 1 s sweep, 5 s timeout, so
 *      a SIGKILLed host's instances are back within about 7 s).
 *   2. links: one link.get.
 *   3. each application: its lease first (KV bucket lattice_manager_leases,
 *      key {lattice}-{app}: created when absent, renewed by compare-and-set,
 *      taken over by compare-and-set once expired), so exactly one manager
 *      works on an application at a time and a second one finishes the work
 *      of a manager that died.  Then the scalers, as wadm's (MANAGER.md §4):
 *      configs first, then spreadscaler/daemonscaler placement (components:
 *      one ScaleComponent with the spread's whole count on one host;
 *      providers: at most one per host), then links.  Removals (ineligible
 *      hosts, components dropped by an upgrade, undeploy) run only when this
 *      pass started nothing and nothing it started is still unconfirmed, so
 *      an upgrade never leaves a moment with zero instances; a changed image
 *      on the same id is replaced in place (allow_update).
 *
 * Idempotence: every command is derived from what hosts report; a command
 * sent is remembered as pending (until its event or a timeout) and counted
 * as done, so the next sweep does not send it again.
 *
 * Rejected: wadm's command stream and per-lattice durable consumers (JetStream
 * work queues) -- leases give the same "never twice" with far less state, and
 * a missed event costs at most one sweep.  Host state from heartbeats alone
 * -- the default 30 s interval is what makes wadm slow to notice a dead host.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manager_int.h"

#define PING_WINDOW_MS 300
#define REQ_TIMEOUT_MS 2000
#define COMP_PENDING_NS (10ull * 1000000000u)
#define PROV_PENDING_NS (15ull * 1000000000u)
#define FAIL_BACKOFF_NS (5ull * 1000000000u)

/* ---- small helpers -------------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* One ctl request; returns the parsed envelope (new ref) or NULL with err. */
static json_t *ctl(mgr_lattice_t *lt, const char *noun, const char *verb, const char *target,
                   json_t *body, char *err, size_t cap) {
  struct lat_manager *m = lt->mgr;
  char *subj = NULL;
  lat_error_t e;
  json_t *out = NULL;
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (lat_lattice_subj_ctl(m->ctl_prefix, lt->name, noun, verb, target, &subj, &e)) {
    snprintf(err, cap, "%s", e.msg);
    goto out;
  }
  lat_lattice_reply_t r = {0};
  if (lat_lattice_conn_request(m->conn, subj, text ? text : "", text ? strlen(text) : 0,
                               REQ_TIMEOUT_MS, &r, &e)) {
    snprintf(err, cap, "%s.%s: %s", noun, verb, e.msg);
    goto out;
  }
  out = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!json_is_object(out)) {
    json_decref(out);
    out = NULL;
    snprintf(err, cap, "%s.%s: the reply is not a JSON object", noun, verb);
  } else if (!json_is_true(json_object_get(out, "success"))) {
    snprintf(err, cap, "%s", jstr(out, "message"));
    json_decref(out);
    out = NULL;
  }
out:
  free(text);
  lat_free(subj);
  return out;
}

static void scaler_id(const char *parts[], size_t n, char out[65]) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  for (size_t i = 0; i < n; i++)
    if (parts[i]) crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
  unsigned char h[32];
  crypto_hash_sha256_final(&st, h);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* ---- pending commands ------------------------------------------------------------------- */

static mgr_pending_t *pending_find(mgr_lattice_t *lt, const char *key) {
  uint64_t now = lat_now_ns();
  for (mgr_pending_t **pp = &lt->pending; *pp;) {
    mgr_pending_t *p = *pp;
    if (p->until_ns < now) {
      *pp = p->next;
      lat_free(p);
      continue;
    }
    if (!strcmp(p->key, key)) return p;
    pp = &p->next;
  }
  return NULL;
}

/* Under lt->mu. */
static void pending_add(mgr_lattice_t *lt, const char *key, uint32_t count, bool failed,
                        uint64_t ttl_ns) {
  mgr_pending_t *p = pending_find(lt, key);
  if (!p) {
    p = lat_calloc(1, sizeof *p);
    if (!p) return;
    snprintf(p->key, sizeof p->key, "%s", key);
    p->next = lt->pending;
    lt->pending = p;
  }
  p->count = count;
  p->failed = failed;
  p->until_ns = lat_now_ns() + ttl_ns;
}

static void pending_del(mgr_lattice_t *lt, const char *key) {
  for (mgr_pending_t **pp = &lt->pending; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->key, key)) {
      mgr_pending_t *p = *pp;
      *pp = p->next;
      lat_free(p);
      return;
    }
}

/* ---- events (libnats thread: parse, note, wake) --------------------------------------------- */

void lat__manager_event_msg(void *ctx, const lat_lattice_msg_t *msg) {
  mgr_lattice_t *lt = ctx;
  json_t *ev = json_loadb((const char *)msg->data, msg->len, 0, NULL);
  json_t *d = json_object_get(ev, "data");
  const char *type = json_string_value(json_object_get(ev, "type"));
  if (!type || !json_is_object(d) || strncmp(type, "com.wasmcloud.lattice.", 22)) {
    json_decref(ev);
    return;
  }
  type += 22;
  char key[512];
  bool wake = true;
  pthread_mutex_lock(&lt->mu);
  if (!strcmp(type, "host_stopped")) {
    const char *h = jstr(ev, "source");
    bool added;
    if (*h) lat_map_add(&lt->gone, h, strlen(h), NULL, &added);
  } else if (!strcmp(type, "component_scaled") || !strcmp(type, "component_scale_failed")) {
    snprintf(key, sizeof key, "c|%s|%s", jstr(d, "host_id"), jstr(d, "component_id"));
    if (!strcmp(type, "component_scaled")) pending_del(lt, key);
    else {
      pending_add(lt, key, 0, true, FAIL_BACKOFF_NS); /* backs off; the sweep reports it */
      LAT_LOG(LAT_LOG_WARN, LAT__MGR_TARGET, "a host could not scale a component",
              LAT_KV_STR("component", jstr(d, "component_id")), LAT_KV_STR("error", jstr(d, "error")));
    }
  } else if (!strcmp(type, "health_check_failed") || !strcmp(type, "health_check_passed")) {
    /* wadm: a deployed provider scaler is failed while a host's copy is unhealthy */
    snprintf(key, sizeof key, "%s|%s", jstr(d, "host_id"), jstr(d, "provider_id"));
    bool added;
    if (!strcmp(type, "health_check_failed")) lat_map_add(&lt->unhealthy, key, strlen(key), NULL, &added);
    else lat_map_del(&lt->unhealthy, key, strlen(key), NULL);
  } else if (!strcmp(type, "provider_started") || !strcmp(type, "provider_stopped") ||
             !strcmp(type, "provider_start_failed")) {
    snprintf(key, sizeof key, "%s|%s", jstr(d, "host_id"), jstr(d, "provider_id"));
    lat_map_del(&lt->unhealthy, key, strlen(key), NULL); /* a new process starts healthy */
    snprintf(key, sizeof key, "p|%s|%s", jstr(d, "host_id"), jstr(d, "provider_id"));
    pending_del(lt, key);
    if (!strcmp(type, "provider_start_failed")) {
      pending_add(lt, key, 0, true, FAIL_BACKOFF_NS);
      LAT_LOG(LAT_LOG_WARN, LAT__MGR_TARGET, "a host could not start a provider",
              LAT_KV_STR("provider", jstr(d, "provider_id")), LAT_KV_STR("error", jstr(d, "error")));
    }
  } else if (strcmp(type, "host_started") && strcmp(type, "linkdef_deleted") &&
             strcmp(type, "config_deleted") && strcmp(type, "labels_changed")) {
    wake = false; /* heartbeats and the rest: the periodic sweep covers them */
  }
  if (!strcmp(type, "config_deleted")) lt->configs_stale = true;
  if (wake) lt->dirty = true;
  pthread_mutex_unlock(&lt->mu);
  json_decref(ev);
  if (wake) lat__manager_wake(lt->mgr);
}

/* ---- the store watch (its own thread) -------------------------------------------------------- */

static void app_free(mgr_app_t *a) {
  if (!a) return;
  json_decref(a->record);
  lat_free(a);
}

void lat__manager_watch_fn(void *ctx, const lat_lattice_kv_event_t *ev) {
  mgr_lattice_t *lt = ctx;
  if (ev->op == LAT_LATTICE_KV_INITIAL_DONE) {
    lat__manager_wake(lt->mgr);
    return;
  }
  size_t pl = strlen(lt->name);
  if (strncmp(ev->key, lt->name, pl) || ev->key[pl] != '-') return;
  const char *name = ev->key + pl + 1;
  mgr_app_t *a = NULL, *old = NULL;
  if (ev->op == LAT_LATTICE_KV_PUT) {
    json_t *rec = json_loadb((const char *)ev->value, ev->len, 0, NULL);
    if (!json_is_object(rec)) {
      json_decref(rec);
      return;
    }
    a = lat_calloc(1, sizeof *a);
    if (!a) {
      json_decref(rec);
      return;
    }
    a->record = rec;
    a->revision = ev->revision;
  }
  pthread_mutex_lock(&lt->mu);
  if (a) {
    if (lat_map_put(&lt->apps, name, strlen(name), a, (void **)&old)) {
      old = a; /* out of memory: drop the update */
    }
  } else {
    lat_map_del(&lt->apps, name, strlen(name), (void **)&old);
  }
  lt->dirty = true;
  pthread_mutex_unlock(&lt->mu);
  app_free(old);
  lat__manager_wake(lt->mgr);
}

/* ---- hosts ---------------------------------------------------------------------------------- */

static void host_free(mgr_host_t *h) {
  if (!h) return;
  lat_free(h->id);
  json_decref(h->labels);
  json_decref(h->inventory);
  lat_free(h);
}

typedef struct {
  size_t n;
  char (*id)[64];
  json_t **labels, **inv; /* borrowed refs held by the snapshot */
  uint64_t *seen_ms;      /* wall clock of the last answer */
} snap_t;

static void snap_fini(snap_t *s) {
  for (size_t i = 0; i < s->n; i++) {
    json_decref(s->labels[i]);
    json_decref(s->inv[i]);
  }
  lat_free(s->id);
  lat_free(s->labels);
  lat_free(s->inv);
  lat_free(s->seen_ms);
  memset(s, 0, sizeof *s);
}

static void refresh_hosts(mgr_lattice_t *lt, snap_t *out) {
  struct lat_manager *m = lt->mgr;
  memset(out, 0, sizeof *out);
  char *subj = NULL;
  lat_error_t e;
  lat_lattice_replies_t rs = {0};
  json_t *seen = json_object(); /* id -> inventory (or null) */
  if (!lat_lattice_subj_ctl(m->ctl_prefix, lt->name, "host", "ping", NULL, &subj, &e) &&
      !lat_lattice_conn_gather(m->conn, subj, "", 0, PING_WINDOW_MS, 0, &rs, &e)) {
    for (size_t i = 0; i < rs.count; i++) {
      json_t *o = json_loadb((const char *)rs.items[i].data, rs.items[i].len, 0, NULL);
      json_t *h = json_object_get(o, "response");
      const char *id = jstr(h, "id");
      if (lat__manager_token_ok(id)) json_object_set(seen, id, json_object_get(h, "labels"));
      json_decref(o);
    }
  }
  lat_lattice_replies_fini(&rs);
  lat_free(subj);
  /* inventories, without the lock */
  json_t *invs = json_object();
  const char *id;
  json_t *lab;
  json_object_foreach(seen, id, lab) {
    char err[256];
    json_t *r = ctl(lt, "host", "get", id, NULL, err, sizeof err);
    if (r && json_is_object(json_object_get(r, "response")))
      json_object_set(invs, id, json_object_get(r, "response"));
    json_decref(r);
  }
  uint64_t now = lat_now_ns(), timeout = (uint64_t)m->o.host_timeout_ms * 1000000u;
  pthread_mutex_lock(&lt->mu);
  json_object_foreach(seen, id, lab) {
    if (lat_map_get(&lt->gone, id, strlen(id), NULL)) continue; /* said goodbye */
    mgr_host_t *h = NULL;
    if (!lat_map_get(&lt->hosts, id, strlen(id), (void **)&h)) {
      h = lat_calloc(1, sizeof *h);
      if (!h || !(h->id = lat_strndup(id, strlen(id))) || lat_map_put(&lt->hosts, id, strlen(id), h, NULL)) {
        host_free(h);
        continue;
      }
      LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "host joined", LAT_KV_STR("lattice", lt->name),
              LAT_KV_STR("host", id));
    }
    json_decref(h->labels);
    h->labels = json_is_object(lab) ? json_incref(lab) : json_object();
    json_t *inv = json_object_get(invs, id);
    if (inv) {
      json_decref(h->inventory);
      h->inventory = json_incref(inv);
    }
    h->last_seen_ns = now;
  }
  /* forget the gone and the silent */
  lat_map_iter_t it;
  const void *k;
  size_t kl;
  void *v;
  lat_map_iter_init(&it, &lt->hosts);
  while (lat_map_iter_next(&it, &k, &kl, &v)) {
    mgr_host_t *h = v;
    bool said_bye = lat_map_get(&lt->gone, h->id, strlen(h->id), NULL);
    if (said_bye || now - h->last_seen_ns > timeout) {
      LAT_LOG(LAT_LOG_WARN, LAT__MGR_TARGET, said_bye ? "host stopped" : "host lost",
              LAT_KV_STR("lattice", lt->name), LAT_KV_STR("host", h->id));
      lat_map_del(&lt->hosts, k, kl, NULL);
      host_free(h);
    }
  }
  /* a host id that said goodbye and is not answering any more can be forgotten */
  lat_map_iter_init(&it, &lt->gone);
  while (lat_map_iter_next(&it, &k, &kl, &v)) {
    char idb[256];
    snprintf(idb, sizeof idb, "%.*s", (int)(kl < 255 ? kl : 255), (const char *)k);
    if (!json_object_get(seen, idb)) lat_map_del(&lt->gone, k, kl, NULL);
  }
  size_t n = lat_map_count(&lt->hosts);
  out->id = lat_calloc(n ? n : 1, sizeof *out->id);
  out->labels = lat_calloc(n ? n : 1, sizeof *out->labels);
  out->inv = lat_calloc(n ? n : 1, sizeof *out->inv);
  out->seen_ms = lat_calloc(n ? n : 1, sizeof *out->seen_ms);
  uint64_t wall = lat__manager_wall_ms();
  if (out->id && out->labels && out->inv && out->seen_ms) {
    lat_map_iter_init(&it, &lt->hosts);
    while (lat_map_iter_next(&it, &k, &kl, &v)) {
      mgr_host_t *h = v;
      if (!h->inventory) continue;
      snprintf(out->id[out->n], 64, "%s", h->id);
      out->labels[out->n] = json_incref(h->labels);
      out->inv[out->n] = json_incref(h->inventory);
      out->seen_ms[out->n] = wall - (now - h->last_seen_ns) / 1000000u;
      out->n++;
    }
  }
  pthread_mutex_unlock(&lt->mu);
  /* a stable order, so placement is deterministic */
  for (size_t i = 1; i < out->n; i++)
    for (size_t j = i; j > 0 && strcmp(out->id[j - 1], out->id[j]) > 0; j--) {
      char t[64];
      memcpy(t, out->id[j], 64);
      memcpy(out->id[j], out->id[j - 1], 64);
      memcpy(out->id[j - 1], t, 64);
      json_t *x = out->labels[j];
      out->labels[j] = out->labels[j - 1];
      out->labels[j - 1] = x;
      x = out->inv[j];
      out->inv[j] = out->inv[j - 1];
      out->inv[j - 1] = x;
      uint64_t ts = out->seen_ms[j];
      out->seen_ms[j] = out->seen_ms[j - 1];
      out->seen_ms[j - 1] = ts;
    }
  json_decref(seen);
  json_decref(invs);
}

/* wadm's host list for dashboards (MANAGER.md §8, PROTOCOL.md §18): KV
 * wadm_state, key host_{lattice}.  Written when the hosts or what they run
 * change, and at least every 10 s (last_seen); a lost host leaves it on the
 * sweep that drops it. */
static void publish_host_state(mgr_lattice_t *lt, const snap_t *hs) {
  json_t *all = json_object(), *stable = json_object();
  for (size_t i = 0; i < hs->n; i++) {
    json_t *inv = hs->inv[i], *comps = json_object(), *provs = json_array();
    size_t k;
    json_t *x;
    json_array_foreach(json_object_get(inv, "components"), k, x)
      json_object_set(comps, jstr(x, "id"), json_object_get(x, "max_instances"));
    json_array_foreach(json_object_get(inv, "providers"), k, x)
      json_array_append_new(provs, json_pack("{s:s,s:s,s:O}", "provider_id", jstr(x, "id"),
                                             "provider_ref", jstr(x, "image_ref"), "annotations",
                                             json_object_get(x, "annotations") ?: json_null()));
    time_t secs = (time_t)(hs->seen_ms[i] / 1000u);
    struct tm tm;
    char when[40];
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *h = json_pack("{s:s,s:s,s:O,s:o,s:o,s:I,s:s}", "id", hs->id[i], "friendly_name",
                          jstr(inv, "friendly_name"), "labels", hs->labels[i], "components", comps,
                          "providers", provs, "uptime_seconds",
                          json_integer_value(json_object_get(inv, "uptime_seconds")), "version",
                          jstr(inv, "version"));
    json_object_set(stable, hs->id[i], h);
    json_t *full = json_deep_copy(h);
    json_object_set_new(full, "last_seen", json_string(when));
    json_object_set_new(all, hs->id[i], full);
    json_decref(h);
  }
  char *st = json_dumps(stable, JSON_COMPACT | JSON_SORT_KEYS);
  uint64_t now = lat_now_ns();
  if (st && (!lt->host_state_text || strcmp(st, lt->host_state_text) ||
             now - lt->host_state_ns > 10ull * 1000000000u)) {
    char *t = json_dumps(all, JSON_COMPACT);
    char key[300];
    snprintf(key, sizeof key, "host_%s", lt->name);
    lat_error_t e;
    if (t && !lat_lattice_kv_put(lt->mgr->kv_state, key, t, strlen(t), NULL, &e)) {
      lat_free(lt->host_state_text);
      lt->host_state_text = lat_strndup(st, strlen(st));
      lt->host_state_ns = now;
    }
    free(t);
  }
  free(st);
  json_decref(all);
  json_decref(stable);
}

static bool host_matches(json_t *labels, json_t *reqs) {
  const char *k;
  json_t *v;
  json_object_foreach(reqs, k, v) {
    const char *have = json_string_value(json_object_get(labels, k));
    if (!have || strcmp(have, json_string_value(v))) return false;
  }
  return true;
}

/* The entry for id in a host's inventory list ("components"/"providers"). */
static json_t *inv_find(json_t *inv, const char *list, const char *id) {
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(inv, list), i, x) if (!strcmp(jstr(x, "id"), id)) return x;
  return NULL;
}

/* ---- per-application state ------------------------------------------------------------------- */

static mgr_owned_t *owned_get(mgr_lattice_t *lt, const char *name, bool create) {
  for (mgr_owned_t *o = lt->owned; o; o = o->next)
    if (!strcmp(o->name, name)) return o;
  if (!create) return NULL;
  mgr_owned_t *o = lat_calloc(1, sizeof *o);
  if (!o) return NULL;
  snprintf(o->name, sizeof o->name, "%s", name);
  o->next = lt->owned;
  lt->owned = o;
  return o;
}

static bool lease(mgr_lattice_t *lt, mgr_owned_t *o) {
  struct lat_manager *m = lt->mgr;
  uint64_t now = lat__manager_wall_ms(), ttl = m->o.lease_ms;
  if (o->lease_rev && o->lease_until_ms > now + ttl / 2) return true;
  char key[600], val[256];
  snprintf(key, sizeof key, "%s-%s", lt->name, o->name);
  snprintf(val, sizeof val, "{\"owner\":\"%s\",\"until_ms\":%llu}", m->id,
           (unsigned long long)(now + ttl));
  lat_error_t e;
  uint64_t rev = 0;
  if (o->lease_rev &&
      !lat_lattice_kv_update(m->kv_leases, key, val, strlen(val), o->lease_rev, &rev, &e))
    goto held;
  lat_lattice_reply_t r = {0};
  uint64_t cur = 0;
  lat_status st = lat_lattice_kv_get(m->kv_leases, key, &r, &cur, &e);
  if (st == LAT_ENOTFOUND) {
    if (!lat_lattice_kv_create(m->kv_leases, key, val, strlen(val), &rev, &e)) goto held;
  } else if (!st) {
    json_t *l = json_loadb((const char *)r.data, r.len, 0, NULL);
    bool mine = !strcmp(jstr(l, "owner"), m->id);
    uint64_t until = (uint64_t)json_integer_value(json_object_get(l, "until_ms"));
    json_decref(l);
    if ((mine || until < now) &&
        !lat_lattice_kv_update(m->kv_leases, key, val, strlen(val), cur, &rev, &e)) {
      if (!mine)
        LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "took over an expired lease",
                LAT_KV_STR("lattice", lt->name), LAT_KV_STR("app", o->name));
      lat_lattice_reply_fini(&r);
      goto held;
    }
  }
  lat_lattice_reply_fini(&r);
  o->lease_rev = 0;
  return false;
held:
  if (!o->lease_rev)
    LAT_LOG(LAT_LOG_DEBUG, LAT__MGR_TARGET, "lease held", LAT_KV_STR("app", o->name));
  o->lease_rev = rev;
  o->lease_until_ms = now + ttl;
  return true;
}

static void lease_release(mgr_lattice_t *lt, mgr_owned_t *o) {
  if (!o->lease_rev) return;
  char key[600];
  snprintf(key, sizeof key, "%s-%s", lt->name, o->name);
  lat_error_t e;
  /* only our own revision: a CAS write of an expired lease, then delete */
  char val[128];
  snprintf(val, sizeof val, "{\"owner\":\"\",\"until_ms\":0}");
  lat_lattice_kv_update(lt->mgr->kv_leases, key, val, strlen(val), o->lease_rev, NULL, &e);
  o->lease_rev = 0;
}

/* ---- one application's pass ------------------------------------------------------------------ */

typedef struct {
  mgr_lattice_t *lt;
  const char *app;
  const snap_t *hosts;
  json_t *links;   /* link.get's answer (borrowed) */
  json_t *scalers; /* status rows being built */
  json_t *ids;     /* object: ids this version runs -> true */
  int starts;      /* commands that add or replace instances this pass */
  int waiting;     /* commands of this app still unconfirmed */
} pass_t;

static void status_row(pass_t *p, const char *kind, const char *name, const char *sid,
                       const char *type, const char *msg) {
  json_t *st = json_pack("{s:s}", "type", type);
  if (msg && *msg) json_object_set_new(st, "message", json_string(msg));
  json_array_append_new(p->scalers, json_pack("{s:s,s:s,s:s,s:o}", "id", sid, "kind", kind, "name",
                                              name, "status", st));
}

static json_t *annotations(pass_t *p, const char *sid, const char *spread) {
  json_t *a = json_pack("{s:s,s:s,s:s}", "wasmcloud.dev/managed-by", "wadm", "wasmcloud.dev/appspec",
                        p->app, "wasmcloud.dev/scaler", sid);
  if (spread) json_object_set_new(a, "wasmcloud.dev/spread_name", json_string(spread));
  return a;
}

static bool scale(pass_t *p, const char *host, const char *id, const char *image, uint32_t count,
                  json_t *ann, json_t *cfg, char *err, size_t cap) {
  json_t *body = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:b}", "component_ref", image ? image : "",
                           "component_id", id, "host_id", host, "count", (json_int_t)count,
                           "annotations", ann ? ann : json_object(), "config",
                           cfg ? json_incref(cfg) : json_array(), "allow_update", 1);
  /* pending before the request: the host's component_scaled may arrive
   * (on a libnats thread) before its reply does */
  char key[512];
  snprintf(key, sizeof key, "c|%s|%s", host, id);
  pthread_mutex_lock(&p->lt->mu);
  pending_add(p->lt, key, count, false, COMP_PENDING_NS);
  pthread_mutex_unlock(&p->lt->mu);
  json_t *r = ctl(p->lt, "component", "scale", host, body, err, cap);
  if (!r) {
    pthread_mutex_lock(&p->lt->mu);
    pending_del(p->lt, key);
    pthread_mutex_unlock(&p->lt->mu);
    return false;
  }
  json_decref(r);
  LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "scale component", LAT_KV_STR("app", p->app),
          LAT_KV_STR("component", id), LAT_KV_STR("host", host), LAT_KV_UINT("count", count));
  return true;
}

static bool provider_cmd(pass_t *p, bool start, const char *host, const char *id, const char *image,
                         json_t *ann, json_t *cfg, char *err, size_t cap) {
  json_t *body = start ? json_pack("{s:s,s:s,s:s,s:o,s:o}", "provider_id", id, "provider_ref", image,
                                   "host_id", host, "config", cfg ? json_incref(cfg) : json_array(),
                                   "annotations", ann ? ann : json_object())
                       : json_pack("{s:s,s:s}", "host_id", host, "provider_id", id);
  if (!start) json_decref(ann);
  char key[512];
  snprintf(key, sizeof key, "p|%s|%s", host, id);
  if (start) { /* before the request, as for components */
    pthread_mutex_lock(&p->lt->mu);
    pending_add(p->lt, key, 1, false, PROV_PENDING_NS);
    pthread_mutex_unlock(&p->lt->mu);
  }
  json_t *r = ctl(p->lt, "provider", start ? "start" : "stop", host, body, err, cap);
  if (!r) {
    if (start) {
      pthread_mutex_lock(&p->lt->mu);
      pending_del(p->lt, key);
      pthread_mutex_unlock(&p->lt->mu);
    }
    return false;
  }
  json_decref(r);
  LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, start ? "start provider" : "stop provider",
          LAT_KV_STR("app", p->app), LAT_KV_STR("provider", id), LAT_KV_STR("host", host));
  return true;
}

/* Pending state of (kind, host, id): -1 none, else the count sent (0 for a
 * back-off after a failure, with *failed). */
static long pending_of(pass_t *p, char kind, const char *host, const char *id, bool *failed) {
  char key[512];
  snprintf(key, sizeof key, "%c|%s|%s", kind, host, id);
  pthread_mutex_lock(&p->lt->mu);
  mgr_pending_t *x = pending_find(p->lt, key);
  long r = x ? (long)x->count : -1;
  pthread_mutex_unlock(&p->lt->mu);
  if (failed) *failed = x && x->failed;
  return r;
}

/* A component's configs as names (managed ones renamed {app}-{name}), put when needed. */
static json_t *configs(pass_t *p, const lat_manager_config_t *cf, size_t n, char *err, size_t cap) {
  json_t *names = json_array();
  for (size_t i = 0; i < n; i++) {
    char name[600];
    if (cf[i].props) {
      lat_manager_component_id(p->app, cf[i].name, name, sizeof name);
      char *text = json_dumps(cf[i].props, JSON_COMPACT | JSON_SORT_KEYS);
      char *had = NULL;
      bool same = text && lat_map_get(&p->lt->configs_put, name, strlen(name), (void **)&had) &&
                  !strcmp(had, text);
      if (text && !same) {
        json_t *r = ctl(p->lt, "config", "put", name, json_deep_copy(cf[i].props), err, cap);
        if (!r) {
          free(text);
          json_decref(names);
          return NULL;
        }
        json_decref(r);
        char *copy = lat_strndup(text, strlen(text)), *old = NULL;
        if (copy && !lat_map_put(&p->lt->configs_put, name, strlen(name), copy, (void **)&old))
          lat_free(old);
        else lat_free(copy);
      }
      free(text);
    } else {
      snprintf(name, sizeof name, "%s", cf[i].name);
      char *had = NULL;
      if (!lat_map_get(&p->lt->configs_put, name, strlen(name), (void **)&had)) {
        json_t *r = ctl(p->lt, "config", "get", name, NULL, err, cap);
        bool found = r && json_object_get(r, "response");
        json_decref(r);
        if (!found) {
          snprintf(err, cap, "Specified configuration %s does not exist", name);
          json_decref(names);
          return NULL;
        }
      }
    }
    json_array_append_new(names, json_string(name));
  }
  return names;
}

static json_t *secrets(pass_t *p, const lat_manager_manifest_t *m, const lat_manager_secret_t *s,
                       size_t n, json_t *names, char *err, size_t cap) {
  for (size_t i = 0; i < n; i++) {
    char name[600], key[600];
    lat_manager_component_id(p->app, s[i].name, key, sizeof key);
    snprintf(name, sizeof name, "SECRET_%s-%s", p->app, s[i].name);
    /* SecretConfig as wadm writes it (PROTOCOL §8): the policy's backend
     * apart, its other properties in the policy string */
    json_t *ref = json_pack("{s:s,s:s,s:s}", "name", s[i].name, "key", s[i].key, "type",
                            "secret.wasmcloud.dev/v1alpha1");
    for (size_t k = 0; k < m->npolicies; k++)
      if (!strcmp(m->policies[k].name, s[i].policy)) {
        json_object_set(ref, "backend", json_object_get(m->policies[k].props, "backend"));
        json_t *props = json_copy(m->policies[k].props);
        json_object_del(props, "backend");
        json_t *pol = json_pack("{s:s,s:o}", "type", "properties.secret.wasmcloud.dev/v1alpha1",
                                "properties", props ? props : json_object());
        char *pp = pol ? json_dumps(pol, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(pol);
        json_object_set_new(ref, "policy", json_string(pp ? pp : "{}"));
        free(pp);
      }
    if (s[i].field) json_object_set_new(ref, "field", json_string(s[i].field));
    if (s[i].version) json_object_set_new(ref, "version", json_string(s[i].version));
    json_t *r = ctl(p->lt, "config", "put", name, ref, err, cap);
    if (!r) {
      json_decref(names);
      return NULL;
    }
    json_decref(r);
    json_array_append_new(names, json_string(name));
  }
  return names;
}

static void comp_id(const pass_t *p, const lat_manager_component_t *c, char *buf, size_t cap) {
  if (c->shared_app) lat_manager_component_id(c->shared_app, c->shared_component, buf, cap);
  else if (c->id) snprintf(buf, cap, "%s", c->id);
  else lat_manager_component_id(p->app, c->name, buf, cap);
}

/* Placement of one component or provider. */
static void place(pass_t *p, const lat_manager_manifest_t *m, const lat_manager_component_t *c) {
  char id[600], sid[65], err[600] = "";
  comp_id(p, c, id, sizeof id);
  json_object_set_new(p->ids, id, json_true());
  if (c->shared_app) return;
  lat_manager_scaler_t def = {.kind = LAT_MANAGER_SPREAD, .instances = 1};
  const lat_manager_scaler_t *s = c->has_scaler ? &c->scaler : (c->provider ? &def : NULL);
  const char *kind = s && s->kind == LAT_MANAGER_DAEMON ? "DaemonScaler" : "SpreadScaler";
  /* configs and secrets first (wadm's BackoffWrapper) */
  json_t *cfg = configs(p, c->configs, c->nconfigs, err, sizeof err);
  if (cfg) cfg = secrets(p, m, c->secrets, c->nsecrets, cfg, err, sizeof err);
  const char *idparts[16] = {kind, p->app, c->name, id, c->image};
  size_t np = 5;
  for (size_t i = 0; i < c->nconfigs && np < 16; i++) idparts[np++] = c->configs[i].name;
  scaler_id(idparts, np, sid);
  if (!s) {
    json_decref(cfg);
    return; /* a component without a scaler trait runs nowhere (as in wadm) */
  }
  if (!cfg) {
    status_row(p, kind, c->name, sid, "failed", err);
    return;
  }
  const char *list = c->provider ? "providers" : "components";
  lat_manager_spread_t all = {.name = "default", .requirements = NULL, .weight = 100};
  const lat_manager_spread_t *sp = s->nspreads ? s->spreads : &all;
  size_t nsp = s->nspreads ? s->nspreads : 1;
  uint32_t targets[LAT_MANAGER_MAX_ITEMS];
  if (s->kind == LAT_MANAGER_SPREAD && lat_manager_spread_compute(s->instances, sp, nsp, targets)) {
    status_row(p, kind, c->name, sid, "failed", "the spread weights are all zero");
    json_decref(cfg);
    return;
  }
  if (s->kind == LAT_MANAGER_SPREAD && !s->nspreads) targets[0] = s->instances;
  bool reconciling = false;
  char msg[1024] = "", fail[1024] = "";
  /* (1) ineligible hosts */
  for (size_t h = 0; h < p->hosts->n; h++) {
    json_t *e = inv_find(p->hosts->inv[h], list, id);
    if (!e) continue;
    bool eligible = false;
    for (size_t k = 0; k < nsp; k++) eligible |= host_matches(p->hosts->labels[h], sp[k].requirements);
    if (eligible) continue;
    snprintf(msg, sizeof msg, "Found %s running on ineligible hosts, removing them.",
             c->provider ? "providers" : "components");
    reconciling = true;
    if (p->starts || p->waiting) continue; /* new instances first */
    if (c->provider) provider_cmd(p, false, p->hosts->id[h], id, NULL, NULL, NULL, err, sizeof err);
    else scale(p, p->hosts->id[h], id, c->image, 0, NULL, NULL, err, sizeof err);
  }
  /* (2) per spread */
  bool used[256] = {0}; /* hosts given to an earlier spread of this component */
  for (size_t k = 0; k < nsp; k++) {
    const char *sname = sp[k].name;
    size_t elig[256], ne = 0;
    for (size_t h = 0; h < p->hosts->n && h < 256; h++)
      if (host_matches(p->hosts->labels[h], sp[k].requirements)) elig[ne++] = h;
    /* hosts of this spread that run it (or have a command on the way) */
    size_t run[256], nr = 0;
    for (size_t i = 0; i < ne; i++) {
      size_t h = elig[i];
      json_t *e = inv_find(p->hosts->inv[h], list, id);
      bool failed;
      long pend = pending_of(p, c->provider ? 'p' : 'c', p->hosts->id[h], id, &failed);
      if (failed) {
        snprintf(fail, sizeof fail, "%s on host %s failed; retrying shortly", id, p->hosts->id[h]);
        continue;
      }
      const char *sn = jstr(json_object_get(e, "annotations"), "wasmcloud.dev/spread_name");
      bool ours = (e && (nsp == 1 || !*sn || !strcmp(sn, sname))) || pend > 0;
      if (e && pend == 0 && !c->provider) ours = false; /* a stop on the way */
      if (ours && !used[h]) run[nr++] = h;
    }
    if (s->kind == LAT_MANAGER_DAEMON || c->provider) {
      /* hosts wanted: daemon = every eligible host; provider spread = targets[k] hosts */
      size_t want = s->kind == LAT_MANAGER_DAEMON ? ne : targets[k];
      if (want > ne) want = ne;
      if (!ne && (s->kind == LAT_MANAGER_DAEMON ? 1 : targets[k])) {
        snprintf(fail, sizeof fail, s->kind == LAT_MANAGER_DAEMON
                                        ? "Could not satisfy daemonscaler %s for %s, 0 eligible hosts found."
                                        : "Could not satisfy spread %s for %s, 0/1 eligible hosts found.",
                 sname, c->image);
        continue;
      }
      for (size_t i = 0; i < ne; i++) {
        size_t h = elig[i];
        bool runs = false;
        for (size_t r = 0; r < nr; r++) runs |= run[r] == h;
        json_t *e = inv_find(p->hosts->inv[h], list, id);
        bool failed;
        if (pending_of(p, c->provider ? 'p' : 'c', p->hosts->id[h], id, &failed) >= 0 && failed) continue;
        if (c->provider) {
          if (!runs && want > nr && !e) {
            if (provider_cmd(p, true, p->hosts->id[h], id, c->image, annotations(p, sid, sname), cfg,
                             err, sizeof err)) {
              nr++;
              p->starts++;
              reconciling = true;
            } else snprintf(fail, sizeof fail, "%s", err);
          }
        } else {
          uint32_t have = e ? (uint32_t)json_integer_value(json_object_get(e, "max_instances")) : 0;
          bool same_img = e && !strcmp(jstr(e, "image_ref"), c->image);
          long pend = pending_of(p, 'c', p->hosts->id[h], id, NULL);
          if (pend == (long)s->instances) {
            reconciling = true;
            continue;
          }
          if (have != s->instances || !same_img) {
            if (scale(p, p->hosts->id[h], id, c->image, s->instances, annotations(p, sid, sname), cfg,
                      err, sizeof err)) {
              p->starts++;
              reconciling = true;
            } else snprintf(fail, sizeof fail, "%s", err);
          }
        }
        used[h] = true;
      }
      if (c->provider && nr > want) { /* too many providers: stop the extras */
        reconciling = true;
        for (size_t r = want; r < nr && !p->starts && !p->waiting; r++)
          provider_cmd(p, false, p->hosts->id[run[r]], id, NULL, NULL, NULL, err, sizeof err);
      }
      continue;
    }
    /* a component spreadscaler: one host carries the spread's whole count */
    uint32_t t = targets[k];
    if (t == 0) {
      for (size_t r = 0; r < nr; r++)
        if (!p->starts && !p->waiting) scale(p, p->hosts->id[run[r]], id, c->image, 0, NULL, NULL, err, sizeof err);
      continue;
    }
    if (!nr) {
      /* the least loaded eligible host not used by another spread */
      size_t best = SIZE_MAX, best_load = SIZE_MAX;
      for (size_t i = 0; i < ne; i++) {
        size_t h = elig[i];
        bool failed = false;
        pending_of(p, 'c', p->hosts->id[h], id, &failed);
        if (used[h] || failed || inv_find(p->hosts->inv[h], list, id)) continue;
        size_t load = json_array_size(json_object_get(p->hosts->inv[h], "components"));
        if (load < best_load) {
          best = h;
          best_load = load;
        }
      }
      if (best == SIZE_MAX) {
        if (!*fail)
          snprintf(fail, sizeof fail, "Could not satisfy spread %s for %s, 0/1 eligible hosts found.",
                   sname, c->image);
        continue;
      }
      if (scale(p, p->hosts->id[best], id, c->image, t, annotations(p, sid, sname), cfg, err, sizeof err)) {
        p->starts++;
        reconciling = true;
        used[best] = true;
      } else snprintf(fail, sizeof fail, "%s", err);
      continue;
    }
    size_t h = run[0];
    used[h] = true;
    json_t *e = inv_find(p->hosts->inv[h], list, id);
    long pend = pending_of(p, 'c', p->hosts->id[h], id, NULL);
    uint32_t have = e ? (uint32_t)json_integer_value(json_object_get(e, "max_instances")) : 0;
    bool same_img = e && !strcmp(jstr(e, "image_ref"), c->image);
    if (pend == (long)t) reconciling = true;
    else if (have != t || !same_img) {
      if (scale(p, p->hosts->id[h], id, c->image, t, annotations(p, sid, sname), cfg, err, sizeof err)) {
        p->starts++;
        reconciling = true;
      } else snprintf(fail, sizeof fail, "%s", err);
    }
    for (size_t r = 1; r < nr; r++) { /* the spread on more than one host: keep one */
      reconciling = true;
      if (!p->starts && !p->waiting) scale(p, p->hosts->id[run[r]], id, c->image, 0, NULL, NULL, err, sizeof err);
    }
  }
  if (!*fail && c->provider && !reconciling) { /* deployed: are its processes healthy? */
    size_t sick = 0;
    pthread_mutex_lock(&p->lt->mu);
    for (size_t h = 0; h < p->hosts->n; h++) {
      char key[1024];
      snprintf(key, sizeof key, "%s|%s", p->hosts->id[h], id);
      sick += inv_find(p->hosts->inv[h], "providers", id) &&
              lat_map_get(&p->lt->unhealthy, key, strlen(key), NULL);
    }
    pthread_mutex_unlock(&p->lt->mu);
    if (sick) snprintf(fail, sizeof fail, "Unhealthy provider on %zu host(s)", sick);
  }
  if (*fail) status_row(p, kind, c->name, sid, "failed", fail);
  else status_row(p, kind, c->name, sid, reconciling ? "reconciling" : "deployed", msg);
  json_decref(cfg);
}

static bool link_exists(json_t *links, json_t *want) {
  size_t i;
  json_t *l;
  json_array_foreach(links, i, l) {
    if (strcmp(jstr(l, "source_id"), jstr(want, "source_id")) ||
        strcmp(jstr(l, "target"), jstr(want, "target")) ||
        strcmp(jstr(l, "name"), jstr(want, "name")) ||
        strcmp(jstr(l, "wit_namespace"), jstr(want, "wit_namespace")) ||
        strcmp(jstr(l, "wit_package"), jstr(want, "wit_package")))
      continue;
    if (json_equal(json_object_get(l, "interfaces"), json_object_get(want, "interfaces"))) return true;
  }
  return false;
}

/* The links an application wants (array of Link objects, new). */
static json_t *wanted_links(const char *app, const lat_manager_manifest_t *m) {
  json_t *out = json_array();
  pass_t p = {.app = app};
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *c = &m->components[i];
    for (size_t k = 0; k < c->nlinks; k++) {
      const lat_manager_link_t *l = &c->links[k];
      const lat_manager_component_t *t = NULL;
      for (size_t x = 0; x < m->ncomponents; x++)
        if (!strcmp(m->components[x].name, l->target)) t = &m->components[x];
      if (!t || (c->provider && t->provider)) continue;
      char src[600], dst[600];
      comp_id(&p, c, src, sizeof src);
      comp_id(&p, t, dst, sizeof dst);
      json_t *ifs = json_array(), *sc = json_array(), *tc = json_array();
      for (size_t f = 0; f < l->nifaces; f++) json_array_append_new(ifs, json_string(l->ifaces[f]));
      for (int side = 0; side < 2; side++) {
        const lat_manager_config_t *cf = side ? l->scfg : l->tcfg;
        size_t n = side ? l->nscfg : l->ntcfg;
        for (size_t j = 0; j < n; j++) {
          char nm[600];
          if (cf[j].props) lat_manager_component_id(app, cf[j].name, nm, sizeof nm);
          else snprintf(nm, sizeof nm, "%s", cf[j].name);
          json_array_append_new(side ? sc : tc, json_string(nm));
        }
        const lat_manager_secret_t *se = side ? l->ssec : l->tsec;
        size_t ns = side ? l->nssec : l->ntsec;
        for (size_t j = 0; j < ns; j++) {
          char nm[700];
          snprintf(nm, sizeof nm, "SECRET_%s-%s", app, se[j].name);
          json_array_append_new(side ? sc : tc, json_string(nm));
        }
      }
      json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "source_id", src,
                                           "target", dst, "name", l->name, "wit_namespace", l->ns,
                                           "wit_package", l->pkg, "interfaces", ifs, "source_config",
                                           sc, "target_config", tc));
    }
  }
  return out;
}

static void put_links(pass_t *p, const lat_manager_manifest_t *m) {
  json_t *want = wanted_links(p->app, m);
  size_t i;
  json_t *l;
  json_array_foreach(want, i, l) {
    char err[600] = "", sid[65], name[800];
    const char *parts[] = {"LinkScaler", p->app, jstr(l, "name"), jstr(l, "source_id"), jstr(l, "target"),
                           jstr(l, "wit_namespace"), jstr(l, "wit_package")};
    scaler_id(parts, 7, sid);
    snprintf(name, sizeof name, "%s -(%s:%s)-> %s", jstr(l, "source_id"), jstr(l, "wit_namespace"),
             jstr(l, "wit_package"), jstr(l, "target"));
    /* managed link configs first */
    for (size_t ci = 0; ci < m->ncomponents; ci++)
      for (size_t k = 0; k < m->components[ci].nlinks; k++) {
        const lat_manager_link_t *ml = &m->components[ci].links[k];
        json_decref(configs(p, ml->tcfg, ml->ntcfg, err, sizeof err));
        json_decref(configs(p, ml->scfg, ml->nscfg, err, sizeof err));
        json_decref(secrets(p, m, ml->tsec, ml->ntsec, json_array(), err, sizeof err));
        json_decref(secrets(p, m, ml->ssec, ml->nssec, json_array(), err, sizeof err));
      }
    if (*err) {
      status_row(p, "LinkScaler", name, sid, "failed", err);
      continue;
    }
    if (link_exists(p->links, l)) {
      status_row(p, "LinkScaler", name, sid, "deployed", NULL);
      continue;
    }
    json_t *r = ctl(p->lt, "link", "put", NULL, json_incref(l), err, sizeof err);
    if (r) {
      json_array_append(p->links, l);
      LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "put link", LAT_KV_STR("app", p->app),
              LAT_KV_STR("link", name));
      status_row(p, "LinkScaler", name, sid, "reconciling", NULL);
    } else {
      status_row(p, "LinkScaler", name, sid, "failed", err);
    }
    json_decref(r);
  }
  json_decref(want);
}

/* Removes what this app runs and no longer wants: components and providers
 * carrying its appspec annotation, links whose source is one of its ids
 * and that no deployed application wants.  Returns how much it found. */
static int remove_unwanted(pass_t *p, json_t *all_wanted_links, json_t *extra_ids) {
  int found = 0;
  char err[600];
  json_t *mine = json_object(); /* ids this app has anywhere */
  for (size_t h = 0; h < p->hosts->n; h++) {
    for (int pv = 0; pv < 2; pv++) {
      size_t i;
      json_t *e;
      json_array_foreach(json_object_get(p->hosts->inv[h], pv ? "providers" : "components"), i, e) {
        json_t *ann = json_object_get(e, "annotations");
        if (strcmp(jstr(ann, "wasmcloud.dev/appspec"), p->app)) continue;
        const char *id = jstr(e, "id");
        json_object_set_new(mine, id, json_true());
        if (json_object_get(p->ids, id)) continue;
        found++;
        if (pv) provider_cmd(p, false, p->hosts->id[h], id, NULL, NULL, NULL, err, sizeof err);
        else if (pending_of(p, 'c', p->hosts->id[h], id, NULL) != 0)
          scale(p, p->hosts->id[h], id, jstr(e, "image_ref"), 0, NULL, NULL, err, sizeof err);
      }
    }
  }
  if (extra_ids) json_object_update(mine, extra_ids);
  size_t i;
  json_t *l;
  json_array_foreach(p->links, i, l) {
    const char *src = jstr(l, "source_id");
    if (!json_object_get(mine, src) && !json_object_get(p->ids, src)) continue;
    if (link_exists(all_wanted_links, l)) continue;
    found++;
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "source_id", src, "name", jstr(l, "name"),
                             "wit_namespace", jstr(l, "wit_namespace"), "wit_package",
                             jstr(l, "wit_package"));
    json_t *r = ctl(p->lt, "link", "del", NULL, body, err, sizeof err);
    if (r)
      LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "deleted link", LAT_KV_STR("app", p->app),
              LAT_KV_STR("source", src), LAT_KV_STR("target", jstr(l, "target")));
    json_decref(r);
  }
  json_decref(mine);
  return found;
}

static void delete_configs(pass_t *p, const lat_manager_manifest_t *m) {
  char err[600];
  for (size_t i = 0; i < m->ncomponents; i++) {
    const lat_manager_component_t *c = &m->components[i];
    for (int pass = 0; pass <= (int)c->nlinks; pass++) {
      const lat_manager_config_t *cf[2] = {c->configs, NULL};
      size_t n[2] = {c->nconfigs, 0};
      if (pass > 0) {
        cf[0] = c->links[pass - 1].tcfg;
        n[0] = c->links[pass - 1].ntcfg;
        cf[1] = c->links[pass - 1].scfg;
        n[1] = c->links[pass - 1].nscfg;
      }
      for (int s = 0; s < 2; s++)
        for (size_t k = 0; k < n[s]; k++) {
          if (!cf[s][k].props) continue;
          char name[600];
          lat_manager_component_id(p->app, cf[s][k].name, name, sizeof name);
          json_decref(ctl(p->lt, "config", "del", name, NULL, err, sizeof err));
          char *old = NULL;
          if (lat_map_del(&p->lt->configs_put, name, strlen(name), (void **)&old)) lat_free(old);
        }
    }
  }
}

static int pending_for(mgr_lattice_t *lt, json_t *ids) {
  int n = 0;
  pthread_mutex_lock(&lt->mu);
  uint64_t now = lat_now_ns();
  for (mgr_pending_t *x = lt->pending; x; x = x->next) {
    const char *id = strrchr(x->key, '|');
    if (x->count && x->until_ns >= now && id && json_object_get(ids, id + 1)) n++;
  }
  pthread_mutex_unlock(&lt->mu);
  return n;
}

static const char *const ORDER[] = {"failed", "undeployed", "waiting", "reconciling", "unhealthy", "deployed"};

static void write_status(mgr_lattice_t *lt, mgr_owned_t *o, json_t *status) {
  char *t = json_dumps(status, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(status);
  if (!t) return;
  if (o->status_text && !strcmp(o->status_text, t)) {
    free(t);
    return;
  }
  char key[600], subj[600];
  snprintf(key, sizeof key, "%s-%s", lt->name, o->name);
  lat_error_t e;
  if (!lat_lattice_kv_put(lt->mgr->kv_status, key, t, strlen(t), NULL, &e)) {
    lat_free(o->status_text);
    o->status_text = lat_strndup(t, strlen(t));
    snprintf(subj, sizeof subj, "wadm.status.%s.%s", lt->name, o->name);
    lat_lattice_conn_publish(lt->mgr->conn, subj, NULL, t, strlen(t), &e);
  }
  free(t);
}

static json_t *summarize(json_t *scalers, const char *fallback) {
  int best = 5;
  char msg[2048] = "";
  size_t len = 0, i;
  json_t *s;
  json_array_foreach(scalers, i, s) {
    json_t *st = json_object_get(s, "status");
    const char *t = jstr(st, "type"), *m = jstr(st, "message");
    for (int k = 0; k < 6; k++)
      if (!strcmp(ORDER[k], t) && k < best) best = k;
    if (*m && len < sizeof msg)
      len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", len ? ", " : "", m);
  }
  if (!json_array_size(scalers) && fallback) best = 1;
  json_t *top = json_pack("{s:s}", "type", ORDER[best]);
  if (*msg) json_object_set_new(top, "message", json_string(msg));
  json_t *out = json_pack("{s:o}", "status", top);
  if (json_array_size(scalers)) json_object_set(out, "scalers", scalers);
  json_object_set_new(out, "version", json_string(""));
  json_object_set_new(out, "components", json_array());
  return out;
}

/* ---- the sweep -------------------------------------------------------------------------------- */

static lat_manager_manifest_t *model_of(mgr_owned_t *o, json_t *man, const char *ver) {
  if (o->model && !strcmp(o->model_version, ver)) return o->model;
  char *t = json_dumps(man, JSON_COMPACT);
  lat_manager_diags_t d = {0};
  lat_manager_manifest_t *m = NULL;
  if (t && lat_manager_manifest_parse(t, strlen(t), &m, &d)) {
    char first[600];
    LAT_LOG(LAT_LOG_ERROR, LAT__MGR_TARGET, "a stored manifest does not parse",
            LAT_KV_STR("app", o->name), LAT_KV_STR("error", lat_manager_diags_first(&d, first, sizeof first)));
  }
  free(t);
  lat_manager_diags_fini(&d);
  if (!m) return NULL;
  lat_manager_manifest_free(o->model);
  o->model = m;
  snprintf(o->model_version, sizeof o->model_version, "%s", ver);
  return m;
}

static void sweep(mgr_lattice_t *lt) {
  pthread_mutex_lock(&lt->mu);
  bool stale = lt->configs_stale;
  lt->configs_stale = false;
  pthread_mutex_unlock(&lt->mu);
  if (stale) {
    lat_map_iter_t ci;
    const void *ck;
    size_t ckl;
    void *cv;
    lat_map_iter_init(&ci, &lt->configs_put);
    while (lat_map_iter_next(&ci, &ck, &ckl, &cv)) lat_free(cv);
    lat_map_clear(&lt->configs_put);
  }
  snap_t hosts;
  refresh_hosts(lt, &hosts);
  publish_host_state(lt, &hosts);
  char err[600];
  json_t *lr = ctl(lt, "link", "get", NULL, NULL, err, sizeof err);
  json_t *links = lr && json_is_array(json_object_get(lr, "response"))
                      ? json_incref(json_object_get(lr, "response"))
                      : json_array();
  json_decref(lr);
  /* the deployed apps, copied out of the lock */
  json_t *deployed = json_object(); /* name -> manifest */
  json_t *known = json_object();    /* every app in the store */
  pthread_mutex_lock(&lt->mu);
  lat_map_iter_t it;
  const void *k;
  size_t kl;
  void *v;
  lat_map_iter_init(&it, &lt->apps);
  while (lat_map_iter_next(&it, &k, &kl, &v)) {
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(kl < 255 ? kl : 255), (const char *)k);
    mgr_app_t *a = v;
    json_t *man = lat__manager_record_manifest(a->record, NULL);
    json_object_set_new(known, name, json_true());
    if (man)
      json_object_set_new(deployed, name, json_pack("{s:O,s:s}", "manifest", man, "version",
                                                    jstr(a->record, "deployed_version")));
  }
  pthread_mutex_unlock(&lt->mu);
  for (mgr_owned_t *o = lt->owned; o; o = o->next) /* apps we knew: maybe to clean up */
    if (!json_object_get(deployed, o->name) && !o->cleaned) json_object_set_new(known, o->name, json_true());
  /* every link any deployed app wants (never delete those) */
  json_t *all_links = json_array();
  const char *name;
  json_t *d;
  json_object_foreach(deployed, name, d) {
    mgr_owned_t *o = owned_get(lt, name, true);
    lat_manager_manifest_t *m = o ? model_of(o, json_object_get(d, "manifest"), jstr(d, "version")) : NULL;
    if (m) {
      json_t *w = wanted_links(name, m);
      json_array_extend(all_links, w);
      json_decref(w);
    }
  }
  json_object_foreach(known, name, d) {
    mgr_owned_t *o = owned_get(lt, name, true);
    if (!o) continue;
    json_t *dep = json_object_get(deployed, name);
    if (!dep && o->cleaned) continue;
    if (!lease(lt, o)) continue;
    pass_t p = {.lt = lt, .app = name, .hosts = &hosts, .links = links, .scalers = json_array(),
                .ids = json_object()};
    if (dep) {
      o->cleaned = false;
      lat_manager_manifest_t *m = o->model;
      if (!m) {
        status_row(&p, "SpreadScaler", name, "", "failed", "the stored manifest does not parse");
        write_status(lt, o, summarize(p.scalers, NULL));
      } else {
        for (size_t i = 0; i < m->ncomponents; i++) {
          char id[600];
          comp_id(&p, &m->components[i], id, sizeof id);
          json_object_set_new(p.ids, id, json_true());
        }
        p.waiting = pending_for(lt, p.ids);
        int before = p.waiting;
        for (size_t i = 0; i < m->ncomponents; i++) place(&p, m, &m->components[i]);
        if (!hosts.n)
          status_row(&p, "SpreadScaler", name, "", "waiting",
                     "Waiting for status: Lattice contains no hosts, deployment not started.");
        put_links(&p, m);
        if (!p.starts && !before) remove_unwanted(&p, all_links, NULL);
        write_status(lt, o, summarize(p.scalers, NULL));
      }
    } else {
      /* undeployed or deleted: nothing of it may stay */
      json_t *extra = json_object();
      if (o->model)
        for (size_t i = 0; i < o->model->ncomponents; i++) {
          char id[600];
          comp_id(&p, &o->model->components[i], id, sizeof id);
          if (!o->model->components[i].shared_app) json_object_set_new(extra, id, json_true());
        }
      int found = remove_unwanted(&p, all_links, extra);
      json_decref(extra);
      if (!found) {
        if (o->model) delete_configs(&p, o->model);
        o->cleaned = true;
        LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "application removed", LAT_KV_STR("lattice", lt->name),
                LAT_KV_STR("app", name));
        json_t *st = json_pack("{s:{s:s},s:s,s:[]}", "status", "type", "undeployed", "version", "",
                               "components");
        write_status(lt, o, st);
        lease_release(lt, o);
      } else {
        json_t *st = json_pack("{s:{s:s,s:s},s:s,s:[]}", "status", "type", "undeployed", "message",
                               "Removing the application's components, providers and links",
                               "version", "", "components");
        write_status(lt, o, st);
      }
    }
    json_decref(p.scalers);
    json_decref(p.ids);
  }
  json_decref(all_links);
  json_decref(deployed);
  json_decref(known);
  json_decref(links);
  snap_fini(&hosts);
}

void lat__manager_wake(struct lat_manager *m) {
  pthread_mutex_lock(&m->wake_mu);
  m->woken = true;
  pthread_cond_signal(&m->wake_cv);
  pthread_mutex_unlock(&m->wake_mu);
}

void *lat__manager_reconcile_main(void *arg) {
  struct lat_manager *m = arg;
  for (;;) {
    pthread_mutex_lock(&m->wake_mu);
    if (!m->woken && !m->stop) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      uint64_t t = (uint64_t)ts.tv_nsec + (uint64_t)m->o.sweep_ms * 1000000u;
      ts.tv_sec += (time_t)(t / 1000000000u);
      ts.tv_nsec = (long)(t % 1000000000u);
      pthread_cond_timedwait(&m->wake_cv, &m->wake_mu, &ts);
    }
    bool stop = m->stop, woken = m->woken;
    m->woken = false;
    pthread_mutex_unlock(&m->wake_mu);
    if (stop) break;
    if (woken) { /* let a burst of events settle */
      struct timespec d = {0, 50 * 1000000};
      nanosleep(&d, NULL);
    }
    for (size_t i = 0; i < m->nlats; i++) {
      pthread_mutex_lock(&m->lats[i].mu);
      m->lats[i].dirty = false;
      pthread_mutex_unlock(&m->lats[i].mu);
      sweep(&m->lats[i]);
    }
  }
  for (size_t i = 0; i < m->nlats; i++) /* hand our applications over at once */
    for (mgr_owned_t *o = m->lats[i].owned; o; o = o->next) lease_release(&m->lats[i], o);
  return NULL;
}

void lat__manager_lattice_fini(mgr_lattice_t *lt) {
  lat_map_iter_t it;
  const void *k;
  size_t kl;
  void *v;
  lat_map_iter_init(&it, &lt->apps);
  while (lat_map_iter_next(&it, &k, &kl, &v)) app_free(v);
  lat_map_fini(&lt->apps);
  lat_map_iter_init(&it, &lt->hosts);
  while (lat_map_iter_next(&it, &k, &kl, &v)) host_free(v);
  lat_map_fini(&lt->hosts);
  lat_map_fini(&lt->gone);
  lat_map_fini(&lt->unhealthy);
  lat_map_iter_init(&it, &lt->configs_put);
  while (lat_map_iter_next(&it, &k, &kl, &v)) lat_free(v);
  lat_map_fini(&lt->configs_put);
  lat_free(lt->host_state_text);
  while (lt->pending) {
    mgr_pending_t *p = lt->pending;
    lt->pending = p->next;
    lat_free(p);
  }
  while (lt->owned) {
    mgr_owned_t *o = lt->owned;
    lt->owned = o->next;
    lat_manager_manifest_free(o->model);
    lat_free(o->status_text);
    lat_free(o);
  }
  pthread_mutex_destroy(&lt->mu);
}
