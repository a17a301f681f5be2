// rtnetlink through libmnl: read this host's links and addresses, and be
// told when they change (RTM_NEWADDR/RTM_DELADDR, RTM_NEWLINK/RTM_DELLINK),
// so `namae ddns` reacts to a move at once instead of polling.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "ddns/addresses.h"

struct mnl_socket;

namespace namae::ddns {

/// Every address of every link, with link state (an RTM_GETLINK dump, then
/// an RTM_GETADDR dump, on a socket of its own).
Result<std::vector<HostAddress>> dump_addresses();

/// A netlink socket subscribed to the IPv4/IPv6 address and link groups.
class AddressWatcher {
 public:
  AddressWatcher();
  ~AddressWatcher();
  AddressWatcher(const AddressWatcher&) = delete;
  AddressWatcher& operator=(const AddressWatcher&) = delete;

  /// Open and subscribe.
  Result<void> open();
  /// The descriptor to poll for POLLIN.
  int fd() const;
  /// Read every pending notification (non-blocking). True if any was about
  /// an address or a link. A receive buffer overrun (ENOBUFS: events were
  /// lost) also counts as a change, so the caller re-reads everything.
  bool drain();

 private:
  mnl_socket* nl_ = nullptr;
  std::vector<char> buf_;
};

}  // namespace namae::ddns
