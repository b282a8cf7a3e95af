/* cli_opts.c: what every `lattice` command shares: the option parser, the
 * help printer, value parsers (sizes, durations, counts), `-o text|json`
 * and the error printer that honours it, and name suggestions.
 *
 * Approach: a command describes itself once, as a lat_cli_cmd_t (usage
 * line, summary, a table of options, examples); lat_cli_parse reads argv
 * against that table and lat_cli_help prints the same table, so a flag
 * cannot exist without a description.  Values are checked while parsing
 * (a bad --timeout is a usage error, exit 2, before any work is done) and
 * stored straight into the command's variables through the table's dest
 * pointers.
 *
 * Accepted forms: `--flag value`, `--flag=value`, `-x value`, `-xVALUE`,
 * clusters of value-less short flags (`-vv`), `--` ends the options.  Every
 * command gets -h/--help and -o/--output for free.  A command whose
 * arguments after its first positionals belong to someone else (the guest's
 * argv for `run`, export names and WAVE values for `call`) sets stop_after:
 * parsing stops there and the rest is left to it (args->rest).
 *
 * The output format is found before anything else is parsed, so even a
 * usage error comes out as JSON under -o json.
 *
 * Rejected: getopt_long (no `did you mean`, no help from the same table,
 * global state, and GNU's argv permutation would take a guest's `-x` as
 * ours). */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- values ------------------------------------------------------------------------ */

typedef struct {
  const char *suffix;
  double mul;
} unit_t;

/* A non-negative number with one of units' suffixes, scaled; false on a
 * bad value or one past 1.8e19. */
static bool parse_scaled(const char *s, const unit_t *units, size_t n, uint64_t *out) {
  char *end;
  errno = 0;
  if (!isdigit((unsigned char)s[0]) && s[0] != '.') return false;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0 || !isfinite(v)) return false;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(end, units[i].suffix)) {
      double x = v * units[i].mul;
      if (x > 1.8e19) return false;
      *out = (uint64_t)x;
      return true;
    }
  return false;
}

bool lat_cli_parse_size(const char *s, uint64_t *out) {
  static const unit_t units[] = {
      {"", 1},         {"B", 1},           {"k", 0x1p10},  {"K", 0x1p10},  {"KB", 0x1p10},
      {"KiB", 0x1p10}, {"m", 0x1p20},      {"M", 0x1p20},  {"MB", 0x1p20}, {"MiB", 0x1p20},
      {"g", 0x1p30},   {"G", 0x1p30},      {"GB", 0x1p30}, {"GiB", 0x1p30}};
  return parse_scaled(s, units, sizeof units / sizeof units[0], out);
}

bool lat_cli_parse_duration(const char *s, uint64_t *out_ns) {
  static const unit_t units[] = {{"", 1e9},   {"ns", 1},  {"us", 1e3}, {"µs", 1e3},
                                 {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  return parse_scaled(s, units, sizeof units / sizeof units[0], out_ns);
}

bool lat_cli_parse_count(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!isdigit((unsigned char)s[0])) return false;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno || v == 0) return false;
  *out = v;
  return true;
}

/* ---- suggestions ------------------------------------------------------------------- */

#define SUGGEST_MAX_LEN 128 /* longer words are never "close" */

/* Edit distance with adjacent transpositions counted as one edit ("fbi" is
 * one step from "fib"): optimal string alignment, three rows. */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN) return SIZE_MAX;
  size_t rows[3][SUGGEST_MAX_LEN + 1];
  size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
    }
    size_t *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb];
}

bool lat_cli_close(const char *word, const char *cand) {
  size_t lw = strlen(word), lc = strlen(cand);
  /* a prefix of at least 3 characters counts ("--invok" for "--invoke") */
  if (lw >= 3 && lw < lc && !strncmp(word, cand, lw)) return true;
  size_t d = distance(word, cand);
  size_t allow = (lw > lc ? lw : lc) / 3;
  if (allow < 1) allow = 1;
  if (allow > 3) allow = 3;
  return d <= allow;
}

const char *lat_cli_suggest(const char *word, const char *const *cands, size_t n) {
  const char *best = NULL;
  size_t bd = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    if (!cands[i] || !lat_cli_close(word, cands[i])) continue;
    size_t d = distance(word, cands[i]);
    if (d < bd) {
      bd = d;
      best = cands[i];
    }
  }
  return best;
}

/* ---- output ------------------------------------------------------------------------- */

void lat_cli_json_print(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s) puts(s);
  free(s);
  json_decref(o);
  fflush(stdout);
}

int lat_cli_fail(const lat_cli_args_t *a, int rc, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (a && a->json) {
    json_t *o = json_object();
    json_object_set_new(o, "success", json_false());
    json_object_set_new(o, "error", json_string(msg));
    json_object_set_new(o, "exit_code", json_integer(rc));
    lat_cli_json_print(o);
  } else {
    fflush(stdout);
    fprintf(stderr, "lattice%s%s: %s\n", a && a->cmd ? " " : "",
            a && a->cmd ? a->cmd->name : "", msg);
  }
  return rc;
}

int lat_cli_fail_err(const lat_cli_args_t *a, int rc, const char *what,
                     const lat_error_t *err) {
  if (err->offset != SIZE_MAX)
    return lat_cli_fail(a, rc, "%s: %s at offset %zu: %s", what, lat_status_message(err->code),
                        err->offset, err->msg);
  return lat_cli_fail(a, rc, "%s: %s", what, err->msg[0] ? err->msg : lat_status_message(err->code));
}

/* ---- help --------------------------------------------------------------------------- */

static const lat_cli_opt_t builtin_opts[] = {
    {"help", 'h', LAT_CLI_FLAG, NULL, NULL, "print this help and exit"},
    {"output", 'o', LAT_CLI_STRING, NULL, "FORMAT",
     "text (default) or json: results, and errors, as one JSON object on stdout"},
};
#define NBUILTIN (sizeof builtin_opts / sizeof builtin_opts[0])

static bool takes_value(lat_cli_opt_kind k) { return k != LAT_CLI_FLAG && k != LAT_CLI_INC; }

static const char *kind_meta(const lat_cli_opt_t *o) {
  if (o->meta) return o->meta;
  switch (o->kind) {
    case LAT_CLI_SIZE: return "SIZE";
    case LAT_CLI_DURATION: return "DURATION";
    case LAT_CLI_COUNT: return "N";
    default: return "VALUE";
  }
}

#define HELP_COL 28   /* where option descriptions start */
#define HELP_WIDTH 80 /* and where they wrap */

static void help_opt(FILE *f, const lat_cli_opt_t *o) {
  char left[96];
  int n = snprintf(left, sizeof left, "  %c%c%s--%s%s%s", o->letter ? '-' : ' ',
                   o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
                   takes_value(o->kind) ? " " : "", takes_value(o->kind) ? kind_meta(o) : "");
  if (n < 0) return;
  if (n <= HELP_COL - 2) fprintf(f, "%-*s", HELP_COL, left);
  else fprintf(f, "%s\n%-*s", left, HELP_COL, "");
  /* the description, wrapped at word boundaries */
  int col = HELP_COL;
  for (const char *w = o->help; *w;) {
    while (*w == ' ') w++;
    int wl = (int)strcspn(w, " ");
    if (!wl) break;
    if (col > HELP_COL && col + 1 + wl > HELP_WIDTH) {
      fprintf(f, "\n%-*s", HELP_COL, "");
      col = HELP_COL;
    }
    fprintf(f, "%s%.*s", col > HELP_COL ? " " : "", wl, w);
    col += (col > HELP_COL) + wl;
    w += wl;
  }
  fputc('\n', f);
}

void lat_cli_help(const lat_cli_cmd_t *cmd, FILE *f) {
  fprintf(f, "lattice %s - %s\n\nUsage: lattice %s %s\n", cmd->name, cmd->summary, cmd->name,
          cmd->usage);
  if (cmd->details) fprintf(f, "\n%s", cmd->details);
  fprintf(f, "\nOptions:\n");
  for (size_t i = 0; i < cmd->nopts; i++) help_opt(f, &cmd->opts[i]);
  for (size_t i = 0; i < NBUILTIN; i++) help_opt(f, &builtin_opts[i]);
  bool dur = false, size = false;
  for (size_t i = 0; i < cmd->nopts; i++) {
    dur |= cmd->opts[i].kind == LAT_CLI_DURATION;
    size |= cmd->opts[i].kind == LAT_CLI_SIZE;
  }
  if (dur) fprintf(f, "\nDURATION: a number with ns, us, ms, s, m or h (a bare number is seconds).\n");
  if (size) fprintf(f, "%sSIZE: bytes, or a number with k/KiB, M/MiB or G/GiB (powers of 1024).\n",
                    dur ? "" : "\n");
  if (cmd->examples) fprintf(f, "\nExamples:\n%s", cmd->examples);
  fprintf(f, "\nExit status: %s\n",
          cmd->exit_status ? cmd->exit_status : "0 ok, 1 error, 2 usage error.");
}

/* ---- parsing ------------------------------------------------------------------------ */

static const lat_cli_opt_t *find_long(const lat_cli_cmd_t *cmd, const char *name, size_t len) {
  for (size_t i = 0; i < cmd->nopts; i++)
    if (strlen(cmd->opts[i].name) == len && !strncmp(cmd->opts[i].name, name, len))
      return &cmd->opts[i];
  for (size_t i = 0; i < NBUILTIN; i++)
    if (strlen(builtin_opts[i].name) == len && !strncmp(builtin_opts[i].name, name, len))
      return &builtin_opts[i];
  return NULL;
}

static const lat_cli_opt_t *find_short(const lat_cli_cmd_t *cmd, char c) {
  for (size_t i = 0; i < cmd->nopts; i++)
    if (cmd->opts[i].letter == c) return &cmd->opts[i];
  for (size_t i = 0; i < NBUILTIN; i++)
    if (builtin_opts[i].letter == c) return &builtin_opts[i];
  return NULL;
}

const lat_cli_opt_t *lat_cli_find_opt(const lat_cli_cmd_t *cmd, const char *arg) {
  if (arg[0] != '-') return NULL;
  if (arg[1] == '-') {
    const char *eq = strchr(arg + 2, '=');
    return find_long(cmd, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
  }
  return arg[1] && !arg[2] ? find_short(cmd, arg[1]) : NULL;
}

int lat_cli_unknown_opt(const lat_cli_args_t *a, const char *arg) {
  const lat_cli_cmd_t *cmd = a->cmd;
  char shown[80];
  const char *eq = strchr(arg, '=');
  snprintf(shown, sizeof shown, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
  const char *best = NULL;
  if (shown[0] == '-' && shown[1] == '-') {
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < cmd->nopts && n < 62; i++) names[n++] = cmd->opts[i].name;
    for (size_t i = 0; i < NBUILTIN; i++) names[n++] = builtin_opts[i].name;
    best = lat_cli_suggest(shown + 2, names, n);
  }
  if (best)
    return lat_cli_fail(a, 2, "unknown option '%s' (did you mean '--%s'?)", shown, best);
  if (!strcmp(shown, "-W") || !strcmp(shown, "-S"))
    return lat_cli_fail(a, 2, "unknown option '%s' (wasmtime's -W/-S settings are plain flags "
                              "here: --fuel N, --timeout DURATION, --max-memory SIZE, --env, "
                              "--dir; see 'lattice %s --help')", shown, cmd->name);
  return lat_cli_fail(a, 2, "unknown option '%s' (see 'lattice %s --help')", shown, cmd->name);
}

static int set_value(lat_cli_args_t *a, const lat_cli_opt_t *o, const char *shown,
                     const char *v) {
  switch (o->kind) {
    case LAT_CLI_FLAG: *(bool *)o->dest = true; return -1;
    case LAT_CLI_INC: (*(int *)o->dest)++; return -1;
    case LAT_CLI_STRING:
      if (o->letter == 'o' && !strcmp(o->name, "output") && o->dest == NULL) {
        if (!strcmp(v, "json")) a->json = true;
        else if (!strcmp(v, "text")) a->json = false;
        else
          return lat_cli_fail(a, 2, "%s takes text or json, not '%s' (-o is the output "
                                    "format, never a file)", shown, v);
        return -1;
      }
      *(const char **)o->dest = v;
      return -1;
    case LAT_CLI_LIST: {
      lat_cli_list_t *l = o->dest;
      const char **nv = lat_realloc(l->v, (l->n + 1) * sizeof *nv);
      if (!nv) return lat_cli_fail(a, 1, "out of memory");
      l->v = nv;
      l->v[l->n++] = v;
      return -1;
    }
    case LAT_CLI_SIZE:
      if (!lat_cli_parse_size(v, o->dest))
        return lat_cli_fail(a, 2, "%s: '%s' is not a size (e.g. 65536, 64KiB, 16MiB, 1GiB)",
                            shown, v);
      return -1;
    case LAT_CLI_DURATION: {
      uint64_t ns = 0;
      if (!lat_cli_parse_duration(v, &ns) || ns == 0)
        return lat_cli_fail(a, 2, "%s: '%s' is not a duration above zero (e.g. 500ms, 2s, "
                                  "1m; a bare number is seconds)", shown, v);
      *(uint64_t *)o->dest = ns;
      return -1;
    }
    case LAT_CLI_COUNT:
      if (!lat_cli_parse_count(v, o->dest))
        return lat_cli_fail(a, 2, "%s: '%s' is not a whole number of at least 1", shown, v);
      return -1;
  }
  return -1;
}

/* -o json anywhere before the positional cut-off: found first so that even a
 * usage error is printed as JSON. */
static void prescan_output(const lat_cli_cmd_t *cmd, int argc, char **argv, lat_cli_args_t *a) {
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *x = argv[i];
    if (!strcmp(x, "--")) return;
    if (x[0] != '-' || !x[1]) {
      if (cmd->stop_after && ++npos >= cmd->stop_after) return;
      continue;
    }
    const char *v = NULL;
    if ((!strcmp(x, "-o") || !strcmp(x, "--output")) && i + 1 < argc) v = argv[i + 1];
    else if (!strncmp(x, "--output=", 9)) v = x + 9;
    else if (!strncmp(x, "-o", 2) && x[2]) v = x + 2;
    if (v) a->json = !strcmp(v, "json");
    const lat_cli_opt_t *o = lat_cli_find_opt(cmd, x);
    if (o && takes_value(o->kind) && !strchr(x, '=')) i++;
  }
}

int lat_cli_parse(const lat_cli_cmd_t *cmd, int argc, char **argv, lat_cli_args_t *a) {
  memset(a, 0, sizeof *a);
  a->cmd = cmd;
  a->rest = argc;
  prescan_output(cmd, argc, argv, a);
  a->pos = lat_calloc((size_t)argc + 1, sizeof *a->pos);
  if (!a->pos) return lat_cli_fail(a, 1, "out of memory");
  bool help = false;
  int i = 1;
  for (; i < argc; i++) {
    const char *x = argv[i];
    if (cmd->stop_after && a->npos >= cmd->stop_after) break;
    if (!strcmp(x, "--")) {
      i++;
      for (; i < argc && !(cmd->stop_after && a->npos >= cmd->stop_after); i++)
        a->pos[a->npos++] = argv[i];
      break;
    }
    /* "-" alone (stdin) and negative numbers are values, not options */
    if (x[0] != '-' || !x[1] || isdigit((unsigned char)x[1])) {
      a->pos[a->npos++] = argv[i];
      continue;
    }
    const lat_cli_opt_t *o;
    const char *val = NULL;
    char shown[80];
    if (x[1] == '-') {
      const char *eq = strchr(x + 2, '=');
      size_t nl = eq ? (size_t)(eq - x - 2) : strlen(x + 2);
      o = find_long(cmd, x + 2, nl);
      if (!o) return lat_cli_unknown_opt(a, x);
      snprintf(shown, sizeof shown, "--%s", o->name);
      if (eq) {
        if (!takes_value(o->kind))
          return lat_cli_fail(a, 2, "%s takes no value (got '%s')", shown, x);
        val = eq + 1;
      }
    } else {
      o = find_short(cmd, x[1]);
      if (!o) return lat_cli_unknown_opt(a, x);
      snprintf(shown, sizeof shown, "-%c", x[1]);
      if (x[2]) {
        if (takes_value(o->kind)) {
          val = x[2] == '=' ? x + 3 : x + 2;
        } else {
          /* a cluster of value-less flags: -vv */
          for (const char *c = x + 1; *c; c++) {
            const lat_cli_opt_t *oc = find_short(cmd, *c);
            if (!oc || takes_value(oc->kind)) {
              char one[3] = {'-', *c, 0};
              return lat_cli_unknown_opt(a, one);
            }
            if (oc->letter == 'h' && !oc->dest) help = true;
            else set_value(a, oc, shown, NULL);
          }
          continue;
        }
      }
    }
    if (o->letter == 'h' && !o->dest) {
      help = true;
      continue;
    }
    if (takes_value(o->kind) && !val) {
      if (i + 1 >= argc)
        return lat_cli_fail(a, 2, "%s needs a value (%s)", shown, kind_meta(o));
      val = argv[++i];
    }
    int rc = set_value(a, o, shown, val);
    if (rc >= 0) return rc;
  }
  a->rest = i;
  if (help) {
    lat_cli_help(cmd, stdout);
    return 0;
  }
  if (a->npos < cmd->min_pos)
    return lat_cli_fail(a, 2, "missing %s (usage: lattice %s %s)",
                        cmd->pos_name ? cmd->pos_name : "argument", cmd->name, cmd->usage);
  if (cmd->max_pos > 0 && a->npos > cmd->max_pos && !cmd->stop_after)
    return lat_cli_fail(a, 2, "unexpected argument '%s' (usage: lattice %s %s)",
                        a->pos[cmd->max_pos], cmd->name, cmd->usage);
  return -1;
}

void lat_cli_args_fini(lat_cli_args_t *a) {
  if (!a) return;
  if (a->cmd)
    for (size_t i = 0; i < a->cmd->nopts; i++)
      if (a->cmd->opts[i].kind == LAT_CLI_LIST) {
        lat_cli_list_t *l = a->cmd->opts[i].dest;
        lat_free(l->v);
        l->v = NULL;
        l->n = 0;
      }
  lat_free(a->pos);
  a->pos = NULL;
}

/* ---- groups of subcommands -------------------------------------------------------------- */

static void group_help(const lat_cli_group_t *g, FILE *f) {
  fprintf(f, "lattice %s - %s\n\nUsage: lattice %s COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
          g->name, g->summary, g->name);
  for (size_t i = 0; i < g->nsubs; i++)
    fprintf(f, "  %-10s %s\n", g->subs[i].name, g->subs[i].cmd->summary);
  fprintf(f, "\n'lattice %s COMMAND --help' describes a command's options, with examples.\n",
          g->name);
  if (g->examples) fprintf(f, "\nExamples:\n%s", g->examples);
  fprintf(f, "\nExit status: 0 ok, 1 error, 2 usage error.\n");
}

int lat_cli_group_run(const lat_cli_group_t *g, int argc, char **argv) {
  if (argc < 2) {
    group_help(g, stderr);
    return 2;
  }
  const char *sub = argv[1];
  bool help = !strcmp(sub, "help") || !strcmp(sub, "--help") || !strcmp(sub, "-h");
  if (help && argc < 3) {
    group_help(g, stdout);
    return 0;
  }
  if (help) sub = argv[2];
  const char *names[32];
  size_t n = 0;
  for (size_t i = 0; i < g->nsubs; i++) {
    if (n < 32) names[n++] = g->subs[i].name;
    if (strcmp(sub, g->subs[i].name)) continue;
    if (help) {
      lat_cli_help(g->subs[i].cmd, stdout);
      return 0;
    }
    lat_cli_args_t a;
    int rc = lat_cli_parse(g->subs[i].cmd, argc - 1, argv + 1, &a);
    if (rc < 0) rc = g->subs[i].run(&a);
    lat_cli_args_fini(&a);
    return rc;
  }
  const char *best = lat_cli_suggest(sub, names, n);
  if (best)
    fprintf(stderr, "lattice %s: unknown command '%s' (did you mean '%s'?)\n", g->name, sub, best);
  else
    fprintf(stderr, "lattice %s: unknown command '%s' (see 'lattice %s --help')\n", g->name, sub,
            g->name);
  return 2;
}

void lat_cli_stop_signals(sigset_t *out, bool usr1) {
  sigemptyset(out);
  sigaddset(out, SIGINT);
  sigaddset(out, SIGTERM);
  if (usr1) sigaddset(out, SIGUSR1);
}

void lat_cli_block_signals(sigset_t *out, bool usr1) {
  lat_cli_stop_signals(out, usr1);
  pthread_sigmask(SIG_BLOCK, out, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/* ---- TLS options --------------------------------------------------------------------------- */

void lat_cli_tls_apply(lat_cli_tls_t *t, const char *env, lat_lattice_opts_t *o) {
  const char *const suffix[3] = {"_TLS_CA_FILE", "_TLS_CERT_FILE", "_TLS_KEY_FILE"};
  const char **field[3] = {&t->ca, &t->cert, &t->key};
  for (int i = 0; i < 3; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s%s", env, suffix[i]);
    const char *v = getenv(name);
    if (!*field[i] && v && *v) *field[i] = v;
  }
  if (!o) return;
  o->tls_ca_file = t->ca;
  o->tls_cert_file = t->cert;
  o->tls_key_file = t->key;
}
