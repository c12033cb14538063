#include "transform_command.hpp"

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "classes.hpp"
#include "common.hpp"
#include "input.hpp"
#include "interrupt.hpp"
#include "io/npy.hpp"
#include "model.hpp"
#include "nmfkit/nmfkit.hpp"
#include "output_dir.hpp"
#include "progress.hpp"
#include "sparse_input.hpp"
#include "viz/image.hpp"
#include "vocab.hpp"

namespace nmfkit::cli {

namespace {

std::string describe(const viz::ImageShape& s, Index features) {
  std::string text = std::to_string(features) + " features";
  if (s.height > 1)
    text += " (" + std::to_string(s.height) + "x" + std::to_string(s.width) +
            (s.channels > 1 ? "x" + std::to_string(s.channels) : "") + " images)";
  return text;
}

// The vocabulary of the model's features: --vocab, which must agree with the model's own when it
// has one, else the model's; empty without either.
std::vector<std::string> transform_vocab(const TransformArgs& args, const Model& model) {
  std::vector<std::string> own;
  if (!model.vocab_path.empty()) own = read_vocab(model.vocab_path, model.n_features);
  if (args.vocab.empty()) return own;
  std::vector<std::string> given = read_vocab(args.vocab, model.n_features);
  for (std::size_t i = 0; i < own.size(); ++i)
    if (own[i] != given[i])
      throw DataError("vocabulary '" + args.vocab + "' differs from the model's (" +
                      model.vocab_path + ") at line " + std::to_string(i + 1) + ": '" + given[i] +
                      "' where the model has '" + own[i] + "'");
  return given;
}

template <typename T>
int run_typed(const TransformArgs& args, const Model& model) {
  OutputDir out(args.outdir);
  InputOptions input_options;
  input_options.limit = args.limit;
  if (std::filesystem::is_directory(args.input)) {  // images are read as the model's were
    input_options.color = model.image.channels == 3 ? "rgb" : "gray";
    input_options.size =
        std::to_string(model.image.width) + "x" + std::to_string(model.image.height);
    // Transparency as the fit treated it; a masked fit's new images go onto black (zero): the
    // transform has no missing entries.
    input_options.alpha = model.alpha == "mask" ? "composite" : model.alpha;
    if (model.alpha == "composite") input_options.background = model.background;
  }
  Input in = load_input(args.input, input_options);
  const std::optional<Classes> classes = load_classes(args.classes, in, args.quiet);
  const bool image_input = in.image.height > 1;  // from a 3-D/4-D file (or square rows)
  if (in.cols != model.n_features ||
      (image_input && model.image.height > 1 &&
       (in.image.height != model.image.height || in.image.width != model.image.width ||
        in.image.channels != model.image.channels)))
    throw DataError("'" + args.input + "' has " + describe(in.image, in.cols) +
                    " but the model in '" + args.model + "' was fitted on " +
                    describe(model.image, model.n_features));
  const Matrix<T> h = read_matrix_npy<T>(model.h_path, "the model's H");
  if (h.rows != model.options.k || h.cols != model.n_features)
    throw DataError("the model's H in '" + args.model + "' is " + std::to_string(h.rows) + " x " +
                    std::to_string(h.cols) + ", but model.json says " +
                    std::to_string(model.options.k) + " x " + std::to_string(model.n_features));
  const std::vector<std::string> vocab = transform_vocab(args, model);
  FitOptions options = model.options;
  options.threads = args.threads;
  const bool sparse = in.sparse.has_value();
  CsrMatrix<T> csr;
  std::vector<T> x;
  if (sparse)
    csr = take_csr<T>(in);
  else
    x = in.take_matrix<T>();
  ProgressReporter progress({"nmfkit: transform " + in.description + ", " +
                                 std::to_string(in.rows) + " x " + std::to_string(in.cols) +
                                 " with the k = " + std::to_string(options.k) + " components in " +
                                 args.model,
                             args.quiet, options.beta == 2, ""});
  options.progress = progress.callback();
  const FitResult<T> r =
      sparse ? csr.visit([&](const auto& view) { return transform(view, h.view(), options); })
             : transform(DenseView<T>(x.data(), in.rows, in.cols), h.view(), options);
  progress.finish();
  if (interrupted()) throw Interrupted();

  const std::int64_t w_shape[] = {r.W.rows, r.W.cols};
  io::write_npy(out.stage("W.npy"), r.W.data(), w_shape);
  nlohmann::ordered_json j;
  j["nmfkit_version"] = std::string(version());
  j["command"] = "transform";
  j["model"] = args.model;
  j["input"] = args.input;
  j["shape"] = {in.rows, in.cols};
  j["k"] = options.k;
  j["solver"] = options.solver;
  j["loss"] = loss_name(options.beta);
  j["threads"] = r.threads;
  j["iterations"] = r.iterations;
  j["converged"] = r.converged;
  j["seconds"] = r.seconds;
  j["error"] = r.error;
  j["relative_error"] = r.relative_error;
  j["loss_history"] = r.loss_history;
  if (sparse) j["nnz"] = csr.values.size();
  if (!vocab.empty()) j["top_words"] = top_words_json(top_words(h.view(), vocab));
  bool drawn = false;
  if (classes) {  // which classes of the new samples use which components, as fit shows it
    const viz::ClassTable table = viz::summarize_classes(r.W.view(), h.view(), classes->of_sample,
                                                         static_cast<int>(classes->names.size()));
    j["classes"] = classes_json(*classes, table);
    try {
      if (!vocab.empty()) throw InvalidArgument("the rows are words (--vocab), not images");
      const viz::SampleRows<T> samples =
          sparse ? csr.sample_rows() : viz::SampleRows<T>(DenseView<T>(x.data(), in.rows, in.cols));
      viz::write_png(out.stage("classes.png"),
                     viz::render_classes(samples, h.view(), classes->of_sample, table,
                                         classes->names, model.image, viz::ComponentsStyle{}));
      drawn = true;
    } catch (const InvalidArgument& e) {
      if (!args.quiet) std::cerr << "nmfkit: note: no classes.png: " << e.what() << "\n";
    }
  }
  j["files"] = drawn ? std::vector<std::string>{"W.npy", "summary.json", "classes.png"}
                     : std::vector<std::string>{"W.npy", "summary.json"};
  write_text(out.stage("summary.json"), json_text(j) + "\n");
  out.commit();
  std::cout << "transformed " << in.rows << " samples in " << fixed(r.seconds, 2) << " s; "
            << (options.beta == 2
                    ? "relative error " + fixed(r.relative_error, 4)
                    : loss_name(options.beta) + " error sqrt(2*divergence) " + fixed(r.error, 2))
            << "\n"
            << "wrote W.npy (" << r.W.rows << " x " << r.W.cols << "), summary.json"
            << (drawn
                    ? " and classes.png (" + std::to_string(classes->names.size()) +
                          " classes; purity " + fixed(j["classes"]["purity"].get<double>(), 3) + ")"
                    : std::string())
            << " in " << out.target().string() << "\n";
  return 0;
}

}  // namespace

CLI::App* add_transform_command(CLI::App& app, TransformArgs& a) {
  CLI::App* t = app.add_subcommand("transform",
                                   "W for new samples with a fitted model's components held fixed");
  t->add_option("--model", a.model, "Output folder of 'nmfkit fit' (model.json and H.npy)")
      ->required();
  t->add_option(
       "INPUT", a.input,
       "A dataset name, an image folder (read in the model's size and colour), an IDX, NPY, NPZ, "
       "Matrix Market or CSV file, as for fit")
      ->required();
  t->add_option("-o,--output", a.outdir, "Output folder for W.npy and summary.json")->required();
  t->add_option("--threads", a.threads, "Threads (default 0 = all cores)")->check(kCount);
  t->add_option("--limit", a.limit, "Use only the first N samples (default 0 = all)")
      ->check(kCount);
  t->add_option("--vocab", a.vocab,
                "One term per feature, as for fit: checked against the model's vocabulary; "
                "summary.json gets the components' top words (the model's vocabulary is used "
                "when this is not given)");
  add_classes_option(*t, a.classes,
                     "auto: the test labels of the t10k IDX files (the ...labels-idx1-ubyte file "
                     "beside an ...images-idx3-ubyte INPUT)");
  t->add_flag("-q,--quiet", a.quiet, "Print no progress, only errors and the summary");
  t->footer(
      "Example: nmfkit transform --model out/mnist-k10 data/mnist/t10k-images-idx3-ubyte "
      "-o out/mnist-test-w");
  return t;
}

int run_transform(const TransformArgs& args) {
  const Model model = load_model(args.model);
  if (model.dtype == "float64") return run_typed<double>(args, model);
  return run_typed<float>(args, model);
}

}  // namespace nmfkit::cli
