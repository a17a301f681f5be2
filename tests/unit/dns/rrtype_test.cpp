#include "dns/rrtype.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "dns/rdata.h"

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

// Every mnemonic of the IANA registry namae has ever known stays known, both ways.
TEST(RrType, RegistryMnemonics) {
  struct Entry {
    uint16_t type;
    std::string_view text;
  };
  const Entry kRegistry[] = {
      {1, "A"},         {2, "NS"},          {3, "MD"},          {4, "MF"},      {5, "CNAME"},
      {6, "SOA"},       {7, "MB"},          {8, "MG"},          {9, "MR"},      {10, "NULL"},
      {11, "WKS"},      {12, "PTR"},        {13, "HINFO"},      {14, "MINFO"},  {15, "MX"},
      {16, "TXT"},      {17, "RP"},         {18, "AFSDB"},      {19, "X25"},    {20, "ISDN"},
      {21, "RT"},       {22, "NSAP"},       {23, "NSAP-PTR"},   {24, "SIG"},    {25, "KEY"},
      {26, "PX"},       {27, "GPOS"},       {28, "AAAA"},       {29, "LOC"},    {30, "NXT"},
      {33, "SRV"},      {35, "NAPTR"},      {36, "KX"},         {37, "CERT"},   {38, "A6"},
      {39, "DNAME"},    {41, "OPT"},        {42, "APL"},        {43, "DS"},     {44, "SSHFP"},
      {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},       {48, "DNSKEY"}, {49, "DHCID"},
      {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},       {53, "SMIMEA"}, {55, "HIP"},
      {59, "CDS"},      {60, "CDNSKEY"},    {61, "OPENPGPKEY"}, {62, "CSYNC"},  {63, "ZONEMD"},
      {64, "SVCB"},     {65, "HTTPS"},      {99, "SPF"},        {104, "NID"},   {105, "L32"},
      {106, "L64"},     {107, "LP"},        {108, "EUI48"},     {109, "EUI64"}, {249, "TKEY"},
      {250, "TSIG"},    {251, "IXFR"},      {252, "AXFR"},      {253, "MAILB"}, {254, "MAILA"},
      {255, "ANY"},     {256, "URI"},       {257, "CAA"},       {32768, "TA"},  {32769, "DLV"},
  };
  for (const auto& e : kRegistry) {
    EXPECT_EQ(type_to_text(e.type), e.text);
    EXPECT_EQ(type_from_text(e.text), e.type) << e.text;
  }
  static_assert(rrtype::TKEY == 249 && rrtype::MAILB == 253 && rrtype::MAILA == 254 &&
                rrtype::NSEC3 == 50 && rrtype::NSEC3PARAM == 51 && rrtype::CDS == 59 &&
                rrtype::CDNSKEY == 60 && rrtype::NSAP_PTR == 23 && rrtype::NULL_ == 10);
}

// The one answer for every type number, against ranges written out here from
// RFC 6895 3.1 and the IANA registry (not recomputed from the table).
TEST(RrType, FlagsOfEveryType) {
  const std::set<uint32_t> kQuestionOnly = {251, 252, 253, 254, 255};  // IXFR AXFR MAILB MAILA *
  const std::set<uint32_t> kObsolete = {3, 4, 30, 38, 254, 32769};     // MD MF NXT A6 MAILA DLV
  // NS MD MF MB MX AFSDB RT SRV NAPTR KX
  const std::set<uint32_t> kAdditional = {2, 3, 4, 7, 15, 18, 21, 33, 35, 36};
  for (uint32_t t = 0; t <= 65535; ++t) {
    const auto type = static_cast<uint16_t>(t);
    // 0 reserved, OPT a pseudo-RR, 128-255 the Q/Meta range; everything else may be data.
    const bool meta = t == 0 || t == 41 || (t >= 128 && t <= 255);
    ASSERT_EQ(is_meta_type(type), meta) << t;
    ASSERT_EQ(is_question_only(type), kQuestionOnly.count(t) == 1) << t;
    ASSERT_EQ(is_obsolete(type), kObsolete.count(t) == 1) << t;
    ASSERT_EQ(needs_additional(type), kAdditional.count(t) == 1) << t;
  }
}

// Which rdata field gets additional-section processing (RFC 1035 3.3.9 MX
// exchange, RFC 2782 SRV target, RFC 3403 4.1 NAPTR replacement...).
TEST(RrType, AdditionalField) {
  const std::pair<uint16_t, std::string_view> kFields[] = {
      {rrtype::NS, "target"}, {rrtype::MD, "target"},   {rrtype::MF, "target"},
      {rrtype::MB, "target"}, {rrtype::MX, "exchange"}, {rrtype::AFSDB, "host"},
      {rrtype::RT, "host"},   {rrtype::SRV, "target"},  {rrtype::NAPTR, "replacement"},
      {rrtype::KX, "host"},
  };
  for (const auto& [type, field] : kFields) {
    const auto* info = rdata::find(type);
    ASSERT_NE(info, nullptr) << type;
    ASSERT_GE(info->additional, 0) << type;
    EXPECT_EQ(info->field_names[static_cast<size_t>(info->additional)], field) << type;
  }
  for (const auto& info : rdata::all_types())
    EXPECT_EQ(info.additional >= 0, needs_additional(info.type)) << info.type;
}

// RFC 4034 6.2 as amended by RFC 6840 5.1, for the declared types with names.
TEST(RrType, CanonicalLowercase) {
  // RFC 4034 6.2's list (as amended by RFC 6840 5.1), for the types with a layout.
  const std::set<uint16_t> kLower = {2,  3,  4,  5,  6,  7,  8,  9,  12, 14, 15, 17,
                                     18, 21, 24, 26, 30, 33, 35, 36, 38, 39, 46};
  for (const auto& info : rdata::all_types())
    EXPECT_EQ(info.canonical_lowercase, kLower.count(info.type) == 1) << info.type;
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
