#include "dns/wire.h"

#include <cstring>

namespace namae::dns {

const char* wire_error_text(WireError e) {
  switch (e) {
    case WireError::ok: return "ok";
    case WireError::truncated: return "data runs past the end of the message";
    case WireError::pointer_loop: return "compression pointer loop";
    case WireError::forward_pointer: return "compression pointer does not point backwards";
    case WireError::pointer_past_end: return "compression pointer past the end of the message";
    case WireError::bad_label_type: return "unknown label type";
    case WireError::label_too_long: return "label longer than 63 octets";
    case WireError::name_too_long: return "name longer than 255 octets";
    case WireError::bad_rdata: return "rdata does not match its type";
    case WireError::bad_opt: return "misplaced or duplicate OPT record";
    case WireError::trailing_data: return "octets after the last record";
    case WireError::bad_count: return "impossible section count";
    case WireError::bad_tsig: return "TSIG not the single last record of the additional section";
  }
  return "unknown error";
}

namespace {
// Walks a compressed name; `emit` receives each label including its length octet.
template <class Emit>
WireError walk_name(std::span<const uint8_t> msg, size_t offset, size_t& next, Emit&& emit) {
  size_t pos = offset;
  size_t total = 1;  // the root octet
  bool jumped = false;
  size_t lowest = offset;  // every pointer must go strictly below the lowest position seen
  for (int hops = 0;; ) {
    if (pos >= msg.size()) return WireError::truncated;
    uint8_t len = msg[pos];
    if (len == 0) {
      if (!jumped) next = pos + 1;
      return WireError::ok;
    }
    switch (len & 0xC0) {
      case 0xC0: {
        if (pos + 1 >= msg.size()) return WireError::truncated;
        size_t target = static_cast<size_t>(len & 0x3F) << 8 | msg[pos + 1];
        if (target >= msg.size()) return WireError::pointer_past_end;
        if (target >= lowest) return target == pos || target == lowest ? WireError::pointer_loop
                                                                        : WireError::forward_pointer;
        if (!jumped) next = pos + 2;
        jumped = true;
        lowest = target;
        pos = target;
        if (++hops > 127) return WireError::pointer_loop;
        continue;
      }
      case 0x00:
        break;
      default:
        return WireError::bad_label_type;
    }
    if (pos + 1 + len > msg.size()) return WireError::truncated;
    total += 1 + len;
    if (total > Name::kMaxWire) return WireError::name_too_long;
    emit(&msg[pos], 1 + len);
    pos += 1 + len;
  }
}
}  // namespace

WireError read_name(std::span<const uint8_t> msg, size_t offset, Name& out, size_t& next) {
  size_t w = 0;
  WireError e = walk_name(msg, offset, next, [&](const uint8_t* p, size_t n) {
    std::memcpy(&out.wire_[w], p, n);
    w += n;
  });
  if (e != WireError::ok) return e;
  out.wire_[w] = 0;
  out.len_ = static_cast<uint8_t>(w + 1);
  out.index();
  return WireError::ok;
}

WireError skip_name(std::span<const uint8_t> msg, size_t offset, size_t& next) {
  return walk_name(msg, offset, next, [](const uint8_t*, size_t) {});
}

}  // namespace namae::dns
