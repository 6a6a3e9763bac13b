/* Eval-mode forward pass of SymGNN (model spec section 4), in blocks of
 * destination atoms so no edges x (width*heads) tensor exists for the whole
 * system. Steps are exposed one by one so LAMMPS can refresh ghost node states
 * between message-passing layers. */
#include "symgnn_eval_impl.h"
#include "symgnn_hot.h"
#include "symgnn_model_impl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LEAKY_SLOPE 0.01f

symgnn_status symgnn_eval_create(const symgnn_model *model, symgnn_eval **out, symgnn_error *err) {
  *out = NULL;
  if (!model) return symgnn_set_error(err, SYMGNN_ERR_ARG, "no model given");
  symgnn_eval *ev = calloc(1, sizeof *ev);
  if (!ev) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the eval context");
  symgnn_status st = symgnn_eval_fold(ev, model, err);
  if (st != SYMGNN_OK) {
    symgnn_eval_free(ev);
    return st;
  }
  ev->block_edges = 512;
  *out = ev;
  return SYMGNN_OK;
}

void symgnn_eval_free(symgnn_eval *ev) {
  if (!ev) return;
  symgnn_eval_unfold(ev);
  free(ev->h);
  free(ev->g);
  free(ev->proj);
  free(ev->bblk);
  free(ev->mblk);
  free(ev->eblk);
  free(ev->eblk2);
  free(ev->logit);
  free(ev->xblk);
  free(ev->blocks);
  free(ev);
}

void symgnn_eval_set_block_edges(symgnn_eval *ev, int nedges) {
  ev->block_edges = nedges < 1 ? 1 : nedges;
}

float *symgnn_eval_node_state(symgnn_eval *ev) { return ev->h; }
int symgnn_eval_width(const symgnn_eval *ev) { return ev->width; }
int symgnn_eval_nlayers(const symgnn_eval *ev) { return ev->nlayers; }

/* Grow a buffer to hold n elements of `size` bytes; keeps the old pointer on failure. */
static int grow(void **p, size_t n, size_t size) {
  void *q = realloc(*p, (n ? n : 1) * size);
  if (!q) return 0;
  *p = q;
  return 1;
}

/* Split the local destinations into blocks of whole destinations whose edges
 * fit in block_edges (at least one destination per block). */
static int make_blocks(symgnn_eval *ev) {
  const int64_t *off = ev->graph.offsets;
  const int nl = ev->graph.nlocal;
  int n = 0;
  if (!grow((void **)&ev->blocks, (size_t)nl + 1, sizeof(int))) return 0;
  ev->max_block_nodes = 1;
  for (int t0 = 0; t0 < nl;) {
    int t1 = t0 + 1;
    while (t1 < nl && off[t1 + 1] - off[t0] <= ev->block_edges) ++t1;
    ev->blocks[n++] = t0;
    if (t1 - t0 > ev->max_block_nodes) ev->max_block_nodes = t1 - t0;
    t0 = t1;
  }
  ev->blocks[n] = nl;
  ev->nblocks = n;
  return 1;
}

/* Size the node/edge state and the per-thread scratch for a graph. */
static symgnn_status reserve(symgnn_eval *ev, const symgnn_graph_view *g, int maxdeg,
                             symgnn_error *err) {
  int hwmax = ev->width, hmax = 1;
  for (int l = 0; l < ev->nlayers; ++l) {
    if (ev->layer[l].hw > hwmax) hwmax = ev->layer[l].hw;
    if (ev->layer[l].heads > hmax) hmax = ev->layer[l].heads;
  }
#ifdef _OPENMP
  ev->nthreads = omp_get_max_threads();
#else
  ev->nthreads = 1;
#endif
  const size_t d = (size_t)ev->width, nt = (size_t)g->ntotal, nl = (size_t)g->nlocal;
  const size_t ne = (size_t)ev->nedges, nth = (size_t)ev->nthreads;
  const size_t blk = (size_t)(maxdeg > ev->block_edges ? maxdeg : ev->block_edges);
  const size_t nproj = nt * 2 * (size_t)hwmax > 2 * nl * d ? nt * 2 * (size_t)hwmax : 2 * nl * d;
  if (!make_blocks(ev))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for %d destination blocks",
                            g->nlocal);
  ev->s_eblk = blk * (size_t)hwmax;
  ev->s_eblk2 = blk * d;
  ev->s_logit = (size_t)(maxdeg > 1 ? maxdeg : 1) * (size_t)hmax;
  ev->s_xblk = 3 * blk;
  ev->s_node = (size_t)ev->max_block_nodes * (size_t)hwmax;
  if (!grow((void **)&ev->h, nt * d, sizeof(float)) ||
      !grow((void **)&ev->g, ne * d, sizeof(float)) ||
      !grow((void **)&ev->proj, nproj, sizeof(float)) ||
      !grow((void **)&ev->bblk, nth * ev->s_node, sizeof(float)) ||
      !grow((void **)&ev->mblk, nth * ev->s_node, sizeof(float)) ||
      !grow((void **)&ev->eblk, nth * ev->s_eblk, sizeof(float)) ||
      !grow((void **)&ev->eblk2, nth * ev->s_eblk2, sizeof(float)) ||
      !grow((void **)&ev->logit, nth * ev->s_logit, sizeof(float)) ||
      !grow((void **)&ev->xblk, nth * ev->s_xblk, sizeof(float)))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM,
                            "out of memory for the forward pass (%d nodes, %lld edges)", g->ntotal,
                            (long long)ev->nedges);
  return SYMGNN_OK;
}

/* Index of the calling thread inside a parallel region (0 outside). */
static int thread_id(void) {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/* Run body(ev, arg, block) for every block, in parallel when OpenMP is on.
 * Each thread calls single-threaded BLAS on its own blocks; OpenBLAS's own
 * thread count is restored afterwards. */
static void for_each_block(symgnn_eval *ev, void (*body)(symgnn_eval *, const void *, int),
                           const void *arg) {
#ifdef _OPENMP
  if (ev->nthreads > 1 && ev->nblocks > 1) {
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(ev->nthreads)
    for (int b = 0; b < ev->nblocks; ++b) body(ev, arg, b);
    openblas_set_num_threads(blas_threads);
    return;
  }
#endif
  for (int b = 0; b < ev->nblocks; ++b) body(ev, arg, b);
}

/* Edge encoder for the edges of block b:
 * g = mean_k relu(relu(x O_k W0'^T + b0') W1'^T + b1'). */
SYMGNN_HOT static void encode_block(symgnn_eval *ev, const void *unused, int b) {
  (void)unused;
  const int tid = thread_id();
  float *eblk = ev->eblk + (size_t)tid * ev->s_eblk, *eblk2 = ev->eblk2 + (size_t)tid * ev->s_eblk2;
  float *xf = ev->xblk + (size_t)tid * ev->s_xblk;
  const int64_t e0 = ev->graph.offsets[ev->blocks[b]], e1 = ev->graph.offsets[ev->blocks[b + 1]];
  const int d = ev->width, nb = (int)(e1 - e0);
  const float inv_k = 1.0f / (float)ev->ntransforms;
  const float *b0 = ev->enc0_b, *b1 = ev->enc1_b;
  float *g = ev->g + (size_t)e0 * d;
  memset(g, 0, (size_t)nb * d * sizeof(float));
  for (int64_t i = 0; i < 3 * (int64_t)nb; ++i) /* edge features are float32, as in the model */
    xf[i] = (float)ev->graph.disp[3 * e0 + i];
  for (int k = 0; k < ev->ntransforms; ++k) {
    const float *M0 = ev->enc0_w + (size_t)k * 3 * d, *M1 = M0 + d, *M2 = M1 + d;
    for (int e = 0; e < nb; ++e) {
      const float x0 = xf[3 * e], x1 = xf[3 * e + 1], x2 = xf[3 * e + 2];
      float *t = eblk2 + (size_t)e * d;
#pragma omp simd
      for (int j = 0; j < d; ++j) {
        const float u = x0 * M0[j] + x1 * M1[j] + x2 * M2[j] + b0[j];
        t[j] = u > 0.0f ? u : 0.0f; /* not fmaxf: a libm call here, not a vector max */
      }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, d, d, 1.0f, eblk2, d, ev->enc1_w, d,
                0.0f, eblk, d);
    for (int e = 0; e < nb; ++e) {
      const float *v = eblk + (size_t)e * d;
      float *ge = g + (size_t)e * d;
#pragma omp simd
      for (int j = 0; j < d; ++j) {
        const float u = v[j] + b1[j];
        ge[j] += u > 0.0f ? inv_k * u : 0.0f;
      }
    }
  }
}

symgnn_status symgnn_eval_begin(symgnn_eval *ev, const symgnn_graph_view *graph,
                                symgnn_error *err) {
  int maxdeg = 0;
  symgnn_status st = symgnn_graph_view_check(graph, ev->nelements, &maxdeg, err);
  if (st != SYMGNN_OK) return st;
  ev->graph = *graph;
  ev->nedges = graph->offsets[graph->nlocal];
  ev->next_layer = -1;
  if ((st = reserve(ev, graph, maxdeg, err)) != SYMGNN_OK) return st;
  const int d = ev->width;
  for (int i = 0; i < graph->ntotal; ++i)
    memcpy(ev->h + (size_t)i * d, ev->node_table + (size_t)graph->species[i] * d,
           (size_t)d * sizeof(float));
  for_each_block(ev, encode_block, NULL);
  ev->next_layer = 0;
  return SYMGNN_OK;
}

/* Scratch of one thread for one block. */
typedef struct {
  float *eblk;  /* edge terms a_s + b_t + c, then the activations f */
  float *logit; /* attention logits, then weights, of one destination: [heads][degree] */
  float *bblk;  /* destination terms b_t + bias, rows t - t0 */
  float *mblk;  /* messages, rows t - t0 */
} block_scratch;

/* exp(x) for x <= 0 in float, as plain arithmetic so the softmax loop
 * vectorizes (no libm call): x = n ln2 + r with |r| <= ln2/2, exp(r) by its
 * Taylor series to r^8 (truncation < 1e-8 relative), 2^n put into the exponent
 * bits. x is clamped at -87 (exp = 1.6e-38), negligible next to the softmax's
 * largest term, which is 1. */
static inline float exp_nonpositive(float x) {
  const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  x = x < -87.0f ? -87.0f : x;
  const float n = (x * 1.44269504f + round_magic) - round_magic;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f; /* ln2 in two parts */
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale;
  scale.i = ((int32_t)n + 127) << 23;
  return p * scale.f;
}

/* Fill the block's edge rows with a_s + b_t (source term of the edge's
 * source plus destination term and bias), so the following sgemm adds c on top
 * (beta = 1) instead of first zeroing its output. */
SYMGNN_HOT static void gather_edge_terms(const symgnn_eval *ev, int hw, int t0, int t1,
                                         const block_scratch *sc) {
  const int64_t *off = ev->graph.offsets;
  const int *src = ev->graph.src;
  const int64_t e0 = off[t0];
  const size_t ps = 2 * (size_t)hw;
  for (int t = t0; t < t1; ++t) {
    const float *bt = sc->bblk + (size_t)(t - t0) * hw;
    for (int64_t e = off[t]; e < off[t + 1]; ++e) {
      const float *as = ev->proj + (size_t)src[e] * ps;
      float *f = sc->eblk + (size_t)(e - e0) * hw;
#pragma omp simd
      for (int k = 0; k < hw; ++k) f[k] = as[k] + bt[k];
    }
  }
}

/* Sixteen floats as one vector value (GCC/Clang vector extension); the
 * compiler maps it to one AVX-512 register, two AVX2 or four SSE registers. */
typedef float symgnn_v16 __attribute__((vector_size(64)));

/* Sum of the 16 lanes, halving the vector each step so the adds stay in
 * vector registers. */
static inline float hsum16(symgnn_v16 v) {
  typedef float v8 __attribute__((vector_size(32)));
  typedef float v4 __attribute__((vector_size(16)));
  const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4 b =
      __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  const v4 c = b + __builtin_shufflevector(b, b, 2, 3, 0, 1);
  return c[0] + c[1];
}

/* Dot product of f (after LeakyReLU, written back) with the attention vector
 * over one head's d features. Sixteen partial sums keep the loop in vector
 * registers; they are added up by hsum16 at the end. */
static inline float leaky_dot(float *f, const float *w, int d) {
  symgnn_v16 part = {0.0f};
  int k = 0;
  for (; k + 16 <= d; k += 16) {
    float v[16];
#pragma omp simd
    for (int j = 0; j < 16; ++j) {
      const float u = f[k + j];
      v[j] = u > 0.0f ? u : LEAKY_SLOPE * u;
      f[k + j] = v[j];
    }
    symgnn_v16 vv, ww;
    memcpy(&vv, v, sizeof vv);
    memcpy(&ww, w + k, sizeof ww);
    part += vv * ww;
  }
  float dot = 0.0f;
  for (; k < d; ++k) {
    const float u = f[k];
    const float v = u > 0.0f ? u : LEAKY_SLOPE * u;
    f[k] = v;
    dot += v * w[k];
  }
  return dot + hsum16(part);
}

/* Attention for the destinations [t0, t1): edge activations f (left in
 * eblk), per-head softmax over each destination's edges, and the aggregated
 * messages of those destinations (into mblk). */
SYMGNN_HOT static void attend_block(const symgnn_eval *ev, const symgnn_eval_layer_w *w, int t0,
                                    int t1, const block_scratch *sc) {
  const int d = ev->width, hw = w->hw, H = w->heads;
  const int64_t *off = ev->graph.offsets;
  const int *src = ev->graph.src;
  const int64_t e0 = off[t0];
  const size_t ps = 2 * (size_t)hw;
  float *lg = sc->logit;
  for (int t = t0; t < t1; ++t) {
    const int64_t ea = off[t];
    const int deg = (int)(off[t + 1] - ea);
    for (int i = 0; i < deg; ++i) {
      float *f = sc->eblk + (size_t)(ea + i - e0) * hw;
      for (int h = 0; h < H; ++h)
        lg[(size_t)h * deg + i] = leaky_dot(f + h * d, w->attn + h * d, d);
    }
    float *m = sc->mblk + (size_t)(t - t0) * hw;
    for (int h = 0; h < H; ++h) {
      float *x = lg + (size_t)h * deg, mx = -INFINITY, sum = 0.0f;
#pragma omp simd reduction(max : mx)
      for (int i = 0; i < deg; ++i) mx = x[i] > mx ? x[i] : mx;
#pragma omp simd reduction(+ : sum)
      for (int i = 0; i < deg; ++i) {
        x[i] = exp_nonpositive(x[i] - mx);
        sum += x[i];
      }
      const float inv = 1.0f / sum;
      for (int i = 0; i < deg; ++i) x[i] *= inv;
    }
    memset(m, 0, (size_t)hw * sizeof(float));
    for (int i = 0; i < deg; ++i) {
      const float *zs = ev->proj + (size_t)src[ea + i] * ps + hw;
      for (int h = 0; h < H; ++h) {
        const float a = lg[(size_t)h * deg + i];
        float *mh = m + h * d;
        const float *zh = zs + h * d;
#pragma omp simd
        for (int k = 0; k < d; ++k) mh[k] += a * zh[k];
      }
    }
  }
}

/* One block of a message-passing layer: destination terms b = h W_nj^T + bias,
 * edge terms a_s + b_t + g W_fij^T, attention and messages, the residual edge
 * update (skipped in the last layer, whose edge output is never used), then the
 * residual node update of the block's destinations. Blocks touch disjoint
 * destinations, and the source terms were computed before any block ran, so
 * node states can be updated in place. */
static void layer_block(symgnn_eval *ev, const void *arg, int b) {
  const symgnn_eval_layer_w *w = arg;
  const int tid = thread_id(), d = ev->width, hw = w->hw;
  const block_scratch sc = {
      ev->eblk + (size_t)tid * ev->s_eblk, ev->logit + (size_t)tid * ev->s_logit,
      ev->bblk + (size_t)tid * ev->s_node, ev->mblk + (size_t)tid * ev->s_node};
  const int t0 = ev->blocks[b], t1 = ev->blocks[b + 1], nt = t1 - t0;
  const int64_t e0 = ev->graph.offsets[t0];
  const int nb = (int)(ev->graph.offsets[t1] - e0);
  float *g = ev->g + (size_t)e0 * d, *h = ev->h + (size_t)t0 * d;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, hw, d, 1.0f, h, d,
              w->w_node + 2 * (size_t)hw * d, d, 0.0f, sc.bblk, hw);
  for (int t = 0; t < nt; ++t)
    for (int k = 0; k < hw; ++k) sc.bblk[(size_t)t * hw + k] += w->bias[k];
  gather_edge_terms(ev, hw, t0, t1, &sc);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, hw, d, 1.0f, g, d, w->w_fij, d, 1.0f,
              sc.eblk, hw);
  attend_block(ev, w, t0, t1, &sc);
  if (!w->last) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, d, hw, 1.0f, sc.eblk, hw, w->pe_w, hw,
                1.0f, g, d);
    for (int e = 0; e < nb; ++e)
      for (int j = 0; j < d; ++j) g[(size_t)e * d + j] += w->pe_b[j];
  }
  int merged = hw;
  if (w->last) { /* mean over heads, in place in the first `d` columns of each row */
    merged = d;
    for (int t = 0; t < nt; ++t) {
      float *m = sc.mblk + (size_t)t * hw;
      for (int k = 0; k < d; ++k) {
        double s = 0.0;
        for (int q = 0; q < w->heads; ++q) s += m[q * d + k];
        m[k] = (float)(s / w->heads);
      }
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, d, merged, 1.0f, sc.mblk, hw, w->pn_w,
              merged, 1.0f, h, d);
  for (int t = 0; t < nt; ++t)
    for (int j = 0; j < d; ++j) h[(size_t)t * d + j] += w->pn_b[j];
}

symgnn_status symgnn_eval_layer(symgnn_eval *ev, int layer, symgnn_error *err) {
  if (layer != ev->next_layer || layer < 0 || layer >= ev->nlayers)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "layer %d called out of order (expected %d)",
                            layer, ev->next_layer);
  const symgnn_eval_layer_w *w = &ev->layer[layer];
  const int d = ev->width, hw = w->hw;
  if (ev->graph.ntotal > 0) /* source terms a and values z of every node, ghosts included */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ev->graph.ntotal, 2 * hw, d, 1.0f, ev->h,
                d, w->w_node, d, 0.0f, ev->proj, 2 * hw);
  for_each_block(ev, layer_block, w);
  ev->next_layer = layer + 1;
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_decode(symgnn_eval *ev, double *out, symgnn_error *err) {
  if (ev->next_layer != ev->nlayers)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "decode called after %d of %d layers",
                            ev->next_layer < 0 ? 0 : ev->next_layer, ev->nlayers);
  const int d = ev->width, nl = ev->graph.nlocal;
  float *x = ev->h, *y = ev->proj, *spare = ev->proj + (size_t)nl * d;
  for (int k = 0; k < ev->depth && nl > 0; ++k) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nl, d, d, 1.0f, x, d, ev->dec_w[k], d,
                0.0f, y, d);
    const float a = ev->dec_slope[k];
    for (int t = 0; t < nl; ++t)
      for (int j = 0; j < d; ++j) {
        const float v = y[(size_t)t * d + j] + ev->dec_b[k][j];
        y[(size_t)t * d + j] = v > 0.0f ? v : a * v;
      }
    x = y;
    y = (y == ev->proj) ? spare : ev->proj;
  }
  for (int t = 0; t < nl; ++t) {
    double z = ev->out_b;
    for (int j = 0; j < d; ++j) z += (double)x[(size_t)t * d + j] * ev->out_w[j];
    out[t] = z * ev->label_std + ev->label_mean;
  }
  ev->next_layer = -1;
  return SYMGNN_OK;
}

symgnn_status symgnn_predict(symgnn_eval *ev, const symgnn_graph_view *graph, double *out,
                             symgnn_error *err) {
  if (graph && graph->ntotal != graph->nlocal)
    return symgnn_set_error(err, SYMGNN_ERR_ARG,
                            "symgnn_predict needs a graph without ghosts (nlocal %d, ntotal %d); "
                            "use the layer-by-layer calls",
                            graph->nlocal, graph->ntotal);
  symgnn_status st = symgnn_eval_begin(ev, graph, err);
  for (int l = 0; st == SYMGNN_OK && l < ev->nlayers; ++l) st = symgnn_eval_layer(ev, l, err);
  if (st == SYMGNN_OK) st = symgnn_eval_decode(ev, out, err);
  return st;
}
