#pragma once
// An output folder that is written all at once or not at all. Files are written into a hidden
// staging folder beside OUTDIR; commit() moves them into OUTDIR (renaming the whole staging
// folder when OUTDIR does not exist yet). Without commit() the destructor removes the staging
// folder and any parent folders it had to create, so a failed run leaves nothing behind.
#include <filesystem>
#include <string>
#include <vector>

namespace nmfkit::cli {

class OutputDir {
 public:
  /// Checks that `target` can be written and creates the staging folder; throws
  /// nmfkit::DataError with one line naming the folder when it cannot.
  explicit OutputDir(const std::filesystem::path& target);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Where to write a file that will end up as target/name (the same path for the same name).
  std::string stage(const std::string& name);
  /// Moves every staged file into the target folder.
  void commit();
  const std::filesystem::path& target() const { return target_; }

 private:
  void prepare();
  void discard();

  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::vector<std::filesystem::path> created_parents_;  // deepest last
  std::vector<std::string> names_;
  bool committed_ = false;
};

}  // namespace nmfkit::cli
