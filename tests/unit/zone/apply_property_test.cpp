// ZoneVersion::apply against a from-scratch build: random small diffs (adds,
// removals, wildcards, deep names that need empty non-terminals, glue under
// cuts, cuts and DNAMEs coming and going) applied one after another must give
// the version ZoneBuilder makes from the same records: the same nodes in the
// same order, the same flags, every name found through the index, the same
// record count. Both the patching path and the re-deriving path are hit.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dns/rrtype.h"
#include "zone/builder.h"
#include "zone/zone.h"
#include "zone_test_util.h"

namespace namae::zone {
namespace {

using namespace dns::rrtype;
using dns::Name;
using test::N;
using test::name_rdata;
using test::soa_rdata;


// Records keyed the way a zone keeps them (owner lower-cased text, type, rdata).
using Key = std::tuple<std::string, uint16_t, dns::RdataBytes>;

struct Model {
  std::map<Key, dns::Record> recs;
  void remove(const dns::Record& r) { recs.erase({r.owner.lower().to_text(), r.type, r.rdata}); }
  void add(const dns::Record& r) {
    // Adding to an RRset sets the RRset's TTL.
    for (auto& [k, v] : recs)
      if (v.owner == r.owner && v.type == r.type) v.ttl = r.ttl;
    recs[{r.owner.lower().to_text(), r.type, r.rdata}] = r;
  }
  std::shared_ptr<const ZoneVersion> build() const {
    ZoneBuilder b(N("example."));
    for (const auto& [k, r] : recs) EXPECT_TRUE(b.add(r).ok());
    auto z = b.build();
    EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.message());
    return z.ok() ? *z : nullptr;
  }
};

void expect_same(const ZoneVersion& got, const ZoneVersion& want, int step) {
  ASSERT_EQ(got.node_count(), want.node_count()) << "step " << step;
  for (size_t i = 0; i < want.node_count(); ++i) {
    const Node& g = got.node(i);
    const Node& w = want.node(i);
    ASSERT_EQ(g.owner_name(), w.owner_name()) << "step " << step << " node " << i;
    EXPECT_EQ(g.flags(), w.flags()) << "step " << step << " " << w.owner_name().to_text();
    EXPECT_EQ(g.record_count(), w.record_count()) << w.owner_name().to_text();
    EXPECT_EQ(got.find(w.owner_name()), &g) << "index misses " << w.owner_name().to_text();
  }
  EXPECT_EQ(got.record_count(), want.record_count()) << "step " << step;
  EXPECT_EQ(got.serial(), want.serial());
  // Same records with the same TTLs (order inside a node may differ: the
  // builder sorts, a diff appends).
  auto flat = [](const ZoneVersion& z) {
    std::multiset<std::tuple<std::string, uint16_t, uint32_t, dns::RdataBytes>> out;
    for (auto& r : z.records()) out.insert({r.owner.lower().to_text(), r.type, r.ttl, r.rdata});
    return out;
  };
  EXPECT_EQ(flat(got), flat(want)) << "step " << step;
}

// `cuts`: also add and remove NS below the apex and DNAMEs (mostly the
// re-deriving path); without, every diff takes the patching path.
void random_diffs_match_a_fresh_build(bool cuts, uint32_t seed) {
  std::mt19937 rng(seed);
  const char* labels[] = {"a", "b", "c", "*", "x", "Mixed"};
  auto random_name = [&] {
    std::string n;
    int depth = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < depth; ++i) n += std::string(labels[rng() % 6]) + ".";
    return N(n + "example.");
  };
  auto random_record = [&](const Name& owner) {
    dns::Record r{owner, A, dns::rrclass::IN, 60 + static_cast<uint32_t>(rng() % 3), {}};
    switch (cuts ? rng() % 10 : 2 + rng() % 8) {
      case 0:  // a cut (glue below it becomes occluded)
        r.type = NS;
        r.rdata = name_rdata(rng() % 2 ? "ns.a.example." : "ns.other.");
        break;
      case 1:
        r.type = DNAME;
        r.rdata = name_rdata("target.other.");
        break;
      case 2:
      case 3:
        r.type = TXT;
        r.rdata = {1, static_cast<uint8_t>('a' + rng() % 3)};
        break;
      default:
        r.rdata = {192, 0, 2, static_cast<uint8_t>(rng() % 4)};
    }
    return r;
  };

  Model model;
  model.add({N("example."), SOA, dns::rrclass::IN, 3600, soa_rdata(1)});
  model.add({N("example."), NS, dns::rrclass::IN, 3600, name_rdata("ns.example.")});
  model.add({N("ns.example."), A, dns::rrclass::IN, 3600, {192, 0, 2, 53}});
  for (int i = 0; i < 150; ++i) model.add(random_record(random_name()));
  auto cur = model.build();
  ASSERT_NE(cur, nullptr);

  uint32_t serial = 1;
  std::shared_ptr<ZoneVersion> draft;
  std::shared_ptr<const ZoneVersion> published;
  std::shared_ptr<Model> published_model;
  for (int step = 0; step < 1500; ++step) {
    ZoneDiff d;
    std::vector<dns::Record> existing;
    for (const auto& [k, r] : model.recs)
      if (r.type != SOA && !(r.owner == N("example.") && r.type == NS)) existing.push_back(r);
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      if (!existing.empty() && rng() % 2) {
        d.removed.push_back(existing[rng() % existing.size()]);
      } else {
        d.added.push_back(random_record(random_name()));
      }
    }
    // Also the serial bump every update carries.
    d.removed.push_back({N("example."), SOA, dns::rrclass::IN, 3600, soa_rdata(serial)});
    d.added.push_back({N("example."), SOA, dns::rrclass::IN, 3600, soa_rdata(++serial)});
    // Alternate copying and in-place drafts (as the update writer chains a
    // batch); a version published earlier must never change.
    Result<std::shared_ptr<const ZoneVersion>> next = fail("unset");
    if (draft && rng() % 4 != 0) {
      auto in_place = ZoneVersion::apply_in_place(draft, d);
      ASSERT_TRUE(in_place.ok()) << in_place.message();
      draft = *in_place;
      next = std::shared_ptr<const ZoneVersion>(draft);
    } else {
      next = cur->apply(d);
      ASSERT_TRUE(next.ok()) << next.message();
      draft = std::const_pointer_cast<ZoneVersion>(*next);
      if (rng() % 3 == 0) {
        published = cur;
        published_model = std::make_shared<Model>(model);
      }
    }
    for (const auto& r : d.removed) model.remove(r);
    for (const auto& r : d.added) model.add(r);
    auto want = model.build();
    ASSERT_NE(want, nullptr);
    expect_same(**next, *want, step);
    if (published) expect_same(*published, *published_model->build(), step);
    if (::testing::Test::HasFatalFailure()) return;
    cur = *next;
  }
}

TEST(ZoneApplyProperty, PatchedDiffsMatchAFreshBuild) { random_diffs_match_a_fresh_build(false, 1); }
TEST(ZoneApplyProperty, DiffsWithCutsMatchAFreshBuild) { random_diffs_match_a_fresh_build(true, 2); }

}  // namespace
}  // namespace namae::zone
