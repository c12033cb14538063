#include "model.hpp"

#include <filesystem>
#include <fstream>
#include <limits>

#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit::cli {

namespace fs = std::filesystem;

nlohmann::ordered_json image_shape_json(const viz::ImageShape& image) {
  if (image.channels == 1) return {image.height, image.width};
  return {image.height, image.width, image.channels};
}

nlohmann::ordered_json model_json(const FitOptions& o, const viz::ImageShape& image,
                                  Index n_features, const std::string& dtype,
                                  bool scaled_from_uint8) {
  nlohmann::ordered_json j;
  j["nmfkit_version"] = std::string(version());
  j["k"] = o.k;
  j["n_features"] = n_features;
  j["image_shape"] = image_shape_json(image);
  j["dtype"] = dtype;
  j["scaled_from_uint8"] = scaled_from_uint8;
  j["solver"] = o.solver;
  j["loss"] = loss_name(o.beta);
  j["beta"] = o.beta;
  j["alpha_w"] = o.alpha_w;
  j["alpha_h"] = o.alpha_h < 0 ? o.alpha_w : o.alpha_h;
  j["l1_ratio"] = o.l1_ratio;
  j["shuffle"] = o.shuffle;
  j["max_iter"] = o.max_iter;
  j["tol"] = o.tol;
  j["seed"] = o.seed;
  j["components"] = "H.npy";
  return j;
}

Model load_model(const std::string& dir) {
  const fs::path file = fs::path(dir) / "model.json";
  std::ifstream in(file);
  if (!in)
    throw DataError("'" + dir + "' is not a model folder: cannot open " + file.string() +
                    " (run nmfkit fit first)");
  // Whole numbers within [lo, hi]; nlohmann's get<int>() would cast anything (undefined beyond
  // int's range, and 4294967299 would read as 3).
  const auto whole = [&file](const nlohmann::json& v, const char* name, double lo, double hi) {
    const bool integer = v.is_number_integer() || v.is_number_unsigned();
    if (!integer || v.get<double>() < lo || v.get<double>() > hi)
      throw DataError(file.string() + " is malformed: " + name + " " + v.dump() +
                      " is not a whole number from " + std::to_string(static_cast<long long>(lo)) +
                      " to " + std::to_string(static_cast<unsigned long long>(hi)));
    return v;
  };
  constexpr double kMaxInt = std::numeric_limits<int>::max();
  constexpr double kMaxIndex = 9.0e15;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    Model m;
    m.options.k = whole(j.at("k"), "k", 1, kMaxInt).get<int>();
    m.options.solver = j.at("solver").get<std::string>();
    m.options.beta = j.at("beta").get<double>();
    m.options.alpha_w = j.at("alpha_w").get<double>();
    m.options.alpha_h = j.at("alpha_h").get<double>();
    m.options.l1_ratio = j.at("l1_ratio").get<double>();
    m.options.shuffle = j.at("shuffle").get<bool>();
    m.options.max_iter = whole(j.at("max_iter"), "max_iter", 1, kMaxInt).get<int>();
    m.options.tol = j.at("tol").get<double>();
    m.options.seed = whole(j.at("seed"), "seed", 0, 1.8e19).get<std::uint64_t>();
    m.n_features = whole(j.at("n_features"), "n_features", 1, kMaxIndex).get<Index>();
    std::vector<Index> shape;
    for (const nlohmann::json& d : j.at("image_shape"))
      shape.push_back(whole(d, "image_shape", 1, kMaxIndex).get<Index>());
    if (shape.size() != 2 && shape.size() != 3) throw DataError("image_shape has a bad length");
    m.image = {shape[0], shape[1], shape.size() == 3 ? shape[2] : 1};
    m.dtype = j.at("dtype").get<std::string>();
    m.scaled_from_uint8 = j.at("scaled_from_uint8").get<bool>();
    m.h_path = (fs::path(dir) / j.at("components").get<std::string>()).string();
    m.alpha = j.value("alpha", std::string("ignore"));
    m.background = j.value("background", std::string());
    if (j.contains("vocab"))
      m.vocab_path = (fs::path(dir) / j.at("vocab").get<std::string>()).string();
    if (m.dtype != "float32" && m.dtype != "float64")
      throw DataError(file.string() + " is malformed: dtype '" + m.dtype +
                      "' is neither float32 nor float64");
    m.options.validate();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(file.string() + " is malformed: " + e.what());
  } catch (const InvalidArgument& e) {
    throw DataError(file.string() + " is malformed: " + e.what());
  }
}

}  // namespace nmfkit::cli
