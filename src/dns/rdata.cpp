// The generic rdata codecs. None of them knows a type by number: each walks
// the type's field list from rdata_types.cpp.
#include "dns/rdata.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>

#include "base/clock.h"
#include "dns/rdata_codec.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::dns::rdata {

namespace detail {
size_t plain_name_length(const uint8_t* d, size_t pos, size_t end) {
  size_t start = pos;
  while (pos < end) {
    uint8_t len = d[pos];
    if (len == 0) return pos + 1 - start;
    if (len & 0xC0) return 0;  // compression pointer or obsolete label type
    pos += 1 + static_cast<size_t>(len);
    if (pos - start >= Name::kMaxWire) return 0;  // no room left for the root octet
  }
  return 0;
}
}  // namespace detail

namespace {

using detail::plain_name_length;
using detail::put16;
using detail::put32;
using detail::quote;
using detail::TokenReader;

constexpr size_t kMaxRdata = 65535;

// Advance `pos` over one field whose data lies in buf[pos, end). With kInMessage
// names may be compressed (buf is the whole message); otherwise buf is the
// uncompressed rdata. The field must not reach past `end`. No allocation.
template <bool kInMessage>
inline bool skip_field(Field f, std::span<const uint8_t> buf, size_t start, size_t& pos,
                       size_t end) {
  const uint8_t* d = buf.data();
  auto fixed = [&](size_t n) {
    if (end - pos < n) return false;
    pos += n;
    return true;
  };
  switch (f) {
    case Field::u8:
      return fixed(1);
    case Field::u16:
    case Field::type:
    case Field::tsig_error:
      return fixed(2);
    case Field::u32:
    case Field::ttl:
    case Field::time:
    case Field::ipv4:
      return fixed(4);
    case Field::u48:
      return fixed(6);
    case Field::ipv6:
      return fixed(16);
    case Field::name:
    case Field::cname: {
      if constexpr (kInMessage) {
        size_t next = 0;
        if (skip_name(buf, pos, next) != WireError::ok || next > end) return false;
        pos = next;
        return true;
      } else {
        size_t n = plain_name_length(d, pos, end);
        if (n == 0) return false;
        pos += n;
        return true;
      }
    }
    case Field::charstring:
    case Field::hex_u8len:
      if (pos >= end || end - pos - 1 < d[pos]) return false;
      pos += 1 + static_cast<size_t>(d[pos]);
      return true;
    case Field::base32hex_u8len:
      if (pos >= end || d[pos] == 0 || end - pos - 1 < d[pos]) return false;
      pos += 1 + static_cast<size_t>(d[pos]);
      return true;
    case Field::charstrings:
      if (pos >= end) return false;  // at least one string
      while (pos < end) {
        if (end - pos - 1 < d[pos]) return false;
        pos += 1 + static_cast<size_t>(d[pos]);
      }
      return true;
    case Field::caa_tag: {
      if (pos >= end) return false;
      size_t len = d[pos];
      if (len == 0 || end - pos - 1 < len) return false;
      for (size_t i = 1; i <= len; ++i) {
        uint8_t c = d[pos + i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) return false;
      }
      pos += 1 + len;
      return true;
    }
    case Field::base64_u16len: {
      if (end - pos < 2) return false;
      size_t len = get_u16(d + pos);
      if (end - pos - 2 < len) return false;
      pos += 2 + len;
      return true;
    }
    case Field::type_bitmap: {
      // RFC 4034 4.1.2: windows ascending, 1..32 octets each, no trailing zero octet.
      int last_window = -1;
      while (pos < end) {
        if (end - pos < 2) return false;
        int window = d[pos];
        size_t len = d[pos + 1];
        if (window <= last_window || len == 0 || len > 32 || end - pos - 2 < len) return false;
        if (d[pos + 1 + len] == 0) return false;
        last_window = window;
        pos += 2 + len;
      }
      return true;
    }
    case Field::hex_rest:
    case Field::base64_rest:
    case Field::caa_value:
    case Field::raw_rest:
      pos = end;
      return true;
    default:
      return detail::skip_special(f, d, start, pos, end);
  }
}

// Walk all fields; returns the index of the first field that does not fit,
// fields.size() if the rdata is longer than its fields, or -1 when it matches.
template <bool kInMessage>
inline int walk(const TypeInfo& info, std::span<const uint8_t> buf, size_t pos, size_t end) {
  const size_t start = pos;
  for (size_t i = 0; i < info.fields.size(); ++i)
    if (!skip_field<kInMessage>(info.fields[i], buf, start, pos, end)) return static_cast<int>(i);
  return pos == end ? -1 : static_cast<int>(info.fields.size());
}

bool has_names(const TypeInfo& info) {
  for (Field f : info.fields)
    if (f == Field::name || f == Field::cname) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Presentation helpers.

std::string mnemonic_of(uint16_t type) {
  const TypeInfo* info = find(type);
  return info ? std::string(info->mnemonic) : type_to_text(type);
}

// RFC 4034 3.1.5: signature times are serial numbers (RFC 1982), so a value
// names the moment closest to now; like BIND, print that one (a time just
// below 2^32 is a moment in 1969 rather than in 2106).
std::string time_to_text(uint32_t when) {
  const int64_t now = system_clock().unix_time();
  int64_t t = static_cast<int64_t>(when) + (now & ~int64_t{0xffffffff});
  if (t - now > 0x7fffffff)
    t -= int64_t{1} << 32;
  else if (now - t > 0x7fffffff)
    t += int64_t{1} << 32;
  return utc_timestamp_to_text(t);
}

// YYYYMMDDHHmmSS (UTC) or plain seconds (RFC 4034 3.2). Dates are kept modulo
// 2^32 as serial arithmetic requires, so years past 2106 are accepted as BIND
// does, and years before 1970 too: time_to_text prints them for values more
// than 2^31 seconds behind now.
std::optional<uint32_t> time_from_text(std::string_view t) {
  if (t.size() != 14) {
    auto v = parse_uint(t, 0xffffffffu);
    if (!v) return std::nullopt;
    return static_cast<uint32_t>(*v);
  }
  auto secs = utc_timestamp_from_text(t);
  if (!secs) return std::nullopt;
  return static_cast<uint32_t>(*secs & 0xffffffff);
}

std::optional<uint16_t> tsig_error_from_text(std::string_view t) {
  if (auto v = parse_uint(t, 0xffff)) return static_cast<uint16_t>(*v);
  for (uint16_t e = 0; e <= 23; ++e) {
    std::string m = tsig_error_to_text(e);
    if (m.size() != t.size()) continue;
    bool same = true;
    for (size_t i = 0; i < m.size() && same; ++i)
      same = m[i] == static_cast<char>(t[i] >= 'a' && t[i] <= 'z' ? t[i] - 32 : t[i]);
    if (same) return e;
  }
  return std::nullopt;
}

void append_bitmap_text(std::string& out, const uint8_t* d, size_t pos, size_t end) {
  while (pos < end) {
    unsigned window = d[pos];
    size_t len = d[pos + 1];
    for (size_t i = 0; i < len; ++i) {
      uint8_t octet = d[pos + 2 + i];
      for (unsigned bit = 0; bit < 8; ++bit) {
        if (!(octet & (0x80 >> bit))) continue;
        auto type = static_cast<uint16_t>(window * 256 + i * 8 + bit);
        out.push_back(' ');
        out += type_to_text(type);
      }
    }
    pos += 2 + len;
  }
}

// Append field `f` (already validated) at d[pos..) to `out`, preceded by a
// space unless it is the first field. Returns false when the field cannot be
// shown in its type's own syntax (empty rest fields), so the caller falls back
// to the generic form.
bool append_field_text(std::string& out, Field f, const uint8_t* d, size_t& pos, size_t end) {
  auto sep = [&] {
    if (!out.empty()) out.push_back(' ');
  };
  switch (f) {
    case Field::u8:
      sep();
      out += std::to_string(d[pos]);
      pos += 1;
      return true;
    case Field::u16:
      sep();
      out += std::to_string(get_u16(d + pos));
      pos += 2;
      return true;
    case Field::u32:
    case Field::ttl:
      sep();
      out += std::to_string(get_u32(d + pos));
      pos += 4;
      return true;
    case Field::u48: {
      uint64_t v = static_cast<uint64_t>(get_u16(d + pos)) << 32 | get_u32(d + pos + 2);
      sep();
      out += std::to_string(v);
      pos += 6;
      return true;
    }
    case Field::type:
      sep();
      out += type_to_text(get_u16(d + pos));
      pos += 2;
      return true;
    case Field::tsig_error:
      sep();
      out += tsig_error_to_text(get_u16(d + pos));
      pos += 2;
      return true;
    case Field::time:
      sep();
      out += time_to_text(get_u32(d + pos));
      pos += 4;
      return true;
    case Field::ipv4:
    case Field::ipv6: {
      char buf[INET6_ADDRSTRLEN];
      bool v4 = f == Field::ipv4;
      if (!inet_ntop(v4 ? AF_INET : AF_INET6, d + pos, buf, sizeof buf)) return false;
      sep();
      out += buf;
      pos += v4 ? 4 : 16;
      return true;
    }
    case Field::name:
    case Field::cname: {
      size_t used = 0;
      auto n = Name::from_wire_prefix({d + pos, end - pos}, used);
      if (!n) return false;
      sep();
      out += n->to_text();
      pos += used;
      return true;
    }
    case Field::charstring: {
      size_t len = d[pos];
      sep();
      out += charstring_to_text({d + pos + 1, len});
      pos += 1 + len;
      return true;
    }
    case Field::charstrings:
      while (pos < end) {
        size_t len = d[pos];
        sep();
        out += charstring_to_text({d + pos + 1, len});
        pos += 1 + len;
      }
      return true;
    case Field::hex_u8len: {
      size_t len = d[pos];
      sep();
      out += len ? hex_encode_upper({d + pos + 1, len}) : "-";
      pos += 1 + len;
      return true;
    }
    case Field::base32hex_u8len: {
      size_t len = d[pos];
      sep();
      out += base32hex_encode({d + pos + 1, len});
      pos += 1 + len;
      return true;
    }
    case Field::base64_u16len: {
      size_t len = get_u16(d + pos);
      sep();
      out += std::to_string(len);
      if (len) {
        out.push_back(' ');
        out += base64_encode({d + pos + 2, len});
      }
      pos += 2 + len;
      return true;
    }
    case Field::hex_rest:
      if (pos == end) return false;
      sep();
      out += hex_encode_upper({d + pos, end - pos});
      pos = end;
      return true;
    case Field::base64_rest:
      if (pos == end) return false;
      sep();
      out += base64_encode({d + pos, end - pos});
      pos = end;
      return true;
    case Field::caa_tag: {
      size_t len = d[pos];
      sep();
      out.append(reinterpret_cast<const char*>(d + pos + 1), len);
      pos += 1 + len;
      return true;
    }
    case Field::caa_value:
      sep();
      out += charstring_to_text({d + pos, end - pos});
      pos = end;
      return true;
    case Field::type_bitmap: {
      // Types are each preceded by a space; the bitmap may be empty (NSEC3 of an ENT).
      std::string tmp;
      append_bitmap_text(tmp, d, pos, end);
      if (out.empty() && !tmp.empty()) tmp.erase(0, 1);
      out += tmp;
      pos = end;
      return true;
    }
    case Field::raw_rest:
      return false;  // OPT options have no presentation syntax of their own
    default:
      return detail::special_to_text(f, d, 0, pos, end, out);
  }
}

// ---------------------------------------------------------------------------
// from_text helpers.

Result<void> number_field(TokenReader& r, size_t fi, uint64_t max, size_t octets, RdataBytes& out) {
  if (r.at_end()) return fail(r.where(fi) + "missing");
  std::string_view t = r.next().text;
  auto v = parse_uint(t, max);
  if (!v) {
    bool digits =
        !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    return fail(r.where(fi) + quote(t) + (digits ? " is out of range" : " is not a number"));
  }
  for (size_t i = octets; i-- > 0;) out.push_back(static_cast<uint8_t>(*v >> (8 * i)));
  return {};
}

Result<void> charstring_field(TokenReader& r, size_t fi, const TextToken& tok, RdataBytes& out) {
  auto bytes = unescape(tok.text);
  if (!bytes) return fail(r.where(fi) + bytes.message());
  if (bytes->size() > 255) return fail(r.where(fi) + "character-string longer than 255 octets");
  out.push_back(static_cast<uint8_t>(bytes->size()));
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

std::string joined(std::span<const TextToken> tokens) {
  std::string all;
  for (const auto& t : tokens) all += t.text;
  return all;
}

Result<void> bitmap_field(TokenReader& r, size_t fi, RdataBytes& out) {
  std::vector<uint16_t> types;
  for (const auto& t : r.rest()) {
    auto type = type_from_text(t.text);
    if (!type) return fail(r.where(fi) + "unknown type " + quote(t.text));
    types.push_back(*type);
  }
  append_type_bitmap(std::move(types), out);
  return {};
}

// Fields written as one token that maps to a fixed-size number.
Result<void> scalar_from_text(Field f, size_t fi, TokenReader& r, RdataBytes& out) {
  if (r.at_end()) return fail(r.where(fi) + "missing");
  std::string_view t = r.next().text;
  switch (f) {
    case Field::ttl: {
      auto v = parse_ttl(t);
      if (!v) return fail(r.where(fi) + v.message());
      put32(out, *v);
      return {};
    }
    case Field::type: {
      auto v = type_from_text(t);
      if (!v) return fail(r.where(fi) + "unknown type " + quote(t));
      put16(out, *v);
      return {};
    }
    case Field::tsig_error: {
      auto v = tsig_error_from_text(t);
      if (!v) return fail(r.where(fi) + "unknown error " + quote(t));
      put16(out, *v);
      return {};
    }
    case Field::time: {
      auto v = time_from_text(t);
      if (!v) return fail(r.where(fi) + quote(t) + " is not a valid time");
      put32(out, *v);
      return {};
    }
    case Field::ipv4:
    case Field::ipv6: {
      std::string s(t);
      uint8_t buf[16];
      bool v4 = f == Field::ipv4;
      if (inet_pton(v4 ? AF_INET : AF_INET6, s.c_str(), buf) != 1)
        return fail(r.where(fi) + quote(t) +
                    (v4 ? " is not an IPv4 address" : " is not an IPv6 address"));
      out.insert(out.end(), buf, buf + (v4 ? 4 : 16));
      return {};
    }
    default:
      return fail(r.where(fi) + "unsupported field");
  }
}

// Octet strings: hex or base64 to the end, or with a length in front.
Result<void> octets_from_text(Field f, size_t fi, TokenReader& r, RdataBytes& out) {
  if (r.at_end()) return fail(r.where(fi) + "missing");
  if (f == Field::hex_rest || f == Field::base64_rest) {
    std::string all = joined(r.rest());
    auto bytes = f == Field::hex_rest ? hex_decode(all) : base64_decode(all);
    if (!bytes) return fail(r.where(fi) + bytes.message());
    out.insert(out.end(), bytes->begin(), bytes->end());
    return {};
  }
  std::string_view t = r.next().text;
  if (f == Field::hex_u8len || f == Field::base32hex_u8len) {
    if (f == Field::hex_u8len && t == "-") {
      out.push_back(0);
      return {};
    }
    auto bytes = f == Field::hex_u8len ? hex_decode(t) : base32hex_decode(t);
    if (!bytes) return fail(r.where(fi) + bytes.message());
    if (f == Field::base32hex_u8len && (bytes->empty() || bytes->size() > 255))
      return fail(r.where(fi) + "must be 1 to 255 octets");
    if (bytes->size() > 255) return fail(r.where(fi) + "longer than 255 octets");
    out.push_back(static_cast<uint8_t>(bytes->size()));
    out.insert(out.end(), bytes->begin(), bytes->end());
    return {};
  }
  // base64_u16len: a length, then (unless it is 0) the data.
  auto len = parse_uint(t, 0xffff);
  if (!len) return fail(r.where(fi) + "length " + quote(t) + " is not a number up to 65535");
  put16(out, static_cast<uint16_t>(*len));
  if (*len == 0) return {};
  if (r.at_end()) return fail(r.where(fi) + "missing data");
  auto bytes = base64_decode(r.next().text);
  if (!bytes) return fail(r.where(fi) + bytes.message());
  if (bytes->size() != *len)
    return fail(r.where(fi) + "length " + std::to_string(*len) + " does not match its " +
                std::to_string(bytes->size()) + " octets of data");
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

Result<void> field_from_text(const TypeInfo& info, size_t fi, TokenReader& r, const Name& origin,
                             RdataBytes& out) {
  Field f = info.fields[fi];
  auto need = [&]() -> Result<void> {
    if (r.at_end()) return fail(r.where(fi) + "missing");
    return {};
  };
  switch (f) {
    case Field::u8:
      return number_field(r, fi, 0xff, 1, out);
    case Field::u16:
      return number_field(r, fi, 0xffff, 2, out);
    case Field::u32:
      return number_field(r, fi, 0xffffffffu, 4, out);
    case Field::u48:
      return number_field(r, fi, 0xffffffffffffull, 6, out);
    case Field::ttl:
    case Field::type:
    case Field::tsig_error:
    case Field::time:
    case Field::ipv4:
    case Field::ipv6:
      return scalar_from_text(f, fi, r, out);
    case Field::name:
    case Field::cname: {
      if (auto e = need(); !e) return e;
      auto n = Name::from_text(r.next().text, &origin);
      if (!n) return fail(r.where(fi) + n.message());
      auto w = n->wire();
      out.insert(out.end(), w.begin(), w.end());
      return {};
    }
    case Field::charstring: {
      if (auto e = need(); !e) return e;
      return charstring_field(r, fi, r.next(), out);
    }
    case Field::charstrings: {
      if (auto e = need(); !e) return e;
      for (const auto& t : r.rest())
        if (auto e = charstring_field(r, fi, t, out); !e) return e;
      return {};
    }
    case Field::hex_rest:
    case Field::base64_rest:
    case Field::hex_u8len:
    case Field::base32hex_u8len:
    case Field::base64_u16len:
      return octets_from_text(f, fi, r, out);
    case Field::type_bitmap:
      return bitmap_field(r, fi, out);
    case Field::caa_tag: {
      if (auto e = need(); !e) return e;
      std::string_view t = r.next().text;
      if (t.empty() || t.size() > 255 || !std::all_of(t.begin(), t.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
          }))
        return fail(r.where(fi) + quote(t) + " is not an alphanumeric tag");
      out.push_back(static_cast<uint8_t>(t.size()));
      out.insert(out.end(), t.begin(), t.end());
      return {};
    }
    case Field::caa_value: {
      if (auto e = need(); !e) return e;
      auto bytes = unescape(r.next().text);
      if (!bytes) return fail(r.where(fi) + bytes.message());
      out.insert(out.end(), bytes->begin(), bytes->end());
      return {};
    }
    case Field::raw_rest:
      return fail(r.where(fi) + "has no presentation form; use \\# generic syntax");
    default:
      return detail::special_from_text(f, fi, r, origin, out);
  }
}

Result<RdataBytes> generic_from_text(uint16_t type, std::span<const TextToken> tokens) {
  const std::string what = mnemonic_of(type) + " \\# rdata: ";
  if (tokens.size() < 2) return fail(what + "missing length");
  auto len = parse_uint(tokens[1].text, kMaxRdata);
  if (!len) return fail(what + "bad length " + quote(tokens[1].text));
  auto bytes = hex_decode(joined(tokens.subspan(2)));
  if (!bytes) return fail(what + bytes.message());
  if (bytes->size() != *len)
    return fail(what + "length " + std::to_string(*len) + " does not match " +
                std::to_string(bytes->size()) + " octets of data");
  if (auto v = validate(type, *bytes); !v) return Error{v.error()};
  return std::move(bytes.value());
}

}  // namespace

WireError decode(uint16_t type, std::span<const uint8_t> msg, size_t offset, size_t rdlength,
                 RdataBytes& out) {
  if (offset > msg.size() || msg.size() - offset < rdlength) return WireError::truncated;
  const size_t end = offset + rdlength;
  const TypeInfo* info = find(type);
  if (!info || !has_names(*info)) {
    // No names: the in-message octets are already the uncompressed form.
    if (info && walk<false>(*info, msg.subspan(offset, rdlength), 0, rdlength) >= 0)
      return WireError::bad_rdata;
    out.insert(out.end(), msg.begin() + offset, msg.begin() + end);
    return WireError::ok;
  }
  const size_t start = out.size();
  auto append = [&out](const uint8_t* p, size_t n) {
    if (n == 0) return;  // memcpy from a possibly null pointer is undefined even for 0 octets
    size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n);
  };
  size_t pos = offset;
  size_t run = offset;  // start of the pending run of non-name fields, copied in one go
  WireError err = WireError::ok;
  for (Field f : info->fields) {
    if (f == Field::name || f == Field::cname) {
      append(msg.data() + run, pos - run);
      Name n;
      size_t next = 0;
      err = read_name(msg, pos, n, next);
      if (err == WireError::ok && next > end) err = WireError::bad_rdata;
      if (err != WireError::ok) break;
      append(n.wire().data(), n.wire_length());
      pos = run = next;
      continue;
    }
    if (!skip_field<false>(f, msg.first(end), offset, pos, end)) {
      err = WireError::bad_rdata;
      break;
    }
  }
  if (err == WireError::ok && pos != end) err = WireError::bad_rdata;
  if (err == WireError::ok) append(msg.data() + run, pos - run);
  if (err == WireError::ok && out.size() - start > kMaxRdata) err = WireError::bad_rdata;
  if (err != WireError::ok) out.resize(start);
  return err;
}

WireError check(uint16_t type, std::span<const uint8_t> msg, size_t offset, size_t rdlength) {
  if (offset > msg.size() || msg.size() - offset < rdlength) return WireError::truncated;
  const TypeInfo* info = find(type);
  if (!info) return WireError::ok;
  return walk<true>(*info, msg, offset, offset + rdlength) < 0 ? WireError::ok
                                                               : WireError::bad_rdata;
}

Result<void> validate(uint16_t type, std::span<const uint8_t> rdata) {
  if (rdata.size() > kMaxRdata) return fail("rdata longer than 65535 octets");
  const TypeInfo* info = find(type);
  if (!info) return {};
  int bad = walk<false>(*info, rdata, 0, rdata.size());
  if (bad < 0) return {};
  if (static_cast<size_t>(bad) == info->fields.size())
    return fail(std::string(info->mnemonic) + " rdata: trailing octets after the last field");
  return fail(std::string(info->mnemonic) + " " + std::string(info->field_names[bad]) +
              ": malformed or truncated");
}

size_t names(uint16_t type, std::span<const uint8_t> rdata, std::span<RdataName> out) {
  const TypeInfo* info = find(type);
  if (!info || out.empty() || rdata.size() > kMaxRdata) return 0;
  size_t count = 0, pos = 0;
  for (Field f : info->fields) {
    size_t start = pos;
    if (!skip_field<false>(f, rdata, 0, pos, rdata.size())) return 0;
    bool is_name = f == Field::name || f == Field::cname || (f == Field::a6_prefix && pos > start);
    if (is_name && count < out.size())
      out[count++] = RdataName{static_cast<uint16_t>(start), static_cast<uint16_t>(pos - start),
                               f == Field::cname};
  }
  return pos == rdata.size() ? count : 0;
}

std::string to_generic_text(std::span<const uint8_t> rdata) {
  std::string out = "\\# " + std::to_string(rdata.size());
  if (!rdata.empty()) {
    out.push_back(' ');
    out += hex_encode_upper(rdata);
  }
  return out;
}

std::string to_text(uint16_t type, std::span<const uint8_t> rdata) {
  const TypeInfo* info = find(type);
  if (!info || !validate(type, rdata)) return to_generic_text(rdata);
  std::string out;
  out.reserve(rdata.size() * 2 + 16);
  size_t pos = 0;
  for (Field f : info->fields)
    if (!append_field_text(out, f, rdata.data(), pos, rdata.size())) return to_generic_text(rdata);
  return out;
}

Result<RdataBytes> from_text(uint16_t type, std::span<const TextToken> tokens, const Name& origin) {
  if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#")
    return generic_from_text(type, tokens);
  const TypeInfo* info = find(type);
  if (!info)
    return fail(type_to_text(type) + ": unknown type needs RFC 3597 '\\# length hex' rdata");
  RdataBytes out;
  TokenReader r(info, tokens);
  for (size_t i = 0; i < info->fields.size(); ++i)
    if (auto e = field_from_text(*info, i, r, origin, out); !e) return Error{e.error()};
  if (!r.at_end())
    return fail(std::string(info->mnemonic) + ": unexpected extra text " + quote(r.next().text));
  if (auto v = validate(type, out); !v) return Error{v.error()};
  return out;
}

RdataBytes canonical(uint16_t type, std::span<const uint8_t> rdata) {
  RdataBytes out(rdata.begin(), rdata.end());
  const TypeInfo* info = find(type);
  if (!info || !info->canonical_lowercase) return out;
  RdataName found[4];
  size_t n = names(type, rdata, found);
  for (size_t i = 0; i < n; ++i) {
    // Lower-case label octets only, never length octets (a length of 65..90 is not a letter).
    size_t pos = found[i].offset, end = pos + found[i].length;
    while (pos < end && out[pos] != 0) {
      size_t len = out[pos];
      for (size_t j = pos + 1; j <= pos + len; ++j) out[j] = ascii_lower(out[j]);
      pos += 1 + len;
    }
  }
  return out;
}

bool equal_canonical(uint16_t type, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0) return true;
  // Canonical forms only lower-case, so this cheap filter rejects nearly all pairs.
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return canonical(type, a) == canonical(type, b);
}

void append_type_bitmap(std::vector<uint16_t> types, RdataBytes& out) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  size_t i = 0;
  while (i < types.size()) {
    uint8_t window = static_cast<uint8_t>(types[i] >> 8);
    uint8_t bits[32] = {};
    size_t len = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      uint8_t low = static_cast<uint8_t>(types[i]);
      bits[low / 8] |= static_cast<uint8_t>(0x80 >> (low % 8));
      len = low / 8 + 1;
    }
    out.push_back(window);
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), bits, bits + len);
  }
}

std::optional<std::vector<uint16_t>> type_bitmap_types(std::span<const uint8_t> bitmap) {
  std::vector<uint16_t> types;
  size_t pos = 0;
  int last_window = -1;
  while (pos < bitmap.size()) {
    if (bitmap.size() - pos < 2) return std::nullopt;
    const uint8_t window = bitmap[pos], len = bitmap[pos + 1];
    if (window <= last_window || len == 0 || len > 32 || bitmap.size() - pos - 2 < len)
      return std::nullopt;
    last_window = window;
    for (size_t b = 0; b < len; ++b)
      for (int bit = 0; bit < 8; ++bit)
        if (bitmap[pos + 2 + b] & (0x80 >> bit))
          types.push_back(static_cast<uint16_t>(window << 8 | (b * 8 + bit)));
    pos += 2 + len;
  }
  return types;
}

}  // namespace namae::dns::rdata
