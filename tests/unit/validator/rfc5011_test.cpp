// RFC 5011 trust-anchor states with a fake time: each transition of
// section 4, and the states kept in the trust-anchor file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "../dnssec/test_util.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/key_file.h"
#include "dnssec/rrsig.h"
#include "validator/rfc5011.h"
#include "signed_dnskeys.h"

namespace namae::validator {
namespace {

using dnssec::test::N;

using test::Key;
using test::Published;
using test::kDay;
using test::kT0;
const HoldDowns kHold{30 * kDay, 30 * kDay};

TrustPoint point_on(const Key& key) { return TrustPoint{N("."), {}, {{key.k.dnskey, KeyState::valid, 0}}}; }

TEST(Rfc5011, DsAnchorAdoptsTheKeysItNames) {
  Key ksk, zsk(dnssec::kFlagsZsk);
  TrustPoint tp{N("."), {dnssec::ds_rdata(N("."), ksk.k.dnskey, dnssec::kDigestSha256).value()}, {}};
  Published p({ksk.k.dnskey, zsk.k.dnskey}, {{ksk.k.dnskey, &ksk}}, kT0);
  EXPECT_TRUE(observe(tp, p.set, p.sigs, kT0, kHold));
  EXPECT_TRUE(tp.ds.empty());
  ASSERT_EQ(tp.keys.size(), 1u);  // the ZSK (no SEP bit) is not tracked
  EXPECT_EQ(tp.keys[0].state, KeyState::valid);
  EXPECT_EQ(tp.anchor().dnskeys, std::vector<dns::RdataBytes>{ksk.k.dnskey});
  EXPECT_FALSE(observe(tp, p.set, p.sigs, kT0 + 60, kHold));  // nothing new
}

TEST(Rfc5011, NewKeyAddPendThenValidAfterTheHoldDown) {
  Key old_ksk, new_ksk;
  TrustPoint tp = point_on(old_ksk);
  Published p({old_ksk.k.dnskey, new_ksk.k.dnskey}, {{old_ksk.k.dnskey, &old_ksk}}, kT0);
  EXPECT_TRUE(observe(tp, p.set, p.sigs, kT0, kHold));
  ASSERT_EQ(tp.keys.size(), 2u);
  EXPECT_EQ(tp.keys[1].state, KeyState::addpend);
  EXPECT_EQ(tp.anchor().dnskeys.size(), 1u);  // not trusted yet
  EXPECT_FALSE(observe(tp, p.set, p.sigs, kT0 + 30 * kDay - 1, kHold));
  EXPECT_TRUE(observe(tp, p.set, p.sigs, kT0 + 30 * kDay, kHold));
  EXPECT_EQ(tp.keys[1].state, KeyState::valid);
  EXPECT_EQ(tp.anchor().dnskeys.size(), 2u);
}

TEST(Rfc5011, AddPendKeyThatGoesAwayIsForgotten) {
  Key old_ksk, new_ksk;
  TrustPoint tp = point_on(old_ksk);
  Published with({old_ksk.k.dnskey, new_ksk.k.dnskey}, {{old_ksk.k.dnskey, &old_ksk}}, kT0);
  observe(tp, with.set, with.sigs, kT0, kHold);
  Published without({old_ksk.k.dnskey}, {{old_ksk.k.dnskey, &old_ksk}}, kT0 + kDay);
  EXPECT_TRUE(observe(tp, without.set, without.sigs, kT0 + kDay, kHold));
  EXPECT_EQ(tp.keys.size(), 1u);
}

TEST(Rfc5011, ValidKeyMissingIsStillTrustedAndComesBack) {
  Key a, b;
  TrustPoint tp{N("."), {}, {{a.k.dnskey, KeyState::valid, 0}, {b.k.dnskey, KeyState::valid, 0}}};
  Published only_b({b.k.dnskey}, {{b.k.dnskey, &b}}, kT0);
  EXPECT_TRUE(observe(tp, only_b.set, only_b.sigs, kT0, kHold));
  EXPECT_EQ(tp.keys[0].state, KeyState::missing);
  EXPECT_EQ(tp.anchor().dnskeys.size(), 2u);
  Published both({a.k.dnskey, b.k.dnskey}, {{b.k.dnskey, &b}}, kT0 + kDay);
  EXPECT_TRUE(observe(tp, both.set, both.sigs, kT0 + kDay, kHold));
  EXPECT_EQ(tp.keys[0].state, KeyState::valid);
}

TEST(Rfc5011, RevokedKeyStopsBeingTrustedAndIsRemovedAfterTheHoldDown) {
  Key a, b;
  TrustPoint tp{N("."), {}, {{a.k.dnskey, KeyState::valid, 0}, {b.k.dnskey, KeyState::valid, 0}}};
  // The REVOKE bit without the revoked key's own signature means nothing (RFC 5011 2.1).
  Published unsigned_revoke({a.revoked(), b.k.dnskey}, {{b.k.dnskey, &b}}, kT0);
  observe(tp, unsigned_revoke.set, unsigned_revoke.sigs, kT0, kHold);
  EXPECT_NE(tp.keys[0].state, KeyState::revoked);
  Published revoke({a.revoked(), b.k.dnskey}, {{b.k.dnskey, &b}, {a.revoked(), &a}}, kT0);
  EXPECT_TRUE(observe(tp, revoke.set, revoke.sigs, kT0, kHold));
  EXPECT_EQ(tp.keys[0].state, KeyState::revoked);
  EXPECT_EQ(tp.anchor().dnskeys, std::vector<dns::RdataBytes>{b.k.dnskey});
  EXPECT_FALSE(observe(tp, revoke.set, revoke.sigs, kT0 + 30 * kDay - 1, kHold));
  EXPECT_TRUE(observe(tp, revoke.set, revoke.sigs, kT0 + 30 * kDay, kHold));
  ASSERT_EQ(tp.keys.size(), 1u);
  EXPECT_EQ(tp.keys[0].dnskey, b.k.dnskey);
}

TEST(Rfc5011, StatesSurviveTheFile) {
  Key a, b, c;
  std::vector<TrustPoint> points{{N("."),
                                  {},
                                  {{a.k.dnskey, KeyState::valid, kT0},
                                   {b.k.dnskey, KeyState::addpend, kT0 + 5},
                                   {c.revoked(), KeyState::revoked, kT0 + 7}}}};
  std::string path = ::testing::TempDir() + "rfc5011_anchors";
  std::ofstream(path) << trust_points_text(points)
                      << "example. IN DNSKEY " << dns::rdata::to_text(dns::rrtype::DNSKEY, a.k.dnskey) << "\n";
  auto back = read_trust_points(path);
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back->size(), 2u);
  const auto& root = (*back)[0].keys;
  ASSERT_EQ(root.size(), 3u);
  EXPECT_EQ(root[1].state, KeyState::addpend);
  EXPECT_EQ(root[1].since, kT0 + 5);
  EXPECT_EQ(root[2].state, KeyState::revoked);
  EXPECT_EQ(root[2].dnskey, c.revoked());
  // An operator's DNSKEY line without a state is a valid anchor.
  EXPECT_EQ((*back)[1].keys.at(0).state, KeyState::valid);
  std::remove(path.c_str());
}

// RFC 5011 2.3's query interval and retry time, each bound in turn.
TEST(Rfc5011, RefreshTimesBoundAsSection23Says) {
  Key ksk;
  auto times = [&](uint32_t ttl, uint32_t valid_for, uint32_t floor = 3600) {
    Published p({ksk.k.dnskey}, {{ksk.k.dnskey, &ksk}}, kT0, ttl, valid_for);
    auto t = refresh_times(p.set, p.sigs, kT0, floor);
    return std::pair{t.query_interval, t.retry_time};
  };
  EXPECT_EQ(times(3600, 10 * kDay), std::pair(3600u, 3600u));              // half the TTL under the hour
  EXPECT_EQ(times(2 * kDay, 10 * kDay), std::pair(kDay, 2 * kDay / 10));   // half and a tenth of the TTL
  EXPECT_EQ(times(40 * kDay, 60 * kDay), std::pair(15 * kDay, kDay));      // 15 days and 1 day at most
  EXPECT_EQ(times(2 * kDay, 4 * 3600), std::pair(2u * 3600, 3600u));       // half the time the RRSIG has left
  EXPECT_EQ(times(4, 10 * kDay, 2), std::pair(2u, 2u));                    // a test's floor
  // The RRSIG's original TTL counts, not what a cache left of it.
  Published p({ksk.k.dnskey}, {{ksk.k.dnskey, &ksk}}, kT0, 2 * kDay);
  p.set.ttl = 60;
  EXPECT_EQ(refresh_times(p.set, p.sigs, kT0, 3600).query_interval, kDay);
}

}  // namespace
}  // namespace namae::validator
