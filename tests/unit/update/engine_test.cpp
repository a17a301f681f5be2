// RFC 2136 engine: every prerequisite kind, update kind, rcode and special
// rule, and the policy kinds. Refused messages must leave the zone exactly as
// it was (the engine never changes a version, and produces no diff).
#include "update/engine.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "update/policy.h"
#include "update_test_util.h"

namespace namae::update {
namespace {

using namespace test;
namespace rc = dns::rcode;

struct Outcome {
  uint16_t rcode = 0;
  Evaluation ev;
  std::shared_ptr<const zone::ZoneVersion> next;  // the new version (base if unchanged)
};

class EngineTest : public ::testing::Test {
 protected:
  std::shared_ptr<const zone::ZoneVersion> base = load();
  std::string before = dump(*base);

  Outcome run(std::vector<dns::Record> updates, std::vector<dns::Record> prereqs = {},
              const Permission& perm = everything(), EngineOptions opts = {}) {
    UpdateMessage m;
    m.zone = origin();
    m.prerequisites = std::move(prereqs);
    m.updates = std::move(updates);
    Outcome r;
    r.ev = evaluate(*base, m, perm, opts);
    r.rcode = r.ev.rcode;
    r.next = base;
    if (r.rcode == rc::NOERROR && r.ev.changed()) {
      zone::ZoneDiff d = r.ev.diff;
      auto n = finish_update(*base, d);
      EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.message());
      if (n.ok()) r.next = *n;
    }
    // Whatever happened, the base version is untouched.
    EXPECT_EQ(dump(*base), before);
    return r;
  }
  // A refused message: rcode as expected, no diff, nothing to apply.
  void expect_refused(uint16_t code, std::vector<dns::Record> updates,
                      std::vector<dns::Record> prereqs = {}, const Permission& perm = everything()) {
    Outcome r = run(std::move(updates), std::move(prereqs), perm);
    EXPECT_EQ(r.rcode, code) << dns::rcode_to_text(r.rcode) << " " << r.ev.reason;
    EXPECT_FALSE(r.ev.changed());
    EXPECT_EQ(dump(*r.next), before);
  }
  static bool has(const zone::ZoneVersion& z, const std::string& owner, uint16_t type,
                  const std::string& rd = "") {
    const zone::Node* n = z.find(name(owner + ".example.net."));
    if (owner == "@") n = z.find(origin());
    if (!n) return false;
    auto set = n->find(type);
    if (!set.valid()) return false;
    if (rd.empty()) return true;
    auto want = rdata(type, rd);
    auto c = set.rdatas();
    std::span<const uint8_t> x;
    while (c.next(x))
      if (dns::RdataBytes(x.begin(), x.end()) == want) return true;
    return false;
  }
};

// ---------------------------------------------------------------- prerequisites

TEST_F(EngineTest, PrereqRRsetExistsValueIndependent) {
  EXPECT_EQ(run({}, {rr("www", "A", ANY, 0)}).rcode, rc::NOERROR);
  expect_refused(rc::NXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")}, {rr("www", "AAAA", ANY, 0)});
  expect_refused(rc::NXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")}, {rr("nope", "A", ANY, 0)});
}

TEST_F(EngineTest, PrereqRRsetExistsValueDependent) {
  // Order and letter case of names do not matter; TTL is ignored (must be 0).
  EXPECT_EQ(
      run({}, {rr("www", "A", IN, 0, "192.0.2.11"), rr("www", "A", IN, 0, "192.0.2.10")}).rcode,
      rc::NOERROR);
  EXPECT_EQ(run({}, {rr("alias", "CNAME", IN, 0, "WWW.Example.NET.")}).rcode, rc::NOERROR);
  // A subset is not the RRset.
  expect_refused(rc::NXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")},
                 {rr("www", "A", IN, 0, "192.0.2.10")});
  // A superset neither.
  expect_refused(rc::NXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")},
                 {rr("www", "A", IN, 0, "192.0.2.10"), rr("www", "A", IN, 0, "192.0.2.11"),
                  rr("www", "A", IN, 0, "192.0.2.12")});
  expect_refused(rc::NXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")},
                 {rr("nope", "A", IN, 0, "192.0.2.10")});
}

TEST_F(EngineTest, PrereqRRsetDoesNotExist) {
  EXPECT_EQ(run({}, {rr("www", "AAAA", NONE, 0)}).rcode, rc::NOERROR);
  expect_refused(rc::YXRRSET, {rr("new", "A", IN, 60, "192.0.2.99")}, {rr("www", "TXT", NONE, 0)});
}

TEST_F(EngineTest, PrereqNameInUse) {
  EXPECT_EQ(run({}, {rr("www", "ANY", ANY, 0)}).rcode, rc::NOERROR);
  expect_refused(rc::NXDOMAIN, {rr("new", "A", IN, 60, "192.0.2.99")}, {rr("nope", "ANY", ANY, 0)});
  // An empty non-terminal owns no RRs: not in use (RFC 2136 2.4.4).
  expect_refused(rc::NXDOMAIN, {rr("new", "A", IN, 60, "192.0.2.99")}, {rr("b.c", "ANY", ANY, 0)});
}

TEST_F(EngineTest, PrereqNameNotInUse) {
  EXPECT_EQ(run({}, {rr("nope", "ANY", NONE, 0)}).rcode, rc::NOERROR);
  EXPECT_EQ(run({}, {rr("c", "ANY", NONE, 0)}).rcode, rc::NOERROR);  // empty non-terminal
  expect_refused(rc::YXDOMAIN, {rr("new", "A", IN, 60, "192.0.2.99")},
                 {rr("alias", "ANY", NONE, 0)});
}

TEST_F(EngineTest, PrereqFormatErrors) {
  auto add = std::vector<dns::Record>{rr("new", "A", IN, 60, "192.0.2.99")};
  expect_refused(rc::FORMERR, add, {rr("www", "A", ANY, 5)});                 // TTL not 0
  expect_refused(rc::FORMERR, add, {rr("www", "A", ANY, 0, "192.0.2.10")});   // rdata with ANY
  expect_refused(rc::FORMERR, add, {rr("www", "A", NONE, 0, "192.0.2.10")});  // rdata with NONE
  expect_refused(rc::FORMERR, add, {rr("www", "A", dns::rrclass::CH, 0, "192.0.2.10")});
  expect_refused(rc::FORMERR, add, {rr("www", "AXFR", ANY, 0)});
  dns::Record bad = rr("www", "A", IN, 0);  // value-dependent with unusable rdata
  bad.rdata = {1, 2, 3};
  expect_refused(rc::FORMERR, add, {bad});
}

TEST_F(EngineTest, PrereqOutsideZoneIsNotzone) {
  dns::Record p = rr("www", "A", ANY, 0);
  p.owner = name("www.example.org.");
  expect_refused(rc::NOTZONE, {rr("new", "A", IN, 60, "192.0.2.99")}, {p});
}

TEST_F(EngineTest, PrerequisitesSeeTheZoneBeforeTheUpdate) {
  // The name is added by this very message, yet "name is not in use" holds.
  Outcome r = run({rr("fresh", "A", IN, 60, "192.0.2.5")}, {rr("fresh", "ANY", NONE, 0)});
  EXPECT_EQ(r.rcode, rc::NOERROR);
  EXPECT_TRUE(has(*r.next, "fresh", dns::rrtype::A));
}

// ---------------------------------------------------------------- update kinds

TEST_F(EngineTest, AddRR) {
  Outcome r = run({rr("new", "A", IN, 60, "192.0.2.99"), rr("www", "A", IN, 300, "192.0.2.12")});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_TRUE(has(*r.next, "new", dns::rrtype::A, "192.0.2.99"));
  EXPECT_TRUE(has(*r.next, "www", dns::rrtype::A, "192.0.2.12"));
  EXPECT_TRUE(has(*r.next, "www", dns::rrtype::A, "192.0.2.10"));
  EXPECT_EQ(r.next->serial(), 101u);
  EXPECT_EQ(r.ev.added.size(), 2u);
}

TEST_F(EngineTest, DeleteRRset) {
  Outcome r = run({rr("www", "A", ANY, 0)});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_FALSE(has(*r.next, "www", dns::rrtype::A));
  EXPECT_TRUE(has(*r.next, "www", dns::rrtype::TXT));
  EXPECT_EQ(r.next->serial(), 101u);
}

TEST_F(EngineTest, DeleteAllRRsetsAtName) {
  Outcome r = run({rr("www", "ANY", ANY, 0)});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_EQ(r.next->find(name("www.example.net.")), nullptr);
  EXPECT_EQ(r.ev.diff.removed.size(), 3u);
}

TEST_F(EngineTest, DeleteRR) {
  Outcome r = run({rr("www", "A", NONE, 0, "192.0.2.10"), rr("www", "TXT", NONE, 0, "hello")});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_FALSE(has(*r.next, "www", dns::rrtype::A, "192.0.2.10"));
  EXPECT_TRUE(has(*r.next, "www", dns::rrtype::A, "192.0.2.11"));
  EXPECT_FALSE(has(*r.next, "www", dns::rrtype::TXT));
}

TEST_F(EngineTest, DeleteRRMatchesNamesCaseInsensitively) {
  Outcome r = run({rr("alias", "CNAME", NONE, 0, "WWW.EXAMPLE.NET.")});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_EQ(r.next->find(name("alias.example.net.")), nullptr);
}

TEST_F(EngineTest, DeletingWhatIsNotThereIsNoChange) {
  Outcome r = run(
      {rr("nope", "A", ANY, 0), rr("www", "A", NONE, 0, "192.0.2.77"), rr("nope", "ANY", ANY, 0)});
  EXPECT_EQ(r.rcode, rc::NOERROR);
  EXPECT_FALSE(r.ev.changed());
}

TEST_F(EngineTest, OpsApplyInOrder) {
  // Add then delete the RRset: gone; delete then add: present.
  Outcome r = run({rr("x", "A", IN, 60, "192.0.2.1"), rr("x", "A", ANY, 0),
                   rr("www", "TXT", ANY, 0), rr("www", "TXT", IN, 60, "again")});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_EQ(r.next->find(name("x.example.net.")), nullptr);
  EXPECT_TRUE(has(*r.next, "www", dns::rrtype::TXT, "again"));
  EXPECT_FALSE(has(*r.next, "www", dns::rrtype::TXT, "hello"));
}

// ---------------------------------------------------------------- prescan

TEST_F(EngineTest, PrescanRejectsWholeMessage) {
  auto good = rr("new", "A", IN, 60, "192.0.2.99");
  dns::Record outside = rr("x", "A", IN, 60, "192.0.2.1");
  outside.owner = name("x.example.org.");
  expect_refused(rc::NOTZONE, {good, outside});
  expect_refused(rc::FORMERR, {good, rr("www", "ANY", IN, 60)});  // add of a meta type
  expect_refused(rc::FORMERR, {good, rr("www", "AXFR", ANY, 0)});
  expect_refused(rc::FORMERR, {good, rr("www", "TYPE162", IN, 60)});  // RFC 6895 meta range
  expect_refused(rc::FORMERR, {good, rr("www", "OPT", NONE, 0)});
  expect_refused(rc::FORMERR, {good, rr("www", "A", ANY, 60)});              // delete RRset, TTL
  expect_refused(rc::FORMERR, {good, rr("www", "A", ANY, 0, "192.0.2.1")});  // delete RRset, rdata
  expect_refused(rc::FORMERR, {good, rr("www", "A", NONE, 60, "192.0.2.10")});  // delete RR, TTL
  expect_refused(rc::FORMERR, {good, rr("www", "ANY", NONE, 0)});
  expect_refused(rc::FORMERR, {good, rr("www", "A", dns::rrclass::CH, 60, "192.0.2.1")});
  dns::Record short_a = rr("www", "A", IN, 60);
  short_a.rdata = {1, 2};
  expect_refused(rc::FORMERR, {good, short_a});
  dns::Record empty_del = rr("www", "A", NONE, 0);  // delete RR without rdata
  expect_refused(rc::FORMERR, {good, empty_del});
}

// ---------------------------------------------------------------- special rules

TEST_F(EngineTest, SoaReplacedOnlyByHigherSerial) {
  Outcome lower = run({rr("@", "SOA", IN, 300, "ns1 hostmaster 99 3600 600 86400 300")});
  EXPECT_EQ(lower.rcode, rc::NOERROR);
  EXPECT_FALSE(lower.ev.changed());
  Outcome same = run({rr("@", "SOA", IN, 300, "ns1 hostmaster 100 1 1 1 1")});
  EXPECT_FALSE(same.ev.changed());
  Outcome higher = run({rr("@", "SOA", IN, 300, "ns1 hostmaster 500 7200 600 86400 60")});
  ASSERT_EQ(higher.rcode, rc::NOERROR);
  EXPECT_EQ(higher.next->serial(), 500u);  // the client's serial, not bumped again
  EXPECT_TRUE(has(*higher.next, "@", dns::rrtype::SOA, "ns1 hostmaster 500 7200 600 86400 60"));
  // RFC 1982: 100 + 2^31 - 1 is "higher"; a serial 2^31 away is not comparable, so not higher.
  Outcome wrap = run({rr("@", "SOA", IN, 300, "ns1 hostmaster 2147483748 3600 600 86400 300")});
  EXPECT_FALSE(wrap.ev.changed());
  // An SOA anywhere but the apex is ignored.
  Outcome elsewhere = run({rr("www", "SOA", IN, 300, "ns1 hostmaster 900 1 1 1 1")});
  EXPECT_FALSE(elsewhere.ev.changed());
}

TEST_F(EngineTest, SoaNeverDeleted) {
  EXPECT_FALSE(run({rr("@", "SOA", ANY, 0)}).ev.changed());
  EXPECT_FALSE(
      run({rr("@", "SOA", NONE, 0, "ns1 hostmaster 100 3600 600 86400 300")}).ev.changed());
}

TEST_F(EngineTest, ApexNSProtected) {
  EXPECT_FALSE(run({rr("@", "NS", ANY, 0)}).ev.changed());
  // Deleting every NS one by one keeps the last one.
  Outcome r = run({rr("@", "NS", NONE, 0, "ns1"), rr("@", "NS", NONE, 0, "ns2")});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  EXPECT_FALSE(has(*r.next, "@", dns::rrtype::NS, "ns1"));
  EXPECT_TRUE(has(*r.next, "@", dns::rrtype::NS, "ns2"));
  // Delete-all at the apex keeps SOA and NS, removes the rest.
  Outcome all = run({rr("@", "TXT", IN, 60, "apex"), rr("@", "ANY", ANY, 0)});
  EXPECT_FALSE(all.ev.changed());
  Outcome all2 = run({rr("@", "ANY", ANY, 0)});
  EXPECT_FALSE(all2.ev.changed());
  // NS below the apex (a delegation) may go entirely.
  Outcome sub = run({rr("sub", "NS", ANY, 0)});
  EXPECT_TRUE(sub.ev.changed());
  EXPECT_FALSE(has(*sub.next, "sub", dns::rrtype::NS));
}

TEST_F(EngineTest, CnameVersusOtherData) {
  // CNAME where other data exists: ignored.
  EXPECT_FALSE(run({rr("www", "CNAME", IN, 60, "elsewhere")}).ev.changed());
  EXPECT_FALSE(run({rr("@", "CNAME", IN, 60, "elsewhere")}).ev.changed());
  // Other data where a CNAME exists: ignored.
  EXPECT_FALSE(run({rr("alias", "A", IN, 60, "192.0.2.1")}).ev.changed());
  // A CNAME replaces a CNAME.
  Outcome r = run({rr("alias", "CNAME", IN, 60, "ns1")});
  ASSERT_TRUE(r.ev.changed());
  EXPECT_TRUE(has(*r.next, "alias", dns::rrtype::CNAME, "ns1"));
  EXPECT_FALSE(has(*r.next, "alias", dns::rrtype::CNAME, "www"));
  // Within one message: delete the A/TXT, then the CNAME goes in.
  Outcome swap = run({rr("www", "ANY", ANY, 0), rr("www", "CNAME", IN, 60, "ns1")});
  ASSERT_TRUE(swap.ev.changed());
  EXPECT_TRUE(has(*swap.next, "www", dns::rrtype::CNAME, "ns1"));
  EXPECT_FALSE(has(*swap.next, "www", dns::rrtype::A));
}

TEST_F(EngineTest, DuplicateAddIgnored) {
  Outcome r = run({rr("www", "A", IN, 300, "192.0.2.10")});
  EXPECT_EQ(r.rcode, rc::NOERROR);
  EXPECT_FALSE(r.ev.changed());
  EXPECT_EQ(r.ev.added.size(), 1u);  // still the RR a lease would renew
  Outcome twice = run({rr("n", "A", IN, 60, "192.0.2.1"), rr("n", "A", IN, 60, "192.0.2.1")});
  EXPECT_EQ(twice.ev.diff.added.size(), 1u);
}

TEST_F(EngineTest, AddSetsTheRRsetTTL) {
  // BIND: the RRset takes the TTL of the RR added, duplicates included.
  Outcome r = run({rr("www", "A", IN, 60, "192.0.2.12")});
  ASSERT_TRUE(r.ev.changed());
  EXPECT_EQ(r.next->find(name("www.example.net."))->find(dns::rrtype::A).ttl(), 60u);
  EXPECT_EQ(r.next->find(name("www.example.net."))->find(dns::rrtype::A).count(), 3);
  Outcome dup = run({rr("www", "A", IN, 120, "192.0.2.10")});
  ASSERT_TRUE(dup.ev.changed());
  EXPECT_EQ(dup.next->find(name("www.example.net."))->find(dns::rrtype::A).ttl(), 120u);
  EXPECT_EQ(dup.next->find(name("www.example.net."))->find(dns::rrtype::A).count(), 2);
}

TEST_F(EngineTest, DynamicMaxTtlClamps) {
  EngineOptions o;
  o.dynamic_max_ttl = 30;
  Outcome r = run({rr("new", "A", IN, 3600, "192.0.2.99")}, {}, everything(), o);
  EXPECT_EQ(r.next->find(name("new.example.net."))->find(dns::rrtype::A).ttl(), 30u);
}

TEST_F(EngineTest, TtlWithTopBitSetIsZero) {
  Outcome r = run({rr("new", "A", IN, 0x80000000u, "192.0.2.99")});
  EXPECT_EQ(r.next->find(name("new.example.net."))->find(dns::rrtype::A).ttl(), 0u);
}

// RRSIGs are stored as one RRset per covered type (RFC 4034 3): adding,
// deleting one RR and value-dependent prerequisites must see all of them,
// not only the first.
TEST_F(EngineTest, RrsigsOfSeveralCoveredTypesAreSeparateRRsets) {
  const std::string sig_a =
      "A 13 3 60 20261231000000 20261101000000 12345 example.net. AAAA";
  const std::string sig_aaaa =
      "AAAA 13 3 60 20261231000000 20261101000000 12345 example.net. BBBB";
  const std::string sig_aaaa2 =
      "AAAA 13 3 60 20261231000000 20261101000000 54321 example.net. CCCC";
  Outcome r = run({rr("www", "RRSIG", IN, 60, sig_a), rr("www", "RRSIG", IN, 120, sig_aaaa),
                   rr("www", "RRSIG", IN, 120, sig_aaaa2)});
  ASSERT_EQ(r.rcode, rc::NOERROR) << r.ev.reason;
  base = r.next;
  before = dump(*base);
  // Two RRsets: TTLs are kept per covered type.
  const zone::Node* n = base->find(name("www.example.net."));
  ASSERT_NE(n, nullptr);
  int sets = 0;
  auto c = n->rrsets();
  zone::RRsetView v;
  while (c.next(v))
    if (v.type() == dns::rrtype::RRSIG) {
      ++sets;
      EXPECT_EQ(v.ttl(), v.count() == 1 ? 60u : 120u);
    }
  EXPECT_EQ(sets, 2);
  // The value-dependent prerequisite is the union of both.
  EXPECT_EQ(run({}, {rr("www", "RRSIG", IN, 0, sig_a), rr("www", "RRSIG", IN, 0, sig_aaaa),
                     rr("www", "RRSIG", IN, 0, sig_aaaa2)})
                .rcode,
            rc::NOERROR);
  expect_refused(rc::NXRRSET, {rr("x", "A", IN, 60, "192.0.2.1")},
                 {rr("www", "RRSIG", IN, 0, sig_a)});
  // Deleting one RR of the second RRset really deletes it.
  r = run({rr("www", "RRSIG", NONE, 0, sig_aaaa2)});
  ASSERT_EQ(r.rcode, rc::NOERROR);
  ASSERT_EQ(r.ev.diff.removed.size(), 1u);  // (the SOA change is finish_update's)
  EXPECT_EQ(r.ev.diff.removed[0].rdata, rdata(dns::rrtype::RRSIG, sig_aaaa2));
  int left = 0;
  c = r.next->find(name("www.example.net."))->rrsets();
  while (c.next(v))
    if (v.type() == dns::rrtype::RRSIG) left += v.count();
  EXPECT_EQ(left, 2);
}

TEST_F(EngineTest, SerialIncrementsPerRFC1982) {
  EXPECT_EQ(next_serial(100), 101u);
  EXPECT_EQ(next_serial(0xffffffffu), 1u);  // 0 is skipped (BIND's increment)
  EXPECT_TRUE(serial_gt(1, 0xffffffffu));
  EXPECT_FALSE(serial_gt(0xffffffffu, 1));
  EXPECT_FALSE(serial_gt(5, 5));
  EXPECT_FALSE(serial_gt(0x80000000u, 0));  // undefined distance: not greater
  auto z =
      load(std::string(kZoneText).replace(std::string(kZoneText).find(" 100 "), 5, " 4294967295 "));
  UpdateMessage m;
  m.zone = origin();
  m.updates = {rr("n", "A", IN, 60, "192.0.2.1")};
  auto ev = evaluate(*z, m, everything());
  auto next = finish_update(*z, ev.diff);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->serial(), 1u);
}

TEST_F(EngineTest, LeaseOnlyBumpKeepsRecords) {
  zone::ZoneDiff empty;
  auto next = finish_update(*base, empty);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->serial(), 101u);
  EXPECT_EQ((*next)->record_count(), base->record_count());
}

TEST_F(EngineTest, DiffReplaysToTheSameZone) {
  // The diff (what the journal stores) applied to the base gives the version.
  Outcome r = run({rr("www", "A", IN, 60, "192.0.2.12"), rr("alias", "ANY", ANY, 0),
                   rr("new.deep", "TXT", IN, 60, "x"), rr("a.b.c", "A", NONE, 0, "192.0.2.20")});
  ASSERT_TRUE(r.ev.changed());
  zone::ZoneDiff d = r.ev.diff;
  auto n = finish_update(*base, d);
  ASSERT_TRUE(n.ok());
  auto again = base->apply(d);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(dump(**again), dump(**n));
  EXPECT_EQ((*n)->find(name("c.example.net.")), nullptr);  // empty non-terminals pruned
}

// ---------------------------------------------------------------- policy

class PolicyTest : public EngineTest {
 protected:
  Permission key(const char* signer, std::vector<Grant> grants) {
    policy = UpdatePolicy(std::move(grants));
    Permission p;
    p.policy = &policy;
    p.signer = name(signer);
    return p;
  }
  static Grant grant(const char* k, const char* kind, const char* n,
                     std::vector<std::string> types = {}) {
    auto g = make_grant(k, kind, n, types, origin());
    EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.message());
    return *g;
  }
  UpdatePolicy policy;
};

TEST_F(PolicyTest, NameGrant) {
  auto p = key("k1.", {grant("k1", "name", "host.example.net")});
  EXPECT_EQ(run({rr("host", "A", IN, 60, "192.0.2.1")}, {}, p).rcode, rc::NOERROR);
  expect_refused(rc::REFUSED,
                 {rr("host", "A", IN, 60, "192.0.2.1"), rr("x.host", "A", IN, 60, "192.0.2.1")}, {},
                 p);
  // Another key gets nothing.
  auto other = key("k2.", {grant("k1", "name", "host.example.net")});
  expect_refused(rc::REFUSED, {rr("host", "A", IN, 60, "192.0.2.1")}, {}, other);
}

TEST_F(PolicyTest, SubdomainGrant) {
  auto p = key("k1.", {grant("k1", "subdomain", "dyn.example.net")});
  EXPECT_EQ(
      run({rr("dyn", "A", IN, 60, "192.0.2.1"), rr("a.b.dyn", "A", IN, 60, "192.0.2.1")}, {}, p)
          .rcode,
      rc::NOERROR);
  expect_refused(rc::REFUSED,
                 {rr("dyn", "A", IN, 60, "192.0.2.1"), rr("www", "A", IN, 60, "192.0.2.1")}, {}, p);
}

TEST_F(PolicyTest, ZonesubGrantWithTypes) {
  auto p = key("k1.", {grant("k1", "zonesub", "", {"A", "AAAA"})});
  EXPECT_EQ(run({rr("anything", "A", IN, 60, "192.0.2.1")}, {}, p).rcode, rc::NOERROR);
  expect_refused(rc::REFUSED,
                 {rr("anything", "A", IN, 60, "192.0.2.1"), rr("www", "TXT", IN, 60, "x")}, {}, p);
  // Deleting all RRsets at www needs TXT too.
  expect_refused(rc::REFUSED, {rr("www", "ANY", ANY, 0)}, {}, p);
  // At a name holding only A, delete-all is allowed.
  EXPECT_EQ(run({rr("ns1", "ANY", ANY, 0)}, {}, p).rcode, rc::NOERROR);
}

TEST_F(PolicyTest, WildcardGrant) {
  auto p = key("k1.", {grant("k1", "wildcard", "*.dyn.example.net")});
  EXPECT_EQ(
      run({rr("h.dyn", "A", IN, 60, "192.0.2.1"), rr("a.h.dyn", "A", IN, 60, "192.0.2.1")}, {}, p)
          .rcode,
      rc::NOERROR);
  expect_refused(rc::REFUSED, {rr("dyn", "A", IN, 60, "192.0.2.1")}, {}, p);  // the base itself
  EXPECT_FALSE(make_grant("k1", "wildcard", "dyn.example.net", {}, origin()).ok());
}

TEST_F(PolicyTest, SelfGrant) {
  // Key "laptop" may change laptop.example.net (its name under the zone) ...
  auto p = key("laptop.", {grant("laptop", "self", "")});
  EXPECT_EQ(run({rr("laptop", "A", IN, 60, "192.0.2.1")}, {}, p).rcode, rc::NOERROR);
  expect_refused(rc::REFUSED, {rr("desktop", "A", IN, 60, "192.0.2.1")}, {}, p);
  // ... a key named like an owner in the zone that very owner ...
  auto q = key("host.example.net.", {grant("host.example.net", "self", "")});
  EXPECT_EQ(run({rr("host", "AAAA", IN, 60, "2001:db8::1")}, {}, q).rcode, rc::NOERROR);
  // ... and with a name given, that name only, limited to the types listed.
  auto r = key("laptop.", {grant("laptop", "self", "pc.example.net", {"A"})});
  EXPECT_EQ(run({rr("pc", "A", IN, 60, "192.0.2.1")}, {}, r).rcode, rc::NOERROR);
  expect_refused(rc::REFUSED, {rr("pc", "TXT", IN, 60, "x")}, {}, r);
  expect_refused(rc::REFUSED, {rr("laptop", "A", IN, 60, "192.0.2.1")}, {}, r);
}

TEST_F(PolicyTest, PrerequisitesAreCheckedBeforePermissions) {
  auto p = key("k1.", {grant("k1", "name", "host.example.net")});
  // RFC 2136 3.2 before 3.3: the failing prerequisite decides.
  expect_refused(rc::NXDOMAIN, {rr("www", "A", IN, 60, "192.0.2.1")}, {rr("nope", "ANY", ANY, 0)},
                 p);
}

// BIND's post-update name server sanity check: a zone whose apex NS points at
// an in-zone name without addresses could not be loaded again from its file.
TEST(PostUpdateSanity, ApexNsTargetsNeedAddresses) {
  auto base = load();
  std::string why;
  EXPECT_TRUE(apex_ns_have_addresses(*base, &why));
  zone::ZoneDiff d;
  d.added.push_back({origin(), dns::rrtype::NS, dns::rrclass::IN, 300,
                     rdata(dns::rrtype::NS, "ns3.example.net.")});
  auto bad = finish_update(*base, d);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(apex_ns_have_addresses(**bad, &why));
  EXPECT_NE(why.find("ns3.example.net."), std::string::npos);
  // Glue below a cut counts, and out-of-zone targets are not ours to check.
  zone::ZoneDiff ok;
  ok.added.push_back({origin(), dns::rrtype::NS, dns::rrclass::IN, 300,
                      rdata(dns::rrtype::NS, "ns.sub.example.net.")});
  ok.added.push_back({origin(), dns::rrtype::NS, dns::rrclass::IN, 300,
                      rdata(dns::rrtype::NS, "ns.example.org.")});
  auto good = finish_update(*base, ok);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(apex_ns_have_addresses(**good, &why));
  // Removing the last address of a name the apex NS points at fails the check too.
  zone::ZoneDiff rm;
  rm.removed.push_back({name("ns2.example.net."), dns::rrtype::A, dns::rrclass::IN, 300,
                        rdata(dns::rrtype::A, "192.0.2.2")});
  auto gone = finish_update(*base, rm);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(apex_ns_have_addresses(**gone, &why));
}

}  // namespace
}  // namespace namae::update
