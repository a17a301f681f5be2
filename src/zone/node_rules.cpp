#include "zone/node_rules.h"

#include "dns/rrtype.h"

namespace namae::zone {

namespace rrtype = dns::rrtype;

namespace {

// Types allowed next to a CNAME (RFC 2181 10.1, RFC 4035 2.5).
bool cname_compatible(uint16_t type) {
  return type == rrtype::CNAME || type == rrtype::RRSIG || type == rrtype::NSEC ||
         type == rrtype::NSEC3;
}

}  // namespace

std::string owner_text(std::span<const uint8_t> wire) {
  auto n = dns::Name::from_wire(wire);
  return n.ok() ? n->to_text() : std::string("?");
}

std::string zone_label(const dns::Name& origin) {
  std::string s = origin.to_text();
  if (s.size() > 1) s.pop_back();
  return s;
}

void check_node(std::span<const uint8_t> owner, bool apex, std::span<const TypeCount> types,
                const dns::Name& origin, std::vector<BuildIssue>& issues) {
  bool has_other = false, has_soa = false, has_ns = false;
  const TypeCount* cname = nullptr;
  for (const auto& t : types) {
    if (t.count == 0) continue;
    if (t.type == rrtype::CNAME) {
      cname = &t;
      if (t.count > 1)
        issues.push_back({t.last_line, owner_text(owner) + ": multiple CNAME records"});
    } else if (!cname_compatible(t.type)) {
      has_other = true;
    }
    if (t.type == rrtype::DNAME && t.count > 1)
      issues.push_back({t.last_line, owner_text(owner) + ": multiple DNAME records"});
    if (t.type == rrtype::SOA) {
      has_soa = true;
      if (!apex)
        issues.push_back(
            {t.first_line, "SOA record not at top of zone (" + owner_text(owner) + ")"});
      else if (t.count > 1)
        issues.push_back(
            {t.second_line, "multiple SOA records at the apex (an SOA is a singleton)"});
    }
    if (t.type == rrtype::NS) has_ns = true;
  }
  if (cname && (has_other || apex))
    issues.push_back({cname->last_line, owner_text(owner) + ": CNAME and other data"});
  if (apex && !has_soa) issues.push_back({0, "zone " + zone_label(origin) + ": has no SOA record"});
  if (apex && !has_ns) issues.push_back({0, "zone " + zone_label(origin) + ": has no NS records"});
}

}  // namespace namae::zone
