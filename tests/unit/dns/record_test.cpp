#include "dns/record.h"

#include <gtest/gtest.h>

namespace namae::dns {
namespace {

Record a_record(const char* owner, uint32_t ttl, uint8_t last) {
  return Record{*Name::from_text(owner), rrtype::A, rrclass::IN, ttl, {192, 0, 2, last}};
}

TEST(Record, SameRrIgnoresTtlAndOwnerCase) {
  EXPECT_TRUE(a_record("www.example.", 60, 1).same_rr(a_record("WWW.Example.", 300, 1)));
  EXPECT_FALSE(a_record("www.example.", 60, 1).same_rr(a_record("www.example.", 60, 2)));
  EXPECT_TRUE(a_record("www.example.", 60, 1).same_set(a_record("www.example.", 60, 2)));
  EXPECT_FALSE(a_record("www.example.", 60, 1) == a_record("www.example.", 61, 1));
}

TEST(Record, Text) {
  EXPECT_EQ(a_record("www.example.", 60, 1).to_text(), "www.example. 60 IN A 192.0.2.1");
}

TEST(RRset, Records) {
  RRset set{*Name::from_text("www.example."), rrtype::A, rrclass::IN, 60, {{192, 0, 2, 1}, {192, 0, 2, 2}}};
  auto rs = set.records();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[1], a_record("www.example.", 60, 2));
}

}  // namespace
}  // namespace namae::dns

namespace namae::dns {
namespace {

TEST(Rdata, EqualCanonicalIgnoresCaseOnlyInNamesOfListedTypes) {
  auto lower = Name::from_text("ns.example."), upper = Name::from_text("NS.Example.");
  RdataBytes ns_lower(lower->wire().begin(), lower->wire().end());
  RdataBytes ns_upper(upper->wire().begin(), upper->wire().end());
  EXPECT_TRUE(rdata::equal_canonical(rrtype::NS, ns_lower, ns_upper));
  RdataBytes txt_lower = {2, 'a', 'b'}, txt_upper = {2, 'A', 'B'};
  EXPECT_FALSE(rdata::equal_canonical(rrtype::TXT, txt_lower, txt_upper));
  EXPECT_TRUE(rdata::equal_canonical(rrtype::TXT, txt_lower, txt_lower));
  EXPECT_FALSE(rdata::equal_canonical(rrtype::NS, ns_lower, txt_lower));
}

}  // namespace
}  // namespace namae::dns
