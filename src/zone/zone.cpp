#include "zone/zone.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string_view>

#include "dns/rdata.h"
#include "dns/wire.h"

namespace namae::zone {

using dns::Name;
namespace rrtype = dns::rrtype;

namespace {

std::string owner_text(std::span<const uint8_t> wire) {
  auto n = Name::from_wire(wire);
  return n.ok() ? n->to_text() : std::string("?");
}

// Types allowed next to a CNAME (RFC 2181 10.1, RFC 4035 2.5).
bool cname_compatible(uint16_t type) {
  return type == rrtype::CNAME || type == rrtype::RRSIG || type == rrtype::NSEC ||
         type == rrtype::NSEC3;
}

// One RRset's census for the node rules: how many records survived
// deduplication and the tags of the records the messages point at.
struct TypeCount {
  uint16_t type;
  size_t count;
  uint32_t first_line = 0;
  uint32_t second_line = 0;
  uint32_t last_line = 0;
};

std::string zone_label(const Name& origin) {
  std::string s = origin.to_text();
  if (s.size() > 1) s.pop_back();
  return s;
}

// Node-level rules shared by the bulk builder and diffs. The messages follow
// named-checkzone's where it has one.
void check_node(std::span<const uint8_t> owner, bool apex, std::span<const TypeCount> types,
                const Name& origin, std::vector<BuildIssue>& issues) {
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

// Offset of label `k` (0 = leftmost) in an uncompressed wire name.
size_t wire_label_offset(std::span<const uint8_t> wire, size_t k) {
  size_t pos = 0;
  while (k-- > 0) pos += 1 + wire[pos];
  return pos;
}

bool first_label_is_star(std::span<const uint8_t> wire) {
  return wire.size() >= 2 && wire[0] == 1 && wire[1] == '*';
}

// The flags a node's own content gives it (apex; DNAME; NS below the apex,
// i.e. a cut). The rest (occluded, wildcard_child) depend on other names.
uint16_t content_flags(const Node& n, bool apex) {
  uint16_t f = apex ? node_flag::apex : 0;
  if (n.empty()) return f;
  if (n.find(rrtype::DNAME)) f |= node_flag::dname;
  if (!apex && n.find(rrtype::NS)) f |= node_flag::delegation;
  return f;
}

// A cut or a DNAME: what occludes the names below.
bool occludes(const Node& n, bool apex) {
  return (content_flags(n, apex) & (node_flag::delegation | node_flag::dname)) != 0;
}

// Drop empty non-terminals that no longer have descendants, add the ones that
// are missing, and derive every node's flags. `in` is sorted canonically with
// the apex first. Nodes shared with another version are copied only if their
// flags change.
std::vector<NodeRef> finalize(std::vector<NodeRef> in) {
  std::vector<NodeRef> kept;
  kept.reserve(in.size());
  const Node* next = nullptr;
  for (size_t i = in.size(); i-- > 0;) {
    if (i != 0 && in[i]->empty() && !(next && wire_is_subdomain(next->owner(), in[i]->owner())))
      continue;
    if (next && wire_equal(next->owner(), in[i]->owner())) continue;  // duplicate: keep the later
    next = in[i].get();
    kept.push_back(std::move(in[i]));
  }
  std::reverse(kept.begin(), kept.end());
  in.clear();
  in.shrink_to_fit();

  std::vector<NodeRef> out;
  out.reserve(kept.size() + kept.size() / 16 + 1);
  std::vector<uint16_t> flags;
  flags.reserve(out.capacity());
  std::vector<size_t> stack;

  auto push_child = [&](NodeRef n, size_t parent) {
    uint16_t f = content_flags(*n, false);
    if (flags[parent] & (node_flag::occluded | node_flag::delegation | node_flag::dname))
      f |= node_flag::occluded;
    if (first_label_is_star(n->owner())) flags[parent] |= node_flag::wildcard_child;
    out.push_back(std::move(n));
    flags.push_back(f);
    stack.push_back(out.size() - 1);
  };

  for (size_t i = 0; i < kept.size(); ++i) {
    if (i == 0) {
      flags.push_back(content_flags(*kept[0], true));
      out.push_back(std::move(kept[0]));
      stack.push_back(0);
      continue;
    }
    auto owner = kept[i]->owner();
    while (stack.size() > 1 && !wire_is_subdomain(owner, out[stack.back()]->owner()))
      stack.pop_back();
    size_t parent = stack.back();
    size_t pl = out[parent]->label_count(), nl = kept[i]->label_count();
    for (size_t l = pl + 1; l < nl; ++l) {
      push_child(Node::make_empty(owner.subspan(wire_label_offset(owner, nl - l))), parent);
      parent = stack.back();
    }
    push_child(std::move(kept[i]), parent);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i]->flags() == flags[i]) continue;
    if (out[i].unique())
      out[i].set_flags_unique(flags[i]);
    else
      out[i] = out[i]->with_flags(flags[i]);
  }
  return out;
}

// SOA rdata: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM.
bool soa_fields(std::span<const uint8_t> rd, uint32_t& serial, uint32_t& minimum) {
  size_t pos = 0;
  for (int n = 0; n < 2; ++n) {
    while (pos < rd.size() && rd[pos] != 0) pos += 1 + rd[pos];
    ++pos;
  }
  if (pos + 20 != rd.size()) return false;
  serial = dns::get_u32(&rd[pos]);
  minimum = dns::get_u32(&rd[pos + 16]);
  return true;
}

}  // namespace

uint32_t rrset_key(uint16_t type, std::span<const uint8_t> rdata) {
  if (type != rrtype::RRSIG || rdata.size() < 2) return type;
  return uint32_t{type} << 16 | dns::get_u16(rdata.data());
}

// ---------------------------------------------------------------- ZoneVersion

ZoneVersion::ZoneVersion(const Name& origin, uint16_t rclass, std::vector<NodeRef> nodes)
    : origin_(origin), rclass_(rclass) {
  nodes = finalize(std::move(nodes));
  assert(!nodes.empty());
  for (const auto& n : nodes) record_count_ += n->record_count();
  nodes_ = NodeSeq(std::move(nodes));
  apex_ = nodes_.at(0).get();
  read_soa();
  build_index();
}

void ZoneVersion::read_soa() {
  RRsetView s = soa();
  uint32_t minimum = 0;
  if (s && soa_fields(s.first(), serial_, minimum)) negative_ttl_ = std::min(s.ttl(), minimum);
}

void ZoneVersion::build_index(size_t min_nodes) {
  size_t want = 8;
  while (want < std::max(nodes_.size(), min_nodes) * 2) want <<= 1;
  index_.assign(want, 0);
  mask_ = want - 1;
  // Hash every owner first (a sequential walk over the nodes), then insert
  // with the slot a few nodes ahead prefetched: the table is far larger than
  // the cache and each insert would otherwise wait for one miss.
  std::vector<uint64_t> hashes;
  std::vector<const Node*> ptrs;
  hashes.reserve(nodes_.size());
  ptrs.reserve(nodes_.size());
  nodes_.for_each([&](const NodeRef& n) {
    hashes.push_back(wire_hash(n->owner()));
    ptrs.push_back(n.get());
  });
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    if (i + kAhead < ptrs.size()) __builtin_prefetch(&index_[hashes[i + kAhead] & mask_], 1);
    const uint64_t h = hashes[i];
    auto addr = reinterpret_cast<uintptr_t>(ptrs[i]);
    assert((addr & ~kPtrMask) == 0);
    size_t pos = h & mask_;
    while (index_[pos] != 0) pos = (pos + 1) & mask_;
    index_[pos] = (h >> 48) << 48 | addr;
  }
}

void ZoneVersion::index_insert(const Node* n) {
  const uint64_t h = wire_hash(n->owner());
  size_t pos = h & mask_;
  while (index_[pos] != 0) pos = (pos + 1) & mask_;
  index_[pos] = (h >> 48) << 48 | reinterpret_cast<uintptr_t>(n);
}

void ZoneVersion::index_erase(const Node* n) {
  const uint64_t h = wire_hash(n->owner());
  const auto addr = reinterpret_cast<uintptr_t>(n);
  size_t pos = h & mask_;
  while ((index_[pos] & kPtrMask) != addr) {
    assert(index_[pos] != 0);
    pos = (pos + 1) & mask_;
  }
  // Backward-shift deletion (linear probing has no tombstones): move later
  // entries of the probe run into the hole when their home slot allows it.
  size_t hole = pos;
  for (size_t j = (hole + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
    const Node* m = reinterpret_cast<const Node*>(static_cast<uintptr_t>(index_[j] & kPtrMask));
    size_t home = wire_hash(m->owner()) & mask_;
    // The entry at j may fill the hole if its home is not in (hole, j] (cyclically).
    bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!between) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = 0;
}

const Node* ZoneVersion::find(std::span<const uint8_t> wire, uint64_t hash) const {
  const uint64_t tag = (hash >> 48) << 48;
  for (size_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
    Slot s = index_[pos];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      const Node* n = reinterpret_cast<const Node*>(static_cast<uintptr_t>(s & kPtrMask));
      if (wire_equal(n->owner(), wire)) return n;
    }
  }
}

const Node* ZoneVersion::find_hashed(const Name& name, size_t strip, uint64_t hash) const {
  return find(name.wire().subspan(label_offset(name, strip)), hash);
}

const Node* ZoneVersion::highest_cut(const Name& qname, const uint64_t* hashes) const {
  size_t depth = qname.label_count() - origin_.label_count();
  for (size_t strip = depth; strip >= 1; --strip) {
    const Node* n = find_hashed(qname, strip, hashes[strip]);
    if (n && n->has(node_flag::delegation | node_flag::dname)) return n;
  }
  return nullptr;
}

LookupResult ZoneVersion::lookup(const Name& qname) const {
  uint64_t hashes[Name::kMaxLabels + 1];
  suffix_hashes(qname, hashes);
  LookupResult r;
  auto cut = [&](const Node* c) {
    r.node = c;
    r.kind = (c && c->has(node_flag::delegation)) ? LookupResult::Kind::delegation
                                                  : LookupResult::Kind::dname;
    return r;
  };

  const Node* n = find_hashed(qname, 0, hashes[0]);
  if (n) {
    if (n->has(node_flag::occluded)) return cut(highest_cut(qname, hashes));
    if (n->has(node_flag::delegation)) {
      r.at_cut = true;
      return cut(n);
    }
    r.kind = LookupResult::Kind::exact;
    r.node = n;
    return r;
  }
  size_t depth = qname.label_count() - origin_.label_count();
  for (size_t strip = 1; strip <= depth && !n; ++strip)
    n = find_hashed(qname, strip, hashes[strip]);
  if (!n) n = &apex();  // qname outside the zone: callers must not do this
  if (n->has(node_flag::occluded)) return cut(highest_cut(qname, hashes));
  if (n->has(node_flag::delegation | node_flag::dname)) return cut(n);
  r.kind = LookupResult::Kind::nxdomain;
  r.node = n;
  if (n->has(node_flag::wildcard_child)) r.wildcard = find_wildcard_child(n->owner());
  return r;
}

const Node* ZoneVersion::find_wildcard_child(std::span<const uint8_t> owner) const {
  if (owner.size() + 2 > Name::kMaxWire) return nullptr;  // "*." would not fit
  uint8_t buf[Name::kMaxWire];
  buf[0] = 1;
  buf[1] = '*';
  std::memcpy(buf + 2, owner.data(), owner.size());
  return find(std::span<const uint8_t>(buf, owner.size() + 2));
}

size_t ZoneVersion::predecessor(const Name& name) const {
  // The apex sorts before every name of the zone, so the answer is >= 0.
  size_t i = nodes_.lower_bound(name.wire());
  if (i < nodes_.size() && wire_equal(nodes_.at(i)->owner(), name.wire())) return i;
  return i == 0 ? 0 : i - 1;
}

std::vector<dns::Record> ZoneVersion::records() const {
  std::vector<dns::Record> out;
  out.reserve(record_count_);
  nodes_.for_each([&](const NodeRef& n) {
    if (n->empty()) return;
    Name owner = n->owner_name();
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) {
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd))
        out.push_back({owner, v.type(), rclass_, v.ttl(), {rd.begin(), rd.end()}});
    }
  });
  return out;
}

size_t ZoneVersion::memory_usage() const {
  size_t total = sizeof(*this) + nodes_.overhead() + index_.capacity() * sizeof(Slot);
  nodes_.for_each([&](const NodeRef& n) {
    total += sizeof(Node) + n->owner().size();
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) total += v.stored_size();
  });
  return total;
}

struct ZoneVersion::Replacement {
  const Name* owner;
  NodeRef node;  // the name's new content (an empty node if none is left)
};

Result<std::shared_ptr<const ZoneVersion>> ZoneVersion::apply(const ZoneDiff& diff) const {
  auto next = apply_to(diff, nullptr);
  if (!next) return fail(next.message());
  return std::shared_ptr<const ZoneVersion>(std::move(*next));
}

Result<std::shared_ptr<ZoneVersion>> ZoneVersion::apply_in_place(std::shared_ptr<ZoneVersion> v,
                                                                 const ZoneDiff& diff) {
  ZoneVersion& self = *v;
  return self.apply_to(diff, std::move(v));
}

Result<std::shared_ptr<ZoneVersion>> ZoneVersion::apply_to(const ZoneDiff& diff,
                                                           std::shared_ptr<ZoneVersion> target) const {
  struct Change {
    const dns::Record* rec;
    bool add;
  };
  std::vector<Change> changes;
  changes.reserve(diff.removed.size() + diff.added.size());
  for (const auto& r : diff.removed) changes.push_back({&r, false});
  for (const auto& r : diff.added) changes.push_back({&r, true});
  for (const auto& c : changes) {
    if (!c.rec->owner.is_subdomain_of(origin_))
      return fail(c.rec->owner.to_text() + " is outside zone " + origin_.to_text());
    if (c.add && dns::is_meta_type(c.rec->type))
      return fail(c.rec->owner.to_text() + ": type " + dns::type_to_text(c.rec->type) +
                  " cannot be stored in a zone");
    if (c.rec->rdata.size() > 65535) return fail(c.rec->owner.to_text() + ": rdata too long");
  }
  // Removals stay before additions at the same name (stable sort).
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return a.rec->owner.canonical_compare(b.rec->owner) < 0;
  });

  std::vector<Replacement> repl;
  std::vector<BuildIssue> errors;
  // Set when a change makes or removes a cut or DNAME: the occluded flag of
  // every name below changes, so flags are re-derived over the whole zone.
  bool rederive = false;
  for (size_t i = 0; i < changes.size();) {
    const Name& owner = changes[i].rec->owner;
    size_t j = i;
    while (j < changes.size() && changes[j].rec->owner == owner) ++j;
    const Node* old = find(owner);
    std::vector<RRsetData> data = old ? old->to_data() : std::vector<RRsetData>{};
    for (size_t k = i; k < j; ++k) {
      const dns::Record& r = *changes[k].rec;
      const uint32_t key = rrset_key(r.type, r.rdata);
      auto it = std::find_if(data.begin(), data.end(), [&](const RRsetData& s) {
        return !s.rdatas.empty() && rrset_key(s.type, s.rdatas.front()) == key;
      });
      if (!changes[k].add) {
        if (it == data.end()) continue;
        auto& v = it->rdatas;
        v.erase(std::remove(v.begin(), v.end(), r.rdata), v.end());
        if (v.empty()) data.erase(it);
      } else if (it == data.end()) {
        data.push_back({r.type, r.ttl, {r.rdata}});
      } else {
        it->ttl = r.ttl;
        if (std::find(it->rdatas.begin(), it->rdatas.end(), r.rdata) == it->rdatas.end())
          it->rdatas.push_back(r.rdata);
      }
    }
    bool apex = owner == origin_;
    std::vector<TypeCount> tc;
    for (const auto& s : data) tc.push_back({s.type, s.rdatas.size()});
    check_node(old ? old->owner() : owner.wire(), apex, tc, origin_, errors);
    auto wire = old ? old->owner() : owner.wire();
    NodeRef node = data.empty() ? Node::make_empty(wire) : Node::make(wire, std::move(data));
    if (occludes(*node, apex) != (old && occludes(*old, apex))) rederive = true;
    repl.push_back({&owner, std::move(node)});
    i = j;
  }
  if (!errors.empty()) {
    std::string msg = errors.front().message;
    for (size_t e = 1; e < errors.size(); ++e) msg += "; " + errors[e].message;
    return fail(msg);
  }
  // A diff touching a large part of the zone (a journal replay, a big
  // transfer) is cheaper to merge and re-derive in one pass.
  if (rederive || (repl.size() > 64 && repl.size() * 16 > nodes_.size())) {
    std::vector<NodeRef> out;
    out.reserve(nodes_.size() + repl.size());
    size_t r = 0;
    nodes_.for_each([&](const NodeRef& n) {
      for (; r < repl.size() && wire_canonical_compare(repl[r].node->owner(), n->owner()) < 0; ++r)
        out.push_back(std::move(repl[r].node));
      if (r < repl.size() && wire_equal(repl[r].node->owner(), n->owner()))
        out.push_back(std::move(repl[r++].node));
      else
        out.push_back(n);
    });
    for (; r < repl.size(); ++r) out.push_back(std::move(repl[r].node));
    return std::make_shared<ZoneVersion>(origin_, rclass_, std::move(out));
  }
  if (!target) target = std::make_shared<ZoneVersion>(*this);
  target->patch(repl);
  return target;
}

void ZoneVersion::patch(std::vector<Replacement>& repl) {
  const size_t top = origin_.label_count();
  // Worst case every change adds its name and all its missing ancestors: make
  // room first so that inserting never crowds the table past half full.
  size_t growth = 0;
  for (const auto& r : repl) growth += r.owner->label_count() - top;
  if ((nodes_.size() + growth) * 2 > index_.size()) build_index(nodes_.size() + growth);

  std::vector<Name> touched;  // names whose flags are derived again at the end
  std::vector<Name> emptied;  // names left without data: removed unless names below remain
  auto insert = [&](std::span<const uint8_t> owner, NodeRef node) {
    index_insert(node.get());
    nodes_.insert(nodes_.lower_bound(owner), std::move(node));
    Name name = Name::from_wire(owner).value();
    if (name.is_wildcard()) touched.push_back(name.strip_left(1));  // wildcard_child
    touched.push_back(std::move(name));
  };
  for (auto& r : repl) {
    const Name& owner = *r.owner;
    size_t pos = nodes_.find(owner.wire());
    if (pos != nodes_.size()) {
      const Node* old = nodes_.at(pos).get();
      if (old->empty() && r.node->empty()) continue;
      record_count_ = record_count_ - old->record_count() + r.node->record_count();
      index_erase(old);
      index_insert(r.node.get());
      if (r.node->empty()) emptied.push_back(owner);
      nodes_.replace(pos, std::move(r.node));
      touched.push_back(owner);
      continue;
    }
    if (r.node->empty()) continue;  // deleting at a name that does not exist
    // Missing ancestors become empty non-terminals, from the top down.
    const size_t depth = owner.label_count() - top;
    size_t present = depth;  // labels to strip to reach the nearest existing ancestor
    for (size_t strip = 1; strip < depth; ++strip) {
      if (find(owner.wire().subspan(label_offset(owner, strip)))) {
        present = strip;
        break;
      }
    }
    for (size_t strip = present - 1; strip >= 1; --strip) {
      auto wire = owner.wire().subspan(label_offset(owner, strip));
      insert(wire, Node::make_empty(wire));
    }
    record_count_ += r.node->record_count();
    insert(owner.wire(), std::move(r.node));
  }
  // Bottom-up (reverse canonical order), so a removed name's parent sees
  // whether anything is left below it.
  for (size_t e = emptied.size(); e-- > 0;) {
    Name cur = emptied[e];
    while (cur.label_count() > top) {
      size_t pos = nodes_.find(cur.wire());
      if (pos == nodes_.size() || !nodes_.at(pos)->empty()) break;
      if (pos + 1 < nodes_.size() && wire_is_subdomain(nodes_.at(pos + 1)->owner(), cur.wire()))
        break;
      index_erase(nodes_.at(pos).get());
      nodes_.erase(pos);
      const bool wildcard = cur.is_wildcard();
      cur = cur.strip_left(1);
      if (wildcard) touched.push_back(cur);  // its parent loses wildcard_child
    }
  }
  for (const Name& name : touched) {
    size_t pos = nodes_.find(name.wire());
    if (pos == nodes_.size()) continue;
    const Node& n = *nodes_.at(pos);
    uint16_t f = content_flags(n, pos == 0);
    // Occluded below any cut or DNAME; judged by content, since ancestors
    // replaced by this diff carry no flags yet.
    for (size_t strip = 1; strip <= name.label_count() - top; ++strip) {
      const Node* a = find(name.wire().subspan(label_offset(name, strip)));
      if (a && occludes(*a, strip == name.label_count() - top)) {
        f |= node_flag::occluded;
        break;
      }
    }
    if (find_wildcard_child(name.wire())) f |= node_flag::wildcard_child;
    if (f == n.flags()) continue;
    NodeRef& ref = nodes_.writable(pos);
    if (ref.unique()) {
      ref.set_flags_unique(f);
    } else {
      NodeRef copy = ref->with_flags(f);
      index_erase(ref.get());
      index_insert(copy.get());
      ref = std::move(copy);
    }
  }
  apex_ = nodes_.at(0).get();
  read_soa();
}

// ---------------------------------------------------------------- ZoneBuilder

namespace {

// Staging layout. A run of consecutive records with one owner spelling:
//   key_len u8 | key | owner_len u8 | owner | record*
//   record: type u16 | ttl u32 | line u32 | rdlen u16 | rdata
// The key is the owner's lookup key (Name::lookup_key: labels right to left,
// lower-cased, each followed by 0) without the origin's part, which every
// owner shares; bytewise order of keys is canonical name order.
constexpr size_t kRecordHeader = 12;

struct Staged {
  uint32_t key;  // rrset_key()
  uint16_t type;
  uint32_t ttl;
  uint32_t line;
  std::span<const uint8_t> rdata;
};

inline std::string_view run_key(const uint8_t* run) {
  return {reinterpret_cast<const char*>(run + 1), run[0]};
}
inline std::span<const uint8_t> run_owner(const uint8_t* run) {
  const uint8_t* o = run + 1 + run[0];
  return {o + 1, o[0]};
}
inline const uint8_t* run_records(const uint8_t* run) {
  const uint8_t* o = run + 1 + run[0];
  return o + 1 + o[0];
}

const uint8_t* decode_record(const uint8_t* p, Staged& s) {
  std::memcpy(&s.type, p, 2);
  std::memcpy(&s.ttl, p + 2, 4);
  std::memcpy(&s.line, p + 6, 4);
  uint16_t rl;
  std::memcpy(&rl, p + 10, 2);
  s.rdata = {p + kRecordHeader, rl};
  s.key = rrset_key(s.type, s.rdata);
  return p + kRecordHeader + rl;
}

// Equal in canonical form (RFC 4034 6.2: names inside rdata compare without
// case for the types that lower-case them), i.e. duplicates per RFC 2181 5.
bool same_rdata(uint16_t type, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0) return true;
  // Canonical forms only lower-case, so this cheap filter rejects nearly all pairs.
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && dns::ascii_lower(a[i]) != dns::ascii_lower(b[i])) return false;
  return dns::rdata::canonical(type, a) == dns::rdata::canonical(type, b);
}

uint64_t lower_hash(std::span<const uint8_t> d) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t c : d) h = (h ^ dns::ascii_lower(c)) * 1099511628211ull;
  return h;
}

// Marks dup[k] for every record of recs[a, b) equal to an earlier one.
void find_duplicates(const std::vector<Staged>& recs, size_t a, size_t b,
                     std::vector<uint8_t>& dup) {
  const uint16_t type = recs[a].type;
  if (b - a <= 16) {
    for (size_t k = a + 1; k < b; ++k)
      for (size_t m = a; m < k; ++m)
        if (!dup[m] && same_rdata(type, recs[k].rdata, recs[m].rdata)) {
          dup[k] = 1;
          break;
        }
    return;
  }
  // Large RRsets: group by a case-blind hash (equal canonical forms hash
  // alike), then compare within each group in file order.
  std::vector<std::pair<uint64_t, uint32_t>> h;
  h.reserve(b - a);
  for (size_t k = a; k < b; ++k) h.push_back({lower_hash(recs[k].rdata), static_cast<uint32_t>(k)});
  std::sort(h.begin(), h.end());
  for (size_t x = 0; x < h.size();) {
    size_t y = x + 1;
    while (y < h.size() && h[y].first == h[x].first) ++y;
    for (size_t k = x + 1; k < y; ++k)
      for (size_t m = x; m < k; ++m)
        if (!dup[h[m].second] &&
            same_rdata(type, recs[h[k].second].rdata, recs[h[m].second].rdata)) {
          dup[h[k].second] = 1;
          break;
        }
    x = y;
  }
}

}  // namespace

ZoneBuilder::ZoneBuilder(const Name& origin, uint16_t rclass)
    : origin_(origin), rclass_(rclass), origin_labels_(origin.label_count()) {}

void ZoneBuilder::reserve(size_t records, size_t octets) {
  stage_.reserve(octets);
  runs_.reserve(records);
}

std::vector<BuildIssue> ZoneBuilder::filtered(zonefile::Severity s) const {
  std::vector<BuildIssue> out;
  for (const auto& i : issues_)
    if (i.severity == s) out.push_back(i);
  return out;
}

Result<void> ZoneBuilder::add_wire(std::span<const uint8_t> owner, uint16_t type, uint32_t ttl,
                                   std::span<const uint8_t> rdata, uint16_t rclass, uint32_t line) {
  // Zone files list a name's records together: they share one staged key.
  const bool same = !runs_.empty() && stage_[last_owner_] == owner.size() &&
                    std::memcmp(&stage_[last_owner_ + 1], owner.data(), owner.size()) == 0;
  if (!same && !wire_is_subdomain(owner, origin_.wire()))
    return fail("out-of-zone data: " + owner_text(owner) + " is not at or below " +
                origin_.to_text());
  if (rclass != rclass_)
    return fail(owner_text(owner) + ": class " + dns::class_to_text(rclass) + " in a " +
                dns::class_to_text(rclass_) + " zone");
  if (dns::is_meta_type(type))
    return fail(owner_text(owner) + ": type " + dns::type_to_text(type) +
                " cannot be stored in a zone");
  if (rdata.size() > 65535) return fail(owner_text(owner) + ": rdata too long");
  if (!same) {
    uint8_t offs[Name::kMaxLabels];
    size_t n = 0;
    for (size_t pos = 0; pos < owner.size() && owner[pos] != 0; pos += 1 + owner[pos])
      offs[n++] = static_cast<uint8_t>(pos);
    const size_t rel = n - origin_labels_;
    size_t klen = 0;
    for (size_t i = 0; i < rel; ++i) klen += owner[offs[i]] + 1;
    const size_t at = stage_.size();
    stage_.resize(at + 2 + klen + owner.size());
    uint8_t* p = stage_.data() + at;
    p[0] = static_cast<uint8_t>(klen);
    uint8_t* k = p + 1;
    for (size_t i = rel; i-- > 0;) {
      const uint8_t* l = owner.data() + offs[i];
      for (uint8_t j = 1; j <= l[0]; ++j) *k++ = dns::ascii_lower(l[j]);
      *k++ = 0;
    }
    uint64_t prefix = 0;
    for (size_t i = 0; i < 8; ++i) prefix = prefix << 8 | (i < klen ? p[1 + i] : 0);
    k[0] = static_cast<uint8_t>(owner.size());
    std::memcpy(k + 1, owner.data(), owner.size());
    last_owner_ = static_cast<size_t>(k - stage_.data());
    runs_.push_back({prefix, at, 0});
  }
  const size_t at = stage_.size();
  stage_.resize(at + kRecordHeader + rdata.size());
  uint8_t* p = stage_.data() + at;
  const uint16_t rl = static_cast<uint16_t>(rdata.size());
  std::memcpy(p, &type, 2);
  std::memcpy(p + 2, &ttl, 4);
  std::memcpy(p + 6, &line, 4);
  std::memcpy(p + 10, &rl, 2);
  if (!rdata.empty()) std::memcpy(p + kRecordHeader, rdata.data(), rdata.size());
  ++runs_.back().count;
  ++staged_;
  return {};
}

Result<std::shared_ptr<const ZoneVersion>> ZoneBuilder::build() {
  issues_.clear();
  tags_.clear();
  const uint8_t* base = stage_.data();
  // Offsets grow in input order, so the last tie-break keeps file order.
  std::sort(runs_.begin(), runs_.end(), [base](const Run& a, const Run& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (int c = run_key(base + a.offset).compare(run_key(base + b.offset))) return c < 0;
    return a.offset < b.offset;
  });

  std::vector<NodeRef> nodes;
  nodes.reserve(runs_.size());
  tags_.reserve(staged_);
  std::vector<Staged> recs;      // one node's records, file order (scratch)
  std::vector<uint8_t> dropped;  // per recs index: duplicate (or over the RRset limit)
  std::vector<TypeCount> types;  // per-node RRset census
  std::vector<uint32_t> order;   // per-node RRset keys in first-seen order
  std::vector<size_t> bounds;    // RRset boundaries in recs after grouping
  bool have_apex = false;

  for (size_t i = 0; i < runs_.size();) {
    // Sorted runs visit the staging buffer in random order: fetch ahead.
    if (i + 8 < runs_.size()) __builtin_prefetch(base + runs_[i + 8].offset);
    const uint8_t* first = base + runs_[i].offset;
    const std::string_view key = run_key(first);
    recs.clear();
    size_t j = i;
    for (; j < runs_.size(); ++j) {
      const uint8_t* run = base + runs_[j].offset;
      if (j > i && (runs_[j].prefix != runs_[i].prefix || run_key(run) != key)) break;
      const uint8_t* p = run_records(run);
      for (uint32_t c = 0; c < runs_[j].count; ++c) {
        Staged s;
        p = decode_record(p, s);
        recs.push_back(s);
      }
    }
    const auto owner = run_owner(first);
    const bool apex = key.empty();
    if (apex) have_apex = true;

    // RRsets keep the order in which their types first appear in the input
    // (NSD does the same, and ANY answers with the first one).
    order.clear();
    bool grouped = true;
    for (size_t k = 0; k < recs.size(); ++k) {
      if (k > 0 && recs[k].key == recs[k - 1].key) continue;
      if (std::find(order.begin(), order.end(), recs[k].key) != order.end())
        grouped = false;
      else
        order.push_back(recs[k].key);
    }
    if (!grouped) {
      auto rank = [&](uint32_t t) {
        return std::find(order.begin(), order.end(), t) - order.begin();
      };
      std::stable_sort(recs.begin(), recs.end(),
                       [&](const Staged& x, const Staged& y) { return rank(x.key) < rank(y.key); });
    }

    dropped.assign(recs.size(), 0);
    types.clear();
    bounds.clear();
    size_t rrset_bytes = 0;
    for (size_t a = 0; a < recs.size();) {
      size_t b = a + 1;
      while (b < recs.size() && recs[b].key == recs[a].key) ++b;
      if (b - a > 1) find_duplicates(recs, a, b, dropped);
      TypeCount tc{recs[a].type, 0};
      for (size_t k = a; k < b; ++k) {
        const Staged& r = recs[k];
        if (dropped[k]) {
          issues_.push_back({r.line,
                             "duplicate record " + owner_text(owner) + " " +
                                 dns::type_to_text(r.type) + " ignored",
                             zonefile::Severity::note});
          continue;
        }
        if (tc.count == 65535) {
          issues_.push_back({r.line, owner_text(owner) + " " + dns::type_to_text(r.type) +
                                         ": RRset too large (more than 65535 records)"});
          for (size_t m = k; m < b; ++m) dropped[m] = 1;
          break;
        }
        if (r.ttl != recs[a].ttl)
          issues_.push_back({r.line,
                             "TTL " + std::to_string(r.ttl) +
                                 " differs from the RRset's first TTL; set to " +
                                 std::to_string(recs[a].ttl),
                             zonefile::Severity::warning});
        if (tc.count == 0) tc.first_line = r.line;
        if (tc.count == 1) tc.second_line = r.line;
        tc.last_line = r.line;
        ++tc.count;
        rrset_bytes += 2 + r.rdata.size();
      }
      rrset_bytes += RRsetView::kHeader;
      types.push_back(tc);
      bounds.push_back(a);
      a = b;
    }
    bounds.push_back(recs.size());
    if (types.size() > 65535) {
      issues_.push_back({recs.front().line, owner_text(owner) + ": too many RRsets"});
      i = j;
      continue;
    }
    check_node(owner, apex, types, origin_, issues_);

    NodeWriter w(owner, rrset_bytes, static_cast<uint16_t>(types.size()));
    for (size_t g = 0; g < types.size(); ++g) {
      const size_t a = bounds[g], b = bounds[g + 1];
      uint32_t bytes = 0;
      for (size_t k = a; k < b; ++k)
        if (!dropped[k]) bytes += static_cast<uint32_t>(2 + recs[k].rdata.size());
      w.begin_rrset(recs[a].type, recs[a].ttl, static_cast<uint16_t>(types[g].count), bytes);
      for (size_t k = a; k < b; ++k) {
        if (dropped[k]) continue;
        w.add_rdata(recs[k].rdata);
        tags_.push_back(recs[k].line);
      }
    }
    nodes.push_back(w.finish());
    i = j;
  }
  if (!have_apex) {
    issues_.push_back({0, "zone " + zone_label(origin_) + ": has no SOA record"});
    issues_.push_back({0, "zone " + zone_label(origin_) + ": has no NS records"});
  }

  // The staging buffer is dead weight from here on: give it back before the
  // version's index is allocated so the peak and the final RSS stay low.
  std::vector<uint8_t>().swap(stage_);
  std::vector<Run>().swap(runs_);
  staged_ = 0;

  size_t errors = 0;
  const BuildIssue* first_error = nullptr;
  for (const auto& i : issues_)
    if (i.severity == zonefile::Severity::error && errors++ == 0) first_error = &i;
  if (errors) {
    std::vector<uint32_t>().swap(tags_);
    std::string msg = first_error->message;
    if (errors > 1) msg += " (and " + std::to_string(errors - 1) + " more)";
    return fail(msg);
  }
  return std::shared_ptr<const ZoneVersion>(
      std::make_shared<ZoneVersion>(origin_, rclass_, std::move(nodes)));
}

}  // namespace namae::zone
