/* lattice_event.c: CloudEvents 1.0 envelopes for lattice events
 * (PROTOCOL.md §2).
 *
 * Approach: build the envelope as a jansson object with the seven fields
 * wasmCloud 1.x sends (specversion, id, source, type, time,
 * datacontenttype, data), serialise it compactly and publish it on
 * wasmbus.evt.{lattice}.{event} (the subject comes from
 * lattice_subject.c, the event prefix is not configurable upstream).
 *
 * The id is what upstream makes: a ULID turned into a UUID, i.e. 48 bits of
 * Unix milliseconds followed by 80 random bits, printed 8-4-4-4-12.  Ids
 * therefore sort by time, which helps anyone reading an event log.  time is
 * RFC3339 in UTC with nanoseconds and a "Z".
 *
 * Invariants: the caller's data object is never modified; the envelope
 * holds its own reference.  event names are single tokens (they become a
 * subject token and a type suffix).
 *
 * Rejected: a UUID v4 (no ordering, and not what upstream sends); writing
 * JSON by hand (escaping host-provided strings is jansson's job). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lattice_int.h"

#define EVENT_TYPE_PREFIX "com.wasmcloud.lattice."

static void ulid_uuid(char out[37]) {
  uint8_t b[16];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  for (int i = 0; i < 6; i++) b[i] = (uint8_t)(ms >> (8 * (5 - i)));
  randombytes_buf(b + 6, 10);
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 15];
  }
  out[o] = 0;
}

static void rfc3339_now(char out[40]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 40 - n, ".%09ldZ", (long)ts.tv_nsec);
}

lat_status lat_lattice_event_build(const char *host_id, const char *event,
                                   json_t *data, json_t **out_event,
                                   lat_error_t *err) {
  lat_status st;
  *out_event = NULL;
  if ((st = lat_lattice_token_check("event name", event, err)) != LAT_OK ||
      (st = lat_lattice_token_check("host id", host_id, err)) != LAT_OK)
    return st;
  if (data && !json_is_object(data))
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "event %s: data must be a JSON object", event);
  if (sodium_init() < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "libsodium failed to start");
  char id[37], when[40], type[sizeof EVENT_TYPE_PREFIX + LAT_LATTICE_TOKEN_MAX];
  ulid_uuid(id);
  rfc3339_now(when);
  snprintf(type, sizeof type, EVENT_TYPE_PREFIX "%s", event);
  json_t *d = data ? json_incref(data) : json_object();
  /* "o" steals the reference to d, even when pack fails. */
  json_t *ev =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0",
                "id", id, "source", host_id, "type", type, "time", when,
                "datacontenttype", "application/json", "data", d);
  if (!ev) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  *out_event = ev;
  return LAT_OK;
}

lat_status lat_lattice_event_publish(lat_lattice_conn_t *c, const char *lattice,
                                     const char *host_id, const char *event,
                                     json_t *data, lat_error_t *err) {
  char *subject = NULL;
  json_t *ev = NULL;
  lat_status st = lat_lattice_subj_event(lattice, event, &subject, err);
  if (st != LAT_OK) return st;
  if ((st = lat_lattice_event_build(host_id, event, data, &ev, err)) != LAT_OK)
    goto out_subject;
  char *text = json_dumps(ev, JSON_COMPACT);
  if (!text) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "event %s: cannot serialise",
                       event);
    goto out_event;
  }
  st = lat_lattice_conn_publish(c, subject, NULL, text, strlen(text), err);
  free(text); /* jansson's allocator */
out_event:
  json_decref(ev);
out_subject:
  lat_free(subject);
  return st;
}
