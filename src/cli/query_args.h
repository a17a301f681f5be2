// `namae query` command line: dig's syntax (`@server`, `+option`, positional
// name/type/class in any order) parsed into a plain struct, and the query
// message built from it. Kept apart from query.cpp's I/O so it is unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/tsig.h"

namespace namae::cli {

/// Everything `namae query` was asked to do.
struct QueryArgs {
  std::string server;  // from @server; empty: first resolv.conf nameserver
  uint16_t port = 53;
  dns::Name name;      // absolute; "." when none was given (then type NS, like dig)
  uint16_t qtype = 1;  // A
  uint16_t qclass = 1; // IN
  bool type_given = false;
  bool class_given = false;
  int family = 0;      // AF_UNSPEC, or AF_INET/AF_INET6 for -4/-6

  bool tcp = false;        // +tcp / +vc
  bool recurse = true;     // +[no]rec: RD bit
  bool dnssec = false;     // +dnssec: DO bit
  bool cd = false;         // +cd
  bool ad = true;          // +[no]adflag (dig sets AD in queries by default)
  bool edns = true;        // +noedns
  uint8_t edns_version = 0;
  uint16_t bufsize = 1232; // +bufsize=N: EDNS UDP payload size
  bool cookie = false;     // +cookie: send a client cookie
  bool nsid = false;       // +nsid: ask for the server's NSID
  bool ignore_tc = false;  // +ignore: don't retry truncated replies over TCP

  bool short_output = false;  // +short
  bool json = false;          // +json (RFC 8427)

  int timeout_seconds = 5;  // +time=N, per try
  int tries = 3;            // +tries=N (+retry=N means N+1 tries)

  std::optional<dns::TsigKey> key;  // -y [alg:]name:secret
  bool trace = false;         // +trace: resolve from the root, printing each step
  std::string root_hints;     // --root-hints FILE for +trace (default: built-in IANA hints)
  bool allow_localhost = false;  // --allow-localhost: +trace may ask servers on loopback
  bool validate = false;         // --validate: +trace validates (DNSSEC) from the root's KSKs
  std::string trust_anchor_file; // --trust-anchor-file FILE: ... from these anchors
  std::vector<std::string> stubs, forwards;  // --stub / --forward NAME=ADDR[,ADDR...] for +trace
  bool tls = false;            // +tls: +trace's forwarders over DNS over TLS (RFC 7858)
  std::string tls_hostname;    // +tls-hostname=NAME: the name their certificates must carry
  std::string tls_ca;          // +tls-ca=FILE: PEM CAs to trust (default: the system's store)
  bool help = false;

  /// The arguments as given, secrets masked, for the output banner.
  std::string command_line;
};

/// Parse the arguments after `query`. Errors name the offending argument.
Result<QueryArgs> parse_query_args(std::span<const std::string> args);

/// `-x` support: "192.0.2.1" -> "1.2.0.192.in-addr.arpa.", IPv6 -> nibbles
/// under ip6.arpa. A partial IPv4 address ("192.0.2") gives the zone-level name.
Result<dns::Name> reverse_name(std::string_view address);

/// Build the query message for `args` with the given ID (no TSIG yet).
/// Returns the wire octets.
Result<std::vector<uint8_t>> build_query(const QueryArgs& args, uint16_t id,
                                         std::span<const uint8_t> client_cookie = {});

/// `namae query +trace`: iterate from the root hints with the resolver
/// library, printing each step (trace.cpp). Returns the exit code.
int trace_main(const QueryArgs& args);

/// The help text, including exit codes.
const char* query_usage();

/// Exit codes (as dig's where dig has one).
namespace query_exit {
inline constexpr int ok = 0;          // got a reply (whatever its rcode)
inline constexpr int usage = 2;       // bad command line (as every namae subcommand)
inline constexpr int no_reply = 9;    // timeout, refused, unreachable, or malformed reply
inline constexpr int internal = 10;   // server name did not resolve, local failure
inline constexpr int tsig = 11;       // the reply failed TSIG verification or reported a TSIG error
}  // namespace query_exit

}  // namespace namae::cli
