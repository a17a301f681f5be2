#include "zone/zone.h"

#include <algorithm>
#include <cassert>
#include <string_view>
#include <unordered_set>

#include "dns/wire.h"

namespace namae::zone {

using dns::Name;
namespace rrtype = dns::rrtype;

bool is_meta_type(uint16_t type) {
  switch (type) {
    case 0:
    case rrtype::OPT:
    case 249:  // TKEY
    case rrtype::TSIG:
    case rrtype::IXFR:
    case rrtype::AXFR:
    case 253:  // MAILB
    case 254:  // MAILA
    case rrtype::ANY:
      return true;
    default:
      return false;
  }
}

namespace {

std::string owner_text(std::span<const uint8_t> wire) {
  auto n = Name::from_wire(wire);
  return n.ok() ? n->to_text() : std::string("?");
}

// Types allowed next to a CNAME (RFC 2181 10.1, RFC 4035 2.5).
bool cname_compatible(uint16_t type) {
  return type == rrtype::CNAME || type == rrtype::RRSIG || type == rrtype::NSEC ||
         type == 50 /* NSEC3 */;
}

struct TypeCount {
  uint16_t type;
  size_t count;
};

// Node-level rules shared by the bulk builder and diffs.
void check_node(std::span<const uint8_t> owner, bool apex, std::span<const TypeCount> types,
                uint32_t line, std::vector<BuildIssue>& errors) {
  bool has_cname = false, has_other = false, has_soa = false, has_ns = false;
  for (const auto& t : types) {
    if (t.count == 0) continue;
    if (t.type == rrtype::CNAME) {
      has_cname = true;
      if (t.count > 1)
        errors.push_back(
            {line, owner_text(owner) + ": more than one CNAME record (RFC 2181 10.1)"});
    } else if (!cname_compatible(t.type)) {
      has_other = true;
    }
    if (t.type == rrtype::DNAME && t.count > 1)
      errors.push_back({line, owner_text(owner) + ": more than one DNAME record (RFC 6672 2.4)"});
    if (t.type == rrtype::SOA) {
      has_soa = true;
      if (!apex)
        errors.push_back({line, owner_text(owner) + ": SOA record not at the zone apex"});
      else if (t.count > 1)
        errors.push_back({line, owner_text(owner) + ": more than one SOA record"});
    }
    if (t.type == rrtype::NS) has_ns = true;
  }
  if (has_cname && (has_other || apex))
    errors.push_back({line, owner_text(owner) + ": CNAME and other data (RFC 1034 3.6.2)"});
  if (apex && !has_soa)
    errors.push_back({line, owner_text(owner) + ": no SOA record at the zone apex"});
  if (apex && !has_ns)
    errors.push_back({line, owner_text(owner) + ": no NS records at the zone apex"});
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

  auto own_flags = [](const Node& n) {
    uint16_t f = 0;
    if (!n.empty() && n.find(rrtype::DNAME)) f |= node_flag::dname;
    return f;
  };
  auto push_child = [&](NodeRef n, size_t parent) {
    uint16_t f = own_flags(*n);
    if (flags[parent] & (node_flag::occluded | node_flag::delegation | node_flag::dname))
      f |= node_flag::occluded;
    if (!n->empty() && n->find(rrtype::NS)) f |= node_flag::delegation;
    if (first_label_is_star(n->owner())) flags[parent] |= node_flag::wildcard_child;
    out.push_back(std::move(n));
    flags.push_back(f);
    stack.push_back(out.size() - 1);
  };

  for (size_t i = 0; i < kept.size(); ++i) {
    if (i == 0) {
      flags.push_back(node_flag::apex | own_flags(*kept[0]));
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

// ---------------------------------------------------------------- ZoneVersion

ZoneVersion::ZoneVersion(const Name& origin, uint16_t rclass, std::vector<NodeRef> nodes)
    : origin_(origin), rclass_(rclass), nodes_(finalize(std::move(nodes))) {
  assert(!nodes_.empty());
  for (const auto& n : nodes_) record_count_ += n->record_count();
  RRsetView s = soa();
  uint32_t minimum = 0;
  if (s && soa_fields(s.first(), serial_, minimum)) negative_ttl_ = std::min(s.ttl(), minimum);
  build_index();
}

void ZoneVersion::build_index() {
  size_t want = 8;
  while (want < nodes_.size() * 2) want <<= 1;
  index_.assign(want, 0);
  mask_ = want - 1;
  for (const auto& n : nodes_) {
    uint64_t h = wire_hash(n->owner());
    auto addr = reinterpret_cast<uintptr_t>(n.get());
    assert((addr & ~kPtrMask) == 0);
    size_t pos = h & mask_;
    while (index_[pos] != 0) pos = (pos + 1) & mask_;
    index_[pos] = (h >> 48) << 48 | addr;
  }
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
  if (n->has(node_flag::wildcard_child)) {
    uint8_t buf[Name::kMaxWire + 2];
    auto owner = n->owner();
    buf[0] = 1;
    buf[1] = '*';
    std::memcpy(buf + 2, owner.data(), owner.size());
    r.wildcard = find(std::span<const uint8_t>(buf, owner.size() + 2));
  }
  return r;
}

size_t ZoneVersion::predecessor(const Name& name) const {
  size_t lo = 0, hi = nodes_.size();  // answer in [lo, hi)
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (nodes_[mid]->owner_name().canonical_compare(name) <= 0)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

std::vector<ZoneRecord> ZoneVersion::records() const {
  std::vector<ZoneRecord> out;
  out.reserve(record_count_);
  for (const auto& n : nodes_) {
    if (n->empty()) continue;
    Name owner = n->owner_name();
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) {
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd)) out.push_back({owner, v.type(), v.ttl(), {rd.begin(), rd.end()}});
    }
  }
  return out;
}

size_t ZoneVersion::memory_usage() const {
  size_t total =
      sizeof(*this) + nodes_.capacity() * sizeof(NodeRef) + index_.capacity() * sizeof(Slot);
  for (const auto& n : nodes_) total += sizeof(Node) + n->owner().size();
  for (const auto& n : nodes_) {
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) total += v.stored_size();
  }
  return total;
}

Result<std::shared_ptr<const ZoneVersion>> ZoneVersion::apply(const ZoneDiff& diff) const {
  struct Change {
    const ZoneRecord* rec;
    bool add;
  };
  std::vector<Change> changes;
  changes.reserve(diff.removed.size() + diff.added.size());
  for (const auto& r : diff.removed) changes.push_back({&r, false});
  for (const auto& r : diff.added) changes.push_back({&r, true});
  for (const auto& c : changes) {
    if (!c.rec->owner.is_subdomain_of(origin_))
      return fail(c.rec->owner.to_text() + " is outside zone " + origin_.to_text());
    if (c.add && is_meta_type(c.rec->type))
      return fail(c.rec->owner.to_text() + ": type " + dns::type_to_text(c.rec->type) +
                  " cannot be stored in a zone");
    if (c.rec->rdata.size() > 65535) return fail(c.rec->owner.to_text() + ": rdata too long");
  }
  // Removals stay before additions at the same name (stable sort).
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return a.rec->owner.canonical_compare(b.rec->owner) < 0;
  });

  struct Replacement {
    const Name* owner;
    NodeRef node;
  };
  std::vector<Replacement> repl;
  std::vector<BuildIssue> errors;
  for (size_t i = 0; i < changes.size();) {
    const Name& owner = changes[i].rec->owner;
    size_t j = i;
    while (j < changes.size() && changes[j].rec->owner == owner) ++j;
    const Node* old = find(owner);
    std::vector<RRsetData> data = old ? old->to_data() : std::vector<RRsetData>{};
    for (size_t k = i; k < j; ++k) {
      const ZoneRecord& r = *changes[k].rec;
      auto it = std::find_if(data.begin(), data.end(),
                             [&](const RRsetData& s) { return s.type == r.type; });
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
    check_node(old ? old->owner() : owner.wire(), apex, tc, 0, errors);
    auto wire = old ? old->owner() : owner.wire();
    repl.push_back(
        {&owner, data.empty() ? Node::make_empty(wire) : Node::make(wire, std::move(data))});
    i = j;
  }
  if (!errors.empty()) {
    std::string msg = errors.front().message;
    for (size_t e = 1; e < errors.size(); ++e) msg += "; " + errors[e].message;
    return fail(msg);
  }

  std::vector<NodeRef> out;
  out.reserve(nodes_.size() + repl.size());
  size_t pos = 0;
  for (auto& r : repl) {
    size_t lo = pos, hi = nodes_.size();  // first index whose name is >= owner
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (nodes_[mid]->owner_name().canonical_compare(*r.owner) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    out.insert(out.end(), nodes_.begin() + pos, nodes_.begin() + lo);
    if (lo < nodes_.size() && wire_equal(nodes_[lo]->owner(), r.owner->wire())) ++lo;
    out.push_back(std::move(r.node));
    pos = lo;
  }
  out.insert(out.end(), nodes_.begin() + pos, nodes_.end());
  return std::shared_ptr<const ZoneVersion>(
      std::make_shared<ZoneVersion>(origin_, rclass_, std::move(out)));
}

// ---------------------------------------------------------------- ZoneBuilder

namespace {

// Staged record: [key_len u8][key][owner_len u8][owner][type u16][ttl u32][line u32][rdlen
// u16][rdata]
struct Staged {
  std::string_view key;
  std::span<const uint8_t> owner;
  uint16_t type;
  uint32_t ttl;
  uint32_t line;
  std::span<const uint8_t> rdata;
};

Staged decode(const uint8_t* p) {
  Staged s;
  size_t kl = p[0];
  s.key = std::string_view(reinterpret_cast<const char*>(p + 1), kl);
  p += 1 + kl;
  size_t ol = p[0];
  s.owner = {p + 1, ol};
  p += 1 + ol;
  std::memcpy(&s.type, p, 2);
  std::memcpy(&s.ttl, p + 2, 4);
  std::memcpy(&s.line, p + 6, 4);
  uint16_t rl;
  std::memcpy(&rl, p + 10, 2);
  s.rdata = {p + 12, rl};
  return s;
}

struct SpanHash {
  size_t operator()(std::span<const uint8_t> s) const {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(s.data()), s.size()));
  }
};
struct SpanEq {
  bool operator()(std::span<const uint8_t> a, std::span<const uint8_t> b) const {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
};

}  // namespace

ZoneBuilder::ZoneBuilder(const Name& origin, uint16_t rclass) : origin_(origin), rclass_(rclass) {}

Result<void> ZoneBuilder::add(const Name& owner, uint16_t type, uint32_t ttl,
                              std::span<const uint8_t> rdata, uint16_t rclass, uint32_t line) {
  if (!owner.is_subdomain_of(origin_))
    return fail(owner.to_text() + " is outside zone " + origin_.to_text());
  if (rclass != rclass_)
    return fail(owner.to_text() + ": class " + dns::class_to_text(rclass) + " in a " +
                dns::class_to_text(rclass_) + " zone");
  if (is_meta_type(type))
    return fail(owner.to_text() + ": type " + dns::type_to_text(type) +
                " cannot be stored in a zone");
  if (rdata.size() > 65535) return fail(owner.to_text() + ": rdata too long");
  std::string key = owner.lookup_key();
  size_t need = 1 + key.size() + 1 + owner.wire_length() + 12 + rdata.size();
  size_t at = stage_.size();
  stage_.resize(at + need);
  uint8_t* p = stage_.data() + at;
  p[0] = static_cast<uint8_t>(key.size());
  std::memcpy(p + 1, key.data(), key.size());
  p += 1 + key.size();
  p[0] = static_cast<uint8_t>(owner.wire_length());
  std::memcpy(p + 1, owner.wire().data(), owner.wire_length());
  p += 1 + owner.wire_length();
  uint16_t rl = static_cast<uint16_t>(rdata.size());
  std::memcpy(p, &type, 2);
  std::memcpy(p + 2, &ttl, 4);
  std::memcpy(p + 6, &line, 4);
  std::memcpy(p + 10, &rl, 2);
  if (!rdata.empty()) std::memcpy(p + 12, rdata.data(), rdata.size());
  offsets_.push_back(at);
  return {};
}

Result<std::shared_ptr<const ZoneVersion>> ZoneBuilder::build() {
  errors_.clear();
  const uint8_t* base = stage_.data();
  std::stable_sort(offsets_.begin(), offsets_.end(), [base](uint64_t a, uint64_t b) {
    Staged x = decode(base + a), y = decode(base + b);
    return x.key < y.key;  // stable: file order within a name
  });

  std::vector<NodeRef> nodes;
  std::vector<Staged> recs;          // one node's records (scratch)
  std::vector<size_t> keep;          // indices into recs that survive deduplication
  std::vector<TypeCount> types;      // per-node type census
  std::vector<uint16_t> type_order;  // per-node types in first-seen order
  std::unordered_set<std::span<const uint8_t>, SpanHash, SpanEq> seen;
  bool have_apex = false;
  std::string origin_key = origin_.lookup_key();

  for (size_t i = 0; i < offsets_.size();) {
    recs.clear();
    recs.push_back(decode(base + offsets_[i]));
    size_t j = i + 1;
    for (; j < offsets_.size(); ++j) {
      Staged s = decode(base + offsets_[j]);
      if (s.key != recs.front().key) break;
      recs.push_back(s);
    }
    // RRsets keep the order in which their types first appear in the input
    // (NSD does the same, and ANY answers with the first one).
    type_order.clear();
    for (const auto& r : recs)
      if (std::find(type_order.begin(), type_order.end(), r.type) == type_order.end())
        type_order.push_back(r.type);
    if (type_order.size() > 1) {
      auto rank = [&](uint16_t t) {
        return std::find(type_order.begin(), type_order.end(), t) - type_order.begin();
      };
      std::stable_sort(recs.begin(), recs.end(), [&](const Staged& x, const Staged& y) {
        return rank(x.type) < rank(y.type);
      });
    }
    bool apex = recs.front().key == origin_key;
    if (apex) have_apex = true;

    // Deduplicate within each type run and settle its TTL.
    keep.clear();
    types.clear();
    size_t rrset_bytes = 0;
    uint16_t rrset_count = 0;
    for (size_t a = 0; a < recs.size();) {
      size_t b = a;
      while (b < recs.size() && recs[b].type == recs[a].type) ++b;
      seen.clear();
      size_t kept = 0;
      bool ttl_warned = false;
      for (size_t k = a; k < b; ++k) {
        if (!seen.insert(recs[k].rdata).second) continue;
        if (recs[k].ttl != recs[a].ttl && !ttl_warned) {
          warnings_.push_back({recs[k].line, owner_text(recs[k].owner) + " " +
                                                 dns::type_to_text(recs[k].type) +
                                                 ": TTLs differ within the RRset; using " +
                                                 std::to_string(recs[a].ttl) + " (RFC 2181 5.2)"});
          ttl_warned = true;
        }
        keep.push_back(k);
        rrset_bytes += 2 + recs[k].rdata.size();
        ++kept;
      }
      if (kept > 65535) {
        errors_.push_back({recs[a].line, owner_text(recs[a].owner) + ": RRset too large"});
        kept = 65535;
      }
      rrset_bytes += RRsetView::kHeader;
      ++rrset_count;
      types.push_back({recs[a].type, kept});
      a = b;
    }
    check_node(recs.front().owner, apex, types, recs.front().line, errors_);

    NodeWriter w(recs.front().owner, rrset_bytes, rrset_count);
    for (size_t x = 0; x < keep.size();) {
      size_t y = x;
      uint32_t bytes = 0;
      while (y < keep.size() && recs[keep[y]].type == recs[keep[x]].type) {
        bytes += 2 + recs[keep[y]].rdata.size();
        ++y;
      }
      const Staged& first = recs[keep[x]];
      w.begin_rrset(first.type, first.ttl, static_cast<uint16_t>(y - x), bytes);
      for (size_t k = x; k < y; ++k) w.add_rdata(recs[keep[k]].rdata);
      x = y;
    }
    nodes.push_back(w.finish());
    i = j;
  }
  if (!have_apex) errors_.push_back({0, origin_.to_text() + ": no SOA record at the zone apex"});

  // The staging buffer is dead weight from here on: give it back before the
  // version's index is allocated so the peak and the final RSS stay low.
  std::vector<uint8_t>().swap(stage_);
  std::vector<uint64_t>().swap(offsets_);

  if (!errors_.empty()) {
    std::string msg = errors_.front().message;
    if (errors_.size() > 1) msg += " (and " + std::to_string(errors_.size() - 1) + " more)";
    return fail(msg);
  }
  return std::shared_ptr<const ZoneVersion>(
      std::make_shared<ZoneVersion>(origin_, rclass_, std::move(nodes)));
}

}  // namespace namae::zone
