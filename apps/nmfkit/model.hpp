#pragma once
// model.json: what `nmfkit transform` needs besides H.npy to apply a fitted model to new data.
#include <nlohmann/json.hpp>
#include <string>

#include "nmfkit/options.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

struct Model {
  FitOptions options;  ///< k, solver, loss, regularisation, max_iter, tol, seed of the fit
  viz::ImageShape image;
  Index n_features = 0;
  std::string dtype;  ///< "float32" or "float64"
  bool scaled_from_uint8 = false;
  std::string h_path;            ///< the model's H.npy
  std::string alpha = "ignore";  ///< image folders: what the fit did with transparent pixels
  std::string background;        ///< with alpha composite
  std::string vocab_path;        ///< the model's vocabulary (fit --vocab), or empty
};

/// [height, width] or [height, width, channels].
nlohmann::ordered_json image_shape_json(const viz::ImageShape& image);

nlohmann::ordered_json model_json(const FitOptions& o, const viz::ImageShape& image,
                                  Index n_features, const std::string& dtype,
                                  bool scaled_from_uint8);

/// Reads DIR/model.json; throws DataError with one line naming the folder when it is missing or
/// malformed.
Model load_model(const std::string& dir);

}  // namespace nmfkit::cli
