/* symgnn-train: train a SymGNN model from one YAML config (serial or
 * `mpirun -np N symgnn-train CONFIG` for data-parallel training). */
#include "symgnn_tr_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fputs("usage: symgnn-train CONFIG [--dry-run] [--restart CHECKPOINT] [--stop-at STEP]\n"
        "       symgnn-train --template     print a commented config with every key\n"
        "       symgnn-train --version\n"
        "  --dry-run      check the config and data (reads all files, builds the graphs)\n"
        "  --restart CK   continue exactly from a checkpoint written by an earlier run\n"
        "  --stop-at N    stop after step N with a checkpoint (the schedule is unchanged)\n",
        out);
}

/* Parse the command line; returns 0 to run, 1 when done (printed), 2 on error. */
static int parse_args(int argc, char **argv, symgnn_tr_options *o, int rank) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "--template")) {
      if (rank == 0) symgnn_tr_config_template(stdout);
      return 1;
    } else if (!strcmp(a, "--version")) {
      if (rank == 0) printf("symgnn-train %s\n", SYMGNN_VERSION_STRING);
      return 1;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      if (rank == 0) usage(stdout);
      return 1;
    } else if (!strcmp(a, "--dry-run")) {
      o->dry_run = 1;
    } else if (!strcmp(a, "--restart") && i + 1 < argc) {
      o->restart = argv[++i];
    } else if (!strcmp(a, "--stop-at") && i + 1 < argc) {
      char *end;
      o->stop_at = strtoll(argv[++i], &end, 10);
      if (*end || o->stop_at < 1) {
        if (rank == 0) fprintf(stderr, "symgnn-train: --stop-at needs a positive step number\n");
        return 2;
      }
    } else if (a[0] == '-' || o->config) {
      if (rank == 0) {
        fprintf(stderr, "symgnn-train: unexpected argument '%s'\n", a);
        usage(stderr);
      }
      return 2;
    } else {
      o->config = a;
    }
  }
  if (!o->config) {
    if (rank == 0) usage(stderr);
    return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  symgnn_tr_comm comm;
  symgnn_tr_comm_init(&argc, &argv, &comm);
  symgnn_tr_options opt;
  int rc = parse_args(argc, argv, &opt, comm.rank);
  if (rc == 0)
    rc = symgnn_tr_run(&opt, &comm);
  else if (rc == 1)
    rc = 0;
  symgnn_tr_comm_finalize();
  return rc;
}
