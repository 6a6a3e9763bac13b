// Checks for the LAMMPS tests of compute symgnn/eb. Reads single-frame LAMMPS text dumps
// (`write_dump ... custom id type x y z <columns>`), compares per-atom columns by atom ID and
// recomputes the energy barriers with the C core on the same configuration. Every failing
// check prints the worst atoms and exits with status 1.
//
//   symgnn_lmp_check set-norm IN OUT MEAN STD
//   symgnn_lmp_check reference DUMP COLUMN MODEL ELEM_TYPE1 ... [--rtol R] [--std COLUMN]
//   symgnn_lmp_check compare DUMP_A COL_A DUMP_B COL_B [--rtol R] [--factor F] [--expect-differ]
//   symgnn_lmp_check masked DUMP COL_GROUP COL_ALL COL_MASK
//   symgnn_lmp_check count DUMP COLUMN MIN_NONZERO
#include "symgnn.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// One frame of a LAMMPS custom dump: box and per-atom columns, keyed by atom ID.
struct Dump {
  std::string path;
  double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0}, tilt[3] = {0, 0, 0}; // xy xz yz
  std::vector<std::string> columns;
  std::map<long, std::vector<double>> rows;

  int column(const std::string &name) const {
    for (size_t c = 0; c < columns.size(); ++c)
      if (columns[c] == name) return (int)c;
    throw std::runtime_error(path + ": no column '" + name + "'");
  }
};

// Read the first frame of a dump; bounds of triclinic boxes are converted to lo/hi and tilts.
Dump read_dump(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Dump d;
  d.path = path;
  std::string line;
  long natoms = -1;
  while (std::getline(in, line)) {
    if (line.rfind("ITEM: NUMBER OF ATOMS", 0) == 0) {
      in >> natoms;
    } else if (line.rfind("ITEM: BOX BOUNDS", 0) == 0) {
      const bool tri = line.find("xy") != std::string::npos;
      double b[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
      for (auto &r : b) {
        std::getline(in, line);
        std::istringstream ls(line);
        ls >> r[0] >> r[1];
        if (tri) ls >> r[2];
      }
      const double xy = b[0][2], xz = b[1][2], yz = b[2][2];
      d.tilt[0] = xy, d.tilt[1] = xz, d.tilt[2] = yz;
      d.lo[0] = b[0][0] - std::min({0.0, xy, xz, xy + xz});
      d.hi[0] = b[0][1] - std::max({0.0, xy, xz, xy + xz});
      d.lo[1] = b[1][0] - std::min(0.0, yz);
      d.hi[1] = b[1][1] - std::max(0.0, yz);
      d.lo[2] = b[2][0];
      d.hi[2] = b[2][1];
    } else if (line.rfind("ITEM: ATOMS", 0) == 0) {
      std::istringstream ls(line.substr(11));
      std::string c;
      while (ls >> c) d.columns.push_back(c);
      const int idc = d.column("id");
      for (long n = 0; n < natoms && std::getline(in, line); ++n) {
        std::istringstream vs(line);
        std::vector<double> v(d.columns.size());
        for (double &x : v)
          if (!(vs >> x)) throw std::runtime_error(path + ": short row: " + line);
        d.rows[(long)v[idc]] = v;
      }
      break;
    }
  }
  if (natoms < 0 || (long)d.rows.size() != natoms)
    throw std::runtime_error(path + ": expected " + std::to_string(natoms) + " atoms, read " +
                             std::to_string(d.rows.size()));
  return d;
}

[[noreturn]] void fail(const std::string &msg) {
  std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
  std::exit(1);
}

// Relative difference, with a floor so values near zero compare absolutely at `floor`.
double reldiff(double a, double b, double floor) {
  return std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), floor});
}

// Compare two per-atom series (same IDs); report the worst atoms. Returns the largest
// relative difference.
double compare_series(const std::map<long, std::pair<double, double>> &ab, double rtol,
                      bool expect_differ, const std::string &what) {
  double scale = 0.0;
  for (const auto &kv : ab) scale = std::max(scale, std::fabs(kv.second.second));
  const double floor = std::max(scale, 1e-300) * 1e-3;
  std::vector<std::pair<double, long>> worst;
  double maxrel = 0.0;
  long nbad = 0;
  for (const auto &kv : ab) {
    const double r = reldiff(kv.second.first, kv.second.second, floor);
    maxrel = std::max(maxrel, r);
    if (r > rtol) ++nbad;
    worst.emplace_back(r, kv.first);
  }
  std::sort(worst.rbegin(), worst.rend());
  std::printf("%s: %zu atoms, max relative difference %.3e (tolerance %.1e), %ld above\n",
              what.c_str(), ab.size(), maxrel, rtol, nbad);
  if ((nbad > 0) != expect_differ) {
    for (size_t k = 0; k < std::min<size_t>(5, worst.size()); ++k) {
      const auto &v = ab.at(worst[k].second);
      std::fprintf(stderr, "  id %ld: %.12g vs %.12g (rel %.3e)\n", worst[k].second, v.first,
                   v.second, worst[k].first);
    }
    fail(what + (expect_differ ? ": values agree although they must differ"
                               : ": values differ beyond the tolerance"));
  }
  return maxrel;
}

std::string option(std::vector<std::string> &args, const std::string &name, const char *def) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return def ? def : "";
  if (it + 1 == args.end()) fail("option " + name + " needs a value");
  std::string v = *(it + 1);
  args.erase(it, it + 2);
  return v;
}

bool flag(std::vector<std::string> &args, const std::string &name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

void check(symgnn_status st, const symgnn_error &err, const char *what) {
  if (st != SYMGNN_OK) fail(std::string(what) + ": " + err.message);
}

// Rewrite a model with another label normalization (a wide output range makes the
// comparisons sensitive: untrained models predict nearly constant values).
int cmd_set_norm(const std::vector<std::string> &a) {
  if (a.size() != 4) fail("set-norm IN OUT MEAN STD");
  symgnn_error err;
  symgnn_model *m = nullptr;
  check(symgnn_model_read(a[0].c_str(), &m, &err), err, "read model");
  symgnn_model_set_label_norm(m, std::atof(a[2].c_str()), std::atof(a[3].c_str()));
  check(symgnn_model_write(m, a[1].c_str(), &err), err, "write model");
  symgnn_model_free(m);
  return 0;
}

// EB of every atom of the dump from the C core (graph builder + predict), compared with
// COLUMN; atoms of NULL types must be 0 in COLUMN and are left out of the graph. MODEL may be
// an ensemble: COLUMN is then the members' mean and --std names the column of their
// population standard deviation, both recomputed here from each member's own prediction.
int cmd_reference(std::vector<std::string> a) {
  const double rtol = std::atof(option(a, "--rtol", "1e-5").c_str());
  const std::string std_col = option(a, "--std", nullptr);
  if (a.size() < 4) fail("reference DUMP COLUMN MODEL ELEM_TYPE1 ... [--std COLUMN]");
  const Dump d = read_dump(a[0]);
  const int col = d.column(a[1]), tc = d.column("type");
  const int sc = std_col.empty() ? -1 : d.column(std_col);
  const int xc = d.column("x"), yc = d.column("y"), zc = d.column("z");
  symgnn_error err;
  symgnn_ensemble *ens = nullptr;
  check(symgnn_ensemble_read(a[2].c_str(), &ens, &err), err, "read model");
  const symgnn_model *m = symgnn_ensemble_member(ens, 0);
  const int nmembers = symgnn_ensemble_size(ens);
  if (sc >= 0 && nmembers < 2) fail("--std needs an ensemble model");
  std::vector<int> typemap;
  for (size_t k = 3; k < a.size(); ++k)
    typemap.push_back(a[k] == "NULL" ? -1 : symgnn_model_element_index(m, a[k].c_str()));

  std::vector<long> ids;
  std::vector<double> pos;
  std::vector<int> species;
  long nnull = 0;
  for (const auto &kv : d.rows) {
    const int t = (int)kv.second[tc];
    if (t < 1 || t > (int)typemap.size()) fail("atom type " + std::to_string(t) + " not mapped");
    if (typemap[t - 1] < 0) {
      if (kv.second[col] != 0.0)
        fail("atom " + std::to_string(kv.first) + " of a NULL type has EB " +
             std::to_string(kv.second[col]) + ", expected 0");
      ++nnull;
      continue;
    }
    ids.push_back(kv.first);
    species.push_back(typemap[t - 1]);
    pos.push_back(kv.second[xc] - d.lo[0]);
    pos.push_back(kv.second[yc] - d.lo[1]);
    pos.push_back(kv.second[zc] - d.lo[2]);
  }
  const double lattice[9] = {d.hi[0] - d.lo[0], 0, 0,         d.tilt[0],
                             d.hi[1] - d.lo[1], 0, d.tilt[1], d.tilt[2],
                             d.hi[2] - d.lo[2]};
  symgnn_graph *g = nullptr;
  check(symgnn_graph_build((int)ids.size(), pos.data(), lattice, species.data(),
                           symgnn_model_arch(m)->cutoff, &g, &err),
        err, "graph");
  const symgnn_graph_view view = symgnn_graph_get_view(g);
  std::vector<std::vector<double>> member(nmembers, std::vector<double>(ids.size()));
  for (int k = 0; k < nmembers; ++k) {
    symgnn_eval *ev = nullptr;
    check(symgnn_eval_create(symgnn_ensemble_member(ens, k), &ev, &err), err, "eval");
    check(symgnn_predict(ev, &view, member[k].data(), &err), err, "predict");
    symgnn_eval_free(ev);
  }
  std::map<long, std::pair<double, double>> ab, sd;
  for (size_t n = 0; n < ids.size(); ++n) {
    double mean = 0.0, var = 0.0;
    for (int k = 0; k < nmembers; ++k) mean += member[k][n] / nmembers;
    for (int k = 0; k < nmembers; ++k) var += (member[k][n] - mean) * (member[k][n] - mean);
    ab[ids[n]] = {d.rows.at(ids[n])[col], mean};
    if (sc >= 0) sd[ids[n]] = {d.rows.at(ids[n])[sc], std::sqrt(var / nmembers)};
  }
  std::printf("reference: %zu atoms, %lld edges, %ld atoms of NULL types, %d member(s)\n",
              ids.size(), (long long)symgnn_graph_nedges(g), nnull, nmembers);
  compare_series(ab, rtol, false, a[0] + " " + a[1] + " vs C core");
  if (sc >= 0) compare_series(sd, rtol, false, a[0] + " " + std_col + " vs C core (spread)");
  symgnn_graph_free(g);
  symgnn_ensemble_free(ens);
  return 0;
}

// Two dumps of the same atoms: COL_A == factor * COL_B per atom ID.
int cmd_compare(std::vector<std::string> a) {
  const double rtol = std::atof(option(a, "--rtol", "1e-6").c_str());
  const double factor = std::atof(option(a, "--factor", "1").c_str());
  const bool differ = flag(a, "--expect-differ");
  if (a.size() != 4) fail("compare DUMP_A COL_A DUMP_B COL_B [--rtol R] [--factor F]");
  const Dump da = read_dump(a[0]), db = read_dump(a[2]);
  const int ca = da.column(a[1]), cb = db.column(a[3]);
  if (da.rows.size() != db.rows.size()) fail("the dumps have different atom counts");
  std::map<long, std::pair<double, double>> ab;
  for (const auto &kv : da.rows) {
    auto it = db.rows.find(kv.first);
    if (it == db.rows.end()) fail("atom " + std::to_string(kv.first) + " missing in " + a[2]);
    ab[kv.first] = {kv.second[ca], factor * it->second[cb]};
  }
  compare_series(ab, rtol, differ, a[0] + " " + a[1] + " vs " + a[2] + " " + a[3]);
  return 0;
}

// Group masking in one dump: COL_GROUP is 0 where COL_MASK is 0 and equals COL_ALL elsewhere.
int cmd_masked(const std::vector<std::string> &a) {
  if (a.size() != 4) fail("masked DUMP COL_GROUP COL_ALL COL_MASK");
  const Dump d = read_dump(a[0]);
  const int cg = d.column(a[1]), ca = d.column(a[2]), cm = d.column(a[3]);
  long in = 0, out = 0;
  for (const auto &kv : d.rows) {
    const auto &v = kv.second;
    if (v[cm] == 0.0) {
      ++out;
      if (v[cg] != 0.0)
        fail("atom " + std::to_string(kv.first) + " outside the group has " +
             std::to_string(v[cg]));
    } else {
      ++in;
      if (v[cg] != v[ca] || v[ca] == 0.0)
        fail("atom " + std::to_string(kv.first) + " in the group: " + std::to_string(v[cg]) +
             " vs " + std::to_string(v[ca]));
    }
  }
  if (in == 0 || out == 0) fail("the test group must contain some atoms but not all");
  std::printf("masked: %ld atoms in the group equal the all-atom values, %ld outside are 0\n", in,
              out);
  return 0;
}

// At least MIN atoms with a non-zero COLUMN (guards against a silently empty result).
int cmd_count(const std::vector<std::string> &a) {
  if (a.size() != 3) fail("count DUMP COLUMN MIN_NONZERO");
  const Dump d = read_dump(a[0]);
  const int c = d.column(a[1]);
  const long n = std::count_if(d.rows.begin(), d.rows.end(),
                               [c](const auto &kv) { return kv.second[c] != 0.0; });
  std::printf("count: %ld of %zu atoms non-zero\n", n, d.rows.size());
  if (n < std::atol(a[2].c_str())) fail("too few non-zero values");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) fail("usage: symgnn_lmp_check set-norm|reference|compare|masked|count ...");
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "set-norm") return cmd_set_norm(args);
    if (cmd == "reference") return cmd_reference(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "masked") return cmd_masked(args);
    if (cmd == "count") return cmd_count(args);
  } catch (const std::exception &e) {
    fail(e.what());
  }
  fail("unknown command " + cmd);
}
