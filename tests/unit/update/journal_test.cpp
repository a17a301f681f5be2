// Journal: round trips (byte-identical diffs), the serial chain (refused on
// commit, detected on read, RFC 1982 wrap), group-commit atomicity, leases,
// compaction, reopening, and files that are not this zone's journal (another
// zone, another application's database, garbage, corruption) refused cleanly.
#include "update/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../zone/zone_test_util.h"
#include "dns/rrtype.h"
#include "zone/builder.h"

namespace namae::update {
namespace {

using namespace dns::rrtype;
using dns::Name;
using zone::ZoneDiff;
using zone::test::N;
using zone::test::name_rdata;
using zone::test::soa_rdata;


dns::RdataBytes a(uint32_t n) {
  return {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

dns::Record soa(uint32_t serial) {
  return {N("example."), SOA, dns::rrclass::IN, 3600, soa_rdata(serial)};
}

// The diff an update adding host<n> makes: SOA from -> to, one A record.
JournalEntry entry(uint32_t from, uint32_t to, uint32_t n = 0) {
  JournalEntry e;
  e.serial_from = from;
  e.serial_to = to;
  e.committed_at = 1700000000 + n;
  e.diff.removed.push_back(soa(from));
  e.diff.added.push_back(soa(to));
  e.diff.added.push_back(
      {N("host" + std::to_string(n) + ".example."), A, dns::rrclass::IN, 60, a(n)});
  return e;
}

Lease lease(const std::string& owner, uint16_t type, dns::RdataBytes rdata, int64_t expires,
            const std::string& who = "laptop") {
  Lease l;
  l.owner = N(owner);
  l.type = type;
  l.rdata = std::move(rdata);
  l.expires_at = expires;
  l.granted_to = who;
  return l;
}

void expect_same_records(const std::vector<dns::Record>& a, const std::vector<dns::Record>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    // Byte-identical: the owner keeps its case, not only its equality.
    EXPECT_TRUE(std::equal(a[i].owner.wire().begin(), a[i].owner.wire().end(),
                           b[i].owner.wire().begin(), b[i].owner.wire().end()))
        << a[i].owner.to_text() << " vs " << b[i].owner.to_text();
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].ttl, b[i].ttl);
    EXPECT_EQ(a[i].rdata, b[i].rdata);
  }
}

void expect_same_entry(const JournalEntry& a, const JournalEntry& b) {
  EXPECT_EQ(a.serial_from, b.serial_from);
  EXPECT_EQ(a.serial_to, b.serial_to);
  EXPECT_EQ(a.committed_at, b.committed_at);
  expect_same_records(a.diff.removed, b.diff.removed);
  expect_same_records(a.diff.added, b.diff.added);
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/namae-journal-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/example.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Journal> open(const std::string& origin = "example.") {
    auto j = Journal::open(path_, N(origin));
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.message());
    return j.ok() ? std::move(*j) : nullptr;
  }

  // Run SQL on the journal file behind the Journal's back (tampering).
  void raw_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(JournalTest, EmptyJournal) {
  auto j = open();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->path(), path_);
  EXPECT_FALSE(j->last_serial()->has_value());
  EXPECT_FALSE(j->first_serial()->has_value());
  EXPECT_EQ(*j->entry_count(), 0u);
  auto e = j->entries_since(42);
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_TRUE(e->empty());
  EXPECT_TRUE(j->leases()->empty());
  EXPECT_TRUE(j->commit_batch({}, {}).ok());
}

TEST_F(JournalTest, CommitRoundTripIsByteIdentical) {
  auto j = open();
  ASSERT_TRUE(j);
  std::vector<JournalEntry> sent;
  sent.push_back(entry(10, 11, 1));
  // Mixed case owners, a name in rdata, empty rdata, long rdata, several types.
  JournalEntry e2;
  e2.serial_from = 11;
  e2.serial_to = 12;
  e2.committed_at = -5;
  e2.diff.removed = {soa(11), {N("HoSt1.Example."), A, dns::rrclass::IN, 60, a(1)}};
  e2.diff.added = {
      soa(12),
      {N("MiXeD.example."), CNAME, dns::rrclass::IN, 0xffffffffu, name_rdata("Target.Example.")},
      {N("empty.example."), 65280, dns::rrclass::IN, 5, {}},
      {N("txt.example."), TXT, dns::rrclass::IN, 300, dns::RdataBytes(2000, 7)}};
  sent.push_back(e2);
  sent.push_back(entry(12, 13, 3));
  for (const auto& e : sent) ASSERT_TRUE(j->commit(e).ok());

  auto all = j->entries_since(10);
  ASSERT_TRUE(all.ok()) << all.message();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < 3; ++i) expect_same_entry((*all)[i], sent[i]);

  auto tail = j->entries_since(11);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  expect_same_entry((*tail)[0], sent[1]);
  EXPECT_TRUE(j->entries_since(13)->empty());
  EXPECT_EQ(**j->last_serial(), 13u);
  EXPECT_EQ(**j->first_serial(), 10u);
  EXPECT_EQ(*j->entry_count(), 3u);
}

TEST_F(JournalTest, CommitRefusesWhatBreaksTheChain) {
  auto j = open();
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  auto gap = j->commit(entry(3, 4));
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.message().find("does not continue the chain"), std::string::npos) << gap.message();
  EXPECT_NE(gap.message().find(path_), std::string::npos);
  auto same = j->commit(entry(2, 2));
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.message().find("forward"), std::string::npos);
  // 2 -> 2^31 + 2 is exactly half the serial space away: undefined in RFC 1982.
  EXPECT_FALSE(j->commit(entry(2, 0x80000002u)).ok());
  EXPECT_FALSE(j->commit(entry(2, 1)).ok());  // backwards
  EXPECT_EQ(*j->entry_count(), 1u);
  EXPECT_TRUE(j->commit(entry(2, 0x80000001u)).ok());  // the largest legal step
  // reset() lets the owner start a new chain, leases untouched.
  ASSERT_TRUE(j->commit(entry(0x80000001u, 0x80000002u),
                        LeaseChanges{{lease("h.example.", A, a(1), 99)}, {}})
                  .ok());
  ASSERT_TRUE(j->reset().ok());
  EXPECT_EQ(*j->entry_count(), 0u);
  EXPECT_EQ(j->leases()->size(), 1u);
  EXPECT_TRUE(j->commit(entry(500, 501)).ok());
}

TEST_F(JournalTest, BrokenChainOnDiskIsReported) {
  {
    auto j = open();
    ASSERT_TRUE(j);
    for (uint32_t s = 1; s <= 4; ++s) ASSERT_TRUE(j->commit(entry(s, s + 1, s)).ok());
  }
  raw_sql("DELETE FROM entries WHERE serial_from = 2");
  auto j = open();
  ASSERT_TRUE(j);
  auto r = j->entries_since(1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("chain broken"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find(path_), std::string::npos);
  // After the hole the chain is whole again.
  auto tail = j->entries_since(3);
  ASSERT_TRUE(tail.ok()) << tail.message();
  EXPECT_EQ(tail->size(), 2u);
  // A serial the journal never had (the zone file is older than the journal
  // after compaction, or newer after a hand edit).
  auto missing = j->entries_since(2);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("not in the journal"), std::string::npos) << missing.message();
  EXPECT_FALSE(j->entries_since(77).ok());
}

TEST_F(JournalTest, SerialWrapsPerRfc1982) {
  auto j = open();
  ASSERT_TRUE(j);
  // BIND's increment skips 0 on wrap (4294967295 -> 1); 0 is legal as well.
  ASSERT_TRUE(j->commit(entry(4294967294u, 4294967295u, 1)).ok());
  ASSERT_TRUE(j->commit(entry(4294967295u, 1, 2)).ok());
  ASSERT_TRUE(j->commit(entry(1, 2, 3)).ok());
  auto all = j->entries_since(4294967294u);
  ASSERT_TRUE(all.ok()) << all.message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].serial_from, 4294967295u);
  EXPECT_EQ((*all)[1].serial_to, 1u);
  EXPECT_EQ(**j->last_serial(), 2u);
  // Both 4294967295 and 1 are "at or before 1" in serial arithmetic, though
  // not numerically.
  ASSERT_TRUE(j->compact(1, 0).ok());
  auto rest = j->entries_since(1);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(*j->entry_count(), 1u);

  auto j2path = dir_ + "/zero.db";
  auto j2 = Journal::open(j2path, N("example."));
  ASSERT_TRUE(j2.ok());
  EXPECT_TRUE((*j2)->commit(entry(4294967295u, 0)).ok());
  EXPECT_TRUE((*j2)->commit(entry(0, 1)).ok());
  EXPECT_EQ((*j2)->entries_since(4294967295u)->size(), 2u);
}

TEST(SerialArithmetic, Rfc1982) {
  EXPECT_TRUE(serial_lt(1, 2));
  EXPECT_TRUE(serial_lt(4294967295u, 0));
  EXPECT_TRUE(serial_lt(4294967295u, 1));
  EXPECT_FALSE(serial_lt(1, 4294967295u));
  EXPECT_FALSE(serial_lt(5, 5));
  EXPECT_TRUE(serial_lt(0, 0x7fffffffu));
  EXPECT_FALSE(serial_lt(0, 0x80000000u));  // undefined: neither
  EXPECT_FALSE(serial_lt(0x80000000u, 0));
}

TEST_F(JournalTest, FailingBatchLeavesNothing) {
  auto j = open();
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  std::vector<JournalEntry> batch = {entry(2, 3, 1), entry(3, 4, 2), entry(9, 10, 3)};
  std::vector<LeaseChanges> leases(3);
  leases[0].upserted.push_back(lease("a.example.", A, a(1), 100));
  leases[1].upserted.push_back(lease("b.example.", A, a(2), 100));
  auto r = j->commit_batch(batch, leases);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*j->entry_count(), 1u);
  EXPECT_EQ(**j->last_serial(), 2u);
  EXPECT_TRUE(j->leases()->empty());

  // The same batch with a good tail goes in whole, with its leases.
  batch[2] = entry(4, 5, 3);
  ASSERT_TRUE(j->commit_batch(batch, leases).ok());
  EXPECT_EQ(*j->entry_count(), 4u);
  EXPECT_EQ(j->leases()->size(), 2u);
  // Fewer lease changes than entries is fine (the rest have none); more is not.
  std::vector<JournalEntry> two = {entry(5, 6), entry(6, 7)};
  EXPECT_TRUE(j->commit_batch(two, std::span<const LeaseChanges>(leases).first(1)).ok());
  std::vector<JournalEntry> one = {entry(7, 8)};
  EXPECT_FALSE(j->commit_batch(one, leases).ok());
  EXPECT_EQ(**j->last_serial(), 7u);
}

TEST_F(JournalTest, LeasesUpsertRemoveList) {
  auto j = open();
  ASSERT_TRUE(j);
  LeaseChanges lc;
  lc.upserted = {lease("laptop.example.", A, a(1), 300, "laptop"),
                 lease("laptop.example.", AAAA, dns::RdataBytes(16, 1), 200, "laptop"),
                 lease("phone.example.", CNAME, name_rdata("Laptop.Example."), 100, "phone")};
  ASSERT_TRUE(j->commit(entry(1, 2), lc).ok());
  auto l = j->leases();
  ASSERT_TRUE(l.ok()) << l.message();
  ASSERT_EQ(l->size(), 3u);
  // Soonest expiry first.
  EXPECT_EQ((*l)[0].owner.to_text(), "phone.example.");
  EXPECT_EQ((*l)[0].granted_to, "phone");
  EXPECT_EQ((*l)[0].rdata, name_rdata("Laptop.Example."));
  EXPECT_EQ((*l)[2].type, A);
  EXPECT_EQ((*l)[2].expires_at, 300);

  // Renewal: same owner (other case), type and rdata (names in rdata compare
  // case-insensitively) replaces, never duplicates.
  LeaseChanges renew;
  renew.upserted = {lease("LAPTOP.example.", A, a(1), 900, "laptop2"),
                    lease("phone.example.", CNAME, name_rdata("laptop.example."), 950, "phone")};
  ASSERT_TRUE(j->commit(entry(2, 3), renew).ok());
  l = j->leases();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0].type, AAAA);
  EXPECT_EQ((*l)[1].owner.to_text(), "LAPTOP.example.");
  EXPECT_EQ((*l)[1].expires_at, 900);
  EXPECT_EQ((*l)[1].granted_to, "laptop2");
  EXPECT_EQ((*l)[2].expires_at, 950);

  auto due = j->leases_expiring_by(900);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].type, AAAA);
  EXPECT_TRUE(j->leases_expiring_by(199)->empty());

  // Removal by key; removing an absent lease is not an error; a different
  // rdata is a different lease.
  LeaseChanges rm;
  rm.removed = {lease("laptop.example.", A, a(2), 0),
                lease("Laptop.example.", AAAA, dns::RdataBytes(16, 1), 0),
                lease("nothere.example.", A, a(1), 0)};
  ASSERT_TRUE(j->commit(entry(3, 4), rm).ok());
  l = j->leases();
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].type, A);
  EXPECT_EQ((*l)[1].type, CNAME);
  // Upsert and removal of the same lease in one change: removal first, so it stays.
  LeaseChanges both;
  both.removed = {lease("laptop.example.", A, a(1), 0)};
  both.upserted = {lease("laptop.example.", A, a(1), 1000)};
  ASSERT_TRUE(j->commit(entry(4, 5), both).ok());
  EXPECT_EQ((*j->leases())[0].expires_at, 950);
  EXPECT_EQ((*j->leases())[1].expires_at, 1000);
}

TEST_F(JournalTest, CompactKeepsTheTail) {
  auto j = open();
  ASSERT_TRUE(j);
  for (uint32_t s = 100; s < 110; ++s) ASSERT_TRUE(j->commit(entry(s, s + 1, s)).ok());
  // A serial before every entry's end drops nothing.
  ASSERT_TRUE(j->compact(100, 0).ok());
  EXPECT_EQ(*j->entry_count(), 10u);
  // Zone file at 108: entries ending at or before 108 go, unless kept for IXFR.
  ASSERT_TRUE(j->compact(108, 5).ok());
  EXPECT_EQ(*j->entry_count(), 5u);
  EXPECT_EQ(**j->first_serial(), 105u);
  ASSERT_TRUE(j->compact(108, 0).ok());
  EXPECT_EQ(*j->entry_count(), 2u);
  EXPECT_EQ(**j->first_serial(), 108u);
  auto tail = j->entries_since(108);
  ASSERT_TRUE(tail.ok()) << tail.message();
  ASSERT_EQ(tail->size(), 2u);
  expect_same_entry((*tail)[1], entry(109, 110, 109));
  // A compacted-away serial is no longer reachable.
  EXPECT_FALSE(j->entries_since(104).ok());
  // Everything written out: all may go, and the chain continues afterwards.
  ASSERT_TRUE(j->compact(110, 0).ok());
  EXPECT_EQ(*j->entry_count(), 0u);
  EXPECT_FALSE(j->last_serial()->has_value());
  EXPECT_TRUE(j->commit(entry(110, 111)).ok());
  EXPECT_EQ(j->entries_since(110)->size(), 1u);
}

TEST_F(JournalTest, ReopenAfterClose) {
  {
    auto j = open();
    ASSERT_TRUE(j);
    for (uint32_t s = 1; s <= 20; ++s) ASSERT_TRUE(j->commit(entry(s, s + 1, s)).ok());
    ASSERT_TRUE(
        j->commit(entry(21, 22), LeaseChanges{{lease("x.example.", A, a(9), 77)}, {}}).ok());
  }
  auto j = open("EXAMPLE.");  // the origin compares case-insensitively
  ASSERT_TRUE(j);
  EXPECT_EQ(**j->last_serial(), 22u);
  auto all = j->entries_since(1);
  ASSERT_TRUE(all.ok()) << all.message();
  ASSERT_EQ(all->size(), 21u);
  expect_same_entry((*all)[4], entry(5, 6, 5));
  ASSERT_EQ(j->leases()->size(), 1u);
  EXPECT_EQ((*j->leases())[0].expires_at, 77);
  EXPECT_TRUE(j->commit(entry(22, 23)).ok());
  EXPECT_FALSE(j->commit(entry(1, 2)).ok());
}

TEST_F(JournalTest, UsesWalWithFullSync) {
  auto j = open();
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  // WAL mode is recorded in the file header (and the -wal file exists while open).
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(JournalTest, AnotherZonesJournalIsRefused) {
  {
    auto j = open("example.");
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  }
  auto other = Journal::open(path_, N("example.net."));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.message().find("belongs to zone example."), std::string::npos) << other.message();
  EXPECT_NE(other.message().find("example.net."), std::string::npos);
  EXPECT_NE(other.message().find(path_), std::string::npos);
  // Refusing did not damage it.
  auto j = open("example.");
  ASSERT_TRUE(j);
  EXPECT_EQ(*j->entry_count(), 1u);
}

TEST_F(JournalTest, SecondServerOnTheSameJournalIsRefused) {
  auto j = open("example.");
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  auto second = Journal::open(path_, N("example."));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.message().find("in use by another process"), std::string::npos)
      << second.message();
  // A non-exclusive reader still can, and the holder is unaffected.
  auto reader = Journal::open(path_, N("example."), /*exclusive=*/false);
  ASSERT_TRUE(reader.ok()) << reader.message();
  EXPECT_EQ(*(*reader)->entry_count(), 1u);
  ASSERT_TRUE(j->commit(entry(2, 3)).ok());
  // Released with the journal.
  j.reset();
  EXPECT_TRUE(Journal::open(path_, N("example.")).ok());
}

TEST_F(JournalTest, GarbageFileIsRefusedCleanly) {
  std::mt19937 rng(7);
  for (size_t size : {size_t{1}, size_t{100}, size_t{4096}, size_t{100000}}) {
    {
      std::ofstream f(path_, std::ios::binary | std::ios::trunc);
      for (size_t i = 0; i < size; ++i) f.put(static_cast<char>(rng()));
    }
    auto j = Journal::open(path_, N("example."));
    ASSERT_FALSE(j.ok()) << size;
    EXPECT_NE(j.message().find(path_), std::string::npos) << j.message();
    EXPECT_NE(j.message().find("not a database"), std::string::npos) << j.message();
    std::filesystem::remove(path_);
  }
  // A text file with an SQLite-looking start.
  {
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f << "SQLite format 3" << '\0' << std::string(200, 'x');
  }
  auto j = Journal::open(path_, N("example."));
  EXPECT_FALSE(j.ok());
}

TEST_F(JournalTest, ForeignDatabaseIsRefusedUntouched) {
  raw_sql("CREATE TABLE users(name TEXT); INSERT INTO users VALUES('x');");
  auto j = Journal::open(path_, N("example."));
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.message().find("not a namae journal"), std::string::npos) << j.message();
  // Still the other application's rollback-journal database.
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "delete");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(JournalTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(open()); }
  raw_sql("PRAGMA user_version=2");
  auto j = Journal::open(path_, N("example."));
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.message().find("schema version 2"), std::string::npos) << j.message();
}

TEST_F(JournalTest, CorruptDiffBlobIsReported) {
  {
    auto j = open();
    ASSERT_TRUE(j);
    for (uint32_t s = 1; s <= 3; ++s) ASSERT_TRUE(j->commit(entry(s, s + 1, s)).ok());
  }
  auto j = open();
  ASSERT_TRUE(j);
  // Truncated, trailing garbage, a huge count, an unknown format, a bad name.
  for (const char* blob : {"x'01000000'", "x'0100000000000000000000'", "x'01ffffffff'",
                           "x'020000000000000000'", "x'010000000140'", "x''"}) {
    raw_sql(std::string("UPDATE entries SET diff = ") + blob + " WHERE serial_from = 2");
    auto r = j->entries_since(1);
    ASSERT_FALSE(r.ok()) << blob;
    EXPECT_NE(r.message().find("corrupt diff"), std::string::npos) << r.message();
  }
  // Entries before the damage are still readable on their own.
  EXPECT_TRUE(j->entries_since(3).ok());
}

TEST_F(JournalTest, CorruptPagesAreReportedNotCrashed) {
  {
    auto j = open();
    ASSERT_TRUE(j);
    std::vector<JournalEntry> batch;
    for (uint32_t s = 1; s <= 300; ++s) batch.push_back(entry(s, s + 1, s));
    ASSERT_TRUE(j->commit_batch(batch, {}).ok());
  }  // closing the last connection checkpoints the WAL into the file
  auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 8192u);
  std::mt19937 rng(11);
  int refused = 0;
  for (int round = 0; round < 20; ++round) {
    auto copy = dir_ + "/copy.db";
    std::filesystem::copy_file(path_, copy, std::filesystem::copy_options::overwrite_existing);
    {
      std::fstream f(copy, std::ios::binary | std::ios::in | std::ios::out);
      // Clobber a run of octets past the header page.
      size_t at = 4096 + rng() % (size - 4096 - 64);
      f.seekp(static_cast<std::streamoff>(at));
      for (int i = 0; i < 64; ++i) f.put(static_cast<char>(rng()));
    }
    auto j = Journal::open(copy, N("example."));
    if (!j.ok()) {
      ++refused;
      EXPECT_NE(j.message().find(copy), std::string::npos) << j.message();
      continue;
    }
    // Opened (the damage may sit in free space or in blob octets the page
    // check cannot see): reading must then fail cleanly or succeed.
    auto r = (*j)->entries_since(1);
    if (!r.ok()) ++refused;
    (void)(*j)->leases();
  }
  EXPECT_GT(refused, 0);
}

TEST_F(JournalTest, UnopenablePathNamesTheFile) {
  auto bad = dir_ + "/no/such/dir/j.db";
  auto j = Journal::open(bad, N("example."));
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.message().find(bad), std::string::npos) << j.message();
  EXPECT_NE(j.message().find("unable to open"), std::string::npos) << j.message();
}

// A zone at serial 10 to replay onto.
std::shared_ptr<const zone::ZoneVersion> base_zone() {
  zone::ZoneBuilder b(N("example."));
  EXPECT_TRUE(b.add(N("example."), SOA, 3600, soa_rdata(10)).ok());
  EXPECT_TRUE(b.add(N("example."), NS, 3600, name_rdata("ns.example.")).ok());
  EXPECT_TRUE(b.add(N("ns.example."), A, 3600, a(53)).ok());
  auto z = b.build();
  EXPECT_TRUE(z.ok());
  return *z;
}

TEST_F(JournalTest, ReplayRebuildsTheAcknowledgedState) {
  auto base = base_zone();
  auto j = open();
  ASSERT_TRUE(j);
  // Live: apply each diff to the running version and journal it.
  auto live = base;
  for (uint32_t s = 10; s < 40; ++s) {
    JournalEntry e = entry(s, s + 1, s);
    if (s % 3 == 0)
      e.diff.removed.push_back(
          {N("host" + std::to_string(s - 1) + ".example."), A, dns::rrclass::IN, 60, a(s - 1)});
    auto next = live->apply(e.diff);
    ASSERT_TRUE(next.ok()) << next.message();
    live = *next;
    ASSERT_TRUE(j->commit(e).ok());
  }
  auto entries = j->entries_since(base->serial());
  ASSERT_TRUE(entries.ok());
  auto replayed = replay(base, *entries);
  ASSERT_TRUE(replayed.ok()) << replayed.message();
  EXPECT_EQ((*replayed)->serial(), 40u);
  auto want = live->records();
  auto got = (*replayed)->records();
  expect_same_records(got, want);

  // Replay from a later zone file (serial 25) reaches the same state.
  auto mid = replay(base, std::span<const JournalEntry>(*entries).first(15));
  ASSERT_TRUE(mid.ok());
  ASSERT_EQ((*mid)->serial(), 25u);
  auto rest = j->entries_since(25);
  ASSERT_TRUE(rest.ok());
  auto again = replay(*mid, *rest);
  ASSERT_TRUE(again.ok());
  expect_same_records((*again)->records(), want);
}

TEST_F(JournalTest, ReplayChecksSerials) {
  auto base = base_zone();
  std::vector<JournalEntry> wrong_start = {entry(11, 12)};
  auto r = replay(base, wrong_start);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("starts at serial 11"), std::string::npos) << r.message();
  // A diff that does not carry the SOA change it claims.
  JournalEntry lying = entry(10, 11);
  lying.diff.added[0] = soa(12);
  r = replay(base, std::vector<JournalEntry>{lying});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("reached 12"), std::string::npos) << r.message();
  // A diff the zone refuses (CNAME beside other data).
  JournalEntry bad = entry(10, 11);
  bad.diff.added.push_back(
      {N("ns.example."), CNAME, dns::rrclass::IN, 60, name_rdata("x.example.")});
  r = replay(base, std::vector<JournalEntry>{bad});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("does not apply"), std::string::npos) << r.message();
  EXPECT_FALSE(replay(nullptr, {}).ok());
  auto same = replay(base, {});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, base);
}

// A journal as the first release wrote it (diff format 1; the blobs and the
// lease row below were read out of a file its code committed): it must keep
// replaying, and today's encoder must still write the same octets.
constexpr const char* kLegacyDiff1 =
    "0100000001076578616D706C6500000600000E10002C026E73076578616D706C650002686D076578616D706C65"
    "000000000A00001C2000000E10001275000000012C00000003076578616D706C6500000600000E10002C026E73"
    "076578616D706C650002686D076578616D706C65000000000B00001C2000000E10001275000000012C04486F73"
    "74074578616D706C650000010000003C0004C000020704686F7374076578616D706C650000100000012C000302"
    "6869";
constexpr const char* kLegacyDiff2 =
    "0100000002076578616D706C6500000600000E10002C026E73076578616D706C650002686D076578616D706C65"
    "000000000B00001C2000000E10001275000000012C04486F7374074578616D706C650000010000003C0004C000"
    "020700000003076578616D706C6500000600000E10002C026E73076578616D706C650002686D076578616D706C"
    "65000000000C00001C2000000E10001275000000012C04686F7374076578616D706C6500001C0000003C001020"
    "010DB8000000000000000000000007076578616D706C6500000F00000E100010000A044D61696C076578616D70"
    "6C6500";

dns::Record legacy_record(const char* owner, uint16_t type, uint32_t ttl, dns::RdataBytes rdata) {
  dns::Record r;
  r.owner = N(owner);
  r.type = type;
  r.ttl = ttl;
  r.rdata = std::move(rdata);
  return r;
}

// The two entries (serial 10 -> 11 -> 12) the legacy blobs hold.
std::vector<JournalEntry> legacy_entries() {
  const dns::RdataBytes host_a = {192, 0, 2, 7};
  const dns::RdataBytes host_aaaa = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  dns::RdataBytes mx = {0, 10};
  auto mail = name_rdata("Mail.example.");
  mx.insert(mx.end(), mail.begin(), mail.end());
  JournalEntry e1;
  e1.serial_from = 10;
  e1.serial_to = 11;
  e1.committed_at = 1700000100;
  e1.diff.removed = {legacy_record("example.", SOA, 3600, soa_rdata(10))};
  e1.diff.added = {legacy_record("example.", SOA, 3600, soa_rdata(11)),
                   legacy_record("Host.Example.", A, 60, host_a),
                   legacy_record("host.example.", TXT, 300, {2, 'h', 'i'})};
  JournalEntry e2;
  e2.serial_from = 11;
  e2.serial_to = 12;
  e2.committed_at = 1700000200;
  e2.diff.removed = {legacy_record("example.", SOA, 3600, soa_rdata(11)),
                     legacy_record("Host.Example.", A, 60, host_a)};
  e2.diff.added = {legacy_record("example.", SOA, 3600, soa_rdata(12)),
                   legacy_record("host.example.", AAAA, 60, host_aaaa),
                   legacy_record("example.", MX, 3600, mx)};
  return {e1, e2};
}

TEST_F(JournalTest, LegacyJournalStillReplays) {
  ASSERT_TRUE(open());  // the schema, as every release has created it
  raw_sql(std::string("INSERT INTO entries(serial_from, serial_to, committed_at, diff) VALUES ") +
          "(10, 11, 1700000100, x'" + kLegacyDiff1 + "'), (11, 12, 1700000200, x'" +
          kLegacyDiff2 + "');" +
          "INSERT INTO leases VALUES (x'04686F7374076578616D706C6500', 28, "
          "x'20010DB8000000000000000000000007', x'04486F7374074578616D706C6500', "
          "x'20010DB8000000000000000000000007', 1700000800, 'dns:k1@192.0.2.50');");
  auto j = open();
  ASSERT_TRUE(j);
  auto got = j->entries_since(10);
  ASSERT_TRUE(got.ok()) << got.message();
  auto want = legacy_entries();
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) expect_same_entry((*got)[i], want[i]);
  auto leases = j->leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].owner.to_text(), "Host.Example.");
  EXPECT_EQ((*leases)[0].type, AAAA);
  EXPECT_EQ((*leases)[0].rdata, want[1].diff.added[1].rdata);
  EXPECT_EQ((*leases)[0].expires_at, 1700000800);
  EXPECT_EQ((*leases)[0].granted_to, "dns:k1@192.0.2.50");
  auto replayed = replay(base_zone(), *got);
  ASSERT_TRUE(replayed.ok()) << replayed.message();
  EXPECT_EQ((*replayed)->serial(), 12u);
  EXPECT_EQ((*replayed)->records().size(), 6u);  // SOA NS MX, ns A, host AAAA and TXT
}

TEST_F(JournalTest, EncoderWritesTheLegacyFormat) {
  {
    auto j = open();
    ASSERT_TRUE(j);
    for (const auto& e : legacy_entries()) ASSERT_TRUE(j->commit(e).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT hex(diff) FROM entries ORDER BY seq", -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::string> blobs;
  while (sqlite3_step(st) == SQLITE_ROW)
    blobs.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs[0], kLegacyDiff1);
  EXPECT_EQ(blobs[1], kLegacyDiff2);
}

TEST_F(JournalTest, ConcurrentReadersWhileCommitting) {
  auto j = open();
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->commit(entry(1, 2)).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = j->entries_since(1);
      if (!r.ok() || r->empty()) ++bad;
      if (!j->leases().ok()) ++bad;
    }
  });
  for (uint32_t s = 2; s < 60; ++s) ASSERT_TRUE(j->commit(entry(s, s + 1, s)).ok());
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(j->entries_since(1)->size(), 59u);
}

}  // namespace
}  // namespace namae::update
