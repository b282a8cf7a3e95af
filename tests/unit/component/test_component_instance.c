/* Component instantiation and linking, and the WIT reader hosts describe
 * their interfaces with.  Real components come from tests/component/
 * build.sh (built at test time, as for the decoder tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component/component.h"
#include "test.h"

/* ---- WIT reader ---------------------------------------------------------------------- */

static const lat_cextern_t *find_decl(const lat_ctype_t *it, const char *name) {
  for (uint32_t i = 0; it && i < it->n; i++)
    if (!strcmp(it->u.decls[i].name.full, name)) return &it->u.decls[i];
  return NULL;
}

TEST_IMPL(component_wit_reader) {
  static const char wit[] =
      "package t:a@1.2.3;\n"
      "interface user {\n"
      "  use defs.{thing, r as res};\n"                 /* defs comes later */
      "  take: func(t: thing, h: borrow<res>) -> list<thing>;\n"
      "}\n"
      "interface defs {\n"
      "  record thing { a: later, b: option<string> }\n" /* forward reference */
      "  type later = tuple<u8, s64>;\n"
      "  @unstable(feature = x) hidden: func();\n"
      "  @since(version = 1.0.0) resource r {\n"
      "    constructor(x: u32);\n"
      "    get: func() -> result<u32, string>;\n"
      "    make: static func() -> r;\n"
      "  }\n"
      "  flags f { a, b }\n"
      "  enum e { x, y }\n"
      "  variant v { none, some(f) }\n"
      "}\n"
      "world w { import user; }\n";
  lat_clinker_t *l;
  lat_error_t err;
  REQUIRE(lat_clinker_new(&l) == LAT_OK);
  CHECK_ST(lat_clinker_add_wit(l, wit, strlen(wit), &err), LAT_OK);
  uint32_t di = lat_clinker_find(l, "t:a/defs@1.2.3"), ui = lat_clinker_find(l, "t:a/user@1.2.3");
  REQUIRE(di != UINT32_MAX && ui != UINT32_MAX);
  const lat_ctype_t *defs = lat_clinker_instance_type(l, di), *user = lat_clinker_instance_type(l, ui);
  CHECK(find_decl(defs, "hidden") == NULL);
  const lat_cextern_t *r = find_decl(defs, "r"), *ctor = find_decl(defs, "[constructor]r");
  REQUIRE(r && ctor && find_decl(defs, "[method]r.get") && find_decl(defs, "[static]r.make"));
  CHECK_EQ_INT(r->type->kind, LAT_CT_RESOURCE);
  CHECK_EQ_PTR(ctor->type->result->u.elem, r->type);
  const lat_cextern_t *take = find_decl(user, "take"), *res = find_decl(user, "res");
  REQUIRE(take && res);
  CHECK_EQ_PTR(res->type, r->type); /* `use ... as` keeps the identity */
  CHECK_EQ_INT(take->type->u.fields[1].type->kind, LAT_CT_BORROW);
  lat_buf_t b;
  lat_buf_init(&b);
  lat_ctype_print(take->type, &b);
  CHECK_EQ_STR((const char *)b.data,
               "func(t: record { a: tuple<u8, s64>, b: option<string> }, h: borrow<r>) -> "
               "list<record { a: tuple<u8, s64>, b: option<string> }>");
  lat_buf_fini(&b);
  uint32_t id;
  CHECK(lat_clinker_resource_find(l, "t:a/defs@1.2.3", "r", &id));
  CHECK_EQ_PTR(lat_clinker_resource_type(l, id), r->type);
  lat_clinker_free(l);

  static const char *bad[] = {
      "package t:b;\ninterface i { f: func(x: nope); }\n",
      "package t:b;\ninterface i { f: func(x: u32) }\n",
      "package t:b;\ninterface i { use other.{x}; }\n",
      "package t:b;\ninterface i { f: func(x: future<u8>); }\n",
      "package t:b;\ninterface i { record r { a: u32 \n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    REQUIRE(lat_clinker_new(&l) == LAT_OK);
    lat_error_clear(&err);
    CHECK_ST(lat_clinker_add_wit(l, bad[i], strlen(bad[i]), &err), LAT_EINVALID);
    CHECK(strstr(err.msg, "WIT line") != NULL);
    lat_clinker_free(l);
  }
}

/* ---- instantiation against a host ---------------------------------------------------------------- */

static bool find_root(char *out, size_t cap) {
  const char *env = getenv("LAT_ROOT");
  const char *cands[] = {env ? env : ".", ".", "..", "../..", "../../.."};
  for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/component/build.sh", cands[i]);
    if (access(p, X_OK) == 0) {
      snprintf(out, cap, "%s", cands[i]);
      return true;
    }
  }
  return false;
}

static lat_component_t *load(const char *name) {
  char root[4096], path[4500];
  if (!find_root(root, sizeof root)) return NULL;
  snprintf(path, sizeof path, "%s/build/components/%s", root, name);
  if (access(path, R_OK) != 0) {
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s/tests/component/build.sh' '%s/build/components' >&2",
             root, root);
    if (system(cmd) != 0) return NULL;
  }
  uint8_t *data;
  size_t len;
  lat_error_t err;
  lat_component_t *c = NULL;
  if (lat_file_read(path, &data, &len, &err)) return NULL;
  if (lat_component_new(data, len, NULL, &c, &err)) c = NULL;
  lat_free(data);
  return c;
}

typedef struct {
  int calls;
  char last[64];
} logbook_t;

static lat_status host_log(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                           uint32_t nargs, lat_cval_t *result) {
  (void)env;
  (void)result;
  logbook_t *lb = lat_chost_call_data(c);
  if (nargs != 1 || args[0].kind != LAT_CT_STRING) return LAT_EARG;
  lb->calls++;
  snprintf(lb->last, sizeof lb->last, "%.*s", (int)args[0].of.str.len, args[0].of.str.ptr);
  return LAT_OK;
}

static lat_status host_log_trap(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                                uint32_t nargs, lat_cval_t *result) {
  (void)env, (void)args, (void)nargs, (void)result;
  return lat_chost_call_trap(c, LAT_TRAP_EXIT, 42, NULL);
}

static lat_clinker_t *greeter_host(const char *wit, lat_chost_fn fn) {
  lat_clinker_t *l;
  lat_error_t err;
  if (lat_clinker_new(&l)) return NULL;
  if (lat_clinker_add_wit(l, wit, strlen(wit), &err)) {
    lat_clinker_free(l);
    return NULL;
  }
  uint32_t i = lat_clinker_find(l, "probe:greeter/logging@0.1.0");
  if (i != UINT32_MAX && fn) lat_clinker_func(l, i, "log", fn, NULL, &err);
  return l;
}

static const char greeter_wit[] =
    "package probe:greeter@0.1.0;\ninterface logging { log: func(msg: string); }\n";

TEST_IMPL(component_instance_host_import) {
  lat_component_t *c = load("greet_free.component.wasm");
  REQUIRE(c);
  lat_clinker_t *l = greeter_host(greeter_wit, host_log);
  REQUIRE(l);
  lat_cpre_t *pre;
  lat_error_t err;
  REQUIRE(lat_cpre_new(c, l, &pre, &err) == LAT_OK);
  for (int round = 0; round < 20; round++) {
    lat_wasm_store_t *s;
    REQUIRE(lat_wasm_store_new(NULL, &s) == LAT_OK);
    logbook_t lb = {0};
    lat_cinstance_t *ci;
    REQUIRE(lat_cinstance_new_pre(s, pre, &lb, &ci, &err) == LAT_OK);
    lat_cfunc_t *f = lat_cinstance_func(ci, NULL, "greet");
    REQUIRE(f);
    CHECK(lat_cinstance_func(ci, NULL, "nope") == NULL);
    lat_arena_t a;
    lat_arena_init(&a);
    lat_cval_t arg = {.kind = LAT_CT_STRING, .of.str = {"abc", 3}}, res;
    CHECK_ST(lat_cfunc_call(ci, f, &arg, 1, &res, &a, &err), LAT_OK);
    CHECK_EQ_INT(res.kind, LAT_CT_STRING);
    CHECK_EQ_MEM(res.of.str.ptr, "Hello, abc!", 11);
    CHECK_EQ_INT(lb.calls, 1);
    CHECK_EQ_STR(lb.last, "greet called");
    /* wrong arity is refused, not lowered */
    CHECK_ST(lat_cfunc_call(ci, f, NULL, 0, &res, &a, &err), LAT_EARG);
    lat_arena_fini(&a);
    lat_cinstance_free(ci);
    lat_wasm_store_free(s);
  }
  lat_cpre_free(pre);
  lat_clinker_free(l);
  lat_component_free(c);
}

TEST_IMPL(component_instance_host_trap) {
  lat_component_t *c = load("greet_free.component.wasm");
  REQUIRE(c);
  lat_clinker_t *l = greeter_host(greeter_wit, host_log_trap);
  REQUIRE(l);
  lat_wasm_store_t *s;
  REQUIRE(lat_wasm_store_new(NULL, &s) == LAT_OK);
  lat_cinstance_t *ci;
  lat_error_t err;
  REQUIRE(lat_cinstance_new(s, c, l, NULL, &ci, &err) == LAT_OK);
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t arg = {.kind = LAT_CT_STRING, .of.str = {"x", 1}}, res;
  CHECK_ST(lat_cfunc_call(ci, lat_cinstance_func(ci, NULL, "greet"), &arg, 1, &res, &a, &err),
           LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(s), LAT_TRAP_EXIT);
  CHECK_EQ_INT(lat_wasm_store_exit_code(s), 42);
  lat_arena_fini(&a);
  lat_cinstance_free(ci);
  lat_wasm_store_free(s);
  lat_clinker_free(l);
  lat_component_free(c);
}

TEST_IMPL(component_instance_link_errors) {
  lat_component_t *c = load("greet_free.component.wasm");
  REQUIRE(c);
  lat_error_t err;
  lat_cpre_t *pre = NULL;
  /* nothing provided */
  lat_clinker_t *l;
  REQUIRE(lat_clinker_new(&l) == LAT_OK);
  CHECK_ST(lat_cpre_new(c, l, &pre, &err), LAT_EUNLINKABLE);
  CHECK(strstr(err.msg, "probe:greeter/logging@0.1.0") != NULL);
  lat_clinker_free(l);
  /* the wrong type */
  l = greeter_host("package probe:greeter@0.1.0;\ninterface logging { log: func(msg: u32); }\n",
                   NULL);
  REQUIRE(l);
  CHECK_ST(lat_cpre_new(c, l, &pre, &err), LAT_EUNLINKABLE);
  CHECK(strstr(err.msg, "does not match") != NULL);
  lat_clinker_free(l);
  /* a missing function */
  l = greeter_host("package probe:greeter@0.1.0;\ninterface logging { other: func(); }\n", NULL);
  REQUIRE(l);
  CHECK_ST(lat_cpre_new(c, l, &pre, &err), LAT_EUNLINKABLE);
  CHECK(strstr(err.msg, "log") != NULL);
  lat_clinker_free(l);
  /* an incompatible version */
  l = greeter_host("package probe:greeter@0.2.0;\ninterface logging { log: func(msg: string); }\n",
                   host_log);
  REQUIRE(l);
  CHECK_ST(lat_cpre_new(c, l, &pre, &err), LAT_EUNLINKABLE);
  lat_clinker_free(l);
  /* a compatible newer one links; an unimplemented function traps when called */
  l = greeter_host("package probe:greeter@0.1.9;\ninterface logging { log: func(msg: string); }\n",
                   NULL);
  REQUIRE(l);
  CHECK_ST(lat_cpre_new(c, l, &pre, &err), LAT_OK);
  lat_wasm_store_t *s;
  REQUIRE(lat_wasm_store_new(NULL, &s) == LAT_OK);
  lat_cinstance_t *ci;
  REQUIRE(lat_cinstance_new_pre(s, pre, NULL, &ci, &err) == LAT_OK);
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t arg = {.kind = LAT_CT_STRING, .of.str = {"x", 1}}, res;
  CHECK_ST(lat_cfunc_call(ci, lat_cinstance_func(ci, NULL, "greet"), &arg, 1, &res, &a, &err),
           LAT_TRAP);
  CHECK(strstr(err.msg, "not implemented") != NULL);
  lat_arena_fini(&a);
  lat_cinstance_free(ci);
  lat_wasm_store_free(s);
  lat_cpre_free(pre);
  lat_clinker_free(l);
  lat_component_free(c);
}
