#include "daemon/transfer_out.h"

#include "daemon/dynamic.h"
#include "xfr/remote.h"

namespace namae::daemon {

Result<xfr::TransferOptions> transfer_options(const Config& cfg) {
  xfr::TransferOptions opts;
  auto keys = tsig_keys(cfg);
  if (!keys) return fail(keys.message());
  opts.keys = std::move(*keys);
  opts.max_udp_payload = cfg.server.edns_udp_size;
  for (const auto& z : cfg.zones) {
    auto origin = zone_origin(z);
    if (!origin) return origin.error();
    auto acl = net::parse_acl(z.allow_transfer, net::AclKeys::yes);
    if (!acl) return fail("zone '" + z.name + "': allow-transfer: " + acl.message());
    for (const auto& k : acl->keys)
      if (!xfr::find_key(opts.keys, k.to_text()))
        return fail("zone '" + z.name + "': allow-transfer: no [[key]] named '" + k.to_text() + "'");
    opts.zones.push_back({*origin, std::move(*acl)});
  }
  return opts;
}

Result<xfr::TransferOptions> transfer_options(const Config& cfg, const update::UpdateService& updates,
                                              const SecondaryRole& secondaries, net::MetricsRegistry& metrics) {
  auto opts = transfer_options(cfg);
  if (!opts) return opts.error();
  // A zone is either dynamic (its update journal) or a secondary (the steps
  // it received), never both (the config refuses 'journal' with 'primaries').
  opts->journal = [&updates, &secondaries](const dns::Name& origin) {
    if (auto j = updates.journal(origin)) return j;
    return secondaries.journal(origin);
  };
  opts->metrics = &metrics;
  return opts;
}

Result<std::unique_ptr<xfr::TransferService>> make_transfer_service(
    const Config& cfg, const update::UpdateService& updates, const SecondaryRole& secondaries,
    net::MetricsRegistry& metrics) {
  auto opts = transfer_options(cfg, updates, secondaries, metrics);
  if (!opts) return opts.error();
  return std::make_unique<xfr::TransferService>(std::move(*opts));
}

}  // namespace namae::daemon
