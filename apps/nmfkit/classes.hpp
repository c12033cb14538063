#pragma once
// --classes: a class label per sample (from the dataset's label file, a file given by the user or
// the image folder's sub-folders), and what the fit's pictures, report and summary.json make of
// them (viz/classes.hpp): which classes use which components.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "input.hpp"
#include "viz/classes.hpp"
#include "viz/report.hpp"

namespace nmfkit::cli {

/// Distinct labels accepted at most.
inline constexpr int kMaxClasses = 1000;

struct Classes {
  std::string spec;                ///< as given: auto, a file or folders
  std::string source;              ///< the label file read, or "folders"
  std::vector<std::string> names;  ///< one per class, in class order
  std::vector<int> of_sample;      ///< the class of each sample, 0..names.size()-1
};

/// Declares --classes on a command; `what` says which samples are labelled.
void add_classes_option(CLI::App& command, std::string& spec, const std::string& default_text);

/// The labels of `in`'s samples for `spec`:
/// - "none": none;
/// - "auto" (or empty): mnist and fashion-mnist's training labels, an IDX image file's
///   `…-labels-idx1-ubyte[.gz]` beside it; none otherwise (and none, with a note unless quiet,
///   when that file does not fit);
/// - "folders": the first sub-folder of each image under an image folder INPUT;
/// - a file: an IDX label file (plain or .gz), an NPY or a CSV file of one integer column (a
///   header line allowed), one label per sample of the file (before --limit) or of the samples
///   used.
/// Distinct labels become classes in increasing order, named by their value (Fashion-MNIST's by
/// its class names). Throws DataError (one line) for a count that does not match, labels that
/// are not whole numbers, more than kMaxClasses classes, or an image folder whose images are not
/// all in class sub-folders; InvalidArgument for "folders" without an image folder.
std::optional<Classes> load_classes(const std::string& spec, const Input& in, bool quiet);

/// summary.json's "classes": names, counts, the class × component matrix (row shares), each
/// class's top parts, per component its top class and share, and the purity.
nlohmann::ordered_json classes_json(const Classes& classes, const viz::ClassTable& table);

/// The report's table of the matrix: one row per class, one column per component, the shares as
/// percentages on their colour, top parts in bold; a last row with each component's top class.
viz::ReportTable classes_report_table(const Classes& classes, const viz::ClassTable& table);

}  // namespace nmfkit::cli
