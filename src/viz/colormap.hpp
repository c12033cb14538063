#pragma once
/// Colormaps: map a scalar in [0, 1] to an 8-bit RGB colour.
#include <cstdint>
#include <span>
#include <string_view>

namespace nmfkit::viz {

/// An 8-bit RGB colour.
struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;

  friend bool operator==(const Rgb&, const Rgb&) = default;
};

enum class Colormap {
  kViridis,  ///< matplotlib's perceptually uniform viridis (dark purple → yellow)
  kGray,     ///< black → white
  kMagma,    ///< matplotlib's magma (black → purple → pale yellow)
  kInferno,  ///< matplotlib's inferno (black → red → bright yellow)
  kPlasma,   ///< matplotlib's plasma (blue → magenta → yellow)
  kCividis,  ///< matplotlib's cividis (blue → yellow, readable with colour-vision deficiency)
};

/// Parses a colormap name ("viridis", "gray", "magma", "inferno", "plasma", "cividis"). Throws
/// nmfkit::InvalidArgument for any other name, listing the valid ones.
Colormap parse_colormap(std::string_view name);

/// The name parse_colormap() accepts for `map`.
std::string_view colormap_name(Colormap map);

/// Every valid colormap name, in the order of the enum.
std::span<const std::string_view> colormap_names();

/// The colour of `t` under `map`. `t` is clamped to [0, 1]; NaN maps like 0.
/// matplotlib's maps use entry round(255·t) of their 256-entry table; gray gives (v, v, v),
/// v = round(255·t).
Rgb map_color(Colormap map, double t);

}  // namespace nmfkit::viz
