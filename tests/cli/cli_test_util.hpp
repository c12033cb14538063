#pragma once
// Helpers for the end-to-end tests of the nmfkit command line: a temporary folder, running the
// binary with its output captured, reading and writing files, writing IDX files, reading PNGs,
// and the tiny image set the tests factorize.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <png.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "io/array.hpp"
#include "io/npy.hpp"

namespace nmfkit::cli_test {

namespace fs = std::filesystem;

/// The CLI's exit codes for usage errors and for data or runtime errors.
inline constexpr int kUsage = 2;
inline constexpr int kData = 1;

/// A fresh folder under the system's temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "nmfkit-cli-test-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    // Folders a test made read-only must be writable again before they can be emptied.
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// The lines of `text`, without their '\n' (a last line without '\n' counts too).
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// RunResult::code of a run that SpawnOptions::timeout_seconds ended.
inline constexpr int kTimedOut = -2;

/// The exit code of a wait status: the code the program returned, else 128 + the signal.
inline int exit_code(int status) {
  if (status == -1) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

struct RunResult {
  int code = -1;
  std::string out;  ///< everything written to stdout
  std::string err;  ///< everything written to stderr
  std::string command;
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "$ " << r.command << "\nexit " << r.code << "\n--- stdout\n"
            << r.out << "--- stderr\n"
            << r.err << "---";
}

/// Runs the nmfkit binary with `args` (stdin from /dev/null) and captures its output.
inline RunResult run_cli(const std::vector<std::string>& args) {
  TempDir capture;
  RunResult r;
  r.command = shell_quote(NMFKIT_CLI_PATH);
  for (const std::string& a : args) r.command += " " + shell_quote(a);
  const std::string full = r.command + " </dev/null >" + shell_quote((capture / "out").string()) +
                           " 2>" + shell_quote((capture / "err").string());
  r.code = exit_code(std::system(full.c_str()));
  r.out = read_file(capture / "out");
  r.err = read_file(capture / "err");
  return r;
}

/// True if `parent` holds a staging folder that an output folder named `name` would use (beside
/// it when it does not exist, inside it when it does).
inline bool has_staging_folder(const fs::path& parent, const std::string& name) {
  std::error_code ec;
  for (const auto& [dir, prefix] : {std::pair{parent, "." + name + ".partial-"},
                                    std::pair{parent / name, std::string(".nmfkit-partial-")}}) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().filename().string().rfind(prefix, 0) == 0) return true;
    }
  }
  return false;
}

/// How a child nmfkit process is started (see spawn_cli).
struct SpawnOptions {
  std::vector<std::string> env;  ///< "NAME=value" added to the environment
  rlim_t address_space = 0;      ///< RLIMIT_AS in bytes (0: unchanged)
  rlim_t file_size = 0;          ///< RLIMIT_FSIZE in bytes (0: unchanged)
  uid_t user = 0;                ///< run as this user and group id (0: unchanged)
  fs::path cwd;                  ///< working folder (empty: unchanged)
  int timeout_seconds = 0;       ///< run_cli_with: killed after this long (0: no limit)
};

/// Starts nmfkit with `args`, stdin from /dev/null, stdout and stderr going to the files `out`
/// and `err`; returns its process id (-1 when it could not be started).
inline pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& out,
                       const fs::path& err, const SpawnOptions& options = {}) {
  // Everything the child needs is prepared before fork: after it only system calls run.
  std::vector<std::string> all = {NMFKIT_CLI_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string out_path = out.string(), err_path = err.string(), cwd = options.cwd.string();
  write_file(out, "");  // both exist from here on, for callers that read them while it runs
  write_file(err, "");
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int in_fd = ::open("/dev/null", O_RDONLY);
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
  ::dup2(in_fd, 0), ::dup2(out_fd, 1), ::dup2(err_fd, 2);
  rlimit limit{};
  if (options.address_space > 0) {
    limit.rlim_cur = limit.rlim_max = options.address_space;
    ::setrlimit(RLIMIT_AS, &limit);
  }
  if (options.file_size > 0) {
    limit.rlim_cur = limit.rlim_max = options.file_size;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  if (options.user != 0 && (::setgid(options.user) != 0 || ::setuid(options.user) != 0))
    ::_exit(126);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
  ::execve(NMFKIT_CLI_PATH, argv.data(), envp.data());
  ::_exit(127);
}

inline std::string command_text(const std::vector<std::string>& args) {
  std::string c = "nmfkit";
  for (const std::string& a : args) c += " " + shell_quote(a);
  return c;
}

/// run_cli() with spawn options (limits, environment, another user).
inline RunResult run_cli_with(const std::vector<std::string>& args, const SpawnOptions& options) {
  TempDir capture;
  fs::permissions(capture.path(), fs::perms::all, fs::perm_options::add);  // for options.user
  RunResult r;
  r.command = command_text(args);
  const pid_t pid = spawn_cli(args, capture / "out", capture / "err", options);
  int status = -1;
  bool timed_out = false;
  if (pid > 0 && options.timeout_seconds > 0) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
    while (::waitpid(pid, &status, WNOHANG) != pid) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else if (pid > 0) {
    ::waitpid(pid, &status, 0);
  }
  r.code = timed_out ? kTimedOut : pid > 0 ? exit_code(status) : -1;
  r.out = read_file(capture / "out");
  r.err = read_file(capture / "err");
  return r;
}

struct Interrupted {
  RunResult run;
  bool ended_before = false;  ///< nmfkit ended before `marker` appeared (the test is void)
  double seconds = 0;         ///< from the (first) signal to the exit
};

/// Runs nmfkit with `args`, waits until stderr shows `marker` (the phase under test is running),
/// sends `sig` (`times` times, 50 ms apart) and waits for the exit.
inline Interrupted interrupt_when(const std::vector<std::string>& args, const std::string& marker,
                                  int sig, const fs::path& dir, const SpawnOptions& options = {},
                                  int times = 1) {
  Interrupted r;
  const pid_t pid = spawn_cli(args, dir / "stdout", dir / "stderr", options);
  int status = 0;
  if (pid > 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read_file(dir / "stderr").find(marker) == std::string::npos) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        r.ended_before = true;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto signalled = std::chrono::steady_clock::now();
    if (!r.ended_before) {
      for (int t = 0; t < times; ++t) {
        if (t > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::kill(pid, sig);
      }
      ::waitpid(pid, &status, 0);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  }
  r.run.command = command_text(args) + " (then signal " + std::to_string(sig) + ")";
  r.run.code = pid > 0 ? exit_code(status) : -1;
  r.run.out = read_file(dir / "stdout");
  r.run.err = read_file(dir / "stderr");
  return r;
}

// The run failed with `code`, printed nothing on stdout and exactly one line on stderr, which
// starts with "nmfkit: error: " and contains every one of `words`.
inline void expect_error(const RunResult& r, int code, const std::vector<std::string>& words) {
  EXPECT_EQ(r.code, code) << r;
  EXPECT_EQ(r.out, "") << r;
  const std::vector<std::string> lines = split_lines(r.err);
  EXPECT_EQ(lines.size(), 1u) << "stderr should be exactly one line\n" << r;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r;
  if (lines.empty()) return;
  const std::string& line = lines.back();
  EXPECT_EQ(line.rfind("nmfkit: error: ", 0), 0u) << r;
  for (const std::string& word : words)
    EXPECT_NE(line.find(word), std::string::npos) << "no '" << word << "' in: " << line;
}

// Neither `outdir` nor its staging folder exists.
inline void expect_no_output(const fs::path& outdir) {
  std::error_code ec;
  EXPECT_FALSE(fs::exists(fs::symlink_status(outdir, ec))) << outdir << " was left behind";
  const fs::path parent = outdir.parent_path();
  if (fs::is_directory(parent, ec)) {
    EXPECT_FALSE(has_staging_folder(parent, outdir.filename().string()))
        << "a staging folder was left in " << parent;
  }
}

/// Writes an IDX file: the 32-bit magic and the dimensions big-endian, then `data` as is.
inline void write_idx(const fs::path& path, std::uint32_t magic,
                      const std::vector<std::uint32_t>& dims, std::string_view data) {
  std::string bytes;
  auto put = [&bytes](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<char>((v >> shift) & 0xffu));
  };
  put(magic);
  for (std::uint32_t d : dims) put(d);
  bytes.append(data);
  write_file(path, bytes);
}

/// Writes an IDX file of unsigned bytes (type code 0x08) with the given dimensions.
inline void write_idx_u8(const fs::path& path, const std::vector<std::uint32_t>& dims,
                         const std::vector<std::uint8_t>& data) {
  const auto magic = static_cast<std::uint32_t>(0x0800u | dims.size());
  write_idx(path, magic, dims,
            std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

/// Writes a row-major float32 matrix as NPY.
inline void write_npy_f32(const fs::path& path, const std::vector<float>& values,
                          std::initializer_list<std::int64_t> shape) {
  const std::vector<std::int64_t> dims(shape);
  io::write_npy(path.string(), values.data(), dims);
}

/// An NPY file read back as float32 values with its shape; fails the test if it is not float32.
struct NpyMatrix {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
  bool is_float32 = false;
};

inline NpyMatrix read_npy_f32(const fs::path& path) {
  const io::Array a = io::read_npy(path.string());
  NpyMatrix m;
  m.shape = a.shape;
  m.is_float32 = a.dtype == io::DType::kFloat32;
  if (m.is_float32) m.values = io::to_vector<float>(a);
  return m;
}

/// The PNG file signature, 8 bytes.
inline bool has_png_signature(const fs::path& path) {
  const std::string bytes = read_file(path);
  if (bytes.size() < 8) return false;
  return png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0;
}

/// A PNG decoded by libpng into 8-bit RGB, row-major.
struct PngImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgb;
  std::string error;  ///< empty when the file decoded

  const std::uint8_t* pixel(std::uint32_t x, std::uint32_t y) const {
    return rgb.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  }
};

inline PngImage read_png(const fs::path& path) {
  PngImage img;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
    img.error = image.message;
    return img;
  }
  image.format = PNG_FORMAT_RGB;
  img.rgb.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, img.rgb.data(), 0, nullptr) == 0) {
    img.error = image.message;
    img.rgb.clear();
    png_image_free(&image);
    return img;
  }
  img.width = image.width;
  img.height = image.height;
  return img;
}

/// The tiny image set: kSamples images of kSide × kSide pixels, each a non-negative combination
/// of kParts known patterns (a block, a band, a stripe), stored as 8-bit pixels.
struct TinyImages {
  static constexpr int kSamples = 60;
  static constexpr int kSide = 8;
  static constexpr int kFeatures = kSide * kSide;
  static constexpr int kParts = 3;

  std::vector<std::uint8_t> pixels;  ///< kSamples × kFeatures

  TinyImages() : pixels(static_cast<std::size_t>(kSamples) * kFeatures) {
    for (int i = 0; i < kSamples; ++i) {
      const int weight[kParts] = {(i * 7) % 11 * 8, (i * 5 + 3) % 13 * 6, (i * 3 + 1) % 7 * 11};
      for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
          const int parts[kParts] = {y < 4 && x < 4, y == 5 || y == 6, x == 6};
          int v = 0;
          for (int p = 0; p < kParts; ++p) v += weight[p] * parts[p];
          pixels[static_cast<std::size_t>(i * kFeatures + y * kSide + x)] =
              static_cast<std::uint8_t>(v);
        }
      }
    }
  }

  /// The pixels scaled to [0, 1] (divided by 255), as the CLI reads 8-bit input.
  std::vector<float> scaled() const {
    std::vector<float> v(pixels.size());
    for (std::size_t j = 0; j < v.size(); ++j) v[j] = static_cast<float>(pixels[j] / 255.0);
    return v;
  }

  void write_idx(const fs::path& path) const {
    write_idx_u8(path, {kSamples, kSide, kSide}, pixels);
  }
};

/// The summary.json of an output folder.
inline nlohmann::json read_summary(const fs::path& outdir) {
  return nlohmann::json::parse(read_file(outdir / "summary.json"));
}

/// Base fixture: a fresh temporary folder holding the tiny image set as tiny.idx.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { images_.write_idx(idx_); }

  /// Runs `nmfkit fit INPUT -k K -o OUTDIR extra...`.
  static RunResult fit(const fs::path& input, int k, const fs::path& outdir,
                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"fit", input.string(), "-k", std::to_string(k),
                                     "-o",  outdir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }

  TempDir dir_;
  TinyImages images_;
  fs::path idx_ = dir_ / "tiny.idx";
};

}  // namespace nmfkit::cli_test
