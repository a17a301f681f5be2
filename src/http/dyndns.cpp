#include "http/dyndns.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "dns/rrtype.h"

namespace namae::http {

const char* dyn_answer_text(DynAnswer a) {
  switch (a) {
    case DynAnswer::good:
      return "good";
    case DynAnswer::nochg:
      return "nochg";
    case DynAnswer::badauth:
      return "badauth";
    case DynAnswer::notfqdn:
      return "notfqdn";
    case DynAnswer::nohost:
      return "nohost";
    case DynAnswer::numhost:
      return "numhost";
    case DynAnswer::abuse:
      return "abuse";
    case DynAnswer::badagent:
      return "badagent";
    case DynAnswer::dnserr:
      return "dnserr";
    case DynAnswer::server_error:
      return "911";
  }
  return "911";
}

std::vector<uint8_t> IpAddress::rdata() const {
  size_t n = family == AF_INET ? 4 : 16;
  return std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
}

uint16_t IpAddress::rrtype() const {
  return family == AF_INET ? dns::rrtype::A : dns::rrtype::AAAA;
}

std::string IpAddress::to_text() const {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), mapped, 12) == 0) {
      IpAddress v4;
      v4.family = AF_INET;
      std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
      return v4;
    }
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

bool is_fqdn_text(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return false;
  size_t labels = 0, len = 0;
  for (char c : text) {
    if (c == '.') {
      if (len == 0) return false;
      ++labels;
      len = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || ++len > 63) return false;
  }
  if (len == 0) return false;
  return labels + 1 >= 2;
}

namespace {

// Split on commas; empty items are kept so "a,,b" can be rejected.
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::optional<DynAnswer> parse_dyn_request(std::optional<std::string_view> hostname,
                                           std::optional<std::string_view> myip,
                                           const DynLimits& limits, DynRequest& out,
                                           std::string* bad) {
  out = {};
  auto set_bad = [&](std::string_view t) {
    if (bad) *bad = std::string(t.substr(0, 256));
  };
  if (!hostname || hostname->empty()) {
    set_bad("(no hostname)");
    return DynAnswer::notfqdn;
  }
  auto names = split_commas(*hostname);
  if (names.size() > limits.max_hostnames) {
    set_bad(std::to_string(names.size()) + " hostnames");
    return DynAnswer::numhost;
  }
  for (auto n : names) {
    if (!is_fqdn_text(n)) {
      set_bad(n);
      return DynAnswer::notfqdn;
    }
    std::string text(n);
    if (text.back() != '.') text += '.';
    auto name = dns::Name::from_text(text);
    if (!name) {
      set_bad(n);
      return DynAnswer::notfqdn;
    }
    out.hostnames.push_back(std::move(*name));
  }
  if (myip && !myip->empty()) {
    for (auto a : split_commas(*myip)) {
      auto ip = parse_ip(a);
      if (!ip) {
        set_bad(a);
        return DynAnswer::badagent;
      }
      for (const auto& have : out.addresses)
        if (have.family == ip->family) {  // one A and one AAAA per name
          set_bad(*myip);
          return DynAnswer::badagent;
        }
      out.addresses.push_back(*ip);
    }
  }
  return std::nullopt;
}

std::vector<dns::Record> replace_addresses(const dns::Name& name,
                                          const std::vector<IpAddress>& addresses, uint32_t ttl) {
  std::vector<dns::Record> out;
  for (const auto& a : addresses) {
    // RFC 2136 2.5.2 delete an RRset (class ANY, TTL 0, no rdata), then 2.5.1 add.
    out.push_back({name, a.rrtype(), dns::rrclass::ANY, 0, {}});
    out.push_back({name, a.rrtype(), dns::rrclass::IN, ttl, a.rdata()});
  }
  return out;
}

}  // namespace namae::http
