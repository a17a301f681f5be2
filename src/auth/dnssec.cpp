// DNSSEC in authoritative answers: which NSEC or NSEC3 records prove what an
// answer says does not exist (RFC 4035 3.1.3, 3.1.4; RFC 5155 7.2). The
// RRSIGs beside each RRset are added where the RRset is (engine.cpp's
// add_signed_rrset); this room picks the proofs. Query path: no
// allocation; only DO=1 queries to signed zones come here.
#include <cstring>
#include <optional>

#include "auth/reply.h"
#include "dns/nsec3_hash.h"

namespace namae::auth {

using dns::Name;
namespace rrtype = dns::rrtype;

namespace {

// `name` cut to its rightmost `labels` labels.
Name suffix(const Name& name, size_t labels) { return name.strip_left(name.label_count() - labels); }

// "*.<name>": the wildcard that would stand in for names below it.
std::optional<Name> wildcard_below(const Name& name) {
  const auto wire = name.wire();
  if (wire.size() + 2 > Name::kMaxWire) return std::nullopt;
  uint8_t buf[Name::kMaxWire];
  buf[0] = 1;
  buf[1] = '*';
  std::memcpy(buf + 2, wire.data(), wire.size());
  auto n = Name::from_wire(std::span<const uint8_t>(buf, wire.size() + 2));
  if (!n) return std::nullopt;
  return *n;
}

}  // namespace

bool AuthEngine::signs(const Reply& r, const ZoneVersion& z) { return r.dnssec && z.is_signed(); }

bool AuthEngine::add_denial(Reply& r, End end) {
  if (!add_wildcard_proofs(r)) return false;
  const size_t last = r.links - 1;
  const ZoneVersion& z = *links_[last].zone;
  if (!signs(r, z)) return true;
  const Name& qname = chain_[last];
  switch (end) {
    case End::nodata:
      return !r.node || add_nodata_proof(r, z, qname, *r.node, links_[last].wildcard);
    case End::nxdomain:
      return add_nxdomain_proof(r, z, qname, *r.ce);
    default:
      return true;
  }
}

bool AuthEngine::add_wildcard_proofs(Reply& r) {
  for (size_t i = 0; i < r.links; ++i) {
    const Link& l = links_[i];
    if (!l.wildcard || !signs(r, *l.zone)) continue;
    const ZoneVersion& z = *l.zone;
    // The name itself does not exist: RFC 4035 3.1.3.3 (the NSEC covering
    // it), RFC 5155 7.2.6 (the NSEC3 covering the next closer name, one
    // label below the closest encloser, the wildcard's parent).
    const bool ok = z.nsec3_params()
                        ? add_nsec3_for(r, z, suffix(chain_[i], l.wildcard->label_count()), true)
                        : add_proof(r, z, z.nsec_at_or_before(chain_[i]), rrtype::NSEC);
    if (!ok) return false;
  }
  return true;
}

bool AuthEngine::add_nodata_proof(Reply& r, const ZoneVersion& z, const Name& qname, const Node& node,
                                  const Node* wildcard) {
  if (z.nsec3_params()) {
    // RFC 5155 7.2.5: from a wildcard, the closest encloser's and the
    // wildcard's NSEC3 (the next closer's came with the wildcard proofs).
    if (wildcard && !(add_nsec3_for(r, z, suffix(qname, wildcard->label_count() - 1), false) &&
                      add_nsec3_for(r, z, wildcard->owner_name(), false)))
      return false;
    if (wildcard) return true;
    // 7.2.3, 7.2.4: the NSEC3 of the name; a DS query at an opt-out cut
    // (which has none) gets the closest provable encloser proof instead.
    const auto h = dns::nsec3_hash(qname, *z.nsec3_params());
    if (const Node* m = h ? z.nsec3_match(*h) : nullptr) return add_proof(r, z, m, rrtype::NSEC3);
    size_t ce_labels = 0;
    return add_nsec3_encloser_proof(r, z, qname, qname.label_count() - 1, ce_labels);
  }
  // RFC 4035 3.1.3.1: the name's own NSEC; 3.1.3.4 from a wildcard, the
  // wildcard's (the NSEC covering the name came with the wildcard proofs);
  // an empty non-terminal owns none, and the NSEC before it covers it.
  if (node.find(rrtype::NSEC)) return add_proof(r, z, &node, rrtype::NSEC);
  return add_proof(r, z, z.nsec_at_or_before(qname), rrtype::NSEC);
}

bool AuthEngine::add_nxdomain_proof(Reply& r, const ZoneVersion& z, const Name& qname, const Node& ce) {
  if (z.nsec3_params()) {
    // RFC 5155 7.2.1: the closest encloser proof, then the NSEC3 covering
    // the wildcard at the closest encloser.
    size_t ce_labels = 0;
    if (!add_nsec3_encloser_proof(r, z, qname, ce.label_count(), ce_labels)) return false;
    auto wc = wildcard_below(suffix(qname, ce_labels));
    return !wc || add_nsec3_for(r, z, *wc, true);
  }
  // RFC 4035 3.1.3.2: the NSEC covering the name, and the one covering the
  // wildcard at the closest encloser (often the same: then sent once).
  if (!add_proof(r, z, z.nsec_at_or_before(qname), rrtype::NSEC)) return false;
  auto wc = wildcard_below(ce.owner_name());
  return !wc || add_proof(r, z, z.nsec_at_or_before(*wc), rrtype::NSEC);
}

bool AuthEngine::add_referral_ds(Reply& r, const ZoneVersion& z, const Node& cut) {
  if (!signs(r, z)) return true;
  if (RRsetView ds = cut.find(rrtype::DS))
    return add_signed_rrset(r.b, cut.owner(), cut, ds, z.rclass(), true);
  // RFC 4035 3.1.4.1, RFC 5155 7.2.7: the proof of no DS, as for a DS query.
  return add_nodata_proof(r, z, cut.owner_name(), cut, nullptr);
}

bool AuthEngine::add_proof(Reply& r, const ZoneVersion& z, const Node* n, uint16_t type) {
  if (!n) return true;  // the zone has no chain to prove it with
  for (size_t i = 0; i < n_proofs_; ++i)
    if (proofs_[i] == n) return true;
  RRsetView set = n->find(type);
  if (!set) return true;
  if (!add_signed_rrset(r.b, n->owner(), *n, set, z.rclass(), true)) return false;
  if (n_proofs_ < proofs_.size()) proofs_[n_proofs_++] = n;
  return true;
}

bool AuthEngine::add_nsec3_encloser_proof(Reply& r, const ZoneVersion& z, const Name& name,
                                          size_t start_labels, size_t& ce_labels) {
  const dns::Nsec3Params& p = *z.nsec3_params();
  // The closest provable encloser: the nearest ancestor with an NSEC3
  // (below it, opt-out may have left names without one, RFC 5155 7.2.1).
  for (int labels = static_cast<int>(start_labels); labels >= static_cast<int>(z.origin().label_count());
       --labels) {
    const auto h = dns::nsec3_hash(suffix(name, static_cast<size_t>(labels)), p);
    const Node* m = h ? z.nsec3_match(*h) : nullptr;
    if (!m) continue;
    ce_labels = static_cast<size_t>(labels);
    if (!add_proof(r, z, m, rrtype::NSEC3)) return false;
    return ce_labels >= name.label_count() || add_nsec3_for(r, z, suffix(name, ce_labels + 1), true);
  }
  ce_labels = z.origin().label_count();
  return true;
}

bool AuthEngine::add_nsec3_for(Reply& r, const ZoneVersion& z, const Name& name, bool cover) {
  const auto h = dns::nsec3_hash(name, *z.nsec3_params());
  if (!h) return true;
  return add_proof(r, z, cover ? z.nsec3_cover(*h) : z.nsec3_match(*h), rrtype::NSEC3);
}

}  // namespace namae::auth
