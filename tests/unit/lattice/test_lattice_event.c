/* Unit tests for src/lattice/lattice_event.c without a server: the
 * CloudEvents 1.0 envelope of PROTOCOL.md §2, parsed back with jansson
 * from its serialised text (what a subscriber sees). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lattice/lattice.h"
#include "test.h"

#define HOST "NBX5SDGKB4XQF4D6OEDBVGBAHV4SBVWQYOMOSRG6KAIXW2CDY3X3SOPE"

static const char *field(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static bool uuid_shaped(const char *s) {
  if (!s || strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i])) return false;
  }
  return true;
}

TEST_IMPL(lattice_event_envelope) {
  json_t *data = json_pack("{s:s, s:o}", "config_name", "db", "labels",
                           json_pack("{s:s}", "zone", "eu"));
  REQUIRE(data);
  json_t *ev = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_event_build(HOST, "config_set", data, &ev, &err));
  char *text = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  REQUIRE(text);
  json_error_t je;
  json_t *back = json_loads(text, 0, &je);
  free(text);
  REQUIRE(back);
  CHECK_EQ_UINT(json_object_size(back), 7);
  CHECK_EQ_STR(field(back, "specversion"), "1.0");
  CHECK(uuid_shaped(field(back, "id")));
  CHECK_EQ_STR(field(back, "source"), HOST);
  CHECK_EQ_STR(field(back, "type"), "com.wasmcloud.lattice.config_set");
  CHECK_EQ_STR(field(back, "datacontenttype"), "application/json");
  CHECK(json_equal(json_object_get(back, "data"), data));
  /* RFC3339 UTC with a fraction: 2026-12-07T21:55:15.123456789Z */
  const char *t = field(back, "time");
  REQUIRE(t);
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
  REQUIRE(rest);
  CHECK(rest[0] == '.');
  CHECK_EQ_UINT(strspn(rest + 1, "0123456789"), 9);
  CHECK_EQ_STR(rest + 10, "Z");
  time_t when = timegm(&tm), now = time(NULL);
  CHECK(when <= now + 1 && when >= now - 60);
  json_decref(back);
  /* the caller's object is untouched and still its own */
  CHECK_EQ_UINT(json_object_size(data), 2);
  CHECK_EQ_UINT(data->refcount, 1);
  json_decref(data);
}

TEST_IMPL(lattice_event_ids_and_refusals) {
  json_t *a = NULL, *b = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_event_build(HOST, "host_heartbeat", NULL, &a, &err));
  struct timespec ts = {0, 3000000};
  nanosleep(&ts, NULL);
  REQUIRE_OK(lat_lattice_event_build(HOST, "host_heartbeat", NULL, &b, &err));
  const char *ia = field(a, "id"), *ib = field(b, "id");
  CHECK(uuid_shaped(ia) && uuid_shaped(ib));
  CHECK(strcmp(ia, ib) < 0); /* ULID-made ids sort by time */
  CHECK(json_is_object(json_object_get(a, "data")));
  CHECK_EQ_UINT(json_object_size(json_object_get(a, "data")), 0);
  json_decref(a);
  json_decref(b);

  json_t *ev = NULL, *arr = json_array();
  CHECK_ST(lat_lattice_event_build(HOST, "bad.name", NULL, &ev, &err),
           LAT_EARG);
  CHECK_ST(lat_lattice_event_build(HOST, "", NULL, &ev, &err), LAT_EARG);
  CHECK_ST(lat_lattice_event_build("N x", "ok", NULL, &ev, &err), LAT_EARG);
  CHECK_ST(lat_lattice_event_build(HOST, "ok", arr, &ev, &err), LAT_EARG);
  CHECK(ev == NULL);
  json_decref(arr);
}
