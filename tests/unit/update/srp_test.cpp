// SRP (RFC 9665): the shape of an SRP update (3.3.1), first come first
// served naming (3.3.3) against a zone version, and the update as applied
// (removal with a lease of 0, the KEY kept at each name), then the whole
// path through the engine.
#include <gtest/gtest.h>

#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "update/srp.h"
#include "update_test_util.h"

namespace namae::update {
namespace {

using test::ANY;
using test::IN;
using test::NONE;
using test::rr;
namespace rc = dns::rcode;
namespace rt = dns::rrtype;

dns::RdataBytes new_key(uint8_t alg = dnssec::alg::ECDSAP256SHA256) {
  auto k = dnssec::PrivateKey::generate(alg);
  EXPECT_TRUE(k.ok());
  return dnssec::dnskey_rdata(0x0200, alg, k->public_key());
}

dns::Record key_rr(const std::string& owner, const dns::RdataBytes& key) {
  dns::Record r = rr(owner, "A", IN, 120, "192.0.2.1");
  r.type = rt::KEY;
  r.rdata = key;
  return r;
}

// host.example.net with one address and one _ipp._tcp service.
UpdateMessage registration(const dns::RdataBytes& key, const std::string& host = "host",
                           const std::string& inst = "printer") {
  UpdateMessage m;
  m.zone = test::origin();
  const std::string svc = inst + "._ipp._tcp";
  m.updates = {
      rr("_ipp._tcp", "PTR", IN, 120, svc + ".example.net."),
      rr(svc, "ANY", ANY, 0),
      rr(svc, "SRV", IN, 120, "0 0 631 " + host + ".example.net."),
      rr(svc, "TXT", IN, 120, "rp=ipp"),
      rr(host, "ANY", ANY, 0),
      rr(host, "AAAA", IN, 120, "2001:db8::1"),
      key_rr(host, key),
  };
  return m;
}

uint16_t read(const UpdateMessage& m, SrpClaim* out = nullptr) {
  SrpClaim c;
  std::string why;
  uint16_t code = read_srp(m, c, &why);
  if (out) *out = c;
  return code;
}

TEST(SrpShape, ARegistrationIsRead) {
  auto key = new_key();
  SrpClaim c;
  ASSERT_EQ(read(registration(key), &c), rc::NOERROR);
  EXPECT_EQ(c.host, test::name("host.example.net"));
  EXPECT_EQ(c.key, key);
  ASSERT_EQ(c.instances.size(), 1u);
  EXPECT_EQ(c.instances[0], test::name("printer._ipp._tcp.example.net"));
  EXPECT_EQ(c.addresses, 1u);
  EXPECT_TRUE(c.covers(test::name("_ipp._tcp.example.net")));
  EXPECT_FALSE(c.covers(test::name("www.example.net")));
}

TEST(SrpShape, SubtypePtrAndServiceRemoval) {
  auto m = registration(new_key());
  m.updates.push_back(rr("_color._sub._ipp._tcp", "PTR", IN, 120, "printer._ipp._tcp.example.net."));
  m.updates.push_back(rr("_http._tcp", "PTR", NONE, 0, "old._http._tcp.example.net."));
  m.updates.push_back(rr("old._http._tcp", "ANY", ANY, 0));
  SrpClaim c;
  ASSERT_EQ(read(m, &c), rc::NOERROR);
  EXPECT_EQ(c.instances.size(), 2u);
}

TEST(SrpShape, BrokenShapesAreFormerr) {
  auto key = new_key();
  struct Case {
    const char* what;
    std::function<void(UpdateMessage&)> change;
  };
  const Case cases[] = {
      {"no KEY", [](UpdateMessage& m) { m.updates.pop_back(); }},
      {"RSA KEY", [](UpdateMessage& m) { m.updates.back().rdata = new_key(dnssec::alg::RSASHA256); }},
      {"two KEYs", [&](UpdateMessage& m) { m.updates.push_back(key_rr("host", new_key())); }},
      {"host not cleared", [](UpdateMessage& m) { m.updates.erase(m.updates.begin() + 4); }},
      {"instance not cleared", [](UpdateMessage& m) { m.updates.erase(m.updates.begin() + 1); }},
      {"SRV elsewhere", [](UpdateMessage& m) { m.updates[2] = rr("printer._ipp._tcp", "SRV", IN, 120, "0 0 631 other.example.net."); }},
      {"no TXT", [](UpdateMessage& m) { m.updates.erase(m.updates.begin() + 3); }},
      {"two hosts", [](UpdateMessage& m) { m.updates.push_back(rr("other", "A", IN, 120, "192.0.2.9")); }},
      {"other type", [](UpdateMessage& m) { m.updates.push_back(rr("host", "MX", IN, 120, "10 host.example.net.")); }},
      {"stray delete", [](UpdateMessage& m) { m.updates.push_back(rr("www", "ANY", ANY, 0)); }},
      {"RRset delete", [](UpdateMessage& m) { m.updates.push_back(rr("host", "A", ANY, 0)); }},
      {"PTR to another type", [](UpdateMessage& m) { m.updates[0] = rr("_http._tcp", "PTR", IN, 120, "printer._ipp._tcp.example.net."); }},
      {"prerequisite", [](UpdateMessage& m) { m.prerequisites.push_back(rr("host", "ANY", NONE, 0)); }},
      {"instance KEY differs", [&](UpdateMessage& m) { m.updates.push_back(key_rr("printer._ipp._tcp", new_key())); }},
  };
  for (const auto& c : cases) {
    auto m = registration(key);
    c.change(m);
    EXPECT_EQ(read(m), rc::FORMERR) << c.what;
  }
}

TEST(SrpShape, InstancesAreUnderAServiceType) {
  // The same registration with its instance under a name that is no
  // _service._tcp/_udp type (here the apex) is no SRP update.
  auto m = registration(new_key());
  m.updates[0] = rr("@", "PTR", IN, 120, "printer.example.net.");
  for (int i : {1, 2, 3}) m.updates[i].owner = test::name("printer.example.net");
  EXPECT_EQ(read(m), rc::FORMERR);
  m.updates[0] = rr("_ipp._udp", "PTR", IN, 120, "printer._ipp._udp.example.net.");
  for (int i : {1, 2, 3}) m.updates[i].owner = test::name("printer._ipp._udp.example.net");
  EXPECT_EQ(read(m), rc::NOERROR);
}

TEST(SrpOwner, FirstKeyOwnsTheNames) {
  auto first = new_key(), second = new_key();
  auto zone = test::load();
  SrpClaim c1, c2;
  ASSERT_EQ(read(registration(first), &c1), rc::NOERROR);
  ASSERT_EQ(read(registration(second), &c2), rc::NOERROR);
  EXPECT_EQ(check_srp_owner(*zone, c1), rc::NOERROR);  // free names

  // The first registration applied: its names now hold its KEY.
  auto m = registration(first);
  srp_apply_form(m, c1, false, true);
  Permission p;
  p.srp = std::make_shared<const SrpClaim>(c1);
  Evaluation ev = evaluate(*zone, m, p);
  ASSERT_EQ(ev.rcode, rc::NOERROR) << ev.reason;
  auto next = finish_update(*zone, ev.diff);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(check_srp_owner(**next, c1), rc::NOERROR);
  std::string why;
  EXPECT_EQ(check_srp_owner(**next, c2, &why), rc::YXDOMAIN);
  EXPECT_NE(why.find("host.example.net"), std::string::npos);

  // The second key on another host but the first one's instance name.
  SrpClaim c3;
  ASSERT_EQ(read(registration(second, "other", "printer"), &c3), rc::NOERROR);
  EXPECT_EQ(check_srp_owner(**next, c3, &why), rc::YXDOMAIN);
  EXPECT_NE(why.find("printer._ipp._tcp"), std::string::npos);
  // The engine refuses it whole.
  Permission p3;
  p3.srp = std::make_shared<const SrpClaim>(c3);
  EXPECT_EQ(evaluate(**next, registration(second, "other", "printer"), p3).rcode, rc::YXDOMAIN);
}

TEST(SrpOwner, ZoneFileNamesAreNotClaimable) {
  auto zone = test::load();
  SrpClaim c;
  ASSERT_EQ(read(registration(new_key(), "www"), &c), rc::NOERROR);
  EXPECT_EQ(check_srp_owner(*zone, c), rc::YXDOMAIN);
}

TEST(SrpOwner, TheClaimCannotTouchOtherNames) {
  auto key = new_key();
  SrpClaim c;
  ASSERT_EQ(read(registration(key), &c), rc::NOERROR);
  Permission p;
  p.srp = std::make_shared<const SrpClaim>(c);
  EXPECT_TRUE(p.allows(test::origin(), test::name("host.example.net"), rt::A));
  EXPECT_FALSE(p.allows(test::origin(), test::name("www.example.net"), rt::A));
}

TEST(SrpApply, KeyAtEveryNameAndRemoval) {
  auto key = new_key();
  SrpClaim c;
  ASSERT_EQ(read(registration(key), &c), rc::NOERROR);
  auto count = [](const UpdateMessage& m, uint16_t type, uint16_t cls) {
    return std::count_if(m.updates.begin(), m.updates.end(),
                         [&](const dns::Record& r) { return r.type == type && r.rclass == cls; });
  };
  auto m = registration(key);
  srp_apply_form(m, c, false, true);
  EXPECT_EQ(count(m, rt::KEY, IN), 2);  // host and instance

  auto gone = registration(key);
  srp_apply_form(gone, c, true, true);
  EXPECT_EQ(count(gone, rt::KEY, IN), 2);
  EXPECT_EQ(count(gone, rt::AAAA, IN) + count(gone, rt::SRV, IN) + count(gone, rt::TXT, IN), 0);
  EXPECT_EQ(count(gone, rt::PTR, NONE), 1);
  EXPECT_EQ(count(gone, rt::ANY, ANY), 2);

  auto all_gone = registration(key);
  srp_apply_form(all_gone, c, true, false);
  EXPECT_EQ(count(all_gone, rt::KEY, IN), 0);
}

}  // namespace
}  // namespace namae::update
