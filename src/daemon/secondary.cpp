#include "daemon/secondary.h"

#include <fmt/format.h>

#include "daemon/dynamic.h"
#include "daemon/logging.h"
#include "xfr/remote.h"

namespace namae::daemon {

SecondaryRole::SecondaryRole()
    : client_(transport_, system_clock()), service_(client_, system_clock(), spdlog_sink()) {}

SecondaryRole::~SecondaryRole() { service_.stop(); }

Result<std::unique_ptr<SecondaryRole>> SecondaryRole::create(const Config& cfg, ZoneManager& zones,
                                                             auth::RequestHandler* updates) {
  auto keys = tsig_keys(cfg);
  if (!keys) return keys.error();
  std::unique_ptr<SecondaryRole> role(new SecondaryRole());
  for (const auto& z : cfg.zones) {
    if (z.primaries.empty()) continue;
    auto origin = dns::Name::from_text(z.name.empty() || z.name.back() != '.' ? z.name + "." : z.name);
    if (!origin) return fail("zone '" + z.name + "': " + origin.message());
    auto remotes = xfr::parse_remotes(z.primaries, z.transfer_key, *keys);
    if (!remotes) return fail("zone '" + z.name + "': primaries: " + remotes.message());
    xfr::SecondaryConfig sc{*origin, std::move(*remotes), z.file, z.file + ".jnl", z.journal_keep};
    const dns::Name o = *origin;
    xfr::SecondaryHooks hooks{
        [&zones](std::shared_ptr<const zone::ZoneVersion> v) { zones.publish_version(std::move(v)); },
        [&zones, o](bool available) { zones.set_available(o, available); }};
    if (auto r = role->service_.add(std::move(sc), std::move(hooks), z.forward_updates); !r)
      return r.error();
  }
  role->notify_ = std::make_unique<xfr::NotifyHandler>(role->service_, *keys);
  role->forwarder_ = std::make_unique<xfr::UpdateForwarder>(role->service_, updates, role->transport_);
  return role;
}

}  // namespace namae::daemon
