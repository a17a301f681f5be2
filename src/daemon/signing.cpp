#include "daemon/signing.h"

#include "signing/keys.h"

namespace namae::daemon {

signing::Policy signing_policy(const ZoneConfig& z) {
  const DnssecPolicyConfig& c = z.policy;
  signing::Policy p;
  p.algorithm = c.algorithm == "ed25519"     ? dnssec::alg::ED25519
                : c.algorithm == "rsasha256" ? dnssec::alg::RSASHA256
                                             : dnssec::alg::ECDSAP256SHA256;
  p.split_keys = c.keys == "ksk-zsk";
  p.validity = c.signature_validity;
  p.refresh = c.signature_refresh;
  p.nsec3 = c.nsec3;
  p.key_directory = z.key_directory;
  return p;
}

Result<std::shared_ptr<const signing::ZoneSigner>> make_zone_signer(const ZoneConfig& z, int64_t now) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  const signing::Policy policy = signing_policy(z);
  auto keys = signing::zone_keys(*origin, policy, now);
  if (!keys) return fail("zone '" + z.name + "': " + keys.message());
  return std::make_shared<const signing::ZoneSigner>(*origin, policy, std::move(*keys));
}

}  // namespace namae::daemon
