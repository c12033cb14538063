#include "output_dir.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& dir, const std::string& why) {
  throw DataError("cannot write to output folder '" + dir.string() + "': " + why);
}

}  // namespace

OutputDir::OutputDir(const fs::path& target) : target_(target) {
  if (target_.empty()) fail(target_, "empty path");
  fs::path absolute = fs::absolute(target_).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  std::error_code ec;
  if (fs::exists(absolute, ec)) {
    if (!fs::is_directory(absolute, ec)) fail(target_, "it exists and is not a folder");
    if (::access(absolute.c_str(), W_OK | X_OK) != 0) fail(target_, std::strerror(errno));
  }
  // Create the missing parents, remembering them so a failed run can remove them again.
  std::vector<fs::path> missing;
  for (fs::path p = absolute.parent_path(); !p.empty() && !fs::exists(p, ec); p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, ec) && ec) fail(target_, ec.message());
    created_parents_.push_back(*it);
  }
  const fs::path parent = absolute.parent_path();
  if (!fs::is_directory(parent, ec)) fail(target_, "its parent is not a folder");
  staging_ =
      parent / ("." + absolute.filename().string() + ".partial-" + std::to_string(::getpid()));
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec))
    fail(target_, ec ? ec.message() : "cannot create " + staging_.string());
  target_ = absolute;
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
  for (auto it = created_parents_.rbegin(); it != created_parents_.rend(); ++it)
    fs::remove(*it, ec);
}

std::string OutputDir::stage(const std::string& name) {
  names_.push_back(name);
  return (staging_ / name).string();
}

void OutputDir::commit() {
  std::error_code ec;
  if (!fs::exists(target_, ec)) {
    fs::rename(staging_, target_, ec);
    if (ec) fail(target_, ec.message());
  } else {
    for (const std::string& name : names_) {
      fs::rename(staging_ / name, target_ / name, ec);
      if (ec) fail(target_, "moving " + name + " into place: " + ec.message());
    }
    fs::remove_all(staging_, ec);
  }
  committed_ = true;
}

}  // namespace nmfkit::cli
