// The incremental signer against the whole-zone verifier: a zone signed
// whole, then changed by many small diffs each followed by a signing pass
// over the diff's scope alone, must verify after every step (every RRset
// signed, the NSEC or NSEC3 chain exactly what the data requires), and a
// second pass over a signed zone must change nothing.
#include <gtest/gtest.h>

#include <random>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/rrsig.h"
#include "dnssec/zone_verify.h"
#include "signing/zone_signer.h"
#include "zone/load.h"
#include "../dnssec/test_util.h"

namespace namae::signing {
namespace {

namespace rt = dns::rrtype;
constexpr int64_t kNow = 1800000000;

dns::Name N(const std::string& t) { return dns::Name::from_text(t).value(); }

const char* kZone = R"(
$TTL 3600
@ IN SOA ns h 1 7200 3600 1209600 300
@ NS ns
@ MX 10 mail
ns A 192.0.2.1
mail A 192.0.2.2
www CNAME mail
*.wild TXT "wildcard"
host.ent.deep A 192.0.2.3
sub NS ns.sub
ns.sub A 192.0.2.4
secure NS ns.other.test.
secure DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000
)";

dns::Record rr(const std::string& owner, uint16_t type, const std::string& rdata) {
  return dnssec::test::records(owner + " 3600 IN " + dns::type_to_text(type) + " " + rdata).at(0);
}

class ZoneSignerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    Policy p;
    p.nsec3 = GetParam();
    p.validity = 1000;
    p.refresh = 400;
    auto k = dnssec::generate_zone_key(N("example."), p.algorithm, dnssec::kFlagsKsk, kNow - 10);
    signer_ = std::make_unique<ZoneSigner>(N("example."), p, std::vector<dnssec::ZoneKey>{std::move(*k)});
    std::vector<zonefile::Diagnostic> diags;
    auto v = zone::load_zone_text(kZone, "test", N("example."), diags);
    ASSERT_TRUE(v.ok()) << v.message();
    Scope all;
    all.all = true;
    zone::ZoneDiff d;
    auto s = signer_->sign(std::const_pointer_cast<zone::ZoneVersion>(*v), all, kNow, d);
    ASSERT_TRUE(s.ok()) << s.message();
    v_ = *s;
  }
  void expect_verifies(int64_t now, const std::string& step) {
    auto check = dnssec::verify_zone(v_->records(), N("example."), now);
    ASSERT_TRUE(check.problems.empty()) << step << ": " << check.problems[0];
  }
  // A dynamic update's path: the data diff with an SOA bump, then a pass
  // over its scope.
  void update(zone::ZoneDiff diff, int64_t now) {
    auto soa = v_->soa().first();
    dns::RdataBytes old(soa.begin(), soa.end()), next = old;
    dns::put_u32(next.data() + next.size() - 20, v_->serial() + 1);
    diff.removed.push_back({N("example."), rt::SOA, dns::rrclass::IN, 3600, old});
    diff.added.push_back({N("example."), rt::SOA, dns::rrclass::IN, 3600, next});
    auto applied = v_->apply(diff);
    ASSERT_TRUE(applied.ok()) << applied.message();
    zone::ZoneDiff signed_diff = diff;
    auto s = signer_->sign(std::const_pointer_cast<zone::ZoneVersion>(*applied), scope_of(diff), now, signed_diff);
    ASSERT_TRUE(s.ok()) << s.message();
    // The journaled diff (data + signing) applied in one go gives the same zone.
    auto replayed = v_->apply(signed_diff);
    ASSERT_TRUE(replayed.ok()) << replayed.message();
    EXPECT_EQ((*replayed)->records().size(), (*s)->records().size());
    v_ = *s;
  }
  std::unique_ptr<ZoneSigner> signer_;
  std::shared_ptr<const zone::ZoneVersion> v_;
};

TEST_P(ZoneSignerTest, WholeZoneVerifiesAndASecondPassChangesNothing) {
  expect_verifies(kNow, "signed");
  EXPECT_TRUE(v_->is_signed());
  EXPECT_EQ(v_->nsec3_params() != nullptr, GetParam());
  Scope all;
  all.all = true;
  zone::ZoneDiff d;
  auto again = signer_->sign(std::make_shared<zone::ZoneVersion>(*v_), all, kNow + 5, d);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(d.removed.empty() && d.added.empty()) << d.removed.size() << " removed, " << d.added.size() << " added";
}

TEST_P(ZoneSignerTest, ChainIsRepairedAroundNamesAddedAndRemoved) {
  update({{}, {rr("new.example.", rt::A, "192.0.2.9")}}, kNow);
  expect_verifies(kNow, "name added");
  update({{}, {rr("a.b.c.example.", rt::A, "192.0.2.10")}}, kNow);  // two new ENTs
  expect_verifies(kNow, "name under new ENTs");
  update({{rr("a.b.c.example.", rt::A, "192.0.2.10")}, {}}, kNow);  // ENTs go with it
  expect_verifies(kNow, "name and ENTs removed");
  update({{rr("host.ent.deep.example.", rt::A, "192.0.2.3")}, {rr("ent.deep.example.", rt::TXT, "\"now data\"")}}, kNow);
  expect_verifies(kNow, "ENT became data");
  update({{}, {rr("mail.example.", rt::TXT, "\"types change\"")}}, kNow);
  expect_verifies(kNow, "types of a name");
  update({{}, {rr("deleg.example.", rt::A, "192.0.2.20"), rr("x.deleg.example.", rt::A, "192.0.2.21")}}, kNow);
  update({{}, {rr("deleg.example.", rt::NS, "ns.other.test.")}}, kNow);  // names below become occluded
  expect_verifies(kNow, "cut added");
  update({{rr("deleg.example.", rt::NS, "ns.other.test.")}, {}}, kNow);
  expect_verifies(kNow, "cut removed");
}

TEST_P(ZoneSignerTest, ManyRandomUpdatesKeepTheZoneVerifying) {
  std::mt19937 rng(7);
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) {
    zone::ZoneDiff d;
    for (int j = 0; j < 3; ++j) {
      if (!names.empty() && rng() % 3 == 0) {
        size_t k = rng() % names.size();
        d.removed.push_back(rr(names[k], rt::A, "192.0.2.77"));
        names.erase(names.begin() + static_cast<long>(k));
      } else {
        std::string n = "h" + std::to_string(rng() % 1000) + (rng() % 2 ? ".g" + std::to_string(rng() % 5) : "") + ".example.";
        if (std::find(names.begin(), names.end(), n) != names.end()) continue;
        names.push_back(n);
        d.added.push_back(rr(n, rt::A, "192.0.2.77"));
      }
    }
    update(std::move(d), kNow);
    if (i % 50 == 0) expect_verifies(kNow, "update " + std::to_string(i));
  }
  expect_verifies(kNow, "after all updates");
}

TEST_P(ZoneSignerTest, DueSignaturesAreRefreshed) {
  int64_t next_due = 0;
  EXPECT_TRUE(signer_->refresh_scope(*v_, kNow, next_due).names.empty());
  EXPECT_EQ(next_due, kNow + 1000 - 400);
  const int64_t later = kNow + 700;  // past the refresh point, before expiry
  Scope due = signer_->refresh_scope(*v_, later, next_due);
  EXPECT_FALSE(due.names.empty());
  zone::ZoneDiff d;
  auto s = signer_->sign(std::make_shared<zone::ZoneVersion>(*v_), due, later, d);
  ASSERT_TRUE(s.ok());
  v_ = *s;
  expect_verifies(later + 500, "refreshed");  // the old signatures would have expired
  EXPECT_TRUE(signer_->refresh_scope(*v_, later, next_due).names.empty());
}

// Signing and publication follow the keys' times (signing/rollover.h): a
// pre-published ZSK is in the DNSKEY RRset but signs nothing until its
// activation, when every signature by its predecessor is due; the
// predecessor leaves the DNSKEY RRset at its removal; the CDS and CDNSKEY
// RRsets name the active KSK and are signed by the KSKs.
std::vector<uint16_t> signer_tags(const zone::ZoneVersion& v, const std::string& owner, uint16_t covered) {
  std::vector<uint16_t> tags;
  const zone::Node* n = v.find(N(owner));
  if (!n) return tags;
  auto c = n->find_signatures(covered).rdatas();
  for (std::span<const uint8_t> rd; c.next(rd);) tags.push_back(dnssec::parse_rrsig(rd)->key_tag);
  std::sort(tags.begin(), tags.end());
  return tags;
}

TEST(ZoneSignerKeys, KeyTimesDriveWhatIsPublishedAndWhoSigns) {
  Policy p;
  p.split_keys = true;
  p.validity = 100000;
  p.refresh = 400;
  auto make = [&](uint16_t flags, dnssec::KeyTiming t) {
    auto k = dnssec::generate_zone_key(N("example."), p.algorithm, flags, kNow - 10);
    k->timing = t;
    return std::move(*k);
  };
  const int64_t activate = kNow + 100, remove = kNow + 150;
  std::vector<dnssec::ZoneKey> keys;
  keys.push_back(make(dnssec::kFlagsKsk, {kNow - 10, kNow - 10, kNow - 10, {}, {}, {}, {}}));
  keys.push_back(make(dnssec::kFlagsZsk, {kNow - 10, kNow - 10, kNow - 10, activate, remove, {}, {}}));
  keys.push_back(make(dnssec::kFlagsZsk, {kNow, kNow, activate, {}, {}, {}, {}}));
  const uint16_t ksk = keys[0].tag, old_zsk = keys[1].tag, new_zsk = keys[2].tag;
  ZoneSigner signer(N("example."), p, keys);
  std::vector<zonefile::Diagnostic> diags;
  auto loaded = zone::load_zone_text(kZone, "test", N("example."), diags);
  ASSERT_TRUE(loaded.ok());
  std::shared_ptr<const zone::ZoneVersion> v = *loaded;
  auto pass = [&](Scope scope, int64_t now) {
    zone::ZoneDiff d;
    auto s = signer.sign(std::make_shared<zone::ZoneVersion>(*v), std::move(scope), now, d);
    ASSERT_TRUE(s.ok()) << s.message();
    v = *s;
    auto check = dnssec::verify_zone(v->records(), N("example."), now);
    ASSERT_TRUE(check.problems.empty()) << check.problems[0];
  };
  Scope all;
  all.all = true;
  pass(all, kNow);
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 3u);
  EXPECT_EQ(signer_tags(*v, "mail.example.", rt::A), std::vector<uint16_t>{old_zsk});
  EXPECT_EQ(signer_tags(*v, "example.", rt::DNSKEY), std::vector<uint16_t>{ksk});
  EXPECT_EQ(signer_tags(*v, "example.", rt::CDS), std::vector<uint16_t>{ksk});
  auto cds = v->apex().find(rt::CDS);
  ASSERT_EQ(cds.count(), 1u);
  auto want_ds = dnssec::ds_rdata(N("example."), keys[0].dnskey, 2);
  EXPECT_TRUE(std::equal(cds.first().begin(), cds.first().end(), want_ds->begin(), want_ds->end()));
  EXPECT_EQ(v->apex().find(rt::CDNSKEY).count(), 1u);
  // Nothing is due before the activation, which is the next event.
  int64_t next_due = 0;
  EXPECT_TRUE(signer.refresh_scope(*v, kNow + 1, next_due).names.empty());
  EXPECT_EQ(next_due, activate);
  // At it, the whole zone moves to the new ZSK.
  Scope due = signer.refresh_scope(*v, activate, next_due);
  EXPECT_GT(due.names.size(), 5u);
  pass(due, activate);
  EXPECT_EQ(signer_tags(*v, "mail.example.", rt::A), std::vector<uint16_t>{new_zsk});
  EXPECT_EQ(signer_tags(*v, "host.ent.deep.example.", rt::A), std::vector<uint16_t>{new_zsk});
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 3u);
  EXPECT_TRUE(signer.refresh_scope(*v, activate + 1, next_due).names.empty());
  EXPECT_EQ(next_due, remove);
  // At the removal only the apex changes.
  due = signer.refresh_scope(*v, remove, next_due);
  EXPECT_EQ(due.names, std::vector<dns::Name>{N("example.")});
  pass(due, remove);
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 2u);
  EXPECT_TRUE(signer.refresh_scope(*v, remove + 1, next_due).names.empty());
}

// RFC 6781 4.1.4: keys of the new algorithm sign before they are published,
// the old ones after they left the DNSKEY RRset; the zone verifies at
// every step and each RRset carries an RRSIG of each algorithm signing.
TEST(ZoneSignerKeys, AlgorithmRollSignsWithBothAlgorithms) {
  Policy p;
  p.split_keys = true;
  p.validity = 100000;
  p.refresh = 400;
  auto make = [&](uint8_t alg, uint16_t flags, dnssec::KeyTiming t) {
    auto k = dnssec::generate_zone_key(N("example."), alg, flags, kNow - 10);
    k->timing = t;
    return std::move(*k);
  };
  const int64_t publish = kNow + 100, removal = kNow + 200, sigs_gone = kNow + 300;
  std::vector<dnssec::ZoneKey> keys;
  keys.push_back(make(13, dnssec::kFlagsKsk, {kNow - 10, kNow - 10, kNow - 10, {}, removal, {}, sigs_gone}));
  keys.push_back(make(13, dnssec::kFlagsZsk, {kNow - 10, kNow - 10, kNow - 10, {}, removal, {}, sigs_gone}));
  keys.push_back(make(15, dnssec::kFlagsKsk, {kNow, publish, publish + 50, {}, {}, kNow, {}}));
  keys.push_back(make(15, dnssec::kFlagsZsk, {kNow, publish, kNow, {}, {}, kNow, {}}));
  const uint16_t ksk1 = keys[0].tag, zsk1 = keys[1].tag, ksk2 = keys[2].tag, zsk2 = keys[3].tag;
  ZoneSigner signer(N("example."), p, keys);
  std::vector<zonefile::Diagnostic> diags;
  auto loaded = zone::load_zone_text(kZone, "test", N("example."), diags);
  ASSERT_TRUE(loaded.ok());
  std::shared_ptr<const zone::ZoneVersion> v = *loaded;
  auto pass = [&](int64_t now) {
    int64_t next_due = 0;
    Scope scope = now == kNow ? Scope{true, {}, {}} : signer.refresh_scope(*v, now, next_due);
    zone::ZoneDiff d;
    auto s = signer.sign(std::make_shared<zone::ZoneVersion>(*v), std::move(scope), now, d);
    ASSERT_TRUE(s.ok()) << s.message();
    v = *s;
    auto check = dnssec::verify_zone(v->records(), N("example."), now);
    ASSERT_TRUE(check.problems.empty()) << check.problems[0];
  };
  auto sorted = [](std::vector<uint16_t> t) {
    std::sort(t.begin(), t.end());
    return t;
  };
  pass(kNow);  // new RRSIGs
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 2u);
  EXPECT_EQ(signer_tags(*v, "mail.example.", rt::A), sorted({zsk1, zsk2}));
  EXPECT_EQ(signer_tags(*v, "host.ent.deep.example.", rt::A), sorted({zsk1, zsk2}));
  EXPECT_EQ(signer_tags(*v, "example.", rt::DNSKEY), sorted({ksk1, ksk2}));
  pass(publish);  // new DNSKEY; the CDS set names the old KSK still
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 4u);
  EXPECT_EQ(signer_tags(*v, "example.", rt::CDS), sorted({ksk1, ksk2}));
  pass(publish + 50);  // new DS: the CDS set names both KSKs (the old one is retired by the ring)
  pass(removal);  // DNSKEY removal: the old signatures stay
  EXPECT_EQ(v->apex().find(rt::DNSKEY).count(), 2u);
  EXPECT_EQ(signer_tags(*v, "mail.example.", rt::A), sorted({zsk1, zsk2}));
  pass(sigs_gone);  // RRSIGs removal
  EXPECT_EQ(signer_tags(*v, "mail.example.", rt::A), std::vector<uint16_t>{zsk2});
  EXPECT_EQ(signer_tags(*v, "example.", rt::DNSKEY), std::vector<uint16_t>{ksk2});
  EXPECT_EQ(signer_tags(*v, "example.", rt::SOA), std::vector<uint16_t>{zsk2});
}

INSTANTIATE_TEST_SUITE_P(Denial, ZoneSignerTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Nsec3" : "Nsec"; });

// Going insecure (RFC 8078 4): from delete_cds_from the CDS and CDNSKEY
// RRsets are the one "delete" record each, signed, the zone verifying;
// from unsigned_from a refresh pass finds every DNSSEC record due and the
// pass strips them all, leaving exactly the unsigned zone's data, which a
// dynamic update then keeps unsigned.
TEST_P(ZoneSignerTest, GoingInsecurePublishesDeleteRecordsThenStripsEverything) {
  Policy p = signer_->policy();
  p.insecure = true;
  p.delete_cds_from = kNow + 10;
  p.unsigned_from = kNow + 100;
  ZoneSigner going(N("example."), p, std::vector<dnssec::ZoneKey>(signer_->keys().begin(), signer_->keys().end()));
  int64_t next_due = 0;
  EXPECT_TRUE(going.refresh_scope(*v_, kNow, next_due).names.empty());
  EXPECT_EQ(next_due, kNow + 10);
  Scope due = going.refresh_scope(*v_, kNow + 10, next_due);
  ASSERT_EQ(due.names.size(), 1u);
  zone::ZoneDiff d;
  auto s = going.sign(std::make_shared<zone::ZoneVersion>(*v_), due, kNow + 10, d);
  ASSERT_TRUE(s.ok()) << s.message();
  v_ = *s;
  expect_verifies(kNow + 10, "delete records");
  auto texts = [&](uint16_t type) {
    std::vector<std::string> out;
    auto c = v_->apex().find(type).rdatas();
    for (std::span<const uint8_t> rd; c.next(rd);) out.push_back(dns::rdata::to_text(type, rd));
    return out;
  };
  EXPECT_EQ(texts(rt::CDS), std::vector<std::string>{"0 0 0 00"});
  EXPECT_EQ(texts(rt::CDNSKEY), std::vector<std::string>{"0 3 0 AA=="});
  EXPECT_EQ(texts(rt::DNSKEY).size(), 1u);
  EXPECT_EQ(signer_tags(*v_, "example.", rt::CDS).size(), 1u);
  EXPECT_TRUE(going.refresh_scope(*v_, kNow + 10, next_due).names.empty());
  EXPECT_EQ(next_due, kNow + 100);
  // Unsigned: every DNSSEC record goes in one pass.
  due = going.refresh_scope(*v_, kNow + 100, next_due);
  EXPECT_GT(due.names.size(), 5u);
  d = {};
  s = going.sign(std::make_shared<zone::ZoneVersion>(*v_), due, kNow + 100, d);
  ASSERT_TRUE(s.ok()) << s.message();
  v_ = *s;
  EXPECT_FALSE(v_->is_signed());
  std::vector<zonefile::Diagnostic> diags;
  auto plain = zone::load_zone_text(kZone, "test", N("example."), diags);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(v_->records().size(), (*plain)->records().size());
  for (const auto& r : v_->records())
    EXPECT_FALSE(is_signer_type(r.type) || r.type == rt::CDS || r.type == rt::CDNSKEY) << dns::type_to_text(r.type);
  EXPECT_TRUE(going.refresh_scope(*v_, kNow + 200, next_due).names.empty());
  EXPECT_EQ(next_due, INT64_MAX);
  // An update of the unsigned zone adds no signature.
  zone::ZoneDiff u;
  u.added.push_back(rr("new.example.", rt::A, "192.0.2.9"));
  auto applied = v_->apply(u);
  ASSERT_TRUE(applied.ok());
  zone::ZoneDiff signed_diff = u;
  s = going.sign(std::const_pointer_cast<zone::ZoneVersion>(*applied), scope_of(u), kNow + 300, signed_diff);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(signed_diff.added.size(), 1u);
  EXPECT_TRUE(signed_diff.removed.empty());
  // A whole-zone pass (a restart loading the file) gives the unsigned zone too.
  Scope all;
  all.all = true;
  zone::ZoneDiff w;
  auto again = going.sign(std::const_pointer_cast<zone::ZoneVersion>(*plain), all, kNow + 300, w);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(w.added.empty() && w.removed.empty());
}

}  // namespace
}  // namespace namae::signing
