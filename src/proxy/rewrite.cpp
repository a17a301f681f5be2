#include "proxy/rewrite.h"

#include <sys/socket.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::proxy {

namespace {

// `name` with its rightmost `drop` labels replaced by `suffix`.
std::optional<dns::Name> replace_suffix(const dns::Name& name, size_t drop, const dns::Name& suffix) {
  size_t keep = name.label_count() - drop;
  std::vector<std::string_view> labels;
  labels.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    auto l = name.label(i);
    labels.emplace_back(reinterpret_cast<const char*>(l.data()), l.size());
  }
  auto prefix = dns::Name::from_labels(labels);
  if (!prefix) return std::nullopt;
  auto out = prefix->concat(suffix);
  if (!out) return std::nullopt;
  return *out;
}

std::string fmt_nibble(unsigned v) { return std::string(1, "0123456789abcdef"[v & 0xf]); }

}  // namespace

const dns::Name& local_domain() {
  static const dns::Name local = *dns::Name::from_text("local.");
  return local;
}

std::optional<dns::Name> from_local(const dns::Name& name, const dns::Name& domain) {
  if (!name.is_subdomain_of(local_domain())) return name;
  return replace_suffix(name, 1, domain);
}

// RFC 8766 5.4 names the zone after the prefix's labels (octets or
// nibbles, most significant last); RFC 6763 11 names the subnet after its
// whole address with the host part zero.
std::optional<ReverseZone> reverse_zone(const net::AddressPrefix& prefix) {
  bool v4 = prefix.family == AF_INET;
  unsigned step = v4 ? 8 : 4, width = v4 ? 32 : 128;
  if (prefix.length == 0 || prefix.length % step != 0 || prefix.length > width) return std::nullopt;
  std::vector<std::string> digits;  // most significant first
  for (unsigned i = 0; i < width / step; ++i) {
    if (v4) digits.push_back(std::to_string(prefix.bytes[i]));
    else digits.push_back(fmt_nibble((prefix.bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf));
  }
  auto name_of = [&](size_t n) {
    std::string text;
    for (size_t i = n; i-- > 0;) text += digits[i] + ".";
    return dns::Name::from_text(text + (v4 ? "in-addr.arpa." : "ip6.arpa."));
  };
  auto apex = name_of(prefix.length / step);
  auto network = name_of(digits.size());
  if (!apex || !network) return std::nullopt;
  return ReverseZone{*apex, *network};
}

Rewriter::Rewriter(dns::Name domain, dns::Name hosts, std::vector<ReverseZone> reverse)
    : domain_(std::move(domain)), hosts_(hosts.is_root() ? domain_ : std::move(hosts)), reverse_(std::move(reverse)) {}

const dns::Name* Rewriter::apex_of(const dns::Name& name) const {
  if (name.is_subdomain_of(domain_)) return &domain_;
  if (name.is_subdomain_of(hosts_)) return &hosts_;
  for (const auto& z : reverse_)
    if (name.is_subdomain_of(z.apex)) return &z.apex;
  return nullptr;
}

std::optional<dns::Name> Rewriter::to_local(const dns::Name& name) const {
  const dns::Name* apex = apex_of(name);
  if (!apex) return std::nullopt;
  if (apex != &domain_ && apex != &hosts_) return name;  // 5.4: asked as it is
  return replace_suffix(name, apex->label_count(), local_domain());
}

// RFC 8766 5.5: a reverse answer's names and everything in the host-name
// domain go to that domain; the rich-text domain keeps its own names but
// for host names.
Target Rewriter::target_for(const dns::Name& qname) const {
  const dns::Name* apex = apex_of(qname);
  if (apex == &domain_) return {domain_, domain_, hosts_};
  return {hosts_, hosts_, hosts_};
}

std::vector<dns::Name> Rewriter::unicast_names(const dns::Name& link_owner) const {
  std::vector<dns::Name> out;
  if (!link_owner.is_subdomain_of(local_domain())) {
    if (apex_of(link_owner)) out.push_back(link_owner);
    return out;
  }
  for (const dns::Name* d : {&domain_, &hosts_})
    if (auto n = proxy::from_local(link_owner, *d); n && (out.empty() || !(out.front() == *n))) out.push_back(*n);
  return out;
}

bool is_link_local_address(const dns::Record& r) {
  if (r.type == dns::rrtype::A && r.rdata.size() == 4) return r.rdata[0] == 169 && r.rdata[1] == 254;
  if (r.type == dns::rrtype::AAAA && r.rdata.size() == 16) return r.rdata[0] == 0xfe && (r.rdata[1] & 0xc0) == 0x80;
  return false;
}

std::optional<dns::Record> Rewriter::from_link(const dns::Record& r, uint32_t ttl_cap, const Target& t) const {
  if (r.type == dns::rrtype::NSEC || is_link_local_address(r)) return std::nullopt;
  auto owner = proxy::from_local(r.owner, t.owner);
  if (!owner) return std::nullopt;
  dns::Record out{*owner, r.type, r.rclass, ttl_cap && r.ttl > ttl_cap ? ttl_cap : r.ttl, {}};
  std::array<dns::RdataName, 8> names;
  size_t n = dns::rdata::names(r.type, r.rdata, names);
  size_t pos = 0;
  for (size_t i = 0; i < n && i < names.size(); ++i) {
    auto at = std::span<const uint8_t>(r.rdata).subspan(names[i].offset, names[i].length);
    auto name = dns::Name::from_wire(at);
    if (!name) return std::nullopt;
    // An SRV's only name is its target, a host (RFC 2782).
    auto moved = proxy::from_local(*name, r.type == dns::rrtype::SRV ? t.host : t.rdata);
    if (!moved) return std::nullopt;
    out.rdata.insert(out.rdata.end(), r.rdata.begin() + pos, r.rdata.begin() + names[i].offset);
    out.rdata.insert(out.rdata.end(), moved->wire().begin(), moved->wire().end());
    pos = names[i].offset + names[i].length;
  }
  out.rdata.insert(out.rdata.end(), r.rdata.begin() + pos, r.rdata.end());
  if (out.rdata.size() > 65535) return std::nullopt;
  return out;
}

}  // namespace namae::proxy
