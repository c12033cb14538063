#pragma once
/// Reading the members of a zip archive (what numpy's savez and scipy's save_npz write): stored or
/// deflate-compressed members, zip64 sizes and offsets. Encrypted members, other compression
/// methods and multi-disk archives are refused.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nmfkit::io {

namespace detail {
class InputFile;
}

/// One member of an archive, as its central directory describes it.
struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  ///< 0 stored, 8 deflate
  std::uint32_t crc = 0;     ///< CRC-32 of the uncompressed bytes
  std::uint64_t compressed = 0;
  std::uint64_t size = 0;    ///< uncompressed bytes
  std::uint64_t offset = 0;  ///< of the member's local header
};

/// A zip archive opened for reading. The central directory is read and checked when it is opened:
/// every member must lie inside the file before the directory, and no member may declare more
/// uncompressed bytes than its compressed bytes can hold (deflate expands at most 1032 times), so
/// memory proportional to the file is all a reader needs. Errors throw nmfkit::DataError with one
/// line naming the file (and the member).
class ZipReader {
 public:
  explicit ZipReader(const std::string& path);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  /// The member named `name`, or nullptr.
  const ZipEntry* find(std::string_view name) const;

  /// A member's uncompressed bytes as a stream: read() returns fewer bytes than asked only at the
  /// end of the member; finish() checks that the member ended where its sizes say and that its
  /// CRC-32 matches. Corrupt data throws as soon as it is met.
  class Member {
   public:
    Member(Member&&) noexcept;
    ~Member();
    std::size_t read(void* dst, std::size_t n);
    void finish();
    std::uint64_t size() const;

   private:
    friend class ZipReader;
    struct State;
    explicit Member(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };
  /// Opens a member for reading; one member at a time.
  Member open(const ZipEntry& entry);
  /// A member's bytes, all of them (for small members).
  std::vector<std::uint8_t> read_all(const ZipEntry& entry);

 private:
  std::string path_;
  std::unique_ptr<detail::InputFile> file_;
  std::uint64_t file_size_ = 0;
  std::vector<ZipEntry> entries_;
};

/// Whether the file starts as a zip archive does ("PK\3\4", or "PK\5\6" for an empty one).
bool is_zip(const std::string& path);

}  // namespace nmfkit::io
