#include "update/policy.h"

#include "dns/rrtype.h"

namespace namae::update {

Result<Grant> make_grant(std::string_view key, std::string_view kind, std::string_view name,
                         const std::vector<std::string>& types, const dns::Name& origin) {
  Grant g;
  std::string key_text(key);
  if (key_text.empty() || key_text.back() != '.') key_text += '.';
  auto k = dns::Name::from_text(key_text);
  if (!k) return fail("update-policy: key '" + std::string(key) + "': " + k.message());
  g.key = *k;
  if (kind == "name")
    g.kind = GrantKind::name;
  else if (kind == "subdomain")
    g.kind = GrantKind::subdomain;
  else if (kind == "zonesub")
    g.kind = GrantKind::zonesub;
  else if (kind == "wildcard")
    g.kind = GrantKind::wildcard;
  else if (kind == "self")
    g.kind = GrantKind::self;
  else
    return fail("update-policy: unknown grant '" + std::string(kind) + "'");
  if (!name.empty()) {
    // Absolute like every name in the config, trailing dot optional.
    std::string text(name);
    if (text.back() != '.') text += '.';
    auto n = dns::Name::from_text(text);
    if (!n) return fail("update-policy: name '" + std::string(name) + "': " + n.message());
    g.name = *n;
    g.has_name = true;
  }
  if ((g.kind == GrantKind::name || g.kind == GrantKind::subdomain ||
       g.kind == GrantKind::wildcard) &&
      !g.has_name)
    return fail("update-policy: grant '" + std::string(kind) + "' needs a 'name'");
  if (g.kind == GrantKind::wildcard && !g.name.is_wildcard())
    return fail("update-policy: wildcard grant name '" + std::string(name) +
                "' must start with '*.'");
  for (const auto& t : types) {
    if (t == "ANY" || t == "any") {
      g.types.clear();
      break;
    }
    auto ty = dns::type_from_text(t);
    if (!ty) return fail("update-policy: unknown type '" + t + "'");
    g.types.push_back(*ty);
  }
  return g;
}

bool UpdatePolicy::knows(const dns::Name& signer) const {
  for (const auto& g : grants_)
    if (g.key == signer) return true;
  return false;
}

bool UpdatePolicy::allows(const dns::Name& signer, const dns::Name& origin, const dns::Name& owner,
                          uint16_t type) const {
  for (const auto& g : grants_) {
    if (!(g.key == signer)) continue;
    if (!g.types.empty()) {
      bool found = false;
      for (uint16_t t : g.types) found = found || t == type;
      if (!found) continue;
    }
    bool match = false;
    switch (g.kind) {
      case GrantKind::name:
        match = owner == g.name;
        break;
      case GrantKind::subdomain:
        match = owner.is_subdomain_of(g.name);
        break;
      case GrantKind::zonesub:
        match = owner.is_subdomain_of(origin);
        break;
      case GrantKind::wildcard: {
        dns::Name base = g.name.strip_left(1);
        match = owner.is_subdomain_of(base) && owner.label_count() > base.label_count();
        break;
      }
      case GrantKind::self:
        if (g.has_name) {
          match = owner == g.name;
        } else {
          match = owner == signer;
          if (!match) {
            auto under = signer.concat(origin);
            match = under.ok() && owner == *under;
          }
        }
        break;
    }
    if (match && owner.is_subdomain_of(origin)) return true;
  }
  return false;
}

}  // namespace namae::update
