#include "dnssec/chain.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::dnssec {

dns::Nsec3Hash nsec3_hash(const dns::Name& name, const Nsec3Settings& s) {
  dns::Nsec3Params p;
  p.iterations = s.iterations;
  p.salt_length = static_cast<uint8_t>(std::min<size_t>(s.salt.size(), p.salt.size()));
  std::copy_n(s.salt.begin(), p.salt_length, p.salt.begin());
  return *dns::nsec3_hash(name, p);  // SHA-1 always has a value
}

Result<dns::Name> nsec3_owner(const dns::Nsec3Hash& hash, const dns::Name& zone) {
  std::array<char, dns::kNsec3LabelSize> label;
  dns::nsec3_label(hash, label);
  return zone.prepend({reinterpret_cast<const uint8_t*>(label.data()), label.size()});
}

dns::RdataBytes nsec3param_rdata(const Nsec3Settings& p) {
  dns::RdataBytes out{dns::kNsec3Sha1, 0, static_cast<uint8_t>(p.iterations >> 8),
                      static_cast<uint8_t>(p.iterations), static_cast<uint8_t>(p.salt.size())};
  out.insert(out.end(), p.salt.begin(), p.salt.end());
  return out;
}

Result<Nsec3Settings> parse_nsec3param(std::span<const uint8_t> r) {
  if (r.size() < 5 || r.size() != 5u + r[4]) return fail("malformed NSEC3PARAM");
  if (r[0] != dns::kNsec3Sha1) return fail("NSEC3 hash algorithm " + std::to_string(r[0]) + " is unknown");
  return Nsec3Settings{static_cast<uint16_t>(r[2] << 8 | r[3]), {r.begin() + 5, r.end()}, false};
}

bool is_nsec3_only(const ZoneNode& node) {
  for (const auto& s : node.sets)
    if (s.type != dns::rrtype::NSEC3) return false;
  return !node.sets.empty();
}

std::vector<uint16_t> nsec_types(const ZoneNode& node) {
  std::vector<uint16_t> types;
  for (const auto& s : node.sets)
    if (s.type != dns::rrtype::NSEC3 && !s.rdata.empty()) types.push_back(s.type);
  types.push_back(dns::rrtype::NSEC);
  types.push_back(dns::rrtype::RRSIG);
  return types;
}

std::vector<uint16_t> nsec3_types(const ZoneNode& node) {
  std::vector<uint16_t> types;
  bool signed_any = false;
  for (const auto& s : node.sets) {
    if (s.type == dns::rrtype::NSEC3 || s.type == dns::rrtype::NSEC || s.rdata.empty()) continue;
    types.push_back(s.type);
    signed_any |= is_signed_set(node, s.type);
  }
  if (signed_any) types.push_back(dns::rrtype::RRSIG);
  return types;
}

dns::RdataBytes nsec_rdata(const dns::Name& next, const std::vector<uint16_t>& types) {
  dns::RdataBytes out(next.wire().begin(), next.wire().end());
  dns::rdata::append_type_bitmap(types, out);
  return out;
}

std::vector<dns::RdataBytes> nsec_chain(const ZoneModel& zone) {
  std::vector<dns::RdataBytes> out(zone.nodes.size());
  size_t prev = zone.nodes.size();
  for (size_t i = 0; i < zone.nodes.size(); ++i) {
    const ZoneNode& node = zone.nodes[i];
    if (!in_chain(node) || is_nsec3_only(node)) continue;
    if (prev < zone.nodes.size()) out[prev] = nsec_rdata(node.owner, nsec_types(zone.nodes[prev]));
    prev = i;
  }
  if (prev < zone.nodes.size()) out[prev] = nsec_rdata(zone.origin, nsec_types(zone.nodes[prev]));
  return out;
}

dns::RdataBytes nsec3_rdata(const Nsec3Settings& p, const dns::Nsec3Hash& next,
                            const std::vector<uint16_t>& types) {
  dns::RdataBytes out{dns::kNsec3Sha1, static_cast<uint8_t>(p.opt_out ? 1 : 0),
                      static_cast<uint8_t>(p.iterations >> 8), static_cast<uint8_t>(p.iterations),
                      static_cast<uint8_t>(p.salt.size())};
  out.insert(out.end(), p.salt.begin(), p.salt.end());
  out.push_back(static_cast<uint8_t>(next.size()));
  out.insert(out.end(), next.begin(), next.end());
  dns::rdata::append_type_bitmap(types, out);
  return out;
}

namespace {

// RFC 5155 6 / 7.1: with opt-out, an insecure delegation gets no NSEC3.
bool opted_out(const ZoneNode& node, const Nsec3Settings& p) {
  return p.opt_out && node.kind == NodeKind::delegation && !node.has(dns::rrtype::DS);
}

}  // namespace

Result<std::vector<Nsec3Entry>> nsec3_chain(const ZoneModel& zone, const Nsec3Settings& p) {
  std::vector<Nsec3Entry> entries;
  std::unordered_set<dns::Name, dns::NameHash> seen;
  for (const auto& node : zone.nodes) {
    if (!in_chain(node) || is_nsec3_only(node) || opted_out(node, p)) continue;
    entries.push_back({nsec3_hash(node.owner, p), node.owner, nsec3_types(node), {}});
    seen.insert(node.owner);
  }
  // Empty non-terminals: ancestors (below the apex) that own nothing. An
  // ancestor already seen has had its own ancestors added.
  const size_t names = entries.size();
  for (size_t i = 0; i < names; ++i) {
    const dns::Name name = entries[i].original;
    for (size_t up = 1; up + zone.origin.label_count() < name.label_count(); ++up) {
      dns::Name parent = name.strip_left(up);
      if (!seen.insert(parent).second) break;
      entries.push_back({nsec3_hash(parent, p), parent, {}, {}});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Nsec3Entry& a, const Nsec3Entry& b) { return a.hash < b.hash; });
  for (size_t i = 0; i + 1 < entries.size(); ++i)
    if (entries[i].hash == entries[i + 1].hash)
      return fail("NSEC3 hash collision between " + entries[i].original.to_text() + " and " +
                  entries[i + 1].original.to_text() + "; use another salt");
  for (size_t i = 0; i < entries.size(); ++i)
    entries[i].rdata = nsec3_rdata(p, entries[(i + 1) % entries.size()].hash, entries[i].types);
  return entries;
}

}  // namespace namae::dnssec
