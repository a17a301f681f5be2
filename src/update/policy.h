// Who may change what in a dynamic zone: per-key grants in the style of
// BIND's update-policy, and the address list that lets unsigned updates in.
//
// The engine asks one question per update RR ("may this requester change
// <owner, type>?"); everything not granted is REFUSED and nothing of the
// message is applied (RFC 2136 3.3).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "net/acl.h"

namespace namae::update {

/// The kinds of grant (BIND update-policy rule types of the same names).
enum class GrantKind : uint8_t {
  name,       // owner == name
  subdomain,  // owner at or below name
  zonesub,    // owner anywhere in the zone
  wildcard,   // owner matches the wildcard `name` (strictly below its base)
  self,       // owner is the key's own name (absolute, or under the zone), or `name`
};

/// One rule: `key` may change RRs of `types` (empty: every type) at names
/// the kind selects.
struct Grant {
  dns::Name key;
  GrantKind kind = GrantKind::name;
  dns::Name name;
  bool has_name = false;
  std::vector<uint16_t> types;  // empty = any type
};

/// Build a grant from configuration text. Names are absolute (trailing dot
/// optional, as everywhere in the config); "ANY" in `types` means every type.
Result<Grant> make_grant(std::string_view key, std::string_view kind, std::string_view name,
                         const std::vector<std::string>& types, const dns::Name& origin);

/// The grants of one zone.
class UpdatePolicy {
 public:
  UpdatePolicy() = default;
  explicit UpdatePolicy(std::vector<Grant> grants) : grants_(std::move(grants)) {}

  /// May `signer` change the RRset <owner, type> in zone `origin`?
  bool allows(const dns::Name& signer, const dns::Name& origin, const dns::Name& owner,
              uint16_t type) const;
  /// Does any rule name `signer` (else its updates are refused outright)?
  bool knows(const dns::Name& signer) const;
  const std::vector<Grant>& grants() const { return grants_; }

 private:
  std::vector<Grant> grants_;
};

struct SrpClaim;  // srp.h
/// May an SRP update with `claim` change RRs at `owner` (its own names only)?
bool srp_covers(const SrpClaim& claim, const dns::Name& owner);

/// What one request may do, decided before its sections are read.
struct Permission {
  bool everything = false;               // address ACL matched
  const UpdatePolicy* policy = nullptr;  // per-RR checks for `signer`
  dns::Name signer;
  /// An SRP update (RFC 9665): its own names, once the zone's version shows
  /// they are free or its key's (checked by the engine, srp.h).
  std::shared_ptr<const SrpClaim> srp;

  /// May the requester change <owner, type>?
  bool allows(const dns::Name& origin, const dns::Name& owner, uint16_t type) const {
    if (everything) return true;
    if (srp) return srp_covers(*srp, owner);
    return policy != nullptr && policy->allows(signer, origin, owner, type);
  }
};

}  // namespace namae::update
