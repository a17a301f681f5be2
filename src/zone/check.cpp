#include "zone/check.h"

#include <string>

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zone/node_rules.h"

namespace namae::zone {

namespace rrtype = dns::rrtype;

namespace {

// The target name of an NS, MX or SRV rdata as an uncompressed wire span.
std::span<const uint8_t> target_of(uint16_t type, std::span<const uint8_t> rd) {
  size_t skip = type == rrtype::MX ? 2 : type == rrtype::SRV ? 6 : 0;
  size_t pos = skip;
  while (pos < rd.size() && rd[pos] != 0) pos += 1 + rd[pos];
  if (pos >= rd.size()) return {};
  return rd.subspan(skip, pos + 1 - skip);
}

}  // namespace

void check_zone(const ZoneVersion& z, std::span<const uint32_t> tags,
                std::vector<BuildIssue>& issues) {
  const auto origin = z.origin().wire();
  size_t record = 0;  // index of the node's first record in version order
  auto tag = [&](size_t i) { return i < tags.size() ? tags[i] : 0u; };
  std::vector<BuildIssue> targets;  // reported after the occlusion pass, as BIND orders them
  const Node* cut = nullptr;        // highest delegation or DNAME above the current name
  bool cut_is_dname = false;        // below a DNAME even addresses are occluded

  for (size_t n = 0; n < z.node_count(); ++n) {
    const Node& node = z.node(n);
    if (node.empty()) continue;
    const size_t first = record;
    bool has_ns = false, has_dname = false, has_nonglue = false, has_cut_other = false;
    auto c = node.rrsets();
    RRsetView v;
    while (c.next(v)) {
      const uint16_t t = v.type();
      has_ns |= t == rrtype::NS;
      has_dname |= t == rrtype::DNAME;
      has_nonglue |= t != rrtype::A && t != rrtype::AAAA;
      has_cut_other |= t != rrtype::NS && t != rrtype::DS && t != rrtype::RRSIG &&
                       t != rrtype::NSEC && t != rrtype::A && t != rrtype::AAAA;
      if (t != rrtype::NS && t != rrtype::MX && t != rrtype::SRV) {
        record += v.count();
        continue;
      }
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd)) {
        const size_t at = record++;
        auto target = target_of(t, rd);
        if (target.size() <= 1 || !wire_is_subdomain(target, origin)) continue;
        const Node* tn = z.find(target);
        const bool cname = tn && !tn->empty() && tn->find(rrtype::CNAME);
        const bool address = tn && !tn->empty() && (tn->find(rrtype::A) || tn->find(rrtype::AAAA));
        if (!cname && address) continue;
        // Glue for a target at or below a cut is the delegation's business:
        // named-checkzone reports it but loads the zone, as it does for
        // delegations' own NS targets. Only the apex NS set is fatal.
        auto target_name = dns::Name::from_wire(target);
        const bool below_cut =
            target_name.ok() && z.lookup(*target_name).kind == LookupResult::Kind::delegation;
        const auto severity = t == rrtype::NS && node.has(node_flag::apex) && !below_cut
                                  ? zonefile::Severity::error
                                  : zonefile::Severity::warning;
        std::string what =
            owner_text(node.owner()) + " " + dns::type_to_text(t) + " '" + owner_text(target) + "'";
        targets.push_back({tag(at),
                           what + (cname       ? " is a CNAME (illegal, RFC 2181 10.3)"
                                   : below_cut ? " has no REQUIRED GLUE address records (A or AAAA)"
                                               : " has no address records (A or AAAA)"),
                           severity});
      }
    }

    if (node.has(node_flag::apex)) continue;
    if (cut && !wire_is_subdomain(node.owner(), cut->owner())) cut = nullptr;
    if (cut) {
      if (has_nonglue || cut_is_dname)
        issues.push_back({tag(first),
                          owner_text(node.owner()) + ": data below the delegation/DNAME at " +
                              owner_text(cut->owner()) +
                              " is occluded (only address glue belongs there)",
                          zonefile::Severity::warning});
    } else if (has_ns || has_dname) {
      if (has_ns && has_cut_other)
        issues.push_back({tag(first),
                          owner_text(node.owner()) +
                              ": data at a delegation point other than NS/DS/glue is occluded",
                          zonefile::Severity::warning});
      cut = &node;
      cut_is_dname = !has_ns;
    }
  }
  issues.insert(issues.end(), targets.begin(), targets.end());
}

void check_zone(const ZoneVersion& z, std::vector<zonefile::Diagnostic>& diags) {
  std::vector<BuildIssue> issues;
  check_zone(z, {}, issues);
  for (auto& i : issues) {
    zonefile::Diagnostic d;
    d.severity = i.severity;
    d.message = std::move(i.message);
    diags.push_back(std::move(d));
  }
}

void check_signatures(const ZoneVersion& z, uint32_t now, std::vector<zonefile::Diagnostic>& diags) {
  size_t expired = 0, early = 0;
  std::string first;
  for (size_t n = 0; n < z.node_count(); ++n) {
    const Node& node = z.node(n);
    auto c = node.rrsets();
    RRsetView v;
    while (c.next(v)) {
      if (v.type() != rrtype::RRSIG) continue;
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd)) {
        if (rd.size() < 18) continue;
        // Fields: type covered, algorithm, labels, original TTL, expiration, inception.
        const uint32_t expiration = dns::get_u32(rd.data() + 8);
        const uint32_t inception = dns::get_u32(rd.data() + 12);
        const bool is_expired = static_cast<int32_t>(expiration - now) < 0;
        const bool not_yet = static_cast<int32_t>(now - inception) < 0;
        if (!is_expired && !not_yet) continue;
        (is_expired ? expired : early) += 1;
        if (first.empty())
          first = owner_text(node.owner()) + " RRSIG " + dns::type_to_text(dns::get_u16(rd.data())) +
                  (is_expired ? " expired" : " not yet valid");
      }
    }
  }
  if (expired + early == 0) return;
  zonefile::Diagnostic d;
  d.severity = zonefile::Severity::warning;
  d.message = std::to_string(expired) + " expired and " + std::to_string(early) +
              " not yet valid RRSIGs (first: " + first +
              "); served as they are, validators will reject them until the zone is signed again";
  diags.push_back(std::move(d));
}

}  // namespace namae::zone
