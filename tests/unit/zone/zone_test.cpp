// ZoneVersion / ZoneBuilder / ZoneDiff / ZoneSet: structure (empty
// non-terminals, cut and occlusion flags), lookups, validation errors,
// diffs sharing untouched nodes, longest-match zone selection.
#include "zone/zone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "zone/builder.h"
#include "zone/load.h"
#include "zone/zone_set.h"
#include "zone_test_util.h"

namespace namae::zone {
namespace {

using namespace dns::rrtype;
using dns::Name;
using Kind = LookupResult::Kind;
using test::N;
using test::name_rdata;
using test::soa_rdata;

dns::RdataBytes a(uint8_t last) { return {192, 0, 2, last}; }

// A builder with the minimum a zone needs (SOA and NS at the apex).
ZoneBuilder base(const std::string& origin = "example.") {
  ZoneBuilder b(N(origin));
  EXPECT_TRUE(b.add(N(origin), SOA, 3600, soa_rdata()).ok());
  EXPECT_TRUE(b.add(N(origin), NS, 3600, name_rdata(origin == "." ? "ns." : "ns." + origin)).ok());
  return b;
}

std::shared_ptr<const ZoneVersion> build(ZoneBuilder& b) {
  auto z = b.build();
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.message());
  return z.ok() ? *z : nullptr;
}

std::vector<std::string> names(const ZoneVersion& z) {
  std::vector<std::string> out;
  for (size_t i = 0; i < z.node_count(); ++i) out.push_back(z.node(i).owner_name().to_text());
  return out;
}

TEST(ZoneBuilder, CanonicalOrderWithEmptyNonTerminals) {
  auto b = base();
  ASSERT_TRUE(b.add(N("a.b.c.example."), A, 60, a(1)).ok());
  ASSERT_TRUE(b.add(N("Z.example."), A, 60, a(2)).ok());
  ASSERT_TRUE(b.add(N("yljkjljk.a.example."), A, 60, a(3)).ok());
  ASSERT_TRUE(b.add(N("*.z.example."), A, 60, a(4)).ok());
  ASSERT_TRUE(b.add(N("\\001.z.example."), A, 60, a(5)).ok());
  ASSERT_TRUE(b.add(N("zABC.a.EXAMPLE."), A, 60, a(6)).ok());
  auto z = build(b);
  ASSERT_TRUE(z);
  // RFC 4034 6.1's example order; the ENTs a, c, b.c are nodes.
  EXPECT_EQ(names(*z), (std::vector<std::string>{"example.", "a.example.", "yljkjljk.a.example.",
                                                 "zABC.a.EXAMPLE.", "c.example.", "b.c.example.",
                                                 "a.b.c.example.", "Z.example.", "\\001.z.example.",
                                                 "*.z.example."}));
  EXPECT_TRUE(z->find(N("b.c.example."))->empty());
  EXPECT_TRUE(z->find(N("a.example."))->empty());
  EXPECT_TRUE(z->find(N("z.example."))->has(node_flag::wildcard_child));
  EXPECT_TRUE(z->apex().has(node_flag::apex));
  EXPECT_EQ(z->serial(), 42u);
  EXPECT_EQ(z->negative_ttl(), 300u);
  EXPECT_EQ(z->record_count(), 8u);
  EXPECT_EQ(z->predecessor(N("b.example.")), 3u);  // zABC.a sorts just before b
  EXPECT_EQ(z->predecessor(N("c.example.")), 4u);
}

TEST(ZoneBuilder, FindIsCaseInsensitiveAndKeepsZoneCase) {
  auto b = base();
  ASSERT_TRUE(b.add(N("WwW.example."), A, 60, a(1)).ok());
  ASSERT_TRUE(b.add(N("www.example."), A, 60, a(2)).ok());
  auto z = build(b);
  const Node* n = z->find(N("WWW.EXAMPLE."));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->owner_name().to_text(), "WwW.example.");
  EXPECT_EQ(n->find(A).count(), 2u);
  EXPECT_FALSE(z->find(N("wwww.example.")));
}

TEST(ZoneBuilder, DuplicatesDroppedAndTtlUnified) {
  auto b = base();
  ASSERT_TRUE(b.add(N("x.example."), A, 60, a(1), dns::rrclass::IN, 10).ok());
  ASSERT_TRUE(b.add(N("x.example."), A, 120, a(2), dns::rrclass::IN, 11).ok());
  ASSERT_TRUE(b.add(N("x.example."), A, 60, a(1), dns::rrclass::IN, 12).ok());
  auto z = build(b);
  RRsetView s = z->find(N("x.example."))->find(A);
  EXPECT_EQ(s.count(), 2u);
  EXPECT_EQ(s.ttl(), 60u);
  ASSERT_EQ(b.warnings().size(), 1u);
  EXPECT_EQ(b.warnings()[0].line, 11u);
}

TEST(ZoneBuilder, RejectsBadRecordsAtAdd) {
  ZoneBuilder b(N("example."));
  EXPECT_FALSE(b.add(N("example.org."), A, 60, a(1)).ok());
  EXPECT_FALSE(b.add(N("org."), A, 60, a(1)).ok());
  EXPECT_FALSE(b.add(N("x.example."), A, 60, a(1), dns::rrclass::CH).ok());
  EXPECT_FALSE(b.add(N("x.example."), OPT, 60, {}).ok());
  EXPECT_FALSE(b.add(N("x.example."), ANY, 60, {}).ok());
  EXPECT_FALSE(b.add(N("x.example."), AXFR, 60, {}).ok());
  EXPECT_EQ(b.staged(), 0u);
}

TEST(ZoneBuilder, StructuralErrors) {
  {
    ZoneBuilder b(N("example."));
    ASSERT_TRUE(b.add(N("x.example."), A, 60, a(1)).ok());
    EXPECT_FALSE(b.build().ok());  // no SOA at all
  }
  {
    ZoneBuilder b(N("example."));
    ASSERT_TRUE(b.add(N("example."), SOA, 60, soa_rdata()).ok());
    auto r = b.build();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("no NS"), std::string::npos);
  }
  {
    auto b = base();
    auto soa2 = soa_rdata();
    soa2.back() = 1;
    ASSERT_TRUE(b.add(N("example."), SOA, 60, soa2).ok());
    EXPECT_FALSE(b.build().ok());  // two SOAs
  }
  {
    auto b = base();
    ASSERT_TRUE(b.add(N("sub.example."), SOA, 60, soa_rdata(), dns::rrclass::IN, 7).ok());
    EXPECT_FALSE(b.build().ok());
    ASSERT_FALSE(b.errors().empty());
    EXPECT_EQ(b.errors()[0].line, 7u);
  }
  {
    auto b = base();
    ASSERT_TRUE(b.add(N("c.example."), CNAME, 60, name_rdata("x.example.")).ok());
    ASSERT_TRUE(b.add(N("c.example."), A, 60, a(1)).ok());
    auto r = b.build();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("CNAME and other data"), std::string::npos);
  }
  {
    auto b = base();
    ASSERT_TRUE(b.add(N("c.example."), CNAME, 60, name_rdata("x.example.")).ok());
    ASSERT_TRUE(b.add(N("c.example."), CNAME, 60, name_rdata("y.example.")).ok());
    EXPECT_FALSE(b.build().ok());
  }
  {
    auto b = base();
    ASSERT_TRUE(b.add(N("example."), CNAME, 60, name_rdata("x.example.")).ok());
    EXPECT_FALSE(b.build().ok());  // CNAME at the apex
  }
  {
    auto b = base();  // CNAME next to RRSIG/NSEC is fine (RFC 4035 2.5)
    ASSERT_TRUE(b.add(N("c.example."), CNAME, 60, name_rdata("x.example.")).ok());
    ASSERT_TRUE(b.add(N("c.example."), NSEC, 60, name_rdata("d.example.")).ok());
    EXPECT_TRUE(b.build().ok());
  }
}

TEST(ZoneLookup, CutsDnamesAndOcclusion) {
  auto b = base();
  ASSERT_TRUE(b.add(N("child.example."), NS, 60, name_rdata("ns.child.example.")).ok());
  ASSERT_TRUE(b.add(N("ns.child.example."), A, 60, a(1)).ok());
  ASSERT_TRUE(b.add(N("deep.x.child.example."), A, 60, a(2)).ok());
  ASSERT_TRUE(b.add(N("inner.deep.x.child.example."), NS, 60, name_rdata("ns.example.")).ok());
  ASSERT_TRUE(b.add(N("dn.example."), DNAME, 60, name_rdata("example.net.")).ok());
  ASSERT_TRUE(b.add(N("a.dn.example."), A, 60, a(3)).ok());
  ASSERT_TRUE(b.add(N("www.example."), A, 60, a(4)).ok());
  ASSERT_TRUE(b.add(N("*.w.example."), A, 60, a(5)).ok());
  auto z = build(b);

  auto r = z->lookup(N("www.example."));
  EXPECT_EQ(r.kind, Kind::exact);
  r = z->lookup(N("child.example."));
  EXPECT_EQ(r.kind, Kind::delegation);
  EXPECT_TRUE(r.at_cut);
  for (const char* n : {"ns.child.example.", "nope.child.example.", "deep.x.child.example.",
                        "a.inner.deep.x.child.example.", "x.child.example."}) {
    r = z->lookup(N(n));
    EXPECT_EQ(r.kind, Kind::delegation) << n;
    EXPECT_FALSE(r.at_cut) << n;
    EXPECT_EQ(r.node->owner_name(), N("child.example.")) << n;  // the highest cut
  }
  EXPECT_TRUE(z->find(N("ns.child.example."))->has(node_flag::occluded));
  EXPECT_FALSE(z->find(N("child.example."))->has(node_flag::occluded));
  r = z->lookup(N("dn.example."));
  EXPECT_EQ(r.kind, Kind::exact);
  for (const char* n : {"a.dn.example.", "b.dn.example.", "x.y.dn.example."}) {
    r = z->lookup(N(n));
    EXPECT_EQ(r.kind, Kind::dname) << n;
    EXPECT_EQ(r.node->owner_name(), N("dn.example.")) << n;
  }
  r = z->lookup(N("nope.example."));
  EXPECT_EQ(r.kind, Kind::nxdomain);
  EXPECT_EQ(r.node, &z->apex());
  EXPECT_EQ(r.wildcard, nullptr);
  r = z->lookup(N("a.b.w.example."));
  EXPECT_EQ(r.kind, Kind::nxdomain);
  EXPECT_EQ(r.node->owner_name(), N("w.example."));
  ASSERT_TRUE(r.wildcard);
  EXPECT_EQ(r.wildcard->owner_name(), N("*.w.example."));
  r = z->lookup(N("EXAMPLE."));
  EXPECT_EQ(r.kind, Kind::exact);
  EXPECT_EQ(r.node, &z->apex());
}

TEST(ZoneDiff, AddRemoveSharesUntouchedNodes) {
  auto b = base();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(b.add(N("h" + std::to_string(i) + ".example."), A, 60, a(i)).ok());
  auto v1 = build(b);
  ZoneDiff d;
  d.removed.push_back({N("h3.example."), A, dns::rrclass::IN, 60, a(3)});
  d.removed.push_back({N("h4.example."), A, dns::rrclass::IN, 60, a(99)});  // not there: ignored
  d.added.push_back({N("h4.example."), A, dns::rrclass::IN, 300, a(200)});
  d.added.push_back({N("x.y.new.example."), TXT, dns::rrclass::IN, 60, {3, 'a', 'b', 'c'}});
  auto v2r = v1->apply(d);
  ASSERT_TRUE(v2r.ok()) << v2r.message();
  auto v2 = *v2r;
  EXPECT_EQ(v2->find(N("h3.example.")), nullptr);  // gone, not even an ENT
  EXPECT_EQ(v2->lookup(N("h3.example.")).kind, Kind::nxdomain);
  RRsetView h4 = v2->find(N("h4.example."))->find(A);
  EXPECT_EQ(h4.count(), 2u);
  EXPECT_EQ(h4.ttl(), 300u);  // adding to an RRset sets its TTL
  EXPECT_TRUE(v2->find(N("y.new.example."))->empty());
  EXPECT_TRUE(v2->find(N("new.example."))->empty());
  // Untouched nodes are the very same objects; the old version is unchanged.
  EXPECT_EQ(v2->find(N("h10.example.")), v1->find(N("h10.example.")));
  EXPECT_NE(v1->find(N("h3.example.")), nullptr);
  EXPECT_EQ(v1->find(N("h4.example."))->find(A).count(), 1u);
  EXPECT_EQ(v2->record_count(), v1->record_count() + 1);

  // Removing the last name below an ENT removes the ENT too.
  ZoneDiff d2;
  d2.removed.push_back({N("x.y.new.example."), TXT, dns::rrclass::IN, 60, {3, 'a', 'b', 'c'}});
  auto v3 = *v2->apply(d2);
  EXPECT_EQ(v3->find(N("new.example.")), nullptr);
  EXPECT_EQ(v3->node_count(), v1->node_count() - 1 + 0);  // h3 gone
}

TEST(ZoneDiff, FlagsFollowNewCutsAndRejectsBadResults) {
  auto b = base();
  ASSERT_TRUE(b.add(N("host.sub.example."), A, 60, a(1)).ok());
  auto v1 = build(b);
  ZoneDiff d;
  d.added.push_back({N("sub.example."), NS, dns::rrclass::IN, 60, name_rdata("ns.other.")});
  auto v2 = *v1->apply(d);
  EXPECT_EQ(v2->lookup(N("host.sub.example.")).kind, Kind::delegation);
  EXPECT_TRUE(v2->find(N("host.sub.example."))->has(node_flag::occluded));
  EXPECT_FALSE(v1->find(N("host.sub.example."))->has(node_flag::occluded));  // not mutated
  EXPECT_EQ(v1->lookup(N("host.sub.example.")).kind, Kind::exact);

  ZoneDiff bad;
  bad.added.push_back(
      {N("host.sub.example."), CNAME, dns::rrclass::IN, 60, name_rdata("x.example.")});
  EXPECT_FALSE(v1->apply(bad).ok());
  ZoneDiff nosoa;
  nosoa.removed.push_back({N("example."), SOA, dns::rrclass::IN, 3600, soa_rdata()});
  EXPECT_FALSE(v1->apply(nosoa).ok());
  ZoneDiff outside;
  outside.added.push_back({N("example.org."), A, dns::rrclass::IN, 60, a(1)});
  EXPECT_FALSE(v1->apply(outside).ok());
}

TEST(ZoneSet, LongestMatch) {
  auto z1 = build(*std::make_unique<ZoneBuilder>(base("example.")));
  auto z2 = build(*std::make_unique<ZoneBuilder>(base("sub.example.")));
  auto z3 = build(*std::make_unique<ZoneBuilder>(base(".")));
  ZoneSet s({z1, z2});
  EXPECT_EQ(s.find(N("www.example.")), z1.get());
  EXPECT_EQ(s.find(N("EXAMPLE.")), z1.get());
  EXPECT_EQ(s.find(N("a.b.SUB.example.")), z2.get());
  EXPECT_EQ(s.find(N("sub.example.")), z2.get());
  EXPECT_EQ(s.find(N("ub.example.")), z1.get());
  EXPECT_EQ(s.find(N("example.org.")), nullptr);
  EXPECT_EQ(s.find(N(".")), nullptr);
  EXPECT_EQ(s.get(N("sub.example.")), z2);
  auto s2 = s.with(z3);
  EXPECT_EQ(s2->find(N("example.org.")), z3.get());
  EXPECT_EQ(s2->find(N("x.sub.example.")), z2.get());
  auto s3 = s2->without(N("sub.example."));
  EXPECT_EQ(s3->find(N("x.sub.example.")), z1.get());
  EXPECT_EQ(s3->size(), 2u);
  ZoneSet empty;
  EXPECT_EQ(empty.find(N("example.")), nullptr);
}

TEST(ZoneSetHolder, PublishAndReclaim) {
  auto z1 = build(*std::make_unique<ZoneBuilder>(base("example.")));
  ZoneSetHolder h(std::make_shared<const ZoneSet>(std::vector{z1}));
  auto g = h.generation();
  auto reader = h.snapshot();  // a worker still reading the old one
  h.publish(std::make_shared<const ZoneSet>());
  EXPECT_NE(h.generation(), g);
  EXPECT_EQ(h.snapshot()->size(), 0u);
  EXPECT_EQ(h.reclaim(), 1u);  // held by the reader
  reader.reset();
  EXPECT_EQ(h.reclaim(), 0u);
}

TEST(ZoneLoad, FromTextWithDiagnostics) {
  std::vector<zonefile::Diagnostic> diags;
  auto z = load_zone_text("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n", "t.zone",
                          N("example."), diags);
  ASSERT_TRUE(z.ok()) << z.message();
  EXPECT_EQ((*z)->record_count(), 3u);
  diags.clear();
  z = load_zone_text(
      "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww CNAME ns\nwww A 192.0.2.1\n"
      "out.example.org. A 192.0.2.2\n",
      "bad.zone", N("example."), diags);
  EXPECT_FALSE(z.ok());
  bool saw_out = false;
  for (const auto& d : diags)
    if (d.file == "bad.zone" && d.line == 6) saw_out = true;
  EXPECT_TRUE(saw_out);
  diags.clear();
  z = load_zone_text("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww CNAME ns\nwww A 192.0.2.1\n",
                     "bad.zone", N("example."), diags);
  ASSERT_FALSE(z.ok());
  bool saw_cname = false;
  for (const auto& d : diags)
    if (d.file == "bad.zone" && (d.line == 4 || d.line == 5) &&
        d.message.find("CNAME") != std::string::npos)
      saw_cname = true;
  EXPECT_TRUE(saw_cname);
}

}  // namespace
}  // namespace namae::zone
