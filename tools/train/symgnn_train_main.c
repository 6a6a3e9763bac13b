/* symgnn-train: train a SymGNN model from one YAML config (serial or
 * `mpirun -np N symgnn-train CONFIG` for data-parallel training), redraw
 * the inference transforms of a learned-mode model (--redraw-transforms), or
 * recompute a model's BatchNorm statistics without dropout (--recalibrate-bn), or
 * convert a model to the exact O(3) average (--to-haar). */
#include "symgnn_tr_recalib.h"
#include "symgnn_tr_redraw.h"
#include "symgnn_tr_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void usage(FILE *out) {
  fputs("usage: symgnn-train CONFIG [--dry-run] [--restart CHECKPOINT] [--stop-at STEP]\n"
        "       symgnn-train --template     print a commented config with every key\n"
        "       symgnn-train --redraw-transforms MODEL --count M --seed S -o OUT "
        "[--checkpoint CK]\n"
        "       symgnn-train CONFIG --recalibrate-bn MODEL -o OUT\n"
        "       symgnn-train CONFIG --to-haar MODEL -o OUT\n"
        "       symgnn-train --version\n"
        "  --dry-run      check the config and data (reads all files, builds the graphs)\n"
        "  --restart CK   continue exactly from a checkpoint written by an earlier run\n"
        "  --stop-at N    stop after step N with a checkpoint (the schedule is unchanged)\n"
        "  --redraw-transforms MODEL\n"
        "                 write OUT: MODEL with M new inference transforms (M/2 rotations,\n"
        "                 M/2 reflections) drawn with seed S from its learned distribution,\n"
        "                 read from MODEL's provenance or from the checkpoint CK\n"
        "  --recalibrate-bn MODEL\n"
        "                 write OUT: MODEL with its BatchNorm running statistics recomputed\n"
        "                 on CONFIG's training data with dropout off (the average over the\n"
        "                 configurations of their train-mode batch statistics)\n"
        "  --to-haar MODEL\n"
        "                 write OUT: MODEL with the exact O(3) average as its symmetrization\n"
        "                 (stored transforms dropped) and its edge-encoder BatchNorm statistics\n"
        "                 computed exactly over CONFIG's training edges, directions uniform\n",
        out);
}

/* Parse a whole decimal number into *v; 0 ok, -1 not a number. */
static int parse_integer(const char *text, long long *v) {
  char *end;
  *v = strtoll(text, &end, 10);
  return end == text || *end ? -1 : 0;
}

/* A command line of --redraw-transforms or --recalibrate-bn that cannot run:
 * the offending argument `bad`, or else what is `missing`, with the usage, on
 * rank 0. Returns 2, the exit status of a command-line error. */
static int command_line_error(int rank, const char *bad, const char *missing) {
  if (rank == 0) {
    if (bad)
      fprintf(stderr, "symgnn-train: unexpected or incomplete argument '%s'\n", bad);
    else
      fprintf(stderr, "symgnn-train: %s\n", missing);
    usage(stderr);
  }
  return 2;
}

/* Options of --redraw-transforms; returns 0 to run, 2 on a command-line error. */
static int parse_redraw(int argc, char **argv, symgnn_tr_redraw_options *r, int rank) {
  memset(r, 0, sizeof *r);
  int have_count = 0, have_seed = 0;
  const char *bad = NULL;
  for (int i = 1; i < argc && !bad; ++i) {
    const char *a = argv[i];
    long long v;
    if (i + 1 >= argc) {
      bad = a;
    } else if (!strcmp(a, "--redraw-transforms") && !r->model) {
      r->model = argv[++i];
    } else if (!strcmp(a, "--checkpoint") && !r->checkpoint) {
      r->checkpoint = argv[++i];
    } else if (!strcmp(a, "-o") && !r->out) {
      r->out = argv[++i];
    } else if (!strcmp(a, "--count") && !have_count) {
      if (parse_integer(argv[++i], &v) || v < 2 || v % 2 || v > 1000000) {
        if (rank == 0)
          fprintf(stderr,
                  "symgnn-train: --count must be an even number of at least 2 (half rotations, "
                  "half reflections), got '%s'\n",
                  argv[i]);
        return 2;
      }
      r->count = (int)v;
      have_count = 1;
    } else if (!strcmp(a, "--seed") && !have_seed) {
      const char *t = argv[++i];
      char *end;
      r->seed = strtoull(t, &end, 10);
      if (end == t || *end || t[0] == '-') {
        if (rank == 0)
          fprintf(stderr, "symgnn-train: --seed needs a non-negative integer, got '%s'\n", t);
        return 2;
      }
      have_seed = 1;
    } else {
      bad = a;
    }
  }
  if (bad || !have_count || !have_seed || !r->out)
    return command_line_error(rank, bad,
                              "--redraw-transforms needs --count M, --seed S and -o OUT");
  return 0;
}

/* --redraw-transforms on rank 0 (the others wait for its result). */
static int redraw(int argc, char **argv, const symgnn_tr_comm *comm) {
  symgnn_tr_redraw_options r;
  const int rc = parse_redraw(argc, argv, &r, comm->rank);
  if (rc) return rc;
  char msg[1024];
  int ok = 1;
  if (comm->rank == 0 && symgnn_tr_redraw(&r, msg, sizeof msg)) {
    fprintf(stderr, "symgnn-train: error: %s\n", msg);
    ok = 0;
  }
  if (!symgnn_tr_comm_all_ok(ok)) return 1;
  if (comm->rank == 0)
    printf("wrote %s: %d transforms drawn with seed %llu from the distribution of %s\n", r.out,
           r.count, (unsigned long long)r.seed, r.checkpoint ? r.checkpoint : r.model);
  return 0;
}

/* Arguments of CONFIG --recalibrate-bn MODEL -o OUT (or --to-haar MODEL);
 * returns 0 to run, 2 on a command-line error. */
static int parse_recalib(int argc, char **argv, symgnn_tr_recalib_options *r, int to_haar,
                         int rank) {
  memset(r, 0, sizeof *r);
  r->to_haar = to_haar;
  const char *flag = to_haar ? "--to-haar" : "--recalibrate-bn", *bad = NULL;
  for (int i = 1; i < argc && !bad; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, flag) && !r->model && i + 1 < argc)
      r->model = argv[++i];
    else if (!strcmp(a, "-o") && !r->out && i + 1 < argc)
      r->out = argv[++i];
    else if (a[0] != '-' && !r->config)
      r->config = a;
    else
      bad = a;
  }
  if (bad || !r->config || !r->model || !r->out)
    return command_line_error(rank, bad,
                              to_haar ? "--to-haar needs CONFIG, MODEL and -o OUT"
                                      : "--recalibrate-bn needs CONFIG, MODEL and -o OUT");
  return 0;
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
      long long v;
      if (parse_integer(argv[++i], &v) || v < 1) {
        if (rank == 0) fprintf(stderr, "symgnn-train: --stop-at needs a positive step number\n");
        return 2;
      }
      o->stop_at = v;
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

/* With several MPI ranks and no OMP_NUM_THREADS, one OpenMP thread per rank
 * (as LAMMPS does), so that ranks on the same node do not each start one
 * thread per core. Said once on rank 0. */
static void default_threads(const symgnn_tr_comm *comm) {
#ifdef _OPENMP
  if (comm->size > 1 && !getenv("OMP_NUM_THREADS")) {
    omp_set_num_threads(1);
    if (comm->rank == 0)
      printf("threads: 1 OpenMP thread per MPI rank (set OMP_NUM_THREADS for more)\n");
  }
#else
  (void)comm;
#endif
}

int main(int argc, char **argv) {
  symgnn_tr_comm comm;
  symgnn_tr_comm_init(&argc, &argv, &comm);
  default_threads(&comm);
  int redraw_mode = 0, recalib_mode = 0, haar_mode = 0;
  for (int i = 1; i < argc; ++i) {
    redraw_mode |= !strcmp(argv[i], "--redraw-transforms");
    recalib_mode |= !strcmp(argv[i], "--recalibrate-bn");
    haar_mode |= !strcmp(argv[i], "--to-haar");
  }
  int rc;
  if (redraw_mode) {
    rc = redraw(argc, argv, &comm);
  } else if (recalib_mode || haar_mode) {
    symgnn_tr_recalib_options r;
    rc = parse_recalib(argc, argv, &r, haar_mode && !recalib_mode, comm.rank);
    if (rc == 0) rc = symgnn_tr_recalibrate(&r, &comm);
  } else {
    symgnn_tr_options opt;
    rc = parse_args(argc, argv, &opt, comm.rank);
    if (rc == 0)
      rc = symgnn_tr_run(&opt, &comm);
    else if (rc == 1)
      rc = 0;
  }
  symgnn_tr_comm_finalize();
  return rc;
}
