// namaed's configuration: the TOML file, parsed and checked in one place.
// Every key is declared once in daemon/config_schema.cpp (its default is the
// member's initializer below); unknown keys, wrong types and keys of roles not
// built yet are errors that name the file, line and reason. Every key is
// documented in docs/config.md (a unit test holds the two together).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"

namespace namae::daemon {

/// [server] rrl: response rate limiting of UDP answers (BIND's rate-limit,
/// Knot's mod-rrl; auth/rrl.h). Absent: off.
struct RrlConfig {
  bool enabled = false;
  uint32_t responses_per_second = 0;  // required when the table is present
  uint32_t slip = 2;
  uint32_t window = 15;
  uint32_t ipv4_prefix = 24;
  uint32_t ipv6_prefix = 56;
  uint32_t table_size = 65536;
  std::vector<std::string> exempt;
  bool operator==(const RrlConfig&) const = default;
};

/// A [server] listen entry written as a table: an address with settings of
/// its own (one written as a plain "addr:port" string has none).
struct ListenerConfig {
  std::string address;                   // "addr:port"
  std::vector<std::string> allow_query;  // prefixes and "key:NAME": who may query through it
  bool has_allow_query = false;          // set: checked as well as the zone's list
  bool operator==(const ListenerConfig&) const = default;
};

/// [server]: the authoritative listeners.
struct ServerConfig {
  std::vector<std::string> listen = {"127.0.0.1:53", "[::1]:53"};  // every address, as written
  std::vector<ListenerConfig> listeners;  // the entries of `listen` written as tables, in order
  unsigned workers = 0;              // UDP workers; 0 = one per core
  unsigned tcp_workers = 1;          // TCP event loops
  std::string control = "run/namaed.sock";  // resolved against the config dir
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 1024;
  uint32_t tcp_write_buffer = 64 * 1024;
  uint32_t udp_batch = 64;
  uint32_t udp_receive_buffer = 8 << 20;
  uint16_t edns_udp_size = 1232;     // largest UDP answer we send (RFC 9715 / DNS flag day 2020)
  bool minimal_responses = false;
  std::string log_level = "info";
  std::string pid_file;              // empty: none
  bool cookies = true;               // RFC 7873 server cookies
  std::string cookie_secret;         // 32 hex digits shared by every server of an address; empty: random, rotated
  std::string user;                  // run as this user once listening (empty: stay as started)
  std::string group;                 // and group (empty: the user's primary group)
  uint32_t uid = 0, gid = 0;         // resolved from user/group by the parser (getpwnam/getgrnam)
  int user_line = 0;                 // where `user` is, for startup errors
  RrlConfig rrl;
  // Who may query (prefixes and "key:NAME"); the default is everyone.
  std::vector<std::string> allow_query = {"0.0.0.0/0", "::/0"};
  // DNS Push Notifications over DSO (RFC 8765, RFC 8490), always over TLS.
  std::vector<std::string> push_listen;
  std::string tls_cert, tls_key;     // PEM files of the push listeners
  uint32_t push_max_subscriptions = 1024;       // per connection
  uint32_t push_max_connections = 1024;         // over every push listener
  uint32_t push_inactivity_timeout_ms = 15000;  // RFC 8490 6.4 (0xFFFFFFFF: infinity)
  uint32_t push_keepalive_interval_ms = 60000;  // RFC 8490 6.5 (>= 10 s, 6.5.2)
  bool operator==(const ServerConfig&) const = default;
};

/// [[key]]: a TSIG key.
struct KeyConfig {
  std::string name;
  std::string algorithm = "hmac-sha256";
  std::string secret;
  int line = 0;
  bool operator==(const KeyConfig&) const = default;
};

/// One update-policy rule of a zone.
struct GrantConfig {
  std::string key, grant, name;
  std::vector<std::string> types;
  bool operator==(const GrantConfig&) const = default;
};

/// [[dnssec-policy]]: how the zones naming it are signed (docs/config.md).
struct DnssecPolicyConfig {
  std::string name;
  std::string algorithm = "ecdsap256sha256";  // ecdsap256sha256, ed25519, rsasha256
  std::string keys = "csk";                   // csk, or ksk-zsk
  uint32_t ksk_lifetime = 0;                  // 0: unlimited; a CSK's too
  uint32_t zsk_lifetime = 0;
  uint32_t signature_validity = 14 * 86400;
  uint32_t signature_refresh = 5 * 86400;
  bool nsec3 = false;
  uint32_t dnskey_ttl = 0;                    // 0: the SOA's TTL
  uint32_t propagation_delay = 3600;
  uint32_t parent_ds_ttl = 86400;
  uint32_t parent_propagation_delay = 3600;
  uint32_t purge_keys = 90 * 86400;           // 0: a removed key's files are kept
  uint32_t parental_check_interval = 3600;    // seconds between DS queries to parental-agents
  bool insecure = false;                      // unsign the zone (RFC 8078 4); the built-in "insecure" sets it
  int line = 0;
  bool operator==(const DnssecPolicyConfig&) const = default;
};

/// [[zone]]: a zone this server is authoritative for.
struct ZoneConfig {
  std::string name;   // as written, e.g. "example.net"
  std::string file;   // resolved path
  std::string journal;
  std::vector<GrantConfig> update_policy;
  std::vector<std::string> allow_update;  // prefixes allowed to update without TSIG
  std::vector<std::string> allow_transfer;  // prefixes and "key:NAME" allowed AXFR/IXFR
  std::vector<std::string> allow_query;     // prefixes and "key:NAME" allowed to query
  bool has_allow_query = false;             // set: replaces [server] allow-query for the zone
  uint32_t max_lease = 0;
  uint32_t min_lease = 60;
  bool lease_required = true;
  uint32_t max_key_lease = 0;  // 0: max_lease's ceiling
  bool srp = false;            // accepts RFC 9665 SRP registrations
  uint32_t dynamic_max_ttl = 0;
  uint32_t file_sync_interval = 300;  // seconds; 0 = only at shutdown
  uint32_t journal_keep = 1000;       // journal entries kept after compaction
  // Secondary (issue 13): transferred from these primaries instead of loaded.
  std::vector<std::string> primaries;  // "addr[:port]"; non-empty makes the zone a secondary
  std::string transfer_key;            // a [[key]] name: signs transfers, required on NOTIFY
  bool forward_updates = false;        // UPDATEs go on to the primary (RFC 2136 6), else REFUSED
  std::vector<std::string> notify;    // RFC 1996 NOTIFY targets, "addr:port"
  std::string notify_key;             // [[key]] signing them; empty: unsigned
  std::string catalog_role = "none";  // RFC 9432: none, generate, consume
  std::string catalog_zone;           // the generated catalog listing this zone
  std::string catalog_group;          // its RFC 9432 group property
  std::string catalog_member_dir;     // consume: where member zone files go
  // DNSSEC (issue 14): namaed signs the zone itself.
  bool dnssec = false;                // sign with the default [[dnssec-policy]] values
  std::string dnssec_policy;          // a [[dnssec-policy]] name (implies dnssec)
  std::string key_directory = "keys";  // the zone's K-files, created 0700
  DnssecPolicyConfig policy;          // the named policy, or the defaults (set by the parser)
  std::vector<std::string> parental_agents;  // "addr:port" asked for the zone's DS
  bool signs() const { return dnssec || !dnssec_policy.empty(); }
  int line = 0;  // where the [[zone]] table starts, for messages
  bool operator==(const ZoneConfig&) const = default;
};

/// [[resolver.stub]] and [[resolver.forward]]: a domain sent to given servers.
struct ZoneRouteConfig {
  std::string name;
  std::vector<std::string> servers;  // "addr", "addr:port", "[v6]", "[v6]:port"
  bool tls = false;                  // forward only: DNS over TLS (RFC 7858)
  std::string tls_name;              // the name the forwarders' certificates must carry
  std::string tls_ca_file;           // CAs trusted for them (empty: the system's store)
  uint32_t tls_idle_timeout_ms = 60000;  // a connection idle this long is closed (Unbound's tcp-reuse-timeout)
  int line = 0;
  bool operator==(const ZoneRouteConfig&) const = default;
};

/// [resolver]: the recursive resolver's own listeners.
struct ResolverConfig {
  bool enabled = false;
  std::vector<std::string> listen;
  std::string root_hints;
  // Loopback and private ranges (RFC 1918, RFC 6598, ULA, link-local).
  std::vector<std::string> allow = {"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
                                    "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fe80::/10"};
  bool empty_zones = true;
  bool do_not_query_localhost = true;
  unsigned workers = 1;            // UDP workers of the resolver listeners
  unsigned threads = 1;            // resolution loops (cache misses)
  unsigned queries_per_thread = 1024;  // misses each loop resolves at once
  uint32_t cache_size = 200000;    // cache entries (RRsets and negative answers)
  uint32_t min_ttl = 0;            // TTL floor
  uint32_t max_ttl = 86400;        // TTL ceiling
  uint32_t max_negative_ttl = 3600;
  bool serve_stale = false;        // RFC 8767
  bool prefetch = true;
  bool qname_minimisation = true;  // RFC 9156 (relaxed)
  uint16_t edns_udp_size = 1232;
  uint16_t upstream_port = 53;     // port of every upstream server (test hierarchies)
  bool mdns_bridge = false;        // RFC 8766-style: .local questions asked by multicast
  uint32_t mdns_bridge_timeout = 1000;            // ms to wait for mDNS answers
  std::vector<std::string> mdns_bridge_interfaces;  // empty: every multicast interface
  std::vector<std::string> dot_listen;  // DNS over TLS (RFC 7858)
  std::vector<std::string> doh_listen;  // DNS over HTTPS (RFC 8484), path /dns-query
  std::string tls_cert, tls_key;        // PEM files for both
  bool local_zones = true;         // answer the zones served here from their data
  bool validate = true;            // DNSSEC validation (RFC 4035)
  std::string trust_anchor_file;   // empty: the root's KSKs, built in
  bool aggressive_nsec = true;     // RFC 8198: validated NSEC/NSEC3 ranges answer what they cover
  bool auto_trust_anchor = false;  // RFC 5011 updates of trust_anchor_file
  uint32_t trust_anchor_hold_down = 30 * 86400;  // RFC 5011 add and remove hold-downs, seconds
  std::vector<ZoneRouteConfig> stubs, forwards;
  bool operator==(const ResolverConfig&) const = default;
};

/// One DNS-SD service advertised by [mdns].
struct ServiceConfig {
  std::string name, type;
  uint16_t port = 0;
  std::vector<std::string> txt;
  std::vector<std::string> subtypes;  // "_universal" → _universal._sub.TYPE
  int line = 0;
  bool operator==(const ServiceConfig&) const = default;
};

/// [mdns]: the multicast DNS responder.
struct MdnsConfig {
  bool enabled = false;
  std::vector<std::string> interfaces;  // empty: every multicast interface
  std::string hostname;                 // empty: the system host name's first label
  std::vector<ServiceConfig> services;
  bool ipv6 = true;                     // also use ff02::fb
  uint32_t rescan_interval = 5;         // seconds between interface rescans (netlink wakes it sooner)
  bool operator==(const MdnsConfig&) const = default;
};

/// [[proxy]]: a DNS-SD Discovery Proxy (RFC 8766) for one link.
struct ProxyConfig {
  std::string name;       // the delegated domain
  std::string interface;  // the link
  std::vector<std::string> nameservers;  // apex NS targets; empty: this host's name
  uint32_t timeout = 6000;  // ms a question with nothing cached waits (RFC 8766 5.6)
  std::string host_domain;           // RFC 8766 5.3; empty: `name` names hosts too
  std::vector<std::string> reverse;  // RFC 8766 5.4: prefixes on label boundaries
  int line = 0;
  bool operator==(const ProxyConfig& o) const {  // where it sits in the file aside
    return name == o.name && interface == o.interface && nameservers == o.nameservers && timeout == o.timeout &&
           host_domain == o.host_domain && reverse == o.reverse;
  }
};

/// One user of the DynDNS2 API.
struct UserConfig {
  std::string name, password_hash;
  std::vector<std::string> hostnames;
  bool operator==(const UserConfig&) const = default;
};

/// [http]: DynDNS2 API, REST and /metrics.
struct HttpConfig {
  bool enabled = true;  // /metrics is useful with no [http] table at all
  std::string listen = "127.0.0.1:8053";
  std::string tls_cert, tls_key;
  std::vector<UserConfig> users;
  // The DynDNS2/REST update API (src/http/update_api.h):
  bool allow_plain_http = false;             // plain HTTP on a non-loopback listen address
  std::vector<std::string> trusted_proxies;  // prefixes whose X-Forwarded-For is believed
  uint32_t update_ttl = 60;                  // TTL of addresses published over HTTP
  uint32_t login_failures_per_source = 5;    // failed logins per window before "abuse"
  uint32_t login_failures_per_user = 10;
  uint32_t login_failure_window = 60;        // seconds
  uint32_t max_query_length = 1024;          // longer request targets get "badagent"
  bool operator==(const HttpConfig&) const = default;
};

/// The whole file.
struct Config {
  std::string source;  // file name used in messages ("<default>" when embedded)
  std::string dir;     // relative paths in the file are resolved against this
  ServerConfig server;
  std::vector<KeyConfig> keys;
  std::vector<ZoneConfig> zones;
  std::vector<DnssecPolicyConfig> dnssec_policies;
  ResolverConfig resolver;
  MdnsConfig mdns;
  std::vector<ProxyConfig> proxies;
  HttpConfig http;
};

/// A zone's origin: its `name` as an absolute domain name (the trailing dot
/// is optional in the config). Errors read "zone 'NAME': reason".
Result<dns::Name> zone_origin(const ZoneConfig& z);
/// A domain name as the config writes it, the trailing dot optional.
Result<dns::Name> absolute_name(const std::string& text);

/// Parse TOML `text`. `source` names it in errors; `dir` resolves relative
/// paths. Errors read "source:line: reason" (several, one per line).
Result<Config> parse_config(std::string_view text, const std::string& source, const std::string& dir);

/// Read and parse `path` (relative paths resolve against its directory).
Result<Config> load_config(const std::string& path);

/// The built-in configuration (a copy of examples/namae.toml taken at build
/// time), used by `namaed --default-config`; relative paths resolve against
/// the current directory.
std::string_view default_config_text();

/// The effective configuration as TOML that parse_config accepts again:
/// every key with its value or default (paths absolute), each with a
/// one-line comment; absent optional roles are shown commented out.
std::string print_config(const Config& cfg);

/// `path` made absolute against `dir` unless it already is.
std::string resolve_path(const std::string& dir, const std::string& path);

}  // namespace namae::daemon
