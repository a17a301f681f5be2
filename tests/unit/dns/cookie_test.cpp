// Server cookies against RFC 9018 Appendix A's worked examples, and the
// verdicts of RFC 7873 5.2.
#include "dns/cookie.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace namae::dns {
namespace {

std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) out += "0123456789abcdef"[b >> 4], out += "0123456789abcdef"[b & 15];
  return out;
}

std::vector<uint8_t> ip(const char* text) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, text, buf) == 1) return {buf, buf + 4};
  EXPECT_EQ(inet_pton(AF_INET6, text, buf), 1);
  return {buf, buf + 16};
}

CookieSecret secret(const char* text) { return *CookieSecretSchedule::parse_secret(text); }

ServerCookies shared(const char* text) { return ServerCookies(CookieSecretSchedule::shared(secret(text))); }

TEST(ServerCookie, Rfc9018A1LearningANewServerCookie) {
  auto cookies = shared("e5e973e5a6b2a43f48e7dc849e37bfcf");
  CookieReply reply{};
  EXPECT_EQ(cookies.check(hex("2464c4abcf10c957"), ip("198.51.100.100"), 1559731985, reply),
            CookieVerdict::client_only);
  EXPECT_EQ(to_hex(reply), "2464c4abcf10c957010000005cf79f111f8130c3eee29480");
}

TEST(ServerCookie, Rfc9018A2TheSameClientRenewsAfter40Minutes) {
  auto cookies = shared("e5e973e5a6b2a43f48e7dc849e37bfcf");
  CookieReply reply{};
  EXPECT_EQ(cookies.check(hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"), ip("198.51.100.100"),
                          1559734385, reply),
            CookieVerdict::valid);
  EXPECT_EQ(to_hex(reply), "2464c4abcf10c957010000005cf7a871d4a564a1442aca77");
}

TEST(ServerCookie, Rfc9018A3ReservedOctetsTheClientSentAreHashed) {
  auto cookies = shared("e5e973e5a6b2a43f48e7dc849e37bfcf");
  CookieReply reply{};
  // Its timestamp (1559727985) is close to two hours old: a new cookie.
  EXPECT_EQ(cookies.check(hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5"), ip("203.0.113.203"),
                          1559734700, reply),
            CookieVerdict::invalid);
  EXPECT_EQ(to_hex(reply), "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e");
  // Within its hour, the hash over the reserved octets as sent holds.
  EXPECT_EQ(cookies.check(hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5"), ip("203.0.113.203"),
                          1559727985 + 60, reply),
            CookieVerdict::valid);
  // The same cookie from another address is not one we made.
  EXPECT_EQ(cookies.check(hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5"), ip("203.0.113.204"),
                          1559734700, reply),
            CookieVerdict::invalid);
}

TEST(ServerCookie, Rfc9018A4Ipv6ClientAcrossASecretRollover) {
  const uint8_t client_ip[] = {0x20, 0x01, 0x0d, 0xb8, 0x02, 0x20, 0x00, 0x01,
                               0x59, 0xde, 0xd0, 0xf4, 0x87, 0x69, 0x82, 0xb8};
  auto old_secret = shared("dd3bdf9344b678b185a6f5cb60fca715");
  CookieReply reply{};
  EXPECT_EQ(old_secret.check(hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8"), client_ip, 1559741961,
                             reply),
            CookieVerdict::valid);
  auto new_secret = shared("445536bcd2513298075a5d379663c962");
  EXPECT_EQ(new_secret.check(hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8"), client_ip, 1559741961,
                             reply),
            CookieVerdict::invalid);
  EXPECT_EQ(to_hex(reply), "22681ab97d52c298010000005cf7c609a6bb79d16625507a");
}

TEST(ServerCookie, LengthsRfc7873Allows) {
  auto cookies = shared("e5e973e5a6b2a43f48e7dc849e37bfcf");
  CookieReply reply{};
  for (size_t len : {0, 7, 9, 15, 41})
    EXPECT_EQ(cookies.check(std::vector<uint8_t>(len, 1), ip("192.0.2.1"), 1000, reply), CookieVerdict::malformed)
        << len;
  for (size_t len : {16, 24, 40})  // well formed, but not our 16-octet version-1 cookie
    EXPECT_EQ(cookies.check(std::vector<uint8_t>(len, 1), ip("192.0.2.1"), 1000, reply), CookieVerdict::invalid)
        << len;
}

TEST(ServerCookie, ValidForAnHourAndFiveMinutesAhead) {
  auto cookies = shared("e5e973e5a6b2a43f48e7dc849e37bfcf");
  const auto client_ip = ip("192.0.2.1");
  const uint8_t client[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  auto cookie_at = [&](uint32_t stamp) {
    auto server = cookies.make(std::span<const uint8_t, 8>(client), client_ip, stamp,
                               secret("e5e973e5a6b2a43f48e7dc849e37bfcf"));
    std::vector<uint8_t> option(client, client + 8);
    option.insert(option.end(), server.begin(), server.end());
    return option;
  };
  CookieReply reply{};
  const uint32_t now = 1559731985;
  EXPECT_EQ(cookies.check(cookie_at(now - 3600), client_ip, now, reply), CookieVerdict::valid);
  EXPECT_EQ(cookies.check(cookie_at(now - 3601), client_ip, now, reply), CookieVerdict::invalid);
  EXPECT_EQ(cookies.check(cookie_at(now + 300), client_ip, now, reply), CookieVerdict::valid);
  EXPECT_EQ(cookies.check(cookie_at(now + 301), client_ip, now, reply), CookieVerdict::invalid);
  // Across the wrap of the 32-bit timestamp, an hour is still an hour.
  EXPECT_EQ(cookies.check(cookie_at(4294964696u), client_ip, 1000, reply), CookieVerdict::valid);
  // A young cookie goes back unchanged; one past half its life is renewed.
  EXPECT_EQ(cookies.check(cookie_at(now - 60), client_ip, now, reply), CookieVerdict::valid);
  EXPECT_EQ(std::vector<uint8_t>(reply.begin(), reply.end()), cookie_at(now - 60));
  EXPECT_EQ(cookies.check(cookie_at(now - 1900), client_ip, now, reply), CookieVerdict::valid);
  EXPECT_EQ(std::vector<uint8_t>(reply.begin(), reply.end()), cookie_at(now));
}

TEST(ServerCookie, RotatingSecretsAcceptThePreviousPeriod) {
  std::array<uint8_t, 32> master{};
  master[0] = 42;
  ServerCookies cookies(CookieSecretSchedule::rotating(master, 86400));
  const auto client_ip = ip("2001:db8::1");
  CookieReply first{};
  const uint32_t day = 20000 * 86400u;
  ASSERT_EQ(cookies.check(hex("0102030405060708"), client_ip, day + 86400 - 10, first), CookieVerdict::client_only);
  // Made in the last seconds of one period, checked in the next: still valid, and renewed.
  CookieReply second{};
  EXPECT_EQ(cookies.check(first, client_ip, day + 86400 + 10, second), CookieVerdict::valid);
  EXPECT_NE(to_hex(first), to_hex(second));
  // Another master secret never accepts it.
  master[0] = 43;
  ServerCookies other(CookieSecretSchedule::rotating(master, 86400));
  EXPECT_EQ(other.check(first, client_ip, day + 86400, second), CookieVerdict::invalid);
}

TEST(ServerCookie, SecretParsing) {
  EXPECT_TRUE(CookieSecretSchedule::parse_secret("e5e973e5a6b2a43f48e7dc849e37bfcf"));
  EXPECT_TRUE(CookieSecretSchedule::parse_secret("0xE5E973E5A6B2A43F48E7DC849E37BFCF"));
  EXPECT_FALSE(CookieSecretSchedule::parse_secret("e5e973e5a6b2a43f48e7dc849e37bf"));
  EXPECT_FALSE(CookieSecretSchedule::parse_secret("g5e973e5a6b2a43f48e7dc849e37bfcf"));
}

}  // namespace
}  // namespace namae::dns
