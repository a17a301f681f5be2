// The words both ends of the DynDNS2 protocol (`GET /nic/update`, as spoken
// by routers, ddclient and inadyn) share: the server's answers (src/http) and
// the client that reads them (`namae ddns`, src/ddns), which must not link
// the server to know them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace namae::net {

/// DynDNS2 return codes (the first word of each answer line).
enum class DynAnswer : uint8_t {
  good,          // updated ("good ADDR")
  nochg,         // the address was already published ("nochg ADDR"); lease renewed
  badauth,       // no, unknown or wrong credentials
  notfqdn,       // hostname missing or not a fully qualified domain name
  nohost,        // hostname not owned by the user, or in no dynamic zone here
  numhost,       // too many hostnames in one request
  abuse,         // blocked: too many failed logins from this source or for this user
  badagent,      // malformed request: bad myip, over-long query string, bad method
  dnserr,        // the update engine refused the change (e.g. a CNAME owns the name)
  server_error,  // "911": journal or internal failure, try later
};

/// The answer's word ("good", ..., "911").
const char* dyn_answer_text(DynAnswer a);

/// The answer an answer line starts with ("good 192.0.2.1" -> good);
/// nullopt for a line that starts with no DynDNS2 word.
std::optional<DynAnswer> parse_dyn_answer(std::string_view line);

/// namaed's response header carrying the lease it granted, in seconds
/// (DynDNS2 has no field for it; RFC 9664 leases apply to both paths).
inline constexpr const char* kLeaseHeader = "X-Namae-Lease";

}  // namespace namae::net
