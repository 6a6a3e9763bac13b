/* -*- c++ -*- ----------------------------------------------------------
   USER-SYMGNN: per-atom energy barriers of metallic glasses predicted by
   SymGNN (Li et al., ICML 2024). GPL-2.0, as LAMMPS.
------------------------------------------------------------------------- */

#ifdef COMPUTE_CLASS
// clang-format off
ComputeStyle(symgnn/eb,ComputeSymGNNEB);
// clang-format on
#else

#ifndef LMP_COMPUTE_SYMGNN_EB_H
#define LMP_COMPUTE_SYMGNN_EB_H

#include "compute.h"

#include <cstdint>
#include <string>
#include <vector>

// Opaque handles of the C core (symgnn.h); the header itself stays out of LAMMPS' style headers.
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

  // Message refusing a plugin compiled for LAMMPS version `built_for` inside LAMMPS version
  // `running`; empty when the versions agree.
  static std::string version_mismatch(const char *built_for, const char *running);

private:
  symgnn_model *model;
  symgnn_eval *eval;
  std::string model_path;
  double cutoff;       // graph cutoff from the model (Angstrom, strict <)
  double energy_scale; // eV -> energy unit of the run
  int width;           // node-state floats per atom, forwarded once per layer
  int nlayers;
  int nthreads;             // OpenMP threads of one evaluation on this rank
  std::vector<int> typemap; // atom type -> model species, -1 for NULL types
  class NeighList *list;

  int nmax;
  double *eb; // per-atom output, nmax

  // Graph of the current evaluation (CSR by destination), reused between calls.
  std::vector<int> node_of_atom; // atom index (local + ghost) -> node, -1 when not a node
  std::vector<int> species;      // node -> model species
  std::vector<int64_t> offsets;
  std::vector<int> src;
  std::vector<double> disp;
  std::vector<double> prediction; // local node -> EB in eV

  void parse_elements(const std::vector<std::string> &, bool);
  void read_model(const std::string &);
  void log_model_and_mapping(const std::vector<std::string> &);
  void build_graph();
};

} // namespace LAMMPS_NS

#endif
#endif
