/* host_http_wrpc.c: a component's wasi:http/incoming-handler served to the
 * lattice as wrpc:http/incoming-handler@0.1.0.handle (PROTOCOL.md §4.1,
 * §4.5), so an HTTP server on another host (the host's built-in one, a
 * wasmCloud http-server provider) can send it requests.
 *
 * host_wrpc.c serves it beside the custom exports and runs this handler on
 * the host's wRPC workers.  A call: the callee's link check (the caller's
 * source-id must have a link to this component on wasi:http
 * incoming-handler, as the built-in server and wasmCloud's provider are the
 * source of such links), a lease on the component (its `count` caps these
 * requests with the local ones), the wrpc:http request decoded whole (the
 * body stream and trailers future were gathered by the transport), a fresh
 * instance run on it as on the built-in server (lat_wasi_http_*: the body
 * collected rather than streamed), and the response encoded whole.  A guest
 * that traps or sends no response answers error-code internal-error with
 * the reason, which the caller turns into a 5xx.
 *
 * Rejected: streaming the response body out while the guest writes it
 * (wRPC allows it, but it needs a writer running beside the guest for the
 * nested result path; bodies are bounded by the transport's caps, and the
 * built-in server, where streaming matters most, streams locally). */
#include <stdio.h>
#include <string.h>

#include "host_int.h"

lat_wrpc_http_field_t *lat__host_wrpc_fields(lat_arena_t *a, const lat_wasi_http_header_t *h,
                                             size_t n) {
  lat_wrpc_http_field_t *f = lat_arena_array(a, n ? n : 1, sizeof *f);
  for (size_t i = 0; f && i < n; i++) {
    char *nm = lat_arena_alloc(a, h[i].name_len + 1);
    if (!nm) return NULL;
    memcpy(nm, h[i].name, h[i].name_len);
    nm[h[i].name_len] = 0;
    f[i] = (lat_wrpc_http_field_t){nm, (const uint8_t *)h[i].value, h[i].value_len};
  }
  return f;
}

lat_wasi_http_header_t *lat__host_wasi_headers(lat_arena_t *a, const lat_wrpc_http_field_t *f,
                                               size_t n) {
  lat_wasi_http_header_t *h = lat_arena_array(a, n ? n : 1, sizeof *h);
  for (size_t i = 0; h && i < n; i++)
    h[i] = (lat_wasi_http_header_t){f[i].name, strlen(f[i].name), (const char *)f[i].value,
                                    f[i].len};
  return h;
}

lat_status lat__host_http_wrpc_handle(void *ctx, const lat_wrpc_request_t *req,
                                      lat_buf_t *results, lat_error_t *err) {
  lat__host_sctx_t *x = ctx;
  lat_host_t *h = x->h;
  lat_status st = lat__host_callee_check(x, req, err);
  if (st) return st;
  lat_arena_t arena;
  lat_arena_init(&arena);
  lat_wrpc_http_request_t wr;
  if ((st = lat_wrpc_http_request_decode(req->params, req->len, req->asyncs, req->nasync, &arena,
                                         &wr, err))) {
    lat_arena_fini(&arena);
    return st;
  }
  lat_wasi_http_header_t *hv = lat__host_wasi_headers(&arena, wr.headers, wr.nheaders);
  if (!hv) {
    lat_arena_fini(&arena);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  lat_wasi_http_request_t in_req = {.method = wr.method,
                                    .path_with_query = wr.path_with_query ? wr.path_with_query : "/",
                                    .authority = wr.authority,
                                    .https = wr.scheme && !strcmp(wr.scheme, "https"),
                                    .headers = hv,
                                    .nheaders = wr.nheaders,
                                    .body = wr.body,
                                    .body_len = wr.body_len};
  lat__host_lease_t lease;
  if ((st = lat__host_lease(h, x->id, 10ull * 1000000000ull, &lease, err))) {
    lat_arena_fini(&arena);
    return st;
  }
  lat__host_inv_t inv;
  lat__host_inv_enter(&inv, h, x->id, lease.config, lease.secrets);
  lat__host_inv_trace(&inv, lat_lattice_headers_get(req->headers, "traceparent"),
                      lat_lattice_headers_get(req->headers, "tracestate"));
  lat_wasi_http_t *hx = NULL;
  lat_host_instance_t *in = NULL;
  char why[512] = "";
  if (lat_wasi_http_new(&in_req, &hx)) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto out;
  }
  lat_wasi_http_set_client(hx, &h->http_client);
  lat_host_instance_opts_t io = {.timeout_ns = lease.max_exec_ns, .http = hx};
  lat_error_t gerr;
  lat_error_clear(&gerr);
  lat_status gs = lat_host_instance_new(lease.hc, &io, &in, &gerr);
  if (!gs) gs = lat_host_instance_start(in, &gerr);
  if (!gs)
    gs = lat_wasi_http_handle(hx, lat_host_component_linker(lease.hc),
                              lat_host_instance_cinstance(in), lat_host_instance_arena(in), &gerr);
  lat_wasi_http_response_t resp;
  memset(&resp, 0, sizeof resp);
  if (gs) snprintf(why, sizeof why, "%s: %s", x->id, gerr.msg);
  else if (lat_wasi_http_response(hx, &resp) || !resp.ok)
    snprintf(why, sizeof why, "%s sent no response", x->id);
  if (*why) { /* the guest failed: an error-code the caller can tell from a lost call */
    LAT_LOGF(LAT_LOG_WARN, "host", "http request over wRPC failed component=%s reason=\"%s\"",
             x->id, why);
    st = lat_wrpc_http_result_encode(NULL, why, results, req->async_results, err);
    goto out;
  }
  lat_wrpc_http_response_t wresp = {.status = resp.status,
                                    .headers = lat__host_wrpc_fields(&arena, resp.headers,
                                                                     resp.nheaders),
                                    .nheaders = resp.nheaders,
                                    .body = resp.body,
                                    .body_len = resp.body_len};
  if (!wresp.headers)
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  else
    st = lat_wrpc_http_result_encode(&wresp, NULL, results, req->async_results, err);
out:
  lat_host_instance_free(in);
  lat_wasi_http_free(hx); /* after the instance: it owns the bodies */
  lat__host_inv_leave(&inv);
  lat__host_release(h, &lease);
  lat_arena_fini(&arena);
  return st;
}
