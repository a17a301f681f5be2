#include "update/engine.h"

#include <cassert>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "update/srp.h"

namespace namae::update {

namespace rc = dns::rcode;
namespace rt = dns::rrtype;
using dns::Record;
using zone::RRsetData;

namespace {

// Types that may share a name with a CNAME (RFC 2181 10.1, RFC 4035 2.5).
bool cname_compatible(uint16_t type) {
  return type == rt::CNAME || type == rt::RRSIG || type == rt::NSEC || type == rt::NSEC3;
}

// Types of which a name holds at most one RR: an add replaces (RFC 2136
// 3.4.2.2 for CNAME and SOA; DNAME by RFC 6672 2.4, as BIND treats it).
bool singleton(uint16_t type) { return type == rt::CNAME || type == rt::SOA || type == rt::DNAME; }

std::string rr_text(const dns::Name& owner, uint16_t type) {
  return owner.to_text() + "/" + dns::type_to_text(type);
}

uint16_t fail_with(uint16_t code, std::string* reason, std::string why) {
  if (reason) *reason = std::move(why);
  return code;
}

}  // namespace

bool serial_gt(uint32_t a, uint32_t b) {
  return a != b && ((a > b && a - b < 0x80000000u) || (a < b && b - a > 0x80000000u));
}

uint32_t next_serial(uint32_t s) {
  uint32_t n = s + 1;
  return n == 0 ? 1 : n;
}

uint32_t soa_serial(std::span<const uint8_t> rd) {
  return rd.size() < 20 ? 0 : dns::get_u32(rd.data() + rd.size() - 20);
}

// ---------------------------------------------------------------- reading

uint16_t read_update(const dns::MessageView& msg, UpdateMessage& out, std::string* reason) {
  const dns::Header& h = msg.header();
  if (h.qdcount != 1)
    return fail_with(
        rc::FORMERR, reason,
        "zone section must hold exactly one RR (ZOCOUNT " + std::to_string(h.qdcount) + ")");
  if (msg.qtype() != rt::SOA)
    return fail_with(rc::FORMERR, reason,
                     "zone section type must be SOA, not " + dns::type_to_text(msg.qtype()));
  out.zone = msg.qname();
  out.zclass = msg.qclass();
  out.prerequisites.clear();
  out.updates.clear();
  for (dns::Section s : {dns::Section::answer, dns::Section::authority}) {
    auto& list = s == dns::Section::answer ? out.prerequisites : out.updates;
    auto cur = msg.records(s);
    dns::RecordView rr;
    while (cur.next(rr)) {
      dns::Record u;
      u.owner = msg.owner(rr);
      u.type = rr.type;
      u.rclass = rr.rclass;
      u.ttl = rr.ttl;
      if (rr.rdlength > 0 && dns::rdata::decode(rr.type, msg.data(), rr.rdata_offset, rr.rdlength,
                                                u.rdata) != dns::WireError::ok)
        return fail_with(rc::FORMERR, reason, "bad rdata in " + rr_text(u.owner, u.type));
      list.push_back(std::move(u));
    }
  }
  return rc::NOERROR;
}

// ---------------------------------------------------------------- prerequisites

uint16_t check_prerequisites(const zone::ZoneVersion& z, const UpdateMessage& msg,
                             std::string* reason) {
  // Value-dependent RRsets collected first and compared whole (3.2.3).
  std::map<std::pair<std::string, uint16_t>, std::pair<const dns::Record*, std::set<dns::RdataBytes>>>
      temp;
  for (const auto& rr : msg.prerequisites) {
    const std::string what = rr_text(rr.owner, rr.type);
    if (rr.ttl != 0) return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": TTL not 0");
    if (!rr.owner.is_subdomain_of(msg.zone))
      return fail_with(rc::NOTZONE, reason, "prerequisite " + what + " is outside the zone");
    const zone::Node* node = z.find(rr.owner);
    if (rr.rclass == dns::rrclass::ANY || rr.rclass == dns::rrclass::NONE) {
      if (!rr.rdata.empty())
        return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": rdata must be empty");
      if (rr.type != rt::ANY && dns::is_meta_type(rr.type))
        return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": meta type");
      const bool in_use = node != nullptr && !node->empty();
      const bool exists =
          rr.type == rt::ANY ? in_use : node != nullptr && node->find(rr.type).valid();
      if (rr.rclass == dns::rrclass::ANY && !exists)
        return fail_with(rr.type == rt::ANY ? rc::NXDOMAIN : rc::NXRRSET, reason,
                         "prerequisite: " + (rr.type == rt::ANY ? rr.owner.to_text() : what) +
                             " does not exist");
      if (rr.rclass == dns::rrclass::NONE && exists)
        return fail_with(
            rr.type == rt::ANY ? rc::YXDOMAIN : rc::YXRRSET, reason,
            "prerequisite: " + (rr.type == rt::ANY ? rr.owner.to_text() : what) + " exists");
      continue;
    }
    if (rr.rclass != msg.zclass)
      return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": bad class");
    if (dns::is_meta_type(rr.type))
      return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": meta type");
    if (auto v = dns::rdata::validate(rr.type, rr.rdata); !v)
      return fail_with(rc::FORMERR, reason, "prerequisite " + what + ": " + v.message());
    auto& slot = temp[{rr.owner.lookup_key(), rr.type}];
    slot.first = &rr;
    slot.second.insert(dns::rdata::canonical(rr.type, rr.rdata));
  }
  for (const auto& [key, val] : temp) {
    const dns::Record& rr = *val.first;
    const zone::Node* node = z.find(rr.owner);
    // Every RRset of the type: RRSIGs are stored one RRset per covered type.
    std::set<dns::RdataBytes> have;
    auto sets = node ? node->rrsets() : zone::Node::Cursor(nullptr, 0);
    zone::RRsetView set;
    while (sets.next(set)) {
      if (set.type() != rr.type) continue;
      auto c = set.rdatas();
      std::span<const uint8_t> rd;
      while (c.next(rd)) have.insert(dns::rdata::canonical(rr.type, rd));
    }
    if (have != val.second)
      return fail_with(rc::NXRRSET, reason,
                       "prerequisite: " + rr_text(rr.owner, rr.type) + " differs from the zone's");
  }
  return rc::NOERROR;
}

// ---------------------------------------------------------------- apply

namespace {

// The working copy of one owner name: its RRsets before and as changed.
struct NameState {
  dns::Name owner;  // spelling used for new names
  std::vector<RRsetData> base;
  std::vector<RRsetData> cur;
};

class Work {
 public:
  explicit Work(const zone::ZoneVersion& z) : zone_(z) {}

  NameState& at(const dns::Name& owner) {
    auto key = owner.lookup_key();
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    NameState st;
    const zone::Node* node = zone_.find(owner);
    st.owner = node ? node->owner_name() : owner;
    if (node) st.base = node->to_data();
    st.cur = st.base;
    return names_.emplace(std::move(key), std::move(st)).first->second;
  }

  // Per name and type: everything removed then added, TTL changes as a
  // remove-all/add-all so the diff (and IXFR from it) is exact.
  void diff(zone::ZoneDiff& out) const {
    for (const auto& kv : names_) {
      const NameState& st = kv.second;  // (clang 14: lambdas cannot capture bindings)
      std::set<uint32_t> keys;
      for (const auto& s : st.base) keys.insert(key_of(s));
      for (const auto& s : st.cur) keys.insert(key_of(s));
      for (uint32_t k : keys) {
        const RRsetData* b = find_key(st.base, k);
        const RRsetData* c = find_key(st.cur, k);
        auto push = [&](std::vector<Record>& v, const RRsetData& s, const dns::RdataBytes& rd) {
          v.push_back({st.owner, s.type, zone_.rclass(), s.ttl, rd});
        };
        if (b && c && b->ttl == c->ttl) {
          for (const auto& rd : b->rdatas)
            if (std::find(c->rdatas.begin(), c->rdatas.end(), rd) == c->rdatas.end())
              push(out.removed, *b, rd);
          for (const auto& rd : c->rdatas)
            if (std::find(b->rdatas.begin(), b->rdatas.end(), rd) == b->rdatas.end())
              push(out.added, *c, rd);
          continue;
        }
        if (b)
          for (const auto& rd : b->rdatas) push(out.removed, *b, rd);
        if (c)
          for (const auto& rd : c->rdatas) push(out.added, *c, rd);
      }
    }
  }

  // The RRset an RR belongs to (zone::rrset_key: the type, and for RRSIG
  // the covered type too). Stored RRsets are never empty.
  static uint32_t key_of(const RRsetData& s) { return zone::rrset_key(s.type, s.rdatas.front()); }
  static RRsetData* find_key(std::vector<RRsetData>& v, uint32_t key) {
    for (auto& s : v)
      if (key_of(s) == key) return &s;
    return nullptr;
  }
  static const RRsetData* find_key(const std::vector<RRsetData>& v, uint32_t key) {
    for (const auto& s : v)
      if (key_of(s) == key) return &s;
    return nullptr;
  }
  static RRsetData* find(std::vector<RRsetData>& v, uint16_t type) {
    for (auto& s : v)
      if (s.type == type) return &s;
    return nullptr;
  }
  static const RRsetData* find(const std::vector<RRsetData>& v, uint16_t type) {
    for (const auto& s : v)
      if (s.type == type) return &s;
    return nullptr;
  }

 private:
  const zone::ZoneVersion& zone_;
  std::map<std::string, NameState> names_;
};

void erase_type(std::vector<RRsetData>& v, uint16_t type) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](const RRsetData& s) { return s.type == type; }),
          v.end());
}

}  // namespace

Evaluation evaluate(const zone::ZoneVersion& z, const UpdateMessage& msg, const Permission& perm,
                    const EngineOptions& opts) {
  Evaluation ev;
  const dns::Name& zname = msg.zone;

  // 3.2: prerequisites.
  ev.rcode = check_prerequisites(z, msg, &ev.reason);
  if (ev.rcode != rc::NOERROR) return ev;
  // RFC 9665 3.3.3: first come, first served, judged on this version.
  if (perm.srp) {
    ev.rcode = check_srp_owner(z, *perm.srp, &ev.reason);
    if (ev.rcode != rc::NOERROR) return ev;
  }

  // 3.3 + 3.4.1: prescan and permissions, RR by RR (BIND's order).
  for (const auto& rr : msg.updates) {
    const std::string what = rr_text(rr.owner, rr.type);
    auto refuse = [&](uint16_t code, const std::string& why) {
      ev.rcode = code;
      ev.reason = "update " + what + ": " + why;
      return ev;
    };
    if (!rr.owner.is_subdomain_of(zname)) return refuse(rc::NOTZONE, "outside the zone");
    if (rr.rclass == msg.zclass) {
      if (dns::is_meta_type(rr.type)) return refuse(rc::FORMERR, "meta type cannot be added");
      if (auto v = dns::rdata::validate(rr.type, rr.rdata); !v)
        return refuse(rc::FORMERR, v.message());
    } else if (rr.rclass == dns::rrclass::ANY) {
      if (rr.ttl != 0 || !rr.rdata.empty())
        return refuse(rc::FORMERR, "delete RRset with TTL or rdata");
      if (rr.type != rt::ANY && dns::is_meta_type(rr.type)) return refuse(rc::FORMERR, "meta type");
    } else if (rr.rclass == dns::rrclass::NONE) {
      if (rr.ttl != 0) return refuse(rc::FORMERR, "delete RR with TTL not 0");
      if (dns::is_meta_type(rr.type)) return refuse(rc::FORMERR, "meta type");
      if (auto v = dns::rdata::validate(rr.type, rr.rdata); !v)
        return refuse(rc::FORMERR, v.message());
    } else {
      return refuse(rc::FORMERR, "bad class " + dns::class_to_text(rr.rclass));
    }
    if (rr.rclass == dns::rrclass::ANY && rr.type == rt::ANY) {
      // Deleting every RRset at a name needs permission for each type there.
      const zone::Node* node = z.find(rr.owner);
      if (node) {
        const bool apex = rr.owner == zname;
        auto c = node->rrsets();
        zone::RRsetView set;
        while (c.next(set)) {
          if (apex && (set.type() == rt::SOA || set.type() == rt::NS)) continue;
          if (!perm.allows(zname, rr.owner, set.type()))
            return refuse(rc::REFUSED, "not allowed to delete " + dns::type_to_text(set.type()));
        }
      }
    } else if (!perm.allows(zname, rr.owner, rr.type)) {
      return refuse(rc::REFUSED, "not allowed");
    }
  }

  // 3.4.2: apply in order to the working copy.
  Work work(z);
  struct Added {
    dns::Name owner;
    uint16_t type;
    dns::RdataBytes rdata;
  };
  std::vector<Added> adds;
  for (const auto& rr : msg.updates) {
    NameState& st = work.at(rr.owner);
    const bool apex = rr.owner == zname;
    if (rr.rclass == msg.zclass) {
      // RFC 2181 8: a TTL with the top bit set means 0 (as the zone file parser reads it).
      uint32_t ttl = rr.ttl > 0x7fffffffu ? 0 : rr.ttl;
      if (opts.dynamic_max_ttl != 0 && rr.type != rt::SOA)
        ttl = std::min(ttl, opts.dynamic_max_ttl);
      if (rr.type == rt::CNAME) {
        bool other = false;
        for (const auto& s : st.cur) other = other || !cname_compatible(s.type);
        if (other) continue;  // 3.4.2.2: CNAME where other data exists is ignored
      } else if (!cname_compatible(rr.type) && Work::find(st.cur, rt::CNAME)) {
        continue;  // other data where a CNAME exists is ignored
      }
      RRsetData* set = Work::find_key(st.cur, zone::rrset_key(rr.type, rr.rdata));
      if (rr.type == rt::SOA) {
        // Only the apex SOA, and only forward (RFC 1982).
        if (!set || set->rdatas.empty() ||
            !serial_gt(soa_serial(rr.rdata), soa_serial(set->rdatas.front())))
          continue;
      }
      if (!set) {
        st.cur.push_back({rr.type, ttl, {rr.rdata}});
        adds.push_back({rr.owner, rr.type, rr.rdata});
        continue;
      }
      set->ttl = ttl;  // the new TTL applies to the whole RRset (as BIND)
      auto it = std::find_if(
          set->rdatas.begin(), set->rdatas.end(),
          [&](const dns::RdataBytes& rd) { return dns::rdata::equal_canonical(rr.type, rd, rr.rdata); });
      if (it != set->rdatas.end()) {
        adds.push_back({rr.owner, rr.type, *it});  // duplicate: ignored, lease renewed
        continue;
      }
      if (singleton(rr.type)) set->rdatas.clear();
      set->rdatas.push_back(rr.rdata);
      adds.push_back({rr.owner, rr.type, rr.rdata});
    } else if (rr.rclass == dns::rrclass::ANY) {
      if (rr.type == rt::ANY) {
        if (apex) {
          st.cur.erase(std::remove_if(st.cur.begin(), st.cur.end(),
                                      [](const RRsetData& s) {
                                        return s.type != rt::SOA && s.type != rt::NS;
                                      }),
                       st.cur.end());
        } else {
          st.cur.clear();
        }
      } else if (apex && (rr.type == rt::SOA || rr.type == rt::NS)) {
        continue;  // never delete the SOA or the apex NS RRset
      } else {
        erase_type(st.cur, rr.type);
      }
    } else {  // NONE: delete one RR
      if (rr.type == rt::SOA) continue;
      RRsetData* set = Work::find_key(st.cur, zone::rrset_key(rr.type, rr.rdata));
      if (!set) continue;
      auto it = std::find_if(
          set->rdatas.begin(), set->rdatas.end(),
          [&](const dns::RdataBytes& rd) { return dns::rdata::equal_canonical(rr.type, rd, rr.rdata); });
      if (it == set->rdatas.end()) continue;
      if (apex && rr.type == rt::NS && set->rdatas.size() == 1) continue;  // the last apex NS stays
      set->rdatas.erase(it);
      if (set->rdatas.empty())
        st.cur.erase(st.cur.begin() + (set - st.cur.data()));
    }
  }

  work.diff(ev.diff);
  // Leases: the added RRs that are still in the zone, as stored.
  std::set<std::tuple<std::string, uint16_t, dns::RdataBytes>> seen;
  for (const auto& a : adds) {
    NameState& st = work.at(a.owner);
    const RRsetData* set = Work::find_key(st.cur, zone::rrset_key(a.type, a.rdata));
    if (!set) continue;
    auto it = std::find_if(set->rdatas.begin(), set->rdatas.end(), [&](const dns::RdataBytes& rd) {
      return dns::rdata::equal_canonical(a.type, rd, a.rdata);
    });
    if (it == set->rdatas.end()) continue;
    if (!seen.insert({a.owner.lookup_key(), a.type, *it}).second) continue;
    ev.added.push_back({st.owner, a.type, z.rclass(), set->ttl, *it});
  }
  return ev;
}

bool apex_ns_have_addresses(const zone::ZoneVersion& z, std::string* reason) {
  auto ns = z.apex().find(rt::NS);
  if (!ns.valid()) return true;
  auto cur = ns.rdatas();
  std::span<const uint8_t> rd;
  while (cur.next(rd)) {
    auto target = dns::Name::from_wire(rd);
    if (!target || !target->is_subdomain_of(z.origin())) continue;  // out of zone: not ours to check
    const zone::Node* node = z.find(*target);  // includes glue below a cut
    if (node && (node->find(rt::A).valid() || node->find(rt::AAAA).valid())) continue;
    if (reason) *reason = "NS target " + target->to_text() + " has no address records";
    return false;
  }
  return true;
}

Result<std::shared_ptr<zone::ZoneVersion>> finish_update(const zone::ZoneVersion& z,
                                                         zone::ZoneDiff& diff,
                                                         std::shared_ptr<zone::ZoneVersion> draft) {
  auto old_soa = z.soa();
  if (!old_soa.valid()) return fail("zone has no SOA");
  const uint32_t old_serial = z.serial();
  const auto old_rd = old_soa.first();
  // The SOA after the update: one the update put in, else the current one.
  Record soa{z.origin(), rt::SOA, z.rclass(), old_soa.ttl(),
             dns::RdataBytes(old_rd.begin(), old_rd.end())};
  bool replaced = false;
  for (auto it = diff.added.begin(); it != diff.added.end();) {
    if (it->type == rt::SOA) {
      soa = *it;
      replaced = true;
      it = diff.added.erase(it);
    } else {
      ++it;
    }
  }
  if (!(replaced && serial_gt(soa_serial(soa.rdata), old_serial))) {
    uint32_t next = next_serial(old_serial);
    dns::put_u32(soa.rdata.data() + soa.rdata.size() - 20, next);
  }
  bool removed = false;
  for (const auto& r : diff.removed) removed = removed || r.type == rt::SOA;
  if (!removed)
    diff.removed.push_back({z.origin(), rt::SOA, z.rclass(), old_soa.ttl(),
                            dns::RdataBytes(old_rd.begin(), old_rd.end())});
  diff.added.push_back(std::move(soa));
  if (draft) {
    assert(draft.get() == &z);
    return zone::ZoneVersion::apply_in_place(std::move(draft), diff);
  }
  auto next = z.apply(diff);
  if (!next) return fail(next.message());
  // A new version nobody else holds yet: the caller may treat it as a draft.
  return std::const_pointer_cast<zone::ZoneVersion>(*next);
}

bool keeps_ns_addresses(const zone::ZoneVersion& z, const zone::ZoneDiff& diff) {
  auto ns = z.apex().find(rt::NS);
  auto is_ns_target = [&](const dns::Name& owner) {
    if (!ns) return false;
    auto c = ns.rdatas();
    std::span<const uint8_t> rd;
    while (c.next(rd))
      if (zone::wire_equal(rd, owner.wire())) return true;
    return false;
  };
  for (const auto* list : {&diff.removed, &diff.added})
    for (const auto& r : *list)
      if (r.type == rt::NS && r.owner == z.origin()) return false;
  for (const auto& r : diff.removed)
    if ((r.type == rt::A || r.type == rt::AAAA) && is_ns_target(r.owner)) return false;
  return true;
}

}  // namespace namae::update
