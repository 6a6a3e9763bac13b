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

   USER-SYMGNN as a LAMMPS plugin: `plugin load symgnnplugin.so`, or put the
   directory holding symgnnplugin.so into LAMMPS_PLUGIN_PATH.
------------------------------------------------------------------------- */

#include "lammpsplugin.h"

#include "comm.h"
#include "compute_symgnn_eb.h"
#include "error.h"
#include "lammps.h"
#include "utils.h"
#include "version.h"

#include "symgnn.h"

// The LAMMPS version whose source tree this plugin is compiled against. The test suite builds a
// copy with another value to exercise the refusal below.
#ifndef SYMGNN_PLUGIN_LAMMPS_VERSION
#define SYMGNN_PLUGIN_LAMMPS_VERSION LAMMPS_VERSION
#endif

using namespace LAMMPS_NS;

static Compute *symgnn_eb_creator(LAMMPS *lmp, int argc, char **argv)
{
  return new ComputeSymGNNEB(lmp, argc, argv);
}

// Entry point called by LAMMPS after dlopen: refuse a different LAMMPS version (class layouts
// differ between versions, so running would silently misbehave), then register the compute.
extern "C" void lammpsplugin_init(void *lmpptr, void *handle, void *regfunc)
{
  auto *lmp = static_cast<LAMMPS *>(lmpptr);
  const std::string mismatch =
      ComputeSymGNNEB::version_mismatch(SYMGNN_PLUGIN_LAMMPS_VERSION, lmp->version);
  if (!mismatch.empty()) lmp->error->all(FLERR, mismatch);
  if (lmp->comm->me == 0)
    utils::logmesg(lmp, "USER-SYMGNN {} plugin: compute symgnn/eb, built for LAMMPS version {}\n",
                   SYMGNN_VERSION_STRING, SYMGNN_PLUGIN_LAMMPS_VERSION);

  lammpsplugin_t plugin;
  plugin.version = LAMMPS_VERSION;
  plugin.style = "compute";
  plugin.name = "symgnn/eb";
  plugin.info = "SymGNN per-atom energy barriers (USER-SYMGNN " SYMGNN_VERSION_STRING ")";
  plugin.author = "USER-SYMGNN developers";
  plugin.creator.v2 = reinterpret_cast<lammpsplugin_factory2 *>(&symgnn_eb_creator);
  plugin.handle = handle;
  (*reinterpret_cast<lammpsplugin_regfunc>(regfunc))(&plugin, lmp);
}
