#include "zonefile/zone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "zonefile/writer.h"

namespace namae::zonefile {
namespace {

using dns::Name;

const char* kHead =
    "$TTL 300\n$ORIGIN example.\n@ SOA ns1 admin 7 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

LoadedZone load(const std::string& body, std::optional<Name> origin = Name::from_text("example.").value()) {
  LoadOptions o;
  o.origin = origin;
  o.parser.allow_include = false;
  return load_zone_text(kHead + body, "t.db", o);
}

/// Diagnostics of at least `min` severity, as strings.
std::vector<std::string> diags(const LoadedZone& z, Severity min = Severity::warning) {
  std::vector<std::string> out;
  for (const auto& d : z.diagnostics)
    if (d.severity >= min) out.push_back(d.to_string());
  return out;
}

std::vector<std::string> dump(const LoadedZone& z) {
  std::vector<std::string> out;
  for (const auto& r : z.records) out.push_back(format_record(r));
  return out;
}

using V = std::vector<std::string>;

TEST(Zone, MinimalZoneLoadsWithSerial) {
  auto z = load("");
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(z.serial, 7u);
  EXPECT_EQ(dump(z), (V{"example.\t300\tIN\tNS\tns1.example.",
                        "example.\t300\tIN\tSOA\tns1.example. admin.example. 7 2 3 4 5",
                        "ns1.example.\t300\tIN\tA\t192.0.2.1"}));
  EXPECT_TRUE(diags(z).empty());
}

TEST(Zone, OriginDefaultsToSoaOwner) {
  LoadOptions o;
  auto z = load_zone_text("$TTL 1\nzone.test. SOA ns.zone.test. a.zone.test. 1 2 3 4 5\n"
                          "zone.test. NS ns.zone.test.\nns.zone.test. A 192.0.2.1\n",
                          "t.db", o);
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_TRUE(z.origin_known);
  EXPECT_EQ(z.origin, Name::from_text("zone.test.").value());
}

TEST(Zone, OriginNeededForRelativeNamesBeforeOrigin) {
  LoadOptions o;
  auto z = load_zone_text("$TTL 1\n@ SOA ns a 1 2 3 4 5\n", "t.db", o);
  EXPECT_FALSE(z.ok());
  EXPECT_FALSE(z.origin_known);
  auto d = diags(z, Severity::error);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0], "t.db:2:1: error: '@' used before any $ORIGIN (give an origin)");
}

TEST(Zone, NoSoaAtAll) {
  LoadOptions o;
  auto z = load_zone_text("$TTL 1\nx.test. A 192.0.2.1\n", "t.db", o);
  EXPECT_FALSE(z.ok());
  EXPECT_EQ(diags(z, Severity::error),
            (V{"t.db: error: no SOA record found, so the origin is unknown (give --origin)"}));
  o.origin = Name::from_text("test.").value();
  z = load_zone_text("$TTL 1\nx.test. A 192.0.2.1\n@ NS x\n", "t.db", o);
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db: error: zone test: has no SOA record"}));
}

TEST(Zone, SecondSoaAndSoaBelowApex) {
  auto z = load("@ SOA ns1 admin 8 2 3 4 5\nsub SOA ns1 admin 1 2 3 4 5\n");
  EXPECT_EQ(diags(z, Severity::error),
            (V{"t.db:6: error: multiple SOA records at the apex (an SOA is a singleton)",
               "t.db:7: error: SOA record not at top of zone (sub.example.)"}));
}

TEST(Zone, NoApexNs) {
  LoadOptions o;
  auto z = load_zone_text("$TTL 1\n$ORIGIN example.\n@ SOA ns1 admin 7 2 3 4 5\nns1 A 192.0.2.1\n", "t.db", o);
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db: error: zone example: has no NS records"}));
}

TEST(Zone, CnameAndOtherData) {
  auto z = load("c CNAME ns1\nc A 192.0.2.9\nd CNAME ns1\nd CNAME c\ne CNAME ns1\ne RRSIG A 8 2 300 "
                "20300101000000 20200101000000 1 example. AAAA\ne NSEC f A RRSIG NSEC\n");
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db:6: error: c.example.: CNAME and other data",
                                          "t.db:9: error: d.example.: multiple CNAME records"}))
      << ::testing::PrintToString(diags(z));
}

TEST(Zone, NsTargetsNeedAddresses) {
  auto z = load("@ NS ns2\n@ NS ns.elsewhere.\nsub NS ns.sub\nns.sub AAAA 2001:db8::1\n@ NS alias\n"
                "alias CNAME ns1\n");
  EXPECT_EQ(diags(z, Severity::error),
            // canonical rdata order compares the length octet first: ns2 < alias
            (V{"t.db:6: error: example. NS 'ns2.example.' has no address records (A or AAAA)",
               "t.db:10: error: example. NS 'alias.example.' is a CNAME (illegal, RFC 2181 10.3)"}))
      << ::testing::PrintToString(diags(z));
}

TEST(Zone, MxAndSrvTargetsWarn) {
  auto z = load("mx MX 10 nomail\nmx MX 20 ns1\nnull MX 0 .\nsrv SRV 0 0 1 nosrv\nsrv2 SRV 0 0 1 .\n"
                "ext MX 10 mail.other.\n");
  EXPECT_TRUE(z.ok());
  EXPECT_EQ(diags(z),
            (V{"t.db:6: warning: mx.example. MX 'nomail.example.' has no address records (A or AAAA)",
               "t.db:9: warning: srv.example. SRV 'nosrv.example.' has no address records (A or AAAA)"}));
}

TEST(Zone, OutOfZoneDataIsAnError) {
  auto z = load("x.other. A 192.0.2.1\nexample2. A 192.0.2.1\n");
  EXPECT_EQ(diags(z, Severity::error),
            (V{"t.db:6: error: out-of-zone data: x.other. is not at or below example.",
               "t.db:7: error: out-of-zone data: example2. is not at or below example."}));
  EXPECT_EQ(z.records.size(), 3u);
}

TEST(Zone, OccludedDataBelowDelegationWarns) {
  auto z = load("sub NS ns.sub\nns.sub A 192.0.2.2\nfoo.sub TXT hidden\nsub TXT at-cut\nsub DS 1 8 2 "
                "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
                "zz A 192.0.2.3\ndn DNAME other.\nx.dn A 192.0.2.4\n");
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(diags(z),
            (V{"t.db:13: warning: x.dn.example.: data below the delegation/DNAME at dn.example. is "
               "occluded (only address glue belongs there)",
               "t.db:6: warning: sub.example.: data at a delegation point other than NS/DS/glue is occluded",
               "t.db:8: warning: foo.sub.example.: data below the delegation/DNAME at sub.example. is "
               "occluded (only address glue belongs there)"}))
      << ::testing::PrintToString(diags(z));
}

TEST(Zone, DuplicatesDroppedWithNoteAndCaseInsensitiveNames) {
  auto z = load("ns1 A 192.0.2.1\nNS1 A 192.0.2.1\nc CNAME NS1\nc CNAME ns1.EXAMPLE.\n");
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  auto notes = diags(z, Severity::note);
  EXPECT_EQ(notes.size(), 3u) << ::testing::PrintToString(notes);
  EXPECT_EQ(z.records.size(), 4u);
}

TEST(Zone, RrsetTtlFirstWins) {
  auto z = load("m 100 A 192.0.2.10\nm 50 A 192.0.2.9\n");
  EXPECT_TRUE(z.ok());
  EXPECT_EQ(diags(z), (V{"t.db:7: warning: TTL 50 differs from the RRset's first TTL; set to 100"}));
  for (const auto& r : z.records)
    if (r.owner == Name::from_text("m.example.").value()) EXPECT_EQ(r.ttl, 100u);
}

TEST(Zone, CanonicalOrderRfc4034) {
  // RFC 4034 6.1's example order.
  auto z = load("a A 192.0.2.1\nyljkjljk.a A 192.0.2.1\nZ.a A 192.0.2.1\nzABC.a A 192.0.2.1\n"
                "z A 192.0.2.1\n\\001.z A 192.0.2.1\n*.z A 192.0.2.1\n\\200.z A 192.0.2.1\n"
                "b A 192.0.2.2\nb A 192.0.2.1\nb TXT x\nb AAAA ::1\n");
  ASSERT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  std::vector<std::string> owners;
  for (const auto& r : z.records) owners.push_back(r.owner.to_text() + " " + dns::type_to_text(r.type) + " " +
                                                   dns::rdata::to_text(r.type, r.rdata));
  EXPECT_EQ(owners, (V{"example. NS ns1.example.", "example. SOA ns1.example. admin.example. 7 2 3 4 5",
                       "a.example. A 192.0.2.1", "yljkjljk.a.example. A 192.0.2.1",
                       "Z.a.example. A 192.0.2.1", "zABC.a.example. A 192.0.2.1",
                       "b.example. A 192.0.2.1", "b.example. A 192.0.2.2", "b.example. TXT \"x\"",
                       "b.example. AAAA ::1", "ns1.example. A 192.0.2.1", "z.example. A 192.0.2.1",
                       "\\001.z.example. A 192.0.2.1", "*.z.example. A 192.0.2.1",
                       "\\200.z.example. A 192.0.2.1"}));
}

TEST(Zone, SortCanonicalInWriter) {
  std::vector<Record> rs(3);
  rs[0].owner = Name::from_text("b.example.").value();
  rs[1].owner = Name::from_text("A.example.").value();
  rs[2].owner = Name::from_text("a.example.").value();
  for (auto& r : rs) {
    r.type = dns::rrtype::A;
    r.rclass = 1;
  }
  rs[0].rdata = {192, 0, 2, 1};
  rs[1].rdata = {192, 0, 2, 9};
  rs[2].rdata = {192, 0, 2, 2};
  sort_canonical(rs);
  EXPECT_EQ(format_record(rs[0]), "a.example.\t0\tIN\tA\t192.0.2.2");
  EXPECT_EQ(format_record(rs[1]), "A.example.\t0\tIN\tA\t192.0.2.9");
  EXPECT_EQ(format_record(rs[2]), "b.example.\t0\tIN\tA\t192.0.2.1");
  EXPECT_LT(compare_rdata(dns::rrtype::A, rs[0].rdata, rs[1].rdata), 0);
}

TEST(Zone, ParseErrorsSkipStructureChecks) {
  auto z = load("bad A 1.2.3\n");
  EXPECT_FALSE(z.ok());
  EXPECT_EQ(z.errors, 1u);
}

TEST(Zone, LoadFromDisk) {
  LoadOptions o;
  auto z = load_zone(std::string(NAMAE_TEST_DATA) + "/zones/good/example.com.zone", o);
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(z.origin, Name::from_text("example.com.").value());
  EXPECT_GT(z.records.size(), 30u);
  auto missing = load_zone(std::string(NAMAE_TEST_DATA) + "/zones/does-not-exist", o);
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace namae::zonefile
