// Wiring the secondary zones (`primaries` in [[zone]]) into namaed: one
// xfr::Secondary per zone on a SecondaryService thread over the real
// network, their versions served through the ZoneManager, and the handlers
// the query engine routes NOTIFY and (for forwarding) UPDATE to.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/engine.h"
#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "net/client.h"
#include "xfr/client.h"
#include "xfr/notify_handler.h"
#include "xfr/secondary_service.h"
#include "xfr/update_forwarder.h"

namespace namae::daemon {

class SecondaryRole {
 public:
  /// Every secondary zone of `cfg`, loaded from its saved copy. UPDATEs for
  /// other zones go on to `updates`.
  static Result<std::unique_ptr<SecondaryRole>> create(const Config& cfg, ZoneManager& zones,
                                                       auth::RequestHandler* updates);
  ~SecondaryRole();

  void start() { service_.start(); }
  void stop() { service_.stop(); }

  auth::RequestHandler* notify_handler() { return notify_.get(); }
  /// The UPDATE handler: secondaries' UPDATEs forwarded or refused, the rest to `updates`.
  auth::RequestHandler* update_handler() { return forwarder_.get(); }
  /// `zone status|refresh|retransfer NAME`.
  std::string control(std::string_view verb, std::string_view zone) {
    return service_.control(verb, zone);
  }
  std::string metrics() const { return service_.metrics(); }
  /// The received IXFR steps of secondary zone `origin` (nullptr: not a
  /// secondary), which IXFR out of this server answers from.
  std::shared_ptr<const update::Journal> journal(const dns::Name& origin) const {
    return service_.journal(origin);
  }

 private:
  SecondaryRole();
  net::SocketTransport transport_;
  xfr::TransferClient client_;
  xfr::SecondaryService service_;
  std::unique_ptr<xfr::NotifyHandler> notify_;
  std::unique_ptr<xfr::UpdateForwarder> forwarder_;
};

}  // namespace namae::daemon
