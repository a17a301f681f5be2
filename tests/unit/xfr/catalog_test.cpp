#include "xfr/catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "zone/load.h"

namespace namae::xfr {
namespace {

dns::Name name(const char* text) { return *dns::Name::from_text(text); }

std::shared_ptr<const zone::ZoneVersion> load(const std::string& body, const char* origin = "catalog.example.") {
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_text("$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n@ NS invalid.\n" + body,
                                "catalog", name(origin), diags);
  EXPECT_TRUE(v) << v.message();
  return v ? *v : nullptr;
}

std::string soa_text(const zone::ZoneVersion& v) {
  for (const auto& r : v.records())
    if (r.type == dns::rrtype::SOA) return r.to_text();
  return "";
}

std::vector<std::string> zones_of(const Catalog& c) {
  std::vector<std::string> out;
  for (const auto& m : c.members) out.push_back(m.zone.to_text());
  return out;
}

TEST(CatalogParse, MembersGroupsAndCoo) {
  auto v = load(
      "version TXT \"2\"\n"
      "a1.zones PTR one.example.\n"
      "group.a1.zones TXT \"blue\" \"green\"\n"
      "b2.zones PTR two.example.\n"
      "coo.b2.zones PTR other-catalog.example.\n"
      "ext.zones TXT \"ignored\"\n"
      "something.ext TXT \"ignored too\"\n"
      "unknown.b2.zones TXT \"unknown property\"\n");
  auto c = parse_catalog(*v);
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(zones_of(*c), (std::vector<std::string>{"one.example.", "two.example."}));
  EXPECT_EQ(c->members[0].id, "a1");
  EXPECT_EQ(c->members[0].groups, (std::vector<std::string>{"blue", "green"}));
  EXPECT_FALSE(c->members[0].coo);
  ASSERT_TRUE(c->members[1].coo);
  EXPECT_EQ(*c->members[1].coo, name("other-catalog.example."));
  EXPECT_TRUE(c->ignored.empty());
}

TEST(CatalogParse, WrongOrMissingVersionIgnoresTheWholeCatalog) {
  EXPECT_FALSE(parse_catalog(*load("a1.zones PTR one.example.\n")));
  EXPECT_FALSE(parse_catalog(*load("version TXT \"1\"\na1.zones PTR one.example.\n")));
  EXPECT_FALSE(parse_catalog(*load("version TXT \"2\" \"3\"\na1.zones PTR one.example.\n")));
  EXPECT_FALSE(parse_catalog(*load("version TXT \"2\"\nversion TXT \"3\"\n")));
  auto c = parse_catalog(*load("version TXT \"2\"\n"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->members.empty());
}

TEST(CatalogParse, AZoneUnderTwoIdsBreaksTheCatalog) {
  auto c = parse_catalog(*load(
      "version TXT \"2\"\n"
      "b.zones PTR dup.example.\n"
      "a.zones PTR DUP.example.\n"
      "c.zones PTR other.example.\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.message().find("dup.example. is listed under both a and b"), std::string::npos) << c.message();
}

TEST(CatalogParse, MemberNodeNeedsExactlyOnePtr) {
  auto c = parse_catalog(*load(
      "version TXT \"2\"\n"
      "a.zones PTR one.example.\n"
      "a.zones PTR two.example.\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.message().find("a.zones.catalog.example.: 2 PTR records"), std::string::npos) << c.message();
}

TEST(CatalogParse, CooNeedsExactlyOnePtr) {
  auto c = parse_catalog(*load(
      "version TXT \"2\"\n"
      "c.zones PTR three.example.\n"
      "coo.c.zones PTR x.example.\n"
      "coo.c.zones PTR y.example.\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.message().find("coo.c.zones"), std::string::npos) << c.message();
}

TEST(CatalogParse, AMemberNamingTheCatalogIsLeftOut) {
  auto c = parse_catalog(*load(
      "version TXT \"2\"\n"
      "b.zones PTR catalog.example.\n"
      "c.zones PTR three.example.\n"
      "c.zones TXT \"other types at a member node are ignored\"\n"));
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(zones_of(*c), (std::vector<std::string>{"three.example."}));
  EXPECT_EQ(c->ignored.size(), 1u);
}

TEST(CatalogProduce, BuildsAValidCatalogThatParsesBack) {
  std::vector<ProducedMember> members = {{name("one.example."), ""}, {name("two.example."), "blue"}};
  auto v = build_catalog(name("catalog.example."), 42, members);
  ASSERT_TRUE(v) << v.message();
  EXPECT_EQ((*v)->serial(), 42u);
  auto c = parse_catalog(**v);
  ASSERT_TRUE(c) << c.message();
  ASSERT_EQ(c->members.size(), 2u);
  const auto* two = c->find(name("two.example."));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->id, member_id(name("two.example.")));
  EXPECT_EQ(two->groups, std::vector<std::string>{"blue"});
  EXPECT_TRUE(same_members(*c, members));
  members[1].group = "red";
  EXPECT_FALSE(same_members(*c, members));
  members.pop_back();
  EXPECT_FALSE(same_members(*c, members));
}

TEST(CatalogProduce, MemberIdsAreStableUniqueAndCaseBlind) {
  EXPECT_EQ(member_id(name("One.Example.")), member_id(name("one.example.")));
  EXPECT_NE(member_id(name("one.example.")), member_id(name("two.example.")));
  EXPECT_EQ(member_id(name("one.example.")).size(), 16u);
  std::vector<ProducedMember> twice = {{name("one.example."), ""}, {name("ONE.example."), ""}};
  EXPECT_FALSE(build_catalog(name("catalog.example."), 1, twice));
}

TEST(CatalogProduce, FileSerialRisesOnlyWhenMembersChange) {
  auto dir = std::filesystem::temp_directory_path() / ("namae-catalog-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "catalog.zone").string();
  std::filesystem::remove(path);
  std::vector<ProducedMember> members = {{name("one.example."), ""}};
  auto origin = name("catalog.example.");
  EXPECT_EQ(*write_catalog_file(path, origin, members, 1000), 1000u);
  EXPECT_EQ(*write_catalog_file(path, origin, members, 2000), 1000u);  // same members: same serial
  members.push_back({name("two.example."), "g"});
  EXPECT_EQ(*write_catalog_file(path, origin, members, 500), 1001u);  // clock behind: +1
  members.pop_back();
  EXPECT_EQ(*write_catalog_file(path, origin, members, 5000), 5000u);  // clock ahead: the clock
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_file(path, origin, diags);
  ASSERT_TRUE(v);
  auto c = parse_catalog(**v);
  ASSERT_TRUE(c);
  EXPECT_EQ(zones_of(*c), std::vector<std::string>{"one.example."});
  std::filesystem::remove_all(dir);
}

// Knot's `catalog-role: generate` output, its zone file as knotd 3.2.6 wrote it.
TEST(CatalogParse, KnotAndBindStyleCatalogs) {
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_file(std::string(NAMAE_TEST_DATA) + "/xfr/knot-catalog.zone", name("catalog.example."), diags);
  ASSERT_TRUE(v) << v.message();
  auto knot = parse_catalog(**v);
  ASSERT_TRUE(knot) << knot.message();
  EXPECT_EQ(zones_of(*knot), (std::vector<std::string>{"member2.example.com.", "member1.example.com."}));
  EXPECT_EQ(knot->find(name("member1.example.com."))->groups, std::vector<std::string>{"grp1"});
  EXPECT_EQ(knot->find(name("member1.example.com."))->id, "9fff34d4c54aa814");
  // Our producer's template is Knot's: the same SOA and NS.
  std::vector<ProducedMember> ours = {{name("member1.example.com."), "grp1"}};
  auto built = build_catalog(name("catalog.example."), (*v)->serial(), ours);
  ASSERT_TRUE(built);
  EXPECT_EQ(soa_text(**built), soa_text(**v));
  // BIND's documentation example: ids are free-form labels.
  auto bind = parse_catalog(*load(
      "version IN TXT \"2\"\n"
      "uniqueid1.zones IN PTR domain1.example.\n"
      "uniqueid2.zones IN PTR domain2.example.\n"
      "group.uniqueid2.zones IN TXT \"primaries-group-1\"\n"));
  ASSERT_TRUE(bind);
  EXPECT_EQ(zones_of(*bind), (std::vector<std::string>{"domain1.example.", "domain2.example."}));
}

}  // namespace
}  // namespace namae::xfr
