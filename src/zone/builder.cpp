// Building a ZoneVersion from records (ZoneBuilder, zone/builder.h): the
// staging buffer records are added to, the sort into canonical owner order,
// and the packing of each name's records into one node, with the duplicate,
// TTL and per-name checks of RFC 2181 5 and zone/node_rules.h on the way.
#include "zone/builder.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "dns/rdata.h"
#include "dns/wire.h"
#include "zone/node_rules.h"

namespace namae::zone {

using dns::Name;

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
        if (!dup[m] && dns::rdata::equal_canonical(type, recs[k].rdata, recs[m].rdata)) {
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
            dns::rdata::equal_canonical(type, recs[h[k].second].rdata, recs[h[m].second].rdata)) {
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
  if (!same) start_run(owner);
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

void ZoneBuilder::start_run(std::span<const uint8_t> owner) {
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

// One name's staged records into a node: RRsets in first-seen order,
// duplicates dropped, TTLs made to agree, the per-name rules checked. The
// scratch vectors are reused from one name to the next.
class ZoneBuilder::NodeAssembler {
 public:
  NodeAssembler(std::vector<BuildIssue>& issues, std::vector<uint32_t>& tags)
      : issues_(issues), tags_(tags) {}

  /// The name's records, in file order; filled by ZoneBuilder::gather().
  std::vector<Staged> recs;

  /// The node, or null (with an error in issues) if it cannot be one.
  NodeRef assemble(std::span<const uint8_t> owner, bool apex, const Name& origin) {
    group_rrsets();
    const size_t rrset_bytes = census(owner);
    if (types_.size() > 65535) {
      issues_.push_back({recs.front().line, owner_text(owner) + ": too many RRsets"});
      return {};
    }
    check_node(owner, apex, types_, origin, issues_);
    return write(owner, rrset_bytes);
  }

 private:
  // RRsets keep the order in which their types first appear in the input
  // (NSD does the same, and ANY answers with the first one).
  void group_rrsets() {
    order_.clear();
    bool grouped = true;
    for (size_t k = 0; k < recs.size(); ++k) {
      if (k > 0 && recs[k].key == recs[k - 1].key) continue;
      if (std::find(order_.begin(), order_.end(), recs[k].key) != order_.end())
        grouped = false;
      else
        order_.push_back(recs[k].key);
    }
    if (grouped) return;
    auto rank = [&](uint32_t t) {
      return std::find(order_.begin(), order_.end(), t) - order_.begin();
    };
    std::stable_sort(recs.begin(), recs.end(),
                     [&](const Staged& x, const Staged& y) { return rank(x.key) < rank(y.key); });
  }

  // Counts the grouped RRsets into types_ and bounds_, marking duplicates
  // and records over the RRset limit in dropped_; returns the octets the
  // RRsets take in the node.
  size_t census(std::span<const uint8_t> owner) {
    dropped_.assign(recs.size(), 0);
    types_.clear();
    bounds_.clear();
    size_t rrset_bytes = 0;
    for (size_t a = 0; a < recs.size();) {
      size_t b = a + 1;
      while (b < recs.size() && recs[b].key == recs[a].key) ++b;
      if (b - a > 1) find_duplicates(recs, a, b, dropped_);
      types_.push_back(count_rrset(owner, a, b, rrset_bytes));
      bounds_.push_back(a);
      rrset_bytes += RRsetView::kHeader;
      a = b;
    }
    bounds_.push_back(recs.size());
    return rrset_bytes;
  }

  // The census of the RRset recs[a, b), with its notes and warnings.
  TypeCount count_rrset(std::span<const uint8_t> owner, size_t a, size_t b, size_t& bytes) {
    TypeCount tc{recs[a].type, 0};
    for (size_t k = a; k < b; ++k) {
      const Staged& r = recs[k];
      if (dropped_[k]) {
        issues_.push_back(
            {r.line,
             "duplicate record " + owner_text(owner) + " " + dns::type_to_text(r.type) + " ignored",
             zonefile::Severity::note});
        continue;
      }
      if (tc.count == 65535) {
        issues_.push_back({r.line, owner_text(owner) + " " + dns::type_to_text(r.type) +
                                       ": RRset too large (more than 65535 records)"});
        for (size_t m = k; m < b; ++m) dropped_[m] = 1;
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
      bytes += 2 + r.rdata.size();
    }
    return tc;
  }

  NodeRef write(std::span<const uint8_t> owner, size_t rrset_bytes) {
    NodeWriter w(owner, rrset_bytes, static_cast<uint16_t>(types_.size()));
    for (size_t g = 0; g < types_.size(); ++g) {
      const size_t a = bounds_[g], b = bounds_[g + 1];
      uint32_t bytes = 0;
      for (size_t k = a; k < b; ++k)
        if (!dropped_[k]) bytes += static_cast<uint32_t>(2 + recs[k].rdata.size());
      w.begin_rrset(recs[a].type, recs[a].ttl, static_cast<uint16_t>(types_[g].count), bytes);
      for (size_t k = a; k < b; ++k) {
        if (dropped_[k]) continue;
        w.add_rdata(recs[k].rdata);
        tags_.push_back(recs[k].line);
      }
    }
    return w.finish();
  }

  std::vector<BuildIssue>& issues_;
  std::vector<uint32_t>& tags_;
  std::vector<uint8_t> dropped_;  // per recs index: duplicate (or over the RRset limit)
  std::vector<TypeCount> types_;  // per-node RRset census
  std::vector<uint32_t> order_;   // per-node RRset keys in first-seen order
  std::vector<size_t> bounds_;    // RRset boundaries in recs after grouping
};

void ZoneBuilder::sort_runs() {
  const uint8_t* base = stage_.data();
  // Offsets grow in input order, so the last tie-break keeps file order.
  std::sort(runs_.begin(), runs_.end(), [base](const Run& a, const Run& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (int c = run_key(base + a.offset).compare(run_key(base + b.offset))) return c < 0;
    return a.offset < b.offset;
  });
}

size_t ZoneBuilder::gather(size_t i, NodeAssembler& into) const {
  const uint8_t* base = stage_.data();
  // Sorted runs visit the staging buffer in random order: fetch ahead.
  if (i + 8 < runs_.size()) __builtin_prefetch(base + runs_[i + 8].offset);
  const std::string_view key = run_key(base + runs_[i].offset);
  into.recs.clear();
  size_t j = i;
  for (; j < runs_.size(); ++j) {
    const uint8_t* run = base + runs_[j].offset;
    if (j > i && (runs_[j].prefix != runs_[i].prefix || run_key(run) != key)) break;
    const uint8_t* p = run_records(run);
    for (uint32_t c = 0; c < runs_[j].count; ++c) {
      Staged s;
      p = decode_record(p, s);
      into.recs.push_back(s);
    }
  }
  return j;
}

Result<std::shared_ptr<const ZoneVersion>> ZoneBuilder::build() {
  issues_.clear();
  tags_.clear();
  sort_runs();
  std::vector<NodeRef> nodes;
  nodes.reserve(runs_.size());
  tags_.reserve(staged_);
  NodeAssembler assembler(issues_, tags_);
  bool have_apex = false;
  for (size_t i = 0; i < runs_.size();) {
    const uint8_t* first = stage_.data() + runs_[i].offset;
    const bool apex = run_key(first).empty();
    have_apex = have_apex || apex;
    i = gather(i, assembler);
    if (NodeRef n = assembler.assemble(run_owner(first), apex, origin_))
      nodes.push_back(std::move(n));
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
  return finish(std::move(nodes));
}

Result<std::shared_ptr<const ZoneVersion>> ZoneBuilder::finish(std::vector<NodeRef> nodes) {
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
