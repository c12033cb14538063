#include "classes.hpp"

#include <array>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "common.hpp"
#include "io/csv.hpp"
#include "io/idx.hpp"
#include "io/npy.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 10> kFashionNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::int64_t d : shape) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

// The labels of a file, one per sample, as whole numbers.
std::vector<std::int64_t> read_label_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw DataError("--classes: cannot open '" + path + "': no such file");
  io::Array a;
  if (is_npy(path))
    a = io::read_npy(path);
  else if (is_csv(path))
    a = io::read_csv(path).values;
  else
    a = io::read_idx(path);
  if (!(a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1)))
    throw DataError("--classes: '" + path + "' holds " + shape_text(a.shape) +
                    " values; class labels are one column, one label per sample");
  const std::vector<double> v = io::to_vector<double>(a);
  std::vector<std::int64_t> labels(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]) || v[i] != std::floor(v[i]) || std::fabs(v[i]) > 2147483647.0)
      throw DataError("--classes: '" + path + "': label " + std::to_string(i + 1) + " is " +
                      number(v[i]) + ", not a whole number (class labels are integers)");
    labels[i] = static_cast<std::int64_t>(v[i]);
  }
  return labels;
}

// The first sub-folder under `root` of each image file: its class.
Classes folder_classes(const Input& in) {
  const fs::path root(in.path);
  std::vector<std::string> folder_of(in.files.size());
  std::string top_level;
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const fs::path rel = fs::path(in.files[i]).lexically_relative(root);
    auto part = rel.begin();
    if (rel.empty() || part == rel.end() || std::next(part) == rel.end()) {
      if (top_level.empty()) top_level = rel.string();
      continue;
    }
    folder_of[i] = part->string();
  }
  if (!top_level.empty()) {
    const bool any_folder =
        std::any_of(folder_of.begin(), folder_of.end(), [](const auto& f) { return !f.empty(); });
    throw DataError("--classes folders: '" + in.path +
                    "' has images at its top level (first: " + top_level + ")" +
                    (any_folder
                         ? " beside class sub-folders; put every image in its class's sub-folder"
                         : "; --classes folders needs one sub-folder per class"));
  }
  std::map<std::string, int> index;
  for (const std::string& f : folder_of) index.emplace(f, 0);
  Classes c;
  c.source = "folders";
  for (auto& [name, i] : index) {
    i = static_cast<int>(c.names.size());
    c.names.push_back(name);
  }
  for (const std::string& f : folder_of) c.of_sample.push_back(index.at(f));
  return c;
}

Classes file_classes(const std::string& path, const Input& in) {
  std::vector<std::int64_t> labels = read_label_file(path);
  const auto count = static_cast<Index>(labels.size());
  if (count == in.file_rows && count > in.rows)
    labels.resize(static_cast<std::size_t>(in.rows));  // --limit: the first samples' labels
  else if (count != in.rows)
    throw DataError("--classes: '" + path + "' has " + std::to_string(count) +
                    " labels but the input has " + std::to_string(in.file_rows) + " samples");
  std::map<std::int64_t, int> index;
  for (std::int64_t v : labels) index.emplace(v, 0);
  if (index.size() > static_cast<std::size_t>(kMaxClasses))
    throw DataError("--classes: '" + path + "' has " + std::to_string(index.size()) +
                    " distinct labels; at most " + std::to_string(kMaxClasses) + " classes");
  const bool fashion = is_fashion_mnist_file(path) && index.begin()->first >= 0 &&
                       index.rbegin()->first < static_cast<std::int64_t>(kFashionNames.size());
  Classes c;
  c.source = path;
  for (auto& [value, i] : index) {
    i = static_cast<int>(c.names.size());
    c.names.push_back(fashion ? kFashionNames[static_cast<std::size_t>(value)]
                              : std::to_string(value));
  }
  c.of_sample.reserve(labels.size());
  for (std::int64_t v : labels) c.of_sample.push_back(index.at(v));
  return c;
}

}  // namespace

void add_classes_option(CLI::App& command, std::string& spec, const std::string& default_text) {
  command.add_option(
      "--classes", spec,
      "Class labels of the samples, to show which classes use which components (classes.png, "
      "the report, summary.json): an IDX label file, an NPY or CSV file of one integer column, "
      "folders (an image folder's sub-folders are its classes) or none; default " +
          default_text);
}

std::optional<Classes> load_classes(const std::string& spec, const Input& in, bool quiet) {
  if (spec == "none") return std::nullopt;
  if (spec.empty() || spec == "auto") {
    const std::string file = companion_label_file(in);
    if (file.empty()) return std::nullopt;
    try {
      Classes c = file_classes(file, in);
      c.spec = "auto";
      return c;
    } catch (const DataError& e) {
      if (!quiet) std::cerr << "nmfkit: note: no classes: " << e.what() << "\n";
      return std::nullopt;
    }
  }
  Classes c;
  if (spec == "folders") {
    if (in.kind != "images")
      throw InvalidArgument("--classes folders applies to an image folder, and '" + in.path +
                            "' is a file");
    c = folder_classes(in);
  } else {
    c = file_classes(spec, in);
  }
  c.spec = spec;
  return c;
}

nlohmann::ordered_json classes_json(const Classes& classes, const viz::ClassTable& t) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["spec"] = classes.spec;
  j["source"] = classes.source == "folders"
                    ? classes.source
                    : fs::absolute(classes.source).lexically_normal().string();
  j["names"] = classes.names;
  j["counts"] = t.counts;
  j["activation"] =
      "W_ij * sum(H_j): what component j adds to sample i; matrix rows are each class's mean "
      "activations divided by their sum";
  Json matrix = Json::array();
  for (int c = 0; c < t.classes; ++c) {
    Json row = Json::array();
    for (int p = 0; p < t.k; ++p) row.push_back(t.share_of(c, p));
    matrix.push_back(std::move(row));
  }
  j["matrix"] = std::move(matrix);
  j["top_parts"] = t.top_parts;
  Json components = Json::array();
  for (int p = 0; p < t.k; ++p) {
    const int c = t.top_class[static_cast<std::size_t>(p)];
    components.push_back({{"component", p},
                          {"top_class", c < 0 ? Json() : Json(classes.names[std::size_t(c)])},
                          {"share", t.top_class_share[static_cast<std::size_t>(p)]}});
  }
  j["components"] = std::move(components);
  j["purity"] = t.purity;
  return j;
}

viz::ReportTable classes_report_table(const Classes& classes, const viz::ClassTable& t) {
  viz::ReportTable table;
  table.header.push_back("class (samples)");
  for (int p = 0; p < t.k; ++p) table.header.push_back(std::to_string(p));
  double top = 0;
  for (double s : t.share) top = std::max(top, s);
  for (int c = 0; c < t.classes; ++c) {
    std::vector<viz::ReportCell> row;
    row.push_back({classes.names[static_cast<std::size_t>(c)] + " (" +
                       std::to_string(t.counts[static_cast<std::size_t>(c)]) + ")",
                   "", false, false});
    const auto& parts = t.top_parts[static_cast<std::size_t>(c)];
    for (int p = 0; p < t.k; ++p) {
      const double s = t.share_of(c, p);
      const viz::Rgb color = viz::share_color(s, top);
      char hex[8];
      std::snprintf(hex, sizeof hex, "#%02x%02x%02x", color.r, color.g, color.b);
      row.push_back({viz::share_percent(s), hex, viz::share_text_white(s, top),
                     std::find(parts.begin(), parts.end(), p) != parts.end()});
    }
    table.rows.push_back(std::move(row));
  }
  std::vector<viz::ReportCell> last{{"most used by (share)", "", false, false}};
  for (int p = 0; p < t.k; ++p) {
    const int c = t.top_class[static_cast<std::size_t>(p)];
    last.push_back({c < 0 ? "-"
                          : classes.names[static_cast<std::size_t>(c)] + " (" +
                                viz::share_percent(t.top_class_share[static_cast<std::size_t>(p)]) +
                                ")",
                    "", false, false});
  }
  table.rows.push_back(std::move(last));
  return table;
}

}  // namespace nmfkit::cli
