#include "resolver/link_local.h"

namespace namae::resolver {

const std::vector<dns::Name>& link_local_zones() {
  static const std::vector<dns::Name> zones = [] {
    std::vector<dns::Name> z;
    for (const char* t : {"local.", "254.169.in-addr.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.",
                          "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa."})
      z.push_back(*dns::Name::from_text(t));
    return z;
  }();
  return zones;
}

const dns::Name* link_local_zone(const dns::Name& name) {
  size_t n = name.label_count();
  if (n == 0) return nullptr;
  // Cheap reject on the last label: only "local" and "arpa" can match.
  auto tld = name.label(n - 1);
  auto is = [&](const char* s, size_t len) {
    if (tld.size() != len) return false;
    for (size_t i = 0; i < len; ++i)
      if ((tld[i] | 0x20) != s[i]) return false;
    return true;
  };
  if (!is("local", 5) && !is("arpa", 4)) return nullptr;
  for (const auto& z : link_local_zones())
    if (name.is_subdomain_of(z)) return &z;
  return nullptr;
}

}  // namespace namae::resolver
