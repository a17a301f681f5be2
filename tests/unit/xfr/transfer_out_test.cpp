// namaed as a transfer primary: the AXFR message stream (SOA first and last,
// every RR once, 64 KiB messages, TSIG chained over every message), IXFR from
// journal entries (differences, full answer, single SOA, UDP), and the
// allow-transfer decisions.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../auth/auth_test_util.h"
#include "../update/update_test_util.h"
#include "dns/tsig.h"
#include "update/journal.h"
#include "xfr/out_stream.h"
#include "xfr/transfer_service.h"

namespace namae::xfr {
namespace {

using auth::authtest::decode;
using auth::authtest::make_query;
using auth::authtest::Response;
using update::test::IN;
using update::test::name;
using update::test::rr;

constexpr const char* kSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

dns::TsigKey key(const std::string& spec) { return *dns::TsigKey::parse(spec); }

// example.net. with `n` hosts, each an A and a TXT, plus a delegation with glue.
std::shared_ptr<const zone::ZoneVersion> big_zone(int n, uint32_t serial = 100) {
  std::string s = "$ORIGIN example.net.\n$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
                  " 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.30\n";
  for (int i = 0; i < n; ++i) {
    s += "host" + std::to_string(i) + " A 10." + std::to_string(i / 65536 % 256) + "." +
         std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + "\n";
    s += "host" + std::to_string(i) + " TXT \"record number " + std::to_string(i) + "\"\n";
  }
  return update::test::load(s);
}

net::Peer peer_from(const char* addr, bool tcp = true) {
  net::Peer p;
  auto* sin = reinterpret_cast<sockaddr_in*>(&p.addr);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, addr, &sin->sin_addr);
  p.addr_len = sizeof(sockaddr_in);
  p.tcp = tcp;
  return p;
}

std::vector<uint8_t> axfr_query(uint16_t type = dns::rrtype::AXFR) {
  return make_query("example.net", type);
}

// An IXFR query carrying the client's SOA with `serial` in authority.
std::vector<uint8_t> ixfr_query(uint32_t serial) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = 0x4242;
  b.add_question(name("example.net."), dns::rrtype::IXFR, IN);
  b.begin(dns::Section::authority);
  auto soa = rr("@", "SOA", IN, 300, "ns1 hostmaster " + std::to_string(serial) + " 3600 600 86400 300");
  b.add_record(soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdata);
  buf.resize(b.finish());
  return buf;
}

std::vector<uint8_t> sign(std::vector<uint8_t> q, const dns::TsigKey& k, std::vector<uint8_t>& mac) {
  EXPECT_TRUE(dns::tsig_sign_request(q, k, &mac).ok());
  return q;
}

// Runs requests through a TransferService over one zone set.
struct Primary {
  std::shared_ptr<const zone::ZoneSet> zones;
  net::MetricsRegistry metrics;
  std::unique_ptr<TransferService> service;
  const update::Journal* journal = nullptr;

  Primary(std::shared_ptr<const zone::ZoneVersion> zone, std::vector<std::string> allow,
          std::vector<dns::TsigKey> keys = {}) {
    zones = std::make_shared<const zone::ZoneSet>(std::vector{std::move(zone)});
    TransferOptions o;
    o.keys = std::move(keys);
    auto acl = net::parse_acl(allow, net::AclKeys::yes);
    EXPECT_TRUE(acl.ok());
    o.zones.push_back({name("example.net."), *acl});
    o.journal = [this](const dns::Name&) {
      return std::shared_ptr<const update::Journal>(std::shared_ptr<const void>(), journal);  // not owned
    };
    o.metrics = &metrics;
    service = std::make_unique<TransferService>(std::move(o));
  }
  // The messages of the answer (one for a single-message reply).
  std::vector<std::vector<uint8_t>> ask(const std::vector<uint8_t>& q, const net::Peer& peer,
                                         size_t bufsize = 65535) {
    dns::MessageView v;
    EXPECT_EQ(v.parse(q), dns::WireError::ok);
    std::vector<uint8_t> buf(bufsize);
    size_t n = service->handle(v, buf, peer, *zones);
    std::vector<std::vector<uint8_t>> out;
    if (n != net::kStream) {
      buf.resize(n);
      out.push_back(std::move(buf));
      return out;
    }
    auto s = service->take_stream();
    EXPECT_NE(s, nullptr);
    std::vector<uint8_t> m(65535);
    while (size_t len = s->next(m)) out.emplace_back(m.begin(), m.begin() + static_cast<ptrdiff_t>(len));
    return out;
  }
};

// Every answer record of every message, in order.
std::vector<std::string> answers(const std::vector<std::vector<uint8_t>>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) {
    Response r = decode(m);
    out.insert(out.end(), r.answer.begin(), r.answer.end());
  }
  return out;
}

std::vector<std::string> zone_records(const zone::ZoneVersion& z) {
  std::vector<std::string> out;
  for (const auto& r : z.records())
    out.push_back(r.owner.to_text() + " " + std::to_string(r.ttl) + " " + dns::type_to_text(r.type) +
                  " " + dns::rdata::to_text(r.type, r.rdata));
  return out;
}

TEST(XfrAxfr, SoaFirstAndLastEveryRecordOnceInFullMessages) {
  auto zone = big_zone(20000);
  Primary p(zone, {"127.0.0.1"});
  auto msgs = p.ask(axfr_query(), peer_from("127.0.0.1"));
  ASSERT_GT(msgs.size(), 5u) << "a zone this size needs many messages";
  for (size_t i = 0; i < msgs.size(); ++i) {
    ASSERT_LE(msgs[i].size(), 65535u);
    Response r = decode(msgs[i]);
    EXPECT_EQ(r.rcode, 0);
    EXPECT_TRUE(r.h.aa);
    EXPECT_EQ(r.h.id, 0x1234);
    EXPECT_EQ(r.h.qdcount, i == 0 ? 1 : 0) << "question only in the first message";
    // Full messages: the next record would not have fitted.
    if (i + 1 < msgs.size()) {
      EXPECT_GT(msgs[i].size(), 65535u - 600);
    }
  }
  auto got = answers(msgs);
  auto want = zone_records(*zone);  // SOA first, once
  ASSERT_EQ(got.front().find("example.net. 300 SOA"), 0u) << got.front();
  EXPECT_EQ(got.front(), got.back());
  EXPECT_EQ(got.front(), want.front());
  std::multiset<std::string> body(got.begin() + 1, got.end() - 1);
  std::multiset<std::string> expected(want.begin() + 1, want.end());
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "every record exactly once";
  EXPECT_EQ(body.count(want.front()), 0u);
  EXPECT_EQ(p.metrics.xfr_out_axfr.load(), 1u);
  size_t total = 0;
  for (const auto& m : msgs) total += m.size();
  EXPECT_EQ(p.metrics.xfr_out_bytes.load(), total);
}

TEST(XfrAxfr, TinyZoneIsOneMessage) {
  auto zone = update::test::load();
  Primary p(zone, {"127.0.0.1"});
  auto msgs = p.ask(axfr_query(), peer_from("127.0.0.1"));
  ASSERT_EQ(msgs.size(), 1u);
  auto got = answers(msgs);
  EXPECT_EQ(got.size(), zone->record_count() + 1);
}

TEST(XfrAxfr, EveryMessageIsSignedAndTheChainVerifies) {
  auto k = key(std::string("hmac-sha256:xfr:") + kSecret);
  Primary p(big_zone(5000), {"key:xfr"}, {k});
  std::vector<uint8_t> mac;
  auto msgs = p.ask(sign(axfr_query(), k, mac), peer_from("192.0.2.99"));
  ASSERT_GT(msgs.size(), 1u);
  dns::TsigStreamVerifier verifier(k, mac);
  for (const auto& m : msgs) {
    dns::MessageView v;
    ASSERT_EQ(v.parse(m), dns::WireError::ok);
    ASSERT_TRUE(v.has_tsig()) << "RFC 8945 5.3.1: we sign every message";
    EXPECT_EQ(verifier.next(v, dns::tsig_now()), dns::TsigStatus::ok);
  }
  EXPECT_TRUE(verifier.complete());
  // A verifier holding another request's MAC rejects the first message.
  std::vector<uint8_t> wrong(mac.size(), 0);
  dns::TsigStreamVerifier other(k, wrong);
  dns::MessageView v;
  ASSERT_EQ(v.parse(msgs[0]), dns::WireError::ok);
  EXPECT_NE(other.next(v, dns::tsig_now()), dns::TsigStatus::ok);
}

TEST(XfrAxfr, StreamKeepsTheVersionItStartedFrom) {
  auto v1 = big_zone(3000, 1);
  Primary p(v1, {"127.0.0.1"});
  dns::MessageView qv;
  auto q = axfr_query();
  ASSERT_EQ(qv.parse(q), dns::WireError::ok);
  std::vector<uint8_t> buf(65535);
  ASSERT_EQ(p.service->handle(qv, buf, peer_from("127.0.0.1"), *p.zones), net::kStream);
  auto s = p.service->take_stream();
  std::vector<std::vector<uint8_t>> msgs;
  size_t len = s->next(buf);
  msgs.emplace_back(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(len));
  // A new version is published and the old one's last other holder lets go.
  p.zones = std::make_shared<const zone::ZoneSet>(std::vector{big_zone(10, 2)});
  v1.reset();
  while ((len = s->next(buf))) msgs.emplace_back(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(len));
  auto got = answers(msgs);
  EXPECT_EQ(got.size(), 3000u * 2 + 5 + 1);  // the SOA twice
  EXPECT_NE(got.back().find(" 1 3600 600"), std::string::npos) << got.back();
}

TEST(XfrAcl, AddressesAndKeysDecide) {
  auto k = key(std::string("hmac-sha256:xfr:") + kSecret);
  auto other = key(std::string("hmac-sha256:other:") + kSecret);
  auto unknown = key(std::string("hmac-sha256:unknown:") + kSecret);
  Primary p(update::test::load(), {"127.0.0.0/8", "key:xfr"}, {k, other});
  auto rcode_of = [&](const std::vector<std::vector<uint8_t>>& m) { return decode(m.front()).rcode; };
  std::vector<uint8_t> mac;
  EXPECT_EQ(rcode_of(p.ask(axfr_query(), peer_from("127.0.0.2"))), dns::rcode::NOERROR);
  EXPECT_EQ(rcode_of(p.ask(axfr_query(), peer_from("192.0.2.1"))), dns::rcode::REFUSED);
  EXPECT_EQ(rcode_of(p.ask(sign(axfr_query(), k, mac), peer_from("192.0.2.1"))), dns::rcode::NOERROR);
  // A known key the list does not name: refused, and the refusal is signed.
  auto refused = p.ask(sign(axfr_query(), other, mac), peer_from("192.0.2.1"));
  EXPECT_EQ(rcode_of(refused), dns::rcode::REFUSED);
  dns::MessageView rv;
  ASSERT_EQ(rv.parse(refused.front()), dns::WireError::ok);
  dns::TsigVerifyParams vp;
  vp.now = dns::tsig_now();
  vp.prior_mac = &mac;
  EXPECT_EQ(dns::tsig_verify_response(rv, other, vp).status, dns::TsigStatus::ok);
  // A key the server does not know: NOTAUTH/BADKEY (RFC 8945 5.2.1), even from a listed address.
  auto badkey = p.ask(sign(axfr_query(), unknown, mac), peer_from("127.0.0.1"));
  EXPECT_EQ(rcode_of(badkey), dns::rcode::NOTAUTH);
  EXPECT_EQ(p.metrics.xfr_out_refused.load(), 2u);
  // A zone we do not serve.
  auto q = make_query("example.org", dns::rrtype::AXFR);
  EXPECT_EQ(rcode_of(p.ask(q, peer_from("127.0.0.1"))), dns::rcode::NOTAUTH);
}

TEST(XfrAcl, NobodyByDefault) {
  Primary p(update::test::load(), {});
  EXPECT_EQ(decode(p.ask(axfr_query(), peer_from("127.0.0.1")).front()).rcode, dns::rcode::REFUSED);
}

TEST(XfrAcl, KeyEntriesParseOnlyWhereAllowed) {
  EXPECT_FALSE(net::parse_acl({"key:xfr"}).ok());
  auto acl = net::parse_acl({"key:xfr", "10.0.0.0/8"}, net::AclKeys::yes);
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->keys.size(), 1u);
  EXPECT_FALSE(net::parse_acl({"key:"}, net::AclKeys::yes).ok());
}

// A journal with two steps, 100 -> 101 -> 102, and the versions they make.
struct JournalFixture : ::testing::Test {
  std::string dir;
  std::unique_ptr<update::Journal> journal;
  std::shared_ptr<const zone::ZoneVersion> v100, v101, v102;

  void SetUp() override {
    char tmpl[] = "/tmp/namae-xfr-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto j = update::Journal::open(dir + "/j.db", name("example.net."));
    ASSERT_TRUE(j.ok());
    journal = std::move(*j);
    v100 = update::test::load();
    v101 = step(*v100, 100, 101, {}, {rr("new", "A", IN, 300, "192.0.2.77")});
    v102 = step(*v101, 101, 102, {rr("www", "TXT", IN, 300, "hello")}, {rr("new", "A", IN, 300, "192.0.2.78")});
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::shared_ptr<const zone::ZoneVersion> step(const zone::ZoneVersion& from, uint32_t a, uint32_t b,
                                                std::vector<dns::Record> removed,
                                                std::vector<dns::Record> added) {
    auto soa = [](uint32_t s) {
      return rr("@", "SOA", IN, 300, "ns1 hostmaster " + std::to_string(s) + " 3600 600 86400 300");
    };
    update::JournalEntry e;
    e.serial_from = a;
    e.serial_to = b;
    e.diff.removed = std::move(removed);
    e.diff.removed.push_back(soa(a));
    e.diff.added = std::move(added);
    e.diff.added.push_back(soa(b));
    EXPECT_TRUE(journal->commit(e).ok());
    auto next = from.apply(e.diff);
    EXPECT_TRUE(next.ok());
    return *next;
  }
};

TEST_F(JournalFixture, IxfrSendsEachStepsDifferences) {
  Primary p(v102, {"127.0.0.1"});
  p.journal = journal.get();
  auto got = answers(p.ask(ixfr_query(100), peer_from("127.0.0.1")));
  auto soa = [](int s) {
    return "example.net. 300 SOA ns1.example.net. hostmaster.example.net. " + std::to_string(s) +
           " 3600 600 86400 300";
  };
  std::vector<std::string> want = {
      soa(102),
      soa(100), soa(101), "new.example.net. 300 A 192.0.2.77",
      soa(101), "www.example.net. 300 TXT \"hello\"", soa(102), "new.example.net. 300 A 192.0.2.78",
      soa(102)};
  EXPECT_EQ(got, want);
  EXPECT_EQ(p.metrics.xfr_out_ixfr.load(), 1u);

  // From the middle of the chain: the last step only.
  got = answers(p.ask(ixfr_query(101), peer_from("127.0.0.1")));
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[1], soa(101));
}

TEST_F(JournalFixture, IxfrIsCutAtTheServedVersion) {
  Primary p(v101, {"127.0.0.1"});  // the journal already holds 101 -> 102
  p.journal = journal.get();
  auto got = answers(p.ask(ixfr_query(100), peer_from("127.0.0.1")));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got.back().find(" 101 3600"), std::string::npos);
}

TEST_F(JournalFixture, CurrentClientGetsTheSoaAlone) {
  Primary p(v102, {"127.0.0.1"});
  p.journal = journal.get();
  for (uint32_t serial : {102u, 150u}) {
    auto msgs = p.ask(ixfr_query(serial), peer_from("127.0.0.1"));
    ASSERT_EQ(msgs.size(), 1u);
    auto got = answers(msgs);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find(" 102 3600"), std::string::npos);
  }
}

TEST_F(JournalFixture, UnknownSerialOrNoJournalGetsTheWholeZone) {
  Primary p(v102, {"127.0.0.1"});
  p.journal = journal.get();
  auto got = answers(p.ask(ixfr_query(42), peer_from("127.0.0.1")));
  EXPECT_EQ(got.size(), v102->record_count() + 1);
  EXPECT_EQ(got.front(), got.back());
  p.journal = nullptr;
  auto msgs = p.ask(ixfr_query(100), peer_from("127.0.0.1"));
  EXPECT_EQ(answers(msgs).size(), v102->record_count() + 1);
  Response first = decode(msgs.front());
  EXPECT_EQ(first.h.qdcount, 1);
  EXPECT_EQ(p.metrics.xfr_out_axfr.load(), 2u);
}

TEST_F(JournalFixture, IxfrOverUdpFitsOrFallsBackToTheSoa) {
  Primary p(v102, {"127.0.0.1"});
  p.journal = journal.get();
  auto msgs = p.ask(ixfr_query(100), peer_from("127.0.0.1", false), 65535);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(answers(msgs).size(), 9u);
  EXPECT_LE(msgs[0].size(), 512u);
  // The whole zone never goes over UDP: the SOA alone.
  msgs = p.ask(ixfr_query(42), peer_from("127.0.0.1", false));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(answers(msgs).size(), 1u);
}

TEST_F(JournalFixture, IxfrTooLargeForUdpGetsTheSoa) {
  std::vector<dns::Record> added;
  for (int i = 0; i < 40; ++i) added.push_back(rr("bulk" + std::to_string(i), "A", IN, 300, "192.0.2.9"));
  auto v103 = step(*v102, 102, 103, {}, added);
  Primary p(v103, {"127.0.0.1"});
  p.journal = journal.get();
  auto msgs = p.ask(ixfr_query(102), peer_from("127.0.0.1", false));
  ASSERT_EQ(msgs.size(), 1u);
  auto got = answers(msgs);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find(" 103 3600"), std::string::npos);
  // Over TCP the same request gets the differences.
  EXPECT_EQ(answers(p.ask(ixfr_query(102), peer_from("127.0.0.1"))).size(), 40u + 4);
}

TEST(XfrEngine, AxfrOverUdpIsFormerrAndIxfrReachesTheHandler) {
  Primary p(update::test::load(), {"127.0.0.1"});
  zone::ZoneSetHolder holder(p.zones);
  auth::AuthEngine engine(holder);
  engine.set_transfer_handler(p.service.get());
  std::vector<uint8_t> out(65535);
  auto q = axfr_query();
  size_t n = engine.handle(q, out, peer_from("127.0.0.1", false));
  out.resize(n);
  EXPECT_EQ(decode(out).rcode, dns::rcode::FORMERR);
  out.assign(65535, 0);
  q = ixfr_query(1);
  n = engine.handle(q, out, peer_from("127.0.0.1", false));
  ASSERT_NE(n, net::kStream);
  out.resize(n);
  EXPECT_EQ(decode(out).answer.size(), 1u);  // no journal, UDP: the SOA alone
  out.assign(65535, 0);
  q = axfr_query();
  EXPECT_EQ(engine.handle(q, out, peer_from("127.0.0.1")), net::kStream);
  EXPECT_NE(engine.take_stream(), nullptr);
}

}  // namespace
}  // namespace namae::xfr
