#include "io/array.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

template <typename T>
Array make(DType dtype, std::vector<std::int64_t> shape, const std::vector<T>& values) {
  Array a{dtype, std::move(shape), std::vector<std::uint8_t>(values.size() * sizeof(T))};
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
}

TEST(Array, DTypeSizesAndNames) {
  EXPECT_EQ(dtype_size(DType::kUint8), 1u);
  EXPECT_EQ(dtype_size(DType::kInt8), 1u);
  EXPECT_EQ(dtype_size(DType::kInt16), 2u);
  EXPECT_EQ(dtype_size(DType::kInt32), 4u);
  EXPECT_EQ(dtype_size(DType::kFloat32), 4u);
  EXPECT_EQ(dtype_size(DType::kFloat64), 8u);
  EXPECT_EQ(dtype_name(DType::kUint8), "uint8");
  EXPECT_EQ(dtype_name(DType::kInt8), "int8");
  EXPECT_EQ(dtype_name(DType::kInt16), "int16");
  EXPECT_EQ(dtype_name(DType::kInt32), "int32");
  EXPECT_EQ(dtype_name(DType::kFloat32), "float32");
  EXPECT_EQ(dtype_name(DType::kFloat64), "float64");
}

TEST(Array, SizeIsProductOfShape) {
  Array a;
  EXPECT_EQ(a.size(), 0);
  a.shape = {2, 3, 4};
  EXPECT_EQ(a.size(), 24);
  a.shape = {5, 0};
  EXPECT_EQ(a.size(), 0);
}

TEST(Array, ToVectorScalesUint8) {
  const Array a = make<std::uint8_t>(DType::kUint8, {2, 2}, {0, 51, 255, 102});
  const std::vector<float> f = to_vector<float>(a, 1.0 / 255.0);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_FLOAT_EQ(f[0], 0.0f);
  EXPECT_FLOAT_EQ(f[1], 0.2f);
  EXPECT_FLOAT_EQ(f[2], 1.0f);
  EXPECT_FLOAT_EQ(f[3], 0.4f);
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{0, 51, 255, 102}));
}

TEST(Array, ToVectorConvertsEveryDType) {
  EXPECT_EQ(to_vector<double>(make<std::int8_t>(DType::kInt8, {2}, {-128, 127})),
            (std::vector<double>{-128, 127}));
  EXPECT_EQ(to_vector<double>(make<std::int16_t>(DType::kInt16, {2}, {-30000, 12})),
            (std::vector<double>{-30000, 12}));
  EXPECT_EQ(to_vector<double>(make<std::int32_t>(DType::kInt32, {2}, {-2000000000, 7})),
            (std::vector<double>{-2000000000, 7}));
  EXPECT_EQ(to_vector<double>(make<float>(DType::kFloat32, {2}, {1.5f, -0.25f}), 2.0),
            (std::vector<double>{3.0, -0.5}));
  EXPECT_EQ(to_vector<float>(make<double>(DType::kFloat64, {1, 2}, {0.125, 1e10})),
            (std::vector<float>{0.125f, 1e10f}));
}

TEST(Array, ToVectorRejectsWrongByteCount) {
  Array a{DType::kFloat32, {3}, std::vector<std::uint8_t>(8)};
  EXPECT_THROW(to_vector<float>(a), DataError);
}

}  // namespace
}  // namespace nmfkit::io
