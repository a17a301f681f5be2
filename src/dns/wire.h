// Low-level, bounds-checked reads from a DNS message buffer. Every reader
// returns false on overrun instead of trusting a length; the message parser and
// rdata decoder are built on these so no caller ever touches raw offsets twice.
// WireReader and WireWriter are the one byte reader and writer for other
// big-endian formats built of the same fields (the update journal's diffs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dns/name.h"

namespace namae::dns {

/// Why a wire-format read failed. The server maps every one of these to FORMERR.
enum class WireError : uint8_t {
  ok = 0,
  truncated,          // a field or count runs past the end of the data
  pointer_loop,       // compression pointers revisit an earlier position
  forward_pointer,    // pointer to the same or a later position (RFC 1035 4.1.4 says prior)
  pointer_past_end,   // pointer beyond the message
  bad_label_type,     // 0x40/0x80 label types (RFC 6891 obsoleted extended labels)
  label_too_long,     // cannot happen on the wire (6 bits) but kept for text paths
  name_too_long,      // more than 255 octets once decompressed
  bad_rdata,          // rdata does not match its type's layout
  bad_opt,            // OPT outside additional, a second OPT, OPT owner not root
  trailing_data,      // octets after the last counted record
  bad_count,          // a count that cannot be right (e.g. QDCOUNT in a place it must be 1)
  bad_tsig,           // TSIG not the last record of additional, a second TSIG, or class not ANY
};

/// Short human text for a WireError ("compression pointer loop", ...).
const char* wire_error_text(WireError e);

inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline void put_u16(uint8_t* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
inline void put_u32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

/// Read a possibly compressed name starting at `offset` in `msg`.
/// On success `out` holds the decompressed name and `next` the offset just
/// after the name's in-place encoding (after the first pointer, if any).
/// Every pointer must point strictly before the position it was read at, which
/// also rules out loops; a hop limit guards against anything missed.
WireError read_name(std::span<const uint8_t> msg, size_t offset, Name& out, size_t& next);

/// Skip a possibly compressed name without decoding it, with the same checks
/// as read_name (so a message that skips cleanly also reads cleanly).
WireError skip_name(std::span<const uint8_t> msg, size_t offset, size_t& next);

/// Reads big-endian fields and uncompressed names from a buffer, front to
/// back. A read that would run past the end reads nothing and returns false,
/// so a corrupt length or count can never make a caller touch octets that
/// are not there. Allocates nothing (bytes() hands out a view).
class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> data) : data_(data) {}

  bool u8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (remaining() < 2) return false;
    v = get_u16(&data_[pos_]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (remaining() < 4) return false;
    v = get_u32(&data_[pos_]);
    pos_ += 4;
    return true;
  }
  /// The next `n` octets, as a view into the buffer.
  bool bytes(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  /// An uncompressed name (RFC 1035 3.1): a compression pointer or an
  /// unknown label type is an error, as in Name::from_wire_prefix.
  bool name(Name& out) {
    size_t used = 0;
    auto n = Name::from_wire_prefix(data_.subspan(pos_), used);
    if (!n) return false;
    out = *n;
    pos_ += used;
    return true;
  }

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

/// Writes big-endian fields and uncompressed names into a buffer the caller
/// sized. A write that does not fit writes nothing and marks the writer
/// failed (every later write is refused too), so one check of ok() after a
/// run of writes is enough. Allocates nothing.
class WireWriter {
 public:
  explicit WireWriter(std::span<uint8_t> out) : out_(out) {}

  bool u8(uint8_t v) {
    if (!room(1)) return false;
    out_[pos_++] = v;
    return true;
  }
  bool u16(uint16_t v) {
    if (!room(2)) return false;
    put_u16(&out_[pos_], v);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t v) {
    if (!room(4)) return false;
    put_u32(&out_[pos_], v);
    pos_ += 4;
    return true;
  }
  bool bytes(std::span<const uint8_t> b) {
    if (!room(b.size())) return false;
    if (!b.empty()) std::memcpy(&out_[pos_], b.data(), b.size());
    pos_ += b.size();
    return true;
  }
  /// The name uncompressed, with its case.
  bool name(const Name& n) { return bytes(n.wire()); }

  /// Octets written so far.
  size_t size() const { return pos_; }
  /// No write was refused.
  bool ok() const { return ok_; }

 private:
  bool room(size_t n) {
    if (ok_ && out_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }
  std::span<uint8_t> out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace namae::dns
