// Ensembles: the ensemble file format (round trip, plain files as one member, an
// independent encoder written from doc/model-format.md section 9, every malformed case),
// the reduction to mean and spread, and the training label range in the provenance.
#include "symgnn.h"
#include "symgnn_crc32.h"
#include "temp_dir_test.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;
using symgnn_test::slurp;

// A model with random weights: its own seed makes it differ from the others.
symgnn_model *random_model(uint64_t seed, const char *second = "Zr", double cutoff = 5.0) {
  const char *names[2] = {"Cu", second};
  symgnn_arch arch;
  symgnn_arch_default(&arch, 2, names);
  arch.cutoff = cutoff;
  arch.width = 8;
  symgnn_model *m = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_model_create(&arch, 0, nullptr, seed, &m, &err), SYMGNN_OK) << err.message;
  return m;
}

void put32(Bytes &b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back((unsigned char)(v >> (8 * i)));
}
void put64(Bytes &b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back((unsigned char)(v >> (8 * i)));
}

// The ensemble layout as doc/model-format.md section 9 states it, from member file bytes.
Bytes encode_ensemble(const std::vector<Bytes> &members, uint32_t version = 1) {
  Bytes b = {'S', 'Y', 'M', 'G', 'N', 'N', 0x01, 0x1A};
  put32(b, version);
  put32(b, (uint32_t)members.size());
  for (const Bytes &m : members) {
    put64(b, m.size());
    b.insert(b.end(), m.begin(), m.end());
  }
  put32(b, symgnn_crc32(0, b.data(), b.size()));
  return b;
}

class Ensemble : public symgnn_test::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    for (uint64_t s = 1; s <= 3; ++s) models_.push_back(random_model(s));
  }
  void TearDown() override {
    for (symgnn_model *m : models_) symgnn_model_free(m);
    TempDirTest::TearDown();
  }
  // Bytes of member k written as a plain model file.
  Bytes member_bytes(int k) {
    const std::string p = path("m" + std::to_string(k) + ".model");
    symgnn_error err;
    EXPECT_EQ(symgnn_model_write(models_[k], p.c_str(), &err), SYMGNN_OK) << err.message;
    const std::string s = slurp(p);
    return Bytes(s.begin(), s.end());
  }
  // Reading these bytes fails with `code` and a message containing `what`.
  void expect_rejected(const Bytes &b, symgnn_status code, const std::string &what) {
    symgnn_ensemble *e = nullptr;
    symgnn_error err;
    EXPECT_EQ(symgnn_ensemble_read_buffer(b.data(), b.size(), &e, &err), code) << err.message;
    EXPECT_EQ(e, nullptr);
    EXPECT_NE(std::string(err.message).find(what), std::string::npos) << err.message;
  }
  std::vector<symgnn_model *> models_;
};

TEST_F(Ensemble, RoundTripKeepsEveryMemberExactly) {
  symgnn_error err;
  const std::string p = path("e.model");
  ASSERT_EQ(symgnn_ensemble_write(models_.data(), 3, p.c_str(), &err), SYMGNN_OK) << err.message;
  symgnn_ensemble *e = nullptr;
  ASSERT_EQ(symgnn_ensemble_read(p.c_str(), &e, &err), SYMGNN_OK) << err.message;
  ASSERT_EQ(symgnn_ensemble_size(e), 3);
  EXPECT_EQ(symgnn_ensemble_member(e, 3), nullptr);
  EXPECT_EQ(symgnn_ensemble_member(e, -1), nullptr);
  for (int k = 0; k < 3; ++k) {
    const symgnn_model *m = symgnn_ensemble_member(e, k);
    ASSERT_EQ(symgnn_model_nparams(m), symgnn_model_nparams(models_[k]));
    EXPECT_EQ(0, std::memcmp(symgnn_model_params_const(m), symgnn_model_params_const(models_[k]),
                             symgnn_model_nparams(m) * sizeof(float)));
  }
  // Members differ from each other (independent seeds), so the test above can fail.
  EXPECT_NE(0, std::memcmp(symgnn_model_params_const(models_[0]),
                           symgnn_model_params_const(models_[1]),
                           symgnn_model_nparams(models_[0]) * sizeof(float)));
  symgnn_ensemble_free(e);
}

TEST_F(Ensemble, WriterFollowsTheDocumentedLayoutByteByByte) {
  symgnn_error err;
  const std::string p = path("e.model");
  ASSERT_EQ(symgnn_ensemble_write(models_.data(), 3, p.c_str(), &err), SYMGNN_OK);
  const std::string s = slurp(p);
  EXPECT_EQ(Bytes(s.begin(), s.end()),
            encode_ensemble({member_bytes(0), member_bytes(1), member_bytes(2)}));
}

TEST_F(Ensemble, PlainModelFileIsAnEnsembleOfOne) {
  const Bytes b = member_bytes(1);
  symgnn_ensemble *e = nullptr;
  symgnn_error err;
  ASSERT_EQ(symgnn_ensemble_read_buffer(b.data(), b.size(), &e, &err), SYMGNN_OK) << err.message;
  EXPECT_EQ(symgnn_ensemble_size(e), 1);
  EXPECT_EQ(0, std::memcmp(symgnn_model_params_const(symgnn_ensemble_member(e, 0)),
                           symgnn_model_params_const(models_[1]),
                           symgnn_model_nparams(models_[1]) * sizeof(float)));
  symgnn_ensemble_free(e);
}

TEST_F(Ensemble, ModelReaderPointsToTheEnsembleReader) {
  const Bytes b = encode_ensemble({member_bytes(0), member_bytes(1)});
  symgnn_model *m = nullptr;
  symgnn_error err;
  EXPECT_EQ(symgnn_model_read_buffer(b.data(), b.size(), &m, &err), SYMGNN_ERR_MAGIC);
  EXPECT_NE(std::string(err.message).find("an ensemble file"), std::string::npos) << err.message;
  EXPECT_NE(std::string(err.message).find("symgnn-model member"), std::string::npos);
}

TEST_F(Ensemble, RejectsDamageWithSpecificMessages) {
  const Bytes good = encode_ensemble({member_bytes(0), member_bytes(1)});
  Bytes flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  expect_rejected(flipped, SYMGNN_ERR_CHECKSUM, "ensemble checksum mismatch");
  expect_rejected(Bytes(good.begin(), good.begin() + 14), SYMGNN_ERR_TRUNC,
                  "ensemble file truncated: 14 bytes");
  Bytes cut(good.begin(), good.begin() + good.size() / 2); // truncated, checksum re-made
  cut.resize(cut.size() - 4);
  put32(cut, symgnn_crc32(0, cut.data(), cut.size()));
  expect_rejected(cut, SYMGNN_ERR_FORMAT, "member 1 claims");
  expect_rejected(encode_ensemble({member_bytes(0)}, 2), SYMGNN_ERR_VERSION,
                  "ensemble format version 2");
  expect_rejected(encode_ensemble({}), SYMGNN_ERR_FORMAT, "ensemble of 0 members");
  Bytes bad_member = member_bytes(1);
  bad_member[20] ^= 0x01; // the member's own checksum catches it
  expect_rejected(encode_ensemble({member_bytes(0), bad_member}), SYMGNN_ERR_CHECKSUM,
                  "member 2: checksum mismatch");
}

TEST_F(Ensemble, MembersMustAgreeOnElementsAndCutoff) {
  symgnn_model *other_elements = random_model(9, "Al");
  symgnn_model *other_cutoff = random_model(9, "Zr", 6.0);
  auto bytes_of = [&](symgnn_model *m) {
    const std::string p = path("x.model");
    symgnn_error err;
    EXPECT_EQ(symgnn_model_write(m, p.c_str(), &err), SYMGNN_OK);
    const std::string s = slurp(p);
    return Bytes(s.begin(), s.end());
  };
  expect_rejected(encode_ensemble({member_bytes(0), bytes_of(other_elements)}), SYMGNN_ERR_FORMAT,
                  "member 2 has other elements");
  expect_rejected(encode_ensemble({member_bytes(0), bytes_of(other_cutoff)}), SYMGNN_ERR_FORMAT,
                  "member 2 has cutoff 6 Angstrom, member 1 5");
  // The writer refuses the same and leaves no file behind.
  const symgnn_model *pair[2] = {models_[0], other_elements};
  symgnn_error err;
  EXPECT_EQ(symgnn_ensemble_write(pair, 2, path("bad.model").c_str(), &err), SYMGNN_ERR_FORMAT);
  EXPECT_TRUE(slurp(path("bad.model")).empty());
  EXPECT_EQ(symgnn_ensemble_write(models_.data(), 1, path("one.model").c_str(), &err),
            SYMGNN_ERR_ARG);
  symgnn_model_free(other_elements);
  symgnn_model_free(other_cutoff);
}

// Releasing an evaluation's graph-sized memory between the members of an ensemble changes
// nothing: the next pass allocates it again and gives the same barriers; a layer without a
// new begin is refused.
TEST_F(Ensemble, ReleasedEvaluationPredictsTheSame) {
  const double lat[9] = {9, 0, 0, 0, 9, 0, 0, 0, 9};
  std::vector<double> pos;
  std::vector<int> species;
  for (int i = 0; i < 27; ++i) {
    pos.insert(pos.end(), {3.0 * (i % 3) + 0.1 * (i % 5), 3.0 * (i / 3 % 3), 3.0 * (i / 9)});
    species.push_back(i % 3 == 0);
  }
  symgnn_error err;
  symgnn_graph *g = nullptr;
  ASSERT_EQ(symgnn_graph_build(27, pos.data(), lat, species.data(), 5.0, &g, &err), SYMGNN_OK)
      << err.message;
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  symgnn_eval *ev = nullptr;
  ASSERT_EQ(symgnn_eval_create(models_[0], &ev, &err), SYMGNN_OK) << err.message;
  std::vector<double> a(27), b(27);
  ASSERT_EQ(symgnn_predict(ev, &v, a.data(), &err), SYMGNN_OK) << err.message;
  symgnn_eval_release(ev);
  EXPECT_EQ(symgnn_eval_node_state(ev), nullptr);
  EXPECT_NE(symgnn_eval_layer(ev, 0, &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_predict(ev, &v, b.data(), &err), SYMGNN_OK) << err.message;
  for (int i = 0; i < 27; ++i) EXPECT_EQ(a[i], b[i]) << i;
  symgnn_eval_release(ev);
  symgnn_eval_release(ev); // twice is harmless
  symgnn_eval_free(ev);
  symgnn_graph_free(g);
}

// The members of an ensemble handing one set of graph-sized buffers on
// (symgnn_eval_move_scratch) predict what fresh contexts predict, on graphs
// of different sizes; the giver holds nothing afterwards and must begin anew.
TEST_F(Ensemble, MovedScratchPredictsTheSame) {
  auto graph_of = [](int m) { // m^3 atoms, 3 Angstrom apart, shifted a little
    const int n = m * m * m;
    const double a = 3.0 * m, lat[9] = {a, 0, 0, 0, a, 0, 0, 0, a};
    std::vector<double> pos;
    std::vector<int> species(n);
    for (int i = 0; i < n; ++i) {
      pos.insert(pos.end(), {3.0 * (i % m) + 0.1 * (i % 5), 3.0 * (i / m % m), 3.0 * (i / m / m)});
      species[i] = i % 3 == 0;
    }
    symgnn_graph *g = nullptr;
    symgnn_error err;
    EXPECT_EQ(symgnn_graph_build(n, pos.data(), lat, species.data(), 5.0, &g, &err), SYMGNN_OK);
    return g;
  };
  symgnn_graph *small = graph_of(3), *large = graph_of(4);
  auto fresh = [&](int k, symgnn_graph *g) {
    symgnn_eval *ev = nullptr;
    symgnn_error err;
    EXPECT_EQ(symgnn_eval_create(models_[k], &ev, &err), SYMGNN_OK);
    const symgnn_graph_view v = symgnn_graph_get_view(g);
    std::vector<double> out(v.nlocal);
    EXPECT_EQ(symgnn_predict(ev, &v, out.data(), &err), SYMGNN_OK) << err.message;
    symgnn_eval_free(ev);
    return out;
  };
  std::vector<symgnn_eval *> ev(3, nullptr);
  symgnn_error err;
  for (int k = 0; k < 3; ++k) ASSERT_EQ(symgnn_eval_create(models_[k], &ev[k], &err), SYMGNN_OK);
  for (symgnn_graph *g : {small, large, small}) {
    const symgnn_graph_view v = symgnn_graph_get_view(g);
    for (int k = 0; k < 3; ++k) {
      std::vector<double> out(v.nlocal);
      ASSERT_EQ(symgnn_predict(ev[k], &v, out.data(), &err), SYMGNN_OK) << err.message;
      EXPECT_EQ(out, fresh(k, g)) << "member " << k;
      symgnn_eval_move_scratch(ev[k], ev[(k + 1) % 3]);
      EXPECT_EQ(symgnn_eval_node_state(ev[k]), nullptr);
      EXPECT_NE(symgnn_eval_node_state(ev[(k + 1) % 3]), nullptr);
      EXPECT_NE(symgnn_eval_layer(ev[k], 0, &err), SYMGNN_OK);
    }
  }
  symgnn_eval_move_scratch(ev[0], ev[0]); // to itself: nothing happens
  EXPECT_NE(symgnn_eval_node_state(ev[0]), nullptr);
  symgnn_eval_move_scratch(nullptr, ev[1]);
  for (symgnn_eval *e : ev) symgnn_eval_free(e);
  symgnn_graph_free(small);
  symgnn_graph_free(large);
}

TEST(EnsembleReduce, MeanAndPopulationSpread) {
  const double a[3] = {1.0, 2.0, -1.0}, b[3] = {3.0, 2.0, 1.0};
  const double *rows[2] = {a, b};
  double mean[3], sd[3];
  symgnn_ensemble_reduce(2, 3, rows, mean, sd);
  EXPECT_DOUBLE_EQ(mean[0], 2.0);
  EXPECT_DOUBLE_EQ(sd[0], 1.0);
  EXPECT_DOUBLE_EQ(mean[1], 2.0);
  EXPECT_DOUBLE_EQ(sd[1], 0.0);
  EXPECT_DOUBLE_EQ(mean[2], 0.0);
  EXPECT_DOUBLE_EQ(sd[2], 1.0);
  symgnn_ensemble_reduce(1, 3, rows, mean, sd); // one member: no spread
  EXPECT_DOUBLE_EQ(mean[2], -1.0);
  EXPECT_DOUBLE_EQ(sd[2], 0.0);
}

TEST_F(Ensemble, LabelRangeIsKeptInTheProvenance) {
  double lo = 0, hi = 0;
  EXPECT_EQ(symgnn_model_label_range(models_[0], &lo, &hi), 0);
  symgnn_error err;
  ASSERT_EQ(symgnn_model_set_label_range(models_[0], 0.25, 4.5, &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_model_set_label_range(models_[1], 0.125, 3.0, &err), SYMGNN_OK);
  EXPECT_EQ(symgnn_model_set_label_range(models_[2], 2.0, 1.0, &err), SYMGNN_ERR_ARG);
  EXPECT_EQ(symgnn_model_set_label_range(models_[2], NAN, 1.0, &err), SYMGNN_ERR_ARG);
  ASSERT_EQ(symgnn_model_label_range(models_[0], &lo, &hi), 1);
  EXPECT_EQ(lo, 0.25);
  EXPECT_EQ(hi, 4.5);
  // The ensemble's range spans its members'; a member without one does not narrow it.
  const std::string p = path("e.model");
  ASSERT_EQ(symgnn_ensemble_write(models_.data(), 3, p.c_str(), &err), SYMGNN_OK);
  symgnn_ensemble *e = nullptr;
  ASSERT_EQ(symgnn_ensemble_read(p.c_str(), &e, &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_ensemble_label_range(e, &lo, &hi), 1);
  EXPECT_EQ(lo, 0.125);
  EXPECT_EQ(hi, 4.5);
  symgnn_ensemble_free(e);
  // Malformed text entries read as "no range".
  for (const char *v : {"1", "a b", "2 1", "1 2 3", "1 inf"}) {
    ASSERT_EQ(symgnn_model_set_provenance(models_[2], "label_range", v, &err), SYMGNN_OK);
    EXPECT_EQ(symgnn_model_label_range(models_[2], &lo, &hi), 0) << v;
  }
}

} // namespace
