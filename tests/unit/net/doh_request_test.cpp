#include "net/doh_request.h"

#include <gtest/gtest.h>

#include <string>

#include "dns/message.h"
#include "dns/name.h"

namespace namae::net::doh {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64Url, DecodesRfc4648Vectors) {
  EXPECT_EQ(*base64url_decode(""), bytes(""));
  EXPECT_EQ(*base64url_decode("Zg"), bytes("f"));
  EXPECT_EQ(*base64url_decode("Zm8"), bytes("fo"));
  EXPECT_EQ(*base64url_decode("Zm9v"), bytes("foo"));
  EXPECT_EQ(*base64url_decode("Zm9vYg"), bytes("foob"));
  EXPECT_EQ(*base64url_decode("Zm9vYmE"), bytes("fooba"));
  EXPECT_EQ(*base64url_decode("Zm9vYmFy"), bytes("foobar"));
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  EXPECT_EQ(*base64url_decode("-_8"), (std::vector<uint8_t>{0xfb, 0xff}));
  EXPECT_FALSE(base64url_decode("+/8"));  // the standard alphabet's characters
}

TEST(Base64Url, RejectsPaddingBadLengthsAndStrayBits) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // 5 characters: no encoding has that length
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero bits after the last octet
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
}

// RFC 8484 4.1.1's example: www.example.com A with ID 0.
constexpr std::string_view kExample = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";

TEST(DohRequest, GetWithDnsParameter) {
  auto r = parse_request({"GET", std::string("/dns-query?dns=") + std::string(kExample), ""}, {}, false);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.query, *base64url_decode(kExample));
  r = parse_request({"GET", std::string("/dns-query?ct=x&dns=") + std::string(kExample) + "&z", ""}, {}, false);
  EXPECT_EQ(r.status, 200);
}

TEST(DohRequest, GetErrors) {
  EXPECT_EQ(parse_request({"GET", "/dns-query", ""}, {}, false).status, 400);
  EXPECT_EQ(parse_request({"GET", "/dns-query?dns=", ""}, {}, false).status, 400);
  EXPECT_EQ(parse_request({"GET", "/dns-query?dnsx=AAAA", ""}, {}, false).status, 400);
  EXPECT_EQ(parse_request({"GET", "/dns-query?dns=AAAB%3D", ""}, {}, false).status, 400);
  EXPECT_EQ(parse_request({"GET", "/dns-query?dns=AAAA", ""}, {}, false).status, 400);  // shorter than a header
  EXPECT_EQ(parse_request({"GET", "/dns-query?dns=" + std::string(87400, 'A'), ""}, {}, false).status, 413);
}

TEST(DohRequest, PostWithMediaType) {
  auto msg = *base64url_decode(kExample);
  auto r = parse_request({"POST", "/dns-query", "application/dns-message"}, msg, false);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.query, msg);
  EXPECT_EQ(parse_request({"POST", "/dns-query", "Application/DNS-Message; x=1"}, msg, false).status, 200);
  EXPECT_EQ(parse_request({"POST", "/dns-query", "application/json"}, msg, false).status, 415);
  EXPECT_EQ(parse_request({"POST", "/dns-query", ""}, msg, false).status, 415);
  EXPECT_EQ(parse_request({"POST", "/dns-query", "application/dns-message"}, {}, false).status, 400);
  EXPECT_EQ(parse_request({"POST", "/dns-query", "application/dns-message"}, msg, true).status, 413);
}

TEST(DohRequest, PathAndMethod) {
  EXPECT_EQ(parse_request({"GET", "/other?dns=AAAA", ""}, {}, false).status, 404);
  EXPECT_EQ(parse_request({"GET", "/dns-query/x", ""}, {}, false).status, 404);
  EXPECT_EQ(parse_request({"GET", "", ""}, {}, false).status, 404);
  EXPECT_EQ(parse_request({"PUT", "/dns-query", "application/dns-message"}, {}, false).status, 405);
  EXPECT_EQ(parse_request({"HEAD", "/dns-query?dns=AAAA", ""}, {}, false).status, 405);
}

std::vector<uint8_t> response(std::initializer_list<uint32_t> answer_ttls, std::initializer_list<uint32_t> ns_ttls) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().qr = true;
  auto name = *dns::Name::from_text("www.example.");
  b.add_question(name, 1, 1);
  uint8_t addr[4] = {192, 0, 2, 1};
  for (uint32_t ttl : answer_ttls) b.add_record(name, 1, 1, ttl, addr);
  b.begin(dns::Section::authority);
  for (uint32_t ttl : ns_ttls) b.add_record(name, 1, 1, ttl, addr);
  buf.resize(b.finish());
  return buf;
}

TEST(DohMaxAge, SmallestAnswerTtlElseAuthority) {
  EXPECT_EQ(max_age(response({300, 30, 600}, {5})), 30u);
  EXPECT_EQ(max_age(response({}, {60, 120})), 60u);
  EXPECT_EQ(max_age(response({}, {})), 0u);
  EXPECT_EQ(max_age(bytes("junk")), 0u);
}

}  // namespace
}  // namespace namae::net::doh
