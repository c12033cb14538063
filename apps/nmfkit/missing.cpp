#include "missing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/npy.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::int64_t d : shape) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

}  // namespace

template <typename T>
Missing missing_entries(const std::string& mask_path, const std::string& missing, const Input& in,
                        const std::vector<T>& x, bool limited) {
  if (!missing.empty() && missing != "nan")
    throw InvalidArgument("--missing must be 'nan', got '" + missing + "'");
  Missing m;
  if (mask_path.empty() && missing.empty() && in.observed.empty()) return m;
  m.observed.assign(static_cast<std::size_t>(in.rows * in.cols), 1);
  if (!in.observed.empty())  // --alpha mask: transparent pixels
    std::copy(in.observed.begin(),
              in.observed.begin() + static_cast<std::ptrdiff_t>(m.observed.size()),
              m.observed.begin());
  if (!mask_path.empty()) {
    const io::Array a = io::read_npy(mask_path);
    // The product of the trailing dimensions, saturated (a zero dimension beside huge ones must
    // not overflow on the way).
    Index trailing = 1;
    for (std::size_t d = 1; d < a.shape.size(); ++d)
      trailing = a.shape[d] == 0 ? 0
                 : trailing > std::numeric_limits<Index>::max() / a.shape[d]
                     ? std::numeric_limits<Index>::max()
                     : trailing * a.shape[d];

    const bool rows_ok =
        a.shape.size() >= 2 && (limited ? a.shape[0] >= in.rows : a.shape[0] == in.rows);
    if (!rows_ok || trailing != in.cols)
      throw DataError("--mask '" + mask_path + "' is " + shape_text(a.shape) +
                      " but the input is " + std::to_string(in.rows) + " x " +
                      std::to_string(in.cols) +
                      "; the mask must have the input's shape (nonzero = observed)");
    const std::vector<double> values = io::to_vector<double>(a);
    for (std::size_t p = 0; p < m.observed.size(); ++p)
      m.observed[p] = m.observed[p] != 0 && values[p] != 0;
  }
  if (missing == "nan")
    for (std::size_t p = 0; p < m.observed.size(); ++p)
      if (std::isnan(x[p])) m.observed[p] = 0;
  for (std::uint8_t o : m.observed) m.count += o == 0;
  return m;
}

template Missing missing_entries<float>(const std::string&, const std::string&, const Input&,
                                        const std::vector<float>&, bool);
template Missing missing_entries<double>(const std::string&, const std::string&, const Input&,
                                         const std::vector<double>&, bool);

}  // namespace nmfkit::cli
