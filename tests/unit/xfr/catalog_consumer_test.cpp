// The catalog consumer (RFC 9432 5): each new version of a consumed
// catalog diffed against the members it owns, with a recording fake of the
// secondary role; then the same consumer over a real SecondaryService and a
// fake primary, where members are added and removed while transfers run.
#include "xfr/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <map>
#include <mutex>

#include "base/clock.h"
#include "xfr/secondary_service.h"
#include "zone/load.h"

namespace namae::xfr {
namespace {

dns::Name name(const char* text) { return *dns::Name::from_text(text); }

std::shared_ptr<const zone::ZoneVersion> load(const std::string& body, const char* origin = "catalog.example.",
                                              uint32_t serial = 1) {
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_text("$TTL 0\n@ SOA invalid. invalid. " + std::to_string(serial) +
                                    " 3600 600 2147483646 0\n@ NS invalid.\n" + body,
                                "catalog", name(origin), diags);
  EXPECT_TRUE(v) << v.message();
  return v ? *v : nullptr;
}

class Recorder : public SecondaryZones {
 public:
  Result<void> add_secondary(const SecondaryZoneSpec& spec) override {
    if (refuse == spec.zone.to_text()) return fail("cannot");
    calls.push_back("add " + spec.zone.to_text() + " from " + spec.catalog.to_text() + " file " + spec.file);
    last = spec;
    if (on_add) on_add(spec);
    return {};
  }
  void remove_secondary(const dns::Name& zone) override { calls.push_back("remove " + zone.to_text()); }
  std::vector<std::string> take() { return std::exchange(calls, {}); }
  std::vector<std::string> calls;
  std::string refuse;
  SecondaryZoneSpec last;
  std::function<void(const SecondaryZoneSpec&)> on_add;
};

class ConsumerTest : public ::testing::Test {
 protected:
  ConsumerTest()
      : consumer(rec, [](const dns::Name& z) { return z == name("own.example."); },
                 [this](LogLevel, const std::string& line) { log.push_back(line); }) {
    consumer.add_catalog({name("catalog.example."), {{*net::parse_endpoint("127.0.0.1:5300"), std::nullopt}}, "/var/m"});
    consumer.add_catalog({name("cat2.example."), {}, "/var/m2"});
  }
  void publish(const std::string& body, const char* origin = "catalog.example.") {
    consumer.catalog_changed(*load(body, origin));
  }
  Recorder rec;
  std::vector<std::string> log;
  CatalogConsumer consumer;
};

TEST_F(ConsumerTest, AddsAndRemovesMembersAsTheCatalogChanges) {
  publish("version TXT \"2\"\na.zones PTR one.example.\nb.zones PTR two.example.\n");
  EXPECT_EQ(rec.take(), (std::vector<std::string>{"add one.example. from catalog.example. file /var/m/one.example.zone",
                                                  "add two.example. from catalog.example. file /var/m/two.example.zone"}));
  EXPECT_EQ(rec.last.primaries.size(), 1u);  // the catalog's primaries
  publish("version TXT \"2\"\na.zones PTR one.example.\nc.zones PTR three.example.\n");
  EXPECT_EQ(rec.take(), (std::vector<std::string>{"remove two.example.",
                                                  "add three.example. from catalog.example. file /var/m/three.example.zone"}));
  publish("version TXT \"2\"\na.zones PTR one.example.\nc.zones PTR three.example.\n");
  EXPECT_TRUE(rec.take().empty());  // same members: nothing
  EXPECT_EQ(consumer.members(name("catalog.example.")),
            (std::vector<std::string>{"one.example.", "three.example."}));
}

TEST_F(ConsumerTest, NewUniqueIdResetsTheMember) {
  publish("version TXT \"2\"\na.zones PTR one.example.\n");
  rec.take();
  publish("version TXT \"2\"\nz.zones PTR one.example.\n");
  EXPECT_EQ(rec.take(), (std::vector<std::string>{"remove one.example.",
                                                  "add one.example. from catalog.example. file /var/m/one.example.zone"}));
}

TEST_F(ConsumerTest, BrokenVersionChangesNothing) {
  publish("version TXT \"2\"\na.zones PTR one.example.\n");
  rec.take();
  publish("version TXT \"3\"\n");
  EXPECT_TRUE(rec.take().empty());
  publish("version TXT \"2\"\na.zones PTR two.example.\nb.zones PTR two.example.\n");
  EXPECT_TRUE(rec.take().empty());
  EXPECT_EQ(consumer.members(name("catalog.example.")), std::vector<std::string>{"one.example."});
  // Fixed again: processing resumes (RFC 9432 5.1).
  publish("version TXT \"2\"\na.zones PTR two.example.\n");
  EXPECT_EQ(rec.take(), (std::vector<std::string>{"remove one.example.",
                                                  "add two.example. from catalog.example. file /var/m/two.example.zone"}));
}

TEST_F(ConsumerTest, ConfiguredZonesAndOtherCatalogsMembersAreRefused) {
  publish("version TXT \"2\"\na.zones PTR own.example.\nb.zones PTR one.example.\n");
  EXPECT_EQ(rec.take().size(), 1u);  // own.example. refused
  publish("version TXT \"2\"\nx.zones PTR one.example.\n", "cat2.example.");
  EXPECT_TRUE(rec.take().empty());  // catalog.example. has it
  EXPECT_EQ(consumer.members(name("cat2.example.")), std::vector<std::string>{});
  bool logged = false;
  for (const auto& l : log) logged |= l.find("refused") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(ConsumerTest, ChangeOfOwnershipMovesTheMember) {
  publish("version TXT \"2\"\nb.zones PTR one.example.\ncoo.b.zones PTR cat2.example.\n");
  rec.take();
  publish("version TXT \"2\"\nx.zones PTR one.example.\n", "cat2.example.");
  EXPECT_EQ(rec.take(), (std::vector<std::string>{"remove one.example.",
                                                  "add one.example. from cat2.example. file /var/m2/one.example.zone"}));
  EXPECT_EQ(consumer.members(name("catalog.example.")), std::vector<std::string>{});
  // The old catalog dropping it afterwards does not remove it again.
  publish("version TXT \"2\"\n");
  EXPECT_TRUE(rec.take().empty());
}

TEST_F(ConsumerTest, FailedAddIsNotOwnedAndIsRetriedWithTheNextVersion) {
  rec.refuse = "one.example.";
  publish("version TXT \"2\"\na.zones PTR one.example.\n");
  EXPECT_TRUE(consumer.members(name("catalog.example.")).empty());
  rec.refuse.clear();
  publish("version TXT \"2\"\na.zones PTR one.example.\n");
  EXPECT_EQ(consumer.members(name("catalog.example.")), std::vector<std::string>{"one.example."});
}

TEST_F(ConsumerTest, VersionsOfOtherZonesAreIgnored) {
  publish("version TXT \"2\"\na.zones PTR one.example.\n", "elsewhere.example.");
  EXPECT_TRUE(rec.take().empty());
}

TEST_F(ConsumerTest, AMemberPublishedFromInsideAddComesBackWithoutDeadlock) {
  // The secondary role may publish the member's first version from
  // add_secondary(); the observer then hands it to the consumer again.
  rec.on_add = [&](const SecondaryZoneSpec& spec) {
    consumer.catalog_changed(*load("version TXT \"2\"\n", "one.example."));
  };
  publish("version TXT \"2\"\na.zones PTR one.example.\n");
  EXPECT_EQ(consumer.members(name("catalog.example.")), std::vector<std::string>{"one.example."});
}

TEST(CatalogConsumerFile, MemberFileNames) {
  EXPECT_EQ(CatalogConsumer::member_file("/d", name("Example.COM.")), "/d/example.com.zone");
  EXPECT_EQ(CatalogConsumer::member_file("/d/", name("a\\/b.example.")), "/d/a%2Fb.example.zone");
}


TEST_F(ConsumerTest, GroupAndCooPropertiesParseAndChangeNothing) {
  publish("version TXT \"2\"\na.zones PTR one.example.\ngroup.a.zones TXT \"blue\" \"green\"\n");
  EXPECT_EQ(rec.take().size(), 1u);
  EXPECT_EQ(rec.last.groups, (std::vector<std::string>{"blue", "green"}));
  // A new group, or a coo naming a catalog not consumed here: the member stays as it is.
  publish("version TXT \"2\"\na.zones PTR one.example.\ngroup.a.zones TXT \"red\"\n"
          "coo.a.zones PTR elsewhere.example.\nunknown.a.zones TXT \"x\"\n");
  EXPECT_TRUE(rec.take().empty());
  EXPECT_EQ(consumer.members(name("catalog.example.")), std::vector<std::string>{"one.example."});
}

TEST_F(ConsumerTest, AMemberRefusedAsConfiguredIsNotRemovedLater) {
  publish("version TXT \"2\"\na.zones PTR own.example.\n");
  EXPECT_TRUE(rec.take().empty());
  publish("version TXT \"2\"\n");
  EXPECT_TRUE(rec.take().empty());  // never owned: never removed (it is ours, not the catalog's)
}

// --- the consumer over a real SecondaryService -----------------------------------

// Serves whatever zones it is given, at their serials, by AXFR.
class FakePrimary : public Fetcher {
 public:
  void serve(std::shared_ptr<const zone::ZoneVersion> v) {
    std::lock_guard lock(mu_);
    zones_[v->origin().to_text()] = std::move(v);
  }
  Result<uint32_t> query_serial(const Remote&, const dns::Name& zone) override {
    auto v = get(zone);
    if (!v) return fail("SOA query: NOTAUTH");
    return v->serial();
  }
  Result<Transfer> transfer(const Remote&, const dns::Name& zone, const std::optional<dns::Record>&) override {
    auto v = get(zone);
    if (!v) return fail("AXFR: NOTAUTH");
    Transfer t;
    t.result.serial = v->serial();
    for (auto& r : v->records())  // the SOA first, once
      if (r.type == dns::rrtype::SOA) t.result.records.insert(t.result.records.begin(), r);
      else t.result.records.push_back(r);
    return t;
  }

 private:
  std::shared_ptr<const zone::ZoneVersion> get(const dns::Name& zone) {
    std::lock_guard lock(mu_);
    auto it = zones_.find(zone.to_text());
    return it == zones_.end() ? nullptr : it->second;
  }
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const zone::ZoneVersion>> zones_;
};

// The secondary role in miniature: what is served, by zone.
class ServiceZones : public SecondaryZones {
 public:
  explicit ServiceZones(SecondaryService& service) : service_(service) {}
  SecondaryHooks hooks() {
    return {[this](std::shared_ptr<const zone::ZoneVersion> v) {
              {
                std::lock_guard lock(mu);
                served[v->origin().to_text()] = v;
              }
              if (consumer) consumer->catalog_changed(*v);
            },
            {}};
  }
  Result<void> add_secondary(const SecondaryZoneSpec& spec) override {
    return service_.add({spec.zone, spec.primaries, spec.file, spec.file + ".jnl", 10}, hooks(), false);
  }
  void remove_secondary(const dns::Name& zone) override {
    auto gone = service_.remove(zone);
    std::lock_guard lock(mu);
    served.erase(zone.to_text());
    if (gone) std::filesystem::remove(gone->config().file);
  }
  bool serves(const char* zone) {
    std::lock_guard lock(mu);
    return served.count(zone) != 0;
  }
  CatalogConsumer* consumer = nullptr;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const zone::ZoneVersion>> served;

 private:
  SecondaryService& service_;
};

class ConsumerServiceTest : public ::testing::Test {
 protected:
  ConsumerServiceTest()
      : dir(std::filesystem::temp_directory_path() / ("namae-catalog-" + std::to_string(getpid()))),
        service(primary, clock),
        zones(service),
        consumer(zones, [](const dns::Name& z) { return z == name("own.example."); }) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "members");
    zones.consumer = &consumer;
    Remote p{*net::parse_endpoint("192.0.2.53:53"), std::nullopt};
    consumer.add_catalog({name("catalog.example."), {p}, (dir / "members").string()});
    primary.serve(member("one.example."));
    primary.serve(member("two.example."));
  }
  ~ConsumerServiceTest() override { std::filesystem::remove_all(dir); }
  static std::shared_ptr<const zone::ZoneVersion> member(const char* origin) {
    return load("www A 192.0.2.1\n", origin);
  }
  void add_catalog() {
    Remote p{*net::parse_endpoint("192.0.2.53:53"), std::nullopt};
    auto file = (dir / "catalog.zone").string();
    ASSERT_TRUE(service.add({name("catalog.example."), {p}, file, file + ".jnl", 10}, zones.hooks(), false));
  }
  void tick(const char* zone) {
    auto s = service.find(name(zone));
    ASSERT_TRUE(s) << zone;
    s->tick();
  }
  bool member_file(const char* zone) { return std::filesystem::exists(dir / "members" / (std::string(zone) + "zone")); }

  std::filesystem::path dir;
  FakeClock clock;
  FakePrimary primary;
  SecondaryService service;
  ServiceZones zones;
  CatalogConsumer consumer;
};

TEST_F(ConsumerServiceTest, MembersAreTransferredServedAndRetiredWithTheCatalog) {
  primary.serve(load("version TXT \"2\"\na.zones PTR one.example.\n", "catalog.example.", 1));
  add_catalog();
  tick("catalog.example.");  // the catalog's first transfer adds one.example.
  ASSERT_TRUE(service.find(name("one.example.")));
  EXPECT_FALSE(zones.serves("one.example."));  // SERVFAIL until its own transfer
  tick("one.example.");
  EXPECT_TRUE(zones.serves("one.example."));
  EXPECT_TRUE(member_file("one.example."));

  // one.example. leaves while someone still holds its secondary (a tick in
  // another round): retired, it does nothing more and its file stays gone.
  auto held = service.find(name("one.example."));
  primary.serve(load("version TXT \"2\"\nb.zones PTR two.example.\n", "catalog.example.", 2));
  primary.serve(load("www A 192.0.2.9\n", "one.example.", 2));
  clock.advance_ms(3'600'000);  // the catalog's refresh is due
  tick("catalog.example.");
  EXPECT_FALSE(service.find(name("one.example.")));
  EXPECT_FALSE(zones.serves("one.example."));
  EXPECT_FALSE(member_file("one.example."));
  held->retransfer_soon();
  held->tick();
  EXPECT_FALSE(zones.serves("one.example."));
  EXPECT_FALSE(member_file("one.example."));
  EXPECT_EQ(held->next_event_ms(), INT64_MAX);
  tick("two.example.");
  EXPECT_TRUE(zones.serves("two.example."));
}

// The same on the service's own thread, while another thread looks the
// members up as NOTIFY, `ctl zone` and /metrics do.
TEST_F(ConsumerServiceTest, TheServiceThreadAddsAndRemovesMembersWhileOthersLook) {
  auto eventually = [](const std::function<bool()>& cond) {
    for (int i = 0; i < 500 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return cond();
  };
  primary.serve(load("version TXT \"2\"\na.zones PTR one.example.\n", "catalog.example.", 1));
  add_catalog();
  service.start();
  std::atomic<bool> done{false};
  std::thread looker([&] {
    while (!done) {
      if (auto s = service.find(name("one.example."))) s->status();
      service.control("status", "two.example");
      service.metrics();
    }
  });
  EXPECT_TRUE(eventually([&] { return zones.serves("one.example."); }));
  primary.serve(load("version TXT \"2\"\nb.zones PTR two.example.\n", "catalog.example.", 2));
  service.notify(name("catalog.example."));
  EXPECT_TRUE(eventually([&] { return zones.serves("two.example.") && !zones.serves("one.example."); }));
  done = true;
  looker.join();
  service.stop();
  EXPECT_FALSE(service.find(name("one.example.")));
  EXPECT_FALSE(member_file("one.example."));
  EXPECT_TRUE(member_file("two.example."));
}

TEST_F(ConsumerServiceTest, BrokenCatalogKeepsTheMembersServed) {
  primary.serve(load("version TXT \"2\"\na.zones PTR one.example.\n", "catalog.example.", 1));
  add_catalog();
  tick("catalog.example.");
  tick("one.example.");
  primary.serve(load("version TXT \"1\"\n", "catalog.example.", 2));
  clock.advance_ms(3'600'000);  // the catalog's refresh is due
  tick("catalog.example.");
  EXPECT_EQ(service.find(name("catalog.example."))->version()->serial(), 2u);
  EXPECT_TRUE(service.find(name("one.example.")));
  EXPECT_TRUE(zones.serves("one.example."));
}

TEST_F(ConsumerServiceTest, RestartServesMembersFromTheSavedCopies) {
  primary.serve(load("version TXT \"2\"\na.zones PTR one.example.\n", "catalog.example.", 1));
  add_catalog();
  tick("catalog.example.");
  tick("one.example.");
  // The first "namaed" stops (retiring closes the journals, files stay)...
  service.remove(name("catalog.example."));
  service.remove(name("one.example."));
  // ...and a second starts over the same files with no primary reachable:
  // the catalog's saved copy lists one.example., whose saved copy is served.
  FakePrimary down;
  SecondaryService again(down, clock);
  ServiceZones zones2(again);
  CatalogConsumer consumer2(zones2, {});
  zones2.consumer = &consumer2;
  consumer2.add_catalog({name("catalog.example."), {}, (dir / "members").string()});
  auto file = (dir / "catalog.zone").string();
  auto added = again.add({name("catalog.example."), {}, file, file + ".jnl", 10}, zones2.hooks(), false);
  ASSERT_TRUE(added) << added.message();
  EXPECT_TRUE(zones2.serves("one.example."));
  EXPECT_EQ(consumer2.members(name("catalog.example.")), std::vector<std::string>{"one.example."});
}

}  // namespace
}  // namespace namae::xfr
