#include "zonefile/writer.h"

#include <gtest/gtest.h>

#include <vector>

#include "dns/rrtype.h"

namespace namae::zonefile {
namespace {

using dns::Name;

TEST(Writer, SortCanonicalAndFormat) {
  std::vector<Record> rs(3);
  rs[0].owner = Name::from_text("b.example.").value();
  rs[1].owner = Name::from_text("A.example.").value();
  rs[2].owner = Name::from_text("a.example.").value();
  for (auto& r : rs) {
    r.type = dns::rrtype::A;
    r.rclass = 1;
  }
  rs[0].rdata = {192, 0, 2, 1};
  rs[1].rdata = {192, 0, 2, 9};
  rs[2].rdata = {192, 0, 2, 2};
  sort_canonical(rs);
  EXPECT_EQ(format_record(rs[0]), "a.example.\t0\tIN\tA\t192.0.2.2");
  EXPECT_EQ(format_record(rs[1]), "A.example.\t0\tIN\tA\t192.0.2.9");
  EXPECT_EQ(format_record(rs[2]), "b.example.\t0\tIN\tA\t192.0.2.1");
  EXPECT_LT(compare_rdata(dns::rrtype::A, rs[0].rdata, rs[1].rdata), 0);
  EXPECT_EQ(format_record("x.", 5, 1, dns::rrtype::A, rs[0].rdata), "x.\t5\tIN\tA\t192.0.2.2");
}

}  // namespace
}  // namespace namae::zonefile
