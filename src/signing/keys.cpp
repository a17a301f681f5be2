#include "signing/keys.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace namae::signing {
namespace {

Result<void> ensure_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail("key-directory " + dir + ": not a directory");
    return {};
  }
  // Only namaed's user may list or read the private keys.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("key-directory " + dir + ": " + std::strerror(errno));
  return {};
}

Result<void> add_key(std::vector<dnssec::ZoneKey>& keys, const dns::Name& zone, const Policy& p,
                     uint16_t flags, int64_t now) {
  auto k = dnssec::generate_zone_key(zone, p.algorithm, flags, now);
  if (!k) return k.error();
  if (auto w = dnssec::write_key_files(p.key_directory, *k, 3600); !w)
    return fail("key-directory " + p.key_directory + ": " + w.message());
  keys.push_back(std::move(*k));
  return {};
}

}  // namespace

Result<std::vector<dnssec::ZoneKey>> zone_keys(const dns::Name& zone, const Policy& p, int64_t now) {
  if (!dnssec::can_sign(p.algorithm))
    return fail("algorithm " + std::to_string(p.algorithm) + " cannot sign");
  if (auto d = ensure_directory(p.key_directory); !d) return d.error();
  auto keys = dnssec::read_key_dir(p.key_directory, zone);
  if (!keys) return keys.error();
  for (const auto& k : *keys)
    if (k.key.algorithm() != p.algorithm)
      return fail(p.key_directory + "/" + dnssec::key_file_base(zone, k.key.algorithm(), k.tag) +
                  ".private: algorithm " + std::to_string(k.key.algorithm()) + ", but the zone is signed with " +
                  std::to_string(p.algorithm));
  const bool has_sep = std::any_of(keys->begin(), keys->end(), [](const auto& k) { return k.is_ksk(); });
  const bool has_zsk = std::any_of(keys->begin(), keys->end(), [](const auto& k) { return !k.is_ksk(); });
  if (!has_sep)
    if (auto r = add_key(*keys, zone, p, dnssec::kFlagsKsk, now); !r) return r.error();
  if (p.split_keys && !has_zsk)
    if (auto r = add_key(*keys, zone, p, dnssec::kFlagsZsk, now); !r) return r.error();
  return keys;
}

}  // namespace namae::signing
