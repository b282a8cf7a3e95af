/* nats_fixture.c: see nats_fixture.h.
 *
 * The server's port comes from its own log line "Listening for client
 * connections on 127.0.0.1:PORT" (started with -p -1), so two tests, or
 * two engineers' test runs, never race for a port we picked.  A restart
 * reuses that port and the store folder, which is what a real server
 * restart looks like to clients.  Every wait is bounded. */
#include "nats_fixture.h"

#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000 /* a loaded 2-core machine can be slow */
#define MAX_LIVE 4

static nats_fixture_t *live[MAX_LIVE]; /* for the atexit clean-up */
static bool atexit_done;

static void stop_all(void) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (live[i]) nats_fixture_stop(live[i]);
}

static void track(nats_fixture_t *f, bool on) {
  for (int i = 0; i < MAX_LIVE; i++) {
    if (on && !live[i]) {
      live[i] = f;
      return;
    }
    if (!on && live[i] == f) {
      live[i] = NULL;
      return;
    }
  }
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool nats_fixture_wait(bool (*cond)(void *ctx), void *ctx, unsigned ms) {
  uint64_t end = now_ms() + ms;
  for (;;) {
    if (cond(ctx)) return true;
    if (now_ms() >= end) return cond(ctx);
    sleep_ms(5);
  }
}

static void print_log(const nats_fixture_t *f) {
  char path[300];
  snprintf(path, sizeof path, "%s/server.log", f->dir);
  FILE *fp = fopen(path, "r");
  if (!fp) return;
  char line[512];
  fprintf(stderr, "---- %s\n", path);
  while (fgets(line, sizeof line, fp)) fputs(line, stderr);
  fclose(fp);
}

/* Reads the log; returns 1 when ready (port filled in), 0 not yet. */
static int scan_log(nats_fixture_t *f) {
  char path[300];
  snprintf(path, sizeof path, "%s/server.log", f->dir);
  FILE *fp = fopen(path, "r");
  if (!fp) return 0;
  char line[512];
  int port = 0;
  bool ready = false;
  static const char key[] = "Listening for client connections on 127.0.0.1:";
  while (fgets(line, sizeof line, fp)) {
    char *p = strstr(line, key);
    if (p) port = atoi(p + sizeof key - 1);
    if (strstr(line, "Server is ready")) ready = true;
  }
  fclose(fp);
  if (!ready || port <= 0) return 0;
  f->port = port;
  return 1;
}

static int spawn(nats_fixture_t *f) {
  char store[300], log[300], port[16];
  snprintf(store, sizeof store, "%s/js", f->dir);
  snprintf(log, sizeof log, "%s/server.log", f->dir);
  snprintf(port, sizeof port, "%d", f->port ? f->port : -1);
  unlink(log);
  const char *argv[16];
  int n = 0;
  argv[n++] = "nats-server";
  argv[n++] = "-js";
  argv[n++] = "-sd";
  argv[n++] = store;
  argv[n++] = "-a";
  argv[n++] = "127.0.0.1";
  argv[n++] = "-p";
  argv[n++] = port;
  argv[n++] = "-l";
  argv[n++] = log;
  if (f->conf[0]) {
    argv[n++] = "-c";
    argv[n++] = f->conf;
  }
  argv[n] = NULL;

  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "nats fixture: fork: %s\n", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    /* Only async-signal-safe calls here: the parent may have threads. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126); /* parent died before prctl */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    execvp("nats-server", (char *const *)argv);
    _exit(127);
  }
  f->pid = pid;
  uint64_t end = now_ms() + START_TIMEOUT_MS;
  while (now_ms() < end) {
    if (scan_log(f)) {
      snprintf(f->url, sizeof f->url, "nats://127.0.0.1:%d", f->port);
      return 0;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      f->pid = 0;
      fprintf(stderr, "nats fixture: nats-server exited (status 0x%x)\n",
              status);
      print_log(f);
      return -1;
    }
    sleep_ms(10);
  }
  fprintf(stderr, "nats fixture: nats-server not ready after %d ms\n",
          START_TIMEOUT_MS);
  print_log(f);
  nats_fixture_kill(f);
  return -1;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

/* A test killed by a signal (a crash, a sanitizer abort, the runner's
 * timeout) cannot remove its folder; its server died with it
 * (PDEATHSIG).  Folders are named after the test's PID, so a later run
 * removes those whose process is gone. */
static void sweep_stale(const char *tmp) {
  DIR *d = opendir(tmp);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    long pid = 0;
    char rest[16];
    if (sscanf(e->d_name, "lat-nats-%ld-%15s", &pid, rest) != 2 || pid <= 0)
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  closedir(d);
}

int nats_fixture_prepare(nats_fixture_t *f) {
  memset(f, 0, sizeof *f);
  if (!atexit_done) {
    atexit(stop_all);
    atexit_done = true;
  }
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  sweep_stale(tmp);
  snprintf(f->dir, sizeof f->dir, "%s/lat-nats-%ld-XXXXXX", tmp,
           (long)getpid());
  if (!mkdtemp(f->dir)) {
    fprintf(stderr, "nats fixture: mkdtemp %s: %s\n", f->dir, strerror(errno));
    f->dir[0] = 0;
    return -1;
  }
  track(f, true);
  return 0;
}

int nats_fixture_start(nats_fixture_t *f, const char *config) {
  if (!f->dir[0] && nats_fixture_prepare(f) != 0) return -1;
  if (config) {
    snprintf(f->conf, sizeof f->conf, "%s/server.conf", f->dir);
    FILE *fp = fopen(f->conf, "w");
    if (!fp) return -1;
    for (const char *p = config; *p; p++) {
      if (strncmp(p, "@DIR@", 5) == 0) {
        fputs(f->dir, fp);
        p += 4;
      } else {
        fputc(*p, fp);
      }
    }
    fclose(fp);
  }
  return spawn(f);
}

void nats_fixture_kill(nats_fixture_t *f) {
  if (f->pid <= 0) return;
  kill(f->pid, SIGKILL);
  while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  f->pid = 0;
}

int nats_fixture_restart(nats_fixture_t *f) {
  nats_fixture_kill(f);
  return spawn(f);
}

void nats_fixture_stop(nats_fixture_t *f) {
  nats_fixture_kill(f);
  if (f->dir[0] && test_failures() > 0) print_log(f); /* why, for the record */
  if (f->dir[0]) {
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    f->dir[0] = 0;
  }
  track(f, false);
}

int nats_fixture_sh(const nats_fixture_t *f, const char *cmd) {
  char *full = NULL;
  if (asprintf(&full, "cd '%s' && timeout 30 sh -c '%s' >sh.log 2>&1", f->dir,
               cmd) < 0)
    return -1;
  int rc = system(full);
  if (rc != 0) {
    fprintf(stderr, "nats fixture: command failed (%d): %s\n", rc, cmd);
    char path[300];
    snprintf(path, sizeof path, "%s/sh.log", f->dir);
    FILE *fp = fopen(path, "r");
    if (fp) {
      char line[512];
      while (fgets(line, sizeof line, fp)) fputs(line, stderr);
      fclose(fp);
    }
  }
  free(full);
  return rc;
}
