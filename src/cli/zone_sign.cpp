// `namae zone sign` and `namae zone verify`: offline DNSSEC signing and
// checking of zone files, in the spirit of dnssec-signzone / ldns-signzone
// and dnssec-verify / ldns-verify-zone. Keys are BIND's K-files, so a key
// directory works with either tool; an empty one gets a new combined
// signing key (CSK) or, with --ksk-zsk, a KSK and a ZSK.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/clock.h"
#include "cli/zone_args.h"
#include "dns/rdata.h"
#include "dns/text.h"
#include "dnssec/algorithm.h"
#include "dnssec/crypto.h"
#include "dnssec/signer.h"
#include "dnssec/zone_verify.h"

namespace namae::cli {
namespace {

const std::string kSignUsage = std::string(
    "usage: namae zone sign FILE [--origin NAME] --key-dir DIR [--nsec3] [--algorithm ALG]\n"
    "                       [--ksk-zsk] [--validity DAYS] [--threads N] [--output OUT]\n") +
    kZoneInputUsage +
    "  --key-dir DIR     the zone's keys (BIND K-files); new keys are made there if it has none\n"
    "  --algorithm ALG   for new keys: ECDSAP256SHA256 (13, default), ED25519 (15), RSASHA256 (8)\n"
    "  --ksk-zsk         new keys as a KSK and a ZSK instead of one combined key\n"
    "  --nsec3           NSEC3 (RFC 9276: no extra iterations, no salt, no opt-out) instead of NSEC\n"
    "  --validity DAYS   signature lifetime (default 14)\n"
    "  --threads N       signing threads (default: one per core)\n"
    "  --output OUT, -f  where to write the signed zone (default FILE.signed; - for stdout)\n";

const std::string kVerifyUsage = std::string(
    "usage: namae zone verify FILE [--origin NAME] [--no-time]\n") +
    kZoneInputUsage +
    "  --no-time      do not check signature validity periods against the clock\n";

struct SignOptions : ZoneInput {
  std::string key_dir, output;
  uint8_t algorithm = dnssec::alg::ECDSAP256SHA256;
  bool ksk_zsk = false;
  dnssec::SigningPolicy policy;
};

Result<std::vector<dnssec::ZoneKey>> new_keys(const SignOptions& o, int64_t now) {
  std::vector<dnssec::ZoneKey> keys;
  std::vector<uint16_t> flags{dnssec::kFlagsKsk};
  if (o.ksk_zsk) flags.push_back(dnssec::kFlagsZsk);
  for (uint16_t f : flags) {
    auto k = dnssec::generate_zone_key(*o.parser.origin, o.algorithm, f, now);
    if (!k) return k.error();
    if (auto w = dnssec::write_key_files(o.key_dir, *k, 3600); !w) return w.error();
    std::fprintf(stderr, "namae zone sign: new %s %s\n", f & dnssec::kFlagSep ? "key-signing key" : "zone-signing key",
                 dnssec::key_file_base(k->zone, k->key.algorithm(), k->tag).c_str());
    keys.push_back(std::move(*k));
  }
  return keys;
}

Result<std::vector<dnssec::ZoneKey>> zone_keys(const SignOptions& o, int64_t now) {
  if (::mkdir(o.key_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(o.key_dir + ": " + std::strerror(errno));
  auto keys = dnssec::read_key_dir(o.key_dir, *o.parser.origin);
  if (!keys) return keys.error();
  if (keys->empty()) return new_keys(o, now);
  return keys;
}

int sign(SignOptions o) {
  auto records = read_zone_records(o, false, "zone sign");
  if (!records) return exit_status::failure;
  const int64_t now = system_clock().unix_time();
  auto keys = zone_keys(o, now);
  if (!keys) {
    std::fprintf(stderr, "namae zone sign: %s\n", keys.message().c_str());
    return exit_status::failure;
  }
  auto zone = dnssec::sign_zone(std::move(*records), *o.parser.origin, *keys, o.policy, now);
  if (!zone) {
    std::fprintf(stderr, "namae zone sign: %s: %s\n", zone_label(o).c_str(), zone.message().c_str());
    return exit_status::failure;
  }
  if (o.output.empty()) o.output = o.file + ".signed";
  std::FILE* out = o.output == "-" ? stdout : std::fopen(o.output.c_str(), "w");
  if (!out || !dnssec::write_zone(out, *zone) || (out != stdout && std::fclose(out) != 0)) {
    std::fprintf(stderr, "namae zone sign: %s: %s\n", o.output.c_str(), std::strerror(errno));
    return exit_status::failure;
  }
  std::fprintf(stderr, "zone %s: signed, %zu records with %s, %zu key%s; written to %s\n", zone_label(o).c_str(),
               zone->record_count(), o.policy.nsec3 ? "NSEC3" : "NSEC", keys->size(), keys->size() == 1 ? "" : "s",
               o.output.c_str());
  // Freeing millions of records one by one costs time the process does not need.
  static auto* keep = new dnssec::ZoneModel();
  *keep = std::move(*zone);
  return exit_status::ok;
}

}  // namespace

int zone_sign_main(std::span<char*> args) {
  SignOptions o;
  ArgParser p("zone sign", kSignUsage.c_str());
  add_zone_input_options(p, o);
  p.option({"--key-dir", "-K"}, o.key_dir)
      .option({"--output", "-f"}, o.output)
      .option({"--algorithm", "-a"},
              [&](const std::string& v) -> Result<void> {
                auto a = dns::rdata::algorithm_from_text(v);
                if (!a || !dnssec::can_sign(*a))
                  return fail("cannot sign with algorithm '" + v + "' (ECDSAP256SHA256, ED25519 or RSASHA256)");
                o.algorithm = *a;
                return {};
              })
      .flag({"--ksk-zsk"}, o.ksk_zsk)
      .flag({"--nsec3"}, o.policy.nsec3)
      .number({"--validity"}, 1, 3650, "validity", [&](uint32_t days) { o.policy.validity = days * 86400; })
      .number({"--threads"}, 1, 256, "thread count", [&](uint32_t n) { o.policy.threads = n; });
  if (auto status = p.parse(args)) return *status;
  if (o.file.empty()) return p.error("give the zone FILE");
  if (o.key_dir.empty()) return p.error("give the key directory (--key-dir DIR)");
  return sign(std::move(o));
}

int zone_verify_main(std::span<char*> args) {
  ZoneInput in;
  bool no_time = false;
  ArgParser p("zone verify", kVerifyUsage.c_str());
  add_zone_input_options(p, in);
  p.flag({"--no-time"}, no_time);
  if (auto status = p.parse(args)) return *status;
  if (in.file.empty()) return p.error("give the zone FILE");
  auto records = read_zone_records(in, true, "zone verify");
  if (!records) return exit_status::failure;
  std::optional<int64_t> now;
  if (!no_time) now = system_clock().unix_time();
  const auto check = dnssec::verify_zone(std::move(*records), *in.parser.origin, now);
  for (const auto& problem : check.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  if (!check.problems.empty()) {
    std::printf("zone %s: %zu problem%s\n", zone_label(in).c_str(), check.problems.size(),
                check.problems.size() == 1 ? "" : "s");
    return exit_status::failure;
  }
  std::printf("zone %s: %zu signatures verified, %s chain complete\n", zone_label(in).c_str(), check.signatures,
              check.nsec3 ? "NSEC3" : "NSEC");
  return exit_status::ok;
}

}  // namespace namae::cli
