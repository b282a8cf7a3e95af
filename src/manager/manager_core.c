/* manager_core.c: the manager's lifetime: connect, open the buckets
 * (wadm_manifests and wadm_state as wadm keeps them; leases and status of
 * our own), watch
 * the manifests, subscribe to each lattice's API subjects (queue group
 * wadm_server, as wadm) and events, start the API worker and the
 * reconciler; and the reverse, in order, on free.
 *
 * A manager's id (lease owner) is random per process unless given, so a
 * restarted manager does not believe it still holds its old leases: it
 * waits for them to expire like anyone else (at most lease_ms). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "manager_int.h"

lat_status lat_manager_new(const lat_manager_opts_t *o, lat_manager_t **out, lat_error_t *err) {
  *out = NULL;
  if (!o || !o->nlattices || !o->lattices)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "the manager needs at least one lattice");
  for (size_t i = 0; i < o->nlattices; i++) {
    lat_status st = lat_lattice_token_check("lattice", o->lattices[i], err);
    if (st) return st;
  }
  if (sodium_init() < 0) return lat_error_set(err, LAT_EIO, SIZE_MAX, "libsodium failed to start");
  lat_manager_t *m = lat_calloc(1, sizeof *m);
  if (!m) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  m->o = *o;
  if (!m->o.sweep_ms) m->o.sweep_ms = 1000;
  if (!m->o.host_timeout_ms) m->o.host_timeout_ms = 5000;
  if (!m->o.lease_ms) m->o.lease_ms = 5000;
  if (o->id) snprintf(m->id, sizeof m->id, "%s", o->id);
  else {
    uint8_t r[8];
    randombytes_buf(r, sizeof r);
    snprintf(m->id, sizeof m->id, "manager-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
  }
  /* the API prefix, trimmed of spaces and dots (wadm does the same) */
  const char *ap = o->api_prefix ? o->api_prefix : "wadm.api";
  while (*ap == ' ' || *ap == '.') ap++;
  snprintf(m->api_prefix, sizeof m->api_prefix, "%s", ap);
  for (size_t n = strlen(m->api_prefix); n && (m->api_prefix[n - 1] == ' ' || m->api_prefix[n - 1] == '.');)
    m->api_prefix[--n] = 0;
  snprintf(m->ctl_prefix, sizeof m->ctl_prefix, "%s", o->ctl_prefix ? o->ctl_prefix : LAT_LATTICE_CTL_PREFIX_DEFAULT);
  m->o.api_prefix = m->api_prefix;
  m->o.ctl_prefix = m->ctl_prefix;
  m->o.nats_url = NULL; /* borrowed strings are not kept */
  m->o.creds_file = NULL;
  m->o.tls_ca_file = m->o.tls_cert_file = m->o.tls_key_file = NULL;
  m->o.lattices = NULL;
  m->o.id = NULL;
  pthread_mutex_init(&m->wake_mu, NULL);
  pthread_cond_init(&m->wake_cv, NULL);
  lat_status st;
  lat_lattice_opts_t co;
  lat_lattice_opts_init(&co);
  co.servers = o->nats_url;
  co.creds_file = o->creds_file;
  co.tls_ca_file = o->tls_ca_file;
  co.tls_cert_file = o->tls_cert_file;
  co.tls_key_file = o->tls_key_file;
  co.name = "lattice-manager";
  if ((st = lat_lattice_conn_new(&co, &m->conn, NULL, err))) goto fail;
  int rep = o->replicas > 0 ? o->replicas : 1;
  if ((st = lat_lattice_kv_open(m->conn, LAT__MGR_MANIFEST_BUCKET, rep, &m->kv_manifests, err)) ||
      (st = lat_lattice_kv_open(m->conn, LAT__MGR_LEASE_BUCKET, rep, &m->kv_leases, err)) ||
      (st = lat_lattice_kv_open(m->conn, LAT__MGR_STATUS_BUCKET, rep, &m->kv_status, err)) ||
      (st = lat_lattice_kv_open(m->conn, LAT__MGR_STATE_BUCKET, rep, &m->kv_state, err)))
    goto fail;
  if ((st = lat_queue_new(1024, &m->api_q))) {
    lat_error_set(err, st, SIZE_MAX, "cannot make the API queue");
    goto fail;
  }
  if ((st = lat_workers_new(1, m->api_q, &m->api_w))) {
    lat_error_set(err, st, SIZE_MAX, "cannot start the API worker");
    goto fail;
  }
  m->lats = lat_calloc(o->nlattices, sizeof *m->lats);
  if (!m->lats) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  m->nlats = o->nlattices;
  for (size_t i = 0; i < m->nlats; i++) {
    mgr_lattice_t *lt = &m->lats[i];
    lt->mgr = m;
    snprintf(lt->name, sizeof lt->name, "%s", o->lattices[i]);
    pthread_mutex_init(&lt->mu, NULL);
    lat_map_init(&lt->apps, 0);
    lat_map_init(&lt->hosts, 0);
    lat_map_init(&lt->gone, 0);
    lat_map_init(&lt->unhealthy, 0);
    lat_map_init(&lt->configs_put, 0);
  }
  for (size_t i = 0; i < m->nlats; i++) {
    mgr_lattice_t *lt = &m->lats[i];
    char subj[512];
    if ((st = lat_lattice_kv_watch(m->kv_manifests, NULL, lat__manager_watch_fn, lt, &lt->watch, err)))
      goto fail;
    snprintf(subj, sizeof subj, "wasmbus.evt.%s.>", lt->name);
    if ((st = lat_lattice_conn_subscribe(m->conn, subj, NULL, lat__manager_event_msg, lt, &lt->evt_sub, err)))
      goto fail;
    snprintf(subj, sizeof subj, "%s.%s.>", m->api_prefix, lt->name);
    if ((st = lat_lattice_conn_subscribe(m->conn, subj, "wadm_server", lat__manager_api_msg, lt,
                                         &lt->api_sub, err)))
      goto fail;
  }
  if ((st = lat_lattice_conn_flush(m->conn, 2000, err))) goto fail;
  if (pthread_create(&m->thread, NULL, lat__manager_reconcile_main, m)) {
    st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "cannot start the reconciler thread");
    goto fail;
  }
  m->thread_started = true;
  LAT_LOG(LAT_LOG_INFO, LAT__MGR_TARGET, "manager started", LAT_KV_STR("id", m->id),
          LAT_KV_STR("api", m->api_prefix), LAT_KV_UINT("lattices", m->nlats),
          LAT_KV_UINT("sweep_ms", m->o.sweep_ms), LAT_KV_UINT("host_timeout_ms", m->o.host_timeout_ms),
          LAT_KV_UINT("lease_ms", m->o.lease_ms));
  *out = m;
  return LAT_OK;
fail:
  lat_manager_free(m);
  return st;
}

void lat_manager_free(lat_manager_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nlats; i++) { /* no new work first */
    lat_lattice_sub_free(m->lats[i].api_sub);
    lat_lattice_sub_free(m->lats[i].evt_sub);
    m->lats[i].api_sub = m->lats[i].evt_sub = NULL;
  }
  lat_workers_free(m->api_w); /* drains the API queue */
  if (m->thread_started) {
    pthread_mutex_lock(&m->wake_mu);
    m->stop = true;
    pthread_cond_signal(&m->wake_cv);
    pthread_mutex_unlock(&m->wake_mu);
    pthread_join(m->thread, NULL);
  }
  for (size_t i = 0; i < m->nlats; i++) lat_lattice_kv_watch_free(m->lats[i].watch);
  for (size_t i = 0; i < m->nlats; i++) lat__manager_lattice_fini(&m->lats[i]);
  lat_free(m->lats);
  lat_queue_free(m->api_q);
  lat_lattice_kv_free(m->kv_manifests);
  lat_lattice_kv_free(m->kv_leases);
  lat_lattice_kv_free(m->kv_status);
  lat_lattice_kv_free(m->kv_state);
  lat_lattice_conn_free(m->conn);
  pthread_mutex_destroy(&m->wake_mu);
  pthread_cond_destroy(&m->wake_cv);
  lat_free(m);
}
