/* MPI glue of the trainer: data-parallel sums, broadcasts and collective
 * error agreement. With one rank every call is a cheap no-op in effect. */
#ifndef SYMGNN_TR_COMM_H
#define SYMGNN_TR_COMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int rank, size;
} symgnn_tr_comm;

/* MPI_Init and rank/size of MPI_COMM_WORLD. */
void symgnn_tr_comm_init(int *argc, char ***argv, symgnn_tr_comm *c);
void symgnn_tr_comm_finalize(void);

/* In-place global sum of n doubles (MPI_Allreduce, MPI_SUM). Signature of
 * symgnn_reduce.fn, so the training kernel can use it directly. */
void symgnn_tr_comm_sum_cb(double *buf, size_t n, void *user);
/* In-place global sum of n floats, accumulated in double through `tmp`
 * (n doubles of scratch). */
void symgnn_tr_comm_sum_f(float *buf, double *tmp, size_t n);

/* 1 when ok is nonzero on every rank. */
int symgnn_tr_comm_all_ok(int ok);

/* Broadcast a byte buffer from rank 0 (other ranks receive a new malloc'ed
 * buffer; *size is set everywhere). Returns 0 or -1 (out of memory). */
int symgnn_tr_comm_bcast_bytes(const symgnn_tr_comm *c, unsigned char **data, size_t *size);

/* Stop every rank after printing msg on this one (fatal, unrecoverable). */
void symgnn_tr_comm_abort(const char *msg);

#ifdef __cplusplus
}
#endif
#endif
