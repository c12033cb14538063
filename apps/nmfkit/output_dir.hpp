#pragma once
// An output folder that is written all at once or not at all.
//
// Files are written into a hidden staging folder on the output folder's own file system: inside
// OUTDIR when it exists (so a mounted volume or '-o .' with a read-only parent works), beside it
// when it does not. commit() moves them into place: the whole staging folder is renamed to OUTDIR
// when OUTDIR does not exist yet, else each file is renamed over its namesake (atomic per file).
// Without commit() the destructor removes the staging folder and any parent folders it had to
// create, so a failed or interrupted run leaves nothing behind.
//
// Earlier runs: every commit records the names it wrote in OUTDIR/.nmfkit-files. A run that
// replaces (fit, rank, transform) removes the files an earlier nmfkit run listed there and this
// run did not write, so the folder never mixes pictures of two runs; files nmfkit did not write
// are never touched. A run that updates (render) adds its names to the list and removes nothing.
#include <filesystem>
#include <string>
#include <vector>

namespace nmfkit::cli {

class OutputDir {
 public:
  enum class Mode { kReplace, kUpdate };

  /// Checks that `target` can be written and creates the staging folder; throws
  /// nmfkit::DataError with one line naming the folder when it cannot.
  explicit OutputDir(const std::filesystem::path& target, Mode mode = Mode::kReplace);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Where to write a file that will end up as target/name (the same path for the same name).
  std::string stage(const std::string& name);
  /// Moves every staged file into the target folder. Throws Interrupted (and moves nothing) when
  /// a signal came before it started; once started it finishes.
  void commit();
  const std::filesystem::path& target() const { return target_; }

  /// The name of the list of files nmfkit wrote in an output folder.
  static constexpr const char* kManifest = ".nmfkit-files";

 private:
  void prepare();
  void discard();
  void move_into_existing();

  std::filesystem::path target_;
  Mode mode_;
  std::filesystem::path staging_;
  std::vector<std::filesystem::path> created_parents_;  // deepest last
  std::vector<std::string> names_;
  bool committed_ = false;
};

}  // namespace nmfkit::cli
