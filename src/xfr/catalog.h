// Catalog zones (RFC 9432, schema version 2): a zone whose records list
// other zones, so that adding a zone on the primary adds it on every
// secondary that consumes the catalog.
//
//   version.<catalog>          TXT "2"               (RFC 9432 4.3.1)
//   <id>.zones.<catalog>       PTR <member zone>     (4.2: one PTR, a unique id)
//   group.<id>.zones.<catalog> TXT "<group>" ...     (4.4.2)
//   coo.<id>.zones.<catalog>   PTR <new catalog>     (4.4.1: change of ownership)
//
// Three parts: parse_catalog() reads a version into its members (pure);
// build_catalog()/write_catalog_file() produce one from namaed's own zones
// (`catalog-role = "generate"`); CatalogConsumer turns each new version of a
// consumed catalog into add/remove calls on SecondaryZones
// (`catalog-role = "consume"`), the seam the secondary role implements.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "dns/name.h"
#include "xfr/remote.h"
#include "zone/zone.h"

namespace namae::xfr {

/// One member of a catalog.
struct CatalogMember {
  dns::Name zone;
  std::string id;  // the unique-id label of its member node, as written
  std::vector<std::string> groups;
  std::optional<dns::Name> coo;  // the catalog this member is moving to
};

/// A parsed catalog: valid members in canonical order of their member
/// nodes, and what was ignored and why (one line each, for the log).
struct Catalog {
  dns::Name origin;
  std::vector<CatalogMember> members;
  std::vector<std::string> ignored;
  const CatalogMember* find(const dns::Name& zone) const;
};

/// Read catalog `v`. A broken catalog (RFC 9432 5.1) fails as a whole, to be
/// ignored with the reason logged: version.<catalog> other than exactly one
/// TXT of the one string "2" (4.3.1), a member node with other than one PTR
/// or one member zone listed under two ids (4.2), a coo property with other
/// than one PTR (4.4.1). A member naming the catalog itself clashes with it
/// (5.2) and is left out, with a line in `ignored`. Records at other names
/// (ext., unknown properties, unknown types) are ignored without a word
/// (4.3: consumers ignore what they do not understand).
Result<Catalog> parse_catalog(const zone::ZoneVersion& v);

/// The unique id namaed gives a member: 16 hex digits of SHA-256 over the
/// lower-case wire name (stable, like Knot's hash of the member name, so a
/// member keeps its id across restarts and RFC 9432 5.4 resets never
/// happen by accident).
std::string member_id(const dns::Name& zone);

/// A member of a catalog namaed produces.
struct ProducedMember {
  dns::Name zone;
  std::string group;  // empty: none
};

/// The catalog zone `origin` listing `members`: SOA and NS from a minimal
/// template (invalid., as RFC 9432 4.1 recommends), TXT "2" at version, one
/// PTR per member and its group. TTLs are 0 (RFC 9432 4: not used).
Result<std::shared_ptr<const zone::ZoneVersion>> build_catalog(const dns::Name& origin, uint32_t serial,
                                                               std::span<const ProducedMember> members);

/// True when catalog `c` lists exactly `members` with the ids member_id()
/// gives and the same groups.
bool same_members(const Catalog& c, std::span<const ProducedMember> members);

/// Write the produced catalog to `path` unless the file already lists the
/// same members. The serial of a new file is `unix_time`; a changed member
/// set raises the file's serial by one (or to `unix_time` when that is
/// larger), so consumers see every change as a newer version. Returns the
/// serial the file now holds.
Result<uint32_t> write_catalog_file(const std::string& path, const dns::Name& origin,
                                    std::span<const ProducedMember> members, uint32_t unix_time);

/// What the secondary role needs to serve one member zone.
struct SecondaryZoneSpec {
  dns::Name zone;
  dns::Name catalog;               // the catalog that listed it
  std::vector<Remote> primaries;   // the catalog's primaries, with its transfer key
  std::string file;                // where the zone's data is kept
  std::vector<std::string> groups;
};

/// The secondary role's side of the seam: start serving a zone as a
/// secondary (transfer it from its primaries, keep it fresh), or stop and
/// forget it. Called from the thread that publishes the catalog's versions.
class SecondaryZones {
 public:
  virtual ~SecondaryZones() = default;
  virtual Result<void> add_secondary(const SecondaryZoneSpec& spec) = 0;
  virtual void remove_secondary(const dns::Name& zone) = 0;
};

/// One consumed catalog, as configured.
struct ConsumedCatalog {
  dns::Name origin;
  std::vector<Remote> primaries;
  std::string member_dir;
};

/// Keeps the secondary zones of every consumed catalog in step with the
/// catalogs' newest versions, without a restart. Add the catalogs first;
/// after that catalog_changed() may be called from any publishing thread
/// (one catalog version is handled at a time). A version of a zone that is
/// not a consumed catalog returns before taking the lock, so an
/// add_secondary() that publishes the member's first version (and so comes
/// back here through the same observer) does not deadlock.
class CatalogConsumer {
 public:
  /// `configured(zone)`: the zone is one of namaed's own [[zone]]s, which a
  /// catalog may not take over (RFC 9432 5.2: such a member is refused).
  CatalogConsumer(SecondaryZones& secondaries, std::function<bool(const dns::Name&)> configured,
                  LogSink log = {});

  void add_catalog(ConsumedCatalog catalog);
  bool consumes(const dns::Name& origin) const;
  /// A new version of a consumed catalog: members added are added as
  /// secondaries, members gone are removed, a member whose unique id
  /// changed is removed and added again (RFC 9432 5.4). A member
  /// another catalog owns is refused unless that catalog's coo property
  /// points here (4.4.1, 5.5 change of ownership; the member's state is
  /// always reset: removed and added again). A broken version changes
  /// nothing (5.1). Ignores versions of zones it does not consume.
  void catalog_changed(const zone::ZoneVersion& v);
  /// The catalogs' primaries with their keys taken from `keys` anew (for
  /// members added from now on; members already added are secondaries,
  /// rekeyed with the rest). One line per catalog whose key is gone.
  std::vector<std::string> rekey(std::span<const dns::TsigKey> keys);
  /// The members `catalog` currently owns (zone text, canonical order).
  std::vector<std::string> members(const dns::Name& catalog) const;
  /// Where a member's zone file goes: <member-dir>/<zone>.zone.
  static std::string member_file(const std::string& dir, const dns::Name& zone);

 private:
  struct State {
    ConsumedCatalog config;
    std::map<std::string, CatalogMember> owned;  // by lower-case zone text
  };
  void drop_gone(State& s, const Catalog& c);
  void take(State& s, const CatalogMember& m);
  bool add(State& s, const CatalogMember& m);
  State* owner_of(const std::string& zone_key, const State* except);

  SecondaryZones& secondaries_;
  std::function<bool(const dns::Name&)> configured_;
  LogSink log_;
  std::map<std::string, State> catalogs_;  // by lower-case origin text; keys fixed once running
  mutable std::mutex mu_;                  // guards the States' members
};

}  // namespace namae::xfr
