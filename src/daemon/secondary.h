// Wiring the secondary zones (`primaries` in [[zone]]) into namaed: one
// xfr::Secondary per zone on a SecondaryService thread over the real
// network, their versions served through the ZoneManager, and the handlers
// the query engine routes NOTIFY and (for forwarding) UPDATE to.
//
// Consumed catalogs (RFC 9432, `catalog-role = "consume"`) are secondaries
// too; the role owns the xfr::CatalogConsumer that every new version passes
// (a ZoneManager observer) and is its SecondaryZones: a member the catalog
// lists becomes a secondary of the catalog's primaries, with its file and
// journal in `catalog-member-dir`; a member that leaves is retired, taken
// out of the served set and its files deleted. Members are not written
// anywhere else: at start the catalog's saved copy lists them again, and
// their own saved copies are served at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/engine.h"
#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "net/client.h"
#include "xfr/catalog.h"
#include "xfr/client.h"
#include "xfr/notify_handler.h"
#include "xfr/secondary_service.h"
#include "xfr/update_forwarder.h"

namespace namae::daemon {

class SecondaryRole final : public xfr::SecondaryZones {
 public:
  /// Every secondary zone of `cfg`, loaded from its saved copy (and the
  /// members its consumed catalogs list). UPDATEs for other zones go on to
  /// `updates`.
  static Result<std::unique_ptr<SecondaryRole>> create(const Config& cfg, ZoneManager& zones,
                                                       auth::RequestHandler* updates);
  ~SecondaryRole() override;

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

  /// A [[zone]] with `primaries` added by a live reconfiguration: served
  /// (SERVFAIL) at once, transferred as soon as the secondary thread runs it.
  Result<void> add_zone(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys);
  /// A changed [[key]] table (live reconfiguration): NOTIFYs are verified
  /// against it, and every secondary, consumed catalog and catalog member
  /// signs its next SOA query and transfer with the new secret of its key.
  /// One line per zone whose key is gone (it keeps the old one).
  std::vector<std::string> set_keys(const std::vector<dns::TsigKey>& keys);
  /// One removed from the config: its timers stop and it is no longer
  /// served; its saved copy and journal stay on disk (they are the operator's).
  void remove_zone(const dns::Name& origin);

  // xfr::SecondaryZones, called by the consumer on the publishing thread.
  Result<void> add_secondary(const xfr::SecondaryZoneSpec& spec) override;
  void remove_secondary(const dns::Name& zone) override;

 private:
  explicit SecondaryRole(ZoneManager& zones);
  Result<void> add_configured(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys);
  Result<void> add_catalog(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys);
  xfr::SecondaryHooks hooks_for(const dns::Name& origin);

  ZoneManager& zones_;
  net::SocketTransport transport_;
  xfr::TransferClient client_;
  xfr::SecondaryService service_;
  // Shared with the ZoneManager observer, which may outlive the role (the
  // update service publishes until it stops); the observer returns before
  // touching the role for zones that are not consumed catalogs.
  std::shared_ptr<xfr::CatalogConsumer> consumer_;
  std::unique_ptr<xfr::NotifyHandler> notify_;
  std::unique_ptr<xfr::UpdateForwarder> forwarder_;
};

}  // namespace namae::daemon
