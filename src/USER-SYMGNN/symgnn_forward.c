/* Eval-mode forward pass of SymGNN (doc/model-format.md), in blocks of
 * destination atoms so no edges x (width*heads) tensor exists for the whole
 * system. Steps are exposed one by one so LAMMPS can refresh ghost node states
 * between message-passing layers. */
#include "symgnn_edge_kernels.h"
#include "symgnn_error.h"
#include "symgnn_eval_impl.h"
#include "symgnn_ext.h"
#include "symgnn_model_impl.h"
#include "symgnn_multiversion.h"
#include "symgnn_threads.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

symgnn_status symgnn_eval_create(const symgnn_model *model, symgnn_eval **out, symgnn_error *err) {
  return symgnn_eval_create_with(model, 0, out, err);
}

symgnn_status symgnn_eval_create_with(const symgnn_model *model, int flags, symgnn_eval **out,
                                      symgnn_error *err) {
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
  ev->edge_isa = symgnn_cpu_isa();
  if (ev->haar && !(flags & SYMGNN_EVAL_DEFER_TABLE) &&
      (st = symgnn_eval_haar_build(ev, err)) != SYMGNN_OK) {
    symgnn_eval_free(ev);
    return st;
  }
  *out = ev;
  return SYMGNN_OK;
}

void symgnn_eval_free(symgnn_eval *ev) {
  if (!ev) return;
  symgnn_eval_unfold(ev);
  symgnn_eval_release(ev);
  free(ev);
}

enum { NSCRATCH = 10 };

/* The graph-sized float buffers of a context (the block list aside), so
 * that releasing and moving them name each once. */
static void scratch_slots(symgnn_eval *ev, float **slot[NSCRATCH]) {
  float **all[NSCRATCH] = {&ev->h,    &ev->g,     &ev->proj,  &ev->bblk,  &ev->mblk,
                           &ev->eblk, &ev->eblk2, &ev->ftile, &ev->logit, &ev->xblk};
  memcpy(slot, all, sizeof all);
}

void symgnn_eval_release(symgnn_eval *ev) {
  if (!ev) return;
  float **owned[NSCRATCH];
  scratch_slots(ev, owned);
  for (int i = 0; i < NSCRATCH; ++i) {
    float **p = owned[i];
    free(*p);
    *p = NULL; /* the next reserve() allocates it anew */
  }
  free(ev->blocks);
  ev->blocks = NULL;
  ev->next_layer = -1; /* a new pass must begin */
}

void symgnn_eval_move_scratch(symgnn_eval *from, symgnn_eval *to) {
  if (!from || !to || from == to) return;
  symgnn_eval_release(to);
  float **src[NSCRATCH], **dst[NSCRATCH];
  scratch_slots(from, src);
  scratch_slots(to, dst);
  for (int i = 0; i < NSCRATCH; ++i) {
    *dst[i] = *src[i];
    *src[i] = NULL;
  }
  to->blocks = from->blocks;
  from->blocks = NULL;
  from->next_layer = -1;
}

void symgnn_eval_set_block_edges(symgnn_eval *ev, int nedges) {
  ev->block_edges = nedges < 1 ? 1 : nedges;
}

static const char *const isa_names[] = {"generic", "avx2", "avx512"};

symgnn_status symgnn_eval_set_isa(symgnn_eval *ev, const char *name, symgnn_error *err) {
  for (int i = SYMGNN_ISA_GENERIC; i <= SYMGNN_ISA_AVX512; ++i)
    if (ev && name && !strcmp(name, isa_names[i])) {
      const int best = symgnn_cpu_isa();
      ev->edge_isa = i < best ? i : best;
      return SYMGNN_OK;
    }
  return symgnn_set_error(err, SYMGNN_ERR_ARG,
                          "unknown instruction set '%s' (avx512, avx2 or generic)",
                          name ? name : "(null)");
}

const char *symgnn_eval_isa(const symgnn_eval *ev) { return isa_names[ev->edge_isa]; }

void symgnn_eval_set_threads(symgnn_eval *ev, int nthreads) {
  ev->threads_asked = nthreads < 0 ? 0 : nthreads;
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
  int hwmax = ev->dp, hmax = 1; /* padded widths */
  for (int l = 0; l < ev->nlayers; ++l) {
    if (ev->layer[l].hwp > hwmax) hwmax = ev->layer[l].hwp;
    if (ev->layer[l].heads > hmax) hmax = ev->layer[l].heads;
  }
  ev->nthreads = ev->threads_asked > 0 ? ev->threads_asked : symgnn_threads_max();
  const size_t d = (size_t)ev->width, nt = (size_t)g->ntotal, nl = (size_t)g->nlocal;
  const size_t ne = (size_t)ev->nedges, nth = (size_t)ev->nthreads;
  const size_t blk = (size_t)(maxdeg > ev->block_edges ? maxdeg : ev->block_edges);
  const size_t nproj = nt * 2 * (size_t)hwmax > 2 * nl * d ? nt * 2 * (size_t)hwmax : 2 * nl * d;
  if (!make_blocks(ev))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for %d destination blocks",
                            g->nlocal);
  ev->s_edge = blk;
  ev->s_logit = blk * (size_t)hmax;
  ev->s_node = (size_t)ev->max_block_nodes * (size_t)hwmax;
  ev->s_tile = (size_t)SYMGNN_TILE_EDGES * (size_t)(hwmax + ev->dp);
  if (!grow((void **)&ev->h, nt * d, sizeof(float)) ||
      !grow((void **)&ev->g, ne * (size_t)ev->dp, sizeof(float)) ||
      !grow((void **)&ev->proj, nproj, sizeof(float)) ||
      !grow((void **)&ev->bblk, nth * ev->s_node, sizeof(float)) ||
      !grow((void **)&ev->mblk, nth * ev->s_node, sizeof(float)) ||
      !grow((void **)&ev->ftile, nth * ev->s_tile, sizeof(float)) ||
      !grow((void **)&ev->eblk, nth * blk * d, sizeof(float)) ||
      !grow((void **)&ev->eblk2, nth * blk * d, sizeof(float)) ||
      !grow((void **)&ev->logit, nth * ev->s_logit, sizeof(float)) ||
      !grow((void **)&ev->xblk, nth * 3 * blk, sizeof(float)))
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM,
                            "out of memory for the forward pass (%d nodes, %lld edges)", g->ntotal,
                            (long long)ev->nedges);
  return SYMGNN_OK;
}

/* Run body(ev, arg, block) for every block, in parallel when OpenMP is on.
 * Each thread calls single-threaded BLAS on its own blocks. */
static void for_each_block(symgnn_eval *ev, void (*body)(symgnn_eval *, const void *, int),
                           const void *arg) {
  const int nth = ev->nblocks > 1 ? ev->nthreads : 1;
  const int blas = symgnn_blas_single(nth);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (nth > 1)
  for (int b = 0; b < ev->nblocks; ++b) body(ev, arg, b);
  symgnn_blas_restore(nth, blas);
}

/* g0 of nb displacement rows into g (row stride ldg, padding untouched):
 * the mean over the stored transforms of relu(relu(x O_k W0'^T + b0') W1'^T
 * + b1'). Scratch: xf [3 nb], eblk and eblk2 [nb][width]. */
SYMGNN_HOT static void encode_transforms(const symgnn_eval *ev, int nb, const double *disp,
                                         float *g, int ldg, float *xf, float *eblk, float *eblk2) {
  const int d = ev->width;
  const float inv_k = 1.0f / (float)ev->ntransforms;
  const float *b0 = ev->enc0_b, *b1 = ev->enc1_b;
  for (int e = 0; e < nb; ++e) memset(g + (size_t)e * ldg, 0, (size_t)d * sizeof(float));
  for (int64_t i = 0; i < 3 * (int64_t)nb; ++i) /* edge features are float32, as in the model */
    xf[i] = (float)disp[i];
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
      float *ge = g + (size_t)e * ldg;
#pragma omp simd
      for (int j = 0; j < d; ++j) {
        const float u = v[j] + b1[j];
        ge[j] += u > 0.0f ? inv_k * u : 0.0f;
      }
    }
  }
}

/* Length of a displacement, in double. */
static double edge_length(const double *x) { return sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]); }

/* Haar models: whether a length lies within the table (the model cutoff; an
 * edge built with a strict cutoff test may round to it). */
static int within_table(const symgnn_eval *ev, double r) {
  return r <= ev->haar_table.rmax * (1.0 + 1e-12);
}

/* g0 of nb displacement rows of a haar model into g (row stride ldg): the
 * table at the distance (computed in double), or, in direct mode, the rule's
 * value prepared for that very distance by prepare_direct. */
static void encode_haar(const symgnn_eval *ev, int64_t nb, const double *disp, float *g, int ldg) {
  const int d = ev->width;
  for (int64_t e = 0; e < nb; ++e) {
    const double r = edge_length(disp + 3 * e);
    float *ge = g + (size_t)e * ldg;
    if (!ev->haar_direct) {
      symgnn_haar_table_lookup(&ev->haar_table, r, ge);
      continue;
    }
    int64_t lo = 0, hi = ev->direct_n - 1; /* r is one of direct_r */
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (ev->direct_r[mid] < r)
        lo = mid + 1;
      else
        hi = mid;
    }
    memcpy(ge, ev->direct_g + (size_t)lo * d, (size_t)d * sizeof(float));
  }
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Direct mode: the rule's g0 at every distinct length of n displacement
 * rows, exact for the rule at each length (no table, no interpolation). */
static symgnn_status prepare_direct(symgnn_eval *ev, int64_t n, const double *disp,
                                    symgnn_error *err) {
  const int d = ev->width;
  free(ev->direct_r);
  free(ev->direct_g);
  ev->direct_g = NULL;
  ev->direct_n = 0;
  double *r = ev->direct_r = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
  if (!r) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for direct quadrature");
  for (int64_t e = 0; e < n; ++e) r[e] = edge_length(disp + 3 * e);
  qsort(r, (size_t)n, sizeof(double), cmp_double);
  int64_t m = 0;
  for (int64_t e = 0; e < n; ++e)
    if (m == 0 || r[e] != r[m - 1]) r[m++] = r[e];
  double *h = malloc((size_t)(m > 0 ? m : 1) * d * sizeof(double));
  ev->direct_g = malloc((size_t)(m > 0 ? m : 1) * d * sizeof(float));
  if (!h || !ev->direct_g || m > INT_MAX) {
    free(h);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for direct quadrature");
  }
  const symgnn_encoder_ref enc = symgnn_eval_encoder(ev);
  const symgnn_status st =
      symgnn_haar_means(&enc, ev->haar_direct, (int)m, r, ev->threads_asked, h, NULL, err);
  for (size_t i = 0; st == SYMGNN_OK && i < (size_t)m * d; ++i) ev->direct_g[i] = (float)h[i];
  free(h);
  if (st == SYMGNN_OK) ev->direct_n = m;
  return st;
}

/* Edge encoder for the edges of block b, into the padded edge states. */
static void encode_block(symgnn_eval *ev, const void *unused, int b) {
  (void)unused;
  const int tid = symgnn_thread_id();
  const size_t dblk = ev->s_edge * (size_t)ev->width;
  const int64_t e0 = ev->graph.offsets[ev->blocks[b]], e1 = ev->graph.offsets[ev->blocks[b + 1]];
  float *g = ev->g + (size_t)e0 * ev->dp;
  if (ev->dp > ev->width) /* the padding of the edge state rows stays zero */
    memset(g, 0, (size_t)(e1 - e0) * ev->dp * sizeof(float));
  if (ev->haar) {
    encode_haar(ev, e1 - e0, ev->graph.disp + 3 * e0, g, ev->dp);
    return;
  }
  encode_transforms(ev, (int)(e1 - e0), ev->graph.disp + 3 * e0, g, ev->dp,
                    ev->xblk + (size_t)tid * 3 * ev->s_edge, ev->eblk + (size_t)tid * dblk,
                    ev->eblk2 + (size_t)tid * dblk);
}

/* Haar models: every edge of the graph must lie within the table. */
static symgnn_status check_haar_lengths(const symgnn_eval *ev, symgnn_error *err) {
  for (int t = 0; t < ev->graph.nlocal; ++t)
    for (int64_t e = ev->graph.offsets[t]; e < ev->graph.offsets[t + 1]; ++e) {
      const double r = edge_length(ev->graph.disp + 3 * e);
      if (!within_table(ev, r))
        return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                                "edge %lld into local atom %d is %.9g Angstrom long, beyond the "
                                "model cutoff %.9g Angstrom",
                                (long long)e, t, r, ev->haar_table.rmax);
    }
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_edge_encode(symgnn_eval *ev, int64_t n, const double *disp, float *out,
                                      symgnn_error *err) {
  if (!ev || n < 0 || (n && (!disp || !out)))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "symgnn_eval_edge_encode needs disp and out");
  const int d = ev->width, chunk = 256;
  for (int64_t i = 0; i < 3 * n; ++i)
    if (!isfinite(disp[i]))
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "displacement %lld is not finite",
                              (long long)(i / 3));
  if (ev->haar) {
    symgnn_status st = symgnn_eval_check_table(ev, "symgnn_eval_edge_encode", err);
    if (st != SYMGNN_OK) return st;
    for (int64_t e = 0; e < n; ++e) {
      if (!within_table(ev, edge_length(disp + 3 * e)))
        return symgnn_set_error(err, SYMGNN_ERR_ARG,
                                "displacement %lld is longer than the model cutoff %g",
                                (long long)e, ev->haar_table.rmax);
    }
    if (ev->haar_direct) st = prepare_direct(ev, n, disp, err);
    if (st == SYMGNN_OK) encode_haar(ev, n, disp, out, d);
    return st;
  }
  float *s = malloc((size_t)chunk * (3 + 2 * (size_t)d) * sizeof(float));
  if (!s) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the edge encoder");
  for (int64_t e = 0; e < n; e += chunk) {
    const int nb = n - e < chunk ? (int)(n - e) : chunk;
    encode_transforms(ev, nb, disp + 3 * e, out + (size_t)e * d, d, s, s + 3 * chunk,
                      s + (3 + (size_t)d) * chunk);
  }
  free(s);
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_set_haar_direct(symgnn_eval *ev, int order, symgnn_error *err) {
  if (!ev || !ev->haar)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "direct quadrature needs a haar model");
  if (order < 0 || order > SYMGNN_HAAR_MAX_ORDER)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "direct quadrature order %d outside 0..%d", order,
                            SYMGNN_HAAR_MAX_ORDER);
  ev->haar_direct = order;
  return SYMGNN_OK;
}

symgnn_status symgnn_eval_begin(symgnn_eval *ev, const symgnn_graph_view *graph,
                                symgnn_error *err) {
  int maxdeg = 0;
  symgnn_status st = symgnn_eval_check_table(ev, "symgnn_eval_begin", err);
  if (st != SYMGNN_OK) return st;
  if ((st = symgnn_graph_view_check(graph, ev->nelements, &maxdeg, err)) != SYMGNN_OK) return st;
  ev->graph = *graph;
  ev->nedges = graph->offsets[graph->nlocal];
  ev->next_layer = -1;
  if ((st = reserve(ev, graph, maxdeg, err)) != SYMGNN_OK) return st;
  if (ev->haar && (st = check_haar_lengths(ev, err)) != SYMGNN_OK) return st;
  const int d = ev->width;
  for (int i = 0; i < graph->ntotal; ++i)
    memcpy(ev->h + (size_t)i * d, ev->node_table + (size_t)graph->species[i] * d,
           (size_t)d * sizeof(float));
  if (ev->haar && ev->haar_direct &&
      (st = prepare_direct(ev, ev->nedges, graph->disp, err)) != SYMGNN_OK)
    return st;
  for_each_block(ev, encode_block, NULL);
  ev->next_layer = 0;
  return SYMGNN_OK;
}

/* Scratch of one thread for one block. */
typedef struct {
  float *logit; /* [heads][block edges]: logits, then attention weights */
  float *bblk;  /* destination terms b_t + bias, rows t - t0 */
  float *mblk;  /* messages, rows t - t0 */
  float *ftile; /* edge-kernel scratch of one tile */
} block_scratch;

/* Edge kernels over the block's edges, in tiles of SYMGNN_TILE_EDGES (the
 * last one padded by repeating its last edge): activations, logits into
 * sc->logit (head-major, so each destination's logits of one head are
 * contiguous) and the residual edge update. */
static void edges_block(const symgnn_eval *ev, const symgnn_eval_layer_w *w, int t0, int t1,
                        const block_scratch *sc) {
  const int64_t *off = ev->graph.offsets;
  const int64_t e0 = off[t0], nb = off[t1] - e0;
  const size_t ps = 2 * (size_t)w->hwp, dp = (size_t)ev->dp;
  symgnn_edge_tile tile;
  tile.n = 0;
  for (int t = t0; t < t1; ++t)
    for (int64_t e = off[t]; e < off[t + 1]; ++e) {
      const int i = tile.n++;
      tile.a[i] = ev->proj + (size_t)ev->graph.src[e] * ps;
      tile.b[i] = sc->bblk + (size_t)(t - t0) * w->hwp;
      tile.g[i] = ev->g + (size_t)e * dp;
      tile.logit[i] = sc->logit + (e - e0);
      if (tile.n == SYMGNN_TILE_EDGES || e + 1 == off[t1]) {
        for (int k = tile.n; k < SYMGNN_TILE_EDGES; ++k) {
          tile.a[k] = tile.a[i];
          tile.b[k] = tile.b[i];
          tile.g[k] = tile.g[i];
          tile.logit[k] = tile.logit[i];
        }
        symgnn_edge_tile_run(ev->edge_isa, w, ev->dp, &tile, (size_t)nb, sc->ftile);
        tile.n = 0;
      }
    }
}

/* Per-head softmax over each destination's edges and the aggregated messages
 * m_t = sum_e alpha_e z_s of the destinations [t0, t1) (into mblk). */
SYMGNN_HOT static void aggregate_block(const symgnn_eval *ev, const symgnn_eval_layer_w *w, int t0,
                                       int t1, const block_scratch *sc) {
  const int dp = ev->dp, hwp = w->hwp, H = w->heads;
  const int64_t *off = ev->graph.offsets;
  const int64_t e0 = off[t0], nb = off[t1] - e0;
  const size_t ps = 2 * (size_t)hwp;
  for (int t = t0; t < t1; ++t) {
    const int64_t ea = off[t];
    const int deg = (int)(off[t + 1] - ea);
    float *m = sc->mblk + (size_t)(t - t0) * hwp;
    memset(m, 0, (size_t)hwp * sizeof(float));
    if (deg == 0) continue;
    for (int h = 0; h < H; ++h) symgnn_softmax(sc->logit + h * nb + (ea - e0), deg);
    for (int i = 0; i < deg; ++i) {
      const float *zs = ev->proj + (size_t)ev->graph.src[ea + i] * ps + hwp;
      for (int h = 0; h < H; ++h) {
        const float a = sc->logit[h * nb + (ea - e0) + i];
        float *mh = m + h * dp;
        const float *zh = zs + h * dp;
#pragma omp simd
        for (int k = 0; k < dp; ++k) mh[k] += a * zh[k];
      }
    }
  }
}

/* One block of a message-passing layer: destination terms b = h W_nj^T + bias,
 * the edge kernels (activations, logits, residual edge update; the last
 * layer's edge output is never used and not computed), softmax and messages,
 * then the residual node update of the block's destinations. Blocks touch
 * disjoint destinations and edges, and the source terms were computed before
 * any block ran, so node and edge states are updated in place. */
static void layer_block(symgnn_eval *ev, const void *arg, int b) {
  const symgnn_eval_layer_w *w = arg;
  const int tid = symgnn_thread_id(), d = ev->width, hwp = w->hwp;
  const block_scratch sc = {
      ev->logit + (size_t)tid * ev->s_logit, ev->bblk + (size_t)tid * ev->s_node,
      ev->mblk + (size_t)tid * ev->s_node, ev->ftile + (size_t)tid * ev->s_tile};
  const int t0 = ev->blocks[b], t1 = ev->blocks[b + 1], nt = t1 - t0;
  float *h = ev->h + (size_t)t0 * d;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, hwp, d, 1.0f, h, d,
              w->w_node + 2 * (size_t)hwp * d, d, 0.0f, sc.bblk, hwp);
  for (int t = 0; t < nt; ++t)
    for (int k = 0; k < hwp; ++k) sc.bblk[(size_t)t * hwp + k] += w->bias[k];
  edges_block(ev, w, t0, t1, &sc);
  aggregate_block(ev, w, t0, t1, &sc);
  int merged = hwp;
  if (w->last) { /* mean over heads, in place in the first `d` columns of each row */
    merged = d;
    for (int t = 0; t < nt; ++t) {
      float *m = sc.mblk + (size_t)t * hwp;
      for (int k = 0; k < d; ++k) {
        float s = 0.0f;
        for (int q = 0; q < w->heads; ++q) s += m[q * ev->dp + k];
        m[k] = s / (float)w->heads;
      }
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, d, merged, 1.0f, sc.mblk, hwp, w->pn_w,
              merged, 1.0f, h, d);
  for (int t = 0; t < nt; ++t)
    for (int j = 0; j < d; ++j) h[(size_t)t * d + j] += w->pn_b[j];
}

symgnn_status symgnn_eval_layer(symgnn_eval *ev, int layer, symgnn_error *err) {
  if (layer != ev->next_layer || layer < 0 || layer >= ev->nlayers)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "layer %d called out of order (expected %d)",
                            layer, ev->next_layer);
  const symgnn_eval_layer_w *w = &ev->layer[layer];
  const int d = ev->width, hwp = w->hwp;
  /* source terms a and values z of every node, ghosts included */
  symgnn_sgemm_rows(ev->nthreads, 1, ev->graph.ntotal, 2 * hwp, d, ev->h, d, w->w_node, d, 0.0f,
                    ev->proj, 2 * hwp);
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
    symgnn_sgemm_rows(ev->nthreads, 1, nl, d, d, x, d, ev->dec_w[k], d, 0.0f, y, d);
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
