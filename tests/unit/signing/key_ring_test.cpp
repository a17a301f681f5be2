// ZoneKeyRing on a real key directory: the first keys and the state file
// made at first open and taken up again, a rollover's new key recorded
// before the signer changes, key files the state does not name (a crash
// between writing them and the state) ignored, a state naming a missing
// key refused.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "signing/keys.h"
#include "zone/load.h"

namespace namae::signing {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 1800000000;

dns::Name N(const std::string& t) { return dns::Name::from_text(t).value(); }

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/namae-keyring-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    policy_.split_keys = true;
    policy_.zsk_lifetime = 1000;
    policy_.dnskey_ttl = 60;
    policy_.propagation_delay = 40;
    policy_.key_directory = dir_ + "/keys";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<ZoneKeyRing> open(int64_t now) {
    auto r = ZoneKeyRing::open(N("example."), policy_, now);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? std::move(*r) : nullptr;
  }
  std::set<uint16_t> tags(const ZoneKeyRing& ring) {
    std::set<uint16_t> out;
    for (const auto& k : ring.signer()->keys()) out.insert(k.tag);
    return out;
  }
  std::string state() {
    std::ifstream in(policy_.key_directory + "/example.keystate");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  size_t key_files() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(policy_.key_directory)) n += e.path().extension() == ".private";
    return n;
  }
  std::string dir_;
  Policy policy_;
};

TEST_F(KeyRingTest, FirstOpenMakesKeysAndLaterOpensReuseThem) {
  auto ring = open(kNow);
  ASSERT_TRUE(ring);
  EXPECT_EQ(tags(*ring).size(), 2u);
  EXPECT_EQ(fs::status(policy_.key_directory + "/example.keystate").permissions() & fs::perms::others_read,
            fs::perms::none);
  const auto first = tags(*ring);
  auto again = open(kNow + 10);
  EXPECT_EQ(tags(*again), first);
  EXPECT_EQ(key_files(), 2u);
}

TEST_F(KeyRingTest, RolloverKeyIsRecordedAndSurvivesReopen) {
  auto ring = open(kNow);
  const auto first = tags(*ring);
  // Nothing is due before the ZSK's lifetime less Ipub (100).
  auto changed = ring->tick(kNow + 10, nullptr);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  changed = ring->tick(kNow + 900, nullptr);
  ASSERT_TRUE(changed.ok()) << changed.message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(tags(*ring).size(), 3u);
  EXPECT_NE(ring->status(kNow + 900).find("published, active at " + std::to_string(kNow + 1000)), std::string::npos)
      << ring->status(kNow + 900);
  auto reopened = open(kNow + 901);
  EXPECT_EQ(tags(*reopened), tags(*ring));
  EXPECT_EQ(state(), [&] {
    std::ifstream in(reopened->state_path());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }());
  for (uint16_t t : first) EXPECT_TRUE(tags(*reopened).count(t));
}

// BIND's purge-keys: a removed ZSK's files and record go purge-keys after
// its removal, not before; the state is written without it first.
TEST_F(KeyRingTest, RemovedKeyIsPurgedAfterThePurgeDelay) {
  policy_.purge_keys = 500;
  policy_.zsk_lifetime = 200000;  // no third ZSK before the purge
  auto ring = open(kNow);
  const auto first = tags(*ring);
  ASSERT_TRUE(ring->tick(kNow + 199900, nullptr).ok());  // the successor ZSK
  EXPECT_EQ(key_files(), 3u);
  // Without a served zone the timing takes Iret = 86400 + 40 as the
  // largest TTL's default: the old ZSK retires at 200000 and goes Iret later.
  const int64_t removed = kNow + 200000 + 86400 + 40;
  ASSERT_TRUE(ring->tick(kNow + 200000, nullptr).ok());
  EXPECT_NE(ring->status(kNow + 200000).find("removed at " + std::to_string(removed)), std::string::npos)
      << ring->status(kNow + 200000);
  ASSERT_TRUE(ring->tick(removed + 499, nullptr).ok());
  EXPECT_EQ(key_files(), 3u);
  auto purged = ring->tick(removed + 500, nullptr);
  ASSERT_TRUE(purged.ok()) << purged.message();
  EXPECT_EQ(key_files(), 2u);
  const std::string st = state();
  EXPECT_EQ(std::count(st.begin(), st.end(), '\n'), 3) << st;  // header + 2 keys
  auto reopened = open(removed + 501);
  EXPECT_EQ(tags(*reopened).size(), 2u);
  size_t kept = 0;
  for (uint16_t t : first) kept += tags(*reopened).count(t);
  EXPECT_EQ(kept, 1u);  // the KSK stays, the first ZSK is gone
}

TEST_F(KeyRingTest, PurgeKeysZeroKeepsRemovedKeys) {
  policy_.purge_keys = 0;
  auto ring = open(kNow);
  ASSERT_TRUE(ring->tick(kNow + 900, nullptr).ok());
  ASSERT_TRUE(ring->tick(kNow + 1000, nullptr).ok());
  ASSERT_TRUE(ring->tick(kNow + 10 * 365 * 86400, nullptr).ok());
  EXPECT_EQ(key_files(), 4u);  // and a third ZSK by then; none deleted
}

// dnssec-policy "insecure" on fake time: the signer publishes the delete
// records at once, keeps the keys until ds-gone + the parent interval, then
// holds none; a reopen mid-way takes the state up again; the keys' files
// go purge-keys later.
TEST_F(KeyRingTest, GoingInsecureThroughDsGoneAndPurge) {
  policy_.parent_ds_ttl = 30;
  policy_.parent_propagation_delay = 7;
  policy_.purge_keys = 100;
  auto ring = open(kNow);
  EXPECT_FALSE(ring->ds_gone(kNow + 1, nullptr).ok());  // not going insecure
  Policy insecure = policy_;
  insecure.insecure = true;
  ASSERT_TRUE(ring->set_policy(insecure, kNow + 10).ok());
  EXPECT_EQ(ring->signer()->policy().delete_cds_from, kNow + 10);
  EXPECT_FALSE(ring->signer()->policy().is_unsigned(kNow + 100000));
  ASSERT_TRUE(ring->tick(kNow + 5000, nullptr).ok());  // past the ZSK's lifetime: no roll
  EXPECT_EQ(key_files(), 2u);
  policy_.insecure = true;
  auto reopened = open(kNow + 20);  // a restart with the policy
  EXPECT_EQ(reopened->signer()->policy().delete_cds_from, kNow + 10);
  ASSERT_TRUE(reopened->ds_gone(kNow + 6000, nullptr).ok());
  EXPECT_EQ(reopened->signer()->policy().unsigned_from, kNow + 6037);
  EXPECT_NE(reopened->status(kNow + 6001).find("unsigned at " + std::to_string(kNow + 6037)), std::string::npos);
  ASSERT_TRUE(reopened->tick(kNow + 6037, nullptr).ok());
  EXPECT_TRUE(reopened->signer()->policy().is_unsigned(kNow + 6037));
  EXPECT_EQ(reopened->signer()->signers(kNow + 6037).keys.size(), 0u);
  ASSERT_TRUE(reopened->tick(kNow + 6137, nullptr).ok());
  EXPECT_EQ(key_files(), 0u);
  // Signing again: new keys, published at once.
  policy_.insecure = false;
  auto again = open(kNow + 7000);
  EXPECT_EQ(tags(*again).size(), 2u);
  EXPECT_FALSE(again->signer()->policy().delete_cds_from);
  EXPECT_EQ(state().find("insecure"), std::string::npos);
}

// ctl reconfigure: a new policy taken live. Another lifetime moves the
// next event at once; another algorithm starts its rollover at the next
// tick, as at a restart.
TEST_F(KeyRingTest, LivePolicyRecomputesEventsAndRollsTheAlgorithm) {
  auto ring = open(kNow);
  const auto first = tags(*ring);
  ASSERT_TRUE(ring->tick(kNow + 1, nullptr).ok());
  EXPECT_NE(ring->status(kNow + 1).find("next event: " + std::to_string(kNow + 900)), std::string::npos)
      << ring->status(kNow + 1);
  Policy longer = policy_;
  longer.zsk_lifetime = 5000;
  ASSERT_TRUE(ring->set_policy(longer, kNow + 2).ok());
  ASSERT_TRUE(ring->tick(kNow + 2, nullptr).ok());
  EXPECT_NE(ring->status(kNow + 2).find("next event: " + std::to_string(kNow + 4900)), std::string::npos)
      << ring->status(kNow + 2);
  EXPECT_FALSE(*ring->tick(kNow + 900, nullptr));  // the old lifetime's roll time passes unnoticed
  EXPECT_EQ(tags(*ring), first);
  Policy ed = longer;
  ed.algorithm = 15;
  ASSERT_TRUE(ring->set_policy(ed, kNow + 1000).ok());
  std::vector<zonefile::Diagnostic> diags;
  auto served = zone::load_zone_text("$TTL 30\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n", "test",
                                     N("example."), diags);
  ASSERT_TRUE(served.ok());
  auto changed = ring->tick(kNow + 1000, served->get());
  ASSERT_TRUE(changed.ok()) << changed.message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(tags(*ring).size(), 4u);  // a KSK and a ZSK of each algorithm
  EXPECT_TRUE(ring->signer()->policy().split_keys);
}

// Going insecure ("insecure" names no split: the running one stays) called
// off by a policy of the other split before ds-gone: the keys roll to it.
TEST_F(KeyRingTest, InsecureCalledOffWithAnotherSplitRollsTheKeys) {
  policy_.zsk_lifetime = 0;
  auto ring = open(kNow);
  Policy insecure = policy_;
  insecure.insecure = true;
  insecure.split_keys = false;
  ASSERT_TRUE(ring->set_policy(insecure, kNow + 10).ok());
  EXPECT_TRUE(ring->signer()->policy().split_keys);
  Policy csk = policy_;
  csk.split_keys = false;
  ASSERT_TRUE(ring->set_policy(csk, kNow + 20).ok());
  EXPECT_FALSE(ring->signer()->policy().delete_cds_from);
  std::vector<zonefile::Diagnostic> diags;
  auto served = zone::load_zone_text("$TTL 30\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n", "test",
                                     N("example."), diags);
  ASSERT_TRUE(served.ok());
  auto changed = ring->tick(kNow + 21, served->get());
  ASSERT_TRUE(changed.ok()) << changed.message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(tags(*ring).size(), 3u);
  // Ipub = the DNSKEY TTL (60) + 40: the CSK takes over then, not at once.
  EXPECT_NE(ring->status(kNow + 21).find(" csk algorithm 13: published, in CDS at " + std::to_string(kNow + 121)),
            std::string::npos)
      << ring->status(kNow + 21);
}

TEST_F(KeyRingTest, KeyFilesTheStateDoesNotNameAreIgnored) {
  auto ring = open(kNow);
  const auto first = tags(*ring);
  const std::string stored = state();
  ASSERT_TRUE(ring->tick(kNow + 900, nullptr).ok());
  ASSERT_EQ(key_files(), 3u);
  // As if killed after the new key's files were written, before the state.
  {
    std::ofstream out(policy_.key_directory + "/example.keystate", std::ios::trunc);
    out << stored;
  }
  auto reopened = open(kNow + 901);
  EXPECT_EQ(tags(*reopened), first);
  // The roll starts again with a key of its own.
  auto changed = reopened->tick(kNow + 902, nullptr);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(tags(*reopened).size(), 3u);
}

TEST_F(KeyRingTest, StateNamingAMissingKeyIsAnError) {
  auto ring = open(kNow);
  for (const auto& e : fs::directory_iterator(policy_.key_directory))
    if (e.path().extension() == ".private") {
      fs::remove(e.path());
      break;
    }
  auto r = ZoneKeyRing::open(N("example."), policy_, kNow + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("example.keystate"), std::string::npos) << r.message();
}

TEST_F(KeyRingTest, DsSeenNeedsAKeyInTheCdsSet) {
  policy_.split_keys = false;
  policy_.zsk_lifetime = 0;
  policy_.ksk_lifetime = 1000;
  auto ring = open(kNow);
  const uint16_t old_tag = *tags(*ring).begin();
  EXPECT_NE(ring->ds_records(kNow).find("example. IN DS " + std::to_string(old_tag) + " 13 2 "), std::string::npos)
      << ring->ds_records(kNow);
  ASSERT_TRUE(*ring->tick(kNow + 900, nullptr));
  uint16_t new_tag = 0;
  for (uint16_t t : tags(*ring))
    if (t != old_tag) new_tag = t;
  EXPECT_FALSE(ring->ds_seen(new_tag, kNow + 950, nullptr).ok());  // in the CDS set only from kNow + 1000
  EXPECT_NE(ring->ds_records(kNow + 1000).find(" IN DS " + std::to_string(new_tag) + " "), std::string::npos);
  EXPECT_EQ(ring->ds_records(kNow + 1000).find(" IN DS " + std::to_string(old_tag) + " "), std::string::npos);
  ASSERT_TRUE(ring->ds_seen(new_tag, kNow + 1000, nullptr).ok());
  EXPECT_NE(state().find("ds-seen " + std::to_string(kNow + 1000)), std::string::npos) << state();
}

// The policy's algorithm changed between two runs: the ring keeps the old
// keys the state names, and its first tick with the served zone starts the
// algorithm rollover with its TTLs (Iret = 30 + 40, Ipub = 60 + 40).
TEST_F(KeyRingTest, ChangedAlgorithmRollsToNewKeys) {
  const auto old_tags = tags(*open(kNow));
  policy_.algorithm = 15;
  policy_.zsk_lifetime = 0;
  auto ring = open(kNow + 10);
  ASSERT_TRUE(ring);
  EXPECT_EQ(tags(*ring), old_tags);
  auto nothing = ring->tick(kNow + 10, nullptr);  // no TTLs to time it by yet
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(*nothing);
  std::vector<zonefile::Diagnostic> diags;
  auto served = zone::load_zone_text("$TTL 30\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n", "test", N("example."),
                                     diags);
  ASSERT_TRUE(served.ok()) << served.message();
  auto changed = ring->tick(kNow + 11, served->get());
  ASSERT_TRUE(changed.ok()) << changed.message();
  ASSERT_TRUE(*changed);
  ASSERT_EQ(tags(*ring).size(), 4u);
  auto by = ring->signer()->signers(kNow + 11);
  ASSERT_EQ(by.data.size(), 2u);
  EXPECT_NE(by.data[0]->key.algorithm(), by.data[1]->key.algorithm());
  EXPECT_EQ(by.keys.size(), 2u);
  EXPECT_NE(ring->status(kNow + 11).find("signing, published at " + std::to_string(kNow + 11 + 70)),
            std::string::npos)
      << ring->status(kNow + 11);
  // The CDS set moves to the new KSK Ipub after its publication.
  EXPECT_NE(ring->ds_records(kNow + 180).find(" 13 2 "), std::string::npos);
  EXPECT_NE(ring->ds_records(kNow + 181).find(" 15 2 "), std::string::npos) << ring->ds_records(kNow + 181);
  // Taken up again by a restart in the middle.
  auto reopened = open(kNow + 100);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(tags(*reopened), tags(*ring));
  EXPECT_FALSE(*reopened->tick(kNow + 101, served->get()));
}

TEST_F(KeyRingTest, KeyFileOfAnotherAlgorithmWithoutStateIsRefused) {
  open(kNow);
  fs::remove(policy_.key_directory + "/example.keystate");
  policy_.algorithm = 15;
  auto r = ZoneKeyRing::open(N("example."), policy_, kNow + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("but the zone is signed with 15"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace namae::signing
