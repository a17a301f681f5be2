// nsupdate's command language as `namae update` reads it, and the UPDATE
// messages built from it (RFC 2136 2.4/2.5 wire encodings).
#include <gtest/gtest.h>

#include "cli/nsupdate_parser.h"
#include "cli/print.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::cli {
namespace {

using dns::rrclass::ANY;
using dns::rrclass::IN;
using dns::rrclass::NONE;

dns::Name N(const char* t) { return *dns::Name::from_text(t); }

UpdateAction apply_ok(UpdateSession& s, std::string_view line) {
  auto r = apply_update_line(s, line);
  EXPECT_TRUE(r.ok()) << line << ": " << (r.ok() ? "" : r.message());
  return r.ok() ? *r : UpdateAction::none;
}

std::string apply_err(UpdateSession& s, std::string_view line) {
  auto r = apply_update_line(s, line);
  EXPECT_FALSE(r.ok()) << line;
  return r.ok() ? "" : r.message();
}

struct Rec {
  dns::Name owner;
  uint16_t type, rclass;
  uint32_t ttl;
  dns::RdataBytes rdata;
};

std::vector<Rec> section(const dns::MessageView& m, dns::Section s) {
  std::vector<Rec> out;
  auto c = m.records(s);
  dns::RecordView rr;
  while (c.next(rr)) {
    Rec r{m.owner(rr), rr.type, rr.rclass, rr.ttl, {}};
    EXPECT_EQ(dns::rdata::decode(rr.type, m.data(), rr.rdata_offset, rr.rdlength, r.rdata),
              dns::WireError::ok);
    out.push_back(r);
  }
  return out;
}

TEST(UpdateParser, ActionsAndSettings) {
  UpdateSession s;
  EXPECT_EQ(apply_ok(s, ""), UpdateAction::send);
  EXPECT_EQ(apply_ok(s, "  \t\r\n"), UpdateAction::send);
  EXPECT_EQ(apply_ok(s, "; a comment"), UpdateAction::none);
  EXPECT_EQ(apply_ok(s, "send"), UpdateAction::send);
  EXPECT_EQ(apply_ok(s, "SEND"), UpdateAction::send);
  EXPECT_EQ(apply_ok(s, "show"), UpdateAction::show);
  EXPECT_EQ(apply_ok(s, "answer"), UpdateAction::answer);
  EXPECT_EQ(apply_ok(s, "quit"), UpdateAction::quit);
  EXPECT_EQ(apply_ok(s, "help"), UpdateAction::help);
  EXPECT_FALSE(s.debug);
  apply_ok(s, "debug");
  EXPECT_TRUE(s.debug);

  apply_ok(s, "server 127.0.0.1 5353");
  EXPECT_EQ(s.server, "127.0.0.1");
  EXPECT_EQ(s.effective_port(), 5353);
  apply_ok(s, "server ns1.example.");
  EXPECT_EQ(s.effective_port(), 53);  // the port does not stick to a new server
  s.port = 1053;                      // -p
  EXPECT_EQ(s.effective_port(), 1053);
  apply_ok(s, "local 127.0.0.2 4000");
  EXPECT_EQ(s.local_address, "127.0.0.2");
  EXPECT_EQ(s.local_port, 4000);
  apply_ok(s, "zone example.test");  // absolute without the dot, as nsupdate
  ASSERT_TRUE(s.zone);
  EXPECT_EQ(*s.zone, N("example.test."));
  apply_ok(s, "ttl 1h");
  EXPECT_EQ(s.default_ttl, std::optional<uint32_t>(3600));
  apply_ok(s, "ttl none");
  EXPECT_FALSE(s.default_ttl);
  apply_ok(s, "lease 600");
  EXPECT_EQ(s.lease, std::optional<uint32_t>(600));
  apply_ok(s, "lease none");
  EXPECT_FALSE(s.lease);
  apply_ok(s, "class CH");
  EXPECT_EQ(s.zone_class, dns::rrclass::CH);
  apply_ok(s, "key hmac-sha512:k1.example 3q2+7w==");
  ASSERT_TRUE(s.key);
  EXPECT_EQ(s.key->name, N("k1.example."));
  EXPECT_EQ(s.key->algorithm, dns::TsigAlgorithm::hmac_sha512);
  apply_ok(s, "key k2 3q2+7w==");
  EXPECT_EQ(s.key->algorithm, dns::TsigAlgorithm::hmac_sha256);  // default
}

TEST(UpdateParser, SettingErrors) {
  UpdateSession s;
  EXPECT_NE(apply_err(s, "server").find("usage: server"), std::string::npos);
  EXPECT_NE(apply_err(s, "server a b c").find("usage"), std::string::npos);
  EXPECT_NE(apply_err(s, "server 127.0.0.1 0").find("bad port"), std::string::npos);
  EXPECT_NE(apply_err(s, "server 127.0.0.1 65536").find("bad port"), std::string::npos);
  EXPECT_NE(apply_err(s, "zone a..b").find("bad name"), std::string::npos);
  EXPECT_NE(apply_err(s, "class ANY").find("bad class"), std::string::npos);
  EXPECT_NE(apply_err(s, "class NONE").find("bad class"), std::string::npos);
  EXPECT_NE(apply_err(s, "ttl forever").find("bad TTL"), std::string::npos);
  EXPECT_NE(apply_err(s, "ttl 4294967295").find("bad TTL"), std::string::npos);
  EXPECT_NE(apply_err(s, "lease soon").find("bad lease"), std::string::npos);
  EXPECT_NE(apply_err(s, "lease 60 600").find("KEY-LEASE"), std::string::npos);
  EXPECT_NE(apply_err(s, "key onlyname").find("usage"), std::string::npos);
  EXPECT_FALSE(apply_update_line(s, "key k !!notbase64!!").ok());
  EXPECT_FALSE(apply_update_line(s, "key hmac-foo:k ZGVhZA==").ok());
  EXPECT_NE(apply_err(s, "gsstsig").find("GSS-TSIG"), std::string::npos);
  EXPECT_NE(apply_err(s, "frobnicate").find("unknown command"), std::string::npos);
  EXPECT_NE(apply_err(s, "send now").find("usage"), std::string::npos);
  EXPECT_FALSE(apply_update_line(s, "add a 300 TXT \"unterminated").ok());
  EXPECT_FALSE(apply_update_line(s, "add a 300 TXT ( x").ok());
  // A failed line leaves the session as it was.
  EXPECT_TRUE(s.server.empty());
  EXPECT_FALSE(s.zone);
  EXPECT_FALSE(s.key);
  EXPECT_TRUE(s.empty());
}

TEST(UpdateParser, Prerequisites) {
  UpdateSession s;
  apply_ok(s, "prereq nxdomain a.example");
  apply_ok(s, "prereq yxdomain b.example.");
  apply_ok(s, "prereq nxrrset c.example A");
  apply_ok(s, "prereq yxrrset d.example IN MX");
  apply_ok(s, "prereq yxrrset e.example A 192.0.2.1");
  apply_ok(s, "prereq yxrrset f.example TXT \"two words\" more");
  ASSERT_EQ(s.prerequisites.size(), 6u);
  EXPECT_TRUE(s.updates.empty());
  const auto& p = s.prerequisites;
  EXPECT_EQ(p[0].op, UpdateOp::prereq_nxdomain);
  EXPECT_EQ(p[0].rr.rclass, NONE);
  EXPECT_EQ(p[0].rr.type, dns::rrtype::ANY);
  EXPECT_EQ(p[0].text, "nxdomain a.example.");
  EXPECT_EQ(p[1].op, UpdateOp::prereq_yxdomain);
  EXPECT_EQ(p[1].rr.rclass, ANY);
  EXPECT_EQ(p[1].rr.type, dns::rrtype::ANY);
  EXPECT_EQ(p[2].op, UpdateOp::prereq_nxrrset);
  EXPECT_EQ(p[2].rr.rclass, NONE);
  EXPECT_EQ(p[2].rr.type, dns::rrtype::A);
  EXPECT_EQ(p[2].text, "nxrrset c.example. A");
  EXPECT_EQ(p[3].op, UpdateOp::prereq_yxrrset);
  EXPECT_EQ(p[3].rr.rclass, ANY);
  EXPECT_EQ(p[3].rr.type, dns::rrtype::MX);
  EXPECT_TRUE(p[3].rr.rdata.empty());
  EXPECT_EQ(p[4].op, UpdateOp::prereq_yxrrset_value);
  EXPECT_EQ(p[4].rr.rclass, IN);
  EXPECT_EQ(p[4].rr.rdata, (dns::RdataBytes{192, 0, 2, 1}));
  EXPECT_EQ(p[4].text, "yxrrset e.example. A 192.0.2.1");
  EXPECT_EQ(p[5].text, "yxrrset f.example. TXT \"two words\" \"more\"");
  for (const auto& r : p) {
    EXPECT_EQ(r.rr.ttl, 0u);
    EXPECT_TRUE(is_prerequisite(r.op));
  }

  EXPECT_FALSE(apply_update_line(s, "prereq").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq maybe a.example").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq nxdomain").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq nxdomain a.example A").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq nxrrset a.example").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq nxrrset a.example A 192.0.2.1").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq yxrrset a.example ANY").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq yxrrset a.example CH A").ok());  // not the zone class
  EXPECT_FALSE(apply_update_line(s, "prereq yxrrset a.example A 192.0.2.300").ok());
  EXPECT_FALSE(apply_update_line(s, "prereq yxrrset a.example BOGUSTYPE").ok());
  EXPECT_EQ(s.prerequisites.size(), 6u);
}

TEST(UpdateParser, Updates) {
  UpdateSession s;
  apply_ok(s, "update add a.example 300 A 192.0.2.1");
  apply_ok(s, "add b.example 1h IN AAAA 2001:db8::1");
  apply_ok(s, "update delete c.example");
  apply_ok(s, "update delete c.example ANY");
  apply_ok(s, "del d.example A");
  apply_ok(s, "delete d.example 300 IN A");  // the TTL is ignored
  apply_ok(s, "update del e.example MX 10 mail.example");
  apply_ok(s, "add f.example 60 MX 10 mail");  // rdata names are absolute too
  ASSERT_EQ(s.updates.size(), 8u);
  const auto& u = s.updates;
  EXPECT_EQ(u[0].op, UpdateOp::add);
  EXPECT_EQ(u[0].rr.rclass, IN);
  EXPECT_EQ(u[0].rr.ttl, 300u);
  EXPECT_EQ(u[0].text, "add a.example. 300 IN A 192.0.2.1");
  EXPECT_EQ(u[1].rr.ttl, 3600u);
  EXPECT_EQ(u[1].rr.type, dns::rrtype::AAAA);
  EXPECT_EQ(u[2].op, UpdateOp::delete_name);
  EXPECT_EQ(u[2].rr.rclass, ANY);
  EXPECT_EQ(u[2].rr.type, dns::rrtype::ANY);
  EXPECT_EQ(u[3].op, UpdateOp::delete_name);
  EXPECT_EQ(u[4].op, UpdateOp::delete_rrset);
  EXPECT_EQ(u[4].rr.rclass, ANY);
  EXPECT_EQ(u[4].rr.type, dns::rrtype::A);
  EXPECT_EQ(u[5].op, UpdateOp::delete_rrset);
  EXPECT_EQ(u[5].rr.ttl, 0u);
  EXPECT_EQ(u[6].op, UpdateOp::delete_rr);
  EXPECT_EQ(u[6].rr.rclass, NONE);
  EXPECT_EQ(u[6].rr.ttl, 0u);
  EXPECT_EQ(u[6].text, "delete e.example. MX 10 mail.example.");
  EXPECT_EQ(u[7].text, "add f.example. 60 IN MX 10 mail.");
  for (const auto& r : u) EXPECT_FALSE(is_prerequisite(r.op));

  // TTL: required unless a default is set, and then optional.
  EXPECT_NE(apply_err(s, "add g.example A 192.0.2.1").find("TTL"), std::string::npos);
  apply_ok(s, "ttl 120");
  apply_ok(s, "add g.example A 192.0.2.1");
  EXPECT_EQ(s.updates.back().rr.ttl, 120u);
  apply_ok(s, "add g.example 30 A 192.0.2.2");
  EXPECT_EQ(s.updates.back().rr.ttl, 30u);

  EXPECT_FALSE(apply_update_line(s, "update").ok());
  EXPECT_FALSE(apply_update_line(s, "update replace a.example 300 A 192.0.2.1").ok());
  EXPECT_FALSE(apply_update_line(s, "add").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 A").ok());  // no data
  EXPECT_FALSE(apply_update_line(s, "add h.example 300").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 ANY 192.0.2.1").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 TSIG x").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 CH A 192.0.2.1").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 A not-an-address").ok());
  EXPECT_FALSE(apply_update_line(s, "add h.example 300 A 192.0.2.1 extra").ok());
  EXPECT_FALSE(apply_update_line(s, "delete").ok());
  EXPECT_FALSE(apply_update_line(s, "delete h.example ANY 192.0.2.1").ok());
  EXPECT_FALSE(apply_update_line(s, "delete h.example AXFR").ok());
  EXPECT_EQ(s.updates.size(), 10u);
  // The class cannot change under pending records.
  EXPECT_FALSE(apply_update_line(s, "class CH").ok());
  s.clear_records();
  EXPECT_TRUE(s.empty());
  apply_ok(s, "class CH");
  EXPECT_EQ(s.default_ttl, std::optional<uint32_t>(120));  // settings survive a send
}

TEST(UpdateParser, FirstName) {
  UpdateSession s;
  EXPECT_FALSE(s.first_name());
  apply_ok(s, "prereq yxdomain p.example");
  EXPECT_EQ(*s.first_name(), N("p.example."));
  apply_ok(s, "add u.example 1 A 192.0.2.1");
  EXPECT_EQ(*s.first_name(), N("u.example."));  // updates first, as nsupdate
}

TEST(UpdateParser, BuildMessage) {
  UpdateSession s;
  apply_ok(s, "prereq nxdomain new.example.test");
  apply_ok(s, "prereq yxrrset www.example.test A 192.0.2.1");
  apply_ok(s, "add new.example.test 300 A 192.0.2.9");
  apply_ok(s, "del old.example.test");
  dns::Name zone = N("example.test.");
  auto wire = build_update_message(s, &zone, 0x1234);
  ASSERT_TRUE(wire.ok()) << wire.message();
  dns::MessageView m;
  ASSERT_EQ(m.parse(*wire), dns::WireError::ok);
  EXPECT_EQ(m.header().id, 0x1234);
  EXPECT_EQ(m.header().opcode, dns::opcode::UPDATE);
  EXPECT_FALSE(m.header().qr);
  EXPECT_EQ(m.header().qdcount, 1);
  EXPECT_EQ(m.qname(), zone);
  EXPECT_EQ(m.qtype(), dns::rrtype::SOA);
  EXPECT_EQ(m.qclass(), IN);
  auto pre = section(m, dns::Section::answer);
  ASSERT_EQ(pre.size(), 2u);
  EXPECT_EQ(pre[0].owner, N("new.example.test."));
  EXPECT_EQ(pre[0].rclass, NONE);
  EXPECT_EQ(pre[0].type, dns::rrtype::ANY);
  EXPECT_TRUE(pre[0].rdata.empty());
  EXPECT_EQ(pre[1].rclass, IN);
  EXPECT_EQ(pre[1].rdata, (dns::RdataBytes{192, 0, 2, 1}));
  auto upd = section(m, dns::Section::authority);
  ASSERT_EQ(upd.size(), 2u);
  EXPECT_EQ(upd[0].ttl, 300u);
  EXPECT_EQ(upd[1].rclass, ANY);
  EXPECT_EQ(upd[1].type, dns::rrtype::ANY);
  EXPECT_EQ(upd[1].ttl, 0u);
  EXPECT_EQ(m.count(dns::Section::additional), 0);
  EXPECT_FALSE(m.edns().present);  // no OPT unless a lease is asked for

  // Without a zone (for `show` before discovery) the zone section is empty.
  auto nozone = build_update_message(s, nullptr, 0);
  ASSERT_TRUE(nozone.ok());
  dns::MessageView m2;
  ASSERT_EQ(m2.parse(*nozone), dns::WireError::ok);
  EXPECT_EQ(m2.header().qdcount, 0);
  EXPECT_EQ(m2.count(dns::Section::authority), 2);
}

TEST(UpdateParser, LeaseOption) {
  UpdateSession s;
  apply_ok(s, "lease 3600");
  apply_ok(s, "add host.example.test 60 AAAA 2001:db8::5");
  dns::Name zone = N("example.test.");
  auto wire = build_update_message(s, &zone, 7);
  ASSERT_TRUE(wire.ok());
  dns::MessageView m;
  ASSERT_EQ(m.parse(*wire), dns::WireError::ok);
  ASSERT_TRUE(m.edns().present);
  auto opt = m.edns().find(dns::edns_option::UPDATE_LEASE);
  ASSERT_TRUE(opt);
  auto lease = dns::parse_update_lease(opt->data);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->lease, 3600u);
  EXPECT_FALSE(lease->key_lease);
  EXPECT_EQ(opt->data.size(), 4u);  // RFC 9664: LEASE alone is 4 octets
}

TEST(UpdateParser, MessageTooLarge) {
  UpdateSession s;
  std::string big = "add t.example 1 TXT";
  for (int i = 0; i < 250; ++i) big += " \"" + std::string(250, 'x') + "\"";
  for (int i = 0; i < 2; ++i) apply_ok(s, big);
  dns::Name zone = N("example.");
  auto wire = build_update_message(s, &zone, 1);
  ASSERT_FALSE(wire.ok());
  EXPECT_NE(wire.message().find("too large"), std::string::npos);
}

TEST(UpdateParser, RcodeTexts) {
  UpdateSession s;
  apply_ok(s, "prereq yxrrset foo.example.test A");
  apply_ok(s, "prereq nxdomain bar.example.test");
  EXPECT_EQ(update_failure_text(s.prerequisites, dns::rcode::NXRRSET),
            "update failed: NXRRSET (prerequisite 'yxrrset foo.example.test. A' not satisfied)");
  EXPECT_EQ(update_failure_text(s.prerequisites, dns::rcode::YXDOMAIN),
            "update failed: YXDOMAIN (prerequisite 'nxdomain bar.example.test.' not satisfied)");
  // No yxdomain prerequisite to blame: the RFC meaning instead.
  EXPECT_EQ(update_failure_text(s.prerequisites, dns::rcode::NXDOMAIN),
            "update failed: NXDOMAIN (" + update_rcode_meaning(dns::rcode::NXDOMAIN) + ")");
  apply_ok(s, "prereq yxrrset baz.example.test AAAA ::1");
  auto c = failed_prerequisite_candidates(s.prerequisites, dns::rcode::NXRRSET);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(update_failure_text(s.prerequisites, dns::rcode::NXRRSET).find("one of these"),
            std::string::npos);
  EXPECT_TRUE(failed_prerequisite_candidates(s.prerequisites, dns::rcode::REFUSED).empty());
  for (uint16_t rc :
       {dns::rcode::FORMERR, dns::rcode::SERVFAIL, dns::rcode::NOTIMP, dns::rcode::REFUSED,
        dns::rcode::YXRRSET, dns::rcode::NOTAUTH, dns::rcode::NOTZONE}) {
    EXPECT_NE(update_rcode_meaning(rc), update_rcode_meaning(999)) << rc;
    EXPECT_EQ(update_failure_text({}, rc).rfind("update failed: " + dns::rcode_to_text(rc), 0), 0u);
  }
}

TEST(UpdateKeyFile, BindKeyClause) {
  auto k = parse_key_file(
      "# generated by tsig-keygen\n"
      "key \"ddns-key.example\" {\n"
      "\talgorithm hmac-sha384; // comment\n"
      "\tsecret \"3q2+7w==\"; /* another */\n"
      "};\n",
      "/etc/ddns.key");
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->name, N("ddns-key.example."));
  EXPECT_EQ(k->algorithm, dns::TsigAlgorithm::hmac_sha384);
  EXPECT_EQ(k->secret, (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));

  // Unquoted name, statements in either order; the first key wins.
  auto k2 = parse_key_file(
      "key k2 { secret \"ZGVhZA==\"; algorithm hmac-sha1; };\n"
      "key k3 { secret \"ZGVhZA==\"; };",
      "x");
  ASSERT_TRUE(k2.ok()) << k2.message();
  EXPECT_EQ(k2->name, N("k2."));
  EXPECT_EQ(k2->algorithm, dns::TsigAlgorithm::hmac_sha1);
  // BIND's default algorithm for a key clause without one is hmac-md5.
  auto k3 = parse_key_file("key k3 { secret \"ZGVhZA==\"; };", "x");
  ASSERT_TRUE(k3.ok());
  EXPECT_EQ(k3->algorithm, dns::TsigAlgorithm::hmac_md5);

  EXPECT_FALSE(parse_key_file("", "x").ok());
  EXPECT_FALSE(parse_key_file("key k { algorithm hmac-sha256; };", "x").ok());  // no secret
  EXPECT_FALSE(parse_key_file("key k { secret \"ZGVhZA==\";", "x").ok());       // no }
  EXPECT_FALSE(parse_key_file("key k { secret \"ZGVhZA==\" };", "x").ok());     // no ;
  EXPECT_FALSE(parse_key_file("key k { colour blue; };", "x").ok());
  EXPECT_FALSE(parse_key_file("key k { secret \"%%%\"; };", "x").ok());
  EXPECT_FALSE(parse_key_file("key k { algorithm hmac-sha999; secret \"ZGVhZA==\"; };", "x").ok());
  EXPECT_FALSE(parse_key_file("/* unterminated", "x").ok());
  EXPECT_FALSE(parse_key_file("key \"unterminated", "x").ok());
}

TEST(UpdateKeyFile, DnssecKeygenPrivate) {
  const char* priv =
      "Private-key-format: v1.3\n"
      "Algorithm: 163 (HMAC_SHA256)\n"
      "Key: 3q2+7w==\n"
      "Bits: AAA=\n";
  auto k = parse_key_file(priv, "/keys/Khost.example.+163+01234.private");
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->name, N("host.example."));
  EXPECT_EQ(k->algorithm, dns::TsigAlgorithm::hmac_sha256);
  EXPECT_EQ(k->secret.size(), 4u);
  EXPECT_FALSE(parse_key_file(priv, "/keys/private-key").ok());  // no name in the file name
  EXPECT_FALSE(parse_key_file("Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\nKey: AA==\n",
                              "Kx.+008+1.private")
                   .ok());
}

}  // namespace
}  // namespace namae::cli

namespace namae::cli {
namespace {
// `show` prints the message with print.h's dig layout; empty rdata of
// prerequisites and deletions is shown as nothing, as dig/nsupdate do.
TEST(UpdateParser, ShowLayout) {
  UpdateSession s;
  ASSERT_TRUE(apply_update_line(s, "prereq yxrrset www.example.test A").ok());
  ASSERT_TRUE(apply_update_line(s, "add new.example.test 300 A 192.0.2.9").ok());
  ASSERT_TRUE(apply_update_line(s, "del old.example.test").ok());
  dns::Name zone = *dns::Name::from_text("example.test.");
  auto wire = build_update_message(s, &zone, 0);
  ASSERT_TRUE(wire.ok());
  dns::MessageView m;
  ASSERT_EQ(m.parse(*wire), dns::WireError::ok);
  std::string text = format_dig(m, false, nullptr);
  EXPECT_NE(text.find("opcode: UPDATE"), std::string::npos) << text;
  EXPECT_NE(text.find("ZONE: 1, PREREQ: 1, UPDATE: 2, ADDITIONAL: 0"), std::string::npos);
  EXPECT_NE(text.find(";; PREREQUISITE SECTION:\nwww.example.test.\t0\tANY\tA\t\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("old.example.test.\t0\tANY\tANY\t\n"), std::string::npos) << text;
  EXPECT_NE(text.find("new.example.test.\t300\tIN\tA\t192.0.2.9\n"), std::string::npos);
  EXPECT_EQ(text.find("\\# 0"), std::string::npos);
}
}  // namespace
}  // namespace namae::cli
