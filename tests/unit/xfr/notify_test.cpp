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
  if (key) EXPECT_TRUE(dns::tsig_sign_request(buf, *key, nullptr).ok());
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

}  // namespace
}  // namespace namae::xfr::test
