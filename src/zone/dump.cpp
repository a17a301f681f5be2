#include "zone/dump.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "zonefile/writer.h"

namespace namae::zone {

bool write_canonical(std::FILE* out, const ZoneVersion& z) {
  struct Item {
    uint32_t key;  // rrset_key(): type, RRSIGs grouped by covered type after all types
    dns::RdataBytes canonical;
    uint32_t ttl;
    uint16_t type;
    std::span<const uint8_t> rdata;
  };
  std::vector<Item> items;
  std::string buf;
  for (size_t n = 0; n < z.node_count(); ++n) {
    const Node& node = z.node(n);
    if (node.empty()) continue;
    items.clear();
    auto c = node.rrsets();
    RRsetView v;
    while (c.next(v)) {
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd))
        items.push_back(
            {rrset_key(v.type(), rd), dns::rdata::canonical(v.type(), rd), v.ttl(), v.type(), rd});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      if (a.key != b.key) return a.key < b.key;
      return std::lexicographical_compare(a.canonical.begin(), a.canonical.end(),
                                          b.canonical.begin(), b.canonical.end());
    });
    const std::string owner = node.owner_name().to_text();
    for (const auto& i : items) {
      buf += zonefile::format_record(owner, i.ttl, z.rclass(), i.type, i.rdata);
      buf += '\n';
    }
    if (buf.size() >= (1 << 16)) {
      if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) return false;
      buf.clear();
    }
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) return false;
  return std::fflush(out) == 0;
}

}  // namespace namae::zone
