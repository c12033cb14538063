// Running out of memory inside a parallel region reaches the caller of fit() as std::bad_alloc
// (the CLI's "out of memory"), never as std::terminate: an exception that leaves an OpenMP region
// aborts the process (SIGABRT).
//
// Each case runs in a fresh process: this test binary started again with the case's name in
// NMFKIT_ALLOCATION_PROBE (a fork of a process that has run OpenMP regions cannot start a team of
// its own under GNU libgomp). The child fits once without a limit, so that its threads, their
// malloc arenas, the BLAS buffers and every one-time setup exist. Then it fits again and again
// with its address space limited (RLIMIT_AS, lifted after each fit) to what it has mapped plus a
// headroom, bisecting the headroom down to 1 MiB below the least that lets the fit finish. Every
// block of 128 KiB or more is mapped on its own (a fixed M_MMAP_THRESHOLD), so it counts against
// the limit when it is allocated.
//
// Just below that least headroom, the allocation that fails is the one that takes the fit to its
// peak of memory, which the shape of each case puts in a parallel region: X is 4096 × 512 (two
// row chunks, one per thread), so the per-thread blocks of W·H and of X's rows are 2048 × 512
// doubles (8 MiB) each, and k = 2 keeps everything else small. Every fit must end in
// std::bad_alloc caught by fit()'s caller or finish; the child then exits 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <omp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "core/data.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

extern char** environ;

// A sanitizer's allocator maps its memory its own way and aborts when it runs out.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NMFKIT_SANITIZED_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define NMFKIT_SANITIZED_ALLOCATOR 1
#endif
#endif

namespace nmfkit {
namespace {

constexpr char kProbeVariable[] = "NMFKIT_ALLOCATION_PROBE";
constexpr Index kRows = 4096, kCols = 512;
constexpr std::size_t kMiB = std::size_t{1} << 20;

// The child's exit codes.
constexpr int kCaught = 20;       // the fit threw std::bad_alloc to its caller
constexpr int kFitted = 21;       // the fit finished
constexpr int kOtherError = 22;   // the fit threw something else (written to stderr)
constexpr int kSetupFailed = 23;  // the first fit, without a limit, failed

struct Inputs {
  Matrix<double> x;                           // dense, no zeros
  std::vector<std::int32_t> indptr, indices;  // CSR of another X, about 60% zeros
  std::vector<double> values;
  std::vector<std::uint8_t> observed;  // 1 where observed; every row and column has some
};

Inputs make_inputs() {
  Inputs in;
  in.x = testing::uniform_matrix<double>(kRows, kCols, 1, 0.1);
  const Matrix<double> sparse = testing::uniform_matrix<double>(kRows, kCols, 2);
  in.indptr.push_back(0);
  for (Index i = 0; i < kRows; ++i) {
    for (Index j = 0; j < kCols; ++j) {
      if (sparse(i, j) < 0.6) continue;
      in.indices.push_back(static_cast<std::int32_t>(j));
      in.values.push_back(sparse(i, j));
    }
    in.indptr.push_back(static_cast<std::int32_t>(in.indices.size()));
  }
  in.observed.resize(static_cast<std::size_t>(kRows * kCols));
  for (Index i = 0; i < kRows; ++i)
    for (Index j = 0; j < kCols; ++j)
      in.observed[static_cast<std::size_t>(i * kCols + j)] = (i * 7 + j * 3) % 10 != 0;
  return in;
}

/// The fit of one case, with two threads.
void fit_case(const std::string& name, const Inputs& in) {
  FitOptions o;
  o.k = 2;
  o.threads = 2;
  o.max_iter = 2;
  o.tol = 0;
  if (name == "dense") {
    fit(in.x.view(), o);
  } else if (name == "kullback-leibler") {
    o.solver = "mu";
    o.beta = 1;
    fit(in.x.view(), o);
  } else if (name == "csr") {
    o.solver = "mu";
    o.beta = 1;
    const CsrView<double, std::int32_t> csr{kRows, kCols, in.indptr.data(), in.indices.data(),
                                            in.values.data()};
    fit(csr, o);
  } else if (name == "masked") {
    fit(in.x.view(), DenseView<std::uint8_t>(in.observed.data(), kRows, kCols), o);
  } else {
    throw std::invalid_argument("unknown case " + name);
  }
}

/// Both threads multiply at the same time, so that each has its BLAS buffer before the limit.
void warm_up_blas() {
  const Matrix<double> a = testing::uniform_matrix<double>(512, 512, 3);
#pragma omp parallel num_threads(2)
  {
    std::vector<double> out(512 * 512);
    for (int round = 0; round < 3; ++round) {
#pragma omp barrier
      kernels::times(a.view(), 1.0, a.data(), 512, out.data(), 1);
    }
  }
}

/// The bytes of address space the process has mapped.
std::size_t mapped_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void say(const std::string& text) {
  const std::string line = text + "\n";
  [[maybe_unused]] const ssize_t written = ::write(2, line.data(), line.size());
}

/// One fit under a limit of `headroom` bytes of address space beyond what is mapped now: kCaught,
/// kFitted or kOtherError (written to stderr).
int fit_with_headroom(const std::string& name, const Inputs& in, std::size_t headroom) {
  rlimit limit{};
  ::getrlimit(RLIMIT_AS, &limit);
  const rlim_t unlimited = limit.rlim_cur;
  limit.rlim_cur = mapped_bytes() + headroom;
  if (::setrlimit(RLIMIT_AS, &limit) != 0) return kOtherError;
  int code = kFitted;
  char message[512] = "";  // written out once the limit is lifted
  try {
    fit_case(name, in);
  } catch (const std::bad_alloc&) {
    code = kCaught;
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "fit threw: %s", e.what());
    code = kOtherError;
  }
  limit.rlim_cur = unlimited;
  if (::setrlimit(RLIMIT_AS, &limit) != 0) return kOtherError;
  if (code == kOtherError) say(message);
  return code;
}

// The child's side: runs only when started by run_child() below. Bisects the headroom down to
// 1 MiB below the least that lets the fit finish, writing each probe to stderr; exits 0 when
// every probe ended in std::bad_alloc caught here or in a finished fit.
TEST(AllocationFailureProbe, Child) {
  const char* variable = std::getenv(kProbeVariable);
  if (variable == nullptr) GTEST_SKIP() << "runs only as the child process of AllocationFailure.*";
  const std::string name(variable);
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const Inputs in = make_inputs();
  try {
    fit_case(name, in);
    warm_up_blas();
  } catch (const std::exception& e) {
    say(std::string("the fit without a limit failed: ") + e.what());
    std::_Exit(kSetupFailed);
  }
  auto run = [&](std::size_t headroom) {
    const int code = fit_with_headroom(name, in, headroom);
    say(std::to_string(headroom) + " bytes to spare: " +
        (code == kCaught   ? "std::bad_alloc"
         : code == kFitted ? "fitted"
                           : "other error"));
    if (code == kOtherError) std::_Exit(kOtherError);
    return code;
  };
  std::size_t enough = 128 * kMiB, short_of = 0;
  if (run(enough) != kFitted || run(short_of) != kCaught) std::_Exit(kOtherError);
  while (enough - short_of > kMiB) {
    const std::size_t headroom = short_of + (enough - short_of) / 2;
    if (run(headroom) == kFitted)
      enough = headroom;
    else
      short_of = headroom;
  }
  std::_Exit(0);
}

/// The child's exit and what it wrote to stderr.
struct Outcome {
  bool exited = false;
  int code = -1;    // the exit code, when exited
  int signal = 0;   // the signal that ended it, otherwise
  std::string err;  // what it wrote to stderr

  std::string describe() const {
    const std::string end =
        exited ? "exit code " + std::to_string(code)
               : "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) +
                     (signal == SIGABRT ? ": std::terminate, an exception left a parallel region"
                                        : "") +
                     ")";
    return end + "\n" + err;
  }
};

/// Runs the child test for the case in a new process.
Outcome run_child(const std::string& name) {
  const std::vector<std::string> settings = {
      std::string(kProbeVariable) + "=" + name,
      "OPENBLAS_NUM_THREADS=1",    // BLAS starts no threads of its own
      "OMP_WAIT_POLICY=passive"};  // waiting threads sleep (the machine may have few cores)
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool replaced = false;
    for (const std::string& s : settings)
      replaced = replaced || entry.rfind(s.substr(0, s.find('=') + 1), 0) == 0;
    if (!replaced) env_strings.push_back(entry);
  }
  env_strings.insert(env_strings.end(), settings.begin(), settings.end());
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe", filter = "--gtest_filter=AllocationFailureProbe.Child";
  char* argv[] = {exe.data(), filter.data(), nullptr};

  Outcome out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    out.err = "pipe2 failed";
    return out;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    out.err = std::string("posix_spawn failed: ") + std::strerror(spawned);
    return out;
  }
  // Read stderr to its end; a child that hangs (threads left waiting at a barrier) is killed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    const int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      ::kill(pid, SIGKILL);
      out.err += "[timed out]";
      break;
    }
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    out.err.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.exited = WIFEXITED(status);
  if (out.exited) out.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

void expect_bad_alloc_reaches_caller(const std::string& name) {
#ifdef NMFKIT_SANITIZED_ALLOCATOR
  GTEST_SKIP() << "needs the C library's allocator, not a sanitizer's";
#endif
  const Outcome o = run_child(name);
  EXPECT_TRUE(o.exited && o.code == 0) << name << ": " << o.describe();
}

TEST(AllocationFailure, DenseFitThrowsBadAlloc) {
  expect_bad_alloc_reaches_caller("dense");
}

TEST(AllocationFailure, KullbackLeiblerFitThrowsBadAlloc) {
  expect_bad_alloc_reaches_caller("kullback-leibler");
}

TEST(AllocationFailure, CsrFitThrowsBadAlloc) {
  expect_bad_alloc_reaches_caller("csr");
}

TEST(AllocationFailure, MaskedFitThrowsBadAlloc) {
  expect_bad_alloc_reaches_caller("masked");
}

/// X in a caller's storage whose row_block() runs out of memory for the rows from `failing` on,
/// as a storage reading its rows from disk might: the losses other than Frobenius read X that way,
/// inside their parallel loops.
class RowsRunOut final : public Data<double> {
 public:
  RowsRunOut(const Matrix<double>& x, Index failing) : x_(x.view(), 1), failing_(failing) {}
  Index rows() const override { return x_.rows(); }
  Index cols() const override { return x_.cols(); }
  DataStats stats() const override { return x_.stats(); }
  void times(const double* right, Index p, double scale, double* out, int threads) const override {
    x_.times(right, p, scale, out, threads);
  }
  void transpose_times(const double* right, Index p, double scale, double* out,
                       int threads) const override {
    x_.transpose_times(right, p, scale, out, threads);
  }
  DenseView<double> row_block(Index first, Index count,
                              std::vector<double>& buffer) const override {
    if (first + count > failing_) throw std::bad_alloc();
    return x_.row_block(first, count, buffer);
  }

 private:
  core::DenseStorage<double> x_;
  Index failing_;
};

TEST(AllocationFailure, CallersRowBlockThatRunsOutOfMemoryThrowsBadAlloc) {
  const Matrix<double> x = testing::uniform_matrix<double>(5000, 40, 4, 0.1);  // 3 row chunks
  for (double beta : {1.0, 0.5, 0.0}) {
    FitOptions o;
    o.k = 3;
    o.threads = 2;
    o.max_iter = 3;
    o.solver = "mu";
    o.beta = beta;
    EXPECT_THROW(fit(RowsRunOut(x, 3000), o), std::bad_alloc) << "beta " << beta;
    EXPECT_NO_THROW(fit(RowsRunOut(x, 5000), o)) << "beta " << beta;
  }
}

}  // namespace
}  // namespace nmfkit
