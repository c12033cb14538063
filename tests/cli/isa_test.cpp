// NMFKIT_ISA and `nmfkit --version`: the version line names the kernels' instruction set; the
// environment variable forces a variant, and an unknown one is a usage error (exit 2), for
// --version and for a fit alike, before anything is written.
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <utility>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

/// Sets an environment variable (or unsets it, given nothing) for the life of the object.
class Environment {
 public:
  Environment(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value)
      ::setenv(name_.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ~Environment() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

/// NMFKIT_ISA set (or unset) for the life of the object.
class IsaEnvironment : public Environment {
 public:
  explicit IsaEnvironment(const std::optional<std::string>& value)
      : Environment("NMFKIT_ISA", value) {}
};

TEST(CliIsa, VersionNamesTheKernels) {
  const IsaEnvironment env(std::nullopt);
  const RunResult r = run_cli({"--version"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(^nmfkit \d+\.\d+\.\d+ \(kernels: (baseline|avx2|avx512), OpenBLAS: \w+)"
                        R"((, malloc: hugetlb=\d)?\)\n$)")))
      << r;
}

// OpenBLAS falls back to its generic Prescott kernels on a CPU newer than itself; the CLI then
// starts again with OPENBLAS_CORETYPE naming the CPU's vector kernels. So on a CPU with AVX2 and
// FMA a run never ends on the Prescott kernels unless the environment asks for them, and a value
// in the environment is kept.
TEST(CliIsa, OpenBlasRunsTheVectorKernelsOfTheCpuUnlessTheEnvironmentNamesOthers) {
  __builtin_cpu_init();
  const bool vector = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  {
    const Environment env("OPENBLAS_CORETYPE", std::nullopt);
    const RunResult r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    if (vector) {
      EXPECT_EQ(r.out.find("OpenBLAS: Prescott"), std::string::npos) << r;
    }
  }
  for (const std::string core : {"Prescott", "Haswell"}) {
    const Environment env("OPENBLAS_CORETYPE", core);
    const RunResult r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    if (core == "Prescott" || vector) {
      EXPECT_TRUE(std::regex_search(r.out, std::regex("OpenBLAS: " + core + "[,)]"))) << r;
    }
  }
}

// glibc reads GLIBC_TUNABLES only when a process starts; the CLI starts again with
// glibc.malloc.hugetlb=1 added (huge pages for what malloc maps), unless the environment already
// names that tunable. Other tunables in the variable are kept.
TEST(CliIsa, MallocGetsHugePagesUnlessTheEnvironmentSaysOtherwise) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
  {
    const Environment env("GLIBC_TUNABLES", std::nullopt);
    const RunResult r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_NE(r.out.find(", malloc: hugetlb=1)"), std::string::npos) << r;
  }
  {
    const Environment env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0");
    const RunResult r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_NE(r.out.find(", malloc: hugetlb=0)"), std::string::npos) << r;
  }
  {
    const Environment env("GLIBC_TUNABLES", "glibc.malloc.perturb=0");
    const RunResult r = run_cli({"--version"});
    EXPECT_EQ(r.code, 0) << r;
    EXPECT_NE(r.out.find(", malloc: hugetlb=1)"), std::string::npos) << r;
  }
#else
  GTEST_SKIP() << "glibc before 2.35 has no glibc.malloc.hugetlb";
#endif
}

TEST(CliIsa, EachVariantRunsOrIsRefusedClearly) {
  for (const std::string isa : {"baseline", "avx2", "avx512", "auto"}) {
    const IsaEnvironment env(isa);
    const RunResult r = run_cli({"--version"});
    if (r.code == 0) {
      if (isa != "auto") {
        EXPECT_NE(r.out.find("(kernels: " + isa + ", "), std::string::npos) << r;
      }
    } else {
      // Only a variant this CPU lacks may be refused, never the baseline or auto.
      EXPECT_NE(isa, "baseline");
      EXPECT_NE(isa, "auto");
      expect_error(r, kUsage, {"NMFKIT_ISA=" + isa, "supported here: baseline"});
    }
  }
}

class CliIsaTest : public CliTest {};

TEST_F(CliIsaTest, AForcedBaselineFitsLikeTheDefault) {
  RunResult runs[2];
  for (int i = 0; i < 2; ++i) {
    const IsaEnvironment env(i == 0 ? std::nullopt : std::optional<std::string>("baseline"));
    runs[i] = fit(idx_, 3, dir_ / ("out" + std::to_string(i)), {"--max-iter", "20", "-q"});
    ASSERT_EQ(runs[i].code, 0) << runs[i];
  }
  const double a = read_summary(dir_ / "out0")["relative_error"];
  const double b = read_summary(dir_ / "out1")["relative_error"];
  // The fit is single precision and nearly exact (relative error about 1e-3), so the variants'
  // rounding (fused multiply-adds or not) moves it in the fifth digit; a broken kernel would move
  // it in the first.
  EXPECT_NEAR(a, b, 1e-3 * a);
}

TEST_F(CliIsaTest, AnUnknownVariantIsAUsageError) {
  const IsaEnvironment env(std::string("sse9"));
  expect_error(run_cli({"--version"}), kUsage, {"NMFKIT_ISA", "sse9", "baseline, avx2 or avx512"});
  const fs::path out = dir_ / "out";
  expect_error(fit(idx_, 3, out), kUsage, {"NMFKIT_ISA", "sse9"});
  expect_no_output(out);
}

}  // namespace
}  // namespace nmfkit::cli_test
