#include "resolver/root_hints.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dns/rrtype.h"
#include "resolver/server_address.h"
#include "zonefile/parser.h"

namespace namae::resolver {

namespace {
// The IANA root servers (named.root of 2024), [A-M].ROOT-SERVERS.NET.
struct RootServer {
  char letter;
  std::string_view ipv4, ipv6;
};
constexpr RootServer kIanaRootServers[] = {
    {'A', "198.41.0.4", "2001:503:ba3e::2:30"},
    {'B', "170.247.170.2", "2801:1b8:10::b"},
    {'C', "192.33.4.12", "2001:500:2::c"},
    {'D', "199.7.91.13", "2001:500:2d::d"},
    {'E', "192.203.230.10", "2001:500:a8::e"},
    {'F', "192.5.5.241", "2001:500:2f::f"},
    {'G', "192.112.36.4", "2001:500:12::d0d"},
    {'H', "198.97.190.53", "2001:500:1::53"},
    {'I', "192.36.148.17", "2001:7fe::53"},
    {'J', "192.58.128.30", "2001:503:c27::2:30"},
    {'K', "193.0.14.129", "2001:7fd::1"},
    {'L', "199.7.83.42", "2001:500:9f::42"},
    {'M', "202.12.27.33", "2001:dc3::35"},
};

// The table as named.root text, so the built-in hints are read like a file.
std::string iana_hints_text() {
  std::string out;
  for (const auto& s : kIanaRootServers)
    out += fmt::format(
        ".                        3600000      NS    {0}.ROOT-SERVERS.NET.\n"
        "{0}.ROOT-SERVERS.NET.      3600000      A     {1}\n"
        "{0}.ROOT-SERVERS.NET.      3600000      AAAA  {2}\n",
        s.letter, s.ipv4, s.ipv6);
  return out;
}

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
    auto r = parse_root_hints(iana_hints_text(), "<built-in root hints>");
    return r ? std::move(*r) : RootHints{};
  }();
  return hints;
}

}  // namespace namae::resolver
