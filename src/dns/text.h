// Presentation-format helpers shared by rdata, zone files and the CLI:
// TTLs with units, base64, base16, character-strings, keyword comparison.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace namae::dns {

/// ASCII case-insensitive equality (mnemonics, directives, keywords: RFC 1035
/// 5.1 and RFC 4343 compare letters without regard to case, other octets exactly).
constexpr bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

/// "3600", "1h30m", "1w2d", "2H" (BIND units w d h m s, case-insensitive).
/// Fails on overflow past 2^32-1, empty input or unknown units.
Result<uint32_t> parse_ttl(std::string_view text);
/// Seconds as plain decimal (what dig and zone dumps print).
std::string ttl_to_text(uint32_t ttl);

/// Strict decimal parse of an unsigned value no larger than `max`.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max);

/// YYYYMMDDHHmmSS in UTC (RRSIG times, key file timing), and back; the
/// parser checks the calendar and fails on anything but 14 digits.
std::string utc_timestamp_to_text(int64_t unix_seconds);
std::optional<int64_t> utc_timestamp_from_text(std::string_view text);

std::string base64_encode(std::span<const uint8_t> data);
/// Ignores embedded whitespace; fails on bad characters or padding.
Result<std::vector<uint8_t>> base64_decode(std::string_view text);
/// Lower-case hex, no separators.
std::string hex_encode(std::span<const uint8_t> data);
/// Upper-case hex, no separators: what BIND prints in DS, SSHFP, TLSA and `\#` rdata.
std::string hex_encode_upper(std::span<const uint8_t> data);
/// Accepts either case; ignores whitespace; fails on odd length or bad characters.
Result<std::vector<uint8_t>> hex_decode(std::string_view text);

/// RFC 4648 base32 with the extended hex alphabet, upper-case, no padding
/// (NSEC3 next hashed owner names and NSEC3 owner labels, RFC 5155 3.3).
std::string base32hex_encode(std::span<const uint8_t> data);
/// Accepts either case, no padding; fails on bad characters or impossible lengths.
Result<std::vector<uint8_t>> base32hex_decode(std::string_view text);

/// Decode a token's escapes (`\X`, `\DDD`) into octets (character-strings).
Result<std::vector<uint8_t>> unescape(std::string_view raw);
/// A character-string in presentation form: always quoted, with `"` and `\`
/// escaped and non-printable octets as `\DDD` (as dig and BIND print them).
std::string charstring_to_text(std::span<const uint8_t> octets);

}  // namespace namae::dns
