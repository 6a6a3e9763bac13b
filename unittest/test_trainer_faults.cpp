// symgnn-train under faults: killed with SIGKILL at random moments, again and
// again, on a tiny synthetic data set with a checkpoint at every step; after
// every kill the last checkpoint loads, the best model loads and is not ahead
// of the checkpoint, --restart continues, and the run that finally completes
// ends with the same weights as an uninterrupted run and no temporary left.
// Then a full disk (a small tmpfs, when mounting is permitted) during a write.
#include "symgnn.h"
#include "temp_dir_test.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace {

const std::string kTrain = SYMGNN_TRAIN_EXE;

// A random periodic box of n atoms at least 2 A apart, every third one Zr,
// with a label the model can learn: 1 + 0.1 per Cu and 0.15 per Zr neighbour
// within 3.2 A, + 0.3 for a Zr centre. Written as extended XYZ.
void write_box(const std::string &path, int n, unsigned seed) {
  const double L = std::cbrt(n / 0.063);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, L);
  std::vector<double> x;
  while ((int)x.size() < 3 * n) {
    const double r[3] = {u(rng), u(rng), u(rng)};
    bool ok = true;
    for (size_t j = 0; ok && j < x.size(); j += 3) {
      double d2 = 0;
      for (int k = 0; k < 3; ++k) {
        double d = r[k] - x[j + k];
        d -= L * std::round(d / L);
        d2 += d * d;
      }
      ok = d2 >= 4.0;
    }
    if (ok) x.insert(x.end(), r, r + 3);
  }
  std::ofstream f(path);
  f.precision(10);
  f << n << "\nLattice=\"" << L << " 0 0 0 " << L << " 0 0 0 " << L
    << "\" Properties=species:S:1:pos:R:3:eb:R:1 pbc=\"T T T\"\n";
  for (int i = 0; i < n; ++i) {
    double label = i % 3 ? 1.0 : 1.3; // a Zr centre adds 0.3
    for (int j = 0; j < n; ++j) {
      double d2 = 0;
      for (int k = 0; k < 3; ++k) {
        double d = x[3 * i + k] - x[3 * j + k];
        d -= L * std::round(d / L);
        d2 += d * d;
      }
      if (j != i && d2 < 3.2 * 3.2) label += j % 3 ? 0.1 : 0.15;
    }
    f << (i % 3 ? "Cu" : "Zr") << " " << x[3 * i] << " " << x[3 * i + 1] << " " << x[3 * i + 2]
      << " " << label << "\n";
  }
}

// Run a command through the shell; exit status and merged output.
int run(const std::string &cmd, std::string *out = nullptr) {
  FILE *p = popen((cmd + " 2>&1").c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int st = p ? pclose(p) : -1;
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string read_text(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Names in `dir` that contain ".tmp.": temporaries of the atomic writes.
std::vector<std::string> temporaries(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = opendir(dir.c_str());
  for (const dirent *e; d && (e = readdir(d));)
    if (std::strstr(e->d_name, ".tmp.")) names.push_back(e->d_name);
  if (d) closedir(d);
  return names;
}

// Step and best step of a checkpoint, from the layout symgnn_tr_ckpt_write
// writes (little endian): magic 8, version 4, mode 4, nparams 8, nstats 8,
// step 8, epoch 8, pos 4, ntrain 4, ntrain x 4 order, 4 x 8 generator,
// best Pearson 8, best step 8.
bool checkpoint_steps(const std::string &text, int64_t *step, int64_t *best) {
  if (text.size() < 56) return false;
  int32_t ntrain;
  std::memcpy(step, text.data() + 32, 8);
  std::memcpy(&ntrain, text.data() + 52, 4);
  const size_t at = 56 + 4 * (size_t)ntrain + 32 + 8;
  if (ntrain < 0 || text.size() < at + 8) return false;
  std::memcpy(best, text.data() + at, 8);
  return true;
}

// The "steps" provenance of a model file; -1 when it does not load.
int64_t model_step(const std::string &path, std::string *why = nullptr) {
  symgnn_model *m = nullptr;
  symgnn_error err;
  if (symgnn_model_read(path.c_str(), &m, &err) != SYMGNN_OK) {
    if (why) *why = err.message;
    return -1;
  }
  int64_t step = -1;
  for (int i = 0; i < symgnn_model_nprovenance(m); ++i)
    if (std::string(symgnn_model_provenance_key(m, i)) == "steps")
      step = std::atoll(symgnn_model_provenance_value(m, i));
  symgnn_model_free(m);
  return step;
}

std::vector<float> model_params(const std::string &path) {
  symgnn_model *m = nullptr;
  symgnn_error err;
  if (symgnn_model_read(path.c_str(), &m, &err) != SYMGNN_OK) return {};
  const float *p = symgnn_model_params(m);
  std::vector<float> v(p, p + symgnn_model_nparams(m));
  const float *s = symgnn_model_stats(m);
  v.insert(v.end(), s, s + symgnn_model_nstats(m));
  symgnn_model_free(m);
  return v;
}

class TrainerFaults : public symgnn_test::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (HasFatalFailure()) return;
    setenv("OMP_NUM_THREADS", "1", 1); // the trainers it starts: one thread each, on a busy machine
    for (int k = 0; k < 3; ++k) write_box(dir_ + "/box" + std::to_string(k) + ".extxyz", 48, 7 + k);
  }
  void TearDown() override {
    if (!mounted_.empty()) umount(mounted_.c_str());
    TempDirTest::TearDown();
  }

  // A run directory with a config: a checkpoint, curve row and (when better)
  // best model at every step, so most of the run's time is spent writing.
  std::string config(const std::string &name, const std::string &out_dir = "") const {
    const std::string d = dir_ + "/" + name;
    mkdir(d.c_str(), 0755);
    std::ofstream f(d + "/train.yaml");
    f << "data:\n  train: [../box0.extxyz, ../box1.extxyz, ../box2.extxyz]\n"
         "  validation: [../box0.extxyz]\n  elements: [Cu, Zr]\n"
         "model: {width: 8, heads: [2, 1], decoder_depth: 2, dropout: 0.0}\n"
         "optimizer: {lr: 0.003, clip_norm: 0}\n"
         "training: {batch: 1, epochs: 40, eval_interval: 1, patience: 0, seed: 2}\n";
    if (!out_dir.empty())
      f << "output:\n  checkpoint: " << out_dir << "/ck\n  best_model: " << out_dir
        << "/best\n  model: " << out_dir << "/final\n  learning_curve: " << out_dir
        << "/curve.csv\n";
    return d;
  }

  std::string mounted_; // a tmpfs to unmount, or empty
};

// Start the trainer in `d` (cwd) with optional --restart; returns its pid.
pid_t spawn_trainer(const std::string &d, bool restart) {
  std::vector<std::string> args = {kTrain, d + "/train.yaml"};
  if (restart) {
    args.push_back("--restart");
    args.push_back(d + "/symgnn-train.ckpt");
  }
  std::vector<char *> argv;
  for (std::string &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (d + "/log.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, kTrain.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Milliseconds until `log` holds a progress line ("step ") past byte `from`,
// polling; -1 when the process `pid` ends first.
double wait_for_progress(const std::string &log, size_t from, pid_t pid) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    const std::string text = read_text(log);
    if (text.size() > from && text.find("step ", from) != std::string::npos)
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
          .count();
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST_F(TrainerFaults, KilledAtRandomMomentsAlwaysRestartsAndEndsLikeAnUninterruptedRun) {
  // Reference: the same config without interruption; its training time (from
  // the first progress line to the end) sets the scale of the kill moments.
  const std::string ref = config("ref");
  const pid_t rpid = spawn_trainer(ref, false);
  ASSERT_GT(rpid, 0);
  ASSERT_GE(wait_for_progress(ref + "/log.txt", 0, rpid), 0.0) << read_text(ref + "/log.txt");
  const auto t0 = std::chrono::steady_clock::now();
  int rstatus = 0;
  ASSERT_EQ(waitpid(rpid, &rstatus, 0), rpid);
  ASSERT_TRUE(WIFEXITED(rstatus) && WEXITSTATUS(rstatus) == 0) << read_text(ref + "/log.txt");
  const double train_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::vector<float> want = model_params(ref + "/symgnn-final.model");
  ASSERT_FALSE(want.empty());

  // One kill in four at a random moment of start-up (before the first step);
  // the others at a moment drawn uniformly from the first 25 % of the training
  // time after the first progress line, so kills land in steps, evaluations
  // and writes, and each attempt makes some progress from the last checkpoint.
  const std::string d = config("killed");
  const int max_kills = 10;
  std::string out;
  std::mt19937 rng(2026);
  std::uniform_real_distribution<double> when(0.0, 0.25), startup(0.0, 150.0);
  int kills = 0, finished = 0, restarts = 0, temporaries_seen = 0;
  for (int attempt = 0; attempt < 60 && !finished; ++attempt) {
    const bool restart = std::ifstream(d + "/symgnn-train.ckpt").good();
    restarts += restart;
    const size_t log_size = read_text(d + "/log.txt").size();
    const pid_t pid = spawn_trainer(d, restart);
    ASSERT_GT(pid, 0);
    if (kills < max_kills) {
      const bool in_startup = rng() % 4 == 0;
      double delay = in_startup ? startup(rng) : when(rng) * train_ms;
      if (!in_startup && wait_for_progress(d + "/log.txt", log_size, pid) < 0) delay = 0.0;
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay));
      kill(pid, SIGKILL);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      ++kills;
      temporaries_seen += (int)temporaries(d).size();
    } else {
      ASSERT_TRUE(WIFEXITED(status));
      ASSERT_EQ(WEXITSTATUS(status), 0) << read_text(d + "/log.txt");
      finished = 1;
    }
    // Whatever is on disk now loads, and the best model is not ahead of the checkpoint.
    if (!std::ifstream(d + "/symgnn-train.ckpt").good()) continue;
    ASSERT_EQ(run("'" + kTrain + "' '" + d + "/train.yaml' --dry-run --restart '" + d +
                      "/symgnn-train.ckpt'",
                  &out),
              0)
        << "checkpoint after kill " << kills << " does not load: " << out;
    int64_t step = -1, best = -1;
    ASSERT_TRUE(checkpoint_steps(read_text(d + "/symgnn-train.ckpt"), &step, &best));
    if (!std::ifstream(d + "/symgnn-best.model").good()) {
      EXPECT_EQ(best, step) << "no best model, so the kill came before its first write";
      continue;
    }
    std::string why;
    const int64_t best_file = model_step(d + "/symgnn-best.model", &why);
    ASSERT_GE(best_file, 0) << "best model after kill " << kills << " does not load: " << why;
    // Either it is the checkpoint's best, or the kill fell between the
    // checkpoint and the best model (best step = checkpoint step), which
    // --restart repairs.
    EXPECT_TRUE(best_file == best || (best == step && best_file < best))
        << "best model at step " << best_file << ", checkpoint at step " << step
        << " with best step " << best;
  }
  ASSERT_TRUE(finished) << kills
                        << " kills, the run never completed: " << read_text(d + "/log.txt");
  // A kill drawn late in an attempt can come after the run has finished (the
  // delays scale with the reference run's time, and a less loaded machine
  // trains faster): at least half of the planned kills must have landed.
  EXPECT_GE(kills, max_kills / 2) << "the run completed after only " << kills << " kills";
  EXPECT_GE(restarts, 5);
  // The interrupted run ends where the uninterrupted one does, bit for bit,
  // with the same best model step and no temporary left.
  EXPECT_EQ(model_params(d + "/symgnn-final.model"), want);
  EXPECT_EQ(model_step(d + "/symgnn-best.model"), model_step(ref + "/symgnn-best.model"));
  EXPECT_EQ(model_params(d + "/symgnn-best.model"), model_params(ref + "/symgnn-best.model"));
  EXPECT_EQ(read_text(d + "/learning_curve.csv").size(),
            read_text(ref + "/learning_curve.csv").size());
  EXPECT_TRUE(temporaries(d).empty()) << temporaries(d)[0];
  std::printf("%d kills, %d restarts, %d temporaries left by kills during a write (each "
              "removed at the next start), uninterrupted training %.0f ms\n",
              kills, restarts, temporaries_seen, train_ms);
}

// The kill that falls between the checkpoint and the best model, made on
// purpose: stop where the best step is the checkpoint's step, put back the
// previous best model, restart. The restart rewrites the best model from the
// checkpoint, and the run ends as an uninterrupted one does.
TEST_F(TrainerFaults, RestartRewritesABestModelOlderThanTheCheckpoint) {
  const std::string ref = config("ref"), d = config("gap");
  std::string out;
  ASSERT_EQ(run("cd '" + ref + "' && '" + kTrain + "' train.yaml", &out), 0) << out;
  // The first step after step 1 where validation improved, from the curve.
  std::istringstream curve(read_text(ref + "/learning_curve.csv"));
  std::string line;
  std::getline(curve, line); // header
  int64_t improved = -1;
  double top = -2.0;
  while (improved < 0 && std::getline(curve, line)) {
    std::vector<double> v;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, ',');) v.push_back(std::atof(c.c_str()));
    ASSERT_GE(v.size(), 5u) << line;
    if (v[4] > top && top > -2.0) improved = (int64_t)v[0];
    top = std::max(top, v[4]);
  }
  ASSERT_GT(improved, 1) << "validation never improved after step 1: " << out;
  ASSERT_EQ(
      run("cd '" + d + "' && '" + kTrain + "' train.yaml --stop-at " + std::to_string(improved - 1),
          &out),
      0)
      << out;
  const std::string older = read_text(d + "/symgnn-best.model");
  ASSERT_EQ(run("cd '" + d + "' && '" + kTrain + "' train.yaml --restart symgnn-train.ckpt " +
                    "--stop-at " + std::to_string(improved),
                &out),
            0)
      << out;
  int64_t step = 0, best = -1;
  ASSERT_TRUE(checkpoint_steps(read_text(d + "/symgnn-train.ckpt"), &step, &best));
  ASSERT_EQ(step, improved);
  ASSERT_EQ(best, improved);
  std::ofstream(d + "/symgnn-best.model", std::ios::binary) << older;
  ASSERT_LT(model_step(d + "/symgnn-best.model"), best);
  ASSERT_EQ(run("cd '" + d + "' && '" + kTrain + "' train.yaml --restart symgnn-train.ckpt", &out),
            0)
      << out;
  EXPECT_NE(out.find("restart: best model symgnn-best.model rewritten from the checkpoint (step " +
                     std::to_string(best) + ")"),
            std::string::npos)
      << out;
  EXPECT_EQ(model_params(d + "/symgnn-final.model"), model_params(ref + "/symgnn-final.model"));
  EXPECT_EQ(model_step(d + "/symgnn-best.model"), model_step(ref + "/symgnn-best.model"));
  EXPECT_EQ(model_params(d + "/symgnn-best.model"), model_params(ref + "/symgnn-best.model"));
}

// A stale temporary of our own naming (a process id, as earlier versions
// wrote, or six mkstemp characters) is removed at start; others are kept.
TEST_F(TrainerFaults, StaleTemporariesAreRemovedAtStart) {
  const std::string d = config("stale");
  for (const char *name :
       {"symgnn-train.ckpt.tmp.1", "symgnn-best.model.tmp.Ab3xY9", "learning_curve.csv.tmp.42",
        "symgnn-train.ckpt.tmp.keep-me", "notes.tmp.123456"})
    std::ofstream(d + "/" + name) << "partial";
  std::string out;
  ASSERT_EQ(run("cd '" + d + "' && '" + kTrain + "' train.yaml", &out), 0) << out;
  EXPECT_NE(out.find("removed 3 stale temporary files of an interrupted run"), std::string::npos)
      << out;
  const std::vector<std::string> left = temporaries(d);
  EXPECT_EQ(left.size(), 2u);
  EXPECT_TRUE(std::ifstream(d + "/symgnn-train.ckpt.tmp.keep-me").good());
  EXPECT_TRUE(std::ifstream(d + "/notes.tmp.123456").good());
}

// A full disk during a checkpoint write: a clear error naming the file and
// the system error, the previous checkpoint intact. Needs a 600 kB tmpfs
// (root, or a container that permits mount); skipped otherwise.
TEST_F(TrainerFaults, FullDiskKeepsThePreviousCheckpoint) {
  const std::string mnt = dir_ + "/tmpfs";
  mkdir(mnt.c_str(), 0755);
  if (mount("symgnn-test", mnt.c_str(), "tmpfs", 0, "size=600k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs at " << mnt << " (" << std::strerror(errno)
                 << "): needs root or CAP_SYS_ADMIN";
  mounted_ = mnt;
  const std::string d = config("full", mnt);
  std::string out;
  // First fill the disk but for ~ one checkpoint: a run stopped at step 2
  // writes checkpoint, curve and models, then a filler takes what is left.
  const int rc1 = run("cd '" + d + "' && '" + kTrain + "' train.yaml --stop-at 2", &out);
  ASSERT_EQ(rc1, 0) << out;
  const std::string before = read_text(mnt + "/ck");
  ASSERT_FALSE(before.empty());
  // Leave 16 kB: the learning curve (< 1 kB) still fits, the checkpoint
  // (about 50 kB) does not.
  struct statvfs fs;
  ASSERT_EQ(statvfs(mnt.c_str(), &fs), 0);
  const long long free_blocks = (long long)(fs.f_bavail * fs.f_frsize / 4096) - 4;
  ASSERT_GT(free_blocks, 0);
  ASSERT_GT(before.size(), 20000u);
  run("dd if=/dev/zero of='" + mnt + "/filler' bs=4k count=" + std::to_string(free_blocks) +
      " 2>/dev/null");
  const int rc2 =
      run("cd '" + d + "' && '" + kTrain + "' train.yaml --restart '" + mnt + "/ck'", &out);
  EXPECT_EQ(rc2, 1) << out;
  EXPECT_NE(out.find("symgnn-train: error: cannot write '" + mnt + "/ck': "), std::string::npos)
      << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_EQ(read_text(mnt + "/ck"), before) << "the previous checkpoint changed";
  EXPECT_TRUE(temporaries(mnt).empty());
}

} // namespace
