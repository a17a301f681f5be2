// A change of key split (csk <-> ksk-zsk) on fake time, through the real
// key ring and signer as the daemon drives them: the ring stepped each
// second, then a signing pass over what the signer finds due. Every version
// served is kept with the time it was served from, so that each step is
// checked against what resolvers may still hold (RFC 7583: a DNSKEY RRset
// up to Ipub after it was replaced, signatures up to Iret, the parent's old
// DS up to its TTL + propagation delay): every cached DNSKEY RRset holds a
// signer of every cached RRset, and holds and is signed by the key of every
// DS a resolver may have. The zone verifies whole at each step too.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>

#include "dns/rrtype.h"
#include "dnssec/dnskey.h"
#include "dnssec/rrsig.h"
#include "dnssec/zone_verify.h"
#include "signing/keys.h"
#include "zone/load.h"

namespace namae::signing {
namespace {

namespace fs = std::filesystem;
namespace rt = dns::rrtype;
constexpr int64_t kNow = 1800000000;
constexpr int64_t kForever = INT64_MAX / 2;

dns::Name N(const std::string& t) { return dns::Name::from_text(t).value(); }

using Tags = std::set<uint16_t>;

// Key tags of the apex RRset of `type` (DNSKEY, CDNSKEY: the key's; CDS: its field).
Tags apex_tags(const zone::ZoneVersion& v, uint16_t type) {
  Tags out;
  for (const auto& r : v.records())
    if (r.owner == v.origin() && r.type == type)
      out.insert(type == rt::CDS ? static_cast<uint16_t>(r.rdata[0] << 8 | r.rdata[1]) : dnssec::key_tag(r.rdata));
  return out;
}

// The signers of each signed RRset (owner and type covered).
std::map<std::pair<std::string, uint16_t>, Tags> signers(const zone::ZoneVersion& v) {
  std::map<std::pair<std::string, uint16_t>, Tags> out;
  for (const auto& r : v.records())
    if (r.type == rt::RRSIG)
      if (auto f = dnssec::parse_rrsig(r.rdata)) out[{r.owner.to_text(), f->type_covered}].insert(f->key_tag);
  return out;
}

Tags signers_of(const zone::ZoneVersion& v, const std::string& owner, uint16_t type) {
  auto all = signers(v);
  auto it = all.find({owner, type});
  return it == all.end() ? Tags{} : it->second;
}

class SplitChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/namae-split-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    policy_.dnskey_ttl = 60;
    policy_.propagation_delay = 40;  // Ipub = 100
    policy_.parent_ds_ttl = 30;
    policy_.parent_propagation_delay = 7;  // 37
    policy_.key_directory = dir_ + "/keys";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The zone's first keys and its first signed version, at kNow.
  void start(bool split) {
    policy_.split_keys = split;
    auto r = ZoneKeyRing::open(N("example."), policy_, kNow);
    ASSERT_TRUE(r.ok()) << r.message();
    ring_ = std::move(*r);
    std::vector<zonefile::Diagnostic> diags;
    auto v = zone::load_zone_text("$TTL 30\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n",
                                  "test", N("example."), diags);
    ASSERT_TRUE(v.ok()) << v.message();
    Scope all;
    all.all = true;
    sign(*v, all, kNow);
    for (uint16_t t : apex_tags(*served_.back().v, rt::CDS)) parent_.push_back({kNow, t});
  }
  void sign(std::shared_ptr<const zone::ZoneVersion> v, Scope scope, int64_t now) {
    signer_ = ring_->signer();
    zone::ZoneDiff d;
    auto s = signer_->sign(std::make_shared<zone::ZoneVersion>(*v), std::move(scope), now, d);
    ASSERT_TRUE(s.ok()) << s.message();
    served_.push_back({now, *s});
  }
  const zone::ZoneVersion& zone() const { return *served_.back().v; }

  // One second of the daemon's loop: the ring's tick, a new signer taken,
  // the signatures due renewed; then the checks.
  void step(int64_t now) {
    auto changed = ring_->tick(now, served_.back().v.get());
    ASSERT_TRUE(changed.ok()) << changed.message();
    int64_t next_due = 0;
    Scope due = ring_->signer()->refresh_scope(zone(), now, next_due);
    if (!due.names.empty()) sign(served_.back().v, std::move(due), now);
    expect_validatable(now);
  }
  void run_until(int64_t end) {
    for (; now_ <= end && !HasFatalFailure(); ++now_) step(now_);
  }
  // The operator's ds-seen, the parent holding only that DS from now on.
  void ds_seen(uint16_t tag) {
    auto r = ring_->ds_seen(tag, now_, served_.back().v.get());
    ASSERT_TRUE(r.ok()) << r.message();
    parent_.push_back({now_, tag});
  }

  void expect_validatable(int64_t now) {
    auto check = dnssec::verify_zone(zone().records(), N("example."), now);
    ASSERT_TRUE(check.problems.empty()) << "at +" << now - kNow << ": " << check.problems[0];
    const int64_t ipub = 100, iret = largest_ttl(zone()) + 40, parent = 37;
    auto held_until = [&](const auto& list, size_t i, int64_t keep) {
      return (i + 1 < list.size() ? list[i + 1].first : kForever) + keep;
    };
    std::vector<std::pair<int64_t, const zone::ZoneVersion*>> versions;
    for (const auto& s : served_) versions.push_back({s.from, s.v.get()});
    for (size_t a = 0; a < versions.size(); ++a) {
      if (held_until(versions, a, ipub) <= now) continue;  // no cache holds this DNSKEY RRset any more
      const auto& keys_version = *versions[a].second;
      const Tags keys = apex_tags(keys_version, rt::DNSKEY);
      const Tags key_signers = signers_of(keys_version, "example.", rt::DNSKEY);
      for (size_t p = 0; p < parent_.size(); ++p) {
        if (held_until(parent_, p, parent) <= now) continue;
        const uint16_t ds = parent_[p].second;
        EXPECT_TRUE(keys.count(ds) && key_signers.count(ds))
            << "at +" << now - kNow << ": the DS of " << ds << " with the DNSKEY RRset of +"
            << versions[a].first - kNow;
      }
      for (size_t b = 0; b < versions.size(); ++b) {
        if (held_until(versions, b, iret) <= now) continue;
        for (const auto& [set, tags] : signers(*versions[b].second)) {
          if (set.second == rt::DNSKEY) continue;
          bool any = false;
          for (uint16_t t : tags) any = any || keys.count(t);
          EXPECT_TRUE(any) << "at +" << now - kNow << ": " << set.first << " " << set.second << " of +"
                           << versions[b].first - kNow << " with the DNSKEY RRset of +" << versions[a].first - kNow;
        }
      }
    }
  }

  struct Served {
    int64_t from;
    std::shared_ptr<const zone::ZoneVersion> v;
  };
  std::string dir_;
  Policy policy_;
  std::unique_ptr<ZoneKeyRing> ring_;
  std::shared_ptr<const ZoneSigner> signer_;
  std::vector<Served> served_;
  std::vector<std::pair<int64_t, uint16_t>> parent_;  // the parent's DS from then on
  int64_t now_ = kNow + 1;
};

// csk -> ksk-zsk across a restart: the new KSK and ZSK published at the
// first tick with the served zone, taking over Ipub later (the CDS set
// names the KSK, the ZSK signs the data), the CSK signing the DNSKEY RRset
// until the KSK's DS was seen and gone from caches.
TEST_F(SplitChangeTest, CskToKskZskAcrossARestart) {
  start(false);
  const Tags first = apex_tags(zone(), rt::DNSKEY);
  ASSERT_EQ(first.size(), 1u);
  const uint16_t csk = *first.begin();
  run_until(kNow + 10);
  policy_.split_keys = true;
  auto reopened = ZoneKeyRing::open(N("example."), policy_, kNow + 10);
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  ring_ = std::move(*reopened);
  EXPECT_EQ(ring_->signer()->keys().size(), 1u);  // nothing made before the zone's TTLs are known
  run_until(kNow + 11);
  const Tags keys = apex_tags(zone(), rt::DNSKEY);
  ASSERT_EQ(keys.size(), 3u);
  uint16_t ksk = 0, zsk = 0;
  for (const auto& k : ring_->signer()->keys())
    if (k.tag != csk) (k.is_ksk() ? ksk : zsk) = k.tag;
  ASSERT_TRUE(ksk && zsk);
  // Published: the KSK signs the DNSKEY RRset with the CSK; the data and
  // the CDS set stay the CSK's.
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), (Tags{csk, ksk}));
  EXPECT_EQ(signers_of(zone(), "www.example.", rt::A), Tags{csk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::SOA), Tags{csk});
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{csk});
  EXPECT_FALSE(ring_->ds_seen(ksk, kNow + 50, served_.back().v.get()).ok());
  // Ipub (100) later the KSK is in the CDS set and the ZSK signs the data.
  run_until(kNow + 111);
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{ksk});
  EXPECT_EQ(apex_tags(zone(), rt::CDNSKEY), Tags{ksk});
  EXPECT_EQ(signers_of(zone(), "www.example.", rt::A), Tags{zsk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::NSEC), Tags{zsk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), (Tags{csk, ksk}));
  EXPECT_EQ(signers_of(zone(), "example.", rt::CDS), (Tags{csk, ksk}));
  EXPECT_NE(ring_->status(now_).find("waiting for ds-seen"), std::string::npos) << ring_->status(now_);
  // The CSK stays without the report.
  run_until(kNow + 400);
  EXPECT_EQ(apex_tags(zone(), rt::DNSKEY), keys);
  ds_seen(ksk);
  run_until(kNow + 600);
  EXPECT_EQ(apex_tags(zone(), rt::DNSKEY), (Tags{ksk, zsk}));
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), Tags{ksk});
  EXPECT_EQ(signers_of(zone(), "www.example.", rt::A), Tags{zsk});
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{ksk});
}

// ksk-zsk -> csk at a live reconfiguration: the CSK published and signing
// the DNSKEY RRset at once, the data and the CDS set Ipub later; the old
// ZSK leaves Iret after that, the old KSK once the CSK's DS was seen.
TEST_F(SplitChangeTest, KskZskToCskLive) {
  start(true);
  uint16_t ksk = 0, zsk = 0;
  for (const auto& k : ring_->signer()->keys()) (k.is_ksk() ? ksk : zsk) = k.tag;
  ASSERT_TRUE(ksk && zsk);
  run_until(kNow + 10);
  policy_.split_keys = false;
  ASSERT_TRUE(ring_->set_policy(policy_, now_).ok());
  run_until(kNow + 11);
  const Tags keys = apex_tags(zone(), rt::DNSKEY);
  ASSERT_EQ(keys.size(), 3u);
  uint16_t csk = 0;
  for (uint16_t t : keys)
    if (t != ksk && t != zsk) csk = t;
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), (Tags{ksk, csk}));
  EXPECT_EQ(signers_of(zone(), "www.example.", rt::A), Tags{zsk});
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{ksk});
  run_until(kNow + 111);
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{csk});
  EXPECT_EQ(apex_tags(zone(), rt::CDNSKEY), Tags{csk});
  EXPECT_EQ(signers_of(zone(), "www.example.", rt::A), Tags{csk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), (Tags{ksk, csk}));
  EXPECT_EQ(apex_tags(zone(), rt::DNSKEY), keys);
  // Iret (the zone's largest TTL, the DNSKEY's 60, + 40) after the switch the old ZSK goes.
  run_until(kNow + 211);
  EXPECT_EQ(apex_tags(zone(), rt::DNSKEY), (Tags{ksk, csk}));
  ds_seen(csk);
  run_until(kNow + 300);
  EXPECT_EQ(apex_tags(zone(), rt::DNSKEY), Tags{csk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::DNSKEY), Tags{csk});
  EXPECT_EQ(signers_of(zone(), "example.", rt::SOA), Tags{csk});
  EXPECT_EQ(apex_tags(zone(), rt::CDS), Tags{csk});
}

}  // namespace
}  // namespace namae::signing
