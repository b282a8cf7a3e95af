/* Names, versions and the type graph (src/component/component_names.c,
 * component_types.c). */
#include <stdio.h>

#include "component/component.h"
#include "test.h"

static lat_status parse(const char *s, lat_arena_t *a, lat_cname_t *n) {
  return lat_cname_parse(s, strlen(s), a, n, NULL);
}

TEST_IMPL(component_names_labels) {
  static const char *good[] = {"a", "a-b-c", "a1-2-3", "A", "A-B-C", "A1-2-3",
                               "a11-w0rds", "A11-4CR0NYMS", "m1x3d-4CR0NYMS",
                               "get-JSON", "x"};
  static const char *bad[] = {"", "1-2-3", "-a", "a-", "a--b", "aB", "Ab",
                              "a_b", "a b", "a.b", "é", "a-1b2B"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK(lat_clabel_valid(good[i], strlen(good[i])));
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (lat_clabel_valid(bad[i], strlen(bad[i])))
      test_fail_str(__FILE__, __LINE__, "valid", "invalid", bad[i], "");
  }
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cname_t n;
  REQUIRE_OK(parse("[method]my-res.do-it", &a, &n));
  CHECK_EQ_INT(n.kind, LAT_CNAME_METHOD);
  CHECK_EQ_STR(n.resource, "my-res");
  CHECK_EQ_STR(n.label, "do-it");
  REQUIRE_OK(parse("[constructor]r", &a, &n));
  CHECK_EQ_INT(n.kind, LAT_CNAME_CONSTRUCTOR);
  CHECK_EQ_STR(n.resource, "r");
  REQUIRE_OK(parse("[static]r.make", &a, &n));
  CHECK_EQ_INT(n.kind, LAT_CNAME_STATIC);
  CHECK_ST(parse("[method]r", &a, &n), LAT_EINVALID);
  CHECK_ST(parse("[method]r.", &a, &n), LAT_EINVALID);
  CHECK_ST(parse("[bogus]r", &a, &n), LAT_EINVALID);
  CHECK_ST(lat_cname_parse("a\0b", 3, &a, &n, NULL), LAT_EINVALID);
  lat_arena_fini(&a);
}

TEST_IMPL(component_names_interface) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cname_t n;
  REQUIRE_OK(parse("wasi:http/incoming-handler@0.2.10", &a, &n));
  CHECK_EQ_INT(n.kind, LAT_CNAME_INTERFACE);
  CHECK_EQ_STR(n.ns, "wasi");
  CHECK_EQ_STR(n.pkg, "http");
  CHECK_EQ_STR(n.iface, "incoming-handler");
  CHECK(n.has_version);
  CHECK_EQ_UINT(n.version.major, 0);
  CHECK_EQ_UINT(n.version.minor, 2);
  CHECK_EQ_UINT(n.version.patch, 10);
  REQUIRE_OK(parse("my-ns:my-pkg/iface", &a, &n));
  CHECK(!n.has_version);
  REQUIRE_OK(parse("a:b/c@1.0.0-rc.1+build.5", &a, &n));
  CHECK_EQ_STR(n.version.pre, "rc.1");
  CHECK_EQ_STR(n.version.build, "build.5");
  static const char *bad[] = {"wasi:http", "Wasi:http/x", "wasi:Http/x",
                              "wasi:http/x@", "wasi:http/x@0.2", "wasi:http/x@01.2.3",
                              "wasi:http/x@0.2.3-", "wasi:http/x@0.2.3-01",
                              ":a/b", "a:/b", "a:b/", "a:b/c/d", "a:b:c/d"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (parse(bad[i], &a, &n) != LAT_EINVALID)
      test_fail_str(__FILE__, __LINE__, "parse", "EINVALID", bad[i], "");
  lat_arena_fini(&a);
}

TEST_IMPL(component_names_semver) {
  lat_semver_t x, y;
  REQUIRE(lat_semver_parse("1.2.3", 5, NULL, &x));
  CHECK(!lat_semver_parse("1.2", 3, NULL, &x));
  CHECK(!lat_semver_parse("1.2.3.4", 7, NULL, &x));
  CHECK(!lat_semver_parse("99999999999999999999.0.0", 24, NULL, &x));
  /* SemVer 2.0 section 11 ordering */
  static const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                                "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"};
  lat_arena_t a;
  lat_arena_init(&a);
  for (size_t i = 0; i + 1 < sizeof order / sizeof *order; i++) {
    REQUIRE(lat_semver_parse(order[i], strlen(order[i]), &a, &x));
    REQUIRE(lat_semver_parse(order[i + 1], strlen(order[i + 1]), &a, &y));
    CHECK_EQ_INT(lat_semver_cmp(&x, &y), -1);
    CHECK_EQ_INT(lat_semver_cmp(&y, &x), 1);
    CHECK_EQ_INT(lat_semver_cmp(&x, &x), 0);
  }
  REQUIRE(lat_semver_parse("1.0.0+a", 7, &a, &x));
  REQUIRE(lat_semver_parse("1.0.0+b", 7, &a, &y));
  CHECK_EQ_INT(lat_semver_cmp(&x, &y), 0);
  lat_arena_fini(&a);
}

static bool compat(const char *provided, const char *wanted) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cname_t p, w;
  bool ok = !parse(provided, &a, &p) && !parse(wanted, &a, &w) &&
            lat_cname_version_compatible(&p, &w);
  lat_arena_fini(&a);
  return ok;
}

TEST_IMPL(component_names_version_compat) {
  CHECK(compat("wasi:io/streams@0.2.12", "wasi:io/streams@0.2.10"));
  CHECK(compat("wasi:io/streams@0.2.10", "wasi:io/streams@0.2.12"));
  CHECK(compat("wasi:io/streams@0.2.0", "wasi:io/streams@0.2.12"));
  CHECK(!compat("wasi:io/streams@0.3.0", "wasi:io/streams@0.2.12"));
  CHECK(!compat("wasi:io/streams@1.0.0", "wasi:io/streams@0.2.12"));
  CHECK(!compat("wasi:io/poll@0.2.12", "wasi:io/streams@0.2.12"));
  CHECK(!compat("wasi:cli/streams@0.2.12", "wasi:io/streams@0.2.12"));
  CHECK(compat("a:b/c@1.2.0", "a:b/c@1.9.3"));
  CHECK(!compat("a:b/c@2.0.0", "a:b/c@1.9.3"));
  CHECK(compat("a:b/c@0.0.3", "a:b/c@0.0.3"));
  CHECK(!compat("a:b/c@0.0.3", "a:b/c@0.0.4"));
  CHECK(compat("a:b/c@0.3.0-rc-2026-01-06", "a:b/c@0.3.0-rc-2026-01-06"));
  CHECK(!compat("a:b/c@0.3.0-rc-2026-02-09", "a:b/c@0.3.0-rc-2026-01-06"));
  CHECK(!compat("a:b/c@0.3.0", "a:b/c@0.3.0-rc-2026-01-06"));
  CHECK(compat("a:b/c", "a:b/c"));
  CHECK(!compat("a:b/c@0.1.0", "a:b/c"));
  CHECK(!compat("a:b/c", "a:b/c@0.1.0"));
  CHECK(compat("greet", "greet"));
  CHECK(!compat("greet", "greeting"));
}

static const char *canon(lat_arena_t *a, const char *s, lat_buf_t *b) {
  lat_cname_t n;
  b->len = 0;
  if (parse(s, a, &n) || lat_cname_canonical(&n, b)) return "(error)";
  return (const char *)b->data;
}

TEST_IMPL(component_names_canonical) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_buf_t b;
  lat_buf_init(&b);
  /* the Explainer's examples: all of these collide with one of
   * foo, foo-bar, [constructor]foo, [method]foo.bar, [static]foo.baz, foo:bar/baz */
  CHECK_EQ_STR(canon(&a, "FOO", &b), "foo");
  CHECK_EQ_STR(canon(&a, "foo-BAR", &b), "foo-bar");
  CHECK_EQ_STR(canon(&a, "[constructor]FOO", &b), "[constructor]foo");
  CHECK_EQ_STR(canon(&a, "[method]foo.BAR", &b), "foo.bar");
  CHECK_EQ_STR(canon(&a, "[static]foo.bar", &b), "foo.bar");
  CHECK_EQ_STR(canon(&a, "[method]foo.baz", &b), "foo.baz");
  CHECK_EQ_STR(canon(&a, "[static]foo.baz", &b), "foo.baz");
  CHECK_EQ_STR(canon(&a, "[method]foo.foo", &b), "foo");
  CHECK_EQ_STR(canon(&a, "[static]foo-BAR.FOO-bar", &b), "foo-bar");
  CHECK_EQ_STR(canon(&a, "foo:bar/BAZ", &b), "foo:bar/baz");
  lat_buf_fini(&b);
  lat_arena_fini(&a);
}

/* ---- types ------------------------------------------------------------------ */

TEST_IMPL(component_types_layout) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_ctype_builder_t b = {&a, NULL};
  const lat_ctype_t *u8 = lat_ctype_prim(LAT_CT_U8), *u32 = lat_ctype_prim(LAT_CT_U32),
                    *f64 = lat_ctype_prim(LAT_CT_F64), *str = lat_ctype_prim(LAT_CT_STRING);
  lat_cfield_t rf[] = {{"a", u8}, {"b", u32}, {"c", u8}};
  const lat_ctype_t *rec = lat_ctype_record(&b, rf, 3);
  REQUIRE(rec);
  CHECK_EQ_UINT(rec->size, 12);
  CHECK_EQ_UINT(rec->align, 4);
  CHECK_EQ_UINT(rec->nflat, 3);
  const lat_ctype_t *opt = lat_ctype_option(&b, f64);
  CHECK_EQ_UINT(opt->size, 16);
  CHECK_EQ_UINT(opt->align, 8);
  CHECK_EQ_UINT(opt->nflat, 2);
  CHECK_EQ_UINT(lat_ctype_list(&b, str)->size, 8);
  const char *labels[33];
  char names[33][16];
  for (int i = 0; i < 33; i++) {
    snprintf(names[i], sizeof names[i], "l%d", i);
    labels[i] = names[i];
  }
  CHECK_EQ_UINT(lat_ctype_flags(&b, labels, 8)->size, 1);
  CHECK_EQ_UINT(lat_ctype_flags(&b, labels, 9)->size, 2);
  CHECK_EQ_UINT(lat_ctype_flags(&b, labels, 17)->size, 4);
  CHECK_EQ_UINT(lat_ctype_flags(&b, labels, 32)->align, 4);
  CHECK(lat_ctype_flags(&b, labels, 33) == NULL);
  CHECK_EQ_UINT(lat_ctype_enum(&b, labels, 3)->size, 1);
  /* a 300-case enum has a u16 discriminant */
  const char **many = lat_arena_array(&a, 300, sizeof *many);
  for (int i = 0; i < 300; i++) {
    char *s = lat_arena_alloc(&a, 16);
    snprintf(s, 16, "c%d", i);
    many[i] = s;
  }
  const lat_ctype_t *big = lat_ctype_enum(&b, many, 300);
  CHECK_EQ_UINT(big->size, 2);
  CHECK_EQ_UINT(big->align, 2);
  const lat_ctype_t *res = lat_ctype_result(&b, u8, f64);
  CHECK_EQ_UINT(res->size, 16);
  const lat_ctype_t *tup_e[] = {u8, str, f64};
  const lat_ctype_t *tup = lat_ctype_tuple(&b, tup_e, 3);
  CHECK_EQ_UINT(tup->size, 24);
  CHECK_EQ_UINT(tup->nflat, 4);
  CHECK_EQ_UINT(lat_ctype_result(&b, NULL, NULL)->size, 1);
  lat_buf_t out;
  lat_buf_init(&out);
  REQUIRE_OK(lat_ctype_print(tup, &out));
  CHECK_EQ_STR((char *)out.data, "tuple<u8, string, f64>");
  lat_buf_fini(&out);
  lat_arena_fini(&a);
}

TEST_IMPL(component_types_flatten) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_ctype_builder_t b = {&a, NULL};
  const lat_ctype_t *f32 = lat_ctype_prim(LAT_CT_F32), *u32 = lat_ctype_prim(LAT_CT_U32),
                    *u64 = lat_ctype_prim(LAT_CT_U64), *f64 = lat_ctype_prim(LAT_CT_F64);
  uint8_t out[17];
  uint32_t n;
  lat_cfield_t c1[] = {{"a", f32}, {"b", u32}};
  REQUIRE_OK(lat_cabi_flatten(lat_ctype_variant(&b, c1, 2), out, 17, &n));
  CHECK_EQ_UINT(n, 2);
  CHECK_EQ_UINT(out[0], LAT_I32);
  CHECK_EQ_UINT(out[1], LAT_I32);
  lat_cfield_t c2[] = {{"a", f32}, {"b", u64}, {"c", NULL}};
  REQUIRE_OK(lat_cabi_flatten(lat_ctype_variant(&b, c2, 3), out, 17, &n));
  CHECK_EQ_UINT(n, 2);
  CHECK_EQ_UINT(out[1], LAT_I64);
  REQUIRE_OK(lat_cabi_flatten(lat_ctype_result(&b, f64, f32), out, 17, &n));
  CHECK_EQ_UINT(n, 2);
  CHECK_EQ_UINT(out[1], LAT_I64);
  REQUIRE_OK(lat_cabi_flatten(lat_ctype_option(&b, f32), out, 17, &n));
  CHECK_EQ_UINT(out[1], LAT_F32);
  /* function signatures: 16 flat params stay flat, 17 spill */
  lat_cfield_t p[17];
  char names[17][16];
  for (int i = 0; i < 17; i++) {
    snprintf(names[i], sizeof names[i], "p%d", i);
    p[i].name = names[i];
    p[i].type = u32;
  }
  uint8_t ps[17], rs[1];
  uint32_t np, nr;
  const lat_ctype_t *f16 = lat_ctype_func(&b, p, 16, lat_ctype_prim(LAT_CT_STRING));
  REQUIRE_OK(lat_cabi_flatten_func(f16, true, ps, &np, rs, &nr));
  CHECK_EQ_UINT(np, 16);
  CHECK_EQ_UINT(nr, 1); /* string result -> pointer */
  REQUIRE_OK(lat_cabi_flatten_func(f16, false, ps, &np, rs, &nr));
  CHECK_EQ_UINT(np, 17); /* + out-pointer */
  CHECK_EQ_UINT(nr, 0);
  const lat_ctype_t *f17 = lat_ctype_func(&b, p, 17, u64);
  REQUIRE_OK(lat_cabi_flatten_func(f17, true, ps, &np, rs, &nr));
  CHECK_EQ_UINT(np, 1);
  CHECK_EQ_UINT(nr, 1);
  CHECK_EQ_UINT(rs[0], LAT_I64);
  lat_arena_fini(&a);
}

TEST_IMPL(component_types_builder_invalid) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_error_t err;
  lat_ctype_builder_t b = {&a, &err};
  CHECK(lat_ctype_record(&b, NULL, 0) == NULL);
  CHECK_EQ_INT(err.code, LAT_EINVALID);
  CHECK(lat_ctype_enum(&b, NULL, 0) == NULL);
  const lat_ctype_t *r = lat_ctype_resource(&b, "r");
  const lat_ctype_t *bor = lat_ctype_borrow(&b, r);
  REQUIRE(bor);
  CHECK(bor->has_borrow);
  CHECK(lat_ctype_func(&b, NULL, 0, bor) == NULL); /* borrow in a result */
  CHECK(lat_ctype_own(&b, lat_ctype_prim(LAT_CT_U32)) == NULL);
  CHECK(lat_ctype_list(&b, r) == NULL); /* a resource is not a value type */
  /* nesting depth cap */
  const lat_ctype_t *t = lat_ctype_prim(LAT_CT_U8);
  int depth = 0;
  while (t && depth < 200) {
    t = lat_ctype_option(&b, t);
    depth++;
  }
  CHECK(t == NULL);
  CHECK_EQ_INT(depth, LAT_CTYPE_MAX_DEPTH);
  /* element size cap: tuple of tuples of big lists */
  const lat_ctype_t *big = lat_ctype_prim(LAT_CT_U64);
  for (int i = 0; i < 30 && big; i++) {
    const lat_ctype_t *two[4] = {big, big, big, big};
    big = lat_ctype_tuple(&b, two, 4);
  }
  CHECK(big == NULL); /* size or tree size over the limits */
  lat_arena_fini(&a);
}

TEST_IMPL(component_types_subtype) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_ctype_builder_t b = {&a, NULL};
  lat_error_t err;
  const lat_ctype_t *str = lat_ctype_prim(LAT_CT_STRING);
  lat_cfield_t msg[] = {{"msg", str}};
  const lat_ctype_t *logf = lat_ctype_func(&b, msg, 1, NULL);
  /* expected: instance { resource r; log: func(msg: string); get: func() -> r } */
  const lat_ctype_t *re = lat_ctype_resource(&b, "r");
  const lat_ctype_t *get_e = lat_ctype_func(&b, NULL, 0, lat_ctype_own(&b, re));
  lat_cextern_t ex[3] = {{.name.full = "r", .sort = LAT_CSORT_TYPE, .type = re, .sub_resource = true},
                         {.name.full = "log", .sort = LAT_CSORT_FUNC, .type = logf},
                         {.name.full = "get", .sort = LAT_CSORT_FUNC, .type = get_e}};
  const lat_ctype_t *want = lat_ctype_instance(&b, ex, 3);
  REQUIRE(want);
  /* provided: its own resource, the same functions plus an extra one */
  const lat_ctype_t *ra = lat_ctype_resource(&b, "r");
  const lat_ctype_t *get_a = lat_ctype_func(&b, NULL, 0, lat_ctype_own(&b, ra));
  lat_cextern_t px[4] = {{.name.full = "extra", .sort = LAT_CSORT_FUNC, .type = logf},
                         {.name.full = "r", .sort = LAT_CSORT_TYPE, .type = ra, .sub_resource = true},
                         {.name.full = "get", .sort = LAT_CSORT_FUNC, .type = get_a},
                         {.name.full = "log", .sort = LAT_CSORT_FUNC, .type = logf}};
  const lat_ctype_t *have = lat_ctype_instance(&b, px, 4);
  CHECK_OK(lat_ctype_check_subtype(have, want, &err));
  CHECK_ST(lat_ctype_check_subtype(want, have, &err), LAT_EUNLINKABLE); /* lacks extra */
  /* get returning a different resource than the one exported as r */
  const lat_ctype_t *other = lat_ctype_resource(&b, "other");
  const lat_ctype_t *get_bad = lat_ctype_func(&b, NULL, 0, lat_ctype_own(&b, other));
  px[2].type = get_bad;
  const lat_ctype_t *bad = lat_ctype_instance(&b, px, 4);
  CHECK_ST(lat_ctype_check_subtype(bad, want, &err), LAT_EUNLINKABLE);
  /* wrong parameter type / name */
  lat_cfield_t msg2[] = {{"msg", lat_ctype_prim(LAT_CT_U32)}};
  px[2].type = get_a;
  px[3].type = lat_ctype_func(&b, msg2, 1, NULL);
  CHECK_ST(lat_ctype_check_subtype(lat_ctype_instance(&b, px, 4), want, &err),
           LAT_EUNLINKABLE);
  CHECK(strstr(err.msg, "log") != NULL);
  lat_cfield_t msg3[] = {{"message", str}};
  px[3].type = lat_ctype_func(&b, msg3, 1, NULL);
  CHECK_ST(lat_ctype_check_subtype(lat_ctype_instance(&b, px, 4), want, &err),
           LAT_EUNLINKABLE);
  /* missing export */
  CHECK_ST(lat_ctype_check_subtype(lat_ctype_instance(&b, px, 1), want, &err),
           LAT_EUNLINKABLE);
  CHECK(strstr(err.msg, "missing export") != NULL);
  CHECK(lat_ctype_equal(logf, lat_ctype_func(&b, msg, 1, NULL)));
  CHECK(!lat_ctype_equal(lat_ctype_own(&b, re), lat_ctype_own(&b, ra)));
  lat_arena_fini(&a);
}
