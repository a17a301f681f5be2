// The name and data translation of a Discovery Proxy (RFC 8766 5.3-5.5).
// A proxy serves up to three kinds of delegated domain for its link: the
// rich-text domain of its services, an optional letter-digit-hyphen domain
// for host names (5.3), and reverse-mapping domains (5.4). A unicast name
// under the first two asks the same name under `local.` on the link; a
// reverse name is asked as it is. What the link answers comes back with
// `local.` replaced, in owner names and in the names inside rdata, by the
// domain 5.5 picks for each. Pure functions: no I/O, no clock.
#pragma once

#include <optional>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "net/acl.h"

namespace namae::proxy {

/// `local.`, the multicast DNS domain (RFC 6762 3).
const dns::Name& local_domain();

/// `name` with a trailing `local.` replaced by `domain`; other names are
/// left as they are (RFC 8766 5.5: only .local names need it). nullopt
/// when the result would pass 255 octets.
std::optional<dns::Name> from_local(const dns::Name& name, const dns::Name& domain);

/// A reverse-mapping domain delegated to the proxy (RFC 8766 5.4).
struct ReverseZone {
  dns::Name apex;     // 113.0.203.in-addr.arpa. for 203.0.113.0/24
  dns::Name network;  // 0.113.0.203.in-addr.arpa.: the subnet's own name (RFC 6763 11)
};
/// The reverse zone of `prefix`; nullopt unless its length falls on a
/// label boundary (a multiple of 8 bits for IPv4, 4 for IPv6) and is not 0.
std::optional<ReverseZone> reverse_zone(const net::AddressPrefix& prefix);

/// Where `.local` names go in the answer to one question (RFC 8766 5.5):
/// owner names to the domain the question was asked in, host names (SRV
/// targets, address records) to the host-name domain, other names in
/// rdata to `rdata`.
struct Target {
  dns::Name owner, rdata, host;
};

/// One link's delegated domains and the translation both ways.
class Rewriter {
 public:
  /// `hosts`: the host-name domain (5.3); the root: `domain` serves host
  /// names too.
  explicit Rewriter(dns::Name domain, dns::Name hosts = {}, std::vector<ReverseZone> reverse = {});
  const dns::Name& domain() const { return domain_; }
  const dns::Name& hosts() const { return hosts_; }
  const std::vector<ReverseZone>& reverse() const { return reverse_; }

  /// The apex of the delegated domain `name` is at or below; nullptr when
  /// it is in none.
  const dns::Name* apex_of(const dns::Name& name) const;
  /// The name asked on the link for `name`; nullopt when it is in no
  /// delegated domain or the result is too long.
  std::optional<dns::Name> to_local(const dns::Name& name) const;
  /// The translation of answers to a question about `qname` (covered).
  Target target_for(const dns::Name& qname) const;
  /// The unicast names of a link owner: the .local name in the rich-text
  /// and in the host-name domain, a reverse name as it is.
  std::vector<dns::Name> unicast_names(const dns::Name& link_owner) const;
  /// A record from the link made fit for a unicast client: owner and every
  /// name in its rdata translated as `t` says, TTL at most `ttl_cap` (0:
  /// unchanged, RFC 8766 5.5.1). nullopt for records not useful off the
  /// link (RFC 8766 5.5.2: addresses in 169.254/16 and fe80::/10; 5.5.3:
  /// mDNS NSEC) and for ones whose translation does not fit.
  std::optional<dns::Record> from_link(const dns::Record& r, uint32_t ttl_cap, const Target& t) const;
  /// The same for an answer in the rich-text domain.
  std::optional<dns::Record> from_link(const dns::Record& r, uint32_t ttl_cap) const {
    return from_link(r, ttl_cap, {domain_, domain_, hosts_});
  }
  /// `name` with a trailing `local.` replaced by the rich-text domain.
  std::optional<dns::Name> from_local(const dns::Name& name) const { return proxy::from_local(name, domain_); }

 private:
  dns::Name domain_, hosts_;
  std::vector<ReverseZone> reverse_;
};

/// True for an A or AAAA record of a link-local address (RFC 3927, RFC 4291 2.5.6).
bool is_link_local_address(const dns::Record& r);

}  // namespace namae::proxy
