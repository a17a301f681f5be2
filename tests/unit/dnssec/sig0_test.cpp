// SIG(0) (RFC 2931): sign then verify round trips, and every way a signed
// message can fail: a changed octet, another key, the validity period, a
// SIG that is not the last record.
#include <gtest/gtest.h>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/sig0.h"
#include "test_util.h"

namespace namae::dnssec {
namespace {

using test::N;

constexpr uint16_t kHostKeyFlags = 0x0200;  // KEY "no confidentiality" bit, as dnssec-keygen -T KEY -n HOST

struct Key {
  PrivateKey priv;
  Bytes rdata;
};

Key make_key() {
  auto k = PrivateKey::generate(alg::ECDSAP256SHA256);
  EXPECT_TRUE(k.ok());
  Bytes rd = dnskey_rdata(kHostKeyFlags, alg::ECDSAP256SHA256, k->public_key());
  return {*k, rd};
}

// A small UPDATE with one added A record.
Bytes update_message() {
  Bytes buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = 0x1234;
  b.header().opcode = dns::opcode::UPDATE;
  EXPECT_TRUE(b.add_question(N("example."), dns::rrtype::SOA, dns::rrclass::IN));
  b.begin(dns::Section::authority);
  const uint8_t a[] = {192, 0, 2, 1};
  EXPECT_TRUE(b.add_record(N("host.example."), dns::rrtype::A, dns::rrclass::IN, 60, a));
  buf.resize(b.finish());
  return buf;
}

Result<void> verify(const Bytes& msg, const Bytes& key, std::optional<uint32_t> now) {
  dns::MessageView v;
  if (v.parse(msg) != dns::WireError::ok) return fail("does not parse");
  auto sig = find_sig0(v);
  if (!sig) return sig.error();
  if (!*sig) return fail("no SIG(0)");
  return verify_sig0(msg, **sig, key, now);
}

TEST(Sig0, SignThenVerify) {
  Key k = make_key();
  Bytes msg = update_message();
  ASSERT_TRUE(sign_sig0(msg, k.priv, k.rdata, N("host.example."), {1000, 2000}).ok());
  EXPECT_EQ(dns::get_u16(msg.data() + 10), 1);  // ARCOUNT counts the SIG
  EXPECT_TRUE(verify(msg, k.rdata, 1500).ok());
  EXPECT_TRUE(verify(msg, k.rdata, std::nullopt).ok());
}

TEST(Sig0, AnyChangedOctetFails) {
  Key k = make_key();
  Bytes msg = update_message();
  const size_t unsigned_len = msg.size();
  ASSERT_TRUE(sign_sig0(msg, k.priv, k.rdata, N("host.example."), {1000, 2000}).ok());
  for (size_t i : {size_t{0}, size_t{3}, unsigned_len - 1}) {
    Bytes bad = msg;
    bad[i] ^= 0x01;
    EXPECT_FALSE(verify(bad, k.rdata, 1500).ok()) << "octet " << i;
  }
  Bytes bad_sig = msg;
  bad_sig.back() ^= 0x80;
  EXPECT_FALSE(verify(bad_sig, k.rdata, 1500).ok());
}

TEST(Sig0, AnotherKeyFails) {
  Key k = make_key(), other = make_key();
  Bytes msg = update_message();
  ASSERT_TRUE(sign_sig0(msg, k.priv, k.rdata, N("host.example."), {1000, 2000}).ok());
  auto r = verify(msg, other.rdata, 1500);
  EXPECT_FALSE(r.ok());
}

TEST(Sig0, ValidityPeriodWithFudge) {
  Key k = make_key();
  Bytes msg = update_message();
  ASSERT_TRUE(sign_sig0(msg, k.priv, k.rdata, N("host.example."), {100000, 200000}).ok());
  EXPECT_TRUE(verify(msg, k.rdata, 100000 - kSig0Fudge).ok());
  EXPECT_TRUE(verify(msg, k.rdata, 200000 + kSig0Fudge).ok());
  auto early = verify(msg, k.rdata, 100000 - kSig0Fudge - 1);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.message().find("not yet valid"), std::string::npos);
  auto late = verify(msg, k.rdata, 200000 + kSig0Fudge + 1);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.message().find("expired"), std::string::npos);
}

TEST(Sig0, MustBeTheLastRecord) {
  Key k = make_key();
  Bytes msg = update_message();
  ASSERT_TRUE(sign_sig0(msg, k.priv, k.rdata, N("host.example."), {1000, 2000}).ok());
  // An OPT after the SIG: the SIG is no longer last.
  const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
  msg.insert(msg.end(), std::begin(opt), std::end(opt));
  msg[11] = 2;
  dns::MessageView v;
  ASSERT_EQ(v.parse(msg), dns::WireError::ok);
  EXPECT_FALSE(find_sig0(v).ok());
}

TEST(Sig0, UnsignedMessageHasNone) {
  Bytes msg = update_message();
  dns::MessageView v;
  ASSERT_EQ(v.parse(msg), dns::WireError::ok);
  auto sig = find_sig0(v);
  ASSERT_TRUE(sig.ok());
  EXPECT_FALSE(sig->has_value());
}

}  // namespace
}  // namespace namae::dnssec
