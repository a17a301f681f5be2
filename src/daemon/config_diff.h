// What a live reconfiguration (`namae ctl reconfigure`, SIGHUP) changes:
// the running Config against the newly parsed one, as zones added, removed
// or changed and the roles whose settings moved. Pure: no file, no socket,
// so unit tests hold each rule (docs/config.md, "Reconfiguration", lists
// which keys apply live and which need a restart).
#pragma once

#include <string>
#include <vector>

#include "daemon/config.h"

namespace namae::daemon {

/// One [[zone]] that differs between the running and the new config.
struct ZoneChange {
  enum class Kind {
    added,
    removed,
    replaced,  // file, journal, primaries or transfer settings: served anew (state kept in its files)
    settings,  // ACLs, update policy, leases, notify: the zone keeps serving as it is
  };
  Kind kind;
  std::string name;     // as written in the config
  ZoneConfig config;    // the new one (the running one for `removed`)
  std::vector<std::string> keys;  // the keys that changed (replaced, settings)
};

struct ConfigDiff {
  std::vector<ZoneChange> zones;
  bool keys = false;            // [[key]] tables
  bool auth = false;            // [server] allow-query, minimal-responses, edns-udp-size
  bool listener_acls = false;   // the allow-query of a [server] listen table
  bool rrl = false;             // [server] rrl
  bool cookies = false;         // [server] cookies, cookie-secret
  bool log_level = false;       // [server] log-level
  bool push = false;            // [server] push-max-subscriptions, push-inactivity-timeout, push-keepalive-interval
  bool resolver_allow = false;  // [resolver] allow
  bool catalogs = false;        // a generated catalog's member list may have changed
  std::vector<std::string> http;  // [http] keys the update API takes live ("users")
  std::vector<std::string> listen_added, listen_removed;  // [server] listen, as written
  // Keys whose new value only a restart applies ("[server] workers"); the
  // running value stays (keep_restart_keys put it back).
  std::vector<std::string> restart;

  bool empty() const;
  /// One line per zone and role that changes, then one per restart key.
  std::vector<std::string> lines() const;
};

/// The keys of `next` that cannot change while namaed runs, compared with
/// `running`: each one that differs is named ("[server] listen") and set
/// back to its running value in `next`, so the config kept afterwards is
/// the one in effect.
std::vector<std::string> keep_restart_keys(const Config& running, Config& next);

/// Everything else that differs. Call keep_restart_keys first; its list
/// becomes `restart`.
ConfigDiff diff_config(const Config& running, const Config& next, std::vector<std::string> restart = {});

/// A zone's name as the configs compare it: lower case with the final dot.
std::string zone_key(const std::string& name);

}  // namespace namae::daemon
