// How `namae ddns` publishes a Selection: one RFC 2136 UPDATE that deletes
// the name's A/AAAA RRsets and adds the current addresses in the same
// message (atomic at the server: no moment without an address, never a mix
// of old and new), signed with TSIG and carrying an RFC 9664 lease; or a
// DynDNS2 request to namaed's HTTPS API. Also the external-address lookup
// (`--ip-from URL`) for a host behind NAT.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ddns/addresses.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "net/address.h"

namespace namae::ddns {

/// Outcome of one attempt to publish.
struct PublishOutcome {
  bool ok = false;
  std::string message;            // the server's answer or why there was none
  std::optional<uint32_t> lease;  // granted lease (RFC 9664), when the server says
};

/// An RFC 2136 server and what to write there.
struct DnsTarget {
  std::vector<net::Endpoint> servers;  // tried in order
  dns::Name zone, name;
  std::optional<dns::TsigKey> key;  // unsigned when empty (server ACL decides)
  uint32_t ttl = 60;
  uint32_t lease = 3600;  // asked for; 0: no UPDATE-LEASE option
  bool tcp = false;
  std::chrono::milliseconds timeout{2000};
  int tries = 2;  // UDP sends per server
};

/// The UPDATE message (unsigned): for each enabled family, delete the
/// name's RRset of that type, then add the selected addresses of that family
/// (none: the RRset stays deleted, so a family the host lost is withdrawn).
/// `goodbye`: deletes only, and no lease option.
std::vector<uint8_t> build_replace_update(const DnsTarget& t, const Selection& addrs, bool ipv4,
                                          bool ipv6, uint16_t id, bool goodbye);

/// Sign (if keyed), send, check the reply (id, opcode, TSIG, rcode).
PublishOutcome send_dns_update(const DnsTarget& t, const Selection& addrs, bool ipv4, bool ipv6,
                               bool goodbye);

/// namaed's DynDNS2 endpoint.
struct HttpTarget {
  std::string base_url;  // "https://host:port"
  std::string user, password;
  std::string ca_file;    // PEM to verify the server with ("" = system store)
  bool insecure = false;  // skip certificate verification (tests only)
  std::string hostname;   // the name to update
  std::chrono::milliseconds timeout{5000};
};

/// GET /nic/update?hostname=...&myip=V4,V6 with the first address of each
/// enabled family. ok for "good" and "nochg", and (without a request) when
/// there is no address to send.
PublishOutcome send_dyndns_update(const HttpTarget& t, const Selection& addrs, bool ipv4,
                                  bool ipv6);

/// The address a web service says we have (`--ip-from URL`): the body's
/// first word, which must be an IPv4 or IPv6 address.
Result<net::IpAddress> fetch_external_address(const std::string& url, const std::string& ca_file,
                                               bool insecure, std::chrono::milliseconds timeout);

/// Split "scheme://host[:port]/path?query" into "scheme://host[:port]" and
/// "/path?query" ("/" when absent). Fails without a scheme.
Result<std::pair<std::string, std::string>> split_url(const std::string& url);

}  // namespace namae::ddns
