#include "dns/text.h"

#include <gtest/gtest.h>

using namespace namae::dns;

namespace {
std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
}  // namespace

TEST(Ttl, Parse) {
  EXPECT_EQ(*parse_ttl("3600"), 3600u);
  EXPECT_EQ(*parse_ttl("0"), 0u);
  EXPECT_EQ(*parse_ttl("1h30m"), 5400u);
  EXPECT_EQ(*parse_ttl("1w2d"), 604800u + 2 * 86400u);
  EXPECT_EQ(*parse_ttl("2H"), 7200u);
  EXPECT_EQ(*parse_ttl("1W"), 604800u);
  EXPECT_EQ(*parse_ttl("15m"), 900u);
  EXPECT_EQ(*parse_ttl("10s"), 10u);
  EXPECT_EQ(*parse_ttl("1h1h"), 7200u);  // BIND adds repeated units
  EXPECT_EQ(*parse_ttl("4294967295"), 4294967295u);
  EXPECT_EQ(*parse_ttl("4294967295s"), 4294967295u);
  EXPECT_FALSE(parse_ttl("4294967296").ok());
  EXPECT_FALSE(parse_ttl("99999999999999999999999").ok());
  EXPECT_FALSE(parse_ttl("7102w").ok());  // 7102 weeks > 2^32-1 s
  EXPECT_TRUE(parse_ttl("7101w").ok());
  EXPECT_FALSE(parse_ttl("4294967295s1s").ok());
  EXPECT_FALSE(parse_ttl("").ok());
  EXPECT_FALSE(parse_ttl("h").ok());
  EXPECT_FALSE(parse_ttl("1h30").ok());  // as BIND: a number needs a unit once units are used
  EXPECT_FALSE(parse_ttl("1x").ok());
  EXPECT_FALSE(parse_ttl("-1").ok());
  EXPECT_FALSE(parse_ttl("1 h").ok());
  EXPECT_EQ(ttl_to_text(86400), "86400");
}

TEST(Iequal, AsciiOnly) {
  EXPECT_TRUE(iequal("$ORIGIN", "$origin"));
  EXPECT_TRUE(iequal("hmac-SHA256", "HMAC-sha256"));
  EXPECT_TRUE(iequal("", ""));
  EXPECT_FALSE(iequal("MX", "MXX"));
  EXPECT_FALSE(iequal("@", "`"));  // 0x40 and 0x60 differ by the case bit but are not letters
  EXPECT_FALSE(iequal("[", "{"));
  EXPECT_FALSE(iequal("\xc4", "\xe4"));
}

TEST(ParseUint, Strict) {
  EXPECT_EQ(parse_uint("0", 10), 0u);
  EXPECT_EQ(parse_uint("10", 10), 10u);
  EXPECT_EQ(parse_uint("11", 10), std::nullopt);
  EXPECT_EQ(parse_uint("", 10), std::nullopt);
  EXPECT_EQ(parse_uint("+1", 10), std::nullopt);
  EXPECT_EQ(parse_uint(" 1", 10), std::nullopt);
  EXPECT_EQ(parse_uint("1a", 10), std::nullopt);
  EXPECT_EQ(parse_uint("18446744073709551615", UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(parse_uint("18446744073709551616", UINT64_MAX), std::nullopt);
  EXPECT_EQ(parse_uint("00000000000000000000001", UINT64_MAX), std::nullopt);  // too long
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base64_encode(bytes(plain)), enc);
    auto d = base64_decode(enc);
    ASSERT_TRUE(d.ok()) << enc;
    EXPECT_EQ(*d, bytes(plain)) << enc;
  }
  EXPECT_EQ(*base64_decode("Zm9v YmFy"), bytes("foobar"));
  EXPECT_EQ(*base64_decode(" Zm\n9vYg =="), bytes("foob"));
  EXPECT_FALSE(base64_decode("Zm9").ok());
  EXPECT_FALSE(base64_decode("Zg=").ok());
  EXPECT_FALSE(base64_decode("Z===").ok());
  EXPECT_FALSE(base64_decode("====").ok());
  EXPECT_FALSE(base64_decode("Zg==Zm9v").ok());
  EXPECT_FALSE(base64_decode("Zm=v").ok());
  EXPECT_FALSE(base64_decode("Zm9*").ok());
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(*base64_decode(base64_encode(all)), all);
}

TEST(Hex, Codec) {
  std::vector<uint8_t> d = {0x00, 0xab, 0xCD, 0xff};
  EXPECT_EQ(hex_encode(d), "00abcdff");
  EXPECT_EQ(hex_encode_upper(d), "00ABCDFF");
  EXPECT_EQ(*hex_decode("00AbcD ff"), d);
  EXPECT_EQ(hex_decode("")->size(), 0u);
  EXPECT_FALSE(hex_decode("abc").ok());
  EXPECT_FALSE(hex_decode("zz").ok());
  EXPECT_FALSE(hex_decode("0x00").ok());
}

TEST(Base32Hex, Codec) {
  // RFC 4648 section 10 vectors, without padding.
  const std::pair<const char*, const char*> v[] = {
      {"", ""},
      {"f", "CO"},
      {"fo", "CPNG"},
      {"foo", "CPNMU"},
      {"foob", "CPNMUOG"},
      {"fooba", "CPNMUOJ1"},
      {"foobar", "CPNMUOJ1E8"},
  };
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base32hex_encode(bytes(plain)), enc);
    auto d = base32hex_decode(enc);
    ASSERT_TRUE(d.ok()) << enc;
    EXPECT_EQ(*d, bytes(plain));
  }
  EXPECT_EQ(*base32hex_decode("cpnmuoj1e8"), bytes("foobar"));
  EXPECT_FALSE(base32hex_decode("C").ok());  // impossible length
  EXPECT_FALSE(base32hex_decode("CPN").ok());
  EXPECT_FALSE(base32hex_decode("CP").ok());    // non-zero trailing bits
  EXPECT_FALSE(base32hex_decode("CW").ok());    // W is not in the alphabet
  EXPECT_FALSE(base32hex_decode("CO==").ok());  // no padding in DNS
}

TEST(Unescape, Escapes) {
  EXPECT_EQ(*unescape("abc"), bytes("abc"));
  EXPECT_EQ(*unescape("a\\.b"), bytes("a.b"));
  EXPECT_EQ(*unescape("\\\"\\\\"), bytes("\"\\"));
  EXPECT_EQ(*unescape("\\000\\255"), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(*unescape("\\0651"), bytes("A1"));
  EXPECT_EQ(*unescape(""), bytes(""));
  EXPECT_FALSE(unescape("\\256").ok());
  EXPECT_FALSE(unescape("\\25").ok());
  EXPECT_FALSE(unescape("\\2a5").ok());
  EXPECT_FALSE(unescape("abc\\").ok());
}

TEST(CharString, ToText) {
  EXPECT_EQ(charstring_to_text(bytes("a b")), "\"a b\"");
  EXPECT_EQ(charstring_to_text(bytes("")), "\"\"");
  EXPECT_EQ(charstring_to_text(bytes("q\"x\\y\x07")), "\"q\\\"x\\\\y\\007\"");
  EXPECT_EQ(charstring_to_text(std::vector<uint8_t>{0xc3, 0xa9, 0x7f, 0x0a}),
            "\"\\195\\169\\127\\010\"");
  EXPECT_EQ(charstring_to_text(bytes(";()$@")), "\";()$@\"");  // safe inside quotes
  // unescape(charstring_to_text(x)) without the quotes gives x back.
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  std::string t = charstring_to_text(all);
  EXPECT_EQ(*unescape(std::string_view(t).substr(1, t.size() - 2)), all);
}
