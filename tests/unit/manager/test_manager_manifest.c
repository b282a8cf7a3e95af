/* Manifest parsing and validation (src/manager/manager_manifest.c): wadm's
 * rules with wadm's messages, Lattice's stricter ones, and the position of
 * each error; the spread arithmetic with wadm's own unit-test vectors
 * (MANAGER.md §4.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/manager.h"
#include "test.h"

#define HEAD                                                                          \
  "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: app\n"   \
  "  annotations:\n    version: v1\nspec:\n  components:\n"
/* line 9 onwards: components */
#define WEB "    - name: web\n      type: component\n      properties:\n        image: file:///w.wasm\n"
#define HTTP                                                                                   \
  "    - name: http\n      type: capability\n      properties:\n        image: "               \
  "wasmcloud+builtin://http-server\n"
#define TRAITS "      traits:\n"
#define LINK_TO(t)                                                                             \
  "        - type: link\n          properties:\n            namespace: wasi\n"                 \
  "            package: http\n            interfaces: [incoming-handler]\n"                    \
  "            target: {name: " t "}\n"

static lat_status parse(const char *text, lat_manager_manifest_t **m, lat_manager_diags_t *d) {
  memset(d, 0, sizeof *d);
  return lat_manager_manifest_parse(text, strlen(text), m, d);
}

TEST_IMPL(manager_manifest_valid) {
  const char *y = HEAD WEB TRAITS
      "        - type: spreadscaler\n          properties:\n            instances: 4\n"
      "            spread:\n              - name: east\n                requirements: {zone: east}\n"
      "                weight: 75\n              - name: west\n                requirements: {}\n"
      HTTP "        config:\n          - name: addr\n            properties: {address: '0.0.0.0:80'}\n"
      TRAITS LINK_TO("web");
  lat_manager_manifest_t *m = NULL;
  lat_manager_diags_t d;
  CHECK_OK(parse(y, &m, &d));
  REQUIRE(m);
  CHECK_EQ_STR(m->name, "app");
  CHECK_EQ_STR(m->version, "v1");
  CHECK_EQ_UINT(m->ncomponents, 2);
  CHECK(m->components[0].has_scaler);
  CHECK_EQ_UINT(m->components[0].scaler.instances, 4);
  CHECK_EQ_UINT(m->components[0].scaler.nspreads, 2);
  CHECK_EQ_UINT(m->components[0].scaler.spreads[0].weight, 75);
  CHECK_EQ_UINT(m->components[0].scaler.spreads[1].weight, 100);
  CHECK(m->components[1].provider);
  CHECK_EQ_UINT(m->components[1].nlinks, 1);
  CHECK_EQ_STR(m->components[1].links[0].name, "default");
  CHECK_EQ_STR(m->components[1].links[0].target, "web");
  CHECK_EQ_STR(json_string_value(json_object_get(m->components[1].configs[0].props, "address")),
               "0.0.0.0:80");
  CHECK_EQ_UINT(d.errors, 0);
  /* the stored JSON keeps integers as integers */
  json_t *comps = json_object_get(json_object_get(m->json, "spec"), "components");
  json_t *inst = json_object_get(
      json_object_get(json_array_get(json_object_get(json_array_get(comps, 0), "traits"), 0),
                      "properties"),
      "instances");
  CHECK(json_is_integer(inst));
  lat_manager_manifest_free(m);
  lat_manager_diags_fini(&d);
}

TEST_IMPL(manager_manifest_json) {
  const char *j =
      "{\"apiVersion\":\"core.oam.dev/v1beta1\",\"kind\":\"Application\",\"metadata\":{\"name\":"
      "\"j\",\"annotations\":{}},\"spec\":{\"components\":[{\"name\":\"c\",\"type\":\"actor\","
      "\"properties\":{\"image\":\"file:///c.wasm\"},\"traits\":[{\"type\":\"spreadscaler\","
      "\"properties\":{\"replicas\":3}}]}]}}";
  lat_manager_manifest_t *m = NULL;
  lat_manager_diags_t d;
  CHECK_OK(parse(j, &m, &d));
  REQUIRE(m);
  CHECK_EQ_STR(m->name, "j");
  CHECK(m->version == NULL);
  CHECK_EQ_UINT(m->components[0].scaler.instances, 3);
  /* the stored JSON parses back to the same model */
  char *t = json_dumps(m->json, JSON_COMPACT);
  lat_manager_manifest_t *m2 = NULL;
  lat_manager_diags_t d2;
  CHECK_OK(parse(t, &m2, &d2));
  free(t);
  lat_manager_manifest_free(m);
  lat_manager_manifest_free(m2);
  lat_manager_diags_fini(&d);
  lat_manager_diags_fini(&d2);
}

/* Each broken manifest: its first error, exactly, with line and column. */
typedef struct {
  const char *what, *yaml, *msg;
  int line, col;
} broken_t;

static const broken_t broken[] = {
    {"bad yaml: unclosed flow", HEAD "    - [\n", "did not find expected node content while parsing a flow node", 10, 1},
    {"bad yaml: tab indentation", HEAD "\t- name: x\n", "found character that cannot start any token while scanning for the next token", 9, 1},
    {"empty", "", "the manifest is empty", 1, 1},
    {"two documents", HEAD WEB "---\na: 1\n", "a manifest is one YAML document; found a second one", 13, 1},
    {"alias", HEAD "    - &x {name: a}\n    - *x\n", "YAML aliases are not supported in manifests", 10, 7},
    {"duplicate key", HEAD "    - name: a\n      name: b\n", "duplicate key `name` (first at line 9 column 7)", 10, 7},
    {"top level not a map", "- a\n", "invalid type: sequence, expected a map", 1, 1},
    {"unknown top-level key", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}}\nspec: {components: []}\nstatus: {}\n",
     "unknown field `status`, expected one of `apiVersion`, `kind`, `metadata`, `spec`", 5, 1},
    {"missing spec", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}}\n", "missing field `spec`", 1, 1},
    {"missing annotations", "apiVersion: a\nkind: b\nmetadata: {name: x}\nspec: {components: []}\n",
     "missing field `annotations`", 3, 11},
    {"annotation is a list", "apiVersion: a\nkind: b\nmetadata:\n  name: x\n  annotations:\n    version: [1]\nspec: {components: []}\n",
     "invalid type: sequence, expected a string", 6, 14},
    {"components not a list", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}}\nspec: {components: {}}\n",
     "invalid type: map, expected a sequence", 4, 20},
    {"unknown component type", HEAD "    - name: a\n      type: service\n      properties: {image: x}\n",
     "unknown variant `service`, expected one of `component`, `actor`, `capability`", 10, 13},
    {"component without properties", HEAD "    - name: a\n      type: component\n", "missing field `properties`", 9, 7},
    {"unknown property", HEAD "    - name: a\n      type: component\n      properties: {image: x, contract: y}\n",
     "unknown field `contract`, expected one of `image`, `application`, `id`, `config`, `secrets`", 11, 30},
    {"name not a string", HEAD "    - name: 5\n      type: component\n      properties: {image: x}\n",
     "invalid type: integer `5`, expected a string", 9, 13},
    {"config value not a string", HEAD WEB "        config:\n          - name: c\n            properties: {port: 8080}\n",
     "invalid type: integer `8080`, expected a string", 15, 32},
    {"config unknown key", HEAD WEB "        config:\n          - name: c\n            value: x\n",
     "unknown field `value`, expected `name` or `properties`", 15, 13},
    {"secret without policy", HEAD WEB "        secrets:\n          - name: s\n            properties: {key: k}\n",
     "missing field `policy`", 15, 25},
    {"trait unknown key", HEAD WEB TRAITS "        - type: spreadscaler\n          properties: {instances: 1}\n          extra: 1\n",
     "unknown field `extra`, expected `type` or `properties`", 16, 11},
    {"scaler without instances", HEAD WEB TRAITS "        - type: spreadscaler\n          properties: {spread: []}\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"spread\":[]} (missing field `instances`)", 15, 23},
    {"instances not a number", HEAD WEB TRAITS "        - type: spreadscaler\n          properties: {instances: lots}\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"instances\":\"lots\"} (`instances` must be a whole number from 0 to 4294967295, not `lots`)", 15, 35},
    {"negative instances", HEAD WEB TRAITS "        - type: daemonscaler\n          properties: {instances: -1}\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"instances\":-1} (`instances` must be a whole number from 0 to 4294967295, not `-1`)", 15, 35},
    {"spread without requirements", HEAD WEB TRAITS "        - type: spreadscaler\n          properties:\n            instances: 1\n            spread:\n              - name: s\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"instances\":1,\"spread\":[{\"name\":\"s\"}]} (spread s needs `requirements` (a map of labels, may be {}))", 18, 17},
    {"requirement not a string", HEAD WEB TRAITS "        - type: spreadscaler\n          properties:\n            instances: 1\n            spread:\n              - {name: s, requirements: {zone: 1}}\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"instances\":1,\"spread\":[{\"name\":\"s\",\"requirements\":{\"zone\":1}}]} (requirement `zone` of spread s must be a string)", 18, 48},
    {"spread unknown key", HEAD WEB TRAITS "        - type: spreadscaler\n          properties:\n            instances: 1\n            spread:\n              - {name: s, requirements: {}, weigth: 3}\n",
     "Scaler trait deserialized as custom trait, ensure fields are correct: {\"instances\":1,\"spread\":[{\"name\":\"s\",\"requirements\":{},\"weigth\":3}]} (unknown field `weigth` in a spread, expected one of `name`, `requirements`, `weight`)", 18, 45},
    {"all-zero weights", HEAD WEB TRAITS "        - type: spreadscaler\n          properties:\n            instances: 2\n            spread:\n              - {name: a, requirements: {}, weight: 0}\n              - {name: b, requirements: {}, weight: 0}\n",
     "the spread weights of component web are all zero: at least one spread needs a weight above 0", 14, 11},
    {"duplicate spread names", HEAD WEB TRAITS "        - type: spreadscaler\n          properties:\n            instances: 2\n            spread:\n              - {name: a, requirements: {}}\n              - {name: a, requirements: {}}\n",
     "Duplicate spread name a in component web", 19, 17},
    {"two scalers", HEAD WEB TRAITS "        - type: spreadscaler\n          properties: {instances: 1}\n        - type: daemonscaler\n          properties: {instances: 1}\n",
     "Component web has more than one scaler trait (only one of spreadscaler and daemonscaler may be given)", 16, 11},
    {"link without target", HEAD WEB TRAITS "        - type: link\n          properties: {namespace: wasi, package: http, interfaces: [x]}\n",
     "Link trait deserialized as custom trait, ensure fields are correct: {\"namespace\":\"wasi\",\"package\":\"http\",\"interfaces\":[\"x\"]} (missing field `target`)", 15, 23},
    {"link namespace not a string", HEAD WEB TRAITS "        - type: link\n          properties: {namespace: 5, package: http, interfaces: [x], target: web}\n",
     "Link trait deserialized as custom trait, ensure fields are correct: {\"namespace\":5,\"package\":\"http\",\"interfaces\":[\"x\"],\"target\":\"web\"} (field `namespace` must be a string)", 15, 35},
    {"link interfaces not a list", HEAD WEB TRAITS "        - type: link\n          properties: {namespace: a, package: b, interfaces: x, target: web}\n",
     "Link trait deserialized as custom trait, ensure fields are correct: {\"namespace\":\"a\",\"package\":\"b\",\"interfaces\":\"x\",\"target\":\"web\"} (field `interfaces` must be a sequence of strings)", 15, 62},
    {"dangling link", HEAD WEB TRAITS LINK_TO("nope"),
     "The following capability component(s) are missing from the manifest: [\"nope\"]", 14, 11},
    {"duplicate component names", HEAD WEB WEB, "Duplicate component name in manifest: web", 13, 7},
    {"duplicate ids", HEAD "    - name: a\n      type: component\n      properties: {image: x, id: same}\n"
                           "    - name: b\n      type: component\n      properties: {image: y, id: same}\n",
     "Duplicate component identifier in manifest: same", 12, 7},
    {"name with a dot", "apiVersion: a\nkind: b\nmetadata: {name: my.app, annotations: {}}\nspec: {components: []}\n",
     "manifest name [my.app] is not allowed (should match regex [^[-\\w]+$])", 3, 18},
    {"version latest", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {version: latest}}\nspec: {components: []}\n",
     "latest is not allowed in wadm", 3, 44},
    {"bad label key", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}, labels: {'-bad': v}}\nspec: {components: []}\n",
     "Invalid OAM label: (\"-bad\", \"v\")", 3, 47},
    {"bad annotation key", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {'a/b/c': v}}\nspec: {components: []}\n",
     "Invalid OAM annotation: (\"a/b/c\", \"v\")", 3, 35},
    {"secret without a policy", HEAD WEB "        secrets:\n          - name: s\n            properties: {policy: nope, key: k}\n",
     "secret 's' is mapped to unknown policy 'nope'", 14, 13},
    {"secret policy of another type", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}}\nspec:\n  policies:\n    - {name: p, type: other, properties: {backend: b}}\n  components:\n" WEB "        secrets:\n          - name: s\n            properties: {policy: p, key: k}\n",
     "secret 's' is mapped to policy 'p' which is not a secret policy. Expected type 'policy.secret.wasmcloud.dev/v1alpha1'", 13, 13},
    {"secret policy without backend", "apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {}}\nspec:\n  policies:\n    - {name: p, type: policy.secret.wasmcloud.dev/v1alpha1, properties: {x: y}}\n  components:\n" WEB "        secrets:\n          - name: s\n            properties: {policy: p, key: k}\n",
     "secret 's' is mapped to policy 'p' which does not include a 'backend' property", 13, 13},
    {"image and application", HEAD "    - name: a\n      type: component\n      properties: {image: x, application: {name: s, component: c}}\n",
     "Component cannot have both 'image' and 'application' properties", 9, 7},
    {"neither image nor application", HEAD "    - name: a\n      type: component\n      properties: {id: x}\n",
     "Component must have either 'image' or 'application' property", 9, 7},
    {"shared with config", HEAD "    - name: a\n      type: component\n      properties:\n        application: {name: s, component: c}\n        config: [{name: x}]\n",
     "Shared component 's' cannot specify additional 'config'", 9, 7},
    {"shared with a scaler", HEAD "    - name: a\n      type: component\n      properties:\n        application: {name: s, component: c}\n" TRAITS "        - type: spreadscaler\n          properties: {instances: 1}\n",
     "Shared component 's' cannot include a scaler trait", 9, 7},
    {"duplicate link", HEAD WEB HTTP TRAITS LINK_TO("web") LINK_TO("web"),
     "Duplicate link found inside component 'http': default (wasi:http/incoming-handler)", 24, 11},
    {"duplicate link config names", HEAD WEB TRAITS
         "        - type: link\n          properties:\n            namespace: a\n            package: b\n            interfaces: [c]\n            target: {name: web, config: [{name: same, properties: {k: v}}]}\n"
         "        - type: link\n          properties:\n            namespace: a\n            package: b\n            interfaces: [d]\n            name: other\n            target: {name: web, config: [{name: same, properties: {k: w}}]}\n",
     "Duplicate link config name found: 'same'", 26, 42},
    {"config name with a dot", HEAD WEB "        config:\n          - name: a.b\n", "config name \"a.b\" is not a single NATS token (no '.', '*', '>' or spaces)", 14, 13},
    {"not UTF-8", "apiVersion: \xff\n", "the manifest is not valid UTF-8", 1, 1},
};

static void dump_diags(const lat_manager_diags_t *d) {
  for (size_t i = 0; i < d->count; i++)
    fprintf(stderr, "    %d:%d %s %s\n", d->items[i].line, d->items[i].column,
            d->items[i].level == LAT_MANAGER_ERROR ? "error" : "warning", d->items[i].msg);
}

TEST_IMPL(manager_manifest_broken) {
  size_t n = sizeof broken / sizeof broken[0];
  CHECK(n >= 30);
  for (size_t i = 0; i < n; i++) {
    lat_manager_manifest_t *m = (lat_manager_manifest_t *)1;
    lat_manager_diags_t d;
    lat_status st = parse(broken[i].yaml, &m, &d);
    int before = test_failures();
    CHECK_ST(st, LAT_EINVALID);
    CHECK(m == NULL);
    REQUIRE(d.errors >= 1);
    const lat_manager_diag_t *e = NULL;
    for (size_t k = 0; k < d.count && !e; k++)
      if (d.items[k].level == LAT_MANAGER_ERROR) e = &d.items[k];
    CHECK_EQ_STR(e->msg, broken[i].msg);
    CHECK_EQ_INT(e->line, broken[i].line);
    CHECK_EQ_INT(e->column, broken[i].col);
    if (test_failures() != before) {
      fprintf(stderr, "  in case %zu: %s\n", i, broken[i].what);
      dump_diags(&d);
    }
    lat_manager_diags_fini(&d);
  }
}

TEST_IMPL(manager_manifest_warnings) {
  const char *y = HEAD WEB TRAITS
      "        - type: link\n          properties:\n            namespace: wasi\n"
      "            package: keyvalue\n            interfaces: [watcher]\n            target: web\n"
      "            source_config: [{name: c}]\n"
      "        - type: gateway\n          properties: {x: 1}\n";
  lat_manager_manifest_t *m = NULL;
  lat_manager_diags_t d;
  CHECK_OK(parse(y, &m, &d));
  CHECK_EQ_UINT(d.errors, 0);
  CHECK_EQ_UINT(d.count, 3);
  if (d.count == 3) {
    CHECK_EQ_STR(d.items[0].msg, "trait type `gateway` is not one Lattice knows (link, "
                                 "spreadscaler, daemonscaler); it is ignored");
    CHECK_EQ_STR(d.items[1].msg, "unrecognized interface [wasi:keyvalue/watcher]");
    CHECK_EQ_INT(d.items[1].line, 14);
    CHECK_EQ_STR(d.items[2].msg, "one of the components' link trait contains a source_config key, "
                                 "please use source:config: rather");
  }
  lat_manager_manifest_free(m);
  lat_manager_diags_fini(&d);
  /* the first error in serde_yaml's words, for the API */
  char buf[600];
  lat_manager_diags_t d2;
  CHECK_ST(parse(HEAD WEB WEB, &m, &d2), LAT_EINVALID);
  CHECK_EQ_STR(lat_manager_diags_first(&d2, buf, sizeof buf),
               "Duplicate component name in manifest: web at line 13 column 7");
  lat_manager_diags_fini(&d2);
}

TEST_IMPL(manager_manifest_ids) {
  char b[128];
  lat_manager_component_id("hello-simple", "httpserver", b, sizeof b);
  CHECK_EQ_STR(b, "hello_simple-httpserver");
  lat_manager_component_id("Shared.App", "Hello World", b, sizeof b);
  CHECK_EQ_STR(b, "shared_app-hello_world");
  lat_manager_component_id("a", "b", b, 3);
  CHECK_EQ_STR(b, "a-");
}

static void spread_case(uint32_t inst, const uint32_t *w, size_t n, const uint32_t *want) {
  lat_manager_spread_t sp[8] = {{0}};
  uint32_t out[8] = {0};
  for (size_t i = 0; i < n; i++) sp[i] = (lat_manager_spread_t){.name = "s", .weight = w[i]};
  CHECK_OK(lat_manager_spread_compute(inst, sp, n, out));
  for (size_t i = 0; i < n; i++) CHECK_EQ_UINT(out[i], want[i]);
}

TEST_IMPL(manager_spread_vectors) {
  spread_case(7, (uint32_t[]){30, 40}, 2, (uint32_t[]){3, 4});
  spread_case(7, (uint32_t[]){100, 100}, 2, (uint32_t[]){4, 3});
  spread_case(103, (uint32_t[]){42, 3, 37, 384}, 4, (uint32_t[]){10, 0, 8, 85});
  spread_case(10, (uint32_t[]){100, 100}, 2, (uint32_t[]){5, 5});
  spread_case(7, (uint32_t[]){1, 1, 1}, 3, (uint32_t[]){3, 2, 2});
  spread_case(1, (uint32_t[]){1, 5, 1}, 3, (uint32_t[]){0, 1, 0});
  spread_case(0, (uint32_t[]){1, 1}, 2, (uint32_t[]){0, 0});
  spread_case(4294967295u, (uint32_t[]){4294967295u, 1}, 2, (uint32_t[]){4294967295u, 0});
}

TEST_IMPL(manager_spread_zero_weights) {
  lat_manager_spread_t sp[2] = {{.name = "a", .weight = 0}, {.name = "b", .weight = 0}};
  uint32_t out[2];
  CHECK_ST(lat_manager_spread_compute(5, sp, 2, out), LAT_EARG);
  CHECK_OK(lat_manager_spread_compute(5, sp, 0, out)); /* no spreads: nothing to split */
}

/* Every allocation failing in turn: an error or a result, never a crash or a leak. */
TEST_IMPL(manager_manifest_alloc_failures) {
  const char *y = HEAD WEB TRAITS "        - type: spreadscaler\n          properties: {instances: 2}\n"
      HTTP TRAITS LINK_TO("web");
  for (int n = 0; n < 400; n++) {
    test_alloc_track();
    test_alloc_fail_after(n);
    lat_manager_manifest_t *m = NULL;
    lat_manager_diags_t d;
    lat_status st = parse(y, &m, &d);
    test_alloc_untrack();
    CHECK(st == LAT_OK || st == LAT_ENOMEM || st == LAT_EINVALID);
    lat_manager_manifest_free(m);
    lat_manager_diags_fini(&d);
    if (st == LAT_OK) break;
  }
}
