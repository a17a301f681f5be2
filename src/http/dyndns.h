// The DynDNS2 protocol (`GET /nic/update?hostname=...&myip=...`), as spoken
// by routers, ddclient and inadyn: its request parameters, its one-word
// answers, and the RFC 2136 update that one request becomes. Pure functions:
// no sockets, no HTTP library, so every rule is unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "net/dyndns2.h"
#include "net/ip_address.h"
#include "dns/record.h"
#include "update/engine.h"

namespace namae::http {

// The protocol words and the address type live in src/net, which the
// client (`namae ddns`) shares without linking this server side.
using net::DynAnswer;
using net::dyn_answer_text;
using net::IpAddress;
using net::parse_ip;

/// Limits on one request.
struct DynLimits {
  size_t max_hostnames = 20;
};

/// The parameters of one /nic/update request.
struct DynRequest {
  std::vector<dns::Name> hostnames;  // absolute
  std::vector<IpAddress> addresses;  // at most one per family; empty: use the source
};

/// Parse `hostname` and `myip` (comma-separated lists, absent values given as
/// nullopt). On error returns the answer to send for the whole request
/// (notfqdn, numhost, badagent); `bad` is set to the offending text.
std::optional<DynAnswer> parse_dyn_request(std::optional<std::string_view> hostname,
                                           std::optional<std::string_view> myip,
                                           const DynLimits& limits, DynRequest& out,
                                           std::string* bad = nullptr);

/// Is `text` a host name a DynDNS client may send: letters, digits, '-',
/// '_' and dots, at least two labels, none empty or longer than 63, at most
/// 253 characters (an optional final dot allowed)?
bool is_fqdn_text(std::string_view text);

/// The atomic delete-old/add-new for `name`: for each address, delete the
/// RRset of its type and add the address with `ttl`. Families not in
/// `addresses` are left alone.
std::vector<dns::Record> replace_addresses(const dns::Name& name,
                                          const std::vector<IpAddress>& addresses, uint32_t ttl);

/// The address picked from a request: the last X-Forwarded-For entry that is
/// not itself a trusted proxy when the peer is one, else the peer.
/// `is_trusted` says whether an address is a configured proxy.
template <class Trusted>
std::optional<IpAddress> client_address(std::string_view peer, std::string_view forwarded_for,
                                        Trusted is_trusted) {
  auto p = parse_ip(peer);
  if (!p || forwarded_for.empty() || !is_trusted(*p)) return p;
  // Walk right to left: entries appended by our own proxies are skipped;
  // the first other one is the client as our outermost proxy saw it.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    auto a = parse_ip(item);
    if (!a) return std::nullopt;  // a forged or garbled header: no usable address
    if (!is_trusted(*a)) return a;
  }
  return p;
}

}  // namespace namae::http
