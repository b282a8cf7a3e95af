/* `lattice keys gen|get|list`.
 *
 * The key files (one `<dir>/<name>.nk` per key, wash's layout, never
 * overwritten) are crypto_keystore.c's; the directory is the -d/--directory
 * flag, else $LATTICE_KEYS, else ~/.lattice/keys.
 *
 * Output follows wash: `-o text` (default) for people, `-o json` for
 * scripts; `-o` never names a file.  Seeds only reach stdout when asked for
 * (gen, get), never stderr or logs, and every buffer that held one is
 * wiped.  Exit status: 0 ok, 1 failure, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define KEYS_EXT LAT_KEYSTORE_EXT

typedef struct {
  bool json;
  const char *dir;
  const char *save;
  const char *pos[2];
  int npos;
  const lat_cli_args_t *args; /* for lat_cli_fail */
} keys_args_t;

static keys_args_t ka;

static const lat_cli_opt_t gen_opts[] = {
    {"save", 0, LAT_CLI_STRING, &ka.save, "NAME",
     "also save the seed as DIR/NAME.nk (0600, never overwritten)"},
    {"directory", 'd', LAT_CLI_STRING, &ka.dir, "DIR",
     "keys directory (default $LATTICE_KEYS, else ~/.lattice/keys)"},
};
static const lat_cli_opt_t dir_opts[] = {
    {"directory", 'd', LAT_CLI_STRING, &ka.dir, "DIR",
     "keys directory (default $LATTICE_KEYS, else ~/.lattice/keys)"},
};

static const lat_cli_cmd_t gen_cmd = {
    .name = "keys gen",
    .usage = "[OPTIONS] TYPE",
    .summary = "make a new nkey and print its public key and seed",
    .details = "TYPE: account, cluster, module (or component), server (or host), operator, user,\n"
               "service (or provider), curve (or x25519).  The seed is a secret: it is printed\n"
               "only on stdout, and saved only with --save.\n",
    .opts = gen_opts,
    .nopts = LAT_CLI_NOPTS(gen_opts),
    .examples = "  lattice keys gen account\n"
                "  lattice keys gen component --save myapp_module\n"
                "  lattice keys gen server -o json\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "TYPE",
};
static const lat_cli_cmd_t get_cmd = {
    .name = "keys get",
    .usage = "[OPTIONS] NAME",
    .summary = "print the seed of a saved key (DIR/NAME.nk)",
    .opts = dir_opts,
    .nopts = LAT_CLI_NOPTS(dir_opts),
    .examples = "  lattice keys get myapp_module\n  lattice keys get myapp_module -o json\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "NAME",
};
static const lat_cli_cmd_t list_cmd = {
    .name = "keys list",
    .usage = "[OPTIONS]",
    .summary = "list the saved keys with their public keys",
    .opts = dir_opts,
    .nopts = LAT_CLI_NOPTS(dir_opts),
    .examples = "  lattice keys list\n  lattice keys list -d ./keys -o json\n",
};

static void print_json(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s) {
    puts(s);
    sodium_memzero(s, strlen(s));
    free(s);
  }
  json_decref(o);
}

/* ---- subcommands ------------------------------------------------------------------- */

static int keys_gen(const keys_args_t *a) {
  lat_nkey_type t;
  if (!lat_nkey_type_parse(a->pos[0], &t))
    return lat_cli_fail(a->args, 2, "unknown key type '%s' (account, cluster, module, server, "
                                    "operator, user, service, curve)", a->pos[0]);
  lat_nkey_t k;
  lat_error_t err;
  if (lat_nkey_generate(t, &k, &err)) {
    return lat_cli_fail(a->args, 1, "%s", err.msg);
  }
  char pub[LAT_NKEY_PUBLIC_LEN + 1], seed[LAT_NKEY_SEED_LEN + 1], path[4200] = "";
  lat_nkey_public_string(&k, pub);
  lat_nkey_seed_string(&k, seed, NULL);
  int rc = 0;
  if (a->save) {
    char dbuf[4096];
    const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
    if (lat_keystore_save(dir, a->save, &k, path, sizeof path, &err)) {
      rc = lat_cli_fail(a->args, 1, "%s", err.msg);
      goto out;
    }
  }
  if (a->json) {
    json_t *o = json_object();
    json_object_set_new(o, "public_key", json_string(pub));
    json_object_set_new(o, "seed", json_string(seed));
    json_object_set_new(o, "type", json_string(lat_nkey_type_name(t)));
    if (*path) json_object_set_new(o, "path", json_string(path));
    print_json(o);
  } else {
    printf("Public Key: %s\nSeed: %s\n", pub, seed);
    if (*path) printf("Saved to: %s\n", path);
    printf("\nRemember that the seed is private, treat it as a secret.\n");
  }
out:
  sodium_memzero(seed, sizeof seed);
  lat_nkey_fini(&k);
  return rc;
}

static int keys_get(const keys_args_t *a) {
  char dbuf[4096], path[4200], name[256];
  const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
  snprintf(name, sizeof name, "%s", a->pos[0]);
  size_t nl = strlen(name);
  if (nl > 3 && !strcmp(name + nl - 3, KEYS_EXT)) name[nl - 3] = '\0';
  snprintf(path, sizeof path, "%s/%s%s", dir, name, KEYS_EXT);
  lat_nkey_t k;
  lat_error_t err;
  if (access(path, R_OK) < 0) {
    return lat_cli_fail(a->args, 1, "key %s doesn't exist (%s; 'lattice keys list' shows the "
                                    "saved ones)", name, path);
  }
  if (lat_nkey_load(path, &k, &err)) {
    return lat_cli_fail(a->args, 1, "%s", err.msg);
  }
  char pub[LAT_NKEY_PUBLIC_LEN + 1], seed[LAT_NKEY_SEED_LEN + 1];
  lat_nkey_public_string(&k, pub);
  lat_nkey_seed_string(&k, seed, NULL);
  if (a->json) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "public_key", json_string(pub));
    json_object_set_new(o, "seed", json_string(seed));
    json_object_set_new(o, "type", json_string(lat_nkey_type_name(k.type)));
    print_json(o);
  } else {
    printf("%s\n", seed);
  }
  sodium_memzero(seed, sizeof seed);
  lat_nkey_fini(&k);
  return 0;
}

static int cmp_names(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

static int keys_list(const keys_args_t *a) {
  if (a->npos != 0) return lat_cli_fail(a->args, 2, "unexpected argument '%s'", a->pos[0]);
  char dbuf[4096];
  const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  if (!d && errno != ENOENT) {
    return lat_cli_fail(a->args, 1, "cannot read %s: %s", dir, strerror(errno));
  }
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l <= 3 || strcmp(e->d_name + l - 3, KEYS_EXT) || e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) break;
      names = nn;
    }
    names[n++] = strndup(e->d_name, l - 3);
  }
  if (d) closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  json_t *arr = a->json ? json_array() : NULL, *pubs = a->json ? json_object() : NULL;
  if (!a->json) printf("====== Keys found in %s ======\n", dir);
  for (size_t i = 0; i < n; i++) {
    char path[4400], pub[LAT_NKEY_PUBLIC_LEN + 1] = "(unreadable)";
    snprintf(path, sizeof path, "%s/%s%s", dir, names[i], KEYS_EXT);
    lat_nkey_t k;
    if (!lat_nkey_load(path, &k, NULL)) {
      lat_nkey_public_string(&k, pub);
      lat_nkey_fini(&k);
    }
    if (a->json) {
      json_array_append_new(arr, json_string(names[i]));
      json_object_set_new(pubs, names[i], json_string(pub));
    } else {
      printf("%-40s %s\n", names[i], pub);
    }
    free(names[i]);
  }
  free(names);
  if (a->json) {
    json_t *o = json_object();
    json_object_set_new(o, "directory", json_string(dir));
    json_object_set_new(o, "keys", arr);
    json_object_set_new(o, "public_keys", pubs);
    print_json(o);
  }
  return 0;
}

/* the parsed arguments into ka (the options are there already) */
static const keys_args_t *keys_args(const lat_cli_args_t *a) {
  ka.json = a->json;
  ka.args = a;
  ka.npos = a->npos < 2 ? a->npos : 2;
  for (int p = 0; p < ka.npos; p++) ka.pos[p] = a->pos[p];
  return &ka;
}
static int run_gen(lat_cli_args_t *a) { return keys_gen(keys_args(a)); }
static int run_get(lat_cli_args_t *a) { return keys_get(keys_args(a)); }
static int run_list(lat_cli_args_t *a) { return keys_list(keys_args(a)); }

static const lat_cli_sub_t keys_subs[] = {
    {"gen", &gen_cmd, run_gen}, {"get", &get_cmd, run_get}, {"list", &list_cmd, run_list}};
static const lat_cli_group_t keys_group = {
    .name = "keys",
    .summary = "make and list nkeys (account, component, host, ...)",
    .subs = keys_subs,
    .nsubs = LAT_CLI_NOPTS(keys_subs),
    .examples = "  lattice keys gen account --save myaccount\n  lattice keys list -o json\n"};

int lat_cli_keys(int argc, char **argv) { return lat_cli_group_run(&keys_group, argc, argv); }
