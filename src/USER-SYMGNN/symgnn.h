/* USER-SYMGNN public C API: SymGNN energy-barrier model (Li et al., ICML 2024).
 * Part of USER-SYMGNN, a LAMMPS package; GPL-2.0 (see README.md).
 *
 * Plain C11, no globals, thread-safe for distinct objects. Objects are opaque
 * handles created by *_create / *_read / *_build and released by the matching
 * *_free (which accepts NULL). Every fallible call returns a symgnn_status and,
 * when it fails, fills a caller-owned symgnn_error with a specific message (the
 * error argument may be NULL when the caller does not care); its [out]
 * arguments are then left unset (handles: NULL).
 *
 * Conventions in the comments: [in] read only, [out] written by the call,
 * [in,out] both. Pointers returned by getters are owned by the object and
 * valid while it lives, unless a comment says otherwise. Lengths and shapes
 * are given in elements; matrices are row-major. Units: Angstrom and eV.
 * Libraries built on the core (trainer kernels, tools) also use symgnn_ext.h
 * (doc/architecture.md). */
#ifndef SYMGNN_H
#define SYMGNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of this API, exported from shared builds (liblammps, plugins). */
#if defined(__GNUC__)
#define SYMGNN_API __attribute__((visibility("default")))
#else
#define SYMGNN_API
#endif

/* Version of the headers; symgnn_version() gives the library's at run time. */
#define SYMGNN_VERSION_MAJOR 0
#define SYMGNN_VERSION_MINOR 1
#define SYMGNN_VERSION_PATCH 0
#define SYMGNN_VERSION_STRING "0.1.0"
#define SYMGNN_API_VERSION 1
#define SYMGNN_MAX_LAYERS 16
#define SYMGNN_MAX_ELEMENTS 16
#define SYMGNN_NAME_LEN 16                   /* element names incl. terminating NUL */
#define SYMGNN_LABEL_RANGE_KEY "label_range" /* provenance key of the training label range */
/* Input rules of symgnn_graph_build and symgnn_graph_view_check, so that the
 * tools and the LAMMPS compute refuse the same inputs. Two distinct atoms (or
 * an atom and an image) closer than SYMGNN_MIN_DISTANCE Angstrom are refused
 * as coincident: every chemical bond is longer (H2: 0.74 A; metals > 2 A). A
 * position or lattice entry beyond SYMGNN_MAX_COORDINATE Angstrom in magnitude
 * is refused: up to there double precision keeps displacements exact to
 * about 1e-7 A (1e9 x 2^-53). */
#define SYMGNN_MIN_DISTANCE 0.5
#define SYMGNN_MAX_COORDINATE 1e9

typedef enum {
  SYMGNN_OK = 0,
  SYMGNN_ERR_ARG,       /* invalid argument from the caller */
  SYMGNN_ERR_NOMEM,     /* allocation failed */
  SYMGNN_ERR_IO,        /* file could not be opened, read or written */
  SYMGNN_ERR_MAGIC,     /* not a SymGNN model file */
  SYMGNN_ERR_VERSION,   /* model file format newer than this library */
  SYMGNN_ERR_TRUNC,     /* file ends early */
  SYMGNN_ERR_CHECKSUM,  /* stored checksum does not match the contents */
  SYMGNN_ERR_FORMAT,    /* inconsistent sizes or invalid metadata */
  SYMGNN_ERR_NONFINITE, /* a NaN or infinite weight or value */
  SYMGNN_ERR_GRAPH      /* graph cannot be built (bad box, bad coordinates) */
} symgnn_status;

/* Error report filled by failing calls; owned by the caller. */
typedef struct {
  symgnn_status code;
  char message[512];
} symgnn_error;

/* Version of the library linked at run time, "MAJOR.MINOR.PATCH" (static
 * string); [out] major, minor, patch may each be NULL. Compare with
 * SYMGNN_VERSION_STRING to detect a header/library mismatch. */
SYMGNN_API const char *symgnn_version(int *major, int *minor, int *patch);

/* Short name of a status code ("SYMGNN_ERR_TRUNC", ...); static string,
 * "SYMGNN_ERR_UNKNOWN" for a value outside the enum. */
SYMGNN_API const char *symgnn_status_name(symgnn_status code);

/* ------------------------------------------------------------------ model */

typedef struct symgnn_model symgnn_model;

/* Architecture of a model; all fields are needed to size the parameters. */
typedef struct {
  int nelements;                                       /* number of species (embedding rows) */
  char elements[SYMGNN_MAX_ELEMENTS][SYMGNN_NAME_LEN]; /* names in model order */
  double cutoff;                                       /* graph cutoff in Angstrom (strict <) */
  int width;                                           /* embedding width d (32 in the paper) */
  int nlayers;                                         /* message-passing layers (4) */
  int heads[SYMGNN_MAX_LAYERS];                        /* attention heads per layer (8,4,2,1) */
  int decoder_depth; /* Linear+BN+PReLU blocks before the output (4) */
} symgnn_arch;

/* [out] arch: the paper's defaults (cutoff 5, width 32, heads 8,4,2,1,
 * decoder depth 4) for [in] names[nelements] (1..SYMGNN_MAX_ELEMENTS names,
 * each shorter than SYMGNN_NAME_LEN; longer ones are truncated). */
SYMGNN_API void symgnn_arch_default(symgnn_arch *arch, int nelements, const char *const *names);

/* How the edge encoder phi is made invariant under O(3) (model format v2). */
typedef enum {
  SYMGNN_SYMM_TRANSFORMS = 0, /* g0 = mean of phi(x O_k) over K stored transforms */
  SYMGNN_SYMM_HAAR = 1        /* g0 = average of phi(x O) over all of O(3) (Haar measure):
                                 a function of |x| alone, tabulated at evaluation */
} symgnn_symmetrization;

/* Create a model. [in] arch; [in] transforms[ntransforms][9]: K
 * symmetrization transforms (row-major 3x3, applied to row vectors on the
 * right: x' = x O; copied), or ntransforms 0 and transforms NULL for the exact
 * O(3) average (haar); [in] seed: weights drawn with PyTorch's default
 * distributions; [out] out: the new model, freed with symgnn_model_free. */
SYMGNN_API symgnn_status symgnn_model_create(const symgnn_arch *arch, int ntransforms,
                                             const double *transforms, uint64_t seed,
                                             symgnn_model **out, symgnn_error *err);
/* Release a model (NULL is ignored). */
SYMGNN_API void symgnn_model_free(symgnn_model *model);

/* Read a model file (format v1 or v2, doc/model-format.md). [in] path;
 * [out] out: the model, freed with symgnn_model_free. Every malformed file is
 * rejected with a specific error; nothing is read out of bounds. */
SYMGNN_API symgnn_status symgnn_model_read(const char *path, symgnn_model **out, symgnn_error *err);
/* Same, from [in] data[size] bytes of a model file (e.g. after an MPI
 * broadcast); the buffer is not kept. */
SYMGNN_API symgnn_status symgnn_model_read_buffer(const void *data, size_t size, symgnn_model **out,
                                                  symgnn_error *err);
/* Write [in] model to [in] path (format v2) atomically: a unique temporary
 * in the same directory, then rename; on failure an existing file is kept. */
SYMGNN_API symgnn_status symgnn_model_write(const symgnn_model *model, const char *path,
                                            symgnn_error *err);

/* Architecture of a model (owned by the model). */
SYMGNN_API const symgnn_arch *symgnn_model_arch(const symgnn_model *model);
SYMGNN_API symgnn_symmetrization symgnn_model_symmetrization(const symgnn_model *model);
/* Stored transforms: K, and K x 9 values owned by the model (0 and NULL for
 * a haar model). */
SYMGNN_API int symgnn_model_ntransforms(const symgnn_model *model);
SYMGNN_API const double *symgnn_model_transforms(const symgnn_model *model);
/* Units of positions and output (owned by the model): "metal" (Angstrom, eV). */
SYMGNN_API const char *symgnn_model_units(const symgnn_model *model);
/* Label normalization z = (EB - mean) / std (the network predicts z):
 * [out] mean, std; the setter stores its arguments unchecked. */
SYMGNN_API void symgnn_model_label_norm(const symgnn_model *model, double *mean, double *std);
SYMGNN_API void symgnn_model_set_label_norm(symgnn_model *model, double mean, double std);
/* Element index (0..nelements-1) of [in] name, or -1 when the model does
 * not know it. */
SYMGNN_API int symgnn_model_element_index(const symgnn_model *model, const char *name);

/* Provenance: free-form key/value text pairs (training data, seed, steps,
 * ...); entries 0..n-1, strings owned by the model (NULL for i out of range). */
SYMGNN_API int symgnn_model_nprovenance(const symgnn_model *model);
SYMGNN_API const char *symgnn_model_provenance_key(const symgnn_model *model, int i);
SYMGNN_API const char *symgnn_model_provenance_value(const symgnn_model *model, int i);
/* Set (or replace) the entry of [in] key with [in] value (both copied). */
SYMGNN_API symgnn_status symgnn_model_set_provenance(symgnn_model *model, const char *key,
                                                     const char *value, symgnn_error *err);

/* The range of the training labels (eV), kept in the provenance entry
 * "label_range" as "<min> <max>" (the trainer writes it); the compute warns
 * about predictions far outside it. The getter returns 1 and fills [out] lo,
 * hi when the entry holds two finite numbers with lo <= hi, else 0. The
 * setter refuses non-finite values or lo > hi with SYMGNN_ERR_ARG. */
SYMGNN_API int symgnn_model_label_range(const symgnn_model *model, double *lo, double *hi);
SYMGNN_API symgnn_status symgnn_model_set_label_range(symgnn_model *model, double lo, double hi,
                                                      symgnn_error *err);

/* Trainable parameters (nparams floats, order of doc/model-format.md) and
 * BatchNorm running statistics (nstats floats: mean and variance of every
 * BN, in layout order), owned by the model; the non-const getters allow
 * training in place. */
SYMGNN_API size_t symgnn_model_nparams(const symgnn_model *model);
SYMGNN_API float *symgnn_model_params(symgnn_model *model);
SYMGNN_API const float *symgnn_model_params_const(const symgnn_model *model);
SYMGNN_API size_t symgnn_model_nstats(const symgnn_model *model);
SYMGNN_API float *symgnn_model_stats(symgnn_model *model);
SYMGNN_API const float *symgnn_model_stats_const(const symgnn_model *model);
/* Replace the stored transforms by [in] transforms[ntransforms][9] (copied;
 * K may change; the model becomes kind SYMGNN_SYMM_TRANSFORMS). */
SYMGNN_API symgnn_status symgnn_model_set_transforms(symgnn_model *model, int ntransforms,
                                                     const double *transforms, symgnn_error *err);
/* Make the model's symmetrization the exact O(3) average; the stored
 * transforms are dropped. Weights and statistics are left as they are. */
SYMGNN_API void symgnn_model_set_haar(symgnn_model *model);

/* --------------------------------------------------------------- ensemble */

/* An ensemble: M independently trained models (members) of the same
 * elements (same order), cutoff and units. Its prediction is the members'
 * mean and its per-atom uncertainty their spread (doc/model-format.md,
 * section 9). A plain model file reads as an ensemble of one member, so a
 * program that reads ensembles takes either kind of file. */
typedef struct symgnn_ensemble symgnn_ensemble;
/* [in] path: a model or ensemble file; [out] out: freed with
 * symgnn_ensemble_free. Every malformed file, member or mismatch between
 * members is a specific error naming the member. */
SYMGNN_API symgnn_status symgnn_ensemble_read(const char *path, symgnn_ensemble **out,
                                              symgnn_error *err);
/* The same from [in] data[size] in memory. */
SYMGNN_API symgnn_status symgnn_ensemble_read_buffer(const void *data, size_t size,
                                                     symgnn_ensemble **out, symgnn_error *err);
SYMGNN_API void symgnn_ensemble_free(symgnn_ensemble *ens);
/* Number of members (>= 1) and member i (owned by the ensemble; NULL for i
 * out of range). */
SYMGNN_API int symgnn_ensemble_size(const symgnn_ensemble *ens);
SYMGNN_API const symgnn_model *symgnn_ensemble_member(const symgnn_ensemble *ens, int i);
/* Write [in] members[n] (2..64 models that agree as above) as one ensemble
 * file, atomically (temporary file, then rename). */
SYMGNN_API symgnn_status symgnn_ensemble_write(const symgnn_model *const *members, int n,
                                               const char *path, symgnn_error *err);
/* Training label range of the ensemble: the smallest lo and largest hi over
 * the members that record one (symgnn_model_label_range); 0 when none does. */
SYMGNN_API int symgnn_ensemble_label_range(const symgnn_ensemble *ens, double *lo, double *hi);
/* Per-atom mean and spread of [in] preds[m][n] (m = 0..nmembers-1):
 * [out] mean[n] and, when not NULL, std[n], the population standard
 * deviation over the members (0 for one member), accumulated in double. */
SYMGNN_API void symgnn_ensemble_reduce(int nmembers, int64_t n, const double *const *preds,
                                       double *mean, double *std);

/* ------------------------------------------------------------------ graph */

/* A graph in the form both the standalone builder and LAMMPS produce:
 * nodes 0..nlocal-1 are local (they receive predictions), nodes nlocal..ntotal-1
 * are ghosts (periodic or MPI images whose features come from elsewhere).
 * Edges point into local nodes only and are stored in CSR by destination:
 * the edges of destination t are offsets[t] .. offsets[t+1]-1, with source
 * src[e] and displacement disp[3e..3e+2] = r_dst - r_src in Angstrom.
 * Every local node must have at least one edge (its self-loop). */
typedef struct {
  int nlocal;
  int ntotal;
  const int *species;     /* ntotal model element indices */
  const int64_t *offsets; /* nlocal + 1 */
  const int *src;         /* nedges */
  const double *disp;     /* 3 * nedges */
} symgnn_graph_view;

typedef struct symgnn_graph symgnn_graph;

/* Build the cutoff graph of a periodic configuration. [in] positions[natoms][3]
 * (Angstrom); [in] lattice[3][3]: rows are the cell vectors a, b, c (any
 * triclinic cell); [in] species[natoms]: model element indices (copied);
 * [in] cutoff (Angstrom); [out] out: the graph, freed with symgnn_graph_free.
 * Edges are all periodic images j' of every atom with |r_i - r_j'| < cutoff,
 * the self-loop included; boxes thinner than 2 cutoffs give several images
 * of one pair. Uses a cell list: O(N). */
SYMGNN_API symgnn_status symgnn_graph_build(int natoms, const double *positions,
                                            const double lattice[9], const int *species,
                                            double cutoff, symgnn_graph **out, symgnn_error *err);
/* Release a graph (NULL is ignored). */
SYMGNN_API void symgnn_graph_free(symgnn_graph *graph);

/* Spatial order of a configuration's atoms: by the cell of a grid of cells at
 * least [in] cell Angstrom thick, ties in input order; [out] order[natoms]
 * (caller-owned): order[i] is the input index of the i-th atom. Building the
 * graph of atoms in this order keeps neighbours close in memory, which makes
 * the forward and backward passes faster; results per atom are the same. On
 * error order is the identity. [in] positions, lattice as symgnn_graph_build. */
SYMGNN_API symgnn_status symgnn_spatial_order(int natoms, const double *positions,
                                              const double lattice[9], double cell, int *order,
                                              symgnn_error *err);
/* Validate a graph view from any producer (the builder, LAMMPS, trainer
 * batches): CSR offsets, an edge list with at least one edge for every local
 * node, species within 0..nelements-1, sources within the nodes, finite
 * displacements. [in] graph, nelements; [out] maxdeg: the largest in-degree
 * (may be NULL). The forward pass and the trainer call it on every graph. */
SYMGNN_API symgnn_status symgnn_graph_view_check(const symgnn_graph_view *graph, int nelements,
                                                 int *maxdeg, symgnn_error *err);
/* The graph of a configuration with its atoms in spatial order: graph node
 * i is input atom order[i] (symgnn_spatial_order with cells of the cutoff).
 * [in] as symgnn_graph_build; [out] order: natoms ints, caller-owned;
 * [out] out: the graph, freed with symgnn_graph_free. When the graph cannot
 * be built, the error names atoms by their input index (the build is
 * repeated in input order for the message) and *out is NULL. */
SYMGNN_API symgnn_status symgnn_graph_build_spatial(int natoms, const double *positions,
                                                    const double lattice[9], const int *species,
                                                    double cutoff, int *order, symgnn_graph **out,
                                                    symgnn_error *err);
/* View of a built graph: arrays owned by the graph, valid while it lives;
 * ntotal == nlocal (periodic images are edges, not ghost nodes). */
SYMGNN_API symgnn_graph_view symgnn_graph_get_view(const symgnn_graph *graph);
/* Number of edges (self-loops included). */
SYMGNN_API int64_t symgnn_graph_nedges(const symgnn_graph *graph);

/* ---------------------------------------------------------- forward pass */

typedef struct symgnn_eval symgnn_eval;

/* Evaluation context: eval-mode copy of [in] model with BatchNorm folded
 * into the linear layers (the model may be freed afterwards), its haar table
 * for haar models (built here: symgnn_eval_haar_info), and scratch memory
 * reused across calls. [out] out: freed with symgnn_eval_free. One context
 * serves one thread of the caller at a time. */
SYMGNN_API symgnn_status symgnn_eval_create(const symgnn_model *model, symgnn_eval **out,
                                            symgnn_error *err);
/* Flag of symgnn_eval_create_with: leave a haar model's table unbuilt, so
 * that a program with several processes builds it once and shares it
 * (symgnn_eval_haar_build, _export, _import below); until then the context
 * evaluates nothing (SYMGNN_ERR_ARG). No effect on models with transforms. */
#define SYMGNN_EVAL_DEFER_TABLE 1
/* symgnn_eval_create with flags (0: the same as symgnn_eval_create). */
SYMGNN_API symgnn_status symgnn_eval_create_with(const symgnn_model *model, int flags,
                                                 symgnn_eval **out, symgnn_error *err);
/* Release a context (NULL is ignored). */
SYMGNN_API void symgnn_eval_free(symgnn_eval *ev);
/* Free the memory sized by the last graph (node and edge states, scratch;
 * most of an evaluation's memory); the next symgnn_eval_begin or
 * symgnn_predict allocates it again. */
SYMGNN_API void symgnn_eval_release(symgnn_eval *ev);
/* Hand the graph-sized memory of `from` to `to` (whose own is freed first),
 * for programs that evaluate several contexts one after the other (an
 * ensemble's members): they then reuse one set of buffers, where releasing
 * them after every member would allocate them anew, and touch fresh pages,
 * for every member of every evaluation. `from` must begin a new pass before
 * it is used again. NULL or from == to does nothing. */
SYMGNN_API void symgnn_eval_move_scratch(symgnn_eval *from, symgnn_eval *to);
/* Largest number of edges processed at once (memory bound); default 512. */
SYMGNN_API void symgnn_eval_set_block_edges(symgnn_eval *ev, int nedges);
/* Instruction set of the edge kernels, by name: "avx512", "avx2" or
 * "generic". The default is the best the CPU supports; a lower one can be
 * chosen for tests and comparisons, a higher one is never used (the best
 * supported one is kept). SYMGNN_ERR_ARG for an unknown name. The results do
 * not depend on it beyond float rounding. */
SYMGNN_API symgnn_status symgnn_eval_set_isa(symgnn_eval *ev, const char *name, symgnn_error *err);
/* Name of the instruction set in use (static string). */
SYMGNN_API const char *symgnn_eval_isa(const symgnn_eval *ev);

/* Threads of the forward pass (OpenMP; each thread calls single-threaded
 * BLAS); 0, the default, takes OpenMP's default (OMP_NUM_THREADS or all
 * cores). Results do not depend on it beyond float rounding. */
SYMGNN_API void symgnn_eval_set_threads(symgnn_eval *ev, int nthreads);

/* Layer-by-layer steps, so a caller (LAMMPS) can exchange ghost node states
 * between layers:
 *   begin(graph)       - node encoder for all nodes, edge encoder for all edges
 *   for l in 0..nlayers-1:
 *     [caller fills ghost rows of node_state from their owners]
 *     layer(l)         - updates node_state of local nodes
 *   decode(out)        - [out] out[nlocal]: energy barriers in eV (caller-owned)
 * [in] graph: its arrays are not copied and must stay valid until decode
 * returns. */
SYMGNN_API symgnn_status symgnn_eval_begin(symgnn_eval *ev, const symgnn_graph_view *graph,
                                           symgnn_error *err);
SYMGNN_API symgnn_status symgnn_eval_layer(symgnn_eval *ev, int layer, symgnn_error *err);
SYMGNN_API symgnn_status symgnn_eval_decode(symgnn_eval *ev, double *out, symgnn_error *err);
/* [in,out] node states (ntotal x width floats, row-major, owned by the
 * context) between layers: the caller writes the ghost rows. */
SYMGNN_API float *symgnn_eval_node_state(symgnn_eval *ev);
SYMGNN_API int symgnn_eval_width(const symgnn_eval *ev);
SYMGNN_API int symgnn_eval_nlayers(const symgnn_eval *ev);

/* Initial edge states g0 = symmetrized phi of [in] disp[n][3] (Angstrom)
 * into [out] out[n][width] (caller-owned): from the distance table for haar
 * models, from the stored transforms otherwise. */
SYMGNN_API symgnn_status symgnn_eval_edge_encode(symgnn_eval *ev, int64_t n, const double *disp,
                                                 float *out, symgnn_error *err);

/* Haar models: how the table of g0(r) was built at symgnn_eval_create.
 * g0(r) is the average of phi over the sphere of radius r, computed with a
 * product rule (Gauss-Legendre in cos(theta) x uniform azimuth) exactly at
 * every grid distance in [0, cutoff] and interpolated by cubic Hermite
 * polynomials (values and r-derivatives from the same rule). Both errors are
 * measured while building, relative to `scale` = max |g0| over the table
 * (doc/model-format.md, section 8). */
typedef struct {
  int ndist;            /* table distances (nodes, uniform grid) */
  double dr;            /* spacing of the table, Angstrom */
  int order;            /* Gauss-Legendre nodes in cos(theta); 2*order azimuths */
  double scale;         /* max |g0| over the table */
  double quad_error;    /* max |rule - rule of the previous order| over the grid / scale */
  double interp_error;  /* max |interpolated - computed| at every cell midpoint / scale
                           (with the first, cheapest rule of the order ladder) */
  double build_seconds; /* wall time of the build */
} symgnn_haar_table_info;
/* [out] info of the table; SYMGNN_ERR_ARG for a model with stored transforms
 * or a table not built yet. An imported table reports its own build. */
SYMGNN_API symgnn_status symgnn_eval_haar_info(const symgnn_eval *ev, symgnn_haar_table_info *info,
                                               symgnn_error *err);
/* Haar models: build the table now with the context's threads
 * (symgnn_eval_set_threads), replacing any table it has. symgnn_eval_create
 * does this itself; for contexts made with SYMGNN_EVAL_DEFER_TABLE. */
SYMGNN_API symgnn_status symgnn_eval_haar_build(symgnn_eval *ev, symgnn_error *err);
/* The built table as bytes, to hand to a context of the same model in
 * another process of the same program (binary, native byte order): [out]
 * buf[capacity] (may be NULL with capacity 0) and *size, the bytes the table
 * takes. SYMGNN_ERR_ARG without a table or when capacity < *size. */
SYMGNN_API symgnn_status symgnn_eval_haar_export(const symgnn_eval *ev, void *buf, size_t capacity,
                                                 size_t *size, symgnn_error *err);
/* Take a table from symgnn_eval_haar_export of a context of the same model:
 * SYMGNN_ERR_FORMAT names what does not fit this context (width, range,
 * spacing, size), SYMGNN_ERR_NONFINITE a bad value; on error the context
 * keeps the table it had. */
SYMGNN_API symgnn_status symgnn_eval_haar_import(symgnn_eval *ev, const void *buf, size_t size,
                                                 symgnn_error *err);
/* Haar models: g0 of every edge by direct quadrature of the given order
 * (order x 2*order directions) at the edge's own length instead of the
 * table; 0 returns to the table. For verifying the table: the input's
 * distinct lengths are sorted and the rule's exact mean at each follows from
 * one pass over the directions (about 2 order^2 rays per input, whatever the
 * number of edges). SYMGNN_ERR_ARG for order outside 0..2048. */
SYMGNN_API symgnn_status symgnn_eval_set_haar_direct(symgnn_eval *ev, int order, symgnn_error *err);

/* All steps at once for [in] graph without ghosts (ntotal == nlocal):
 * [out] out[nlocal] energy barriers in eV (caller-owned). */
SYMGNN_API symgnn_status symgnn_predict(symgnn_eval *ev, const symgnn_graph_view *graph,
                                        double *out, symgnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
