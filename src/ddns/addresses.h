// Which of this host's addresses `namae ddns` publishes. The host's
// addresses and links come from rtnetlink (netlink.h); this file is the pure
// choice, unit-tested without a kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/ip_address.h"

namespace namae::ddns {

/// One interface address as the kernel reports it (RTM_NEWADDR), with the
/// state of its link (RTM_NEWLINK).
struct HostAddress {
  net::IpAddress ip;
  unsigned ifindex = 0;
  std::string ifname;
  uint8_t prefix_length = 0;
  uint8_t scope = 0;      // RT_SCOPE_UNIVERSE (0) = global, 253 link, 254 host
  uint32_t flags = 0;     // IFA_F_* (IFA_FLAGS when present, else ifa_flags)
  bool link_up = false;   // IFF_UP and IFF_RUNNING
  bool loopback = false;  // IFF_LOOPBACK
};

/// What to publish (the command line of `namae ddns`).
struct AddressFilter {
  bool ipv4 = true, ipv6 = true;
  /// Interface names (shell globs) to consider; empty: every interface.
  std::vector<std::string> include;
  /// Interface names (shell globs) never to consider.
  std::vector<std::string> exclude;
  /// Also link- and site-scope addresses (default: global scope only).
  bool all_scopes = false;
  /// Also RFC 4941 temporary (privacy) IPv6 addresses; by default the
  /// stable address is what other hosts should reach.
  bool temporary = false;
};

/// The addresses to publish, per family, in a stable order (interface index,
/// then address), so an unchanged host gives an equal Selection.
struct Selection {
  std::vector<net::IpAddress> v4, v6;
  bool operator==(const Selection& o) const { return v4 == o.v4 && v6 == o.v6; }
  bool empty() const { return v4.empty() && v6.empty(); }
  /// "192.0.2.1, 2001:db8::1" or "(none)".
  std::string to_text() const;
};

/// Apply the filter: links up and not loopback; interface lists; family;
/// scope; and never tentative, DAD-failed or deprecated addresses.
Selection select_addresses(const std::vector<HostAddress>& addresses, const AddressFilter& filter);

/// Shell-glob match of an interface name ("eth*", "wl?0").
bool interface_matches(const std::string& pattern, const std::string& name);

}  // namespace namae::ddns
