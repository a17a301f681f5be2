// UpdateService end to end on wire messages: TSIG (ok, BADKEY, BADSIG,
// BADTIME), the address ACL, zone section rcodes, leases (clamp, reply
// option, expiry with an injected clock, renewal, restart), the journal
// (restart replays to the same zone), zone file rewrite, concurrency.
#include "update/service.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <sqlite3.h>

#include "dns/message.h"
#include "dns/tsig.h"
#include "dnssec/zone_verify.h"
#include "signing/zone_signer.h"
#include "update_test_util.h"
#include "zone/zone_set.h"

namespace namae::update {
namespace {

using namespace test;
namespace rc = dns::rcode;

constexpr const char* kSecret1 = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";
constexpr const char* kSecret2 = "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcm90aGVyMTI=";

// A transport stand-in for deferred replies: collects what the writer sends.
class CollectingSink : public net::ReplySink {
 public:
  bool send(const net::Peer& to, std::span<const uint8_t> response) override {
    std::lock_guard lk(mu_);
    replies_.push_back({to.tcp, std::vector<uint8_t>(response.begin(), response.end())});
    cv_.notify_all();
    return true;
  }
  size_t count() {
    std::lock_guard lk(mu_);
    return replies_.size();
  }
  /// Wait for `n` replies (empty on timeout), in the order they were sent.
  std::vector<std::pair<bool, std::vector<uint8_t>>> wait(size_t n) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, std::chrono::seconds(10), [&] { return replies_.size() >= n; }))
      return {};
    return replies_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<bool, std::vector<uint8_t>>> replies_;
};

// Holds the service's publisher (called after each commit, before any reply)
// until released, so a test can queue requests behind a commit in progress.
struct PublishGate {
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, blocked = false, open = false;
  int published = 0;

  void pass() {
    std::unique_lock lk(mu);
    ++published;
    if (!armed) return;
    blocked = true;
    cv.notify_all();
    cv.wait(lk, [&] { return open; });
  }
  bool wait_blocked() {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return blocked; });
  }
  void release() {
    std::lock_guard lk(mu);
    open = true;
    armed = false;
    cv.notify_all();
  }
};

struct Request {
  std::vector<dns::Record> prereqs, updates;
  dns::Name zone = origin();
  uint16_t ztype = dns::rrtype::SOA;
  uint16_t zclass = dns::rrclass::IN;
  bool no_zone = false;
  std::optional<dns::UpdateLease> lease;
  std::vector<uint8_t> raw_option;  // an UPDATE-LEASE option's data, verbatim
  const dns::TsigKey* key = nullptr;
  int64_t signed_at = 0;
  const char* from = "127.0.0.1";
};

struct Reply {
  uint16_t rcode = 0xffff;
  std::vector<uint8_t> wire;
  dns::TsigStatus tsig = dns::TsigStatus::unsigned_message;
  uint16_t tsig_error = 0;
  std::optional<dns::UpdateLease> lease;
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock.set_unix_time(1700000000);
    char tmpl[] = "/tmp/namae-update-XXXXXX";
    dir = mkdtemp(tmpl);
    k1 = *dns::TsigKey::parse(std::string("hmac-sha256:k1:") + kSecret1);
    k2 = *dns::TsigKey::parse(std::string("hmac-sha256:k2:") + kSecret2);
    std::vector<zonefile::Diagnostic> d;
    static_zone = *zone::load_zone_text(
        "$ORIGIN static.test.\n@ 60 SOA ns h 1 1 1 1 1\n@ 60 NS ns\nns 60 A 192.0.2.1\n", "s",
        name("static.test."), d);
    base = load();
    holder.publish(std::make_shared<const zone::ZoneSet>(
        std::vector<std::shared_ptr<const zone::ZoneVersion>>{base, static_zone}));
    cfg.origin = origin();
    auto g = make_grant("k1", "zonesub", "", {}, origin());
    cfg.policy = UpdatePolicy({*g});
    cfg.allow_update.prefixes.push_back(*net::parse_prefix("10.0.0.0/8"));
    cfg.leases.min_lease = 30;
    cfg.leases.max_lease = 100;
    cfg.leases.required = true;
  }
  void TearDown() override {
    service.reset();
    std::filesystem::remove_all(dir);
  }

  void start(bool journal = false, std::shared_ptr<const zone::ZoneVersion> from = nullptr) {
    if (journal) cfg.journal = dir + "/z.db";
    service = std::make_unique<UpdateService>(
        std::vector<dns::TsigKey>{k1, k2},
        [this](std::shared_ptr<const zone::ZoneVersion> v) {
          {
            std::lock_guard lk(publish_mu);
            holder.publish(holder.snapshot()->with(std::move(v)));
          }
          gate.pass();
        },
        clock);
    registry = std::make_unique<net::MetricsRegistry>();
    service->set_metrics(registry.get());
    auto r = service->add_zone(cfg, from ? from : base);
    ASSERT_TRUE(r.ok()) << r.message();
  }
  std::shared_ptr<const zone::ZoneVersion> served() { return holder.snapshot()->get(origin()); }

  // The wire form of `rq` (signed when rq.key; the MAC goes to `mac`).
  std::vector<uint8_t> build(const Request& rq, std::vector<uint8_t>& mac) {
    std::vector<uint8_t> buf(65535);
    dns::MessageBuilder b(buf, buf.size());
    b.header().id = 0x4242;
    b.header().opcode = dns::opcode::UPDATE;
    if (!rq.no_zone) b.add_question(rq.zone, rq.ztype, rq.zclass);
    b.begin(dns::Section::answer);
    for (const auto& r : rq.prereqs) b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata);
    b.begin(dns::Section::authority);
    for (const auto& r : rq.updates) b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata);
    b.begin(dns::Section::additional);
    std::vector<uint8_t> opts;
    if (rq.lease)
      dns::append_edns_option(opts, dns::edns_option::UPDATE_LEASE,
                              dns::encode_update_lease(*rq.lease));
    if (!rq.raw_option.empty())
      dns::append_edns_option(opts, dns::edns_option::UPDATE_LEASE, rq.raw_option);
    if (rq.lease || !rq.raw_option.empty()) {
      dns::Edns e;
      e.present = true;
      e.udp_size = 1232;
      e.options = opts;
      b.add_opt(e);
    }
    size_t len = b.finish();
    if (rq.key) {
      dns::TsigSignParams p;
      p.time_signed = static_cast<uint64_t>(rq.signed_at ? rq.signed_at : clock.unix_time());
      auto s = dns::tsig_sign(buf, len, *rq.key, p, &mac);
      EXPECT_TRUE(s.ok());
      len = *s;
    }
    buf.resize(len);
    return buf;
  }
  static net::Peer peer_of(const Request& rq, bool tcp) {
    net::Peer peer;
    peer.tcp = tcp;
    auto* sin = reinterpret_cast<sockaddr_in*>(&peer.addr);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, rq.from, &sin->sin_addr);
    peer.addr_len = sizeof(sockaddr_in);
    return peer;
  }

  Reply send(const Request& rq, bool tcp = false) {
    std::vector<uint8_t> mac;
    auto wire = build(rq, mac);
    dns::MessageView q;
    EXPECT_EQ(q.parse(wire), dns::WireError::ok);
    std::vector<uint8_t> resp(tcp ? 65535 : 4096);
    size_t n = service->handle(q, resp, peer_of(rq, tcp), *holder.snapshot());
    EXPECT_NE(n, net::kDeferred);  // no channel: answered synchronously
    resp.resize(n);
    return parse_reply(std::move(resp), rq, mac);
  }

  // Send `rq` through a deferring transport (`sink`); returns the MAC to check the reply with.
  std::vector<uint8_t> send_deferred(const Request& rq, const std::shared_ptr<net::ReplySink>& sink,
                                     bool tcp = false) {
    std::vector<uint8_t> mac;
    auto wire = build(rq, mac);
    dns::MessageView q;
    EXPECT_EQ(q.parse(wire), dns::WireError::ok);
    net::Peer peer = peer_of(rq, tcp);
    peer.sink = sink.get();
    std::vector<uint8_t> resp(4096);
    EXPECT_EQ(service->handle(q, resp, peer, *holder.snapshot()), net::kDeferred);
    return mac;
  }

  Reply parse_reply(std::vector<uint8_t> wire, const Request& rq, const std::vector<uint8_t>& mac) {
    Reply out;
    out.wire = std::move(wire);
    dns::MessageView r;
    EXPECT_EQ(r.parse(out.wire), dns::WireError::ok);
    EXPECT_TRUE(r.header().qr);
    EXPECT_EQ(r.header().id, 0x4242);
    EXPECT_EQ(r.header().opcode, dns::opcode::UPDATE);
    out.rcode = r.header().rcode;
    if (r.edns().present) {
      if (auto o = r.edns().find(dns::edns_option::UPDATE_LEASE))
        out.lease = dns::parse_update_lease(o->data);
    }
    if (rq.key) {
      dns::TsigVerifyParams vp;
      vp.now = static_cast<uint64_t>(clock.unix_time());
      vp.prior_mac = &mac;
      auto v = dns::tsig_verify_response(r, *rq.key, vp);
      out.tsig = v.status;
      if (v.record) out.tsig_error = v.record->error;
    }
    return out;
  }

  // A refused request must leave the served zone exactly as it was.
  void expect_unchanged(const std::shared_ptr<const zone::ZoneVersion>& before) {
    EXPECT_EQ(served().get(), before.get());
    EXPECT_EQ(dump(*served()), dump(*before));
  }

  std::string dir;
  dns::TsigKey k1, k2;
  std::shared_ptr<const zone::ZoneVersion> base, static_zone;
  zone::ZoneSetHolder holder;
  std::mutex publish_mu;
  PublishGate gate;
  FakeClock clock;  // unix_time() set to 1700000000 in SetUp
  ZoneUpdateConfig cfg;
  std::unique_ptr<net::MetricsRegistry> registry;  // declared before (outlived by) the service
  std::unique_ptr<UpdateService> service;
};

dns::Record add(const char* owner, const char* rd = "192.0.2.99") {
  return rr(owner, "A", IN, 60, rd);
}

TEST_F(ServiceTest, SignedUpdateAppliesAndReplyIsSigned) {
  start();
  Request rq;
  rq.updates = {add("h1")};
  rq.key = &k1;
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::NOERROR);
  EXPECT_EQ(r.tsig, dns::TsigStatus::ok);
  EXPECT_EQ(served()->serial(), 101u);
  EXPECT_NE(served()->find(name("h1.example.net.")), nullptr);
  // Over TCP too.
  rq.updates = {add("h2")};
  EXPECT_EQ(send(rq, true).rcode, rc::NOERROR);
  EXPECT_EQ(served()->serial(), 102u);
}

TEST_F(ServiceTest, UnsignedRefusedUnlessAddressAllowed) {
  start();
  auto before = served();
  Request rq;
  rq.updates = {add("h1")};
  EXPECT_EQ(send(rq).rcode, rc::REFUSED);
  expect_unchanged(before);
  rq.from = "10.1.2.3";
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_EQ(served()->serial(), 101u);
}

TEST_F(ServiceTest, KeyWithoutGrantRefused) {
  start();
  auto before = served();
  Request rq;
  rq.updates = {add("h1")};
  rq.key = &k2;  // valid signature, but no rule names k2
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::REFUSED);
  EXPECT_EQ(r.tsig, dns::TsigStatus::ok);  // the refusal is signed
  expect_unchanged(before);
}

TEST_F(ServiceTest, PolicyRefusalAppliesNothing) {
  cfg.policy = UpdatePolicy({*make_grant("k1", "subdomain", "dyn.example.net", {"A"}, origin())});
  start();
  auto before = served();
  Request rq;
  rq.updates = {add("a.dyn"), rr("b.dyn", "TXT", IN, 60, "x")};
  rq.key = &k1;
  EXPECT_EQ(send(rq).rcode, rc::REFUSED);
  expect_unchanged(before);
  rq.updates = {add("a.dyn"), add("b.dyn")};
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
}

TEST_F(ServiceTest, TsigBadKey) {
  start();
  auto before = served();
  dns::TsigKey unknown = *dns::TsigKey::parse(std::string("hmac-sha256:nobody:") + kSecret1);
  Request rq;
  rq.updates = {add("h1")};
  rq.key = &unknown;
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::NOTAUTH);
  EXPECT_EQ(r.tsig_error, rc::BADKEY);
  expect_unchanged(before);
}

TEST_F(ServiceTest, TsigBadSig) {
  start();
  auto before = served();
  dns::TsigKey forged = *dns::TsigKey::parse(std::string("hmac-sha256:k1:") + kSecret2);
  Request rq;
  rq.updates = {add("h1")};
  rq.key = &forged;
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::NOTAUTH);
  EXPECT_EQ(r.tsig_error, rc::BADSIG);
  expect_unchanged(before);
}

TEST_F(ServiceTest, TsigBadTimeIsSigned) {
  start();
  auto before = served();
  Request rq;
  rq.updates = {add("h1")};
  rq.key = &k1;
  rq.signed_at = clock.unix_time() - 1000;  // outside the 300 s fudge
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::NOTAUTH);
  EXPECT_EQ(r.tsig_error, rc::BADTIME);
  EXPECT_EQ(r.tsig, dns::TsigStatus::peer_error);  // the MAC on the BADTIME reply verified
  expect_unchanged(before);
}

TEST_F(ServiceTest, ZoneSectionRcodes) {
  start();
  auto before = served();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1")};
  rq.no_zone = true;
  EXPECT_EQ(send(rq).rcode, rc::FORMERR);  // ZOCOUNT 0
  rq.no_zone = false;
  rq.ztype = dns::rrtype::A;
  EXPECT_EQ(send(rq).rcode, rc::FORMERR);  // zone type not SOA
  rq.ztype = dns::rrtype::SOA;
  rq.zone = name("example.org.");
  EXPECT_EQ(send(rq).rcode, rc::NOTAUTH);  // not ours
  rq.zone = name("www.example.net.");
  EXPECT_EQ(send(rq).rcode, rc::NOTAUTH);  // below a zone is not a zone
  rq.zone = name("static.test.");
  rq.updates = {};
  EXPECT_EQ(send(rq).rcode, rc::REFUSED);  // served, not dynamic
  rq.zone = origin();
  rq.zclass = dns::rrclass::CH;
  EXPECT_EQ(send(rq).rcode, rc::NOTAUTH);
  expect_unchanged(before);
}

TEST_F(ServiceTest, RcodesFromTheEngineLeaveZoneUnchanged) {
  start();
  auto before = served();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1")};
  rq.prereqs = {rr("nope", "ANY", ANY, 0)};
  EXPECT_EQ(send(rq).rcode, rc::NXDOMAIN);
  rq.prereqs = {rr("www", "ANY", NONE, 0)};
  EXPECT_EQ(send(rq).rcode, rc::YXDOMAIN);
  rq.prereqs = {rr("www", "AAAA", ANY, 0)};
  EXPECT_EQ(send(rq).rcode, rc::NXRRSET);
  rq.prereqs = {rr("www", "A", NONE, 0)};
  EXPECT_EQ(send(rq).rcode, rc::YXRRSET);
  rq.prereqs = {};
  dns::Record out = add("x");
  out.owner = name("x.example.org.");
  rq.updates = {add("h1"), out};
  EXPECT_EQ(send(rq).rcode, rc::NOTZONE);
  rq.updates = {add("h1"), rr("www", "A", ANY, 60)};
  EXPECT_EQ(send(rq).rcode, rc::FORMERR);
  expect_unchanged(before);
}

TEST_F(ServiceTest, NoOpUpdateKeepsVersion) {
  start(true);
  auto before = served();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {rr("www", "A", IN, 300, "192.0.2.10"), rr("nope", "ANY", ANY, 0)};
  Reply r = send(rq);
  EXPECT_EQ(r.rcode, rc::NOERROR);
  // The duplicate add renews (here: grants) a lease: journaled, but the zone
  // and its serial stay as they were (secondaries have nothing to transfer).
  expect_unchanged(before);
  ASSERT_EQ(service->leases(origin()).size(), 1u);
  const int64_t expiry = service->leases(origin())[0].expires_at;
  EXPECT_EQ(service->stats().commits, 1u);
  // Renewing again moves the expiry, still without a new version.
  clock.advance_ms(10'000);
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  expect_unchanged(before);
  EXPECT_EQ(service->leases(origin())[0].expires_at, expiry + 10);
  // Durable: a restart replays no entry and keeps the renewed lease.
  service.reset();
  start(true);
  EXPECT_EQ(served()->serial(), 100u);
  ASSERT_EQ(service->leases(origin()).size(), 1u);
  EXPECT_EQ(service->leases(origin())[0].expires_at, expiry + 10);
  // A real change after renewals continues the serial chain.
  Request change;
  change.from = "10.0.0.1";
  change.updates = {add("after-renewal")};
  EXPECT_EQ(send(change).rcode, rc::NOERROR);
  EXPECT_EQ(served()->serial(), 101u);
}

TEST_F(ServiceTest, NoOpWithoutLeasesChangesNothing) {
  cfg.leases.max_lease = 0;
  start();
  auto before = served();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {rr("www", "A", IN, 300, "192.0.2.10"), rr("nope", "ANY", ANY, 0)};
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  expect_unchanged(before);
}

TEST_F(ServiceTest, LeaseClampedAndEchoed) {
  start();
  Request rq;
  rq.key = &k1;
  rq.updates = {add("h1")};
  rq.lease = dns::UpdateLease{5, std::nullopt};
  Reply r = send(rq);
  ASSERT_EQ(r.rcode, rc::NOERROR);
  ASSERT_TRUE(r.lease);
  EXPECT_EQ(r.lease->lease, 30u);  // min-lease
  EXPECT_FALSE(r.lease->key_lease);
  rq.updates = {add("h2")};
  rq.lease = dns::UpdateLease{100000, 7};
  r = send(rq);
  ASSERT_TRUE(r.lease);
  EXPECT_EQ(r.lease->lease, 100u);  // max-lease
  ASSERT_TRUE(r.lease->key_lease);
  EXPECT_EQ(*r.lease->key_lease, 30u);
  rq.updates = {add("h3")};
  rq.lease = dns::UpdateLease{50, std::nullopt};
  r = send(rq);
  EXPECT_EQ(r.lease->lease, 50u);
  auto leases = service->leases(origin());
  ASSERT_EQ(leases.size(), 3u);
  for (const auto& l : leases) {
    if (l.owner == name("h1.example.net.")) {
      EXPECT_EQ(l.expires_at, clock.unix_time() + 30);
    }
    if (l.owner == name("h2.example.net.")) {
      EXPECT_EQ(l.expires_at, clock.unix_time() + 100);
    }
    if (l.owner == name("h3.example.net.")) {
      EXPECT_EQ(l.expires_at, clock.unix_time() + 50);
    }
    EXPECT_EQ(l.granted_to, "dns:k1@127.0.0.1");  // key and source, as HTTP writes it
  }
  // Without the option: the zone requires leases, so max-lease applies; no option in the reply.
  rq.lease.reset();
  rq.updates = {add("h4")};
  r = send(rq);
  EXPECT_FALSE(r.lease);
  EXPECT_EQ(service->leases(origin()).size(), 4u);
}

TEST_F(ServiceTest, MalformedLeaseOptionIsFormerr) {
  start();
  auto before = served();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1")};
  rq.raw_option = {0, 0, 1};
  EXPECT_EQ(send(rq).rcode, rc::FORMERR);
  expect_unchanged(before);
}

TEST_F(ServiceTest, LeasesOptionalWithoutMaxLease) {
  cfg.leases.max_lease = 0;
  start();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("perm")};
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_TRUE(service->leases(origin()).empty());
  rq.updates = {add("leased")};
  rq.lease = dns::UpdateLease{86400 * 30, std::nullopt};
  Reply r = send(rq);
  EXPECT_EQ(r.lease->lease, 86400u * 30);
  EXPECT_EQ(service->leases(origin()).size(), 1u);
  // Re-adding without a lease makes the RR permanent again.
  rq.lease.reset();
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_TRUE(service->leases(origin()).empty());
}

TEST_F(ServiceTest, LeaseExpiryRemovesThroughTheUpdatePath) {
  start(true);
  Request rq;
  rq.key = &k1;
  rq.updates = {add("h1"), rr("h1", "AAAA", IN, 60, "2001:db8::1")};
  rq.lease = dns::UpdateLease{40, std::nullopt};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  rq.updates = {add("h2")};
  rq.lease = dns::UpdateLease{80, std::nullopt};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  const uint32_t serial = served()->serial();
  EXPECT_EQ(service->next_expiry(), clock.unix_time() + 40);
  EXPECT_EQ(service->expire(clock.unix_time() + 39), 0u);
  EXPECT_EQ(served()->serial(), serial);
  clock.advance_ms(40'000);
  EXPECT_EQ(service->expire(clock.unix_time()), 2u);
  EXPECT_EQ(served()->find(name("h1.example.net.")), nullptr);
  EXPECT_NE(served()->find(name("h2.example.net.")), nullptr);
  EXPECT_EQ(served()->serial(), serial + 1);
  EXPECT_EQ(service->leases(origin()).size(), 1u);
  // Renewal: re-sending the same update extends the lease.
  clock.advance_ms(30'000);
  rq.updates = {add("h2")};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  clock.advance_ms(60'000);  // past the first lease (t0+80), within the renewed one (t0+70+80)
  EXPECT_EQ(service->expire(clock.unix_time()), 0u);
  EXPECT_NE(served()->find(name("h2.example.net.")), nullptr);
  clock.advance_ms(20'000);
  EXPECT_EQ(service->expire(clock.unix_time()), 1u);
  EXPECT_EQ(served()->find(name("h2.example.net.")), nullptr);
  EXPECT_TRUE(service->leases(origin()).empty());
  EXPECT_EQ(dump(*served()).find("h2."), std::string::npos);
}

TEST_F(ServiceTest, DeletingALeasedRRDropsItsLease) {
  start();
  Request rq;
  rq.key = &k1;
  rq.updates = {add("h1")};
  rq.lease = dns::UpdateLease{60, std::nullopt};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_EQ(service->leases(origin()).size(), 1u);
  rq.lease.reset();
  rq.updates = {rr("h1", "ANY", ANY, 0)};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_TRUE(service->leases(origin()).empty());
}

TEST_F(ServiceTest, RestartReplaysJournalAndKeepsLeases) {
  start(true);
  Request rq;
  rq.key = &k1;
  for (int i = 0; i < 20; ++i) {
    rq.updates = {add(("h" + std::to_string(i)).c_str()), rr("www", "A", NONE, 0, "192.0.2.10")};
    rq.lease = dns::UpdateLease{static_cast<uint32_t>(40 + i), std::nullopt};
    ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  }
  const std::string state = dump(*served());
  const auto leases = service->leases(origin()).size();
  service.reset();
  // A new process: the zone file (still the base) plus the journal.
  holder.publish(std::make_shared<const zone::ZoneSet>(
      std::vector<std::shared_ptr<const zone::ZoneVersion>>{base, static_zone}));
  start(true);
  EXPECT_EQ(dump(*served()), state);
  EXPECT_EQ(service->leases(origin()).size(), leases);
  EXPECT_EQ(service->expire(clock.unix_time() + 45), 6u);  // h0..h5 (40..45 s)
}

TEST_F(ServiceTest, ZoneFileRewriteAndCompaction) {
  cfg.file = dir + "/z.zone";
  start(true);
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1"), rr("txt", "TXT", IN, 60, "a\\032b")};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  cfg.file_sync_interval = 300;
  ASSERT_TRUE(service->sync_files(true).ok());
  std::vector<zonefile::Diagnostic> diags;
  auto reread = zone::load_zone_file(cfg.file, origin(), diags);
  ASSERT_TRUE(reread.ok()) << reread.message();
  EXPECT_EQ(dump(**reread), dump(*served()));
  // Nothing changed since: not written again (the file keeps its inode).
  auto mtime = std::filesystem::last_write_time(cfg.file);
  ASSERT_TRUE(service->sync_files(true).ok());
  EXPECT_EQ(std::filesystem::last_write_time(cfg.file), mtime);
  EXPECT_FALSE(std::filesystem::exists(cfg.file + ".namae-tmp"));
  // A restart from the rewritten file replays nothing and gives the same zone.
  const std::string state = dump(*served());
  service.reset();
  start(true, *reread);
  EXPECT_EQ(dump(*served()), state);
}

TEST_F(ServiceTest, PeriodicSyncHonoursTheInterval) {
  cfg.file = dir + "/z.zone";
  cfg.file_sync_interval = 100;
  start();
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1")};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  ASSERT_TRUE(service->sync_files(false).ok());
  EXPECT_FALSE(std::filesystem::exists(cfg.file));
  clock.advance_ms(100'000);
  ASSERT_TRUE(service->sync_files(false).ok());
  EXPECT_TRUE(std::filesystem::exists(cfg.file));
}

TEST_F(ServiceTest, ConcurrentUpdatesAreSerialisedAndGroupCommitted) {
  start(true);
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Request rq;
        rq.key = &k1;
        std::string owner = "t" + std::to_string(t) + "-" + std::to_string(i);
        rq.updates = {add(owner.c_str())};
        rq.prereqs = {rr(owner, "ANY", NONE, 0)};
        if (send(rq).rcode == rc::NOERROR) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(served()->serial(), 100u + kThreads * kEach);
  auto s = service->stats();
  EXPECT_EQ(s.applied, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LE(s.commits, s.applied);
  RecordProperty("journal_commits", static_cast<int>(s.commits));
  // Every acknowledged update is in the journal: a restart sees them all.
  const std::string state = dump(*served());
  service.reset();
  start(true);
  EXPECT_EQ(dump(*served()), state);
}

TEST_F(ServiceTest, DeferredUpdatesQueuedDuringACommitShareTheNextOne) {
  start(true);
  auto sink = std::make_shared<CollectingSink>();
  gate.armed = true;
  Request first;
  first.key = &k1;
  first.updates = {add("first")};
  auto first_mac = send_deferred(first, sink);
  // The writer has committed `first` and is publishing it: no reply yet
  // (replies follow the commit and the publish).
  ASSERT_TRUE(gate.wait_blocked());
  EXPECT_EQ(sink->count(), 0u);
  constexpr int kMore = 8;
  std::vector<Request> more(kMore);
  std::vector<std::vector<uint8_t>> macs;
  for (int i = 0; i < kMore; ++i) {
    std::string owner = "b" + std::to_string(i);
    more[i].key = &k1;
    more[i].updates = {add(owner.c_str())};
    more[i].prereqs = {rr(owner, "ANY", NONE, 0)};
    more[i].lease = dns::UpdateLease{60, std::nullopt};
    macs.push_back(send_deferred(more[i], sink, i % 2 == 1));  // UDP and TCP alike
  }
  // handle() returned at once for all of them although the zone is busy.
  EXPECT_EQ(sink->count(), 0u);
  gate.release();
  auto replies = sink->wait(1 + kMore);
  ASSERT_EQ(replies.size(), 1u + kMore);
  auto r0 = parse_reply(replies[0].second, first, first_mac);
  EXPECT_EQ(r0.rcode, rc::NOERROR);
  EXPECT_EQ(r0.tsig, dns::TsigStatus::ok);
  for (int i = 0; i < kMore; ++i) {
    EXPECT_EQ(replies[1 + i].first, i % 2 == 1);  // each answer on its own transport
    auto r = parse_reply(replies[1 + i].second, more[i], macs[i]);
    EXPECT_EQ(r.rcode, rc::NOERROR) << i;
    EXPECT_EQ(r.tsig, dns::TsigStatus::ok) << i;
    ASSERT_TRUE(r.lease.has_value()) << i;
    EXPECT_EQ(r.lease->lease, 60u);
  }
  // Two journal transactions: `first`, then all eight together.
  auto s = service->stats();
  EXPECT_EQ(s.applied, 1u + kMore);
  EXPECT_EQ(s.commits, 2u);
  // Deferred answers are counted like the transports' own (by the writer).
  EXPECT_EQ(registry->total_queries(), 1u + kMore);
  EXPECT_EQ(served()->serial(), 100u + 1 + kMore);
  EXPECT_EQ(service->leases(origin()).size(), 1u + kMore);  // required: `first` got one too
  const std::string state = dump(*served());
  service.reset();
  start(true);
  EXPECT_EQ(dump(*served()), state);
}

TEST_F(ServiceTest, DeferredRefusalsAndPrerequisitesAreDecidedInOrder) {
  start(true);
  auto sink = std::make_shared<CollectingSink>();
  gate.armed = true;
  Request first;
  first.from = "10.0.0.1";
  first.updates = {add("x")};
  send_deferred(first, sink);
  ASSERT_TRUE(gate.wait_blocked());
  // Same batch: the second needs "x" absent (now present: YXDOMAIN), the third
  // deletes it, the fourth needs it absent again (NOERROR after the third).
  Request second, third, fourth;
  for (Request* r : {&second, &third, &fourth}) r->from = "10.0.0.1";
  second.prereqs = {rr("x", "ANY", NONE, 0)};
  second.updates = {add("y")};
  third.updates = {rr("x", "ANY", ANY, 0)};
  fourth.prereqs = {rr("x", "ANY", NONE, 0)};
  fourth.updates = {add("z")};
  std::vector<uint8_t> none;
  for (Request* r : {&second, &third, &fourth}) send_deferred(*r, sink);
  gate.release();
  auto replies = sink->wait(4);
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(parse_reply(replies[0].second, first, none).rcode, rc::NOERROR);
  EXPECT_EQ(parse_reply(replies[1].second, second, none).rcode, rc::YXDOMAIN);
  EXPECT_EQ(parse_reply(replies[2].second, third, none).rcode, rc::NOERROR);
  EXPECT_EQ(parse_reply(replies[3].second, fourth, none).rcode, rc::NOERROR);
  EXPECT_EQ(served()->find(name("x.example.net.")), nullptr);
  EXPECT_EQ(served()->find(name("y.example.net.")), nullptr);
  EXPECT_NE(served()->find(name("z.example.net.")), nullptr);
}

TEST_F(ServiceTest, FailedBatchCommitAnswersEveryUpdateInItServfail) {
  start(true);
  auto sink = std::make_shared<CollectingSink>();
  gate.armed = true;
  Request first;
  first.from = "10.0.0.1";
  first.updates = {add("kept")};
  send_deferred(first, sink);
  ASSERT_TRUE(gate.wait_blocked());
  auto before = served();
  ASSERT_EQ(before->serial(), 101u);
  constexpr int kMore = 5;
  std::vector<Request> more(kMore);
  for (int i = 0; i < kMore; ++i) {
    std::string owner = "lost" + std::to_string(i);
    more[i].from = "10.0.0.1";
    more[i].updates = {add(owner.c_str())};
    send_deferred(more[i], sink);
  }
  // Break the chain behind the service's back: its batch (101 -> ...) no longer fits.
  {
    auto other = Journal::open(dir + "/z.db", origin(), /*exclusive=*/false);
    ASSERT_TRUE(other.ok()) << other.message();
    JournalEntry e;
    e.serial_from = 101;
    e.serial_to = 500;
    ASSERT_TRUE((*other)->commit(e, {}).ok());
  }
  gate.release();
  auto replies = sink->wait(1 + kMore);
  ASSERT_EQ(replies.size(), 1u + kMore);
  std::vector<uint8_t> none;
  EXPECT_EQ(parse_reply(replies[0].second, first, none).rcode, rc::NOERROR);
  for (int i = 0; i < kMore; ++i)
    EXPECT_EQ(parse_reply(replies[1 + i].second, more[i], none).rcode, rc::SERVFAIL) << i;
  expect_unchanged(before);  // the zone stays at the last durable version
  EXPECT_EQ(service->current(origin()).get(), before.get());
  EXPECT_EQ(service->stats().failed, static_cast<uint64_t>(kMore));
}

TEST_F(ServiceTest, JournalFileNewerThanJournalWins) {
  start(true);
  Request rq;
  rq.from = "10.0.0.1";
  rq.updates = {add("h1")};
  ASSERT_EQ(send(rq).rcode, rc::NOERROR);
  service.reset();
  // The file edited by hand with a serial past the journal's.
  auto edited =
      load(std::string(kZoneText).replace(std::string(kZoneText).find(" 100 "), 5, " 500 "));
  start(true, edited);
  EXPECT_EQ(served()->serial(), 500u);
  EXPECT_EQ(served()->find(name("h1.example.net.")), nullptr);
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  EXPECT_EQ(served()->serial(), 501u);
}

}  // namespace
}  // namespace namae::update

namespace namae::update {
namespace {

// A signed zone through the service: signed when added (one journaled
// version), each update re-signed in its own version, DNSSEC records not
// updatable, due RRSIGs renewed on the (fake) clock without a reload.
class SignedServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    signing::Policy p;
    p.nsec3 = true;
    p.validity = 1000;
    p.refresh = 400;
    const int64_t now = clock.unix_time();
    auto k = dnssec::generate_zone_key(origin(), p.algorithm, dnssec::kFlagsKsk, now - 10);
    cfg.signer = std::make_shared<const signing::ZoneSigner>(origin(), p, std::vector<dnssec::ZoneKey>{std::move(*k)});
  }
  void expect_verifies(int64_t now) {
    auto check = dnssec::verify_zone(served()->records(), origin(), now);
    EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  }
};

TEST_F(SignedServiceTest, SignedAtStartAndAfterEveryUpdate) {
  start(/*journal=*/true);
  EXPECT_TRUE(served()->is_signed());
  EXPECT_EQ(served()->serial(), 101u);  // the signing is a version of its own
  expect_verifies(clock.unix_time());
  Request rq;
  rq.key = &k1;
  rq.updates = {add("new.deep")};
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  expect_verifies(clock.unix_time());
  rq.updates = {rr("new.deep", "A", ANY, 0, "")};
  EXPECT_EQ(send(rq).rcode, rc::NOERROR);
  expect_verifies(clock.unix_time());
  auto before = served();
  rq.updates = {rr("@", "NSEC3PARAM", IN, 0, "1 0 0 -")};
  EXPECT_EQ(send(rq).rcode, rc::REFUSED);
  rq.updates = {rr("@", "DNSKEY", ANY, 0, "")};
  EXPECT_EQ(send(rq).rcode, rc::REFUSED);
  expect_unchanged(before);
}

// A signer whose OpenSSL fails whenever a pass looks at `fail.example.net.`
// (the only way signing fails, standing in for it on demand).
class FailingSigner : public signing::ZoneSigner {
 public:
  using ZoneSigner::ZoneSigner;
  Result<std::shared_ptr<zone::ZoneVersion>> sign(std::shared_ptr<zone::ZoneVersion> v, signing::Scope scope,
                                                  int64_t now, zone::ZoneDiff& diff) const override {
    for (const auto& n : scope.names)
      if (n == name("fail.example.net.")) return fail("injected signing failure");
    return ZoneSigner::sign(std::move(v), std::move(scope), now, diff);
  }
};

// Replies collected as CollectingSink does, but the first send blocks until
// released: the writer thread waits there, outside the zone's lock.
class HoldingSink : public CollectingSink {
 public:
  bool send(const net::Peer& to, std::span<const uint8_t> response) override {
    {
      std::unique_lock lk(mu_);
      if (!released_) {
        held_ = true;
        cv_.notify_all();
        cv_.wait(lk, [&] { return released_; });
      }
    }
    return CollectingSink::send(to, response);
  }
  bool wait_held() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(10), [&] { return held_; });
  }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false;
};

class SigningFailureTest : public SignedServiceTest {
 protected:
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 10000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return done();
  }
  void SetUp() override {
    SignedServiceTest::SetUp();
    const auto& s = *cfg.signer;
    cfg.signer = std::make_shared<const FailingSigner>(s.origin(), s.policy(),
                                                       std::vector<dnssec::ZoneKey>(s.keys().begin(), s.keys().end()));
  }
  static Request update(const char* owner) {
    Request rq;
    rq.from = "10.0.0.1";
    rq.updates = {add(owner)};
    rq.lease = dns::UpdateLease{60, std::nullopt};
    return rq;
  }
  // Nothing of the refused updates is served or leased; later ones work and
  // a restart replays the journal to the same zone.
  void expect_recovered(const std::string& state, uint32_t serial, size_t leases) {
    EXPECT_EQ(dump(*served()), state);
    EXPECT_EQ(service->current(origin()).get(), served().get());
    EXPECT_EQ(service->leases(origin()).size(), leases);
    expect_verifies(clock.unix_time());
    ASSERT_EQ(send(update("later")).rcode, rc::NOERROR);
    EXPECT_EQ(served()->serial(), serial + 1);
    EXPECT_EQ(service->leases(origin()).size(), leases + 1);
    expect_verifies(clock.unix_time());
    const std::string after = dump(*served());
    service.reset();
    start(true);
    EXPECT_EQ(dump(*served()), after);
  }
};

TEST_F(SigningFailureTest, FailureInPlaceDropsTheQueuedUpdatesItWasBuiltOn) {
  start(true);
  auto sink = std::make_shared<CollectingSink>();
  gate.armed = true;
  Request first = update("first");
  send_deferred(first, sink);
  ASSERT_TRUE(gate.wait_blocked());  // the writer publishes `first`, holding the zone
  // One batch behind it: `a` copies the head, `b` and `fail` change that
  // copy in place, and signing `fail` breaks it.
  std::vector<Request> batch = {update("a"), update("b"), update("fail")};
  for (auto& rq : batch) send_deferred(rq, sink);
  gate.release();
  auto replies = sink->wait(4);
  ASSERT_EQ(replies.size(), 4u);
  std::vector<uint8_t> none;
  EXPECT_EQ(parse_reply(replies[0].second, first, none).rcode, rc::NOERROR);
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_EQ(parse_reply(replies[1 + i].second, batch[i], none).rcode, rc::SERVFAIL) << i;
  EXPECT_EQ(service->stats().failed, 3u);
  for (const char* gone : {"a.example.net.", "b.example.net.", "fail.example.net."})
    EXPECT_EQ(served()->find(name(gone)), nullptr) << gone;
  EXPECT_EQ(served()->serial(), 102u);  // signed at start (101), then `first`
  expect_recovered(dump(*served()), 102, 1);
}

TEST_F(SigningFailureTest, FailureInPlaceKeepsTheCommitUnderWay) {
  start(true);
  auto sink = std::make_shared<HoldingSink>();
  Request first = update("first");
  send_deferred(first, sink);
  ASSERT_TRUE(sink->wait_held());  // the writer thread waits in its reply, outside the zone's lock
  // Another connection holds the journal's write lock: the next commit waits in it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/z.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Reply direct;
  std::thread committer([&] { direct = send(update("direct")); });  // no channel: commits itself
  // It staged under the zone's lock and holds it until its commit begins.
  ASSERT_TRUE(eventually([&] { return service->stats().received >= 2; }));
  std::vector<Request> batch = {update("a"), update("fail")};
  for (auto& rq : batch) send_deferred(rq, sink);
  sink->release();  // the writer takes both as one batch, on top of the commit under way
  const bool failed = eventually([&] { return service->stats().failed >= 1; });
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  committer.join();
  ASSERT_TRUE(failed);
  EXPECT_EQ(direct.rcode, rc::NOERROR);
  auto replies = sink->wait(3);
  ASSERT_EQ(replies.size(), 3u);
  std::vector<uint8_t> none;
  EXPECT_EQ(parse_reply(replies[0].second, first, none).rcode, rc::NOERROR);
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_EQ(parse_reply(replies[1 + i].second, batch[i], none).rcode, rc::SERVFAIL) << i;
  EXPECT_NE(served()->find(name("direct.example.net.")), nullptr);
  for (const char* gone : {"a.example.net.", "fail.example.net."})
    EXPECT_EQ(served()->find(name(gone)), nullptr) << gone;
  EXPECT_EQ(served()->serial(), 103u);
  expect_recovered(dump(*served()), 103, 2);
}

TEST_F(SignedServiceTest, DueSignaturesAreRenewedOnTheClock) {
  start();
  const uint32_t serial = served()->serial();
  EXPECT_EQ(service->refresh_signatures(clock.unix_time()), 0u);
  clock.advance_ms(700 * 1000);  // past the refresh point (1000 - 400), before expiry
  EXPECT_EQ(service->refresh_signatures(clock.unix_time()), 1u);
  EXPECT_EQ(served()->serial(), serial + 1);
  expect_verifies(clock.unix_time() + 500);  // the first signatures have expired by then
  EXPECT_EQ(service->refresh_signatures(clock.unix_time()), 0u);
}

}  // namespace
}  // namespace namae::update
