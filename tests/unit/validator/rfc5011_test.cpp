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

namespace namae::validator {
namespace {

using dnssec::test::N;

constexpr int64_t kT0 = 1750000000;
constexpr uint32_t kDay = 86400;
const HoldDowns kHold{30 * kDay, 30 * kDay};

struct Key {
  dnssec::ZoneKey k;
  explicit Key(uint16_t flags = dnssec::kFlagsKsk)
      : k(dnssec::generate_zone_key(N("."), dnssec::alg::ED25519, flags, kT0).value()) {}
  // RFC 5011 7: the same key with the REVOKE bit (a new key tag).
  dns::RdataBytes revoked() const {
    auto r = k.dnskey;
    r[1] |= 0x80;
    return r;
  }
};

// The root's DNSKEY RRset of `shown` keys, signed by each of `signers`
// (rdata as shown, private key).
struct Published {
  dns::RRset set;
  std::vector<dns::RdataBytes> sigs;
  Published(std::vector<dns::RdataBytes> shown, const std::vector<std::pair<dns::RdataBytes, const Key*>>& signers,
            int64_t now) {
    set.owner = N(".");
    set.type = dns::rrtype::DNSKEY;
    set.ttl = 3600;
    set.rdata = std::move(shown);
    dnssec::Validity v{static_cast<uint32_t>(now - 3600), static_cast<uint32_t>(now + 10 * kDay)};
    for (const auto& [rdata, key] : signers)
      sigs.push_back(dnssec::sign_rrset(set, key->k.key, rdata, N("."), v).value());
  }
};

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

}  // namespace
}  // namespace namae::validator
