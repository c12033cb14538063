#include "io/array.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "nmfkit/errors.hpp"

namespace nmfkit::io {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kUint8:
    case DType::kInt8:
      return 1;
    case DType::kInt16:
    case DType::kUint16:
      return 2;
    case DType::kInt32:
    case DType::kUint32:
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kUint64:
      return 8;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kUint8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kInt16:
      return "int16";
    case DType::kInt32:
      return "int32";
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kUint16:
      return "uint16";
    case DType::kUint32:
      return "uint32";
    case DType::kInt64:
      return "int64";
    case DType::kUint64:
      return "uint64";
  }
  return "unknown";
}

std::int64_t Array::size() const {
  if (shape.empty()) return 0;
  for (std::int64_t d : shape)  // before the product: the other dimensions may overflow it
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

namespace {

// Converts n elements of type S starting at src (any alignment; element `first` of a) to T, times
// scale. A finite value beyond float's range is refused (converting it is undefined), naming its
// position.
template <typename S, typename T>
void convert(const std::uint8_t* src, std::size_t n, double scale, T* out, const Array& a,
             std::int64_t first) {
  for (std::size_t i = 0; i < n; ++i) {
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    const double d = static_cast<double>(v) * scale;
    if constexpr (std::is_same_v<T, float> && std::is_same_v<S, double>) {  // only doubles can
      if (std::isfinite(d) && std::fabs(d) > double(std::numeric_limits<float>::max())) {
        const std::int64_t cols = a.shape.size() > 1 ? a.size() / a.shape[0] : 1;
        char text[32];
        std::snprintf(text, sizeof text, "%g", d);
        const std::int64_t at = first + std::int64_t(i);
        throw DataError("X(" + std::to_string(at / cols) + ", " + std::to_string(at % cols) +
                        ") = " + text + " is beyond float32's range (3.4e38); use --dtype float64");
      }
    }
    out[i] = static_cast<T>(d);
  }
}

// The number of elements of a, after checking that its bytes hold exactly that many.
std::size_t checked_size(const Array& a) {
  const auto n = static_cast<std::size_t>(a.size());
  if (a.bytes.size() != n * dtype_size(a.dtype)) {
    throw DataError("array of " + std::to_string(n) + " " + std::string(dtype_name(a.dtype)) +
                    " elements holds " + std::to_string(a.bytes.size()) + " bytes, expected " +
                    std::to_string(n * dtype_size(a.dtype)));
  }
  return n;
}

}  // namespace

template <typename T>
void convert_range(const Array& a, std::int64_t first, std::int64_t count, double scale, T* out) {
  const std::size_t n = checked_size(a);
  if (first < 0 || count < 0 || static_cast<std::size_t>(first + count) > n)
    throw InvalidArgument("elements " + std::to_string(first) + " to " +
                          std::to_string(first + count) + " are not in an array of " +
                          std::to_string(n));
  const std::size_t c = static_cast<std::size_t>(count);
  const std::uint8_t* src = a.bytes.data() + static_cast<std::size_t>(first) * dtype_size(a.dtype);
  switch (a.dtype) {
    case DType::kUint8:
      convert<std::uint8_t>(src, c, scale, out, a, first);
      break;
    case DType::kInt8:
      convert<std::int8_t>(src, c, scale, out, a, first);
      break;
    case DType::kInt16:
      convert<std::int16_t>(src, c, scale, out, a, first);
      break;
    case DType::kInt32:
      convert<std::int32_t>(src, c, scale, out, a, first);
      break;
    case DType::kFloat32:
      convert<float>(src, c, scale, out, a, first);
      break;
    case DType::kFloat64:
      convert<double>(src, c, scale, out, a, first);
      break;
    case DType::kUint16:
      convert<std::uint16_t>(src, c, scale, out, a, first);
      break;
    case DType::kUint32:
      convert<std::uint32_t>(src, c, scale, out, a, first);
      break;
    case DType::kInt64:  // values beyond 2^53 are rounded to the nearest double
      convert<std::int64_t>(src, c, scale, out, a, first);
      break;
    case DType::kUint64:
      convert<std::uint64_t>(src, c, scale, out, a, first);
      break;
  }
}

template <typename T>
std::vector<T> to_vector(const Array& a, double scale) {
  std::vector<T> out(checked_size(a));  // checked before allocating
  convert_range(a, 0, static_cast<std::int64_t>(out.size()), scale, out.data());
  return out;
}

template void convert_range<float>(const Array&, std::int64_t, std::int64_t, double, float*);
template void convert_range<double>(const Array&, std::int64_t, std::int64_t, double, double*);
template std::vector<float> to_vector<float>(const Array&, double);
template std::vector<double> to_vector<double>(const Array&, double);

}  // namespace nmfkit::io
