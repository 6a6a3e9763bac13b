/* ----------------------------------------------------------------------
   LAMMPS - Large-scale Atomic/Molecular Massively Parallel Simulator
   https://www.lammps.org/, Sandia National Laboratories
   LAMMPS development team: developers@lammps.org

   Copyright (2003) Sandia Corporation.  Under the terms of Contract
   DE-AC04-94AL85000 with Sandia Corporation, the U.S. Government retains
   certain rights in this software.  This software is distributed under
   the GNU General Public License.

   See the README file in the top-level LAMMPS directory.
------------------------------------------------------------------------- */

/* ----------------------------------------------------------------------
   Contributing authors: the USER-SYMGNN developers

   The graph is the physical cutoff graph of all atoms of mapped types (the
   group only masks the output). Each rank builds the edges into its owned
   atoms from an occasional full neighbor list; ghost atoms are graph nodes
   whose states are refreshed from their owners by one forward communication
   per message-passing layer, so the ghost range only has to cover one cutoff.
------------------------------------------------------------------------- */

#include "compute_symgnn_eb.h"

#include "atom.h"
#include "citeme.h"
#include "comm.h"
#include "domain.h"
#include "error.h"
#include "fix.h"
#include "force.h"
#include "group.h"
#include "memory.h"
#include "modify.h"
#include "neigh_list.h"
#include "neigh_request.h"
#include "neighbor.h"
#include "pair.h"
#include "platform.h"
#include "update.h"

#include "symgnn.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

using namespace LAMMPS_NS;

static const char cite_symgnn[] =
    "compute symgnn/eb (USER-SYMGNN): doi:10.48550/arXiv.2401.08627\n\n"
    "@inproceedings{Li2024SymGNN,\n"
    " author = {Li, Haoyu and Zhang, Shichang and Tang, Longwen and Bauchy, Mathieu and Sun, "
    "Yizhou},\n"
    " title = {Predicting and Interpreting Energy Barriers of Metallic Glasses with Graph "
    "Neural Networks},\n"
    " booktitle = {Proceedings of the 41st International Conference on Machine Learning},\n"
    " series = {Proceedings of Machine Learning Research},\n"
    " volume = {235},\n"
    " pages = {29373--29389},\n"
    " year = {2024}\n"
    "}\n\n";

namespace {

// One candidate edge into a destination atom, kept until the destination's edges are sorted.
struct Edge {
  tagint tag;     // tag of the source atom
  double d[3];    // destination minus source (Angstrom)
  int node;       // source node
};

// Order of a destination's edges: by source tag, then by displacement. Both are properties of
// the physical configuration, so the order (and with it the floating-point summation order in
// the core) does not depend on the MPI decomposition or on atom sorting.
bool edge_before(const Edge &a, const Edge &b)
{
  if (a.tag != b.tag) return a.tag < b.tag;
  for (int k = 0; k < 3; ++k)
    if (a.d[k] != b.d[k]) return a.d[k] < b.d[k];
  return false;
}

// Keywords that may follow the element names.
const char *const keywords[] = {"block", "threads", "duplicates", "uncertainty"};

bool is_keyword(const char *word)
{
  for (const char *k : keywords)
    if (strcmp(word, k) == 0) return true;
  return false;
}

// First ids reported in the warning about atoms without a neighbour.
constexpr int NFIRST_IDS = 5;

// Outcome of reading the model file on rank 0, broadcast with its size.
enum ReadStatus : bigint { READ_NOT_FOUND = -1, READ_FAILED = -2 };

// Internal fix of the compute: computes have no end-of-run hook, so each compute symgnn/eb
// creates one of these (fix ID group SYMGNN/EB/REPORT compute-ID). It has no per-step work;
// LAMMPS calls init() and post_run() of every fix at the start and the end of each run or
// minimization, and the fix passes them on to the compute, which logs its cost.
class FixSymGNNEBReport : public Fix {
 public:
  static constexpr const char *style_name = "SYMGNN/EB/REPORT";

  FixSymGNNEBReport(LAMMPS *lmp, int narg, char **arg) : Fix(lmp, narg, arg)
  {
    if (narg != 4)
      error->all(FLERR, "Illegal fix {} command: it is internal to compute symgnn/eb", style);
    id_compute = arg[3];
  }
  int setmask() override { return 0; }
  void init() override { owner()->run_started(); }
  void post_run() override { owner()->run_ended(); }

  // Registered in LAMMPS' fix factory by the compute, as the plugin loader registers styles.
  static Fix *creator(LAMMPS *lmp, int narg, char **arg)
  {
    return new FixSymGNNEBReport(lmp, narg, arg);
  }

 private:
  std::string id_compute;

  // The compute this fix reports for.
  ComputeSymGNNEB *owner()
  {
    auto *compute = dynamic_cast<ComputeSymGNNEB *>(modify->get_compute_by_id(id_compute));
    if (!compute) error->all(FLERR, "Fix {} cannot find compute symgnn/eb {}", id, id_compute);
    return compute;
  }
};

}    // namespace

/* ---------------------------------------------------------------------- */

ComputeSymGNNEB::ComputeSymGNNEB(LAMMPS *lmp, int narg, char **arg) :
    Compute(lmp, narg, arg), ensemble(nullptr), model(nullptr), member(0), uncertainty(false),
    cutoff(0.0), energy_scale(1.0), nthreads(1), threads_from_lammps(true), list(nullptr), nmax(0),
    eb(nullptr), ebarray(nullptr), null_neighbours(0), last_step(-1), run_calls(0),
    run_seconds(0.0), run_start(0.0), warned_isolated(0), warned_first_id(0), have_range(false),
    range_lo(0.0), range_hi(0.0), range_margin(0.0), warned_range(false), warned_composition(false),
    warned_null(false), range_calls(0), range_max_atoms(0)
{
  if (narg < 5) utils::missing_cmd_args(FLERR, "compute symgnn/eb", error);
  if (lmp->citeme) lmp->citeme->add(cite_symgnn);

  // The model maps Angstrom positions to eV; metal and real both use Angstrom.
  if (strcmp(update->unit_style, "metal") == 0)
    energy_scale = 1.0;
  else if (strcmp(update->unit_style, "real") == 0)
    energy_scale = utils::get_conversion_factor(utils::ENERGY, utils::METAL2REAL);
  else
    error->all(FLERR,
               "Compute symgnn/eb requires units metal or real (the model maps Angstrom "
               "positions to eV); units {} is not supported",
               update->unit_style);
  if (!atom->tag_enable)
    error->all(FLERR, "Compute symgnn/eb requires atom IDs (atom_modify id yes)");

  // The element names are checked against the model, so it is read first.
  read_model(arg[3]);

  // One name per atom type. A word after them that is neither an element of the model nor
  // NULL is taken as a keyword, so a misspelt keyword is reported by its name.
  int iarg = 4;
  std::vector<std::string> names;
  while (iarg < narg && !is_keyword(arg[iarg]) &&
         ((int) names.size() < atom->ntypes || strcmp(arg[iarg], "NULL") == 0 ||
          symgnn_model_element_index(model, arg[iarg]) >= 0))
    names.emplace_back(arg[iarg++]);
  if ((int) names.size() != atom->ntypes) {
    std::string given;
    for (const auto &n : names) given += " " + n;
    error->all(FLERR,
               "Compute symgnn/eb needs one element name (or NULL) per atom type: {} atom types "
               "but {} names given:{}",
               atom->ntypes, names.size(), given.empty() ? " (none)" : given);
  }

  int block_edges = 0;
  bool allow_duplicates = false;
  // value of keyword arg[iarg], a positive count of `what`
  auto positive_count = [&](const char *what) {
    const std::string key = arg[iarg];
    if (iarg + 2 > narg) utils::missing_cmd_args(FLERR, "compute symgnn/eb " + key, error);
    const int value = utils::inumeric(FLERR, arg[iarg + 1], false, lmp);
    if (value < 1)
      error->all(FLERR, "Compute symgnn/eb {} must be a positive {} count, got {}", key, what,
                 arg[iarg + 1]);
    iarg += 2;
    return value;
  };
  while (iarg < narg) {
    if (strcmp(arg[iarg], "block") == 0) {
      block_edges = positive_count("edge");
    } else if (strcmp(arg[iarg], "threads") == 0) {
      nthreads = positive_count("thread");
      threads_from_lammps = false;
    } else if (strcmp(arg[iarg], "duplicates") == 0) {
      if (iarg + 2 > narg) utils::missing_cmd_args(FLERR, "compute symgnn/eb duplicates", error);
      allow_duplicates = utils::logical(FLERR, arg[iarg + 1], false, lmp) == 1;
      iarg += 2;
    } else if (strcmp(arg[iarg], "uncertainty") == 0) {
      if (iarg + 2 > narg) utils::missing_cmd_args(FLERR, "compute symgnn/eb uncertainty", error);
      uncertainty = utils::logical(FLERR, arg[iarg + 1], false, lmp) == 1;
      iarg += 2;
    } else {
      error->all(FLERR,
                 "Unknown compute symgnn/eb keyword: {} (the keywords are block, threads, "
                 "duplicates and uncertainty; it is not an element of model file {} either)",
                 arg[iarg], model_path);
    }
  }
  const int nmembers = symgnn_ensemble_size(ensemble);
  if (uncertainty && nmembers < 2)
    error->all(FLERR,
               "Compute symgnn/eb uncertainty yes needs an ensemble model file (2 or more "
               "members whose spread is the uncertainty); {} holds a single model (build an "
               "ensemble with 'symgnn-model ensemble')",
               model_path);
  // Without the threads keyword, as many threads as LAMMPS uses per MPI rank: comm->nthreads,
  // which LAMMPS sets from OMP_NUM_THREADS (when built with OpenMP) or `package omp`.
  if (threads_from_lammps) nthreads = comm->nthreads;

  parse_elements(names, allow_duplicates);

  create_evaluations(block_edges);

  peratom_flag = 1;
  size_peratom_cols = uncertainty ? 2 : 0;
  scalar_flag = 1;
  extscalar = 0;
  comm_forward = *std::max_element(widths.begin(), widths.end());

  // Out-of-range warning: the training label range, widened by one training-label standard
  // deviation, when the model records it.
  double label_std = 0.0;
  symgnn_model_label_norm(model, nullptr, &label_std);
  have_range = symgnn_ensemble_label_range(ensemble, &range_lo, &range_hi) != 0;
  range_margin = std::fabs(label_std);

  if (comm->me == 0) log_model_and_mapping(names);

  // Computes have no end-of-run hook: an internal fix reports the cost after every run.
  auto &fix_map = *modify->fix_map;
  if (fix_map.find(FixSymGNNEBReport::style_name) == fix_map.end())
    fix_map[FixSymGNNEBReport::style_name] = &FixSymGNNEBReport::creator;
  id_report = std::string(id) + "_SYMGNN_REPORT";
  modify->add_fix(fmt::format("{} {} {} {}", id_report, group->names[igroup],
                              FixSymGNNEBReport::style_name, id));
}

/* ---------------------------------------------------------------------- */

ComputeSymGNNEB::~ComputeSymGNNEB()
{
  // LAMMPS deletes all fixes before the computes at exit; only an uncompute finds it here.
  if (modify->nfix && modify->get_fix_by_id(id_report)) modify->delete_fix(id_report);
  memory->destroy(eb);
  memory->destroy(ebarray);
  for (symgnn_eval *ev : evals) symgnn_eval_free(ev);
  symgnn_ensemble_free(ensemble);
}

/* ----------------------------------------------------------------------
   one evaluation context per member; the haar members' tables are built
   once over all ranks (share_haar_tables)
------------------------------------------------------------------------- */

void ComputeSymGNNEB::create_evaluations(int block_edges)
{
  const int nmembers = symgnn_ensemble_size(ensemble);
  evals.assign(nmembers, nullptr);
  widths.assign(nmembers, 0);
  member_prediction.assign(nmembers, {});
  for (int k = 0; k < nmembers; ++k) {
    symgnn_error err;
    if (symgnn_eval_create_with(symgnn_ensemble_member(ensemble, k), SYMGNN_EVAL_DEFER_TABLE,
                                &evals[k], &err) != SYMGNN_OK)
      error->all(FLERR,
                 "Compute symgnn/eb cannot prepare member {} of model {} for evaluation: {} ({})",
                 k + 1, model_path, err.message, symgnn_status_name(err.code));
    if (block_edges > 0) symgnn_eval_set_block_edges(evals[k], block_edges);
    symgnn_eval_set_threads(evals[k], nthreads);
    widths[k] = symgnn_eval_width(evals[k]);
  }
  share_haar_tables();
}

/* ----------------------------------------------------------------------
   haar members: member k's table is built on rank k % nprocs, all ranks
   building theirs at the same time, then each is broadcast from its
   builder. The bytes do not depend on the rank that builds them, so every
   rank count gives the same tables, and an ensemble costs each rank about
   nmembers / nprocs builds instead of nmembers.
------------------------------------------------------------------------- */

void ComputeSymGNNEB::share_haar_tables()
{
  const int nmembers = (int) evals.size(), nprocs = comm->nprocs;
  std::vector<std::vector<unsigned char>> bytes(nmembers);
  std::vector<symgnn_error> errs(nmembers);
  std::vector<bigint> sizes(nmembers, -1);    // stays -1 when the build fails; errs[k] says why
  std::vector<bool> haar(nmembers);
  for (int k = 0; k < nmembers; ++k) {
    haar[k] = symgnn_model_symmetrization(symgnn_ensemble_member(ensemble, k)) == SYMGNN_SYMM_HAAR;
    if (!haar[k] || k % nprocs != comm->me) continue;
    if (symgnn_eval_haar_build(evals[k], &errs[k]) != SYMGNN_OK) continue;
    sizes[k] = 0;
    if (nprocs == 1) continue;    // nothing to send
    size_t n = 0;
    symgnn_eval_haar_export(evals[k], nullptr, 0, &n, nullptr);    // the size only
    bytes[k].resize(n);
    if (symgnn_eval_haar_export(evals[k], bytes[k].data(), n, &n, &errs[k]) == SYMGNN_OK)
      sizes[k] = (bigint) n;
    else
      sizes[k] = -1;
  }
  for (int k = 0; k < nmembers; ++k) {
    if (!haar[k]) continue;
    const int owner = k % nprocs;
    MPI_Bcast(&sizes[k], 1, MPI_LMP_BIGINT, owner, world);
    if (sizes[k] < 0) {
      MPI_Bcast(&errs[k], (int) sizeof errs[k], MPI_BYTE, owner, world);
      error->all(FLERR,
                 "Compute symgnn/eb cannot build the haar table of member {} of model {}: {} ({})",
                 k + 1, model_path, errs[k].message, symgnn_status_name(errs[k].code));
    }
    if (nprocs == 1) continue;
    if (comm->me != owner) bytes[k].resize(sizes[k]);
    MPI_Bcast(bytes[k].data(), (int) sizes[k], MPI_BYTE, owner, world);
    if (comm->me != owner &&
        symgnn_eval_haar_import(evals[k], bytes[k].data(), bytes[k].size(), &errs[k]) != SYMGNN_OK)
      error->one(FLERR,
                 "Compute symgnn/eb cannot take the haar table of member {} from rank {}: {} ({})",
                 k + 1, owner, errs[k].message, symgnn_status_name(errs[k].code));
    bytes[k] = std::vector<unsigned char>();
  }
}

/* ----------------------------------------------------------------------
   find the file (LAMMPS_POTENTIALS is searched), read it on rank 0,
   broadcast the bytes and parse them on every rank
------------------------------------------------------------------------- */

void ComputeSymGNNEB::read_model(const std::string &file)
{
  std::vector<char> bytes;
  bigint size = 0;
  std::string why;
  if (comm->me == 0) {
    model_path = utils::get_potential_file_path(file);
    FILE *fp = model_path.empty() ? nullptr : fopen(model_path.c_str(), "rb");
    if (model_path.empty()) {
      size = READ_NOT_FOUND;
    } else if (!fp) {
      size = READ_FAILED;
      why = strerror(errno);
    } else {
      char chunk[65536];
      size_t n;
      while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        bytes.insert(bytes.end(), chunk, chunk + n);
      if (ferror(fp)) {
        size = READ_FAILED;
        why = strerror(errno);
      } else {
        size = (bigint) bytes.size();
      }
      fclose(fp);
    }
  }
  MPI_Bcast(&size, 1, MPI_LMP_BIGINT, 0, world);
  if (size == READ_NOT_FOUND)
    error->all(FLERR,
               "Compute symgnn/eb cannot find model file {} (looked in the current directory "
               "and in LAMMPS_POTENTIALS); give its path, or add the directory holding it (for "
               "the shipped CuZr-symgnn.model: the repository's potentials/) to "
               "LAMMPS_POTENTIALS, a list separated by ':'",
               file);
  if (size == READ_FAILED)
    error->all(FLERR, "Compute symgnn/eb cannot read model file {}: {}", model_path, why);

  // Broadcast in pieces that fit an int count.
  bytes.resize(size);
  const bigint piece = 1 << 30;
  for (bigint off = 0; off < size; off += piece)
    MPI_Bcast(bytes.data() + off, (int) std::min(piece, size - off), MPI_CHAR, 0, world);
  if (comm->me != 0) model_path = file;

  symgnn_error err;
  if (symgnn_ensemble_read_buffer(bytes.data(), bytes.size(), &ensemble, &err) != SYMGNN_OK)
    error->all(FLERR, "Compute symgnn/eb cannot use model file {}: {} ({})", model_path,
               err.message, symgnn_status_name(err.code));
  model = symgnn_ensemble_member(ensemble, 0);
  if (strcmp(symgnn_model_units(model), "metal") != 0)
    error->all(FLERR, "Compute symgnn/eb: model file {} has units {}, expected metal", model_path,
               symgnn_model_units(model));
  cutoff = symgnn_model_arch(model)->cutoff;
}

/* ----------------------------------------------------------------------
   atom type -> model species from one element name (or NULL) per type
------------------------------------------------------------------------- */

void ComputeSymGNNEB::parse_elements(const std::vector<std::string> &names, bool allow_duplicates)
{
  const symgnn_arch *arch = symgnn_model_arch(model);
  std::string known;
  for (int e = 0; e < arch->nelements; ++e) known += std::string(" ") + arch->elements[e];

  typemap.assign(atom->ntypes + 1, -1);
  int nmapped = 0;
  for (int t = 1; t <= atom->ntypes; ++t) {
    const std::string &name = names[t - 1];
    if (name == "NULL") continue;
    const int species_index = symgnn_model_element_index(model, name.c_str());
    if (species_index < 0)
      error->all(FLERR,
                 "Compute symgnn/eb: element {} (atom type {}) is not in model file {}; the "
                 "model's elements are:{}",
                 name, t, model_path, known);
    for (int s = 1; s < t && !allow_duplicates; ++s)
      if (typemap[s] == species_index)
        error->all(FLERR,
                   "Compute symgnn/eb: element {} is given for atom types {} and {}; use "
                   "'duplicates yes' if several atom types really are the same element",
                   name, s, t);
    typemap[t] = species_index;
    ++nmapped;
  }
  if (nmapped == 0)
    error->all(FLERR, "Compute symgnn/eb maps no atom type to an element (all names are NULL)");
}

/* ----------------------------------------------------------------------
   model metadata and the type mapping, once, on rank 0
------------------------------------------------------------------------- */

void ComputeSymGNNEB::log_model_and_mapping(const std::vector<std::string> &names)
{
  const symgnn_arch *arch = symgnn_model_arch(model);
  std::string elements, heads;
  for (int e = 0; e < arch->nelements; ++e) elements += std::string(" ") + arch->elements[e];
  for (int l = 0; l < arch->nlayers; ++l) heads += fmt::format(" {}", arch->heads[l]);
  double mean, std;
  symgnn_model_label_norm(model, &mean, &std);

  std::string msg = fmt::format("compute symgnn/eb {}: model file {}\n", id, model_path);
  const int nmembers = symgnn_ensemble_size(ensemble);
  if (nmembers > 1)
    msg += fmt::format("  ensemble of {} members: EB = their mean{}; below: member 1\n", nmembers,
                       uncertainty ? ", uncertainty = their standard deviation" : "");
  msg += fmt::format("  elements:{}  cutoff {} A (strict)  width {}  layers {}  heads{}\n",
                     elements, arch->cutoff, arch->width, arch->nlayers, heads);
  msg += fmt::format("  decoder depth {}  label mean {} eV std {} eV  units {}\n",
                     arch->decoder_depth, mean, std, symgnn_model_units(model));
  symgnn_haar_table_info haar;
  if (symgnn_eval_haar_info(evals[0], &haar, nullptr) == SYMGNN_OK)
    msg += fmt::format("  symmetrization: haar, the exact O(3) average; table of {} distances "
                       "(every {:.4g} A) from a {}-direction sphere rule, built in {:.3f} s "
                       "(each member's on one rank, shared); measured errors: quadrature {:.2g}, "
                       "interpolation {:.2g} of "
                       "max |g0| = {:.4g}\n",
                       haar.ndist, haar.dr, 2 * haar.order * haar.order, haar.build_seconds,
                       haar.quad_error, haar.interp_error, haar.scale);
  else
    msg += fmt::format("  symmetrization: mean over K = {} stored transforms\n",
                       symgnn_model_ntransforms(model));
  for (int i = 0; i < symgnn_model_nprovenance(model); ++i)
    msg += fmt::format("  provenance {}: {}\n", symgnn_model_provenance_key(model, i),
                       symgnn_model_provenance_value(model, i));
  msg += "  LAMMPS type | element | model species\n";
  for (int t = 1; t <= atom->ntypes; ++t) {
    if (typemap[t] < 0)
      msg += fmt::format("  {:11} | NULL    | none: not a graph node, EB = 0\n", t);
    else
      msg += fmt::format("  {:11} | {:7} | {}\n", t, names[t - 1], typemap[t]);
  }
  if (have_range)
    msg += fmt::format("  training labels from {:.4g} to {:.4g} eV: EBs more than {:.4g} eV "
                       "(one label std) outside are warned about once per run\n",
                       range_lo, range_hi, range_margin);
  if (energy_scale != 1.0)
    msg += fmt::format("  output converted from eV to kcal/mol (x {})\n", energy_scale);
  msg += fmt::format("  {} OpenMP thread(s) per MPI rank ({})\n", nthreads,
                     threads_from_lammps ? "as LAMMPS uses; set by package omp or OMP_NUM_THREADS"
                                         : "threads keyword");
  utils::logmesg(lmp, msg);
}

/* ---------------------------------------------------------------------- */

void ComputeSymGNNEB::init()
{
  // `package omp` may have changed LAMMPS' thread count since the last run.
  if (threads_from_lammps && comm->nthreads != nthreads) {
    nthreads = comm->nthreads;
    for (symgnn_eval *ev : evals) symgnn_eval_set_threads(ev, nthreads);
    if (comm->me == 0)
      utils::logmesg(lmp, "compute symgnn/eb {}: now {} OpenMP thread(s) per MPI rank\n", id,
                     nthreads);
  }

  // Ghost atoms must cover one cutoff plus the skin they may have moved since reneighboring;
  // only pair styles extend the communication cutoff, so check it here.
  const double skin = neighbor->skin;
  double cutghost = comm->cutghostuser;
  if (force->pair) cutghost = std::max(force->pair->cutforce + skin, cutghost);
  if (cutoff + skin > cutghost)
    error->all(FLERR,
               "Compute symgnn/eb cutoff {} (from the model) plus neighbor skin {} exceeds the "
               "ghost atom range {}; use 'comm_modify cutoff {}' or larger",
               cutoff, skin, cutghost, cutoff + skin);

  auto req = neighbor->add_request(this, NeighConst::REQ_FULL | NeighConst::REQ_OCCASIONAL);
  req->set_cutoff(cutoff);
}

/* ---------------------------------------------------------------------- */

void ComputeSymGNNEB::init_list(int /*id*/, NeighList *ptr)
{
  list = ptr;
}

/* ----------------------------------------------------------------------
   nodes: owned atoms of mapped types first, then ghost atoms of mapped
   types; edges into owned nodes, CSR by destination, self-loop included
------------------------------------------------------------------------- */

void ComputeSymGNNEB::build_graph()
{
  const int nlocal = atom->nlocal;
  const int nall = nlocal + atom->nghost;
  const int *type = atom->type;
  const tagint *tag = atom->tag;
  double **x = atom->x;

  node_of_atom.assign(nall, -1);
  species.clear();
  for (int i = 0; i < nall; ++i) {
    if (typemap[type[i]] < 0) continue;
    node_of_atom[i] = (int) species.size();
    species.push_back(typemap[type[i]]);
  }
  int nlocal_nodes = 0;
  for (int i = 0; i < nlocal; ++i)
    if (node_of_atom[i] >= 0) ++nlocal_nodes;
  prediction.resize(nlocal_nodes);
  spread.resize(nlocal_nodes);
  for (auto &p : member_prediction) p.resize(nlocal_nodes);

  neighbor->build_one(list);
  std::vector<int> row_of_atom(nlocal, -1);
  for (int ii = 0; ii < list->inum; ++ii) row_of_atom[list->ilist[ii]] = ii;

  const double cutsq = cutoff * cutoff;
  const double minsq = SYMGNN_MIN_DISTANCE * SYMGNN_MIN_DISTANCE;
  std::vector<Edge> edges;
  offsets.assign(1, 0);
  src.clear();
  disp.clear();
  null_neighbours = 0;
  for (int i = 0; i < nlocal; ++i) {
    if (node_of_atom[i] < 0) continue;
    bool near_null = false;    // a NULL-type atom within the cutoff (left out of the graph)
    edges.clear();
    edges.push_back({tag[i], {0.0, 0.0, 0.0}, node_of_atom[i]});
    const int row = row_of_atom[i];
    const int *jlist = row >= 0 ? list->firstneigh[row] : nullptr;
    const int jnum = row >= 0 ? list->numneigh[row] : 0;
    for (int jj = 0; jj < jnum; ++jj) {
      const int j = jlist[jj] & NEIGHMASK;
      const double dx = x[i][0] - x[j][0];
      const double dy = x[i][1] - x[j][1];
      const double dz = x[i][2] - x[j][2];
      const double rsq = dx * dx + dy * dy + dz * dz;
      if (node_of_atom[j] < 0) {
        near_null = near_null || rsq < cutsq;
        continue;
      }
      // the core refuses these too, but it can only name graph nodes, not atom IDs
      if (rsq < minsq)
        error->one(FLERR,
                   "Compute symgnn/eb: atoms {} and {} are {:.3g} Angstrom apart, closer than the "
                   "minimum distance {} Angstrom (coincident or duplicated atoms)",
                   tag[i], tag[j], std::sqrt(rsq), SYMGNN_MIN_DISTANCE);
      if (rsq < cutsq) edges.push_back({tag[j], {dx, dy, dz}, node_of_atom[j]});
    }
    if (near_null) ++null_neighbours;
    std::sort(edges.begin(), edges.end(), edge_before);
    for (const Edge &e : edges) {
      src.push_back(e.node);
      disp.insert(disp.end(), e.d, e.d + 3);
    }
    offsets.push_back((int64_t) src.size());
  }
}

/* ---------------------------------------------------------------------- */

/* ----------------------------------------------------------------------
   the core's coordinate rule (the same as symgnn-predict's): every box bound and tilt within
   SYMGNN_MAX_COORDINATE Angstrom, where double precision still resolves displacements
------------------------------------------------------------------------- */

void ComputeSymGNNEB::check_box_range()
{
  const double limit = SYMGNN_MAX_COORDINATE / force->angstrom;
  const double v[9] = {domain->boxlo[0], domain->boxlo[1], domain->boxlo[2],
                       domain->boxhi[0], domain->boxhi[1], domain->boxhi[2],
                       domain->xy,       domain->xz,       domain->yz};
  for (double b : v)
    if (!(std::fabs(b) <= limit))
      error->all(FLERR,
                 "Compute symgnn/eb: box bound or tilt {} is beyond {} Angstrom; the model's "
                 "coordinates must stay within that range (shift the box towards the origin)",
                 b * force->angstrom, SYMGNN_MAX_COORDINATE);
}

/* ---------------------------------------------------------------------- */

void ComputeSymGNNEB::compute_peratom()
{
  invoked_peratom = update->ntimestep;
  const double start = platform::walltime();

  if (atom->nmax > nmax || !eb) {
    memory->destroy(eb);
    memory->destroy(ebarray);
    nmax = std::max(atom->nmax, 1);
    memory->create(eb, nmax, "symgnn/eb:eb");
    vector_atom = eb;
    if (uncertainty) {
      memory->create(ebarray, nmax, 2, "symgnn/eb:ebarray");
      array_atom = ebarray;
    }
  }
  // LAMMPS clears the invoked flags between a dump and thermo output of the same step; a
  // configuration evaluated already keeps its result rather than being evaluated again.
  if (same_as_last_evaluation()) return;
  check_box_range();
  build_graph();
  evaluate();
  warn_isolated();
  check_domain();
  remember_configuration();

  ++run_calls;
  run_seconds += platform::walltime() - start;
}

/* ----------------------------------------------------------------------
   the box and every owned atom's position, type, ID and group bit, as the
   last evaluation saw them
------------------------------------------------------------------------- */

void ComputeSymGNNEB::remember_configuration()
{
  const int nlocal = atom->nlocal;
  last_step = update->ntimestep;
  last_x.clear();
  last_tag.clear();
  if (nlocal > 0) {    // a rank without atoms may have no per-atom arrays at all
    last_x.assign(&atom->x[0][0], &atom->x[0][0] + 3 * (size_t) nlocal);
    last_tag.assign(atom->tag, atom->tag + nlocal);
  }
  last_type_mask.resize(2 * (size_t) nlocal);
  for (int i = 0; i < nlocal; ++i) {
    last_type_mask[2 * i] = atom->type[i];
    last_type_mask[2 * i + 1] = atom->mask[i] & groupbit;
  }
  last_box = box_now();
}

/* ----------------------------------------------------------------------
   true on every rank when no rank's atoms or box changed since the last
   evaluation, which was on this step (collective)
------------------------------------------------------------------------- */

bool ComputeSymGNNEB::same_as_last_evaluation()
{
  if (last_step != update->ntimestep) return false;
  const int nlocal = atom->nlocal;
  int same = (size_t) nlocal == last_tag.size() && box_now() == last_box &&
      (nlocal == 0 ||
       (std::equal(last_tag.begin(), last_tag.end(), atom->tag) &&
        std::equal(last_x.begin(), last_x.end(), &atom->x[0][0])));
  for (int i = 0; same && i < nlocal; ++i)
    same = last_type_mask[2 * i] == atom->type[i] &&
        last_type_mask[2 * i + 1] == (atom->mask[i] & groupbit);
  int all_same = 0;
  MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_MIN, world);
  return all_same != 0;
}

/* ----------------------------------------------------------------------
   box bounds and tilts, compared between evaluations
------------------------------------------------------------------------- */

std::array<double, 9> ComputeSymGNNEB::box_now() const
{
  return {domain->boxlo[0], domain->boxlo[1], domain->boxlo[2], domain->boxhi[0], domain->boxhi[1],
          domain->boxhi[2], domain->xy,       domain->xz,       domain->yz};
}

/* ----------------------------------------------------------------------
   forward pass of one member on the current graph, layer by layer with
   the ghost node states refreshed in between (forward_comm packs the
   states of member k)
------------------------------------------------------------------------- */

void ComputeSymGNNEB::evaluate_member(int k)
{
  const symgnn_graph_view graph = {(int) prediction.size(), (int) species.size(), species.data(),
                                   offsets.data(),          src.data(),           disp.data()};
  symgnn_eval *ev = evals[k];
  member = k;
  symgnn_error err;
  if (symgnn_eval_begin(ev, &graph, &err) != SYMGNN_OK)
    error->one(FLERR, "Compute symgnn/eb: graph rejected by the SymGNN core: {} ({})", err.message,
               symgnn_status_name(err.code));
  for (int l = 0; l < symgnn_eval_nlayers(ev); ++l) {
    if (l > 0) comm->forward_comm(this);
    if (symgnn_eval_layer(ev, l, &err) != SYMGNN_OK)
      error->one(FLERR, "Compute symgnn/eb: layer {} failed: {} ({})", l, err.message,
                 symgnn_status_name(err.code));
  }
  if (symgnn_eval_decode(ev, member_prediction[k].data(), &err) != SYMGNN_OK)
    error->one(FLERR, "Compute symgnn/eb: decoder failed: {} ({})", err.message,
               symgnn_status_name(err.code));
  // an ensemble's members run one after the other on one set of graph-sized buffers, handed on
  // to the next member (the last to the first, for the next call)
  if (evals.size() > 1) symgnn_eval_move_scratch(ev, evals[(k + 1) % evals.size()]);
}

/* ----------------------------------------------------------------------
   every member, then their mean (the EB) and spread (the uncertainty);
   per-atom output masked by the group
------------------------------------------------------------------------- */

void ComputeSymGNNEB::evaluate()
{
  const int nmembers = (int) evals.size();
  std::vector<const double *> rows(nmembers);
  for (int k = 0; k < nmembers; ++k) {
    evaluate_member(k);
    rows[k] = member_prediction[k].data();
  }
  symgnn_ensemble_reduce(nmembers, (int64_t) prediction.size(), rows.data(), prediction.data(),
                         spread.data());

  const int *mask = atom->mask;
  for (int i = 0; i < atom->nlocal; ++i) {
    const int node = node_of_atom[i];
    const bool out = node >= 0 && (mask[i] & groupbit);
    eb[i] = out ? prediction[node] * energy_scale : 0.0;
    if (uncertainty) {
      ebarray[i][0] = eb[i];
      ebarray[i][1] = out ? spread[node] * energy_scale : 0.0;
    }
  }
}

/* ----------------------------------------------------------------------
   warn (rank 0, LAMMPS style) about group atoms with no neighbour within
   the cutoff: such an atom is no glass structure, its EB means nothing.
   Warned when their number or first ID changes, not on every call.
------------------------------------------------------------------------- */

void ComputeSymGNNEB::warn_isolated()
{
  const tagint *tag = atom->tag;
  const int *mask = atom->mask;
  std::vector<tagint> ids;
  for (int i = 0; i < atom->nlocal; ++i) {
    const int node = node_of_atom[i];
    if (node >= 0 && (mask[i] & groupbit) && offsets[node + 1] - offsets[node] == 1)
      ids.push_back(tag[i]);
  }
  bigint nmine = (bigint) ids.size(), ntotal = 0;
  MPI_Allreduce(&nmine, &ntotal, 1, MPI_LMP_BIGINT, MPI_SUM, world);
  if (ntotal == 0) {
    warned_isolated = 0;
    return;
  }

  std::sort(ids.begin(), ids.end());
  ids.resize(NFIRST_IDS, MAXTAGINT);
  std::vector<tagint> all(comm->me == 0 ? (size_t) NFIRST_IDS * comm->nprocs : 0);
  MPI_Gather(ids.data(), NFIRST_IDS, MPI_LMP_TAGINT, all.data(), NFIRST_IDS, MPI_LMP_TAGINT, 0,
             world);
  if (comm->me != 0) return;
  std::sort(all.begin(), all.end());
  if (ntotal == warned_isolated && all[0] == warned_first_id) return;
  warned_isolated = ntotal;
  warned_first_id = all[0];
  std::string first;
  for (bigint k = 0; k < std::min<bigint>(ntotal, NFIRST_IDS); ++k)
    first += fmt::format(" {}", all[k]);
  error->warning(FLERR,
                 "Compute symgnn/eb {}: {} atom(s) with no neighbour within the model cutoff {} "
                 "A at step {} (first IDs:{}); an isolated atom is not a glass structure and "
                 "its EB is not meaningful",
                 id, ntotal, cutoff, update->ntimestep, first);
}

/* ----------------------------------------------------------------------
   out-of-domain checks after an evaluation (collective): inputs the model
   was not trained on give barriers without meaning, and nothing in the
   numbers themselves says so. Each warning once per run, with counts.
------------------------------------------------------------------------- */

void ComputeSymGNNEB::check_domain()
{
  warn_composition();
  warn_null_neighbours();
  warn_out_of_range();
}

/* ----------------------------------------------------------------------
   a graph with a single element while the model has several: a map like
   "Cu NULL" or "Cu Cu", or a structure the model never saw
------------------------------------------------------------------------- */

void ComputeSymGNNEB::warn_composition()
{
  const symgnn_arch *arch = symgnn_model_arch(model);
  if (warned_composition || arch->nelements < 2) return;
  std::vector<bigint> mine(arch->nelements, 0), total(arch->nelements, 0);
  for (int i = 0; i < atom->nlocal; ++i)
    if (node_of_atom[i] >= 0) ++mine[species[node_of_atom[i]]];
  MPI_Allreduce(mine.data(), total.data(), arch->nelements, MPI_LMP_BIGINT, MPI_SUM, world);
  int present = 0, which = 0;
  for (int e = 0; e < arch->nelements; ++e)
    if (total[e] > 0) ++present, which = e;
  if (present != 1) return;
  warned_composition = true;
  if (comm->me != 0) return;
  std::string elements;
  for (int e = 0; e < arch->nelements; ++e) elements += std::string(" ") + arch->elements[e];
  bool has_null = false;
  for (int t = 1; t <= atom->ntypes; ++t) has_null = has_null || typemap[t] < 0;
  error->warning(FLERR,
                 "Compute symgnn/eb {}: the graph holds only {} atoms ({} of them) at step {}, "
                 "but model file {} was trained with the elements{}; barriers of such a "
                 "structure are extrapolations{} (warned once per run)",
                 id, arch->elements[which], total[which], update->ntimestep, model_path, elements,
                 has_null ? "; for the barriers of one species map every type and use a group"
                          : "");
}

/* ----------------------------------------------------------------------
   atoms of mapped types with atoms of NULL types within the cutoff: those
   neighbours are missing from the graph, so the model sees a hole
------------------------------------------------------------------------- */

void ComputeSymGNNEB::warn_null_neighbours()
{
  if (warned_null) return;
  bigint total = 0;
  MPI_Allreduce(&null_neighbours, &total, 1, MPI_LMP_BIGINT, MPI_SUM, world);
  if (total == 0) return;
  warned_null = true;
  if (comm->me != 0) return;
  std::string null_types;
  for (int t = 1; t <= atom->ntypes; ++t)
    if (typemap[t] < 0) null_types += fmt::format(" {}", t);
  error->warning(FLERR,
                 "Compute symgnn/eb {}: {} atom(s) of mapped types have atoms of NULL type(s){} "
                 "within the cutoff {} A at step {}; those neighbours are left out of the graph, "
                 "so these barriers describe a different structure (for the barriers of one "
                 "species map every type and use a group) (warned once per run)",
                 id, total, null_types, cutoff, update->ntimestep);
}

/* ----------------------------------------------------------------------
   group atoms whose EB lies outside the training label range by more
   than the margin (a wrong element order gives negative barriers)
------------------------------------------------------------------------- */

void ComputeSymGNNEB::warn_out_of_range()
{
  if (!have_range) return;
  const double lo = range_lo - range_margin, hi = range_hi + range_margin;
  const int *mask = atom->mask;
  bigint mine[2] = {0, 0}, total[2];                   // outside, considered
  double ext[2] = {HUGE_VAL, HUGE_VAL}, ext_all[2];    // min, -max
  for (int i = 0; i < atom->nlocal; ++i) {
    const int node = node_of_atom[i];
    if (node < 0 || !(mask[i] & groupbit)) continue;
    const double v = prediction[node];
    ++mine[1];
    if (!(v >= lo && v <= hi)) ++mine[0];
    ext[0] = std::min(ext[0], v);
    ext[1] = std::min(ext[1], -v);
  }
  MPI_Allreduce(mine, total, 2, MPI_LMP_BIGINT, MPI_SUM, world);
  if (total[0] == 0) return;
  MPI_Allreduce(ext, ext_all, 2, MPI_DOUBLE, MPI_MIN, world);
  ++range_calls;
  range_max_atoms = std::max(range_max_atoms, total[0]);
  if (warned_range) return;
  warned_range = true;
  if (comm->me != 0) return;
  error->warning(FLERR,
                 "Compute symgnn/eb {}: {} of {} atoms have an EB outside the training label "
                 "range [{:.4g}, {:.4g}] eV by more than {:.4g} eV (one label std) at step {} "
                 "(EBs from {:.4g} to {:.4g} eV); the structure or the element mapping (order of "
                 "the element names) may lie outside what the model was trained on (warned once "
                 "per run, counted in the end-of-run report)",
                 id, total[0], total[1], range_lo, range_hi, range_margin, update->ntimestep,
                 ext_all[0], -ext_all[1]);
}

/* ----------------------------------------------------------------------
   mean EB of the group's atoms of mapped types
------------------------------------------------------------------------- */

double ComputeSymGNNEB::compute_scalar()
{
  invoked_scalar = update->ntimestep;
  if (!(invoked_flag & Compute::INVOKED_PERATOM)) {
    compute_peratom();
    invoked_flag |= Compute::INVOKED_PERATOM;
  }
  const int *mask = atom->mask;
  double local[2] = {0.0, 0.0}, total[2];
  for (int i = 0; i < atom->nlocal; ++i) {
    if (node_of_atom[i] < 0 || !(mask[i] & groupbit)) continue;
    local[0] += eb[i];
    local[1] += 1.0;
  }
  MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, world);
  scalar = total[1] > 0.0 ? total[0] / total[1] : 0.0;
  return scalar;
}

/* ----------------------------------------------------------------------
   node states of the atoms in a send list (owned, or ghosts received in an
   earlier swap); atoms that are no graph node send zeros
------------------------------------------------------------------------- */

int ComputeSymGNNEB::pack_forward_comm(int n, int *sendlist, double *buf, int /*pbc_flag*/,
                                       int * /*pbc*/)
{
  const float *state = symgnn_eval_node_state(evals[member]);
  const int width = widths[member];
  int m = 0;
  for (int i = 0; i < n; ++i) {
    const int node = node_of_atom[sendlist[i]];
    if (node < 0) {
      for (int k = 0; k < width; ++k) buf[m++] = 0.0;
    } else {
      const float *row = state + (size_t) node * width;
      for (int k = 0; k < width; ++k) buf[m++] = row[k];
    }
  }
  return m;
}

/* ---------------------------------------------------------------------- */

void ComputeSymGNNEB::unpack_forward_comm(int n, int first, double *buf)
{
  float *state = symgnn_eval_node_state(evals[member]);
  const int width = widths[member];
  int m = 0;
  for (int i = first; i < first + n; ++i) {
    const int node = node_of_atom[i];
    if (node >= 0) {
      float *row = state + (size_t) node * width;
      for (int k = 0; k < width; ++k) row[k] = (float) buf[m + k];
    }
    m += width;
  }
}

/* ---------------------------------------------------------------------- */

double ComputeSymGNNEB::memory_usage()
{
  double bytes = (double) nmax * sizeof(double);
  bytes += (double) node_of_atom.capacity() * sizeof(int);
  bytes += (double) species.capacity() * sizeof(int);
  bytes += (double) offsets.capacity() * sizeof(int64_t);
  bytes += (double) src.capacity() * sizeof(int);
  bytes += (double) disp.capacity() * sizeof(double);
  bytes += (double) prediction.capacity() * sizeof(double);
  bytes += (double) spread.capacity() * sizeof(double);
  bytes += std::accumulate(member_prediction.begin(), member_prediction.end(), 0.0,
                           [](double sum, const std::vector<double> &p) {
                             return sum + (double) p.capacity() * sizeof(double);
                           });
  if (ebarray) bytes += 2.0 * nmax * sizeof(double);
  return bytes;
}

/* ----------------------------------------------------------------------
   a run or minimization starts (report fix's init): reset the cost counters
------------------------------------------------------------------------- */

void ComputeSymGNNEB::run_started()
{
  run_calls = 0;
  run_seconds = 0.0;
  run_start = platform::walltime();
  warned_range = warned_composition = warned_null = false;
  range_calls = range_max_atoms = 0;
}

/* ----------------------------------------------------------------------
   a run or minimization ended (report fix's post_run): log the number of
   evaluations, the wall time per call and its share of the run, rank 0
------------------------------------------------------------------------- */

void ComputeSymGNNEB::run_ended()
{
  if (comm->me != 0) return;
  const double run_wall = platform::walltime() - run_start;
  if (run_calls == 0) {
    utils::logmesg(
        lmp, "compute symgnn/eb {}: not evaluated in this run (no output requested it)\n", id);
    return;
  }
  utils::logmesg(lmp,
                 "compute symgnn/eb {}: {} evaluation(s) in this run, {:.4g} ms each, {:.4g} s in "
                 "all = {:.1f}% of the run's wall time ({:.4g} s, MPI rank 0)\n",
                 id, run_calls, 1000.0 * run_seconds / run_calls, run_seconds,
                 run_wall > 0.0 ? 100.0 * run_seconds / run_wall : 0.0, run_wall);
  if (range_calls > 0)
    utils::logmesg(lmp,
                   "compute symgnn/eb {}: {} of {} evaluation(s) in this run had EBs outside "
                   "the training label range [{:.4g}, {:.4g}] eV by more than {:.4g} eV (up to "
                   "{} atoms at once)\n",
                   id, range_calls, run_calls, range_lo, range_hi, range_margin, range_max_atoms);
}

/* ---------------------------------------------------------------------- */

std::string ComputeSymGNNEB::version_mismatch(const char *built_for, const char *running)
{
  if (strcmp(built_for, running) == 0) return {};
  return fmt::format("USER-SYMGNN plugin was compiled for LAMMPS version '{}' but is loaded into "
                     "LAMMPS version '{}'; a plugin only works with the exact LAMMPS version it "
                     "was built against: rebuild symgnnplugin.so with LAMMPS_SOURCE_DIR pointing "
                     "to the src/ directory of this LAMMPS",
                     built_for, running);
}
