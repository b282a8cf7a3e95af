/* cli: the `lattice` command.  The only part of Lattice that prints for
 * humans.  Each subcommand is a function taking the arguments after its
 * name (argv[0] is the subcommand) and returning the process exit code. */
#ifndef LAT_CLI_H
#define LAT_CLI_H

#include <stdint.h>

#include "../base/base.h"
#include "../crypto/crypto.h"
#include "../wasm/wasm.h"

int lat_cli_wast(int argc, char **argv);     /* cli_wast.c */
int lat_cli_run(int argc, char **argv);      /* cli_run.c */
int lat_cli_validate(int argc, char **argv); /* cli_run.c */
int lat_cli_keys(int argc, char **argv);     /* cli_keys.c */
int lat_cli_claims(int argc, char **argv);   /* cli_claims.c */
int lat_cli_call(int argc, char **argv);     /* cli_call.c */
int lat_cli_serve(int argc, char **argv);    /* cli_serve.c */

/* Loads a module from a .wasm or .wat file (text when the file does not
 * start with the binary magic).  Prints nothing; err has the reason. */
lat_status lat_cli_load_module(const char *path, lat_wasm_module_t **out,
                               lat_error_t *err);
/* cli_run.c: the last trap's wasm frames on stderr, innermost first, as
 * wasmtime prints them (nothing when the store kept none). */
void lat_cli_print_backtrace(const lat_wasm_store_t *s);
/* Parses "64MiB", "1GiB", "65536", "10k": bytes.  false on a bad value. */
bool lat_cli_parse_size(const char *s, uint64_t *out);
/* Parses "100ms", "2s", "1m", "500us": nanoseconds.  false on a bad value. */
bool lat_cli_parse_duration(const char *s, uint64_t *out_ns);

#endif
