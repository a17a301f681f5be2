#include "validator/denial.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "dns/nsec3_hash.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::validator {

namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

struct TypeSet {
  std::vector<uint16_t> types;
  bool has(uint16_t t) const { return std::binary_search(types.begin(), types.end(), t); }
  // RFC 6840 4.1: the parent side of a zone cut (NS without SOA) proves
  // nothing about names below the cut, a DNAME nothing below its owner.
  bool delegation() const { return has(rrtype::NS) && !has(rrtype::SOA); }
  bool hides_below() const { return delegation() || has(rrtype::DNAME); }
  // Neither the type nor a CNAME that would have answered instead.
  bool lacks(uint16_t t) const { return !has(t) && !has(rrtype::CNAME); }
};

// ---- NSEC (RFC 4035 5.4, RFC 6840 4) ----

struct Nsec {
  Name owner, next;
  TypeSet types;
};

std::vector<Nsec> nsecs_of(const std::vector<dns::RRset>& denial) {
  std::vector<Nsec> out;
  for (const auto& rs : denial) {
    if (rs.type != rrtype::NSEC) continue;
    for (const auto& rd : rs.rdata) {
      size_t used = 0;
      auto next = Name::from_wire_prefix(rd, used);
      if (!next) continue;
      auto types = dns::rdata::type_bitmap_types(std::span<const uint8_t>(rd).subspan(used));
      if (!types) continue;
      out.push_back({rs.owner, *next, {std::move(*types)}});
    }
  }
  return out;
}

// owner < name < next in canonical order; the last NSEC of a chain (next
// at or before owner: the apex) covers everything after its owner.
bool covers(const Nsec& n, const Name& name) {
  if (n.owner.canonical_compare(name) >= 0) return false;
  if (n.types.hides_below() && name.is_subdomain_of(n.owner)) return false;
  return name.canonical_compare(n.next) < 0 || n.next.canonical_compare(n.owner) <= 0;
}

const Nsec* nsec_covering(const std::vector<Nsec>& v, const Name& name) {
  for (const auto& n : v)
    if (covers(n, name)) return &n;
  return nullptr;
}

const Nsec* nsec_at(const std::vector<Nsec>& v, const Name& name) {
  for (const auto& n : v)
    if (n.owner == name) return &n;
  return nullptr;
}

// The closest encloser a covering NSEC implies: the longer of the names'
// common ancestors with its owner and its next name.
Name implied_encloser(const Nsec& n, const Name& name) {
  size_t labels = std::max(name.common_suffix_labels(n.owner), name.common_suffix_labels(n.next));
  return name.suffix(labels);
}

std::optional<Name> wildcard_at(const Name& parent) {
  static const uint8_t star[] = {'*'};
  auto w = parent.prepend(star);
  if (!w) return std::nullopt;
  return *w;
}

// Denial records that do not prove what they should (Unbound's EDE 6);
// none at all is NSEC Missing (12), decided by the callers.
Verdict missing(const std::string& what) { return Verdict::bogus(ede::DNSSEC_BOGUS, what); }

bool no_denial(const std::vector<dns::RRset>& denial) {
  return std::none_of(denial.begin(), denial.end(),
                      [](const auto& rs) { return rs.type == rrtype::NSEC || rs.type == rrtype::NSEC3; });
}

Verdict none_given(const Name& name) {
  return Verdict::bogus(ede::NSEC_MISSING, "no NSEC or NSEC3 records for " + name.to_text());
}

Verdict nsec_nxdomain(const Name& qname, const std::vector<Nsec>& v) {
  const Nsec* cover = nsec_covering(v, qname);
  if (!cover) return missing("no NSEC covers " + qname.to_text());
  Name encloser = implied_encloser(*cover, qname);
  // A next name below qname makes it an empty non-terminal: it exists.
  if (encloser == qname) return missing("the NSEC covering " + qname.to_text() + " shows names below it");
  auto wild = wildcard_at(encloser);
  if (!wild || nsec_at(v, *wild) || !nsec_covering(v, *wild))
    return missing("no NSEC proves that no wildcard covers " + qname.to_text());
  return Verdict::secure();
}

Verdict nsec_nodata(const Name& qname, uint16_t qtype, const std::vector<Nsec>& v) {
  if (const Nsec* at = nsec_at(v, qname)) {
    // RFC 6840 4.4: the parent side of a cut answers only for DS; the
    // child's apex NSEC never does.
    bool wrong_side = qtype == rrtype::DS ? at->types.has(rrtype::SOA) && !qname.is_root()
                                          : at->types.delegation();
    if (at->types.lacks(qtype) && !wrong_side) return Verdict::secure();
    return Verdict::bogus(ede::DNSSEC_BOGUS, "the NSEC at " + qname.to_text() + " lists the type asked");
  }
  const Nsec* cover = nsec_covering(v, qname);
  if (!cover) return missing("no NSEC at or covering " + qname.to_text());
  // An empty non-terminal: the next name lies below it.
  if (cover->next.is_subdomain_of(qname) && !(cover->next == qname)) return Verdict::secure();
  auto wild = wildcard_at(implied_encloser(*cover, qname));
  if (const Nsec* w = wild ? nsec_at(v, *wild) : nullptr; w && w->types.lacks(qtype))
    return Verdict::secure();
  return missing("no NSEC proves that " + qname.to_text() + " has no " + dns::type_to_text(qtype));
}

// ---- NSEC3 (RFC 5155 8) ----

struct Nsec3 {
  Name zone;
  dns::Nsec3Hash hash{}, next{};
  dns::Nsec3Params params;
  bool opt_out = false;
  TypeSet types;
};

// NSEC3 rdata after the parameters: hash length, next hash, type bitmap.
std::optional<Nsec3> parse_nsec3(const dns::RRset& rs, const dns::RdataBytes& rd) {
  auto params = dns::Nsec3Params::from_rdata(rd);
  if (!params || rs.owner.label_count() == 0) return std::nullopt;
  size_t at = 5 + params->salt_length;
  if (rd.size() < at + 1 || rd[at] != dns::kNsec3HashSize || rd.size() < at + 1 + dns::kNsec3HashSize)
    return std::nullopt;
  auto owner_hash = dns::nsec3_label_hash(rs.owner.label(0));
  auto types = dns::rdata::type_bitmap_types(std::span<const uint8_t>(rd).subspan(at + 1 + dns::kNsec3HashSize));
  if (!owner_hash || !types) return std::nullopt;
  Nsec3 n;
  n.zone = rs.owner.strip_left();
  n.hash = *owner_hash;
  std::memcpy(n.next.data(), rd.data() + at + 1, dns::kNsec3HashSize);
  n.opt_out = (params->flags & 1) != 0;
  n.params = *params;
  n.types.types = std::move(*types);
  return n;
}

struct Nsec3Set {
  std::vector<Nsec3> records;
  bool too_many_iterations = false;
};

// RFC 5155 8.1-8.2: records of an unknown hash algorithm or with unknown
// flags are ignored; all must share the zone's parameters.
Nsec3Set nsec3s_of(const std::vector<dns::RRset>& denial) {
  Nsec3Set out;
  for (const auto& rs : denial) {
    if (rs.type != rrtype::NSEC3) continue;
    for (const auto& rd : rs.rdata) {
      auto n = parse_nsec3(rs, rd);
      if (!n || n->params.algorithm != dns::kNsec3Sha1 || (n->params.flags & ~1) != 0) continue;
      if (n->params.iterations > kMaxNsec3Iterations) out.too_many_iterations = true;
      out.records.push_back(std::move(*n));
    }
  }
  return out;
}

class Nsec3Proof {
 public:
  explicit Nsec3Proof(const std::vector<Nsec3>& v) : v_(v) {}

  const Nsec3* match(const Name& name) const {
    for (const auto& n : v_) {
      if (!name.is_subdomain_of(n.zone)) continue;
      auto h = dns::nsec3_hash(name, n.params);
      if (h && *h == n.hash) return &n;
    }
    return nullptr;
  }
  const Nsec3* cover(const Name& name) const {
    for (const auto& n : v_) {
      if (!name.is_subdomain_of(n.zone)) continue;
      auto h = dns::nsec3_hash(name, n.params);
      if (!h) continue;
      bool after = n.hash < *h, before = *h < n.next;
      if (n.next <= n.hash ? (after || before) : (after && before)) return &n;
    }
    return nullptr;
  }

  // RFC 5155 8.3: the closest encloser of `qname` matched, the next closer
  // name covered. The encloser must not be a cut's parent side or a DNAME.
  struct Encloser {
    Name ce;
    const Nsec3* next_closer = nullptr;
  };
  std::optional<Encloser> closest_encloser(const Name& qname) const {
    for (size_t labels = qname.label_count(); labels-- > 0;) {
      Name ce = qname.suffix(labels);
      const Nsec3* m = match(ce);
      if (!m) continue;
      if (m->types.hides_below()) return std::nullopt;
      const Nsec3* nc = cover(qname.suffix(labels + 1));
      if (!nc) return std::nullopt;
      return Encloser{ce, nc};
    }
    return std::nullopt;
  }

 private:
  const std::vector<Nsec3>& v_;
};

Verdict too_many(const Nsec3Set& s) {
  return Verdict::insecure("the NSEC3 chain uses more than " + std::to_string(kMaxNsec3Iterations) +
                               " iterations (RFC 9276)",
                           ede::UNSUPPORTED_NSEC3_ITERATIONS);
}

Verdict nsec3_nxdomain(const Name& qname, const Nsec3Set& s) {
  Nsec3Proof p(s.records);
  auto enc = p.closest_encloser(qname);
  if (!enc) return missing("no NSEC3 closest encloser proof for " + qname.to_text());
  auto wild = wildcard_at(enc->ce);
  if (!wild || !p.cover(*wild)) return missing("no NSEC3 proves that no wildcard covers " + qname.to_text());
  // An opt-out span may hide an unsigned delegation the name lies under.
  if (enc->next_closer->opt_out) return Verdict::insecure("the NXDOMAIN proof is an opt-out span");
  return Verdict::secure();
}

Verdict nsec3_nodata(const Name& qname, uint16_t qtype, const Nsec3Set& s) {
  Nsec3Proof p(s.records);
  if (const Nsec3* m = p.match(qname)) {
    bool wrong_side = qtype == rrtype::DS ? m->types.has(rrtype::SOA) && !qname.is_root()
                                          : m->types.delegation();
    if (m->types.lacks(qtype) && !wrong_side) return Verdict::secure();
    return Verdict::bogus(ede::DNSSEC_BOGUS, "the NSEC3 of " + qname.to_text() + " lists the type asked");
  }
  auto enc = p.closest_encloser(qname);
  if (!enc) return missing("no NSEC3 matches " + qname.to_text() + " and no closest encloser proof");
  // RFC 5155 8.6 (and, as Unbound reads 9.2, any proof through an opt-out
  // span): the name may lie under an unsigned delegation.
  if (enc->next_closer->opt_out) return Verdict::insecure("an opt-out NSEC3 span covers " + qname.to_text());
  auto wild = wildcard_at(enc->ce);
  if (const Nsec3* w = wild ? p.match(*wild) : nullptr; w && w->types.lacks(qtype))
    return Verdict::secure();  // RFC 5155 8.7
  return missing("no NSEC3 proves that " + qname.to_text() + " has no " + dns::type_to_text(qtype));
}

bool uses_nsec3(const std::vector<dns::RRset>& denial) {
  return std::any_of(denial.begin(), denial.end(), [](const auto& rs) { return rs.type == rrtype::NSEC3; });
}

// RFC 8198 5.1-5.2: what the records picked from the cache prove, judged
// by the same proofs as an upstream answer's.
NsecSynthesis judged_synthesis(const Name& qname, uint16_t qtype, std::vector<const dns::RRset*> used) {
  std::vector<dns::RRset> records;
  for (const auto* p : used) records.push_back(*p);
  NsecSynthesis out;
  if (prove_nxdomain(qname, records).is_secure())
    out.denied = Denied::nxdomain;
  else if (prove_nodata(qname, qtype, records).is_secure())
    out.denied = Denied::nodata;
  if (out.denied != Denied::nothing) out.used = std::move(used);
  return out;
}

// The cached NSEC3 record that matches or may cover `name`; `matched` says which.
const dns::RRset* nsec3_record_for(const Name& name, const dns::Nsec3Params& params,
                                   const Nsec3AtOrBefore& at_or_before, bool& matched) {
  matched = false;
  auto h = dns::nsec3_hash(name, params);
  const dns::RRset* r = h ? at_or_before(*h) : nullptr;
  if (r && r->owner.label_count() > 0) {
    auto owner = dns::nsec3_label_hash(r->owner.label(0));
    matched = owner && *owner == *h;
  }
  return r;
}

}  // namespace

Verdict prove_nxdomain(const Name& qname, const std::vector<dns::RRset>& denial) {
  if (no_denial(denial)) return none_given(qname);
  if (!uses_nsec3(denial)) return nsec_nxdomain(qname, nsecs_of(denial));
  auto s = nsec3s_of(denial);
  return s.too_many_iterations ? too_many(s) : nsec3_nxdomain(qname, s);
}

Verdict prove_nodata(const Name& qname, uint16_t qtype, const std::vector<dns::RRset>& denial) {
  if (no_denial(denial)) return none_given(qname);
  if (!uses_nsec3(denial)) return nsec_nodata(qname, qtype, nsecs_of(denial));
  auto s = nsec3s_of(denial);
  return s.too_many_iterations ? too_many(s) : nsec3_nodata(qname, qtype, s);
}

Verdict prove_wildcard_answer(const Name& qname, const Name& closest, const std::vector<dns::RRset>& denial) {
  if (no_denial(denial)) return none_given(qname);
  if (!(qname.is_subdomain_of(closest)) || qname.label_count() <= closest.label_count())
    return Verdict::bogus(ede::DNSSEC_BOGUS, "the wildcard's RRSIG does not fit " + qname.to_text());
  if (!uses_nsec3(denial)) {
    auto v = nsecs_of(denial);
    const Nsec* c = nsec_covering(v, qname);
    if (c && implied_encloser(*c, qname) == closest) return Verdict::secure();
    return missing("no NSEC proves that " + qname.to_text() + " does not exist beside the wildcard");
  }
  auto s = nsec3s_of(denial);
  if (s.too_many_iterations) return too_many(s);
  Name next_closer = qname.suffix(closest.label_count() + 1);
  if (const Nsec3* c = Nsec3Proof(s.records).cover(next_closer))
    return c->opt_out ? Verdict::insecure("an opt-out NSEC3 span covers " + next_closer.to_text()) : Verdict::secure();
  return missing("no NSEC3 covers " + next_closer.to_text() + ", the wildcard answer's next closer name");
}

CutProof prove_no_ds(const Name& name, const std::vector<dns::RRset>& denial) {
  if (no_denial(denial)) return {Cut::unproven, none_given(name)};
  auto judge = [&](const TypeSet& t) -> CutProof {
    if (t.has(rrtype::DS) || (t.has(rrtype::SOA) && !name.is_root()))
      return {Cut::unproven, Verdict::bogus(ede::DNSSEC_BOGUS, "the denial of DS at " + name.to_text() +
                                                                   " comes from the wrong side of the cut")};
    if (t.has(rrtype::NS))
      return {Cut::unsigned_delegation, Verdict::insecure(name.to_text() + " is delegated without DS")};
    return {Cut::no_delegation, Verdict::secure()};
  };
  if (!uses_nsec3(denial)) {
    auto v = nsecs_of(denial);
    if (const Nsec* at = nsec_at(v, name)) return judge(at->types);
    if (nsec_covering(v, name)) return {Cut::no_delegation, Verdict::secure()};  // no such name
    return {Cut::unproven, missing("no NSEC proves the absence of DS at " + name.to_text())};
  }
  auto s = nsec3s_of(denial);
  if (s.too_many_iterations) return {Cut::unsigned_delegation, too_many(s)};
  Nsec3Proof p(s.records);
  if (const Nsec3* m = p.match(name)) return judge(m->types);
  auto enc = p.closest_encloser(name);
  if (!enc) return {Cut::unproven, missing("no NSEC3 proves the absence of DS at " + name.to_text())};
  if (enc->next_closer->opt_out)
    return {Cut::unsigned_delegation, Verdict::insecure("an opt-out NSEC3 span covers " + name.to_text())};
  return {Cut::no_delegation, Verdict::secure()};
}

NsecSynthesis synthesize_from_nsec(const Name& qname, uint16_t qtype, const NsecAtOrBefore& at_or_before) {
  NsecSynthesis out;
  // A meta question (ANY) has no type a bitmap could deny.
  if (dns::is_meta_type(qtype) || dns::is_question_only(qtype)) return out;
  const dns::RRset* first = at_or_before(qname);
  if (!first) return out;
  std::vector<const dns::RRset*> used{first};
  auto parsed = nsecs_of({*first});
  if (parsed.empty()) return out;
  // RFC 8198 5.1 needs the wildcard's absence (NXDOMAIN) or its types (NODATA) too.
  if (!(parsed.front().owner == qname))
    if (auto wild = wildcard_at(implied_encloser(parsed.front(), qname)))
      if (const dns::RRset* w = at_or_before(*wild); w && w != first) used.push_back(w);
  return judged_synthesis(qname, qtype, std::move(used));
}

NsecSynthesis synthesize_from_nsec3(const Name& qname, uint16_t qtype, const Name& zone,
                                    const dns::Nsec3Params& params, const Nsec3AtOrBefore& at_or_before) {
  if (dns::is_meta_type(qtype) || dns::is_question_only(qtype) || !qname.is_subdomain_of(zone) ||
      params.iterations > kMaxNsec3Iterations)
    return {};
  bool matched = false;
  const dns::RRset* own = nsec3_record_for(qname, params, at_or_before, matched);
  if (!own) return {};
  if (matched) return judged_synthesis(qname, qtype, {own});  // NODATA (RFC 5155 8.5)
  // RFC 5155 8.3: up from the name to the first ancestor with a matching
  // record; the record met one label below it covers the next closer name.
  const dns::RRset* next_closer = own;
  for (Name ce = qname; ce.label_count() > zone.label_count();) {
    ce = ce.strip_left();
    const dns::RRset* at = nsec3_record_for(ce, params, at_or_before, matched);
    if (!at) return {};
    if (!matched) {
      next_closer = at;
      continue;
    }
    std::vector<const dns::RRset*> used{at};
    auto add = [&](const dns::RRset* r) {
      if (r && std::find(used.begin(), used.end(), r) == used.end()) used.push_back(r);
    };
    add(next_closer);
    if (auto wild = wildcard_at(ce)) add(nsec3_record_for(*wild, params, at_or_before, matched));
    return judged_synthesis(qname, qtype, std::move(used));
  }
  return {};
}

}  // namespace namae::validator
