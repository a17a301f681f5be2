#include "http/dyndns.h"

#include "dns/rrtype.h"

namespace namae::http {

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
