#include "dns/rrtype.h"

#include <gtest/gtest.h>

using namespace namae::dns;

TEST(RrType, Mnemonics) {
  EXPECT_EQ(type_to_text(rrtype::A), "A");
  EXPECT_EQ(type_to_text(rrtype::CAA), "CAA");
  EXPECT_EQ(type_to_text(rrtype::TSIG), "TSIG");
  EXPECT_EQ(type_to_text(50), "NSEC3");
  EXPECT_EQ(type_to_text(51), "NSEC3PARAM");
  EXPECT_EQ(type_to_text(64), "SVCB");
  EXPECT_EQ(type_to_text(65), "HTTPS");
  EXPECT_EQ(type_to_text(23), "NSAP-PTR");
  EXPECT_EQ(type_to_text(0), "TYPE0");
  EXPECT_EQ(type_to_text(65534), "TYPE65534");
  EXPECT_EQ(type_to_text(65535), "TYPE65535");
  EXPECT_EQ(type_to_text(32769), "DLV");
}

TEST(RrType, FromText) {
  EXPECT_EQ(type_from_text("MX"), rrtype::MX);
  EXPECT_EQ(type_from_text("mx"), rrtype::MX);
  EXPECT_EQ(type_from_text("Aaaa"), rrtype::AAAA);
  EXPECT_EQ(type_from_text("nsec3param"), 51);
  EXPECT_EQ(type_from_text("nsap-ptr"), 23);
  EXPECT_EQ(type_from_text("TYPE65534"), 65534);
  EXPECT_EQ(type_from_text("type1"), 1);
  EXPECT_EQ(type_from_text("TYPE0"), 0);
  EXPECT_EQ(type_from_text("TYPE65535"), 65535);
  EXPECT_EQ(type_from_text("TYPE65536"), std::nullopt);
  EXPECT_EQ(type_from_text("TYPE999999"), std::nullopt);
  EXPECT_EQ(type_from_text("TYPE"), std::nullopt);
  EXPECT_EQ(type_from_text("TYPE-1"), std::nullopt);
  EXPECT_EQ(type_from_text("TYPE1x"), std::nullopt);
  EXPECT_EQ(type_from_text("1"), std::nullopt);
  EXPECT_EQ(type_from_text(""), std::nullopt);
  EXPECT_EQ(type_from_text("MXX"), std::nullopt);
  EXPECT_EQ(type_from_text("CLASS1"), std::nullopt);
  // Every mnemonic we print parses back to its value.
  for (uint32_t t = 0; t <= 65535; t += (t < 300 ? 1 : 97)) {
    auto back = type_from_text(type_to_text(static_cast<uint16_t>(t)));
    ASSERT_TRUE(back.has_value()) << t;
    EXPECT_EQ(*back, t);
  }
}

TEST(RrClass, BothWays) {
  EXPECT_EQ(class_to_text(rrclass::IN), "IN");
  EXPECT_EQ(class_to_text(rrclass::CH), "CH");
  EXPECT_EQ(class_to_text(rrclass::HS), "HS");
  EXPECT_EQ(class_to_text(rrclass::NONE), "NONE");
  EXPECT_EQ(class_to_text(rrclass::ANY), "ANY");
  EXPECT_EQ(class_to_text(2), "CLASS2");
  EXPECT_EQ(class_to_text(4096), "CLASS4096");
  EXPECT_EQ(class_from_text("in"), rrclass::IN);
  EXPECT_EQ(class_from_text("Chaos"), rrclass::CH);
  EXPECT_EQ(class_from_text("hesiod"), rrclass::HS);
  EXPECT_EQ(class_from_text("class4096"), 4096);
  EXPECT_EQ(class_from_text("CLASS65536"), std::nullopt);
  EXPECT_EQ(class_from_text("CLASS"), std::nullopt);
  EXPECT_EQ(class_from_text("TYPE1"), std::nullopt);
  EXPECT_EQ(class_from_text("INX"), std::nullopt);
}

TEST(Opcode, Text) {
  EXPECT_EQ(opcode_to_text(opcode::QUERY), "QUERY");
  EXPECT_EQ(opcode_to_text(opcode::NOTIFY), "NOTIFY");
  EXPECT_EQ(opcode_to_text(opcode::UPDATE), "UPDATE");
  EXPECT_EQ(opcode_to_text(3), "3");
  EXPECT_EQ(opcode_to_text(15), "15");
}

TEST(Rcode, Text) {
  EXPECT_EQ(rcode_to_text(rcode::NOERROR), "NOERROR");
  EXPECT_EQ(rcode_to_text(rcode::NXDOMAIN), "NXDOMAIN");
  EXPECT_EQ(rcode_to_text(rcode::NOTZONE), "NOTZONE");
  EXPECT_EQ(rcode_to_text(rcode::BADVERS), "BADVERS");
  EXPECT_EQ(rcode_to_text(rcode::BADCOOKIE), "BADCOOKIE");
  EXPECT_EQ(rcode_to_text(12), "RCODE12");
  EXPECT_EQ(rcode_to_text(4095), "RCODE4095");
}
