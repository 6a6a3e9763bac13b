/* -*- c++ -*- ----------------------------------------------------------------------
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
   Contributing authors: the USER-SYMGNN developers. Per-atom energy
   barriers of metallic glasses predicted by SymGNN (Li et al., ICML 2024).
------------------------------------------------------------------------- */

#ifdef COMPUTE_CLASS
// clang-format off
ComputeStyle(symgnn/eb,ComputeSymGNNEB);
// clang-format on
#else

#ifndef LMP_COMPUTE_SYMGNN_EB_H
#define LMP_COMPUTE_SYMGNN_EB_H

#include "compute.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

// Opaque handles of the C core (symgnn.h); the header itself stays out of LAMMPS' style headers.
struct symgnn_ensemble;
struct symgnn_model;
struct symgnn_eval;

namespace LAMMPS_NS {

class ComputeSymGNNEB : public Compute {
 public:
  ComputeSymGNNEB(class LAMMPS *, int, char **);
  ~ComputeSymGNNEB() override;
  void init() override;
  void init_list(int, class NeighList *) override;
  double compute_scalar() override;
  void compute_peratom() override;
  int pack_forward_comm(int, int *, double *, int, int *) override;
  void unpack_forward_comm(int, int, double *) override;
  double memory_usage() override;

  // Called by the report fix at the start and the end of every run or minimization.
  void run_started();
  void run_ended();

  // Message refusing a plugin compiled for LAMMPS version `built_for` inside LAMMPS version
  // `running`; empty when the versions agree.
  static std::string version_mismatch(const char *built_for, const char *running);

 private:
  symgnn_ensemble *ensemble;    // the model file: one model, or an ensemble of members
  const symgnn_model *model;    // member 1 (owned by the ensemble): elements, cutoff, metadata
  std::vector<symgnn_eval *> evals;    // one evaluation context per member
  int member;                          // member being evaluated (its states are communicated)
  bool uncertainty;                    // per-atom array [EB, members' spread] instead of EB
  std::string model_path;
  double cutoff;               // graph cutoff from the model (Angstrom, strict <)
  double energy_scale;         // eV -> energy unit of the run
  std::vector<int> widths;     // node-state floats per atom of each member, forwarded per layer
  int nthreads;                // OpenMP threads of one evaluation on this rank
  bool threads_from_lammps;    // no threads keyword: follow comm->nthreads at every init()
  std::vector<int> typemap;    // atom type -> model species, -1 for NULL types
  class NeighList *list;
  std::string id_report;    // internal fix reporting the cost at the end of each run

  int nmax;
  double *eb;          // per-atom EB (members' mean), nmax
  double **ebarray;    // with uncertainty: nmax x 2, EB and members' spread

  // Graph of the current evaluation (CSR by destination), reused between calls.
  std::vector<int> node_of_atom;    // atom index (local + ghost) -> node, -1 when not a node
  std::vector<int> species;         // node -> model species
  std::vector<int64_t> offsets;
  std::vector<int> src;
  std::vector<double> disp;
  std::vector<double> prediction;    // local node -> EB in eV (members' mean)
  std::vector<double> spread;        // local node -> members' standard deviation in eV
  std::vector<std::vector<double>> member_prediction;    // member -> local node -> EB in eV
  bigint null_neighbours;    // owned atoms with a NULL-type neighbour within the cutoff

  // Configuration of the last evaluation (owned atoms), to skip repeating it on the same step.
  bigint last_step;
  std::vector<double> last_x;
  std::vector<tagint> last_tag;
  std::vector<int> last_type_mask;    // type and group bit per atom
  std::array<double, 9> last_box;

  // Cost of the current run (rank 0's wall time) and the last warning about isolated atoms.
  bigint run_calls;
  double run_seconds, run_start;
  bigint warned_isolated;
  tagint warned_first_id;

  // Out-of-domain checks: the training label range widened by a margin, and what was warned
  // about in the current run (each warning once per run; counts in the end-of-run report).
  bool have_range;
  double range_lo, range_hi, range_margin;    // eV
  bool warned_range, warned_composition, warned_null;
  bigint range_calls, range_max_atoms;

  void parse_elements(const std::vector<std::string> &, bool);
  void create_evaluations(int);
  void share_haar_tables();
  void read_model(const std::string &);
  void log_model_and_mapping(const std::vector<std::string> &);
  void check_box_range();
  void build_graph();
  void evaluate();
  void evaluate_member(int);
  void warn_isolated();
  void check_domain();
  void warn_out_of_range();
  void warn_composition();
  void warn_null_neighbours();
  void remember_configuration();
  bool same_as_last_evaluation();
  std::array<double, 9> box_now() const;
};

}    // namespace LAMMPS_NS

#endif
#endif
