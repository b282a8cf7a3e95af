/* cli: the `lattice` command.  The only part of Lattice that prints for
 * humans.  Each subcommand is a function taking the arguments after its
 * name (argv[0] is the subcommand) and returning the process exit code:
 * 0 ok, 1 error or trap, 2 usage error, or the guest's own exit code
 * (`run`).
 *
 * Every command is described once by a lat_cli_cmd_t and parses its
 * arguments with lat_cli_parse (cli_opts.c), which gives it --help, -o
 * text|json, `--flag=value`, `did you mean` for unknown options, and the
 * shared value parsers.  A new command:
 *
 *   static const char *addr = "127.0.0.1:4222";
 *   static uint64_t timeout_ns = 2000000000;
 *   static const lat_cli_opt_t opts[] = {
 *       {"addr", 'a', LAT_CLI_STRING, &addr, "HOST:PORT", "NATS server to use"},
 *       {"timeout", 0, LAT_CLI_DURATION, &timeout_ns, NULL, "wait at most this long"},
 *   };
 *   static const lat_cli_cmd_t cmd = {
 *       .name = "get", .usage = "[OPTIONS] hosts|links", .summary = "query the lattice",
 *       .opts = opts, .nopts = LAT_CLI_NOPTS(opts), .min_pos = 1, .max_pos = 1,
 *       .pos_name = "what to get",
 *       .examples = "  lattice get hosts\n  lattice get links -o json\n"};
 *   int lat_cli_get(int argc, char **argv) {
 *     lat_cli_args_t a;
 *     int rc = lat_cli_parse(&cmd, argc, argv, &a);
 *     if (rc < 0) rc = do_get(&a, a.pos[0]);   // a.json: print JSON
 *     lat_cli_args_fini(&a);
 *     return rc;
 *   }
 *
 * and a row in cli_main.c's command table.  A command with subcommands
 * (`link put|del|query`) is a lat_cli_group_t of lat_cli_sub_t rows, run by
 * lat_cli_group_run (cli_keys.c is a short example).  Errors go through
 * lat_cli_fail, which prints `lattice get: MESSAGE` on stderr, or under -o
 * json {"success":false,"error":"MESSAGE","exit_code":N} on stdout.
 *
 * The option tables point at static variables: one command runs per
 * process, so they start zeroed and need no reset. */
#ifndef LAT_CLI_H
#define LAT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "../base/base.h"
#include "../crypto/crypto.h"
#include "../lattice/lattice.h"
#include "../wasm/wasm.h"

/* ---- commands (one function each; cli_main.c's table lists them) -------------------- */

int lat_cli_wast(int argc, char **argv);     /* cli_wast.c */
int lat_cli_run(int argc, char **argv);      /* cli_run.c */
int lat_cli_validate(int argc, char **argv); /* cli_run.c */
int lat_cli_compile(int argc, char **argv);  /* cli_compile.c */
int lat_cli_keys(int argc, char **argv);     /* cli_keys.c */
int lat_cli_claims(int argc, char **argv);   /* cli_claims.c */
int lat_cli_call(int argc, char **argv);     /* cli_call.c */
int lat_cli_serve(int argc, char **argv);    /* cli_serve.c */
int lat_cli_host(int argc, char **argv);     /* cli_host.c */
int lat_cli_up(int argc, char **argv);       /* cli_up.c */
int lat_cli_down(int argc, char **argv);     /* cli_up.c */
/* cli_ctl.c: the control-interface client commands */
int lat_cli_get(int argc, char **argv);
int lat_cli_start(int argc, char **argv);
int lat_cli_scale(int argc, char **argv);
int lat_cli_update(int argc, char **argv);
int lat_cli_stop(int argc, char **argv);
int lat_cli_link(int argc, char **argv);
int lat_cli_config(int argc, char **argv);
int lat_cli_label(int argc, char **argv);
int lat_cli_inspect(int argc, char **argv);  /* cli_inspect.c */
int lat_cli_manager(int argc, char **argv);  /* cli_manager.c */
int lat_cli_app(int argc, char **argv);      /* cli_app.c */
int lat_cli_provider(int argc, char **argv); /* cli_provider.c */
int lat_cli_nats(int argc, char **argv);     /* cli_nats.c: `nats init` */
int lat_cli_tls(int argc, char **argv);      /* cli_tls.c: `tls init` */
int lat_cli_secrets(int argc, char **argv);  /* cli_secrets.c */

/* ---- securing a lattice (cli_nats.c, cli_tls.c; `lattice up --secure` runs both) ----------- */

/* What `lattice nats init` writes (cli_nats.c's design comment): strings borrowed. */
typedef struct {
  const char *dir;                      /* made when missing (0700) */
  const char *lattice, *ctl_prefix;     /* the subjects the users may use */
  const char *listen_host, *listen_port;
  const char *js_dir;                   /* NULL: DIR/jetstream */
  const char *tls_cert, *tls_key;       /* the server's; NULL: no TLS */
  const char *tls_ca;                   /* client certificates must chain to it */
  bool tls_verify;                      /* require client certificates (with tls_ca) */
  const char *const *kv_buckets;        /* KV buckets the provider user may use */
  size_t nkv;
} lat_cli_nats_init_t;
lat_status lat_cli_nats_init(const lat_cli_nats_init_t *c, lat_error_t *err);

/* What `lattice tls init` writes: ca.pem, ca-key.pem, server.pem, server-key.pem,
 * client.pem, client-key.pem in dir; the server's SANs are localhost, 127.0.0.1 and hosts. */
typedef struct {
  const char *dir;
  const char *const *hosts; /* extra DNS names or IP addresses */
  size_t nhosts;
  unsigned days;            /* 0: 825 */
} lat_cli_tls_init_t;
lat_status lat_cli_tls_init(const lat_cli_tls_init_t *c, lat_error_t *err);

/* flag when set, else $LATTICE_HOME/SUB, else ~/.lattice/SUB (written into buf). */
const char *lat_cli_home_dir(const char *flag, const char *sub, char *buf, size_t cap);

/* ---- options (cli_opts.c) --------------------------------------------------------- */

typedef enum {
  LAT_CLI_FLAG,     /* no value; dest: bool, set to true */
  LAT_CLI_INC,      /* no value, repeatable (-vv); dest: int, incremented */
  LAT_CLI_STRING,   /* dest: const char *, borrowed from argv; last one wins */
  LAT_CLI_LIST,     /* repeatable; dest: lat_cli_list_t (freed by lat_cli_args_fini) */
  LAT_CLI_SIZE,     /* dest: uint64_t bytes (lat_cli_parse_size) */
  LAT_CLI_DURATION, /* dest: uint64_t nanoseconds, above zero (lat_cli_parse_duration) */
  LAT_CLI_COUNT,    /* dest: uint64_t, a whole number >= 1 */
} lat_cli_opt_kind;

typedef struct {
  const char **v; /* borrowed strings from argv; the array is owned */
  size_t n;
} lat_cli_list_t;

typedef struct {
  const char *name;      /* long name without "--" */
  char letter;           /* short form (-x), or 0 */
  lat_cli_opt_kind kind;
  void *dest;            /* where the value goes (see the kinds) */
  const char *meta;      /* the value's name in help ("HOST:PORT"); NULL: from the kind */
  const char *help;      /* one line */
} lat_cli_opt_t;

#define LAT_CLI_NOPTS(arr) (sizeof(arr) / sizeof((arr)[0]))

typedef struct {
  const char *name;        /* "run", "claims sign" */
  const char *usage;       /* after "lattice NAME ": "[OPTIONS] FILE [ARGS...]" */
  const char *summary;     /* one line */
  const char *details;     /* NULL or paragraphs, each line ending in \n */
  const lat_cli_opt_t *opts;
  size_t nopts;
  const char *examples;    /* lines "  lattice ...   # what it does\n" */
  const char *exit_status; /* NULL: "0 ok, 1 error, 2 usage error." */
  int min_pos;             /* fewer positionals is a usage error */
  int max_pos;             /* more is a usage error; 0: no limit */
  const char *pos_name;    /* what a missing positional is called ("FILE") */
  int stop_after;          /* > 0: stop parsing after this many positionals;
                              the rest (from argv[rest]) is the command's */
} lat_cli_cmd_t;

typedef struct {
  const lat_cli_cmd_t *cmd;
  bool json;    /* -o json */
  int npos;
  char **pos;   /* positionals (borrowed from argv; the array is owned) */
  int rest;     /* with stop_after: argv index of the first argument not parsed */
} lat_cli_args_t;

/* A command made of subcommands (`keys gen|get|list`, `claims sign|inspect`,
 * `link put|del|query`): one row per subcommand, each with its own
 * lat_cli_cmd_t (named "keys gen") and a function run after its arguments
 * parsed. */
typedef struct {
  const char *name;             /* "gen" */
  const lat_cli_cmd_t *cmd;     /* options, help */
  int (*run)(lat_cli_args_t *a); /* returns the exit status */
} lat_cli_sub_t;

typedef struct {
  const char *name;         /* "keys" */
  const char *summary;      /* one line */
  const lat_cli_sub_t *subs;
  size_t nsubs;
  const char *examples;     /* as lat_cli_cmd_t's */
} lat_cli_group_t;

/* Runs argv[1]'s subcommand (argv[0] is the group's name): parses with its
 * cmd, calls run, frees.  No subcommand: the group's help on stderr, exit 2;
 * `GROUP --help`/`-h`/`help`: on stdout, exit 0; `GROUP help SUB` is `GROUP
 * SUB --help`; an unknown subcommand is named with the closest one, exit 2. */
int lat_cli_group_run(const lat_cli_group_t *g, int argc, char **argv);

/* Parses argv[1..argc) against cmd; argv[0] is the command's name.  Returns
 * -1 when the command should go on; otherwise the exit status to return at
 * once (0 after --help, printed on stdout; 2 after a usage error, printed by
 * lat_cli_fail).  Always call lat_cli_args_fini afterwards. */
int lat_cli_parse(const lat_cli_cmd_t *cmd, int argc, char **argv, lat_cli_args_t *out);
void lat_cli_args_fini(lat_cli_args_t *a); /* accepts NULL */
/* Usage, summary, details, every option, value syntax, examples, exit status. */
void lat_cli_help(const lat_cli_cmd_t *cmd, FILE *f);
/* The option arg ("--invoke", "--invoke=x", "-o") names in cmd, or NULL. */
const lat_cli_opt_t *lat_cli_find_opt(const lat_cli_cmd_t *cmd, const char *arg);
/* Reports an unknown option, with the closest known one; returns 2. */
int lat_cli_unknown_opt(const lat_cli_args_t *a, const char *arg);

/* Prints an error as `lattice CMD: MESSAGE` on stderr, or as
 * {"success":false,"error":...,"exit_code":rc} on stdout under -o json
 * (a may be NULL: text).  Returns rc. */
int lat_cli_fail(const lat_cli_args_t *a, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a lat_error_t: "WHAT: MESSAGE" (with the byte offset when
 * there is one). */
int lat_cli_fail_err(const lat_cli_args_t *a, int rc, const char *what, const lat_error_t *err);
/* Prints o compactly on stdout and releases it (takes ownership). */
struct json_t;
void lat_cli_json_print(struct json_t *o);

/* Values, the same for every flag of every command.  Sizes: "65536",
 * "64KiB", "10k", "16MiB", "1G" (powers of 1024).  Durations: "500us",
 * "100ms", "2s", "1m", "1h"; a bare number is seconds (as wasmtime's
 * --timeout without a unit is not: it needs one; seconds is what people
 * guess).  Counts: whole numbers >= 1.  false on a bad value. */
bool lat_cli_parse_size(const char *s, uint64_t *out);
bool lat_cli_parse_duration(const char *s, uint64_t *out_ns);
bool lat_cli_parse_count(const char *s, uint64_t *out);

/* Name suggestions: true when word is a likely typo or prefix of cand; the
 * closest such candidate (NULL entries skipped), or NULL. */
bool lat_cli_close(const char *word, const char *cand);
const char *lat_cli_suggest(const char *word, const char *const *cands, size_t n);

/* ---- TLS to the lattice's NATS (cli_opts.c), the same flags on every client -------------
 * `--PREFIX-tls-ca-file`, `--PREFIX-tls-cert-file`, `--PREFIX-tls-key-file` (PREFIX ctl for the
 * control clients, nats for the daemons), each falling back to ENV_CA_FILE ... variables
 * (WASMCLOUD_CTL_TLS_CA_FILE is wash's and the host's; the certificate ones are Lattice's:
 * wasmCloud's clients verify the server only, Lattice's NATS may also verify clients). */
typedef struct {
  const char *ca, *cert, *key; /* borrowed from argv or the environment */
} lat_cli_tls_t;
#define LAT_CLI_TLS_OPTS(prefix, dest, env)                                                      {prefix "-tls-ca-file", 0, LAT_CLI_STRING, &(dest).ca, "FILE",                                  "CA of the NATS server's certificate (PEM); implies TLS [" env "_TLS_CA_FILE]"},                   {prefix "-tls-cert-file", 0, LAT_CLI_STRING, &(dest).cert, "FILE",                              "client certificate for NATS (PEM), when the server verifies clients [" env                     "_TLS_CERT_FILE]"},                                                                           {prefix "-tls-key-file", 0, LAT_CLI_STRING, &(dest).key, "FILE",                                "its private key (PEM) [" env "_TLS_KEY_FILE]"}
/* Fills unset fields of t from env "_TLS_CA_FILE" etc. (env: "WASMCLOUD_CTL"), then copies
 * them into o's tls_* (borrowed). */
void lat_cli_tls_apply(lat_cli_tls_t *t, const char *env, lat_lattice_opts_t *o); /* o may be NULL */

/* ---- signals (cli_opts.c), for the commands that run until stopped ---------- */
#include <signal.h>
/* The stop signals, SIGINT and SIGTERM (and SIGUSR1, which a command sends
 * its own signal thread to end it, when usr1), in *out. */
void lat_cli_stop_signals(sigset_t *out, bool usr1);
/* The same, blocked in this thread and every thread started after it (so
 * only sigwait sees them: call before starting any), and SIGPIPE ignored. */
void lat_cli_block_signals(sigset_t *out, bool usr1);

/* ---- claims (cli_claims.c), shared with inspect ----------------------------------------- */

/* Verifies the claims of a binary, or of a token alone when jwt, under pol.
 * LAT_OK: verified, out filled.  A failure: *out_reason and err say why;
 * when it is only about time (expired, not yet valid, issued in the
 * future) the claims are read anyway and *out_read is true.  out is always
 * safe to lat_claims_fini. */
lat_status lat__cli_claims_read(const uint8_t *data, size_t len, bool jwt,
                                const lat_claims_policy_t *pol, lat_claims_t *out,
                                lat_crypto_reason *out_reason, lat_error_t *err, bool *out_read);
/* Adds the claims' fields (name, account, component, hash, times, ...) to
 * the JSON object j (borrowed). */
void lat__cli_claims_json(const lat_claims_t *c, struct json_t *j);

/* ---- files (cli_file.c) ----------------------------------------------------------- */

typedef enum {
  LAT_CLI_FILE_EMPTY,
  LAT_CLI_FILE_CORE,      /* \0asm, any version but a component's */
  LAT_CLI_FILE_COMPONENT, /* \0asm with the component layer */
  LAT_CLI_FILE_WAT,       /* text whose first form is (module ...) or a field */
  LAT_CLI_FILE_WAST,      /* text whose first form is a script command */
  LAT_CLI_FILE_JWT,       /* a JSON Web Token (header.claims.signature) */
  LAT_CLI_FILE_UNKNOWN,
} lat_cli_file_kind;

/* What data looks like; never fails. */
lat_cli_file_kind lat_cli_detect(const uint8_t *data, size_t len);
/* "a core module", "a component", "WAT text", ... */
const char *lat_cli_file_kind_name(lat_cli_file_kind k);
/* Reads path and detects its kind.  When the kind is not in `accept` (a
 * mask of 1u << LAT_CLI_FILE_*) fails with LAT_EINVALID and a message
 * naming what the file is and what was wanted.  *out_data is new (free
 * with lat_free). */
lat_status lat_cli_read(const char *path, unsigned accept, uint8_t **out_data, size_t *out_len,
                        lat_cli_file_kind *out_kind, lat_error_t *err);
#define LAT_CLI_ACCEPT(k) (1u << (k))

/* Loads a core module from a .wasm or .wat file.  Prints nothing; err has
 * the reason (a component or a non-wasm file is refused by name). */
lat_status lat_cli_load_module(const char *path, lat_wasm_module_t **out, lat_error_t *err);
/* The same, validated with the given WebAssembly features (NULL: the
 * engine's defaults), for `lattice run --wasm`. */
lat_status lat_cli_load_module_ex(const char *path, const lat_wasm_features_t *features,
                                  lat_wasm_module_t **out, lat_error_t *err);
/* cli_run.c: the last trap's wasm frames on stderr, innermost first, as
 * wasmtime prints them (nothing when the store kept none). */
void lat_cli_print_backtrace(const lat_wasm_store_t *s);

#endif
