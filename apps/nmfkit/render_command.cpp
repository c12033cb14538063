#include "render_command.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "classes.hpp"
#include "common.hpp"
#include "input.hpp"
#include "nmfkit/errors.hpp"
#include "output_dir.hpp"
#include "pictures.hpp"
#include "sparse_input.hpp"
#include "viz/colormap.hpp"
#include "vocab.hpp"

namespace nmfkit::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Saved {
  Json summary;
  std::string input;
  InputOptions input_options;
  viz::ImageShape image;
  std::string dtype;
};

Saved load_saved(const std::string& dir) {
  const fs::path file = fs::path(dir) / "summary.json";
  std::ifstream in(file);
  if (!in)
    throw DataError("'" + dir + "' is not an output folder of nmfkit fit: cannot open " +
                    file.string());
  Saved s;
  try {
    s.summary = Json::parse(in);
    if (s.summary.at("command").get<std::string>() != "fit")
      throw DataError(file.string() + " was written by nmfkit " +
                      s.summary.at("command").get<std::string>() + ", not fit");
    // The absolute path, so that render works from any folder; datasets by their name.
    s.input = s.summary.value("input_absolute", s.summary.at("input").get<std::string>());
    const Json& o = s.summary.at("input_options");
    s.input_options.color = o.at("color").get<std::string>();
    s.input_options.size = o.at("size").get<std::string>();
    s.input_options.skip_bad = o.at("skip_bad").get<bool>();
    // Fits from before --alpha read images as ignore does.
    const bool images = s.summary.value("input_kind", std::string()) == "images";
    s.input_options.alpha = o.value("alpha", std::string(images ? "ignore" : ""));
    s.input_options.background = o.value("background", std::string());
    s.input_options.shape = o.at("shape").get<std::string>();
    s.input_options.limit = o.at("limit").get<Index>();
    const auto shape = s.summary.at("image_shape").get<std::vector<Index>>();
    if (shape.size() != 2 && shape.size() != 3)
      throw DataError(file.string() + " is malformed: image_shape has " +
                      std::to_string(shape.size()) + " entries");
    s.image = {shape[0], shape[1], shape.size() == 3 ? shape[2] : 1};
    s.dtype = s.summary.at("dtype").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(file.string() + " is malformed: " + e.what());
  }
  return s;
}

template <typename T>
int run_typed(const RenderArgs& args, Saved saved) {
  viz::ComponentsStyle style;
  const std::string cmap =
      args.cmap.empty() ? saved.summary.value("cmap", std::string("viridis")) : args.cmap;
  style.colormap = viz::parse_colormap(cmap);
  style.labels = args.labels || saved.summary.value("labels", false);
  OutputDir out(args.outdir, OutputDir::Mode::kUpdate);
  const fs::path dir(args.outdir);
  const Matrix<T> w = read_matrix_npy<T>((dir / "W.npy").string(), "the saved W");
  const Matrix<T> h = read_matrix_npy<T>((dir / "H.npy").string(), "the saved H");
  Input in = load_input(saved.input, saved.input_options);
  if (in.rows != w.rows || in.cols != h.cols || w.cols != h.rows)
    throw DataError("the input '" + saved.input + "' is now " + std::to_string(in.rows) + " x " +
                    std::to_string(in.cols) + " but the saved W is " + std::to_string(w.rows) +
                    " x " + std::to_string(w.cols) + " and H " + std::to_string(h.rows) + " x " +
                    std::to_string(h.cols));
  // The classes the fit used (auto for fits from before --classes), unless --classes says.
  std::string spec = args.classes;
  if (spec.empty() && saved.summary.contains("classes") && saved.summary["classes"].is_object())
    spec = saved.summary["classes"].value("spec", std::string("auto"));
  if (spec.empty()) spec = "auto";
  const std::optional<Classes> classes = load_classes(spec, in, args.quiet);
  // The vocabulary: --vocab (kept in OUTDIR as the fit keeps it), else the fit's copy.
  const fs::path kept = dir / kVocabFile;
  std::optional<TopWords> words;
  std::vector<std::string> vocab;
  if (!args.vocab.empty())
    vocab = read_vocab(args.vocab, h.cols);
  else if (saved.summary.contains("top_words") || fs::exists(kept))
    vocab = read_vocab(kept.string(), h.cols);
  if (!vocab.empty()) {
    words = top_words(h.view(), vocab);
    saved.summary["top_words"] = top_words_json(*words);
    if (!args.vocab.empty()) saved.summary["vocab"] = args.vocab;
  }
  // The pictures read the samples a row at a time; only --alpha mask's transparent pixels (drawn as
  // a checkerboard) need X in T whole.
  std::vector<T> x;
  if (!in.observed.empty()) {
    x = in.matrix<T>();
    mark_missing(x, in.observed);
  }
  const CsrMatrix<T> csr = in.sparse ? take_csr<T>(in) : CsrMatrix<T>{};
  const viz::SampleRows<T> samples =
      !x.empty()  ? viz::SampleRows<T>(DenseView<T>(x.data(), in.rows, in.cols))
      : in.sparse ? csr.sample_rows()
                  : in.sample_rows<T>();
  saved.summary["cmap"] = cmap;
  saved.summary["labels"] = style.labels;
  if (classes)
    saved.summary["classes"] =
        classes_json(*classes, viz::summarize_classes(w.view(), h.view(), classes->of_sample,
                                                      static_cast<int>(classes->names.size())));
  else
    saved.summary.erase("classes");
  if (!args.vocab.empty()) {
    std::string text;
    for (const std::string& v : vocab) text += v + "\n";
    write_text(out.stage(kVocabFile), text);
  }
  const std::vector<std::string> files = write_pictures<T>(
      out, saved.summary, samples, w.view(), h.view(), saved.image, style, args.quiet,
      classes ? &*classes : nullptr, {}, true, words ? &*words : nullptr);
  write_text(out.stage("summary.json"), json_text(saved.summary) + "\n");
  out.commit();
  std::cout << "drew";
  for (std::size_t i = 0; i < files.size(); ++i)
    std::cout << (i == 0 ? " " : i + 1 == files.size() ? " and " : ", ") << files[i];
  std::cout << " in " << out.target().string() << "\n";
  return 0;
}

}  // namespace

CLI::App* add_render_command(CLI::App& app, RenderArgs& a) {
  CLI::App* r = app.add_subcommand(
      "render", "Re-draw the pictures and report.html of a fit from its saved W.npy and H.npy");
  r->add_option("OUTDIR", a.outdir, "Output folder of 'nmfkit fit'")->required();
  std::string names;
  for (std::string_view n : viz::colormap_names())
    names += (names.empty() ? "" : ", ") + std::string(n);
  r->add_option("--cmap", a.cmap, "Colormap: " + names + " (default: the fit's)");
  r->add_flag("--labels", a.labels, "Draw each component's index on its tile");
  add_classes_option(*r, a.classes, "the fit's (auto for a fit that recorded none)");
  r->add_option("--vocab", a.vocab,
                "One term per feature: top words instead of component images (default: the "
                "fit's vocabulary, kept in OUTDIR as vocab.txt)");
  r->add_flag("-q,--quiet", a.quiet, "Print only errors and the summary");
  r->footer("Example: nmfkit render out/mnist-k10 --cmap magma");
  return r;
}

int run_render(const RenderArgs& args) {
  if (!args.cmap.empty()) viz::parse_colormap(args.cmap);  // a usage error before any reading
  Saved saved = load_saved(args.outdir);
  if (saved.dtype == "float64") return run_typed<double>(args, std::move(saved));
  return run_typed<float>(args, std::move(saved));
}

}  // namespace nmfkit::cli
