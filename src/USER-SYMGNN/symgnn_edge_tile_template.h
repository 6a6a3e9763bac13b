/* Internal: template of the edge-tile kernel, included by symgnn_edge_kernels.c once
 * per instruction set. Parameters (undefined again at the end):
 *   EK_NAME    name of the kernel function
 *   EK_TARGET  its function attribute (instruction set), may be empty
 *   EK_VL      floats per vector (4, 8 or 16)
 *   EK_TILE    edges per register tile
 * Accumulator rows hold 2 vectors (32 columns) with 16-lane vectors and
 * 16/VL vectors (16 columns) otherwise. The kernel runs the edges
 * [i0, i0 + EK_TILE) of the tile: activations and logits of every head, then
 * the residual edge update (see the header). */
#define EK_CAT_(a, b) a##b
#define EK_CAT(a, b) EK_CAT_(a, b)
#define VL EK_VL
#define VT EK_CAT(v, EK_VL)
#define VLOAD EK_CAT(load, EK_VL)
#define VSTORE EK_CAT(store, EK_VL)
#define VLEAKY EK_CAT(leaky, EK_VL)
#define VHSUM EK_CAT(hsum, EK_VL)
#define TILE EK_TILE
#define PANEL (EK_TILE * 16)
#define NC (EK_VL == 16 ? 2 : 16 / EK_VL) /* vectors per accumulator row */
#define CW (NC * EK_VL)                   /* columns per chunk; dp is a multiple of 16 */

EK_TARGET static void EK_NAME(const symgnn_eval_layer_w *w, int dp, const symgnn_edge_tile *tl,
                              int i0, size_t stride, float *scratch) {
  const float *const *A = tl->a + i0, *const *B = tl->b + i0;
  float *const *G = tl->g + i0;
  float *const *LG = tl->logit + i0;
  const int nv = tl->n - i0 < TILE ? tl->n - i0 : TILE; /* valid edges here */
  float *fp = scratch, *gp = scratch + (size_t)w->hwp * TILE;
  for (int j = 0; j < dp; j += VL)
    for (int i = 0; i < TILE; ++i) VSTORE(PANEL_AT(gp, j, i), VLOAD(G[i] + j));
  for (int h = 0; h < w->heads; ++h) {
    int c0 = h * dp; /* activations, CW columns at a time, a last 16 if CW does not divide dp */
    while (c0 + CW <= (h + 1) * dp) HEAD_CHUNK(NC);
    if (c0 < (h + 1) * dp) HEAD_CHUNK(16 / VL);
    VT part[TILE];
    for (int i = 0; i < TILE; ++i) part[i] = (VT){0.0f};
    for (int c = h * dp; c < (h + 1) * dp; c += VL) {
      const VT at = VLOAD(w->attn + c);
      for (int i = 0; i < TILE; ++i) part[i] += VLOAD(PANEL_AT(fp, c, i)) * at;
    }
    for (int i = 0; i < nv; ++i) LG[i][(size_t)h * stride] = VHSUM(part[i]);
  }
  if (w->last) return;
  int j = 0; /* residual edge update, CW output columns at a time */
  while (j + CW <= dp) UPDATE_CHUNK(NC);
  if (j < dp) UPDATE_CHUNK(16 / VL);
}

#undef EK_CAT_
#undef EK_CAT
#undef VL
#undef VT
#undef VLOAD
#undef VSTORE
#undef VLEAKY
#undef VHSUM
#undef TILE
#undef PANEL
#undef NC
#undef CW
#undef EK_NAME
#undef EK_TARGET
#undef EK_VL
#undef EK_TILE
