// The name and data translation of a Discovery Proxy (RFC 8766 5.5): a
// unicast name under the configured domain asks the same name under
// `local.` on the link, and what the link answers comes back with `local.`
// replaced by the domain, in owner names and in the names inside rdata
// (PTR and SRV targets...). Pure functions: no I/O, no clock.
#pragma once

#include <optional>

#include "dns/name.h"
#include "dns/record.h"

namespace namae::proxy {

/// `local.`, the multicast DNS domain (RFC 6762 3).
const dns::Name& local_domain();

/// One delegated domain and its translation both ways.
class Rewriter {
 public:
  explicit Rewriter(dns::Name domain) : domain_(std::move(domain)) {}
  const dns::Name& domain() const { return domain_; }

  /// `name` (at or below the domain) with the domain replaced by `local.`;
  /// nullopt when it is not under the domain or the result is too long.
  std::optional<dns::Name> to_local(const dns::Name& name) const;
  /// `name` with a trailing `local.` replaced by the domain; other names
  /// are left as they are (RFC 8766 5.5: only .local names need it).
  /// nullopt when the result would pass 255 octets.
  std::optional<dns::Name> from_local(const dns::Name& name) const;
  /// A record from the link made fit for a unicast client: owner and every
  /// name in its rdata translated, TTL at most `ttl_cap` (0: unchanged,
  /// RFC 8766 5.5.1). nullopt for records not useful off the link (RFC 8766
  /// 5.5.2: addresses in 169.254/16 and fe80::/10; 5.5.3: mDNS NSEC) and
  /// for ones whose translation does not fit.
  std::optional<dns::Record> from_link(const dns::Record& r, uint32_t ttl_cap) const;

 private:
  dns::Name domain_;
};

/// True for an A or AAAA record of a link-local address (RFC 3927, RFC 4291 2.5.6).
bool is_link_local_address(const dns::Record& r);

}  // namespace namae::proxy
