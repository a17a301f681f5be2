// Every key of namaed's TOML file, declared once (as Knot's conf/schema.c
// declares its own): its section, name, type, range and one line of help,
// bound to the Config member it fills. The member's initializer in
// daemon/config.h is the key's default. Parsing (daemon/config.cpp), the
// effective config that `namaed --print-config` prints, and the check that
// keeps docs/config.md's key tables in step all read these tables.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/config.h"

namespace namae::daemon::schema {

enum class Type : uint8_t {
  string,
  path,           // a string resolved against the config file's directory
  integer,        // lo..hi
  boolean,
  strings,        // a list of strings (a single string is a list of one)
  endpoint,       // "addr:port" ("" allowed where the key says so)
  endpoints,      // a list of "addr:port"
  listeners,      // a list of "addr:port" and inline tables: the Section whose parent is this key
  prefixes,       // an address-prefix ACL (net::parse_acl)
  choice,         // one of `choices`
  tables,         // an array of inline tables: the Section whose parent is this key
  table,          // one inline table (absent: off): the Section whose parent is this key
  unimplemented,  // a key of a role not built yet: an error naming it (`choices` says why)
};

template <class S>
using Field = std::variant<std::monostate, std::string S::*, bool S::*, uint16_t S::*, uint32_t S::*,
                           std::vector<std::string> S::*>;

template <class S>
struct Key {
  std::string_view name;
  Type type;
  Field<S> field;         // monostate: read by the section's own code (`y`, sub-tables)
  std::string_view help;  // one line, printed as a comment by --print-config
  int64_t lo = 0, hi = 0;
  std::string_view choices = {};  // choice: "a, b, c"; unimplemented: the reason
  bool required = false;          // no default: the section's own code says so
};

template <class S>
struct Section {
  std::string_view name;    // its TOML key: "server", "zone", "update-policy"
  std::string_view where;   // in messages: "[server]", "[[zone]]", "update-policy"
  std::string_view parent;  // for sub-tables: the section holding them ("zone")
  bool array;               // [[zone]], update-policy = [ {...} ]; false: rrl = { ... }
  std::span<const Key<S>> keys;
};

extern const Section<ServerConfig> kServer;
extern const Section<KeyConfig> kKey;
extern const Section<ZoneConfig> kZone;
extern const Section<GrantConfig> kGrant;
extern const Section<DnssecPolicyConfig> kDnssecPolicy;
extern const Section<ResolverConfig> kResolver;
extern const Section<ZoneRouteConfig> kStub;
extern const Section<ZoneRouteConfig> kForward;
extern const Section<MdnsConfig> kMdns;
extern const Section<ProxyConfig> kProxy;
extern const Section<ServiceConfig> kService;
extern const Section<HttpConfig> kHttp;
extern const Section<UserConfig> kUser;
extern const Section<RrlConfig> kRrl;
extern const Section<ListenerConfig> kListener;

/// Calls `f` with every section, top-level ones in file order, then sub-tables.
template <class F>
void for_each_section(F&& f) {
  f(kServer), f(kKey), f(kDnssecPolicy), f(kZone), f(kResolver), f(kMdns), f(kProxy), f(kHttp);
  f(kGrant), f(kService), f(kUser), f(kRrl), f(kListener), f(kStub), f(kForward);
}

/// The names allowed at the top level of the file.
std::vector<std::string_view> top_level_names();

/// A string as a TOML basic string (quoted, escaped).
std::string toml_string(const std::string& s);

/// A list of strings as a TOML array: ["a", "b"].
std::string toml_strings(const std::vector<std::string>& list);

/// `key`'s value in `v` as TOML; paths are printed absolute so the text
/// means the same wherever it is read from. Empty for keys without a field.
template <class S>
std::string toml_value(const Key<S>& key, const S& v);

/// What docs/config.md's default column starts with: "required", "none"
/// (an empty string), or the default value as TOML in backquotes.
template <class S>
std::string doc_default(const Key<S>& key);

}  // namespace namae::daemon::schema
