// Zone validation as `namae zone check` and namaed apply it: zone::load_zone_text
// (parser -> ZoneBuilder per-name rules -> check_zone zone-wide rules), with
// every diagnostic naming file and line, and the canonical dump.
#include "zone/check.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "zone/builder.h"
#include "zone/dump.h"
#include "zone/load.h"

namespace namae::zone {
namespace {

using dns::Name;
using zonefile::Severity;

const char* kHead =
    "$TTL 300\n$ORIGIN example.\n@ SOA ns1 admin 7 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

struct Loaded {
  std::shared_ptr<const ZoneVersion> zone;
  std::vector<zonefile::Diagnostic> diags;
  bool ok() const {
    for (const auto& d : diags)
      if (d.severity == Severity::error) return false;
    return zone != nullptr;
  }
  size_t errors() const {
    size_t n = 0;
    for (const auto& d : diags) n += d.severity == Severity::error;
    return n;
  }
};

Loaded load_text(const std::string& text, const std::string& origin = "example.") {
  zonefile::ParserOptions o;
  o.origin = Name::from_text(origin).value();
  o.allow_include = false;
  Loaded l;
  auto z = load_zone_text(text, "t.db", o, l.diags);
  if (z) l.zone = *z;
  return l;
}

Loaded load(const std::string& body) { return load_text(kHead + body); }

/// Diagnostics of at least `min` severity, as strings.
std::vector<std::string> diags(const Loaded& z, Severity min = Severity::warning) {
  std::vector<std::string> out;
  for (const auto& d : z.diags)
    if (d.severity >= min) out.push_back(d.to_string());
  return out;
}

/// write_canonical's output, line by line.
std::vector<std::string> dump(const ZoneVersion& z) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  EXPECT_TRUE(write_canonical(f, z));
  std::fclose(f);
  std::vector<std::string> out;
  std::string all(buf, len);
  std::free(buf);
  for (size_t pos = 0; pos < all.size();) {
    size_t nl = all.find('\n', pos);
    out.push_back(all.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(ZoneCheck, MinimalZoneLoadsWithSerial) {
  auto z = load("");
  ASSERT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(z.zone->serial(), 7u);
  EXPECT_EQ(dump(*z.zone), (V{"example.\t300\tIN\tNS\tns1.example.",
                              "example.\t300\tIN\tSOA\tns1.example. admin.example. 7 2 3 4 5",
                              "ns1.example.\t300\tIN\tA\t192.0.2.1"}));
  EXPECT_TRUE(diags(z).empty());
}

TEST(ZoneCheck, NoSoaAtAll) {
  auto z = load_text("$TTL 1\nx.test. A 192.0.2.1\n@ NS x\n", "test.");
  EXPECT_FALSE(z.ok());
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db: error: zone test: has no SOA record"}));
  z = load_text("$TTL 1\nx.test. A 192.0.2.1\n", "test.");
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db: error: zone test: has no SOA record",
                                          "t.db: error: zone test: has no NS records"}));
}

TEST(ZoneCheck, SecondSoaAndSoaBelowApex) {
  auto z = load("@ SOA ns1 admin 8 2 3 4 5\nsub SOA ns1 admin 1 2 3 4 5\n");
  EXPECT_FALSE(z.zone);
  EXPECT_EQ(diags(z, Severity::error),
            (V{"t.db:6: error: multiple SOA records at the apex (an SOA is a singleton)",
               "t.db:7: error: SOA record not at top of zone (sub.example.)"}));
}

TEST(ZoneCheck, NoApexNs) {
  auto z = load_text("$TTL 1\n$ORIGIN example.\n@ SOA ns1 admin 7 2 3 4 5\nns1 A 192.0.2.1\n");
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db: error: zone example: has no NS records"}));
}

TEST(ZoneCheck, CnameAndOtherData) {
  auto z = load(
      "c CNAME ns1\nc A 192.0.2.9\nd CNAME ns1\nd CNAME c\ne CNAME ns1\ne RRSIG A 8 2 300 "
      "20300101000000 20200101000000 1 example. AAAA\ne NSEC f A RRSIG NSEC\n"
      "dn DNAME a.\ndn DNAME b.\n");
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db:6: error: c.example.: CNAME and other data",
                                          "t.db:9: error: d.example.: multiple CNAME records",
                                          "t.db:14: error: dn.example.: multiple DNAME records"}))
      << ::testing::PrintToString(diags(z));
  z = load("@ CNAME ns1\n");
  EXPECT_EQ(diags(z, Severity::error), (V{"t.db:6: error: example.: CNAME and other data"}));
}

TEST(ZoneCheck, NsTargetsNeedAddresses) {
  auto z = load(
      "@ NS ns2\n@ NS ns.elsewhere.\nsub NS ns.sub\nns.sub AAAA 2001:db8::1\n@ NS alias\n"
      "alias CNAME ns1\nsub2 NS ns.sub2\nsub3 NS nx\nsub3 NS alias\n@ NS ns.sub2\n");
  EXPECT_FALSE(z.ok());
  // As named-checkzone: only the apex NS set is fatal; a delegation's
  // targets (and missing glue below a cut) are reported and the zone loads.
  EXPECT_EQ(diags(z),
            (V{"t.db:6: error: example. NS 'ns2.example.' has no address records (A or AAAA)",
               "t.db:10: error: example. NS 'alias.example.' is a CNAME (illegal, RFC 2181 10.3)",
               "t.db:15: warning: example. NS 'ns.sub2.example.' has no REQUIRED GLUE address "
               "records (A or AAAA)",
               "t.db:12: warning: sub2.example. NS 'ns.sub2.example.' has no REQUIRED GLUE "
               "address records (A or AAAA)",
               "t.db:13: warning: sub3.example. NS 'nx.example.' has no address records (A or "
               "AAAA)",
               "t.db:14: warning: sub3.example. NS 'alias.example.' is a CNAME (illegal, RFC 2181 "
               "10.3)"}))
      << ::testing::PrintToString(diags(z));
}

TEST(ZoneCheck, MxAndSrvTargetsWarn) {
  auto z = load(
      "mx MX 10 nomail\nmx MX 20 ns1\nnull MX 0 .\nsrv SRV 0 0 1 nosrv\nsrv2 SRV 0 0 1 .\n"
      "ext MX 10 mail.other.\nmx2 MX 5 alias\nalias CNAME ns1\n");
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(diags(z),
            (V{"t.db:6: warning: mx.example. MX 'nomail.example.' has no address records (A or "
               "AAAA)",
               "t.db:12: warning: mx2.example. MX 'alias.example.' is a CNAME (illegal, RFC 2181 "
               "10.3)",
               "t.db:9: warning: srv.example. SRV 'nosrv.example.' has no address records (A or "
               "AAAA)"}))
      << ::testing::PrintToString(diags(z));
}

TEST(ZoneCheck, OutOfZoneDataIsAnError) {
  auto z = load("x.other. A 192.0.2.1\nexample2. A 192.0.2.1\n");
  EXPECT_FALSE(z.zone);
  EXPECT_EQ(diags(z, Severity::error),
            (V{"t.db:6: error: out-of-zone data: x.other. is not at or below example.",
               "t.db:7: error: out-of-zone data: example2. is not at or below example."}));
}

TEST(ZoneCheck, OccludedDataBelowDelegationWarns) {
  auto z = load(
      "sub NS ns.sub\nns.sub A 192.0.2.2\nfoo.sub TXT hidden\nsub TXT at-cut\nsub DS 1 8 2 "
      "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
      "zz A 192.0.2.3\ndn DNAME other.\nx.dn A 192.0.2.4\n");
  EXPECT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(diags(z),
            (V{"t.db:13: warning: x.dn.example.: data below the delegation/DNAME at dn.example. is "
               "occluded (only address glue belongs there)",
               "t.db:6: warning: sub.example.: data at a delegation point other than NS/DS/glue is "
               "occluded",
               "t.db:8: warning: foo.sub.example.: data below the delegation/DNAME at sub.example. "
               "is occluded (only address glue belongs there)"}))
      << ::testing::PrintToString(diags(z));
}

TEST(ZoneCheck, DuplicatesDroppedWithNoteAndCaseInsensitiveNames) {
  auto z = load("ns1 A 192.0.2.1\nNS1 A 192.0.2.1\nc CNAME NS1\nc CNAME ns1.EXAMPLE.\n");
  ASSERT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  auto notes = diags(z, Severity::note);
  EXPECT_EQ(notes, (V{"t.db:9: note: duplicate record c.example. CNAME ignored",
                      "t.db:6: note: duplicate record ns1.example. A ignored",
                      "t.db:7: note: duplicate record ns1.example. A ignored"}))
      << ::testing::PrintToString(notes);
  EXPECT_EQ(z.zone->record_count(), 4u);
}

TEST(ZoneCheck, RRsetTtlFirstWins) {
  auto z = load("m 100 A 192.0.2.10\nm 50 A 192.0.2.9\n");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(diags(z),
            (V{"t.db:7: warning: TTL 50 differs from the RRset's first TTL; set to 100"}));
  EXPECT_EQ(z.zone->find(Name::from_text("m.example.").value())->find(dns::rrtype::A).ttl(), 100u);
}

TEST(ZoneCheck, RrsigTtlFollowsTheCoveredRRset) {
  // RFC 4034 3: RRSIGs at one name have the TTLs of the RRsets they cover.
  auto z = load(
      "s 100 A 192.0.2.1\ns 100 RRSIG A 8 2 100 20300101000000 20200101000000 1 example. AAAA\n"
      "s 200 TXT x\ns 200 RRSIG TXT 8 2 200 20300101000000 20200101000000 1 example. AAAA\n"
      "s 300 RRSIG TXT 8 2 200 20300101000000 20200101000000 2 example. AAAA\n");
  ASSERT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(diags(z),
            (V{"t.db:10: warning: TTL 300 differs from the RRset's first TTL; set to 200"}));
  auto d = dump(*z.zone);
  ASSERT_EQ(d.size(), 8u);
  EXPECT_EQ(d[5].substr(0, 26), "s.example.\t100\tIN\tRRSIG\tA ");
  EXPECT_EQ(d[6].substr(0, 28), "s.example.\t200\tIN\tRRSIG\tTXT ");
  EXPECT_EQ(d[7].substr(0, 28), "s.example.\t200\tIN\tRRSIG\tTXT ");
}

TEST(ZoneCheck, CanonicalOrderRfc4034) {
  // RFC 4034 6.1's example order; rdata in 6.3 order within an RRset.
  auto z = load(
      "a A 192.0.2.1\nyljkjljk.a A 192.0.2.1\nZ.a A 192.0.2.1\nzABC.a A 192.0.2.1\n"
      "z A 192.0.2.1\n\\001.z A 192.0.2.1\n*.z A 192.0.2.1\n\\200.z A 192.0.2.1\n"
      "b A 192.0.2.2\nb A 192.0.2.1\nb TXT x\nb AAAA ::1\n");
  ASSERT_TRUE(z.ok()) << ::testing::PrintToString(diags(z));
  EXPECT_EQ(dump(*z.zone),
            (V{"example.\t300\tIN\tNS\tns1.example.",
               "example.\t300\tIN\tSOA\tns1.example. admin.example. 7 2 3 4 5",
               "a.example.\t300\tIN\tA\t192.0.2.1", "yljkjljk.a.example.\t300\tIN\tA\t192.0.2.1",
               "Z.a.example.\t300\tIN\tA\t192.0.2.1", "zABC.a.example.\t300\tIN\tA\t192.0.2.1",
               "b.example.\t300\tIN\tA\t192.0.2.1", "b.example.\t300\tIN\tA\t192.0.2.2",
               "b.example.\t300\tIN\tTXT\t\"x\"", "b.example.\t300\tIN\tAAAA\t::1",
               "ns1.example.\t300\tIN\tA\t192.0.2.1", "z.example.\t300\tIN\tA\t192.0.2.1",
               "\\001.z.example.\t300\tIN\tA\t192.0.2.1", "*.z.example.\t300\tIN\tA\t192.0.2.1",
               "\\200.z.example.\t300\tIN\tA\t192.0.2.1"}));
}

TEST(ZoneCheck, ParseErrorsSkipStructureChecks) {
  auto z = load("bad A 1.2.3\nc CNAME ns1\nc A 192.0.2.1\n");
  EXPECT_FALSE(z.zone);
  EXPECT_EQ(z.errors(), 1u) << ::testing::PrintToString(diags(z));
}

TEST(ZoneCheck, IncludedFileNamedInMessages) {
  zonefile::ParserOptions o;
  o.origin = Name::from_text("example.").value();
  o.include_reader = [](const std::string& path) -> Result<std::string> {
    return std::string("x NS nowhere\n");
  };
  std::vector<zonefile::Diagnostic> d;
  auto z = load_zone_text(std::string(kHead) + "$INCLUDE inc.db\n", "dir/t.db", o, d);
  EXPECT_TRUE(z.ok());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to_string(),
            "dir/inc.db:1: warning: x.example. NS 'nowhere.example.' has no address records (A or "
            "AAAA)");
}

TEST(ZoneCheck, WithoutSourcesAndFromDisk) {
  std::vector<zonefile::Diagnostic> d;
  auto z = load_zone_file(std::string(NAMAE_TEST_DATA) + "/zones/good/example.com.zone",
                          Name::from_text("example.com.").value(), d);
  ASSERT_TRUE(z.ok()) << z.message();
  for (const auto& x : d) EXPECT_NE(x.severity, Severity::error) << x.to_string();
  EXPECT_GT((*z)->record_count(), 30u);
  std::vector<zonefile::Diagnostic> again;
  check_zone(**z, again);
  for (const auto& x : again) {
    EXPECT_EQ(x.line, 0u);
    EXPECT_NE(x.severity, Severity::error);
  }
  d.clear();
  EXPECT_FALSE(load_zone_file(std::string(NAMAE_TEST_DATA) + "/zones/does-not-exist",
                              Name::from_text("example.com.").value(), d)
                   .ok());
  ASSERT_EQ(d.size(), 1u);
}

}  // namespace
}  // namespace namae::zone
