#include "daemon/config_diff.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

namespace namae::daemon {
namespace {

// One key of a table, named as in the file, and whether two tables differ in it.
template <class T>
struct Key {
  const char* name;
  std::function<bool(const T&, const T&)> differs;
  std::function<void(const T&, T&)> keep;  // copy the running value into the new table
};

#define NAMAE_KEY(T, key, member) \
  Key<T> { key, [](const T& a, const T& b) { return !(a.member == b.member); }, [](const T& a, T& b) { b.member = a.member; } }

// Bound once: sockets, threads, the process's identity and files.
const std::vector<Key<ServerConfig>>& server_restart_keys() {
  static const std::vector<Key<ServerConfig>> keys = {
      NAMAE_KEY(ServerConfig, "workers", workers),
      NAMAE_KEY(ServerConfig, "tcp-workers", tcp_workers),
      NAMAE_KEY(ServerConfig, "control", control),
      NAMAE_KEY(ServerConfig, "tcp-idle-timeout", tcp_idle_timeout_ms),
      NAMAE_KEY(ServerConfig, "tcp-max-connections", tcp_max_connections),
      NAMAE_KEY(ServerConfig, "tcp-write-buffer", tcp_write_buffer),
      NAMAE_KEY(ServerConfig, "udp-batch", udp_batch),
      NAMAE_KEY(ServerConfig, "udp-receive-buffer", udp_receive_buffer),
      NAMAE_KEY(ServerConfig, "pid-file", pid_file),
      NAMAE_KEY(ServerConfig, "user", user),
      NAMAE_KEY(ServerConfig, "group", group),
      NAMAE_KEY(ServerConfig, "push-listen", push_listen),
      NAMAE_KEY(ServerConfig, "tls-cert", tls_cert),
      NAMAE_KEY(ServerConfig, "tls-key", tls_key),
      NAMAE_KEY(ServerConfig, "push-max-connections", push_max_connections),
  };
  return keys;
}

// Every [resolver] key but `allow` sizes or binds something at start.
const std::vector<Key<ResolverConfig>>& resolver_restart_keys() {
  static const std::vector<Key<ResolverConfig>> keys = {
      NAMAE_KEY(ResolverConfig, "enabled", enabled),
      NAMAE_KEY(ResolverConfig, "listen", listen),
      NAMAE_KEY(ResolverConfig, "root-hints", root_hints),
      NAMAE_KEY(ResolverConfig, "empty-zones", empty_zones),
      NAMAE_KEY(ResolverConfig, "do-not-query-localhost", do_not_query_localhost),
      NAMAE_KEY(ResolverConfig, "workers", workers),
      NAMAE_KEY(ResolverConfig, "threads", threads),
      NAMAE_KEY(ResolverConfig, "queries-per-thread", queries_per_thread),
      NAMAE_KEY(ResolverConfig, "cache-size", cache_size),
      NAMAE_KEY(ResolverConfig, "min-ttl", min_ttl),
      NAMAE_KEY(ResolverConfig, "max-ttl", max_ttl),
      NAMAE_KEY(ResolverConfig, "max-negative-ttl", max_negative_ttl),
      NAMAE_KEY(ResolverConfig, "serve-stale", serve_stale),
      NAMAE_KEY(ResolverConfig, "prefetch", prefetch),
      NAMAE_KEY(ResolverConfig, "qname-minimisation", qname_minimisation),
      NAMAE_KEY(ResolverConfig, "edns-udp-size", edns_udp_size),
      NAMAE_KEY(ResolverConfig, "upstream-port", upstream_port),
      NAMAE_KEY(ResolverConfig, "mdns-bridge", mdns_bridge),
      NAMAE_KEY(ResolverConfig, "mdns-bridge-timeout", mdns_bridge_timeout),
      NAMAE_KEY(ResolverConfig, "mdns-bridge-interfaces", mdns_bridge_interfaces),
      NAMAE_KEY(ResolverConfig, "dot-listen", dot_listen),
      NAMAE_KEY(ResolverConfig, "tls-cert", tls_cert),
      NAMAE_KEY(ResolverConfig, "doh-listen", doh_listen),
      NAMAE_KEY(ResolverConfig, "tls-key", tls_key),
      NAMAE_KEY(ResolverConfig, "local-zones", local_zones),
      NAMAE_KEY(ResolverConfig, "stub", stubs),
      NAMAE_KEY(ResolverConfig, "forward", forwards),
  };
  return keys;
}

// The listener's address and certificate are bound at start.
const std::vector<Key<HttpConfig>>& http_restart_keys() {
  static const std::vector<Key<HttpConfig>> keys = {
      NAMAE_KEY(HttpConfig, "enabled", enabled),
      NAMAE_KEY(HttpConfig, "listen", listen),
      NAMAE_KEY(HttpConfig, "tls-cert", tls_cert),
      NAMAE_KEY(HttpConfig, "tls-key", tls_key),
      NAMAE_KEY(HttpConfig, "allow-plain-http", allow_plain_http),
  };
  return keys;
}

// What the update API reads per request: swapped while the listener serves.
const std::vector<Key<HttpConfig>>& http_live_keys() {
  static const std::vector<Key<HttpConfig>> keys = {
      NAMAE_KEY(HttpConfig, "users", users),
      NAMAE_KEY(HttpConfig, "trusted-proxies", trusted_proxies),
      NAMAE_KEY(HttpConfig, "update-ttl", update_ttl),
      NAMAE_KEY(HttpConfig, "login-failures-per-source", login_failures_per_source),
      NAMAE_KEY(HttpConfig, "login-failures-per-user", login_failures_per_user),
      NAMAE_KEY(HttpConfig, "login-failure-window", login_failure_window),
      NAMAE_KEY(HttpConfig, "max-query-length", max_query_length),
  };
  return keys;
}

// A zone whose change means serving it anew (remove, then add: a
// secondary transfers again, a dynamic zone reopens its journal).
const std::vector<Key<ZoneConfig>>& zone_identity_keys() {
  static const std::vector<Key<ZoneConfig>> keys = {
      NAMAE_KEY(ZoneConfig, "file", file),
      NAMAE_KEY(ZoneConfig, "journal", journal),
      NAMAE_KEY(ZoneConfig, "journal-keep", journal_keep),
      NAMAE_KEY(ZoneConfig, "primaries", primaries),
      NAMAE_KEY(ZoneConfig, "transfer-key", transfer_key),
      NAMAE_KEY(ZoneConfig, "forward-updates", forward_updates),
      NAMAE_KEY(ZoneConfig, "catalog-role", catalog_role),
      NAMAE_KEY(ZoneConfig, "catalog-zone", catalog_zone),
      NAMAE_KEY(ZoneConfig, "catalog-group", catalog_group),
      NAMAE_KEY(ZoneConfig, "catalog-member-dir", catalog_member_dir),
      // Starting to sign: loaded (a dynamic zone journaled) signed whole, as at a start.
      Key<ZoneConfig>{"dnssec", [](const ZoneConfig& a, const ZoneConfig& b) { return a.signs() != b.signs(); },
                      [](const ZoneConfig&, ZoneConfig&) {}},
  };
  return keys;
}

// Settings read per request: swapped while the zone keeps serving.
const std::vector<Key<ZoneConfig>>& zone_settings_keys() {
  static const std::vector<Key<ZoneConfig>> keys = {
      NAMAE_KEY(ZoneConfig, "update-policy", update_policy),
      NAMAE_KEY(ZoneConfig, "allow-update", allow_update),
      NAMAE_KEY(ZoneConfig, "allow-transfer", allow_transfer),
      NAMAE_KEY(ZoneConfig, "allow-query", allow_query),
      NAMAE_KEY(ZoneConfig, "max-lease", max_lease),
      NAMAE_KEY(ZoneConfig, "min-lease", min_lease),
      NAMAE_KEY(ZoneConfig, "lease-required", lease_required),
      NAMAE_KEY(ZoneConfig, "max-key-lease", max_key_lease),
      NAMAE_KEY(ZoneConfig, "srp", srp),
      NAMAE_KEY(ZoneConfig, "dynamic-max-ttl", dynamic_max_ttl),
      NAMAE_KEY(ZoneConfig, "file-sync-interval", file_sync_interval),
      NAMAE_KEY(ZoneConfig, "notify", notify),
      NAMAE_KEY(ZoneConfig, "notify-key", notify_key),
      // The signer takes them live (keep_signing keeps every other signing change).
      NAMAE_KEY(ZoneConfig, "dnssec-policy", dnssec_policy),
      NAMAE_KEY(ZoneConfig, "signature-validity", policy.signature_validity),
      NAMAE_KEY(ZoneConfig, "signature-refresh", policy.signature_refresh),
      // The key ring takes them live (signing::ZoneKeyRing::set_policy):
      // the next events follow them; a new algorithm or key split starts its rollover.
      NAMAE_KEY(ZoneConfig, "algorithm", policy.algorithm),
      NAMAE_KEY(ZoneConfig, "keys", policy.keys),
      NAMAE_KEY(ZoneConfig, "ksk-lifetime", policy.ksk_lifetime),
      NAMAE_KEY(ZoneConfig, "zsk-lifetime", policy.zsk_lifetime),
      NAMAE_KEY(ZoneConfig, "dnskey-ttl", policy.dnskey_ttl),
      NAMAE_KEY(ZoneConfig, "propagation-delay", policy.propagation_delay),
      NAMAE_KEY(ZoneConfig, "parent-ds-ttl", policy.parent_ds_ttl),
      NAMAE_KEY(ZoneConfig, "parent-propagation-delay", policy.parent_propagation_delay),
      NAMAE_KEY(ZoneConfig, "purge-keys", policy.purge_keys),
      NAMAE_KEY(ZoneConfig, "parental-check-interval", policy.parental_check_interval),
      NAMAE_KEY(ZoneConfig, "parental-agents", parental_agents),
  };
  return keys;
}

#undef NAMAE_KEY

// The access lists of the listen entries that have one, by address (a
// table without allow-query means the same as the plain address).
std::map<std::string, std::vector<std::string>> listener_acls(const ServerConfig& sv) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& l : sv.listeners)
    if (l.has_allow_query) out[l.address] = l.allow_query;
  return out;
}

template <class T>
void keep(const std::vector<Key<T>>& keys, const char* table, const T& running, T& next,
          std::vector<std::string>& out) {
  for (const auto& k : keys)
    if (k.differs(running, next)) {
      out.push_back(fmt::format("[{}] {}", table, k.name));
      k.keep(running, next);
    }
}

template <class T>
std::vector<std::string> changed(const std::vector<Key<T>>& keys, const T& a, const T& b) {
  std::vector<std::string> out;
  for (const auto& k : keys)
    if (k.differs(a, b)) out.push_back(k.name);
  return out;
}

std::map<std::string, const ZoneConfig*> by_name(const std::vector<ZoneConfig>& zones) {
  std::map<std::string, const ZoneConfig*> out;
  for (const auto& z : zones) out[zone_key(z.name)] = &z;
  return out;
}

// A key added to a table later and listed neither as live nor above: the
// whole table then needs a restart, rather than a change silently ignored.
template <class T>
void keep_unlisted(const char* table, const T& running, T& next, const std::function<void(const T&, T&)>& take_live,
                   std::vector<std::string>& out) {
  T probe = running;
  take_live(next, probe);
  if (probe == next) return;
  out.push_back(fmt::format("[{}] (a key that only a restart applies)", table));
  T kept = running;
  take_live(next, kept);
  next = std::move(kept);
}

bool consumes(const ZoneConfig* z) { return z && z->catalog_role == "consume"; }

// A consumed catalog owns the zones it lists (RFC 9432): adding, removing or
// changing one is left to a restart, and the running one stays as it is.
void keep_consumed_catalogs(const Config& running, Config& next, std::vector<std::string>& out) {
  auto old_zones = by_name(running.zones);
  auto new_zones = by_name(next.zones);
  std::vector<ZoneConfig> kept;
  for (const auto& z : next.zones) {
    const ZoneConfig* was = old_zones.count(zone_key(z.name)) ? old_zones[zone_key(z.name)] : nullptr;
    if (!consumes(&z) && !consumes(was)) {
      kept.push_back(z);
      continue;
    }
    if (was && *was == z) {
      kept.push_back(z);
      continue;
    }
    out.push_back(fmt::format("[[zone]] {} (catalog-role = \"consume\")", z.name));
    if (was) kept.push_back(*was);
  }
  for (const auto& z : running.zones)
    if (consumes(&z) && !new_zones.count(zone_key(z.name))) {
      out.push_back(fmt::format("[[zone]] {} (catalog-role = \"consume\")", z.name));
      kept.push_back(z);
    }
  next.zones = std::move(kept);
}

// What a running signer is made of and only a restart changes: whether the
// zone is signed, where its keys are and the denial of existence. The rest
// of the policy its key ring takes live: another key split (csk <->
// ksk-zsk) rolls every key to the new split, as another algorithm does;
// going insecure ("insecure" names no split or denial: the running ones
// stay) too.
bool same_signer(const ZoneConfig& a, const ZoneConfig& b) {
  if (!a.signs() && !b.signs()) return true;
  if (a.signs() != b.signs() || a.key_directory != b.key_directory) return false;
  if (b.policy.insecure) return true;
  return a.policy.nsec3 == b.policy.nsec3;
}

// A zone that starts signing (new, or served anew) gets its keys as at a
// start. One that stops signing, or signs from another key directory or
// with another denial, waits for a restart (a dynamic zone's journal holds
// its signatures) and keeps its running signing settings meanwhile.
void keep_signing(const Config& running, Config& next, std::vector<std::string>& out) {
  auto old_zones = by_name(running.zones);
  for (auto& z : next.zones) {
    auto it = old_zones.find(zone_key(z.name));
    if (it == old_zones.end()) continue;
    const ZoneConfig& was = *it->second;
    if (!was.signs() && z.signs()) continue;
    if (!same_signer(was, z)) {
      out.push_back(fmt::format("[[zone]] {} dnssec, key-directory, or the policy's nsec3", z.name));
      z.dnssec = was.dnssec;
      z.dnssec_policy = was.dnssec_policy;
      z.key_directory = was.key_directory;
      z.policy = was.policy;
    }
  }
}

ZoneConfig without_line(ZoneConfig z) {
  z.line = 0;
  z.policy.line = 0;
  return z;
}

std::vector<KeyConfig> without_lines(std::vector<KeyConfig> keys) {
  for (auto& k : keys) k.line = 0;
  return keys;
}

void diff_zones(const Config& running, const Config& next, ConfigDiff& d) {
  auto old_zones = by_name(running.zones);
  auto new_zones = by_name(next.zones);
  for (const auto& z : next.zones) {
    auto it = old_zones.find(zone_key(z.name));
    if (it == old_zones.end()) {
      d.zones.push_back({ZoneChange::Kind::added, z.name, z, {}});
      if (!z.catalog_zone.empty()) d.catalogs = true;
      continue;
    }
    const ZoneConfig& was = *it->second;
    if (without_line(was) == without_line(z)) continue;
    if (was.catalog_zone != z.catalog_zone || was.catalog_group != z.catalog_group) d.catalogs = true;
    auto identity = changed(zone_identity_keys(), was, z);
    if (!identity.empty()) {
      auto rest = changed(zone_settings_keys(), was, z);
      identity.insert(identity.end(), rest.begin(), rest.end());
      d.zones.push_back({ZoneChange::Kind::replaced, z.name, z, identity});
    } else {
      d.zones.push_back({ZoneChange::Kind::settings, z.name, z, changed(zone_settings_keys(), was, z)});
    }
  }
  for (const auto& z : running.zones)
    if (!new_zones.count(zone_key(z.name))) {
      d.zones.push_back({ZoneChange::Kind::removed, z.name, z, {}});
      if (!z.catalog_zone.empty()) d.catalogs = true;
    }
}

}  // namespace

std::string zone_key(const std::string& name) {
  std::string k = name;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k.empty() || k.back() != '.') k += '.';
  return k;
}

std::vector<std::string> keep_restart_keys(const Config& running, Config& next) {
  std::vector<std::string> out;
  keep(server_restart_keys(), "server", running.server, next.server, out);
  // The uid and gid come with user and group.
  next.server.uid = running.server.uid;
  next.server.gid = running.server.gid;
  next.server.user_line = running.server.user_line;
  keep_unlisted<ServerConfig>("server", running.server, next.server, [](const ServerConfig& from, ServerConfig& to) {
    to.allow_query = from.allow_query;
    to.minimal_responses = from.minimal_responses;
    to.edns_udp_size = from.edns_udp_size;
    to.log_level = from.log_level;
    to.cookies = from.cookies;
    to.cookie_secret = from.cookie_secret;
    to.rrl = from.rrl;
    to.listen = from.listen;
    to.listeners = from.listeners;
    to.push_max_subscriptions = from.push_max_subscriptions;
    to.push_inactivity_timeout_ms = from.push_inactivity_timeout_ms;
    to.push_keepalive_interval_ms = from.push_keepalive_interval_ms;
  }, out);
  keep(resolver_restart_keys(), "resolver", running.resolver, next.resolver, out);
  keep_unlisted<ResolverConfig>("resolver", running.resolver, next.resolver,
                                [](const ResolverConfig& from, ResolverConfig& to) { to.allow = from.allow; }, out);
  keep(http_restart_keys(), "http", running.http, next.http, out);
  // No API runs (or none will, until a restart): nothing takes its settings.
  if (!running.http.enabled) keep(http_live_keys(), "http", running.http, next.http, out);
  keep_unlisted<HttpConfig>("http", running.http, next.http, [](const HttpConfig& from, HttpConfig& to) {
    for (const auto& k : http_live_keys()) k.keep(from, to);
  }, out);
  if (!(running.mdns == next.mdns)) {
    out.push_back("[mdns]");
    next.mdns = running.mdns;
  }
  if (running.proxies != next.proxies) {
    out.push_back("[[proxy]]");
    next.proxies = running.proxies;
  }
  keep_consumed_catalogs(running, next, out);
  keep_signing(running, next, out);
  return out;
}

ConfigDiff diff_config(const Config& running, const Config& next, std::vector<std::string> restart) {
  ConfigDiff d;
  d.restart = std::move(restart);
  diff_zones(running, next, d);
  d.keys = without_lines(running.keys) != without_lines(next.keys);
  const ServerConfig& a = running.server;
  const ServerConfig& b = next.server;
  d.auth = a.allow_query != b.allow_query || a.minimal_responses != b.minimal_responses ||
           a.edns_udp_size != b.edns_udp_size;
  d.listener_acls = listener_acls(a) != listener_acls(b);
  d.rrl = !(a.rrl == b.rrl);
  d.cookies = a.cookies != b.cookies || a.cookie_secret != b.cookie_secret;
  d.log_level = a.log_level != b.log_level;
  d.push = a.push_max_subscriptions != b.push_max_subscriptions ||
           a.push_inactivity_timeout_ms != b.push_inactivity_timeout_ms ||
           a.push_keepalive_interval_ms != b.push_keepalive_interval_ms;
  d.resolver_allow = running.resolver.allow != next.resolver.allow;
  d.http = changed(http_live_keys(), running.http, next.http);
  for (const auto& l : b.listen)
    if (std::find(a.listen.begin(), a.listen.end(), l) == a.listen.end()) d.listen_added.push_back(l);
  for (const auto& l : a.listen)
    if (std::find(b.listen.begin(), b.listen.end(), l) == b.listen.end()) d.listen_removed.push_back(l);
  return d;
}

bool ConfigDiff::empty() const {
  return zones.empty() && !keys && !auth && !listener_acls && !rrl && !cookies && !log_level && !push && !resolver_allow && http.empty() &&
         listen_added.empty() && listen_removed.empty() && restart.empty();
}

std::vector<std::string> ConfigDiff::lines() const {
  std::vector<std::string> out;
  for (const auto& z : zones) {
    auto keys_text = [&] {
      std::string s;
      for (const auto& k : z.keys) s += (s.empty() ? "" : ", ") + k;
      return s;
    };
    switch (z.kind) {
      case ZoneChange::Kind::added: out.push_back(fmt::format("zone {}: added", z.name)); break;
      case ZoneChange::Kind::removed: out.push_back(fmt::format("zone {}: removed", z.name)); break;
      case ZoneChange::Kind::replaced:
        out.push_back(fmt::format("zone {}: {} changed: served anew", z.name, keys_text()));
        break;
      case ZoneChange::Kind::settings:
        out.push_back(fmt::format("zone {}: {} changed", z.name, keys_text()));
        break;
    }
  }
  if (keys) out.push_back("keys: [[key]] tables changed");
  if (auth) out.push_back("server: allow-query, minimal-responses or edns-udp-size changed");
  if (listener_acls) out.push_back("server: a listen entry's allow-query changed");
  if (rrl) out.push_back("server: rrl changed");
  if (cookies) out.push_back("server: cookies changed");
  if (log_level) out.push_back("server: log-level changed");
  if (push) out.push_back("server: push-max-subscriptions, push-inactivity-timeout or push-keepalive-interval changed");
  if (resolver_allow) out.push_back("resolver: allow changed");
  for (const auto& k : http) out.push_back("http: " + k + " changed");
  for (const auto& k : restart) out.push_back(k + ": needs a restart (the running value stays)");
  return out;
}

}  // namespace namae::daemon
