#include "daemon/signing.h"

#include <algorithm>
#include <charconv>
#include <fstream>

#include <spdlog/spdlog.h>

#include "base/durable_file.h"
#include "daemon/parent_ds.h"
#include "dns/text.h"
#include "net/client.h"
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
  p.purge_keys = c.purge_keys;
  p.insecure = c.insecure;
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

KeyRings::~KeyRings() {
  {
    std::lock_guard lk(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (checker_.joinable()) checker_.join();
}

Result<void> KeyRings::open(const std::vector<ZoneConfig>& zones, ZoneManager& manager, int64_t now) {
  for (const auto& z : zones) {
    if (!z.signs()) continue;
    auto signer = open_zone(z, now);
    if (!signer) return signer.error();
    manager.set_signer((*signer)->origin(), *signer);
  }
  start_checker();
  return {};
}

void KeyRings::start_checker() {
  if (checker_.joinable()) return;
  checker_ = std::thread([this] {
    std::unique_lock lk(stop_mu_);
    while (!stopping_) {
      lk.unlock();
      check_parents(::time(nullptr));
      lk.lock();
      stop_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return stopping_; });
    }
  });
}

void KeyRings::set_agents(Entry& e, const ZoneConfig& z) {
  e.agents.clear();
  for (const auto& a : z.parental_agents)
    if (auto ep = net::parse_endpoint(a)) e.agents.push_back(*ep);  // checked with the config
  e.check_interval = std::max<uint32_t>(1, z.policy.parental_check_interval);
  e.next_check = 0;
}

void KeyRings::check_parents(int64_t now) {
  struct Job {
    dns::Name origin;
    std::vector<net::Endpoint> agents;
    signing::ZoneKeyRing::DsWait wait;
  };
  std::vector<Job> jobs;
  {
    std::lock_guard lk(mu_);
    for (auto& e : rings_) {
      if (e.agents.empty() || now < e.next_check) continue;
      auto wait = e.ring->ds_wait(now);
      if (!wait) continue;
      e.next_check = now + e.check_interval;
      jobs.push_back({e.origin, e.agents, std::move(*wait)});
    }
  }
  net::SocketTransport transport;
  for (const auto& job : jobs) {
    std::vector<ParentDs> answers;
    for (const auto& agent : job.agents) {
      answers.push_back(ask_parent(transport, agent, job.origin, std::chrono::milliseconds(2000)));
      if (!answers.back().ok)
        spdlog::warn("zone {}: parental agent {}: DS query: {}", job.origin.to_text(), agent.to_string(),
                     answers.back().error);
    }
    const ParentVerdict v = judge(answers, job.origin, job.wait);
    if (!v.gone && !v.seen) continue;
    std::lock_guard lk(verdicts_mu_);
    verdicts_.push_back({job.origin, v.gone, v.seen.value_or(0)});
  }
}

void KeyRings::take_verdicts(int64_t now, ZoneManager& manager, update::UpdateService* updates) {
  std::vector<Verdict> verdicts;
  {
    std::lock_guard lk(verdicts_mu_);
    verdicts.swap(verdicts_);
  }
  for (const auto& v : verdicts) {
    Entry* e = find(v.origin);
    if (!e) continue;
    auto served = manager.version(v.origin);
    auto r = v.gone ? e->ring->ds_gone(now, served.get())
                    : e->ring->ds_seen(v.tag, now, served.get());
    if (!r) {
      spdlog::warn("zone {}: parental agents: {}", v.origin.to_text(), r.message());
      continue;
    }
    if (v.gone) spdlog::info("zone {}: the parental agents have no DS any more:\n{}", v.origin.to_text(), e->ring->status(now));
    else spdlog::info("zone {}: the parental agents hold the DS of key {}:\n{}", v.origin.to_text(), v.tag, e->ring->status(now));
    install(v.origin, *e->ring, manager, updates);
  }
}

Result<std::shared_ptr<const signing::ZoneSigner>> KeyRings::open_zone(const ZoneConfig& z, int64_t now) {
  auto ring = open_key_ring(z, now);
  if (!ring) return ring.error();
  auto signer = (*ring)->signer();
  for (const auto& k : signer->keys())
    spdlog::info("zone {}: DNSSEC {} key tag {} algorithm {}", z.name,
                 k.use == dnssec::KeyUse::both ? "CSK" : k.is_ksk() ? "KSK" : "ZSK", k.tag, k.key.algorithm());
  std::lock_guard lk(mu_);
  Entry* e = find(signer->origin());
  if (!e) {
    rings_.push_back(Entry{signer->origin(), nullptr, {}, 3600, 0});
    e = &rings_.back();
  }
  e->ring = std::move(*ring);
  set_agents(*e, z);
  return signer;
}

Result<void> KeyRings::set_policy(const ZoneConfig& z, int64_t now, ZoneManager& manager,
                                  update::UpdateService* updates) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  std::lock_guard lk(mu_);
  Entry* e = find(*origin);
  if (!e) return {};
  set_agents(*e, z);
  if (auto r = e->ring->set_policy(signing_policy(z), now); !r) return r;
  install(*origin, *e->ring, manager, updates);
  return {};
}

void KeyRings::install(const dns::Name& origin, const signing::ZoneKeyRing& ring, ZoneManager& manager,
                       update::UpdateService* updates) {
  auto signer = ring.signer();
  manager.set_signer(origin, signer);
  if (updates) updates->set_signer(origin, signer);
}

void KeyRings::tick(int64_t now, ZoneManager& manager, update::UpdateService* updates) {
  std::lock_guard lk(mu_);
  take_verdicts(now, manager, updates);
  for (auto& [origin, ring, agents, interval, next_check] : rings_) {
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

void KeyRings::forget(const dns::Name& origin) {
  std::lock_guard lk(mu_);
  rings_.erase(std::remove_if(rings_.begin(), rings_.end(), [&](const Entry& e) { return e.origin == origin; }),
               rings_.end());
}

KeyRings::Entry* KeyRings::find(const dns::Name& origin) {
  for (auto& e : rings_)
    if (e.origin == origin) return &e;
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
  if (w.size() != (seen ? 3u : 2u) || !(seen || w[0] == "ds" || w[0] == "status" || w[0] == "ds-gone"))
    return "error: usage: dnssec ds NAME | dnssec ds-seen NAME KEYTAG | dnssec ds-gone NAME | dnssec status NAME\n";
  auto origin = absolute_name(std::string(w[1]));
  if (!origin) return "error: " + std::string(w[1]) + ": " + origin.message() + "\n";
  std::lock_guard lk(mu_);
  Entry* e = find(*origin);
  if (!e) return "error: zone " + origin->to_text() + " is not signed by namaed\n";
  signing::ZoneKeyRing* ring = e->ring.get();
  if (w[0] == "ds") return "ok\n" + ring->ds_records(now);
  if (w[0] == "status") return "ok\n" + ring->status(now);
  if (w[0] == "ds-gone") {
    auto served = manager.version(*origin);
    if (auto r = ring->ds_gone(now, served.get()); !r) return "error: " + r.message() + "\n";
    spdlog::info("zone {}: the parent's DS reported gone:\n{}", origin->to_text(), ring->status(now));
    install(*origin, *ring, manager, updates);
    return "ok\n" + ring->status(now);
  }
  auto tag = dns::parse_uint(w[2], 65535);
  if (!tag) return "error: " + std::string(w[2]) + ": not a key tag\n";
  auto served = manager.version(*origin);
  if (auto r = ring->ds_seen(static_cast<uint16_t>(*tag), now, served.get()); !r) return "error: " + r.message() + "\n";
  spdlog::info("zone {}: DS of key {} reported seen at the parent:\n{}", origin->to_text(), *tag, ring->status(now));
  install(*origin, *ring, manager, updates);
  return "ok\n" + ring->status(now);
}

std::shared_ptr<const signing::ZoneSigner> with_new_policy(const signing::ZoneSigner& running, const ZoneConfig& z) {
  const signing::Policy& was = running.policy();
  signing::Policy p = signing_policy(z);
  // Restart-only, and the key ring's own (signing::ZoneKeyRing::set_policy:
  // another split rolls the keys, which say their roles to the signer).
  p.key_directory = was.key_directory;
  p.split_keys = was.split_keys;
  p.nsec3 = was.nsec3;
  p.delete_cds_from = was.delete_cds_from;
  p.unsigned_from = was.unsigned_from;
  auto same = [](const signing::Policy& a, const signing::Policy& b) {
    return a.validity == b.validity && a.refresh == b.refresh && a.algorithm == b.algorithm &&
           a.dnskey_ttl == b.dnskey_ttl && a.ksk_lifetime == b.ksk_lifetime && a.zsk_lifetime == b.zsk_lifetime &&
           a.propagation_delay == b.propagation_delay && a.parent_ds_ttl == b.parent_ds_ttl &&
           a.parent_propagation_delay == b.parent_propagation_delay && a.purge_keys == b.purge_keys &&
           a.insecure == b.insecure;
  };
  if (same(p, was)) return nullptr;
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
