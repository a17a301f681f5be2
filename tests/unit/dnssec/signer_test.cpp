// The zone signer and the zone verifier against each other: every signed
// zone verifies, and each kind of damage is found and named.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/rrsig.h"
#include "dnssec/signer.h"
#include "dnssec/zone_verify.h"
#include "test_util.h"

namespace namae::dnssec {
namespace {

using test::N;

constexpr int64_t kNow = 1800000000;

const char* kZone = R"(
example. 3600 IN SOA ns.example. h.example. 1 7200 3600 1209600 300
example. 3600 IN NS ns.example.
example. 3600 IN MX 10 mail.example.
ns.example. 3600 IN A 192.0.2.1
mail.example. 3600 IN A 192.0.2.2
mail.example. 3600 IN AAAA 2001:db8::2
www.example. 3600 IN CNAME mail.example.
*.wild.example. 3600 IN TXT "wildcard"
host.ent.deep.example. 3600 IN A 192.0.2.3
sub.example. 3600 IN NS ns.sub.example.
ns.sub.example. 3600 IN A 192.0.2.4
secure.example. 3600 IN NS ns.other.test.
secure.example. 3600 IN DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000
)";

std::vector<dns::Record> flatten(const ZoneModel& z) {
  std::vector<dns::Record> out;
  for (const auto& n : z.nodes)
    for (const auto& s : n.sets) {
      for (const auto& r : s.rdata) out.push_back({n.owner, s.type, z.rclass, s.ttl, r});
      for (const auto& r : s.rrsigs) out.push_back({n.owner, dns::rrtype::RRSIG, z.rclass, s.ttl, r});
    }
  return out;
}

struct Signed {
  std::vector<ZoneKey> keys;
  ZoneModel zone;
};

Signed sign(uint8_t algorithm, bool nsec3, bool split = false) {
  Signed s;
  s.keys.push_back(generate_zone_key(N("example."), algorithm, kFlagsKsk, kNow - 10).value());
  if (split) s.keys.push_back(generate_zone_key(N("example."), algorithm, kFlagsZsk, kNow - 10).value());
  SigningPolicy policy;
  policy.nsec3 = nsec3;
  policy.jitter = 86400;
  policy.threads = 2;
  auto z = sign_zone(test::records(kZone), N("example."), s.keys, policy, kNow);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.message());
  if (z.ok()) s.zone = std::move(*z);
  return s;
}

std::string problems(const ZoneCheck& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

TEST(ZoneSigner, EveryAlgorithmAndChainVerifies) {
  for (uint8_t a : {alg::ECDSAP256SHA256, alg::ED25519, alg::RSASHA256})
    for (bool nsec3 : {false, true}) {
      auto s = sign(a, nsec3);
      auto check = verify_zone(flatten(s.zone), N("example."), kNow);
      EXPECT_TRUE(check.problems.empty()) << int(a) << " nsec3=" << nsec3 << "\n" << problems(check);
      EXPECT_EQ(check.nsec3, nsec3);
      EXPECT_GT(check.signatures, 10u);
    }
}

TEST(ZoneSigner, WhatIsSignedAndWhatIsNot) {
  auto s = sign(alg::ED25519, false, true);
  auto node = [&](const char* name) -> const ZoneNode& {
    for (const auto& n : s.zone.nodes)
      if (n.owner == N(name)) return n;
    ADD_FAILURE() << name;
    return s.zone.nodes[0];
  };
  const uint16_t ksk = s.keys[0].tag, zsk = s.keys[1].tag;
  auto tag_of = [](const dns::RdataBytes& sig) { return parse_rrsig(sig)->key_tag; };
  const ZoneSet* dnskey = node("example.").find(dns::rrtype::DNSKEY);
  ASSERT_TRUE(dnskey);
  EXPECT_EQ(dnskey->rdata.size(), 2u);
  ASSERT_EQ(dnskey->rrsigs.size(), 1u);
  EXPECT_EQ(tag_of(dnskey->rrsigs[0]), ksk);
  EXPECT_EQ(tag_of(node("example.").find(dns::rrtype::SOA)->rrsigs.at(0)), zsk);
  EXPECT_TRUE(node("sub.example.").find(dns::rrtype::NS)->rrsigs.empty());    // delegation NS
  EXPECT_TRUE(node("ns.sub.example.").find(dns::rrtype::A)->rrsigs.empty());   // glue
  EXPECT_FALSE(node("ns.sub.example.").has(dns::rrtype::NSEC));
  EXPECT_EQ(node("secure.example.").find(dns::rrtype::DS)->rrsigs.size(), 1u);
  EXPECT_EQ(node("sub.example.").find(dns::rrtype::NSEC)->rrsigs.size(), 1u);
  // The wildcard's RRSIG does not count the "*" label.
  EXPECT_EQ(parse_rrsig(node("*.wild.example.").find(dns::rrtype::TXT)->rrsigs.at(0))->labels, 2);
  // Jitter: expirations differ, all within [validity - jitter, validity].
  std::set<uint32_t> expirations;
  for (const auto& n : s.zone.nodes)
    for (const auto& set : n.sets)
      for (const auto& sig : set.rrsigs) {
        auto f = parse_rrsig(sig);
        EXPECT_LE(f->expiration, kNow + 14 * 86400);
        EXPECT_GE(f->expiration, kNow + 13 * 86400);
        expirations.insert(f->expiration);
      }
  EXPECT_GT(expirations.size(), 3u);
}

TEST(ZoneSigner, Nsec3HasEntsAndParam) {
  auto s = sign(alg::ECDSAP256SHA256, true);
  size_t nsec3 = 0, empty = 0;
  for (const auto& n : s.zone.nodes)
    if (const ZoneSet* set = n.find(dns::rrtype::NSEC3)) {
      ++nsec3;
      const auto& r = set->rdata[0];
      EXPECT_EQ(r[1], 0);  // no opt-out
      EXPECT_EQ(r[2] << 8 | r[3], 0);  // RFC 9276: no extra iterations
      EXPECT_EQ(r[4], 0);  // no salt
      if (r.size() == 5 + 1 + 20) ++empty;
    }
  // 8 names with data (the insecure delegation included, its glue not),
  // plus the ENTs deep.example., ent.deep.example. and wild.example.
  EXPECT_EQ(nsec3, 11u);
  EXPECT_EQ(empty, 3u);
  EXPECT_TRUE(s.zone.apex().has(dns::rrtype::NSEC3PARAM));
}

// Each damage verify_zone must name.
TEST(ZoneVerify, FindsDamage) {
  for (bool nsec3 : {false, true}) {
    auto s = sign(alg::ECDSAP256SHA256, nsec3);
    auto records = flatten(s.zone);
    auto with = [&](auto change) {
      auto copy = records;
      change(copy);
      return verify_zone(std::move(copy), N("example."), kNow);
    };
    auto find = [&](const ZoneCheck& c, const std::string& what) {
      for (const auto& p : c.problems)
        if (p.find(what) != std::string::npos) return true;
      ADD_FAILURE() << "no problem mentions '" << what << "' (nsec3=" << nsec3 << "):\n" << problems(c);
      return false;
    };
    // Changed rdata.
    find(with([](auto& rs) {
           for (auto& r : rs)
             if (r.type == dns::rrtype::A && r.owner == N("ns.example.")) r.rdata[3] ^= 1;
         }),
         "ns.example. A: RRSIG by key");
    // A removed denial record.
    const uint16_t denial = nsec3 ? dns::rrtype::NSEC3 : dns::rrtype::NSEC;
    find(with([&](auto& rs) {
           for (size_t i = 0; i < rs.size(); ++i)
             if (rs[i].type == denial && !(rs[i].owner == N("example."))) {
               rs.erase(rs.begin() + static_cast<long>(i));
               return;
             }
         }),
         "missing");
    // Expired signatures: the same zone checked 30 days later.
    auto later = verify_zone(records, N("example."), kNow + 30 * 86400);
    find(later, "expired");
    // An unsigned authoritative RRset.
    find(with([](auto& rs) {
           std::erase_if(rs, [](const dns::Record& r) {
             return r.type == dns::rrtype::RRSIG && r.owner == N("mail.example.") && r.rdata[1] == dns::rrtype::AAAA;
           });
         }),
         "mail.example. AAAA: no valid signature");
    // Signed glue.
    find(with([&](auto& rs) {
           for (const auto& r : rs)
             if (r.type == dns::rrtype::RRSIG && r.owner == N("ns.example.") && r.rdata[1] == dns::rrtype::A) {
               auto sig = r;
               sig.owner = N("ns.sub.example.");
               rs.push_back(sig);
               return;
             }
         }),
         "not authoritative");
    // Added data without its NSEC/NSEC3.
    find(with([](auto& rs) { rs.push_back({N("new.example."), dns::rrtype::A, 1, 300, {192, 0, 2, 9}}); }),
         nsec3 ? "new.example. NSEC3: missing" : "new.example. NSEC: missing");
  }
}

TEST(KeyFiles, WrittenPrivateAndRefusedWhenReadable) {
  const std::string dir = ::testing::TempDir() + "/dnssec_keys_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (uint8_t a : {alg::ECDSAP256SHA256, alg::ED25519, alg::RSASHA256}) {
    auto k = generate_zone_key(N("Example."), a, kFlagsKsk, kNow);
    ASSERT_TRUE(k.ok());
    ASSERT_TRUE(write_key_files(dir, *k, 3600).ok());
    const std::string base = dir + "/" + key_file_base(k->zone, a, k->tag);
    struct stat st;
    ASSERT_EQ(::stat((base + ".private").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto back = read_key_files(base + ".private");
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(back->dnskey, k->dnskey);
    EXPECT_EQ(back->timing.activate, kNow);
    EXPECT_EQ(back->key.public_key(), k->key.public_key());
    EXPECT_FALSE(write_key_files(dir, *k, 3600).ok());  // never overwritten
  }
  auto keys = read_key_dir(dir, N("example."));
  ASSERT_TRUE(keys.ok()) << keys.message();
  EXPECT_EQ(keys->size(), 3u);

  const std::string base = dir + "/" + key_file_base((*keys)[0].zone, (*keys)[0].key.algorithm(), (*keys)[0].tag);
  ::chmod((base + ".private").c_str(), 0640);
  auto readable = read_key_files(base);
  ASSERT_FALSE(readable.ok());
  EXPECT_NE(readable.message().find("readable by group or others"), std::string::npos) << readable.message();
  EXPECT_FALSE(read_key_dir(dir, N("example.")).ok());
  ::chmod((base + ".private").c_str(), 0600);
  std::filesystem::remove_all(dir);
}

TEST(KeyFiles, AlgorithmMismatchRefused) {
  auto k = generate_zone_key(N("example."), alg::ED25519, kFlagsKsk, kNow);
  ASSERT_TRUE(k.ok());
  auto text = format_private_file(*k);
  auto as13 = parse_private_file(text, N("example."), 257, k->key.public_key(), alg::ECDSAP256SHA256);
  ASSERT_FALSE(as13.ok());
  EXPECT_NE(as13.message().find("algorithm mismatch"), std::string::npos) << as13.message();
  EXPECT_TRUE(parse_private_file(text, N("example."), 257, k->key.public_key(), alg::ED25519).ok());
  for (const char* bad : {"", "Algorithm: x\n", "Algorithm: 15\nPrivateKey: !!\n", "Algorithm: 15\nPrivateKey: AAAA\n",
                          "Algorithm: 15\nCreated: 2026\n", "no colon\n"})
    EXPECT_FALSE(parse_private_file(bad, N("example."), 257, k->key.public_key(), alg::ED25519).ok()) << bad;
}

}  // namespace
}  // namespace namae::dnssec
