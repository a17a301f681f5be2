#include "daemon/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "dns/text.h"
#include "dns/tsig.h"
#include "net/address.h"
#include "update/policy.h"

namespace namae::daemon {
namespace {

// Collects "source:line: reason" messages while walking the document.
class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  void error(const toml::node& at, const std::string& reason) { error(line_of(at), reason); }
  void error(int line, const std::string& reason) {
    errors_ += source_ + ":" + std::to_string(line) + ": " + reason + "\n";
  }
  bool ok() const { return errors_.empty(); }
  std::string take() {
    if (!errors_.empty() && errors_.back() == '\n') errors_.pop_back();
    return errors_;
  }
  static int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

  // Report keys of `t` not in `allowed` (the usual cause: a typo).
  void only(const toml::table& t, const std::string& where, std::initializer_list<const char*> allowed) {
    std::set<std::string_view> ok(allowed.begin(), allowed.end());
    for (auto&& [k, v] : t)
      if (!ok.count(k.str()))
        error(static_cast<int>(k.source().begin.line ? k.source().begin.line : v.source().begin.line),
              "unknown key '" + std::string(k.str()) + "' in " + where);
  }

  void get(const toml::table& t, const char* key, std::string& out) {
    if (auto* n = t.get(key)) {
      if (auto* s = n->as_string()) out = s->get();
      else error(*n, std::string("'") + key + "' must be a string");
    }
  }
  void get(const toml::table& t, const char* key, bool& out) {
    if (auto* n = t.get(key)) {
      if (auto* b = n->as_boolean()) out = b->get();
      else error(*n, std::string("'") + key + "' must be true or false");
    }
  }
  template <class Int>
  void get_int(const toml::table& t, const char* key, Int& out, int64_t lo, int64_t hi) {
    if (auto* n = t.get(key)) {
      auto* i = n->as_integer();
      if (!i) {
        error(*n, std::string("'") + key + "' must be an integer");
      } else if (i->get() < lo || i->get() > hi) {
        error(*n, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                      std::to_string(hi) + ", not " + std::to_string(i->get()));
      } else {
        out = static_cast<Int>(i->get());
      }
    }
  }
  void get(const toml::table& t, const char* key, std::vector<std::string>& out) {
    if (auto* n = t.get(key)) {
      if (auto* s = n->as_string()) {  // a single string is a list of one
        out = {s->get()};
        return;
      }
      auto* a = n->as_array();
      if (!a) {
        error(*n, std::string("'") + key + "' must be a list of strings");
        return;
      }
      out.clear();
      for (auto& e : *a) {
        if (auto* s = e.as_string()) out.push_back(s->get());
        else error(e, std::string("'") + key + "' must contain only strings");
      }
    }
  }
  // The tables of an array of tables (also accepts a single inline table).
  std::vector<const toml::table*> tables(const toml::table& t, const char* key) {
    std::vector<const toml::table*> out;
    if (auto* n = t.get(key)) {
      if (auto* tab = n->as_table()) {
        out.push_back(tab);
      } else if (auto* a = n->as_array()) {
        for (auto& e : *a) {
          if (auto* et = e.as_table()) out.push_back(et);
          else error(e, std::string("'") + key + "' must contain only tables");
        }
      } else {
        error(*n, std::string("'") + key + "' must be a table or a list of tables");
      }
    }
    return out;
  }
  const toml::table* table(const toml::table& t, const char* key) {
    auto* n = t.get(key);
    if (!n) return nullptr;
    if (auto* tab = n->as_table()) return tab;
    error(*n, std::string("'") + key + "' must be a table");
    return nullptr;
  }

 private:
  std::string source_;
  std::string errors_;
};

bool is_loopback_listen(const std::string& text) {
  auto ep = net::parse_endpoint(text);
  if (!ep) return false;
  if (ep->family() == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&ep->addr)->sin_addr.s_addr) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&ep->addr)->sin6_addr);
}

// True when two listen addresses would receive the same datagrams: same
// family and port, and the same address or either one the wildcard.
bool same_socket_space(const net::Endpoint& a, const net::Endpoint& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.family() == AF_INET) {
    auto x = reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_addr.s_addr;
    auto y = reinterpret_cast<const sockaddr_in*>(&b.addr)->sin_addr.s_addr;
    return x == y || x == htonl(INADDR_ANY) || y == htonl(INADDR_ANY);
  }
  const auto& x = reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_addr;
  const auto& y = reinterpret_cast<const sockaddr_in6*>(&b.addr)->sin6_addr;
  return std::memcmp(&x, &y, sizeof x) == 0 || IN6_IS_ADDR_UNSPECIFIED(&x) ||
         IN6_IS_ADDR_UNSPECIFIED(&y);
}

void check_endpoints(Checker& c, const toml::table& t, const char* key, const std::vector<std::string>& list) {
  for (const auto& s : list) {
    auto ep = net::parse_endpoint(s);
    if (!ep) c.error(*t.get(key), std::string("'") + key + "': " + ep.message());
  }
}

std::string lower_no_dot(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  while (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string resolve_path(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

Result<Config> parse_config(std::string_view text, const std::string& source, const std::string& dir) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return fail(source + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  Checker c(source);
  Config cfg;
  cfg.source = source;
  cfg.dir = dir;
  c.only(doc, "the top level", {"server", "key", "zone", "resolver", "mdns", "http"});

  if (auto* s = c.table(doc, "server")) {
    auto& sv = cfg.server;
    c.only(*s, "[server]",
           {"listen", "workers", "tcp-workers", "control", "tcp-idle-timeout", "tcp-max-connections",
            "tcp-write-buffer", "udp-batch", "udp-receive-buffer", "edns-udp-size", "minimal-responses",
            "log-level", "pid-file"});
    c.get(*s, "listen", sv.listen);
    check_endpoints(c, *s, "listen", sv.listen);
    c.get_int(*s, "workers", sv.workers, 0, 1024);
    c.get_int(*s, "tcp-workers", sv.tcp_workers, 1, 1024);
    c.get(*s, "control", sv.control);
    c.get_int(*s, "tcp-idle-timeout", sv.tcp_idle_timeout_ms, 100, 3600 * 1000);
    c.get_int(*s, "tcp-max-connections", sv.tcp_max_connections, 1, 1000000);
    c.get_int(*s, "tcp-write-buffer", sv.tcp_write_buffer, 4096, 64 << 20);
    c.get_int(*s, "udp-batch", sv.udp_batch, 1, 1024);
    c.get_int(*s, "udp-receive-buffer", sv.udp_receive_buffer, 0, 1 << 30);
    c.get_int(*s, "edns-udp-size", sv.edns_udp_size, 512, 65535);
    c.get(*s, "minimal-responses", sv.minimal_responses);
    c.get(*s, "log-level", sv.log_level);
    c.get(*s, "pid-file", sv.pid_file);
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!levels.count(sv.log_level))
      c.error(*s->get("log-level"), "'log-level' must be one of trace, debug, info, warn, error, critical, off");
  }
  cfg.server.control = resolve_path(dir, cfg.server.control);
  cfg.server.pid_file = resolve_path(dir, cfg.server.pid_file);

  std::set<std::string> key_names;
  for (auto* k : c.tables(doc, "key")) {
    KeyConfig key;
    key.line = Checker::line_of(*k);
    c.only(*k, "[[key]]", {"name", "algorithm", "secret", "y"});
    c.get(*k, "name", key.name);
    c.get(*k, "algorithm", key.algorithm);
    c.get(*k, "secret", key.secret);
    // The `-y` string that dig, nsupdate and `namae key generate` use, pasted
    // as it is; it stands for the three fields, never beside them.
    std::string y;
    c.get(*k, "y", y);
    if (!y.empty()) {
      if (!key.name.empty() || !key.algorithm.empty() || !key.secret.empty()) {
        c.error(*k->get("y"), "[[key]] takes either 'y' or 'name'/'algorithm'/'secret', not both");
      } else if (auto parsed = dns::TsigKey::parse(y); !parsed) {
        c.error(*k->get("y"), "[[key]] 'y': " + parsed.message());
      } else {
        key.name = parsed->name.to_text();
        key.name.pop_back();  // as written in `name`: no trailing dot
        key.algorithm = dns::tsig_algorithm_text(parsed->algorithm);
        key.secret = dns::base64_encode(parsed->secret);
      }
    }
    if (y.empty() && key.name.empty()) c.error(*k, "[[key]] needs a 'name' (or 'y')");
    if (y.empty() && key.secret.empty())
      c.error(*k, "[[key]] '" + key.name + "' needs a 'secret' (base64)");
    static const std::set<std::string> algs = {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256",
                                               "hmac-sha384", "hmac-sha512"};
    if (key.algorithm.empty()) key.algorithm = "hmac-sha256";
    if (!algs.count(key.algorithm)) c.error(*k, "[[key]] '" + key.name + "': unknown algorithm '" + key.algorithm + "'");
    if (!key_names.insert(lower_no_dot(key.name)).second) c.error(*k, "duplicate key '" + key.name + "'");
    cfg.keys.push_back(std::move(key));
  }

  std::set<std::string> zone_names;
  for (auto* z : c.tables(doc, "zone")) {
    ZoneConfig zone;
    zone.line = Checker::line_of(*z);
    c.only(*z, "[[zone]]",
           {"name", "file", "journal", "update-policy", "max-lease", "dynamic-max-ttl", "notify",
            "allow-transfer", "allow-update", "min-lease", "lease-required", "file-sync-interval",
            "journal-keep"});
    c.get(*z, "name", zone.name);
    c.get(*z, "file", zone.file);
    c.get(*z, "journal", zone.journal);
    c.get_int(*z, "max-lease", zone.max_lease, 0, 0x7fffffff);
    c.get_int(*z, "dynamic-max-ttl", zone.dynamic_max_ttl, 0, 0x7fffffff);
    c.get_int(*z, "min-lease", zone.min_lease, 0, 0x7fffffff);
    c.get(*z, "lease-required", zone.lease_required);
    c.get_int(*z, "file-sync-interval", zone.file_sync_interval, 0, 0x7fffffff);
    c.get_int(*z, "journal-keep", zone.journal_keep, 0, 0x7fffffff);
    c.get(*z, "allow-update", zone.allow_update);
    for (const auto& p : zone.allow_update)
      if (auto acl = net::parse_prefix(p); !acl)
        c.error(*z->get("allow-update"), "'allow-update': " + acl.message());
    if (zone.max_lease != 0 && zone.min_lease > zone.max_lease) {
      // Only a min-lease written in the file contradicts max-lease; the
      // default shortest lease yields to a shorter longest one.
      if (z->get("min-lease"))
        c.error(*z->get("min-lease"), "'min-lease' is larger than 'max-lease'");
      else
        zone.min_lease = zone.max_lease;
    }
    c.get(*z, "notify", zone.notify);
    check_endpoints(c, *z, "notify", zone.notify);
    c.get(*z, "allow-transfer", zone.allow_transfer);
    for (auto* g : c.tables(*z, "update-policy")) {
      GrantConfig grant;
      c.only(*g, "update-policy", {"key", "grant", "name", "types"});
      c.get(*g, "key", grant.key);
      c.get(*g, "grant", grant.grant);
      c.get(*g, "name", grant.name);
      c.get(*g, "types", grant.types);
      static const std::set<std::string> kinds = {"self", "name", "subdomain", "zonesub", "wildcard"};
      if (!kinds.count(grant.grant))
        c.error(*g, "update-policy: 'grant' must be one of self, name, subdomain, zonesub, wildcard");
      if (!key_names.count(lower_no_dot(grant.key)))
        c.error(*g, "update-policy: no [[key]] named '" + grant.key + "' (keys must come before the zones using them)");
      zone.update_policy.push_back(std::move(grant));
    }
    if (zone.name.empty()) c.error(*z, "[[zone]] needs a 'name'");
    if (zone.file.empty()) c.error(*z, "[[zone]] '" + zone.name + "' needs a 'file'");
    if (!zone.name.empty() && !zone_names.insert(lower_no_dot(zone.name)).second)
      c.error(*z, "zone '" + zone.name + "' is configured twice");
    zone.file = resolve_path(dir, zone.file);
    zone.journal = resolve_path(dir, zone.journal);
    cfg.zones.push_back(std::move(zone));
  }

  if (auto* r = c.table(doc, "resolver")) {
    auto& rv = cfg.resolver;
    rv.enabled = true;
    c.only(*r, "[resolver]", {"listen", "root-hints", "allow", "empty-zones", "do-not-query-localhost",
                              "workers", "threads", "cache-size", "min-ttl", "max-ttl",
                              "max-negative-ttl", "serve-stale", "prefetch", "qname-minimisation",
                              "edns-udp-size", "upstream-port", "mdns-bridge", "mdns-bridge-timeout",
                              "mdns-bridge-interfaces"});
    c.get_int(*r, "workers", rv.workers, 1, 1024);
    c.get_int(*r, "threads", rv.threads, 1, 1024);
    c.get_int(*r, "cache-size", rv.cache_size, 16, 100000000);
    c.get_int(*r, "min-ttl", rv.min_ttl, 0, 86400);
    c.get_int(*r, "max-ttl", rv.max_ttl, 1, 604800);
    c.get_int(*r, "max-negative-ttl", rv.max_negative_ttl, 0, 86400);
    c.get(*r, "serve-stale", rv.serve_stale);
    c.get(*r, "prefetch", rv.prefetch);
    c.get(*r, "qname-minimisation", rv.qname_minimisation);
    c.get_int(*r, "edns-udp-size", rv.edns_udp_size, 512, 4096);
    c.get_int(*r, "upstream-port", rv.upstream_port, 1, 65535);
    c.get(*r, "listen", rv.listen);
    check_endpoints(c, *r, "listen", rv.listen);
    c.get(*r, "root-hints", rv.root_hints);
    rv.root_hints = resolve_path(dir, rv.root_hints);
    c.get(*r, "allow", rv.allow);
    for (const auto& p : rv.allow)
      if (auto acl = net::parse_prefix(p); !acl)
        c.error(*r->get("allow"), "[resolver] allow: " + acl.message());
    c.get(*r, "empty-zones", rv.empty_zones);
    c.get(*r, "do-not-query-localhost", rv.do_not_query_localhost);
    c.get(*r, "mdns-bridge", rv.mdns_bridge);
    c.get_int(*r, "mdns-bridge-timeout", rv.mdns_bridge_timeout, 50, 5000);
    c.get(*r, "mdns-bridge-interfaces", rv.mdns_bridge_interfaces);
    if (rv.listen.empty()) c.error(*r, "[resolver] needs 'listen'");
    // Both roles use SO_REUSEPORT: a shared address would make the kernel
    // split queries between the authoritative server and the resolver.
    for (const auto& l : rv.listen) {
      auto a = net::parse_endpoint(l);
      if (!a) continue;
      for (const auto& sl : cfg.server.listen) {
        auto b = net::parse_endpoint(sl);
        if (b && same_socket_space(*a, *b))
          c.error(*r->get("listen"), "[resolver] listen '" + l + "' overlaps [server] listen '" + sl +
                                         "' (the resolver needs its own address or port)");
      }
    }
  }

  if (auto* m = c.table(doc, "mdns")) {
    auto& mv = cfg.mdns;
    mv.enabled = true;
    c.only(*m, "[mdns]", {"interfaces", "hostname", "services", "ipv6", "rescan-interval"});
    c.get(*m, "interfaces", mv.interfaces);
    c.get(*m, "hostname", mv.hostname);
    c.get(*m, "ipv6", mv.ipv6);
    c.get_int(*m, "rescan-interval", mv.rescan_interval, 1, 3600);
    if (mv.hostname.find('.') != std::string::npos || mv.hostname.size() > 63)
      c.error(*m->get("hostname"), "'hostname' is one label (without .local), at most 63 octets");
    for (auto* s : c.tables(*m, "services")) {
      ServiceConfig svc;
      c.only(*s, "services", {"name", "type", "port", "txt", "subtypes"});
      svc.line = Checker::line_of(*s);
      c.get(*s, "subtypes", svc.subtypes);
      c.get(*s, "name", svc.name);
      c.get(*s, "type", svc.type);
      c.get_int(*s, "port", svc.port, 0, 65535);
      c.get(*s, "txt", svc.txt);
      if (svc.name.empty() || svc.type.empty()) c.error(*s, "a service needs 'name' and 'type'");
      mv.services.push_back(std::move(svc));
    }
  }

  if (auto* h = c.table(doc, "http")) {
    auto& hv = cfg.http;
    c.only(*h, "[http]",
           {"listen", "tls-cert", "tls-key", "users", "allow-plain-http", "trusted-proxies",
            "update-ttl", "login-failures-per-source", "login-failures-per-user",
            "login-failure-window", "max-query-length"});
    c.get(*h, "listen", hv.listen);
    c.get(*h, "tls-cert", hv.tls_cert);
    c.get(*h, "tls-key", hv.tls_key);
    c.get(*h, "allow-plain-http", hv.allow_plain_http);
    c.get(*h, "trusted-proxies", hv.trusted_proxies);
    for (const auto& p : hv.trusted_proxies)
      if (auto acl = net::parse_prefix(p); !acl)
        c.error(*h->get("trusted-proxies"), "'trusted-proxies': " + acl.message());
    c.get_int(*h, "update-ttl", hv.update_ttl, 0, 0x7fffffff);
    c.get_int(*h, "login-failures-per-source", hv.login_failures_per_source, 1, 1000000);
    c.get_int(*h, "login-failures-per-user", hv.login_failures_per_user, 1, 1000000);
    c.get_int(*h, "login-failure-window", hv.login_failure_window, 1, 86400);
    c.get_int(*h, "max-query-length", hv.max_query_length, 64, 8192);
    if (hv.listen.empty()) {
      hv.enabled = false;  // listen = "" turns the HTTP listener off
    } else if (auto ep = net::parse_endpoint(hv.listen); !ep) {
      c.error(*h->get("listen"), "'listen': " + ep.message());
    } else if (!is_loopback_listen(hv.listen) && (hv.tls_cert.empty() || hv.tls_key.empty()) &&
               !hv.allow_plain_http) {
      c.error(*h->get("listen"),
              "[http] on a non-loopback address needs 'tls-cert' and 'tls-key' "
              "(or 'allow-plain-http = true' to send passwords in the clear)");
    }
    if (hv.tls_cert.empty() != hv.tls_key.empty()) c.error(*h, "[http] needs both 'tls-cert' and 'tls-key', or neither");
    hv.tls_cert = resolve_path(dir, hv.tls_cert);
    hv.tls_key = resolve_path(dir, hv.tls_key);
    for (auto* u : c.tables(*h, "users")) {
      UserConfig user;
      c.only(*u, "users", {"name", "password-hash", "hostnames"});
      c.get(*u, "name", user.name);
      c.get(*u, "password-hash", user.password_hash);
      c.get(*u, "hostnames", user.hostnames);
      if (user.name.empty() || user.password_hash.empty()) c.error(*u, "a user needs 'name' and 'password-hash'");
      if (!user.password_hash.empty() && user.password_hash.rfind("$argon2id$", 0) != 0)
        c.error(*u, "user '" + user.name + "': 'password-hash' must be an Argon2id hash ($argon2id$...; see `namae passwd`)");
      if (user.name.find(':') != std::string::npos)
        c.error(*u, "user '" + user.name + "': a name cannot contain ':' (HTTP Basic authentication)");
      for (const auto& hn : user.hostnames)
        if (hn.empty() || !dns::Name::from_text(hn.back() == '.' ? hn : hn + "."))
          c.error(*u, "user '" + user.name + "': bad hostname '" + hn + "'");
      hv.users.push_back(std::move(user));
    }
  }

  if (!c.ok()) return fail(c.take());
  return cfg;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  return parse_config(ss.str(), path, dir);
}

}  // namespace namae::daemon
