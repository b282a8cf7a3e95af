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

static void keys_usage(FILE *f) {
  fprintf(f,
          "usage: lattice keys gen <type> [-o text|json] [--save NAME] [-d DIR]\n"
          "       lattice keys get NAME [-o text|json] [-d DIR]\n"
          "       lattice keys list [-o text|json] [-d DIR]\n\n"
          "types: account, cluster, module (component), server (host), operator,\n"
          "       user, service (provider), curve (x25519)\n"
          "keys directory: -d/--directory, else $LATTICE_KEYS, else ~/.lattice/keys\n");
}

/* ---- argument parsing ---------------------------------------------------------- */

typedef struct {
  bool json;
  const char *dir;
  const char *save;
  const char *pos[2];
  int npos;
} keys_args_t;

/* Returns 0, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, keys_args_t *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *x = argv[i];
    const char *val = NULL;
    bool takes = !strcmp(x, "-o") || !strcmp(x, "--output") || !strcmp(x, "-d") ||
                 !strcmp(x, "--directory") || !strcmp(x, "--save");
    if (takes) {
      if (i + 1 >= argc) {
        fprintf(stderr, "lattice keys: %s needs a value\n", x);
        return 2;
      }
      val = argv[++i];
    } else if (!strncmp(x, "--output=", 9) || !strncmp(x, "--directory=", 12) ||
               !strncmp(x, "--save=", 7)) {
      val = strchr(x, '=') + 1;
    }
    if (val && (x[1] == 'o' || !strncmp(x, "--output", 8))) {
      if (!strcmp(val, "json")) a->json = true;
      else if (!strcmp(val, "text")) a->json = false;
      else {
        fprintf(stderr, "lattice keys: -o takes text or json, not '%s' (-o is "
                        "the output format, never a file)\n", val);
        return 2;
      }
    } else if (val && (x[1] == 'd' || !strncmp(x, "--directory", 11))) {
      a->dir = val;
    } else if (val) {
      a->save = val;
    } else if (x[0] == '-' && x[1]) {
      fprintf(stderr, "lattice keys: unknown option %s\n", x);
      return 2;
    } else if (a->npos < 2) {
      a->pos[a->npos++] = x;
    } else {
      fprintf(stderr, "lattice keys: unexpected argument %s\n", x);
      return 2;
    }
  }
  return 0;
}

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
  if (a->npos != 1 || !lat_nkey_type_parse(a->pos[0], &t)) {
    if (a->npos == 1)
      fprintf(stderr, "lattice keys gen: unknown key type '%s'\n", a->pos[0]);
    keys_usage(stderr);
    return 2;
  }
  lat_nkey_t k;
  lat_error_t err;
  if (lat_nkey_generate(t, &k, &err)) {
    fprintf(stderr, "lattice keys gen: %s\n", err.msg);
    return 1;
  }
  char pub[LAT_NKEY_PUBLIC_LEN + 1], seed[LAT_NKEY_SEED_LEN + 1], path[4200] = "";
  lat_nkey_public_string(&k, pub);
  lat_nkey_seed_string(&k, seed, NULL);
  int rc = 0;
  if (a->save) {
    char dbuf[4096];
    const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
    if (lat_keystore_save(dir, a->save, &k, path, sizeof path, &err)) {
      fprintf(stderr, "lattice keys gen: %s\n", err.msg);
      rc = 1;
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
  if (a->npos != 1) {
    keys_usage(stderr);
    return 2;
  }
  char dbuf[4096], path[4200], name[256];
  const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
  snprintf(name, sizeof name, "%s", a->pos[0]);
  size_t nl = strlen(name);
  if (nl > 3 && !strcmp(name + nl - 3, KEYS_EXT)) name[nl - 3] = '\0';
  snprintf(path, sizeof path, "%s/%s%s", dir, name, KEYS_EXT);
  lat_nkey_t k;
  lat_error_t err;
  if (access(path, R_OK) < 0) {
    fprintf(stderr, "lattice keys get: key %s doesn't exist (%s)\n", name, path);
    return 1;
  }
  if (lat_nkey_load(path, &k, &err)) {
    fprintf(stderr, "lattice keys get: %s\n", err.msg);
    return 1;
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
  if (a->npos != 0) {
    keys_usage(stderr);
    return 2;
  }
  char dbuf[4096];
  const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  if (!d && errno != ENOENT) {
    fprintf(stderr, "lattice keys list: cannot read %s: %s\n", dir, strerror(errno));
    return 1;
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

int lat_cli_keys(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
      !strcmp(argv[1], "-h")) {
    keys_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  keys_args_t a;
  int rc = parse_args(argc - 1, argv + 1, &a);
  if (rc) return rc;
  if (!strcmp(argv[1], "gen")) return keys_gen(&a);
  if (!strcmp(argv[1], "get")) return keys_get(&a);
  if (!strcmp(argv[1], "list")) return keys_list(&a);
  fprintf(stderr, "lattice keys: unknown subcommand '%s'\n", argv[1]);
  keys_usage(stderr);
  return 2;
}
