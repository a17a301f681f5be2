// EDNS(0) option list walking and the options namae understands. Text forms
// follow what dig 9.18 prints in its OPT PSEUDOSECTION so output can be
// compared line for line.
#include "dns/edns.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "dns/wire.h"

namespace namae::dns {

bool Edns::OptionCursor::next(EdnsOption& opt) {
  if (pos_ + 4 > raw_.size()) return false;
  const uint16_t code = get_u16(&raw_[pos_]);
  const uint16_t len = get_u16(&raw_[pos_ + 2]);
  if (pos_ + 4 + len > raw_.size()) return false;
  opt.code = code;
  opt.data = raw_.subspan(pos_ + 4, len);
  pos_ += 4 + len;
  return true;
}

std::optional<EdnsOption> Edns::find(uint16_t code) const {
  OptionCursor c(options);
  EdnsOption opt;
  while (c.next(opt))
    if (opt.code == code) return opt;
  return std::nullopt;
}

bool edns_options_valid(std::span<const uint8_t> raw) {
  size_t pos = 0;
  while (pos < raw.size()) {
    if (pos + 4 > raw.size()) return false;
    pos += 4 + get_u16(&raw[pos + 2]);
  }
  return pos == raw.size();
}

void append_edns_option(std::vector<uint8_t>& raw, uint16_t code, std::span<const uint8_t> data) {
  uint8_t head[4];
  put_u16(head, code);
  put_u16(head + 2, static_cast<uint16_t>(data.size()));
  raw.insert(raw.end(), head, head + 4);
  raw.insert(raw.end(), data.begin(), data.end());
}

size_t write_ede_option(std::span<uint8_t> out, uint16_t info_code, std::string_view extra_text) {
  const size_t n = ede_option_size(extra_text.size());
  if (out.size() < n || n - 4 > 0xffff) return 0;
  put_u16(out.data(), edns_option::EDE);
  put_u16(out.data() + 2, static_cast<uint16_t>(n - 4));
  put_u16(out.data() + 4, info_code);
  std::memcpy(out.data() + 6, extra_text.data(), extra_text.size());
  return n;
}

std::optional<UpdateLease> parse_update_lease(std::span<const uint8_t> data) {
  // RFC 9664 4: LEASE alone (4 octets) or LEASE and KEY-LEASE (8 octets).
  if (data.size() != 4 && data.size() != 8) return std::nullopt;
  UpdateLease l;
  l.lease = get_u32(data.data());
  if (data.size() == 8) l.key_lease = get_u32(data.data() + 4);
  return l;
}

std::vector<uint8_t> encode_update_lease(const UpdateLease& lease) {
  std::vector<uint8_t> out(lease.key_lease ? 8 : 4);
  put_u32(out.data(), lease.lease);
  if (lease.key_lease) put_u32(out.data() + 4, *lease.key_lease);
  return out;
}

std::optional<Cookie> parse_cookie(std::span<const uint8_t> data) {
  // RFC 7873 4: 8-octet client cookie, then nothing or an 8..32-octet server cookie.
  if (data.size() != 8 && (data.size() < 16 || data.size() > 40)) return std::nullopt;
  Cookie c;
  c.client.assign(data.begin(), data.begin() + 8);
  c.server.assign(data.begin() + 8, data.end());
  return c;
}

namespace {

void append_hex(std::string& out, std::span<const uint8_t> data, bool spaced) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < data.size(); ++i) {
    if (spaced && i) out.push_back(' ');
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0x0f]);
  }
}

// dig's generic form: spaced hex, then the octets as text with '.' for
// anything unprintable.
void append_hex_and_text(std::string& out, std::span<const uint8_t> data) {
  out.push_back(' ');
  append_hex(out, data, true);
  out += " (\"";
  for (uint8_t c : data) out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
  out += "\")";
}

// BIND's render_secs: " (1 day 59 minutes 57 seconds)".
void append_duration(std::string& out, uint32_t secs) {
  static const struct {
    uint32_t size;
    const char* unit;
  } units[] = {{604800, "week"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  out += " (";
  bool first = true;
  for (const auto& u : units) {
    uint32_t n = secs / u.size;
    secs %= u.size;
    if (n == 0) continue;
    if (!first) out.push_back(' ');
    first = false;
    out += std::to_string(n);
    out.push_back(' ');
    out += u.unit;
    if (n != 1) out.push_back('s');
  }
  if (first) out += "0 seconds";
  out.push_back(')');
}

const char* ede_name(uint16_t code) {
  // RFC 8914 4 and the IANA "Extended DNS Error Codes" registry.
  static const char* const names[] = {"Other",
                                      "Unsupported DNSKEY Algorithm",
                                      "Unsupported DS Digest Type",
                                      "Stale Answer",
                                      "Forged Answer",
                                      "DNSSEC Indeterminate",
                                      "DNSSEC Bogus",
                                      "Signature Expired",
                                      "Signature Not Yet Valid",
                                      "DNSKEY Missing",
                                      "RRSIGs Missing",
                                      "No Zone Key Bit Set",
                                      "NSEC Missing",
                                      "Cached Error",
                                      "Not Ready",
                                      "Blocked",
                                      "Censored",
                                      "Filtered",
                                      "Prohibited",
                                      "Stale NXDOMAIN Answer",
                                      "Not Authoritative",
                                      "Not Supported",
                                      "No Reachable Authority",
                                      "Network Error",
                                      "Invalid Data"};
  return code < sizeof(names) / sizeof(names[0]) ? names[code] : nullptr;
}

std::string client_subnet_text(std::span<const uint8_t> d) {
  // RFC 7871 6: FAMILY(2) SOURCE PREFIX(1) SCOPE PREFIX(1) ADDRESS(...).
  if (d.size() < 4) return {};
  const uint16_t family = get_u16(d.data());
  const uint8_t source = d[2], scope = d[3];
  auto addr = d.subspan(4);
  // The address carries at least the SOURCE PREFIX bits (dig's test); like
  // dig, only those octets are shown.
  const size_t used = (source + 7u) / 8;
  if (addr.size() < used) return {};
  addr = addr.first(used);
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 1 && addr.size() <= 4) {
    uint8_t a[4] = {};
    std::memcpy(a, addr.data(), addr.size());
    inet_ntop(AF_INET, a, text, sizeof text);
  } else if (family == 2 && addr.size() <= 16) {
    uint8_t a[16] = {};
    std::memcpy(a, addr.data(), addr.size());
    inet_ntop(AF_INET6, a, text, sizeof text);
  } else {
    return {};
  }
  return std::string(text) + "/" + std::to_string(source) + "/" + std::to_string(scope);
}

}  // namespace

std::string edns_option_to_text(const EdnsOption& opt) {
  const auto& d = opt.data;
  std::string out;
  switch (opt.code) {
    case edns_option::NSID:
      out = "NSID:";
      if (!d.empty()) append_hex_and_text(out, d);
      return out;
    case edns_option::UPDATE_LEASE:
      if (auto l = parse_update_lease(d)) {
        out = "UPDATE-LEASE: " + std::to_string(l->lease);
        append_duration(out, l->lease);
        if (l->key_lease) {
          out += ", KEY-LEASE: " + std::to_string(*l->key_lease);
          append_duration(out, *l->key_lease);
        }
        return out;
      }
      break;
    case edns_option::CLIENT_SUBNET: {
      if (d.empty()) return "CLIENT-SUBNET:";
      std::string s = client_subnet_text(d);
      if (!s.empty()) return "CLIENT-SUBNET: " + s;
      break;
    }
    case edns_option::EXPIRE:
      if (d.empty()) return "EXPIRE:";
      if (d.size() == 4) {
        uint32_t secs = get_u32(d.data());
        out = "EXPIRE: " + std::to_string(secs);
        append_duration(out, secs);
        return out;
      }
      break;
    case edns_option::COOKIE:
      // dig prints whatever arrived; the client/server split is for the server.
      out = "COOKIE: ";
      append_hex(out, d, false);
      return out;
    case edns_option::TCP_KEEPALIVE:
      if (d.empty()) return "TCP KEEPALIVE:";
      if (d.size() == 2) {
        uint16_t units = get_u16(d.data());  // RFC 7828: units of 100 ms
        return "TCP KEEPALIVE: " + std::to_string(units / 10) + "." + std::to_string(units % 10) +
               " secs";
      }
      break;
    case edns_option::PADDING:
      if (d.empty()) return "PAD:";
      return "PAD: (" + std::to_string(d.size()) + " bytes)";
    case edns_option::EDE:
      if (d.empty()) return "EDE:";
      if (d.size() >= 2) {
        uint16_t code = get_u16(d.data());
        out = "EDE: " + std::to_string(code);
        if (const char* name = ede_name(code)) out += std::string(" (") + name + ")";
        if (d.size() > 2) {
          out += ": (";
          for (uint8_t c : d.subspan(2))
            out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
          out.push_back(')');
        }
        return out;
      }
      break;
    default:
      break;
  }
  // Unknown option, or a known one whose data does not fit its layout:
  // dig's generic form under the option's name.
  switch (opt.code) {
    case edns_option::UPDATE_LEASE:
      out = "UPDATE-LEASE:";
      break;
    case edns_option::CLIENT_SUBNET:
      out = "CLIENT-SUBNET:";
      break;
    case edns_option::EXPIRE:
      out = "EXPIRE:";
      break;
    case edns_option::TCP_KEEPALIVE:
      out = "TCP KEEPALIVE:";
      break;
    case edns_option::EDE:
      out = "EDE:";
      break;
    default:
      out = "OPT=" + std::to_string(opt.code) + ":";
      break;
  }
  if (!d.empty()) append_hex_and_text(out, d);
  return out;
}

}  // namespace namae::dns
