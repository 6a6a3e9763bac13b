/* Standalone graph builder: periodic cutoff graph with a cell list, for the
 * trainer and the command-line tools (LAMMPS builds its graph from its own
 * neighbor lists). */
#include "symgnn_cell.h"
#include "symgnn_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct symgnn_graph {
  int natoms;
  int *species;
  int64_t *offsets;
  int *src;
  double *disp;
  int64_t nedges, cap;
};

/* Growable edge storage of one graph. */
static int reserve(struct symgnn_graph *g, int64_t need) {
  if (need <= g->cap) return 1;
  int64_t cap = g->cap ? g->cap : 1024;
  while (cap < need) cap *= 2;
  int *s = realloc(g->src, (size_t)cap * sizeof(int));
  if (!s) return 0;
  g->src = s;
  double *d = realloc(g->disp, (size_t)cap * 3 * sizeof(double));
  if (!d) return 0;
  g->disp = d;
  g->cap = cap;
  return 1;
}

/* Per-edge sort key within one destination: source index, then image. */
typedef struct {
  int src;
  int t[3];
  double d[3];
} edge_rec;

static int cmp_edge(const void *pa, const void *pb) {
  const edge_rec *a = pa, *b = pb;
  if (a->src != b->src) return a->src < b->src ? -1 : 1;
  for (int k = 0; k < 3; ++k)
    if (a->t[k] != b->t[k]) return a->t[k] < b->t[k] ? -1 : 1;
  return 0;
}

/* Cell-list geometry of one build. */
typedef struct {
  int natoms;
  int nc[3], reach[3];
  int *head, *next; /* linked lists of atoms per cell */
  int (*cell)[3];   /* cell coordinates of each atom */
  int (*image)[3];  /* integer lattice image of each input position */
} cells;

static void cells_free(cells *c) {
  free(c->head);
  free(c->next);
  free(c->cell);
  free(c->image);
}

/* Bin atoms by fractional coordinates. Cells are at least one cutoff thick
 * where the box allows; `reach` is how many cells a cutoff can span, which is
 * more than one only for boxes thinner than the cutoff. */
static symgnn_status cells_build(cells *c, int n, const double *pos, const double L[9],
                                 const double inv[9], double volume, double rc, symgnn_error *err) {
  memset(c, 0, sizeof *c);
  c->natoms = n;
  symgnn_cell_counts(L, volume, rc, n, c->nc);
  for (int a = 0; a < 3; ++a) {
    const double w = symgnn_plane_spacing(L, a, volume);
    const double r = ceil(rc * c->nc[a] / w * (1.0 + 1e-12));
    if (r > 1.0e4)
      return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                              "box thickness %g A along lattice vector %d is too small for "
                              "cutoff %g A (more than 10000 periodic images)",
                              w, a + 1, rc);
    c->reach[a] = (int)r;
  }
  const int64_t ncell = (int64_t)c->nc[0] * c->nc[1] * c->nc[2];
  c->head = malloc((size_t)ncell * sizeof(int));
  c->next = malloc((size_t)n * sizeof(int));
  c->cell = malloc((size_t)n * sizeof *c->cell);
  c->image = malloc((size_t)n * sizeof *c->image);
  if (!c->head || !c->next || !c->cell || !c->image) {
    cells_free(c);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory for the cell list");
  }
  for (int64_t k = 0; k < ncell; ++k) c->head[k] = -1;
  for (int i = n - 1; i >= 0; --i) {
    const double *r = pos + 3 * i;
    int idx[3];
    for (int a = 0; a < 3; ++a) {
      const double f = r[0] * inv[a] + r[1] * inv[3 + a] + r[2] * inv[6 + a];
      const double fl = floor(f);
      if (!(fabs(fl) <= SYMGNN_MAX_COORDINATE)) { /* image numbers must fit an int */
        cells_free(c);
        return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                                "atom %d lies %g cell lengths from the origin along lattice "
                                "vector %d (at most %g)",
                                i + 1, fl, a + 1, SYMGNN_MAX_COORDINATE);
      }
      c->image[i][a] = (int)fl;
      int k = (int)floor((f - fl) * c->nc[a]);
      if (k >= c->nc[a]) k = c->nc[a] - 1;
      if (k < 0) k = 0;
      idx[a] = k;
      c->cell[i][a] = k;
    }
    const int64_t lin = ((int64_t)idx[0] * c->nc[1] + idx[1]) * c->nc[2] + idx[2];
    c->next[i] = c->head[lin];
    c->head[lin] = i;
  }
  return SYMGNN_OK;
}

/* Validate the inputs of a build with specific messages. */
static symgnn_status check_input(int n, const double *pos, const double L[9], const int *species,
                                 double rc, double *det, double inv[9], symgnn_error *err) {
  if (n < 1 || !pos || !L || !species)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "graph needs at least one atom (got %d)", n);
  if (!(rc > 0.0) || !isfinite(rc))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "cutoff %g is not a positive number", rc);
  for (int k = 0; k < 9; ++k)
    if (!(fabs(L[k]) <= SYMGNN_MAX_COORDINATE))
      return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                              "lattice entry %d is %g: not finite or beyond %g A in magnitude",
                              k + 1, L[k], SYMGNN_MAX_COORDINATE);
  *det = symgnn_lattice_inverse(L, inv);
  double scale = 0.0;
  for (int a = 0; a < 3; ++a)
    scale = fmax(scale, sqrt(L[3 * a] * L[3 * a] + L[3 * a + 1] * L[3 * a + 1] +
                             L[3 * a + 2] * L[3 * a + 2]));
  if (!(fabs(*det) > 1e-9 * scale * scale * scale))
    return symgnn_set_error(err, SYMGNN_ERR_GRAPH, "lattice vectors are degenerate (volume %g A^3)",
                            *det);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k)
      if (!(fabs(pos[3 * i + k]) <= SYMGNN_MAX_COORDINATE))
        return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                                "atom %d: coordinate %c = %g is not finite or beyond %g A in "
                                "magnitude",
                                i + 1, "xyz"[k], pos[3 * i + k], SYMGNN_MAX_COORDINATE);
    if (species[i] < 0)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "atom %d has invalid species index %d", i + 1,
                              species[i]);
  }
  return SYMGNN_OK;
}

/* The coincident-atom error: atoms i and j (0-based; j == i for an image of
 * the atom itself) at distance r. */
static symgnn_status too_close(int i, int j, double r, symgnn_error *err) {
  if (i == j)
    return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                            "atom %d is %.3g A from its own periodic image, closer than the "
                            "minimum distance of %g A",
                            i + 1, r, SYMGNN_MIN_DISTANCE);
  return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                          "atoms %d and %d are %.3g A apart, closer than the minimum distance of "
                          "%g A (coincident or duplicated atoms)",
                          (i < j ? i : j) + 1, (i < j ? j : i) + 1, r, SYMGNN_MIN_DISTANCE);
}

/* Collect all periodic images of all atoms within the cutoff of destination i,
 * refusing any closer than the minimum distance but the self-loop. */
static symgnn_status gather_edges(const cells *c, int i, const double *pos, const double L[9],
                                  double rc2, edge_rec **buf, size_t *bufcap, size_t *count,
                                  symgnn_error *err) {
  *count = 0;
  const int *ci = c->cell[i];
  for (int o0 = -c->reach[0]; o0 <= c->reach[0]; ++o0)
    for (int o1 = -c->reach[1]; o1 <= c->reach[1]; ++o1)
      for (int o2 = -c->reach[2]; o2 <= c->reach[2]; ++o2) {
        const int off[3] = {o0, o1, o2};
        int wc[3], s[3];
        for (int a = 0; a < 3; ++a) {
          const int u = ci[a] + off[a];
          s[a] = (int)floor((double)u / c->nc[a]);
          wc[a] = u - s[a] * c->nc[a];
        }
        const int64_t lin = ((int64_t)wc[0] * c->nc[1] + wc[1]) * c->nc[2] + wc[2];
        for (int j = c->head[lin]; j >= 0; j = c->next[j]) {
          /* image t of j: r_j + t.L, with t = k_i - k_j + s; d = r_i - r_j - t.L */
          int t[3];
          double d[3];
          for (int a = 0; a < 3; ++a) t[a] = c->image[i][a] - c->image[j][a] + s[a];
          for (int k = 0; k < 3; ++k)
            d[k] = (pos[3 * i + k] - pos[3 * j + k]) -
                   (t[0] * L[k] + t[1] * L[3 + k] + t[2] * L[6 + k]);
          const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
          if (!(r2 < rc2)) continue;
          if (r2 < SYMGNN_MIN_DISTANCE * SYMGNN_MIN_DISTANCE &&
              (j != i || t[0] != 0 || t[1] != 0 || t[2] != 0))
            return too_close(i, j, sqrt(r2), err);
          if (*count == *bufcap) {
            const size_t nc = *bufcap ? 2 * *bufcap : 64;
            edge_rec *nb = realloc(*buf, nc * sizeof *nb);
            if (!nb)
              return symgnn_set_error(err, SYMGNN_ERR_NOMEM,
                                      "out of memory building the graph of %d atoms", c->natoms);
            *buf = nb;
            *bufcap = nc;
          }
          edge_rec *e = &(*buf)[(*count)++];
          e->src = j;
          memcpy(e->t, t, sizeof t);
          memcpy(e->d, d, sizeof d);
        }
      }
  return SYMGNN_OK;
}

symgnn_status symgnn_graph_build(int n, const double *pos, const double L[9], const int *species,
                                 double rc, symgnn_graph **out, symgnn_error *err) {
  *out = NULL;
  double det = 0.0, inv[9] = {0};
  symgnn_status st = check_input(n, pos, L, species, rc, &det, inv, err);
  if (st != SYMGNN_OK) return st;
  cells c;
  if ((st = cells_build(&c, n, pos, L, inv, fabs(det), rc, err)) != SYMGNN_OK) return st;
  struct symgnn_graph *g = calloc(1, sizeof *g);
  edge_rec *buf = NULL;
  size_t bufcap = 0, cnt = 0;
  if (!g || !(g->species = malloc((size_t)n * sizeof(int))) ||
      !(g->offsets = malloc((size_t)(n + 1) * sizeof(int64_t))) || !reserve(g, (int64_t)n * 40))
    goto nomem;
  memcpy(g->species, species, (size_t)n * sizeof(int));
  g->natoms = n;
  g->offsets[0] = 0;
  for (int i = 0; i < n; ++i) {
    if ((st = gather_edges(&c, i, pos, L, rc * rc, &buf, &bufcap, &cnt, err)) != SYMGNN_OK) {
      free(buf);
      cells_free(&c);
      symgnn_graph_free(g);
      return st;
    }
    qsort(buf, cnt, sizeof *buf, cmp_edge);
    if (!reserve(g, g->nedges + (int64_t)cnt)) goto nomem;
    for (size_t k = 0; k < cnt; ++k) {
      g->src[g->nedges] = buf[k].src;
      memcpy(g->disp + 3 * g->nedges, buf[k].d, sizeof buf[k].d);
      ++g->nedges;
    }
    g->offsets[i + 1] = g->nedges;
  }
  free(buf);
  cells_free(&c);
  *out = g;
  return SYMGNN_OK;
nomem:
  free(buf);
  cells_free(&c);
  symgnn_graph_free(g);
  return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory building the graph of %d atoms", n);
}

void symgnn_graph_free(symgnn_graph *g) {
  if (!g) return;
  free(g->species);
  free(g->offsets);
  free(g->src);
  free(g->disp);
  free(g);
}

symgnn_graph_view symgnn_graph_get_view(const symgnn_graph *g) {
  return (symgnn_graph_view){g->natoms, g->natoms, g->species, g->offsets, g->src, g->disp};
}

int64_t symgnn_graph_nedges(const symgnn_graph *g) { return g->nedges; }

symgnn_status symgnn_graph_view_check(const symgnn_graph_view *g, int nelements, int *maxdeg_out,
                                      symgnn_error *err) {
  int dummy = 0;
  int *maxdeg = maxdeg_out ? maxdeg_out : &dummy;
  if (!g || g->nlocal < 0 || g->ntotal < g->nlocal || !g->offsets ||
      (g->ntotal > 0 && !g->species) || (g->nlocal > 0 && (!g->src || !g->disp)))
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "invalid graph (nlocal %d, ntotal %d)",
                            g ? g->nlocal : -1, g ? g->ntotal : -1);
  if (g->offsets[0] != 0)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "graph offsets must start at 0");
  *maxdeg = 0;
  for (int t = 0; t < g->nlocal; ++t) {
    const int64_t deg = g->offsets[t + 1] - g->offsets[t];
    if (deg < 1)
      return symgnn_set_error(err, SYMGNN_ERR_ARG,
                              "node %d has no incoming edge (its self-loop is required)", t);
    if (deg > INT32_MAX / 4)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "node %d has too many edges", t);
    if (deg > *maxdeg) *maxdeg = (int)deg;
  }
  for (int i = 0; i < g->ntotal; ++i)
    if (g->species[i] < 0 || g->species[i] >= nelements)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "node %d has species %d, model has %d elements",
                              i, g->species[i], nelements);
  const int64_t ne = g->offsets[g->nlocal];
  if (ne > INT32_MAX)
    return symgnn_set_error(err, SYMGNN_ERR_ARG, "%lld edges exceed the per-call limit of %d",
                            (long long)ne, INT32_MAX);
  for (int64_t e = 0; e < ne; ++e) {
    if (g->src[e] < 0 || g->src[e] >= g->ntotal)
      return symgnn_set_error(err, SYMGNN_ERR_ARG, "edge %lld has source %d outside 0..%d",
                              (long long)e, g->src[e], g->ntotal - 1);
    for (int k = 0; k < 3; ++k)
      if (!isfinite(g->disp[3 * e + k]))
        return symgnn_set_error(err, SYMGNN_ERR_NONFINITE,
                                "edge %lld has a non-finite displacement", (long long)e);
  }
  /* Coincident atoms: any edge but a self-loop (its own node, zero length)
   * shorter than the minimum distance. Nodes count from 0 here; the caller
   * knows which atom each node is. */
  for (int t = 0; t < g->nlocal; ++t)
    for (int64_t e = g->offsets[t]; e < g->offsets[t + 1]; ++e) {
      const double *d = g->disp + 3 * e;
      const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      if (r2 < SYMGNN_MIN_DISTANCE * SYMGNN_MIN_DISTANCE && !(g->src[e] == t && r2 == 0.0))
        return symgnn_set_error(err, SYMGNN_ERR_GRAPH,
                                "nodes %d and %d are %.3g A apart, closer than the minimum "
                                "distance of %g A (coincident or duplicated atoms)",
                                t, g->src[e], sqrt(r2), SYMGNN_MIN_DISTANCE);
    }
  return SYMGNN_OK;
}
