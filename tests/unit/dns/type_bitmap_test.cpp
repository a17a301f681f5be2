#include <gtest/gtest.h>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"

namespace namae::dns {
namespace {

// RFC 4034 4.3: alfa.example.com. NSEC host.example.com. A MX RRSIG NSEC TYPE1234.
TEST(TypeBitmap, Rfc4034Section43Example) {
  RdataBytes out;
  rdata::append_type_bitmap({1234, rrtype::NSEC, rrtype::A, rrtype::RRSIG, rrtype::MX, rrtype::A}, out);
  EXPECT_EQ(hex_encode(out),
            "0006400100000003"
            "041b000000000000000000000000000000000000000000000000000020");
  auto types = rdata::type_bitmap_types(out);
  ASSERT_TRUE(types);
  EXPECT_EQ(*types, (std::vector<uint16_t>{rrtype::A, rrtype::MX, rrtype::RRSIG, rrtype::NSEC, 1234}));
}

TEST(TypeBitmap, RejectsMalformed) {
  EXPECT_TRUE(rdata::type_bitmap_types({}));  // empty: an NSEC3 of an empty non-terminal
  const uint8_t zero_len[] = {0, 0};
  const uint8_t short_bits[] = {0, 3, 0x40};
  const uint8_t out_of_order[] = {4, 1, 0x80, 0, 1, 0x40};
  EXPECT_FALSE(rdata::type_bitmap_types(zero_len));
  EXPECT_FALSE(rdata::type_bitmap_types(short_bits));
  EXPECT_FALSE(rdata::type_bitmap_types(out_of_order));
}

}  // namespace
}  // namespace namae::dns
