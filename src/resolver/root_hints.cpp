#include "resolver/root_hints.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/rrtype.h"
#include "resolver/server_address.h"
#include "zonefile/parser.h"

namespace namae::resolver {

namespace {
constexpr std::string_view kIanaHints = R"(.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b
.                        3600000      NS    C.ROOT-SERVERS.NET.
C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12
C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c
.                        3600000      NS    D.ROOT-SERVERS.NET.
D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13
D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d
.                        3600000      NS    E.ROOT-SERVERS.NET.
E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10
E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e
.                        3600000      NS    F.ROOT-SERVERS.NET.
F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241
F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f
.                        3600000      NS    G.ROOT-SERVERS.NET.
G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4
G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d
.                        3600000      NS    H.ROOT-SERVERS.NET.
H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53
H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53
.                        3600000      NS    I.ROOT-SERVERS.NET.
I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17
I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53
.                        3600000      NS    J.ROOT-SERVERS.NET.
J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30
J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30
.                        3600000      NS    K.ROOT-SERVERS.NET.
K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129
K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1
.                        3600000      NS    L.ROOT-SERVERS.NET.
L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42
L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42
.                        3600000      NS    M.ROOT-SERVERS.NET.
M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33
M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35
)";

void add_address(RootHints& h, const zonefile::Record& r) {
  for (auto& rs : h.addresses) {
    if (rs.owner == r.owner && rs.type == r.type) {
      rs.rdata.push_back(r.rdata);
      return;
    }
  }
  dns::RRset rs;
  rs.owner = r.owner;
  rs.type = r.type;
  rs.ttl = r.ttl;
  rs.rdata.push_back(r.rdata);
  h.addresses.push_back(std::move(rs));
}
}  // namespace

std::vector<net::Endpoint> RootHints::endpoints_of(const dns::Name& ns, uint16_t port) const {
  std::vector<net::Endpoint> out;
  for (const auto& rs : addresses) {
    if (!(rs.owner == ns)) continue;
    for (const auto& rd : rs.rdata) {
      net::Endpoint ep;
      if (endpoint_from_rdata(rs.type, rd, port, ep)) out.push_back(ep);
    }
  }
  return out;
}

Result<RootHints> parse_root_hints(std::string_view text, const std::string& source) {
  zonefile::ParserOptions opt;
  opt.origin = dns::Name();
  opt.allow_include = false;
  zonefile::Parser parser(std::string(text), source, opt);
  RootHints h;
  zonefile::Record r;
  while (parser.next(r)) {
    if (r.type == dns::rrtype::NS && r.owner.is_root()) {
      auto ns = dns::Name::from_wire(r.rdata);
      if (ns) h.ns_names.push_back(*ns);
    } else if (r.type == dns::rrtype::A || r.type == dns::rrtype::AAAA) {
      add_address(h, r);
    }
  }
  if (parser.error_count() > 0) {
    std::string msg;
    for (const auto& d : parser.diagnostics())
      if (d.severity == zonefile::Severity::error) msg += (msg.empty() ? "" : "\n") + d.to_string();
    return fail(msg);
  }
  if (h.ns_names.empty()) return fail(source + ": no NS records for the root");
  if (h.addresses.empty()) return fail(source + ": no addresses for the root servers");
  return h;
}

Result<RootHints> load_root_hints(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot open root hints: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_root_hints(ss.str(), path);
}

const RootHints& builtin_root_hints() {
  static const RootHints hints = [] {
    auto r = parse_root_hints(kIanaHints, "<built-in root hints>");
    return r ? std::move(*r) : RootHints{};
  }();
  return hints;
}

}  // namespace namae::resolver
