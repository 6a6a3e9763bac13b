/* MPI calls of the trainer, kept in one file so the rest is plain C. */
#include "symgnn_tr_comm.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void symgnn_tr_comm_init(int *argc, char ***argv, symgnn_tr_comm *c) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c->size);
}

void symgnn_tr_comm_finalize(void) { MPI_Finalize(); }

/* MPI counts are int: large buffers go in chunks. */
void symgnn_tr_comm_sum_cb(double *buf, size_t n, void *user) {
  (void)user;
  const size_t chunk = (size_t)1 << 28;
  for (size_t off = 0; off < n; off += chunk) {
    const size_t m = n - off < chunk ? n - off : chunk;
    MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)m, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
}

void symgnn_tr_comm_sum_f(float *buf, double *tmp, size_t n) {
  for (size_t i = 0; i < n; ++i) tmp[i] = (double)buf[i];
  symgnn_tr_comm_sum_cb(tmp, n, NULL);
  for (size_t i = 0; i < n; ++i) buf[i] = (float)tmp[i];
}

int symgnn_tr_comm_all_ok(int ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}

int symgnn_tr_comm_bcast_bytes(const symgnn_tr_comm *c, unsigned char **data, size_t *size) {
  uint64_t n = (uint64_t)*size;
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (c->rank != 0) {
    *size = (size_t)n;
    *data = malloc(n ? (size_t)n : 1);
  }
  if (!symgnn_tr_comm_all_ok(*data != NULL)) return -1;
  const size_t chunk = (size_t)1 << 30;
  for (size_t off = 0; off < (size_t)n; off += chunk) {
    const size_t m = (size_t)n - off < chunk ? (size_t)n - off : chunk;
    MPI_Bcast(*data + off, (int)m, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
  return 0;
}

void symgnn_tr_comm_abort(const char *msg) {
  fprintf(stderr, "symgnn-train: error: %s\n", msg);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
}
