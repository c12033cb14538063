#include "pictures.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>

#include "common.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"
#include "viz/colormap.hpp"
#include "viz/examples.hpp"
#include "viz/loss_plot.hpp"
#include "viz/rank_plot.hpp"
#include "viz/report.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::ordered_json;

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read back '" + path + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A JSON value as report text: strings bare, numbers and the rest as JSON.
std::string text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fixed(v.get<double>(), 6);
  return json_text(v, -1);
}

std::string value_or(const Json& j, const char* key, const std::string& fallback) {
  return j.contains(key) ? text(j.at(key)) : fallback;
}

viz::Report make_report(const Json& s) {
  viz::Report r;
  r.title = "nmfkit: " + value_or(s, "input", "?") + ", k = " + value_or(s, "k", "?");
  r.command = value_or(s, "command_line", "");
  const bool frobenius = value_or(s, "loss", "") == "frobenius";
  if (frobenius) r.results.emplace_back("relative error", value_or(s, "relative_error", "?"));
  r.results.emplace_back(frobenius ? "error ‖X − WH‖_F" : "error sqrt(2·divergence)",
                         value_or(s, "error", "?"));
  r.results.emplace_back("iterations",
                         value_or(s, "iterations", "?") + (value_or(s, "converged", "") == "true"
                                                               ? " (converged)"
                                                               : " (stopped before converging)"));
  r.results.emplace_back("time", value_or(s, "seconds", "?") + " s");
  if (s.contains("classes") && s["classes"].is_object()) {
    const Json& c = s["classes"];
    r.results.emplace_back("classes", std::to_string(c.value("names", Json::array()).size()) +
                                          " from " + value_or(c, "source", "?") + "; purity " +
                                          fixed(c.value("purity", 0.0), 3));
  }
  static const char* kSkip[] = {"loss_history", "history_seconds", "timings",       "files",
                                "command_line", "component_usage", "skipped_files", "classes"};
  for (const auto& [key, value] : s.items()) {
    if (std::find(std::begin(kSkip), std::end(kSkip), key) != std::end(kSkip)) continue;
    r.parameters.emplace_back(key, text(value));
  }
  return r;
}

bool try_picture(const std::string& name, bool quiet, const std::function<viz::RgbImage()>& draw,
                 OutputDir& out, std::vector<std::string>& written) {
  check_interrupted();
  try {
    const viz::RgbImage image = draw();
    viz::write_png(out.stage(name), image);
  } catch (const InvalidArgument& e) {
    if (!quiet) std::cerr << "nmfkit: note: no " << name << ": " << e.what() << "\n";
    return false;
  }
  written.push_back(name);
  return true;
}

}  // namespace

template <typename T>
viz::ReportFigure write_classes(OutputDir& out, const Classes& classes, const viz::SampleRows<T>& x,
                                const DenseView<T>& w, const DenseView<T>& h,
                                const viz::ImageShape& image, const viz::ComponentsStyle& style,
                                bool quiet, std::vector<std::string>& written, bool picture) {
  const int count = static_cast<int>(classes.names.size());
  const viz::ClassTable table = viz::summarize_classes(w, h, classes.of_sample, count);
  viz::ReportFigure figure{
      "Classes",
      "Rows: the " + std::to_string(count) + " classes (" +
          (classes.source == "folders" ? std::string("the image folder's sub-folders")
                                       : "labels from " + classes.source) +
          "); columns: the components. A cell is the class's mean activation of the component "
          "(W_ij · sum of H_j, what the part adds to an image) as a share of the class's total; "
          "framed (bold below): the top parts, which cover " +
          fixed(100 * viz::kTopPartsCover, 0) +
          "% of it. Beside each class: its mean image and that mean rebuilt from its top parts "
          "alone. Last row: the class that uses each component most, and its share of the "
          "component's whole activation.",
      "image/png",
      {},
      classes_report_table(classes, table)};
  if (picture && try_picture(
                     "classes.png", quiet,
                     [&] {
                       return viz::render_classes(x, h, classes.of_sample, table, classes.names,
                                                  image, style);
                     },
                     out, written))
    figure.data = read_bytes(out.stage("classes.png"));
  return figure;
}

std::optional<viz::ReportFigure> rank_choice_figure(const Json& sel) {
  std::vector<RankPoint> points;
  for (const auto& q : sel.value("points", Json::array())) {
    RankPoint p;
    p.k = q.value("k", 0);
    p.mean_error = q.value("mean_error", 0.0);
    p.standard_error = q.value("standard_error", 0.0);
    p.cophenetic = q.value("cophenetic", -1.0);
    points.push_back(p);
  }
  if (points.empty()) return std::nullopt;
  const bool cophenetic = sel.value("method", std::string()) == "cophenetic";
  const int chosen = sel.value("chosen_k", 0);
  const std::string svg = viz::rank_svg(points, chosen, sel.value("best_k", 0), cophenetic);
  return viz::ReportFigure{
      "Choice of k",
      "Held-out relative error (mean ± standard error over " +
          std::to_string(sel.value("folds", 0)) + " folds of " +
          std::to_string(sel.value("sample_rows", 0)) +
          " samples) for each candidate k scanned; k = " + std::to_string(chosen) +
          " was chosen by " + sel.value("rule", std::string("the rule")) + ".",
      "image/svg+xml", std::vector<std::uint8_t>(svg.begin(), svg.end())};
}

bool write_rank_components(OutputDir& out, const std::vector<viz::ComponentRow>& rows,
                           const viz::ImageShape& image, const viz::ComponentsStyle& style,
                           bool quiet, bool warm_start, viz::Report& report,
                           std::vector<std::string>& written, bool keep_existing) {
  const char* name = "rank-components.png";
  std::string ks;
  for (const viz::ComponentRow& r : rows) ks += (ks.empty() ? "" : ", ") + std::to_string(r.k);
  std::string path;
  if (!rows.empty() && image.size() > 0) {
    if (!try_picture(
            name, quiet, [&] { return viz::render_component_rows(rows, image, style); }, out,
            written))
      return false;
    path = out.stage(name);
  } else if (keep_existing && fs::is_regular_file(out.target() / name)) {
    path = (out.target() / name).string();  // `render`: the fit's picture, kept as it is
  } else {
    return false;
  }
  report.figures.push_back(
      {"Components for several k",
       "One row per candidate k" + (ks.empty() ? std::string() : " (" + ks + ")") +
           ", its k in the first tile: the components of the first fold's fit in the "
           "selection, each scaled to its own maximum." +
           (warm_start ? std::string(" Warm starts keep the order: each row refines the row "
                                     "above and appends its new parts on the right.")
                       : std::string()),
       "image/png", read_bytes(path)});
  return true;
}

template <typename T>
std::vector<std::string> write_pictures(OutputDir& out, const Json& summary,
                                        const viz::SampleRows<T>& x, const DenseView<T>& w,
                                        const DenseView<T>& h, const viz::ImageShape& image,
                                        const viz::ComponentsStyle& style, bool quiet,
                                        const Classes* classes,
                                        const std::vector<viz::ComponentRow>& rank_rows,
                                        bool keep_rank_picture, const TopWords* words) {
  std::vector<std::string> written;
  test_pause("pictures");
  viz::Report report = make_report(summary);
  const std::string problem = viz::components_picture_problem(h.rows, image, style);
  const bool samples = !x.empty();
  if (words != nullptr) {  // the rows are terms: their top words instead of images
    write_text(out.stage("top-words.txt"), top_words_text(*words));
    write_text(out.stage("top-words.csv"), top_words_csv(*words));
    written.insert(written.end(), {"top-words.txt", "top-words.csv"});
    report.figures.push_back(top_words_figure(*words));
  } else if (!problem.empty()) {
    if (!quiet)
      std::cerr << "nmfkit: note: no components.png, reconstructions.png or top-examples.png: "
                << problem << "\n";
  } else {
    const std::string cmap =
        image.channels == 3 ? "RGB" : std::string(viz::colormap_name(style.colormap));
    if (try_picture(
            "components.png", quiet, [&] { return viz::render_components(h, image, style); }, out,
            written))
      report.figures.push_back({"Components",
                                "The " + std::to_string(h.rows) +
                                    " rows of H as images, each scaled to its own maximum (" +
                                    cmap + ").",
                                "image/png",
                                {}});
    if (samples && try_picture(
                       "reconstructions.png", quiet,
                       [&] {
                         return viz::render_reconstructions(x, w, h, image, style,
                                                            kReconstructionSamples);
                       },
                       out, written))
      report.figures.push_back({"Reconstructions",
                                "Top: samples spread over the data set; bottom: their "
                                "reconstructions W·H, on the sample's scale.",
                                "image/png",
                                {}});
    if (samples &&
        try_picture(
            "top-examples.png", quiet,
            [&] { return viz::render_top_examples(x, w, h, image, style, kTopExamples); }, out,
            written))
      report.figures.push_back({"Top examples",
                                "One row per component: the component, then the samples with "
                                "the largest activation of it (column of W).",
                                "image/png",
                                {}});
    for (std::size_t f = 0; f < report.figures.size(); ++f)
      report.figures[f].data = read_bytes(out.stage(written[f]));
  }
  if (classes != nullptr)
    report.figures.push_back(write_classes(out, *classes, x, w, h, image, style, quiet, written,
                                           samples && words == nullptr));

  // null where a fit left the loss unformed (FitOptions::lazy_objective): NaN, not drawn.
  std::vector<double> loss;
  if (const auto it = summary.find("loss_history"); it != summary.end() && it->is_array())
    for (const auto& v : *it)
      loss.push_back(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
  // The time each loss_history entry was reached (the first: when the initialisation ended).
  std::vector<double> seconds = summary.value("history_seconds", std::vector<double>{});
  if (seconds.size() != loss.size()) seconds.clear();
  const bool frobenius = summary.value("loss", std::string()) == "frobenius";
  const std::string svg =
      viz::loss_svg(loss, seconds, frobenius ? "loss ½‖X − WH‖²" : "loss (β-divergence)");
  write_text(out.stage("loss.svg"), svg);
  written.push_back("loss.svg");
  const bool every = std::none_of(loss.begin(), loss.end(), [](double v) { return std::isnan(v); });
  report.figures.push_back({"Loss",
                            std::string(every ? "The objective after every iteration"
                                              : "The objective after the first, every 10th and "
                                                "the last iteration") +
                                " (0 = initialisation)" +
                                std::string(seconds.empty() ? "." : ", and against time."),
                            "image/svg+xml", std::vector<std::uint8_t>(svg.begin(), svg.end())});
  // With -k auto: the curve the choice came from and the components of several candidates.
  if (summary.contains("rank_selection")) {
    if (auto figure = rank_choice_figure(summary["rank_selection"])) {
      report.figures.push_back(std::move(*figure));
      write_rank_components(
          out, words != nullptr ? std::vector<viz::ComponentRow>{} : rank_rows, image, style, quiet,
          summary["rank_selection"].value("warm_start", true), report, written, keep_rank_picture);
    }
  }
  write_text(out.stage("report.html"), viz::report_html(report));
  written.push_back("report.html");
  return written;
}

template <typename T>
std::vector<double> component_usage(const Matrix<T>& w, const Matrix<T>& h) {
  std::vector<double> usage(static_cast<std::size_t>(h.rows), 0.0);
  for (Index j = 0; j < h.rows; ++j) {
    double wsum = 0, hsum = 0;
    for (Index i = 0; i < w.rows; ++i) wsum += static_cast<double>(w(i, j));
    for (Index p = 0; p < h.cols; ++p) hsum += static_cast<double>(h(j, p));
    usage[static_cast<std::size_t>(j)] = wsum * hsum;
  }
  return usage;
}

template <typename T>
void sort_by_usage(Matrix<T>& w, Matrix<T>& h) {
  const std::vector<double> usage = component_usage(w, h);
  std::vector<Index> order(usage.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
    return usage[static_cast<std::size_t>(a)] > usage[static_cast<std::size_t>(b)];
  });
  Matrix<T> w2(w.rows, w.cols), h2(h.rows, h.cols);
  for (Index c = 0; c < static_cast<Index>(order.size()); ++c) {
    const Index j = order[static_cast<std::size_t>(c)];
    for (Index i = 0; i < w.rows; ++i) w2(i, c) = w(i, j);
    std::copy(h.row(j), h.row(j) + h.cols, h2.row(c));
  }
  w = std::move(w2);
  h = std::move(h2);
}

#define NMFKIT_PICTURES(T)                                                             \
  template std::vector<std::string> write_pictures<T>(                                 \
      OutputDir&, const Json&, const viz::SampleRows<T>&, const DenseView<T>&,         \
      const DenseView<T>&, const viz::ImageShape&, const viz::ComponentsStyle&, bool,  \
      const Classes*, const std::vector<viz::ComponentRow>&, bool, const TopWords*);   \
  template viz::ReportFigure write_classes<T>(                                         \
      OutputDir&, const Classes&, const viz::SampleRows<T>&, const DenseView<T>&,      \
      const DenseView<T>&, const viz::ImageShape&, const viz::ComponentsStyle&, bool,  \
      std::vector<std::string>&, bool);                                                \
  template std::vector<double> component_usage<T>(const Matrix<T>&, const Matrix<T>&); \
  template void sort_by_usage<T>(Matrix<T>&, Matrix<T>&);
NMFKIT_PICTURES(float)
NMFKIT_PICTURES(double)
#undef NMFKIT_PICTURES

}  // namespace nmfkit::cli
