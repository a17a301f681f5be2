// Low-level, bounds-checked reads from a DNS message buffer. Every reader
// returns false on overrun instead of trusting a length; the message parser and
// rdata decoder are built on these so no caller ever touches raw offsets twice.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace namae::dns
