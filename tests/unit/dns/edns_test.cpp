// EDNS option handling: option walking, the options namae interprets
// (UPDATE-LEASE, COOKIE) and dig-compatible text (strings taken from dig 9.18).
#include "dns/edns.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace namae::dns {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string text(uint16_t code, std::string_view data_hex) {
  auto d = hex(data_hex);
  return edns_option_to_text(EdnsOption{code, d});
}

TEST(Edns, CursorAndFind) {
  std::vector<uint8_t> raw;
  append_edns_option(raw, edns_option::NSID, {});
  append_edns_option(raw, edns_option::COOKIE, hex("0102030405060708"));
  append_edns_option(raw, 65001, hex("aabbcc"));
  append_edns_option(raw, edns_option::COOKIE, hex("ffffffffffffffff"));
  EXPECT_EQ(raw, hex("00030000000a000801020304050607"
                     "08fde90003aabbcc000a0008ffffffffffffffff"));
  EXPECT_TRUE(edns_options_valid(raw));
  Edns e;
  e.options = raw;
  auto c = e.option_cursor();
  EdnsOption o;
  std::vector<uint16_t> codes;
  while (c.next(o)) codes.push_back(o.code);
  EXPECT_EQ(codes, (std::vector<uint16_t>{3, 10, 65001, 10}));
  auto ck = e.find(edns_option::COOKIE);
  ASSERT_TRUE(ck.has_value());
  EXPECT_EQ(ck->data[0], 1);  // the first one
  EXPECT_FALSE(e.find(edns_option::PADDING).has_value());
  Edns empty;
  EXPECT_FALSE(empty.find(edns_option::NSID).has_value());
  EXPECT_TRUE(edns_options_valid({}));
}

TEST(Edns, MalformedListsRejectedAndCursorStops) {
  EXPECT_FALSE(edns_options_valid(hex("00")));
  EXPECT_FALSE(edns_options_valid(hex("000300")));
  EXPECT_FALSE(edns_options_valid(hex("00030002aa")));
  EXPECT_FALSE(edns_options_valid(hex("00030000ff")));
  EXPECT_FALSE(edns_options_valid(hex("0003ffff")));
  auto raw = hex("00030001aa000a0004bb");  // second option runs past the end
  Edns::OptionCursor c(raw);
  EdnsOption o;
  ASSERT_TRUE(c.next(o));
  EXPECT_EQ(o.code, 3);
  EXPECT_FALSE(c.next(o));
}

TEST(Edns, UpdateLease) {
  auto l = parse_update_lease(hex("00000e10"));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->lease, 3600u);
  EXPECT_FALSE(l->key_lease.has_value());
  l = parse_update_lease(hex("00000e1000015180"));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->lease, 3600u);
  EXPECT_EQ(l->key_lease, 86400u);
  EXPECT_FALSE(parse_update_lease(hex("")).has_value());
  EXPECT_FALSE(parse_update_lease(hex("000e10")).has_value());
  EXPECT_FALSE(parse_update_lease(hex("00000e1000")).has_value());
  EXPECT_FALSE(parse_update_lease(hex("00000e100001518000")).has_value());
  EXPECT_EQ(encode_update_lease({7200, std::nullopt}), hex("00001c20"));
  EXPECT_EQ(encode_update_lease({7200, 604800}), hex("00001c2000093a80"));
  auto back = parse_update_lease(encode_update_lease({1, 2}));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->lease, 1u);
  EXPECT_EQ(back->key_lease, 2u);
}

TEST(Edns, Cookie) {
  auto c = parse_cookie(hex("0123456789abcdef"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->client, hex("0123456789abcdef"));
  EXPECT_TRUE(c->server.empty());
  c = parse_cookie(hex("0123456789abcdef0011223344556677"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->server, hex("0011223344556677"));
  std::vector<uint8_t> max(40, 0x5a);
  c = parse_cookie(max);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->server.size(), 32u);
  for (size_t bad : {0, 7, 9, 15, 41}) {
    std::vector<uint8_t> d(bad, 1);
    EXPECT_FALSE(parse_cookie(d).has_value()) << bad;
  }
}

// Expected strings are what `dig +qr +ednsopt=...` 9.18 prints after "; ".
TEST(Edns, TextLikeDig) {
  EXPECT_EQ(text(3, ""), "NSID:");
  EXPECT_EQ(text(3, "6e7331"), "NSID: 6e 73 31 (\"ns1\")");
  EXPECT_EQ(text(10, "0123456789abcdef"), "COOKIE: 0123456789abcdef");
  EXPECT_EQ(text(10, "0123456789abcdef00112233445566778899"),
            "COOKIE: 0123456789abcdef00112233445566778899");
  EXPECT_EQ(text(10, "0001"), "COOKIE: 0001");
  EXPECT_EQ(text(9, ""), "EXPIRE:");
  EXPECT_EQ(text(9, "00000e10"), "EXPIRE: 3600 (1 hour)");
  EXPECT_EQ(text(9, "00015f8d"), "EXPIRE: 89997 (1 day 59 minutes 57 seconds)");
  EXPECT_EQ(text(9, "00093a80"), "EXPIRE: 604800 (1 week)");
  EXPECT_EQ(text(9, "00000001"), "EXPIRE: 1 (1 second)");
  EXPECT_EQ(text(9, "00000000"), "EXPIRE: 0 (0 seconds)");
  EXPECT_EQ(text(9, "0000"), "EXPIRE: 00 00 (\"..\")");
  EXPECT_EQ(text(11, ""), "TCP KEEPALIVE:");
  EXPECT_EQ(text(11, "012c"), "TCP KEEPALIVE: 30.0 secs");
  EXPECT_EQ(text(11, "00"), "TCP KEEPALIVE: 00 (\".\")");
  EXPECT_EQ(text(12, ""), "PAD:");
  EXPECT_EQ(text(12, "0000"), "PAD: (2 bytes)");
  EXPECT_EQ(text(15, ""), "EDE:");
  EXPECT_EQ(text(15, "0000"), "EDE: 0 (Other)");
  EXPECT_EQ(text(15, "00ff"), "EDE: 255");
  EXPECT_EQ(text(15, "0012414243"), "EDE: 18 (Prohibited): (ABC)");
  EXPECT_EQ(text(15, "00120001"), "EDE: 18 (Prohibited): (..)");
  EXPECT_EQ(text(8, ""), "CLIENT-SUBNET:");
  EXPECT_EQ(text(8, "00011800c00002"), "CLIENT-SUBNET: 192.0.2.0/24/0");
  EXPECT_EQ(text(8, "00020038200104"), "CLIENT-SUBNET: ::/0/56");
  EXPECT_EQ(text(8, "0002300020010db80001"), "CLIENT-SUBNET: 2001:db8:1::/48/0");
  EXPECT_EQ(text(65001, ""), "OPT=65001:");
  EXPECT_EQ(text(65001, "414243"), "OPT=65001: 41 42 43 (\"ABC\")");
  // UPDATE-LEASE (dig 9.18 shows it generically; namae names it).
  EXPECT_EQ(text(2, "00000e10"), "UPDATE-LEASE: 3600 (1 hour)");
  EXPECT_EQ(text(2, "00000e1000015180"), "UPDATE-LEASE: 3600 (1 hour), KEY-LEASE: 86400 (1 day)");
  EXPECT_EQ(text(2, "0e10"), "UPDATE-LEASE: 0e 10 (\"..\")");
}

TEST(EdnsEde, WritesCodeAndText) {
  std::array<uint8_t, 32> buf{};
  size_t n = write_ede_option(buf, ede::PROHIBITED, "no");
  ASSERT_EQ(n, 8u);
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(buf[1], 15);  // RFC 8914 2: option code 15
  EXPECT_EQ(buf[3], 4);
  EXPECT_EQ(buf[5], 18);
  Edns e;
  e.options = std::span<const uint8_t>(buf.data(), n);
  auto o = e.find(edns_option::EDE);
  ASSERT_TRUE(o);
  EXPECT_EQ(edns_option_to_text(*o), "EDE: 18 (Prohibited): (no)");
  EXPECT_EQ(write_ede_option(std::span<uint8_t>(buf.data(), 5), ede::PROHIBITED), 0u);
}

}  // namespace
}  // namespace namae::dns
