// TSIG against vectors produced by dnspython 2.3 (tests/system/test_query.py
// also checks the live exchange with dnspython and BIND). The vectors use a
// fixed signing time, so namae must produce byte-identical signed messages.
#include "dns/tsig.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::dns {
namespace {

constexpr uint64_t kTime = 1700000000;
// base64 of octets 1..32.
constexpr const char* kSecret = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
// "www.example. IN A", ID 0x1234, RD.
constexpr const char* kPlainQuery = "12340100000100000000000003777777076578616d706c650000010001";

struct Vector {
  TsigAlgorithm alg;
  const char* signed_hex;
};

// dnspython: make_query("www.example.", "A"); id = 0x1234;
// use_tsig(keyring, "testkey.", fudge=300, algorithm=...) at time 1700000000.
const Vector kVectors[] = {
    {TsigAlgorithm::hmac_md5,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "003a08686d61632d6d6435077369672d616c670372656703696e740000006553f100012c0010e1166c90e6b5e2cd"
     "640378618a70c4b8123400000000"},
    {TsigAlgorithm::hmac_sha1,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "002f09686d61632d736861310000006553f100012c00143d6bcf8af4eff65e07f59de4492ed4b8db6741df123400"
     "000000"},
    {TsigAlgorithm::hmac_sha224,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "00390b686d61632d7368613232340000006553f100012c001cd481b284400aafa81901064cd38b71a08214b7e8b9"
     "486ccd2106d924123400000000"},
    {TsigAlgorithm::hmac_sha256,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "003d0b686d61632d7368613235360000006553f100012c00208a24a14a502273997706dcbf44c51bc685f911f746"
     "c924fc24b60356fd18a0da123400000000"},
    {TsigAlgorithm::hmac_sha384,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "004d0b686d61632d7368613338340000006553f100012c0030c43fc5ffbba5c91c4d22d14be2da2702f8840fdb83"
     "21c7152ff32c0004ef2aa8ee59fab50965679858a027fde00a2115123400000000"},
    {TsigAlgorithm::hmac_sha512,
     "12340100000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
     "005d0b686d61632d7368613531320000006553f100012c00403f6b29c3ac432e82de4164b24ef3d93af1481caf63"
     "6cb1791e84fd85bc51757f2a8a46101ae4592571217e08cee501f9d53a3983d35aadef2027e3f1db4a5c15123400"
     "000000"},
};

// The sha256 query's MAC, and dnspython's make_response() to it with one A record.
constexpr const char* kRequestMac =
    "8a24a14a502273997706dcbf44c51bc685f911f746c924fc24b60356fd18a0da";
constexpr const char* kResponse =
    "12348100000100010000000103777777076578616d706c650000010001c00c000100010000012c0004c00002010774"
    "6573746b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c00209662a0a3247ad0"
    "272c8bfab2c46dfd15564312d77df52b8f306bcac252482eec123400000000";
// A NOTAUTH/BADTIME reply to the same query, time signed = the client's time,
// other data = server time 1700001000.
constexpr const char* kBadtime =
    "12348109000100000000000103777777076578616d706c65000001000107746573746b65790000fa00ff00000000"
    "00430b686d61632d7368613235360000006553f100012c0020df36698ab09e7dbf726294885b372bfffff2f27e34ba"
    "7fb57183bff136d0381812340012000600006553f4e8";

std::vector<uint8_t> hex(const char* h) { return hex_decode(h).value(); }

TsigKey make_key(TsigAlgorithm alg, const char* name = "testkey.") {
  TsigKey k;
  k.name = Name::from_text(name).value();
  k.algorithm = alg;
  k.secret = base64_decode(kSecret).value();
  return k;
}

// Strips the TSIG record (last in additional) as a signer would see the message.
std::vector<uint8_t> unsigned_part(const std::vector<uint8_t>& wire) {
  MessageView v;
  EXPECT_EQ(v.parse(wire), WireError::ok);
  std::vector<uint8_t> out(wire.begin(), wire.begin() + v.tsig_offset());
  put_u16(&out[10], static_cast<uint16_t>(get_u16(&out[10]) - 1));
  return out;
}

TsigVerification verify(const std::vector<uint8_t>& wire, const std::vector<TsigKey>& keys,
                        uint64_t now, size_t policy = 0) {
  MessageView v;
  EXPECT_EQ(v.parse(wire), WireError::ok);
  TsigVerifyParams p;
  p.now = now;
  p.min_mac_length = policy;
  return tsig_verify(v, keys, p);
}

// Rewrites the MAC of a signed message to its first `n` octets (or pads it).
std::vector<uint8_t> with_mac_size(const std::vector<uint8_t>& wire, size_t n) {
  MessageView v;
  EXPECT_EQ(v.parse(wire), WireError::ok);
  auto rec = tsig_record(v).value();
  std::vector<uint8_t> mac = rec.mac;
  mac.resize(n, 0xAA);
  std::vector<uint8_t> buf(unsigned_part(wire));
  buf.resize(1024);
  // Re-append by hand with the modified MAC (the signer never truncates).
  size_t len = v.tsig_offset();
  uint8_t* p = buf.data() + len;
  auto put = [&](std::span<const uint8_t> s) {
    std::copy(s.begin(), s.end(), p);
    p += s.size();
  };
  put(rec.key_name.wire());
  put_u16(p, rrtype::TSIG);
  put_u16(p + 2, rrclass::ANY);
  put_u32(p + 4, 0);
  put_u16(p + 8, static_cast<uint16_t>(rec.algorithm.wire_length() + 16 + n));
  p += 10;
  put(rec.algorithm.wire());
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(rec.time_signed >> (8 * (5 - i)));
  put_u16(p + 6, rec.fudge);
  put_u16(p + 8, static_cast<uint16_t>(n));
  p += 10;
  put(mac);
  put_u16(p, rec.original_id);
  put_u16(p + 2, 0);
  put_u16(p + 4, 0);
  p += 6;
  put_u16(&buf[10], static_cast<uint16_t>(get_u16(&buf[10]) + 1));
  buf.resize(static_cast<size_t>(p - buf.data()));
  return buf;
}

TEST(Tsig, AlgorithmNamesAndLengths) {
  EXPECT_EQ(tsig_algorithm_name(TsigAlgorithm::hmac_md5).to_text(), "hmac-md5.sig-alg.reg.int.");
  EXPECT_EQ(tsig_algorithm_name(TsigAlgorithm::hmac_sha256).to_text(), "hmac-sha256.");
  EXPECT_EQ(tsig_algorithm_from_text("HMAC-SHA512"), TsigAlgorithm::hmac_sha512);
  EXPECT_EQ(tsig_algorithm_from_text("hmac-md5.sig-alg.reg.int."), TsigAlgorithm::hmac_md5);
  EXPECT_EQ(tsig_algorithm_from_text("hmac-md5"), TsigAlgorithm::hmac_md5);
  EXPECT_FALSE(tsig_algorithm_from_text("gss-tsig"));
  EXPECT_EQ(tsig_algorithm_from_name(Name::from_text("HMAC-SHA1.").value()),
            TsigAlgorithm::hmac_sha1);
  EXPECT_EQ(tsig_digest_length(TsigAlgorithm::hmac_sha384), 48u);
  // RFC 8945 5.2.2.1: max(10, half the output).
  EXPECT_EQ(tsig_min_mac_length(TsigAlgorithm::hmac_md5), 10u);
  EXPECT_EQ(tsig_min_mac_length(TsigAlgorithm::hmac_sha1), 10u);
  EXPECT_EQ(tsig_min_mac_length(TsigAlgorithm::hmac_sha224), 14u);
  EXPECT_EQ(tsig_min_mac_length(TsigAlgorithm::hmac_sha256), 16u);
  EXPECT_EQ(tsig_min_mac_length(TsigAlgorithm::hmac_sha512), 32u);
}

TEST(Tsig, ParseKeySpec) {
  auto k = TsigKey::parse(std::string("testkey:") + kSecret);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->name.to_text(), "testkey.");
  EXPECT_EQ(k->algorithm, TsigAlgorithm::hmac_sha256);
  EXPECT_EQ(k->secret.size(), 32u);

  k = TsigKey::parse(std::string("hmac-sha1:Key.Example.:") + kSecret);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->algorithm, TsigAlgorithm::hmac_sha1);
  EXPECT_EQ(k->name, Name::from_text("key.example.").value());

  k = TsigKey::parse(std::string("hmac-md5.sig-alg.reg.int:k:") + kSecret);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->algorithm, TsigAlgorithm::hmac_md5);

  EXPECT_FALSE(TsigKey::parse("nocolon").ok());
  EXPECT_FALSE(TsigKey::parse("k:").ok());
  EXPECT_FALSE(TsigKey::parse(":AAAA").ok());
  EXPECT_FALSE(TsigKey::parse("k:not*base64").ok());
  EXPECT_FALSE(TsigKey::parse("hmac-sha999:k:AAAA").ok());
  EXPECT_FALSE(TsigKey::parse("hmac-sha1::AAAA").ok());
}

TEST(Tsig, SignMatchesDnspythonForEveryAlgorithm) {
  for (const auto& vec : kVectors) {
    SCOPED_TRACE(tsig_algorithm_text(vec.alg));
    std::vector<uint8_t> buf = hex(kPlainQuery);
    size_t len = buf.size();
    buf.resize(512);
    TsigSignParams p;
    p.time_signed = kTime;
    std::vector<uint8_t> mac;
    auto n = tsig_sign(buf, len, make_key(vec.alg), p, &mac);
    ASSERT_TRUE(n.ok()) << n.message();
    buf.resize(*n);
    EXPECT_EQ(hex_encode(buf), vec.signed_hex);
    EXPECT_EQ(mac.size(), tsig_digest_length(vec.alg));
  }
}

TEST(Tsig, VerifyDnspythonQueries) {
  for (const auto& vec : kVectors) {
    SCOPED_TRACE(tsig_algorithm_text(vec.alg));
    // Several keys on the server; the right one is chosen by name and algorithm.
    std::vector<TsigKey> keys = {make_key(TsigAlgorithm::hmac_sha256, "other."),
                                 make_key(vec.alg)};
    auto v = verify(hex(vec.signed_hex), keys, kTime);
    EXPECT_EQ(v.status, TsigStatus::ok);
    EXPECT_EQ(v.key, &keys[1]);
    ASSERT_TRUE(v.record);
    EXPECT_EQ(v.record->time_signed, kTime);
    EXPECT_EQ(v.record->fudge, 300);
    EXPECT_EQ(v.record->original_id, 0x1234);
    EXPECT_EQ(v.reply_rcode(), rcode::NOERROR);
  }
}

TEST(Tsig, VerifyFailures) {
  std::vector<uint8_t> wire = hex(kVectors[3].signed_hex);  // sha256
  std::vector<TsigKey> good = {make_key(TsigAlgorithm::hmac_sha256)};

  // Wrong secret: BADSIG, answered with NOTAUTH.
  std::vector<TsigKey> wrong = good;
  wrong[0].secret[0] ^= 1;
  auto v = verify(wire, wrong, kTime);
  EXPECT_EQ(v.status, TsigStatus::badsig);
  EXPECT_EQ(v.error_code(), rcode::BADSIG);
  EXPECT_EQ(v.reply_rcode(), rcode::NOTAUTH);

  // Unknown name, or known name with another algorithm: BADKEY.
  EXPECT_EQ(verify(wire, {make_key(TsigAlgorithm::hmac_sha256, "x.")}, kTime).status,
            TsigStatus::badkey);
  EXPECT_EQ(verify(wire, {make_key(TsigAlgorithm::hmac_sha1)}, kTime).status, TsigStatus::badkey);
  EXPECT_EQ(verify(wire, {}, kTime).status, TsigStatus::badkey);

  // Time: fudge 300 is inclusive on both sides.
  EXPECT_EQ(verify(wire, good, kTime + 300).status, TsigStatus::ok);
  EXPECT_EQ(verify(wire, good, kTime - 300).status, TsigStatus::ok);
  v = verify(wire, good, kTime + 301);
  EXPECT_EQ(v.status, TsigStatus::badtime);
  EXPECT_EQ(v.error_code(), rcode::BADTIME);
  EXPECT_EQ(verify(wire, good, kTime - 301).status, TsigStatus::badtime);

  // Any change to the signed octets breaks the MAC (here: the RD bit, the qname case).
  auto tampered = wire;
  tampered[2] ^= 0x01;
  EXPECT_EQ(verify(tampered, good, kTime).status, TsigStatus::badsig);
  tampered = wire;
  tampered[13] = 'W';
  EXPECT_EQ(verify(tampered, good, kTime).status, TsigStatus::badsig);
  // ...but a forwarder may rewrite the ID: the original ID is what was signed.
  auto new_id = wire;
  put_u16(&new_id[0], 0x9999);
  EXPECT_EQ(verify(new_id, good, kTime).status, TsigStatus::ok);
  // Unsigned message.
  EXPECT_EQ(verify(hex(kPlainQuery), good, kTime).status, TsigStatus::unsigned_message);
}

TEST(Tsig, TruncatedMacRules) {
  std::vector<uint8_t> wire = hex(kVectors[3].signed_hex);
  std::vector<TsigKey> keys = {make_key(TsigAlgorithm::hmac_sha256)};
  // 16 octets is the SHA-256 minimum: accepted, compared on the prefix.
  EXPECT_EQ(verify(with_mac_size(wire, 16), keys, kTime).status, TsigStatus::ok);
  EXPECT_EQ(verify(with_mac_size(wire, 31), keys, kTime).status, TsigStatus::ok);
  // Below the minimum, or longer than the hash: FORMERR.
  auto v = verify(with_mac_size(wire, 15), keys, kTime);
  EXPECT_EQ(v.status, TsigStatus::formerr);
  EXPECT_EQ(v.reply_rcode(), rcode::FORMERR);
  EXPECT_EQ(verify(with_mac_size(wire, 33), keys, kTime).status, TsigStatus::formerr);
  EXPECT_EQ(verify(with_mac_size(wire, 0), keys, kTime).status, TsigStatus::formerr);
  // Legal but below local policy: BADTRUNC; full length always passes policy.
  EXPECT_EQ(verify(with_mac_size(wire, 16), keys, kTime, 20).status, TsigStatus::badtrunc);
  EXPECT_EQ(verify(with_mac_size(wire, 20), keys, kTime, 20).status, TsigStatus::ok);
  EXPECT_EQ(verify(wire, keys, kTime, 64).status, TsigStatus::ok);
  // A wrong truncated MAC is still BADSIG.
  auto bad = with_mac_size(wire, 16);
  bad[bad.size() - 7] ^= 0xff;  // last MAC octet (before orig id, error, other len)
  EXPECT_EQ(verify(bad, keys, kTime).status, TsigStatus::badsig);
  // MD5 (16 octets): minimum 10.
  std::vector<uint8_t> md5 = hex(kVectors[0].signed_hex);
  std::vector<TsigKey> md5keys = {make_key(TsigAlgorithm::hmac_md5)};
  EXPECT_EQ(verify(with_mac_size(md5, 10), md5keys, kTime).status, TsigStatus::ok);
  EXPECT_EQ(verify(with_mac_size(md5, 9), md5keys, kTime).status, TsigStatus::formerr);
}

TEST(Tsig, ResponseVerifyAndSignMatchDnspython) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  std::vector<uint8_t> request_mac = hex(kRequestMac);
  std::vector<uint8_t> response = hex(kResponse);
  MessageView v;
  ASSERT_EQ(v.parse(response), WireError::ok);
  TsigVerifyParams p;
  p.now = kTime;
  p.prior_mac = &request_mac;
  EXPECT_EQ(tsig_verify_response(v, key, p).status, TsigStatus::ok);
  // Without the request MAC in the digest, it does not verify.
  p.prior_mac = nullptr;
  EXPECT_EQ(tsig_verify_response(v, key, p).status, TsigStatus::badsig);
  // Signed with another key name: the client reports BADKEY.
  p.prior_mac = &request_mac;
  EXPECT_EQ(tsig_verify_response(v, make_key(TsigAlgorithm::hmac_sha256, "other."), p).status,
            TsigStatus::badkey);

  // Server side: verify the request, then sign the reply; same octets as dnspython.
  std::vector<TsigKey> keys = {key};
  auto req = verify(hex(kVectors[3].signed_hex), keys, kTime);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req.record->mac, request_mac);
  std::vector<uint8_t> buf = unsigned_part(response);
  size_t len = buf.size();
  buf.resize(1024);
  auto n = tsig_sign_reply(buf, len, req, kTime);
  ASSERT_TRUE(n.ok()) << n.message();
  buf.resize(*n);
  EXPECT_EQ(hex_encode(buf), kResponse);
}

TEST(Tsig, BadtimeReply) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  std::vector<TsigKey> keys = {key};
  uint64_t server_now = kTime + 1000;
  auto req = verify(hex(kVectors[3].signed_hex), keys, server_now);
  ASSERT_EQ(req.status, TsigStatus::badtime);
  EXPECT_EQ(req.reply_rcode(), rcode::NOTAUTH);
  std::vector<uint8_t> buf = unsigned_part(hex(kBadtime));
  size_t len = buf.size();
  buf.resize(1024);
  auto n = tsig_sign_reply(buf, len, req, server_now);
  ASSERT_TRUE(n.ok()) << n.message();
  buf.resize(*n);
  EXPECT_EQ(hex_encode(buf), kBadtime);

  // The client sees a verified reply that carries BADTIME and the server's clock.
  std::vector<uint8_t> request_mac = hex(kRequestMac);
  MessageView v;
  ASSERT_EQ(v.parse(buf), WireError::ok);
  TsigVerifyParams p;
  p.now = kTime;
  p.prior_mac = &request_mac;
  auto r = tsig_verify_response(v, key, p);
  EXPECT_EQ(r.status, TsigStatus::peer_error);
  EXPECT_EQ(r.error_code(), rcode::BADTIME);
  EXPECT_EQ(r.record->other_time(), server_now);
}

TEST(Tsig, BadkeyAndBadsigRepliesAreUnsigned) {
  std::vector<uint8_t> wire = hex(kVectors[3].signed_hex);
  for (bool badkey : {true, false}) {
    std::vector<TsigKey> keys = {make_key(TsigAlgorithm::hmac_sha256, badkey ? "x." : "testkey.")};
    if (!badkey) keys[0].secret[5] ^= 0x40;
    auto req = verify(wire, keys, kTime);
    ASSERT_EQ(req.status, badkey ? TsigStatus::badkey : TsigStatus::badsig);
    // Reply: the query turned into a NOTAUTH response.
    std::vector<uint8_t> buf = unsigned_part(wire);
    buf[2] |= 0x80;
    buf[3] = (buf[3] & 0xf0) | rcode::NOTAUTH;
    size_t len = buf.size();
    buf.resize(512);
    auto n = tsig_sign_reply(buf, len, req, kTime + 5);
    ASSERT_TRUE(n.ok()) << n.message();
    buf.resize(*n);
    MessageView v;
    ASSERT_EQ(v.parse(buf), WireError::ok);
    auto rec = tsig_record(v);
    ASSERT_TRUE(rec);
    EXPECT_TRUE(rec->mac.empty());
    EXPECT_EQ(rec->error, badkey ? rcode::BADKEY : rcode::BADSIG);
    EXPECT_EQ(rec->key_name.to_text(), "testkey.");
    EXPECT_EQ(rec->algorithm.to_text(), "hmac-sha256.");
    // The client, holding the right key, reports the peer's error.
    std::vector<uint8_t> request_mac = hex(kRequestMac);
    TsigVerifyParams p;
    p.now = kTime;
    p.prior_mac = &request_mac;
    auto r = tsig_verify_response(v, make_key(TsigAlgorithm::hmac_sha256), p);
    EXPECT_EQ(r.status, TsigStatus::peer_error);
    EXPECT_EQ(r.error_code(), badkey ? rcode::BADKEY : rcode::BADSIG);
  }
}

TEST(Tsig, RoundTripAndContinuation) {
  // A signed request, a signed reply, and a second message of a stream
  // signed with timers only and chained to the previous MAC.
  TsigKey key = make_key(TsigAlgorithm::hmac_sha384, "Mixed.Case.Key.");
  std::vector<uint8_t> buf = hex(kPlainQuery);
  size_t len = buf.size();
  buf.resize(512);
  TsigSignParams sp;
  sp.time_signed = kTime;
  std::vector<uint8_t> mac1;
  auto n = tsig_sign(buf, len, key, sp, &mac1);
  ASSERT_TRUE(n.ok());
  buf.resize(*n);
  std::vector<TsigKey> keys = {make_key(TsigAlgorithm::hmac_sha384, "mixed.case.key.")};
  auto v1 = verify(buf, keys, kTime + 10);
  ASSERT_TRUE(v1.ok()) << tsig_status_text(v1.status);

  std::vector<uint8_t> second = hex(kPlainQuery);
  second[2] |= 0x80;
  len = second.size();
  second.resize(512);
  sp.prior_mac = &mac1;
  sp.timers_only = true;
  n = tsig_sign(second, len, key, sp);
  ASSERT_TRUE(n.ok());
  second.resize(*n);
  MessageView mv;
  ASSERT_EQ(mv.parse(second), WireError::ok);
  TsigVerifyParams vp;
  vp.now = kTime;
  vp.prior_mac = &mac1;
  vp.timers_only = true;
  EXPECT_EQ(tsig_verify_response(mv, key, vp).status, TsigStatus::ok);
  vp.timers_only = false;
  EXPECT_EQ(tsig_verify_response(mv, key, vp).status, TsigStatus::badsig);
}

TEST(Tsig, SignErrors) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  std::vector<uint8_t> buf = hex(kPlainQuery);
  TsigSignParams sp;
  // No room for the record.
  EXPECT_FALSE(tsig_sign(buf, buf.size(), key, sp).ok());
  // Shorter than a header.
  std::vector<uint8_t> tiny(64);
  EXPECT_FALSE(tsig_sign(tiny, 5, key, sp).ok());
}

TEST(Tsig, MalformedTsigRecords) {
  std::vector<uint8_t> wire = hex(kVectors[3].signed_hex);
  std::vector<TsigKey> keys = {make_key(TsigAlgorithm::hmac_sha256)};
  MessageView base;
  ASSERT_EQ(base.parse(wire), WireError::ok);
  size_t rr = base.tsig_offset();
  size_t fixed = rr + 9;  // after owner "testkey." (9 octets): type, class, ttl, rdlength
  // Class other than ANY, or a non-zero TTL: malformed.
  for (size_t off : {fixed + 2, fixed + 7}) {
    auto w = wire;
    w[off] ^= 0x01;
    MessageView v;
    if (v.parse(w) != WireError::ok) continue;  // the parser may already reject it
    TsigVerifyParams p;
    p.now = kTime;
    EXPECT_EQ(tsig_verify(v, keys, p).status, TsigStatus::formerr);
  }
  // Every truncation of the signed message is rejected cleanly.
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    std::vector<uint8_t> w(wire.begin(), wire.begin() + cut);
    MessageView v;
    if (v.parse(w) != WireError::ok) continue;
    TsigVerifyParams p;
    p.now = kTime;
    EXPECT_NE(tsig_verify(v, keys, p).status, TsigStatus::ok) << cut;
  }
}

// A three-message AXFR response signed by dnspython (Renderer.add_multi_tsig)
// at time 1700000000 to a query whose MAC is kAxfrRequestMac.
constexpr const char* kAxfrRequestMac =
    "cc6f47b0dc7560e944d5176d407e49c80a0d1ac97afff040288a0cdea1ec8bc0";
const char* const kAxfr[] = {
    "424284000001000100000001076578616d706c650000fc0001c00c000600010000012c0020026e73c00c04686f"
    "7374c00c000000010000000200000003000000040000000507746573746b65790000fa00ff00000000003d0b68"
    "6d61632d7368613235360000006553f100012c0020999cb6d9280d7648f398d2e31a12b506be4ed7688f47a4ba"
    "97e501fe45011672424200000000",
    "42428400000000010000000103777777076578616d706c6500000100010000012c0004c000020107746573746b"
    "65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c0020b40653af8c468e1ed0"
    "71ef609fe89391bd26849b98361dcb85e8899f9f6b8ec8424200000000",
    "424284000000000100000001076578616d706c6500000600010000012c0020026e73c00c04686f7374c00c0000"
    "00010000000200000003000000040000000507746573746b65790000fa00ff00000000003d0b686d61632d7368"
    "613235360000006553f100012c00204af0f16ed8b68f8a735f9fc737a0e6ee315908605fb7c3b5b22d3d72bde3"
    "c287424200000000",
};

TEST(TsigStream, VerifiesDnspythonStream) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  TsigStreamVerifier v(key, hex(kAxfrRequestMac));
  for (const char* m : kAxfr) {
    auto wire = hex(m);
    MessageView mv;
    ASSERT_EQ(mv.parse(wire), WireError::ok);
    EXPECT_EQ(v.next(mv, kTime), TsigStatus::ok);
  }
  EXPECT_TRUE(v.complete());

  // A change in the middle message fails it and everything after it.
  TsigStreamVerifier bad(key, hex(kAxfrRequestMac));
  for (int i = 0; i < 3; ++i) {
    auto wire = hex(kAxfr[i]);
    if (i == 1) wire[20] ^= 1;  // a letter of "www"
    MessageView mv;
    ASSERT_EQ(mv.parse(wire), WireError::ok);
    EXPECT_EQ(bad.next(mv, kTime), i == 0 ? TsigStatus::ok : TsigStatus::badsig) << i;
  }
  EXPECT_FALSE(bad.complete());
  // Out of order: the second message cannot be verified as the first.
  TsigStreamVerifier swapped(key, hex(kAxfrRequestMac));
  auto wire = hex(kAxfr[1]);
  MessageView mv;
  ASSERT_EQ(mv.parse(wire), WireError::ok);
  EXPECT_EQ(swapped.next(mv, kTime), TsigStatus::badsig);
}

TEST(TsigStream, SignerMatchesDnspython) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  TsigStreamSigner signer(key, hex(kAxfrRequestMac));
  for (const char* m : kAxfr) {
    std::vector<uint8_t> buf = unsigned_part(hex(m));
    size_t len = buf.size();
    buf.resize(1024);
    auto n = signer.sign(buf, len, kTime);
    ASSERT_TRUE(n.ok()) << n.message();
    buf.resize(*n);
    EXPECT_EQ(hex_encode(buf), m);
  }
}

TEST(TsigStream, UnsignedMessagesInBetween) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha512, "xfr.");
  std::vector<uint8_t> request_mac(64, 0x5a);
  TsigStreamSigner signer(key, request_mac);
  std::vector<std::vector<uint8_t>> stream;
  for (int i = 0; i < 5; ++i) {
    std::vector<uint8_t> buf = hex(kPlainQuery);
    buf[2] |= 0x80;
    buf[13] = static_cast<uint8_t>('a' + i);  // make every message different
    size_t len = buf.size();
    if (i == 1 || i == 2 || i == 3) {  // three unsigned in a row
      signer.skip(buf);
      stream.push_back(buf);
      continue;
    }
    buf.resize(1024);
    auto n = signer.sign(buf, len, kTime + i);
    ASSERT_TRUE(n.ok());
    buf.resize(*n);
    stream.push_back(buf);
  }
  TsigStreamVerifier v(key, request_mac);
  for (size_t i = 0; i < stream.size(); ++i) {
    MessageView mv;
    ASSERT_EQ(mv.parse(stream[i]), WireError::ok);
    EXPECT_EQ(v.next(mv, kTime), TsigStatus::ok) << i;
    EXPECT_EQ(v.complete(), i == 0 || i == 4) << i;
  }
  // Dropping an unsigned message breaks the next MAC.
  TsigStreamVerifier dropped(key, request_mac);
  for (size_t i : {0, 1, 3, 4}) {
    MessageView mv;
    ASSERT_EQ(mv.parse(stream[i]), WireError::ok);
    EXPECT_EQ(dropped.next(mv, kTime), i == 4 ? TsigStatus::badsig : TsigStatus::ok) << i;
  }
  // The first message must be signed.
  TsigStreamVerifier first_unsigned(key, request_mac);
  MessageView mv;
  ASSERT_EQ(mv.parse(stream[1]), WireError::ok);
  EXPECT_EQ(first_unsigned.next(mv, kTime), TsigStatus::unsigned_message);
  EXPECT_FALSE(first_unsigned.complete());
}

TEST(TsigStream, AtMost99UnsignedInARow) {
  TsigKey key = make_key(TsigAlgorithm::hmac_sha256);
  std::vector<uint8_t> request_mac(32, 1);
  TsigStreamSigner signer(key, request_mac);
  std::vector<uint8_t> first = hex(kPlainQuery);
  size_t len = first.size();
  first.resize(512);
  first.resize(*signer.sign(first, len, kTime));
  TsigStreamVerifier v(key, request_mac);
  MessageView mv;
  ASSERT_EQ(mv.parse(first), WireError::ok);
  ASSERT_EQ(v.next(mv, kTime), TsigStatus::ok);
  std::vector<uint8_t> plain = hex(kPlainQuery);
  ASSERT_EQ(mv.parse(plain), WireError::ok);
  for (int i = 0; i < TsigStreamVerifier::kMaxUnsigned; ++i)
    ASSERT_EQ(v.next(mv, kTime), TsigStatus::ok) << i;
  EXPECT_EQ(v.next(mv, kTime), TsigStatus::unsigned_message);
}

}  // namespace
}  // namespace namae::dns
