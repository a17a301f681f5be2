#include "push/discovery.h"

#include "dns/wire.h"

namespace namae::push {

std::shared_ptr<const zone::ZoneVersion> with_push_srv(std::shared_ptr<const zone::ZoneVersion> zone, uint16_t port) {
  auto owner = dns::Name::from_text("_dns-push-tls._tcp", &zone->origin());
  if (!owner) return zone;
  const zone::Node* node = zone->find(*owner);
  if (node && node->find(dns::rrtype::SRV)) return zone;
  size_t used = 0;
  auto mname = dns::Name::from_wire_prefix(zone->soa().first(), used);
  if (!mname) return zone;
  dns::Record srv{*owner, dns::rrtype::SRV, zone->rclass(), zone->soa().ttl(), {0, 0, 0, 0, 0, 0}};
  dns::put_u16(&srv.rdata[4], port);
  srv.rdata.insert(srv.rdata.end(), mname->wire().begin(), mname->wire().end());
  zone::ZoneDiff diff;
  diff.added.push_back(std::move(srv));
  auto next = zone->apply(diff);
  return next ? *next : zone;
}

}  // namespace namae::push
