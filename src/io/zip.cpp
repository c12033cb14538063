#include "io/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>

#include "io/file_util.hpp"

namespace nmfkit::io {
namespace {

using detail::fail;

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kEnd64Sig = 0x06064b50;
constexpr std::uint32_t kLocator64Sig = 0x07064b50;
constexpr std::size_t kEndBytes = 22;
constexpr std::size_t kLocator64Bytes = 20;
constexpr std::size_t kEnd64Bytes = 56;
constexpr std::size_t kCentralBytes = 46;
constexpr std::size_t kLocalBytes = 30;
constexpr std::size_t kMaxComment = 0xffff;
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // deflate's largest expansion
constexpr std::size_t kChunk = std::size_t{1} << 16;

std::uint64_t le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

std::vector<std::uint8_t> read_at(detail::InputFile& file, const std::string& path,
                                  std::uint64_t offset, std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  file.seek(offset);
  if (file.read(bytes.data(), n) != n) fail(path, "truncated zip archive");
  return bytes;
}

std::string method_name(std::uint16_t method) {
  switch (method) {
    case 9:
      return " (deflate64)";
    case 12:
      return " (bzip2)";
    case 14:
      return " (lzma)";
    case 93:
      return " (zstd)";
    default:
      return "";
  }
}

}  // namespace

struct ZipReader::Member::State {
  std::string label;  // "<archive>: <member>"
  detail::InputFile* file = nullptr;
  ZipEntry entry;
  std::uint64_t remaining_in = 0;  // compressed bytes not yet read from the file
  std::uint64_t produced = 0;
  std::uint32_t crc = 0;
  bool ended = false;  // deflate: the stream's last block was decoded
  z_stream zs{};
  bool inflating = false;
  std::vector<std::uint8_t> in;

  ~State() {
    if (inflating) inflateEnd(&zs);
  }

  std::size_t read(std::uint8_t* dst, std::size_t n) {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, entry.size - produced));
    std::size_t got = 0;
    if (entry.method == 0) {
      got = file->read(dst, n);
      if (got < n) fail(label, "truncated member");
      remaining_in -= got;
    } else {
      zs.next_out = dst;
      zs.avail_out = static_cast<uInt>(n);
      while (zs.avail_out > 0 && !ended) {
        if (zs.avail_in == 0 && remaining_in > 0) {
          const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, remaining_in));
          if (file->read(in.data(), want) != want) fail(label, "truncated member");
          remaining_in -= want;
          zs.next_in = in.data();
          zs.avail_in = static_cast<uInt>(want);
        }
        const int r = inflate(&zs, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
          ended = true;
        } else if (r == Z_BUF_ERROR && zs.avail_in == 0 && remaining_in == 0) {
          fail(label, "truncated member: its compressed data ends before the deflate stream");
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
          fail(label, std::string("corrupt deflate data: ") + (zs.msg ? zs.msg : "inflate failed"));
        }
      }
      got = n - zs.avail_out;
      if (ended && got < n)
        fail(label, "truncated member: it holds " + std::to_string(produced + got) +
                        " bytes, its header declares " + std::to_string(entry.size));
    }
    crc = static_cast<std::uint32_t>(crc32(crc, dst, static_cast<uInt>(got)));
    produced += got;
    return got;
  }
};

ZipReader::Member::Member(std::unique_ptr<State> state) : state_(std::move(state)) {}
ZipReader::Member::Member(Member&&) noexcept = default;
ZipReader::Member::~Member() = default;

std::size_t ZipReader::Member::read(void* dst, std::size_t n) {
  auto* out = static_cast<std::uint8_t*>(dst);
  std::size_t done = 0;
  while (done < n) {  // zlib takes at most 4 GiB per call
    const std::size_t part = std::min<std::size_t>(n - done, std::size_t{1} << 30);
    const std::size_t got = state_->read(out + done, part);
    done += got;
    if (got < part) break;
  }
  return done;
}

std::uint64_t ZipReader::Member::size() const {
  return state_->entry.size;
}

void ZipReader::Member::finish() {
  State& s = *state_;
  if (s.produced != s.entry.size) fail(s.label, "member read only in part");
  if (s.entry.method == 8 && !s.ended) {
    std::uint8_t extra = 0;
    s.zs.next_out = &extra;
    s.zs.avail_out = 1;
    while (!s.ended) {
      if (s.zs.avail_in == 0 && s.remaining_in > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, s.remaining_in));
        if (s.file->read(s.in.data(), want) != want) fail(s.label, "truncated member");
        s.remaining_in -= want;
        s.zs.next_in = s.in.data();
        s.zs.avail_in = static_cast<uInt>(want);
      }
      const int r = inflate(&s.zs, Z_NO_FLUSH);
      if (s.zs.avail_out == 0)
        fail(s.label, "the member holds more than the " + std::to_string(s.entry.size) +
                          " bytes its header declares");
      if (r == Z_STREAM_END) break;
      if (r != Z_OK) fail(s.label, "truncated or corrupt deflate data");
    }
  }
  if (s.crc != s.entry.crc) fail(s.label, "CRC-32 mismatch: the member is corrupt");
}

ZipReader::ZipReader(const std::string& path)
    : path_(path), file_(std::make_unique<detail::InputFile>(path)) {
  file_size_ = file_->size();
  if (file_size_ < kEndBytes) fail(path_, "not a zip archive (too short)");
  // The end of central directory record: the last one, followed by its comment.
  const std::size_t tail =
      static_cast<std::size_t>(std::min<std::uint64_t>(file_size_, kEndBytes + kMaxComment));
  const std::vector<std::uint8_t> end = read_at(*file_, path_, file_size_ - tail, tail);
  std::size_t at = tail - kEndBytes + 1;
  bool found = false;
  while (at-- > 0) {
    if (le(&end[at], 4) == kEndSig && at + kEndBytes + le(&end[at + 20], 2) == tail) {
      found = true;
      break;
    }
  }
  if (!found) fail(path_, "not a zip archive, or a truncated one (no end of central directory)");
  const std::uint8_t* e = &end[at];
  const std::uint64_t end_offset = file_size_ - tail + at;
  std::uint64_t count = le(e + 10, 2), cd_size = le(e + 12, 4), cd_offset = le(e + 16, 4);
  if (le(e + 4, 2) != 0 || le(e + 6, 2) != 0 || le(e + 8, 2) != count)
    fail(path_, "multi-disk zip archives are not supported");
  if (end_offset >= kLocator64Bytes) {
    const std::vector<std::uint8_t> loc =
        read_at(*file_, path_, end_offset - kLocator64Bytes, kLocator64Bytes);
    if (le(loc.data(), 4) == kLocator64Sig) {
      const std::uint64_t z64 = le(&loc[8], 8);
      if (z64 > end_offset - kLocator64Bytes || end_offset - kLocator64Bytes - z64 < kEnd64Bytes)
        fail(path_, "corrupt zip64 end of central directory locator");
      const std::vector<std::uint8_t> r = read_at(*file_, path_, z64, kEnd64Bytes);
      if (le(r.data(), 4) != kEnd64Sig) fail(path_, "corrupt zip64 end of central directory");
      count = le(&r[32], 8);
      cd_size = le(&r[40], 8);
      cd_offset = le(&r[48], 8);
    }
  }
  if (cd_offset > file_size_ || cd_size > file_size_ - cd_offset ||
      cd_offset + cd_size > end_offset)
    fail(path_, "corrupt zip archive: the central directory lies outside the file");
  if (count > cd_size / kCentralBytes)
    fail(path_, "corrupt zip archive: " + std::to_string(count) + " members cannot fit in a " +
                    std::to_string(cd_size) + "-byte central directory");
  const std::vector<std::uint8_t> cd =
      read_at(*file_, path_, cd_offset, static_cast<std::size_t>(cd_size));
  std::size_t p = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (p + kCentralBytes > cd.size() || le(&cd[p], 4) != kCentralSig)
      fail(path_, "corrupt zip central directory (entry " + std::to_string(i) + ")");
    const std::uint8_t* c = &cd[p];
    ZipEntry z;
    const auto flags = static_cast<std::uint16_t>(le(c + 8, 2));
    z.method = static_cast<std::uint16_t>(le(c + 10, 2));
    z.crc = static_cast<std::uint32_t>(le(c + 16, 4));
    z.compressed = le(c + 20, 4);
    z.size = le(c + 24, 4);
    const std::size_t name_len = le(c + 28, 2), extra_len = le(c + 30, 2),
                      comment_len = le(c + 32, 2);
    z.offset = le(c + 42, 4);
    if (p + kCentralBytes + name_len + extra_len + comment_len > cd.size())
      fail(path_, "corrupt zip central directory (entry " + std::to_string(i) + ")");
    z.name.assign(reinterpret_cast<const char*>(c + kCentralBytes), name_len);
    // zip64: the 8-byte values of the fields that hold 0xffffffff, in this order.
    const std::uint8_t* x = c + kCentralBytes + name_len;
    for (std::size_t q = 0; q + 4 <= extra_len;) {
      const std::uint64_t id = le(x + q, 2), len = le(x + q + 2, 2);
      if (q + 4 + len > extra_len) fail(path_, "corrupt extra field of member '" + z.name + "'");
      if (id == 1) {
        std::size_t f = q + 4;
        for (std::uint64_t* v : {&z.size, &z.compressed, &z.offset}) {
          if (*v != 0xffffffffu) continue;
          if (f + 8 > q + 4 + len) fail(path_, "corrupt zip64 field of member '" + z.name + "'");
          *v = le(x + f, 8);
          f += 8;
        }
      }
      q += 4 + len;
    }
    const std::string label = path_ + ": member '" + z.name + "'";
    if ((flags & 1) != 0) fail(label, "encrypted members are not supported");
    if (z.method != 0 && z.method != 8)
      fail(label, "compression method " + std::to_string(z.method) + method_name(z.method) +
                      " is not supported (only stored and deflate, as numpy writes)");
    if (z.method == 0 && z.compressed != z.size)
      fail(label, "corrupt: a stored member of " + std::to_string(z.size) + " bytes occupies " +
                      std::to_string(z.compressed));
    if (z.method == 8 && z.size / kMaxDeflateRatio > z.compressed + 1)
      fail(label, "declares " + std::to_string(z.size) + " bytes from " +
                      std::to_string(z.compressed) +
                      " compressed bytes, more than deflate can expand (corrupt archive?)");
    if (z.size > detail::kMaxDataBytes)
      fail(label, "declares " + std::to_string(z.size) + " bytes, more than the 1 TiB allowed");
    if (z.offset > cd_offset || cd_offset - z.offset < kLocalBytes ||
        z.compressed > cd_offset - z.offset - kLocalBytes)
      fail(label, "corrupt: the member lies outside the archive's data");
    if (find(z.name) != nullptr) fail(label, "appears twice in the archive");
    entries_.push_back(std::move(z));
    p += kCentralBytes + name_len + extra_len + comment_len;
  }
}

ZipReader::~ZipReader() = default;

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

ZipReader::Member ZipReader::open(const ZipEntry& entry) {
  const std::string label = path_ + ": member '" + entry.name + "'";
  const std::vector<std::uint8_t> local = read_at(*file_, path_, entry.offset, kLocalBytes);
  if (le(local.data(), 4) != kLocalSig) fail(label, "corrupt: no local header where it should be");
  const std::uint64_t data = entry.offset + kLocalBytes + le(&local[26], 2) + le(&local[28], 2);
  if (data > file_size_ || entry.compressed > file_size_ - data)
    fail(label, "truncated: its data runs past the end of the file");
  file_->seek(data);
  auto s = std::make_unique<Member::State>();
  s->label = label;
  s->file = file_.get();
  s->entry = entry;
  s->remaining_in = entry.compressed;
  if (entry.method == 8) {
    s->in.resize(kChunk);
    if (inflateInit2(&s->zs, -MAX_WBITS) != Z_OK) fail(label, "cannot start zlib's inflate");
    s->inflating = true;
  }
  return Member(std::move(s));
}

std::vector<std::uint8_t> ZipReader::read_all(const ZipEntry& entry) {
  Member m = open(entry);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(entry.size));
  if (m.read(bytes.data(), bytes.size()) != bytes.size())
    fail(path_ + ": member '" + entry.name + "'", "truncated member");
  m.finish();
  return bytes;
}

bool is_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 &&
         (std::memcmp(magic, "PK\x03\x04", 4) == 0 || std::memcmp(magic, "PK\x05\x06", 4) == 0);
}

}  // namespace nmfkit::io
