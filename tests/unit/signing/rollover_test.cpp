// The rollover state machine on fake time: every step of a ZSK
// pre-publication, a KSK and a CSK roll with the DS reported seen, and the
// stored state taken up again in the middle (a restart, or a kill before
// the new key was recorded).
#include <gtest/gtest.h>

#include "signing/rollover.h"

namespace namae::signing {
namespace {

RollTiming timing() {
  RollTiming t;
  t.ksk_lifetime = 1000;
  t.zsk_lifetime = 100;
  t.dnskey_ttl = 10;
  t.propagation_delay = 5;  // Ipub = 15
  t.max_zone_ttl = 20;      // Iret = 25
  t.parent_ds_ttl = 30;
  t.parent_propagation_delay = 7;  // 37
  return t;
}

KeyRecord fresh(uint16_t tag, KeyRole role) {
  KeyRecord k;
  k.tag = tag;
  k.algorithm = 13;
  k.role = role;
  return k;
}

const KeyRecord& by_tag(const std::vector<KeyRecord>& keys, uint16_t tag) {
  for (const auto& k : keys)
    if (k.tag == tag) return k;
  throw std::runtime_error("no key " + std::to_string(tag));
}

std::vector<KeyRecord> first_keys(bool split, int64_t now) {
  std::vector<KeyRecord> keys;
  uint16_t tag = 1;
  for (KeyRole r : keys_needed(keys, KeyPlan{split, 13}, timing(), now)) add_key(keys, fresh(tag++, r), timing(), now);
  return keys;
}

TEST(Rollover, FirstKeysArePublishedAndActiveAtOnce) {
  auto split = first_keys(true, 0);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].role, KeyRole::ksk);
  EXPECT_EQ(split[1].role, KeyRole::zsk);
  for (const auto& k : split) {
    EXPECT_TRUE(k.is_published(0));
    EXPECT_TRUE(k.is_active(0));
  }
  auto csk = first_keys(false, 0);
  ASSERT_EQ(csk.size(), 1u);
  EXPECT_EQ(csk[0].role, KeyRole::csk);
  EXPECT_TRUE(keys_needed(csk, KeyPlan{false, 13}, timing(), 0).empty());
}

TEST(Rollover, ZskPrePublicationStepByStep) {
  auto keys = first_keys(true, 0);
  const RollTiming t = timing();
  // The ZSK's lifetime (100) ends at 100: its successor is published Ipub (15) before.
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 0), 85);
  EXPECT_TRUE(keys_needed(keys, KeyPlan{true, 13}, t, 84).empty());
  ASSERT_EQ(keys_needed(keys, KeyPlan{true, 13}, t, 85), std::vector<KeyRole>{KeyRole::zsk});
  add_key(keys, fresh(3, KeyRole::zsk), t, 85);
  const KeyRecord &old_zsk = by_tag(keys, 2), &new_zsk = by_tag(keys, 3);
  EXPECT_TRUE(new_zsk.is_published(85));
  EXPECT_FALSE(new_zsk.is_active(99));
  EXPECT_TRUE(old_zsk.is_active(99));
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 85), 100);
  // At 100 the new ZSK signs, the old one stops; it stays in the DNSKEY
  // RRset until its signatures left every cache (Iret = 25).
  EXPECT_TRUE(new_zsk.is_active(100));
  EXPECT_FALSE(old_zsk.is_active(100));
  EXPECT_TRUE(old_zsk.is_published(124));
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 100), 125);
  EXPECT_FALSE(old_zsk.is_published(125));
  EXPECT_TRUE(keys_needed(keys, KeyPlan{true, 13}, t, 124).empty());  // no new roll while one is under way
  // The next roll: the new ZSK's lifetime from its activation.
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 125), 185);
  EXPECT_EQ(keys_needed(keys, KeyPlan{true, 13}, t, 185), std::vector<KeyRole>{KeyRole::zsk});
  // The KSK was never touched.
  EXPECT_TRUE(by_tag(keys, 1).is_active(185));
  EXPECT_FALSE(by_tag(keys, 1).retired);
}

TEST(Rollover, KskRollWaitsForTheParentsDs) {
  auto keys = first_keys(true, 0);
  RollTiming t = timing();
  t.zsk_lifetime = 0;
  ASSERT_EQ(keys_needed(keys, KeyPlan{true, 13}, t, 985), std::vector<KeyRole>{KeyRole::ksk});
  add_key(keys, fresh(9, KeyRole::ksk), t, 985);
  const KeyRecord &old_ksk = by_tag(keys, 1), &new_ksk = by_tag(keys, 9);
  // Published (and signing the DNSKEY RRset) at once, in the CDS set Ipub later.
  EXPECT_TRUE(new_ksk.is_published(985));
  EXPECT_FALSE(new_ksk.is_active(999));
  EXPECT_TRUE(new_ksk.is_active(1000));
  EXPECT_FALSE(old_ksk.is_active(1000));
  // The DS cannot be reported before the new key is in the CDS set, nor for the old one.
  EXPECT_FALSE(ds_seen(keys, 9, t, 999).ok());
  EXPECT_FALSE(ds_seen(keys, 1, t, 1001).ok());
  EXPECT_FALSE(ds_seen(keys, 2, t, 1001).ok());  // a ZSK
  EXPECT_FALSE(ds_seen(keys, 77, t, 1001).ok());
  // Until then the old KSK stays, however long it takes, and no roll starts.
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 1000), std::nullopt);
  EXPECT_TRUE(old_ksk.is_published(50000));
  EXPECT_TRUE(keys_needed(keys, KeyPlan{true, 13}, t, 50000).empty());
  ASSERT_TRUE(ds_seen(keys, 9, t, 2000).ok());
  EXPECT_EQ(old_ksk.removed, 2000 + 37);
  EXPECT_EQ(new_ksk.ds_seen, 2000);
  EXPECT_TRUE(old_ksk.is_published(2036));
  EXPECT_FALSE(old_ksk.is_published(2037));
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 2000), 2037);
  // The new KSK's own lifetime (from 1000) ran out meanwhile: its roll is due at once.
  EXPECT_EQ(keys_needed(keys, KeyPlan{true, 13}, t, 2037), std::vector<KeyRole>{KeyRole::ksk});
  EXPECT_EQ(next_event(keys, KeyPlan{true, 13}, t, 2037), 2037);
}

TEST(Rollover, CskRollKeepsTheOldKeyUntilItsSignaturesAndDsAreGone) {
  auto keys = first_keys(false, 0);
  RollTiming t = timing();
  t.max_zone_ttl = 100;  // Iret = 105 outlasts the parent's 37
  ASSERT_EQ(keys_needed(keys, KeyPlan{false, 13}, t, 985), std::vector<KeyRole>{KeyRole::csk});
  add_key(keys, fresh(5, KeyRole::csk), t, 985);
  EXPECT_TRUE(by_tag(keys, 5).is_active(1000));
  EXPECT_FALSE(by_tag(keys, 1).is_active(1000));
  ASSERT_TRUE(ds_seen(keys, 5, t, 1001).ok());
  EXPECT_EQ(by_tag(keys, 1).removed, 1000 + 105);
}

TEST(Rollover, StateSurvivesARestartMidRoll) {
  auto keys = first_keys(true, 0);
  const RollTiming t = timing();
  add_key(keys, fresh(3, KeyRole::zsk), t, 85);
  auto text = format_key_state(keys);
  auto back = parse_key_state(text);
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back->size(), keys.size());
  EXPECT_EQ(format_key_state(*back), text);
  // Taken up again, it goes on exactly where it was.
  for (int64_t now : {90, 100, 124, 125, 185})
    EXPECT_EQ(next_event(*back, KeyPlan{true, 13}, t, now), next_event(keys, KeyPlan{true, 13}, t, now)) << now;
  EXPECT_TRUE(keys_needed(*back, KeyPlan{true, 13}, t, 124).empty());
  EXPECT_TRUE(by_tag(*back, 3).is_active(100));
  EXPECT_FALSE(by_tag(*back, 2).is_published(125));
}

TEST(Rollover, KilledBeforeTheNewKeyWasRecordedStartsTheRollAgain) {
  auto keys = first_keys(true, 0);
  const RollTiming t = timing();
  // The state last stored is from before the successor was made (its key
  // files may exist, but the record of the roll does not): the roll is
  // still needed, and the new successor gets the full pre-publication.
  auto stored = parse_key_state(format_key_state(keys));
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(keys_needed(*stored, KeyPlan{true, 13}, t, 90), std::vector<KeyRole>{KeyRole::zsk});
  add_key(*stored, fresh(4, KeyRole::zsk), t, 90);
  EXPECT_EQ(by_tag(*stored, 4).active, 105);
  EXPECT_EQ(by_tag(*stored, 2).retired, 105);
  EXPECT_EQ(by_tag(*stored, 2).removed, 130);
}

TEST(Rollover, LateStartStillPrePublishes) {
  // namaed was down when the roll was due: the successor still waits Ipub.
  auto keys = first_keys(true, 0);
  add_key(keys, fresh(3, KeyRole::zsk), timing(), 500);
  EXPECT_EQ(by_tag(keys, 3).active, 515);
}

TEST(Rollover, StatusNamesWhatEachKeyWaitsFor) {
  auto keys = first_keys(true, 0);
  add_key(keys, fresh(9, KeyRole::ksk), timing(), 985);
  EXPECT_EQ(key_status(by_tag(keys, 9), 990), "published, in CDS at 1000");
  EXPECT_EQ(key_status(by_tag(keys, 1), 1001), "retired, waiting for ds-seen of its successor");
  EXPECT_EQ(key_status(by_tag(keys, 9), 1001), "active, DS not reported seen");
}

TEST(Rollover, MalformedStateIsRejectedWithItsLine) {
  for (const char* bad : {"key 1 13 csk created 5\n", "key x 13 csk created 1 published - active - retired - removed - ds-seen -\n",
                          "key 1 13 foo created 1 published - active - retired - removed - ds-seen -\n",
                          "key 1 300 csk created 1 published - active - retired - removed - ds-seen -\n",
                          "key 1 13 csk created - published - active - retired - removed - ds-seen -\n",
                          "key 1 13 csk created 1 published -5 active - retired - removed - ds-seen -\n",
                          "key 1 13 csk created 1 active - published - retired - removed - ds-seen -\n",
                          "hello\n"}) {
    auto r = parse_key_state(std::string("; header\n") + bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.message().find("line 2"), std::string::npos) << r.message();
  }
  const char* twice = "key 1 13 csk created 1 published - active - retired - removed - ds-seen -\n";
  EXPECT_FALSE(parse_key_state(std::string(twice) + twice).ok());
}


KeyRecord fresh_of(uint16_t tag, KeyRole role, uint8_t algorithm) {
  KeyRecord k = fresh(tag, role);
  k.algorithm = algorithm;
  return k;
}

// RFC 6781 4.1.4 step by step (Ipub 15, Iret 25, parent 37): new RRSIGs,
// new DNSKEY, new DS (CDS, then ds-seen), DNSKEY removal, RRSIGs removal.
TEST(Rollover, AlgorithmRollSignsFirstPublishesThenWaitsForTheDs) {
  RollTiming t = timing();
  t.ksk_lifetime = t.zsk_lifetime = 0;
  auto keys = first_keys(true, 0);
  const KeyPlan ed25519{true, 15};
  ASSERT_EQ(keys_needed(keys, ed25519, t, 10), (std::vector<KeyRole>{KeyRole::ksk, KeyRole::zsk}));
  EXPECT_EQ(next_event(keys, ed25519, t, 10), 10);  // due at once
  EXPECT_TRUE(rolls_algorithm(keys, 15, 10));
  add_key(keys, fresh_of(3, KeyRole::ksk, 15), t, 10);
  add_key(keys, fresh_of(4, KeyRole::zsk, 15), t, 10);
  EXPECT_TRUE(keys_needed(keys, ed25519, t, 11).empty());
  const KeyRecord &ksk1 = by_tag(keys, 1), &zsk1 = by_tag(keys, 2), &ksk2 = by_tag(keys, 3), &zsk2 = by_tag(keys, 4);
  // Signing at once, published Iret later, in the CDS set Ipub after that.
  for (const KeyRecord* k : {&ksk2, &zsk2}) {
    EXPECT_EQ(k->sign_from, 10);
    EXPECT_FALSE(k->is_published(34));
    EXPECT_TRUE(k->is_published(35));
  }
  EXPECT_EQ(zsk2.active, 10);
  EXPECT_EQ(ksk2.active, 50);
  EXPECT_EQ(ksk1.retired, 50);
  EXPECT_FALSE(zsk1.retired);
  EXPECT_EQ(key_status(ksk2, 20), "signing, published at 35 (algorithm rollover)");
  EXPECT_EQ(next_event(keys, ed25519, t, 10), 35);
  EXPECT_EQ(next_event(keys, ed25519, t, 35), 50);
  EXPECT_EQ(next_event(keys, ed25519, t, 50), std::nullopt);  // waits for the DS
  // The old DS reported again ends nothing; the new one only once in the CDS set.
  ASSERT_TRUE(ds_seen(keys, 1, t, 20).ok());
  EXPECT_FALSE(ksk2.removed || zsk2.removed || zsk1.removed);
  EXPECT_FALSE(ds_seen(keys, 3, t, 49).ok());
  ASSERT_TRUE(ds_seen(keys, 3, t, 60).ok());
  // The old keys leave the DNSKEY RRset when the old DS left every cache
  // (60 + 37), their signatures Ipub after that.
  for (const KeyRecord* k : {&ksk1, &zsk1}) {
    EXPECT_EQ(k->removed, 97);
    EXPECT_EQ(k->sign_until, 112);
    EXPECT_TRUE(k->is_published(96));
    EXPECT_FALSE(k->is_published(97));
    EXPECT_FALSE(k->is_gone(111));
    EXPECT_TRUE(k->is_gone(112));
  }
  EXPECT_EQ(zsk1.retired, 112);
  EXPECT_FALSE(ksk2.removed || zsk2.removed);
  EXPECT_EQ(key_status(zsk1, 100), "removed, its signatures stay until 112 (algorithm rollover)");
  EXPECT_EQ(next_event(keys, ed25519, t, 60), 97);
  EXPECT_EQ(next_event(keys, ed25519, t, 97), 112);
  EXPECT_EQ(next_event(keys, ed25519, t, 112), 112 + t.purge_keys);  // then only the old keys' purge
  EXPECT_FALSE(rolls_algorithm(keys, 15, 97));
  // Stored and taken up again mid-roll, with the new fields.
  auto back = parse_key_state(format_key_state(keys));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(format_key_state(*back), format_key_state(keys));
  EXPECT_EQ(by_tag(*back, 2).sign_until, 112);
  EXPECT_EQ(by_tag(*back, 4).sign_from, 10);
}

TEST(Rollover, AlgorithmRollOfACsk) {
  RollTiming t = timing();
  t.ksk_lifetime = 0;
  auto keys = first_keys(false, 0);
  ASSERT_EQ(keys_needed(keys, KeyPlan{false, 8}, t, 5), std::vector<KeyRole>{KeyRole::csk});
  add_key(keys, fresh_of(2, KeyRole::csk, 8), t, 5);
  const KeyRecord &old_csk = by_tag(keys, 1), &new_csk = by_tag(keys, 2);
  EXPECT_EQ(new_csk.sign_from, 5);
  EXPECT_EQ(new_csk.published, 30);
  EXPECT_EQ(new_csk.active, 45);
  EXPECT_EQ(old_csk.retired, 45);
  ASSERT_TRUE(ds_seen(keys, 2, t, 45).ok());
  EXPECT_EQ(old_csk.removed, 82);
  EXPECT_EQ(old_csk.sign_until, 97);
  EXPECT_TRUE(keys_needed(keys, KeyPlan{false, 8}, t, 200).empty());
}

// A change of key split rolls each job of the old keys as its own roll
// would (Ipub 15, Iret 25, parent 37): csk -> ksk-zsk.
TEST(Rollover, CskToKskZskIsARollOfBothJobs) {
  RollTiming t = timing();
  t.ksk_lifetime = t.zsk_lifetime = 0;
  auto keys = first_keys(false, 0);
  const KeyPlan split{true, 13};
  EXPECT_TRUE(rolls_key_set(keys, split, 10));
  EXPECT_FALSE(rolls_key_set(keys, KeyPlan{false, 13}, 10));
  ASSERT_EQ(keys_needed(keys, split, t, 10), (std::vector<KeyRole>{KeyRole::ksk, KeyRole::zsk}));
  EXPECT_EQ(next_event(keys, split, t, 10), 10);
  add_key(keys, fresh(2, KeyRole::ksk), t, 10);
  add_key(keys, fresh(3, KeyRole::zsk), t, 10);
  const KeyRecord &csk = by_tag(keys, 1), &ksk = by_tag(keys, 2), &zsk = by_tag(keys, 3);
  // Both published at once, taking over Ipub later, when the CSK retires.
  for (const KeyRecord* k : {&ksk, &zsk}) {
    EXPECT_TRUE(k->is_published(10));
    EXPECT_FALSE(k->is_active(24));
    EXPECT_TRUE(k->is_active(25));
    EXPECT_FALSE(k->sign_from);
  }
  EXPECT_TRUE(csk.is_active(24));
  EXPECT_EQ(csk.retired, 25);
  EXPECT_FALSE(csk.removed);
  EXPECT_TRUE(keys_needed(keys, split, t, 11).empty());
  EXPECT_EQ(next_event(keys, split, t, 10), 25);
  // Then the old CSK waits for the new KSK's DS, as in a KSK roll.
  EXPECT_EQ(next_event(keys, split, t, 25), std::nullopt);
  EXPECT_EQ(keys_awaiting_ds(keys, 25), std::vector<uint16_t>{2});
  EXPECT_EQ(key_status(csk, 30), "retired, waiting for ds-seen of its successor");
  EXPECT_FALSE(ds_seen(keys, 3, t, 30).ok());  // a ZSK
  EXPECT_FALSE(ds_seen(keys, 2, t, 24).ok());  // not in the CDS set yet
  ASSERT_TRUE(ds_seen(keys, 2, t, 30).ok());
  // Out once the old DS left every cache (30 + 37), and no sooner than
  // Iret after it stopped signing data (25 + 25).
  EXPECT_EQ(csk.removed, 67);
  EXPECT_TRUE(rolls_key_set(keys, split, 66));
  EXPECT_FALSE(rolls_key_set(keys, split, 67));
  EXPECT_FALSE(ksk.removed || zsk.removed || ksk.retired || zsk.retired);
  // The state file holds it; taken up again it goes on.
  auto back = parse_key_state(format_key_state(keys));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(next_event(*back, split, t, 30), 67);
}

TEST(Rollover, KskZskToCskIsARollOfBothJobs) {
  RollTiming t = timing();
  t.ksk_lifetime = t.zsk_lifetime = 0;
  t.max_zone_ttl = 100;  // Iret = 105: the old ZSK outlasts the old KSK's wait
  auto keys = first_keys(true, 0);
  const KeyPlan csk_plan{false, 13};
  ASSERT_EQ(keys_needed(keys, csk_plan, t, 10), std::vector<KeyRole>{KeyRole::csk});
  add_key(keys, fresh(3, KeyRole::csk), t, 10);
  const KeyRecord &ksk = by_tag(keys, 1), &zsk = by_tag(keys, 2), &csk = by_tag(keys, 3);
  EXPECT_EQ(csk.published, 10);
  EXPECT_EQ(csk.active, 25);
  EXPECT_EQ(ksk.retired, 25);
  EXPECT_EQ(zsk.retired, 25);
  // The old ZSK goes when no cache holds its signatures, DS or not.
  EXPECT_EQ(zsk.removed, 25 + 105);
  EXPECT_FALSE(ksk.removed);
  EXPECT_EQ(keys_awaiting_ds(keys, 25), std::vector<uint16_t>{3});
  ASSERT_TRUE(ds_seen(keys, 3, t, 40).ok());
  EXPECT_EQ(ksk.removed, 40 + 37);
  EXPECT_EQ(zsk.removed, 130);
  EXPECT_TRUE(keys_needed(keys, csk_plan, t, 500).empty());
  EXPECT_FALSE(rolls_key_set(keys, csk_plan, 130));
}

// The split changed back in the middle of a roll to it: the roll under
// way finishes (the CSK needs the new KSK's DS to leave), then the keys
// roll back to a new CSK.
TEST(Rollover, SplitChangedBackMidRollWaitsForTheRollUnderWay) {
  RollTiming t = timing();
  t.ksk_lifetime = t.zsk_lifetime = 0;
  auto keys = first_keys(false, 0);
  add_key(keys, fresh(2, KeyRole::ksk), t, 10);
  add_key(keys, fresh(3, KeyRole::zsk), t, 10);
  const KeyPlan back{false, 13};
  EXPECT_TRUE(keys_needed(keys, back, t, 20).empty());
  EXPECT_EQ(next_event(keys, back, t, 25), std::nullopt);  // waits for the DS
  ASSERT_TRUE(ds_seen(keys, 2, t, 30).ok());
  EXPECT_TRUE(keys_needed(keys, back, t, 66).empty());
  EXPECT_EQ(next_event(keys, back, t, 30), 67);
  ASSERT_EQ(keys_needed(keys, back, t, 67), std::vector<KeyRole>{KeyRole::csk});
  add_key(keys, fresh(4, KeyRole::csk), t, 67);
  EXPECT_EQ(by_tag(keys, 4).active, 82);
  EXPECT_EQ(by_tag(keys, 2).retired, 82);
  EXPECT_EQ(by_tag(keys, 3).retired, 82);
  EXPECT_EQ(by_tag(keys, 3).removed, 107);
}

// Another split and another algorithm at once: the algorithm rollover
// rolls every key, whatever its role.
TEST(Rollover, SplitAndAlgorithmChangedTogetherRollAsAnAlgorithmRoll) {
  RollTiming t = timing();
  t.ksk_lifetime = 0;
  auto keys = first_keys(false, 0);
  const KeyPlan plan{true, 15};
  ASSERT_EQ(keys_needed(keys, plan, t, 10), (std::vector<KeyRole>{KeyRole::ksk, KeyRole::zsk}));
  add_key(keys, fresh_of(2, KeyRole::ksk, 15), t, 10);
  add_key(keys, fresh_of(3, KeyRole::zsk, 15), t, 10);
  EXPECT_EQ(by_tag(keys, 2).sign_from, 10);
  EXPECT_EQ(by_tag(keys, 3).sign_from, 10);
  EXPECT_EQ(by_tag(keys, 1).retired, 50);  // the new KSK's entry in the CDS set
  ASSERT_TRUE(ds_seen(keys, 2, t, 60).ok());
  EXPECT_EQ(by_tag(keys, 1).removed, 97);
  EXPECT_EQ(by_tag(keys, 1).sign_until, 112);
}

TEST(Rollover, StateWithoutTheAlgorithmRollFieldsIsRead) {
  auto r = parse_key_state("key 7 13 csk created 1 published 1 active 1 retired - removed - ds-seen -\n");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_FALSE(r->at(0).sign_from || r->at(0).sign_until);
  EXPECT_FALSE(parse_key_state("key 7 13 csk created 1 published 1 active 1 retired - removed - ds-seen - "
                               "sign-from 3\n")
                   .ok());
}


TEST(Rollover, RemovedKeysArePurgedAfterPurgeKeysAndNotBefore) {
  RollTiming t = timing();
  t.purge_keys = 50;
  auto keys = first_keys(true, 0);
  add_key(keys, fresh(3, KeyRole::zsk), t, 85);  // the old ZSK (2) is removed at 125
  const KeyPlan plan{true, 13};
  EXPECT_EQ(purge_time(by_tag(keys, 2), t), 175);
  EXPECT_EQ(purge_time(by_tag(keys, 3), t), std::nullopt);
  EXPECT_EQ(next_event(keys, plan, t, 170), 175);
  EXPECT_TRUE(take_purged(keys, t, 174).empty());
  auto purged = take_purged(keys, t, 175);
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0].tag, 2);
  EXPECT_EQ(keys.size(), 2u);
  // A purge namaed slept through is due at once.
  auto late = first_keys(true, 0);
  add_key(late, fresh(3, KeyRole::zsk), t, 85);
  EXPECT_EQ(next_event(late, plan, t, 180), 180);
  // An algorithm rollover's key is purged after its last signature went.
  KeyRecord old = fresh(9, KeyRole::csk);
  old.removed = 100;
  old.sign_until = 130;
  EXPECT_EQ(purge_time(old, t), 180);
  t.purge_keys = 0;
  EXPECT_EQ(purge_time(old, t), std::nullopt);
}

// RFC 8078 4 on fake time: the delete records from the policy change on,
// no roll while going insecure, every key out parent DS TTL + parent
// propagation delay after the DS was seen gone; the state file keeps it.
TEST(Rollover, GoingInsecureWaitsForTheDsToGoThenRemovesEveryKey) {
  const RollTiming t = timing();
  auto keys = first_keys(true, 0);
  std::optional<Unsigning> u;
  go_insecure(keys, u, 500);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->since, 500);
  go_insecure(keys, u, 600);  // already going
  EXPECT_EQ(u->since, 500);
  const KeyPlan plan{true, 13, true};
  // The ZSK's lifetime (100) ended long ago: no roll while going insecure.
  EXPECT_TRUE(keys_needed(keys, plan, t, 985).empty());
  EXPECT_EQ(next_event(keys, plan, t, 985, u), std::nullopt);  // waits for ds-gone
  ASSERT_TRUE(ds_gone(keys, *u, t, 1000).ok());
  EXPECT_FALSE(ds_gone(keys, *u, t, 1001).ok());  // once
  EXPECT_EQ(u->unsigned_from, 1037);
  EXPECT_EQ(next_event(keys, plan, t, 1000, u), 1037);
  for (const auto& k : keys) {
    EXPECT_TRUE(k.is_published(1036) && k.is_active(1036));
    EXPECT_FALSE(k.is_published(1037) || k.is_active(1037));
  }
  EXPECT_FALSE(u->is_unsigned(1036));
  EXPECT_TRUE(u->is_unsigned(1037));
  // Called off after ds-gone: not before it is unsigned.
  EXPECT_FALSE(stop_going_insecure(u, 1036));
  auto text = format_key_state(keys, u);
  EXPECT_NE(text.find("insecure since 500 ds-gone 1000 unsigned 1037\n"), std::string::npos) << text;
  std::optional<Unsigning> back;
  auto parsed = parse_key_state(text, &back);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_TRUE(back);
  EXPECT_EQ(format_key_state(*parsed, back), text);
  // Unsigned, then signing again: new keys, as a zone's first.
  EXPECT_TRUE(stop_going_insecure(u, 1037));
  EXPECT_FALSE(u);
  EXPECT_EQ(keys_needed(keys, KeyPlan{true, 13}, t, 1037), (std::vector<KeyRole>{KeyRole::ksk, KeyRole::zsk}));
  EXPECT_FALSE(parse_key_state("insecure since 5 ds-gone 6 unsigned -\n").ok());
  EXPECT_FALSE(parse_key_state("insecure since - ds-gone - unsigned -\n").ok());
  EXPECT_FALSE(parse_key_state("insecure since 5 ds-gone - unsigned -\ninsecure since 5 ds-gone - unsigned -\n").ok());
}

TEST(Rollover, GoingInsecureCalledOffBeforeDsGoneAndWithoutKeys) {
  auto keys = first_keys(false, 0);
  std::optional<Unsigning> u;
  go_insecure(keys, u, 10);
  EXPECT_TRUE(stop_going_insecure(u, 20));
  EXPECT_FALSE(u);
  // A zone with no key left has nothing to wait for.
  std::vector<KeyRecord> none;
  go_insecure(none, u, 30);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unsigned(30));
}

// What a parent DS check looks for: nothing while no roll waits on the
// parent; the new KSK once the old one retired and waits for ds-seen;
// nothing again once it was reported.
TEST(Rollover, KeysAwaitingDsAreThoseARollWaitsFor) {
  const RollTiming t = timing();
  auto keys = first_keys(true, 0);
  EXPECT_TRUE(keys_awaiting_ds(keys, 0).empty());  // the first KSK: no roll
  add_key(keys, fresh(5, KeyRole::ksk), t, 985);   // active (in CDS) at 1000
  EXPECT_TRUE(keys_awaiting_ds(keys, 999).empty());
  EXPECT_EQ(keys_awaiting_ds(keys, 1000), std::vector<uint16_t>{5});
  ASSERT_TRUE(ds_seen(keys, 5, t, 1001).ok());
  EXPECT_TRUE(keys_awaiting_ds(keys, 1001).empty());
}

}  // namespace
}  // namespace namae::signing
