/* Unit tests for message headers in src/lattice/lattice_conn.c against a
 * real nats-server: a publish with headers seen by a subscriber (single
 * and repeated keys, copied out of the callback), a request with headers
 * answered, the plain API still header-free, bad keys and values refused,
 * the server's max_payload read from the connection, and the 503 no
 * responders status recognised on a reply subject. */
#include <string.h>

#include "lattice/lattice.h"
#include "lattice_test_util.h"
#include "test.h"

static nats_fixture_t srv; /* static: the atexit clean-up may see it */

typedef struct {
  test_inbox_t box;
  lat_lattice_headers_t copy; /* of the first message with headers */
  pthread_mutex_t mu;         /* guards copy */
  bool no_resp;
} hdr_sink_t;

/* Records "subject source-id link-name" and copies the first header set. */
static void on_msg(void *ctx, const lat_lattice_msg_t *m) {
  hdr_sink_t *s = ctx;
  const char *src = lat_lattice_msg_header(m, "source-id");
  const char *link = lat_lattice_msg_header(m, "link-name");
  char buf[256];
  snprintf(buf, sizeof buf, "%s %s %s %.*s", m->subject, src ? src : "-",
           link ? link : "-", (int)m->len, (const char *)m->data);
  pthread_mutex_lock(&s->mu);
  if (src && !s->copy.count) lat_lattice_msg_headers_copy(m, &s->copy, NULL);
  if (lat_lattice_msg_no_responders(m)) s->no_resp = true;
  pthread_mutex_unlock(&s->mu);
  test_inbox_add(&s->box, buf, 0);
}

/* Replies with the traceparent header's value. */
static void on_req(void *ctx, const lat_lattice_msg_t *m) {
  const char *tp = lat_lattice_msg_header(m, "traceparent");
  if (m->reply)
    lat_lattice_conn_publish(ctx, m->reply, NULL, tp ? tp : "none",
                             strlen(tp ? tp : "none"), NULL);
}

TEST_IMPL(lattice_conn_headers) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *a = test_connect(srv.url), *b = test_connect(srv.url);
  REQUIRE(a && b);
  lat_error_t err;
  hdr_sink_t s;
  memset(&s, 0, sizeof s);
  test_inbox_init(&s.box);
  pthread_mutex_init(&s.mu, NULL);
  lat_lattice_sub_t *sub = NULL, *rsub = NULL;
  REQUIRE_OK(lat_lattice_conn_subscribe(b, "h.>", NULL, on_msg, &s, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_subscribe(b, "req.tp", NULL, on_req, b, &rsub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(b, 2000, &err));

  lat_lattice_header_t h[] = {{"source-id", "comp-a"},
                              {"link-name", "default"},
                              {"x-multi", "1"},
                              {"x-multi", "2"}};
  REQUIRE_OK(lat_lattice_conn_publish_hdrs(a, "h.one", NULL, h, 4, "p", 1, &err));
  REQUIRE_OK(lat_lattice_conn_publish(a, "h.two", NULL, "q", 1, &err));
  /* no headers through the _hdrs function: a plain PUB */
  REQUIRE_OK(lat_lattice_conn_publish_hdrs(a, "h.three", NULL, NULL, 0, "", 0, &err));
  REQUIRE(test_inbox_wait(&s.box, 3, 5000));
  char got[512];
  test_inbox_get(&s.box, 0, got, sizeof got);
  CHECK_EQ_STR(got, "h.one comp-a default p");
  test_inbox_get(&s.box, 1, got, sizeof got);
  CHECK_EQ_STR(got, "h.two - - q");
  test_inbox_get(&s.box, 2, got, sizeof got);
  CHECK_EQ_STR(got, "h.three - - ");
  pthread_mutex_lock(&s.mu);
  CHECK_EQ_UINT(s.copy.count, 4);
  CHECK_EQ_STR(lat_lattice_headers_get(&s.copy, "source-id"), "comp-a");
  CHECK_EQ_STR(lat_lattice_headers_get(&s.copy, "link-name"), "default");
  CHECK(lat_lattice_headers_get(&s.copy, "Source-Id") == NULL);
  int multi = 0;
  for (size_t i = 0; i < s.copy.count; i++)
    if (strcmp(s.copy.items[i].key, "x-multi") == 0) multi++;
  CHECK_EQ_INT(multi, 2);
  pthread_mutex_unlock(&s.mu);

  /* request with headers */
  lat_lattice_header_t tp = {"traceparent",
                             "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"};
  lat_lattice_reply_t rep;
  REQUIRE_OK(lat_lattice_conn_request_hdrs(a, "req.tp", &tp, 1, "x", 1, 2000,
                                           &rep, &err));
  CHECK_EQ_STR((const char *)rep.data, tp.value);
  lat_lattice_reply_fini(&rep);
  CHECK_ST(lat_lattice_conn_request_hdrs(a, "req.nobody", &tp, 1, "x", 1, 2000,
                                         &rep, &err),
           LAT_ENOTFOUND);

  /* refused keys and values */
  lat_lattice_header_t bad1 = {"bad key", "v"}, bad2 = {"k", "a\r\nb: c"},
                       bad3 = {"k:x", "v"};
  CHECK_ST(lat_lattice_conn_publish_hdrs(a, "h.x", NULL, &bad1, 1, "", 0, &err), LAT_EARG);
  CHECK_ST(lat_lattice_conn_publish_hdrs(a, "h.x", NULL, &bad2, 1, "", 0, &err), LAT_EARG);
  CHECK_ST(lat_lattice_conn_publish_hdrs(a, "h.x", NULL, &bad3, 1, "", 0, &err), LAT_EARG);

  CHECK_EQ_UINT(lat_lattice_conn_max_payload(a), 1024 * 1024);

  /* A publish with a reply subject nobody serves: the server sends the 503
   * status to the reply subject. */
  REQUIRE_OK(lat_lattice_conn_publish(b, "nobody.here", "h.reply", "x", 1, &err));
  REQUIRE(test_inbox_wait(&s.box, 4, 5000));
  pthread_mutex_lock(&s.mu);
  CHECK(s.no_resp);
  pthread_mutex_unlock(&s.mu);

  lat_lattice_sub_free(sub);
  lat_lattice_sub_free(rsub);
  lat_lattice_headers_fini(&s.copy);
  lat_lattice_conn_free(a);
  lat_lattice_conn_free(b);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}
