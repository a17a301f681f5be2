// TSIG on ordinary queries (RFC 8945 5.2, issue 4): a signed query is
// verified against AuthOptions::tsig_keys and answered with a reply signed
// with the request MAC; failures get NOTAUTH with the TSIG error (BADKEY and
// BADSIG unsigned, BADTIME signed with the server's time). Replies are checked
// with the client-side verifier, as dig and nsupdate would check them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth_test_util.h"
#include "dns/tsig.h"

namespace namae::auth::authtest {
namespace {

using namespace dns::rrtype;
using dns::TsigKey;
using dns::TsigStatus;

// base64 of 32 octets 0x00..0x1f and of 32 octets 0xff.
constexpr const char* kSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kOtherSecret = "//////////////////////////////////////////8=";

TsigKey key(const std::string& spec) {
  auto k = TsigKey::parse(spec);
  EXPECT_TRUE(k.ok()) << spec;
  return k.ok() ? *k : TsigKey{};
}

std::string zone_text() {
  std::string s = R"($TTL 3600
@    SOA ns1 hostmaster 1 7200 3600 1209600 300
@    NS  ns1
ns1  A   192.0.2.1
www  A   192.0.2.10
)";
  for (int i = 0; i < 40; ++i)
    s += "big TXT \"" + std::to_string(i) + std::string(30, 'x') + "\"\n";
  return s;
}

AuthOptions with_keys(std::vector<TsigKey> keys) {
  AuthOptions o;
  o.tsig_keys = std::move(keys);
  return o;
}

// A query signed with `k`; `mac` receives the request MAC.
std::vector<uint8_t> signed_query(const std::string& name, uint16_t type, const TsigKey& k,
                                  std::vector<uint8_t>& mac, QueryOpts o = {},
                                  int64_t time_offset = 0) {
  auto q = make_query(name, type, o);
  size_t len = q.size();
  q.resize(len + 512);
  dns::TsigSignParams p;
  p.time_signed = static_cast<uint64_t>(static_cast<int64_t>(dns::tsig_now()) + time_offset);
  auto r = dns::tsig_sign(q, len, k, p, &mac);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.message());
  q.resize(r.ok() ? *r : len);
  return q;
}

// Client-side verification of a reply, as dig -y does it.
dns::TsigVerification verify_reply(const Response& r, const TsigKey& k,
                                   const std::vector<uint8_t>& request_mac) {
  dns::MessageView v;
  EXPECT_EQ(v.parse(r.wire), dns::WireError::ok);
  dns::TsigVerifyParams p;
  p.now = dns::tsig_now();
  p.prior_mac = &request_mac;
  auto tv = dns::tsig_verify_response(v, k, p);
  // verify_response leaves a pointer to `k`; callers only look at status and record.
  return tv;
}

class TsigQueryTest : public ::testing::Test {
 protected:
  TsigKey k_ = key(std::string("hmac-sha256:tsig-key.example.:") + kSecret);
  Server s_{{make_zone("example.com", zone_text())},
            with_keys({key(std::string("hmac-sha1:other.:") + kOtherSecret), k_})};
};

TEST_F(TsigQueryTest, SignedQueryGetsSignedAnswer) {
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.com", A, k_, mac));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(r.h.aa);
  EXPECT_EQ(r.h.id, 0x1234);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0], "www.example.com. 3600 A 192.0.2.10");
  auto tv = verify_reply(r, k_, mac);
  EXPECT_EQ(tv.status, TsigStatus::ok) << dns::tsig_status_text(tv.status);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, 0);
  EXPECT_EQ(tv.record->original_id, 0x1234);
  // The MAC chains to the request: checked against another MAC it fails.
  std::vector<uint8_t> wrong(mac.size(), 0);
  EXPECT_EQ(verify_reply(r, k_, wrong).status, TsigStatus::badsig);
}

TEST_F(TsigQueryTest, SignedAnswerKeepsAuthorityAndEdns) {
  std::vector<uint8_t> mac;
  QueryOpts o;
  o.edns = true;
  auto r = s_.ask(signed_query("nx.example.com", A, k_, mac, o), true);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  EXPECT_TRUE(r.has_opt);
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);
  // The TSIG comes after the OPT (MessageView::parse insists on it being last).
  dns::MessageView v;
  ASSERT_EQ(v.parse(r.wire), dns::WireError::ok);
  EXPECT_TRUE(v.has_tsig());
}

TEST_F(TsigQueryTest, RefusedAndNotimpAreSignedToo) {
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.org", A, k_, mac));
  EXPECT_EQ(r.rcode, dns::rcode::REFUSED);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);

  QueryOpts o;
  o.opcode = 2;  // STATUS: no handler
  r = s_.ask(signed_query("example.com", SOA, k_, mac, o));
  EXPECT_EQ(r.rcode, dns::rcode::NOTIMP);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);
}

TEST_F(TsigQueryTest, UnknownKeyIsBadkeyUnsigned) {
  TsigKey stranger = key(std::string("hmac-sha256:stranger.:") + kSecret);
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.com", A, stranger, mac));
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_EQ(r.qname_raw.size(), 17u);  // the question is echoed
  auto tv = verify_reply(r, stranger, mac);
  EXPECT_EQ(tv.status, TsigStatus::peer_error);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADKEY);
  EXPECT_TRUE(tv.record->mac.empty());
  EXPECT_EQ(tv.record->key_name, N("stranger"));
}

TEST_F(TsigQueryTest, KnownNameWrongAlgorithmIsBadkey) {
  // The server knows "other." only as hmac-sha1.
  TsigKey wrong_alg = key(std::string("hmac-sha256:other.:") + kOtherSecret);
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.com", A, wrong_alg, mac));
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  auto tv = verify_reply(r, wrong_alg, mac);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADKEY);
}

TEST_F(TsigQueryTest, NoKeysConfiguredIsBadkey) {
  Server bare({make_zone("example.com", zone_text())});
  std::vector<uint8_t> mac;
  auto r = bare.ask(signed_query("www.example.com", A, k_, mac));
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  auto tv = verify_reply(r, k_, mac);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADKEY);
}

TEST_F(TsigQueryTest, WrongSecretIsBadsigUnsigned) {
  TsigKey forged = k_;
  forged.secret[0] ^= 1;
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.com", A, forged, mac));
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  EXPECT_TRUE(r.answer.empty());
  auto tv = verify_reply(r, k_, mac);
  EXPECT_EQ(tv.status, TsigStatus::peer_error);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADSIG);
  EXPECT_TRUE(tv.record->mac.empty());
}

TEST_F(TsigQueryTest, TamperedMessageIsBadsig) {
  std::vector<uint8_t> mac;
  auto q = signed_query("www.example.com", A, k_, mac);
  q[2] ^= 0x01;  // clear RD after signing: the MAC no longer matches
  auto r = s_.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  auto tv = verify_reply(r, k_, mac);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADSIG);
}

TEST_F(TsigQueryTest, StaleTimeIsBadtimeSignedWithServerTime) {
  std::vector<uint8_t> mac;
  auto q = signed_query("www.example.com", A, k_, mac, {}, -3600);
  dns::MessageView qv;
  ASSERT_EQ(qv.parse(q), dns::WireError::ok);
  uint64_t client_time = dns::tsig_record(qv)->time_signed;

  auto r = s_.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  EXPECT_TRUE(r.answer.empty());
  auto tv = verify_reply(r, k_, mac);
  // peer_error is reported only once the reply's MAC verified.
  EXPECT_EQ(tv.status, TsigStatus::peer_error);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADTIME);
  EXPECT_FALSE(tv.record->mac.empty());
  EXPECT_EQ(tv.record->time_signed, client_time);
  ASSERT_TRUE(tv.record->other_time());
  uint64_t now = dns::tsig_now();
  EXPECT_LE(*tv.record->other_time(), now);
  EXPECT_GE(*tv.record->other_time() + 5, now);
}

TEST_F(TsigQueryTest, FutureTimeIsBadtime) {
  std::vector<uint8_t> mac;
  auto r = s_.ask(signed_query("www.example.com", A, k_, mac, {}, 600));
  EXPECT_EQ(r.rcode, dns::rcode::NOTAUTH);
  auto tv = verify_reply(r, k_, mac);
  ASSERT_TRUE(tv.record);
  EXPECT_EQ(tv.record->error, dns::rcode::BADTIME);
}

TEST_F(TsigQueryTest, TruncatedAnswerStillSigned) {
  std::vector<uint8_t> mac;
  auto q = signed_query("big.example.com", TXT, k_, mac);  // no EDNS: 512 octets
  auto r = s_.ask(q);
  EXPECT_TRUE(r.h.tc);
  EXPECT_LE(r.wire.size(), 512u);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);

  // With EDNS the same limit applies to the advertised size.
  QueryOpts o;
  o.edns = true;
  o.udp_size = 700;
  r = s_.ask(signed_query("big.example.com", TXT, k_, mac, o));
  EXPECT_TRUE(r.h.tc);
  EXPECT_LE(r.wire.size(), 700u);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);

  // Over TCP the whole RRset fits, signed.
  r = s_.ask(signed_query("big.example.com", TXT, k_, mac), true);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.answer.size(), 40u);
  EXPECT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok);
}

TEST_F(TsigQueryTest, SignedAnswerNeverExceedsPayloadSize) {
  // Every advertised size around the answer's length: the TSIG's room is
  // taken from the answer, never added past the client's limit.
  for (uint16_t size = 512; size <= 1600; size += 7) {
    std::vector<uint8_t> mac;
    QueryOpts o;
    o.edns = true;
    o.udp_size = size;
    AuthOptions opts = with_keys({k_});
    opts.max_udp_payload = 4096;
    Server big({make_zone("example.com", zone_text())}, opts);
    auto r = big.ask(signed_query("big.example.com", TXT, k_, mac, o));
    ASSERT_LE(r.wire.size(), size) << size;
    ASSERT_EQ(verify_reply(r, k_, mac).status, TsigStatus::ok) << size;
    ASSERT_EQ(r.h.tc, r.answer.size() < 40) << size;
  }
}

TEST_F(TsigQueryTest, MalformedTsigRdataIsFormerrUnsigned) {
  std::vector<uint8_t> mac;
  auto q = signed_query("www.example.com", A, k_, mac);
  dns::MessageView qv;
  ASSERT_EQ(qv.parse(q), dns::WireError::ok);
  // Shrink the TSIG's rdata to its algorithm name plus a few octets.
  const auto& t = qv.tsig();
  size_t cut = t.rdata_offset + 5;  // inside the algorithm name
  std::vector<uint8_t> bad(q.begin(), q.begin() + static_cast<long>(cut));
  size_t rdlen = cut - t.rdata_offset;
  bad[t.rdata_offset - 2] = static_cast<uint8_t>(rdlen >> 8);
  bad[t.rdata_offset - 1] = static_cast<uint8_t>(rdlen);
  auto r = s_.ask(bad);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  dns::MessageView rv;
  ASSERT_EQ(rv.parse(r.wire), dns::WireError::ok);
  EXPECT_FALSE(rv.has_tsig());
}

TEST_F(TsigQueryTest, TsigNotLastIsFormerr) {
  std::vector<uint8_t> mac;
  auto q = signed_query("www.example.com", A, k_, mac);
  // Append an A record after the TSIG in additional.
  const uint8_t rr[] = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
  q.insert(q.end(), std::begin(rr), std::end(rr));
  q[11] = static_cast<uint8_t>(q[11] + 1);
  auto r = s_.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  EXPECT_TRUE(r.answer.empty());
}

TEST_F(TsigQueryTest, UnsignedQueryUnchanged) {
  auto r = s_.ask("www.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);
  dns::MessageView v;
  ASSERT_EQ(v.parse(r.wire), dns::WireError::ok);
  EXPECT_FALSE(v.has_tsig());
  EXPECT_EQ(r.answer.size(), 1u);
}

// A request routed to an opcode handler keeps its TSIG for that handler.
class RecordingHandler : public RequestHandler {
 public:
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer&,
                const zone::ZoneSet&) override {
    saw_tsig = query.has_tsig();
    dns::MessageBuilder b(response, response.size());
    b.header().id = query.header().id;
    b.header().qr = true;
    b.header().opcode = query.header().opcode;
    return b.finish();
  }
  bool saw_tsig = false;
};

TEST_F(TsigQueryTest, HandlerRequestsAreNotVerifiedHere) {
  RecordingHandler h;
  s_.engine().set_opcode_handler(dns::opcode::NOTIFY, &h);
  TsigKey stranger = key(std::string("hmac-sha256:stranger.:") + kSecret);
  std::vector<uint8_t> mac;
  QueryOpts o;
  o.opcode = dns::opcode::NOTIFY;
  auto r = s_.ask(signed_query("example.com", SOA, stranger, mac, o));
  EXPECT_TRUE(h.saw_tsig);
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);  // the handler's answer, not BADKEY
}

}  // namespace
}  // namespace namae::auth::authtest
