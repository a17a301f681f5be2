// update_load -j FILE: the update journal's own commit rate, no server: how
// many entries per second src/update/journal commits with its real fsync,
// one entry per transaction and then 16 (group commit), each entry an
// update's diff (SOA change, one A record) with its lease, as the writer
// commits them. It is the floor under bench/update.sh's figures on the
// same disk (put FILE on the file system to measure).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dns/rrtype.h"
#include "update/journal.h"

namespace {

using namae::dns::Name;
using namae::dns::Record;
using namespace namae::update;

Name name(const std::string& text) { return *Name::from_text(text); }

namae::dns::RdataBytes address(uint32_t n) {
  return {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

Record soa(uint32_t serial) {
  namae::dns::RdataBytes rdata = {3, 'n', 's', '1', 0, 1, 'h', 0};
  for (uint32_t v : {serial, 3600u, 900u, 604800u, 300u})
    for (int shift = 24; shift >= 0; shift -= 8) rdata.push_back(static_cast<uint8_t>(v >> shift));
  return {name("bench."), namae::dns::rrtype::SOA, namae::dns::rrclass::IN, 3600, rdata};
}

// The update that took the zone from `serial` to the next: host<serial> added, leased.
void add_update(uint32_t serial, std::vector<JournalEntry>& entries, std::vector<LeaseChanges>& leases) {
  JournalEntry e;
  e.serial_from = serial;
  e.serial_to = serial + 1;
  e.committed_at = 1700000000 + serial;
  const Name host = name("host" + std::to_string(serial) + ".bench.");
  e.diff.removed.push_back(soa(serial));
  e.diff.added.push_back(soa(serial + 1));
  e.diff.added.push_back({host, namae::dns::rrtype::A, namae::dns::rrclass::IN, 60, address(serial)});
  Lease l;
  l.owner = host;
  l.type = namae::dns::rrtype::A;
  l.rdata = address(serial);
  l.expires_at = 1700001000 + serial;
  l.granted_to = "bench";
  LeaseChanges c;
  c.upserted.push_back(std::move(l));
  entries.push_back(std::move(e));
  leases.push_back(std::move(c));
}

// Commits batches of `batch` entries for `seconds`; false on a failed commit.
bool measure(Journal& j, size_t batch, double seconds, uint32_t& serial) {
  size_t n = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    std::vector<JournalEntry> entries;
    std::vector<LeaseChanges> leases;
    for (size_t i = 0; i < batch; ++i) add_update(serial++, entries, leases);
    auto r = batch == 1 ? j.commit(entries[0], leases[0]) : j.commit_batch(entries, leases);
    if (!r) {
      std::fprintf(stderr, "update_load: journal commit: %s\n", r.message().c_str());
      return false;
    }
    n += batch;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::printf("journal batch %zu: %zu entries in %.2f s = %.0f entries/s, %.0f transactions/s\n", batch, n,
              elapsed, n / elapsed, n / elapsed / batch);
  return true;
}

void remove_journal(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace

int journal_rate(const std::string& path, double seconds) {
  remove_journal(path);
  auto opened = Journal::open(path, name("bench."));
  if (!opened) {
    std::fprintf(stderr, "update_load: %s: %s\n", path.c_str(), opened.message().c_str());
    return 2;
  }
  std::unique_ptr<Journal> journal = std::move(*opened);
  uint32_t serial = 1;
  const bool ok = measure(*journal, 1, seconds, serial) && measure(*journal, 16, seconds, serial);
  journal.reset();  // closed before its files go
  remove_journal(path);
  return ok ? 0 : 1;
}
