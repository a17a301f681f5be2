// Address prefixes and the allow-lists made of them: who may update without a
// key, whose X-Forwarded-For is believed, who may use the resolver. One type
// for every access list so they all parse and match the same way.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"

namespace namae::net {

/// An address prefix ("10.0.0.0/8", "::1/128"; a bare address is a host).
struct AddressPrefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
  unsigned length = 0;  // prefix length in bits

  /// True when `sa` (IPv4, IPv6, or IPv4-mapped IPv6) lies in this prefix.
  bool contains(const sockaddr* sa, socklen_t len) const;
  std::string to_text() const;
};

/// Parse prefix text; host bits beyond the length must be zero (a typo
/// like "10.1.2.3/8" is more likely meant as something else).
Result<AddressPrefix> parse_prefix(std::string_view text);

/// A list of prefixes and, where the list admits them ("key:NAME" entries:
/// allow-transfer), TSIG key names; empty allows nothing. A key entry admits
/// a request verified with that key from any address (as BIND's "key NAME"
/// address-match element).
struct AddressAcl {
  std::vector<AddressPrefix> prefixes;
  std::vector<dns::Name> keys;
  bool allows(const sockaddr* sa, socklen_t len) const;
  /// The request came from `sa`, verified with the key named `key` (nullptr:
  /// unsigned): admitted by its key or by its address.
  bool allows(const sockaddr* sa, socklen_t len, const dns::Name* key) const;
};

/// Whether an access list may hold "key:NAME" entries.
enum class AclKeys : uint8_t { no, yes };

/// Parse each text of `texts` (config lists); the first bad one is the error.
/// A "key:NAME" entry is one only with AclKeys::yes (the caller checks that
/// the key exists).
Result<AddressAcl> parse_acl(const std::vector<std::string>& texts, AclKeys keys = AclKeys::no);

}  // namespace namae::net
