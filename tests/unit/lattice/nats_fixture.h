/* nats_fixture.h: a real nats-server for one unit test.
 *
 * nats_fixture_start runs `nats-server -js -sd DIR/js -a 127.0.0.1 -p -1
 * -l DIR/server.log [-c DIR/server.conf]` in a fresh temporary folder, reads
 * the port the server picked from its log (no guessing, no race for a free
 * port), and waits (bounded) until it says it is ready.  The server is a
 * child of the test process with PR_SET_PDEATHSIG = SIGKILL, so it dies
 * with the test even if the test crashes; nats_fixture_stop (also run from
 * an atexit handler, which covers REQUIRE failures) kills exactly that PID,
 * reaps it and removes the folder; a folder left by a test that was
 * killed is removed by the next fixture (folders carry the test's PID).
 * Only 127.0.0.1 is ever used. */
#ifndef LAT_TEST_NATS_FIXTURE_H
#define LAT_TEST_NATS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;      /* server process, 0 when not running */
  int port;       /* client port, fixed after the first start */
  char dir[256];  /* temporary folder (removed by stop) */
  char conf[320]; /* config file path, "" when none */
  char url[64];   /* nats://127.0.0.1:PORT */
} nats_fixture_t;

/* Makes the temporary folder only (to put certificates in it before the
 * server starts).  Returns 0 or -1. */
int nats_fixture_prepare(nats_fixture_t *f);
/* Starts a server (preparing the folder unless done); config (may be NULL) is
 * written to DIR/server.conf and may use the token @DIR@ for the folder.
 * Returns 0, or -1 after printing why. */
int nats_fixture_start(nats_fixture_t *f, const char *config);
/* Kills the server (SIGKILL) and reaps it, keeping folder and port. */
void nats_fixture_kill(nats_fixture_t *f);
/* Starts it again on the same port, config and store folder. */
int nats_fixture_restart(nats_fixture_t *f);
/* Kills, reaps and removes the folder.  Idempotent. */
void nats_fixture_stop(nats_fixture_t *f);

/* Runs a shell command in dir (bounded by `timeout 30`); returns its exit
 * status, printing the command when it fails. */
int nats_fixture_sh(const nats_fixture_t *f, const char *cmd);

/* Polls cond(ctx) every 5 ms for at most ms; returns its last value. */
bool nats_fixture_wait(bool (*cond)(void *ctx), void *ctx, unsigned ms);

#endif
