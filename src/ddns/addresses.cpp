#include "ddns/addresses.h"

#include <fnmatch.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <tuple>

namespace namae::ddns {

std::string Selection::to_text() const {
  std::string out;
  for (const auto* list : {&v4, &v6})
    for (const auto& a : *list) out += (out.empty() ? "" : ", ") + a.to_text();
  return out.empty() ? "(none)" : out;
}

bool interface_matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

Selection select_addresses(const std::vector<HostAddress>& addresses, const AddressFilter& f) {
  std::vector<const HostAddress*> chosen;
  for (const auto& a : addresses) {
    if (!a.link_up || a.loopback) continue;
    if (a.ip.family == AF_INET ? !f.ipv4 : !f.ipv6) continue;
    if (!f.include.empty() &&
        std::none_of(f.include.begin(), f.include.end(),
                     [&](const std::string& p) { return interface_matches(p, a.ifname); }))
      continue;
    if (std::any_of(f.exclude.begin(), f.exclude.end(),
                    [&](const std::string& p) { return interface_matches(p, a.ifname); }))
      continue;
    if (a.scope == RT_SCOPE_HOST || a.scope == RT_SCOPE_NOWHERE) continue;
    if (!f.all_scopes && a.scope != RT_SCOPE_UNIVERSE) continue;
    // Not yet usable (DAD running or failed) or on its way out: publishing
    // it would send peers to an address that does not or soon will not answer.
    if (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED)) continue;
    if (!f.temporary && (a.flags & IFA_F_TEMPORARY)) continue;
    chosen.push_back(&a);
  }
  std::sort(chosen.begin(), chosen.end(), [](const HostAddress* x, const HostAddress* y) {
    return std::tie(x->ifindex, x->ip.bytes) < std::tie(y->ifindex, y->ip.bytes);
  });
  Selection s;
  for (const auto* a : chosen) {
    auto& list = a->ip.family == AF_INET ? s.v4 : s.v6;
    if (std::find(list.begin(), list.end(), a->ip) == list.end()) list.push_back(a->ip);
  }
  return s;
}

}  // namespace namae::ddns
