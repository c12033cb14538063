#pragma once
/// Helpers shared by the nmfkit::io readers and writers (internal to the io module).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nmfkit::io::detail {

/// The largest data block a reader will allocate (1 TiB); larger headers are refused as corrupt.
inline constexpr std::uint64_t kMaxDataBytes = std::uint64_t{1} << 40;

/// Throws nmfkit::DataError("<path>: <problem>").
[[noreturn]] void fail(const std::string& path, const std::string& problem);

/// A file opened for binary reading, closed on destruction. Errors throw nmfkit::DataError.
class InputFile {
 public:
  /// Throws "cannot open '<path>': <strerror(errno)>".
  explicit InputFile(const std::string& path);

  /// Size of the file in bytes.
  std::uint64_t size() const;
  /// Reads up to n bytes; returns how many were read (fewer only at the end of the file).
  std::size_t read(void* dst, std::size_t n);
  /// Moves the read position to offset bytes from the start.
  void seek(std::uint64_t offset);

 private:
  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

/// "3 x 28 x 28".
std::string join_dims(std::span<const std::int64_t> dims);

/// The product of dims times elem_size, checked: throws if any dimension is negative, if the
/// product overflows 64 bits, or if it exceeds kMaxDataBytes.
std::uint64_t checked_data_bytes(const std::string& path, std::span<const std::int64_t> dims,
                                 std::size_t elem_size);

/// Reverses the bytes of every elem_size-byte element in place.
void swap_bytes(std::span<std::uint8_t> bytes, std::size_t elem_size);

}  // namespace nmfkit::io::detail
