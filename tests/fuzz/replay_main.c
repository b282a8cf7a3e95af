/* Corpus replay: feeds every file of the given directories (and files) to
 * LLVMFuzzerTestOneInput, as an ordinary test built with gcc and
 * ASan+UBSan.
 *
 * Approach: the inputs run in a forked worker, in sorted order, and the
 * worker records the index of the input it is on in a shared page.  When
 * the worker dies (a crash, a sanitizer abort, a timeout), the parent
 * counts that input as failed, prints its path, and starts a new worker at
 * the next input; so one bad input costs one failure, not the whole run,
 * and a fork per input (slow under ASan) is avoided.
 *
 * Leaks: all engine allocation goes through the lat_alloc hooks, so the
 * worker counts live allocations through them and fails the input after
 * which the count did not return to where it was: cheap, and pinned to the
 * input.  LeakSanitizer still checks the whole run at the worker's exit
 * (a report there fails the run as one extra failure).
 * REPLAY_LEAK_CHECK=lsan also asks LeakSanitizer after every input (exact
 * but about 30 ms each); =0 turns the per-input check off.
 *
 * Usage: replay NAME DIR|FILE...    (NAME labels the summary line)
 * Prints `NAME: N passed, N failed` and exits non-zero on any failure.
 * REPLAY_TIMEOUT (seconds, default 20) bounds one input. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "fuzz.h"

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}

static long live_allocs;

static void *count_malloc(size_t n, void *ctx) {
  (void)ctx;
  void *p = malloc(n);
  if (p) live_allocs++;
  return p;
}

static void *count_realloc(void *p, size_t n, void *ctx) {
  (void)ctx;
  void *q = realloc(p, n);
  if (q && !p) live_allocs++;
  return q;
}

static void count_free(void *p, void *ctx) {
  (void)ctx;
  if (p) live_allocs--;
  free(p);
}

typedef struct {
  char **v;
  size_t n, cap;
} paths_t;

static int add_path(paths_t *p, const char *s) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    char **v = realloc(p->v, cap * sizeof *v);
    if (!v) return -1;
    p->v = v;
    p->cap = cap;
  }
  if (!(p->v[p->n] = strdup(s))) return -1;
  p->n++;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a file, or every regular file under a directory (recursively). */
static int collect(paths_t *p, const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) return add_path(p, path);
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t n = strlen(path) + strlen(e->d_name) + 2;
    char *sub = malloc(n);
    if (!sub) {
      rc = -1;
      break;
    }
    snprintf(sub, n, "%s/%s", path, e->d_name);
    rc = collect(p, sub);
    free(sub);
  }
  closedir(d);
  return rc;
}

static unsigned char *read_file(const char *path, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  unsigned char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (len < cap) break;
    unsigned char *nb = realloc(buf, cap *= 2);
    if (!nb) free(buf);
    buf = nb;
  }
  fclose(f);
  if (!buf) return NULL;
  /* an exact-size copy, so ASan sees a read one past the end */
  unsigned char *exact = malloc(len ? len : 1);
  if (exact) memcpy(exact, buf, len);
  free(buf);
  *out_len = len;
  return exact;
}

/* Shared with the worker. */
typedef struct {
  volatile long current; /* index of the input being run */
  volatile long leaked;  /* index of an input that leaked, or -1 */
} shared_t;

enum { LEAKS_OFF, LEAKS_HOOKS, LEAKS_LSAN };

static void worker(const paths_t *p, long from, shared_t *sh, unsigned tmo,
                   int leak_check) {
  static const lat_alloc_hooks_t hooks = {count_malloc, count_realloc,
                                          count_free, NULL};
  if (leak_check == LEAKS_HOOKS) lat_alloc_set_hooks(&hooks);
  for (long i = from; i < (long)p->n; i++) {
    sh->current = i;
    size_t len = 0;
    unsigned char *data = read_file(p->v[i], &len);
    if (!data) {
      fprintf(stderr, "replay: cannot read %s\n", p->v[i]);
      _exit(3);
    }
    long before = live_allocs;
    alarm(tmo);
    LLVMFuzzerTestOneInput(data, len);
    alarm(0);
    free(data);
    if ((leak_check == LEAKS_HOOKS && live_allocs != before) ||
        (leak_check == LEAKS_LSAN && __lsan_do_recoverable_leak_check &&
         __lsan_do_recoverable_leak_check())) {
      fprintf(stderr, "replay: %s: %ld allocation(s) not freed\n", p->v[i],
              live_allocs - before);
      sh->leaked = i;
      _exit(4);
    }
  }
  sh->current = (long)p->n;
  exit(0); /* exit, not _exit: LeakSanitizer checks the run here */
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s NAME DIR|FILE...\n", argv[0]);
    return 2;
  }
  const char *name = argv[1];
  paths_t p = {0};
  for (int i = 2; i < argc; i++)
    if (collect(&p, argv[i]) < 0) return 2;
  if (p.n) qsort(p.v, p.n, sizeof *p.v, cmp_str);

  unsigned tmo = 20;
  const char *env = getenv("REPLAY_TIMEOUT");
  if (env && atoi(env) > 0) tmo = (unsigned)atoi(env);
  env = getenv("REPLAY_LEAK_CHECK");
  int leak_check = !env                  ? LEAKS_HOOKS
                   : !strcmp(env, "0")    ? LEAKS_OFF
                   : !strcmp(env, "lsan") ? LEAKS_LSAN
                                          : LEAKS_HOOKS;

  shared_t *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    perror("replay: mmap");
    return 2;
  }
  long passed = 0, failed = 0, from = 0;
  while (from < (long)p.n) {
    sh->current = from;
    sh->leaked = -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      perror("replay: fork");
      return 2;
    }
    if (pid == 0) worker(&p, from, sh, tmo, leak_check);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
    long cur = sh->current;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && cur >= (long)p.n) {
      passed += (long)p.n - from;
      break;
    }
    /* inputs before `cur` passed; `cur` failed */
    passed += cur - from;
    failed++;
    char why[64];
    if (WIFSIGNALED(status))
      snprintf(why, sizeof why, "%s",
               WTERMSIG(status) == SIGALRM ? "timeout"
                                           : strsignal(WTERMSIG(status)));
    else if (sh->leaked == cur)
      snprintf(why, sizeof why, "leak");
    else
      snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    printf("%s: FAIL %s (%s)\n", name,
           cur < (long)p.n ? p.v[cur] : "(whole run: leak report at exit)",
           why);
    fflush(stdout);
    if (cur >= (long)p.n) break;
    from = cur + 1;
  }
  printf("%s: %ld passed, %ld failed\n", name, passed, failed);
  for (size_t i = 0; i < p.n; i++) free(p.v[i]);
  free(p.v);
  munmap(sh, sizeof *sh);
  return failed ? 1 : 0;
}
