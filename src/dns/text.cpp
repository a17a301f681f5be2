#include "dns/text.h"

#include <array>
#include <cstdio>

namespace namae::dns {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase32Hex[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

// Reverse lookup tables built at compile time; 0xff marks an invalid character.
template <size_t N>
constexpr std::array<uint8_t, 256> reverse_table(const char (&alphabet)[N], bool fold_case) {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (size_t i = 0; i + 1 < N; ++i) {
    auto c = static_cast<unsigned char>(alphabet[i]);
    t[c] = static_cast<uint8_t>(i);
    if (fold_case && c >= 'A' && c <= 'Z') t[c + 32] = static_cast<uint8_t>(i);
  }
  return t;
}
constexpr auto kBase64Rev = reverse_table(kBase64, false);
constexpr auto kBase32HexRev = reverse_table(kBase32Hex, true);

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string hex_encode_with(std::span<const uint8_t> data, const char* digits) {
  std::string out;
  out.resize(data.size() * 2);
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

Result<uint32_t> parse_ttl(std::string_view text) {
  if (text.empty()) return fail("empty TTL");
  // Plain seconds.
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    auto v = parse_uint(text, 0xffffffffu);
    if (!v) return fail("TTL '" + std::string(text) + "' is out of range");
    return static_cast<uint32_t>(*v);
  }
  // BIND style: one or more <digits><unit>; every number needs a unit ("1h30" is an error).
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    uint64_t n = 0;
    while (i < text.size() && is_digit(text[i])) {
      n = n * 10 + static_cast<uint64_t>(text[i] - '0');
      if (n > 0xffffffffu) return fail("TTL '" + std::string(text) + "' is out of range");
      ++i;
    }
    if (i == start) return fail("bad TTL '" + std::string(text) + "'");
    if (i == text.size()) return fail("bad TTL '" + std::string(text) + "': number without a unit");
    uint64_t mult;
    switch (text[i] | 0x20) {
      case 'w':
        mult = 604800;
        break;
      case 'd':
        mult = 86400;
        break;
      case 'h':
        mult = 3600;
        break;
      case 'm':
        mult = 60;
        break;
      case 's':
        mult = 1;
        break;
      default:
        return fail("bad TTL '" + std::string(text) + "': unknown unit");
    }
    ++i;
    total += n * mult;
    if (total > 0xffffffffu) return fail("TTL '" + std::string(text) + "' is out of range");
  }
  return static_cast<uint32_t>(total);
}

std::string ttl_to_text(uint32_t ttl) { return std::to_string(ttl); }

std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v > max) return std::nullopt;
  return v;
}

// Days since 1970-01-01 for a civil date, and back (H. Hinnant's algorithms),
// so timestamps need neither timegm nor the process time zone.
namespace {
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

std::string utc_timestamp_to_text(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t secs = t - days * 86400;
  int64_t y;
  unsigned mo, d;
  civil_from_days(days, y, mo, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02u%02u%02u%02u", static_cast<long long>(y), mo, d,
                static_cast<unsigned>(secs / 3600), static_cast<unsigned>(secs / 60 % 60),
                static_cast<unsigned>(secs % 60));
  return buf;
}

std::optional<int64_t> utc_timestamp_from_text(std::string_view t) {
  if (t.size() != 14) return std::nullopt;
  for (char c : t)
    if (c < '0' || c > '9') return std::nullopt;
  auto num = [&](size_t at, size_t n) {
    unsigned v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(t[at + i] - '0');
    return v;
  };
  unsigned y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2),
           s = num(12, 2);
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return std::nullopt;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  unsigned mdays = kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
  if (d < 1 || d > mdays) return std::nullopt;
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::string base64_encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16 | data[i + 1] << 8 | data[i + 2];
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16 | data[i + 1] << 8;
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

Result<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  size_t count = 0;  // significant characters seen, padding included
  size_t pad = 0;
  for (char c : text) {
    if (is_space(c)) continue;
    uint8_t v = 0;
    if (c == '=') {
      if (++pad > 2) return fail("bad base64 padding");
    } else {
      if (pad) return fail("base64 data after padding");
      v = kBase64Rev[static_cast<unsigned char>(c)];
      if (v == 0xff) return fail(std::string("bad base64 character '") + c + "'");
    }
    acc = acc << 6 | v;
    if (++count % 4 == 0) {
      out.push_back(static_cast<uint8_t>(acc >> 16));
      out.push_back(static_cast<uint8_t>(acc >> 8));
      out.push_back(static_cast<uint8_t>(acc));
      acc = 0;
    }
  }
  if (count % 4 != 0) return fail("base64 length is not a multiple of 4");
  out.resize(out.size() - pad);  // padding always sits in the last full quantum
  return out;
}

std::string hex_encode(std::span<const uint8_t> data) {
  return hex_encode_with(data, "0123456789abcdef");
}

std::string hex_encode_upper(std::span<const uint8_t> data) {
  return hex_encode_with(data, "0123456789ABCDEF");
}

Result<std::vector<uint8_t>> hex_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    if (is_space(c)) continue;
    int v = hex_value(c);
    if (v < 0) return fail(std::string("bad hex character '") + c + "'");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return fail("odd number of hex digits");
  return out;
}

std::string base32hex_encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Hex[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Hex[(acc << (5 - bits)) & 31]);
  return out;
}

Result<std::vector<uint8_t>> base32hex_decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  size_t count = 0;
  for (char c : text) {
    uint8_t v = kBase32HexRev[static_cast<unsigned char>(c)];
    if (v == 0xff) return fail(std::string("bad base32hex character '") + c + "'");
    acc = (acc << 5 | v) & 0xffff;
    bits += 5;
    ++count;
    if (bits >= 8) {
      out.push_back(static_cast<uint8_t>(acc >> (bits - 8)));
      bits -= 8;
    }
  }
  // Unpadded lengths mod 8 can only be 0, 2, 4, 5 or 7; the leftover bits must be zero.
  switch (count % 8) {
    case 1:
    case 3:
    case 6:
      return fail("bad base32hex length");
    default:
      break;
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return fail("bad base32hex trailing bits");
  return out;
}

Result<std::vector<uint8_t>> unescape(std::string_view raw) {
  std::vector<uint8_t> out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out.push_back(static_cast<uint8_t>(c));
      continue;
    }
    if (i + 1 >= raw.size()) return fail("dangling '\\' at the end of '" + std::string(raw) + "'");
    if (is_digit(raw[i + 1])) {
      if (i + 3 >= raw.size() || !is_digit(raw[i + 2]) || !is_digit(raw[i + 3]))
        return fail("bad \\DDD escape in '" + std::string(raw) + "'");
      int v = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
      if (v > 255) return fail("\\DDD escape above 255 in '" + std::string(raw) + "'");
      out.push_back(static_cast<uint8_t>(v));
      i += 3;
    } else {
      out.push_back(static_cast<uint8_t>(raw[i + 1]));
      i += 1;
    }
  }
  return out;
}

std::string charstring_to_text(std::span<const uint8_t> octets) {
  std::string out;
  out.reserve(octets.size() + 2);
  out.push_back('"');
  for (uint8_t c : octets) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + (c / 10) % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace namae::dns
