// NOTIFY to a secondary (RFC 1996 3.7): answered with the same ID and
// question, QR and NOERROR, and the secondary checks at once; NOTAUTH for a
// zone that is not a secondary or without the transfer key's signature,
// REFUSED for a source that is not a primary.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>

#include "base/clock.h"
#include "xfr/notify_handler.h"
#include "xfr_test_util.h"

namespace namae::xfr::test {
namespace {

class NoPrimary : public Fetcher {
 public:
  Result<uint32_t> query_serial(const Remote&, const dns::Name&) override { return fail("down"); }
  Result<Transfer> transfer(const Remote&, const dns::Name&, const std::optional<dns::Record>&) override {
    return fail("down");
  }
};

net::Peer peer_at(const char* ip) {
  net::Peer p;
  auto ep = net::parse_endpoint(std::string(ip) + ":4053");
  std::memcpy(&p.addr, &ep->addr, ep->len);
  p.addr_len = ep->len;
  return p;
}

std::vector<uint8_t> notify(const dns::Name& zone, const std::optional<dns::TsigKey>& key = {}) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = 4242;
  b.header().opcode = dns::opcode::NOTIFY;
  b.header().aa = true;
  b.add_question(zone, dns::rrtype::SOA, IN);
  buf.resize(b.finish());
  if (key) {
    EXPECT_TRUE(dns::tsig_sign_request(buf, *key, nullptr).ok());
  }
  return buf;
}

class NotifyTest : public ::testing::Test {
 protected:
  void add(const std::optional<dns::TsigKey>& key) {
    dir = std::filesystem::temp_directory_path() / ("namae-notify-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    SecondaryConfig cfg{origin(), {Remote{*net::parse_endpoint("192.0.2.53:53"), key}},
                        (dir / "z").string(), (dir / "z.jnl").string(), 10};
    ASSERT_TRUE(service.add(cfg, {}, false).ok());
    clock.advance_ms(5000);  // past the secondary's first check time
    service.find(origin())->tick();  // fails (no primary): next check after a retry wait
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  dns::Header answer(const std::vector<uint8_t>& q, const char* from, uint16_t& rcode) {
    dns::MessageView v;
    EXPECT_EQ(v.parse(q), dns::WireError::ok);
    std::vector<uint8_t> out(4096);
    NotifyHandler h(service, keys, clock);
    zone::ZoneSet zones;
    out.resize(h.handle(v, out, peer_at(from), zones));
    dns::MessageView r;
    EXPECT_EQ(r.parse(out), dns::WireError::ok);
    rcode = r.header().rcode;
    EXPECT_EQ(r.header().qdcount, 1);
    EXPECT_TRUE(r.qname() == v.qname());
    return r.header();
  }
  bool check_due() { return service.find(origin())->next_event_ms() <= clock.now_ms(); }

  std::filesystem::path dir;
  FakeClock clock;
  NoPrimary fetcher;
  SecondaryService service{fetcher, clock};
  std::vector<dns::TsigKey> keys;
};

TEST_F(NotifyTest, FromAPrimaryAsksForACheck) {
  add(std::nullopt);
  EXPECT_FALSE(check_due());
  uint16_t rc;
  auto h = answer(notify(origin()), "192.0.2.53", rc);
  EXPECT_EQ(rc, dns::rcode::NOERROR);
  EXPECT_EQ(h.id, 4242);
  EXPECT_TRUE(h.qr);
  EXPECT_EQ(h.opcode, dns::opcode::NOTIFY);
  EXPECT_TRUE(check_due());
}

TEST_F(NotifyTest, FromElsewhereIsRefused) {
  add(std::nullopt);
  uint16_t rc;
  answer(notify(origin()), "192.0.2.99", rc);
  EXPECT_EQ(rc, dns::rcode::REFUSED);
  EXPECT_FALSE(check_due());
}

TEST_F(NotifyTest, UnknownZoneIsNotauth) {
  add(std::nullopt);
  uint16_t rc;
  answer(notify(update::test::name("other.test")), "192.0.2.53", rc);
  EXPECT_EQ(rc, dns::rcode::NOTAUTH);
}

TEST_F(NotifyTest, TransferKeyMustSign) {
  auto key = dns::TsigKey::parse("hmac-sha256:xfr:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.ok());
  keys = {*key};
  clock.set_unix_time(time(nullptr));  // the request is signed with the real time
  add(*key);
  uint16_t rc;
  answer(notify(origin()), "192.0.2.53", rc);
  EXPECT_EQ(rc, dns::rcode::NOTAUTH);
  EXPECT_FALSE(check_due());
  answer(notify(origin(), *key), "192.0.2.53", rc);
  EXPECT_EQ(rc, dns::rcode::NOERROR);
  EXPECT_TRUE(check_due());
}

// A [[key]] whose secret changes on a live reconfiguration: the handler
// swaps its table whole and the secondary its primaries' copy of the key, so
// a NOTIFY signed with the old secret is refused and one with the new is
// taken, its reply signed with the new secret.
TEST_F(NotifyTest, KeyTableSwapTakesTheNewSecret) {
  auto old_key = *dns::TsigKey::parse("hmac-sha256:xfr:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  auto new_key = *dns::TsigKey::parse("hmac-sha256:xfr:YW5vdGhlci1zZWNyZXQtYW5vdGhlcg==");
  clock.set_unix_time(time(nullptr));
  add(old_key);
  NotifyHandler h(service, {old_key}, clock);
  auto ask = [&](const dns::TsigKey& key) {
    std::vector<uint8_t> mac;
    auto q = notify(origin());
    EXPECT_TRUE(dns::tsig_sign_request(q, key, &mac).ok());
    dns::MessageView v;
    EXPECT_EQ(v.parse(q), dns::WireError::ok);
    std::vector<uint8_t> out(4096);
    zone::ZoneSet zones;
    out.resize(h.handle(v, out, peer_at("192.0.2.53"), zones));
    dns::MessageView r;
    EXPECT_EQ(r.parse(out), dns::WireError::ok);
    dns::TsigVerifyParams params;
    params.now = static_cast<uint64_t>(clock.unix_time());
    params.prior_mac = &mac;
    return std::pair{r.header().rcode, dns::tsig_verify_response(r, key, params).ok()};
  };
  EXPECT_EQ(ask(old_key), std::pair(uint8_t{dns::rcode::NOERROR}, true));

  h.set_keys({new_key});
  EXPECT_TRUE(service.rekey(std::vector{new_key}).empty());
  EXPECT_EQ(service.find(origin())->key()->secret, new_key.secret);
  EXPECT_EQ(ask(old_key).first, dns::rcode::NOTAUTH);  // BADSIG
  EXPECT_EQ(ask(new_key), std::pair(uint8_t{dns::rcode::NOERROR}, true));

  auto gone = service.rekey(std::vector<dns::TsigKey>{});  // the key left the table: kept, and said
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_NE(gone[0].find("xfr."), std::string::npos) << gone[0];
  EXPECT_EQ(service.find(origin())->key()->secret, new_key.secret);
}

}  // namespace
}  // namespace namae::xfr::test
