// Model file formats v1 and v2: round trips, an independent encoder written from
// doc/model-format.md, one test per malformed case, and atomic writes.
#include "symgnn.h"
#include "symgnn_crc32.h"
// symgnn_layout.h has no C++ guards of its own.
extern "C" {
#include "symgnn_layout.h"
}
#include "symgnn_tensors.h"
#include "temp_dir_test.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

struct ModelDeleter {
  void operator()(symgnn_model *m) const { symgnn_model_free(m); }
};
using ModelPtr = std::unique_ptr<symgnn_model, ModelDeleter>;

// CRC-32 (zlib/IEEE, reflected 0xEDB88320) bit by bit: independent of the
// library's table-driven version.
uint32_t crc32_bitwise(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// Everything a v1 or v2 file holds, as plain values, so tests can write any
// (also invalid) file. Count fields are derived from the vectors unless set.
struct FileSpec {
  uint32_t version = 2;
  uint32_t symmetrization = 0; // v2: 0 transforms (count and list follow), 1 haar
  std::vector<std::string> names;
  double cutoff = 5.0;
  std::string units = "metal";
  uint32_t width = 0;
  std::vector<uint32_t> heads;
  uint32_t decoder_depth = 0;
  std::vector<double> transforms; // 9 per transform, row-major
  double label_mean = 0.0, label_std = 1.0;
  std::vector<std::pair<std::string, std::string>> provenance;
  uint64_t nparams = 0, nstats = 0; // the size fields as written
  std::vector<float> params, stats;
  int64_t nprov_field = -1; // provenance count to write instead of the real one
};

// A file's bytes and the offset where each field starts.
struct Encoded {
  Bytes bytes;
  std::map<std::string, size_t> at;
};

// Writes a FileSpec following doc/model-format.md, field by field, little-endian.
class Encoder {
public:
  Encoded run(const FileSpec &s) {
    mark("magic");
    raw("SYMGNN\0\x1a", 8);
    mark("version");
    u32(s.version);
    mark("element_count");
    u32(static_cast<uint32_t>(s.names.size()));
    mark("names");
    for (const auto &n : s.names) {
      unsigned char field[16] = {0};
      std::memcpy(field, n.data(), std::min<size_t>(n.size(), 16));
      raw(field, 16);
    }
    mark("cutoff");
    f64(s.cutoff);
    mark("units");
    str(s.units);
    mark("width");
    u32(s.width);
    mark("layer_count");
    u32(static_cast<uint32_t>(s.heads.size()));
    for (uint32_t h : s.heads) u32(h);
    mark("decoder_depth");
    u32(s.decoder_depth);
    if (s.version >= 2) {
      mark("symmetrization");
      u32(s.symmetrization);
    }
    if (s.version < 2 || s.symmetrization == 0) {
      mark("transform_count");
      u32(static_cast<uint32_t>(s.transforms.size() / 9));
      mark("transforms");
      for (double t : s.transforms) f64(t);
    }
    mark("label_mean");
    f64(s.label_mean);
    mark("label_std");
    f64(s.label_std);
    mark("provenance_count");
    u32(s.nprov_field >= 0 ? static_cast<uint32_t>(s.nprov_field)
                           : static_cast<uint32_t>(s.provenance.size()));
    mark("provenance");
    for (const auto &kv : s.provenance) {
      str(kv.first);
      str(kv.second);
    }
    mark("nparams");
    u64(s.nparams);
    mark("nstats");
    u64(s.nstats);
    mark("params");
    for (float x : s.params) f32(x);
    mark("stats");
    for (float x : s.stats) f32(x);
    mark("checksum");
    u32(crc32_bitwise(e_.bytes.data(), e_.bytes.size()));
    return e_;
  }

private:
  void mark(const char *name) { e_.at[name] = e_.bytes.size(); }
  void raw(const void *p, size_t n) {
    const auto *b = static_cast<const unsigned char *>(p);
    e_.bytes.insert(e_.bytes.end(), b, b + n);
  }
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) e_.bytes.push_back(static_cast<unsigned char>(v >> (8 * k)));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v));
    u32(static_cast<uint32_t>(v >> 32));
  }
  void f64(double x) {
    uint64_t v;
    std::memcpy(&v, &x, 8);
    u64(v);
  }
  void f32(float x) {
    uint32_t v;
    std::memcpy(&v, &x, 4);
    u32(v);
  }
  void str(const std::string &s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  Encoded e_;
};

Encoded encode(const FileSpec &s) { return Encoder().run(s); }

// Recompute the closing checksum after a test patched some bytes.
void fix_checksum(Bytes &b) {
  const uint32_t c = crc32_bitwise(b.data(), b.size() - 4);
  for (int k = 0; k < 4; ++k) b[b.size() - 4 + k] = static_cast<unsigned char>(c >> (8 * k));
}

// The FileSpec of a valid model, read through the public API only.
FileSpec spec_of(const symgnn_model *m) {
  FileSpec s;
  const symgnn_arch *a = symgnn_model_arch(m);
  for (int i = 0; i < a->nelements; ++i) s.names.emplace_back(a->elements[i]);
  s.cutoff = a->cutoff;
  s.units = symgnn_model_units(m);
  s.width = static_cast<uint32_t>(a->width);
  for (int l = 0; l < a->nlayers; ++l) s.heads.push_back(static_cast<uint32_t>(a->heads[l]));
  s.decoder_depth = static_cast<uint32_t>(a->decoder_depth);
  s.symmetrization = symgnn_model_symmetrization(m) == SYMGNN_SYMM_HAAR ? 1 : 0;
  const double *t = symgnn_model_transforms(m);
  if (t) s.transforms.assign(t, t + 9 * symgnn_model_ntransforms(m));
  symgnn_model_label_norm(m, &s.label_mean, &s.label_std);
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    s.provenance.emplace_back(symgnn_model_provenance_key(m, i),
                              symgnn_model_provenance_value(m, i));
  s.nparams = symgnn_model_nparams(m);
  s.nstats = symgnn_model_nstats(m);
  s.params.assign(symgnn_model_params_const(m), symgnn_model_params_const(m) + s.nparams);
  s.stats.assign(symgnn_model_stats_const(m), symgnn_model_stats_const(m) + s.nstats);
  return s;
}

// Identity, the reference code's R_z(1) R_y(-1) R_x(1), then rotations about z.
std::vector<double> transforms(int k) {
  std::vector<double> t;
  for (int i = 0; i < k; ++i) {
    if (i == 1) {
      const double c = std::cos(1.0), s = std::sin(1.0);
      const double rz[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
      const double ry[9] = {c, 0, -s, 0, 1, 0, s, 0, c};
      const double rx[9] = {1, 0, 0, 0, c, -s, 0, s, c};
      double a[9] = {0}, b[9] = {0};
      for (int r = 0; r < 3; ++r)
        for (int q = 0; q < 3; ++q)
          for (int j = 0; j < 3; ++j) a[3 * r + q] += rz[3 * r + j] * ry[3 * j + q];
      for (int r = 0; r < 3; ++r)
        for (int q = 0; q < 3; ++q)
          for (int j = 0; j < 3; ++j) b[3 * r + q] += a[3 * r + j] * rx[3 * j + q];
      t.insert(t.end(), b, b + 9);
    } else {
      const double c = std::cos(0.7 * i), s = std::sin(0.7 * i);
      const double r[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
      t.insert(t.end(), r, r + 9);
    }
  }
  return t;
}

// BatchNorm statistics as after training (means around 0, variances > 0), so
// the statistics block is not all 0/1 and a swap of mean and var would show.
void randomize_stats(symgnn_model *m, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> mean(0.0f, 0.5f);
  std::uniform_real_distribution<float> var(0.05f, 3.0f);
  symgnn_tensor t[SYMGNN_MAX_STAT_TENSORS];
  const int n = symgnn_stat_tensors(symgnn_model_layout(m), t);
  float *s = symgnn_model_stats(m);
  for (int k = 0; k < n; ++k)
    for (size_t i = 0; i < symgnn_tensor_size(&t[k]); ++i)
      s[t[k].offset + i] = (k % 2 == 0) ? mean(gen) : var(gen);
}

ModelPtr make_model(const symgnn_arch &arch, int k, uint64_t seed) {
  const std::vector<double> t = transforms(k);
  symgnn_model *m = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_create(&arch, k, t.data(), seed, &m, &err), SYMGNN_OK) << err.message;
  if (m) randomize_stats(m, static_cast<unsigned>(seed));
  return ModelPtr(m);
}

// The paper's architecture for Cu and Zr, trained-looking metadata.
ModelPtr default_model() {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch a;
  symgnn_arch_default(&a, 2, names);
  ModelPtr m = make_model(a, 2, 2024);
  symgnn_model_set_label_norm(m.get(), 1.6346, 0.3104);
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_set_provenance(m.get(), "training_data", "cuzr-eb train0..train5", &err),
            SYMGNN_OK);
  EXPECT_EQ(symgnn_model_set_provenance(m.get(), "steps", "1200", &err), SYMGNN_OK);
  return m;
}

// A non-default architecture: 3 elements, width 8, heads 3,2, decoder 2, K = 3.
ModelPtr small_model() {
  const char *names[3] = {"Cu", "Zr", "Al"};
  symgnn_arch a;
  symgnn_arch_default(&a, 3, names);
  a.cutoff = 4.25;
  a.width = 8;
  a.nlayers = 2;
  a.heads[0] = 3;
  a.heads[1] = 2;
  a.decoder_depth = 2;
  ModelPtr m = make_model(a, 3, 99);
  symgnn_model_set_label_norm(m.get(), -0.75, 2.5);
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_set_provenance(m.get(), "seed", "99", &err), SYMGNN_OK);
  return m;
}

Bytes file_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put_file(const std::string &path, const Bytes &b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Assert that two models hold the same data, bit for bit.
void expect_same_model(const symgnn_model *x, const symgnn_model *y) {
  const symgnn_arch *a = symgnn_model_arch(x), *b = symgnn_model_arch(y);
  ASSERT_EQ(a->nelements, b->nelements);
  for (int i = 0; i < a->nelements; ++i) EXPECT_STREQ(a->elements[i], b->elements[i]);
  EXPECT_EQ(std::memcmp(&a->cutoff, &b->cutoff, sizeof(double)), 0);
  EXPECT_EQ(a->width, b->width);
  ASSERT_EQ(a->nlayers, b->nlayers);
  for (int l = 0; l < a->nlayers; ++l) EXPECT_EQ(a->heads[l], b->heads[l]);
  EXPECT_EQ(a->decoder_depth, b->decoder_depth);
  EXPECT_STREQ(symgnn_model_units(x), symgnn_model_units(y));
  EXPECT_EQ(symgnn_model_symmetrization(x), symgnn_model_symmetrization(y));
  ASSERT_EQ(symgnn_model_ntransforms(x), symgnn_model_ntransforms(y));
  if (symgnn_model_ntransforms(x) > 0)
    EXPECT_EQ(std::memcmp(symgnn_model_transforms(x), symgnn_model_transforms(y),
                          9 * sizeof(double) * symgnn_model_ntransforms(x)),
              0);
  double mx, sx, my, sy;
  symgnn_model_label_norm(x, &mx, &sx);
  symgnn_model_label_norm(y, &my, &sy);
  EXPECT_EQ(std::memcmp(&mx, &my, sizeof mx), 0);
  EXPECT_EQ(std::memcmp(&sx, &sy, sizeof sx), 0);
  ASSERT_EQ(symgnn_model_nprovenance(x), symgnn_model_nprovenance(y));
  for (int i = 0; i < symgnn_model_nprovenance(x); ++i) {
    EXPECT_STREQ(symgnn_model_provenance_key(x, i), symgnn_model_provenance_key(y, i));
    EXPECT_STREQ(symgnn_model_provenance_value(x, i), symgnn_model_provenance_value(y, i));
  }
  ASSERT_EQ(symgnn_model_nparams(x), symgnn_model_nparams(y));
  ASSERT_EQ(symgnn_model_nstats(x), symgnn_model_nstats(y));
  EXPECT_EQ(std::memcmp(symgnn_model_params_const(x), symgnn_model_params_const(y),
                        sizeof(float) * symgnn_model_nparams(x)),
            0);
  EXPECT_EQ(std::memcmp(symgnn_model_stats_const(x), symgnn_model_stats_const(y),
                        sizeof(float) * symgnn_model_nstats(x)),
            0);
}

// Read bytes; the result must be the given error, with a message containing `part`.
void expect_rejected(const Bytes &b, symgnn_status code, const std::string &part) {
  symgnn_model *m = nullptr;
  symgnn_error err{};
  const symgnn_status st = symgnn_model_read_buffer(b.data(), b.size(), &m, &err);
  EXPECT_EQ(st, code) << symgnn_status_name(st) << ": " << err.message;
  EXPECT_EQ(err.code, code);
  EXPECT_NE(std::string(err.message).find(part), std::string::npos)
      << "message '" << err.message << "' lacks '" << part << "'";
  EXPECT_EQ(m, nullptr);
  symgnn_model_free(m);
}

std::string hex8(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// Each test gets its own scratch directory (symgnn_test::TempDirTest).
class ModelIo : public symgnn_test::TempDirTest {
protected:
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto &e : fs::directory_iterator(dir_)) names.insert(e.path().filename().string());
    return names;
  }
  Bytes written(const symgnn_model *m) {
    symgnn_error err{};
    EXPECT_EQ(symgnn_model_write(m, path("m.sgnn").c_str(), &err), SYMGNN_OK) << err.message;
    return file_bytes(path("m.sgnn"));
  }
};

// ------------------------------------------------------------- checksum

// The library's run-time version is the header's and the project's (CMake).
TEST(Version, LibraryHeaderAndProjectAgree) {
  int major = -1, minor = -1, patch = -1;
  const char *v = symgnn_version(&major, &minor, &patch);
  EXPECT_STREQ(v, SYMGNN_VERSION_STRING);
  EXPECT_STREQ(v, SYMGNN_PROJECT_VERSION);
  EXPECT_EQ(std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch),
            std::string(v));
  EXPECT_STREQ(symgnn_version(nullptr, nullptr, nullptr), v);
}

TEST(ModelCrc32, MatchesTheStandardCheckValue) {
  // The published CRC-32 check value of "123456789" (zlib, IEEE 802.3).
  EXPECT_EQ(symgnn_crc32(0, "123456789", 9), 0xCBF43926u);
  EXPECT_EQ(symgnn_crc32(0, "", 0), 0u);
}

TEST(ModelCrc32, IncrementalEqualsOneShotAndBitwise) {
  std::mt19937 gen(5);
  Bytes b(5000);
  std::generate(b.begin(), b.end(), [&gen] { return static_cast<unsigned char>(gen()); });
  const uint32_t whole = symgnn_crc32(0, b.data(), b.size());
  EXPECT_EQ(whole, crc32_bitwise(b.data(), b.size()));
  EXPECT_EQ(symgnn_crc32(symgnn_crc32(0, b.data(), 1234), b.data() + 1234, b.size() - 1234), whole);
}

// --------------------------------------------------------------- layout

TEST(ModelLayout, DefaultArchitectureHasThePapersParameterCount) {
  const char *names[2] = {"Cu", "Zr"};
  symgnn_arch a;
  symgnn_arch_default(&a, 2, names);
  symgnn_layout lay;
  symgnn_error err{};
  ASSERT_EQ(symgnn_layout_build(&a, &lay, &err), SYMGNN_OK) << err.message;
  EXPECT_EQ(lay.nparams, 102373u); // released PyTorch model's count (doc/model-format.md)
  // mean and var for every BN: 4 encoder BNs and 4 decoder BNs of 32, two per layer of 32H.
  size_t bn_widths = 8 * 32;
  for (int l = 0; l < 4; ++l) bn_widths += 2 * static_cast<size_t>(l == 3 ? 32 : 32 * a.heads[l]);
  EXPECT_EQ(lay.nstats, 2 * bn_widths);
}

// The closed-form sizes printed in doc/model-format.md, sections 3 and 4.
TEST(ModelLayout, DocumentedSizeFormulasMatchTheLayout) {
  struct Case {
    int n, d, D;
    std::vector<int> heads;
  };
  const Case cases[] = {
      {2, 32, 4, {8, 4, 2, 1}}, {3, 8, 2, {3, 2}}, {1, 5, 0, {1}}, {16, 12, 16, {2, 3, 4}}};
  for (const Case &c : cases) {
    symgnn_arch a;
    symgnn_arch_default(&a, c.n, nullptr);
    a.width = c.d;
    a.decoder_depth = c.D;
    a.nlayers = static_cast<int>(c.heads.size());
    for (int l = 0; l < a.nlayers; ++l) a.heads[l] = c.heads[l];
    symgnn_layout lay;
    ASSERT_EQ(symgnn_layout_build(&a, &lay, nullptr), SYMGNN_OK);
    const size_t n = c.n, d = c.d, D = c.D;
    size_t np = n * d + 2 * d * d + 14 * d + D * (d * d + 3 * d + 1) + d + 1, sum_m = 0;
    for (size_t l = 0; l < c.heads.size(); ++l) {
      const size_t h = c.heads[l], m = (l + 1 < c.heads.size()) ? d * h : d;
      np += 4 * d * d * h + 2 * d * h + 4 * m + 2 * d * m + 2 * d;
      sum_m += m;
    }
    EXPECT_EQ(lay.nparams, np);
    EXPECT_EQ(lay.nstats, 2 * (4 * d + 2 * sum_m + D * d));
  }
}

// The documented tensor order must tile the flat arrays without gaps.
void expect_tiling(const symgnn_tensor *t, int n, size_t total) {
  ASSERT_GT(n, 0);
  size_t at = 0;
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(t[k].offset, at) << t[k].name;
    at = t[k].offset + symgnn_tensor_size(&t[k]);
  }
  EXPECT_EQ(at, total);
}

TEST(ModelLayout, TensorListTilesParametersAndStatisticsInOrder) {
  for (const ModelPtr &m : {default_model(), small_model()}) {
    ASSERT_TRUE(m);
    const symgnn_layout *lay = symgnn_model_layout(m.get());
    symgnn_tensor p[SYMGNN_MAX_PARAM_TENSORS], s[SYMGNN_MAX_STAT_TENSORS];
    const int np = symgnn_param_tensors(lay, p), ns = symgnn_stat_tensors(lay, s);
    expect_tiling(p, np, lay->nparams);
    expect_tiling(s, ns, lay->nstats);
    EXPECT_STREQ(p[0].name, "node_encoder.embedding");
    EXPECT_EQ(p[0].shape[0], symgnn_model_arch(m.get())->nelements);
    EXPECT_STREQ(p[np - 1].name, "output.bias");
  }
}

// ----------------------------------------------------------- round trips

TEST_F(ModelIo, RoundTripDefaultArchitecture) {
  ModelPtr m = default_model();
  ASSERT_TRUE(m);
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_write(m.get(), path("m.sgnn").c_str(), &err), SYMGNN_OK) << err.message;
  symgnn_model *r = nullptr;
  ASSERT_EQ(symgnn_model_read(path("m.sgnn").c_str(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  expect_same_model(m.get(), back.get());
  EXPECT_EQ(symgnn_model_nparams(back.get()), 102373u);
}

TEST_F(ModelIo, RoundTripNonDefaultArchitecture) {
  ModelPtr m = small_model();
  ASSERT_TRUE(m);
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_write(m.get(), path("m.sgnn").c_str(), &err), SYMGNN_OK) << err.message;
  symgnn_model *r = nullptr;
  ASSERT_EQ(symgnn_model_read(path("m.sgnn").c_str(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  expect_same_model(m.get(), back.get());
  EXPECT_EQ(symgnn_model_ntransforms(back.get()), 3);
  EXPECT_EQ(symgnn_model_element_index(back.get(), "Al"), 2);
}

TEST_F(ModelIo, ReadBufferEqualsReadFile) {
  ModelPtr m = small_model();
  const Bytes b = written(m.get());
  symgnn_model *r = nullptr;
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_read_buffer(b.data(), b.size(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  expect_same_model(m.get(), back.get());
}

// A haar model of the small architecture (no stored transforms).
ModelPtr haar_model() {
  ModelPtr m = small_model();
  if (m) symgnn_model_set_haar(m.get());
  return m;
}

// The writer's bytes equal an encoding written from the documentation alone.
TEST_F(ModelIo, WriterFollowsTheDocumentedLayoutByteByByte) {
  for (const ModelPtr &m : {default_model(), small_model(), haar_model()}) {
    ASSERT_TRUE(m);
    const Bytes b = written(m.get());
    const Encoded e = encode(spec_of(m.get()));
    ASSERT_EQ(b.size(), e.bytes.size());
    EXPECT_TRUE(b == e.bytes);
  }
}

// The worked example of the documentation: the paper's architecture, K = 2,
// no provenance, is 419505 bytes in v2 (4 more than v1: the kind field), and
// a haar model of it 144 + 4 bytes less (no transform list, no count).
TEST_F(ModelIo, DocumentedSizesOfTheWorkedExample) {
  ModelPtr m = default_model();
  ASSERT_TRUE(m);
  FileSpec s = spec_of(m.get());
  s.provenance.clear();
  s.transforms.resize(18);
  EXPECT_EQ(encode(s).bytes.size(), 419505u);
  EXPECT_EQ(encode(s).at.at("transforms"), 101u);
  s.version = 1;
  EXPECT_EQ(encode(s).bytes.size(), 419501u);
  s.version = 2;
  s.symmetrization = 1;
  EXPECT_EQ(encode(s).bytes.size(), 419357u);
}

// Version 1 files (no kind field, always transforms) still load.
TEST_F(ModelIo, ReadsVersion1Files) {
  ModelPtr m = small_model();
  FileSpec s = spec_of(m.get());
  s.version = 1;
  const Bytes b = encode(s).bytes;
  symgnn_model *r = nullptr;
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_read_buffer(b.data(), b.size(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  EXPECT_EQ(symgnn_model_symmetrization(back.get()), SYMGNN_SYMM_TRANSFORMS);
  expect_same_model(m.get(), back.get());
}

TEST_F(ModelIo, HaarModelRoundTrips) {
  ModelPtr m = haar_model();
  ASSERT_TRUE(m);
  const Bytes b = written(m.get());
  symgnn_model *r = nullptr;
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_read_buffer(b.data(), b.size(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  EXPECT_EQ(symgnn_model_symmetrization(back.get()), SYMGNN_SYMM_HAAR);
  EXPECT_EQ(symgnn_model_ntransforms(back.get()), 0);
  EXPECT_EQ(symgnn_model_transforms(back.get()), nullptr);
  expect_same_model(m.get(), back.get());
}

TEST_F(ModelIo, RejectsUnknownSymmetrizationKind) {
  FileSpec s = spec_of(haar_model().get());
  s.symmetrization = 2;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "symmetrization kind 2 outside 0..1");
}

TEST_F(ModelIo, SpecialFloatValuesRoundTripExactly) {
  ModelPtr m = small_model();
  float *p = symgnn_model_params(m.get());
  p[0] = -0.0f;
  p[1] = std::numeric_limits<float>::denorm_min();
  p[2] = std::numeric_limits<float>::max();
  p[3] = -std::numeric_limits<float>::min();
  const Bytes b = written(m.get());
  symgnn_model *r = nullptr;
  ASSERT_EQ(symgnn_model_read_buffer(b.data(), b.size(), &r, nullptr), SYMGNN_OK);
  ModelPtr back(r);
  expect_same_model(m.get(), back.get());
}

// ------------------------------------------------------- malformed files

TEST_F(ModelIo, RejectsWrongMagic) {
  Bytes b = written(small_model().get());
  b[3] = 'X';
  expect_rejected(b, SYMGNN_ERR_MAGIC, "not a SymGNN model file");
  const std::string text = "# this is a text file, not a model\n";
  expect_rejected(Bytes(text.begin(), text.end()), SYMGNN_ERR_MAGIC, "23 20 74 68");
}

TEST_F(ModelIo, RejectsFutureVersion) {
  FileSpec s = spec_of(small_model().get());
  s.version = 7;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_VERSION,
                  "format version 7 is newer than this library supports (2)");
}

TEST_F(ModelIo, RejectsVersionZero) {
  FileSpec s = spec_of(small_model().get());
  s.version = 0;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_VERSION, "format version 0 is not valid");
}

TEST_F(ModelIo, RejectsEmptyFile) { expect_rejected(Bytes(), SYMGNN_ERR_TRUNC, "empty (0 bytes)"); }

// Cut the default model inside each section; every cut names its field.
TEST_F(ModelIo, RejectsTruncationAtSeveralPoints) {
  const Encoded e = encode(spec_of(default_model().get()));
  const size_t size = e.bytes.size();
  const std::vector<std::pair<size_t, std::string>> cuts = {
      {5, "truncated"},
      {10, "magic and format version"},
      {e.at.at("element_count") + 2, "element count at offset 12"},
      {e.at.at("names") + 20, "name of element 2"},
      {e.at.at("units") + 6, "units"},
      {e.at.at("symmetrization") + 1, "symmetrization kind"},
      {e.at.at("transforms") + 100, "transforms"},
      {e.at.at("label_std"), "label mean and std"},
      {e.at.at("provenance") + 9, "provenance"},
      {e.at.at("nstats") + 3, "statistics count"},
      {e.at.at("params") + 4 * 50000 + 2, "parameters"},
      {e.at.at("stats") + 7, "statistics"},
      {size - 4, "checksum"},
      {size - 1, "checksum"},
  };
  for (const auto &cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut.first));
    expect_rejected(Bytes(e.bytes.begin(), e.bytes.begin() + static_cast<long>(cut.first)),
                    SYMGNN_ERR_TRUNC, cut.second);
  }
}

// Every proper prefix of a file is truncated: none is accepted or misread.
TEST_F(ModelIo, RejectsEveryPrefixAsTruncated) {
  const Bytes b = written(small_model().get());
  for (size_t n = 0; n < b.size(); ++n) {
    symgnn_model *m = nullptr;
    symgnn_error err{};
    ASSERT_EQ(symgnn_model_read_buffer(b.data(), n, &m, &err), SYMGNN_ERR_TRUNC)
        << "prefix of " << n << " bytes: " << err.message;
    ASSERT_EQ(m, nullptr);
  }
}

TEST_F(ModelIo, RejectsChecksumMismatch) {
  const Encoded e = encode(spec_of(default_model().get()));
  Bytes b = e.bytes;
  b[e.at.at("params") + 4 * 777 + 1] ^= 0x10;
  const uint32_t stored = crc32_bitwise(e.bytes.data(), e.bytes.size() - 4);
  const uint32_t computed = crc32_bitwise(b.data(), b.size() - 4);
  ASSERT_NE(stored, computed);
  expect_rejected(b, SYMGNN_ERR_CHECKSUM, "checksum mismatch: stored " + hex8(stored));
  expect_rejected(b, SYMGNN_ERR_CHECKSUM, "computed " + hex8(computed));
}

// Any single flipped bit is caught by the checksum (or an earlier check).
TEST_F(ModelIo, RejectsEverySingleBitFlip) {
  const Bytes b = written(small_model().get());
  for (size_t i = 0; i < b.size(); ++i) {
    Bytes c = b;
    c[i] ^= static_cast<unsigned char>(1u << (i % 8));
    symgnn_model *m = nullptr;
    symgnn_error err{};
    ASSERT_NE(symgnn_model_read_buffer(c.data(), c.size(), &m, &err), SYMGNN_OK)
        << "flip at byte " << i << " accepted";
    ASSERT_NE(err.message[0], '\0');
  }
}

TEST_F(ModelIo, RejectsNonFiniteWeight) {
  ModelPtr m = default_model();
  symgnn_tensor t[SYMGNN_MAX_PARAM_TENSORS];
  const int n = symgnn_param_tensors(symgnn_model_layout(m.get()), t);
  const symgnn_tensor *w = nullptr;
  for (int k = 0; k < n; ++k)
    if (std::string(t[k].name) == "layer2.W_ni") w = &t[k];
  ASSERT_NE(w, nullptr);
  const size_t index = w->offset + 5 * static_cast<size_t>(w->shape[1]) + 3;
  FileSpec s = spec_of(m.get());
  s.params[index] = std::numeric_limits<float>::quiet_NaN();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_NONFINITE,
                  "layer2.W_ni[5][3] (parameter index " + std::to_string(index) + ")");
}

TEST_F(ModelIo, RejectsNonFiniteStatistic) {
  FileSpec s = spec_of(small_model().get());
  s.stats.back() = -std::numeric_limits<float>::infinity();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_NONFINITE, "decoder2.bn.running_var[7]");
}

TEST_F(ModelIo, RejectsNegativeRunningVariance) {
  FileSpec s = spec_of(small_model().get());
  s.stats.back() = -0.5f;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "negative running variance");
}

TEST_F(ModelIo, RejectsInconsistentParameterCount) {
  FileSpec s = spec_of(default_model().get());
  s.nparams += 1;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT,
                  "inconsistent sizes: the file has 102374 parameters");
}

TEST_F(ModelIo, RejectsInconsistentStatisticsCount) {
  FileSpec s = spec_of(small_model().get());
  s.nstats -= 2;
  s.stats.resize(s.nstats);
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "inconsistent sizes");
}

// A huge size field allocates nothing: with a valid checksum it is an
// inconsistency, without one the bytes it claims are simply not there.
TEST_F(ModelIo, RejectsAbsurdParameterCountWithoutAllocating) {
  FileSpec s = spec_of(small_model().get());
  s.nparams = uint64_t(1) << 62;
  Encoded e = encode(s);
  expect_rejected(e.bytes, SYMGNN_ERR_FORMAT, "inconsistent sizes");
  e.bytes.back() ^= 0xFF;
  expect_rejected(e.bytes, SYMGNN_ERR_TRUNC,
                  "parameters at offset " + std::to_string(e.at.at("params")) +
                      " need 4611686018427387904 float32");
}

TEST_F(ModelIo, RejectsZeroElements) {
  FileSpec s = spec_of(small_model().get());
  s.names.clear();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "element count 0 outside 1..16");
}

TEST_F(ModelIo, RejectsTooManyElements) {
  FileSpec s = spec_of(small_model().get());
  for (int i = 0; i < 14; ++i) s.names.push_back("X" + std::to_string(i));
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "element count 17 outside 1..16");
}

TEST_F(ModelIo, RejectsNegativeCutoff) {
  FileSpec s = spec_of(small_model().get());
  s.cutoff = -5.0;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "cutoff -5");
}

TEST_F(ModelIo, RejectsNonFiniteCutoff) {
  FileSpec s = spec_of(small_model().get());
  s.cutoff = std::numeric_limits<double>::quiet_NaN();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "cutoff nan");
}

TEST_F(ModelIo, RejectsUnterminatedElementName) {
  FileSpec s = spec_of(small_model().get());
  s.names[1] = "ABCDEFGHIJKLMNOP"; // 16 bytes: fills the field, no NUL
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "name of element 2 at offset 32");
}

TEST_F(ModelIo, RejectsEmptyElementName) {
  FileSpec s = spec_of(small_model().get());
  s.names[2] = "";
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "element 3 has an empty");
}

TEST_F(ModelIo, RejectsDuplicateElementName) {
  FileSpec s = spec_of(small_model().get());
  s.names[2] = "Cu";
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "'Cu' appears twice");
}

TEST_F(ModelIo, RejectsGarbageAfterElementName) {
  FileSpec s = spec_of(small_model().get());
  s.names[0] = std::string("Cu\0zz", 5);
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "element 1 has non-zero padding");
}

TEST_F(ModelIo, RejectsUnitsOtherThanMetal) {
  FileSpec s = spec_of(small_model().get());
  s.units = "real";
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "units 'real' not supported");
}

TEST_F(ModelIo, RejectsWidthOutOfRange) {
  FileSpec s = spec_of(small_model().get());
  s.width = 0;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "embedding width 0 outside 1..4096");
  s.width = 0x90000000u;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "width 2415919104 is out of range");
}

TEST_F(ModelIo, RejectsHeadsOutOfRange) {
  FileSpec s = spec_of(small_model().get());
  s.heads[1] = 65;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "layer 2 has 65 heads");
}

TEST_F(ModelIo, RejectsLayerCountOutOfRange) {
  FileSpec s = spec_of(small_model().get());
  s.heads.clear();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "layer count 0 outside 1..16");
}

TEST_F(ModelIo, RejectsDecoderDepthOutOfRange) {
  FileSpec s = spec_of(small_model().get());
  s.decoder_depth = 17;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "decoder depth 17");
}

TEST_F(ModelIo, RejectsZeroTransforms) {
  FileSpec s = spec_of(small_model().get());
  s.transforms.clear();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "transform count 0 outside 1..4096");
}

TEST_F(ModelIo, RejectsNonFiniteTransform) {
  FileSpec s = spec_of(small_model().get());
  s.transforms[9 + 4] = std::numeric_limits<double>::infinity();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "transform 2 entry 5 is not finite");
}

TEST_F(ModelIo, RejectsNonPositiveLabelStd) {
  FileSpec s = spec_of(small_model().get());
  s.label_std = 0.0;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "label std 0 is not a positive");
}

TEST_F(ModelIo, RejectsNonFiniteLabelMean) {
  FileSpec s = spec_of(small_model().get());
  s.label_mean = std::numeric_limits<double>::infinity();
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "label mean inf");
}

TEST_F(ModelIo, RejectsDuplicateProvenanceKey) {
  FileSpec s = spec_of(small_model().get());
  s.provenance.emplace_back("seed", "100");
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "provenance key 'seed' appears twice");
}

TEST_F(ModelIo, RejectsInvalidProvenanceKey) {
  FileSpec s = spec_of(small_model().get());
  s.provenance.emplace_back("two words", "x");
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "provenance entry 2");
}

TEST_F(ModelIo, RejectsNulInsideProvenance) {
  FileSpec s = spec_of(small_model().get());
  s.provenance.emplace_back("note", std::string("a\0b", 3));
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "provenance entry 2 has a NUL byte");
}

TEST_F(ModelIo, RejectsAbsurdProvenanceCount) {
  FileSpec s = spec_of(small_model().get());
  s.nprov_field = 0xFFFFFFFF;
  expect_rejected(encode(s).bytes, SYMGNN_ERR_FORMAT, "provenance count 4294967295 outside");
}

TEST_F(ModelIo, RejectsOverlongProvenanceValue) {
  const Encoded e = encode(spec_of(small_model().get()));
  Bytes b = e.bytes;
  const size_t klen_at = e.at.at("provenance");
  const size_t vlen_at = klen_at + 4 + b[klen_at];
  for (int k = 0; k < 4; ++k) b[vlen_at + k] = 0xFF;
  fix_checksum(b);
  expect_rejected(b, SYMGNN_ERR_FORMAT, "provenance value length 4294967295 outside 0..4096");
}

TEST_F(ModelIo, RejectsTrailingGarbage) {
  Bytes b = written(small_model().get());
  const size_t size = b.size();
  b.insert(b.end(), {'x', 'y', 'z'});
  expect_rejected(b, SYMGNN_ERR_FORMAT,
                  "3 trailing bytes after the checksum that ends at offset " +
                      std::to_string(size));
}

TEST_F(ModelIo, RejectsMissingFile) {
  symgnn_model *m = nullptr;
  symgnn_error err{};
  const std::string p = path("does_not_exist.sgnn");
  EXPECT_EQ(symgnn_model_read(p.c_str(), &m, &err), SYMGNN_ERR_IO);
  EXPECT_NE(std::string(err.message).find(p), std::string::npos) << err.message;
  EXPECT_NE(std::string(err.message).find("No such file or directory"), std::string::npos)
      << err.message;
  EXPECT_EQ(m, nullptr);
}

TEST_F(ModelIo, RejectsDirectoryAsModelFile) {
  symgnn_model *m = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_read(dir_.c_str(), &m, &err), SYMGNN_ERR_IO);
  EXPECT_NE(std::string(err.message).find(dir_), std::string::npos) << err.message;
}

TEST_F(ModelIo, ReadFileErrorsNameThePath) {
  Bytes b = written(small_model().get());
  b.pop_back();
  put_file(path("cut.sgnn"), b);
  symgnn_model *m = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_read(path("cut.sgnn").c_str(), &m, &err), SYMGNN_ERR_TRUNC);
  EXPECT_NE(std::string(err.message).find(path("cut.sgnn")), std::string::npos) << err.message;
}

// ------------------------------------------------------------ atomic write

TEST_F(ModelIo, FailedWriteIntoMissingDirectoryLeavesNothing) {
  ModelPtr m = small_model();
  symgnn_error err{};
  const std::string p = path("no_such_dir/m.sgnn");
  EXPECT_EQ(symgnn_model_write(m.get(), p.c_str(), &err), SYMGNN_ERR_IO);
  EXPECT_NE(std::string(err.message).find(p), std::string::npos) << err.message;
  EXPECT_NE(std::string(err.message).find("No such file or directory"), std::string::npos)
      << err.message;
  EXPECT_TRUE(listing().empty());
}

// The rename fails late (target is a directory): the temporary must go.
TEST_F(ModelIo, FailedRenameRemovesTheTemporary) {
  ModelPtr m = small_model();
  ASSERT_EQ(mkdir(path("target").c_str(), 0755), 0);
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_write(m.get(), path("target").c_str(), &err), SYMGNN_ERR_IO);
  EXPECT_NE(std::string(err.message).find("rename"), std::string::npos) << err.message;
  EXPECT_EQ(listing(), std::set<std::string>{"target"});
  EXPECT_TRUE(fs::is_empty(path("target")));
}

// A write that fails midway (file size limit, works even as root) keeps the
// previous model and leaves no temporary.
TEST_F(ModelIo, WriteFailingMidwayKeepsTheOldFile) {
  ModelPtr old_model = small_model();
  ModelPtr new_model = default_model();
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_write(old_model.get(), path("m.sgnn").c_str(), &err), SYMGNN_OK);
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = 8192;
  void (*old_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  const symgnn_status st = symgnn_model_write(new_model.get(), path("m.sgnn").c_str(), &err);
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(st, SYMGNN_ERR_IO);
  EXPECT_NE(std::string(err.message).find("File too large"), std::string::npos) << err.message;
  EXPECT_EQ(listing(), std::set<std::string>{"m.sgnn"});
  symgnn_model *r = nullptr;
  ASSERT_EQ(symgnn_model_read(path("m.sgnn").c_str(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  expect_same_model(old_model.get(), back.get());
}

// Overwriting replaces the file by rename: a hard link to the old file still
// sees the complete old contents, the path sees the complete new ones.
TEST_F(ModelIo, OverwriteReplacesTheFileAtomically) {
  ModelPtr first = small_model();
  ModelPtr second = default_model();
  symgnn_error err{};
  ASSERT_EQ(symgnn_model_write(first.get(), path("m.sgnn").c_str(), &err), SYMGNN_OK);
  const Bytes first_bytes = file_bytes(path("m.sgnn"));
  ASSERT_EQ(link(path("m.sgnn").c_str(), path("old.sgnn").c_str()), 0);
  ASSERT_EQ(symgnn_model_write(second.get(), path("m.sgnn").c_str(), &err), SYMGNN_OK);
  EXPECT_TRUE(file_bytes(path("old.sgnn")) == first_bytes);
  struct stat a, b;
  ASSERT_EQ(stat(path("m.sgnn").c_str(), &a), 0);
  ASSERT_EQ(stat(path("old.sgnn").c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  symgnn_model *r = nullptr;
  ASSERT_EQ(symgnn_model_read(path("m.sgnn").c_str(), &r, &err), SYMGNN_OK) << err.message;
  ModelPtr back(r);
  expect_same_model(second.get(), back.get());
  EXPECT_EQ(listing(), (std::set<std::string>{"m.sgnn", "old.sgnn"}));
}

TEST_F(ModelIo, WriterRefusesNonFiniteWeights) {
  ModelPtr m = small_model();
  symgnn_model_params(m.get())[10] = std::numeric_limits<float>::infinity();
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_write(m.get(), path("m.sgnn").c_str(), &err), SYMGNN_ERR_NONFINITE);
  EXPECT_NE(std::string(err.message).find("parameter index 10"), std::string::npos) << err.message;
  EXPECT_TRUE(listing().empty());
}

TEST_F(ModelIo, WriterRefusesInvalidLabelStd) {
  ModelPtr m = small_model();
  symgnn_model_set_label_norm(m.get(), 1.0, -1.0);
  symgnn_error err{};
  EXPECT_EQ(symgnn_model_write(m.get(), path("m.sgnn").c_str(), &err), SYMGNN_ERR_FORMAT);
  EXPECT_NE(std::string(err.message).find("label std -1"), std::string::npos) << err.message;
  EXPECT_TRUE(listing().empty());
}

} // namespace
