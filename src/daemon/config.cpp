#include "daemon/config.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "daemon/config_schema.h"
#include "dns/cookie.h"
#include "dns/text.h"
#include "dns/tsig.h"
#include "net/acl.h"
#include "net/address.h"
#include "proxy/rewrite.h"

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
  void only(const toml::table& t, std::string_view where, const std::vector<std::string_view>& allowed) {
    std::set<std::string_view> ok(allowed.begin(), allowed.end());
    for (auto&& [k, v] : t)
      if (!ok.count(k.str()))
        error(static_cast<int>(k.source().begin.line ? k.source().begin.line : v.source().begin.line),
              "unknown key '" + std::string(k.str()) + "' in " + std::string(where));
  }

  void get(const toml::table& t, std::string_view key, std::string& out) {
    if (auto* n = t.get(key)) get(*n, key, out);
  }
  void get(const toml::node& n, std::string_view key, std::string& out) {
    if (auto* s = n.as_string()) out = s->get();
    else error(n, "'" + std::string(key) + "' must be a string");
  }
  void get(const toml::node& n, std::string_view key, bool& out) {
    if (auto* b = n.as_boolean()) out = b->get();
    else error(n, "'" + std::string(key) + "' must be true or false");
  }
  template <class Int>
  void get_int(const toml::node& n, std::string_view key, Int& out, int64_t lo, int64_t hi) {
    auto* i = n.as_integer();
    std::string quoted = "'" + std::string(key) + "'";
    if (!i) {
      error(n, quoted + " must be an integer");
    } else if (i->get() < lo || i->get() > hi) {
      error(n, quoted + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                   ", not " + std::to_string(i->get()));
    } else {
      out = static_cast<Int>(i->get());
    }
  }
  void get(const toml::node& n, std::string_view key, std::vector<std::string>& out) {
    if (auto* s = n.as_string()) {  // a single string is a list of one
      out = {s->get()};
      return;
    }
    auto* a = n.as_array();
    if (!a) {
      error(n, "'" + std::string(key) + "' must be a list of strings");
      return;
    }
    out.clear();
    for (auto& e : *a) {
      if (auto* s = e.as_string()) out.push_back(s->get());
      else error(e, "'" + std::string(key) + "' must contain only strings");
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


std::string lower_no_dot(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  while (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

// The checks a key's type makes beyond its TOML type.
void check_value(Checker& c, const toml::node& n, const std::string& quoted, schema::Type type,
                 std::string_view choices, const std::string& value) {
  if (type == schema::Type::endpoint && !value.empty()) {
    if (auto ep = net::parse_endpoint(value); !ep) c.error(n, quoted + ": " + ep.message());
  } else if (type == schema::Type::choice) {
    bool found = false;
    for (size_t at = 0; at <= choices.size() && !found;) {
      size_t end = std::min(choices.find(", ", at), choices.size());
      found = choices.substr(at, end - at) == value;
      at = end + 2;
    }
    if (!found) c.error(n, quoted + " must be one of " + std::string(choices));
  }
}

void check_list(Checker& c, const toml::node& n, const std::string& quoted, schema::Type type,
                const std::vector<std::string>& list) {
  if (type == schema::Type::endpoints) {
    for (const auto& s : list)
      if (auto ep = net::parse_endpoint(s); !ep) c.error(n, quoted + ": " + ep.message());
  } else if (type == schema::Type::prefixes) {
    if (auto acl = net::parse_acl(list); !acl) c.error(n, quoted + ": " + acl.message());
  }
}

// One key of the schema, read from node `n` into its member of `out`.
template <class S>
void read_key(Checker& c, const toml::node& n, const schema::Key<S>& key, S& out) {
  std::string quoted = "'" + std::string(key.name) + "'";
  if (key.type == schema::Type::listeners) return;  // strings and tables: the section's own code
  if (key.type == schema::Type::unimplemented) {
    c.error(n, quoted + " is not implemented yet (" + std::string(key.choices) + ")");
    return;
  }
  std::visit(
      [&](auto member) {
        if constexpr (!std::is_same_v<decltype(member), std::monostate>) {
          auto& field = out.*member;
          using F = std::decay_t<decltype(field)>;
          if constexpr (std::is_same_v<F, std::string>) {
            c.get(n, key.name, field);
            check_value(c, n, quoted, key.type, key.choices, field);
          } else if constexpr (std::is_same_v<F, bool>) {
            c.get(n, key.name, field);
          } else if constexpr (std::is_same_v<F, std::vector<std::string>>) {
            c.get(n, key.name, field);
            check_list(c, n, quoted, key.type, field);
          } else {
            c.get_int(n, key.name, field, key.lo, key.hi);
          }
        }
      },
      key.field);
}

// Every key of table `t` that `sec` declares (sub-tables and keys without a
// member are left to the section's own code); any other key is an error.
template <class S>
void read_keys(Checker& c, const toml::table& t, const schema::Section<S>& sec, S& out) {
  std::vector<std::string_view> names;
  for (const auto& key : sec.keys) names.push_back(key.name);
  c.only(t, sec.where, names);
  for (const auto& key : sec.keys)
    if (auto* n = t.get(key.name)) read_key(c, *n, key, out);
}

template <class S>
void resolve_paths(const schema::Section<S>& sec, S& out, const std::string& dir) {
  for (const auto& key : sec.keys)
    if (key.type == schema::Type::path)
      if (auto* member = std::get_if<std::string S::*>(&key.field)) out.*(*member) = resolve_path(dir, out.*(*member));
}

// `user` and `group` name accounts of this system (passwd(5), group(5)); an
// unknown one is an error here, at its line, not a failure after zones load.
void read_run_as(Checker& c, const toml::table& s, ServerConfig& sv) {
  std::vector<char> buf(16384);
  if (auto* n = s.get("user"); n && !sv.user.empty()) {
    passwd pw{}, *found = nullptr;
    getpwnam_r(sv.user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (!found) c.error(*n, "[server] user '" + sv.user + "': no such user");
    else sv.uid = pw.pw_uid, sv.gid = pw.pw_gid;
    sv.user_line = Checker::line_of(*n);
  }
  if (auto* n = s.get("group"); n && !sv.group.empty()) {
    if (sv.user.empty()) c.error(*n, "[server] 'group' needs 'user'");
    group gr{}, *found = nullptr;
    getgrnam_r(sv.group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (!found) c.error(*n, "[server] group '" + sv.group + "': no such group");
    else sv.gid = gr.gr_gid;
  }
}

// rrl = { ... }: present turns response rate limiting on; the rate has no default.
void read_rrl(Checker& c, const toml::table& s, RrlConfig& rrl) {
  auto* t = c.table(s, "rrl");
  if (!t) return;
  rrl.enabled = true;
  read_keys(c, *t, schema::kRrl, rrl);
  if (!t->get("responses-per-second")) c.error(*t, "[server] rrl needs 'responses-per-second'");
}

// One entry of [server] listen: "addr:port", or a table with its own settings.
void read_listen_entry(Checker& c, const toml::node& e, ServerConfig& sv) {
  if (auto* str = e.as_string()) {
    if (auto ep = net::parse_endpoint(str->get()); !ep) c.error(e, "'listen': " + ep.message());
    sv.listen.push_back(str->get());
  } else if (auto* t = e.as_table()) {
    ListenerConfig l;
    read_keys(c, *t, schema::kListener, l);
    l.has_allow_query = t->get("allow-query") != nullptr;
    if (l.address.empty()) c.error(*t, "[server] listen: a table needs 'address'");
    sv.listen.push_back(l.address);
    sv.listeners.push_back(std::move(l));
  } else {
    c.error(e, "'listen' must hold \"addr:port\" strings and { address = ... } tables");
  }
}

// [server] listen: a list (or one entry alone). Each address once: a
// listener's own settings are found by its address.
void read_listen(Checker& c, const toml::table& s, ServerConfig& sv) {
  const toml::node* n = s.get("listen");
  if (!n) return;
  sv.listen.clear();
  if (auto* a = n->as_array()) {
    for (const auto& e : *a) read_listen_entry(c, e, sv);
  } else {
    read_listen_entry(c, *n, sv);
  }
  std::set<std::string> seen;
  for (const auto& l : sv.listen)
    if (!l.empty() && !seen.insert(l).second) c.error(*n, "[server] listen '" + l + "' is given twice");
}

void read_server(Checker& c, const toml::table& doc, const std::string& dir, ServerConfig& sv) {
  if (auto* s = c.table(doc, "server")) {
    read_keys(c, *s, schema::kServer, sv);
    read_listen(c, *s, sv);
    read_rrl(c, *s, sv.rrl);
    if (auto* n = s->get("cookie-secret"); n && !sv.cookie_secret.empty())
      if (auto secret = dns::CookieSecretSchedule::parse_secret(sv.cookie_secret); !secret)
        c.error(*n, "'cookie-secret': " + secret.message());
    read_run_as(c, *s, sv);
  }
  resolve_paths(schema::kServer, sv, dir);
}

// `y`: the `-y` string that dig, nsupdate and `namae key generate` use,
// pasted as it is; it stands for the three fields, never beside them.
void read_key_y(Checker& c, const toml::table& k, KeyConfig& key) {
  std::string y;
  c.get(k, "y", y);
  if (y.empty()) {
    if (key.name.empty()) c.error(k, "[[key]] needs a 'name' (or 'y')");
    if (key.secret.empty()) c.error(k, "[[key]] '" + key.name + "' needs a 'secret' (base64)");
  } else if (k.get("name") || k.get("algorithm") || k.get("secret")) {
    c.error(*k.get("y"), "[[key]] takes either 'y' or 'name'/'algorithm'/'secret', not both");
  } else if (auto parsed = dns::TsigKey::parse(y); !parsed) {
    c.error(*k.get("y"), "[[key]] 'y': " + parsed.message());
  } else {
    key.name = parsed->name.to_text();
    key.name.pop_back();  // as written in `name`: no trailing dot
    key.algorithm = dns::tsig_algorithm_text(parsed->algorithm);
    key.secret = dns::base64_encode(parsed->secret);
  }
}

void read_tsig_keys(Checker& c, const toml::table& doc, std::set<std::string>& key_names,
                    std::vector<KeyConfig>& keys) {
  static const std::set<std::string> algs = {"hmac-md5",    "hmac-sha1",   "hmac-sha224",
                                             "hmac-sha256", "hmac-sha384", "hmac-sha512"};
  for (auto* k : c.tables(doc, "key")) {
    KeyConfig key;
    key.line = Checker::line_of(*k);
    read_keys(c, *k, schema::kKey, key);
    read_key_y(c, *k, key);
    if (!algs.count(key.algorithm)) c.error(*k, "[[key]] '" + key.name + "': unknown algorithm '" + key.algorithm + "'");
    if (!key_names.insert(lower_no_dot(key.name)).second) c.error(*k, "duplicate key '" + key.name + "'");
    keys.push_back(std::move(key));
  }
}

std::vector<GrantConfig> read_update_policy(Checker& c, const toml::table& z, const std::set<std::string>& key_names) {
  static const std::set<std::string> kinds = {"self", "name", "subdomain", "zonesub", "wildcard"};
  std::vector<GrantConfig> out;
  for (auto* g : c.tables(z, "update-policy")) {
    GrantConfig grant;
    read_keys(c, *g, schema::kGrant, grant);
    if (!kinds.count(grant.grant))
      c.error(*g, "update-policy: 'grant' must be one of self, name, subdomain, zonesub, wildcard");
    if (!key_names.count(lower_no_dot(grant.key)))
      c.error(*g, "update-policy: no [[key]] named '" + grant.key + "' (keys must come before the zones using them)");
    out.push_back(std::move(grant));
  }
  return out;
}

// `primaries` makes a secondary, whose data come only from transfers: the
// keys of a dynamic zone contradict it, and the secondary-only keys need it.
void check_secondary(Checker& c, const toml::table& z, const ZoneConfig& zone,
                     const std::set<std::string>& key_names) {
  const std::string quoted = "zone '" + zone.name + "': ";
  if (zone.primaries.empty()) {
    if (!zone.transfer_key.empty()) c.error(z, quoted + "'transfer-key' needs 'primaries'");
    if (zone.forward_updates) c.error(z, quoted + "'forward-updates' needs 'primaries'");
    return;
  }
  for (const auto& p : zone.primaries)
    if (auto ep = net::parse_endpoint(p, 53); !ep) c.error(z, quoted + "primaries: '" + p + "': " + ep.message());
  if (!zone.transfer_key.empty() && !key_names.count(lower_no_dot(zone.transfer_key)))
    c.error(z, quoted + "transfer-key: no [[key]] named '" + zone.transfer_key + "' (keys must come before the zones using them)");
  if (!zone.journal.empty() || !zone.update_policy.empty() || !zone.allow_update.empty())
    c.error(z, quoted + "a secondary (with 'primaries') cannot have 'journal', 'update-policy' or 'allow-update'");
}

// RFC 9432 roles: a member names a zone that generates a catalog; the
// generated zone is namaed's to write, never updated or a member itself.
void check_catalog_zone(Checker& c, int line, const ZoneConfig& z, const std::vector<ZoneConfig>& zones) {
  auto where = [&](const std::string& why) { c.error(line, "zone '" + z.name + "': " + why); };
  if (!z.catalog_zone.empty()) {
    auto it = std::find_if(zones.begin(), zones.end(),
                           [&](const ZoneConfig& o) { return lower_no_dot(o.name) == lower_no_dot(z.catalog_zone); });
    if (it == zones.end() || it->catalog_role != "generate")
      where("'catalog-zone' must name a [[zone]] with catalog-role = \"generate\"");
  }
  if (!z.catalog_group.empty() && z.catalog_zone.empty()) where("'catalog-group' needs 'catalog-zone'");
  if (z.catalog_role != "none" && !z.catalog_zone.empty()) where("a catalog zone cannot be a catalog member");
  if (z.catalog_role == "generate" && !z.journal.empty())
    where("a generated catalog is namaed's to write: no 'journal'");
  if (z.catalog_role != "consume" && !z.catalog_member_dir.empty())
    where("'catalog-member-dir' needs catalog-role = \"consume\"");
  // A consumed catalog is itself transferred from the primaries its
  // members are then transferred from (xfr::CatalogConsumer), and the
  // members' files need a home of their own.
  if (z.catalog_role == "consume" && z.primaries.empty())
    where("catalog-role = \"consume\" needs 'primaries' (the catalog is a secondary zone)");
  if (z.catalog_role == "consume" && z.catalog_member_dir.empty())
    where("catalog-role = \"consume\" needs 'catalog-member-dir' (where member zones are kept)");
}

// allow-transfer, allow-query: address prefixes, and "key:NAME" naming a
// [[key]] above.
void check_acl(Checker& c, const toml::table& t, const char* key, const std::vector<std::string>& list,
               const std::set<std::string>& key_names,
               const char* hint = " (keys must come before the zones using them)") {
  const toml::node* n = t.get(key);
  if (!n) return;
  auto acl = net::parse_acl(list, net::AclKeys::yes);
  if (!acl) {
    c.error(*n, std::string("'") + key + "': " + acl.message());
    return;
  }
  for (const auto& k : acl->keys)
    if (!key_names.count(lower_no_dot(k.to_text())))
      c.error(*n, std::string(key) + ": no [[key]] named '" + k.to_text() + "'" + hint);
}

// The allow-query of each [server] listen table (in the order read_listen took them).
void check_listener_acls(Checker& c, const toml::table& server, const ServerConfig& sv,
                         const std::set<std::string>& key_names) {
  const toml::array* list = server["listen"].as_array();
  if (!list) {
    if (const toml::table* one = server["listen"].as_table(); one && !sv.listeners.empty())
      check_acl(c, *one, "allow-query", sv.listeners[0].allow_query, key_names, "");
    return;
  }
  size_t i = 0;
  for (const auto& e : *list)
    if (const toml::table* t = e.as_table(); t && i < sv.listeners.size())
      check_acl(c, *t, "allow-query", sv.listeners[i++].allow_query, key_names, "");
}

// BIND's built-in policy that takes a signed zone to unsigned safely.
constexpr const char* kInsecurePolicy = "insecure";

void read_dnssec_policies(Checker& c, const toml::table& doc, std::vector<DnssecPolicyConfig>& out) {
  std::set<std::string> names;
  for (auto* t : c.tables(doc, "dnssec-policy")) {
    DnssecPolicyConfig p;
    p.line = Checker::line_of(*t);
    read_keys(c, *t, schema::kDnssecPolicy, p);
    if (!names.insert(p.name).second) c.error(*t, "[[dnssec-policy]] '" + p.name + "' is configured twice");
    if (p.name == kInsecurePolicy)
      c.error(*t, "[[dnssec-policy]] 'insecure' is built in (it takes a signed zone to unsigned): pick another name");
    if (const toml::node* n = t->get("zsk-lifetime"); n && p.keys != "ksk-zsk" && p.zsk_lifetime != 0)
      c.error(*n, "'zsk-lifetime': a CSK rolls by 'ksk-lifetime' (zsk-lifetime is for keys = \"ksk-zsk\")");
    if (p.signature_refresh >= p.signature_validity)
      c.error(*t, "[[dnssec-policy]] '" + p.name + "': 'signature-refresh' must be less than 'signature-validity'");
    out.push_back(std::move(p));
  }
}

// A signed zone names a policy that exists; a secondary serves what its
// primary signed.
void read_zone_dnssec(Checker& c, const toml::table& z, ZoneConfig& zone,
                      const std::vector<DnssecPolicyConfig>& policies) {
  if (zone.dnssec_policy == kInsecurePolicy) {
    zone.policy = DnssecPolicyConfig{};
    zone.policy.name = kInsecurePolicy;
    zone.policy.insecure = true;
  } else if (!zone.dnssec_policy.empty()) {
    auto it = std::find_if(policies.begin(), policies.end(), [&](const auto& p) { return p.name == zone.dnssec_policy; });
    if (it == policies.end())
      c.error(*z.get("dnssec-policy"), "'dnssec-policy': no [[dnssec-policy]] named '" + zone.dnssec_policy + "'");
    else
      zone.policy = *it;
  }
  if (!zone.signs() && !zone.parental_agents.empty())
    c.error(*z.get("parental-agents"), "'parental-agents': zone '" + zone.name + "' is not signed by namaed (no 'dnssec')");
  if (zone.signs() && !zone.primaries.empty())
    c.error(z, "zone '" + zone.name + "': a secondary (with 'primaries') serves its primary's signatures: no 'dnssec'");
  if (zone.signs() && zone.catalog_role != "none")
    c.error(z, "zone '" + zone.name + "': a catalog zone is not signed");
}

void read_zones(Checker& c, const toml::table& doc, const std::string& dir, const std::set<std::string>& key_names,
                const std::vector<DnssecPolicyConfig>& policies, std::vector<ZoneConfig>& zones) {
  std::set<std::string> zone_names;
  for (auto* z : c.tables(doc, "zone")) {
    ZoneConfig zone;
    zone.line = Checker::line_of(*z);
    read_keys(c, *z, schema::kZone, zone);
    if (zone.max_lease != 0 && zone.min_lease > zone.max_lease) {
      // Only a min-lease written in the file contradicts max-lease; the
      // default shortest lease yields to a shorter longest one.
      if (z->get("min-lease"))
        c.error(*z->get("min-lease"), "'min-lease' is larger than 'max-lease'");
      else
        zone.min_lease = zone.max_lease;
    }
    if (zone.srp && zone.journal.empty())
      c.error(*z->get("srp"), "'srp' needs a 'journal' (SRP registrations are dynamic updates)");
    if (zone.srp && zone.max_lease == 0)
      c.error(*z->get("srp"), "'srp' needs a 'max-lease' (SRP registrations are leased, RFC 9665)");
    zone.update_policy = read_update_policy(c, *z, key_names);
    check_acl(c, *z, "allow-transfer", zone.allow_transfer, key_names);
    check_acl(c, *z, "allow-query", zone.allow_query, key_names);
    zone.has_allow_query = z->get("allow-query") != nullptr;
    if (zone.name.empty()) c.error(*z, "[[zone]] needs a 'name'");
    if (zone.file.empty()) c.error(*z, "[[zone]] '" + zone.name + "' needs a 'file'");
    if (!zone.name.empty() && !zone_names.insert(lower_no_dot(zone.name)).second)
      c.error(*z, "zone '" + zone.name + "' is configured twice");
    check_secondary(c, *z, zone, key_names);
    read_zone_dnssec(c, *z, zone, policies);
    if (!zone.notify_key.empty() && !key_names.count(lower_no_dot(zone.notify_key)))
      c.error(*z->get("notify-key"), "'notify-key': no [[key]] named '" + zone.notify_key + "'");
    if (!zone.notify_key.empty() && zone.notify.empty())
      c.error(*z->get("notify-key"), "'notify-key' without 'notify' targets");
    resolve_paths(schema::kZone, zone, dir);
    zones.push_back(std::move(zone));
  }
  for (const auto& zone : zones) check_catalog_zone(c, zone.line, zone, zones);
}

// Both roles use SO_REUSEPORT: a shared address would make the kernel
// split queries between the authoritative server and the resolver.
void check_resolver_listen(Checker& c, const toml::table& r, const ResolverConfig& rv,
                           const std::vector<std::string>& server_listen) {
  if (rv.listen.empty()) c.error(r, "[resolver] needs 'listen'");
  for (const auto& l : rv.listen) {
    auto a = net::parse_endpoint(l);
    if (!a) continue;
    for (const auto& sl : server_listen) {
      auto b = net::parse_endpoint(sl);
      if (b && same_socket_space(*a, *b))
        c.error(*r.get("listen"), "[resolver] listen '" + l + "' overlaps [server] listen '" + sl +
                                      "' (the resolver needs its own address or port)");
    }
  }
}

// [[resolver.stub]] or [[resolver.forward]] (`key`): a domain, its servers
// ("addr" means port 53), each domain once over both kinds.
void read_routes(Checker& c, const toml::table& r, const char* key, const schema::Section<ZoneRouteConfig>& sec,
                 const std::string& dir, std::set<std::string>& names, std::vector<ZoneRouteConfig>& out) {
  for (auto* t : c.tables(r, key)) {
    ZoneRouteConfig route;
    route.line = Checker::line_of(*t);
    read_keys(c, *t, sec, route);
    resolve_paths(sec, route, dir);
    const std::string where = std::string(sec.where) + " '" + route.name + "'";
    if (route.name.empty() || route.servers.empty()) c.error(*t, std::string(sec.where) + " needs 'name' and 'servers'");
    auto name = dns::Name::from_text(route.name.empty() || route.name.back() == '.' ? route.name : route.name + ".");
    if (!route.name.empty() && !name) c.error(*t, where + ": bad name: " + name.message());
    if (name && !names.insert(lower_no_dot(name->to_text())).second)
      c.error(*t, where + ": the domain is already a stub or forward domain");
    for (const auto& s : route.servers)
      if (auto ep = net::parse_endpoint(s, 53); !ep) c.error(*t, where + ": servers: " + ep.message());
    // RFC 8310's strict profile only: a certificate is checked against a name.
    if (route.tls && route.tls_name.empty()) c.error(*t->get("tls"), where + ": 'tls = true' needs 'tls-name'");
    for (const char* k : {"tls-name", "tls-ca-file", "tls-idle-timeout"})
      if (t->get(k) && !route.tls) c.error(*t->get(k), where + ": '" + k + "' without 'tls = true'");
    out.push_back(std::move(route));
  }
}

void read_resolver(Checker& c, const toml::table& doc, const Config& cfg, ResolverConfig& rv) {
  auto* r = c.table(doc, "resolver");
  if (!r) return;
  rv.enabled = true;
  read_keys(c, *r, schema::kResolver, rv);
  resolve_paths(schema::kResolver, rv, cfg.dir);
  check_resolver_listen(c, *r, rv, cfg.server.listen);
  std::set<std::string> routed;
  read_routes(c, *r, "stub", schema::kStub, cfg.dir, routed, rv.stubs);
  read_routes(c, *r, "forward", schema::kForward, cfg.dir, routed, rv.forwards);
}

void read_mdns(Checker& c, const toml::table& doc, MdnsConfig& mv) {
  auto* m = c.table(doc, "mdns");
  if (!m) return;
  mv.enabled = true;
  read_keys(c, *m, schema::kMdns, mv);
  if (mv.hostname.find('.') != std::string::npos || mv.hostname.size() > 63)
    c.error(*m->get("hostname"), "'hostname' is one label (without .local), at most 63 octets");
  for (auto* s : c.tables(*m, "services")) {
    ServiceConfig svc;
    svc.line = Checker::line_of(*s);
    read_keys(c, *s, schema::kService, svc);
    if (svc.name.empty() || svc.type.empty()) c.error(*s, "a service needs 'name' and 'type'");
    mv.services.push_back(std::move(svc));
  }
}

// The apexes one [[proxy]] answers for: its name, its host-name domain,
// its reverse zones (those of them that are valid).
std::vector<dns::Name> proxy_domains(const ProxyConfig& p) {
  std::vector<dns::Name> out;
  if (auto n = absolute_name(p.name)) out.push_back(*n);
  if (auto h = absolute_name(p.host_domain); !p.host_domain.empty() && h) out.push_back(*h);
  for (const auto& text : p.reverse)
    if (auto prefix = net::parse_prefix(text))
      if (auto z = proxy::reverse_zone(*prefix)) out.push_back(z->apex);
  return out;
}

// RFC 8766 5.3: host names are letters, digits and hyphens only.
bool ldh_name(const dns::Name& n) {
  for (size_t i = 0; i < n.label_count(); ++i)
    for (uint8_t ch : n.label(i))
      if (!std::isalnum(ch) && ch != '-') return false;
  return true;
}

// The domains of one [[proxy]] beyond `name`: a host-name domain that is
// one (LDH), reverse prefixes on label boundaries.
void check_proxy_domains(Checker& c, const toml::table& t, const ProxyConfig& p, const std::string& where) {
  if (!p.host_domain.empty()) {
    auto h = absolute_name(p.host_domain);
    if (!h || h->is_root() || !ldh_name(*h))
      c.error(t, where + ": 'host-domain' '" + p.host_domain + "' is not a letter-digit-hyphen domain name");
  }
  for (const auto& text : p.reverse) {
    auto prefix = net::parse_prefix(text);
    if (prefix && !proxy::reverse_zone(*prefix))
      c.error(t, where + ": reverse prefix '" + text + "' does not end on a label boundary (a multiple of 8 bits for IPv4, 4 for IPv6)");
  }
}

// [[proxy]]: each domain a proxy of its own (its name, its host-name
// domain, its reverse zones), owning no served zone. A zone above one (the
// parent delegating to it) may be served here too: its questions below the
// cut go to the proxy.
void read_proxies(Checker& c, const toml::table& doc, const std::vector<ZoneConfig>& zones,
                  std::vector<ProxyConfig>& out) {
  for (auto* t : c.tables(doc, "proxy")) {
    ProxyConfig p;
    p.line = Checker::line_of(*t);
    read_keys(c, *t, schema::kProxy, p);
    std::string where = "[[proxy]] '" + p.name + "'";
    auto name = absolute_name(p.name);
    if (p.name.empty() || !name) {
      c.error(*t, "[[proxy]] needs a 'name' that is a domain name");
      continue;
    }
    if (p.interface.empty()) c.error(*t, where + " needs an 'interface'");
    check_proxy_domains(c, *t, p, where);
    auto mine = proxy_domains(p);
    for (size_t i = 0; i < mine.size(); ++i)
      for (size_t j = i + 1; j < mine.size(); ++j)
        if (mine[i].is_subdomain_of(mine[j]) || mine[j].is_subdomain_of(mine[i]))
          c.error(*t, where + ": its domains '" + mine[i].to_text() + "' and '" + mine[j].to_text() + "' overlap");
    for (const auto& d : mine) {
      for (const auto& z : zones) {
        auto origin = absolute_name(z.name);
        if (origin && origin->is_subdomain_of(d))
          c.error(*t, where + ": zone '" + z.name + "' is served here at or below '" + d.to_text() +
                          "' (the proxy answers every name under its domains)");
      }
      for (const auto& other : out)
        for (const auto& o : proxy_domains(other))
          if (o.is_subdomain_of(d) || d.is_subdomain_of(o))
            c.error(*t, where + (d == mine.front() ? "" : ": '" + d.to_text() + "'") + ": overlaps [[proxy]] '" +
                            other.name + "'");
    }
    for (const auto& ns : p.nameservers) {
      auto n = absolute_name(ns);
      if (!n) c.error(*t, where + ": bad nameserver '" + ns + "'");
      // RFC 8766 6.2: a host name inside the proxy's domains belongs to the link.
      else if (std::any_of(mine.begin(), mine.end(), [&](const dns::Name& d) { return n->is_subdomain_of(d); }))
        c.error(*t, where + ": nameserver '" + ns + "' is inside the proxy's domain");
    }
    out.push_back(std::move(p));
  }
}

void read_http_users(Checker& c, const toml::table& h, std::vector<UserConfig>& users) {
  for (auto* u : c.tables(h, "users")) {
    UserConfig user;
    read_keys(c, *u, schema::kUser, user);
    if (user.name.empty() || user.password_hash.empty()) c.error(*u, "a user needs 'name' and 'password-hash'");
    if (!user.password_hash.empty() && user.password_hash.rfind("$argon2id$", 0) != 0)
      c.error(*u, "user '" + user.name + "': 'password-hash' must be an Argon2id hash ($argon2id$...; see `namae passwd`)");
    if (user.name.find(':') != std::string::npos)
      c.error(*u, "user '" + user.name + "': a name cannot contain ':' (HTTP Basic authentication)");
    for (const auto& hn : user.hostnames)
      if (hn.empty() || !dns::Name::from_text(hn.back() == '.' ? hn : hn + "."))
        c.error(*u, "user '" + user.name + "': bad hostname '" + hn + "'");
    users.push_back(std::move(user));
  }
}

void read_http(Checker& c, const toml::table& doc, const std::string& dir, HttpConfig& hv) {
  auto* h = c.table(doc, "http");
  if (!h) return;
  read_keys(c, *h, schema::kHttp, hv);
  if (hv.listen.empty()) {
    hv.enabled = false;  // listen = "" turns the HTTP listener off
  } else if (net::parse_endpoint(hv.listen) && !is_loopback_listen(hv.listen) &&
             (hv.tls_cert.empty() || hv.tls_key.empty()) && !hv.allow_plain_http) {
    c.error(*h->get("listen"),
            "[http] on a non-loopback address needs 'tls-cert' and 'tls-key' "
            "(or 'allow-plain-http = true' to send passwords in the clear)");
  }
  if (hv.tls_cert.empty() != hv.tls_key.empty()) c.error(*h, "[http] needs both 'tls-cert' and 'tls-key', or neither");
  resolve_paths(schema::kHttp, hv, dir);
  read_http_users(c, *h, hv.users);
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
  c.only(doc, "the top level", schema::top_level_names());
  read_server(c, doc, dir, cfg.server);
  std::set<std::string> key_names;
  read_tsig_keys(c, doc, key_names, cfg.keys);
  if (const toml::table* server = doc["server"].as_table()) {
    check_acl(c, *server, "allow-query", cfg.server.allow_query, key_names, "");
    check_listener_acls(c, *server, cfg.server, key_names);
  }
  read_dnssec_policies(c, doc, cfg.dnssec_policies);
  read_zones(c, doc, dir, key_names, cfg.dnssec_policies, cfg.zones);
  read_resolver(c, doc, cfg, cfg.resolver);
  read_mdns(c, doc, cfg.mdns);
  read_proxies(c, doc, cfg.zones, cfg.proxies);
  read_http(c, doc, dir, cfg.http);
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

Result<dns::Name> absolute_name(const std::string& text) {
  return dns::Name::from_text(text.empty() || text.back() != '.' ? text + "." : text);
}

Result<dns::Name> zone_origin(const ZoneConfig& z) {
  auto origin = absolute_name(z.name);
  if (!origin) return fail("zone '" + z.name + "': " + origin.message());
  return origin;
}

}  // namespace namae::daemon
