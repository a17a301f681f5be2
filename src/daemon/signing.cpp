#include "daemon/signing.h"

#include <algorithm>
#include <charconv>
#include <fstream>

#include <spdlog/spdlog.h>

#include "base/durable_file.h"
#include "dns/text.h"
#include "update/service.h"
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
  p.dnskey_ttl = c.dnskey_ttl;
  p.ksk_lifetime = c.ksk_lifetime;
  p.zsk_lifetime = c.zsk_lifetime;
  p.propagation_delay = c.propagation_delay;
  p.parent_ds_ttl = c.parent_ds_ttl;
  p.parent_propagation_delay = c.parent_propagation_delay;
  p.key_directory = z.key_directory;
  return p;
}

Result<std::unique_ptr<signing::ZoneKeyRing>> open_key_ring(const ZoneConfig& z, int64_t now) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  auto ring = signing::ZoneKeyRing::open(*origin, signing_policy(z), now);
  if (!ring) return fail("zone '" + z.name + "': " + ring.message());
  return std::move(*ring);
}

Result<void> KeyRings::open(const std::vector<ZoneConfig>& zones, ZoneManager& manager, int64_t now) {
  for (const auto& z : zones) {
    if (!z.signs()) continue;
    auto signer = open_zone(z, now);
    if (!signer) return signer.error();
    manager.set_signer((*signer)->origin(), *signer);
  }
  return {};
}

Result<std::shared_ptr<const signing::ZoneSigner>> KeyRings::open_zone(const ZoneConfig& z, int64_t now) {
  auto ring = open_key_ring(z, now);
  if (!ring) return ring.error();
  auto signer = (*ring)->signer();
  for (const auto& k : signer->keys())
    spdlog::info("zone {}: DNSSEC {} key tag {} algorithm {}", z.name, k.is_ksk() ? "KSK" : "ZSK", k.tag,
                 k.key.algorithm());
  std::lock_guard lk(mu_);
  auto it = std::find_if(rings_.begin(), rings_.end(), [&](const auto& r) { return r.first == signer->origin(); });
  if (it != rings_.end()) it->second = std::move(*ring);
  else rings_.emplace_back(signer->origin(), std::move(*ring));
  return signer;
}

void KeyRings::set_signature_timing(const dns::Name& origin, const signing::Policy& p) {
  std::lock_guard lk(mu_);
  if (signing::ZoneKeyRing* ring = find(origin)) ring->set_signature_timing(p.validity, p.refresh);
}

void KeyRings::install(const dns::Name& origin, const signing::ZoneKeyRing& ring, ZoneManager& manager,
                       update::UpdateService* updates) {
  auto signer = ring.signer();
  manager.set_signer(origin, signer);
  if (updates) updates->set_signer(origin, signer);
}

void KeyRings::tick(int64_t now, ZoneManager& manager, update::UpdateService* updates) {
  std::lock_guard lk(mu_);
  for (auto& [origin, ring] : rings_) {
    auto served = manager.version(origin);
    auto changed = ring->tick(now, served.get());
    if (!changed) {
      spdlog::error("zone {}: key rollover: {}", origin.to_text(), changed.message());
    } else if (*changed) {
      spdlog::info("zone {}: DNSSEC keys changed:\n{}", origin.to_text(), ring->status(now));
      install(origin, *ring, manager, updates);
    }
  }
}

signing::ZoneKeyRing* KeyRings::find(const dns::Name& origin) {
  for (auto& [o, ring] : rings_)
    if (o == origin) return ring.get();
  return nullptr;
}

std::string KeyRings::control(std::string_view args, ZoneManager& manager, update::UpdateService* updates,
                              int64_t now) {
  std::vector<std::string_view> w;
  for (size_t i = 0; i < args.size();) {
    size_t j = args.find(' ', i);
    if (j == std::string_view::npos) j = args.size();
    if (j > i) w.push_back(args.substr(i, j - i));
    i = j + 1;
  }
  const bool seen = !w.empty() && w[0] == "ds-seen";
  if (w.size() != (seen ? 3u : 2u) || !(seen || w[0] == "ds" || w[0] == "status"))
    return "error: usage: dnssec ds NAME | dnssec ds-seen NAME KEYTAG | dnssec status NAME\n";
  auto origin = absolute_name(std::string(w[1]));
  if (!origin) return "error: " + std::string(w[1]) + ": " + origin.message() + "\n";
  std::lock_guard lk(mu_);
  signing::ZoneKeyRing* ring = find(*origin);
  if (!ring) return "error: zone " + origin->to_text() + " is not signed by namaed\n";
  if (w[0] == "ds") return "ok\n" + ring->ds_records(now);
  if (w[0] == "status") return "ok\n" + ring->status(now);
  auto tag = dns::parse_uint(w[2], 65535);
  if (!tag) return "error: " + std::string(w[2]) + ": not a key tag\n";
  auto served = manager.version(*origin);
  if (auto r = ring->ds_seen(static_cast<uint16_t>(*tag), now, served.get()); !r) return "error: " + r.message() + "\n";
  spdlog::info("zone {}: DS of key {} reported seen at the parent:\n{}", origin->to_text(), *tag, ring->status(now));
  install(*origin, *ring, manager, updates);
  return "ok\n" + ring->status(now);
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
