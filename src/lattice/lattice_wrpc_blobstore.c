/* lattice_wrpc_blobstore.c: the types of wrpc:blobstore/blobstore@0.2.0
 * (PROTOCOL.md §4.5), shared by the host's wasi:blobstore shim and the
 * blobstore providers, so both ends read and write one definition.
 *
 * The WIT, as wasmCloud 1.x's providers and host use it (wrpc-interface-
 * blobstore; object-id, container-metadata and object-metadata are
 * records of the wasi:blobstore types, the metadata without the names):
 *   clear-container(name: string) -> result<_, string>
 *   container-exists(name: string) -> result<bool, string>
 *   create-container(name: string) -> result<_, string>
 *   delete-container(name: string) -> result<_, string>
 *   get-container-info(name: string) -> result<container-metadata, string>
 *   list-container-objects(name: string, limit: option<u64>,
 *       offset: option<u64>)
 *       -> result<tuple<stream<string>, future<result<_, string>>>, string>
 *   copy-object(src: object-id, dest: object-id) -> result<_, string>
 *   delete-object(id: object-id) -> result<_, string>
 *   delete-objects(container: string, objects: list<string>)
 *       -> result<_, string>
 *   get-container-data(id: object-id, start: u64, end: u64)
 *       -> result<tuple<stream<u8>, future<result<_, string>>>, string>
 *   get-object-info(id: object-id) -> result<object-metadata, string>
 *   has-object(id: object-id) -> result<bool, string>
 *   move-object(src: object-id, dest: object-id) -> result<_, string>
 *   write-container-data(id: object-id, data: stream<u8>)
 *       -> result<future<result<_, string>>, string>
 *
 * Built by hand into the caller's arena, like lattice_wrpc_http.c's: the
 * component layer's WIT reader has no stream or future types.
 */
#include <string.h>

#include "lattice.h"

static const char *const NAMES[LAT_WBLOB_COUNT] = {
    [LAT_WBLOB_CLEAR_CONTAINER] = "clear-container",
    [LAT_WBLOB_CONTAINER_EXISTS] = "container-exists",
    [LAT_WBLOB_CREATE_CONTAINER] = "create-container",
    [LAT_WBLOB_DELETE_CONTAINER] = "delete-container",
    [LAT_WBLOB_GET_CONTAINER_INFO] = "get-container-info",
    [LAT_WBLOB_LIST_CONTAINER_OBJECTS] = "list-container-objects",
    [LAT_WBLOB_COPY_OBJECT] = "copy-object",
    [LAT_WBLOB_DELETE_OBJECT] = "delete-object",
    [LAT_WBLOB_DELETE_OBJECTS] = "delete-objects",
    [LAT_WBLOB_GET_CONTAINER_DATA] = "get-container-data",
    [LAT_WBLOB_GET_OBJECT_INFO] = "get-object-info",
    [LAT_WBLOB_HAS_OBJECT] = "has-object",
    [LAT_WBLOB_MOVE_OBJECT] = "move-object",
    [LAT_WBLOB_WRITE_CONTAINER_DATA] = "write-container-data",
};

static void fn(lat_wrpc_blob_types_t *t, lat_wrpc_blob_fn i, const lat_ctype_t *p0,
               const lat_ctype_t *p1, const lat_ctype_t *p2, const lat_ctype_t *result) {
  lat_wrpc_blob_func_t *f = &t->fns[i];
  f->name = NAMES[i];
  f->params[0] = p0;
  f->params[1] = p1;
  f->params[2] = p2;
  f->nparams = p2 ? 3 : p1 ? 2 : 1;
  f->result = result;
}

lat_status lat_wrpc_blob_types_init(lat_arena_t *a, lat_wrpc_blob_types_t *out,
                                    lat_error_t *err) {
  lat_ctype_builder_t b = {.arena = a, .err = err};
  const lat_ctype_t *str = lat_ctype_prim(LAT_CT_STRING), *u64 = lat_ctype_prim(LAT_CT_U64);
  const lat_ctype_t *u8 = lat_ctype_prim(LAT_CT_U8), *boolean = lat_ctype_prim(LAT_CT_BOOL);
  lat_wrpc_blob_types_t t;
  memset(&t, 0, sizeof t);
  lat_cfield_t f[2] = {{"container", str}, {"object", str}};
  t.object_id = lat_ctype_record(&b, f, 2);
  f[0] = (lat_cfield_t){"created-at", u64};
  t.container_metadata = lat_ctype_record(&b, f, 1);
  f[1] = (lat_cfield_t){"size", u64};
  t.object_metadata = lat_ctype_record(&b, f, 2);
  const lat_ctype_t *unit = lat_wrpc_type_result(a, NULL, str); /* result<_, string> */
  const lat_ctype_t *opt_u64 = lat_ctype_option(&b, u64);
  const lat_ctype_t *strs = lat_ctype_list(&b, str);
  const lat_ctype_t *status = lat_wrpc_type_future(a, unit);
  const lat_ctype_t *names[2] = {lat_wrpc_type_stream(a, str), status};
  const lat_ctype_t *bytes[2] = {lat_wrpc_type_stream(a, u8), status};
  const lat_ctype_t *names_t = names[0] && status ? lat_wrpc_type_tuple(a, names, 2) : NULL;
  const lat_ctype_t *bytes_t = bytes[0] && status ? lat_wrpc_type_tuple(a, bytes, 2) : NULL;
  t.data_stream = bytes[0];
  if (!t.object_id || !t.container_metadata || !t.object_metadata || !unit || !opt_u64 ||
      !strs || !names_t || !bytes_t)
    goto oom;
  const lat_ctype_t *r_bool = lat_wrpc_type_result(a, boolean, str);
  const lat_ctype_t *r_cmeta = lat_wrpc_type_result(a, t.container_metadata, str);
  const lat_ctype_t *r_ometa = lat_wrpc_type_result(a, t.object_metadata, str);
  const lat_ctype_t *r_names = lat_wrpc_type_result(a, names_t, str);
  const lat_ctype_t *r_bytes = lat_wrpc_type_result(a, bytes_t, str);
  const lat_ctype_t *r_write = lat_wrpc_type_result(a, status, str);
  if (!r_bool || !r_cmeta || !r_ometa || !r_names || !r_bytes || !r_write) goto oom;
  const lat_ctype_t *id = t.object_id;
  fn(&t, LAT_WBLOB_CLEAR_CONTAINER, str, NULL, NULL, unit);
  fn(&t, LAT_WBLOB_CONTAINER_EXISTS, str, NULL, NULL, r_bool);
  fn(&t, LAT_WBLOB_CREATE_CONTAINER, str, NULL, NULL, unit);
  fn(&t, LAT_WBLOB_DELETE_CONTAINER, str, NULL, NULL, unit);
  fn(&t, LAT_WBLOB_GET_CONTAINER_INFO, str, NULL, NULL, r_cmeta);
  fn(&t, LAT_WBLOB_LIST_CONTAINER_OBJECTS, str, opt_u64, opt_u64, r_names);
  fn(&t, LAT_WBLOB_COPY_OBJECT, id, id, NULL, unit);
  fn(&t, LAT_WBLOB_DELETE_OBJECT, id, NULL, NULL, unit);
  fn(&t, LAT_WBLOB_DELETE_OBJECTS, str, strs, NULL, unit);
  fn(&t, LAT_WBLOB_GET_CONTAINER_DATA, id, u64, u64, r_bytes);
  fn(&t, LAT_WBLOB_GET_OBJECT_INFO, id, NULL, NULL, r_ometa);
  fn(&t, LAT_WBLOB_HAS_OBJECT, id, NULL, NULL, r_bool);
  fn(&t, LAT_WBLOB_MOVE_OBJECT, id, id, NULL, unit);
  fn(&t, LAT_WBLOB_WRITE_CONTAINER_DATA, id, t.data_stream, NULL, r_write);
  *out = t;
  return LAT_OK;
oom:
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                       "out of memory building the wrpc:blobstore types");
}
