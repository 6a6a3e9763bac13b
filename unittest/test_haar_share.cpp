// A haar table built in one context and handed as bytes to another
// (symgnn_eval_haar_export / _import; LAMMPS builds each member's table on
// one MPI rank and broadcasts it): the receiving context predicts exactly
// what the building one does, a context without a table evaluates nothing,
// and bytes that do not fit the model are refused by name.
#include "symgnn.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace symgnn_test;

namespace {

EvalPtr eval_with(const symgnn_model *m, int flags) {
  symgnn_eval *ev = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_create_with(m, flags, &ev, &err), SYMGNN_OK) << err.message;
  return EvalPtr(ev);
}

std::vector<unsigned char> exported(const symgnn_eval *ev) {
  size_t size = 0;
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_haar_export(ev, nullptr, 0, &size, &err), SYMGNN_ERR_ARG);
  std::vector<unsigned char> bytes(size);
  EXPECT_EQ(symgnn_eval_haar_export(ev, bytes.data(), bytes.size(), &size, &err), SYMGNN_OK)
      << err.message;
  EXPECT_EQ(size, bytes.size());
  return bytes;
}

// Barriers of a small periodic configuration; status of the prediction in *st.
std::vector<double> predict(symgnn_eval *ev, symgnn_status *st, std::string *msg = nullptr) {
  const double lat[9] = {8.6, 0, 0, 0, 8.4, 0, 0.5, 0, 8.8};
  const int n = 24;
  const std::vector<double> pos = random_config(n, lat, 2.2, 8);
  std::vector<int> species(n);
  for (int i = 0; i < n; ++i) species[i] = i % 3 == 0;
  symgnn_graph *g = nullptr;
  symgnn_error err{};
  EXPECT_EQ(symgnn_graph_build(n, pos.data(), lat, species.data(), 5.0, &g, &err), SYMGNN_OK);
  const symgnn_graph_view v = symgnn_graph_get_view(g);
  std::vector<double> out(n, 0.0);
  *st = symgnn_predict(ev, &v, out.data(), &err);
  if (msg) *msg = err.message;
  symgnn_graph_free(g);
  return out;
}

// Import, expecting a refusal whose message contains `what`.
void expect_refused(symgnn_eval *ev, const std::vector<unsigned char> &bytes, symgnn_status code,
                    const std::string &what) {
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_haar_import(ev, bytes.data(), bytes.size(), &err), code) << what;
  EXPECT_NE(std::string(err.message).find(what), std::string::npos) << err.message;
}

// A deferred context refuses to evaluate; one imported from another context's
// export predicts bit for bit what the building context predicts, and reports
// that build.
TEST(HaarShare, ImportedTablePredictsExactlyWhatTheBuiltOneDoes) {
  ModelPtr m(random_model(0, nullptr, 41));
  ASSERT_TRUE(m);
  EvalPtr built = eval_with(m.get(), 0), later = eval_with(m.get(), SYMGNN_EVAL_DEFER_TABLE);
  symgnn_status st;
  std::string msg;
  predict(later.get(), &st, &msg);
  EXPECT_EQ(st, SYMGNN_ERR_ARG);
  EXPECT_NE(msg.find("haar table of this context is not built yet"), std::string::npos) << msg;
  symgnn_haar_table_info info{};
  symgnn_error err{};
  EXPECT_EQ(symgnn_eval_haar_info(later.get(), &info, &err), SYMGNN_ERR_ARG);
  float g[32];
  const double x[3] = {2.5, 0.0, 0.0};
  EXPECT_EQ(symgnn_eval_edge_encode(later.get(), 1, x, g, &err), SYMGNN_ERR_ARG);

  const std::vector<unsigned char> bytes = exported(built.get());
  ASSERT_EQ(symgnn_eval_haar_import(later.get(), bytes.data(), bytes.size(), &err), SYMGNN_OK)
      << err.message;
  const std::vector<double> a = predict(built.get(), &st);
  ASSERT_EQ(st, SYMGNN_OK);
  const std::vector<double> b = predict(later.get(), &st);
  ASSERT_EQ(st, SYMGNN_OK);
  EXPECT_EQ(a, b);
  symgnn_haar_table_info ia{}, ib{};
  ASSERT_EQ(symgnn_eval_haar_info(built.get(), &ia, &err), SYMGNN_OK);
  ASSERT_EQ(symgnn_eval_haar_info(later.get(), &ib, &err), SYMGNN_OK);
  EXPECT_EQ(ia.ndist, ib.ndist);
  EXPECT_EQ(ia.order, ib.order);
  EXPECT_EQ(ia.dr, ib.dr);
  EXPECT_EQ(ia.quad_error, ib.quad_error);
  EXPECT_EQ(ia.build_seconds, ib.build_seconds);

  // Building in place gives the same barriers as the context that built at creation.
  EvalPtr own = eval_with(m.get(), SYMGNN_EVAL_DEFER_TABLE);
  ASSERT_EQ(symgnn_eval_haar_build(own.get(), &err), SYMGNN_OK) << err.message;
  EXPECT_EQ(predict(own.get(), &st), a);
}

// Bytes that do not fit the receiving model are refused by name, and a
// context keeps the table it had.
TEST(HaarShare, RefusesTablesThatDoNotFit) {
  ModelPtr m(random_model(0, nullptr, 43));
  const symgnn_arch narrow = narrow_arch();
  ModelPtr other_width(random_model(0, nullptr, 43, 2, &narrow));
  symgnn_arch far = cuzr_arch();
  far.cutoff = 5.5;
  ModelPtr other_cutoff(random_model(0, nullptr, 43, 2, &far));
  ASSERT_TRUE(m && other_width && other_cutoff);
  EvalPtr ev = eval_with(m.get(), 0);
  symgnn_status st;
  const std::vector<double> before = predict(ev.get(), &st);
  ASSERT_EQ(st, SYMGNN_OK);
  const std::vector<unsigned char> good = exported(ev.get());

  expect_refused(ev.get(), exported(eval_with(other_width.get(), 0).get()), SYMGNN_ERR_FORMAT,
                 "haar table of width 8 for a model of width 32");
  expect_refused(ev.get(), exported(eval_with(other_cutoff.get(), 0).get()), SYMGNN_ERR_FORMAT,
                 "haar table up to 5.5 Angstrom for a model of cutoff 5");
  std::vector<unsigned char> bad = good;
  bad.pop_back();
  expect_refused(ev.get(), bad, SYMGNN_ERR_FORMAT, std::to_string(bad.size()) + " given");
  bad = good;
  bad[0] ^= 1;
  expect_refused(ev.get(), bad, SYMGNN_ERR_FORMAT, "no haar table exported");
  bad = good;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bad.data() + bad.size() - sizeof nan, &nan, sizeof nan);
  expect_refused(ev.get(), bad, SYMGNN_ERR_NONFINITE,
                 "haar table value " + std::to_string(good.size() / 4 - 18 - 1) + " is nan");
  bad = good;
  const double wrong_dr = 0.004;
  std::memcpy(bad.data() + 8 + 4 * sizeof(int32_t) + sizeof(double), &wrong_dr, sizeof wrong_dr);
  expect_refused(ev.get(), bad, SYMGNN_ERR_FORMAT, "haar table spacing 0.004");

  EXPECT_EQ(predict(ev.get(), &st), before);
  EXPECT_EQ(st, SYMGNN_OK);
}

// A model with stored transforms has no table to build, export or import.
TEST(HaarShare, TransformModelsHaveNoTable) {
  const std::vector<double> t = random_transforms(2, 1);
  ModelPtr m(random_model(2, t.data(), 9));
  EvalPtr ev = eval_with(m.get(), SYMGNN_EVAL_DEFER_TABLE);
  symgnn_status st;
  predict(ev.get(), &st);
  EXPECT_EQ(st, SYMGNN_OK); // the flag does not concern it
  symgnn_error err{};
  size_t size = 0;
  EXPECT_EQ(symgnn_eval_haar_build(ev.get(), &err), SYMGNN_ERR_ARG);
  EXPECT_EQ(symgnn_eval_haar_export(ev.get(), nullptr, 0, &size, &err), SYMGNN_ERR_ARG);
  const unsigned char byte = 0;
  EXPECT_EQ(symgnn_eval_haar_import(ev.get(), &byte, 1, &err), SYMGNN_ERR_ARG);
  EXPECT_NE(std::string(err.message).find("stores transforms"), std::string::npos);
}

} // namespace
