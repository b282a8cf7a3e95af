/* The `lattice` entry point: dispatches to subcommands.  Kept tiny so every
 * subcommand can be tested through its own function. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define LAT_VERSION "0.1.0"

static void usage(FILE *f) {
  fprintf(f,
          "lattice " LAT_VERSION " - a distributed platform for WebAssembly "
          "components\n\n"
          "usage: lattice <command> [args]\n\n"
          "commands:\n"
          "  run FILE.wasm|FILE.wat [--invoke NAME] [ARGS...]\n"
          "                         run a module (calls NAME, or _start)\n"
          "  wast FILE.wast...      run WebAssembly spec test scripts\n"
          "  validate FILE...       decode and validate modules\n"
          "  keys gen|get|list      make and list nkeys (account, module, server, ...)\n"
          "  claims sign|inspect    sign a component / verify and show its claims\n"
          "  call COMPONENT EXPORT [ARGS...]\n"
          "                         call a component's export (values as text)\n"
          "  serve COMPONENT.wasm [--addr HOST:PORT]\n"
          "                         serve a wasi:http/proxy component over HTTP\n"
          "  host                   run a lattice host (NATS, control interface)\n"
          "  get hosts|inventory|links|claims\n"
          "                         query the lattice\n"
          "  start component|provider, scale component, update component,\n"
          "  stop component|provider|host\n"
          "                         control what runs where\n"
          "  link put|del|get, config put|get|del, label HOST k=v\n"
          "                         links, named config and host labels\n"
          "  version                print the version\n"
          "  help                   this text\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "run")) return lat_cli_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "wast")) return lat_cli_wast(argc - 1, argv + 1);
  if (!strcmp(cmd, "validate")) return lat_cli_validate(argc - 1, argv + 1);
  if (!strcmp(cmd, "keys")) return lat_cli_keys(argc - 1, argv + 1);
  if (!strcmp(cmd, "claims")) return lat_cli_claims(argc - 1, argv + 1);
  if (!strcmp(cmd, "call")) return lat_cli_call(argc - 1, argv + 1);
  if (!strcmp(cmd, "serve")) return lat_cli_serve(argc - 1, argv + 1);
  if (!strcmp(cmd, "host")) return lat_cli_host(argc - 1, argv + 1);
  if (!strcmp(cmd, "get")) return lat_cli_get(argc - 1, argv + 1);
  if (!strcmp(cmd, "start")) return lat_cli_start(argc - 1, argv + 1);
  if (!strcmp(cmd, "scale")) return lat_cli_scale(argc - 1, argv + 1);
  if (!strcmp(cmd, "update")) return lat_cli_update(argc - 1, argv + 1);
  if (!strcmp(cmd, "stop")) return lat_cli_stop(argc - 1, argv + 1);
  if (!strcmp(cmd, "link")) return lat_cli_link(argc - 1, argv + 1);
  if (!strcmp(cmd, "config")) return lat_cli_config(argc - 1, argv + 1);
  if (!strcmp(cmd, "label")) return lat_cli_label(argc - 1, argv + 1);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("lattice %s\n", LAT_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "lattice: unknown command '%s' (try 'lattice help')\n", cmd);
  return 2;
}
