#include "viz/colormap.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include "nmfkit/errors.hpp"
#include "viz/colormap_tables.hpp"

namespace nmfkit::viz {
namespace {

// Indexed by the enum's value.
constexpr std::array<std::string_view, 6> kColormapNames = {"viridis", "gray",   "magma",
                                                            "inferno", "plasma", "cividis"};

// "a", "a or b", "a, b or c".
std::string list_choices(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// round(255·t) for t already clamped to [0, 1].
int to_level(double t) {
  return static_cast<int>(std::lround(t * 255.0));
}

}  // namespace

Colormap parse_colormap(std::string_view name) {
  for (std::size_t i = 0; i < kColormapNames.size(); ++i) {
    if (kColormapNames[i] == name) return static_cast<Colormap>(i);
  }
  throw InvalidArgument("unknown colormap '" + std::string(name) + "' (choose " +
                        list_choices(kColormapNames) + ")");
}

std::string_view colormap_name(Colormap map) {
  const auto i = static_cast<std::size_t>(map);
  if (i >= kColormapNames.size()) {
    throw InvalidArgument("invalid colormap value " + std::to_string(i));
  }
  return kColormapNames[i];
}

std::span<const std::string_view> colormap_names() {
  return kColormapNames;
}

Rgb map_color(Colormap map, double t) {
  if (!(t >= 0.0)) t = 0.0;  // also catches NaN
  if (t > 1.0) t = 1.0;
  const int level = to_level(t);
  switch (map) {
    case Colormap::kViridis:
      return viridis_table()[static_cast<std::size_t>(level)];
    case Colormap::kMagma:
      return magma_table()[static_cast<std::size_t>(level)];
    case Colormap::kInferno:
      return inferno_table()[static_cast<std::size_t>(level)];
    case Colormap::kPlasma:
      return plasma_table()[static_cast<std::size_t>(level)];
    case Colormap::kCividis:
      return cividis_table()[static_cast<std::size_t>(level)];
    case Colormap::kGray: {
      const auto v = static_cast<std::uint8_t>(level);
      return Rgb{v, v, v};
    }
  }
  throw InvalidArgument("invalid colormap value " + std::to_string(static_cast<int>(map)));
}

}  // namespace nmfkit::viz
