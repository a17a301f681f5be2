// Diff application: ZoneVersion::apply and apply_in_place. Owns turning a
// ZoneDiff into each changed name's new node (removals, then additions, with
// RFC 2136 3.4.2 semantics: removing what is not there or adding what is is
// no error), the per-name rules on the result (zone/node_rules.h), and the
// choice between patching the version where the names are (patch: nodes,
// empty non-terminals, flags and index entries) and re-deriving the whole
// zone in one pass (rebuilt_with).
#include <algorithm>
#include <cassert>
#include <string>
#include <vector>

#include "zone/node_rules.h"
#include "zone/zone.h"

namespace namae::zone {

using dns::Name;

namespace {

// One record of a diff and which list it came from.
struct Change {
  const dns::Record* rec;
  bool add;
};

// The diff's records in canonical owner order, removals before additions at
// one name; or why the diff cannot apply to the zone at `origin`.
Result<std::vector<Change>> sorted_changes(const ZoneDiff& diff, const Name& origin) {
  std::vector<Change> changes;
  changes.reserve(diff.removed.size() + diff.added.size());
  for (const auto& r : diff.removed) changes.push_back({&r, false});
  for (const auto& r : diff.added) changes.push_back({&r, true});
  for (const auto& c : changes) {
    if (!c.rec->owner.is_subdomain_of(origin))
      return fail(c.rec->owner.to_text() + " is outside zone " + origin.to_text());
    if (c.add && dns::is_meta_type(c.rec->type))
      return fail(c.rec->owner.to_text() + ": type " + dns::type_to_text(c.rec->type) +
                  " cannot be stored in a zone");
    if (c.rec->rdata.size() > 65535) return fail(c.rec->owner.to_text() + ": rdata too long");
  }
  // Removals stay before additions at the same name (stable sort).
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return a.rec->owner.canonical_compare(b.rec->owner) < 0;
  });
  return changes;
}

// Applies one name's changes to its RRsets. Adding to an RRset sets its TTL.
void merge(std::vector<RRsetData>& data, std::span<const Change> changes) {
  for (const Change& c : changes) {
    const dns::Record& r = *c.rec;
    const uint32_t key = rrset_key(r.type, r.rdata);
    auto it = std::find_if(data.begin(), data.end(), [&](const RRsetData& s) {
      return !s.rdatas.empty() && rrset_key(s.type, s.rdatas.front()) == key;
    });
    if (!c.add) {
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
}

// The name's node after `changes` (an empty node if nothing is left), its
// rule violations appended to `errors`. `old` is the node today, if any.
NodeRef changed_node(const Node* old, const Name& owner, std::span<const Change> changes,
                     const Name& origin, std::vector<BuildIssue>& errors) {
  std::vector<RRsetData> data = old ? old->to_data() : std::vector<RRsetData>{};
  merge(data, changes);
  std::vector<TypeCount> tc;
  for (const auto& s : data) tc.push_back({s.type, s.rdatas.size()});
  // The stored spelling of an existing name wins over the diff's.
  auto wire = old ? old->owner() : owner.wire();
  check_node(wire, owner == origin, tc, origin, errors);
  return data.empty() ? Node::make_empty(wire) : Node::make(wire, std::move(data));
}

std::string joined_messages(const std::vector<BuildIssue>& issues) {
  std::string msg = issues.front().message;
  for (size_t e = 1; e < issues.size(); ++e) msg += "; " + issues[e].message;
  return msg;
}

}  // namespace

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

Result<std::shared_ptr<ZoneVersion>> ZoneVersion::apply_to(
    const ZoneDiff& diff, std::shared_ptr<ZoneVersion> target) const {
  auto changes = sorted_changes(diff, origin_);
  if (!changes) return fail(changes.message());
  const std::span<const Change> all(*changes);
  std::vector<Replacement> repl;
  std::vector<BuildIssue> errors;
  // Set when a change makes or removes a cut or DNAME: the occluded flag of
  // every name below changes, so flags are re-derived over the whole zone.
  bool rederive = false;
  for (size_t i = 0; i < all.size();) {
    const Name& owner = all[i].rec->owner;
    size_t j = i;
    while (j < all.size() && all[j].rec->owner == owner) ++j;
    const Node* old = find(owner);
    NodeRef node = changed_node(old, owner, all.subspan(i, j - i), origin_, errors);
    const bool apex = owner == origin_;
    if (occludes(*node, apex) != (old && occludes(*old, apex))) rederive = true;
    repl.push_back({&owner, std::move(node)});
    i = j;
  }
  if (!errors.empty()) return fail(joined_messages(errors));
  // A diff touching a large part of the zone (a journal replay, a big
  // transfer) is cheaper to merge and re-derive in one pass.
  if (rederive || (repl.size() > 64 && repl.size() * 16 > nodes_.size())) return rebuilt_with(repl);
  if (!target) target = std::make_shared<ZoneVersion>(*this);
  target->patch(repl);
  return target;
}

std::shared_ptr<ZoneVersion> ZoneVersion::rebuilt_with(std::vector<Replacement>& repl) const {
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

void ZoneVersion::patch(std::vector<Replacement>& repl) {
  const size_t top = origin_.label_count();
  // Worst case every change adds its name and all its missing ancestors: make
  // room first so that inserting never crowds the table past half full.
  size_t growth = 0;
  for (const auto& r : repl) growth += r.owner->label_count() - top;
  if ((nodes_.size() + growth) * 2 > index_.size()) build_index(nodes_.size() + growth);

  std::vector<Name> touched;  // names whose flags are derived again at the end
  std::vector<Name> emptied;  // names left without data: removed unless names below remain
  for (auto& r : repl) put_name(r, touched, emptied);
  drop_emptied(emptied, touched);
  for (const Name& name : touched) reflag(name);
  apex_ = nodes_.at(0).get();
  read_soa();
}

void ZoneVersion::put_name(Replacement& r, std::vector<Name>& touched, std::vector<Name>& emptied) {
  const Name& owner = *r.owner;
  size_t pos = nodes_.find(owner.wire());
  if (pos != nodes_.size()) {
    const Node* old = nodes_.at(pos).get();
    if (old->empty() && r.node->empty()) return;
    record_count_ = record_count_ - old->record_count() + r.node->record_count();
    nsec3_index_remove(*old);
    nsec3_index_add(*r.node);
    index_erase(old);
    index_insert(r.node.get());
    if (r.node->empty()) emptied.push_back(owner);
    nodes_.replace(pos, std::move(r.node));
    touched.push_back(owner);
    return;
  }
  if (r.node->empty()) return;  // deleting at a name that does not exist
  // Missing ancestors become empty non-terminals, from the top down.
  const size_t depth = owner.label_count() - origin_.label_count();
  size_t present = depth;  // labels to strip to reach the nearest existing ancestor
  for (size_t strip = 1; strip < depth; ++strip) {
    if (find(owner.wire().subspan(label_offset(owner, strip)))) {
      present = strip;
      break;
    }
  }
  for (size_t strip = present - 1; strip >= 1; --strip) {
    auto wire = owner.wire().subspan(label_offset(owner, strip));
    insert_node(wire, Node::make_empty(wire), touched);
  }
  record_count_ += r.node->record_count();
  insert_node(owner.wire(), std::move(r.node), touched);
}

void ZoneVersion::insert_node(std::span<const uint8_t> owner, NodeRef node,
                              std::vector<Name>& touched) {
  index_insert(node.get());
  nsec3_index_add(*node);
  nodes_.insert(nodes_.lower_bound(owner), std::move(node));
  Name name = Name::from_wire(owner).value();
  if (name.is_wildcard()) touched.push_back(name.strip_left(1));  // wildcard_child
  touched.push_back(std::move(name));
}

void ZoneVersion::drop_emptied(const std::vector<Name>& emptied, std::vector<Name>& touched) {
  const size_t top = origin_.label_count();
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
}

void ZoneVersion::reflag(const Name& name) {
  const size_t top = origin_.label_count();
  size_t pos = nodes_.find(name.wire());
  if (pos == nodes_.size()) return;
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
  if (f == n.flags()) return;
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

}  // namespace namae::zone
