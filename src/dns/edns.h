// EDNS(0) (RFC 6891): the OPT pseudo-record's fields and its options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace namae::dns {

/// EDNS option codes namae interprets; all others are kept as opaque octets.
namespace edns_option {
inline constexpr uint16_t NSID = 3, UPDATE_LEASE = 2, CLIENT_SUBNET = 8, EXPIRE = 9,
                          COOKIE = 10, TCP_KEEPALIVE = 11, PADDING = 12, EDE = 15;
}  // namespace edns_option

/// One option as it sits in the OPT rdata.
struct EdnsOption {
  uint16_t code = 0;
  std::span<const uint8_t> data;
};

/// The OPT record, unpacked. `options` points into the message (parse) or the
/// caller's storage (build).
struct Edns {
  bool present = false;
  uint16_t udp_size = 512;     // requestor's payload size (OPT CLASS)
  uint8_t ext_rcode = 0;       // upper 8 bits of the 12-bit rcode (TTL octet 0)
  uint8_t version = 0;         // TTL octet 1
  bool do_bit = false;         // DNSSEC OK (TTL bit 15 of the low half)
  uint16_t z = 0;              // remaining flag bits, kept as received
  std::span<const uint8_t> options;  // raw option list (code, length, data)*

  /// Full 12-bit rcode from the header's 4 bits and ext_rcode.
  uint16_t full_rcode(uint8_t header_rcode) const {
    return static_cast<uint16_t>(ext_rcode) << 4 | (header_rcode & 0x0f);
  }

  /// Walks `options`; returns false at the end (or on malformed data, which
  /// MessageView::parse has already rejected).
  class OptionCursor {
   public:
    explicit OptionCursor(std::span<const uint8_t> raw) : raw_(raw) {}
    bool next(EdnsOption& opt);
   private:
    std::span<const uint8_t> raw_;
    size_t pos_ = 0;
  };
  OptionCursor option_cursor() const { return OptionCursor(options); }

  /// First option with this code, if any.
  std::optional<EdnsOption> find(uint16_t code) const;
};

/// Check that an OPT rdata is a well-formed option list.
bool edns_options_valid(std::span<const uint8_t> raw);

/// Append one option (code, length, data) to an option list being built.
void append_edns_option(std::vector<uint8_t>& raw, uint16_t code, std::span<const uint8_t> data);

/// RFC 8914 Extended DNS Error INFO-CODEs namae sends.
namespace ede {
inline constexpr uint16_t PROHIBITED = 18;  // RFC 8914 4.19: refused by policy (an ACL)
inline constexpr uint16_t NO_REACHABLE_AUTHORITY = 22;  // RFC 8914 4.23: every server timed out or refused
}  // namespace ede

/// Octets an EDE option takes in the OPT rdata: code, length, INFO-CODE, EXTRA-TEXT.
constexpr size_t ede_option_size(size_t extra_text_size) { return 4 + 2 + extra_text_size; }

/// Write an EDE option (RFC 8914 2: option code 15, INFO-CODE u16, then
/// optional UTF-8 EXTRA-TEXT, not NUL-terminated) into `out`. Returns the
/// octets written, 0 when `out` is too small. Never allocates (answer paths).
size_t write_ede_option(std::span<uint8_t> out, uint16_t info_code, std::string_view extra_text = {});

/// RFC 9664 UPDATE-LEASE: LEASE (u32) and optional KEY-LEASE (u32).
struct UpdateLease {
  uint32_t lease = 0;
  std::optional<uint32_t> key_lease;
};
std::optional<UpdateLease> parse_update_lease(std::span<const uint8_t> data);
std::vector<uint8_t> encode_update_lease(const UpdateLease& lease);

/// RFC 7873 cookie: 8-octet client cookie and optional 8..32-octet server cookie.
struct Cookie {
  std::vector<uint8_t> client;
  std::vector<uint8_t> server;
};
std::optional<Cookie> parse_cookie(std::span<const uint8_t> data);

/// Text for an option in dig style ("COOKIE: 0123... (good)", "UPDATE-LEASE: 3600", ...).
std::string edns_option_to_text(const EdnsOption& opt);

}  // namespace namae::dns
