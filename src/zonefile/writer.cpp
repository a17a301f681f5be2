#include "zonefile/writer.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "dns/rrtype.h"

namespace namae::zonefile {

std::string format_record(std::string_view owner, uint32_t ttl, uint16_t rclass, uint16_t type,
                          std::span<const uint8_t> rdata) {
  std::string s(owner);
  s += '\t';
  s += std::to_string(ttl);
  s += '\t';
  s += dns::class_to_text(rclass);
  s += '\t';
  s += dns::type_to_text(type);
  s += '\t';
  s += dns::rdata::to_text(type, rdata);
  return s;
}

std::string format_record(const dns::Record& r) {
  return format_record(r.owner.to_text(), r.ttl, r.rclass, r.type, r.rdata);
}

int compare_rdata(uint16_t type, const dns::RdataBytes& a, const dns::RdataBytes& b) {
  auto ca = dns::rdata::canonical(type, a);
  auto cb = dns::rdata::canonical(type, b);
  size_t n = std::min(ca.size(), cb.size());
  if (n > 0) {
    int c = std::memcmp(ca.data(), cb.data(), n);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return ca.size() < cb.size() ? -1 : ca.size() > cb.size() ? 1 : 0;
}

void sort_canonical(std::vector<Record>& records) {
  // Precompute the sort keys once: the owner's lookup key (bytewise order ==
  // canonical name order) and the canonical rdata, so comparisons are memcmp.
  struct Key {
    std::string owner;
    dns::RdataBytes rdata;
    uint16_t type;
    uint32_t index;
  };
  std::vector<Key> keys;
  keys.reserve(records.size());
  for (uint32_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    keys.push_back(Key{r.owner.lookup_key(), dns::rdata::canonical(r.type, r.rdata), r.type, i});
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    if (int c = a.owner.compare(b.owner)) return c < 0;
    if (a.type != b.type) return a.type < b.type;
    size_t n = std::min(a.rdata.size(), b.rdata.size());
    if (n > 0)
      if (int c = std::memcmp(a.rdata.data(), b.rdata.data(), n)) return c < 0;
    if (a.rdata.size() != b.rdata.size()) return a.rdata.size() < b.rdata.size();
    return a.index < b.index;
  });
  std::vector<Record> sorted;
  sorted.reserve(records.size());
  for (const Key& k : keys) sorted.push_back(std::move(records[k.index]));
  records = std::move(sorted);
}

bool write_records(std::FILE* out, const std::vector<Record>& records) {
  std::string line;
  for (const Record& r : records) {
    line = format_record(r);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) return false;
  }
  return std::fflush(out) == 0;
}

}  // namespace namae::zonefile
