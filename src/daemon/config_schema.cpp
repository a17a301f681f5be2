#include "daemon/config_schema.h"

#include <filesystem>

#include <fmt/format.h>

namespace namae::daemon::schema {
namespace {

using T = Type;
constexpr int64_t kMaxSeconds = 0x7fffffff;

using S = ServerConfig;
constexpr Key<S> server_keys[] = {
    {"listen", T::listeners, &S::listen, "UDP and TCP listen addresses: \"addr:port\", or { address, allow-query } with its own access list"},
    {"workers", T::integer, &S::workers, "UDP worker threads (0: one per core)", 0, 1024},
    {"tcp-workers", T::integer, &S::tcp_workers, "TCP event-loop threads", 1, 1024},
    {"control", T::path, &S::control, "Unix socket for `namae ctl`"},
    {"tcp-idle-timeout", T::integer, &S::tcp_idle_timeout_ms, "milliseconds without progress before a TCP connection is closed", 100, 3600 * 1000},
    {"tcp-max-connections", T::integer, &S::tcp_max_connections, "open TCP connections over all TCP workers", 1, 1000000},
    {"tcp-write-buffer", T::integer, &S::tcp_write_buffer, "bytes of unsent answers per TCP connection", 4096, 64 << 20},
    {"udp-batch", T::integer, &S::udp_batch, "datagrams per recvmmsg/sendmmsg call", 1, 1024},
    {"udp-receive-buffer", T::integer, &S::udp_receive_buffer, "SO_RCVBUF of each UDP socket, bytes", 0, 1 << 30},
    {"edns-udp-size", T::integer, &S::edns_udp_size, "largest UDP answer sent", 512, 65535},
    {"minimal-responses", T::boolean, &S::minimal_responses, "leave NS and glue out of positive answers"},
    {"log-level", T::choice, &S::log_level, "spdlog level", 0, 0, "trace, debug, info, warn, error, critical, off"},
    {"pid-file", T::path, &S::pid_file, "write the process id here while running"},
    {"cookies", T::boolean, &S::cookies, "answer DNS cookies (RFC 7873, RFC 9018 server cookies)"},
    {"cookie-secret", T::string, &S::cookie_secret, "32 hex digits: the server cookie secret shared by every server behind one address (default: random, rotated daily)"},
    {"user", T::string, &S::user, "run as this user once every listener is bound (namaed started as root)"},
    {"group", T::string, &S::group, "run with this group (empty: the user's primary group)"},
    {"rrl", T::table, {}, "response rate limiting of UDP answers (absent: off)"},
    {"allow-query", T::strings, &S::allow_query, "who may query: address prefixes and \"key:NAME\" entries"},
    {"push-listen", T::endpoints, &S::push_listen, "DNS Push Notification (RFC 8765) listen addresses, over TLS"},
    {"tls-cert", T::path, &S::tls_cert, "PEM certificate chain of the push listeners"},
    {"tls-key", T::path, &S::tls_key, "PEM private key of the push listeners (mode 0600)"},
    {"push-max-subscriptions", T::integer, &S::push_max_subscriptions, "DNS Push subscriptions per connection (one more is REFUSED)", 1, 1000000},
    {"push-max-connections", T::integer, &S::push_max_connections, "open connections over every push-listen address", 1, 1000000},
    {"push-inactivity-timeout", T::integer, &S::push_inactivity_timeout_ms, "milliseconds a DSO session with no subscription may stay idle (RFC 8490 6.4; 4294967295: no limit)", 0, 0xffffffff},
    {"push-keepalive-interval", T::integer, &S::push_keepalive_interval_ms, "milliseconds between a DSO client's keepalive messages (RFC 8490 6.5; at least 10000, 6.5.2; 4294967295: none needed)", 10000, 0xffffffff},
};

using L = RrlConfig;
constexpr Key<L> rrl_keys[] = {
    {"responses-per-second", T::integer, &L::responses_per_second, "answers per second per client prefix and answer", 1, 1000000, {}, true},
    {"slip", T::integer, &L::slip, "every n-th limited answer goes out truncated (0: none, 1: all)", 0, 10},
    {"window", T::integer, &L::window, "seconds of debt a flooding prefix pays off", 1, 3600},
    {"ipv4-prefix", T::integer, &L::ipv4_prefix, "IPv4 clients are grouped by this prefix", 8, 32},
    {"ipv6-prefix", T::integer, &L::ipv6_prefix, "IPv6 clients are grouped by this prefix", 16, 128},
    {"table-size", T::integer, &L::table_size, "accounts kept (a power of two; collisions share one)", 1, 1 << 26},
    {"exempt", T::prefixes, &L::exempt, "sources never limited"},
};

using LC = ListenerConfig;
constexpr Key<LC> listener_keys[] = {
    {"address", T::endpoint, &LC::address, "\"addr:port\"", 0, 0, {}, true},
    {"allow-query", T::strings, &LC::allow_query, "who may query through this address: prefixes and \"key:NAME\" entries"},
};

using K = KeyConfig;
constexpr Key<K> key_keys[] = {
    {"name", T::string, &K::name, "key name, as on the wire", 0, 0, {}, true},
    {"algorithm", T::string, &K::algorithm, "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512"},
    {"secret", T::string, &K::secret, "base64", 0, 0, {}, true},
    {"y", T::string, {}, "the whole key as dig's -y [algorithm:]name:secret, instead of the three above"},
};

using Z = ZoneConfig;
constexpr Key<Z> zone_keys[] = {
    {"name", T::string, &Z::name, "zone origin", 0, 0, {}, true},
    {"file", T::path, &Z::file, "RFC 1035 master file (a secondary's saved copy)", 0, 0, {}, true},
    {"journal", T::path, &Z::journal, "SQLite journal; enables dynamic update"},
    {"update-policy", T::tables, {}, "who may update what, per TSIG key"},
    {"allow-update", T::prefixes, &Z::allow_update, "sources allowed to update without TSIG"},
    {"max-lease", T::integer, &Z::max_lease, "longest RFC 9664 lease, seconds (0: leases as requested)", 0, kMaxSeconds},
    {"min-lease", T::integer, &Z::min_lease, "shortest lease granted, seconds", 0, kMaxSeconds},
    {"lease-required", T::boolean, &Z::lease_required, "records added without a lease get max-lease"},
    {"max-key-lease", T::integer, &Z::max_key_lease, "longest KEY-LEASE, seconds (0: max-lease)", 0, kMaxSeconds},
    {"srp", T::boolean, &Z::srp, "accept SRP registrations (RFC 9665): SIG(0)-signed, first come first served"},
    {"dynamic-max-ttl", T::integer, &Z::dynamic_max_ttl, "TTL ceiling of updated records (0: none)", 0, kMaxSeconds},
    {"file-sync-interval", T::integer, &Z::file_sync_interval, "seconds between zone file write-backs (0: at shutdown)", 0, kMaxSeconds},
    {"journal-keep", T::integer, &Z::journal_keep, "journal entries kept after compaction", 0, kMaxSeconds},
    {"primaries", T::strings, &Z::primaries, "addr[:port] of the primaries; makes the zone a secondary"},
    {"transfer-key", T::string, &Z::transfer_key, "[[key]] signing transfers from the primaries (and their NOTIFYs)"},
    {"forward-updates", T::boolean, &Z::forward_updates, "secondary: forward UPDATEs to the primary (else REFUSED)"},
    {"notify", T::endpoints, &Z::notify, "send NOTIFY to these addr:port after each new version"},
    {"notify-key", T::string, &Z::notify_key, "[[key]] that signs NOTIFY (empty: unsigned)"},
    {"catalog-role", T::choice, &Z::catalog_role, "RFC 9432 catalog zone: none, generate or consume", 0, 0, "none, generate, consume"},
    {"catalog-zone", T::string, &Z::catalog_zone, "the generated catalog zone that lists this zone"},
    {"catalog-group", T::string, &Z::catalog_group, "this zone's group property in that catalog"},
    {"catalog-member-dir", T::path, &Z::catalog_member_dir, "consume: directory of the member zones' files"},
    {"allow-transfer", T::strings, &Z::allow_transfer, "who may AXFR/IXFR: address prefixes and \"key:NAME\" entries"},
    {"allow-query", T::strings, &Z::allow_query, "who may query this zone (replaces [server] allow-query)"},
    {"dnssec", T::boolean, &Z::dnssec, "namaed signs the zone (DNSSEC) with the default policy"},
    {"dnssec-policy", T::string, &Z::dnssec_policy, "a [[dnssec-policy]] name: namaed signs the zone with it"},
    {"key-directory", T::path, &Z::key_directory, "directory of the zone's DNSSEC keys (created 0700)"},
    {"parental-agents", T::endpoints, &Z::parental_agents, "addr:port of the parent's servers, asked for the zone's DS while a key roll (or going insecure) waits on the parent"},
};

using DP = DnssecPolicyConfig;
constexpr Key<DP> dnssec_policy_keys[] = {
    {"name", T::string, &DP::name, "the policy's name, for [[zone]] dnssec-policy", 0, 0, {}, true},
    {"algorithm", T::choice, &DP::algorithm, "signing algorithm", 0, 0, "ecdsap256sha256, ed25519, rsasha256"},
    {"keys", T::choice, &DP::keys, "one combined signing key, or a KSK and a ZSK", 0, 0, "csk, ksk-zsk"},
    {"ksk-lifetime", T::integer, &DP::ksk_lifetime, "seconds from a KSK's (or CSK's) activation to its successor's (0: never rolled)", 0, kMaxSeconds},
    {"zsk-lifetime", T::integer, &DP::zsk_lifetime, "seconds from a ZSK's activation to its successor's (0: never rolled; keys = ksk-zsk only)", 0, kMaxSeconds},
    {"signature-validity", T::integer, &DP::signature_validity, "seconds an RRSIG is valid from its signing", 60, 366 * 86400},
    {"signature-refresh", T::integer, &DP::signature_refresh, "an RRSIG with less validity left than this is made anew, seconds", 30, 365 * 86400},
    {"nsec3", T::boolean, &DP::nsec3, "NSEC3 (RFC 5155, RFC 9276 parameters: no extra iterations, no salt) instead of NSEC"},
    {"dnskey-ttl", T::integer, &DP::dnskey_ttl, "TTL of the DNSKEY, CDS and CDNSKEY RRsets (0: the SOA's TTL)", 0, kMaxSeconds},
    {"propagation-delay", T::integer, &DP::propagation_delay, "seconds a new zone version takes to reach every secondary (rollover timing)", 0, kMaxSeconds},
    {"parent-ds-ttl", T::integer, &DP::parent_ds_ttl, "TTL of the zone's DS RRset at the parent (KSK rollover timing)", 0, kMaxSeconds},
    {"parent-propagation-delay", T::integer, &DP::parent_propagation_delay, "seconds a DS change takes to reach the parent's secondaries", 0, kMaxSeconds},
    {"parental-check-interval", T::integer, &DP::parental_check_interval, "seconds between DS queries to a zone's parental-agents while a roll waits on the parent", 1, kMaxSeconds},
    {"insecure", T::boolean, &DP::insecure, "take the zones naming it to unsigned safely (RFC 8078 4), with this policy's timing (the built-in \"insecure\" policy: with the defaults)"},
    {"purge-keys", T::integer, &DP::purge_keys, "seconds after a key's removal its files are deleted (0: kept)", 0, kMaxSeconds},
};

using G = GrantConfig;
constexpr Key<G> grant_keys[] = {
    {"key", T::string, &G::key, "a [[key]] name", 0, 0, {}, true},
    {"grant", T::string, &G::grant, "self, name, subdomain, zonesub or wildcard", 0, 0, {}, true},
    {"name", T::string, &G::name, "the name the grant is about"},
    {"types", T::strings, &G::types, "RR types (empty: every type)"},
};

using R = ResolverConfig;
constexpr Key<R> resolver_keys[] = {
    {"listen", T::endpoints, &R::listen, "UDP and TCP listen addresses of the resolver", 0, 0, {}, true},
    {"root-hints", T::path, &R::root_hints, "named.root file (empty: built-in IANA hints)"},
    {"allow", T::prefixes, &R::allow, "clients allowed to recurse"},
    {"empty-zones", T::boolean, &R::empty_zones, "answer RFC 6303 locally served zones"},
    {"do-not-query-localhost", T::boolean, &R::do_not_query_localhost, "never query servers on loopback"},
    {"workers", T::integer, &R::workers, "UDP worker threads", 1, 1024},
    {"threads", T::integer, &R::threads, "resolution loops (threads) for cache misses", 1, 256},
    {"queries-per-thread", T::integer, &R::queries_per_thread, "cache misses each resolution loop resolves at once", 1, 100000},
    {"cache-size", T::integer, &R::cache_size, "cache entries", 16, 100000000},
    {"min-ttl", T::integer, &R::min_ttl, "TTL floor of cached data", 0, 86400},
    {"max-ttl", T::integer, &R::max_ttl, "TTL ceiling of cached data", 1, 604800},
    {"max-negative-ttl", T::integer, &R::max_negative_ttl, "TTL ceiling of negative answers", 0, 86400},
    {"serve-stale", T::boolean, &R::serve_stale, "RFC 8767 stale answers"},
    {"prefetch", T::boolean, &R::prefetch, "refresh popular data before it expires"},
    {"qname-minimisation", T::boolean, &R::qname_minimisation, "RFC 9156, relaxed"},
    {"edns-udp-size", T::integer, &R::edns_udp_size, "EDNS payload size upstream, largest UDP answer", 512, 4096},
    {"upstream-port", T::integer, &R::upstream_port, "port of every upstream server", 1, 65535},
    {"mdns-bridge", T::boolean, &R::mdns_bridge, "ask .local questions by multicast DNS"},
    {"mdns-bridge-timeout", T::integer, &R::mdns_bridge_timeout, "ms a bridged question waits", 50, 5000},
    {"mdns-bridge-interfaces", T::strings, &R::mdns_bridge_interfaces, "interfaces of the bridge (empty: all)"},
    {"dot-listen", T::endpoints, &R::dot_listen, "DNS over TLS listen addresses (RFC 7858)"},
    {"doh-listen", T::endpoints, &R::doh_listen, "DNS over HTTPS listen addresses (RFC 8484, HTTP/2, /dns-query)"},
    {"tls-cert", T::path, &R::tls_cert, "PEM certificate chain of the DoT and DoH listeners"},
    {"tls-key", T::path, &R::tls_key, "PEM private key of the DoT and DoH listeners (mode 0600)"},
    {"local-zones", T::boolean, &R::local_zones, "answer the zones served here from their data, no network hop"},
    {"validate", T::boolean, &R::validate, "DNSSEC validation (RFC 4035): AD on secure answers, SERVFAIL on bogus ones"},
    {"trust-anchor-file", T::path, &R::trust_anchor_file, "DS or DNSKEY records of the trust anchors (empty: the root's KSKs, built in)"},
    {"auto-trust-anchor", T::boolean, &R::auto_trust_anchor, "RFC 5011: follow the trust anchors' key rollovers, keeping trust-anchor-file up to date"},
    {"trust-anchor-hold-down", T::integer, &R::trust_anchor_hold_down, "RFC 5011 add and remove hold-down, seconds", 1, 365 * 86400},
    {"aggressive-nsec", T::boolean, &R::aggressive_nsec, "RFC 8198: answer names cached validated NSEC and NSEC3 records deny, or cached wildcards cover"},
    {"stub", T::tables, {}, "domains asked of given authoritative servers"},
    {"forward", T::tables, {}, "domains asked of given recursive servers"},
};

using ZR = ZoneRouteConfig;
constexpr Key<ZR> stub_keys[] = {
    {"name", T::string, &ZR::name, "the domain (and everything below it)", 0, 0, {}, true},
    {"servers", T::strings, &ZR::servers, "its authoritative servers: \"addr\", \"addr:port\", \"[v6]:port\"", 0, 0, {}, true},
};
constexpr Key<ZR> forward_keys[] = {
    {"name", T::string, &ZR::name, "the domain (and everything below it; \".\" for all)", 0, 0, {}, true},
    {"servers", T::strings, &ZR::servers, "recursive servers: \"addr\", \"addr:port\", \"[v6]:port\"", 0, 0, {}, true},
    {"tls", T::boolean, &ZR::tls, "DNS over TLS to the servers (RFC 7858; port 853 unless given)"},
    {"tls-name", T::string, &ZR::tls_name, "with tls: the name their certificates must carry (required)"},
    {"tls-ca-file", T::path, &ZR::tls_ca_file, "with tls: PEM CA certificates to trust (default: the system's store)"},
    {"tls-idle-timeout", T::integer, &ZR::tls_idle_timeout_ms, "with tls: milliseconds a connection no query uses stays open", 100, 3600 * 1000},
};

using M = MdnsConfig;
constexpr Key<M> mdns_keys[] = {
    {"interfaces", T::strings, &M::interfaces, "interfaces to serve (empty: every multicast one)"},
    {"hostname", T::string, &M::hostname, "one label published as NAME.local (empty: the system's)"},
    {"services", T::tables, {}, "DNS-SD services"},
    {"ipv6", T::boolean, &M::ipv6, "also use ff02::fb"},
    {"rescan-interval", T::integer, &M::rescan_interval, "longest time between interface rescans, seconds", 1, 3600},
};

using P = ProxyConfig;
constexpr Key<P> proxy_keys[] = {
    {"name", T::string, &P::name, "the domain delegated to this proxy", 0, 0, {}, true},
    {"interface", T::string, &P::interface, "the link whose multicast DNS it answers from", 0, 0, {}, true},
    {"nameservers", T::strings, &P::nameservers, "host names of the zone's NS records (empty: this host's name)"},
    {"timeout", T::integer, &P::timeout, "ms a question with nothing cached waits for the link", 100, 10000},
    {"host-domain", T::string, &P::host_domain, "a letter-digit-hyphen domain for the link's host names (RFC 8766 5.3)"},
    {"reverse", T::prefixes, &P::reverse, "address prefixes whose reverse-mapping domains the proxy answers (RFC 8766 5.4)"},
};

using V = ServiceConfig;
constexpr Key<V> service_keys[] = {
    {"name", T::string, &V::name, "instance name", 0, 0, {}, true},
    {"type", T::string, &V::type, "_service._tcp or _service._udp", 0, 0, {}, true},
    {"port", T::integer, &V::port, "port", 0, 65535},
    {"txt", T::strings, &V::txt, "key=value strings"},
    {"subtypes", T::strings, &V::subtypes, "published as SUB._sub.TYPE"},
};

using H = HttpConfig;
constexpr Key<H> http_keys[] = {
    {"listen", T::endpoint, &H::listen, "HTTP listener (empty: off)"},
    {"tls-cert", T::path, &H::tls_cert, "PEM certificate (with tls-key: HTTPS only)"},
    {"tls-key", T::path, &H::tls_key, "PEM private key"},
    {"users", T::tables, {}, "who may set which names"},
    {"allow-plain-http", T::boolean, &H::allow_plain_http, "plain HTTP on a non-loopback address"},
    {"trusted-proxies", T::prefixes, &H::trusted_proxies, "peers whose X-Forwarded-For is believed"},
    {"update-ttl", T::integer, &H::update_ttl, "TTL of addresses set over HTTP", 0, kMaxSeconds},
    {"login-failures-per-source", T::integer, &H::login_failures_per_source, "failed logins per address per window", 1, 1000000},
    {"login-failures-per-user", T::integer, &H::login_failures_per_user, "failed logins per user per window", 1, 1000000},
    {"login-failure-window", T::integer, &H::login_failure_window, "seconds", 1, 86400},
    {"max-query-length", T::integer, &H::max_query_length, "longest /nic/update request target, octets", 64, 8192},
};

using U = UserConfig;
constexpr Key<U> user_keys[] = {
    {"name", T::string, &U::name, "user name (no ':')", 0, 0, {}, true},
    {"password-hash", T::string, &U::password_hash, "Argon2id hash (`namae passwd`)", 0, 0, {}, true},
    {"hostnames", T::strings, &U::hostnames, "names the user may set"},
};

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace

const Section<ServerConfig> kServer{"server", "[server]", "", false, server_keys};
const Section<KeyConfig> kKey{"key", "[[key]]", "", true, key_keys};
const Section<ZoneConfig> kZone{"zone", "[[zone]]", "", true, zone_keys};
const Section<GrantConfig> kGrant{"update-policy", "update-policy", "zone", true, grant_keys};
const Section<DnssecPolicyConfig> kDnssecPolicy{"dnssec-policy", "[[dnssec-policy]]", "", true, dnssec_policy_keys};
const Section<ResolverConfig> kResolver{"resolver", "[resolver]", "", false, resolver_keys};
const Section<ZoneRouteConfig> kStub{"stub", "[[resolver.stub]]", "resolver", true, stub_keys};
const Section<ZoneRouteConfig> kForward{"forward", "[[resolver.forward]]", "resolver", true, forward_keys};
const Section<MdnsConfig> kMdns{"mdns", "[mdns]", "", false, mdns_keys};
const Section<ProxyConfig> kProxy{"proxy", "[[proxy]]", "", true, proxy_keys};
const Section<ServiceConfig> kService{"services", "services", "mdns", true, service_keys};
const Section<HttpConfig> kHttp{"http", "[http]", "", false, http_keys};
const Section<UserConfig> kUser{"users", "users", "http", true, user_keys};
const Section<RrlConfig> kRrl{"rrl", "rrl", "server", false, rrl_keys};
const Section<ListenerConfig> kListener{"listen", "listen", "server", true, listener_keys};

std::vector<std::string_view> top_level_names() {
  std::vector<std::string_view> out;
  for_each_section([&](const auto& sec) {
    if (sec.parent.empty()) out.push_back(sec.name);
  });
  return out;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') out += std::string("\\") + ch;
    else if (ch == '\n') out += "\\n";
    else if (ch == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\u{:04X}", u);
    else out += ch;
  }
  return out + "\"";
}

std::string toml_strings(const std::vector<std::string>& list) {
  std::string out = "[";
  for (const auto& s : list) out += (out.size() > 1 ? ", " : "") + toml_string(s);
  return out + "]";
}

template <class S>
std::string toml_value(const Key<S>& key, const S& v) {
  return std::visit(
      [&](auto member) -> std::string {
        using M = decltype(member);
        if constexpr (std::is_same_v<M, std::monostate>) {
          return "";
        } else {
          const auto& x = v.*member;
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::string>)
            return toml_string(key.type == Type::path ? absolute(x) : x);
          else if constexpr (std::is_same_v<X, bool>)
            return x ? "true" : "false";
          else if constexpr (std::is_same_v<X, std::vector<std::string>>)
            return toml_strings(x);
          else
            return std::to_string(x);
        }
      },
      key.field);
}

template <class S>
std::string doc_default(const Key<S>& key) {
  if (key.required) return "required";
  if (key.type == Type::tables) return "`[]`";
  if (key.type == Type::table) return "none";
  static const S defaults{};
  std::string value = std::visit(
      [&](auto member) -> std::string {
        if constexpr (std::is_same_v<decltype(member), std::monostate>) {
          return "";
        } else {
          const auto& x = defaults.*member;
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>)
            return x.empty() ? "" : toml_string(x);  // relative paths as written
          else
            return toml_value(key, defaults);
        }
      },
      key.field);
  return value.empty() ? "none" : "`" + value + "`";
}

#define NAMAE_SCHEMA_INSTANTIATE(S)                            \
  template std::string toml_value(const Key<S>&, const S&); \
  template std::string doc_default(const Key<S>&);
NAMAE_SCHEMA_INSTANTIATE(ServerConfig)
NAMAE_SCHEMA_INSTANTIATE(KeyConfig)
NAMAE_SCHEMA_INSTANTIATE(ZoneConfig)
NAMAE_SCHEMA_INSTANTIATE(GrantConfig)
NAMAE_SCHEMA_INSTANTIATE(ResolverConfig)
NAMAE_SCHEMA_INSTANTIATE(MdnsConfig)
NAMAE_SCHEMA_INSTANTIATE(ProxyConfig)
NAMAE_SCHEMA_INSTANTIATE(ServiceConfig)
NAMAE_SCHEMA_INSTANTIATE(HttpConfig)
NAMAE_SCHEMA_INSTANTIATE(UserConfig)
NAMAE_SCHEMA_INSTANTIATE(RrlConfig)
NAMAE_SCHEMA_INSTANTIATE(ListenerConfig)
NAMAE_SCHEMA_INSTANTIATE(ZoneRouteConfig)
NAMAE_SCHEMA_INSTANTIATE(DnssecPolicyConfig)
#undef NAMAE_SCHEMA_INSTANTIATE

}  // namespace namae::daemon::schema
