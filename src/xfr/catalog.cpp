#include "xfr/catalog.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "dns/rrtype.h"
#include "update/zone_file.h"
#include "zone/builder.h"
#include "zone/load.h"

namespace namae::xfr {
namespace {

std::string key_of(const dns::Name& n) { return n.lower().to_text(); }

std::span<const uint8_t> as_label(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string label_text(std::span<const uint8_t> label) {
  return std::string(reinterpret_cast<const char*>(label.data()), label.size());
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The character-strings of a TXT rdata (RFC 1035 3.3.14).
std::vector<std::string> txt_strings(std::span<const uint8_t> rd) {
  std::vector<std::string> out;
  for (size_t at = 0; at < rd.size();) {
    size_t len = rd[at];
    if (at + 1 + len > rd.size()) break;
    out.push_back(label_text(rd.subspan(at + 1, len)));
    at += 1 + len;
  }
  return out;
}

// Records of a catalog, sorted by where they sit.
struct Nodes {
  std::vector<dns::RdataBytes> version_txt;
  std::map<std::string, std::vector<dns::RdataBytes>> member_ptr;  // by id label
  std::map<std::string, std::vector<dns::RdataBytes>> group_txt, coo_ptr;
  std::vector<std::string> order;  // ids in canonical order of their member nodes
};

Nodes collect(const zone::ZoneVersion& v) {
  Nodes n;
  const dns::Name& origin = v.origin();
  auto version = *origin.prepend(as_label("version"));
  auto zones = *origin.prepend(as_label("zones"));
  const size_t depth = zones.label_count();
  for (const auto& r : v.records()) {
    if (r.owner == version) {
      if (r.type == dns::rrtype::TXT) n.version_txt.push_back(r.rdata);
      continue;
    }
    if (!r.owner.is_subdomain_of(zones) || r.owner.label_count() == depth) continue;
    if (r.owner.label_count() == depth + 1 && r.type == dns::rrtype::PTR) {
      std::string id = label_text(r.owner.label(0));
      auto& ptrs = n.member_ptr[id];
      if (ptrs.empty()) n.order.push_back(id);
      ptrs.push_back(r.rdata);
    } else if (r.owner.label_count() == depth + 2) {
      std::string prop = lower(label_text(r.owner.label(0)));
      std::string id = label_text(r.owner.label(1));
      if (prop == "group" && r.type == dns::rrtype::TXT) n.group_txt[id].push_back(r.rdata);
      if (prop == "coo" && r.type == dns::rrtype::PTR) n.coo_ptr[id].push_back(r.rdata);
    }
  }
  return n;
}

Result<void> check_version(const Nodes& n, const dns::Name& origin) {
  if (n.version_txt.size() != 1)
    return fail(fmt::format("catalog {}: version.{} must hold exactly one TXT, not {} (RFC 9432 4.3.1)", origin.to_text(),
                            origin.to_text(), n.version_txt.size()));
  auto strings = txt_strings(n.version_txt[0]);
  if (strings.size() != 1 || strings[0] != "2")
    return fail(fmt::format("catalog {}: schema version is not \"2\"; the catalog is ignored (RFC 9432 4.3.1)",
                            origin.to_text()));
  return {};
}

// The member at node `id`: its one PTR and its properties. A broken node
// (RFC 9432 4.2, 4.4.1: other than one PTR, or a coo RRset of other than
// one PTR) breaks the whole catalog.
Result<std::optional<CatalogMember>> member_at(const Nodes& n, const std::string& id, const dns::Name& origin,
                                               std::vector<std::string>& ignored) {
  const auto& ptrs = n.member_ptr.at(id);
  std::string where = id + ".zones." + origin.to_text();
  if (ptrs.size() != 1)
    return fail(fmt::format("{}: {} PTR records, a member node holds exactly one (RFC 9432 4.2)", where, ptrs.size()));
  auto zone = dns::Name::from_wire(ptrs[0]);
  if (!zone) return fail(where + ": " + zone.message());
  if (*zone == origin) {  // a clash with the catalog itself (RFC 9432 5.2)
    ignored.push_back(where + ": a member cannot be the catalog itself");
    return std::optional<CatalogMember>();
  }
  CatalogMember m{*zone, id, {}, std::nullopt};
  if (auto g = n.group_txt.find(id); g != n.group_txt.end())
    for (const auto& rd : g->second)
      for (auto& s : txt_strings(rd)) m.groups.push_back(std::move(s));
  if (auto c = n.coo_ptr.find(id); c != n.coo_ptr.end()) {
    if (c->second.size() != 1)
      return fail(fmt::format("coo.{}: {} PTR records, the property holds exactly one (RFC 9432 4.4.1)", where,
                              c->second.size()));
    m.coo = *dns::Name::from_wire(c->second[0]);
  }
  return std::optional<CatalogMember>(std::move(m));
}

}  // namespace

const CatalogMember* Catalog::find(const dns::Name& zone) const {
  for (const auto& m : members)
    if (m.zone == zone) return &m;
  return nullptr;
}

Result<Catalog> parse_catalog(const zone::ZoneVersion& v) {
  Nodes n = collect(v);
  if (auto ok = check_version(n, v.origin()); !ok) return ok.error();
  Catalog c;
  c.origin = v.origin();
  std::map<std::string, std::string> seen;  // member zone -> its id
  for (const auto& id : n.order) {
    auto m = member_at(n, id, c.origin, c.ignored);
    if (!m) return fail("catalog " + c.origin.to_text() + " is broken and ignored: " + m.message());
    if (!*m) continue;
    auto [at, fresh] = seen.emplace(key_of((*m)->zone), id);
    if (!fresh)
      return fail(fmt::format("catalog {} is broken and ignored: {} is listed under both {} and {} (RFC 9432 4.2)",
                              c.origin.to_text(), (*m)->zone.to_text(), at->second, id));
    c.members.push_back(std::move(**m));
  }
  return c;
}

std::string member_id(const dns::Name& zone) {
  auto wire = zone.lower().wire();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(wire.data(), wire.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  for (int i = 0; i < 8; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

Result<std::shared_ptr<const zone::ZoneVersion>> build_catalog(const dns::Name& origin, uint32_t serial,
                                                               std::span<const ProducedMember> members) {
  static const uint8_t kInvalid[] = {7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0};
  dns::RdataBytes soa(kInvalid, kInvalid + sizeof kInvalid);
  soa.insert(soa.end(), kInvalid, kInvalid + sizeof kInvalid);
  for (uint32_t x : {serial, 3600u, 600u, 2147483646u, 0u})
    for (int shift = 24; shift >= 0; shift -= 8) soa.push_back(static_cast<uint8_t>(x >> shift));
  zone::ZoneBuilder b(origin);
  auto add = [&](const dns::Name& owner, uint16_t type, std::span<const uint8_t> rd) {
    return b.add(owner, type, 0, rd);
  };
  static const uint8_t kTwo[] = {1, '2'};
  auto zones = origin.prepend(as_label("zones"));
  if (!zones) return zones.error();
  Result<void> ok = add(origin, dns::rrtype::SOA, soa);
  if (ok) ok = add(origin, dns::rrtype::NS, kInvalid);
  if (ok) ok = add(*origin.prepend(as_label("version")), dns::rrtype::TXT, kTwo);
  std::set<std::string> ids;
  for (const auto& m : members) {
    if (!ok) break;
    std::string id = member_id(m.zone);
    if (!ids.insert(id).second) return fail("catalog " + origin.to_text() + ": " + m.zone.to_text() + " listed twice");
    auto node = zones->prepend(as_label(id));
    if (!node) return node.error();
    ok = add(*node, dns::rrtype::PTR, m.zone.wire());
    if (ok && !m.group.empty()) {
      if (m.group.size() > 255) return fail("catalog group '" + m.group + "' is longer than 255 octets");
      dns::RdataBytes txt{static_cast<uint8_t>(m.group.size())};
      txt.insert(txt.end(), m.group.begin(), m.group.end());
      ok = add(*node->prepend(as_label("group")), dns::rrtype::TXT, txt);
    }
  }
  if (!ok) return ok.error();
  auto v = b.build();
  if (!v && !b.errors().empty()) return fail("catalog " + origin.to_text() + ": " + b.errors()[0].message);
  return v;
}

bool same_members(const Catalog& c, std::span<const ProducedMember> members) {
  if (c.members.size() != members.size()) return false;
  for (const auto& m : members) {
    const CatalogMember* have = c.find(m.zone);
    if (!have || have->id != member_id(m.zone)) return false;
    std::vector<std::string> want;
    if (!m.group.empty()) want.push_back(m.group);
    if (have->groups != want) return false;
  }
  return true;
}

Result<uint32_t> write_catalog_file(const std::string& path, const dns::Name& origin,
                                    std::span<const ProducedMember> members, uint32_t unix_time) {
  uint32_t serial = unix_time;
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    std::vector<zonefile::Diagnostic> diags;
    auto old = zone::load_zone_file(path, origin, diags);
    if (old) {
      auto parsed = parse_catalog(**old);
      if (parsed && same_members(*parsed, members)) return (*old)->serial();
      // RFC 1982 serial arithmetic: one more, or the clock when it is ahead.
      uint32_t next = (*old)->serial() + 1;
      serial = static_cast<int32_t>(unix_time - next) > 0 ? unix_time : next;
    }
  }
  auto v = build_catalog(origin, serial, members);
  if (!v) return v.error();
  if (auto w = update::write_zone_file(path, **v); !w) return w.error();
  return serial;
}

CatalogConsumer::CatalogConsumer(SecondaryZones& secondaries, std::function<bool(const dns::Name&)> configured,
                                 LogSink log)
    : secondaries_(secondaries), configured_(std::move(configured)), log_(std::move(log)) {}

void CatalogConsumer::add_catalog(ConsumedCatalog catalog) {
  std::string k = key_of(catalog.origin);
  catalogs_[k] = State{std::move(catalog), {}};
}

bool CatalogConsumer::consumes(const dns::Name& origin) const { return catalogs_.count(key_of(origin)) != 0; }

std::string CatalogConsumer::member_file(const std::string& dir, const dns::Name& zone) {
  std::string text = zone.lower().to_text();
  if (text.size() > 1) text.pop_back();
  else text = "root";
  std::string safe;
  for (char ch : text) safe += ch == '/' ? std::string("%2F") : std::string(1, ch);
  return (dir.empty() || dir.back() == '/' ? dir : dir + "/") + safe + ".zone";
}

std::vector<std::string> CatalogConsumer::rekey(std::span<const dns::TsigKey> keys) {
  std::vector<std::string> errors;
  std::lock_guard lock(mu_);
  for (auto& [k, s] : catalogs_) {
    auto primaries = xfr::rekey(s.config.primaries, keys);
    if (primaries) s.config.primaries = std::move(*primaries);
    else errors.push_back("catalog " + s.config.origin.to_text() + ": primaries: " + primaries.message());
  }
  return errors;
}

std::vector<std::string> CatalogConsumer::members(const dns::Name& catalog) const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  auto it = catalogs_.find(key_of(catalog));
  if (it == catalogs_.end()) return out;
  for (const auto& [k, m] : it->second.owned) out.push_back(m.zone.to_text());
  return out;
}

CatalogConsumer::State* CatalogConsumer::owner_of(const std::string& zone_key, const State* except) {
  for (auto& [k, s] : catalogs_)
    if (&s != except && s.owned.count(zone_key)) return &s;
  return nullptr;
}

bool CatalogConsumer::add(State& s, const CatalogMember& m) {
  SecondaryZoneSpec spec{m.zone, s.config.origin, s.config.primaries,
                         member_file(s.config.member_dir, m.zone), m.groups};
  if (auto r = secondaries_.add_secondary(spec); !r) {
    log_to(log_, LogLevel::error,
           fmt::format("catalog {}: member {}: {}", s.config.origin.to_text(), m.zone.to_text(), r.message()));
    return false;
  }
  log_to(log_, LogLevel::info, fmt::format("catalog {}: member {} added", s.config.origin.to_text(), m.zone.to_text()));
  s.owned[key_of(m.zone)] = m;
  return true;
}

// Members this catalog owned that its new version no longer lists.
void CatalogConsumer::drop_gone(State& s, const Catalog& c) {
  for (auto it = s.owned.begin(); it != s.owned.end();) {
    if (c.find(it->second.zone)) {
      ++it;
      continue;
    }
    secondaries_.remove_secondary(it->second.zone);
    log_to(log_, LogLevel::info,
           fmt::format("catalog {}: member {} removed", s.config.origin.to_text(), it->second.zone.to_text()));
    it = s.owned.erase(it);
  }
}

// One member of the new version: kept, reset, added, taken over or refused.
void CatalogConsumer::take(State& s, const CatalogMember& m) {
  const std::string k = key_of(m.zone);
  const std::string cat = s.config.origin.to_text();
  if (auto it = s.owned.find(k); it != s.owned.end()) {
    if (it->second.id == m.id) {
      it->second = m;  // groups and coo may change; nothing to do for them
      return;
    }
    log_to(log_, LogLevel::info,
           fmt::format("catalog {}: member {} has a new unique id: reset (RFC 9432 5.4)", cat, m.zone.to_text()));
    secondaries_.remove_secondary(m.zone);
    s.owned.erase(it);
    add(s, m);
    return;
  }
  if (configured_ && configured_(m.zone)) {
    log_to(log_, LogLevel::warning,
           fmt::format("catalog {}: member {} refused: it is a configured zone (RFC 9432 5.2)", cat, m.zone.to_text()));
    return;
  }
  if (State* other = owner_of(k, &s)) {
    const CatalogMember& there = other->owned.at(k);
    if (!there.coo || !(*there.coo == s.config.origin)) {
      log_to(log_, LogLevel::warning,
             fmt::format("catalog {}: member {} refused: catalog {} has it (RFC 9432 5.2)", cat,
                         m.zone.to_text(), other->config.origin.to_text()));
      return;
    }
    log_to(log_, LogLevel::info,
           fmt::format("catalog {}: member {} moves here from {} (coo, RFC 9432 5.5)", cat, m.zone.to_text(),
                       other->config.origin.to_text()));
    secondaries_.remove_secondary(m.zone);
    other->owned.erase(k);
  }
  add(s, m);
}

void CatalogConsumer::catalog_changed(const zone::ZoneVersion& v) {
  auto it = catalogs_.find(key_of(v.origin()));
  if (it == catalogs_.end()) return;
  std::lock_guard lock(mu_);
  State& s = it->second;
  auto parsed = parse_catalog(v);
  if (!parsed) {
    log_to(log_, LogLevel::error, parsed.message() + "; members left as they were");
    return;
  }
  for (const auto& why : parsed->ignored)
    log_to(log_, LogLevel::warning, "catalog " + v.origin().to_text() + ": ignored " + why);
  drop_gone(s, *parsed);
  for (const auto& m : parsed->members) take(s, m);
}

}  // namespace namae::xfr
