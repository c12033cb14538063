#pragma once
// Small pieces the commands share: number formatting, text files, reading factor files.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::cli {

/// CLI11 checks with one-line messages: a finite number >= 0, and a count 0..2147483647.
extern const CLI::Validator kFiniteNonNegative;
extern const CLI::Validator kCount;

/// s in single quotes for a POSIX shell.
std::string shell_quote(const std::string& s);
/// JSON text of `j` (indent < 0: one line). Strings that are not valid UTF-8 (a file name in
/// another encoding) are written with U+FFFD in place of each bad byte instead of failing after
/// the work is done.
std::string json_text(const nlohmann::ordered_json& j, int indent = 2);
/// A number as the shortest text that reads back to the same double.
std::string number(double v);
/// The words as one shell command line, quoting those that need it.
std::string command_line(const std::vector<std::string>& words);
/// --format: auto, dense or sparse; throws InvalidArgument naming the choices.
DataFormat parse_format(const std::string& name);

/// v with `digits` decimals.
std::string fixed(double v, int digits);

/// Writes text to path (a staged file); throws DataError naming the path on failure.
void write_text(const std::string& path, const std::string& text);

/// Reads a 2-D float32/float64 NPY file as T; `what` names it in errors ("--w0", "the model's H").
template <typename T>
Matrix<T> read_matrix_npy(const std::string& path, const std::string& what);

}  // namespace nmfkit::cli
