/* providers_builtin_blobstore_fs.c: the blobstore-fs built-in provider,
 * wasmCloud's blobstore-fs: wrpc:blobstore/blobstore@0.2.0 (PROTOCOL.md
 * §4.5; the types in src/lattice/lattice_wrpc_blobstore.c) over a folder
 * per linked component.
 *
 * Links: this provider is their target; each is kept by (source id, link
 * name) with its root folder: the link's `root` (any case, as wasmCloud's
 * `ROOT`), else the provider's config `root` with the source id appended,
 * else $TMPDIR (or /tmp)/lattice-blobstore-fs/<source id> (wasmCloud uses
 * /tmp/<component id>).  The root is made (mkdir -p) at the first call that
 * needs it.  A call's link is found by its `source-id` header and its
 * `link-name` ("default" when absent); like wasmCloud's, the provider
 * trusts the header (PROTOCOL.md §3).  No source or no link: the call
 * answers err("consumer component not linked: ...").  Link del drops the
 * entry at once: the source's next call is refused.
 *
 * Layout: a container is a directory in the root, an object a file in it.
 * Names are checked first (not empty, at most NAME_MAX bytes, no `/` or
 * NUL, not `.` or `..`): objects are flat, unlike wasmCloud's, which makes
 * subfolders of `a/b`; and every path is then opened beneath the root with
 * src/wasi's openat2 sandbox (lat_wasi_open_beneath: RESOLVE_BENEATH), so
 * a symlink planted in the root that points outside is refused by the
 * kernel (EXDEV) rather than followed; removals and renames act on a name
 * inside a directory opened that way, so they never follow one either.
 * A write goes to a fresh temporary file in the container and is renamed
 * over the object, so a reader sees the old bytes or the new, never half.
 *
 * Streams: get-container-data and list-container-objects answer a ready
 * stream (whole) and a ready status future; write-container-data's data
 * arrives whole on its nested path (the SDK's typed serve).  A read is
 * capped at BLOB_MAX_READ, what one wRPC result may carry.
 *
 * Parameters that do not decode close the result stream empty (wRPC has no
 * error frame); the caller sees a failed call and the provider goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../wasi/wasi.h"
#include "../sdk/providers_sdk.h"
#include "providers_builtin.h"

#define NAME "blobstore-fs"
#define WORKERS 8
#define BLOB_MAX_READ ((uint64_t)LAT_WRPC_MAX_MESSAGE - (1u << 20))
#define MAX_LIST 100000u /* names in one listing */
#define RM_DEPTH 16      /* folders deep that delete-container removes */

typedef struct link {
  struct link *next;
  char *source, *name;
  char *root; /* the link's `root` (owned), or NULL: the default */
} link_t;

typedef struct prov prov_t;

typedef struct {
  prov_t *pv;
  lat_wrpc_blob_fn op;
} fn_t;

struct prov {
  lat_provider_t *p;
  lat_arena_t arena;    /* the types */
  lat_wrpc_blob_types_t t;
  char *base;           /* the default roots' parent (owned; set before
                           serving, fixed after) */
  pthread_mutex_t mu;   /* guards links */
  link_t *links;
  fn_t fns[LAT_WBLOB_COUNT];
};

/* ---- links ------------------------------------------------------------------------------ */

static void link_free(link_t *l) {
  if (!l) return;
  lat_free(l->source);
  lat_free(l->name);
  lat_free(l->root);
  lat_free(l);
}

static char *sdup(const char *s) { return lat_strndup(s, strlen(s)); }

static const char *config_get(json_t *config, const char *key) {
  const char *k;
  json_t *v;
  json_object_foreach(config, k, v) if (!strcasecmp(k, key) && json_is_string(v)) return json_string_value(v);
  return NULL;
}

static bool for_blobstore(const lat_provider_link_t *l) {
  return !l->as_source && !strcmp(l->wit_namespace, "wasi") && !strcmp(l->wit_package, "blobstore");
}

/* Under pv->mu. */
static link_t *link_unhook(prov_t *pv, const char *source, const char *name) {
  for (link_t **pp = &pv->links; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->source, source) && !strcmp((*pp)->name, name)) {
      link_t *l = *pp;
      *pp = l->next;
      return l;
    }
  return NULL;
}

static void on_put(void *ctx, const lat_provider_link_t *pl) {
  prov_t *pv = ctx;
  if (!for_blobstore(pl)) return;
  const char *root = config_get(pl->config, "root");
  if (!root && (!*pl->source_id || strchr(pl->source_id, '/'))) {
    fprintf(stderr, NAME ": link from %s refused: the source id cannot name a folder\n",
            pl->source_id);
    return;
  }
  link_t *l = lat_calloc(1, sizeof *l);
  if (!l || !(l->source = sdup(pl->source_id)) || !(l->name = sdup(pl->name)) ||
      (root && !(l->root = sdup(root)))) {
    link_free(l);
    fprintf(stderr, NAME ": out of memory on a link put\n");
    return;
  }
  pthread_mutex_lock(&pv->mu);
  link_t *old = link_unhook(pv, l->source, l->name); /* a put replaces */
  l->next = pv->links;
  pv->links = l;
  pthread_mutex_unlock(&pv->mu);
  link_free(old);
  fprintf(stderr, NAME ": link put source=%s name=%s root=%s\n", l->source, l->name,
          root ? root : "(default)");
}

static void on_del(void *ctx, const lat_provider_link_t *pl) {
  prov_t *pv = ctx;
  if (!for_blobstore(pl)) return;
  pthread_mutex_lock(&pv->mu);
  link_t *l = link_unhook(pv, pl->source_id, pl->name);
  pthread_mutex_unlock(&pv->mu);
  link_free(l);
  fprintf(stderr, NAME ": link del source=%s name=%s\n", pl->source_id, pl->name);
}

/* The root of (source, name), or NULL when there is no such link (new:
 * free with free()).  *oom is set when there is one but no memory. */
static char *link_root(prov_t *pv, const char *source, const char *name, bool *oom) {
  char *root = NULL;
  *oom = false;
  pthread_mutex_lock(&pv->mu);
  for (link_t *l = pv->links; l; l = l->next)
    if (!strcmp(l->source, source) && !strcmp(l->name, name)) {
      if (l->root) root = strdup(l->root);
      else if (asprintf(&root, "%s/%s", pv->base, l->source) < 0) root = NULL;
      *oom = !root;
      break;
    }
  pthread_mutex_unlock(&pv->mu);
  return root;
}

/* ---- the file system ----------------------------------------------------------------------- */

/* One call's error text (the caller's err(string)). */
typedef struct {
  char msg[512];
} ferr_t;

static bool fail(ferr_t *e, const char *what, const char *name, int en) {
  if (en == EXDEV)
    snprintf(e->msg, sizeof e->msg, "%s `%s` resolves outside the blobstore root", what, name);
  else snprintf(e->msg, sizeof e->msg, "%s `%s`: %s", what, name, strerror(en));
  return false;
}

/* A container or object name we store as one directory entry. */
static bool name_ok(const char *what, const lat_cval_t *v, char *out, ferr_t *e) {
  size_t n = v->of.str.len;
  if (!n || n > NAME_MAX || memchr(v->of.str.ptr, 0, n) || memchr(v->of.str.ptr, '/', n) ||
      (n == 1 && v->of.str.ptr[0] == '.') || (n == 2 && !memcmp(v->of.str.ptr, "..", 2))) {
    snprintf(e->msg, sizeof e->msg,
             "invalid %s name `%.*s`: want 1 to %d bytes, no `/` or NUL, not `.` or `..`", what,
             (int)(n > 200 ? 200 : n), v->of.str.ptr, NAME_MAX);
    return false;
  }
  memcpy(out, v->of.str.ptr, n);
  out[n] = 0;
  return true;
}

/* mkdir -p of an absolute path (the operator's root: trusted). */
static int mkdir_p(const char *path) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return ENAMETOOLONG;
  for (char *q = buf + 1;; q++) {
    if (*q == '/' || !*q) {
      char c = *q;
      *q = 0;
      if (mkdir(buf, 0755) && errno != EEXIST) return errno;
      if (!c) break;
      *q = c;
    }
  }
  return 0;
}

/* The root's fd (made when missing), or -1. */
static int open_root(const char *root, ferr_t *e) {
  if (root[0] != '/') {
    snprintf(e->msg, sizeof e->msg, "the blobstore root `%s` is not an absolute path", root);
    return -1;
  }
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    int en = mkdir_p(root);
    if (en) return fail(e, "the blobstore root", root, en), -1;
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) fail(e, "the blobstore root", root, errno);
  return fd;
}

/* Container c's fd beneath the root, or -1 with errno (ENOENT: none). */
static int open_container(int rootfd, const char *c) {
  return lat_wasi_open_beneath(rootfd, c, O_RDONLY | O_DIRECTORY, 0);
}

static bool read_all(int fd, uint64_t off, uint64_t n, lat_buf_t *out) {
  uint8_t chunk[65536];
  while (n) {
    size_t want = n < sizeof chunk ? (size_t)n : sizeof chunk;
    ssize_t k = pread(fd, chunk, want, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return false;
    if (!k) break;
    if (lat_buf_append(out, chunk, (size_t)k)) return errno = ENOMEM, false;
    off += (uint64_t)k;
    n -= (uint64_t)k;
  }
  return true;
}

static bool write_all(int fd, const uint8_t *b, size_t n) {
  while (n) {
    ssize_t k = write(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return false;
    b += k;
    n -= (size_t)k;
  }
  return true;
}

/* Writes b[0..n) as object o of container fd cfd: a temporary file then a
 * rename over o. */
static bool put_object(int cfd, const char *o, const uint8_t *b, size_t n, ferr_t *e) {
  char tmp[64];
  static unsigned seq;
  snprintf(tmp, sizeof tmp, ".blobstore-fs.%ld.%u.tmp", (long)getpid(),
           __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
  int fd = lat_wasi_open_beneath(cfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return fail(e, "object", o, errno);
  bool ok = write_all(fd, b, n);
  int en = errno;
  close(fd);
  if (ok && renameat(cfd, tmp, cfd, o)) ok = false, en = errno;
  if (!ok) {
    unlinkat(cfd, tmp, 0);
    return fail(e, "object", o, en);
  }
  return true;
}

/* Removes entry name of folder fd at, a folder with everything in it (never
 * following a symlink: a link is removed as the entry it is). */
static int rm_tree(int at, const char *name, int depth) {
  if (!unlinkat(at, name, 0) || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return errno;
  if (depth >= RM_DEPTH) return ELOOP;
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno;
  DIR *d = fdopendir(fd);
  if (!d) {
    int en = errno;
    close(fd);
    return en;
  }
  int en = 0;
  struct dirent *de;
  while (!en && (de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      en = rm_tree(dirfd(d), de->d_name, depth + 1);
  closedir(d);
  if (!en && unlinkat(at, name, AT_REMOVEDIR)) en = errno;
  return en;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- values ------------------------------------------------------------------------------- */

static lat_cval_t *val(lat_arena_t *a, size_t n) { return lat_arena_array(a, n ? n : 1, sizeof(lat_cval_t)); }

static void ok_val(lat_cval_t *r, lat_cval_t *payload) {
  *r = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = payload}};
}

/* err(msg); NULL payload on out of memory (the encode then fails: an
 * empty reply) */
static void err_val(lat_arena_t *a, const char *msg, lat_cval_t *r) {
  lat_cval_t *s = val(a, 1);
  size_t n = strlen(msg);
  char *p = lat_arena_alloc(a, n + 1);
  if (s && p) {
    memcpy(p, msg, n + 1);
    *s = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {p, (uint32_t)n}};
  }
  *r = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = s && p ? s : NULL}};
}

/* ok(tuple<stream ready(list), future ready(ok)>) */
static lat_cval_t *stream_ok(lat_arena_t *a, lat_cval_t *list) {
  lat_cval_t *v = val(a, 5);
  if (!v) return NULL;
  v[0] = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0}}; /* ok(()) */
  v[1] = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {.disc = 1, .payload = list}};
  v[2] = (lat_cval_t){.kind = LAT_WRPC_CT_FUTURE, .of.var = {.disc = 1, .payload = &v[0]}};
  v[3] = (lat_cval_t){.kind = LAT_CT_TUPLE, .of.list = {.v = &v[1], .n = 2}};
  return &v[3];
}

/* ---- the calls --------------------------------------------------------------------------- */

/* Runs op with args on the folder root: *ok is the result's ok payload
 * (NULL for none), false with the message in e.  Memory in a. */
static bool run(lat_wrpc_blob_fn op, const char *root, const lat_cval_t *args, lat_arena_t *a,
                lat_cval_t **ok, ferr_t *e) {
  char c[NAME_MAX + 1], o[NAME_MAX + 1], c2[NAME_MAX + 1], o2[NAME_MAX + 1];
  const lat_cval_t *id = &args[0]; /* object-id, for the object calls */
  bool by_id = op == LAT_WBLOB_COPY_OBJECT || op == LAT_WBLOB_MOVE_OBJECT ||
               op == LAT_WBLOB_DELETE_OBJECT || op == LAT_WBLOB_GET_CONTAINER_DATA ||
               op == LAT_WBLOB_GET_OBJECT_INFO || op == LAT_WBLOB_HAS_OBJECT ||
               op == LAT_WBLOB_WRITE_CONTAINER_DATA;
  if (by_id ? !name_ok("container", &id->of.list.v[0], c, e) ||
                  !name_ok("object", &id->of.list.v[1], o, e)
            : !name_ok("container", &args[0], c, e))
    return false;
  if ((op == LAT_WBLOB_COPY_OBJECT || op == LAT_WBLOB_MOVE_OBJECT) &&
      (!name_ok("container", &args[1].of.list.v[0], c2, e) ||
       !name_ok("object", &args[1].of.list.v[1], o2, e)))
    return false;
  if (op == LAT_WBLOB_DELETE_OBJECTS)
    for (uint32_t i = 0; i < args[1].of.list.n; i++)
      if (!name_ok("object", &args[1].of.list.v[i], o, e)) return false;
  int rootfd = open_root(root, e);
  if (rootfd < 0) return false;
  bool good = true;
  int cfd = -1, fd = -1, dfd = -1;
  *ok = NULL;
  switch (op) {
  case LAT_WBLOB_CREATE_CONTAINER:
    if (mkdirat(rootfd, c, 0755) && errno != EEXIST) good = fail(e, "container", c, errno);
    else if ((cfd = open_container(rootfd, c)) < 0) good = fail(e, "container", c, errno);
    break;
  case LAT_WBLOB_CONTAINER_EXISTS:
  case LAT_WBLOB_HAS_OBJECT: {
    bool yes = false;
    cfd = open_container(rootfd, c);
    if (cfd < 0 && errno != ENOENT && errno != ENOTDIR) {
      good = fail(e, "container", c, errno);
    } else if (cfd >= 0 && op == LAT_WBLOB_HAS_OBJECT) {
      fd = lat_wasi_open_beneath(cfd, o, O_PATH, 0);
      if (fd < 0 && errno != ENOENT) good = fail(e, "object", o, errno);
      yes = fd >= 0;
    } else {
      yes = cfd >= 0;
    }
    if (good && (*ok = val(a, 1))) **ok = (lat_cval_t){.kind = LAT_CT_BOOL, .of.b = yes};
    break;
  }
  case LAT_WBLOB_DELETE_CONTAINER: {
    int en = rm_tree(rootfd, c, 0);
    if (en) good = fail(e, "container", c, en);
    break;
  }
  case LAT_WBLOB_CLEAR_CONTAINER:
  case LAT_WBLOB_LIST_CONTAINER_OBJECTS: {
    if ((cfd = open_container(rootfd, c)) < 0 || (dfd = dup(cfd)) < 0) { /* dup(2) */
      good = fail(e, "container", c, errno);
      break;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
      good = fail(e, "container", c, errno);
      break;
    }
    dfd = -1; /* the DIR's now */
    char **names = NULL;
    uint32_t n = 0, cap = 0;
    struct dirent *de;
    int en = 0;
    while (!en && (de = readdir(d))) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      if (op == LAT_WBLOB_CLEAR_CONTAINER) {
        en = rm_tree(cfd, de->d_name, 0);
        continue;
      }
      if (!strncmp(de->d_name, ".blobstore-fs.", 14)) continue; /* a write in progress */
      if (n == MAX_LIST) {
        en = E2BIG;
        break;
      }
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        char **v = lat_arena_array(a, cap, sizeof *v);
        if (!v) {
          en = ENOMEM;
          break;
        }
        if (n) memcpy(v, names, n * sizeof *v);
        names = v;
      }
      size_t len = strlen(de->d_name);
      if (!(names[n] = lat_arena_alloc(a, len + 1))) en = ENOMEM;
      else memcpy(names[n++], de->d_name, len + 1);
    }
    closedir(d);
    if (en) {
      good = fail(e, "container", c, en);
      break;
    }
    if (op == LAT_WBLOB_CLEAR_CONTAINER) break;
    if (n) qsort(names, n, sizeof *names, cmp_str); /* a stable order, for people */
    uint64_t off = args[2].of.var.disc ? args[2].of.var.payload->of.u : 0;
    uint64_t lim = args[1].of.var.disc ? args[1].of.var.payload->of.u : UINT64_MAX;
    uint32_t from = off < n ? (uint32_t)off : n, k = n - from;
    if (lim < k) k = (uint32_t)lim;
    lat_cval_t *el = val(a, k), *list = val(a, 1);
    if (!el || !list) {
      good = fail(e, "container", c, ENOMEM);
      break;
    }
    for (uint32_t i = 0; i < k; i++)
      el[i] = (lat_cval_t){.kind = LAT_CT_STRING,
                           .of.str = {names[from + i], (uint32_t)strlen(names[from + i])}};
    *list = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.v = el, .n = k}};
    if (!(*ok = stream_ok(a, list))) good = fail(e, "container", c, ENOMEM);
    break;
  }
  case LAT_WBLOB_GET_CONTAINER_INFO:
  case LAT_WBLOB_GET_OBJECT_INFO: {
    struct statx sx;
    bool obj = op == LAT_WBLOB_GET_OBJECT_INFO;
    if ((cfd = open_container(rootfd, c)) < 0) {
      good = fail(e, "container", c, errno);
    } else if (obj && (fd = lat_wasi_open_beneath(cfd, o, O_RDONLY, 0)) < 0) {
      good = fail(e, "object", o, errno);
    } else if (statx(obj ? fd : cfd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_SIZE, &sx)) {
      good = fail(e, obj ? "object" : "container", obj ? o : c, errno);
    } else {
      lat_cval_t *rec = val(a, 3);
      if (!rec) {
        good = fail(e, "container", c, ENOMEM);
        break;
      }
      /* seconds since the epoch of its birth where the file system keeps
       * it, else 0 (wasmCloud's choice too) */
      uint64_t born = (sx.stx_mask & STATX_BTIME) ? (uint64_t)sx.stx_btime.tv_sec : 0;
      rec[0] = (lat_cval_t){.kind = LAT_CT_U64, .of.u = born};
      rec[1] = (lat_cval_t){.kind = LAT_CT_U64, .of.u = sx.stx_size};
      rec[2] = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {.v = rec, .n = obj ? 2 : 1}};
      *ok = &rec[2];
    }
    break;
  }
  case LAT_WBLOB_DELETE_OBJECT:
  case LAT_WBLOB_DELETE_OBJECTS:
    if ((cfd = open_container(rootfd, c)) < 0) {
      if (errno != ENOENT) good = fail(e, "container", c, errno); /* none: nothing to delete */
      break;
    }
    for (uint32_t i = 0; good && i < (op == LAT_WBLOB_DELETE_OBJECT ? 1 : args[1].of.list.n); i++) {
      if (op == LAT_WBLOB_DELETE_OBJECTS) name_ok("object", &args[1].of.list.v[i], o, e);
      if (unlinkat(cfd, o, 0) && errno != ENOENT) good = fail(e, "object", o, errno);
    }
    break;
  case LAT_WBLOB_GET_CONTAINER_DATA: {
    uint64_t start = args[1].of.u, end = args[2].of.u;
    struct stat st;
    lat_buf_t b;
    lat_buf_init(&b);
    if (end < start) {
      snprintf(e->msg, sizeof e->msg, "`end` (%llu) is before `start` (%llu)",
               (unsigned long long)end, (unsigned long long)start);
      good = false;
    } else if ((cfd = open_container(rootfd, c)) < 0) {
      good = fail(e, "container", c, errno);
    } else if ((fd = lat_wasi_open_beneath(cfd, o, O_RDONLY, 0)) < 0 || fstat(fd, &st)) {
      good = fail(e, "object", o, errno);
    } else if (!S_ISREG(st.st_mode)) {
      good = fail(e, "object", o, EISDIR);
    } else {
      uint64_t size = (uint64_t)st.st_size, from = start < size ? start : size;
      uint64_t n = end - start < size - from ? end - start : size - from;
      if (n > BLOB_MAX_READ) {
        snprintf(e->msg, sizeof e->msg, "object `%s`: %llu bytes, more than one call carries", o,
                 (unsigned long long)n);
        good = false;
      } else if (!read_all(fd, from, n, &b)) {
        good = fail(e, "object", o, errno);
      }
    }
    lat_cval_t *list = good ? val(a, 1) : NULL;
    uint8_t *copy = good ? lat_arena_alloc(a, b.len ? b.len : 1) : NULL;
    if (good && (!list || !copy)) good = fail(e, "object", o, ENOMEM);
    if (good) {
      if (b.len) memcpy(copy, b.data, b.len);
      *list = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.n = (uint32_t)b.len, .bytes = copy}};
      if (!(*ok = stream_ok(a, list))) good = fail(e, "object", o, ENOMEM);
    }
    lat_buf_fini(&b);
    break;
  }
  case LAT_WBLOB_WRITE_CONTAINER_DATA: {
    /* the container is made when missing, as wasmCloud's does */
    if (mkdirat(rootfd, c, 0755) && errno != EEXIST) good = fail(e, "container", c, errno);
    else if ((cfd = open_container(rootfd, c)) < 0) good = fail(e, "container", c, errno);
    const lat_cval_t *data = args[1].of.var.payload;
    if (good) good = put_object(cfd, o, data->of.list.bytes, data->of.list.n, e);
    lat_cval_t *v = good ? val(a, 2) : NULL;
    if (good && !v) good = fail(e, "object", o, ENOMEM);
    if (good) {
      v[0] = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0}};
      v[1] = (lat_cval_t){.kind = LAT_WRPC_CT_FUTURE, .of.var = {.disc = 1, .payload = &v[0]}};
      *ok = &v[1];
    }
    break;
  }
  case LAT_WBLOB_COPY_OBJECT:
  case LAT_WBLOB_MOVE_OBJECT: {
    int c2fd = -1;
    if ((cfd = open_container(rootfd, c)) < 0) {
      good = fail(e, "container", c, errno);
    } else if ((c2fd = open_container(rootfd, c2)) < 0) {
      good = fail(e, "destination container", c2, errno);
    } else if ((fd = lat_wasi_open_beneath(cfd, o, O_RDONLY, 0)) < 0) {
      good = fail(e, "object", o, errno);
    } else if (op == LAT_WBLOB_MOVE_OBJECT && !renameat(cfd, o, c2fd, o2)) {
      /* moved */
    } else if (op == LAT_WBLOB_MOVE_OBJECT && errno != EXDEV) {
      good = fail(e, "object", o, errno);
    } else {
      /* a copy (or a move across file systems): read, write, remove */
      struct stat st;
      lat_buf_t b;
      lat_buf_init(&b);
      if (fstat(fd, &st)) good = fail(e, "object", o, errno);
      else if (!S_ISREG(st.st_mode)) good = fail(e, "object", o, EISDIR);
      else if ((uint64_t)st.st_size > BLOB_MAX_READ) good = fail(e, "object", o, EFBIG);
      else if (!read_all(fd, 0, (uint64_t)st.st_size, &b)) good = fail(e, "object", o, errno);
      else good = put_object(c2fd, o2, b.data, b.len, e);
      lat_buf_fini(&b);
      if (good && op == LAT_WBLOB_MOVE_OBJECT && unlinkat(cfd, o, 0))
        good = fail(e, "object", o, errno);
    }
    if (c2fd >= 0) close(c2fd);
    break;
  }
  case LAT_WBLOB_COUNT:
    break;
  }
  if (fd >= 0) close(fd);
  if (dfd >= 0) close(dfd);
  if (cfd >= 0) close(cfd);
  close(rootfd);
  return good;
}

static lat_status handle(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                         lat_error_t *err) {
  fn_t *f = ctx;
  prov_t *pv = f->pv;
  const lat_wrpc_blob_func_t *ft = &pv->t.fns[f->op];
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t args[3], res;
  char *root = NULL;
  lat_status st = lat_wrpc_decode_values_async(req->params, req->len, req->asyncs, req->nasync,
                                               ft->params, ft->nparams, &a, args, err);
  if (st) goto out;
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  const char *ln = lat_lattice_headers_get(req->headers, "link-name");
  if (!ln || !*ln) ln = "default";
  char msg[600];
  bool oom;
  if (!src) {
    err_val(&a, "no consumer component in the request (no source-id header)", &res);
  } else if (!(root = link_root(pv, src, ln, &oom))) {
    if (oom) snprintf(msg, sizeof msg, "out of memory");
    else snprintf(msg, sizeof msg, "consumer component not linked: %s (link `%s`)", src, ln);
    err_val(&a, msg, &res);
  } else {
    ferr_t e;
    lat_cval_t *ok = NULL;
    if (run(f->op, root, args, &a, &ok, &e)) ok_val(&res, ok);
    else err_val(&a, e.msg, &res);
  }
  st = lat_wrpc_encode_values_async(&res, &ft->result, 1, results, req->async_results, err);
out:
  free(root);
  lat_arena_fini(&a);
  return st;
}

/* ---- main ------------------------------------------------------------------------------------ */

int lat_builtin_blobstore_fs_main(int argc, char **argv) {
  (void)argc, (void)argv;
  setvbuf(stderr, NULL, _IOLBF, 0);
  prov_t pv;
  memset(&pv, 0, sizeof pv);
  pthread_mutex_init(&pv.mu, NULL);
  lat_arena_init(&pv.arena);
  lat_error_t err;
  lat_error_clear(&err);
  int rc = 1;
  if (lat_wrpc_blob_types_init(&pv.arena, &pv.t, &err)) {
    fprintf(stderr, NAME ": %s\n", err.msg);
    goto out;
  }
  lat_provider_opts_t o = {.on_link_put = on_put, .on_link_del = on_del, .ctx = &pv,
                           .wrpc_workers = WORKERS};
  if (lat_provider_new(&o, &pv.p, &err)) {
    fprintf(stderr, NAME ": %s\n", err.msg);
    goto out;
  }
  /* the default roots' parent, read before serving: a link without a root
   * gets its folder under it at call time */
  const char *base = lat_provider_config(pv.p, "root"), *tmp = getenv("TMPDIR");
  if (base && *base) pv.base = strdup(base);
  else if (asprintf(&pv.base, "%s/lattice-blobstore-fs", tmp && *tmp == '/' ? tmp : "/tmp") < 0)
    pv.base = NULL;
  if (!pv.base) {
    fprintf(stderr, NAME ": out of memory\n");
    goto out;
  }
  for (int i = 0; i < LAT_WBLOB_COUNT; i++) {
    pv.fns[i] = (fn_t){.pv = &pv, .op = (lat_wrpc_blob_fn)i};
    const lat_wrpc_blob_func_t *f = &pv.t.fns[i];
    if (lat_provider_serve_typed(pv.p, LAT_WRPC_BLOBSTORE, f->name, f->params, f->nparams, handle,
                                 &pv.fns[i], &err)) {
      fprintf(stderr, NAME ": %s\n", err.msg);
      goto out;
    }
  }
  fprintf(stderr, NAME ": serving %s as %s (default roots under %s)\n", LAT_WRPC_BLOBSTORE,
          lat_provider_id(pv.p), pv.base);
  lat_provider_wait(pv.p);
  fprintf(stderr, NAME ": shutting down\n");
  rc = 0;
out:
  lat_provider_free(pv.p); /* no call runs after this */
  while (pv.links) {
    link_t *l = pv.links;
    pv.links = l->next;
    link_free(l);
  }
  free(pv.base);
  lat_arena_fini(&pv.arena);
  pthread_mutex_destroy(&pv.mu);
  lat_lattice_library_close(2000);
  return rc;
}
