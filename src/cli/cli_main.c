/* The `lattice` entry point: a table of commands, dispatched by name.
 * Kept tiny so every subcommand can be tested through its own function;
 * a new command is one row.  `lattice help CMD` is `lattice CMD --help`. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define LAT_VERSION "0.1.0"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"run", lat_cli_run, "run a module or a wasi:cli component (like wasmtime run)"},
    {"call", lat_cli_call, "call a component's exports with values written as text (WAVE)"},
    {"serve", lat_cli_serve, "serve a wasi:http/proxy component over HTTP"},
    {"inspect", lat_cli_inspect, "show a file's imports, exports, claims and producers"},
    {"validate", lat_cli_validate, "decode and validate modules and components"},
    {"wast", lat_cli_wast, "run WebAssembly spec test scripts"},
    {"compile", lat_cli_compile, "compile a core module to native code (like wasmtime compile)"},
    {"keys", lat_cli_keys, "make and list nkeys (account, component, host, ...)"},
    {"claims", lat_cli_claims, "sign a component, or verify and show its claims"},
    {"up", lat_cli_up, "bring up a local lattice: nats-server and a host (like wash up)"},
    {"down", lat_cli_down, "stop what `lattice up --detach` started"},
    {"host", lat_cli_host, "run a lattice host (NATS, control interface, built-in HTTP)"},
    {"get", lat_cli_get, "query the lattice: hosts, inventory, links, claims"},
    {"start", lat_cli_start, "start a component or provider (auction without --host-id)"},
    {"scale", lat_cli_scale, "set a component's concurrency cap on a host (0 stops it)"},
    {"update", lat_cli_update, "run a new image of a component"},
    {"stop", lat_cli_stop, "stop a component, a provider or a host"},
    {"link", lat_cli_link, "put, delete and list links"},
    {"config", lat_cli_config, "put, get and delete named config"},
    {"label", lat_cli_label, "set or delete a host label"},
    {"secrets", lat_cli_secrets, "secrets: run the nats-kv backend, put values, allow readers"},
    {"manager", lat_cli_manager, "run the deployment manager (wadm): applications kept running"},
    {"provider", lat_cli_provider, "run a built-in capability provider, or list them"},
    {"nats", lat_cli_nats, "secure the lattice's NATS: operator, account, users, server config"},
    {"tls", lat_cli_tls, "make a CA and certificates for the lattice's NATS"},
    {"app", lat_cli_app, "put, deploy, list, status, undeploy and validate applications"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "this text, or a command's help (lattice help CMD)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fprintf(f, "lattice " LAT_VERSION " - a distributed platform for WebAssembly components\n\n"
             "Usage: lattice COMMAND [OPTIONS] [ARGS...]\n\nCommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n'lattice COMMAND --help' (or 'lattice help COMMAND') describes a command's\n"
             "options, with examples.  Every command takes -o json.\n\n"
             "Examples:\n"
             "  lattice run examples/fib.wat --invoke fib 20\n"
             "  lattice inspect build/examples/hello.component.wasm\n"
             "  lattice call build/examples/greet.component.wasm greet '\"world\"'\n\n"
             "Exit status: 0 ok, 1 error or trap, 2 usage error, else the guest's own exit code.\n");
}

static const lat_cli_cmd_t version_cmd = {
    .name = "version", .usage = "[-o json]", .summary = "print the version",
    .examples = "  lattice version\n  lattice version -o json\n"};

static int cmd_version(int argc, char **argv) {
  lat_cli_args_t a;
  int rc = lat_cli_parse(&version_cmd, argc, argv, &a);
  if (rc < 0 && a.npos) rc = lat_cli_fail(&a, 2, "unexpected argument '%s'", a.pos[0]);
  if (rc < 0) {
    if (a.json) {
      json_t *o = json_object();
      json_object_set_new(o, "version", json_string(LAT_VERSION));
      lat_cli_json_print(o);
    } else {
      printf("lattice %s\n", LAT_VERSION);
    }
    rc = 0;
  }
  lat_cli_args_fini(&a);
  return rc;
}

static int find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(commands[i].name, name)) return (int)i;
  return -1;
}

static int unknown_command(const char *name) {
  const char *names[NCOMMANDS];
  for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
  const char *best = lat_cli_suggest(name, names, NCOMMANDS);
  if (best)
    fprintf(stderr, "lattice: unknown command '%s' (did you mean '%s'?)\n", name, best);
  else
    fprintf(stderr, "lattice: unknown command '%s' (try 'lattice help')\n", name);
  return 2;
}

static int cmd_help(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(stdout);
    return 0;
  }
  int k = find_command(argv[1]);
  if (k < 0) return unknown_command(argv[1]);
  /* `help CMD [SUB]` is `CMD [SUB] --help` */
  char *args[4] = {argv[1], argc > 2 ? argv[2] : (char *)"--help", (char *)"--help", NULL};
  return commands[k].fn(argc > 2 ? 3 : 2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) cmd = "version";
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) cmd = "help";
  int k = find_command(cmd);
  if (k < 0) return unknown_command(cmd);
  return commands[k].fn(argc - 1, argv + 1);
}
