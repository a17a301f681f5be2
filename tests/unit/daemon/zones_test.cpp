#include "daemon/zones.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/signing.h"
#include "zone/load.h"

namespace namae::daemon {
namespace {

struct ZonesTest : ::testing::Test {
  std::string dir;
  net::MetricsRegistry metrics;
  zone::ZoneSetHolder holder;
  ZoneManager zones{holder, metrics};

  void SetUp() override {
    char tmpl[] = "/tmp/namae-zones-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir + "/" + name;
    std::string tmp = path + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, path);  // new inode: a change even within one mtime tick
    return path;
  }
  static std::string zone_text(int serial) {
    return "$ORIGIN a.test.\n$TTL 60\n@ IN SOA ns hm " + std::to_string(serial) +
           " 1 1 1 1\n@ IN NS ns\nns IN A 192.0.2.1\n";
  }
  uint32_t served_serial(const char* origin) {
    auto snap = holder.snapshot();
    auto z = snap->get(*dns::Name::from_text(origin));
    return z ? z->serial() : 0;
  }
};

TEST_F(ZonesTest, LoadsReloadsOnlyChangedAndKeepsOldVersionOnError) {
  ZoneConfig a;
  a.name = "a.test";
  a.file = write("a.zone", zone_text(1));
  ZoneConfig b;
  b.name = "b.test";
  b.file = dir + "/missing.zone";
  ASSERT_TRUE(zones.configure({a, b}).ok());

  auto r = zones.reload(true);
  EXPECT_EQ(r.loaded, 1);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(served_serial("a.test."), 1u);
  EXPECT_EQ(zones.loaded_zones(), 1u);
  EXPECT_EQ(metrics.zones_loaded.load(), 1);

  r = zones.reload();
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(r.loaded, 0);

  write("a.zone", zone_text(2));
  r = zones.reload();
  EXPECT_EQ(r.loaded, 1);
  EXPECT_EQ(served_serial("a.test."), 2u);

  write("a.zone", "$ORIGIN a.test.\n$TTL 60\n@ IN SOA ns hm 3 1 1 1 1\n@ IN NS ns\nns IN A 999.1.1.1\n");
  r = zones.reload();
  EXPECT_GE(r.failed, 1);
  EXPECT_EQ(served_serial("a.test."), 2u);  // the old version keeps serving
  bool named_line = false;
  for (const auto& e : r.errors) named_line |= e.find(a.file + ":5:") != std::string::npos;
  EXPECT_TRUE(named_line) << ::testing::PrintToString(r.errors);
  EXPECT_NE(zones.status().find("zone a.test serial 2 stale"), std::string::npos) << zones.status();
  EXPECT_NE(zones.status().find("zone b.test - not-loaded"), std::string::npos) << zones.status();

  // Fixed file: retried (even though the error was the last state) and loaded.
  write("a.zone", zone_text(4));
  r = zones.reload();
  EXPECT_EQ(served_serial("a.test."), 4u);
  EXPECT_NE(zones.status().find("zone a.test serial 4 loaded"), std::string::npos);

  // The missing zone appears later.
  write("missing.zone", "$ORIGIN b.test.\n$TTL 60\n@ IN SOA ns hm 7 1 1 1 1\n@ IN NS ns\nns IN A 192.0.2.1\n");
  r = zones.reload();
  EXPECT_EQ(served_serial("b.test."), 7u);
  EXPECT_EQ(zones.loaded_zones(), 2u);
}

// A zone signed from its file: each load is a new signed version, so its
// serial rises past the one last served even when the file's does not,
// across a restart (a new manager) too; a file with a higher serial wins.
TEST_F(ZonesTest, SignedFileZoneServesARisingSerialAcrossRestarts) {
  ZoneConfig a;
  a.name = "a.test";
  a.dnssec = true;
  a.key_directory = dir + "/keys";
  a.file = write("a.zone", zone_text(10));
  auto load = [&](ZoneManager& m) {
    ASSERT_TRUE(m.configure({a}).ok());
    auto ring = open_key_ring(a, ::time(nullptr));
    ASSERT_TRUE(ring.ok()) << ring.message();
    m.set_signer(*dns::Name::from_text("a.test."), (*ring)->signer());
    EXPECT_EQ(m.reload(true).loaded, 1);
  };
  load(zones);
  EXPECT_EQ(served_serial("a.test."), 10u);  // nothing served before: the file's
  EXPECT_EQ(read_served_serial(a), 10u);
  {
    zone::ZoneSetHolder holder2;
    ZoneManager restarted{holder2, metrics};
    load(restarted);
    EXPECT_EQ(holder2.snapshot()->get(*dns::Name::from_text("a.test."))->serial(), 11u);
  }
  write("a.zone", zone_text(5));  // edited without raising the serial enough
  EXPECT_EQ(zones.reload().loaded, 1);
  EXPECT_EQ(served_serial("a.test."), 12u);
  write("a.zone", zone_text(100));
  EXPECT_EQ(zones.reload().loaded, 1);
  EXPECT_EQ(served_serial("a.test."), 100u);
  EXPECT_EQ(read_served_serial(a), 100u);
}

TEST(SignedSerial, FollowsRfc1982) {
  EXPECT_EQ(serial_to_serve(7, std::nullopt), 7u);
  EXPECT_EQ(serial_to_serve(7, 7), 8u);
  EXPECT_EQ(serial_to_serve(8, 7), 8u);
  EXPECT_EQ(serial_to_serve(3, 0xFFFFFFFFu), 3u);   // 3 is after 2^32-1 in serial arithmetic
  EXPECT_EQ(serial_to_serve(5, 0xFFFFFFFFu - 1), 5u);
  EXPECT_EQ(serial_to_serve(0xFFFFFFF0u, 2), 3u);   // before 2: the next after the last served
  EXPECT_EQ(serial_to_serve(1, 0xFFFFFFFFu), 1u);
}

TEST_F(ZonesTest, ObserversSeeEveryNewVersionWhateverMadeIt) {
  std::vector<uint32_t> seen;
  zones.add_observer([&](const std::shared_ptr<const zone::ZoneVersion>& v) { seen.push_back(v->serial()); });
  ZoneConfig z;
  z.name = "a.test";
  z.file = write("a.zone", zone_text(1));
  ASSERT_TRUE(zones.configure({z}));
  zones.reload(true);
  EXPECT_EQ(seen, std::vector<uint32_t>{1});
  zones.reload(false);  // unchanged file: no new version
  EXPECT_EQ(seen, std::vector<uint32_t>{1});
  write("a.zone", zone_text(2));
  zones.reload(false);
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 2}));
  // A published version (dynamic update, later a transfer) takes the same path.
  zone::ZoneDiff diff;
  auto v = zones.version(*dns::Name::from_text("a.test."));
  auto next = v->apply(diff);
  ASSERT_TRUE(next);
  zones.publish_version(*next);
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 2, 2}));
}

TEST_F(ZonesTest, BadZoneNameIsAConfigError) {
  ZoneConfig z;
  z.name = std::string(70, 'x') + ".test";
  z.file = "f";
  auto r = zones.configure({z});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("zone '"), std::string::npos);
}

// Catalog members come and go while namaed runs: SERVFAIL until their first
// version, then served; removed, they leave the snapshot; a reload in
// between neither reads their files nor loses them.
TEST_F(ZonesTest, SecondaryZonesAddedAndRemovedAtRunTime) {
  ZoneConfig a;
  a.name = "a.test";
  a.file = write("a.zone", zone_text(1));
  ASSERT_TRUE(zones.configure({a}).ok());
  zones.reload(true);
  const auto m = *dns::Name::from_text("m.test.");
  ASSERT_TRUE(zones.add_secondary_zone(m, dir + "/m.zone").ok());
  EXPECT_FALSE(zones.add_secondary_zone(m, dir + "/m.zone").ok());  // one entry per origin
  EXPECT_FALSE(zones.add_secondary_zone(*dns::Name::from_text("a.test."), "x").ok());
  EXPECT_TRUE(holder.snapshot()->unavailable(*dns::Name::from_text("www.m.test."), nullptr));
  EXPECT_NE(zones.status().find("zone m.test. - not-transferred"), std::string::npos) << zones.status();
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_text("$TTL 60\n@ SOA ns hm 7 1 1 1 1\n@ NS ns\nns A 192.0.2.7\n", "m", m, diags);
  ASSERT_TRUE(v);
  zones.publish_version(*v);
  EXPECT_EQ(served_serial("m.test."), 7u);
  EXPECT_EQ(zones.reload(false).failed, 0);  // its file (none) is not the reload's
  EXPECT_EQ(served_serial("m.test."), 7u);
  EXPECT_NE(zones.status().find("catalog-member"), std::string::npos);
  EXPECT_TRUE(zones.remove_zone(m));
  EXPECT_FALSE(zones.remove_zone(m));
  EXPECT_EQ(served_serial("m.test."), 0u);
  EXPECT_FALSE(holder.snapshot()->unavailable(*dns::Name::from_text("www.m.test."), nullptr));
  zones.publish_version(*v);  // a late publish of a removed zone is dropped
  EXPECT_EQ(served_serial("m.test."), 0u);
  EXPECT_EQ(served_serial("a.test."), 1u);
}

}  // namespace
}  // namespace namae::daemon
