#include "output_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "interrupt.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& dir, const std::string& why) {
  throw DataError("cannot write to output folder '" + dir.string() + "': " + why);
}

// Linux allows 255 bytes per name; keep the staging name within it whatever OUTDIR is called.
constexpr std::size_t kMaxName = 255;
constexpr std::size_t kMaxStagingStem = 200;

// The names an earlier commit listed; names that are not plain file names are ignored.
std::vector<std::string> read_manifest(const fs::path& file) {
  std::vector<std::string> names;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == "." || line == ".." || line.find('/') != std::string::npos ||
        line.find('\0') != std::string::npos)
      continue;
    names.push_back(line);
  }
  return names;
}

}  // namespace

OutputDir::OutputDir(const fs::path& target, Mode mode) : target_(target), mode_(mode) {
  try {
    prepare();
  } catch (...) {
    discard();
    throw;
  }
}

void OutputDir::prepare() {
  if (target_.empty()) fail(target_, "empty path");
  fs::path absolute = fs::absolute(target_).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  std::error_code ec;
  const bool exists = fs::exists(absolute, ec);
  if (exists) {
    if (!fs::is_directory(absolute, ec)) fail(target_, "it exists and is not a folder");
    if (::access(absolute.c_str(), W_OK | X_OK) != 0) fail(target_, std::strerror(errno));
  } else {
    // Create the missing parents, remembering them so a failed run can remove them again.
    std::vector<fs::path> missing;
    for (fs::path p = absolute.parent_path(); !p.empty() && !fs::exists(p, ec); p = p.parent_path())
      missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      register_for_removal(*it);
      if (!fs::create_directory(*it, ec) && ec) fail(target_, ec.message());
      created_parents_.push_back(*it);
    }
    if (!fs::is_directory(absolute.parent_path(), ec)) fail(target_, "its parent is not a folder");
  }
  if (absolute.filename().string().size() > kMaxName)
    fail(target_, "its name is longer than " + std::to_string(kMaxName) + " bytes");
  const std::string pid = std::to_string(::getpid());
  staging_ =
      exists
          ? absolute / (".nmfkit-partial-" + pid)
          : absolute.parent_path() /
                ("." + absolute.filename().string().substr(0, kMaxStagingStem) + ".partial-" + pid);
  register_for_removal(staging_);
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec))
    fail(target_, ec ? ec.message() : "cannot create " + staging_.string());
  target_ = absolute;
}

void OutputDir::discard() {
  std::error_code ec;
  if (!staging_.empty()) {
    fs::remove_all(staging_, ec);
    unregister_for_removal(staging_);
  }
  for (auto it = created_parents_.rbegin(); it != created_parents_.rend(); ++it) {
    fs::remove(*it, ec);
    unregister_for_removal(*it);
  }
}

OutputDir::~OutputDir() {
  if (!committed_) discard();
}

std::string OutputDir::stage(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
  return (staging_ / name).string();
}

void OutputDir::commit() {
  std::vector<std::string> listed = names_;
  if (mode_ == Mode::kUpdate) {
    for (const std::string& n : read_manifest(target_ / kManifest))
      if (std::find(listed.begin(), listed.end(), n) == listed.end()) listed.push_back(n);
  }
  {
    std::ofstream manifest(staging_ / kManifest);
    for (const std::string& n : listed) manifest << n << "\n";
    manifest.flush();
    if (!manifest) fail(target_, "writing " + std::string(kManifest) + ": " + std::strerror(errno));
  }
  stage(kManifest);

  const auto lock = lock_final_phase();
  check_interrupted();
  std::error_code ec;
  if (!fs::exists(target_, ec)) {
    fs::rename(staging_, target_, ec);
    if (ec) fail(target_, ec.message());
  } else {
    move_into_existing();
  }
  mark_final_phase();
  committed_ = true;
  unregister_for_removal(staging_);
  for (const fs::path& p : created_parents_) unregister_for_removal(p);
}

void OutputDir::move_into_existing() {
  std::error_code ec;
  // Refuse before moving anything if something other than a file stands where a file goes, so a
  // failed run never leaves the folder half replaced. Each rename over a file is atomic.
  for (const std::string& name : names_) {
    const fs::path dest = target_ / name;
    if (fs::exists(fs::symlink_status(dest, ec)) &&
        !fs::is_regular_file(fs::symlink_status(dest, ec)))
      fail(target_, name + " exists there and is not a regular file; not replacing it");
  }
  const std::vector<std::string> earlier = read_manifest(target_ / kManifest);
  for (const std::string& name : names_) {
    fs::rename(staging_ / name, target_ / name, ec);
    if (ec) fail(target_, "moving " + name + " into place: " + ec.message());
  }
  fs::remove_all(staging_, ec);
  if (mode_ == Mode::kReplace) {
    for (const std::string& name : earlier) {
      if (std::find(names_.begin(), names_.end(), name) != names_.end()) continue;
      const fs::path stale = target_ / name;
      if (fs::is_regular_file(fs::symlink_status(stale, ec))) fs::remove(stale, ec);
    }
  }
}

}  // namespace nmfkit::cli
