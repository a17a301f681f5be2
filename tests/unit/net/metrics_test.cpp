#include "net/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "net/address.h"

namespace namae::net {
namespace {

TEST(Metrics, SumsWorkersAndRendersPrometheusText) {
  MetricsRegistry reg;
  WorkerMetrics* a = reg.add_worker();
  WorkerMetrics* b = reg.add_worker();
  EXPECT_EQ(a->registry(), &reg);
  uint32_t slot = reg.zone_slot("Example.NET.");
  EXPECT_EQ(reg.zone_slot("example.net"), slot);  // case and trailing dot do not matter
  std::thread ta([&] {
    for (int i = 0; i < 1000; ++i) a->query(1, 0, false, 5000);
  });
  std::thread tb([&] {
    for (int i = 0; i < 500; ++i) b->query(28, 3, true, 2'000'000);
    b->zone_query(slot);
    b->dropped();
  });
  ta.join();
  tb.join();
  EXPECT_EQ(reg.total_queries(), 1500u);
  EXPECT_EQ(reg.total_dropped(), 1u);
  std::string t = reg.render();
  EXPECT_NE(t.find("namae_queries_total{proto=\"udp\"} 1000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("namae_queries_total{proto=\"tcp\"} 500\n"), std::string::npos);
  EXPECT_NE(t.find("namae_queries_by_type_total{qtype=\"AAAA\"} 500\n"), std::string::npos);
  EXPECT_NE(t.find("namae_responses_total{rcode=\"NXDOMAIN\"} 500\n"), std::string::npos);
  EXPECT_NE(t.find("namae_zone_queries_total{zone=\"example.net\"} 1\n"), std::string::npos);
  // 5 us lands in the first bucket (10 us); 2 ms in the 2.5 ms bucket; buckets are cumulative.
  EXPECT_NE(t.find("namae_query_duration_seconds_bucket{le=\"1e-05\"} 1000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("namae_query_duration_seconds_bucket{le=\"0.001\"} 1000\n"), std::string::npos);
  EXPECT_NE(t.find("namae_query_duration_seconds_bucket{le=\"0.0025\"} 1500\n"), std::string::npos);
  EXPECT_NE(t.find("namae_query_duration_seconds_bucket{le=\"+Inf\"} 1500\n"), std::string::npos);
  EXPECT_NE(t.find("namae_query_duration_seconds_count 1500\n"), std::string::npos);
  EXPECT_NE(t.find("process_resident_memory_bytes "), std::string::npos);
  // Every sample line is "name{labels} value" or "name value".
  size_t pos = 0;
  while (pos < t.size()) {
    size_t nl = t.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    std::string line = t.substr(pos, nl - pos);
    if (line[0] != '#') {
      EXPECT_EQ(std::count(line.begin(), line.end(), ' '), 1) << line;
    }
    pos = nl + 1;
  }
}

TEST(Metrics, QtypesPastTheTableAndZoneOverflowShareASlot) {
  MetricsRegistry reg;
  WorkerMetrics* w = reg.add_worker();
  w->query(65280, 0, false, 1);  // private-use type
  w->query(257, 0, false, 1);    // CAA (>= 256)
  for (size_t i = 0; i < kMaxZoneSlots + 5; ++i) reg.zone_slot("z" + std::to_string(i) + ".test");
  EXPECT_EQ(reg.zone_slot("late.test"), kMaxZoneSlots - 1);
  w->zone_query(reg.zone_slot("late.test"));
  std::string t = reg.render();
  EXPECT_NE(t.find("namae_queries_by_type_total{qtype=\"other\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("namae_zone_queries_total{zone=\"(other)\"} 1\n"), std::string::npos);
}

TEST(Metrics, RecordQueryReadsQtypeAndRcodeFromTheWire) {
  MetricsRegistry reg;
  WorkerMetrics* w = reg.add_worker();
  std::vector<uint8_t> q = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 15, 0, 1};
  std::vector<uint8_t> r = q;
  r[2] |= 0x80;
  r[3] = 5;  // REFUSED
  record_query(*w, q, r, false, 100);
  std::vector<uint8_t> loop = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  record_query(*w, loop, r, false, 100);  // qtype unreadable: counted as type 0
  record_query(*w, q, std::vector<uint8_t>(5), false, 100);  // not a message: a drop
  std::string t = reg.render();
  EXPECT_NE(t.find("namae_queries_by_type_total{qtype=\"MX\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("namae_queries_by_type_total{qtype=\"TYPE0\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("namae_responses_total{rcode=\"REFUSED\"} 2\n"), std::string::npos);
  EXPECT_EQ(reg.total_dropped(), 1u);
}

}  // namespace
}  // namespace namae::net
