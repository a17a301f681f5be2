// Rdata codecs. Expected presentation strings are what named-checkzone -D
// (BIND 9.18) prints for the same input; expected wire octets come from
// dnspython's to_wire() for the same records.
#include "dns/rdata.h"

#include <gtest/gtest.h>

#include <ctime>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "dns/text.h"

using namespace namae::dns;
namespace rd = namae::dns::rdata;

namespace {

// A tiny presentation-format tokenizer for tests: whitespace separates tokens,
// "..." makes one quoted token (a quote also ends a word, as in the zone-file
// lexer: `key="a b"` is `key=` and `a b`); escapes stay in the raw text.
struct Tokens {
  std::deque<std::string> storage;
  std::vector<TextToken> tokens;
};

Tokens tokenize(std::string_view s) {
  Tokens t;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    bool quoted = s[i] == '"';
    std::string cur;
    if (quoted) ++i;
    while (i < s.size()) {
      char c = s[i];
      if (c == '\\' && i + 1 < s.size()) {
        cur += c;
        cur += s[i + 1];
        i += 2;
        continue;
      }
      if (quoted ? c == '"' : (c == ' ' || c == '\t' || c == '"')) break;
      cur += c;
      ++i;
    }
    if (quoted) ++i;  // closing quote
    t.storage.push_back(cur);
    t.tokens.push_back(TextToken{t.storage.back(), quoted});
  }
  return t;
}

const Name& origin() {
  static Name o = Name::from_text("example.com.").value();
  return o;
}

namae::Result<RdataBytes> parse(uint16_t type, std::string_view text) {
  Tokens t = tokenize(text);
  return rd::from_text(type, t.tokens, origin());
}

std::string hex(const RdataBytes& b) { return hex_encode(b); }

RdataBytes unhex(std::string_view h) { return hex_decode(h).value(); }

// text -> wire -> text.
std::string round_trip(uint16_t type, std::string_view text) {
  auto r = parse(type, text);
  if (!r) return "ERROR: " + r.message();
  EXPECT_TRUE(rd::validate(type, *r).ok()) << text;
  return rd::to_text(type, *r);
}

}  // namespace

// --- presentation round trips, expected as BIND prints them -----------------

struct RoundTripCase {
  uint16_t type;
  const char* in;
  const char* out;
};

TEST(Rdata, RoundTripMatchesBind) {
  const RoundTripCase cases[] = {
      {rrtype::A, "192.0.2.1", "192.0.2.1"},
      {rrtype::AAAA, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {rrtype::AAAA, "::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {rrtype::NS, "ns1", "ns1.example.com."},
      {rrtype::CNAME, "@", "example.com."},
      {rrtype::PTR, "host.example.net.", "host.example.net."},
      {rrtype::SOA, "ns1 Hostmaster.Example.com. 2024010101 1h 15m 1w 1d",
       "ns1.example.com. Hostmaster.Example.com. 2024010101 3600 900 604800 86400"},
      {rrtype::MX, "10 Mail", "10 Mail.example.com."},
      {rrtype::TXT, R"("a b" c "q\"x\\y\007" "")", R"("a b" "c" "q\"x\\y\007" "")"},
      {rrtype::TXT, R"(caf\195\169 "tab\009")", R"("caf\195\169" "tab\009")"},
      {99 /*SPF*/, R"("v=spf1 -all")", R"("v=spf1 -all")"},
      {rrtype::HINFO, R"("PC" Linux)", R"("PC" "Linux")"},
      {rrtype::CAA, R"(0 issue "letsencrypt.org")", R"(0 issue "letsencrypt.org")"},
      {rrtype::CAA, R"(128 tbs "a;b")", R"(128 tbs "a;b")"},
      {rrtype::CAA, R"(0 iodef mailto:x@example.com)", R"(0 iodef "mailto:x@example.com")"},
      {rrtype::NAPTR, R"(100 10 "S" "SIP+D2U" "" _sip._udp.example.com.)",
       R"(100 10 "S" "SIP+D2U" "" _sip._udp.example.com.)"},
      {rrtype::NAPTR, R"(100 50 "a" "z3950+N2L+N2C" "!^.*$!\\1!" .)",
       R"(100 50 "a" "z3950+N2L+N2C" "!^.*$!\\1!" .)"},
      {rrtype::SRV, "10 20 5060 Sip.example.com.", "10 20 5060 Sip.example.com."},
      {rrtype::DNAME, "Target.Example.net.", "Target.Example.net."},
      {rrtype::DS, "12345 8 2 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237 c7f8ec8d",
       "12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"},
      {59 /*CDS*/, "0 0 0 00", "0 0 0 00"},
      {rrtype::SSHFP, "1 1 abcdef0123456789abcdef0123456789abcdef01",
       "1 1 ABCDEF0123456789ABCDEF0123456789ABCDEF01"},
      {52 /*TLSA*/, "3 1 1 0123456789abcdef", "3 1 1 0123456789ABCDEF"},
      {rrtype::DNSKEY,
       "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3 "
       "+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv",
       "257 3 8 "
       "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/"
       "4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv"},
      {rrtype::RRSIG, "A 8 3 3600 20240101000000 20231201000000 12345 Example.com. AwEAAaz/tAm8",
       "A 8 3 3600 20240101000000 20231201000000 12345 Example.com. AwEAAaz/tAm8"},
      {rrtype::RRSIG, "TYPE65534 13 2 3600 2145916800 946684800 1 . AAAA",
       "TYPE65534 13 2 3600 20380101000000 20000101000000 1 . AAAA"},
      {rrtype::NSEC, "Host.example.com. A NS SOA MX RRSIG NSEC DNSKEY TYPE65534",
       "Host.example.com. A NS SOA MX RRSIG NSEC DNSKEY TYPE65534"},
      {rrtype::NSEC, "host DNSKEY A a", "host.example.com. A DNSKEY"},
      {50 /*NSEC3*/, "1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
       "1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG"},
      {50 /*NSEC3*/, "1 1 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
       "1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"},
      {51 /*NSEC3PARAM*/, "1 0 10 -", "1 0 10 -"},
      {256 /*URI*/, R"(10 1 "ftp://ftp1.example.com/public")",
       R"(10 1 "ftp://ftp1.example.com/public")"},
      {62 /*CSYNC*/, "66 3 A NS AAAA", "66 3 A NS AAAA"},
      {49 /*DHCID*/, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
       "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="},
      {17 /*RP*/, "Mbox.example.com. txt", "Mbox.example.com. txt.example.com."},
      {18 /*AFSDB*/, "1 afs.example.com.", "1 afs.example.com."},
      {63 /*ZONEMD*/, "2024010101 1 1 AABBCCDDAABBCCDDAABBCCDD",
       "2024010101 1 1 AABBCCDDAABBCCDDAABBCCDD"},
      {rrtype::TSIG, "hmac-sha256. 1700000000 300 4 AAECAw== 4660 BADSIG 0",
       "hmac-sha256. 1700000000 300 4 AAECAw== 4660 BADSIG 0"},
      {rrtype::TSIG, "hmac-sha256. 281474976710655 300 0 4660 NOERROR 6 AAAAAAAA",
       "hmac-sha256. 281474976710655 300 0 4660 NOERROR 6 AAAAAAAA"},
      {rrtype::TSIG, "hmac-md5.sig-alg.reg.int. 1 2 0 3 18 0",
       "hmac-md5.sig-alg.reg.int. 1 2 0 3 BADTIME 0"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(round_trip(c.type, c.in), c.out) << type_to_text(c.type) << " " << c.in;
}

// --- exact wire octets (from dnspython) ---------------------------------------

TEST(Rdata, WireBytes) {
  struct Case {
    uint16_t type;
    const char* in;
    const char* wire;
  } cases[] = {
      {rrtype::A, "192.0.2.1", "c0000201"},
      {rrtype::MX, "10 Mail", "000a044d61696c076578616d706c6503636f6d00"},
      {rrtype::SOA, "ns1 Hostmaster.Example.com. 2024010101 1h 15m 1w 1d",
       "036e7331076578616d706c6503636f6d000a486f73746d6173746572074578616d706c6503636f6d0078a3f17"
       "500000e100000038400093a8000015180"},
      {rrtype::TXT, R"("a b" c "q\"x\\y\007" "")", "036120620163067122785c790700"},
      {rrtype::CAA, R"(0 issue "letsencrypt.org")", "000569737375656c657473656e63727970742e6f7267"},
      {rrtype::HINFO, R"("PC" Linux)", "025043054c696e7578"},
      {rrtype::NAPTR, R"(100 10 "S" "SIP+D2U" "" _sip._udp.example.com.)",
       "0064000a0153075349502b44325500045f736970045f756470076578616d706c6503636f6d00"},
      {rrtype::SRV, "10 20 5060 Sip.example.com.",
       "000a001413c403536970076578616d706c6503636f6d00"},
      {rrtype::DS, "12345 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
       "30390802e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d"},
      {rrtype::NSEC, "Host.example.com. A NS SOA MX RRSIG NSEC DNSKEY TYPE65534",
       "04486f7374076578616d706c6503636f6d00000762010000000380ff20000000000000000000000000000000"
       "0000000000000000000000000000000002"},
      {50, "1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
       "0100000a04aabbccdd14174eb2409fe28bcb4887a1836f957f0a8425e27b0006400000000002"},
      {rrtype::RRSIG, "A 8 3 3600 20240101000000 20231201000000 12345 Example.com. AwEAAaz/tAm8",
       "0001080300000e1065920080656922003039074578616d706c6503636f6d0003010001acffb409bc"},
      {rrtype::TSIG, "hmac-sha256. 1700000000 300 4 AAECAw== 4660 BADSIG 0",
       "0b686d61632d7368613235360000006553f100012c000400010203123400100000"},
      {256, R"(10 1 "ftp://ftp1.example.com/public")",
       "000a00016674703a2f2f667470312e6578616d706c652e636f6d2f7075626c6963"},
      {62, "66 3 A NS AAAA", "000000420003000460000008"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.type, c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.message();
    EXPECT_EQ(hex(*r), c.wire) << type_to_text(c.type) << " " << c.in;
    // And the other way: wire -> text -> wire gives the same octets.
    auto back = parse(c.type, rd::to_text(c.type, unhex(c.wire)));
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(hex(*back), c.wire);
  }
}

// --- every declared type: text -> wire -> text is stable ----------------------

TEST(Rdata, EveryDeclaredTypeRoundTrips) {
  // One sample per declared type, in the type's own syntax.
  std::map<std::string, std::string> samples = {
      {"A", "10.0.0.1"},
      {"NS", "a."},
      {"MD", "a."},
      {"MF", "a."},
      {"CNAME", "a."},
      {"SOA", "a. b. 1 2 3 4 5"},
      {"MB", "a."},
      {"MG", "a."},
      {"MR", "a."},
      {"PTR", "a."},
      {"HINFO", "\"x\" \"y\""},
      {"MINFO", "a. b."},
      {"MX", "0 ."},
      {"TXT", "\"\""},
      {"RP", "a. b."},
      {"AFSDB", "1 a."},
      {"RT", "1 a."},
      {"SIG", "NS 5 2 0 20000101000000 19991201000000 9 a. AQID"},
      {"KEY", "256 3 5 AQID"},
      {"PX", "1 a. b."},
      {"AAAA", "::"},
      {"SRV", "0 0 0 ."},
      {"NAPTR", "0 0 \"\" \"\" \"\" ."},
      {"KX", "1 a."},
      {"DNAME", "a."},
      {"DS", "1 2 3 00"},
      {"SSHFP", "4 2 FF"},
      {"RRSIG", "NS 5 2 0 20000101000000 19991201000000 9 a. AQID"},
      {"NSEC", "a. NS"},
      {"DNSKEY", "256 3 5 AQID"},
      {"DHCID", "AQID"},
      {"NSEC3", "1 0 0 - 00"},
      {"NSEC3PARAM", "1 0 0 AB"},
      {"TLSA", "0 0 1 AB"},
      {"SMIMEA", "0 0 1 AB"},
      {"CDS", "1 2 3 00"},
      {"CDNSKEY", "256 3 5 AQID"},
      {"OPENPGPKEY", "AQID"},
      {"CSYNC", "1 0"},
      {"ZONEMD", "1 1 1 AB"},
      {"SPF", "\"x\""},
      {"TSIG", "k. 1 2 0 3 NOERROR 0"},
      {"URI", "1 2 \"x\""},
      {"CAA", "0 issue \"\""},
      {"WKS", "10.0.0.1 6 25 80"},
      {"X25", "\"1234\""},
      {"ISDN", "\"1\" \"2\""},
      {"NSAP", "0x4700"},
      {"NSAP-PTR", "a."},
      {"GPOS", "\"1\" \"2\" \"3\""},
      {"LOC", "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"},
      {"NXT", "a. A NS"},
      {"EID", "AB"},
      {"NIMLOC", "AB"},
      {"ATMA", "+123"},
      {"CERT", "PGP 0 RSASHA256 AQID"},
      {"A6", "64 ::1:2:3:4 a."},
      {"SINK", "1 0 0 AQID"},
      {"APL", "1:192.168.32.0/21 !2:2001:db8::/32"},
      {"IPSECKEY", "10 1 2 192.0.2.38 AQID"},
      {"HIP", "2 AB AQID a."},
      {"NINFO", "\"x\""},
      {"RKEY", "0 3 5 AQID"},
      {"TALINK", "a. b."},
      {"SVCB", "1 a. mandatory=alpn alpn=\"h2,h3\" port=53 ipv4hint=192.0.2.1 ech=AQID ipv6hint=::1 key9=\"x\""},
      {"HTTPS", "0 a."},
      {"DSYNC", "CDS NOTIFY 53 a."},
      {"HHIT", "AQID"},
      {"BRID", "AQID"},
      {"NID", "10 14:4fff:ff20:ee64"},
      {"L32", "10 10.1.2.0"},
      {"L64", "10 2001:db8:1140:1000"},
      {"LP", "10 a."},
      {"EUI48", "00-00-5e-00-53-2a"},
      {"EUI64", "00-00-5e-ef-10-00-00-2a"},
      {"TKEY", "a. 20000101000000 20000102000000 3 NOERROR 3 AQID 0"},
      {"AVC", "\"x\""},
      {"DOA", "0 1 2 \"\" -"},
      {"AMTRELAY", "128 1 3 a."},
      {"RESINFO", "\"qnamemin\""},
      {"WALLET", "\"BTC\" \"x\""},
      {"TA", "1 2 3 00"},
      {"DLV", "1 2 3 00"},
  };
  for (const auto& info : rd::all_types()) {
    ASSERT_EQ(info.fields.size(), info.field_names.size());
    EXPECT_EQ(type_to_text(info.type), info.mnemonic);
    EXPECT_EQ(rd::find(info.type), &info);
    if (info.type == rrtype::OPT) continue;  // generic only
    auto it = samples.find(std::string(info.mnemonic));
    ASSERT_NE(it, samples.end()) << "no sample for " << info.mnemonic;
    EXPECT_EQ(round_trip(info.type, it->second), it->second) << info.mnemonic;
  }
}

// --- RFC 3597 generic form ----------------------------------------------------

TEST(Rdata, GenericUnknownType) {
  auto r = parse(65534, "\\# 3 abcdef");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(hex(*r), "abcdef");
  EXPECT_EQ(rd::to_text(65534, *r), "\\# 3 ABCDEF");
  EXPECT_EQ(rd::to_text(65534, RdataBytes{}), "\\# 0");
  EXPECT_TRUE(parse(65534, "\\# 0").ok());
  EXPECT_EQ(parse(65534, "\\# 0")->size(), 0u);
  EXPECT_EQ(hex(*parse(65534, "\\# 4 ab cd ef 01")), "abcdef01");
  EXPECT_FALSE(parse(65534, "\\# 4 abcdef").ok());  // length mismatch
  EXPECT_FALSE(parse(65534, "\\# 2 abcdef").ok());
  EXPECT_FALSE(parse(65534, "\\# x abcdef").ok());
  EXPECT_FALSE(parse(65534, "\\# 1 a").ok());  // odd hex
  EXPECT_FALSE(parse(65534, "\\#").ok());
  EXPECT_FALSE(parse(65534, "abcdef").ok());  // unknown type needs \#
  EXPECT_EQ(rd::to_generic_text(unhex("00ff")), "\\# 2 00FF");
}

TEST(Rdata, GenericFormForKnownTypes) {
  auto a = parse(rrtype::A, "\\# 4 01020304");
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(rd::to_text(rrtype::A, *a), "1.2.3.4");
  EXPECT_FALSE(parse(rrtype::A, "\\# 3 010203").ok());  // validated against the A layout
  auto mx = parse(rrtype::MX, "\\# 7 000a026d7800 00");
  ASSERT_FALSE(mx.ok());  // trailing octet
  mx = parse(rrtype::MX, "\\# 6 000a026d7800");
  ASSERT_TRUE(mx.ok()) << mx.message();
  EXPECT_EQ(rd::to_text(rrtype::MX, *mx), "10 mx.");
  // A quoted "\#" is just text, not the generic marker.
  Tokens t;
  t.storage = {"\\#", "3", "abcdef"};
  t.tokens = {{t.storage[0], true}, {t.storage[1], false}, {t.storage[2], false}};
  EXPECT_FALSE(rd::from_text(65534, t.tokens, origin()).ok());
  // OPT has no syntax of its own.
  EXPECT_EQ(rd::to_text(rrtype::OPT, unhex("000a0002abcd")), "\\# 6 000A0002ABCD");
  EXPECT_TRUE(parse(rrtype::OPT, "\\# 0").ok());
  EXPECT_FALSE(parse(rrtype::OPT, "000a").ok());
}

TEST(Rdata, MalformedRdataPrintsGeneric) {
  EXPECT_EQ(rd::to_text(rrtype::A, unhex("010203")), "\\# 3 010203");
  EXPECT_EQ(rd::to_text(rrtype::MX, unhex("000a03")), "\\# 3 000A03");
  EXPECT_EQ(rd::to_text(rrtype::TXT, RdataBytes{}), "\\# 0");
  EXPECT_EQ(rd::to_text(rrtype::TXT, unhex("0561")), "\\# 2 0561");
  // Compression pointer inside stored (uncompressed) rdata.
  EXPECT_EQ(rd::to_text(rrtype::NS, unhex("c00c")), "\\# 2 C00C");
  // Empty digest cannot be written in DS syntax.
  EXPECT_EQ(rd::to_text(rrtype::DS, unhex("30390802")), "\\# 4 30390802");
  // NSEC bitmap: window out of order, zero length, trailing zero octet.
  EXPECT_EQ(rd::to_text(rrtype::NSEC, unhex("00"
                                            "010140"
                                            "000140")),
            "\\# 7 00010140000140");
  EXPECT_FALSE(rd::validate(rrtype::NSEC, unhex("00"
                                                "0000"))
                   .ok());
  EXPECT_FALSE(rd::validate(rrtype::NSEC, unhex("00"
                                                "000240"
                                                "00"))
                   .ok());
  EXPECT_FALSE(rd::validate(rrtype::NSEC, unhex("00"
                                                "002140"))
                   .ok());  // 33 > 32 octets
  EXPECT_TRUE(rd::validate(rrtype::NSEC, unhex("00"
                                               "000140"))
                  .ok());
  // CAA tag must be alphanumeric and non-empty.
  EXPECT_FALSE(rd::validate(rrtype::CAA, unhex("0000")).ok());
  EXPECT_FALSE(rd::validate(rrtype::CAA, unhex("00022d61")).ok());
  // NSEC3 next hashed owner must be at least one octet.
  EXPECT_FALSE(rd::validate(50, unhex("01000000"
                                      "00"
                                      "00"))
                   .ok());
}

// --- from_text errors name the field -----------------------------------------

TEST(Rdata, FromTextErrors) {
  auto err = [](uint16_t type, std::string_view text) {
    auto r = parse(type, text);
    return r.ok() ? std::string("OK") : r.message();
  };
  EXPECT_EQ(err(rrtype::MX, "70000 mx"), "MX preference: '70000' is out of range");
  EXPECT_EQ(err(rrtype::MX, "ten mx"), "MX preference: 'ten' is not a number");
  EXPECT_EQ(err(rrtype::MX, "-1 mx"), "MX preference: '-1' is not a number");
  EXPECT_EQ(err(rrtype::MX, "10"), "MX exchange: missing");
  EXPECT_EQ(err(rrtype::MX, "10 a b"), "MX: unexpected extra text 'b'");
  EXPECT_NE(err(rrtype::SOA, "a b 1 2 3 4 1x").find("SOA minimum: "), std::string::npos);
  EXPECT_NE(err(rrtype::SOA, "a b 4294967296 2 3 4 5").find("SOA serial: "), std::string::npos);
  EXPECT_EQ(err(rrtype::SOA, "a b 4294967295 2 3 4 5"), "OK");
  EXPECT_EQ(err(rrtype::A, "1.2.3"), "A address: '1.2.3' is not an IPv4 address");
  EXPECT_EQ(err(rrtype::A, "1.2.3.256"), "A address: '1.2.3.256' is not an IPv4 address");
  EXPECT_EQ(err(rrtype::A, "1.2.3.4.5"), "A address: '1.2.3.4.5' is not an IPv4 address");
  EXPECT_EQ(err(rrtype::A, "1.2.3.4 5"), "A: unexpected extra text '5'");
  EXPECT_EQ(err(rrtype::A, "0x1.2.3.4"), "A address: '0x1.2.3.4' is not an IPv4 address");
  EXPECT_NE(err(rrtype::AAAA, "1.2.3.4"), "OK");
  EXPECT_NE(err(rrtype::AAAA, "2001:db8::1::2"), "OK");
  EXPECT_NE(err(rrtype::AAAA, "2001:db8::g"), "OK");
  std::string s255(255, 'x'), s256(256, 'x');
  EXPECT_EQ(err(rrtype::TXT, s255), "OK");
  EXPECT_EQ(err(rrtype::TXT, s256), "TXT text: character-string longer than 255 octets");
  EXPECT_EQ(err(rrtype::TXT, "\"\\256\""), "TXT text: \\DDD escape above 255 in '\\256'");
  EXPECT_EQ(err(rrtype::TXT, ""), "TXT text: missing");
  EXPECT_EQ(err(rrtype::HINFO, "\"x\""), "HINFO os: missing");
  EXPECT_NE(err(rrtype::CAA, "256 issue x").find("CAA flags"), std::string::npos);
  EXPECT_EQ(err(rrtype::CAA, "0 is-sue x"), "CAA tag: 'is-sue' is not an alphanumeric tag");
  EXPECT_NE(err(rrtype::DS, "1 2 3 0g").find("DS digest: "), std::string::npos);
  EXPECT_EQ(err(rrtype::DS, "1 2 3"), "DS digest: missing");
  EXPECT_NE(err(rrtype::DNSKEY, "256 3 8 AwE").find("DNSKEY public key"), std::string::npos);
  EXPECT_NE(err(rrtype::RRSIG, "A 8 3 3600 20240230000000 20231201000000 1 a. AA==")
                .find("RRSIG expiration: '20240230000000' is not a valid time"),
            std::string::npos);
  EXPECT_NE(err(rrtype::RRSIG, "A 8 3 3600 20241301000000 20231201000000 1 a. AA==")
                .find("RRSIG expiration"),
            std::string::npos);
  EXPECT_NE(err(rrtype::RRSIG, "A 8 3 3600 2024010100000 20231201000000 1 a. AA==")
                .find("RRSIG expiration"),
            std::string::npos);
  EXPECT_NE(err(rrtype::RRSIG, "A 8 3 1h 20240101000000 20231201000000 1 a. AA==")
                .find("RRSIG original TTL: '1h' is not a number"),
            std::string::npos);
  EXPECT_NE(err(rrtype::RRSIG, "BOGUS 8 3 3600 1 2 1 a. AA==").find("RRSIG type covered"),
            std::string::npos);
  EXPECT_EQ(err(rrtype::NSEC, "a. A FOO"), "NSEC types: unknown type 'FOO'");
  EXPECT_NE(err(50, "1 0 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW").find("NSEC3 next hashed owner"),
            std::string::npos);
  EXPECT_NE(err(rrtype::SRV, "1 2 3 a..b.").find("SRV target: "), std::string::npos);
  EXPECT_NE(err(rrtype::TSIG, "k. 1 2 4 AAECAwQ= 3 NOERROR 0").find("TSIG MAC: length 4"),
            std::string::npos);
  EXPECT_NE(err(rrtype::TSIG, "k. 281474976710656 2 0 3 NOERROR 0").find("TSIG time signed"),
            std::string::npos);
  EXPECT_EQ(err(rrtype::TSIG, "k. 1 2 0 3 NOSUCH 0"), "TSIG error: unknown error 'NOSUCH'");
  // Rdata longer than 65535 octets.
  std::string big;
  for (int i = 0; i < 260; ++i) big += "\"" + s255 + "\" ";
  EXPECT_EQ(err(rrtype::TXT, big), "rdata longer than 65535 octets");
}

TEST(Rdata, UnquotedAndQuotedStrings) {
  EXPECT_EQ(hex(*parse(rrtype::TXT, "a\\ b")), "03612062");
  EXPECT_EQ(hex(*parse(rrtype::TXT, "\"a b\"")), "03612062");
  EXPECT_EQ(hex(*parse(rrtype::TXT, "\\\"")), "0122");
  EXPECT_EQ(hex(*parse(rrtype::CAA, "0 issue ca.example")),
            hex(*parse(rrtype::CAA, "0 issue \"ca.example\"")));
  EXPECT_EQ(hex(*parse(rrtype::NAPTR, "1 2 S SIP+D2U \"\" .")),
            hex(*parse(rrtype::NAPTR, "1 2 \"S\" \"SIP+D2U\" \"\" .")));
  // Relative names are completed with the origin; absolute ones are kept.
  EXPECT_EQ(rd::to_text(rrtype::SRV, *parse(rrtype::SRV, "0 0 1 sip")), "0 0 1 sip.example.com.");
  EXPECT_EQ(rd::to_text(rrtype::NAPTR, *parse(rrtype::NAPTR, "1 2 S x \"\" @")),
            "1 2 \"S\" \"x\" \"\" example.com.");
}

TEST(Rdata, SignatureTimesAreSerialNumbers) {
  // RFC 4034 3.1.5: dates past 2106 wrap modulo 2^32 on input...
  auto r = parse(rrtype::RRSIG, "A 8 1 1 21060207062816 21060207062815 1 . AA==");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(hex(RdataBytes(r->begin() + 8, r->begin() + 16)), "00000000ffffffff");
  // ...and on output the moment nearest to now is shown, as BIND prints it.
  if (std::time(nullptr) < 2147483647 - 86400) {
    EXPECT_EQ(rd::to_text(rrtype::RRSIG, *r), "A 8 1 1 19700101000000 19691231235959 1 . AA==");
  }
  // Leap day handling.
  EXPECT_TRUE(parse(rrtype::RRSIG, "A 8 1 1 20240229000000 0 1 . AA==").ok());
  EXPECT_FALSE(parse(rrtype::RRSIG, "A 8 1 1 20230229000000 0 1 . AA==").ok());
  EXPECT_FALSE(parse(rrtype::RRSIG, "A 8 1 1 21000229000000 0 1 . AA==").ok());
  EXPECT_TRUE(parse(rrtype::RRSIG, "A 8 1 1 20000229000000 0 1 . AA==").ok());
  EXPECT_FALSE(parse(rrtype::RRSIG, "A 8 1 1 20000101240000 0 1 . AA==").ok());
  auto before_epoch = parse(rrtype::RRSIG, "A 8 1 1 19691231235959 0 1 . AA==");
  ASSERT_TRUE(before_epoch.ok());
  EXPECT_EQ(hex(RdataBytes(before_epoch->begin() + 8, before_epoch->begin() + 12)), "ffffffff");
}

TEST(Rdata, TypeBitmapWindows) {
  auto r = parse(rrtype::NSEC, "a. CAA A TYPE1234 URI");
  ASSERT_TRUE(r.ok()) << r.message();
  // Window 0: A (bit 1); window 1: URI 256 (bit 0), CAA 257 (bit 1); window 4: 1234 = 4*256+210.
  EXPECT_EQ(hex(*r),
            "0161"
            "00"
            "000140"
            "0101c0"
            "041b" +
                std::string(52, '0') + "20");
  EXPECT_EQ(rd::to_text(rrtype::NSEC, *r), "a. A URI CAA TYPE1234");
  // An empty bitmap is valid (NSEC3 for an empty non-terminal).
  auto e = parse(50, "1 0 0 - 00");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(hex(*e),
            "01000000"
            "00"
            "0100");
}

// --- decode from a message with compression ----------------------------------

namespace {
// Header + question "example.com. IN MX" and an answer whose rdata the test appends.
std::vector<uint8_t> message_prefix() {
  std::vector<uint8_t> m = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
  const uint8_t qname[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
  m.insert(m.end(), std::begin(qname), std::end(qname));  // at offset 12
  m.insert(m.end(), {0, 15, 0, 1});
  return m;
}
}  // namespace

TEST(RdataDecode, CompressedMxSoaNs) {
  // MX 10 mail.<ptr to 12>
  auto m = message_prefix();
  size_t off = m.size();
  m.insert(m.end(), {0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12});
  RdataBytes out = {0xaa};  // decode appends
  ASSERT_EQ(rd::decode(rrtype::MX, m, off, m.size() - off, out), WireError::ok);
  EXPECT_EQ(hex(out),
            "aa"
            "000a"
            "046d61696c"
            "076578616d706c6503636f6d00");
  EXPECT_EQ(rd::check(rrtype::MX, m, off, m.size() - off), WireError::ok);

  // SOA with both names compressed, second pointing into the first.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {3, 'n', 's', '1', 0xc0, 12});  // ns1.example.com at off
  size_t rname_at = m.size();
  m.insert(m.end(), {0xc0, static_cast<uint8_t>(off)});  // rname = ns1.example.com.
  (void)rname_at;
  for (int i = 1; i <= 5; ++i) m.insert(m.end(), {0, 0, 0, static_cast<uint8_t>(i)});
  out.clear();
  ASSERT_EQ(rd::decode(rrtype::SOA, m, off, m.size() - off, out), WireError::ok);
  EXPECT_EQ(rd::to_text(rrtype::SOA, out), "ns1.example.com. ns1.example.com. 1 2 3 4 5");
  EXPECT_EQ(rd::check(rrtype::SOA, m, off, m.size() - off), WireError::ok);

  // NS that is only a pointer.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {0xc0, 12});
  out.clear();
  ASSERT_EQ(rd::decode(rrtype::NS, m, off, 2, out), WireError::ok);
  EXPECT_EQ(rd::to_text(rrtype::NS, out), "example.com.");
}

TEST(RdataDecode, CompressedSrvIsTolerated) {
  // RFC 3597 4: receivers should decompress SRV too (RFC 2052 senders).
  auto m = message_prefix();
  size_t off = m.size();
  m.insert(m.end(), {0, 1, 0, 2, 0, 3, 0xc0, 12});
  RdataBytes out;
  ASSERT_EQ(rd::decode(rrtype::SRV, m, off, m.size() - off, out), WireError::ok);
  EXPECT_EQ(rd::to_text(rrtype::SRV, out), "1 2 3 example.com.");
}

TEST(RdataDecode, Rejects) {
  auto m = message_prefix();
  size_t off = m.size();
  m.insert(m.end(), {0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12});
  size_t len = m.size() - off;
  RdataBytes out = {1, 2, 3};
  // rdlength one short: the pointer's second octet falls outside the rdata.
  EXPECT_EQ(rd::check(rrtype::MX, m, off, len - 1), WireError::bad_rdata);
  EXPECT_NE(rd::decode(rrtype::MX, m, off, len - 1, out), WireError::ok);
  EXPECT_EQ(out.size(), 3u);  // nothing appended on failure
  // rdlength past the end of the message.
  EXPECT_EQ(rd::check(rrtype::MX, m, off, len + 1), WireError::truncated);
  EXPECT_EQ(rd::decode(rrtype::MX, m, off, len + 1, out), WireError::truncated);
  EXPECT_EQ(rd::decode(65534, m, off, len + 1, out), WireError::truncated);
  // Extra trailing octet inside rdlength.
  m.push_back(0);
  EXPECT_EQ(rd::check(rrtype::MX, m, off, len + 1), WireError::bad_rdata);
  EXPECT_EQ(rd::decode(rrtype::MX, m, off, len + 1, out), WireError::bad_rdata);
  EXPECT_EQ(out.size(), 3u);
  // Forward pointer and loop inside the rdata.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {0, 10, 0xc0, static_cast<uint8_t>(off + 2)});
  EXPECT_NE(rd::check(rrtype::MX, m, off, 4), WireError::ok);
  EXPECT_EQ(rd::decode(rrtype::MX, m, off, 4, out), WireError::pointer_loop);
  // A record of the wrong length; AAAA truncated; TXT with an overrunning string.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {1, 2, 3, 4, 5});
  EXPECT_EQ(rd::check(rrtype::A, m, off, 5), WireError::bad_rdata);
  EXPECT_EQ(rd::check(rrtype::A, m, off, 4), WireError::ok);
  EXPECT_EQ(rd::check(rrtype::A, m, off, 3), WireError::bad_rdata);
  EXPECT_EQ(rd::check(rrtype::AAAA, m, off, 5), WireError::bad_rdata);
  EXPECT_EQ(rd::check(rrtype::TXT, m, off, 1), WireError::bad_rdata);  // len 1, no octet
  EXPECT_EQ(rd::check(rrtype::TXT, m, off, 2), WireError::ok);
  EXPECT_EQ(rd::check(rrtype::TXT, m, off, 0), WireError::bad_rdata);  // at least one string
  EXPECT_EQ(rd::decode(rrtype::A, m, off, 5, out), WireError::bad_rdata);
  EXPECT_EQ(out.size(), 3u);
  // Unknown types are opaque: any length is fine.
  EXPECT_EQ(rd::check(65534, m, off, 5), WireError::ok);
  EXPECT_EQ(rd::check(65534, m, off, 0), WireError::ok);
  // A name that runs to the end of the message without a root label.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {0, 10, 3, 'a', 'b'});
  EXPECT_NE(rd::check(rrtype::MX, m, off, 5), WireError::ok);
  EXPECT_NE(rd::decode(rrtype::MX, m, off, 5, out), WireError::ok);
  // SOA missing its last u32.
  m = message_prefix();
  off = m.size();
  m.insert(m.end(), {0, 0});
  for (int i = 0; i < 19; ++i) m.push_back(0);
  EXPECT_EQ(rd::check(rrtype::SOA, m, off, 21), WireError::bad_rdata);
  m.push_back(0);
  EXPECT_EQ(rd::check(rrtype::SOA, m, off, 22), WireError::ok);
}

TEST(RdataDecode, OffsetAtEndAndEmpty) {
  auto m = message_prefix();
  RdataBytes out;
  EXPECT_EQ(rd::decode(65534, m, m.size(), 0, out), WireError::ok);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(rd::check(rrtype::A, m, m.size(), 0), WireError::bad_rdata);
  EXPECT_EQ(rd::check(rrtype::A, m, m.size() + 1, 0), WireError::truncated);
}

// --- names() and canonical form -------------------------------------------------

TEST(Rdata, NamesOffsets) {
  RdataName found[4];
  auto soa = *parse(rrtype::SOA, "ns1.example.com. host.example.com. 1 2 3 4 5");
  ASSERT_EQ(rd::names(rrtype::SOA, soa, found), 2u);
  EXPECT_EQ(found[0].offset, 0);
  EXPECT_EQ(found[0].length, 17);
  EXPECT_TRUE(found[0].compressible);
  EXPECT_EQ(found[1].offset, 17);
  EXPECT_EQ(found[1].length, 18);
  EXPECT_TRUE(found[1].compressible);
  // Only room for one.
  EXPECT_EQ(rd::names(rrtype::SOA, soa, std::span<RdataName>(found, 1)), 1u);

  auto mx = *parse(rrtype::MX, "10 mail.example.com.");
  ASSERT_EQ(rd::names(rrtype::MX, mx, found), 1u);
  EXPECT_EQ(found[0].offset, 2);
  EXPECT_EQ(found[0].length, 18);
  EXPECT_TRUE(found[0].compressible);

  auto srv = *parse(rrtype::SRV, "1 2 3 sip.example.com.");
  ASSERT_EQ(rd::names(rrtype::SRV, srv, found), 1u);
  EXPECT_EQ(found[0].offset, 6);
  EXPECT_FALSE(found[0].compressible);  // RFC 3597 4 / RFC 2782

  auto naptr = *parse(rrtype::NAPTR, "1 2 \"S\" \"x\" \"\" a.");
  ASSERT_EQ(rd::names(rrtype::NAPTR, naptr, found), 1u);
  EXPECT_EQ(found[0].offset, 4 + 2 + 2 + 1);
  EXPECT_FALSE(found[0].compressible);

  for (uint16_t t : {rrtype::DNAME, rrtype::NSEC, rrtype::RRSIG, rrtype::TSIG}) {
    const auto* info = rd::find(t);
    ASSERT_NE(info, nullptr);
    for (auto f : info->fields) EXPECT_NE(f, rd::Field::cname) << info->mnemonic;
  }
  EXPECT_EQ(rd::names(rrtype::A, *parse(rrtype::A, "1.2.3.4"), found), 0u);
  EXPECT_EQ(rd::names(65534, unhex("00"), found), 0u);
  EXPECT_EQ(rd::names(rrtype::MX, unhex("000a03"), found), 0u);  // malformed
}

TEST(Rdata, CanonicalLowercasing) {
  auto canon_text = [](uint16_t type, std::string_view text) {
    auto r = parse(type, text);
    EXPECT_TRUE(r.ok()) << text;
    return rd::to_text(type, rd::canonical(type, *r));
  };
  EXPECT_EQ(canon_text(rrtype::MX, "10 MAIL.Example.COM."), "10 mail.example.com.");
  EXPECT_EQ(canon_text(rrtype::SOA, "NS.X. Host.X. 1 2 3 4 5"), "ns.x. host.x. 1 2 3 4 5");
  EXPECT_EQ(canon_text(rrtype::SRV, "1 2 3 SIP.X."), "1 2 3 sip.x.");
  EXPECT_EQ(canon_text(rrtype::DNAME, "T.X."), "t.x.");
  EXPECT_EQ(canon_text(rrtype::NAPTR, "1 2 \"S\" \"X\" \"\" R.X."), "1 2 \"S\" \"X\" \"\" r.x.");
  EXPECT_EQ(canon_text(rrtype::RRSIG, "A 8 1 1 946684800 946684800 1 SIGNER.X. AA=="),
            "A 8 1 1 20000101000000 20000101000000 1 signer.x. AA==");
  EXPECT_EQ(canon_text(17, "A.X. B.X."), "a.x. b.x.");  // RP
  // RFC 6840 5.1: NSEC's next name keeps its case.
  EXPECT_EQ(canon_text(rrtype::NSEC, "Next.X. A"), "Next.X. A");
  // Strings are never touched.
  EXPECT_EQ(canon_text(rrtype::TXT, "ABC"), "\"ABC\"");
  EXPECT_EQ(canon_text(rrtype::HINFO, "ABC D"), "\"ABC\" \"D\"");
  // Length octets in the A..Z range (65..90) are not letters.
  auto r = parse(rrtype::NS, std::string(63, 'Q') + ".X.");
  ASSERT_TRUE(r.ok());
  auto c = rd::canonical(rrtype::NS, *r);
  EXPECT_EQ(c[0], 63);
  EXPECT_EQ(c[1], 'q');
  EXPECT_EQ(c[64], 1);
  EXPECT_EQ(c[65], 'x');
  // Unknown types are copied unchanged.
  EXPECT_EQ(hex(rd::canonical(65534, unhex("41424300"))), "41424300");
}

TEST(Rdata, FindAndTable) {
  EXPECT_EQ(rd::find(1)->mnemonic, "A");
  EXPECT_EQ(rd::find(257)->mnemonic, "CAA");
  EXPECT_EQ(rd::find(10), nullptr);  // NULL: generic
  EXPECT_EQ(rd::find(65535), nullptr);
  EXPECT_EQ(rd::find(0), nullptr);
  EXPECT_TRUE(rd::find(rrtype::MX)->canonical_lowercase);
  EXPECT_FALSE(rd::find(rrtype::NSEC)->canonical_lowercase);
  EXPECT_EQ(rd::find(rrtype::MX)->field_names[1], "exchange");
}

// --- property tests over random rdata -------------------------------------------

namespace {
struct Rng {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
  uint32_t below(uint32_t n) { return next() % n; }
};

void random_name(Rng& rng, RdataBytes& out) {
  size_t labels = rng.below(4), total = 1;
  for (size_t i = 0; i < labels; ++i) {
    size_t len = 1 + rng.below(12);
    if (total + 1 + len > 255) break;
    out.push_back(static_cast<uint8_t>(len));
    for (size_t j = 0; j < len; ++j) {
      // Mostly letters, sometimes any octet (escapes must round-trip too).
      out.push_back(rng.below(4) ? static_cast<uint8_t>("aZ0-_*.@\\ \""[rng.below(11)])
                                 : static_cast<uint8_t>(rng.below(256)));
    }
    total += 1 + len;
  }
  out.push_back(0);
}

void random_bytes(Rng& rng, RdataBytes& out, size_t n) {
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(rng.below(256)));
}

void random_gateway(Rng& rng, unsigned type, RdataBytes& out) {
  if (type == 1) random_bytes(rng, out, 4);
  if (type == 2) random_bytes(rng, out, 16);
  if (type == 3) random_name(rng, out);
}

// RFC 9460 SvcParams: ascending keys, valid values, mandatory naming present keys.
void random_svc_params(Rng& rng, RdataBytes& out) {
  std::vector<std::pair<uint16_t, RdataBytes>> params;
  for (uint16_t key = 1; key < 12; ++key) {
    if (rng.below(2) || key == 2) continue;  // no-default-alpn needs alpn: leave it out
    RdataBytes v;
    if (key == 1)
      for (size_t k = 0, n = 1 + rng.below(3); k < n; ++k) {
        size_t len = 1 + rng.below(6);
        v.push_back(static_cast<uint8_t>(len));
        random_bytes(rng, v, len);
      }
    else if (key == 3) random_bytes(rng, v, 2);
    else if (key == 4) random_bytes(rng, v, 4 * (1 + rng.below(3)));
    else if (key == 6) random_bytes(rng, v, 16 * (1 + rng.below(2)));
    else random_bytes(rng, v, rng.below(10));
    params.emplace_back(key, v);
  }
  if (!params.empty() && rng.below(2)) {
    RdataBytes man;
    for (const auto& p : params)
      if (rng.below(2) || man.empty()) {
        man.push_back(static_cast<uint8_t>(p.first >> 8));
        man.push_back(static_cast<uint8_t>(p.first));
      }
    params.insert(params.begin(), {0, man});
  }
  for (const auto& [key, v] : params) {
    out.push_back(static_cast<uint8_t>(key >> 8));
    out.push_back(static_cast<uint8_t>(key));
    out.push_back(static_cast<uint8_t>(v.size() >> 8));
    out.push_back(static_cast<uint8_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
  }
}

// Random bytes whose last octet is not zero (bitmaps, APL address parts).
void random_trimmed(Rng& rng, RdataBytes& out, size_t n) {
  if (n == 0) return;
  random_bytes(rng, out, n - 1);
  out.push_back(static_cast<uint8_t>(1 + rng.below(255)));
}

void random_loc(Rng& rng, RdataBytes& out) {
  out.push_back(0);
  for (int i = 0; i < 3; ++i)
    out.push_back(rng.below(5) ? static_cast<uint8_t>((1 + rng.below(9)) << 4 | rng.below(10)) : 0);
  uint32_t lat = 0x80000000u - 90u * 3600000 + rng.below(2 * 90u * 3600000 + 1);
  uint32_t lon = 0x80000000u - 180u * 3600000 + rng.below(2 * 180u * 3600000 + 1);
  for (uint32_t v : {lat, lon, rng.next()})
    for (int b = 3; b >= 0; --b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

void random_special(Rng& rng, rd::Field f, RdataBytes& out) {
  switch (f) {
    case rd::Field::loc:
      return random_loc(rng, out);
    case rd::Field::svc_params:
      return random_svc_params(rng, out);
    case rd::Field::apl:
      for (size_t k = 0, n = rng.below(4); k < n; ++k) {
        bool v4 = rng.below(2);
        size_t len = rng.below(v4 ? 5 : 17);
        out.insert(out.end(), {0, static_cast<uint8_t>(v4 ? 1 : 2),
                               static_cast<uint8_t>(rng.below(v4 ? 33 : 129)),
                               static_cast<uint8_t>(len | (rng.below(2) ? 0x80 : 0))});
        random_trimmed(rng, out, len);
      }
      return;
    case rd::Field::ipseckey_gateway: {
      unsigned type = rng.below(4);
      out.push_back(static_cast<uint8_t>(type));
      random_bytes(rng, out, 1);
      return random_gateway(rng, type, out);
    }
    case rd::Field::hip: {
      size_t hit = 1 + rng.below(20), pk = 1 + rng.below(40);
      out.insert(out.end(), {static_cast<uint8_t>(hit), static_cast<uint8_t>(rng.below(256)), 0,
                             static_cast<uint8_t>(pk)});
      return random_bytes(rng, out, hit + pk);
    }
    case rd::Field::names_rest:
      for (size_t k = 0, n = rng.below(3); k < n; ++k) random_name(rng, out);
      return;
    case rd::Field::ip_protocol:
    case rd::Field::secalg:
    case rd::Field::dsync_scheme:
      return random_bytes(rng, out, 1);
    case rd::Field::cert_type:
      return random_bytes(rng, out, 2);
    case rd::Field::wks_ports:
      return random_trimmed(rng, out, rng.below(12));
    case rd::Field::nxt_bitmap: {
      size_t n = rng.below(17);
      if (n == 0) return;
      out.push_back(static_cast<uint8_t>(rng.below(128)));
      if (n == 1) out.back() |= 1;
      return random_trimmed(rng, out, n - 1);
    }
    case rd::Field::nsap:
      return random_bytes(rng, out, 1 + rng.below(20));
    case rd::Field::atma:
      if (rng.below(2)) {
        out.push_back(0);
        return random_bytes(rng, out, 1 + rng.below(20));
      }
      out.push_back(1);
      for (size_t k = 0, n = 1 + rng.below(15); k < n; ++k) out.push_back(static_cast<uint8_t>('0' + rng.below(10)));
      return;
    case rd::Field::a6_suffix: {
      unsigned prefix = rng.below(129);
      out.push_back(static_cast<uint8_t>(prefix));
      size_t n = 16 - prefix / 8, at = out.size();
      random_bytes(rng, out, n);
      if (n) out[at] &= static_cast<uint8_t>(0xff >> (prefix % 8));
      return;
    }
    case rd::Field::a6_prefix:
      if (out[0] != 0) random_name(rng, out);
      return;
    case rd::Field::eui48:
      return random_bytes(rng, out, 6);
    case rd::Field::eui64:
    case rd::Field::ilnp64:
      return random_bytes(rng, out, 8);
    case rd::Field::charstring_opt: {
      if (rng.below(2)) return;
      size_t n = rng.below(20);
      out.push_back(static_cast<uint8_t>(n));
      return random_bytes(rng, out, n);
    }
    case rd::Field::base64_dash:
    case rd::Field::base64_opt:
      return random_bytes(rng, out, rng.below(3) ? rng.below(40) : 0);
    case rd::Field::amt_relay: {
      unsigned type = rng.below(4);
      out.push_back(static_cast<uint8_t>((rng.below(2) ? 0x80 : 0) | type));
      return random_gateway(rng, type, out);
    }
    default:
      return;
  }
}

// Random rdata that fits `info`'s declaration.
RdataBytes random_rdata(Rng& rng, const rd::TypeInfo& info) {
  RdataBytes out;
  for (rd::Field f : info.fields) {
    switch (f) {
      case rd::Field::u8:
        random_bytes(rng, out, 1);
        break;
      case rd::Field::u16:
      case rd::Field::type:
      case rd::Field::tsig_error:
        random_bytes(rng, out, 2);
        break;
      case rd::Field::u32:
      case rd::Field::ttl:
      case rd::Field::time:
      case rd::Field::ipv4:
        random_bytes(rng, out, 4);
        break;
      case rd::Field::u48:
        random_bytes(rng, out, 6);
        break;
      case rd::Field::ipv6:
        random_bytes(rng, out, 16);
        break;
      case rd::Field::name:
      case rd::Field::cname:
        random_name(rng, out);
        break;
      case rd::Field::charstring:
      case rd::Field::hex_u8len: {
        size_t n = rng.below(rng.below(8) ? 20 : 256);
        out.push_back(static_cast<uint8_t>(n));
        random_bytes(rng, out, n);
        break;
      }
      case rd::Field::base32hex_u8len: {
        size_t n = 1 + rng.below(30);
        out.push_back(static_cast<uint8_t>(n));
        random_bytes(rng, out, n);
        break;
      }
      case rd::Field::charstrings:
        for (size_t k = 0, n = 1 + rng.below(4); k < n; ++k) {
          size_t len = rng.below(40);
          out.push_back(static_cast<uint8_t>(len));
          random_bytes(rng, out, len);
        }
        break;
      case rd::Field::hex_rest:
      case rd::Field::base64_rest:
      case rd::Field::raw_rest:
      case rd::Field::caa_value:
        random_bytes(rng, out, rng.below(70));
        break;
      case rd::Field::base64_u16len: {
        size_t n = rng.below(3) ? rng.below(40) : 0;
        out.push_back(0);
        out.push_back(static_cast<uint8_t>(n));
        random_bytes(rng, out, n);
        break;
      }
      case rd::Field::caa_tag: {
        size_t n = 1 + rng.below(15);
        out.push_back(static_cast<uint8_t>(n));
        for (size_t k = 0; k < n; ++k) out.push_back(static_cast<uint8_t>("az09AZ"[rng.below(6)]));
        break;
      }
      case rd::Field::type_bitmap: {
        int window = -1;
        for (size_t k = 0, n = rng.below(4); k < n; ++k) {
          window += 1 + static_cast<int>(rng.below(60));
          if (window > 255) break;
          size_t len = 1 + rng.below(32);
          out.push_back(static_cast<uint8_t>(window));
          out.push_back(static_cast<uint8_t>(len));
          random_bytes(rng, out, len - 1);
          out.push_back(static_cast<uint8_t>(1 + rng.below(255)));
        }
        break;
      }
      default:
        random_special(rng, f, out);
        break;
    }
  }
  return out;
}
}  // namespace

TEST(RdataProperty, RandomValidRdataRoundTrips) {
  Rng rng{12345};
  for (const auto& info : rd::all_types()) {
    for (int iter = 0; iter < 300; ++iter) {
      RdataBytes wire = random_rdata(rng, info);
      ASSERT_TRUE(rd::validate(info.type, wire).ok())
          << info.mnemonic << " " << hex(wire) << ": " << rd::validate(info.type, wire).message();
      // wire -> text -> wire.
      std::string text = rd::to_text(info.type, wire);
      auto back = parse(info.type, text);
      ASSERT_TRUE(back.ok()) << info.mnemonic << " '" << text << "': " << back.message();
      ASSERT_EQ(hex(*back), hex(wire)) << info.mnemonic << " '" << text << "'";
      // The generic form of the same rdata gives the same octets.
      auto generic = parse(info.type, rd::to_generic_text(wire));
      ASSERT_TRUE(generic.ok()) << generic.message();
      ASSERT_EQ(*generic, wire);
      // Placed in a message uncompressed, check() accepts and decode() copies it.
      auto msg = message_prefix();
      size_t off = msg.size();
      msg.insert(msg.end(), wire.begin(), wire.end());
      ASSERT_EQ(rd::check(info.type, msg, off, wire.size()), WireError::ok) << info.mnemonic;
      RdataBytes decoded;
      ASSERT_EQ(rd::decode(info.type, msg, off, wire.size(), decoded), WireError::ok);
      ASSERT_EQ(decoded, wire);
      // Canonical form changes only letters inside names, and is idempotent.
      RdataBytes c = rd::canonical(info.type, wire);
      ASSERT_EQ(c.size(), wire.size());
      ASSERT_EQ(rd::canonical(info.type, c), c);
    }
  }
}

TEST(RdataProperty, GarbageNeverCrashesAndCheckAgreesWithDecode) {
  Rng rng{777};
  std::vector<uint16_t> types;
  for (const auto& info : rd::all_types()) types.push_back(info.type);
  types.push_back(65534);
  for (int iter = 0; iter < 20000; ++iter) {
    uint16_t type = types[rng.below(static_cast<uint32_t>(types.size()))];
    auto msg = message_prefix();
    size_t off = msg.size();
    size_t len = rng.below(40);
    for (size_t i = 0; i < len; ++i) {
      // Bias towards small values and pointers to make structure likely.
      uint32_t k = rng.below(8);
      msg.push_back(k < 3    ? static_cast<uint8_t>(rng.below(8))
                    : k == 3 ? static_cast<uint8_t>(0xc0)
                    : k == 4 ? static_cast<uint8_t>(12)
                             : static_cast<uint8_t>(rng.below(256)));
    }
    size_t rdlen = rng.below(static_cast<uint32_t>(len + 2));
    WireError c = rd::check(type, msg, off, rdlen);
    RdataBytes out;
    WireError d = rd::decode(type, msg, off, rdlen, out);
    ASSERT_EQ(c == WireError::ok, d == WireError::ok) << type_to_text(type) << " " << hex(msg);
    if (d != WireError::ok) {
      ASSERT_TRUE(out.empty());
      continue;
    }
    // Decoded rdata is valid uncompressed rdata that prints and parses back.
    ASSERT_TRUE(rd::validate(type, out).ok()) << type_to_text(type) << " " << hex(out);
    auto back = parse(type, rd::to_text(type, out));
    ASSERT_TRUE(back.ok()) << rd::to_text(type, out) << ": " << back.message();
    ASSERT_EQ(*back, out);
    // Uncompressed garbage through validate/to_text/names never crashes.
    std::span<const uint8_t> raw(msg.data() + off, rdlen <= len ? rdlen : len);
    (void)rd::to_text(type, raw);
    RdataName names_out[4];
    (void)rd::names(type, raw, names_out);
    (void)rd::canonical(type, raw);
  }
}
