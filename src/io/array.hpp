#pragma once
/// A typed n-dimensional array read from a file: the element type, the shape and the raw bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nmfkit::io {

/// Element types the readers understand.
enum class DType {
  kUint8,
  kInt8,
  kInt16,
  kInt32,
  kFloat32,
  kFloat64,
  kUint16,
  kUint32,
  kInt64,
  kUint64
};

/// Bytes per element (1, 1, 2, 4, 4, 8, 2, 4, 8, 8).
std::size_t dtype_size(DType dtype);

/// numpy's name of the type: "uint8", "int8", "int16", "int32", "float32", "float64", "uint16",
/// "uint32", "int64", "uint64".
std::string_view dtype_name(DType dtype);

/// An array in C (row-major) order; elements are stored in native byte order.
struct Array {
  DType dtype = DType::kUint8;
  std::vector<std::int64_t> shape;  ///< at least one dimension for every array a reader returns
  std::vector<std::uint8_t> bytes;  ///< size() · dtype_size(dtype) bytes

  /// Number of elements: the product of shape (0 for an empty shape).
  std::int64_t size() const;
};

/// Every element converted to T and multiplied by scale, in C order. Instantiated for float and
/// double. Throws nmfkit::DataError if bytes does not hold exactly size() elements.
template <typename T>
std::vector<T> to_vector(const Array& a, double scale = 1.0);

/// Elements [first, first + count) of a (in C order) converted as to_vector converts them, written
/// to out. Throws nmfkit::DataError as to_vector does, nmfkit::InvalidArgument for a range
/// outside the array.
template <typename T>
void convert_range(const Array& a, std::int64_t first, std::int64_t count, double scale, T* out);

extern template void convert_range<float>(const Array&, std::int64_t, std::int64_t, double, float*);
extern template void convert_range<double>(const Array&, std::int64_t, std::int64_t, double,
                                           double*);
extern template std::vector<float> to_vector<float>(const Array&, double);
extern template std::vector<double> to_vector<double>(const Array&, double);

}  // namespace nmfkit::io
