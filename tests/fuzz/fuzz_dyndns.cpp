// libFuzzer target for the DynDNS2 request parsers of the HTTP update API:
// the input is split at newlines into hostname, myip, Authorization,
// peer address and X-Forwarded-For, as a client (or a proxy) controls them.
//
// Oracles: an accepted request has 1..max hostnames that are valid FQDN
// text and survive a text round trip, at most one address per family, each
// surviving a text round trip; replace_addresses gives a delete and an add
// per address; Basic credentials re-encode to the same pair; the client
// address is the peer or one of the X-Forwarded-For entries.
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dns/text.h"
#include "http/auth.h"
#include "http/dyndns.h"

using namespace namae;

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_dyndns: %s\n", what);
  std::abort();
}

std::vector<std::string_view> fields(std::string_view s, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < n) {
    auto nl = s.find('\n');
    if (nl == std::string_view::npos) break;
    out.push_back(s.substr(0, nl));
    s.remove_prefix(nl + 1);
  }
  out.push_back(s);
  while (out.size() < n) out.push_back({});
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = fields(in, 5);

  http::DynLimits limits;
  limits.max_hostnames = 4;
  http::DynRequest req;
  std::string bad;
  auto host = f[0].empty() ? std::nullopt : std::optional<std::string_view>(f[0]);
  auto err = http::parse_dyn_request(host, f[1], limits, req, &bad);
  if (!err) {
    if (req.hostnames.empty() || req.hostnames.size() > limits.max_hostnames)
      die("accepted a hostname count out of range");
    for (const auto& n : req.hostnames) {
      std::string t = n.to_text();
      if (!http::is_fqdn_text(t)) die("accepted name is not FQDN text");
      auto again = dns::Name::from_text(t);
      if (!again || !(*again == n)) die("name does not round-trip");
    }
    if (req.addresses.size() > 2) die("more than two addresses");
    if (req.addresses.size() == 2 && req.addresses[0].family == req.addresses[1].family)
      die("two addresses of one family");
    for (const auto& a : req.addresses) {
      auto again = http::parse_ip(a.to_text());
      if (!again || !(*again == a)) die("address does not round-trip");
      if (a.rdata().size() != (a.family == AF_INET ? 4u : 16u)) die("rdata length");
    }
    auto rrs = http::replace_addresses(req.hostnames[0], req.addresses, 60);
    if (rrs.size() != 2 * req.addresses.size()) die("replace_addresses size");
  }

  if (auto c = http::parse_basic_auth(f[2])) {
    if (c->user.find(':') != std::string::npos) die("user with a colon");
    std::string pair = c->user + ":" + c->password;
    std::string hdr = "Basic " + dns::base64_encode(std::span(
                                     reinterpret_cast<const uint8_t*>(pair.data()), pair.size()));
    auto again = http::parse_basic_auth(hdr);
    if (!again || again->user != c->user || again->password != c->password)
      die("credentials do not round-trip");
  }

  auto trusted = [](const http::IpAddress& ip) { return (ip.bytes[0] & 1) == 0; };
  if (auto a = http::client_address(f[3], f[4], trusted)) {
    bool found = http::parse_ip(f[3]) && *http::parse_ip(f[3]) == *a;
    std::string_view rest = f[4];
    while (!found && !rest.empty()) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      auto ip = http::parse_ip(item);
      found = ip && *ip == *a;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!found) die("client address from nowhere");
  }
  return 0;
}
