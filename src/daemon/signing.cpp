#include "daemon/signing.h"

#include <charconv>
#include <fstream>

#include "base/durable_file.h"
#include "signing/keys.h"
#include "update/engine.h"

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

std::shared_ptr<const signing::ZoneSigner> with_new_validity(const signing::ZoneSigner& running, const ZoneConfig& z) {
  signing::Policy p = running.policy();
  const signing::Policy wanted = signing_policy(z);
  if (p.validity == wanted.validity && p.refresh == wanted.refresh) return nullptr;
  p.validity = wanted.validity;
  p.refresh = wanted.refresh;
  return std::make_shared<const signing::ZoneSigner>(
      running.origin(), std::move(p), std::vector<dnssec::ZoneKey>(running.keys().begin(), running.keys().end()));
}

namespace {

std::string served_serial_path(const ZoneConfig& z) {
  std::string name = z.name;
  if (!name.empty() && name.back() == '.') name.pop_back();
  return z.key_directory + "/" + (name.empty() ? "root" : name) + ".serial";
}

}  // namespace

std::optional<uint32_t> read_served_serial(const ZoneConfig& z) {
  std::ifstream in(served_serial_path(z));
  std::string text;
  if (!(in >> text)) return std::nullopt;
  uint32_t serial = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), serial);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return serial;
}

Result<void> store_served_serial(const ZoneConfig& z, uint32_t serial) {
  return write_file_durably(served_serial_path(z), std::to_string(serial) + "\n", 0600);
}

uint32_t serial_to_serve(uint32_t file_serial, std::optional<uint32_t> last_served) {
  if (!last_served || update::serial_gt(file_serial, *last_served)) return file_serial;
  return update::next_serial(*last_served);
}

}  // namespace namae::daemon
