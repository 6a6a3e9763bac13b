/* Small shared pieces of the training kernels: BN statistics slots, BN views
 * of layout entries, and double-accumulated weight-gradient products. */
#include "symgnn_train_gemm.h"
#include "symgnn_train_impl.h"

#include <math.h>
#include <string.h>

#define ACC_CHUNK 8192 /* rows per float GEMM before adding into double */

/* Slots: node encoder (2), layers (2 each), decoder blocks, edge encoder (2 per transform). */
int symgnn_slot_node_bn(int which) { return which; }
int symgnn_slot_layer_bn(int layer, int edge) { return 2 + 2 * layer + edge; }
int symgnn_slot_dec_bn(const symgnn_step *s, int block) {
  return 2 + 2 * s->tr->lay.nlayers + block;
}
int symgnn_slot_edge_bn(const symgnn_step *s, int branch, int which) {
  return 2 + 2 * s->tr->lay.nlayers + s->tr->lay.decoder_depth + 2 * branch + which;
}
int symgnn_nslots(const symgnn_layout *lay, int ntr) {
  return 2 + 2 * lay->nlayers + lay->decoder_depth + 2 * ntr;
}

int symgnn_src_rows(const symgnn_step *s, int l) { return l == 0 ? s->n : s->lnode[l - 1]; }

void symgnn_step_bn(const symgnn_step *s, const symgnn_bn_ref *ref, int slot, double *work,
                    symgnn_bn *bn) {
  double *st = TB_D(s->tr->bnst) + (size_t)slot * 2 * (size_t)s->tr->hwmax;
  bn->width = ref->width;
  bn->gamma = s->params + ref->gamma;
  bn->beta = s->params + ref->beta;
  bn->run_mean = s->stats ? s->stats + ref->mean : NULL;
  bn->run_var = s->stats ? s->stats + ref->var : NULL;
  const int64_t avg = s->opts->bn_average_step;
  bn->momentum = avg > 0 ? 1.0 / (double)avg : s->opts->bn_momentum;
  bn->mean = st;
  bn->istd = st + s->tr->hwmax;
  bn->dgamma = s->gacc ? s->gacc + ref->gamma : NULL;
  bn->dbeta = s->gacc ? s->gacc + ref->beta : NULL;
  bn->work = work;
  bn->eval = s->opts->eval != 0;
  if (bn->eval) /* eval mode: normalize with the model's running statistics */
    for (int j = 0; j < ref->width; ++j) {
      bn->mean[j] = s->run_stats[ref->mean + j];
      bn->istd[j] = 1.0 / sqrt((double)s->run_stats[ref->var + j] + SYMGNN_BN_EPS);
    }
}

void symgnn_acc_tn(double *acc, const float *x, int ldx, const float *y, int ldy, int64_t rows,
                   int m, int n, float *tmp) {
  for (int64_t r0 = 0; r0 < rows; r0 += ACC_CHUNK) {
    const int nr = (int)(rows - r0 < ACC_CHUNK ? rows - r0 : ACC_CHUNK);
    symgnn_block_gemm_tn(m, n, nr, x + (size_t)r0 * ldx, ldx, y + (size_t)r0 * ldy, ldy, 0, tmp, n);
    for (size_t i = 0; i < (size_t)m * (size_t)n; ++i) acc[i] += tmp[i];
  }
}

SYMGNN_HOT
void symgnn_center_rows(const float *x, const float *mu, int64_t rows, int w, float *out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + (size_t)r * (size_t)w;
    float *o = out + (size_t)r * (size_t)w;
#pragma omp simd
    for (int j = 0; j < w; ++j) o[j] = xr[j] - mu[j];
  }
}

/* Float partial sums over 256 rows and 64 columns at a time, added into double. */
SYMGNN_HOT
void symgnn_acc_colsum(double *acc, const float *x, int64_t rows, int w) {
  enum { TILE = 64, CHUNK = 256 };
  float part[TILE];
  for (int j0 = 0; j0 < w; j0 += TILE) {
    const int nj = w - j0 < TILE ? w - j0 : TILE;
    for (int64_t r0 = 0; r0 < rows; r0 += CHUNK) {
      const int64_t r1 = r0 + CHUNK < rows ? r0 + CHUNK : rows;
      memset(part, 0, sizeof part);
      for (int64_t r = r0; r < r1; ++r) {
        const float *xr = x + (size_t)r * (size_t)w + j0;
#pragma omp simd
        for (int j = 0; j < nj; ++j) part[j] += xr[j];
      }
      for (int j = 0; j < nj; ++j) acc[j0 + j] += part[j];
    }
  }
}
